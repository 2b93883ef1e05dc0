//! `StreamReader`: asyncio's `StreamReader`, async, over a transport.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use super::shared::{lock, Shared, Slot};
use crate::{Error, IntoSeparators, ReadBuffer, Separators, Step};

/// The reading half of a connection: asyncio's `StreamReader`.
///
/// Reads take `&self` and return futures. One read may wait for data at a
/// time: a second read started while one waits fails with
/// [`Error::ConcurrentRead`] (asyncio's `RuntimeError`), leaving the first
/// untouched; as in CPython, `read(0)` and `read_exactly(0)` return empty
/// at once even then. Every read future is cancel-safe: all state lives in the
/// reader's buffer, so dropping a future at any point loses no byte.
///
/// Data is read from the transport inline, by the read that needs it, in
/// chunks that start at 4 KiB and grow to 64 KiB while the peer keeps them
/// full. A read that waits with nothing buffered gives the buffer back (the
/// next bytes are read into a per-thread scratch buffer and only they are
/// kept), so an idle connection holds no read buffer.
///
/// A reader made with [`StreamReader::new`] is bound to no socket and is fed
/// by hand with [`feed_data`](Self::feed_data), [`feed_eof`](Self::feed_eof)
/// and [`set_exception`](Self::set_exception), as asyncio allows.
///
/// Dropping the reader together with every [`StreamWriter`](super::StreamWriter)
/// handle closes the connection once queued bytes are sent.
///
/// # Examples
///
/// ```
/// use weir_stream::StreamReader;
/// # futures_lite::future::block_on(async {
/// let reader = StreamReader::new(64 * 1024)?;
/// reader.feed_data(b"PING\r\nrest");
/// reader.feed_eof();
/// assert_eq!(reader.read_line().await?, &b"PING\r\n"[..]);
/// assert_eq!(reader.read_to_end().await?, &b"rest"[..]);
/// assert!(reader.at_eof());
/// # Ok::<(), weir_stream::Error>(())
/// # }).unwrap();
/// ```
pub struct StreamReader {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.shared.read);
        f.debug_struct("StreamReader")
            .field("buffer", &st.rb)
            .field("reading", &st.reading)
            .finish()
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        let f = {
            let mut w = self.shared.lock_write();
            w.reader_alive = false;
            if w.handles == 0 {
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

impl StreamReader {
    /// A reader bound to no socket, fed by hand (asyncio's
    /// `StreamReader(limit=...)`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] if `limit` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_stream::StreamReader;
    /// assert!(StreamReader::new(0).is_err());
    /// assert_eq!(StreamReader::new(100)?.limit(), 100);
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn new(limit: usize) -> Result<StreamReader, Error> {
        let rb = ReadBuffer::new(limit)?;
        Ok(StreamReader {
            shared: Arc::new(Shared::new(rb, Slot::Unbound, None, 0)),
        })
    }

    /// Up to `n` bytes (asyncio's `read(n)`): empty at once for `n == 0`,
    /// else waits for at least one byte; empty at EOF.
    ///
    /// # Errors
    ///
    /// The connection's error; [`Error::ConcurrentRead`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"abcdef");
    /// assert_eq!(r.read(4).await?, &b"abcd"[..]);
    /// assert_eq!(r.read(4).await?, &b"ef"[..]);
    /// # Ok::<(), weir_stream::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read(&self, n: usize) -> ReadFuture<'_> {
        self.op(Op::Read(n))
    }

    /// Everything until EOF (asyncio's `read()` / `read(-1)`).
    ///
    /// # Errors
    ///
    /// The connection's error; [`Error::ConcurrentRead`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"all of it");
    /// r.feed_eof();
    /// assert_eq!(r.read_to_end().await?, &b"all of it"[..]);
    /// # Ok::<(), weir_stream::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read_to_end(&self) -> ReadFuture<'_> {
        self.op(Op::ToEnd)
    }

    /// One line through `\n` (asyncio's `readline`); at EOF the partial
    /// line, then empty.
    ///
    /// # Errors
    ///
    /// [`Error::LineTooLong`] past the limit (the line is dropped, as
    /// CPython); the connection's error; [`Error::ConcurrentRead`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"one\ntwo");
    /// r.feed_eof();
    /// assert_eq!(r.read_line().await?, &b"one\n"[..]);
    /// assert_eq!(r.read_line().await?, &b"two"[..]);
    /// assert!(r.read_line().await?.is_empty());
    /// # Ok::<(), weir_stream::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read_line(&self) -> ReadFuture<'_> {
        self.op(Op::Line)
    }

    /// Exactly `n` bytes (asyncio's `readexactly`).
    ///
    /// # Errors
    ///
    /// [`Error::IncompleteRead`] if EOF comes first; the connection's error;
    /// [`Error::ConcurrentRead`].
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"abc");
    /// r.feed_eof();
    /// assert_eq!(r.read_exactly(2).await?, &b"ab"[..]);
    /// assert!(r.read_exactly(2).await.is_err());
    /// # Ok::<(), weir_stream::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read_exactly(&self, n: usize) -> ReadFuture<'_> {
        self.op(Op::Exactly(n))
    }

    /// Bytes through `sep`, which is included (asyncio's `readuntil`).
    ///
    /// `sep` is bytes (`b"\r\n"`, `&str`, `Vec<u8>`, [`Bytes`], ...) or a
    /// [`Separators`], by reference or by value (see [`IntoSeparators`]).
    /// Bytes are compiled once per call; a `&Separators` kept across calls
    /// is used as it is (nothing is built or cloned), the way to go in a
    /// loop.
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`]; [`Error::LimitOverrun`] (data stays
    /// buffered); [`Error::IncompleteRead`] at EOF; the connection's error;
    /// [`Error::ConcurrentRead`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_stream::Separators;
    /// # futures_lite::future::block_on(async {
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"HEAD / HTTP/1.0\r\n\r\na\0b\0");
    /// assert_eq!(r.read_until(b"\r\n\r\n").await?, &b"HEAD / HTTP/1.0\r\n\r\n"[..]);
    /// let nul = Separators::new(b"\0")?;
    /// assert_eq!(r.read_until(&nul).await?, &b"a\0"[..]);
    /// assert_eq!(r.read_until(&nul).await?, &b"b\0"[..]);
    /// # Ok::<(), weir_stream::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read_until<'a>(&'a self, sep: impl IntoSeparators<'a>) -> ReadFuture<'a> {
        self.op(match sep.into_separators() {
            Ok(Cow::Borrowed(seps)) => Op::UntilRef(seps),
            Ok(Cow::Owned(seps)) => Op::until(Ok(seps)),
            Err(e) => Op::until(Err(e)),
        })
    }

    /// Bytes through the first of several separators (asyncio 3.13's
    /// `readuntil((sep1, sep2))`); where two end at the same byte, the
    /// shorter is taken.
    ///
    /// # Errors
    ///
    /// As [`read_until`](Self::read_until).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"a\r\nb\n");
    /// assert_eq!(r.read_until_any([&b"\r\n"[..], b"\n"]).await?, &b"a\r\n"[..]);
    /// assert_eq!(r.read_until_any([&b"\r\n"[..], b"\n"]).await?, &b"b\n"[..]);
    /// # Ok::<(), weir_stream::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn read_until_any<I, S>(&self, seps: I) -> ReadFuture<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.op(Op::until(Separators::any(seps)))
    }

    /// The old name of [`read_until`](Self::read_until) with a compiled
    /// [`Separators`], from when `read_until` took bytes only.
    ///
    /// # Errors
    ///
    /// As [`read_until`](Self::read_until).
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_stream::Separators;
    /// # futures_lite::future::block_on(async {
    /// let end = Separators::new(b"\0")?;
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"a\0");
    /// assert_eq!(r.read_until(&end).await?, &b"a\0"[..]); // not read_until_with
    /// # Ok::<(), weir_stream::Error>(())
    /// # }).unwrap();
    /// ```
    #[deprecated(note = "read_until accepts a &Separators now")]
    pub fn read_until_with<'a>(&'a self, seps: &'a Separators) -> ReadFuture<'a> {
        self.read_until(seps)
    }

    /// The lines of the stream, until EOF (asyncio's `async for line in reader`).
    ///
    /// # Errors
    ///
    /// Each item is a line or a read error; the stream ends after EOF.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::StreamExt;
    /// # futures_lite::future::block_on(async {
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"a\nb\nc");
    /// r.feed_eof();
    /// let lines: Vec<_> = r.lines().try_collect().await?;
    /// assert_eq!(lines, [&b"a\n"[..], b"b\n", b"c"]);
    /// # Ok::<(), weir_stream::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn lines(&self) -> Lines<'_> {
        Lines {
            reader: self,
            acquired: false,
            done: false,
        }
    }

    /// True once EOF was seen and the buffer is empty (asyncio's `at_eof`).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// assert!(!r.at_eof());
    /// r.feed_eof();
    /// assert!(r.at_eof());
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn at_eof(&self) -> bool {
        lock(&self.shared.read).rb.at_eof()
    }

    /// The error reads fail with, if the connection failed (asyncio's `exception()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_stream::{Error, StreamReader};
    /// let r = StreamReader::new(1024)?;
    /// r.set_exception(Error::connection(std::io::ErrorKind::ConnectionReset.into()));
    /// assert!(r.exception().is_some());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn exception(&self) -> Option<Error> {
        lock(&self.shared.read).rb.exception().cloned()
    }

    /// The limit reads are bounded by (asyncio's `_limit`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_stream::StreamReader::new(7)?.limit(), 7);
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn limit(&self) -> usize {
        lock(&self.shared.read).rb.limit()
    }

    /// Bytes buffered and not yet read.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"abc");
    /// assert_eq!(r.buffered(), 3);
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn buffered(&self) -> usize {
        lock(&self.shared.read).rb.buffered()
    }

    /// Appends bytes as if they came from the peer (asyncio's `feed_data`),
    /// waking a waiting read. Data after EOF is ignored with a warning, as
    /// asyncio asserts on it.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"x");
    /// assert_eq!(r.buffered(), 1);
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn feed_data(&self, data: &[u8]) {
        if let Err(e) = lock(&self.shared.read).rb.feed(data) {
            tracing::warn!("feed_data ignored: {e}");
        }
        self.shared.wake_reader();
    }

    /// Marks EOF (asyncio's `feed_eof`), waking a waiting read.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_eof();
    /// assert!(r.at_eof());
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn feed_eof(&self) {
        lock(&self.shared.read).rb.feed_eof();
        self.shared.wake_reader();
    }

    /// Makes every later read fail with `err` (asyncio's `set_exception`),
    /// including a read waiting now.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_stream::{Error, StreamReader};
    /// # futures_lite::future::block_on(async {
    /// let r = StreamReader::new(1024)?;
    /// r.set_exception(Error::connection(std::io::ErrorKind::ConnectionReset.into()));
    /// assert!(r.read(1).await.is_err());
    /// # Ok::<(), Error>(())
    /// # }).unwrap();
    /// ```
    pub fn set_exception(&self, err: Error) {
        lock(&self.shared.read).rb.set_error(err);
        self.shared.wake_reader();
    }

    /// Reads up to `max` bytes without the one-read-at-a-time flag: for
    /// adapters that own the reader exclusively (`AsyncRead` impls).
    ///
    /// # Errors
    ///
    /// The connection's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let mut r = weir_stream::StreamReader::new(1024)?;
    /// r.feed_data(b"abc");
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let Poll::Ready(b) = r.poll_read_chunk(&mut cx, 2) else { unreachable!() };
    /// assert_eq!(b?, &b"ab"[..]);
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn poll_read_chunk(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
    ) -> Poll<Result<Bytes, Error>> {
        // `&mut self` excludes every read future: no flag to take.
        let mut exclusive = true;
        self.shared
            .poll_read_op(cx, &mut exclusive, &mut |rb| rb.read(max))
    }

    /// The next line for [`Lines`] and [`IntoLines`](crate::IntoLines):
    /// `None` once EOF was seen (`done`), and after it.
    pub(crate) fn poll_next_line(
        &self,
        cx: &mut Context<'_>,
        acquired: &mut bool,
        done: &mut bool,
    ) -> Poll<Option<Result<Bytes, Error>>> {
        if *done {
            return Poll::Ready(None);
        }
        match self
            .shared
            .poll_read_op(cx, acquired, &mut |rb| rb.read_line())
        {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(line)) if line.is_empty() => {
                *done = true;
                Poll::Ready(None)
            }
            Poll::Ready(r) => Poll::Ready(Some(r)),
        }
    }

    fn op<'a>(&'a self, op: Op<'a>) -> ReadFuture<'a> {
        ReadFuture {
            reader: self,
            op,
            acquired: false,
        }
    }
}

