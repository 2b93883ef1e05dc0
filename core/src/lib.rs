//! # weir-proto: asyncio's Streams, as pure state machines
//!
//! weir brings Python asyncio's Streams API (`open_connection`, `start_server`,
//! `StreamReader`, `StreamWriter`) to Rust. This crate is its heart: it does
//! **no network I/O**, knows no async runtime, no `Future`, no `Waker` and no
//! clock. A [`ReadBuffer`] takes bytes in and hands results out; a
//! [`WriteBuffer`] queues bytes and says what to send next; the RFC 8305
//! [`eyeballs::Planner`] takes addresses and the time and returns actions.
//! Its only dependencies are `bytes` and `memchr`. CPython's limit rule
//! for `readuntil` and `readline` is the [`frame`] module, on its own, so a
//! framing layer outside this crate (weir-tokio's codecs) decides exactly
//! as the reader does.
//!
//! `weir-stream` drives these machines from async tasks once for every
//! runtime, and the backends (`weir-tokio`, `weir-smol`, `weir-async-std`)
//! bind it to real sockets; the [`blocking`] module drives the same machines
//! over `std::io::Read`/`Write` for synchronous code.
//!
//! ```text
//!   socket ──read──▶ feed / spare_mut+commit ─▶ ┌────────────┐ ─▶ read_line / read_until /
//!                    feed_eof / set_error        │ ReadBuffer │    read_exactly / read
//!                                                └────────────┘    (Ready | NeedData | Err)
//!                                                  wants_read()  ◀─ flow control, asked not acted
//!
//!   write / write_lines ─▶ ┌─────────────┐ ─▶ next_chunks(&mut [IoSlice]) ──writev──▶ socket
//!                          │ WriteBuffer │ ◀─ advance(n)
//!                          └─────────────┘    is_paused() ◀─ drain waits while true
//! ```
//!
//! ## Driving a reader by hand
//!
//! ```
//! use weir_proto::{ReadBuffer, Step};
//! let mut rb = ReadBuffer::new(64 * 1024)?;
//! let mut lines = Vec::new();
//! for chunk in [&b"PING\r\nPI"[..], b"NG\r\n", b"QUIT"] {
//!     rb.feed(chunk)?;
//!     while let Step::Ready(line) = rb.read_line()? {
//!         lines.push(line);
//!     }
//! }
//! rb.feed_eof();
//! let Step::Ready(last) = rb.read_line()? else { unreachable!() };
//! assert_eq!(lines, [&b"PING\r\n"[..], b"PING\r\n"]);
//! assert_eq!(&last[..], b"QUIT");
//! # Ok::<(), weir_proto::Error>(())
//! ```
//!
//! ## Why a sans-IO core
//!
//! The semantics (limits, CPython's exact error values, backpressure, the
//! one-read-at-a-time rule) are written and tested once, here, in virtual
//! time and without sockets; CPython's own `asyncio.StreamReader` checks them
//! scenario by scenario (`weir-conformance`). Each runtime only moves bytes.

pub mod blocking;
pub mod error;
pub mod eyeballs;
pub mod frame;
pub mod reader;
pub mod separator;
pub mod writer;

pub use error::{Error, IncompleteReadError, LimitOverrunError};
pub use reader::{ReadBuffer, DEFAULT_LIMIT};
pub use separator::{IntoSeparators, Separators};
pub use writer::{Flush, Watermarks, WriteBuffer, DEFAULT_HIGH, FLUSH_NOW_AT};

/// The outcome of a non-blocking read: a value, or "feed more data and ask again".
///
/// # Examples
///
/// ```
/// use weir_proto::{ReadBuffer, Step};
/// let mut rb = ReadBuffer::default();
/// assert!(rb.read_line()?.is_need_data());
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// The read completed with this value.
    Ready(T),
    /// The read needs more input (or EOF) before it can complete.
    NeedData,
}

impl<T> Step<T> {
    /// True for [`Step::NeedData`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_proto::Step::<()>::NeedData.is_need_data());
    /// ```
    pub fn is_need_data(&self) -> bool {
        matches!(self, Step::NeedData)
    }

    /// The value, if ready.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::Step::Ready(3).ready(), Some(3));
    /// ```
    pub fn ready(self) -> Option<T> {
        match self {
            Step::Ready(v) => Some(v),
            Step::NeedData => None,
        }
    }
}
