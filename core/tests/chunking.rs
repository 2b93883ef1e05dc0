//! Chunking and cancellation properties of `ReadBuffer`.
//!
//! - Every chunking of the same input gives the same sequence of results for
//!   reads whose result does not depend on timing (`read_line`, `read_until`,
//!   `read_exactly`, `read_to_end`, with a limit no line reaches).
//! - Abandoning a pending read of any kind, including `read_to_end`, and
//!   starting it again or starting a different read loses no byte: everything
//!   returned, concatenated, is the input.
//!
//! Input is fed both with `feed` and with `spare_mut` + `commit`.

use bytes::Bytes;
use proptest::prelude::*;
use weir_proto::{Error, ReadBuffer, Separators, Step};

#[derive(Debug, Clone)]
enum Read {
    UpTo(usize),
    ToEnd,
    Line,
    Exactly(usize),
    /// Index into [`separators`].
    Until(usize),
}

fn separators() -> Vec<Separators> {
    vec![
        Separators::new(b"\r\n\r\n").unwrap(),
        Separators::new(b"\r").unwrap(),
        Separators::any([&b"\n\n"[..], b"\r\n", b"a\r"]).unwrap(),
    ]
}

/// What a read ended with; `None` while it needs data.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Done {
    Data(Bytes),
    Incomplete(Bytes, Option<usize>),
}

fn run(rb: &mut ReadBuffer, seps: &[Separators], read: &Read) -> Option<Done> {
    let r = match *read {
        Read::UpTo(n) => rb.read(n),
        Read::ToEnd => rb.read_to_end(),
        Read::Line => rb.read_line(),
        Read::Exactly(n) => rb.read_exactly(n),
        Read::Until(i) => rb.read_until(&seps[i]),
    };
    match r {
        Ok(Step::NeedData) => None,
        Ok(Step::Ready(b)) => Some(Done::Data(b)),
        Err(Error::IncompleteRead(e)) => Some(Done::Incomplete(e.partial, e.expected)),
        Err(e) => panic!("{read:?} failed with a limit nothing reaches: {e:?}"),
    }
}

/// Feeds `piece` one of two ways, so both input paths are covered.
fn put(rb: &mut ReadBuffer, piece: &[u8], via_spare: bool) {
    if via_spare {
        rb.spare_mut(piece.len())[..piece.len()].copy_from_slice(piece);
        rb.commit(piece.len()).unwrap();
    } else {
        rb.feed(piece).unwrap();
    }
}

/// Splits `input` at the given cut points (taken modulo the length).
fn chunks<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|c| c % (input.len() + 1))
        .chain([0, input.len()])
        .collect();
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| &input[w[0]..w[1]]).collect()
}

/// Runs `reads` in turn (cycling) over `input` fed in `pieces`, then EOF,
/// until the reader is at EOF; returns every result in order.
fn results(input: &[u8], pieces: &[&[u8]], reads: &[Read], via_spare: bool) -> Vec<Done> {
    let seps = separators();
    let mut rb = ReadBuffer::new(input.len() + 1).unwrap();
    let mut out = Vec::new();
    let mut next = 0;
    for piece in pieces {
        put(&mut rb, piece, via_spare);
        while let Some(done) = run(&mut rb, &seps, &reads[next % reads.len()]) {
            out.push(done);
            next += 1;
        }
    }
    rb.feed_eof();
    // At EOF no read waits, and every read here takes at least one byte
    // while any is buffered, so this ends within input.len() + 1 rounds.
    for _ in 0..=(input.len() + 1) * reads.len() {
        let done = run(&mut rb, &seps, &reads[next % reads.len()]).expect("no read waits at EOF");
        out.push(done);
        next += 1;
        if rb.at_eof() {
            return out;
        }
    }
    panic!("the reads never reached EOF");
}

fn byte() -> impl Strategy<Value = u8> {
    prop::sample::select(b"a\r\n".to_vec())
}

fn timing_free_read() -> impl Strategy<Value = Read> {
    prop_oneof![
        Just(Read::Line),
        Just(Read::ToEnd),
        (1usize..12).prop_map(Read::Exactly),
        (0usize..3).prop_map(Read::Until),
    ]
}

fn any_read() -> impl Strategy<Value = Read> {
    prop_oneof![
        (0usize..10).prop_map(Read::UpTo),
        Just(Read::ToEnd),
        Just(Read::Line),
        (0usize..12).prop_map(Read::Exactly),
        (0usize..3).prop_map(Read::Until),
    ]
}

/// One step of the abandonment script.
#[derive(Debug, Clone)]
enum Move {
    /// Feed the next piece, then retry the pending read.
    Feed,
    /// Abandon the pending read (if any) and start this one.
    Start(Read),
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn every_chunking_gives_the_same_results(
        input in prop::collection::vec(byte(), 0..200),
        reads in prop::collection::vec(timing_free_read(), 1..6),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        via_spare in any::<bool>(),
    ) {
        let whole = results(&input, &[&input[..]], &reads, false);
        let bytewise: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(&results(&input, &bytewise, &reads, via_spare), &whole);
        prop_assert_eq!(&results(&input, &chunks(&input, &cuts), &reads, via_spare), &whole);
    }

    #[test]
    fn abandoning_a_pending_read_loses_no_byte(
        input in prop::collection::vec(byte(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        moves in prop::collection::vec(
            prop_oneof![3 => Just(Move::Feed), 2 => any_read().prop_map(Move::Start)],
            0..80,
        ),
        via_spare in any::<bool>(),
    ) {
        let seps = separators();
        let mut rb = ReadBuffer::new(input.len() + 1).unwrap();
        let mut pieces = chunks(&input, &cuts).into_iter();
        let mut got: Vec<u8> = Vec::new();
        let mut keep = |done: Done| match done {
            Done::Data(b) | Done::Incomplete(b, _) => got.extend_from_slice(&b),
        };
        let mut pending: Option<Read> = None;
        for mv in moves {
            let read = match mv {
                Move::Feed => {
                    let Some(piece) = pieces.next() else { break };
                    put(&mut rb, piece, via_spare);
                    match pending.take() {
                        Some(read) => read,
                        None => continue,
                    }
                }
                // Whatever was pending is simply never asked again.
                Move::Start(read) => read,
            };
            match run(&mut rb, &seps, &read) {
                Some(done) => keep(done),
                None => pending = Some(read),
            }
        }
        for piece in pieces {
            put(&mut rb, piece, via_spare);
        }
        rb.feed_eof();
        match run(&mut rb, &seps, &Read::ToEnd) {
            Some(done) => keep(done),
            None => prop_assert!(false, "read_to_end waits after EOF"),
        }
        prop_assert!(rb.at_eof());
        prop_assert_eq!(got, input);
    }
}

#[test]
fn abandoned_read_to_end_gives_its_bytes_to_the_next_read() {
    let seps = separators();
    let mut rb = ReadBuffer::new(64).unwrap();
    rb.feed(b"ab\r").unwrap();
    assert_eq!(run(&mut rb, &seps, &Read::ToEnd), None);
    rb.feed(b"\ncd").unwrap();
    assert_eq!(run(&mut rb, &seps, &Read::ToEnd), None);
    // Abandoned: read_until starts instead and sees every byte.
    assert_eq!(
        run(&mut rb, &seps, &Read::Until(1)),
        Some(Done::Data(Bytes::from_static(b"ab\r")))
    );
    assert_eq!(
        run(&mut rb, &seps, &Read::UpTo(10)),
        Some(Done::Data(Bytes::from_static(b"\ncd")))
    );
}