/// Which read a [`ReadFuture`] performs.
enum Op<'a> {
    Read(usize),
    ToEnd,
    Line,
    Exactly(usize),
    /// Separators built for this read (or handed over by value, or the
    /// error building them). Boxed: keeps the future small. Dropped by
    /// [`ReadFuture`]'s `Drop` (the only owner of an `Op`), so that `Op`
    /// itself needs no drop code: dropping the future of any other read is
    /// one inlined check, not a call.
    Until(ManuallyDrop<Box<Result<Separators, Error>>>),
    /// The caller's separators, used in place: nothing built or cloned.
    UntilRef(&'a Separators),
}

impl Op<'_> {
    fn until(seps: Result<Separators, Error>) -> Self {
        Op::Until(ManuallyDrop::new(Box::new(seps)))
    }

    #[inline(always)]
    fn run(&self, rb: &mut ReadBuffer) -> Result<Step<Bytes>, Error> {
        match self {
            Op::Read(n) => rb.read(*n),
            Op::ToEnd => rb.read_to_end(),
            Op::Line => rb.read_line(),
            Op::Exactly(n) => rb.read_exactly(*n),
            Op::Until(until) => match &***until {
                Ok(seps) => rb.read_until(seps),
                Err(e) => Err(e.clone()),
            },
            Op::UntilRef(seps) => rb.read_until(*seps),
        }
    }
}

