//! The same reader and writer for synchronous code, over `std::io::Read`/`Write`.
//!
//! [`BlockingReader`] runs a [`ReadBuffer`] over any `Read`: each method
//! blocks until its result is ready, with exactly the async semantics
//! (limits, `IncompleteReadError`, `LimitOverrunError`, read_line's cleanup).
//! [`BlockingWriter`] runs a [`WriteBuffer`] over any `Write`: writes are
//! queued and sent in one vectored write by [`drain`](BlockingWriter::drain),
//! automatically once the buffer passes the high watermark, and by
//! [`close`](BlockingWriter::close). There is no background thread: a
//! synchronous program decides when bytes go out, by calling `drain`.
//!
//! # Examples
//!
//! A line client over a TCP connection:
//!
//! ```no_run
//! use weir_proto::blocking;
//! let (mut reader, mut writer) = blocking::open_connection("127.0.0.1:8888")?;
//! writer.write(b"PING\r\n")?;
//! writer.drain()?;
//! let reply = reader.read_line()?;
//! println!("{}", String::from_utf8_lossy(&reply));
//! writer.close()?;
//! # Ok::<(), weir_proto::Error>(())
//! ```

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};

use bytes::Bytes;

use crate::{Error, ReadBuffer, Separators, Step, WriteBuffer};

/// How much room each `read` call gets.
const READ_CHUNK: usize = 16 * 1024;

/// Connects to `addr` and returns a reader and a writer over the one socket
/// (asyncio's `open_connection`, blocking), with the default limit.
///
/// # Errors
///
/// [`Error::Connection`] if the connection or the socket clone fails.
///
/// # Examples
///
/// ```
/// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// let (_r, _w) = weir_proto::blocking::open_connection(addr)?;
/// # Ok::<(), weir_proto::Error>(())
/// ```
pub fn open_connection(
    addr: impl ToSocketAddrs,
) -> Result<(BlockingReader<TcpStream>, BlockingWriter<TcpStream>), Error> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let write_half = stream.try_clone()?;
    Ok((BlockingReader::new(stream), BlockingWriter::new(write_half)))
}

/// asyncio's `StreamReader` over a blocking `Read`.
///
/// # Examples
///
/// ```
/// use weir_proto::blocking::BlockingReader;
/// let mut r = BlockingReader::new(&b"HELO a\r\nDATA\r\n"[..]);
/// assert_eq!(&r.read_line()?[..], b"HELO a\r\n");
/// assert_eq!(&r.read_exactly(4)?[..], b"DATA");
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct BlockingReader<R> {
    inner: R,
    rb: ReadBuffer,
}

impl<R: Read> BlockingReader<R> {
    /// A reader with the default limit (64 KiB).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_proto::blocking::BlockingReader::new(std::io::empty());
    /// assert_eq!(r.limit(), 65536);
    /// ```
    pub fn new(inner: R) -> Self {
        BlockingReader {
            inner,
            rb: ReadBuffer::default(),
        }
    }

    /// A reader whose reads are bounded by `limit`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] if `limit` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_proto::blocking::BlockingReader::with_limit(std::io::empty(), 0).is_err());
    /// ```
    pub fn with_limit(inner: R, limit: usize) -> Result<Self, Error> {
        Ok(BlockingReader {
            inner,
            rb: ReadBuffer::new(limit)?,
        })
    }

