//! Server connections still in their TLS handshake.
//!
//! A connection belongs to its server from accept: while its handshake runs
//! the server keeps a [`Pending`] for it, so `wait_closed` waits for it,
//! `connection_count` counts it, and `close_clients` / `abort_clients` stop
//! it (the handshake task then drops, or resets, the socket). Once the
//! handshake is done, the connection is promoted: a stop that comes later
//! closes or aborts the connection itself.

use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use crate::shared::{lock, Shared};

/// How the server stops its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// `close_clients`: close (gracefully).
    Close,
    /// `abort_clients`: reset.
    Abort,
}

#[derive(Default)]
struct State {
    stop: Option<Stop>,
    waker: Option<Waker>,
    /// The connection, once its handshake is done.
    promoted: Option<Weak<Shared>>,
}

/// One handshaking connection, as its server sees it.
#[derive(Default)]
pub(crate) struct Pending {
    state: Mutex<State>,
}

fn apply(shared: &Shared, how: Stop) {
    match how {
        Stop::Close => shared.close(),
        Stop::Abort => shared.abort(),
    }
}

impl Pending {
    pub(crate) fn new() -> Arc<Pending> {
        Arc::default()
    }

    /// The server stops this client (an abort overrides a close).
    pub(crate) fn stop(&self, how: Stop) {
        let mut st = lock(&self.state);
        if let Some(w) = st.promoted.as_ref().and_then(Weak::upgrade) {
            drop(st);
            apply(&w, how);
            return;
        }
        if st.stop != Some(Stop::Abort) {
            st.stop = Some(how);
        }
        if let Some(w) = st.waker.take() {
            w.wake();
        }
    }

    /// Ready once the server stopped this client.
    pub(crate) fn poll_stop(&self, cx: &mut Context<'_>) -> Poll<Stop> {
        let mut st = lock(&self.state);
        if let Some(how) = st.stop {
            return Poll::Ready(how);
        }
        if !st.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            st.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// The handshake is done: later stops go to `shared`; a stop that came
    /// in between is applied now.
    pub(crate) fn promote(&self, shared: &Arc<Shared>) {
        let how = {
            let mut st = lock(&self.state);
            st.promoted = Some(Arc::downgrade(shared));
            st.stop
        };
        if let Some(how) = how {
            apply(shared, how);
        }
    }
}
