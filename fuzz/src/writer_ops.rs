//! Target `writer_ops`: weir-proto's `WriteBuffer` against its invariants.
//!
//! The input decodes to a sequence of `write`, `write_bytes`, `write_lines`,
//! `advance` (any n, including more than is queued), a send (`next_chunks`
//! into a small iovec array, then `advance` by part of what it showed),
//! `set_write_buffer_limits` (including invalid pairs), `write_eof`, `close`,
//! `clear` and `mark_shutdown`. A model keeps the queued bytes as a `Vec<u8>`
//! and the flags by the rules:
//!
//! - queued bytes == written − advanced − cleared, and `next_chunks` shows a
//!   prefix of them, in order, in non-empty slices (all of them when the
//!   array has room to spare);
//! - paused when the length is above high after a write or a limit change;
//!   resumed when at or below low after an advance; a limit change never
//!   resumes; `clear` resumes;
//! - a write after `close` is `WriterClosed`, after `write_eof`
//!   `WriteAfterEof`, and changes nothing; an advance past the end is
//!   `InvalidArgument` and changes nothing; invalid limits change nothing.
//!
//! Written bytes come from a running counter, so a lost, repeated or
//! reordered byte shows.

use std::io::IoSlice;

use bytes::Bytes;
use weir_proto::{Error, WriteBuffer};

use crate::input::Input;

/// At most this many operations per input.
const MAX_OPS: usize = 256;

/// The writer as the rules describe it.
#[derive(Debug, Default)]
struct Model {
    /// Every byte written and not cleared; `written[sent..]` is still queued.
    written: Vec<u8>,
    sent: usize,
    high: usize,
    low: usize,
    paused: bool,
    eof: bool,
    closing: bool,
    shut_down: bool,
}

impl Model {
    fn new() -> Model {
        Model {
            high: 64 * 1024,
            low: 16 * 1024,
            ..Model::default()
        }
    }

    fn queued(&self) -> &[u8] {
        &self.written[self.sent..]
    }

    fn len(&self) -> usize {
        self.written.len() - self.sent
    }

    /// The socket took `n` bytes (`n` ≤ `len`).
    fn take(&mut self, n: usize) {
        self.sent += n;
        if self.sent > 4096 && self.sent * 2 > self.written.len() {
            self.written.drain(..self.sent);
            self.sent = 0;
        }
    }

    fn write_error(&self) -> Option<&'static str> {
        if self.closing {
            Some("WriterClosed")
        } else if self.eof {
            Some("WriteAfterEof")
        } else {
            None
        }
    }

    fn write(&mut self, data: &[u8]) {
        self.written.extend_from_slice(data);
        if self.len() > self.high {
            self.paused = true;
        }
    }

    /// CPython's `set_write_buffer_limits(high=None, low=None)` rules.
    fn limits(high: Option<usize>, low: Option<usize>) -> Option<(usize, usize)> {
        let high = match (high, low) {
            (Some(h), _) => h,
            (None, None) => 64 * 1024,
            (None, Some(l)) => l.checked_mul(4)?,
        };
        let low = low.unwrap_or(high / 4);
        (high >= low).then_some((high, low))
    }
}

