//! Cancellation: a read future dropped at every possible await point of a
//! scripted exchange loses no byte.
//!
//! The transport hands out the input in small chunks with a `Pending`
//! between every two of them, so each poll of a read advances the script by
//! one step. For every `k`, each read future is polled at most `k` times
//! (with a no-op waker) and then dropped, finished or not, and a fresh one is
//! started; the bytes every finished read returned (including the `partial`
//! of an `IncompleteRead` at EOF) must concatenate to the input exactly.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;

use super::{from_transport as connect, ReadFuture, StreamReader};
use crate::rt::{BoxFuture, ExtraInfo, Runtime, Transport};
use crate::{Error, Separators};

/// A runtime that never runs what it is given: the exchange only reads, so
/// the connection's flusher task is not needed.
#[derive(Clone, Debug)]
struct Inert;

impl Runtime for Inert {
    fn spawn(&self, fut: BoxFuture) {
        drop(fut);
    }
    fn sleep(&self, _: Duration) -> BoxFuture {
        Box::pin(std::future::pending())
    }
}

/// What one `poll_read` of the scripted transport returns.
#[derive(Clone, Debug)]
enum Step {
    Pending,
    Data(&'static [u8]),
    Eof,
}

#[derive(Default)]
struct ScriptState {
    steps: Vec<Step>,
    next: usize,
    /// Bytes of `steps[next]` already handed out (a chunk larger than the
    /// reader's room is handed out over several reads).
    offset: usize,
}

/// A transport that replays `steps`, then reports EOF for ever.
struct Scripted(Arc<Mutex<ScriptState>>);

impl Transport for Scripted {
    fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut s = self.0.lock().unwrap();
        let step = s.steps.get(s.next).cloned().unwrap_or(Step::Eof);
        match step {
            Step::Pending => {
                s.next += 1;
                Poll::Pending
            }
            Step::Data(d) => {
                let rest = &d[s.offset..];
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                if n == rest.len() {
                    s.next += 1;
                    s.offset = 0;
                } else {
                    s.offset += n;
                }
                Poll::Ready(Ok(n))
            }
            Step::Eof => Poll::Ready(Ok(0)),
        }
    }

    fn poll_write_vectored(
        &mut self,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
    }

    fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo::default()
    }
}

/// The input, in the chunks the transport hands out: lines of several
/// lengths, `\r\n` and `--` split across chunks, an empty line, a run longer
/// than one chunk, and a tail with no newline.
const CHUNKS: &[&[u8]] = &[
    b"al",
    b"pha\n",
    b"b",
    b"ravo\r",
    b"\n-",
    b"-charlie--delta\n\n",
    b"e",
    b"cho-",
    b"-fox",
    b"trot\r\ngolf\nhot",
    b"el india juliett kilo lima mike november oscar papa quebec\n",
    b"-",
    b"-",
    b"romeo\r",
    b"\n",
    b"sierra\ntango",
    b" uniform--",
    b"vic",
    b"tor",
    b" whiskey x",
];

/// The script: every chunk preceded by a `Pending`, then EOF.
fn script() -> Vec<Step> {
    let mut steps = Vec::new();
    for c in CHUNKS {
        steps.push(Step::Pending);
        steps.push(Step::Data(c));
    }
    steps.push(Step::Pending);
    steps.push(Step::Eof);
    steps
}

fn input() -> Vec<u8> {
    CHUNKS.concat()
}

/// One kind of read, started afresh after each cancellation.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Line,
    Until,
    UntilAny,
    Exactly(usize),
    Read(usize),
    ToEnd,
}

fn start<'a>(r: &'a StreamReader, kind: Kind, seps: &'a Separators) -> ReadFuture<'a> {
    match kind {
        Kind::Line => r.read_line(),
        Kind::Until => r.read_until(b"--"),
        Kind::UntilAny => r.read_until(seps),
        Kind::Exactly(n) => r.read_exactly(n),
        Kind::Read(n) => r.read(n),
        Kind::ToEnd => r.read_to_end(),
    }
}

/// What the exchange saw.
#[derive(Debug, Default)]
struct Outcome {
    bytes: Vec<u8>,
    completed: usize,
    cancelled: usize,
}

