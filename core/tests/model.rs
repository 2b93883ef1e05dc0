//! `ReadBuffer` against a naive model of CPython's `asyncio.StreamReader`.
//!
//! The model is written for clarity, not speed: a `Vec<u8>` buffer, full
//! rescans, and the control flow of CPython 3.11's `Lib/asyncio/streams.py`
//! (`readuntil` with several separators as in 3.13). Each read is a small
//! coroutine: it runs until it returns, raises, or must wait for data, and a
//! waiting read goes on where it stopped when the next feed, EOF or error
//! wakes it, as CPython's event loop would run it.
//!
//! proptest drives both with random limits and random sequences of feeds
//! (random chunking over the alphabet `a`, `\n`, `\r`), EOF, a connection
//! error and reads, and compares every result, every error (variant and
//! fields), `buffered()`, `wants_read()`, `is_eof()` and `at_eof()` after
//! every step.
//!
//! One deliberate deviation is modelled on weir's side: CPython loses the
//! bytes a cancelled `read(-1)` had collected; weir keeps them, and they
//! count as buffered again as soon as the read is abandoned, by starting
//! another read (even `read(0)`) or by `ReadBuffer::abandon` (a dropped
//! future). The reader module's docs say so.

use std::io;

use proptest::prelude::*;
use weir_proto::{Error, ReadBuffer, Separators, Step};

/// A read, as a caller starts it.
#[derive(Debug, Clone)]
enum Read {
    /// `read(n)`.
    UpTo(usize),
    /// `read(-1)`.
    ToEnd,
    /// `readline()`.
    Line,
    /// `readexactly(n)`.
    Exactly(usize),
    /// `readuntil(separators[i])`.
    Until(usize),
    /// The same, with weir given the bytes on every call (its built
    /// separators are kept to resume the search) instead of a `&Separators`.
    UntilBytes(usize),
}

/// One step of a script.
#[derive(Debug, Clone)]
enum Action {
    Feed(Vec<u8>),
    Eof,
    Fail,
    /// Start a read; a read still waiting is abandoned (cancelled) first.
    Start(Read),
    /// Abandon the waiting read, if any, and start nothing (a dropped future).
    Abandon,
}

/// What a read ended with, in terms both sides can be compared in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Data(Vec<u8>),
    IncompleteRead {
        partial: Vec<u8>,
        expected: Option<usize>,
    },
    LimitOverrun {
        consumed: usize,
        separator_found: bool,
    },
    /// `readline`'s `ValueError` past the limit.
    LineTooLong {
        separator_found: bool,
    },
    /// The error given to `set_exception`.
    Connection,
}

/// A read in progress: the locals of CPython's coroutine.
#[derive(Debug)]
struct Task {
    read: Read,
    /// `readuntil`'s `offset`.
    offset: usize,
    /// `read(-1)`'s `blocks`.
    blocks: Vec<u8>,
}

/// The naive model of `asyncio.StreamReader` (with a transport that can pause).
#[derive(Debug)]
struct Model {
    buffer: Vec<u8>,
    limit: usize,
    eof: bool,
    exception: bool,
    paused: bool,
    separators: Vec<Vec<Vec<u8>>>,
}

impl Model {
    fn new(limit: usize, separators: Vec<Vec<Vec<u8>>>) -> Model {
        Model {
            buffer: Vec::new(),
            limit,
            eof: false,
            exception: false,
            paused: false,
            separators,
        }
    }

    /// `feed_data`: returns whether a waiting read is woken (not for empty data).
    fn feed_data(&mut self, data: &[u8]) -> bool {
        assert!(!self.eof, "the script never feeds the model after EOF");
        if data.is_empty() {
            return false;
        }
        self.buffer.extend_from_slice(data);
        if !self.paused && self.buffer.len() > 2 * self.limit {
            self.paused = true;
        }
        true
    }

    fn maybe_resume_transport(&mut self) {
        if self.paused && self.buffer.len() <= self.limit {
            self.paused = false;
        }
    }

    /// `_wait_for_data`: resumes reading first, then the read waits.
    fn wait_for_data(&mut self) -> Option<Outcome> {
        assert!(!self.eof, "_wait_for_data after EOF");
        self.paused = false;
        None
    }

