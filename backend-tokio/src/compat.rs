//! tokio's `AsyncRead`, `AsyncBufRead` and `AsyncWrite` over weir's handles.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};
use weir_stream::{ReadAhead, StreamReader, StreamWriter};

/// How much `poll_fill_buf` asks for at once.
const FILL: usize = 64 * 1024;

/// A [`StreamReader`] as tokio's `AsyncRead` + `AsyncBufRead`, to use with
/// `tokio::io::copy`, codecs and other tokio I/O helpers.
///
/// It owns the reader. Bytes taken by `poll_fill_buf` and not yet consumed
/// live in the adapter: [`into_parts`](Self::into_parts) hands them back.
///
/// # Examples
///
/// ```
/// use tokio::io::AsyncBufReadExt;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let r = weir_stream::StreamReader::new(1024)?;
/// r.feed_data(b"a\nb\n");
/// r.feed_eof();
/// let mut lines = weir_tokio::TokioReader::new(r).lines();
/// assert_eq!(lines.next_line().await?.as_deref(), Some("a"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TokioReader(ReadAhead);

impl TokioReader {
    /// Wraps `reader`.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_tokio::TokioReader::new(weir_stream::StreamReader::new(8)?);
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn new(reader: StreamReader) -> TokioReader {
        TokioReader(ReadAhead::new(reader))
    }

    /// The reader, and the bytes read ahead but not consumed (to handle first).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_tokio::TokioReader::new(weir_stream::StreamReader::new(8)?);
    /// let (reader, ahead) = r.into_parts();
    /// assert!(ahead.is_empty());
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn into_parts(self) -> (StreamReader, Bytes) {
        self.0.into_parts()
    }
}

impl AsyncRead for TokioReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let chunk = ready!(this.0.poll_chunk(cx, buf.remaining()))?;
        let n = chunk.len().min(buf.remaining());
        buf.put_slice(&chunk[..n]);
        this.0.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for TokioReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().0.poll_chunk(cx, FILL)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().0.consume(amt)
    }
}

/// A [`StreamWriter`] as tokio's `AsyncWrite`: `poll_write` waits while the
/// writer is above its high watermark (drain), `poll_flush` until every
/// queued byte reached the socket, `poll_shutdown` half-closes.
///
/// # Examples
///
/// ```no_run
/// use tokio::io::AsyncWriteExt;
/// # async fn demo(w: weir_stream::StreamWriter) -> std::io::Result<()> {
/// let mut w = weir_tokio::TokioWriter::new(w);
/// w.write_all(b"hello\n").await?;
/// w.flush().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TokioWriter {
    inner: StreamWriter,
}

impl TokioWriter {
    /// Wraps `writer`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: weir_stream::StreamWriter) {
    /// let w = weir_tokio::TokioWriter::new(w);
    /// # }
    /// ```
    pub fn new(writer: StreamWriter) -> TokioWriter {
        TokioWriter { inner: writer }
    }

    /// The writer.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo(w: weir_tokio::TokioWriter) {
    /// let writer = w.into_inner();
    /// # }
    /// ```
    pub fn into_inner(self) -> StreamWriter {
        self.inner
    }
}

impl AsyncWrite for TokioWriter {
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

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(ready!(self.inner.poll_shutdown(cx))?))
    }
}
