//! `WriteBuffer`: asyncio's transport write buffer as a sans-IO state machine.
//!
//! # Call order
//!
//! 1. **Inputs from the program**: [`write`](WriteBuffer::write),
//!    [`write_bytes`](WriteBuffer::write_bytes), [`write_lines`](WriteBuffer::write_lines),
//!    [`write_eof`](WriteBuffer::write_eof), [`close`](WriteBuffer::close),
//!    [`set_write_buffer_limits`](WriteBuffer::set_write_buffer_limits).
//! 2. **Output to the socket**: [`next_chunks`](WriteBuffer::next_chunks) fills
//!    `IoSlice`s for one vectored write; [`advance`](WriteBuffer::advance)
//!    records how many bytes the socket took. When
//!    [`wants_shutdown`](WriteBuffer::wants_shutdown) turns true, shut the
//!    write side and call [`mark_shutdown`](WriteBuffer::mark_shutdown).
//! 3. **Flow control**: [`is_paused`](WriteBuffer::is_paused) is true from the
//!    moment the buffer goes above the high watermark until it drains to the
//!    low one; `drain` waits while it is true.
//! 4. **When to send**: [`flush_decision`](WriteBuffer::flush_decision) says
//!    whether what is queued should go out now or may wait until the
//!    connection's reader is about to wait for the socket (the rule a
//!    hand-written `BufWriter` follows: flush when the read buffer runs dry).

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use crate::Error;

/// asyncio's default high watermark: 64 KiB.
pub const DEFAULT_HIGH: usize = 64 * 1024;

/// Writes up to this size are copied into one contiguous tail, so many small
/// writes go out as one `IoSlice`.
const COALESCE_MAX: usize = 16 * 1024;

/// `write_bytes` below this size is copied too: a copy is cheaper than an iovec.
const COPY_BELOW: usize = 512;

/// A [`WriteBuffer`] state bit: the queue went above the high watermark and
/// has not yet come down to the low one.
const PAUSED: u8 = 1;
/// `write_eof` was called.
const EOF: u8 = 2;
/// `close` (or `clear`) was called.
const CLOSING: u8 = 4;
/// The transport's write side was shut down.
const SHUT_DOWN: u8 = 8;

/// When the tail empties with more room than this, its memory is given back:
/// an idle connection keeps at most this much write room, and a busy one
/// writing small lines reuses its tail without allocating.
const KEEP_TAIL: usize = 4 * 1024;

/// Once this much is queued, [`WriteBuffer::flush_decision`] says
/// [`Flush::Now`]: a large reply starts on its way while the reader is still
/// parsing input (a `BufWriter` of 8 KiB writes a 16 KiB line through at once).
pub const FLUSH_NOW_AT: usize = 16 * 1024;

/// What a driver should do with the bytes a [`WriteBuffer`] holds: the flush
/// decision, made without any I/O.
///
/// # Examples
///
/// ```
/// use weir_proto::{Flush, WriteBuffer};
/// let mut wb = WriteBuffer::new();
/// assert_eq!(wb.flush_decision(), Flush::Idle);
/// wb.write(b"PONG\r\n")?;
/// assert_eq!(wb.flush_decision(), Flush::BeforeRead);
/// wb.write(&[b'x'; 20_000])?;
/// assert_eq!(wb.flush_decision(), Flush::Now);
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Nothing to send and no shutdown to do.
    Idle,
    /// Small writes are queued: send them when the connection's reader is
    /// about to wait for input, so that the replies to everything already
    /// received leave in one system call, or from a background flusher when
    /// no read follows.
    BeforeRead,
    /// Send now: enough is queued to fill a segment train, the writer is
    /// paused (someone waits in `drain`), or EOF/close asks for a shutdown.
    Now,
}

/// High and low watermarks, with CPython's defaults and rule (high ≥ low ≥ 0).
///
/// # Examples
///
/// ```
/// use weir_proto::Watermarks;
/// let w = Watermarks::new(None, None)?;
/// assert_eq!((w.high(), w.low()), (65536, 16384));
/// let w = Watermarks::new(None, Some(100))?; // high = 4 * low
/// assert_eq!((w.high(), w.low()), (400, 100));
/// assert!(Watermarks::new(Some(10), Some(20)).is_err());
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    high: usize,
    low: usize,
}

