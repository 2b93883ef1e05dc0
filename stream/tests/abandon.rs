//! A read future dropped while it waits, and zero-size reads started while
//! one waits: the reader's state stays right (asyncio's semantics, and no
//! byte hidden).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use weir_stream::Error;
use weir_stream::StreamReader;

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn dropped_read_to_end_gives_its_bytes_back() {
    let r = StreamReader::new(1024).unwrap();
    r.feed_data(b"abc");
    {
        let mut fut = pin!(r.read_to_end());
        assert!(poll_once(fut.as_mut()).is_pending());
        assert_eq!(r.buffered(), 0, "as CPython: read(-1) holds them");
    }
    assert_eq!(r.buffered(), 3);
    r.feed_eof();
    assert!(!r.at_eof(), "bytes remain after EOF");
    let got = futures_lite::future::block_on(r.read(10)).unwrap();
    assert_eq!(&got[..], b"abc");
    assert!(r.at_eof());
}

#[test]
fn dropped_read_lets_another_read_start() {
    let r = StreamReader::new(1024).unwrap();
    {
        let mut fut = pin!(r.read_line());
        assert!(poll_once(fut.as_mut()).is_pending());
        assert!(matches!(
            futures_lite::future::block_on(r.read(1)),
            Err(Error::ConcurrentRead)
        ));
    }
    r.feed_data(b"x\n");
    let got = futures_lite::future::block_on(r.read_line()).unwrap();
    assert_eq!(&got[..], b"x\n");
}

#[test]
fn zero_size_reads_while_read_to_end_waits_are_cpythons() {
    // CPython: read(0) and readexactly(0) return b'' at once, even while
    // read(-1) waits, and the waiting read goes on.
    let r = StreamReader::new(1024).unwrap();
    r.feed_data(b"ab");
    let mut fut = pin!(r.read_to_end());
    assert!(poll_once(fut.as_mut()).is_pending());
    let zero = futures_lite::future::block_on(r.read(0)).unwrap();
    assert!(zero.is_empty());
    let zero = futures_lite::future::block_on(r.read_exactly(0)).unwrap();
    assert!(zero.is_empty());
    assert_eq!(r.buffered(), 0, "the waiting read_to_end still holds them");
    assert!(matches!(
        futures_lite::future::block_on(r.read(1)),
        Err(Error::ConcurrentRead)
    ));
    r.feed_data(b"cd");
    r.feed_eof();
    match poll_once(fut.as_mut()) {
        Poll::Ready(Ok(all)) => assert_eq!(&all[..], b"abcd"),
        other => panic!("expected every byte, got {other:?}"),
    }
    assert!(r.at_eof());
}

#[test]
fn zero_size_reads_report_the_stored_error() {
    let r = StreamReader::new(1024).unwrap();
    r.set_exception(Error::connection(
        std::io::ErrorKind::ConnectionReset.into(),
    ));
    assert!(futures_lite::future::block_on(r.read(0)).is_err());
    assert!(futures_lite::future::block_on(r.read_exactly(0)).is_err());
}

#[test]
fn dropped_lines_stream_lets_another_read_start() {
    use futures_lite::StreamExt;
    let r = StreamReader::new(1024).unwrap();
    {
        let mut lines = r.lines();
        let mut next = pin!(lines.next());
        assert!(poll_once(next.as_mut()).is_pending());
    }
    r.feed_data(b"abc");
    r.feed_eof();
    let got = futures_lite::future::block_on(r.read_to_end()).unwrap();
    assert_eq!(&got[..], b"abc");
}