    /// The limit reads are bounded by.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_proto::blocking::BlockingReader::with_limit(std::io::empty(), 10)?;
    /// assert_eq!(r.limit(), 10);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn limit(&self) -> usize {
        self.rb.limit()
    }

    /// Up to `n` bytes, blocking for at least one; empty at EOF (asyncio's `read(n)`).
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if the underlying read fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = weir_proto::blocking::BlockingReader::new(&b"abc"[..]);
    /// assert_eq!(&r.read(2)?[..], b"ab");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read(&mut self, n: usize) -> Result<Bytes, Error> {
        self.drive(|rb| rb.read(n))
    }

    /// Everything until EOF (asyncio's `read(-1)`).
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if the underlying read fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = weir_proto::blocking::BlockingReader::new(&b"abc"[..]);
    /// assert_eq!(&r.read_to_end()?[..], b"abc");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read_to_end(&mut self) -> Result<Bytes, Error> {
        self.drive(ReadBuffer::read_to_end)
    }

    /// One line through `\n`; the partial line at EOF (asyncio's `readline`).
    ///
    /// # Errors
    ///
    /// [`Error::LineTooLong`] past the limit (the line is dropped, as in
    /// CPython); [`Error::Connection`] if the underlying read fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = weir_proto::blocking::BlockingReader::new(&b"a\nb"[..]);
    /// assert_eq!(&r.read_line()?[..], b"a\n");
    /// assert_eq!(&r.read_line()?[..], b"b");
    /// assert!(r.read_line()?.is_empty());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read_line(&mut self) -> Result<Bytes, Error> {
        self.drive(ReadBuffer::read_line)
    }

    /// Exactly `n` bytes (asyncio's `readexactly`).
    ///
    /// # Errors
    ///
    /// [`Error::IncompleteRead`] if EOF comes first; [`Error::Connection`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = weir_proto::blocking::BlockingReader::new(&b"ab"[..]);
    /// assert!(r.read_exactly(3).is_err());
    /// ```
    pub fn read_exactly(&mut self, n: usize) -> Result<Bytes, Error> {
        self.drive(|rb| rb.read_exactly(n))
    }

    /// Bytes through the first of the separators (asyncio's `readuntil`).
    ///
    /// # Errors
    ///
    /// [`Error::LimitOverrun`] (data stays buffered), [`Error::IncompleteRead`]
    /// at EOF, [`Error::Connection`].
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{blocking::BlockingReader, Separators};
    /// let end = Separators::new(b"\r\n\r\n")?;
    /// let mut r = BlockingReader::new(&b"A: 1\r\n\r\nbody"[..]);
    /// assert_eq!(&r.read_until(&end)?[..], b"A: 1\r\n\r\n");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read_until(&mut self, seps: &Separators) -> Result<Bytes, Error> {
        self.drive(|rb| rb.read_until(seps))
    }

    /// Bytes through the first of several separators, as
    /// `StreamReader::read_until_any` (the match that ends first wins, the
    /// shorter separator when two end at the same byte, as CPython's tuple
    /// form).
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`] for an empty list or separator; otherwise as
    /// [`read_until`](Self::read_until).
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::blocking::BlockingReader;
    /// let mut r = BlockingReader::new(&b"a\r\nb\n"[..]);
    /// assert_eq!(&r.read_until_any([&b"\r\n"[..], b"\n"])?[..], b"a\r\n");
    /// assert_eq!(&r.read_until_any([&b"\r\n"[..], b"\n"])?[..], b"b\n");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read_until_any<I, S>(&mut self, seps: I) -> Result<Bytes, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let seps = Separators::any(seps)?;
        self.read_until(&seps)
    }

    /// [`read_until`](Self::read_until) under the name the async
    /// `StreamReader` gives a compiled [`Separators`]: the same call on
    /// every reader.
    ///
    /// # Errors
    ///
    /// As [`read_until`](Self::read_until).
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{blocking::BlockingReader, Separators};
    /// let nul = Separators::new(b"\0")?;
    /// let mut r = BlockingReader::new(&b"a\0"[..]);
    /// assert_eq!(&r.read_until_with(&nul)?[..], b"a\0");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read_until_with(&mut self, seps: &Separators) -> Result<Bytes, Error> {
        self.read_until(seps)
    }

    /// True once EOF was read and nothing is buffered (asyncio's `at_eof`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut r = weir_proto::blocking::BlockingReader::new(&b""[..]);
    /// r.read(1)?;
    /// assert!(r.at_eof());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn at_eof(&self) -> bool {
        self.rb.at_eof()
    }

    /// The state machine underneath, for questions such as `buffered()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_proto::blocking::BlockingReader::new(std::io::empty());
    /// assert_eq!(r.buffer().buffered(), 0);
    /// ```
    pub fn buffer(&self) -> &ReadBuffer {
        &self.rb
    }

    /// The underlying reader.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_proto::blocking::BlockingReader::new(std::io::empty());
    /// let _inner: &std::io::Empty = r.get_ref();
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Runs a read to completion, reading from `inner` whenever it needs data.
    fn drive(
        &mut self,
        mut op: impl FnMut(&mut ReadBuffer) -> Result<Step<Bytes>, Error>,
    ) -> Result<Bytes, Error> {
        loop {
            if let Step::Ready(b) = op(&mut self.rb)? {
                return Ok(b);
            }
            let room = self.rb.spare_mut(READ_CHUNK);
            match self.inner.read(room) {
                Ok(0) => self.rb.feed_eof(),
                Ok(n) => self.rb.commit(n)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.rb.set_error(Error::connection(e)),
            }
        }
    }
}

impl<R: Read> Read for BlockingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let data = BlockingReader::read(self, buf.len())?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }
}

/// A transport whose write side can be shut down on its own (a half-close).
///
/// # Examples
///
/// ```
/// use weir_proto::blocking::HalfClose;
/// fn takes<T: HalfClose>(_t: &T) {}
/// # let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// let s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
/// takes(&s);
/// ```
pub trait HalfClose {
    /// Shuts down the write direction only; the read side stays open.
    ///
    /// # Errors
    ///
    /// The operating system's error, e.g. `NotConnected`.
    fn shutdown_write(&mut self) -> io::Result<()>;
}

