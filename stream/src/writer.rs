//! `StreamWriter`: asyncio's `StreamWriter`, a cheap cloneable handle.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;

use super::shared::{lock, register, Shared, WriteGuard, WriteState, DRAIN_READY, FLUSH_PENDING};
use crate::rt::{BoxFuture, ExtraInfo};
use crate::Error;
use weir_proto::{Flush, FLUSH_NOW_AT};

/// The writing half of a connection: asyncio's `StreamWriter`.
///
/// `write` queues bytes synchronously (one call's bytes are never
/// interleaved with another's) and wakes the connection's flusher task,
/// which sends everything queued as one vectored write per wake-up, whether
/// or not anyone awaits [`drain`](Self::drain). `drain` is flow control: it
/// returns at once unless more than the high watermark (64 KiB) is queued,
/// and then waits until the queue drops to the low watermark (16 KiB).
///
/// Clone it to write from several tasks. Call order to finish:
/// [`write_eof`](Self::write_eof) (optional half-close), then
/// [`close`](Self::close) and [`wait_closed`](Self::wait_closed). Dropping
/// every handle and the reader also closes, after sending what is queued.
///
/// `StreamWriter` and `&StreamWriter` are also a `futures::Sink<Bytes>`
/// (`poll_ready` is `drain`, `start_send` is `write_bytes`, `poll_close`
/// is `close` + `wait_closed`), for `SinkExt::send`, `send_all` and
/// `StreamExt::forward`.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(writer: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
/// writer.write(b"HELLO\r\n")?;
/// writer.drain().await?;
/// writer.close();
/// writer.wait_closed().await?;
/// # Ok(()) }
/// ```
pub struct StreamWriter {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.shared.lock_write();
        f.debug_struct("StreamWriter")
            .field("buffer", &w.wb)
            .field("closed", &w.closed)
            .field("error", &w.error)
            .field("extra_info", &*lock(&self.shared.info))
            .finish()
    }
}

impl Clone for StreamWriter {
    fn clone(&self) -> Self {
        self.shared.lock_write().handles += 1;
        StreamWriter {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        let f = {
            let mut w = self.shared.lock_write();
            w.handles -= 1;
            if w.handles == 0 && !w.reader_alive {
                w.flusher.take()
            } else {
                None
            }
        };
        if let Some(f) = f {
            f.wake();
        }
    }
}

/// Why a write was refused: the connection's error, or closed.
#[cold]
#[inline(never)]
fn refused(w: &WriteState) -> Error {
    match &w.error {
        Some(e) => e.clone(),
        None => Error::WriterClosed,
    }
}

impl StreamWriter {
    /// Runs `f` on the write state if the connection still takes writes,
    /// then sees that the bytes will leave (see `shared`'s module docs).
    #[inline]
    fn queue(&self, f: impl FnOnce(&mut WriteState) -> Result<(), Error>) -> Result<(), Error> {
        let mut w = self.shared.lock_write();
        if w.error.is_some() || w.closed {
            return Err(refused(&w));
        }
        f(&mut w)?;
        let decision = w.wb.flush_decision();
        if decision == Flush::Idle {
            // Nothing queued (a write sent through, or an empty one).
            return Ok(());
        }
        if decision == Flush::BeforeRead && self.shared.in_own_task() {
            // The common case: the connection's own task sends them when
            // its poll ends. Bytes are queued, below the high watermark
            // (else the decision would be `Now`), and the writer is open
            // (no error or close before `f`, which neither fails the
            // connection nor closes it, and succeeded).
            w.release_known(FLUSH_PENDING | DRAIN_READY);
            return Ok(());
        }
        self.after_queue(w, decision);
        Ok(())
    }

