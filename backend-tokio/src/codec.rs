//! tokio-util codecs that frame as asyncio does (feature `codec`).
//!
//! For code built on [`Framed`], [`FramedRead`] and [`FramedWrite`] rather
//! than on weir's `StreamReader`: the same frames and the same errors as
//! CPython's `readline` and `readuntil`, decided by the same code as
//! weir's reader ([`weir_proto::frame`]).
//!
//! | asyncio | codec | frame | too long | EOF with a partial frame |
//! | --- | --- | --- | --- | --- |
//! | `readline()` | [`LineCodec`] | through `\n` | [`Error::LineTooLong`]; the line is dropped, decoding goes on | the partial line, as a frame |
//! | `readuntil(sep)` | [`UntilCodec::new`] | through `sep` | [`Error::LimitOverrun`]; the bytes stay | [`Error::IncompleteRead`] with the partial |
//! | `readuntil((a, b))` (3.13) | [`UntilCodec::any`] | through the match that ends first | as above | as above |
//!
//! Frames are [`Bytes`] that **include** their separator, as CPython's
//! results do, and split off the read buffer without a copy. The encoders
//! write items as given ([`Bytes`], `&[u8]`, `Vec<u8>`) and append
//! nothing, so a decoded frame sent back is the same bytes: an echo through
//! [`Framed`] round-trips.
//!
//! # The limit
//!
//! Each codec has a limit, 64 KiB unless set ([`DEFAULT_LIMIT`], asyncio's
//! `_DEFAULT_LIMIT`), with CPython's exact offsets: a frame may hold up to
//! `limit` bytes before its separator; with no separator yet, the buffer
//! may hold up to `limit + longest separator - 1` bytes. Past that:
//!
//! - [`LineCodec`] drops the line through its `\n`, or, when its `\n` has
//!   not arrived, every buffered byte (as CPython's `readline`: the rest of
//!   that line, when it comes, is decoded as a line of its own, or dropped
//!   in turn if it is too long), and returns [`Error::LineTooLong`].
//!   Decoding then goes on with the bytes that follow.
//! - [`UntilCodec`] returns [`Error::LimitOverrun`] and leaves every byte
//!   in the buffer: the next decode sees the same bytes and returns the
//!   same error. What to do next, as after CPython's `LimitOverrunError`:
//!   raise the limit ([`UntilCodec::set_limit`], through
//!   `Framed::codec_mut`) and poll again; or take the bytes out of
//!   `Framed::read_buffer_mut` yourself (`consumed` of them reach past the
//!   overrun); or drop the connection.
//!
//! # After an error, `Framed` pauses
//!
//! tokio-util's [`Framed`] and [`FramedRead`] return `None` once after any
//! decoder error, and decode again only after the next read from the
//! transport returns. A stream consumed with `while let Some(..)` ends
//! there; to go on after [`Error::LineTooLong`], poll again after that
//! `None`. Lines that arrived together with the dropped one are decoded
//! when more bytes (or EOF) arrive: a peer waiting for the answer to such
//! a line waits too.
//!
//! # Memory
//!
//! The codecs remember how far they searched (a frame arriving a byte at a
//! time is scanned once, not once per byte). They assume the buffer they
//! are given only grows between calls, as `Framed`'s does; after taking
//! bytes out of it yourself, start a fresh codec or call `set_limit`,
//! which forgets the position.
//!
//! # Examples
//!
//! A line echo over an in-memory pipe, with asyncio's rules:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), weir_tokio::Error> {
//! use futures_util::{SinkExt, StreamExt};
//! use tokio_util::codec::Framed;
//! use weir_tokio::codec::LineCodec;
//!
//! let (client, server) = tokio::io::duplex(1024);
//! tokio::spawn(async move {
//!     let mut lines = Framed::new(server, LineCodec::new());
//!     while let Some(Ok(line)) = lines.next().await {
//!         lines.send(line).await?; // the `\n` is part of the frame
//!     }
//!     Ok::<(), weir_tokio::Error>(())
//! });
//! let mut client = Framed::new(client, LineCodec::new().with_limit(1024)?);
//! client.send(&b"hello\n"[..]).await?;
//! assert_eq!(client.next().await.unwrap()?, &b"hello\n"[..]);
//! # Ok(()) }
//! ```
//!
//! [`Framed`]: tokio_util::codec::Framed
//! [`FramedRead`]: tokio_util::codec::FramedRead
//! [`FramedWrite`]: tokio_util::codec::FramedWrite
//! [`DEFAULT_LIMIT`]: crate::DEFAULT_LIMIT

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};
use weir_proto::frame::{self, Scan};
use weir_proto::{Error, IncompleteReadError, Separators, DEFAULT_LIMIT};

