//! A reference model of asyncio's `StreamReader`, written for clarity, not speed.
//!
//! The buffer is a plain `Vec<u8>`; every search rescans from the read's own
//! `offset` with a naive byte-by-byte comparison. The control flow follows
//! CPython's `Lib/asyncio/streams.py` (3.11 for `read`, `read(-1)`,
//! `readexactly` and `readline`; 3.13 for `readuntil` with several
//! separators), with each `await self._wait_for_data()` turned into "park the
//! read and return `NeedData`". A parked read keeps its local variables (the
//! `offset` of `readuntil`, the `blocks` of `read(-1)`) exactly as the
//! suspended coroutine would, and continues from the same point when woken.
//!
//! What wakes a parked read is what wakes CPython's waiter: `feed_data` with
//! at least one byte, `feed_eof`, and `set_exception` (which makes the await
//! raise). Two places where weir has chosen semantics CPython does not have:
//!
//! - starting another read while one is parked *abandons* the parked one (in
//!   async code: its future was dropped). CPython would lose the bytes that a
//!   cancelled `read(-1)` had already moved into its `blocks`; weir promises to
//!   lose nothing, so the model puts them back at the front of the buffer.
//! - feeding after EOF is an error (`Error::FeedAfterEof`) that changes
//!   nothing, where CPython asserts.

use weir_proto::{Error, IncompleteReadError, LimitOverrunError, Step};

/// A read as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRead {
    /// `read(n)`, n ≥ 0.
    Read(usize),
    /// `read(-1)`.
    ReadToEnd,
    /// `readline()`.
    ReadLine,
    /// `readexactly(n)`.
    ReadExactly(usize),
    /// `readuntil((sep, ...))`; the list must be non-empty with no empty separator.
    ReadUntil(Vec<Vec<u8>>),
}

/// The result of a read step: bytes, "parked, waiting for data", or an error.
pub type Outcome = Result<Step<Vec<u8>>, Error>;

/// A suspended read: which coroutine, and its local variables.
#[derive(Debug, Clone)]
enum Coroutine {
    Read {
        n: usize,
    },
    ReadToEnd {
        blocks: Vec<u8>,
    },
    ReadExactly {
        n: usize,
    },
    /// `readuntil`, as called by `readline` (`line`) or directly.
    ReadUntil {
        seps: Vec<Vec<u8>>,
        offset: usize,
        line: bool,
    },
}

/// What `readuntil` ended with, before `readline` translates it.
enum Until {
    Parked(usize),
    Done(Result<Vec<u8>, Error>),
}

/// asyncio's `StreamReader`, as a model.
///
/// # Examples
///
/// ```
/// use weir_fuzz::model::{Model, ModelRead};
/// use weir_proto::Step;
/// let mut m = Model::new(8);
/// assert!(matches!(m.start(ModelRead::ReadLine), Ok(Step::NeedData)));
/// m.feed(b"hi\n").unwrap();
/// assert_eq!(m.resume().unwrap().unwrap(), Step::Ready(b"hi\n".to_vec()));
/// ```
#[derive(Debug)]
pub struct Model {
    buffer: Vec<u8>,
    limit: usize,
    eof: bool,
    exception: Option<Error>,
    paused: bool,
    /// The parked read, if any, and whether something has woken it since.
    waiter: Option<Coroutine>,
    woken: bool,
}

impl Model {
    /// A reader with this `limit` (≥ 1).
    pub fn new(limit: usize) -> Model {
        Model {
            buffer: Vec::new(),
            limit,
            eof: false,
            exception: None,
            paused: false,
            waiter: None,
            woken: false,
        }
    }

    // ----- what the protocol calls ----------------------------------------