    /// The rest of [`queue`](Self::queue), for a write that must be sent
    /// now or was made outside the connection's own task: send at once, or
    /// make sure the flusher will.
    #[inline(never)]
    fn after_queue(&self, mut w: WriteGuard<'_>, decision: Flush) {
        let flusher = if decision == Flush::Now {
            // Enough for a segment train (or a shutdown is due): send it
            // from here at once, as a BufWriter writes a large line
            // through, so the peer gets it while we go on parsing.
            let mut cx = Context::from_waker(Waker::noop());
            self.shared.flush_locked(&mut w, &mut cx);
            None
        } else {
            // Outside the connection's own task (`queue` returned early in
            // it), small writes wait for the reader to flush them before it
            // next waits for input; the flusher sends them if no read comes.
            w.flusher.take()
        };
        drop(w);
        if let Some(f) = flusher {
            f.wake();
        }
    }

    /// Queues `data` to be sent (asyncio's `write`); never blocks.
    ///
    /// # Errors
    ///
    /// The connection's error once it is lost; [`Error::WriterClosed`] after
    /// [`close`](Self::close); [`Error::WriteAfterEof`] after
    /// [`write_eof`](Self::write_eof). The bytes are then not queued.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// w.write(b"PING\r\n")?;
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn write(&self, data: impl AsRef<[u8]>) -> Result<(), Error> {
        self.write_slice(data.as_ref())
    }

    #[inline]
    fn write_slice(&self, data: &[u8]) -> Result<(), Error> {
        if data.len() >= FLUSH_NOW_AT {
            return self.write_large(data);
        }
        self.queue(|w| w.wb.write(data))
    }

    /// A write that would be sent at once anyway: with nothing queued
    /// before it, the transport takes what it can straight from `data`
    /// (a `BufWriter`'s write-through), and only the rest is copied.
    #[inline(never)]
    fn write_large(&self, data: &[u8]) -> Result<(), Error> {
        self.queue(|w| {
            let sent = self.shared.write_through(w, data);
            w.wb.write(&data[sent..])
        })
    }

    /// Queues a `Bytes` without copying it when it is large.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// w.write_bytes(bytes::Bytes::from(vec![0u8; 1 << 20]))?;
    /// # Ok(()) }
    /// ```
    pub fn write_bytes(&self, data: Bytes) -> Result<(), Error> {
        self.queue(|w| w.wb.write_bytes(data))
    }

    /// Queues several buffers as one write (asyncio's `writelines`); flow
    /// control applies as to `write`.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// w.write_lines([&b"a\n"[..], b"b\n"])?;
    /// # Ok(()) }
    /// ```
    pub fn write_lines<I, B>(&self, lines: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.queue(|w| w.wb.write_lines(lines))
    }

    /// Waits while the write buffer is above its high watermark (asyncio's
    /// `drain`): returns at once below it, else once it drops to the low one.
    /// Any number of tasks may wait at once.
    ///
    /// # Errors
    ///
    /// The connection's error once it is lost; [`Error::WriterClosed`] once
    /// the writer is closed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(w: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// for _ in 0..1000 {
    ///     w.write(&[0u8; 1024])?;
    ///     w.drain().await?; // bounded memory
    /// }
    /// # Ok(()) }
    /// ```
    pub fn drain(&self) -> Drain<'_> {
        Drain { writer: self }
    }

    /// Shuts down the write direction once queued bytes are sent
    /// (asyncio's `write_eof`); the peer reads EOF and may still answer.
    ///
    /// # Errors
    ///
    /// [`Error::WriterClosed`] after `close`; the connection's error;
    /// [`Error::InvalidArgument`] if the transport cannot half-close.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(r: weir_stream::StreamReader, w: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// w.write(b"request")?;
    /// w.write_eof()?;
    /// let answer = r.read_to_end().await?;
    /// # Ok(()) }
    /// ```
    pub fn write_eof(&self) -> Result<(), Error> {
        if !self.shared.can_write_eof.load(Ordering::Acquire) {
            return Err(Error::InvalidArgument(
                "write_eof: this transport cannot half-close; use close",
            ));
        }
        self.queue(|w| w.wb.write_eof())
    }

    /// Whether [`write_eof`](Self::write_eof) is supported (asyncio's `can_write_eof`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) {
    /// assert!(w.can_write_eof()); // TCP and Unix sockets can
    /// # }
    /// ```
    pub fn can_write_eof(&self) -> bool {
        self.shared.can_write_eof.load(Ordering::Acquire)
    }