impl HalfClose for TcpStream {
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

#[cfg(unix)]
impl HalfClose for std::os::unix::net::UnixStream {
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

/// asyncio's `StreamWriter` over a blocking `Write`.
///
/// # Examples
///
/// ```
/// use weir_proto::blocking::BlockingWriter;
/// let mut w = BlockingWriter::new(Vec::new());
/// w.write(b"a\n")?;
/// w.write_lines([&b"b\n"[..], b"c\n"])?;
/// w.drain()?;
/// assert_eq!(w.get_ref(), b"a\nb\nc\n");
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct BlockingWriter<W: Write> {
    inner: W,
    wb: WriteBuffer,
    error: Option<Error>,
}

impl<W: Write> BlockingWriter<W> {
    /// A writer with the default watermarks (64 KiB / 16 KiB).
    ///
    /// # Examples
    ///
    /// ```
    /// let w = weir_proto::blocking::BlockingWriter::new(Vec::new());
    /// assert_eq!(w.write_buffer_size(), 0);
    /// ```
    pub fn new(inner: W) -> Self {
        BlockingWriter {
            inner,
            wb: WriteBuffer::new(),
            error: None,
        }
    }

    /// Queues `data`; if the buffer goes above the high watermark, sends
    /// until it is at or below the low one (asyncio's `write` + flow control).
    ///
    /// # Errors
    ///
    /// [`Error::WriterClosed`] after close, [`Error::WriteAfterEof`] after
    /// `write_eof`, or the connection error of an earlier failed send.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = weir_proto::blocking::BlockingWriter::new(Vec::new());
    /// w.write(b"x")?;
    /// assert_eq!(w.write_buffer_size(), 1);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.check()?;
        self.wb.write(data)?;
        self.relieve()
    }

    /// Queues every item as one write (asyncio's `writelines`), with the
    /// same flow control as [`write`](Self::write).
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = weir_proto::blocking::BlockingWriter::new(Vec::new());
    /// w.write_lines(["a\n", "b\n"])?;
    /// assert_eq!(w.write_buffer_size(), 4);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn write_lines<I, B>(&mut self, lines: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.check()?;
        self.wb.write_lines(lines)?;
        self.relieve()
    }

    /// Sends every queued byte (asyncio's `drain`, which in synchronous code
    /// is where bytes go out).
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if a send fails; the writer keeps that error.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = weir_proto::blocking::BlockingWriter::new(Vec::new());
    /// w.write(b"x")?;
    /// w.drain()?;
    /// assert_eq!(w.write_buffer_size(), 0);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn drain(&mut self) -> Result<(), Error> {
        self.check()?;
        self.send_down_to(0)
    }

    /// Sets the watermarks (asyncio's `set_write_buffer_limits`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidWatermarks`] unless high ≥ low.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = weir_proto::blocking::BlockingWriter::new(Vec::new());
    /// assert!(w.set_write_buffer_limits(Some(1), Some(2)).is_err());
    /// ```
    pub fn set_write_buffer_limits(
        &mut self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), Error> {
        self.wb.set_write_buffer_limits(high, low)
    }

    /// Bytes queued and not yet sent (asyncio's `get_write_buffer_size`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::blocking::BlockingWriter::new(Vec::new()).write_buffer_size(), 0);
    /// ```
    pub fn write_buffer_size(&self) -> usize {
        self.wb.len()
    }

    /// Sends what is queued and closes the writer (asyncio's `close` +
    /// `wait_closed`). Later writes fail with [`Error::WriterClosed`].
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if the queued bytes could not all be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = weir_proto::blocking::BlockingWriter::new(Vec::new());
    /// w.write(b"bye")?;
    /// w.close()?;
    /// assert_eq!(w.get_ref(), b"bye");
    /// assert!(w.write(b"x").is_err());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn close(&mut self) -> Result<(), Error> {
        let sent = match &self.error {
            Some(e) => Err(e.clone()),
            None => self.send_down_to(0),
        };
        self.wb.close();
        sent
    }

    /// True once [`close`](Self::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!weir_proto::blocking::BlockingWriter::new(Vec::new()).is_closing());
    /// ```
    pub fn is_closing(&self) -> bool {
        self.wb.is_closing()
    }

    /// The underlying writer.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = weir_proto::blocking::BlockingWriter::new(Vec::<u8>::new());
    /// assert!(w.get_ref().is_empty());
    /// ```
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    fn check(&self) -> Result<(), Error> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Flow control: above high, send until at or below low.
    fn relieve(&mut self) -> Result<(), Error> {
        if self.wb.is_paused() {
            let (low, _) = self.wb.write_buffer_limits();
            self.send_down_to(low)?;
        }
        Ok(())
    }

    fn send_down_to(&mut self, target: usize) -> Result<(), Error> {
        while self.wb.len() > target {
            let mut iov = [IoSlice::new(&[]); 64];
            let n = self.wb.next_chunks(&mut iov);
            match self.inner.write_vectored(&iov[..n]) {
                Ok(0) => return Err(self.fail(io::ErrorKind::WriteZero.into())),
                Ok(k) => self.wb.advance(k)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.fail(e)),
            }
        }
        if target == 0 {
            if let Err(e) = self.inner.flush() {
                return Err(self.fail(e));
            }
        }
        Ok(())
    }

    fn fail(&mut self, e: io::Error) -> Error {
        let e = Error::connection(e);
        self.error = Some(e.clone());
        e
    }
}