    /// Removes and returns the first `n` bytes (or all there are).
    fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.buffer.len());
        self.buffer.drain(..n).collect()
    }

    /// A waiting read is cancelled by the caller. weir's deviation: what a
    /// `read(-1)` had taken goes back in front of the buffer at once.
    fn cancel(&mut self, task: Task) {
        if let Read::ToEnd = task.read {
            let mut all = task.blocks;
            all.append(&mut self.buffer);
            self.buffer = all;
        }
    }

    /// Runs `task` until it finishes (`Some`) or waits (`None`). `resumed`:
    /// the task was waiting and has been woken.
    fn run(&mut self, task: &mut Task, resumed: bool) -> Option<Outcome> {
        if resumed && self.exception {
            // set_exception() handed the error to the waiter.
            return Some(Outcome::Connection);
        }
        match task.read.clone() {
            Read::UpTo(n) => self.read(n, resumed),
            Read::ToEnd => self.read_to_end(task, resumed),
            Read::Exactly(n) => self.readexactly(n, resumed),
            Read::Line => self.readline(task, resumed),
            Read::Until(i) | Read::UntilBytes(i) => {
                let seps = self.separators[i].clone();
                self.readuntil(task, &seps, resumed)
            }
        }
    }

    /// `read(n)` for n ≥ 0.
    fn read(&mut self, n: usize, resumed: bool) -> Option<Outcome> {
        if !resumed {
            if self.exception {
                return Some(Outcome::Connection);
            }
            if n == 0 {
                return Some(Outcome::Data(Vec::new()));
            }
            if self.buffer.is_empty() && !self.eof {
                return self.wait_for_data();
            }
        }
        let data = self.take(n);
        self.maybe_resume_transport();
        Some(Outcome::Data(data))
    }

    /// `read(-1)`: `read(self._limit)` in a loop until it returns empty.
    fn read_to_end(&mut self, task: &mut Task, resumed: bool) -> Option<Outcome> {
        if !resumed && self.exception {
            return Some(Outcome::Connection);
        }
        // After a wake-up the inner read(limit) goes on past its wait.
        let mut inner_waited = resumed;
        loop {
            if !inner_waited {
                if self.exception {
                    return Some(Outcome::Connection);
                }
                if self.buffer.is_empty() && !self.eof {
                    return self.wait_for_data();
                }
            }
            inner_waited = false;
            let block = self.take(self.limit);
            self.maybe_resume_transport();
            if block.is_empty() {
                return Some(Outcome::Data(std::mem::take(&mut task.blocks)));
            }
            task.blocks.extend_from_slice(&block);
        }
    }

    fn readexactly(&mut self, n: usize, resumed: bool) -> Option<Outcome> {
        if !resumed {
            if self.exception {
                return Some(Outcome::Connection);
            }
            if n == 0 {
                return Some(Outcome::Data(Vec::new()));
            }
        }
        if self.buffer.len() < n {
            if self.eof {
                let partial = std::mem::take(&mut self.buffer);
                return Some(Outcome::IncompleteRead {
                    partial,
                    expected: Some(n),
                });
            }
            return self.wait_for_data();
        }
        let data = self.take(n);
        self.maybe_resume_transport();
        Some(Outcome::Data(data))
    }

    fn readline(&mut self, task: &mut Task, resumed: bool) -> Option<Outcome> {
        match self.readuntil(task, &[b"\n".to_vec()], resumed)? {
            Outcome::IncompleteRead { partial, .. } => Some(Outcome::Data(partial)),
            Outcome::LimitOverrun { consumed, .. } => {
                let found = self.buffer[consumed..].starts_with(b"\n");
                if found {
                    self.buffer.drain(..consumed + 1);
                } else {
                    self.buffer.clear();
                }
                self.maybe_resume_transport();
                Some(Outcome::LineTooLong {
                    separator_found: found,
                })
            }
            other => Some(other),
        }
    }

    /// `readuntil` with CPython 3.13's several-separator rule.
    fn readuntil(&mut self, task: &mut Task, seps: &[Vec<u8>], resumed: bool) -> Option<Outcome> {
        let mut seps = seps.to_vec();
        seps.sort_by_key(Vec::len); // stable, as Python's sorted()
        let min_seplen = seps[0].len();
        let max_seplen = seps[seps.len() - 1].len();
        if !resumed {
            if self.exception {
                return Some(Outcome::Connection);
            }
            task.offset = 0;
        }
        // One pass of the `while True` loop; a pass ends by returning or waiting.
        let buflen = self.buffer.len();
        if buflen - task.offset >= min_seplen {
            let mut best: Option<(usize, usize)> = None;
            for sep in &seps {
                let hit = (task.offset..buflen).find(|&i| self.buffer[i..].starts_with(sep));
                if let Some(isep) = hit {
                    let end = isep + sep.len();
                    if best.is_none_or(|(_, e)| end < e) {
                        best = Some((isep, end));
                    }
                }
            }
            if let Some((start, end)) = best {
                if start > self.limit {
                    return Some(Outcome::LimitOverrun {
                        consumed: start,
                        separator_found: true,
                    });
                }
                let chunk = self.take(end);
                self.maybe_resume_transport();
                return Some(Outcome::Data(chunk));
            }
            task.offset = (buflen + 1).saturating_sub(max_seplen);
            if task.offset > self.limit {
                return Some(Outcome::LimitOverrun {
                    consumed: task.offset,
                    separator_found: false,
                });
            }
        }
        if self.eof {
            let partial = std::mem::take(&mut self.buffer);
            return Some(Outcome::IncompleteRead {
                partial,
                expected: None,
            });
        }
        self.wait_for_data()
    }
}

