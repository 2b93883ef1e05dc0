//! The codecs: every case all at once, one byte at a time and with trailing
//! data (h11's pattern), and against weir's `StreamReader` fed the same
//! bytes in the same pieces.

use super::*;
use crate::StreamReader;

/// What a decode produced, comparable across the codec and the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Frame(Vec<u8>),
    LineTooLong { found: bool },
    Overrun { consumed: usize, found: bool },
    Incomplete(Vec<u8>),
    Other(String),
}

fn ev(r: Result<Bytes, Error>) -> Ev {
    match r {
        Ok(b) => Ev::Frame(b.to_vec()),
        Err(Error::LineTooLong {
            separator_found, ..
        }) => Ev::LineTooLong {
            found: separator_found,
        },
        Err(Error::LimitOverrun(e)) => Ev::Overrun {
            consumed: e.consumed,
            found: e.separator_found,
        },
        Err(Error::IncompleteRead(e)) => Ev::Incomplete(e.partial.to_vec()),
        Err(e) => Ev::Other(e.to_string()),
    }
}

fn frame(b: &[u8]) -> Ev {
    Ev::Frame(b.to_vec())
}

/// Feeds `input` `step` bytes at a time, decoding after each piece until
/// `None`, then `decode_eof` until `None`, as `FramedRead` does. After an
/// `Overrun` (which would repeat with the same bytes) it waits for more.
fn drive<C>(codec: &mut C, input: &[u8], step: usize) -> Vec<Ev>
where
    C: Decoder<Item = Bytes, Error = Error>,
{
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in input.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(None) => break,
                r => {
                    let e = ev(r.map(|f| f.unwrap_or_default()));
                    let stop = matches!(e, Ev::Overrun { .. });
                    out.push(e);
                    if stop {
                        break;
                    }
                }
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(None) => break,
            r => {
                let e = ev(r.map(|f| f.unwrap_or_default()));
                let stop = matches!(e, Ev::Overrun { .. } | Ev::Incomplete(_));
                out.push(e);
                if stop {
                    break;
                }
            }
        }
    }
    out
}

/// `drive` all at once and one byte at a time, both giving `want`.
fn check<C>(make: impl Fn() -> C, input: &[u8], want: &[Ev])
where
    C: Decoder<Item = Bytes, Error = Error>,
{
    assert_eq!(drive(&mut make(), input, input.len()), want, "all at once");
    assert_eq!(drive(&mut make(), input, 1), want, "byte by byte");
}

/// Decodes `input` followed by `trailing` (which holds no separator): the
/// frames of `input` come out and `trailing` stays in the buffer.
fn check_trailing<C>(mut codec: C, input: &[u8], trailing: &[u8], frames: &[&[u8]])
where
    C: Decoder<Item = Bytes, Error = Error>,
{
    let mut buf = BytesMut::from(input);
    buf.extend_from_slice(trailing);
    for f in frames {
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), f);
    }
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    assert_eq!(&buf[..], trailing);
}

fn lines(limit: usize) -> LineCodec {
    LineCodec::new().with_limit(limit).unwrap()
}

fn until(seps: &[&[u8]], limit: usize) -> UntilCodec {
    UntilCodec::any(seps).unwrap().with_limit(limit).unwrap()
}

// ----- LineCodec ---------------------------------------------------------

#[test]
fn lines_split_and_several_in_one_buffer() {
    let input = b"PING\r\nPONG\n\nlast\n";
    let want = [
        frame(b"PING\r\n"),
        frame(b"PONG\n"),
        frame(b"\n"),
        frame(b"last\n"),
    ];
    check(|| lines(64), input, &want);
    check_trailing(
        lines(64),
        input,
        b"par",
        &[b"PING\r\n", b"PONG\n", b"\n", b"last\n"],
    );
}

#[test]
fn a_line_split_across_decodes_waits() {
    let mut c = LineCodec::new();
    let mut buf = BytesMut::from(&b"hel"[..]);
    assert_eq!(c.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"lo\nwor");
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"hello\n"[..]);
    assert_eq!(c.decode(&mut buf).unwrap(), None);
    assert_eq!(&buf[..], b"wor");
}

#[test]
fn lines_at_eof_the_partial_line_is_a_frame() {
    check(
        || lines(64),
        b"a\nno newline",
        &[frame(b"a\n"), frame(b"no newline")],
    );
    check(|| lines(64), b"", &[]);
    check(|| lines(64), b"x\n", &[frame(b"x\n")]);
}