/// The search both codecs share: separators, limit, and where the next
/// scan of the buffer starts.
#[derive(Debug, Clone)]
struct Framer {
    seps: Separators,
    limit: usize,
    resume: usize,
}

impl Framer {
    fn new(seps: Separators) -> Framer {
        Framer {
            seps,
            limit: DEFAULT_LIMIT,
            resume: 0,
        }
    }

    fn set_limit(&mut self, limit: usize) -> Result<(), Error> {
        if limit == 0 {
            return Err(Error::InvalidLimit);
        }
        self.limit = limit;
        self.resume = 0;
        Ok(())
    }

    /// One scan of `buf` from where the last one stopped.
    #[inline]
    fn scan(&mut self, buf: &[u8]) -> Scan {
        // A buffer shorter than the position is not the one searched.
        let from = if self.resume > buf.len() {
            0
        } else {
            self.resume
        };
        let scan = frame::scan(&self.seps, buf, from, self.limit);
        self.resume = match scan {
            Scan::NeedData { resume } => resume,
            Scan::Found { .. } | Scan::Overrun(_) => 0,
        };
        scan
    }
}

/// Lines through `\n` with asyncio's `readline` rules, for tokio-util's
/// `Framed`, `FramedRead` and `FramedWrite`.
///
/// Decodes [`Bytes`] lines that end with their `\n` (a `\r` before it
/// stays); at EOF, the partial last line. A line longer than the
/// [limit](Self::limit) is dropped with [`Error::LineTooLong`] and decoding
/// goes on (see the [module docs](self) for what `Framed` does after an
/// error). Encodes `Bytes`, `&[u8]` and `Vec<u8>` as given, adding nothing.
///
/// Cost: each byte is searched once, however the line arrives; frames are
/// split off the buffer without a copy.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use tokio_util::codec::Decoder;
/// use weir_tokio::codec::LineCodec;
/// let mut codec = LineCodec::new();
/// let mut buf = BytesMut::from(&b"PING\r\nPI"[..]);
/// assert_eq!(codec.decode(&mut buf)?.unwrap(), &b"PING\r\n"[..]);
/// assert_eq!(codec.decode(&mut buf)?, None); // waits for the rest
/// buf.extend_from_slice(b"NG");
/// assert_eq!(codec.decode_eof(&mut buf)?.unwrap(), &b"PING"[..]); // partial at EOF
/// assert_eq!(codec.decode_eof(&mut buf)?, None);
/// # Ok::<(), weir_tokio::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LineCodec {
    framer: Framer,
}

impl Default for LineCodec {
    /// [`LineCodec::new`]: a limit of 64 KiB.
    fn default() -> Self {
        LineCodec::new()
    }
}

impl LineCodec {
    /// A line codec with asyncio's default limit, 64 KiB (asyncio's
    /// `StreamReader()` read with `readline`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_tokio::codec::LineCodec::new().limit(), 65536);
    /// ```
    pub fn new() -> LineCodec {
        LineCodec {
            framer: Framer::new(Separators::byte(b'\n')),
        }
    }

    /// The same codec with lines bounded by `limit` bytes before the `\n`
    /// (asyncio's `limit=`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] if `limit` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_tokio::codec::LineCodec;
    /// assert_eq!(LineCodec::new().with_limit(1024)?.limit(), 1024);
    /// assert!(LineCodec::new().with_limit(0).is_err());
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn with_limit(mut self, limit: usize) -> Result<LineCodec, Error> {
        self.set_limit(limit)?;
        Ok(self)
    }

    /// The most bytes a line may hold before its `\n`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_tokio::codec::LineCodec::default().limit(), weir_tokio::DEFAULT_LIMIT);
    /// ```
    pub fn limit(&self) -> usize {
        self.framer.limit
    }