/// weir's side: the same reads on a `ReadBuffer`.
struct Weir {
    rb: ReadBuffer,
    separators: Vec<Separators>,
    raw: Vec<Vec<Vec<u8>>>,
}

impl Weir {
    fn run(&mut self, read: &Read) -> Option<Outcome> {
        let r = match *read {
            Read::UpTo(n) => self.rb.read(n),
            Read::ToEnd => self.rb.read_to_end(),
            Read::Line => self.rb.read_line(),
            Read::Exactly(n) => self.rb.read_exactly(n),
            Read::Until(i) => self.rb.read_until(&self.separators[i]),
            Read::UntilBytes(i) => match &self.raw[i][..] {
                [one] => self.rb.read_until(&one[..]),
                several => self.rb.read_until_any(several),
            },
        };
        match r {
            Ok(Step::NeedData) => None,
            Ok(Step::Ready(b)) => Some(Outcome::Data(b.to_vec())),
            Err(Error::IncompleteRead(e)) => Some(Outcome::IncompleteRead {
                partial: e.partial.to_vec(),
                expected: e.expected,
            }),
            Err(Error::LimitOverrun(e)) => Some(Outcome::LimitOverrun {
                consumed: e.consumed,
                separator_found: e.separator_found,
            }),
            Err(Error::LineTooLong {
                limit,
                separator_found,
            }) => {
                assert_eq!(
                    limit,
                    self.rb.limit(),
                    "LineTooLong names the reader's limit"
                );
                Some(Outcome::LineTooLong { separator_found })
            }
            Err(Error::Connection(e)) => {
                assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
                Some(Outcome::Connection)
            }
            Err(other) => panic!("unexpected error from {read:?}: {other:?}"),
        }
    }
}

/// Runs `script` through both and compares after every step; returns a
/// description of the first disagreement.
fn compare(limit: usize, separators: Vec<Vec<Vec<u8>>>, script: &[Action]) -> Result<(), String> {
    let mut model = Model::new(limit, separators.clone());
    let mut weir = Weir {
        rb: ReadBuffer::new(limit).unwrap(),
        separators: separators
            .iter()
            .map(|s| Separators::any(s).unwrap())
            .collect(),
        raw: separators,
    };
    let mut pending: Option<Task> = None;
    for (step, action) in script.iter().enumerate() {
        let mut wake = false;
        match action {
            Action::Feed(data) => {
                if model.eof {
                    if !matches!(weir.rb.feed(data), Err(Error::FeedAfterEof)) {
                        return Err(format!("step {step}: feed after EOF must be refused"));
                    }
                    continue;
                }
                weir.rb.feed(data).unwrap();
                // weir's caller retries after every feed; CPython wakes the
                // waiter only for non-empty data. Both must agree either way.
                let woke = model.feed_data(data);
                if let Some(task) = pending.as_mut() {
                    let m = if woke { model.run(task, true) } else { None };
                    let w = weir.run(&task.read);
                    if m != w {
                        return Err(format!(
                            "step {step} {action:?}: {:?} model {m:?} weir {w:?}",
                            task.read
                        ));
                    }
                    if m.is_some() {
                        pending = None;
                    }
                }
            }
            Action::Eof => {
                weir.rb.feed_eof();
                model.eof = true;
                wake = true;
            }
            Action::Fail => {
                weir.rb
                    .set_error(Error::connection(io::ErrorKind::ConnectionReset.into()));
                model.exception = true;
                wake = true;
            }
            Action::Abandon => {
                weir.rb.abandon();
                if let Some(task) = pending.take() {
                    model.cancel(task);
                }
            }
            Action::Start(read) => {
                if let Some(task) = pending.take() {
                    model.cancel(task);
                }
                let mut task = Task {
                    read: read.clone(),
                    offset: 0,
                    blocks: Vec::new(),
                };
                let m = model.run(&mut task, false);
                let w = weir.run(read);
                if m != w {
                    return Err(format!("step {step} {read:?}: model {m:?} weir {w:?}"));
                }
                if m.is_none() {
                    pending = Some(task);
                }
            }
        }
        if wake {
            if let Some(task) = pending.as_mut() {
                let m = model.run(task, true);
                let w = weir.run(&task.read);
                if m != w {
                    return Err(format!(
                        "step {step} {action:?}: {:?} model {m:?} weir {w:?}",
                        task.read
                    ));
                }
                if m.is_some() {
                    pending = None;
                }
            }
        }
        let (mb, wb) = (model.buffer.len(), weir.rb.buffered());
        if mb != wb {
            return Err(format!(
                "step {step} {action:?}: buffered model {mb} weir {wb}"
            ));
        }
        if model.paused == weir.rb.wants_read() {
            return Err(format!(
                "step {step} {action:?}: paused model {} weir wants_read {}",
                model.paused,
                weir.rb.wants_read()
            ));
        }
        if model.eof != weir.rb.is_eof() {
            return Err(format!("step {step} {action:?}: eof differs"));
        }
        let m_at_eof = model.eof && model.buffer.is_empty();
        if m_at_eof != weir.rb.at_eof() {
            return Err(format!("step {step} {action:?}: at_eof model {m_at_eof}"));
        }
    }
    Ok(())
}