#[test]
fn a_too_long_line_with_its_newline_is_dropped_through_it() {
    // Limit 4: "12345\n" has its `\n` at 5 > 4.
    let mut c = lines(4);
    let mut buf = BytesMut::from(&b"12345\nok\n"[..]);
    assert!(matches!(
        c.decode(&mut buf),
        Err(Error::LineTooLong {
            limit: 4,
            separator_found: true
        })
    ));
    assert_eq!(&buf[..], b"ok\n");
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"ok\n"[..]);
    // Exactly at the limit is fine.
    check(|| lines(4), b"1234\n", &[frame(b"1234\n")]);
}

#[test]
fn a_too_long_line_without_its_newline_drops_the_buffer() {
    let mut c = lines(4);
    let mut buf = BytesMut::from(&b"12345"[..]);
    assert!(matches!(
        c.decode(&mut buf),
        Err(Error::LineTooLong {
            separator_found: false,
            ..
        })
    ));
    assert!(buf.is_empty());
    // As CPython: the rest of that line is read as a line of its own.
    buf.extend_from_slice(b"67\nok\n");
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"67\n"[..]);
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"ok\n"[..]);
    // Four bytes without `\n` may wait (limit + 1 - 1); the fifth overruns.
    check(|| lines(4), b"1234", &[frame(b"1234")]);
}

#[test]
fn too_long_lines_all_at_once_and_byte_by_byte() {
    // All at once, the `\n` is seen: one error, the line dropped through it.
    assert_eq!(
        drive(&mut lines(3), b"abcdef\nok\n", 100),
        [Ev::LineTooLong { found: true }, frame(b"ok\n")]
    );
    // Byte by byte, the buffer overruns at "abcd" and is dropped; "ef\n"
    // is then a line of its own, as in CPython fed the same way.
    assert_eq!(
        drive(&mut lines(3), b"abcdef\nok\n", 1),
        [
            Ev::LineTooLong { found: false },
            frame(b"ef\n"),
            frame(b"ok\n")
        ]
    );
}

#[test]
fn a_too_long_partial_line_at_eof_is_an_error() {
    assert_eq!(
        drive(&mut lines(3), b"ok\nabcdef", 100),
        [frame(b"ok\n"), Ev::LineTooLong { found: false }]
    );
}

#[test]
fn the_search_resumes_where_it_stopped() {
    let mut c = lines(1 << 20);
    let mut buf = BytesMut::new();
    for i in 1..=1000 {
        buf.extend_from_slice(b"x");
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        assert_eq!(c.framer.resume, i, "each byte searched once");
    }
    buf.extend_from_slice(b"\n");
    assert_eq!(c.decode(&mut buf).unwrap().unwrap().len(), 1001);
    assert_eq!(c.framer.resume, 0);
}

#[test]
fn a_buffer_emptied_by_hand_is_searched_from_its_start() {
    let mut c = UntilCodec::new(b"\r\n").unwrap();
    let mut buf = BytesMut::from(&b"abcdef"[..]);
    assert_eq!(c.decode(&mut buf).unwrap(), None);
    buf.clear();
    buf.extend_from_slice(b"a\r\n");
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"a\r\n"[..]);
}

// ----- UntilCodec --------------------------------------------------------

#[test]
fn until_split_and_several_in_one_buffer() {
    let input = b"A: 1\r\n\r\nB: 2\r\n\r\n";
    let want = [frame(b"A: 1\r\n\r\n"), frame(b"B: 2\r\n\r\n")];
    check(|| until(&[&b"\r\n\r\n"[..]], 64), input, &want);
    check_trailing(
        until(&[&b"\r\n\r\n"[..]], 64),
        input,
        b"C: 3\r\n",
        &[b"A: 1\r\n\r\n", b"B: 2\r\n\r\n"],
    );
}