    /// Changes the limit, for lines not yet decoded (through
    /// `Framed::codec_mut`); the buffer is searched again from its start.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] if `limit` is 0; the limit is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut codec = weir_tokio::codec::LineCodec::new();
    /// codec.set_limit(1 << 20)?;
    /// assert_eq!(codec.limit(), 1 << 20);
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn set_limit(&mut self, limit: usize) -> Result<(), Error> {
        self.framer.set_limit(limit)
    }
}

impl Decoder for LineCodec {
    type Item = Bytes;
    type Error = Error;

    /// The next line through its `\n`, or `None` until it has arrived.
    ///
    /// # Errors
    ///
    /// [`Error::LineTooLong`] for a line longer than the limit: it has been
    /// dropped (through its `\n`, or every buffered byte without one) and
    /// the next call goes on with what follows.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        match self.framer.scan(buf) {
            Scan::Found { end, .. } => Ok(Some(buf.split_to(end).freeze())),
            Scan::NeedData { .. } => Ok(None),
            Scan::Overrun(e) => {
                buf.advance(frame::readline_discard(&e, buf.len()));
                Err(Error::LineTooLong {
                    limit: self.framer.limit,
                    separator_found: e.separator_found,
                })
            }
        }
    }

    /// As [`decode`](Self::decode), then the partial last line (asyncio's
    /// `readline` at EOF), then `None`.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        if let Some(line) = self.decode(buf)? {
            return Ok(Some(line));
        }
        if buf.is_empty() {
            return Ok(None);
        }
        self.framer.resume = 0;
        Ok(Some(buf.split().freeze()))
    }
}

/// Frames through a separator, or the first of several, with asyncio's
/// `readuntil` rules, for tokio-util's `Framed`, `FramedRead` and
/// `FramedWrite`.
///
/// Decodes [`Bytes`] frames that end with their separator. With several
/// separators (CPython 3.13's `readuntil((a, b))`), the match that ends
/// first wins, the shorter separator when two end at the same byte, so
/// `b"\r\n"` and `b"\n"` both end lines. Past the [limit](Self::limit),
/// [`Error::LimitOverrun`] leaves the bytes in the buffer (the [module
/// docs](self) say what to do next); at EOF, a partial frame is
/// [`Error::IncompleteRead`]. Encodes `Bytes`, `&[u8]` and `Vec<u8>` as
/// given, adding nothing.
///
/// Cost: each byte is searched once, however the frame arrives; frames are
/// split off the buffer without a copy.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use tokio_util::codec::Decoder;
/// use weir_tokio::{codec::UntilCodec, Error};
/// let mut codec = UntilCodec::new(b"\r\n\r\n")?;
/// let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\n\r\nbo"[..]);
/// assert_eq!(codec.decode(&mut buf)?.unwrap(), &b"HTTP/1.1 200 OK\r\n\r\n"[..]);
/// let Err(Error::IncompleteRead(e)) = codec.decode_eof(&mut buf) else { panic!() };
/// assert_eq!(e.partial, &b"bo"[..]);
/// # Ok::<(), weir_tokio::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UntilCodec {
    framer: Framer,
}