/// Runs the scripted exchange: the reads cycle through `kinds`; each read
/// future is polled at most `k` times, then dropped and started afresh.
fn exchange(kinds: &[Kind], k: usize) -> Outcome {
    let state = Arc::new(Mutex::new(ScriptState {
        steps: script(),
        ..ScriptState::default()
    }));
    let (r, _w) = connect(&Inert, Box::new(Scripted(state)), 1024).unwrap();
    let seps = Separators::any([&b"\r\n"[..], b"--", b"\n"]).unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Outcome::default();
    let mut which = 0;
    // Every poll advances the script by at least one step, so a bounded
    // number of rounds always reaches EOF; more means a read made no progress.
    let rounds = 4 * (script().len() + input().len()) + 100;
    for _ in 0..rounds {
        let kind = kinds[which % kinds.len()];
        let mut fut = start(&r, kind, &seps);
        let mut result = None;
        for _ in 0..k {
            if let Poll::Ready(res) = Pin::new(&mut fut).poll(&mut cx) {
                result = Some(res);
                break;
            }
        }
        drop(fut);
        let got: Bytes = match result {
            None => {
                out.cancelled += 1;
                continue;
            }
            Some(Ok(b)) => b,
            Some(Err(Error::IncompleteRead(e))) => e.partial,
            Some(Err(e)) => panic!("{kind:?} failed with k = {k}: {e}"),
        };
        out.completed += 1;
        which += 1;
        out.bytes.extend_from_slice(&got);
        if got.is_empty() && r.at_eof() {
            return out;
        }
    }
    panic!(
        "{kinds:?} with k = {k} did not reach EOF in {rounds} rounds; got {:?}",
        String::from_utf8_lossy(&out.bytes)
    );
}

/// Every `k` from 1 to the script's length (past it, no read is cancelled).
fn every_k(kinds: &[Kind]) {
    let want = input();
    let mut cancelled = 0;
    for k in 1..=script().len() + 1 {
        let out = exchange(kinds, k);
        assert_eq!(
            String::from_utf8_lossy(&out.bytes),
            String::from_utf8_lossy(&want),
            "{kinds:?}, each read polled at most {k} times, then dropped"
        );
        cancelled += out.cancelled;
        if k == 1 {
            assert!(
                out.cancelled > CHUNKS.len(),
                "{kinds:?}: with k = 1 most reads must be cancelled ({out:?})"
            );
        }
    }
    assert!(cancelled > 0);
}

#[test]
fn read_line_dropped_at_every_await_point_loses_nothing() {
    every_k(&[Kind::Line]);
}

#[test]
fn read_until_dropped_at_every_await_point_loses_nothing() {
    every_k(&[Kind::Until]);
}

#[test]
fn read_until_several_separators_dropped_at_every_await_point_loses_nothing() {
    every_k(&[Kind::UntilAny]);
}

#[test]
fn read_exactly_dropped_at_every_await_point_loses_nothing() {
    for n in [1, 3, 7, 64] {
        every_k(&[Kind::Exactly(n)]);
    }
}

#[test]
fn read_n_dropped_at_every_await_point_loses_nothing() {
    for n in [1, 5, 4096] {
        every_k(&[Kind::Read(n)]);
    }
}

#[test]
fn read_to_end_dropped_at_every_await_point_loses_nothing() {
    every_k(&[Kind::ToEnd]);
}

#[test]
fn mixed_reads_dropped_at_every_await_point_lose_nothing() {
    every_k(&[
        Kind::Line,
        Kind::Exactly(3),
        Kind::Until,
        Kind::Read(5),
        Kind::UntilAny,
    ]);
    every_k(&[Kind::Exactly(2), Kind::ToEnd]);
}

/// Without cancellation the exchange yields the expected reads, so the
/// harness itself is sound: lines come back whole.
#[test]
fn the_uncancelled_exchange_reads_whole_lines() {
    let out = exchange(&[Kind::Line], usize::MAX);
    assert_eq!(out.cancelled, 0);
    assert_eq!(out.bytes, input());
    let lines = input().iter().filter(|&&b| b == b'\n').count();
    // Each line, the tail without a newline, and the final empty read.
    assert_eq!(out.completed, lines + 2);
}
