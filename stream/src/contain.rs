//! Handler tasks whose panics are contained and logged.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::rt::{BoxFuture, ExtraInfo};

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
pub(crate) struct Contained {
    pub(crate) fut: Option<BoxFuture>,
    pub(crate) peer: ExtraInfo,
}

impl Future for Contained {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(fut) = self.fut.as_mut() else {
            return Poll::Ready(());
        };
        match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(p) => p,
            Err(p) => {
                log_panic(&self.peer, &*p);
                let fut = self.fut.take();
                // Dropping the future closes its reader and writer.
                if catch_unwind(AssertUnwindSafe(move || drop(fut))).is_err() {
                    tracing::error!("a connection handler panicked while being dropped");
                }
                Poll::Ready(())
            }
        }
    }
}
