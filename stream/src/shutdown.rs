//! The connection's flusher task, with closing bounded in time.
//!
//! [`Flusher`] runs [`Shared::poll_flush`] and, once the connection is
//! closing, a deadline: the transport's
//! [`shutdown_timeout`](crate::rt::Transport::shutdown_timeout) (a TLS
//! connection's, asyncio's `ssl_shutdown_timeout`). A peer that stops reading
//! would otherwise keep the connection, its socket, its queued bytes and this
//! task forever after `close()`. When the deadline passes the connection is
//! aborted (reset, queued bytes dropped) and lost with a `TimedOut` error,
//! which `wait_closed` returns. Plain sockets have no deadline, as in asyncio.
//!
//! While idle, the flusher also watches for a dead peer ([`crate::watch`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::rt::{BoxFuture, DynRuntime};
use crate::shared::{lock, Shared, Slot};
use crate::Error;

/// The flusher task of one connection.
pub(crate) struct Flusher {
    shared: Arc<Shared>,
    /// Set once the connection is seen closing: the deadline, if any.
    closing: Option<Option<(BoxFuture, Duration)>>,
}

impl Flusher {
    pub(crate) fn new(shared: Arc<Shared>) -> Flusher {
        Flusher {
            shared,
            closing: None,
        }
    }

    /// Arms the deadline the first time the connection is seen closing.
    fn arm(&mut self) {
        if self.closing.is_some() || !self.shared.lock_write().wb.is_closing() {
            return;
        }
        let limit = match &*lock(&self.shared.transport) {
            Slot::Open(t) => t.shutdown_timeout(),
            _ => None,
        };
        let timer = match (limit, &self.shared.rt) {
            (Some(d), Some(rt)) => Some((rt.sleep_dyn(d), d)),
            _ => None,
        };
        self.closing = Some(timer);
    }
}

impl Future for Flusher {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.shared.poll_flush(cx).is_ready() {
            return Poll::Ready(());
        }
        this.arm();
        if let Some(Some((timer, d))) = &mut this.closing {
            if timer.as_mut().poll(cx).is_ready() {
                let d = *d;
                expire(&this.shared, d);
                return Poll::Ready(());
            }
        }
        crate::watch::poll_watch(&this.shared, cx);
        Poll::Pending
    }
}

/// Closing took longer than `d`: abort the connection, lost with `TimedOut`.
fn expire(shared: &Shared, d: Duration) {
    let e = io::Error::new(
        io::ErrorKind::TimedOut,
        format!(
            "tls: closing did not finish within the shutdown_timeout ({d:?}): the peer stopped \
             reading; the connection was aborted and its unsent bytes dropped (raise \
             shutdown_timeout if the peer is only slow)"
        ),
    );
    tracing::debug!("{e}");
    shared.lose(Error::connection(e));
    if let Slot::Open(t) = &mut *lock(&shared.transport) {
        t.abort();
    }
    shared.finish_close();
}

/// Spawns the connection's flusher task and hands out its two halves.
pub(crate) fn start(
    rt: &Arc<dyn DynRuntime>,
    shared: Arc<Shared>,
) -> (crate::StreamReader, crate::StreamWriter) {
    rt.spawn_dyn(Box::pin(Flusher::new(shared.clone())));
    (
        crate::StreamReader {
            shared: shared.clone(),
        },
        crate::StreamWriter { shared },
    )
}