/// Runs one fuzz input; panics if the writer breaks a rule.
///
/// # Examples
///
/// ```
/// weir_fuzz::writer_ops::run(b"\x00\x05\x03\x02\x01\x05");
/// ```
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let mut wb = WriteBuffer::new();
    let mut m = Model::new();
    let mut counter: u8 = 0;
    let mut next_bytes = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                counter = counter.wrapping_add(1);
                counter
            })
            .collect()
    };
    let mut log: Vec<String> = Vec::new();
    let mut count = 0;
    while !input.is_empty() && count < MAX_OPS {
        count += 1;
        match input.below(12) {
            op @ 0..=2 => {
                let bytes = op == 2;
                let len = write_len(&mut input, bytes);
                let data = next_bytes(len);
                log.push(format!(
                    "{} {len}",
                    if bytes { "write_bytes" } else { "write" }
                ));
                let r = if bytes {
                    wb.write_bytes(Bytes::from(data.clone()))
                } else {
                    wb.write(&data)
                };
                check_write(&mut m, r, &data, &log);
            }
            3 => {
                let lens: Vec<usize> = (0..input.below(5)).map(|_| input.small_len()).collect();
                let lines: Vec<Vec<u8>> = lens.iter().map(|&l| next_bytes(l)).collect();
                log.push(format!("write_lines {lens:?}"));
                let r = wb.write_lines(&lines);
                check_write(&mut m, r, &lines.concat(), &log);
            }
            4 => {
                let n = match input.below(4) {
                    0 => m.len() + 1 + input.small_len(),
                    1 => usize::MAX,
                    _ => input.below(m.len() + 1),
                };
                log.push(format!("advance {n}"));
                let r = wb.advance(n);
                advance(&mut m, n, r, &log);
            }
            5 | 6 => {
                let slots = input.below(5); // 0 slots too: nothing to fill
                let mut iov = [IoSlice::new(&[]); 4];
                let n = wb.next_chunks(&mut iov[..slots]);
                let shown: Vec<u8> = iov[..n].iter().flat_map(|s| s.iter().copied()).collect();
                log.push(format!(
                    "next_chunks [{slots}] -> {n} slices, {} bytes",
                    shown.len()
                ));
                assert!(
                    n <= slots,
                    "next_chunks filled {n} of {slots} slots\n{log:#?}"
                );
                assert!(
                    iov[..n].iter().all(|s| !s.is_empty()),
                    "next_chunks handed out an empty slice\n{log:#?}"
                );
                assert!(
                    m.queued().starts_with(&shown),
                    "next_chunks shows bytes that are not the front of the queue\n{log:#?}"
                );
                if n < slots {
                    assert_eq!(
                        shown.len(),
                        m.len(),
                        "spare slots but not every byte shown\n{log:#?}"
                    );
                }
                let took = if shown.is_empty() {
                    0
                } else {
                    input.below(shown.len() + 1)
                };
                log.push(format!("advance {took} (sent)"));
                let r = wb.advance(took);
                advance(&mut m, took, r, &log);
            }
            7 => {
                let high = limit_value(&mut input);
                let low = limit_value(&mut input);
                log.push(format!("set_write_buffer_limits({high:?}, {low:?})"));
                let r = wb.set_write_buffer_limits(high, low);
                match (Model::limits(high, low), r) {
                    (Some((h, l)), Ok(())) => {
                        m.high = h;
                        m.low = l;
                        if m.len() > m.high {
                            m.paused = true;
                        }
                    }
                    (None, Err(Error::InvalidWatermarks { .. })) => {}
                    (want, got) => {
                        panic!("set_write_buffer_limits: want {want:?}, got {got:?}\n{log:#?}")
                    }
                }
            }
            8 => {
                log.push("write_eof".into());
                wb.write_eof().expect("write_eof never fails today");
                if !m.closing {
                    m.eof = true;
                }
            }
            9 => {
                log.push("close".into());
                wb.close();
                m.closing = true;
            }
            10 => {
                log.push("clear".into());
                let n = wb.clear();
                assert_eq!(n, m.len(), "clear() count\n{log:#?}");
                m.written.clear();
                m.sent = 0;
                m.paused = false;
                m.closing = true;
            }
            _ => {
                log.push("mark_shutdown".into());
                wb.mark_shutdown();
                m.shut_down = true;
            }
        }
        let got = (
            wb.len(),
            wb.is_empty(),
            wb.is_paused(),
            wb.write_buffer_limits(),
            wb.is_eof(),
            wb.is_closing(),
            wb.is_shut_down(),
            wb.wants_shutdown(),
        );
        let want = (
            m.len(),
            m.len() == 0,
            m.paused,
            (m.low, m.high),
            m.eof,
            m.closing,
            m.shut_down,
            (m.eof || m.closing) && m.len() == 0 && !m.shut_down,
        );
        assert_eq!(
            got, want,
            "(len, is_empty, is_paused, limits, is_eof, is_closing, is_shut_down, wants_shutdown)\n{log:#?}"
        );
    }
}

/// Mostly small; sometimes past the 512-byte copy threshold of `write_bytes`
/// or the 16 KiB coalescing threshold of `write`.
fn write_len(input: &mut Input<'_>, bytes: bool) -> usize {
    match input.below(16) {
        0 => 16 * 1024 + input.below(3) * 8 - 8,
        1 => 20_000 + input.small_len(),
        2 if bytes => 510 + input.below(5),
        3 => 512 + input.small_len() * 8,
        _ => input.small_len(),
    }
}

/// `None`, a small value, or an extreme one.
fn limit_value(input: &mut Input<'_>) -> Option<usize> {
    match input.below(8) {
        0 | 1 => None,
        2 => Some(usize::MAX),
        3 => Some(usize::MAX / 4 + input.below(3)),
        4 => Some(16 * 1024 + input.small_len()),
        _ => Some(input.below(64)),
    }
}

fn check_write(m: &mut Model, r: Result<(), Error>, data: &[u8], log: &[String]) {
    match (m.write_error(), r) {
        (None, Ok(())) => m.write(data),
        (Some(want), Err(e)) if format!("{e:?}") == want => {}
        (want, got) => panic!("write: want error {want:?}, got {got:?}\n{log:#?}"),
    }
}

fn advance(m: &mut Model, n: usize, r: Result<(), Error>, log: &[String]) {
    match r {
        Ok(()) if n <= m.len() => {
            m.take(n);
            if m.paused && m.len() <= m.low {
                m.paused = false;
            }
        }
        Err(Error::InvalidArgument(_)) if n > m.len() => {}
        other => panic!("advance({n}) with {} queued: {other:?}\n{log:#?}", m.len()),
    }
}
