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

use std::task::{Context, Poll};

use crate::shared::{lock, Shared, Slot};
use crate::Error;

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
