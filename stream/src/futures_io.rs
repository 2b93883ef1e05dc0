//! weir over the `futures-io` traits (feature `futures-io`): one
//! implementation for smol, async-std and any other futures-io runtime.
//!
//! - [`FuturesTransport`] turns any `futures_io::AsyncRead + AsyncWrite`
//!   stream into a weir [`Transport`], with the addresses it reports and the
//!   call that half-closes it.
//! - [`FuturesReader`] and [`FuturesWriter`] turn weir's [`StreamReader`] and
//!   [`StreamWriter`] into `futures_io::AsyncRead + AsyncBufRead` and
//!   `futures_io::AsyncWrite`, for `futures::io::copy`, codecs and
//!   `futures-lite`'s extension traits.
//!
//! With feature `async-io`, `weir_stream::async_io` adds the sockets smol and
//! async-std share.
//!
//! # Examples
//!
//! ```
//! use futures_lite::io::AsyncBufReadExt;
//! use futures_lite::StreamExt;
//! # futures_lite::future::block_on(async {
//! let r = weir_stream::StreamReader::new(1024)?;
//! r.feed_data(b"one\ntwo\n");
//! r.feed_eof();
//! let lines: Vec<String> = weir_stream::futures_io::FuturesReader::new(r)
//!     .lines()
//!     .try_collect()
//!     .await?;
//! assert_eq!(lines, ["one", "two"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

use crate::rt::{ExtraInfo, Transport};
use crate::{ReadAhead, StreamReader, StreamWriter};

/// How much `poll_fill_buf` asks for at once.
const FILL: usize = 64 * 1024;

/// Any futures-io byte stream as a weir [`Transport`].
///
/// `write_eof` flushes and then calls the stream's `poll_close`, unless a
/// [`with_shutdown`](Self::with_shutdown) call says how to shut down only the
/// write side (for a socket, `shutdown(Shutdown::Write)`: async-io's
/// `poll_close` only flushes).
///
/// # Examples
///
/// ```
/// use weir_stream::futures_io::FuturesTransport;
/// use weir_stream::rt::{ExtraInfo, Transport};
/// let io = futures_lite::io::Cursor::new(Vec::<u8>::new());
/// let t: Box<dyn Transport> = Box::new(FuturesTransport::new(io, ExtraInfo::default()));
/// assert!(t.can_write_eof());
/// ```
pub struct FuturesTransport<T> {
    io: T,
    info: ExtraInfo,
    shutdown: Option<fn(&T) -> io::Result<()>>,
    abort: Option<fn(&T)>,
    peer_check: Option<PeerCheck<T>>,
}

/// How a [`FuturesTransport`] checks for a dead peer without reading: see
/// [`Transport::poll_peer_closed`].
pub type PeerCheck<T> = fn(&T, &mut Context<'_>) -> Poll<io::Result<()>>;

impl<T> fmt::Debug for FuturesTransport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuturesTransport")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl<T> FuturesTransport<T>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Wraps `io`, which reports `info` (asyncio's `get_extra_info`).
    ///
    /// # Examples
    ///
    /// ```
    /// let io = futures_lite::io::Cursor::new(Vec::<u8>::new());
    /// let t = weir_stream::futures_io::FuturesTransport::new(io, Default::default());
    /// # let _ = t;
    /// ```
    pub fn new(io: T, info: ExtraInfo) -> FuturesTransport<T> {
        FuturesTransport {
            io,
            info,
            shutdown: None,
            abort: None,
            peer_check: None,
        }
    }

    /// Half-closes with `f` (after a flush) instead of `poll_close`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::{Shutdown, TcpStream};
    /// use async_io::Async;
    /// use weir_stream::futures_io::FuturesTransport;
    /// fn wrap(s: Async<TcpStream>) -> FuturesTransport<Async<TcpStream>> {
    ///     FuturesTransport::new(s, Default::default())
    ///         .with_shutdown(|s| s.get_ref().shutdown(Shutdown::Write))
    /// }
    /// ```
    pub fn with_shutdown(mut self, f: fn(&T) -> io::Result<()>) -> Self {
        self.shutdown = Some(f);
        self
    }

    /// Runs `f` on [`Transport::abort`] (for a socket: `SO_LINGER` 0, so
    /// closing resets the connection as asyncio's `abort` does).
    ///
    /// # Examples
    ///
    /// ```
    /// let io = futures_lite::io::Cursor::new(Vec::<u8>::new());
    /// let t = weir_stream::futures_io::FuturesTransport::new(io, Default::default())
    ///     .with_abort(|_| {});
    /// # let _ = t;
    /// ```
    pub fn with_abort(mut self, f: fn(&T)) -> Self {
        self.abort = Some(f);
        self
    }

    /// Checks for a dead peer with `f` while no read is pending
    /// ([`Transport::poll_peer_closed`]); without it, a reset is noticed at
    /// the next read or write.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::Poll;
    /// let io = futures_lite::io::Cursor::new(Vec::<u8>::new());
    /// let t = weir_stream::futures_io::FuturesTransport::new(io, Default::default())
    ///     .with_peer_check(|_, _| Poll::Pending);
    /// # let _ = t;
    /// ```
    pub fn with_peer_check(mut self, f: PeerCheck<T>) -> Self {
        self.peer_check = Some(f);
        self
    }
}

