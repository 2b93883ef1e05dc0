//! `ReadBuffer`: asyncio's `StreamReader` as a sans-IO state machine.
//!
//! # Call order
//!
//! 1. **Inputs**: [`feed`](ReadBuffer::feed) (or [`spare_mut`](ReadBuffer::spare_mut)
//!    then [`commit`](ReadBuffer::commit)), [`feed_eof`](ReadBuffer::feed_eof),
//!    [`set_error`](ReadBuffer::set_error).
//! 2. **Reads**: [`read`](ReadBuffer::read), [`read_to_end`](ReadBuffer::read_to_end),
//!    [`read_line`](ReadBuffer::read_line), [`read_exactly`](ReadBuffer::read_exactly),
//!    [`read_until`](ReadBuffer::read_until). Each returns `Ok(Step::Ready(bytes))`,
//!    `Ok(Step::NeedData)` (feed more, then call the same read again), or an error.
//!    A read that returns `NeedData` is *pending*: calling it again after the
//!    next input is how it continues. Starting any other read abandons it;
//!    to abandon it without starting another (a dropped future), call
//!    [`abandon`](ReadBuffer::abandon). Abandoning it loses nothing.
//! 3. **Questions**: [`wants_read`](ReadBuffer::wants_read) (flow control),
//!    [`buffered`](ReadBuffer::buffered), [`at_eof`](ReadBuffer::at_eof),
//!    [`exception`](ReadBuffer::exception), [`limit`](ReadBuffer::limit).
//!
//! Every read is a pure function of the buffered bytes, the EOF flag, the
//! stored error and the limit: the resumable scan offset it keeps is a cache
//! and never changes a result.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{IncompleteReadError, LimitOverrunError};
use crate::frame::{self, Scan};
use crate::{Error, Separators, Step};

/// asyncio's default limit: 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// When the buffer empties with more capacity than this, the memory is given back.
const SHRINK_ABOVE: usize = 256 * 1024;

/// Once the reader copies small results, a result is split off the block
/// (shared, not copied) only if it is at least 1/`SPLIT_FRACTION` of the
/// block: a kept result then holds at most `SPLIT_FRACTION` × its size.
const SPLIT_FRACTION: usize = 4;

/// The scan id of `read_line`'s `\n` (ids of [`Separators`] start at 1).
const NEWLINE_ID: u64 = 0;

/// asyncio's `StreamReader` buffer, without I/O: feed bytes in, take results out.
///
/// # Memory: what a kept result costs
///
/// Every read returns an owned [`Bytes`]. The buffer lives in blocks (one
/// allocation each, a power of two: 64 KiB for 64 KiB reads); a result is
/// either *split* off its block (no copy; the result shares the block and
/// keeps all of it alive until the result and every other result split
/// off it are dropped) or *copied* into an allocation of its own size.
///
/// - While results are dropped before the reader is done with their block
///   (the usual `let line = read_line(); handle(line);`), results are split:
///   no copy, one reference-count increment and decrement each, and the
///   block is reused in place.
/// - Once the reader finds a block it is done with (to grow, to refill, or
///   in [`release_if_empty`](Self::release_if_empty)) still held by results,
///   the application keeps results, and from then on a result smaller than
///   a quarter of its block is copied (one allocation and `memcpy`); larger
///   ones are still split. A kept result then holds at most its own size,
///   or at most 4 × its size of buffer.
/// - So the most one reader ever lets small kept results pin beyond their
///   own size is the one block in use when it first saw results kept (a
///   power of two covering what was buffered plus one read: 64–128 KiB
///   with the defaults), not one block per burst: keeping one 10-byte line out of
///   each of 2,000 bursts of 100 KiB holds about 0.1 MB, not 200 MB
///   (`core/tests/retention.rs`).
///
/// A [`Bytes`] result can be kept cheaply for as long as needed; to make
/// sure nothing but its own bytes is held, copy it
/// (`Bytes::copy_from_slice`).
///
/// # Examples
///
/// A line arriving in two pieces:
///
/// ```
/// use weir_proto::{ReadBuffer, Step};
/// let mut rb = ReadBuffer::new(64 * 1024)?;
/// rb.feed(b"EHLO exa")?;
/// assert!(matches!(rb.read_line()?, Step::NeedData));
/// rb.feed(b"mple\r\n")?;
/// let Step::Ready(line) = rb.read_line()? else { unreachable!() };
/// assert_eq!(&line[..], b"EHLO example\r\n");
/// # Ok::<(), weir_proto::Error>(())
/// ```
pub struct ReadBuffer {
    /// `buf[..filled]` is data; `buf[filled..]` is initialised spare room for
    /// the next `spare_mut`, kept so it is zeroed only once.
    buf: BytesMut,
    filled: usize,
    limit: usize,
    eof: bool,
    error: Option<Error>,
    paused: bool,
    /// Bytes at the front that a pending `read_to_end` has taken (CPython
    /// moves them out of the buffer; we keep them in place until EOF).
    to_end: usize,
    /// Resumable search: the separator id and the offset to search from
    /// (0: search from the start, whatever the id).
    scan_id: u64,
    scan_off: usize,
    /// The separators a `read_until` built from bytes, kept while the scan
    /// offset belongs to them: the next call with the same bytes resumes
    /// the search instead of starting over.
    built: Option<Separators>,
    /// Size of the allocation (the *block*) `buf` lives in; 0 for none.
    /// `buf` starts [`consumed`](Self::consumed) bytes into it.
    block: usize,
    /// A block was seen held by results after the reader was done with it:
    /// the application keeps results, so small ones are copied from now on.
    /// Until then every result is split off the block (shares it).
    copy_small: bool,
    /// With `copy_small`: a (large) result was split off this block.
    big_split: bool,
    /// The `\n` searcher of `read_line`, chosen once.
    newline: Newline,
}

