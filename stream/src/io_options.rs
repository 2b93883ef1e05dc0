//! Streams over any I/O object: asyncio's `StreamReader` / `StreamWriter`
//! over a pipe, a child process's stdio, an in-memory duplex or any other
//! byte stream the runtime's I/O traits describe.
//!
//! A backend says how its runtime adopts an I/O object by implementing
//! [`AdoptIo`] (a duplex stream), [`AdoptRead`] (a read side only) and
//! [`AdoptWrite`] (a write side only); [`IoOptions`] then wraps the
//! transport exactly as a socket is wrapped: the reader's limit, cancel-safe
//! reads, watermarks, the background flusher, `write_eof` as shutdown,
//! `close` and `wait_closed`.
//!
//! weir-tokio implements the three traits for tokio's `AsyncRead` /
//! `AsyncWrite`; weir-smol and weir-async-std (through
//! `weir_stream::async_io`) for the futures-io traits.

use std::fmt;
use std::marker::PhantomData;

use crate::rt::{Net, Transport};
use crate::{from_transport, Error, StreamReader, StreamWriter, WriteBuffer, DEFAULT_LIMIT};

/// How runtime `Self` turns a duplex I/O object `T` into a [`Transport`]:
/// what [`IoOptions::from_io`] needs.
///
/// # Examples
///
/// ```no_run
/// use weir_stream::rt::AdoptIo;
/// fn wrap<N: AdoptIo<T>, T>(io: T) -> Box<dyn weir_stream::rt::Transport> {
///     N::adopt_io(io)
/// }
/// ```
pub trait AdoptIo<T>: Net {
    /// The transport over `io`: reads and writes go to `io`, `write_eof`
    /// is the I/O object's shutdown (or close).
    fn adopt_io(io: T) -> Box<dyn Transport>;
}

/// How runtime `Self` turns a read-only I/O object `T` (a pipe's read end, a
/// child's stdout) into a [`Transport`]: what [`IoOptions::reader_from`] needs.
///
/// # Examples
///
/// ```no_run
/// use weir_stream::rt::AdoptRead;
/// fn wrap<N: AdoptRead<T>, T>(r: T) -> Box<dyn weir_stream::rt::Transport> {
///     N::adopt_read(r)
/// }
/// ```
pub trait AdoptRead<T>: Net {
    /// The transport reading from `r`; it refuses writes and cannot write EOF.
    fn adopt_read(r: T) -> Box<dyn Transport>;
}

/// How runtime `Self` turns a write-only I/O object `T` (a pipe's write end,
/// a child's stdin) into a [`Transport`]: what [`IoOptions::writer_from`] needs.
///
/// # Examples
///
/// ```no_run
/// use weir_stream::rt::AdoptWrite;
/// fn wrap<N: AdoptWrite<T>, T>(w: T) -> Box<dyn weir_stream::rt::Transport> {
///     N::adopt_write(w)
/// }
/// ```
pub trait AdoptWrite<T>: Net {
    /// The transport writing to `w`. Its `write_eof` flushes, shuts `w` down
    /// and drops it, so the reading end sees EOF (a pipe is only closed
    /// when its last handle goes).
    fn adopt_write(w: T) -> Box<dyn Transport>;
}

/// Options for streams over an I/O object (`from_io`, `reader_from`,
/// `writer_from`): the reader's limit and the writer's watermarks, as
/// [`ConnectOptions`](crate::ConnectOptions) gives them for a socket. A
/// backend names it for its runtime (`weir_tokio::IoOptions`).
///
/// # Examples
///
/// ```no_run
/// use weir_stream::rt::{AdoptIo, Net};
/// fn wrap<N: AdoptIo<T>, T>(io: T) -> Result<(), weir_stream::Error> {
///     let (reader, writer) = weir_stream::IoOptions::<N>::new()
///         .limit(1 << 20)
///         .write_buffer_limits(Some(256 * 1024), None)
///         .from_io(io)?;
///     Ok(())
/// }
/// ```
pub struct IoOptions<N> {
    limit: usize,
    high: Option<usize>,
    low: Option<usize>,
    net: PhantomData<fn() -> N>,
}

impl<N> Clone for IoOptions<N> {
    fn clone(&self) -> Self {
        IoOptions {
            limit: self.limit,
            high: self.high,
            low: self.low,
            net: PhantomData,
        }
    }
}

impl<N> fmt::Debug for IoOptions<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoOptions")
            .field("limit", &self.limit)
            .field("high", &self.high)
            .field("low", &self.low)
            .finish()
    }
}

impl<N: Net> Default for IoOptions<N> {
    fn default() -> Self {
        IoOptions::new()
    }
}