impl<T> Transport for FuturesTransport<T>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // One buffer (the usual coalesced batch of small writes): a plain
        // send, which skips the kernel's vectored-write path (iovec import,
        // VFS accounting) that writev takes even for one buffer.
        match bufs {
            [one] => Pin::new(&mut self.io).poll_write(cx, one),
            _ => Pin::new(&mut self.io).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.shutdown {
            Some(f) => {
                ready!(Pin::new(&mut self.io).poll_flush(cx))?;
                Poll::Ready(f(&self.io))
            }
            None => Pin::new(&mut self.io).poll_close(cx),
        }
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn extra_info(&self) -> ExtraInfo {
        self.info.clone()
    }

    fn abort(&mut self) {
        if let Some(f) = self.abort {
            f(&self.io)
        }
    }

    fn poll_peer_closed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.peer_check {
            Some(f) => f(&self.io, cx),
            None => Poll::Pending,
        }
    }
}

/// A [`StreamReader`] as `futures_io::AsyncRead` + `AsyncBufRead`, to use
/// with `futures::io::copy`, `lines()` and other futures-io helpers.
///
/// It owns the reader. Bytes taken by `poll_fill_buf` and not yet consumed
/// live in the adapter: [`into_parts`](Self::into_parts) hands them back.
///
/// # Examples
///
/// ```
/// use futures_lite::io::AsyncReadExt;
/// # futures_lite::future::block_on(async {
/// let r = weir_stream::StreamReader::new(1024)?;
/// r.feed_data(b"abc");
/// r.feed_eof();
/// let mut s = String::new();
/// weir_stream::futures_io::FuturesReader::new(r).read_to_string(&mut s).await?;
/// assert_eq!(s, "abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct FuturesReader(ReadAhead);

impl FuturesReader {
    /// Wraps `reader`.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_stream::futures_io::FuturesReader::new(weir_stream::StreamReader::new(8)?);
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn new(reader: StreamReader) -> FuturesReader {
        FuturesReader(ReadAhead::new(reader))
    }

    /// The reader, and the bytes read ahead but not consumed (to handle first).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_stream::futures_io::FuturesReader::new(weir_stream::StreamReader::new(8)?);
    /// let (reader, ahead) = r.into_parts();
    /// assert!(ahead.is_empty());
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn into_parts(self) -> (StreamReader, Bytes) {
        self.0.into_parts()
    }
}

impl AsyncRead for FuturesReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().0.poll_copy(cx, buf)
    }
}

impl AsyncBufRead for FuturesReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().0.poll_chunk(cx, FILL)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().0.consume(amt)
    }
}

/// A [`StreamWriter`] as `futures_io::AsyncWrite`: `poll_write` waits while
/// the writer is above its high watermark (drain), `poll_flush` until every
/// queued byte reached the socket, `poll_close` half-closes (or closes, when
/// the transport cannot half-close) and waits for the queue to go out.
///
/// # Examples
///
/// ```no_run
/// use futures_lite::io::AsyncWriteExt;
/// # async fn demo(w: weir_stream::StreamWriter) -> std::io::Result<()> {
/// let mut w = weir_stream::futures_io::FuturesWriter::new(w);
/// w.write_all(b"hello\n").await?;
/// w.flush().await?;
/// w.close().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FuturesWriter {
    inner: StreamWriter,
}