fn byte() -> impl Strategy<Value = u8> {
    prop::sample::select(b"a\n\r".to_vec())
}

fn separator_sets() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    let sep = prop::collection::vec(byte(), 1..=3);
    prop::collection::vec(prop::collection::vec(sep, 1..=3), 1..=3)
}

fn read(n_sets: usize) -> impl Strategy<Value = Read> {
    prop_oneof![
        (0usize..8).prop_map(Read::UpTo),
        Just(Read::ToEnd),
        Just(Read::Line),
        Just(Read::Line),
        (0usize..20).prop_map(Read::Exactly),
        (0..n_sets).prop_map(Read::Until),
        (0..n_sets).prop_map(Read::UntilBytes),
    ]
}

fn action(n_sets: usize) -> impl Strategy<Value = Action> {
    // A connection error is sticky (every later read returns it): keep it rare.
    prop_oneof![
        12 => prop::collection::vec(byte(), 0..8).prop_map(Action::Feed),
        4 => prop::collection::vec(byte(), 8..40).prop_map(Action::Feed),
        2 => Just(Action::Eof),
        1 => Just(Action::Fail),
        16 => read(n_sets).prop_map(Action::Start),
        2 => Just(Action::Abandon),
    ]
}

fn case() -> impl Strategy<Value = (usize, Vec<Vec<Vec<u8>>>, Vec<Action>)> {
    (1usize..=12, separator_sets()).prop_flat_map(|(limit, seps)| {
        let n = seps.len();
        let script = prop::collection::vec(action(n), 0..60);
        (Just(limit), Just(seps), script)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn weir_agrees_with_the_cpython_model((limit, seps, script) in case()) {
        if let Err(e) = compare(limit, seps, &script) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// A known case, so the model itself is checked against CPython's numbers.
#[test]
fn model_matches_known_cpython_values() {
    let mut m = Model::new(3, vec![vec![b"xy".to_vec()]]);
    m.feed_data(b"abcdef");
    let mut t = Task {
        read: Read::Until(0),
        offset: 0,
        blocks: Vec::new(),
    };
    // CPython: not found, offset = buflen + 1 - seplen = 5 > limit.
    assert_eq!(
        m.run(&mut t, false),
        Some(Outcome::LimitOverrun {
            consumed: 5,
            separator_found: false
        })
    );
    assert_eq!(m.buffer.len(), 6);
}

/// Asking again after `LimitOverrunError`, with nothing new buffered, raises
/// it again (CPython starts every `readuntil` from offset 0).
#[test]
fn overrun_repeats_when_asked_again() {
    let script = [
        Action::Feed(b"aaaaa".to_vec()),
        Action::Start(Read::Until(0)),
        Action::Start(Read::Until(0)),
    ];
    compare(2, vec![vec![b"\n\r".to_vec()]], &script).unwrap();
}
