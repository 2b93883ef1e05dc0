//! The crate's error type and asyncio's two read errors.
//!
//! Every variant says who caused it: the **peer** (bad or short input from the
//! network), the **caller** (a misuse of the API), or the **connection** (the
//! operating system reported a failure). [`Error::origin`] answers that
//! question in code.

use std::fmt;
use std::io;
use std::sync::Arc;

use bytes::Bytes;

/// Who caused an [`Error`]: the peer, the caller, or the connection itself.
///
/// # Examples
///
/// ```
/// use weir_proto::{Error, error::Origin};
/// assert_eq!(Error::EmptySeparator.origin(), Origin::Caller);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The remote end sent something the read could not accept (too long, too short).
    Peer,
    /// The program called the API in a way it does not allow.
    Caller,
    /// The transport failed (reset, broken pipe, timeout, TLS failure).
    Connection,
}

/// EOF arrived before a read could complete: asyncio's `IncompleteReadError`.
///
/// `partial` holds every byte the reader had (the buffer is empty afterwards);
/// `expected` is the size `read_exactly` asked for, or `None` for `read_until`
/// (CPython's `None`).
///
/// # Examples
///
/// ```
/// use weir_proto::{ReadBuffer, Error, Step};
/// let mut rb = ReadBuffer::new(1024)?;
/// rb.feed(b"abc")?;
/// rb.feed_eof();
/// let Err(Error::IncompleteRead(e)) = rb.read_exactly(5) else { panic!() };
/// assert_eq!((&e.partial[..], e.expected), (&b"abc"[..], Some(5)));
/// # Ok::<(), weir_proto::Error>(())
/// ```
///
/// Its `Debug` stays short whatever `partial` holds: the length and at most
/// the first [`DEBUG_PREFIX`] bytes, so `fn main() -> Result<(), Error>`
/// prints a line, not the 100 kB that came before EOF.
#[derive(Clone, PartialEq, Eq)]
pub struct IncompleteReadError {
    /// The bytes read before EOF.
    pub partial: Bytes,
    /// The number of bytes that were expected, `None` when reading until a separator.
    pub expected: Option<usize>,
}

/// How many bytes of [`IncompleteReadError::partial`] its `Debug` shows.
pub const DEBUG_PREFIX: usize = 32;

impl fmt::Debug for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Partial<'a>(&'a Bytes);
        impl fmt::Debug for Partial<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let b = &self.0[..];
                if b.len() <= DEBUG_PREFIX {
                    return write!(f, "{} bytes {:?}", b.len(), Bytes::copy_from_slice(b));
                }
                let head = Bytes::copy_from_slice(&b[..DEBUG_PREFIX]);
                write!(f, "{} bytes, starting {head:?}...", b.len())
            }
        }
        f.debug_struct("IncompleteReadError")
            .field("partial", &Partial(&self.partial))
            .field("expected", &self.expected)
            .finish()
    }
}

/// A separator was not found within the limit: asyncio's `LimitOverrunError`.
///
/// The data stays buffered, so the caller may read it another way (for example
/// with `read(n)` or `read_exactly(consumed)`). `consumed` is the number of
/// bytes to consume to get past the point where the limit was exceeded, with
/// CPython's exact values.
///
/// # Examples
///
/// ```
/// use weir_proto::{ReadBuffer, Separators, Error};
/// let mut rb = ReadBuffer::new(4)?;
/// rb.feed(b"abcdefgh")?;
/// let Err(Error::LimitOverrun(e)) = rb.read_until(&Separators::new(b"\n")?) else { panic!() };
/// assert_eq!(e.consumed, 8);
/// assert_eq!(rb.buffered(), 8); // nothing was dropped
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrunError {
    /// How many bytes to consume to get past the overrun.
    pub consumed: usize,
    /// Whether the separator was in the buffer (found, but beyond the limit).
    pub separator_found: bool,
}

/// Everything that can go wrong in weir.
///
/// `#[non_exhaustive]`: new variants may be added. Convert into
/// [`std::io::Error`] with `?` or `into()` where an `io::Result` is wanted:
/// peer errors become `UnexpectedEof` or `InvalidData`, caller errors
/// `InvalidInput`, connection errors keep their kind.
///
/// # Examples
///
/// ```
/// use weir_proto::Error;
/// let e: std::io::Error = Error::EmptySeparator.into();
/// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum Error {
    /// Peer: EOF before the read completed (asyncio's `IncompleteReadError`).
    IncompleteRead(IncompleteReadError),
    /// Peer: `read_until` did not find its separator within the limit
    /// (asyncio's `LimitOverrunError`); the data stays buffered.
    LimitOverrun(LimitOverrunError),
    /// Peer: `read_line` met a line longer than the limit (asyncio raises
    /// `ValueError`). The over-long line was dropped, through its `\n` if the
    /// `\n` was buffered, else the whole buffer.
    LineTooLong {
        /// The reader's limit.
        limit: usize,
        /// Whether the `\n` was buffered (and dropped with the line).
        separator_found: bool,
    },
    /// Caller: a limit of zero (asyncio: `ValueError('Limit cannot be <= 0')`).
    InvalidLimit,
    /// Caller: an empty separator, or an empty list of separators (`ValueError`).
    EmptySeparator,
    /// Caller: write buffer limits that break the rule high ≥ low ≥ 0 (`ValueError`).
    InvalidWatermarks {
        /// The requested high watermark.
        high: usize,
        /// The requested low watermark.
        low: usize,
    },
    /// Caller: a read started while another read is waiting for data
    /// (asyncio's `RuntimeError`). The waiting read is left untouched.
    ConcurrentRead,
    /// Caller: data fed to a reader after its EOF.
    FeedAfterEof,
    /// Caller: an argument outside what the operation accepts.
    InvalidArgument(&'static str),
    /// Caller: a write after `close` (or after the connection was closed).
    WriterClosed,
    /// Caller: a write after `write_eof`.
    WriteAfterEof,
    /// Connection: the transport failed; the same error is returned to every
    /// later read or drain.
    Connection(Arc<io::Error>),
}