/// A read in progress; cancel-safe: dropping it loses no byte.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let r = weir_stream::StreamReader::new(1024)?;
/// r.feed_data(b"x\n");
/// let fut = r.read_line();
/// assert_eq!(fut.await?, &b"x\n"[..]);
/// # Ok::<(), weir_stream::Error>(())
/// # }).unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ReadFuture<'a> {
    reader: &'a StreamReader,
    op: Op<'a>,
    acquired: bool,
}

impl fmt::Debug for ReadFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadFuture")
            .field("waiting", &self.acquired)
            .finish()
    }
}

impl Future for ReadFuture<'_> {
    type Output = Result<Bytes, Error>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Op::Read(0) | Op::Exactly(0) = this.op {
            // CPython returns b'' (or the stored exception) before it checks
            // for a waiting read: no RuntimeError, and the waiting read goes on.
            return Poll::Ready(match lock(&this.reader.shared.read).rb.exception() {
                Some(e) => Err(e.clone()),
                None => Ok(Bytes::new()),
            });
        }
        this.reader
            .shared
            .poll_read_op(cx, &mut this.acquired, &mut |rb| this.op.run(rb))
    }
}

impl Drop for ReadFuture<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.acquired {
            self.reader.shared.abandon_read();
        }
        if let Op::Until(_) = self.op {
            if let Op::Until(until) = std::mem::replace(&mut self.op, Op::ToEnd) {
                drop_until(ManuallyDrop::into_inner(until));
            }
        }
    }
}

