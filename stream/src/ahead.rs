//! `ReadAhead`: the state behind every `AsyncRead` / `AsyncBufRead` adapter
//! (tokio's, futures-io's), written once.

use std::io;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};

use super::StreamReader;

/// A [`StreamReader`] and the chunk read ahead of the caller: what an
/// `AsyncBufRead` adapter keeps between `poll_fill_buf` and `consume`.
///
/// Reading through it bypasses the one-read-at-a-time flag: it owns the
/// reader. [`into_parts`](Self::into_parts) hands back the reader and the
/// bytes read ahead but not consumed, so none is lost.
///
/// # Examples
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// use weir_stream::{ReadAhead, StreamReader};
/// let r = StreamReader::new(1024)?;
/// r.feed_data(b"hello");
/// let mut ahead = ReadAhead::new(r);
/// let mut cx = Context::from_waker(Waker::noop());
/// let Poll::Ready(Ok(chunk)) = ahead.poll_chunk(&mut cx, 64) else { unreachable!() };
/// assert_eq!(chunk, b"hello");
/// ahead.consume(2);
/// let (_reader, rest) = ahead.into_parts();
/// assert_eq!(&rest[..], b"llo");
/// # Ok::<(), weir_stream::Error>(())
/// ```
#[derive(Debug)]
pub struct ReadAhead {
    inner: StreamReader,
    chunk: Bytes,
}

impl ReadAhead {
    /// Wraps `reader`, with nothing read ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = weir_stream::ReadAhead::new(weir_stream::StreamReader::new(8)?);
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn new(reader: StreamReader) -> ReadAhead {
        ReadAhead {
            inner: reader,
            chunk: Bytes::new(),
        }
    }

    /// The reader, and the bytes read ahead but not consumed (to handle first).
    ///
    /// # Examples
    ///
    /// ```
    /// let a = weir_stream::ReadAhead::new(weir_stream::StreamReader::new(8)?);
    /// let (reader, ahead) = a.into_parts();
    /// assert!(ahead.is_empty());
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn into_parts(self) -> (StreamReader, Bytes) {
        (self.inner, self.chunk)
    }

    /// The bytes read ahead, reading up to `max` more first if none are
    /// left (`AsyncBufRead::poll_fill_buf`). Empty means EOF (or `max` 0).
    ///
    /// # Errors
    ///
    /// The connection's error.
    ///
    /// # Examples
    ///
    /// See [`ReadAhead`].
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>, max: usize) -> Poll<io::Result<&[u8]>> {
        if self.chunk.is_empty() && max > 0 {
            self.chunk = ready!(self.inner.poll_read_chunk(cx, max))?;
        }
        Poll::Ready(Ok(&self.chunk[..]))
    }

    /// Marks `n` bytes of the chunk as used (`AsyncBufRead::consume`);
    /// more than there are is the same as all.
    ///
    /// # Examples
    ///
    /// See [`ReadAhead`].
    pub fn consume(&mut self, n: usize) {
        self.chunk.advance(n.min(self.chunk.len()));
    }

    /// Copies into `buf` what is read ahead, reading first if nothing is
    /// (`AsyncRead::poll_read`); returns how many bytes, 0 at EOF.
    ///
    /// # Errors
    ///
    /// The connection's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"abc");
    /// let mut a = weir_stream::ReadAhead::new(r);
    /// let mut buf = [0u8; 2];
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(matches!(a.poll_copy(&mut cx, &mut buf), Poll::Ready(Ok(2))));
    /// assert_eq!(&buf, b"ab");
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn poll_copy(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let chunk = ready!(self.poll_chunk(cx, buf.len()))?;
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}
