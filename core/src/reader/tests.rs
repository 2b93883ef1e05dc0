//! Unit tests for `ReadBuffer`, each case run three ways (h11's pattern):
//! all at once, one byte at a time, and with trailing data left untouched.

use super::*;

fn ready(s: Result<Step<Bytes>, Error>) -> Bytes {
    match s {
        Ok(Step::Ready(b)) => b,
        other => panic!("expected Ready, got {other:?}"),
    }
}

/// Feeds `input` in the given chunking, calling `op` after each feed until it
/// is ready; returns the result and what stayed buffered.
fn drive(
    input: &[u8],
    chunk: usize,
    eof: bool,
    op: &mut dyn FnMut(&mut ReadBuffer) -> Result<Step<Bytes>, Error>,
) -> (Result<Bytes, Error>, usize) {
    let mut rb = ReadBuffer::new(16).unwrap();
    for piece in input.chunks(chunk.max(1)) {
        rb.feed(piece).unwrap();
        match op(&mut rb) {
            Ok(Step::NeedData) => continue,
            Ok(Step::Ready(b)) => return (Ok(b), rb.buffered()),
            Err(e) => return (Err(e), rb.buffered()),
        }
    }
    if eof {
        rb.feed_eof();
    }
    match op(&mut rb) {
        Ok(Step::Ready(b)) => (Ok(b), rb.buffered()),
        Ok(Step::NeedData) => panic!("still pending"),
        Err(e) => (Err(e), rb.buffered()),
    }
}

fn three_ways(
    input: &[u8],
    eof: bool,
    mut op: impl FnMut(&mut ReadBuffer) -> Result<Step<Bytes>, Error>,
    expect: &[u8],
) {
    for chunk in [input.len(), 1] {
        let (r, _) = drive(input, chunk, eof, &mut op);
        assert_eq!(&r.unwrap()[..], expect, "chunk={chunk}");
    }
    // Trailing data after the complete input stays buffered, untouched.
    if !eof {
        let mut with_tail = input.to_vec();
        with_tail.extend_from_slice(b"TAIL");
        let (r, left) = drive(&with_tail, with_tail.len(), false, &mut op);
        assert_eq!(&r.unwrap()[..], expect);
        assert_eq!(left, with_tail.len() - expect.len());
    }
}

#[test]
fn read_line_three_ways() {
    three_ways(b"hello\n", false, |rb| rb.read_line(), b"hello\n");
    three_ways(b"partial", true, |rb| rb.read_line(), b"partial");
    three_ways(b"", true, |rb| rb.read_line(), b"");
}

#[test]
fn read_until_three_ways() {
    let s = Separators::new(b"\r\n\r\n").unwrap();
    three_ways(
        b"a: b\r\n\r\n",
        false,
        |rb| rb.read_until(&s),
        b"a: b\r\n\r\n",
    );
    let any = Separators::any([&b"\r\n\r\n"[..], b"\n\n"]).unwrap();
    three_ways(b"x\n\n", false, |rb| rb.read_until(&any), b"x\n\n");
}

#[test]
fn read_until_takes_bytes_and_separators_by_value_three_ways() {
    let (input, expect) = (&b"a: b\r\n\r\n"[..], &b"a: b\r\n\r\n"[..]);
    three_ways(input, false, |rb| rb.read_until(b"\r\n\r\n"), expect);
    three_ways(input, false, |rb| rb.read_until(&b"\r\n\r\n"[..]), expect);
    three_ways(input, false, |rb| rb.read_until("\r\n\r\n"), expect);
    three_ways(
        input,
        false,
        |rb| rb.read_until(String::from("\r\n\r\n")),
        expect,
    );
    three_ways(
        input,
        false,
        |rb| rb.read_until(b"\r\n\r\n".to_vec()),
        expect,
    );
    three_ways(
        input,
        false,
        |rb| rb.read_until(Bytes::from_static(b"\r\n\r\n")),
        expect,
    );
    let s = Separators::new(b"\r\n\r\n").unwrap();
    three_ways(input, false, |rb| rb.read_until(s.clone()), expect);
    three_ways(
        b"x\n\n",
        false,
        |rb| rb.read_until_any(["\r\n\r\n", "\n\n"]),
        b"x\n\n",
    );
}