impl Error {
    /// Wraps an I/O error as a connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::Error;
    /// let e = Error::connection(std::io::ErrorKind::ConnectionReset.into());
    /// assert_eq!(e.io_kind(), std::io::ErrorKind::ConnectionReset);
    /// ```
    pub fn connection(err: io::Error) -> Self {
        Error::Connection(Arc::new(err))
    }

    /// Who caused this error.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{Error, error::Origin};
    /// assert_eq!(Error::ConcurrentRead.origin(), Origin::Caller);
    /// ```
    pub fn origin(&self) -> Origin {
        match self {
            Error::IncompleteRead(_) | Error::LimitOverrun(_) | Error::LineTooLong { .. } => {
                Origin::Peer
            }
            Error::Connection(_) => Origin::Connection,
            _ => Origin::Caller,
        }
    }

    /// The [`io::ErrorKind`] this error maps to.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::Error;
    /// assert_eq!(Error::WriterClosed.io_kind(), std::io::ErrorKind::BrokenPipe);
    /// ```
    pub fn io_kind(&self) -> io::ErrorKind {
        match self {
            Error::IncompleteRead(_) => io::ErrorKind::UnexpectedEof,
            Error::LimitOverrun(_) | Error::LineTooLong { .. } => io::ErrorKind::InvalidData,
            Error::WriterClosed | Error::WriteAfterEof => io::ErrorKind::BrokenPipe,
            Error::Connection(e) => e.kind(),
            _ => io::ErrorKind::InvalidInput,
        }
    }
}

impl fmt::Display for IncompleteReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(n) => write!(
                f,
                "connection closed after {} of {} expected bytes",
                self.partial.len(),
                n
            ),
            None => write!(
                f,
                "connection closed after {} bytes without the separator",
                self.partial.len()
            ),
        }
    }
}

impl std::error::Error for IncompleteReadError {}

impl fmt::Display for LimitOverrunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.separator_found {
            write!(
                f,
                "separator found {} bytes in, beyond the limit; the data stays buffered: raise the limit or read it with read/read_exactly",
                self.consumed
            )
        } else {
            write!(
                f,
                "separator not found within the limit ({} bytes scanned); the data stays buffered: raise the limit or read it with read/read_exactly",
                self.consumed
            )
        }
    }
}

impl std::error::Error for LimitOverrunError {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::IncompleteRead(e) => e.fmt(f),
            Error::LimitOverrun(e) => e.fmt(f),
            Error::LineTooLong { limit, .. } => write!(
                f,
                "line longer than limit ({limit} bytes) was dropped; raise the limit or use read_until"
            ),
            Error::InvalidLimit => f.write_str("limit must be at least 1 byte"),
            Error::EmptySeparator => {
                f.write_str("separator must be at least one byte, and a list needs one separator")
            }
            Error::InvalidWatermarks { high, low } => write!(
                f,
                "write buffer limits must satisfy high >= low >= 0 (got high={high}, low={low})"
            ),
            Error::ConcurrentRead => f.write_str(
                "a read was started while another read is waiting for data; await one read at a time",
            ),
            Error::FeedAfterEof => f.write_str("data fed after EOF; a reader takes no data after feed_eof"),
            Error::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            Error::WriterClosed => f.write_str("write after the writer was closed"),
            Error::WriteAfterEof => f.write_str("write after write_eof; the write side is shut down"),
            // Transparent: the I/O error says what failed (and its own
            // source, if any, is this error's source).
            Error::Connection(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // Every variant's message already says its cause (the read errors'
        // and the I/O error's own text), so only the I/O error's cause, if it
        // has one, is a source: no message in the chain repeats another.
        match self {
            Error::Connection(e) => e.source(),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        io::Error::new(e.io_kind(), e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::connection(e)
    }
}

impl From<IncompleteReadError> for Error {
    fn from(e: IncompleteReadError) -> Error {
        Error::IncompleteRead(e)
    }
}

impl From<LimitOverrunError> for Error {
    fn from(e: LimitOverrunError) -> Error {
        Error::LimitOverrun(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_kinds() {
        let e = Error::IncompleteRead(IncompleteReadError {
            partial: Bytes::new(),
            expected: Some(3),
        });
        assert_eq!(io::Error::from(e).kind(), io::ErrorKind::UnexpectedEof);
        let e = Error::connection(io::ErrorKind::ConnectionReset.into());
        assert_eq!(e.origin(), Origin::Connection);
        assert_eq!(io::Error::from(e).kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(Error::InvalidLimit.io_kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn messages_are_lowercase_and_say_what_to_do() {
        let msg = Error::LineTooLong {
            limit: 65536,
            separator_found: false,
        }
        .to_string();
        assert!(
            msg.contains("65536") && msg.contains("raise the limit"),
            "{msg}"
        );
    }
}
