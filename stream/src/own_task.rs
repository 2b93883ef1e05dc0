//! A server handler's own task: while it is polled, the connection's writes
//! need not wake the flusher task, because the task sends them itself when
//! the handler's poll ends (see `contain.rs`, which marks the poll).

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::task::Context;

use crate::shared::{lock, Shared};

thread_local! {
    /// The connection whose own task (a server handler) is being polled on
    /// this thread, if any: see [`OwnTask`].
    static OWN_TASK: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
}

/// Marks the current thread as polling `shared`'s own task (its server
/// handler) until dropped. Only compared, never dereferenced.
pub(crate) struct OwnTask(*const Shared);

impl OwnTask {
    pub(crate) fn enter(shared: &Shared) -> OwnTask {
        OwnTask(OWN_TASK.with(|c| c.replace(shared as *const Shared)))
    }
}

impl Drop for OwnTask {
    fn drop(&mut self) {
        OWN_TASK.with(|c| c.set(self.0));
    }
}

impl Shared {
    /// True while this connection's own task is being polled on this thread:
    /// it will call [`after_own_poll`](Self::after_own_poll) when the poll
    /// ends, so nothing needs to wake the flusher task for it.
    #[inline]
    pub(crate) fn in_own_task(&self) -> bool {
        OWN_TASK.with(|c| std::ptr::eq(c.get(), self))
    }

    /// Called by the connection's own task when its handler's poll ends
    /// (pending, or done with writer handles still alive elsewhere): sends
    /// what the handler queued (the flusher is woken only for
    /// what the socket did not take), and lets the dead-peer watcher look at
    /// the socket if no read is waiting.
    pub(crate) fn after_own_poll(&self, cx: &mut Context<'_>) {
        self.flush_inline(cx);
        // Set when a read ended in this poll, cleared when a read waits
        // again: the common handler poll (read, answer, read again) ends
        // without looking at the read state.
        if !self.watch_deferred.swap(false, Ordering::Relaxed) {
            return;
        }
        let wake = {
            let mut st = lock(&self.read);
            let reading = st.reading;
            crate::watch_state::take_deferred(&mut st.watch, reading)
        };
        if let Some(w) = wake {
            w.wake();
        }
    }
}