impl UntilCodec {
    /// Frames through `sep` (asyncio's `readuntil(sep)`), with a limit of
    /// 64 KiB.
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`] if `sep` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = weir_tokio::codec::UntilCodec::new(b"\0")?;
    /// assert_eq!(codec.limit(), 65536);
    /// assert!(weir_tokio::codec::UntilCodec::new(b"").is_err());
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn new(sep: impl AsRef<[u8]>) -> Result<UntilCodec, Error> {
        Ok(UntilCodec::with_separators(Separators::new(sep)?))
    }

    /// Frames through the first of several separators (asyncio 3.13's
    /// `readuntil((a, b))`), with a limit of 64 KiB.
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`] for an empty list or an empty separator.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use tokio_util::codec::Decoder;
    /// let mut codec = weir_tokio::codec::UntilCodec::any([&b"\r\n"[..], b"\n"])?;
    /// let mut buf = BytesMut::from(&b"a\r\nb\n"[..]);
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), &b"a\r\n"[..]);
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), &b"b\n"[..]);
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn any<I>(seps: I) -> Result<UntilCodec, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        Ok(UntilCodec::with_separators(Separators::any(seps)?))
    }

    /// Frames through `seps`, built once and shared with weir's readers
    /// (`read_until(&seps)`), with a limit of 64 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_tokio::{codec::UntilCodec, Separators};
    /// let head_end = Separators::new(b"\r\n\r\n")?;
    /// let codec = UntilCodec::with_separators(head_end.clone());
    /// assert_eq!(codec.separators().max_len(), 4);
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn with_separators(seps: Separators) -> UntilCodec {
        UntilCodec {
            framer: Framer::new(seps),
        }
    }

    /// The same codec with frames bounded by `limit` bytes before the
    /// separator (asyncio's `limit=`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] if `limit` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_tokio::codec::UntilCodec;
    /// assert_eq!(UntilCodec::new(b";")?.with_limit(16)?.limit(), 16);
    /// assert!(UntilCodec::new(b";")?.with_limit(0).is_err());
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn with_limit(mut self, limit: usize) -> Result<UntilCodec, Error> {
        self.set_limit(limit)?;
        Ok(self)
    }

    /// The most bytes a frame may hold before its separator.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_tokio::codec::UntilCodec::new(b";")?.limit(), 65536);
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn limit(&self) -> usize {
        self.framer.limit
    }

    /// Changes the limit, for frames not yet decoded: after
    /// [`Error::LimitOverrun`], raise it (through `Framed::codec_mut`) and
    /// poll again to read the frame that overran. The buffer is searched
    /// again from its start.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] if `limit` is 0; the limit is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use tokio_util::codec::Decoder;
    /// use weir_tokio::{codec::UntilCodec, Error};
    /// let mut codec = UntilCodec::new(b";")?.with_limit(4)?;
    /// let mut buf = BytesMut::from(&b"toolong;"[..]);
    /// assert!(matches!(codec.decode(&mut buf), Err(Error::LimitOverrun(_))));
    /// codec.set_limit(64)?;
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), &b"toolong;"[..]);
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn set_limit(&mut self, limit: usize) -> Result<(), Error> {
        self.framer.set_limit(limit)
    }

    /// The separators, shortest first.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = weir_tokio::codec::UntilCodec::any([&b"\r\n"[..], b"\n"])?;
    /// assert_eq!(codec.separators().iter().collect::<Vec<_>>(), [&b"\n"[..], b"\r\n"]);
    /// # Ok::<(), weir_tokio::Error>(())
    /// ```
    pub fn separators(&self) -> &Separators {
        &self.framer.seps
    }
}

impl Decoder for UntilCodec {
    type Item = Bytes;
    type Error = Error;

    /// The next frame through its separator, or `None` until it has arrived.
    ///
    /// # Errors
    ///
    /// [`Error::LimitOverrun`] with CPython's `consumed` when the separator
    /// lies beyond the limit or no separator is within it; every byte stays
    /// in `buf`.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        match self.framer.scan(buf) {
            Scan::Found { end, .. } => Ok(Some(buf.split_to(end).freeze())),
            Scan::NeedData { .. } => Ok(None),
            Scan::Overrun(e) => Err(Error::LimitOverrun(e)),
        }
    }

    /// As [`decode`](Self::decode); then `None` if the buffer is empty.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode); then [`Error::IncompleteRead`] with
    /// every buffered byte as `partial` (asyncio's `IncompleteReadError`),
    /// which empties the buffer.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        if buf.is_empty() {
            return Ok(None);
        }
        self.framer.resume = 0;
        Err(Error::IncompleteRead(IncompleteReadError {
            partial: buf.split().freeze(),
            expected: None,
        }))
    }
}

/// Both codecs encode frames as given: `Bytes`, `&[u8]` and `Vec<u8>`,
/// nothing appended (a decoded frame already ends with its separator).
macro_rules! encode_as_given {
    ($codec:ty) => {
        impl Encoder<Bytes> for $codec {
            type Error = Error;

            /// Appends `item` to `dst` as it is.
            fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
                dst.extend_from_slice(&item);
                Ok(())
            }
        }

        impl Encoder<&[u8]> for $codec {
            type Error = Error;

            /// Appends `item` to `dst` as it is.
            fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
                dst.extend_from_slice(item);
                Ok(())
            }
        }

        impl Encoder<Vec<u8>> for $codec {
            type Error = Error;

            /// Appends `item` to `dst` as it is.
            fn encode(&mut self, item: Vec<u8>, dst: &mut BytesMut) -> Result<(), Error> {
                dst.extend_from_slice(&item);
                Ok(())
            }
        }
    };
}

encode_as_given!(LineCodec);
encode_as_given!(UntilCodec);

#[cfg(test)]
mod tests;