#[test]
fn until_at_eof_a_partial_frame_is_incomplete() {
    check(
        || until(&[&b";"[..]], 64),
        b"a;bc",
        &[frame(b"a;"), Ev::Incomplete(b"bc".to_vec())],
    );
    // Nothing left: the stream just ends.
    check(|| until(&[&b";"[..]], 64), b"a;", &[frame(b"a;")]);
    let mut c = UntilCodec::new(b";").unwrap();
    let mut buf = BytesMut::from(&b"bc"[..]);
    assert!(c.decode_eof(&mut buf).is_err());
    assert!(buf.is_empty(), "the partial is taken out, as CPython");
    assert_eq!(c.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn until_separator_beyond_the_limit_keeps_the_data() {
    let mut c = until(&[&b"\r\n"[..]], 4);
    let mut buf = BytesMut::from(&b"12345\r\nok\r\n"[..]);
    for _ in 0..2 {
        let Err(Error::LimitOverrun(e)) = c.decode(&mut buf) else {
            panic!("expected LimitOverrun")
        };
        assert_eq!((e.consumed, e.separator_found), (5, true));
        assert_eq!(buf.len(), 11, "nothing dropped; the same error again");
    }
    // What a user does next: raise the limit, or take the bytes.
    c.set_limit(5).unwrap();
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"12345\r\n"[..]);
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"ok\r\n"[..]);
}

#[test]
fn until_no_separator_within_the_limit_keeps_the_data() {
    // Limit 4, separator of 2: up to 5 bytes may wait, 6 overrun with
    // CPython's consumed = 6 + 1 - 2.
    check(
        || until(&[&b"\r\n"[..]], 4),
        b"12345",
        &[Ev::Incomplete(b"12345".to_vec())],
    );
    let mut c = until(&[&b"\r\n"[..]], 4);
    let mut buf = BytesMut::from(&b"123456"[..]);
    let Err(Error::LimitOverrun(e)) = c.decode(&mut buf) else {
        panic!("expected LimitOverrun")
    };
    assert_eq!((e.consumed, e.separator_found), (5, false));
    assert_eq!(&buf[..], b"123456");
    // The user takes `consumed` bytes out, and decoding goes on.
    buf.advance(e.consumed);
    buf.extend_from_slice(b"\r\n");
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"6\r\n"[..]);
}

#[test]
fn several_separators_the_earliest_end_wins() {
    let want = [frame(b"a\r\n"), frame(b"b\n"), frame(b"c\r\n")];
    check(
        || until(&[&b"\r\n"[..], b"\n"], 64),
        b"a\r\nb\nc\r\n",
        &want,
    );
    check(
        || until(&[&b"\n"[..], b"\r\n"], 64),
        b"a\r\nb\nc\r\n",
        &want,
    );
    // A longer separator that ends first wins over a shorter one later.
    check(
        || until(&[&b"END"[..], b"x"], 64),
        b"aENDbx",
        &[frame(b"aEND"), frame(b"bx")],
    );
    // "\r\n" and "\n" end at the same byte: the shorter is the match, so
    // the limit counts up to the `\n` (CPython 3.13 raises here too).
    let mut c = until(&[&b"\r\n"[..], b"\n"], 4);
    let Err(Error::LimitOverrun(e)) = c.decode(&mut BytesMut::from(&b"abcd\r\nx"[..])) else {
        panic!("expected LimitOverrun")
    };
    assert_eq!((e.consumed, e.separator_found), (5, true));
}

#[test]
fn several_separators_split_across_decodes() {
    let mut c = until(&[&b"\r\n\r\n"[..], b"\n\n"], 64);
    let mut buf = BytesMut::from(&b"head\r\n\r"[..]);
    assert_eq!(c.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"\nbody\n");
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"head\r\n\r\n"[..]);
    assert_eq!(c.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"\n");
    assert_eq!(c.decode(&mut buf).unwrap().unwrap(), &b"body\n\n"[..]);
}

#[test]
fn encoders_write_items_as_given() {
    let mut dst = BytesMut::new();
    let mut c = LineCodec::new();
    c.encode(Bytes::from_static(b"a\n"), &mut dst).unwrap();
    c.encode(&b"no newline added"[..], &mut dst).unwrap();
    c.encode(b"\r\n".to_vec(), &mut dst).unwrap();
    let mut u = UntilCodec::new(b";").unwrap();
    u.encode(&b"x;"[..], &mut dst).unwrap();
    assert_eq!(&dst[..], b"a\nno newline added\r\nx;");
    // A decoded frame encodes back to the same bytes.
    let mut buf = dst.clone();
    let line = c.decode(&mut buf).unwrap().unwrap();
    let mut again = BytesMut::new();
    c.encode(line, &mut again).unwrap();
    assert_eq!(&again[..], b"a\n");
}

