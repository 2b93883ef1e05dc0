//! Target `reader_ops`: weir-proto's `ReadBuffer` against the CPython model.
//!
//! The input decodes to a limit, up to three separator sets, and a sequence of
//! operations: inputs (`feed`, `spare_mut` + `commit`, an oversized `commit`,
//! `feed_eof`, `set_error`) and reads (`read(n)`, `read_to_end`, `read_line`,
//! `read_exactly(n)`, `read_until(set)`). Both sides get the same sequence:
//!
//! - a read that returns `NeedData` is pending, and is retried after each input;
//! - a read started while another is pending abandons the pending one, and so
//!   does an explicit `Abandon` (a dropped future): weir must then lose no
//!   byte and report the bytes as buffered again (see [`crate::model`]).
//!
//! After every operation the results (bytes, or the error with its variant and
//! fields), `buffered()`, `wants_read()`, `at_eof()`, `is_eof()` and whether an
//! error is stored must agree; any difference panics with the operation log.

use std::io;

use bytes::Bytes;
use weir_proto::{Error, ReadBuffer, Separators, Step};

use crate::input::Input;
use crate::model::{Model, ModelRead, Outcome};

/// The letters data and separators are made of: few, so separators occur.
const ALPHABET: &[u8] = b"ab\r\n";

/// At most this many operations per input, so every run stays fast.
const MAX_OPS: usize = 256;

/// One operation, as decoded (kept for the panic message).
#[derive(Debug, Clone)]
enum Op {
    Feed(Bytes),
    Commit {
        min: usize,
        data: Bytes,
    },
    CommitTooMuch(usize),
    FeedEof,
    SetError(io::ErrorKind),
    Read(Read),
    /// The caller drops the pending read (in async code: a timeout dropped
    /// its future) and starts nothing else: `ReadBuffer::abandon`.
    Abandon,
}

/// A read, on weir's side.
#[allow(clippy::enum_variant_names)] // named after the ReadBuffer methods they call
#[derive(Debug, Clone, PartialEq, Eq)]
enum Read {
    Read(usize),
    ReadToEnd,
    ReadLine,
    ReadExactly(usize),
    ReadUntil(usize),
}

struct Harness {
    rb: ReadBuffer,
    model: Model,
    sets: Vec<(Separators, Vec<Vec<u8>>)>,
    pending: Option<Read>,
    log: Vec<Op>,
    limit: usize,
}

/// Runs one fuzz input; panics if weir and the model disagree.
///
/// While a weir-proto bug is known and open (see [`crate::known`]), this is
/// where the target steers around it; none is open now.
///
/// # Examples
///
/// ```
/// weir_fuzz::reader_ops::run(b"\x04\x00\x01\x03\x00abc\n\x05");
/// ```
pub fn run(data: &[u8]) {
    run_with(data);
}

/// As [`run`], but also panics on the known bugs: what `artifacts-found/`
/// replays. With no bug open, the same as [`run`].
///
/// # Examples
///
/// ```
/// weir_fuzz::reader_ops::run_strict(b"\x04\x00\x01\x03\x00abc\n\x05");
/// ```
pub fn run_strict(data: &[u8]) {
    run_with(data);
}

fn run_with(data: &[u8]) {
    let mut input = Input::new(data);
    let limit = decode_limit(&mut input);
    let nsets = 1 + input.below(3);
    let sets = (0..nsets)
        .map(|_| {
            let n = 1 + input.below(3);
            let seps: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    let len = 1 + input.below(4);
                    input.letters(ALPHABET, len)
                })
                .collect();
            let weir = Separators::any(&seps).expect("non-empty separators");
            (weir, seps)
        })
        .collect();
    let mut h = Harness {
        rb: ReadBuffer::new(limit).expect("limit >= 1"),
        model: Model::new(limit),
        sets,
        pending: None,
        log: Vec::new(),
        limit,
    };
    h.check_state();
    let mut count = 0;
    while !input.is_empty() && count < MAX_OPS {
        let op = decode_op(&mut input, h.sets.len());
        h.apply(op);
        count += 1;
    }
}