/// A stored error, cloned off the hot path.
#[cold]
#[inline(never)]
fn cold_clone(e: &Error) -> Error {
    e.clone()
}

/// Finds `\n` for `read_line`. On x86-64 with AVX2 it keeps the memchr
/// crate's AVX2 searcher, chosen once per reader, instead of going through
/// `memchr::memchr`'s per-call dispatch: on lines of tens of bytes the
/// dispatch cost as much as the search.
#[derive(Clone, Copy)]
struct Newline {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::memchr::One>,
}

impl Newline {
    fn new() -> Newline {
        Newline {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::x86_64::avx2::memchr::One::new(b'\n'),
        }
    }

    #[inline]
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(one) = &self.avx2 {
            return one.find(haystack);
        }
        memchr::memchr(b'\n', haystack)
    }
}

impl std::fmt::Debug for ReadBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadBuffer")
            .field("buffered", &self.buffered())
            .field("limit", &self.limit)
            .field("eof", &self.eof)
            .field("paused", &self.paused)
            .field("error", &self.error)
            .finish()
    }
}

impl Default for ReadBuffer {
    /// A reader with the default limit of 64 KiB.
    fn default() -> Self {
        ReadBuffer::with_limit(DEFAULT_LIMIT)
    }
}

impl ReadBuffer {
    /// A reader whose reads are bounded by `limit` bytes (asyncio's `limit`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] if `limit` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_proto::ReadBuffer::new(0).is_err());
    /// assert_eq!(weir_proto::ReadBuffer::new(10)?.limit(), 10);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn new(limit: usize) -> Result<Self, Error> {
        if limit == 0 {
            return Err(Error::InvalidLimit);
        }
        Ok(ReadBuffer::with_limit(limit))
    }

    fn with_limit(limit: usize) -> Self {
        ReadBuffer {
            buf: BytesMut::new(),
            filled: 0,
            limit,
            eof: false,
            error: None,
            paused: false,
            to_end: 0,
            scan_id: NEWLINE_ID,
            scan_off: 0,
            built: None,
            block: 0,
            copy_small: false,
            big_split: false,
            newline: Newline::new(),
        }
    }

    // ----- getters -------------------------------------------------------

    /// The limit reads are bounded by.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::ReadBuffer::default().limit(), 65536);
    /// ```
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes buffered and not yet returned by a read (CPython's `len(reader._buffer)`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// rb.feed(b"abc")?;
    /// assert_eq!(rb.buffered(), 3);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn buffered(&self) -> usize {
        self.filled - self.to_end
    }

    /// True once EOF was fed and every byte has been read (asyncio's `at_eof`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// rb.feed_eof();
    /// assert!(rb.at_eof());
    /// ```
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffered() == 0
    }

    /// True once EOF was fed, whether or not bytes remain.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// rb.feed(b"x")?;
    /// rb.feed_eof();
    /// assert!(rb.is_eof() && !rb.at_eof());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// The error set with [`set_error`](Self::set_error), if any (asyncio's `exception()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// assert!(rb.exception().is_none());
    /// rb.set_error(weir_proto::Error::connection(std::io::ErrorKind::ConnectionReset.into()));
    /// assert!(rb.exception().is_some());
    /// ```
    pub fn exception(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Flow control: false while reading should pause (after a feed left more
    /// than 2 × limit buffered), true again once a read leaves at most `limit`
    /// buffered or a read has to wait for data.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::new(2)?;
    /// rb.feed(b"abcde")?;
    /// assert!(!rb.wants_read());
    /// rb.read(3)?;
    /// assert!(rb.wants_read());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn wants_read(&self) -> bool {
        !self.paused
    }

    // ----- inputs --------------------------------------------------------

    /// Appends bytes from the peer (asyncio's `feed_data`). Empty input does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::FeedAfterEof`] after [`feed_eof`](Self::feed_eof).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// rb.feed(b"hello")?;
    /// rb.feed_eof();
    /// assert!(rb.feed(b"more").is_err());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.eof {
            return Err(Error::FeedAfterEof);
        }
        if data.is_empty() {
            return Ok(());
        }
        let end = self.filled + data.len();
        if end <= self.buf.len() {
            self.buf[self.filled..end].copy_from_slice(data);
        } else {
            self.room(end);
            self.buf.truncate(self.filled);
            self.buf.extend_from_slice(data);
        }
        self.filled = end;
        self.after_feed();
        Ok(())
    }

    /// [`feed`](Self::feed) under asyncio's name, the name
    /// `StreamReader::feed_data` has: the same operation on every reader.
    ///
    /// # Errors
    ///
    /// As [`feed`](Self::feed).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::new(16)?;
    /// rb.feed_data(b"abc")?;
    /// assert_eq!(rb.buffered(), 3);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn feed_data(&mut self, data: &[u8]) -> Result<(), Error> {
        self.feed(data)
    }

    /// At least `min` bytes of writable room after the buffered data, for a
    /// transport to read into; follow with [`commit`](Self::commit).
    ///
    /// The room is initialised once and reused, so repeated reads do not
    /// zero memory again. Cost: amortised O(1) besides the first use of new room.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// let room = rb.spare_mut(4096);
    /// let n = (&b"hi\n"[..]).read(room).unwrap();
    /// rb.commit(n)?;
    /// assert_eq!(rb.buffered(), 3);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn spare_mut(&mut self, min: usize) -> &mut [u8] {
        let want = self.filled + min;
        if self.buf.len() < want {
            self.room(want);
            self.buf.resize(want, 0);
        }
        &mut self.buf[self.filled..]
    }

    /// How many bytes [`spare_mut`](Self::spare_mut) can hand out now
    /// without allocating or zeroing memory: room kept from earlier reads.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// assert_eq!(rb.spare_len(), 0);
    /// rb.spare_mut(100);
    /// assert!(rb.spare_len() >= 100);
    /// ```
    pub fn spare_len(&self) -> usize {
        self.buf.len() - self.filled
    }

    /// Gives the buffer's memory back if it holds no byte; does nothing
    /// otherwise. Call it before waiting for the peer, so an idle
    /// connection holds no read buffer; the next read allocates again.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// rb.spare_mut(4096);
    /// rb.release_if_empty();
    /// assert_eq!(rb.spare_len(), 0);
    /// rb.feed(b"x")?;
    /// rb.release_if_empty(); // one byte buffered: kept
    /// assert_eq!(rb.buffered(), 1);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn release_if_empty(&mut self) {
        self.release_if_empty_above(0);
    }

    /// [`release_if_empty`](Self::release_if_empty) for a buffer whose memory
    /// block is larger than `keep` bytes: a connection waiting for its peer
    /// keeps a small buffer for the next read (no allocation, copy and free
    /// per round trip) and gives a large one back.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// rb.spare_mut(4096);
    /// rb.release_if_empty_above(4096); // small: kept
    /// assert!(rb.spare_len() >= 4096);
    /// rb.spare_mut(65536);
    /// rb.release_if_empty_above(4096); // large: given back
    /// assert_eq!(rb.allocated(), 0);
    /// ```
    pub fn release_if_empty_above(&mut self, keep: usize) {
        if self.filled == 0 && self.block > keep {
            self.leave_block();
        }
    }

    /// How many bytes of buffer this reader holds right now (buffered bytes
    /// plus spare room): what an idle or a busy connection costs in memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// assert_eq!(rb.allocated(), 0);
    /// rb.feed(b"PING\r\n")?;
    /// assert!(rb.allocated() >= 6);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn allocated(&self) -> usize {
        self.buf.capacity()
    }

    /// Records that `n` bytes were written into [`spare_mut`](Self::spare_mut)'s room.
    ///
    /// # Errors
    ///
    /// [`Error::FeedAfterEof`] after EOF; [`Error::InvalidArgument`] if `n` is
    /// larger than the room handed out.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut rb = weir_proto::ReadBuffer::default();
    /// rb.spare_mut(2).copy_from_slice(&[b'o', b'k'][..]);
    /// rb.commit(2)?;
    /// assert!(rb.commit(1 << 30).is_err());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn commit(&mut self, n: usize) -> Result<(), Error> {
        if self.eof {
            return Err(Error::FeedAfterEof);
        }
        if n > self.buf.len() - self.filled {
            return Err(Error::InvalidArgument(
                "commit(n): n is larger than the room spare_mut handed out",
            ));
        }
        if n > 0 {
            self.filled += n;
            self.after_feed();
        }
        Ok(())
    }

    /// The peer closed its side (asyncio's `feed_eof`). A second call changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Step};
    /// let mut rb = ReadBuffer::default();
    /// rb.feed(b"tail")?;
    /// rb.feed_eof();
    /// let Step::Ready(l) = rb.read_line()? else { unreachable!() };
    /// assert_eq!(&l[..], b"tail");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// The connection failed (asyncio's `set_exception`): every later read
    /// returns this error, including one that is pending now.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Error};
    /// let mut rb = ReadBuffer::default();
    /// rb.feed(b"data")?;
    /// rb.set_error(Error::connection(std::io::ErrorKind::ConnectionReset.into()));
    /// assert!(matches!(rb.read(10), Err(Error::Connection(_))));
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn set_error(&mut self, err: Error) {
        self.error = Some(err);
    }

    /// [`set_error`](Self::set_error) under asyncio's name, the name
    /// `StreamReader::set_exception` has: the same operation on every reader.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{Error, ReadBuffer};
    /// let mut rb = ReadBuffer::new(16)?;
    /// rb.set_exception(Error::connection(std::io::ErrorKind::ConnectionReset.into()));
    /// assert!(rb.exception().is_some());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn set_exception(&mut self, err: Error) {
        self.set_error(err)
    }

    /// The pending read was given up without another read starting (in
    /// async code: its future was dropped): the bytes a pending
    /// [`read_to_end`](Self::read_to_end) set aside count as buffered again,
    /// for [`buffered`](Self::buffered), [`at_eof`](Self::at_eof) and flow
    /// control. Nothing is lost either way; without it the state would be
    /// wrong until the next read. Harmless when no read is pending.
    ///
    /// CPython has no counterpart: a cancelled `read(-1)` there loses the
    /// bytes it had moved out of the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Step};
    /// let mut rb = ReadBuffer::default();
    /// rb.feed(b"abc")?;
    /// assert!(matches!(rb.read_to_end()?, Step::NeedData));
    /// assert_eq!(rb.buffered(), 0); // as CPython: read(-1) holds them
    /// rb.abandon();
    /// rb.feed_eof();
    /// assert_eq!(rb.buffered(), 3);
    /// assert!(!rb.at_eof());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn abandon(&mut self) {
        self.untake();
    }

    // ----- reads ---------------------------------------------------------

    /// Up to `n` bytes (asyncio's `read(n)`): empty at once for `n == 0`;
    /// otherwise waits for at least one byte; empty at EOF.
    ///
    /// Memory: the result is split off the buffer (shared, no copy) or, once
    /// results are seen kept, copied if small beside the buffer's block; see
    /// [`ReadBuffer`]'s *Memory* section for what a kept result holds.
    ///
    /// # Errors
    ///
    /// The stored connection error, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Step};
    /// let mut rb = ReadBuffer::default();
    /// assert!(matches!(rb.read(5)?, Step::NeedData));
    /// rb.feed(b"abcdefg")?;
    /// let Step::Ready(b) = rb.read(5)? else { unreachable!() };
    /// assert_eq!(&b[..], b"abcde");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read(&mut self, n: usize) -> Result<Step<Bytes>, Error> {
        self.start()?;
        if n == 0 {
            return Ok(Step::Ready(Bytes::new()));
        }
        if self.filled == 0 && !self.eof {
            return Ok(self.wait());
        }
        let data = self.take(n.min(self.filled));
        self.maybe_resume();
        Ok(Step::Ready(data))
    }

    /// Everything until EOF (asyncio's `read()` / `read(-1)`).
    ///
    /// While it waits, the bytes it has taken no longer count as buffered
    /// (as in CPython), but they stay in place: start another read, or call
    /// [`abandon`](Self::abandon), and they count again.
    ///
    /// Memory: the result is split off the buffer (shared, no copy) or, once
    /// results are seen kept, copied if small beside the buffer's block; see
    /// [`ReadBuffer`]'s *Memory* section for what a kept result holds.
    ///
    /// # Errors
    ///
    /// The stored connection error, if any; the bytes it had set aside are
    /// then dropped, as CPython's `read(-1)` raises with them.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Step};
    /// let mut rb = ReadBuffer::default();
    /// rb.feed(b"ab")?;
    /// assert!(matches!(rb.read_to_end()?, Step::NeedData));
    /// rb.feed(b"cd")?;
    /// rb.feed_eof();
    /// let Step::Ready(all) = rb.read_to_end()? else { unreachable!() };
    /// assert_eq!(&all[..], b"abcd");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read_to_end(&mut self) -> Result<Step<Bytes>, Error> {
        if let Err(e) = self.check_error() {
            // CPython's read(-1) raises, and the blocks it had collected go
            // with it: every later read fails with this error anyway.
            let _ = self.take(self.to_end);
            self.to_end = 0;
            return Err(e);
        }
        self.to_end = self.filled;
        if !self.eof {
            return Ok(self.wait());
        }
        self.to_end = 0;
        let data = self.take(self.filled);
        self.maybe_resume();
        Ok(Step::Ready(data))
    }

    /// Exactly `n` bytes (asyncio's `readexactly`).
    ///
    /// Memory: the result is split off the buffer (shared, no copy) or, once
    /// results are seen kept, copied if small beside the buffer's block; see
    /// [`ReadBuffer`]'s *Memory* section for what a kept result holds.
    ///
    /// # Errors
    ///
    /// [`Error::IncompleteRead`] with every buffered byte as `partial` if EOF
    /// comes first (the buffer is then empty); the stored connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Step};
    /// let mut rb = ReadBuffer::default();
    /// rb.feed(b"\x00\x05hello!")?;
    /// let Step::Ready(hdr) = rb.read_exactly(2)? else { unreachable!() };
    /// let Step::Ready(body) = rb.read_exactly(hdr[1] as usize)? else { unreachable!() };
    /// assert_eq!(&body[..], b"hello");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read_exactly(&mut self, n: usize) -> Result<Step<Bytes>, Error> {
        self.start()?;
        if n == 0 {
            return Ok(Step::Ready(Bytes::new()));
        }
        if self.filled >= n {
            let data = self.take(n);
            self.maybe_resume();
            return Ok(Step::Ready(data));
        }
        if self.eof {
            let partial = self.take(self.filled);
            return Err(Error::IncompleteRead(IncompleteReadError {
                partial,
                expected: Some(n),
            }));
        }
        Ok(self.wait())
    }

    /// One line, through `\n` (asyncio's `readline`): at EOF the partial
    /// line, and empty once nothing is left.
    ///
    /// Memory: the result is split off the buffer (shared, no copy) or, once
    /// results are seen kept, copied if small beside the buffer's block; see
    /// [`ReadBuffer`]'s *Memory* section for what a kept result holds.
    ///
    /// # Errors
    ///
    /// [`Error::LineTooLong`] when the line is longer than the limit: the line
    /// is dropped through its `\n` if buffered, else the whole buffer is
    /// dropped, exactly as CPython; the stored connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Step, Error};
    /// let mut rb = ReadBuffer::new(4)?;
    /// rb.feed(b"toolong\nok\n")?;
    /// assert!(matches!(rb.read_line(), Err(Error::LineTooLong { .. })));
    /// let Step::Ready(l) = rb.read_line()? else { unreachable!() };
    /// assert_eq!(&l[..], b"ok\n");
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    #[inline]
    pub fn read_line(&mut self) -> Result<Step<Bytes>, Error> {
        self.start()?;
        // `until` for the one separator `\n`, written out: this is the
        // per-line path.
        let from = if self.scan_id == NEWLINE_ID {
            self.scan_off
        } else {
            0
        };
        if let Some(i) = self.newline.find(&self.buf[from..self.filled]) {
            let start = from + i;
            return match frame::check_found(start, self.limit) {
                Ok(()) => {
                    let data = self.take(start + 1);
                    self.maybe_resume();
                    Ok(Step::Ready(data))
                }
                Err(e) => Err(self.line_too_long(&e)),
            };
        }
        self.line_not_found(from)
    }

    /// `read_line` found no `\n` after `from`.
    #[inline(never)]
    fn line_not_found(&mut self, from: usize) -> Result<Step<Bytes>, Error> {
        if self.filled > from {
            match frame::check_not_found(self.filled, 1, self.limit) {
                Ok(resume) => {
                    self.scan_id = NEWLINE_ID;
                    self.scan_off = resume;
                }
                // Not cached (see `until`).
                Err(e) => return Err(self.line_too_long(&e)),
            }
        }
        if self.eof {
            // CPython's readline returns the partial line at EOF.
            return Ok(Step::Ready(self.take(self.filled)));
        }
        Ok(self.wait())
    }

    /// CPython's readline after `readuntil(b"\n")` overran: the line is
    /// dropped through its `\n`, or the whole buffer without one.
    #[cold]
    fn line_too_long(&mut self, overrun: &LimitOverrunError) -> Error {
        let _ = self.take(frame::readline_discard(overrun, self.filled));
        self.maybe_resume();
        Error::LineTooLong {
            limit: self.limit,
            separator_found: overrun.separator_found,
        }
    }

    /// Bytes through the first separator, which is included (asyncio's
    /// `readuntil`; several separators as CPython 3.13).
    ///
    /// `sep` is bytes (`b"\r\n"`, `&str`, `Vec<u8>`, ...) or a
    /// [`Separators`], by reference or by value (see [`IntoSeparators`]).
    ///
    /// Cost: a `&Separators` is used as it is, and a search that returned
    /// `NeedData` resumes where it stopped when called again with it. Bytes
    /// build a searcher on each call (one small allocation, plus a memmem
    /// finder for a multi-byte separator); the search still resumes when
    /// the same bytes come back. In a hot loop, build a `Separators` once.
    ///
    /// Memory: the result is split off the buffer (shared, no copy) or, once
    /// results are seen kept, copied if small beside the buffer's block; see
    /// [`ReadBuffer`]'s *Memory* section for what a kept result holds.
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`] for an empty separator (nothing changes);
    /// [`Error::LimitOverrun`] when no separator is found within the limit or
    /// the separator lies beyond it (data stays buffered);
    /// [`Error::IncompleteRead`] at EOF (the buffer is then empty); the stored
    /// connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Separators, Step};
    /// let head_end = Separators::new(b"\r\n\r\n")?;
    /// let mut rb = ReadBuffer::default();
    /// rb.feed(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody;")?;
    /// let Step::Ready(head) = rb.read_until(&head_end)? else { unreachable!() };
    /// assert!(head.ends_with(b"\r\n\r\n"));
    /// let Step::Ready(body) = rb.read_until(b";")? else { unreachable!() };
    /// assert_eq!(&body[..], b"body;");
    /// assert!(rb.read_until("\n")?.is_need_data());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    ///
    /// [`IntoSeparators`]: crate::IntoSeparators
    #[inline]
    pub fn read_until<'a>(
        &mut self,
        sep: impl crate::IntoSeparators<'a>,
    ) -> Result<Step<Bytes>, Error> {
        let seps = sep.into_separators()?;
        self.start()?;
        match seps {
            std::borrow::Cow::Borrowed(seps) => self.until(seps),
            std::borrow::Cow::Owned(seps) => self.until_built(seps),
        }
    }

    /// Bytes through the first of several separators (asyncio 3.13's
    /// `readuntil((sep1, sep2))`); where two end at the same byte, the
    /// shorter is taken. The same as `read_until(Separators::any(seps)?)`.
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`] for an empty list or separator; otherwise as
    /// [`read_until`](Self::read_until).
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{ReadBuffer, Step};
    /// let mut rb = ReadBuffer::default();
    /// rb.feed(b"a\r\nb\n")?;
    /// assert_eq!(rb.read_until_any(["\r\n", "\n"])?, Step::Ready("a\r\n".into()));
    /// assert_eq!(rb.read_until_any(["\r\n", "\n"])?, Step::Ready("b\n".into()));
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn read_until_any<I, S>(&mut self, seps: I) -> Result<Step<Bytes>, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.read_until(Separators::any(seps)?)
    }

    // ----- internals -----------------------------------------------------

    /// Every read but `read_to_end` starts here: a read that starts
    /// abandons a pending one (even a read that returns at once, or fails
    /// with the stored error), then fails if the connection did.
    #[inline(always)]
    fn start(&mut self) -> Result<(), Error> {
        self.untake();
        self.check_error()
    }

    #[inline(always)]
    fn check_error(&self) -> Result<(), Error> {
        match &self.error {
            Some(e) => Err(cold_clone(e)),
            None => Ok(()),
        }
    }

    /// `until` for separators built by this call: if they are the ones the
    /// scan offset belongs to (built from the same bytes last time), the
    /// kept ones are used so the search resumes.
    fn until_built(&mut self, seps: Separators) -> Result<Step<Bytes>, Error> {
        let seps = match self.built.take() {
            Some(kept) if kept.same_as(&seps) => kept,
            _ => seps,
        };
        let r = self.until(&seps);
        if self.scan_id == seps.id() && self.scan_off > 0 {
            self.built = Some(seps);
        }
        r
    }

    /// CPython's `readuntil` loop body, one pass per call.
    #[inline(always)]
    fn until(&mut self, seps: &Separators) -> Result<Step<Bytes>, Error> {
        let offset = if self.scan_id == seps.id() {
            self.scan_off
        } else {
            0
        };
        match frame::scan(seps, &self.buf[..self.filled], offset, self.limit) {
            Scan::Found { end, .. } => {
                let data = self.take(end);
                self.maybe_resume();
                return Ok(Step::Ready(data));
            }
            Scan::Overrun(e) => {
                if e.separator_found {
                    // Asked again, the search finds the same separator.
                    self.scan_id = seps.id();
                    self.scan_off = offset;
                }
                // Not found: not cached. Asked again with nothing new,
                // CPython (which starts each call at offset 0) raises the
                // same error again.
                return Err(Error::LimitOverrun(e));
            }
            Scan::NeedData { resume } => {
                self.scan_id = seps.id();
                self.scan_off = resume;
            }
        }
        if self.eof {
            let partial = self.take(self.filled);
            return Err(Error::IncompleteRead(IncompleteReadError {
                partial,
                expected: None,
            }));
        }
        Ok(self.wait())
    }

    /// A read must wait: resume reading first, or it would wait forever.
    fn wait(&mut self) -> Step<Bytes> {
        self.paused = false;
        Step::NeedData
    }

    fn after_feed(&mut self) {
        if !self.paused && self.buffered() > self.limit.saturating_mul(2) {
            self.paused = true;
        }
    }

    fn maybe_resume(&mut self) {
        if self.paused && self.buffered() <= self.limit {
            self.paused = false;
        }
    }

    /// Gives back the bytes a pending `read_to_end` had taken: another read
    /// started, or the pending one was abandoned.
    fn untake(&mut self) {
        self.to_end = 0;
    }

    /// Takes `n` bytes off the front: split off the block (shared, no
    /// copy), or copied once the reader has seen results kept and the
    /// result is small beside the block (see the type's memory notes).
    #[inline(always)]
    fn take(&mut self, n: usize) -> Bytes {
        self.scan_off = 0;
        if n == 0 {
            return Bytes::new();
        }
        let data = if self.copy_small && n.saturating_mul(SPLIT_FRACTION) < self.block {
            let data = Bytes::copy_from_slice(&self.buf[..n]);
            self.buf.advance(n);
            data
        } else {
            self.big_split |= self.copy_small;
            self.buf.split_to(n).freeze()
        };
        self.filled -= n;
        if self.filled == 0 && self.buf.capacity() > SHRINK_ABOVE {
            self.leave_block();
        }
        data
    }

    /// Makes `buf` able to hold `want` bytes (`want > filled`) in all:
    /// room left in the block, else the block reclaimed (its data moved to
    /// the front) if no result holds it, else a new block, a power of two.
    /// Spare room past `filled` may be dropped.
    fn room(&mut self, want: usize) {
        if self.buf.capacity() >= want {
            return;
        }
        self.buf.truncate(self.filled);
        let consumed = self.consumed();
        // Moving the bytes back must cost no more than the bytes taken.
        if self.block >= want && consumed > 0 && consumed >= self.filled {
            // Room for the whole block: granted (by moving the bytes to
            // the front) only if no result shares it. Never allocates.
            if self.buf.try_reclaim(self.block - self.filled) {
                debug_assert_eq!(self.consumed(), 0);
                self.big_split = false;
                return;
            }
        }
        // Grow in powers of two: growing to `want` exactly leaves odd
        // capacities (4+8+16+32+64 KiB reads give 124 KiB) that the next
        // reserve doubles, so a connection streaming past a 64 KiB limit
        // held 248 KiB instead of 128 KiB.
        let cap = want.checked_next_power_of_two().unwrap_or(want);
        let mut block = BytesMut::with_capacity(cap);
        block.extend_from_slice(&self.buf[..self.filled]);
        let old = std::mem::replace(&mut self.buf, block);
        let old_block = std::mem::replace(&mut self.block, cap);
        self.notice_kept(old, old_block);
    }

    /// The reader is done with `old` (a block of `old_block` bytes): if
    /// results still hold it, the application keeps results, and small
    /// ones are copied from now on.
    fn notice_kept(&mut self, mut old: BytesMut, old_block: usize) {
        let may_be_shared = !self.copy_small || self.big_split;
        self.big_split = false;
        if old_block == 0 || !may_be_shared {
            return;
        }
        old.truncate(0);
        let consumed = old_block - old.capacity();
        // With nothing left in it, reclaiming the whole block moves no
        // byte and never allocates: it succeeds exactly when no result
        // shares the block.
        if consumed > 0 && !old.try_reclaim(old_block) {
            self.copy_small = true;
        }
    }

    /// Bytes taken off the front of the block since it was allocated or
    /// last reclaimed: `buf` starts this far into the block.
    fn consumed(&self) -> usize {
        self.block - self.buf.capacity()
    }

    /// Drops the block (the buffer is empty); results may still hold it.
    fn leave_block(&mut self) {
        debug_assert_eq!(self.filled, 0);
        let old = std::mem::take(&mut self.buf);
        let old_block = std::mem::take(&mut self.block);
        self.notice_kept(old, old_block);
    }
}

#[cfg(test)]
mod tests;
