//! Handler tasks whose panics are contained and logged.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::Arc;

use crate::rt::{BoxFuture, ExtraInfo};
use crate::shared::Shared;

pub(crate) fn log_panic(peer: &ExtraInfo, p: &(dyn Any + Send)) {
    let msg = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic".into());
    tracing::error!(
        "connection handler for {:?} panicked: {msg}; the connection was closed",
        peer.peer_addr
    );
}

/// A handler's future with its panics contained and logged.
///
/// With `conn`, the task is that connection's own: while the handler runs,
/// its writes need not wake the connection's flusher task, because this
/// task sends them itself when the handler's poll ends (see
/// [`Shared::after_own_poll`]). A request/response handler then never
/// wakes a second task per exchange.
pub(crate) struct Contained {
    pub(crate) fut: Option<BoxFuture>,
    pub(crate) peer: ExtraInfo,
    pub(crate) conn: Option<Arc<Shared>>,
}

impl Future for Contained {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let Some(fut) = this.fut.as_mut() else {
            return Poll::Ready(());
        };
        let conn = this.conn.as_deref();
        let polled = {
            let _own = conn.map(crate::own_task::OwnTask::enter);
            catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx)))
        };
        if let (Some(c), Ok(_)) = (conn, &polled) {
            c.after_own_poll(cx);
        }
        match polled {
            Ok(p) => p,
            Err(p) => {
                log_panic(&this.peer, &*p);
                let fut = this.fut.take();
                // Dropping the future closes its reader and writer.
                if catch_unwind(AssertUnwindSafe(move || drop(fut))).is_err() {
                    tracing::error!("a connection handler panicked while being dropped");
                }
                Poll::Ready(())
            }
        }
    }
}
