//! The write side of a connection's shared state: sending what its
//! writers queued, from the writer's or reader's own task (inline) or from
//! the connection's flusher task (see `shared`'s module docs for who sends
//! what, and when).

use std::io::{self, IoSlice};
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

use weir_proto::Flush;

use crate::rt::Transport;
use crate::shared::{lock, wake_all, Shared, Slot, WriteState, BUDGET, FLUSH_PENDING, IOVECS};
use crate::{Error, WriteBuffer};

impl Shared {
    /// Sends what is queued from the calling task, without waiting: the
    /// reader calls it before its read waits for the socket, and `write`
    /// when [`Flush::Now`] says so. Whatever cannot go out at once (a full
    /// socket, a TLS record still buffered, a shutdown) is handed to the
    /// connection's flusher task, which waits for the socket with its own
    /// waker.
    pub(crate) fn flush_inline(&self, cx: &mut Context<'_>) {
        // Nothing queued: no lock. A write another task makes after this
        // look wakes the flusher itself (see `StreamWriter::queue`).
        if self.write_flags.load(Ordering::Acquire) & FLUSH_PENDING == 0 {
            return;
        }
        let mut w = self.lock_write();
        if w.wb.flush_decision() == Flush::Idle {
            return;
        }
        self.flush_locked(&mut w, cx);
    }

    /// [`flush_inline`](Self::flush_inline) with the write state already locked.
    pub(crate) fn flush_locked(&self, w: &mut WriteState, cx: &mut Context<'_>) {
        if w.closed || w.error.is_some() || w.inline_blocked {
            return;
        }
        let mut handoff = false;
        if !w.wb.is_empty() {
            let mut slot = lock(&self.transport);
            let Slot::Open(t) = &mut *slot else {
                return;
            };
            for _ in 0..4 {
                let res = write_queued(t.as_mut(), cx, &w.wb);
                match res {
                    Poll::Ready(Ok(n)) if n > 0 && w.wb.advance(n).is_ok() => {
                        w.unflushed = true;
                        if w.wb.is_empty() {
                            break;
                        }
                    }
                    Poll::Pending => {
                        w.inline_blocked = true;
                        break;
                    }
                    Poll::Ready(Err(e)) => {
                        failed_inline(w, e);
                        handoff = true;
                        break;
                    }
                    // A zero-byte write or an overcount: the flusher meets
                    // it again and closes the connection with it.
                    _ => break,
                }
            }
            if w.unflushed && w.wb.is_empty() {
                match t.poll_flush(cx) {
                    Poll::Ready(Ok(())) => w.unflushed = false,
                    _ => handoff = true,
                }
            }
            if !w.wb.is_paused() && !w.drainers.is_empty() {
                wake_all(std::mem::take(&mut w.drainers));
            }
        }
        if !w.wb.is_empty() || handoff || w.wb.flush_decision() != Flush::Idle {
            wake_flusher(w);
        }
    }

    /// Sends the front of `data` straight to the transport, if nothing is
    /// queued before it and the writer is open: returns how many bytes the
    /// transport took (0 when it is full, busy with a handshake, or failed;
    /// the caller queues the rest, and the usual flush meets the socket
    /// again).
    pub(crate) fn write_through(&self, w: &mut WriteState, data: &[u8]) -> usize {
        if !w.wb.is_empty() || w.wb.is_closing() || w.wb.is_eof() || w.inline_blocked {
            return 0;
        }
        let mut slot = lock(&self.transport);
        let Slot::Open(t) = &mut *slot else {
            return 0;
        };
        // No task waits on this write: a full socket is left to the
        // flusher, which polls with its own waker (see `flush_locked`).
        let mut cx = Context::from_waker(Waker::noop());
        let sent = match t.poll_write_vectored(&mut cx, &[IoSlice::new(data)]) {
            Poll::Ready(Ok(n)) if n <= data.len() => n,
            Poll::Ready(Err(e)) => {
                failed_inline(w, e);
                wake_flusher(w);
                return 0;
            }
            _ => return 0,
        };
        if sent > 0 {
            w.unflushed = true;
            if sent == data.len() {
                match t.poll_flush(&mut cx) {
                    Poll::Ready(Ok(())) => w.unflushed = false,
                    _ => wake_flusher(w),
                }
            }
        }
        sent
    }

