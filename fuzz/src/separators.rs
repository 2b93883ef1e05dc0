//! Target `separators`: `Separators::find` against a naive search, and
//! `read_until` fed in pieces against the same data fed at once.
//!
//! The input decodes to one to four separators of one to five bytes, a
//! haystack, a list of start offsets (some past the end), and a list of split
//! points. Checks:
//!
//! 1. `find(hay, from)` equals the naive answer for every offset: the match
//!    ending first, the shorter separator on a tie, `None` past the end. With
//!    several separators each one is also checked alone.
//! 2. Reading the haystack with `read_until` until EOF gives the same frames,
//!    the same final `IncompleteRead` and the same final state whether the
//!    bytes arrive at once or split at the given points, the read retried
//!    after every piece (the limit is larger than the data, so no overrun).

use bytes::Bytes;
use weir_proto::{Error, ReadBuffer, Separators, Step};

use crate::input::Input;
use crate::model::naive_find;

/// Few letters, so separators (and near-misses) occur often.
const ALPHABET: &[u8] = b"abc\r\n";

/// Runs one fuzz input; panics on any disagreement.
///
/// # Examples
///
/// ```
/// weir_fuzz::separators::run(b"\x01\x02\x03\x04abcabcab\x02\x00\x05\x01\x03");
/// ```
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let n = 1 + input.below(4);
    let seps: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let len = 1 + input.below(5);
            input.letters(ALPHABET, len)
        })
        .collect();
    let hay_len = usize::from(input.byte()) % 96;
    let hay = input.letters(ALPHABET, hay_len);
    let offsets: Vec<usize> = (0..input.below(8))
        .map(|_| input.below(hay.len() + 4))
        .chain([0, hay.len(), hay.len() + 1])
        .collect();
    let mut splits: Vec<usize> = (0..input.below(8))
        .map(|_| input.below(hay.len() + 1))
        .collect();
    if input.flip() {
        splits.extend(0..=hay.len()); // one byte at a time
    }
    splits.sort_unstable();
    splits.dedup();

    let all = Separators::any(&seps).expect("non-empty separators");
    for &from in &offsets {
        let got = all.find(&hay, from);
        let want = naive(&seps, &hay, from);
        assert_eq!(got, want, "find({hay:?}, {from}) with {seps:?}");
        if seps.len() > 1 {
            for sep in &seps {
                let one = Separators::new(sep).expect("non-empty separator");
                assert_eq!(
                    one.find(&hay, from),
                    naive(std::slice::from_ref(sep), &hay, from),
                    "find({hay:?}, {from}) with {sep:?}"
                );
            }
        }
    }

    let whole = read_all(&all, &[&hay[..]]);
    let mut pieces = Vec::new();
    let mut at = 0;
    for &s in &splits {
        pieces.push(&hay[at..s]);
        at = s;
    }
    pieces.push(&hay[at..]);
    let split = read_all(&all, &pieces);
    assert_eq!(
        whole, split,
        "read_until with {seps:?} over {hay:?}: at once vs split at {splits:?}"
    );
}

/// The naive answer: every start position, every separator; the earliest
/// end wins and, among equal ends, the shortest separator.
fn naive(seps: &[Vec<u8>], hay: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut sorted: Vec<&Vec<u8>> = seps.iter().collect();
    sorted.sort_by_key(|s| s.len());
    let mut best: Option<(usize, usize)> = None;
    for sep in sorted {
        if let Some(start) = naive_find(hay, sep, from) {
            let end = start + sep.len();
            if best.is_none_or(|(_, e)| end < e) {
                best = Some((start, end));
            }
        }
    }
    best
}

/// What a reader that gets `pieces` then EOF yields: every frame, then the
/// final result (a read_until error), then (buffered, at_eof).
fn read_all(seps: &Separators, pieces: &[&[u8]]) -> (Vec<Bytes>, String, usize, bool) {
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut rb = ReadBuffer::new(total + 1).expect("limit >= 1");
    let mut frames = Vec::new();
    let mut drain = |rb: &mut ReadBuffer| -> Option<Result<(), Error>> {
        loop {
            match rb.read_until(seps) {
                Ok(Step::Ready(frame)) => frames.push(frame),
                Ok(Step::NeedData) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    };
    for piece in pieces {
        rb.feed(piece).expect("feed before eof");
        if let Some(end) = drain(&mut rb) {
            panic!("read_until failed before EOF: {end:?}");
        }
    }
    rb.feed_eof();
    let end = drain(&mut rb);
    let end = format!("{end:?}");
    (frames, end, rb.buffered(), rb.at_eof())
}
