//! Noticing a dead peer without a read.
//!
//! Reading is on demand: the socket is read only while a read future waits.
//! A peer that resets while its handler is busy elsewhere would keep the
//! socket (and the server's connection) until the handler next touches the
//! connection. So the connection's flusher task, idle then, watches the
//! socket while no read is pending, with
//! [`Transport::poll_peer_closed`](crate::rt::Transport::poll_peer_closed):
//! on an error (a reset) it marks the connection lost with that error, so
//! the next read, write or drain reports it, and releases the socket.
//!
//! Nothing is read and no byte is lost: when bytes (or EOF) wait in the
//! socket, or unread bytes wait in the reader's buffer, the watcher stands
//! down until the next read that reaches the socket; that read delivers the
//! bytes, then the error, as without the watcher. (asyncio reads eagerly and
//! raises the error at the next read even with bytes buffered.) The watcher
//! never polls the socket while a read is pending (the read's own readiness
//! registration is left alone), so data arriving never makes it spin.

use std::task::{Context, Poll, Waker};

use crate::shared::{lock, Shared, Slot};
use crate::Error;

/// The watcher's state, kept in the connection's read state.
#[derive(Default)]
pub(crate) struct Watch {
    /// The flusher task, woken when a read that reached the socket ends.
    waker: Option<Waker>,
    /// Bytes wait to be read: no watching until the next read.
    stand_down: bool,
    /// A read waits for the socket (also one with no read flag, as
    /// `poll_read_chunk`): its readiness registration is left alone.
    reader_waiting: bool,
    /// A wake-up deferred to the end of the connection's own task's poll.
    deferred: bool,
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

/// One look at the socket from the idle flusher task.
pub(crate) fn poll_watch(shared: &Shared, cx: &mut Context<'_>) {
    let err = {
        let mut st = lock(&shared.read);
        if !st
            .watch
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            st.watch.waker = Some(cx.waker().clone());
        }
        if st.reading
            || st.watch.reader_waiting
            || st.watch.stand_down
            || st.rb.exception().is_some()
        {
            return;
        }
        if st.rb.buffered() > 0 {
            st.watch.stand_down = true;
            return;
        }
        let mut slot = lock(&shared.transport);
        let Slot::Open(t) = &mut *slot else {
            return;
        };
        match t.poll_peer_closed(cx) {
            Poll::Pending => return,
            Poll::Ready(Ok(())) => {
                st.watch.stand_down = true;
                // Should a reader have registered for readiness before us
                // (one that had given up its read), it hears of it now.
                if let Some(w) = st.waker.take() {
                    w.wake();
                }
                return;
            }
            Poll::Ready(Err(e)) => e,
        }
    };
    tracing::debug!("the peer closed the connection while no read was pending: {err}");
    shared.lose(Error::connection(err));
    shared.finish_close();
}