    /// `feed_data`: appends, wakes the parked read, pauses above 2 × limit.
    ///
    /// # Errors
    ///
    /// `FeedAfterEof` after `feed_eof` (CPython asserts); nothing changes.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.eof {
            return Err(Error::FeedAfterEof);
        }
        if data.is_empty() {
            return Ok(());
        }
        self.buffer.extend_from_slice(data);
        self.woken = true;
        if !self.paused && self.buffer.len() > 2 * self.limit {
            self.paused = true;
        }
        Ok(())
    }

    /// `feed_eof`: marks EOF and wakes the parked read.
    pub fn feed_eof(&mut self) {
        self.eof = true;
        self.woken = true;
    }

    /// `set_exception`: every later read raises it, and so does the parked one.
    pub fn set_error(&mut self, err: Error) {
        self.exception = Some(err);
        self.woken = true;
    }

    // ----- reads -------------------------------------------------------------

    /// Starts a read (abandoning a parked one) and runs it until it completes or parks.
    pub fn start(&mut self, read: ModelRead) -> Outcome {
        self.abandon();
        if let Some(err) = &self.exception {
            return Err(err.clone());
        }
        let co = match read {
            ModelRead::Read(0) | ModelRead::ReadExactly(0) => return Ok(Step::Ready(Vec::new())),
            ModelRead::Read(n) => Coroutine::Read { n },
            ModelRead::ReadToEnd => Coroutine::ReadToEnd { blocks: Vec::new() },
            ModelRead::ReadExactly(n) => Coroutine::ReadExactly { n },
            ModelRead::ReadLine => Coroutine::ReadUntil {
                seps: vec![b"\n".to_vec()],
                offset: 0,
                line: true,
            },
            ModelRead::ReadUntil(mut seps) => {
                // CPython: sorted(separator, key=len); a stable sort.
                seps.sort_by_key(Vec::len);
                Coroutine::ReadUntil {
                    seps,
                    offset: 0,
                    line: false,
                }
            }
        };
        self.run(co, false)
    }

    /// Continues the parked read after an input; `None` if no read is parked.
    /// A read nothing has woken stays parked (`NeedData`) without running.
    pub fn resume(&mut self) -> Option<Outcome> {
        let co = self.waiter.take()?;
        if !self.woken {
            self.waiter = Some(co);
            return Some(Ok(Step::NeedData));
        }
        // The await in `_wait_for_data` raises what `set_exception` gave the waiter.
        if let Some(err) = &self.exception {
            return Some(Err(err.clone()));
        }
        Some(self.run(co, true))
    }

    /// True while a read is parked.
    pub fn is_waiting(&self) -> bool {
        self.waiter.is_some()
    }

    // ----- questions ---------------------------------------------------------

    /// `len(self._buffer)`.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Not paused.
    pub fn wants_read(&self) -> bool {
        !self.paused
    }

    /// `at_eof()`: EOF fed and the buffer empty.
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffer.is_empty()
    }

    /// EOF fed.
    pub fn is_eof(&self) -> bool {
        self.eof
    }

    /// `exception()`.
    pub fn exception(&self) -> Option<&Error> {
        self.exception.as_ref()
    }

    // ----- the coroutines ----------------------------------------------------

    /// Drops the parked read, if any (in async code: its future was dropped).
    /// A `read(-1)`'s blocks go back to the front of the buffer.
    pub fn abandon(&mut self) {
        if let Some(Coroutine::ReadToEnd { mut blocks }) = self.waiter.take() {
            blocks.extend_from_slice(&self.buffer);
            self.buffer = blocks;
        }
        self.waiter = None;
        self.woken = false;
    }

    /// `_wait_for_data`: resume reading first (or it would wait forever), then park.
    fn park(&mut self, co: Coroutine) -> Outcome {
        self.paused = false;
        self.waiter = Some(co);
        self.woken = false;
        Ok(Step::NeedData)
    }

    /// `_maybe_resume_transport`.
    fn maybe_resume(&mut self) {
        if self.paused && self.buffer.len() <= self.limit {
            self.paused = false;
        }
    }

    fn take_front(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.buffer.len());
        self.buffer.drain(..n).collect()
    }

    /// Runs a coroutine from its current state: its first run, or just woken
    /// (`resumed`). Each run is one pass of the coroutine's loop, up to the
    /// next `await self._wait_for_data()`.
    fn run(&mut self, co: Coroutine, resumed: bool) -> Outcome {
        match co {
            Coroutine::Read { n } => {
                // First run: wait only if there is nothing at all. Woken: take
                // what is there (empty after EOF).
                if !resumed && self.buffer.is_empty() && !self.eof {
                    return self.park(Coroutine::Read { n });
                }
                let data = self.take_front(n);
                self.maybe_resume();
                Ok(Step::Ready(data))
            }
            Coroutine::ReadToEnd { mut blocks } => {
                // `while True: block = await self.read(self._limit)`. CPython
                // takes `limit` bytes per pass; taking them one block at a
                // time from the front of a Vec is quadratic, so the model
                // takes every buffered byte in one pass. Nothing observable
                // differs: each pass's `_maybe_resume_transport` can only
                // clear the pause flag, and the last one (buffer empty) does.
                loop {
                    if self.buffer.is_empty() && !self.eof {
                        return self.park(Coroutine::ReadToEnd { blocks });
                    }
                    let block = std::mem::take(&mut self.buffer);
                    self.maybe_resume();
                    if block.is_empty() {
                        return Ok(Step::Ready(blocks));
                    }
                    blocks.extend_from_slice(&block);
                }
            }
            Coroutine::ReadExactly { n } => {
                // `while len(self._buffer) < n:` one pass per run.
                if self.buffer.len() < n {
                    if self.eof {
                        let partial = self.take_front(self.buffer.len());
                        return Err(Error::IncompleteRead(IncompleteReadError {
                            partial: partial.into(),
                            expected: Some(n),
                        }));
                    }
                    return self.park(Coroutine::ReadExactly { n });
                }
                let data = self.take_front(n);
                self.maybe_resume();
                Ok(Step::Ready(data))
            }
            Coroutine::ReadUntil { seps, offset, line } => match self.readuntil(&seps, offset) {
                Until::Parked(offset) => self.park(Coroutine::ReadUntil { seps, offset, line }),
                Until::Done(r) if line => self.readline_translate(r),
                Until::Done(Ok(v)) => Ok(Step::Ready(v)),
                Until::Done(Err(e)) => Err(e),
            },
        }
    }

    /// `readline`'s handling of `readuntil(b'\n')`'s errors.
    fn readline_translate(&mut self, r: Result<Vec<u8>, Error>) -> Outcome {
        match r {
            Ok(v) => Ok(Step::Ready(v)),
            Err(Error::IncompleteRead(e)) => Ok(Step::Ready(e.partial.to_vec())),
            Err(Error::LimitOverrun(e)) => {
                let found = self.buffer[e.consumed.min(self.buffer.len())..].starts_with(b"\n");
                if found {
                    self.buffer.drain(..e.consumed + 1);
                } else {
                    self.buffer.clear();
                }
                self.maybe_resume();
                Err(Error::LineTooLong {
                    limit: self.limit,
                    separator_found: found,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// One pass of CPython 3.13's `readuntil` loop, from the coroutine's `offset`.
    fn readuntil(&mut self, seps: &[Vec<u8>], mut offset: usize) -> Until {
        let min_seplen = seps[0].len();
        let max_seplen = seps[seps.len() - 1].len();
        let buflen = self.buffer.len();
        // `buflen - offset >= min_seplen`, in Python's signed arithmetic.
        if buflen as isize - offset as isize >= min_seplen as isize {
            // The match that ends first wins; on a tie the shorter (earlier
            // in the sorted list) keeps its place.
            let mut best: Option<(usize, usize)> = None;
            for sep in seps {
                if let Some(start) = naive_find(&self.buffer, sep, offset) {
                    let end = start + sep.len();
                    if best.is_none_or(|(_, best_end)| end < best_end) {
                        best = Some((start, end));
                    }
                }
            }
            if let Some((start, end)) = best {
                if start > self.limit {
                    return Until::Done(Err(Error::LimitOverrun(LimitOverrunError {
                        consumed: start,
                        separator_found: true,
                    })));
                }
                let chunk = self.take_front(end);
                self.maybe_resume();
                return Until::Done(Ok(chunk));
            }
            offset = (buflen + 1).saturating_sub(max_seplen);
            if offset > self.limit {
                return Until::Done(Err(Error::LimitOverrun(LimitOverrunError {
                    consumed: offset,
                    separator_found: false,
                })));
            }
        }
        if self.eof {
            let chunk = self.take_front(self.buffer.len());
            return Until::Done(Err(Error::IncompleteRead(IncompleteReadError {
                partial: chunk.into(),
                expected: None,
            })));
        }
        Until::Parked(offset)
    }
}

/// The first position at or after `from` where `needle` starts in `hay`:
/// `bytearray.find(needle, from)`, as a plain scan of every position.
///
/// # Examples
///
/// ```
/// use weir_fuzz::model::naive_find;
/// assert_eq!(naive_find(b"abcabc", b"ca", 0), Some(2));
/// assert_eq!(naive_find(b"abcabc", b"ab", 1), Some(3));
/// assert_eq!(naive_find(b"abc", b"c", 5), None);
/// ```
pub fn naive_find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    (from..hay.len()).find(|&i| hay[i..].starts_with(needle))
}