/// Mostly 1..=32; sometimes larger (up to about 25 000).
fn decode_limit(input: &mut Input<'_>) -> usize {
    let b = input.byte();
    if b < 240 {
        1 + usize::from(b % 32)
    } else {
        1 + usize::from(input.u16()) % 25_000
    }
}

fn decode_op(input: &mut Input<'_>, nsets: usize) -> Op {
    match input.below(16) {
        0..=3 => {
            let len = input.small_len();
            Op::Feed(input.letters(ALPHABET, len).into())
        }
        4 => {
            let min = input.below(40);
            let len = input.small_len();
            Op::Commit {
                min,
                data: input.letters(ALPHABET, len).into(),
            }
        }
        5 => Op::CommitTooMuch(input.below(4)),
        6 => Op::FeedEof,
        7 => Op::SetError(if input.flip() {
            io::ErrorKind::ConnectionReset
        } else {
            io::ErrorKind::TimedOut
        }),
        8 => Op::Read(Read::Read(input.small_len())),
        9 => Op::Read(Read::ReadToEnd),
        10 | 11 => Op::Read(Read::ReadLine),
        12 => Op::Read(Read::ReadExactly(input.small_len())),
        13 | 14 => Op::Read(Read::ReadUntil(input.below(nsets))),
        _ => Op::Abandon,
    }
}

impl Harness {
    fn apply(&mut self, op: Op) {
        self.log.push(op.clone());
        match op {
            Op::Feed(data) => {
                let w = self.rb.feed(&data);
                let m = self.model.feed(&data);
                self.same_unit("feed", w, m);
                self.after_input();
            }
            Op::Commit { min, data } => {
                let room = self.rb.spare_mut(min);
                assert!(
                    room.len() >= min,
                    "spare_mut({min}) gave {} bytes",
                    room.len()
                );
                let k = data.len().min(room.len());
                room[..k].copy_from_slice(&data[..k]);
                let w = self.rb.commit(k);
                let m = self.model.feed(&data[..k]);
                self.same_unit("commit", w, m);
                self.after_input();
            }
            Op::CommitTooMuch(extra) => {
                let room = self.rb.spare_mut(0).len();
                let w = self.rb.commit(room + 1 + extra);
                let expected = if self.model.is_eof() {
                    "FeedAfterEof"
                } else {
                    "InvalidArgument"
                };
                match &w {
                    Err(e) if format!("{e:?}").starts_with(expected) => {}
                    other => self.fail(&format!(
                        "commit past the room: expected {expected}, got {other:?}"
                    )),
                }
                self.check_state();
                self.after_input();
            }
            Op::Abandon => {
                self.pending = None;
                self.rb.abandon();
                self.model.abandon();
                self.check_state();
            }
            Op::FeedEof => {
                self.rb.feed_eof();
                self.model.feed_eof();
                self.check_state();
                self.after_input();
            }
            Op::SetError(kind) => {
                let err = Error::connection(io::Error::new(kind, "fuzz"));
                self.rb.set_error(err.clone());
                self.model.set_error(err);
                self.check_state();
                self.after_input();
            }
            Op::Read(read) => {
                // A new read abandons a pending one, on both sides.
                self.pending = None;
                let w = self.weir_read(&read);
                let m = self.model.start(self.model_read(&read));
                self.same_outcome(false, &read, w, m);
            }
        }
    }

    /// Retries the pending read, if any, after an input.
    fn after_input(&mut self) {
        let Some(read) = self.pending.take() else {
            assert!(!self.model.is_waiting(), "model waits, weir does not");
            return;
        };
        let w = self.weir_read(&read);
        let m = match self.model.resume() {
            Some(m) => m,
            None => self.fail("weir has a pending read, the model none"),
        };
        self.same_outcome(true, &read, w, m);
    }

    fn weir_read(&mut self, read: &Read) -> Result<Step<Bytes>, Error> {
        match read {
            Read::Read(n) => self.rb.read(*n),
            Read::ReadToEnd => self.rb.read_to_end(),
            Read::ReadLine => self.rb.read_line(),
            Read::ReadExactly(n) => self.rb.read_exactly(*n),
            Read::ReadUntil(i) => self.rb.read_until(&self.sets[*i].0),
        }
    }