    /// The flusher task's body: sends what is queued, shuts down, closes.
    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut budget = BUDGET;
        loop {
            let mut w = self.lock_write();
            if w.closed {
                return Poll::Ready(());
            }
            if let Some(e) = w.inline_error.take() {
                drop(w);
                self.lose(Error::connection(e));
                self.finish_close();
                return Poll::Ready(());
            }
            if w.error.is_some() {
                drop(w);
                self.finish_close();
                return Poll::Ready(());
            }
            if !w.wb.is_empty() {
                if budget == 0 {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                budget -= 1;
                let res = {
                    match &mut *lock(&self.transport) {
                        Slot::Open(t) => write_queued(t.as_mut(), cx, &w.wb),
                        Slot::Upgrading => Poll::Pending,
                        _ => Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::NotConnected,
                            "the transport is closed",
                        ))),
                    }
                };
                match res {
                    Poll::Ready(Ok(0)) => {
                        drop(w);
                        self.lose(Error::connection(io::ErrorKind::WriteZero.into()));
                        self.finish_close();
                        return Poll::Ready(());
                    }
                    Poll::Ready(Ok(n)) => {
                        w.unflushed = true;
                        w.inline_blocked = false;
                        if let Err(e) = w.wb.advance(n) {
                            drop(w);
                            self.lose(Error::connection(io::Error::other(format!(
                                "the transport reported more bytes written than it was given: {e}"
                            ))));
                            self.finish_close();
                            return Poll::Ready(());
                        }
                        if !w.wb.is_paused() && !w.drainers.is_empty() {
                            let d = std::mem::take(&mut w.drainers);
                            drop(w);
                            wake_all(d);
                        }
                        continue;
                    }
                    Poll::Ready(Err(e)) => {
                        drop(w);
                        self.lose(Error::connection(e));
                        self.finish_close();
                        return Poll::Ready(());
                    }
                    Poll::Pending => {
                        store(&mut w.flusher, cx);
                        return Poll::Pending;
                    }
                }
            }
            if w.unflushed {
                // A transport with a buffer of its own (TLS records) sends it now.
                let res = self.on_transport(|t| t.poll_flush(cx));
                match res {
                    Poll::Pending => {
                        store(&mut w.flusher, cx);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(())) => w.unflushed = false,
                    Poll::Ready(Err(e)) => {
                        drop(w);
                        self.lose(Error::connection(e));
                        self.finish_close();
                        return Poll::Ready(());
                    }
                }
            }
            if w.wb.wants_shutdown() {
                let res = self.on_transport(|t| match t.poll_flush(cx) {
                    Poll::Ready(Ok(())) => t.poll_shutdown(cx),
                    other => other,
                });
                match res {
                    Poll::Pending => {
                        store(&mut w.flusher, cx);
                        return Poll::Pending;
                    }
                    Poll::Ready(r) => {
                        w.wb.mark_shutdown();
                        if let Err(e) = r {
                            tracing::debug!("shutting down the write side failed: {e}");
                        }
                        continue;
                    }
                }
            }
            if w.wb.is_closing() {
                drop(w);
                self.finish_close();
                return Poll::Ready(());
            }
            if w.handles == 0 && !w.reader_alive {
                // Every handle is gone: send what is queued, then close.
                w.wb.close();
                continue;
            }
            store(&mut w.flusher, cx);
            return Poll::Pending;
        }
    }
}

impl Shared {
    /// `f` on the open transport, for the flusher's flush and shutdown:
    /// `Pending` while `start_tls` holds it (the flusher is woken after),
    /// `Ready(Ok)` once it is gone (nothing is left to flush or shut down).
    fn on_transport(
        &self,
        f: impl FnOnce(&mut dyn Transport) -> Poll<io::Result<()>>,
    ) -> Poll<io::Result<()>> {
        match &mut *lock(&self.transport) {
            Slot::Open(t) => f(t.as_mut()),
            Slot::Upgrading => Poll::Pending,
            _ => Poll::Ready(Ok(())),
        }
    }
}

/// An inline write failed: the flusher loses the connection with the error
/// the socket gave first (a reset, not the broken pipe a retry would get);
/// inline writes stop until then.
fn failed_inline(w: &mut WriteState, e: io::Error) {
    w.inline_blocked = true;
    w.inline_error = Some(e);
}

/// Hands the rest to the flusher task (woken under the write lock, which
/// it takes next).
fn wake_flusher(w: &mut WriteState) {
    if let Some(f) = w.flusher.take() {
        f.wake();
    }
}

/// One vectored write of what `wb` holds. Most flushes send one or two
/// chunks (the coalesced tail, a large write): those skip filling the
/// full-size iovec array.
#[inline]
fn write_queued(
    t: &mut dyn Transport,
    cx: &mut Context<'_>,
    wb: &WriteBuffer,
) -> Poll<io::Result<usize>> {
    let mut few = [IoSlice::new(&[]); 4];
    let k = wb.next_chunks(&mut few);
    if k < few.len() {
        return t.poll_write_vectored(cx, &few[..k]);
    }
    let mut iov = [IoSlice::new(&[]); IOVECS];
    let k = wb.next_chunks(&mut iov);
    t.poll_write_vectored(cx, &iov[..k])
}

/// Keeps `cx`'s waker in `slot`, cloning only when it changed.
fn store(slot: &mut Option<Waker>, cx: &Context<'_>) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *slot = Some(cx.waker().clone());
    }
}