impl<W: Write + HalfClose> BlockingWriter<W> {
    /// Sends what is queued, then shuts down the write side (asyncio's
    /// `write_eof`); the peer reads EOF and can still answer.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if the send or the shutdown fails.
    ///
    /// # Examples
    ///
    /// ```
    /// # let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let (_r, mut w) = weir_proto::blocking::open_connection(l.local_addr().unwrap())?;
    /// w.write(b"last words")?;
    /// w.write_eof()?;
    /// assert!(w.write(b"more").is_err());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn write_eof(&mut self) -> Result<(), Error> {
        self.drain()?;
        self.wb.write_eof()?;
        if self.wb.wants_shutdown() {
            if let Err(e) = self.inner.shutdown_write() {
                return Err(self.fail(e));
            }
            self.wb.mark_shutdown();
        }
        Ok(())
    }
}

impl<W: Write> Drop for BlockingWriter<W> {
    /// Sends what is still queued (best effort); a failure is logged, not lost silently.
    fn drop(&mut self) {
        if self.error.is_none() && !self.wb.is_empty() {
            let queued = self.wb.len();
            if let Err(e) = self.send_down_to(0) {
                #[cfg(feature = "tracing")]
                tracing::warn!(queued, error = %e, "blocking writer dropped with bytes it could not send");
                #[cfg(not(feature = "tracing"))]
                let _ = (queued, e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `max` bytes per call.
    struct Trickle {
        out: Vec<u8>,
        max: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let k = buf.len().min(self.max);
            self.out.extend_from_slice(&buf[..k]);
            Ok(k)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn short_writes_deliver_everything_in_order() {
        let mut w = BlockingWriter::new(Trickle {
            out: Vec::new(),
            max: 3,
        });
        let mut expect = Vec::new();
        for i in 0..1000u32 {
            let line = format!("line {i}\n");
            w.write(line.as_bytes()).unwrap();
            expect.extend_from_slice(line.as_bytes());
        }
        w.drain().unwrap();
        assert_eq!(w.get_ref().out, expect);
    }

    #[test]
    fn above_high_sends_down_to_low() {
        let mut w = BlockingWriter::new(Trickle {
            out: Vec::new(),
            max: usize::MAX,
        });
        w.set_write_buffer_limits(Some(10), Some(2)).unwrap();
        w.write(&[1; 10]).unwrap();
        assert_eq!(w.write_buffer_size(), 10);
        w.write(&[1; 1]).unwrap();
        assert!(w.write_buffer_size() <= 2);
    }

    #[test]
    fn a_failed_send_is_kept_and_reported() {
        let mut w = BlockingWriter::new(Broken);
        w.write(b"x").unwrap();
        assert!(matches!(w.drain(), Err(Error::Connection(_))));
        assert!(matches!(w.write(b"y"), Err(Error::Connection(_))));
    }

    #[test]
    fn reader_errors_surface() {
        struct Reset;
        impl Read for Reset {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::ErrorKind::ConnectionReset.into())
            }
        }
        let mut r = BlockingReader::new(Reset);
        match r.read_line() {
            Err(Error::Connection(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reader_one_byte_at_a_time() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.split_first() {
                    Some((b, rest)) if !buf.is_empty() => {
                        buf[0] = *b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let mut r = BlockingReader::with_limit(OneByte(b"abc\r\n\r\nxyz\n"), 8).unwrap();
        let sep = Separators::new(b"\r\n\r\n").unwrap();
        assert_eq!(&r.read_until(&sep).unwrap()[..], b"abc\r\n\r\n");
        assert_eq!(&r.read_line().unwrap()[..], b"xyz\n");
        assert!(r.read_line().unwrap().is_empty());
        assert!(r.at_eof());
    }
}