#[test]
fn read_until_empty_separator_changes_nothing() {
    let mut rb = ReadBuffer::new(16).unwrap();
    rb.feed(b"abc").unwrap();
    assert!(matches!(rb.read_until(b""), Err(Error::EmptySeparator)));
    assert!(matches!(rb.read_until(""), Err(Error::EmptySeparator)));
    assert!(matches!(
        rb.read_until_any(["\n", ""]),
        Err(Error::EmptySeparator)
    ));
    assert!(matches!(
        rb.read_until_any(Vec::<Vec<u8>>::new()),
        Err(Error::EmptySeparator)
    ));
    assert_eq!(rb.buffered(), 3);
    assert_eq!(ready(rb.read(3)), &b"abc"[..]);
}

#[test]
fn read_until_with_bytes_resumes_its_search() {
    // The same bytes on every call: the separators built last time are
    // kept, so each call searches only what is new.
    let mut rb = ReadBuffer::new(1 << 20).unwrap();
    for i in 1..=1000 {
        rb.feed(b"a").unwrap();
        assert!(rb.read_until(b"\r\n\r\n").unwrap().is_need_data());
        // A match could still start 3 bytes back, no earlier.
        assert_eq!(
            rb.scan_off,
            (i + 1usize).saturating_sub(4),
            "after {i} bytes"
        );
    }
    let kept = rb.built.as_ref().map(Separators::id);
    assert_eq!(kept, Some(rb.scan_id));
    // Other bytes start over, and are the ones kept from then on.
    assert!(rb.read_until(b"\n").unwrap().is_need_data());
    assert_ne!(rb.built.as_ref().map(Separators::id), kept);
    assert_eq!(rb.scan_off, 1000);
    rb.feed(b"\r\n\r\n").unwrap();
    assert_eq!(ready(rb.read_until(b"\r\n\r\n")).len(), 1004);
    assert!(rb.built.is_none(), "nothing kept once the read is done");
}

#[test]
fn read_exactly_three_ways() {
    three_ways(
        b"0123456789",
        false,
        |rb| rb.read_exactly(10),
        b"0123456789",
    );
}

#[test]
fn limit_zero_is_an_error() {
    assert!(matches!(ReadBuffer::new(0), Err(Error::InvalidLimit)));
}