    fn model_read(&self, read: &Read) -> ModelRead {
        match read {
            Read::Read(n) => ModelRead::Read(*n),
            Read::ReadToEnd => ModelRead::ReadToEnd,
            Read::ReadLine => ModelRead::ReadLine,
            Read::ReadExactly(n) => ModelRead::ReadExactly(*n),
            Read::ReadUntil(i) => ModelRead::ReadUntil(self.sets[*i].1.clone()),
        }
    }

    /// Results must be equal: the same bytes, both `NeedData`, or the same
    /// error with the same fields. Compared without formatting (this runs
    /// after every read); the panic message formats both.
    fn same_outcome(
        &mut self,
        retry: bool,
        read: &Read,
        w: Result<Step<Bytes>, Error>,
        m: Outcome,
    ) {
        let same = match (&w, &m) {
            (Ok(Step::Ready(a)), Ok(Step::Ready(b))) => a[..] == b[..],
            (Ok(Step::NeedData), Ok(Step::NeedData)) => true,
            (Err(a), Err(b)) => same_error(a, b),
            _ => false,
        };
        if !same {
            let what = if retry { "retry " } else { "" };
            self.fail(&format!("{what}{read:?}: weir {w:?}, model {m:?}"));
        }
        if matches!(w, Ok(Step::NeedData)) {
            self.pending = Some(read.clone());
        }
        self.check_state();
    }

    fn same_unit(&self, what: &str, w: Result<(), Error>, m: Result<(), Error>) {
        let same = match (&w, &m) {
            (Ok(()), Ok(())) => true,
            (Err(a), Err(b)) => same_error(a, b),
            _ => false,
        };
        if !same {
            self.fail(&format!("{what}: weir {w:?}, model {m:?}"));
        }
        self.check_state();
    }

    fn check_state(&self) {
        let w = (
            self.rb.buffered(),
            self.rb.wants_read(),
            self.rb.at_eof(),
            self.rb.is_eof(),
        );
        let m = (
            self.model.buffered(),
            self.model.wants_read(),
            self.model.at_eof(),
            self.model.is_eof(),
        );
        let same_exception = match (self.rb.exception(), self.model.exception()) {
            (None, None) => true,
            (Some(a), Some(b)) => same_error(a, b),
            _ => false,
        };
        if w != m || !same_exception {
            self.fail(&format!(
                "state (buffered, wants_read, at_eof, is_eof), exception: weir {w:?}, {:?}, model {m:?}, {:?}",
                self.rb.exception(),
                self.model.exception()
            ));
        }
    }

    fn fail(&self, msg: &str) -> ! {
        let sets: Vec<&Separators> = self.sets.iter().map(|(s, _)| s).collect();
        let ops: Vec<String> = self.log.iter().map(|op| format!("{op:?}")).collect();
        panic!(
            "reader_ops: weir and the CPython model disagree\n  {msg}\n  limit {}, separator sets {sets:?}\n  ops:\n    {}",
            self.limit,
            ops.join("\n    ")
        );
    }
}

/// The same error: the same variant with the same fields; a connection
/// error must be the very one given to `set_error` on both sides.
fn same_error(a: &Error, b: &Error) -> bool {
    match (a, b) {
        (Error::IncompleteRead(x), Error::IncompleteRead(y)) => x == y,
        (Error::LimitOverrun(x), Error::LimitOverrun(y)) => x == y,
        (
            Error::LineTooLong {
                limit: l1,
                separator_found: f1,
            },
            Error::LineTooLong {
                limit: l2,
                separator_found: f2,
            },
        ) => (l1, f1) == (l2, f2),
        (Error::Connection(x), Error::Connection(y)) => std::sync::Arc::ptr_eq(x, y),
        // The rest (caller errors) are rare here: compare every field by text.
        (x, y) => format!("{x:?}") == format!("{y:?}"),
    }
}