impl<N: Net> IoOptions<N> {
    /// The defaults: limit 64 KiB, watermarks 64 KiB / 16 KiB.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::IoOptions::<N>::new();
    /// # }
    /// ```
    pub fn new() -> Self {
        IoOptions {
            limit: DEFAULT_LIMIT,
            high: None,
            low: None,
            net: PhantomData,
        }
    }

    /// The reader's limit (asyncio's `limit`); 0 is refused when opening.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::IoOptions::<N>::new().limit(1024);
    /// # }
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The writer's watermarks, as [`StreamWriter::set_write_buffer_limits`]
    /// takes them: `high` defaults to 64 KiB (or 4 × `low`), `low` to
    /// `high / 4`. Checked when opening.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>() {
    /// let o = weir_stream::IoOptions::<N>::new().write_buffer_limits(Some(1 << 20), None);
    /// # }
    /// ```
    pub fn write_buffer_limits(mut self, high: Option<usize>, low: Option<usize>) -> Self {
        self.high = high;
        self.low = low;
        self
    }

    fn check(&self) -> Result<N, Error> {
        if self.limit == 0 {
            return Err(Error::InvalidLimit);
        }
        if self.high.is_some() || self.low.is_some() {
            WriteBuffer::new().set_write_buffer_limits(self.high, self.low)?;
        }
        N::current()
    }

    /// A reader and a writer over `t`, with these options.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] for a limit of 0, [`Error::InvalidWatermarks`]
    /// for watermarks with low > high, [`Error::InvalidArgument`] outside the
    /// runtime.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::Net>(t: Box<dyn weir_stream::rt::Transport>) -> Result<(), weir_stream::Error> {
    /// let (r, w) = weir_stream::IoOptions::<N>::new().from_transport(t)?;
    /// # Ok(()) }
    /// ```
    pub fn from_transport(
        &self,
        t: Box<dyn Transport>,
    ) -> Result<(StreamReader, StreamWriter), Error> {
        let net = self.check()?;
        let (r, w) = from_transport(&net, t, self.limit)?;
        if self.high.is_some() || self.low.is_some() {
            w.set_write_buffer_limits(self.high, self.low)?;
        }
        Ok((r, w))
    }

    /// A reader and a writer over a duplex I/O object: asyncio's streams
    /// over anything the runtime reads and writes (a tokio `DuplexStream`,
    /// a serial port, a socket type weir does not know).
    ///
    /// `write_eof` is the object's shutdown (tokio's `poll_shutdown`,
    /// futures-io's `poll_close`); `close` drops it once the queue is sent.
    ///
    /// # Errors
    ///
    /// As [`from_transport`](Self::from_transport).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::AdoptIo<T>, T>(io: T) -> Result<(), weir_stream::Error> {
    /// let (r, w) = weir_stream::IoOptions::<N>::new().limit(1024).from_io(io)?;
    /// # Ok(()) }
    /// ```
    pub fn from_io<T>(&self, io: T) -> Result<(StreamReader, StreamWriter), Error>
    where
        N: AdoptIo<T>,
    {
        self.check()?;
        self.from_transport(N::adopt_io(io))
    }

    /// A reader over a read-only I/O object (a child's stdout, a pipe).
    ///
    /// # Errors
    ///
    /// As [`from_transport`](Self::from_transport).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::AdoptRead<T>, T>(r: T) -> Result<(), weir_stream::Error> {
    /// let reader = weir_stream::IoOptions::<N>::new().reader_from(r)?;
    /// # Ok(()) }
    /// ```
    pub fn reader_from<T>(&self, r: T) -> Result<StreamReader, Error>
    where
        N: AdoptRead<T>,
    {
        self.check()?;
        Ok(self.from_transport(N::adopt_read(r))?.0)
    }

    /// A writer over a write-only I/O object (a child's stdin, a pipe):
    /// writes are queued and sent in the background, `drain` applies the
    /// watermarks, `write_eof` (or `close`) closes the object so the other
    /// end sees EOF.
    ///
    /// # Errors
    ///
    /// As [`from_transport`](Self::from_transport).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # fn demo<N: weir_stream::rt::AdoptWrite<T>, T>(w: T) -> Result<(), weir_stream::Error> {
    /// let writer = weir_stream::IoOptions::<N>::new().writer_from(w)?;
    /// # Ok(()) }
    /// ```
    pub fn writer_from<T>(&self, w: T) -> Result<StreamWriter, Error>
    where
        N: AdoptWrite<T>,
    {
        self.check()?;
        Ok(self.from_transport(N::adopt_write(w))?.1)
    }
}