#[test]
fn limit_overrun_values_match_cpython() {
    // CPython: not found, offset = buflen + 1 - seplen.
    let mut rb = ReadBuffer::new(3).unwrap();
    rb.feed(b"abcdef").unwrap();
    let s = Separators::new(b"xy").unwrap();
    match rb.read_until(&s) {
        Err(Error::LimitOverrun(e)) => assert_eq!((e.consumed, e.separator_found), (5, false)),
        other => panic!("{other:?}"),
    }
    assert_eq!(rb.buffered(), 6);
    // Found beyond the limit: consumed = index of the separator.
    rb.feed(b"xy").unwrap();
    let mut rb2 = ReadBuffer::new(3).unwrap();
    rb2.feed(b"abcdxy").unwrap();
    match rb2.read_until(&s) {
        Err(Error::LimitOverrun(e)) => assert_eq!((e.consumed, e.separator_found), (4, true)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn readline_overrun_drops_through_newline() {
    let mut rb = ReadBuffer::new(3).unwrap();
    rb.feed(b"abcdef\nxy").unwrap();
    assert!(matches!(
        rb.read_line(),
        Err(Error::LineTooLong {
            separator_found: true,
            ..
        })
    ));
    assert_eq!(rb.buffered(), 2);
    let mut rb = ReadBuffer::new(3).unwrap();
    rb.feed(b"abcdefgh").unwrap();
    assert!(matches!(
        rb.read_line(),
        Err(Error::LineTooLong {
            separator_found: false,
            ..
        })
    ));
    assert_eq!(rb.buffered(), 0);
}

#[test]
fn incomplete_read_empties_buffer() {
    let mut rb = ReadBuffer::default();
    rb.feed(b"abc").unwrap();
    rb.feed_eof();
    match rb.read_exactly(4) {
        Err(Error::IncompleteRead(e)) => {
            assert_eq!(&e.partial[..], b"abc");
            assert_eq!(e.expected, Some(4));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(rb.buffered(), 0);
    assert!(rb.at_eof());
}

#[test]
fn backpressure_thresholds() {
    let mut rb = ReadBuffer::new(4).unwrap();
    rb.feed(b"12345678").unwrap(); // exactly 2 x limit: not above
    assert!(rb.wants_read());
    rb.feed(b"9").unwrap(); // 9 > 8
    assert!(!rb.wants_read());
    ready(rb.read(4)); // 5 left > 4
    assert!(!rb.wants_read());
    ready(rb.read(1)); // 4 left <= 4
    assert!(rb.wants_read());
    rb.feed(b"abcdefgh").unwrap(); // 12 > 8
    assert!(!rb.wants_read());
    // A read that must wait resumes first.
    let s = Separators::new(b"!").unwrap();
    assert!(rb.read_until(&s).is_err()); // overrun: changes nothing
    assert!(!rb.wants_read());
    let mut rb = ReadBuffer::new(100).unwrap();
    rb.feed(&[b'x'; 201]).unwrap();
    assert!(!rb.wants_read());
    assert!(rb.read_exactly(500).unwrap().is_need_data());
    assert!(rb.wants_read());
}

#[test]
fn read_to_end_can_be_abandoned() {
    let mut rb = ReadBuffer::default();
    rb.feed(b"line1\nrest").unwrap();
    assert!(rb.read_to_end().unwrap().is_need_data());
    assert_eq!(rb.buffered(), 0);
    // Another read starts instead: it sees every byte.
    assert_eq!(&ready(rb.read_line())[..], b"line1\n");
    assert_eq!(rb.buffered(), 4);
}

#[test]
fn error_wins_over_buffered_data() {
    let mut rb = ReadBuffer::default();
    rb.feed(b"abc\n").unwrap();
    rb.set_error(Error::connection(
        std::io::ErrorKind::ConnectionReset.into(),
    ));
    assert!(matches!(rb.read_line(), Err(Error::Connection(_))));
    assert!(matches!(rb.read(0), Err(Error::Connection(_))));
}

#[test]
fn long_line_byte_by_byte_is_linear() {
    // 1 MiB fed one byte at a time: each feed rescans nothing already scanned.
    // (The O(n) claim is measured by the bench; here we check correctness.)
    let mut rb = ReadBuffer::new(2 << 20).unwrap();
    let s = Separators::new(b"\r\n\r\n").unwrap();
    for _ in 0..(1 << 20) {
        rb.feed(b"a").unwrap();
        assert!(rb.read_until(&s).unwrap().is_need_data());
    }
    rb.feed(b"\r\n\r").unwrap();
    assert!(rb.read_until(&s).unwrap().is_need_data());
    rb.feed(b"\n").unwrap();
    assert_eq!(ready(rb.read_until(&s)).len(), (1 << 20) + 4);
}

#[test]
fn memory_is_given_back_after_a_burst() {
    let mut rb = ReadBuffer::new(1 << 20).unwrap();
    rb.feed(&vec![b'x'; 1 << 20]).unwrap();
    let all = ready(rb.read_exactly(1 << 20));
    drop(all);
    assert!(rb.buf.capacity() <= SHRINK_ABOVE);
}

#[test]
fn huge_limit_does_not_overflow_the_pause_threshold() {
    // Conformance scenarios `limit-huge` / `limit-max-u64`: CPython accepts any
    // positive limit; 2 × limit must not overflow.
    let mut rb = ReadBuffer::new(usize::MAX).unwrap();
    rb.feed(b"abc\n").unwrap();
    assert!(rb.wants_read());
    assert_eq!(&ready(rb.read_line())[..], b"abc\n");
    let mut rb = ReadBuffer::new(usize::MAX / 2 + 1).unwrap();
    rb.feed(b"x").unwrap();
    assert!(rb.wants_read());
}

/// A `read_to_end` waiting with `n` bytes set aside (`buffered()` says 0, as CPython).
fn pending_read_to_end(limit: usize, data: &[u8]) -> ReadBuffer {
    let mut rb = ReadBuffer::new(limit).unwrap();
    rb.feed(data).unwrap();
    assert!(rb.read_to_end().unwrap().is_need_data());
    assert_eq!(rb.buffered(), 0);
    rb
}

#[test]
fn zero_size_read_gives_back_what_read_to_end_set_aside() {
    for zero in [
        ReadBuffer::read as fn(&mut ReadBuffer, usize) -> _,
        ReadBuffer::read_exactly,
    ] {
        let mut rb = pending_read_to_end(16, b"abc");
        assert!(ready(zero(&mut rb, 0)).is_empty());
        assert_eq!(rb.buffered(), 3);
        rb.feed_eof();
        assert!(!rb.at_eof(), "bytes remain after EOF");
        assert_eq!(&ready(rb.read(10))[..], b"abc");
        assert!(rb.at_eof());
    }
}

#[test]
fn abandon_gives_back_what_read_to_end_set_aside() {
    let mut rb = pending_read_to_end(16, b"abc");
    rb.abandon();
    assert_eq!(rb.buffered(), 3);
    rb.feed_eof();
    assert!(!rb.at_eof());
    assert_eq!(&ready(rb.read_line())[..], b"abc");
    assert!(rb.at_eof());
    // With nothing pending it changes nothing.
    let mut rb = ReadBuffer::default();
    rb.feed(b"xy").unwrap();
    rb.abandon();
    assert_eq!(rb.buffered(), 2);
}

#[test]
fn pause_check_counts_bytes_an_abandoned_read_to_end_set_aside() {
    // limit 2: pause above 4 bytes buffered.
    let mut rb = pending_read_to_end(2, b"abc");
    rb.abandon();
    rb.feed(b"de").unwrap();
    assert_eq!(rb.buffered(), 5);
    assert!(!rb.wants_read(), "5 bytes buffered > 2 x limit");
    // The same feed while the read_to_end still waits: CPython's read(-1)
    // holds the first three, so only the new two count and nothing pauses.
    let mut rb = pending_read_to_end(2, b"abc");
    rb.feed(b"de").unwrap();
    assert_eq!(rb.buffered(), 2);
    assert!(rb.wants_read());
}

#[test]
fn read_to_end_resumed_after_a_zero_size_read_returns_everything() {
    let mut rb = pending_read_to_end(16, b"ab");
    assert!(ready(rb.read(0)).is_empty());
    assert!(rb.read_to_end().unwrap().is_need_data());
    assert_eq!(rb.buffered(), 0);
    rb.feed(b"cd").unwrap();
    rb.feed_eof();
    assert_eq!(&ready(rb.read_to_end())[..], b"abcd");
    assert!(rb.at_eof());
}

#[test]
fn read_to_end_failing_drops_what_it_set_aside_other_reads_give_it_back() {
    let reset = || Error::connection(std::io::ErrorKind::ConnectionReset.into());
    // Resumed after the error: it fails, and its bytes go with it (CPython's
    // read(-1) raises with its blocks).
    let mut rb = pending_read_to_end(16, b"abc");
    rb.feed(b"d").unwrap();
    rb.set_error(reset());
    assert!(matches!(rb.read_to_end(), Err(Error::Connection(_))));
    assert_eq!(rb.buffered(), 1);
    rb.abandon();
    assert_eq!(rb.buffered(), 1, "nothing pending: nothing to give back");
    // Abandoned for another read after the error: that read fails, and the
    // bytes count as buffered again.
    let mut rb = pending_read_to_end(16, b"abc");
    rb.set_error(reset());
    assert!(matches!(rb.read(1), Err(Error::Connection(_))));
    assert_eq!(rb.buffered(), 3);
}

/// 64 KiB of lines of 1..=120 bytes, deterministic.
fn mixed_lines() -> Vec<u8> {
    let mut data = Vec::new();
    let mut x = 7u32;
    while data.len() < 64 << 10 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = (x >> 16) as usize % 120;
        data.extend(std::iter::repeat_n(b'a' + (len % 26) as u8, len));
        data.push(b'\n');
    }
    data
}

/// Reads every line of `data` fed in `chunk`-byte pieces; `keep`: hold every
/// result (results pin what they share), else drop each at once.
fn all_lines(rb: &mut ReadBuffer, data: &[u8], chunk: usize, keep: bool) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut kept = Vec::new();
    for piece in data.chunks(chunk) {
        rb.feed(piece).unwrap();
        while let Step::Ready(l) = rb.read_line().unwrap() {
            out.push(Bytes::copy_from_slice(&l));
            if keep {
                kept.push(l);
            }
        }
    }
    out
}

#[test]
fn results_are_the_same_whether_shared_or_copied() {
    let data = mixed_lines();
    for chunk in [1, 7, 100, 4096, 70_000] {
        let mut shared = ReadBuffer::new(1 << 10).unwrap();
        let mut copied = ReadBuffer::new(1 << 10).unwrap();
        copied.copy_small = true;
        let a = all_lines(&mut shared, &data, chunk, false);
        let b = all_lines(&mut copied, &data, chunk, false);
        assert_eq!(a, b, "chunk={chunk}");
        assert_eq!(a.concat(), data);
    }
}

#[test]
fn results_dropped_at_once_are_shared_and_the_block_reused() {
    let data = mixed_lines();
    let mut rb = ReadBuffer::new(1 << 10).unwrap();
    for _ in 0..4 {
        all_lines(&mut rb, &data, 4096, false);
    }
    // Nothing was kept: the reader still splits (no copy) and reuses one
    // block (4 KiB feeds after a partial line: 8 KiB).
    assert!(!rb.copy_small);
    assert!(rb.block <= 8192, "block {}", rb.block);
}

#[test]
fn results_kept_turn_copying_on() {
    let data = mixed_lines();
    let mut rb = ReadBuffer::new(1 << 10).unwrap();
    let kept = {
        let mut kept = Vec::new();
        for piece in data.chunks(4096) {
            rb.feed(piece).unwrap();
            while let Step::Ready(l) = rb.read_line().unwrap() {
                kept.push(l);
            }
        }
        kept
    };
    // The first block was found held by results when the reader was done
    // with it: small results are copied from then on.
    assert!(rb.copy_small);
    assert_eq!(kept.concat(), data);
    // A large result is still split off, if it is a large part of its block.
    rb.feed(&[b'x'; 3000]).unwrap();
    let big = ready(rb.read_exactly(3000));
    assert!(rb.big_split);
    assert_eq!(big.len(), 3000);
}

#[test]
fn release_if_empty_notices_a_kept_result() {
    let mut rb = ReadBuffer::default();
    rb.feed(b"kept\n").unwrap();
    let kept = ready(rb.read_line());
    assert!(!rb.copy_small);
    rb.release_if_empty();
    assert!(rb.copy_small);
    assert_eq!(&kept[..], b"kept\n");
    // Dropped at once: nothing to notice.
    let mut rb = ReadBuffer::default();
    rb.feed(b"dropped\n").unwrap();
    drop(ready(rb.read_line()));
    rb.release_if_empty();
    assert!(!rb.copy_small);
}

#[test]
fn results_dropped_across_a_growing_read_stay_shared() {
    // A small header dropped at once, then a body larger than the block:
    // the reader grows with a byte of the old block taken, and must not
    // take the old block for one that results hold.
    let mut rb = ReadBuffer::new(1 << 20).unwrap();
    for _ in 0..3 {
        rb.feed(&[7u8; 4096]).unwrap();
        drop(ready(rb.read_exactly(4)));
        assert!(rb.read_exactly(100_000).unwrap().is_need_data());
        rb.feed(&vec![1u8; 100_000 - 4092]).unwrap();
        drop(ready(rb.read_exactly(100_000)));
    }
    assert!(!rb.copy_small);
    // The same, keeping the header: noticed.
    rb.feed(&[7u8; 4096]).unwrap();
    let kept = ready(rb.read_exactly(4));
    assert!(rb.read_exactly(100_000).unwrap().is_need_data());
    rb.feed(&vec![1u8; 300_000]).unwrap();
    assert!(rb.copy_small);
    assert_eq!(&kept[..], &[7u8; 4][..]);
}