impl Default for Watermarks {
    fn default() -> Self {
        Watermarks {
            high: DEFAULT_HIGH,
            low: DEFAULT_HIGH / 4,
        }
    }
}

impl Watermarks {
    /// CPython's `set_write_buffer_limits(high=None, low=None)` rules: with
    /// neither, 64 KiB and 16 KiB; with only `low`, high = 4 × low; with only
    /// `high`, low = high / 4.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidWatermarks`] unless high ≥ low.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = weir_proto::Watermarks::new(Some(1000), None)?;
    /// assert_eq!(w.low(), 250);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn new(high: Option<usize>, low: Option<usize>) -> Result<Self, Error> {
        let high = match (high, low) {
            (Some(h), _) => h,
            (None, None) => DEFAULT_HIGH,
            (None, Some(l)) => l.checked_mul(4).ok_or(Error::InvalidWatermarks {
                high: usize::MAX,
                low: l,
            })?,
        };
        let low = low.unwrap_or(high / 4);
        if high < low {
            return Err(Error::InvalidWatermarks { high, low });
        }
        Ok(Watermarks { high, low })
    }

    /// The high watermark: above it, writing pauses.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::Watermarks::default().high(), 65536);
    /// ```
    pub fn high(&self) -> usize {
        self.high
    }

    /// The low watermark: at or below it, writing resumes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::Watermarks::default().low(), 16384);
    /// ```
    pub fn low(&self) -> usize {
        self.low
    }
}

/// Bytes queued for a socket, with asyncio's flow control and EOF/close states.
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use weir_proto::WriteBuffer;
/// let mut wb = WriteBuffer::new();
/// wb.write(b"PING\r\n")?;
/// wb.write(b"PING\r\n")?;
/// let mut iov = [IoSlice::new(&[]); 8];
/// let n = wb.next_chunks(&mut iov);
/// let sent: usize = iov[..n].iter().map(|s| s.len()).sum();
/// assert_eq!((n, sent), (1, 12)); // small writes coalesce into one slice
/// wb.advance(sent)?;
/// assert!(wb.is_empty());
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Default)]
pub struct WriteBuffer {
    /// Frozen chunks, in order, ahead of `tail`.
    chunks: VecDeque<Bytes>,
    /// Small writes appended contiguously; goes out after `chunks`.
    tail: BytesMut,
    len: usize,
    marks: Watermarks,
    /// [`PAUSED`], [`EOF`], [`CLOSING`], [`SHUT_DOWN`]: one byte, so that
    /// a write's checks (open? send now? may `drain` return?) load it once.
    state: u8,
    /// The tail's start moved off its allocation's start (a partial send,
    /// or a seal): its `capacity` no longer tells how large that is.
    tail_moved: bool,
}

impl std::fmt::Debug for WriteBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteBuffer")
            .field("len", &self.len)
            .field("chunks", &self.chunks.len())
            .field("tail", &self.tail.len())
            .field("marks", &self.marks)
            .field("paused", &self.is_paused())
            .field("eof", &self.is_eof())
            .field("closing", &self.is_closing())
            .field("shut_down", &self.is_shut_down())
            .finish()
    }
}

impl WriteBuffer {
    /// An empty buffer with the default watermarks (64 KiB / 16 KiB).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::WriteBuffer::new().write_buffer_limits(), (16384, 65536));
    /// ```
    pub fn new() -> Self {
        WriteBuffer::default()
    }

    // ----- inputs --------------------------------------------------------