#[test]
fn a_zero_limit_is_refused() {
    assert!(matches!(
        LineCodec::new().with_limit(0),
        Err(Error::InvalidLimit)
    ));
    let mut c = UntilCodec::new(b";").unwrap();
    assert!(matches!(c.set_limit(0), Err(Error::InvalidLimit)));
    assert_eq!(c.limit(), DEFAULT_LIMIT);
    assert!(matches!(
        UntilCodec::any(Vec::<&[u8]>::new()),
        Err(Error::EmptySeparator)
    ));
}

// ----- against weir's StreamReader ---------------------------------------

/// The reader fed `input` `step` bytes at a time, reading after each piece
/// until the read would wait; then EOF. `read` is `read_line` or
/// `read_until_*`; `line` says which rules end the loop.
fn reader_events(
    limit: usize,
    input: &[u8],
    step: usize,
    read: impl Fn(&StreamReader) -> crate::ReadFuture<'_>,
) -> Vec<Ev> {
    use futures_lite::future::{block_on, poll_once};
    let r = StreamReader::new(limit).unwrap();
    let mut out = Vec::new();
    for piece in input.chunks(step.max(1)) {
        r.feed_data(piece);
        // A read that would wait is dropped: reads are cancel-safe.
        while let Some(res) = block_on(poll_once(read(&r))) {
            let e = ev(res);
            let stop = matches!(e, Ev::Overrun { .. });
            out.push(e);
            if stop {
                break;
            }
        }
    }
    r.feed_eof();
    loop {
        let Some(res) = block_on(poll_once(read(&r))) else {
            out.push(Ev::Other("a read waited after EOF".into()));
            break;
        };
        match ev(res) {
            // readline's EOF, and readuntil's with nothing left: the
            // codec's stream end.
            Ev::Frame(f) if f.is_empty() => break,
            Ev::Incomplete(p) if p.is_empty() => break,
            e => {
                let stop = matches!(e, Ev::Overrun { .. } | Ev::Incomplete(_));
                out.push(e);
                if stop {
                    break;
                }
            }
        }
    }
    out
}

fn bytes_from(
    alphabet: &'static [u8],
    max: usize,
) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::sample::select(alphabet.to_vec()), 0..max)
}

proptest::proptest! {
    #[test]
    fn line_codec_agrees_with_read_line(
        input in bytes_from(b"ab\r\n", 48),
        step in 1usize..12,
        limit in 1usize..10,
    ) {
        let codec = drive(&mut lines(limit), &input, step);
        let reader = reader_events(limit, &input, step, |r| r.read_line());
        proptest::prop_assert_eq!(codec, reader);
    }

    #[test]
    fn until_codec_agrees_with_read_until(
        input in bytes_from(b"ab\r\n", 48),
        seps in proptest::collection::vec(bytes_from(b"ab\r\n", 4), 1..4),
        step in 1usize..12,
        limit in 1usize..10,
    ) {
        let seps: Vec<Vec<u8>> = seps.into_iter().filter(|s| !s.is_empty()).collect();
        proptest::prop_assume!(!seps.is_empty());
        let codec = drive(&mut until(&seps.iter().map(|s| &s[..]).collect::<Vec<_>>(), limit), &input, step);
        let reader = reader_events(limit, &input, step, |r| r.read_until_any(seps.iter()));
        proptest::prop_assert_eq!(codec, reader);
    }
}

#[test]
fn the_same_frames_and_errors_as_the_reader_on_fixed_cases() {
    let cases: &[(&[u8], usize)] = &[
        (b"PING\r\nPONG\r\nQUIT", 64),
        (b"toolong\nok\n", 4),
        (b"12345", 4),
        (b"1234\n12345\n123", 4),
        (b"\n\n\n", 1),
    ];
    for &(input, limit) in cases {
        for step in [1, 2, 3, input.len()] {
            assert_eq!(
                drive(&mut lines(limit), input, step),
                reader_events(limit, input, step, |r| r.read_line()),
                "read_line {input:?} limit {limit} step {step}"
            );
            assert_eq!(
                drive(&mut until(&[&b"\r\n"[..], b"\n"], limit), input, step),
                reader_events(limit, input, step, |r| r
                    .read_until_any([&b"\r\n"[..], b"\n"])),
                "read_until_any {input:?} limit {limit} step {step}"
            );
        }
    }
}