/// Frees a `read_until`'s own separators (out of line: the other reads'
/// futures drop with one inlined check).
#[inline(never)]
fn drop_until(until: Box<Result<Separators, Error>>) {
    drop(until);
}

/// The lines of a reader as a [`Stream`]: see [`StreamReader::lines`].
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// # futures_lite::future::block_on(async {
/// let r = weir_stream::StreamReader::new(1024)?;
/// r.feed_data(b"a\n");
/// r.feed_eof();
/// let mut lines = r.lines();
/// assert_eq!(lines.next().await.unwrap()?, &b"a\n"[..]);
/// assert!(lines.next().await.is_none());
/// # Ok::<(), weir_stream::Error>(())
/// # }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Lines<'a> {
    reader: &'a StreamReader,
    acquired: bool,
    done: bool,
}

impl fmt::Debug for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines").field("done", &self.done).finish()
    }
}

impl Stream for Lines<'_> {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.reader
            .poll_next_line(cx, &mut this.acquired, &mut this.done)
    }
}

impl Drop for Lines<'_> {
    fn drop(&mut self) {
        if self.acquired {
            self.reader.shared.abandon_read();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrowed_separators_is_used_in_place() {
        let r = StreamReader::new(16).unwrap();
        let s = Separators::new(b"\n").unwrap();
        let f = r.read_until(&s);
        assert!(matches!(f.op, Op::UntilRef(p) if std::ptr::eq(p, &s)));
        drop(f);
        assert!(matches!(r.read_until(b"\n").op, Op::Until(_)));
        assert!(matches!(r.read_until(s).op, Op::Until(_)));
    }
}