impl FuturesWriter {
    /// Wraps `writer`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: weir_stream::StreamWriter) {
    /// let w = weir_stream::futures_io::FuturesWriter::new(w);
    /// # }
    /// ```
    pub fn new(writer: StreamWriter) -> FuturesWriter {
        FuturesWriter { inner: writer }
    }

    /// The writer.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: weir_stream::futures_io::FuturesWriter) {
    /// let writer = w.into_inner();
    /// # }
    /// ```
    pub fn into_inner(self) -> StreamWriter {
        self.inner
    }
}

impl AsyncWrite for FuturesWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(ready!(self.inner.poll_write_all(cx, buf))?))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(ready!(self.inner.poll_flush(cx))?))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(ready!(self.inner.poll_shutdown(cx))?))
    }
}

/// A read-only futures-io object (a pipe's read end, a child's stdout) as a
/// weir [`Transport`]: it refuses writes and cannot write EOF. What
/// `reader_from` wraps on smol and async-std.
///
/// # Examples
///
/// ```
/// use weir_stream::futures_io::FuturesReadTransport;
/// use weir_stream::rt::Transport;
/// let t: Box<dyn Transport> = Box::new(FuturesReadTransport::new(futures_lite::io::empty()));
/// assert!(!t.can_write_eof());
/// ```
pub struct FuturesReadTransport<R> {
    io: R,
}

impl<R> fmt::Debug for FuturesReadTransport<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuturesReadTransport")
            .finish_non_exhaustive()
    }
}

impl<R: AsyncRead + Unpin + Send + 'static> FuturesReadTransport<R> {
    /// Wraps `io`.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = weir_stream::futures_io::FuturesReadTransport::new(futures_lite::io::empty());
    /// # let _ = t;
    /// ```
    pub fn new(io: R) -> FuturesReadTransport<R> {
        FuturesReadTransport { io }
    }
}

impl<R: AsyncRead + Unpin + Send + 'static> Transport for FuturesReadTransport<R> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }

    fn poll_write_vectored(
        &mut self,
        _cx: &mut Context<'_>,
        _bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(read_only()))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn can_write_eof(&self) -> bool {
        false
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}

/// The error a write to a read-only transport fails with.
pub(crate) fn read_only() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "this stream was made from a reader only; it takes no writes",
    )
}

/// A write-only futures-io object (a pipe's write end, a child's stdin) as a
/// weir [`Transport`]. `write_eof` flushes, closes and drops the object, so
/// the reading end sees EOF even when `poll_close` only flushes (async-io's
/// `Async`). Reads see EOF. What `writer_from` wraps on smol and async-std.
///
/// # Examples
///
/// ```
/// use weir_stream::futures_io::FuturesWriteTransport;
/// use weir_stream::rt::Transport;
/// let t: Box<dyn Transport> = Box::new(FuturesWriteTransport::new(futures_lite::io::sink()));
/// assert!(t.can_write_eof());
/// ```
pub struct FuturesWriteTransport<W> {
    io: Option<W>,
}

impl<W> fmt::Debug for FuturesWriteTransport<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuturesWriteTransport")
            .field("open", &self.io.is_some())
            .finish()
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> FuturesWriteTransport<W> {
    /// Wraps `io`.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = weir_stream::futures_io::FuturesWriteTransport::new(futures_lite::io::sink());
    /// # let _ = t;
    /// ```
    pub fn new(io: W) -> FuturesWriteTransport<W> {
        FuturesWriteTransport { io: Some(io) }
    }
}

/// The error a write after `write_eof` on a write-only transport fails with.
pub(crate) fn shut_down() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the write side was shut down")
}

impl<W: AsyncWrite + Unpin + Send + 'static> Transport for FuturesWriteTransport<W> {
    fn poll_read(&mut self, _cx: &mut Context<'_>, _buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.io {
            Some(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            None => Poll::Ready(Err(shut_down())),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.io {
            Some(io) => Pin::new(io).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(io) = &mut self.io else {
            return Poll::Ready(Ok(()));
        };
        let res = ready!(Pin::new(io).poll_close(cx));
        self.io = None;
        Poll::Ready(res)
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}