    /// Closes the connection after sending every queued byte (asyncio's
    /// `close`); the reader then sees EOF. Calling it again does nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) {
    /// w.close();
    /// assert!(w.is_closing());
    /// # }
    /// ```
    pub fn close(&self) {
        self.shared.close();
    }

    /// Closes at once, dropping queued bytes and resetting the connection
    /// (asyncio's `transport.abort()`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) {
    /// w.abort();
    /// assert!(w.is_closing());
    /// # }
    /// ```
    pub fn abort(&self) {
        self.shared.abort();
    }

    /// True once closing started or the connection is gone (asyncio's `is_closing`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) {
    /// assert!(!w.is_closing());
    /// # }
    /// ```
    pub fn is_closing(&self) -> bool {
        let w = self.shared.lock_write();
        w.wb.is_closing() || w.closed || w.error.is_some()
    }

    /// Waits until the connection is closed (asyncio's `wait_closed`).
    ///
    /// # Errors
    ///
    /// The connection's error, if it was lost instead of closed: then not
    /// every queued byte was sent.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(w: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// w.close();
    /// w.wait_closed().await?; // every queued byte was sent
    /// # Ok(()) }
    /// ```
    pub fn wait_closed(&self) -> WaitClosed<'_> {
        WaitClosed {
            writer: self,
            timer: None,
        }
    }

    /// [`wait_closed`](Self::wait_closed), bounded by `timeout`.
    ///
    /// # Errors
    ///
    /// As `wait_closed`; a `TimedOut` connection error when `timeout` passes
    /// first (the connection is left as it is: call `abort` to force it).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(w: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// w.close();
    /// if w.wait_closed_timeout(std::time::Duration::from_secs(5)).await.is_err() {
    ///     w.abort();
    /// }
    /// # Ok(()) }
    /// ```
    pub fn wait_closed_timeout(&self, timeout: Duration) -> WaitClosed<'_> {
        WaitClosed {
            writer: self,
            timer: self
                .shared
                .rt
                .as_ref()
                .map(|rt| (rt.sleep_dyn(timeout), timeout)),
        }
    }

    /// Sets the watermarks (asyncio's `transport.set_write_buffer_limits`):
    /// `high` defaults to 64 KiB (or 4 × `low`), `low` to `high / 4`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidWatermarks`] unless high ≥ low.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
    /// w.set_write_buffer_limits(Some(1 << 20), None)?;
    /// assert_eq!(w.write_buffer_limits(), (1 << 18, 1 << 20));
    /// assert!(w.set_write_buffer_limits(Some(1), Some(2)).is_err());
    /// # Ok(()) }
    /// ```
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), Error> {
        let mut w = self.shared.lock_write();
        w.wb.set_write_buffer_limits(high, low)?;
        if !w.wb.is_paused() {
            super::shared::wake_all(std::mem::take(&mut w.drainers));
        }
        Ok(())
    }

    /// The watermarks as `(low, high)` (asyncio's `get_write_buffer_limits`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) {
    /// assert_eq!(w.write_buffer_limits(), (16 * 1024, 64 * 1024));
    /// # }
    /// ```
    pub fn write_buffer_limits(&self) -> (usize, usize) {
        self.shared.lock_write().wb.write_buffer_limits()
    }

    /// Bytes queued and not yet taken by the socket (asyncio's
    /// `transport.get_write_buffer_size`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) {
    /// let queued = w.write_buffer_size();
    /// # }
    /// ```
    pub fn write_buffer_size(&self) -> usize {
        self.shared.lock_write().wb.len()
    }

    /// Ready once every queued byte was handed to the transport, for
    /// `AsyncWrite::poll_flush` adapters; registers `cx` otherwise.
    ///
    /// # Errors
    ///
    /// The connection's error once it is lost.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter, cx: &mut std::task::Context<'_>) {
    /// let _ = w.poll_flush(cx);
    /// # }
    /// ```
    pub fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut w = self.shared.lock_write();
        if let Some(e) = &w.error {
            return Poll::Ready(Err(e.clone()));
        }
        if w.closed || w.wb.is_empty() {
            return Poll::Ready(Ok(()));
        }
        register(&mut w.drainers, cx);
        Poll::Pending
    }

    /// Waits while the writer is above its high watermark, then queues all
    /// of `buf`: `AsyncWrite::poll_write` for adapters (tokio's, futures-io's).
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write) and [`drain`](Self::drain).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter, cx: &mut std::task::Context<'_>) {
    /// let _ = w.poll_write_all(cx, b"hello\n");
    /// # }
    /// ```
    pub fn poll_write_all(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, Error>> {
        if Pin::new(&mut self.drain()).poll(cx)?.is_pending() {
            return Poll::Pending;
        }
        self.write(buf)?;
        Poll::Ready(Ok(buf.len()))
    }

    /// Half-closes ([`write_eof`](Self::write_eof)) on the first call, or
    /// closes if the transport cannot, then waits until the queue went out:
    /// `AsyncWrite::poll_shutdown` / `poll_close` for adapters. Calling it
    /// again only waits.
    ///
    /// # Errors
    ///
    /// The connection's error once it is lost.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter, cx: &mut std::task::Context<'_>) {
    /// let _ = w.poll_shutdown(cx);
    /// # }
    /// ```
    pub fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let done = {
            let w = self.shared.lock_write();
            w.closed || w.wb.is_eof()
        };
        if !done {
            if self.can_write_eof() {
                self.write_eof()?;
            } else {
                self.close();
            }
        }
        self.poll_flush(cx)
    }

    /// Addresses and socket of the connection (asyncio's `get_extra_info`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: &weir_stream::StreamWriter) {
    /// println!("peer: {:?}", w.extra_info().peer_addr);
    /// # }
    /// ```
    pub fn extra_info(&self) -> ExtraInfo {
        lock(&self.shared.info).clone()
    }
}

