//! The dead-peer watcher's state (see `watch.rs`), kept in the connection's
//! read state: a leaf module, so the read path can update it without
//! importing the watcher.

use std::task::Waker;

/// The watcher's state, kept in the connection's read state.
#[derive(Default)]
pub(crate) struct Watch {
    /// The flusher task, woken when a read that reached the socket ends.
    pub(crate) waker: Option<Waker>,
    /// Bytes wait to be read: no watching until the next read.
    pub(crate) stand_down: bool,
    /// A read waits for the socket (also one with no read flag, as
    /// `poll_read_chunk`): its readiness registration is left alone.
    pub(crate) reader_waiting: bool,
    /// A wake-up deferred to the end of the connection's own task's poll.
    pub(crate) deferred: bool,
}

/// A read is waiting for the socket.
pub(crate) fn read_waits(w: &mut Watch) {
    w.reader_waiting = true;
}

/// A read that waited for the socket ended (or was dropped): watch again.
/// Inside the connection's own task the wake-up is deferred to the end of
/// its poll ([`take_deferred`]): a handler that reads again at once never
/// needs the watcher.
pub(crate) fn read_done(w: &mut Watch, own_task: bool) {
    w.stand_down = false;
    w.reader_waiting = false;
    if own_task {
        w.deferred = true;
    } else if let Some(k) = w.waker.take() {
        k.wake();
    }
}

/// At the end of the connection's own task's poll: the watcher's waker, if
/// a wake-up was deferred and no read waits now (a waiting read watches the
/// socket itself).
pub(crate) fn take_deferred(w: &mut Watch, reading: bool) -> Option<Waker> {
    if !std::mem::take(&mut w.deferred) || reading || w.reader_waiting {
        return None;
    }
    w.waker.take()
}