    /// Queues a copy of `data` (asyncio's `write`). Empty data does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::WriterClosed`] after [`close`](Self::close);
    /// [`Error::WriteAfterEof`] after [`write_eof`](Self::write_eof).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write(b"hello")?;
    /// assert_eq!(wb.len(), 5);
    /// wb.close();
    /// assert!(wb.write(b"late").is_err());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    #[inline]
    pub fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.push_slice(data);
        self.maybe_pause();
        Ok(())
    }

    /// Queues `data` without copying it when it is large.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write_bytes(bytes::Bytes::from(vec![0u8; 100_000]))?;
    /// assert!(wb.is_paused());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn write_bytes(&mut self, data: Bytes) -> Result<(), Error> {
        self.check_open()?;
        self.push_bytes(data);
        self.maybe_pause();
        Ok(())
    }

    /// Queues every item as one write (asyncio's `writelines`); the
    /// watermarks apply to the whole, unlike CPython before gh-127655.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write); nothing is queued on error.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write_lines([&b"a\n"[..], b"b\n"])?;
    /// assert_eq!(wb.len(), 4);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn write_lines<I, B>(&mut self, lines: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.check_open()?;
        for line in lines {
            self.push_slice(line.as_ref());
        }
        self.maybe_pause();
        Ok(())
    }

    /// Sets the watermarks (asyncio's `set_write_buffer_limits`). Writing
    /// pauses at once if the buffer is already above the new high mark.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidWatermarks`] unless high ≥ low; nothing changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write(&[0; 100])?;
    /// wb.set_write_buffer_limits(Some(50), None)?;
    /// assert!(wb.is_paused());
    /// assert!(wb.set_write_buffer_limits(Some(1), Some(2)).is_err());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn set_write_buffer_limits(
        &mut self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), Error> {
        self.marks = Watermarks::new(high, low)?;
        self.maybe_pause();
        Ok(())
    }

    /// Asks to half-close after the queued bytes (asyncio's `write_eof`).
    /// A second call, or a call after `close`, does nothing.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for transports that cannot half-close.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write(b"bye")?;
    /// wb.write_eof()?;
    /// assert!(wb.is_eof() && !wb.wants_shutdown());
    /// wb.advance(3)?;
    /// assert!(wb.wants_shutdown());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn write_eof(&mut self) -> Result<(), Error> {
        if self.state & CLOSING == 0 {
            self.state |= EOF;
        }
        Ok(())
    }

    /// Asks to close after the queued bytes (asyncio's `close`). Later writes fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.close();
    /// assert!(wb.is_closing() && wb.wants_shutdown());
    /// ```
    pub fn close(&mut self) {
        self.state |= CLOSING;
    }

    /// Drops every queued byte (asyncio's `abort`) and returns how many were
    /// dropped; the writer counts as closing afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write(b"lost")?;
    /// assert_eq!(wb.clear(), 4);
    /// assert!(wb.is_empty() && wb.is_closing());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn clear(&mut self) -> usize {
        let n = self.len;
        self.chunks.clear();
        self.tail = BytesMut::new();
        self.tail_moved = false;
        self.len = 0;
        self.state = (self.state & !PAUSED) | CLOSING;
        n
    }

    // ----- output --------------------------------------------------------

    /// Fills `dst` with the queued bytes in order, for one vectored write;
    /// returns how many slices were filled. Cost: O(slices filled).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write_bytes(bytes::Bytes::from(vec![1u8; 20_000]))?;
    /// wb.write(b"tail")?;
    /// let mut iov = [IoSlice::new(&[]); 4];
    /// assert_eq!(wb.next_chunks(&mut iov), 2);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn next_chunks<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        if self.chunks.is_empty() {
            // The common case: only small writes, coalesced in the tail.
            return match dst.first_mut() {
                Some(slot) if !self.tail.is_empty() => {
                    *slot = IoSlice::new(&self.tail);
                    1
                }
                _ => 0,
            };
        }
        let tail = (!self.tail.is_empty()).then_some(&self.tail[..]);
        let mut n = 0;
        for (slot, chunk) in dst
            .iter_mut()
            .zip(self.chunks.iter().map(|c| &c[..]).chain(tail))
        {
            *slot = IoSlice::new(chunk);
            n += 1;
        }
        n
    }

    /// Records that the socket took `n` bytes from the front; resumes
    /// writing once the buffer is at or below the low watermark.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `n` is more than is queued (nothing changes).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write(b"abcdef")?;
    /// wb.advance(4)?;
    /// assert_eq!(wb.len(), 2);
    /// assert!(wb.advance(3).is_err());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn advance(&mut self, mut n: usize) -> Result<(), Error> {
        if n > self.len {
            return Err(Error::InvalidArgument(
                "advance(n): n is more than the bytes queued",
            ));
        }
        self.len -= n;
        while n > 0 {
            match self.chunks.front_mut() {
                Some(front) if front.len() <= n => {
                    n -= front.len();
                    self.chunks.pop_front();
                }
                Some(front) => {
                    front.advance(n);
                    n = 0;
                }
                None if n == self.tail.len() => {
                    // The tail empties: keep its room for the next writes,
                    // or give it back if it is large. `capacity` counts from
                    // where the tail starts: if that moved, reclaiming the
                    // room before it succeeds only if the whole allocation
                    // is larger (and moves the start back).
                    self.tail.clear();
                    let large = if std::mem::take(&mut self.tail_moved) {
                        self.tail.try_reclaim(KEEP_TAIL + 1)
                    } else {
                        self.tail.capacity() > KEEP_TAIL
                    };
                    if large {
                        self.tail = BytesMut::new();
                    }
                    n = 0;
                }
                None => {
                    self.tail.advance(n);
                    self.tail_moved = true;
                    n = 0;
                }
            }
        }
        if self.state & PAUSED != 0 && self.len <= self.marks.low {
            self.state &= !PAUSED;
        }
        Ok(())
    }

    /// Records that the write side was shut down (after
    /// [`wants_shutdown`](Self::wants_shutdown) said so).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.write_eof()?;
    /// wb.mark_shutdown();
    /// assert!(!wb.wants_shutdown() && wb.is_shut_down());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn mark_shutdown(&mut self) {
        self.state |= SHUT_DOWN;
    }

    // ----- questions -----------------------------------------------------

    /// Bytes queued and not yet taken by the socket (asyncio's `get_write_buffer_size`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::WriteBuffer::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_proto::WriteBuffer::new().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True from above the high watermark until at or below the low one.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// wb.set_write_buffer_limits(Some(4), Some(2))?;
    /// wb.write(b"12345")?;
    /// assert!(wb.is_paused());
    /// wb.advance(2)?;
    /// assert!(wb.is_paused()); // 3 > low
    /// wb.advance(1)?;
    /// assert!(!wb.is_paused());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    #[inline]
    pub fn is_paused(&self) -> bool {
        self.state & PAUSED != 0
    }

    /// Whether the queued bytes should be sent now, before the next read
    /// waits, or not at all (see [`Flush`]). A pure function of the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_proto::{Flush, WriteBuffer};
    /// let mut wb = WriteBuffer::new();
    /// wb.write(b"a\n")?;
    /// assert_eq!(wb.flush_decision(), Flush::BeforeRead);
    /// wb.close();
    /// assert_eq!(wb.flush_decision(), Flush::Now);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    #[inline]
    pub fn flush_decision(&self) -> Flush {
        if self.len == 0 {
            if self.wants_shutdown() {
                Flush::Now
            } else {
                Flush::Idle
            }
        } else if self.len >= FLUSH_NOW_AT || self.state & (PAUSED | EOF | CLOSING) != 0 {
            Flush::Now
        } else {
            Flush::BeforeRead
        }
    }

    /// `(low, high)`, in the order of asyncio's `get_write_buffer_limits`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::WriteBuffer::new().write_buffer_limits(), (16384, 65536));
    /// ```
    pub fn write_buffer_limits(&self) -> (usize, usize) {
        (self.marks.low, self.marks.high)
    }

    /// True once [`write_eof`](Self::write_eof) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!weir_proto::WriteBuffer::new().is_eof());
    /// ```
    pub fn is_eof(&self) -> bool {
        self.state & EOF != 0
    }

    /// True once [`close`](Self::close) (or [`clear`](Self::clear)) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!weir_proto::WriteBuffer::new().is_closing());
    /// ```
    #[inline]
    pub fn is_closing(&self) -> bool {
        self.state & CLOSING != 0
    }

    /// True when EOF or close was asked for, every byte has been sent, and
    /// the write side is not yet shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut wb = weir_proto::WriteBuffer::new();
    /// assert!(!wb.wants_shutdown());
    /// wb.close();
    /// assert!(wb.wants_shutdown());
    /// ```
    #[inline]
    pub fn wants_shutdown(&self) -> bool {
        // EOF or closing asked, and no shutdown done yet.
        let s = self.state & (EOF | CLOSING | SHUT_DOWN);
        self.len == 0 && s != 0 && s & SHUT_DOWN == 0
    }

    /// True once [`mark_shutdown`](Self::mark_shutdown) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!weir_proto::WriteBuffer::new().is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        self.state & SHUT_DOWN != 0
    }

    // ----- internals -----------------------------------------------------

    #[inline]
    fn check_open(&self) -> Result<(), Error> {
        if self.state & (CLOSING | EOF) == 0 {
            Ok(())
        } else if self.state & CLOSING != 0 {
            Err(Error::WriterClosed)
        } else {
            Err(Error::WriteAfterEof)
        }
    }

    #[inline]
    fn push_slice(&mut self, data: &[u8]) {
        if data.len() <= COALESCE_MAX {
            self.tail.extend_from_slice(data);
        } else {
            self.seal_tail();
            self.chunks.push_back(Bytes::copy_from_slice(data));
        }
        self.len += data.len();
    }

    fn push_bytes(&mut self, data: Bytes) {
        if data.len() < COPY_BELOW {
            self.tail.extend_from_slice(&data);
        } else if !data.is_empty() {
            self.seal_tail();
            self.len += data.len();
            self.chunks.push_back(data);
            return;
        }
        self.len += data.len();
    }

    /// Moves the tail into `chunks` so a later chunk goes out after it.
    fn seal_tail(&mut self) {
        if !self.tail.is_empty() {
            self.chunks.push_back(self.tail.split().freeze());
            self.tail_moved = true;
        }
    }

    #[inline]
    fn maybe_pause(&mut self) {
        if self.len > self.marks.high {
            self.state |= PAUSED;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain_all(wb: &mut WriteBuffer, max_per_call: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while !wb.is_empty() {
            let mut iov = [IoSlice::new(&[]); 16];
            let n = wb.next_chunks(&mut iov);
            let mut took = 0;
            for s in &iov[..n] {
                let room = max_per_call - took;
                let k = s.len().min(room);
                out.extend_from_slice(&s[..k]);
                took += k;
                if took == max_per_call {
                    break;
                }
            }
            wb.advance(took).unwrap();
        }
        out
    }

    #[test]
    fn order_is_kept_across_small_and_large_writes() {
        let mut wb = WriteBuffer::new();
        let big = vec![7u8; 40_000];
        let mut expect = Vec::new();
        for i in 0..50u8 {
            wb.write(&[i; 3]).unwrap();
            expect.extend_from_slice(&[i; 3]);
            if i % 10 == 0 {
                wb.write(&big).unwrap();
                expect.extend_from_slice(&big);
                wb.write_bytes(Bytes::from(vec![i; 600])).unwrap();
                expect.extend_from_slice(&[i; 600]);
            }
        }
        for short in [1, 7, 4096, usize::MAX] {
            let mut wb2 = WriteBuffer::new();
            wb2.write(&expect).unwrap();
            assert_eq!(drain_all(&mut wb2, short), expect);
        }
        assert_eq!(drain_all(&mut wb, 13), expect);
    }

    #[test]
    fn watermarks_follow_cpython() {
        let mut wb = WriteBuffer::new();
        wb.set_write_buffer_limits(Some(10), Some(4)).unwrap();
        wb.write(&[0; 10]).unwrap();
        assert!(!wb.is_paused(), "pause only above high");
        wb.write(&[0; 1]).unwrap();
        assert!(wb.is_paused());
        wb.advance(6).unwrap(); // 5 left > 4
        assert!(wb.is_paused());
        wb.advance(1).unwrap(); // 4 left <= 4
        assert!(!wb.is_paused());
        // Raising high while paused does not resume (CPython only pauses there).
        wb.write(&[0; 20]).unwrap();
        wb.set_write_buffer_limits(Some(1000), None).unwrap();
        assert!(wb.is_paused());
        assert!(matches!(
            wb.set_write_buffer_limits(Some(3), Some(4)),
            Err(Error::InvalidWatermarks { high: 3, low: 4 })
        ));
        assert_eq!(wb.write_buffer_limits(), (250, 1000));
    }

    #[test]
    fn write_lines_obeys_watermarks() {
        let mut wb = WriteBuffer::new();
        wb.set_write_buffer_limits(Some(8), None).unwrap();
        wb.write_lines([&b"aaaa\n"[..], b"bbbb\n"]).unwrap();
        assert!(wb.is_paused());
    }

    #[test]
    fn states() {
        let mut wb = WriteBuffer::new();
        wb.write(b"x").unwrap();
        wb.write_eof().unwrap();
        assert!(matches!(wb.write(b"y"), Err(Error::WriteAfterEof)));
        assert!(!wb.wants_shutdown());
        wb.advance(1).unwrap();
        assert!(wb.wants_shutdown());
        wb.mark_shutdown();
        wb.close();
        assert!(matches!(wb.write(b"y"), Err(Error::WriterClosed)));
        assert!(matches!(wb.write_lines([b"z"]), Err(Error::WriterClosed)));
        assert!(!wb.wants_shutdown());
    }

    #[test]
    fn memory_is_given_back() {
        let mut wb = WriteBuffer::new();
        for _ in 0..100 {
            wb.write(&[1; 10_000]).unwrap();
        }
        let n = wb.len();
        wb.advance(n).unwrap();
        assert_eq!(wb.tail.capacity(), 0);
        // Emptied in steps (short writes first): given back too.
        for last in [9_999, 1] {
            wb.write(&[1; 10_000]).unwrap();
            wb.advance(10_000 - last).unwrap();
            wb.advance(last).unwrap();
            assert_eq!(wb.tail.capacity(), 0, "last advance {last}");
        }
    }

    #[test]
    fn a_tail_emptied_after_a_seal_is_given_back_when_its_allocation_is_large() {
        let mut wb = WriteBuffer::new();
        // Grow the tail's allocation past KEEP_TAIL, with room left in it.
        wb.write(&[1; 5_000]).unwrap();
        wb.write(&[1; 50]).unwrap();
        assert!(wb.tail.capacity() - wb.tail.len() > 100);
        while wb.tail.capacity() - wb.tail.len() > 100 {
            wb.write(&[1; 50]).unwrap();
        }
        wb.write(&[2; 20_000]).unwrap(); // over COALESCE_MAX: seals the tail
        wb.write(&[3; 10]).unwrap(); // into the rest of the sealed allocation
        assert!(wb.tail.capacity() <= 100, "{}", wb.tail.capacity());
        assert_eq!(wb.next_chunks(&mut [IoSlice::new(&[]); 4]), 3);
        let n = wb.len();
        wb.advance(n).unwrap();
        assert_eq!(wb.tail.capacity(), 0, "the large allocation is given back");
        assert_eq!(wb.next_chunks(&mut [IoSlice::new(&[]); 4]), 0);
    }

    #[test]
    fn next_chunks_with_no_room_hands_out_nothing() {
        let mut wb = WriteBuffer::new();
        wb.write(b"abc").unwrap();
        assert_eq!(wb.next_chunks(&mut []), 0);
        wb.write_bytes(Bytes::from(vec![7; 1000])).unwrap();
        assert_eq!(wb.next_chunks(&mut []), 0);
        let mut one = [IoSlice::new(&[])];
        assert_eq!(wb.next_chunks(&mut one), 1);
        assert_eq!(&one[0][..], b"abc");
    }

    #[test]
    fn a_small_tail_is_reused_from_its_start() {
        let mut wb = WriteBuffer::new();
        wb.write(&[1; 64]).unwrap();
        let room = wb.tail.capacity();
        assert!((64..=KEEP_TAIL).contains(&room));
        wb.advance(64).unwrap();
        assert_eq!(wb.tail.capacity(), room, "the whole room, from its start");
        wb.write(&[2; 64]).unwrap();
        let mut iov = [IoSlice::new(&[]); 2];
        assert_eq!(wb.next_chunks(&mut iov), 1);
        assert_eq!(&iov[0][..], &[2; 64][..]);
    }
}