/// Waits for the writer's queue to drop to the low watermark: see
/// [`StreamWriter::drain`].
///
/// # Examples
///
/// ```no_run
/// # async fn demo(w: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
/// let d = w.drain();
/// d.await?;
/// # Ok(()) }
/// ```
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Drain<'a> {
    writer: &'a StreamWriter,
}

impl Future for Drain<'_> {
    type Output = Result<(), Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The common case, lock-free: below the high watermark and open.
        if self.writer.shared.write_flags.load(Ordering::Acquire) & DRAIN_READY != 0 {
            return Poll::Ready(Ok(()));
        }
        self.writer.poll_drain_slow(cx)
    }
}

impl StreamWriter {
    /// `drain` when the lock-free check did not settle it.
    #[inline(never)]
    fn poll_drain_slow(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut w = self.shared.lock_write();
        if let Some(e) = &w.error {
            return Poll::Ready(Err(e.clone()));
        }
        if w.closed || w.wb.is_closing() {
            return Poll::Ready(Err(Error::WriterClosed));
        }
        if !w.wb.is_paused() {
            return Poll::Ready(Ok(()));
        }
        register(&mut w.drainers, cx);
        Poll::Pending
    }
}

/// Waits until the connection is closed: see [`StreamWriter::wait_closed`].
///
/// # Examples
///
/// ```no_run
/// # async fn demo(w: weir_stream::StreamWriter) -> Result<(), weir_stream::Error> {
/// w.close();
/// let done = w.wait_closed();
/// done.await?;
/// # Ok(()) }
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct WaitClosed<'a> {
    writer: &'a StreamWriter,
    timer: Option<(BoxFuture, Duration)>,
}

impl fmt::Debug for WaitClosed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitClosed")
            .field("timeout", &self.timer.as_ref().map(|t| t.1))
            .finish()
    }
}

impl Future for WaitClosed<'_> {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        {
            let mut w = this.writer.shared.lock_write();
            if w.closed {
                return Poll::Ready(match &w.error {
                    Some(e) => Err(e.clone()),
                    None => Ok(()),
                });
            }
            register(&mut w.closers, cx);
        }
        if let Some((timer, d)) = &mut this.timer {
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(Error::connection(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("wait_closed: the connection did not close within {d:?}"),
                ))));
            }
        }
        Poll::Pending
    }
}
