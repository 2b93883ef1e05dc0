//! The stream layer over mock transports: pending reads, short writes,
//! EOF, errors, batching, closing.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_lite::future::poll_once;

use super::{from_transport as connect, StreamReader, StreamWriter};
use crate::rt::{BoxFuture, ExtraInfo, Runtime, Transport};
use crate::Error;

#[derive(Clone, Debug)]
struct TestRt;

impl Runtime for TestRt {
    fn spawn(&self, fut: BoxFuture) {
        drop(tokio::spawn(fut));
    }
    fn sleep(&self, d: Duration) -> BoxFuture {
        Box::pin(tokio::time::sleep(d))
    }
}

enum In {
    Data(Vec<u8>),
    Eof,
    Err(io::ErrorKind),
}

#[derive(Default)]
struct Script {
    input: VecDeque<In>,
    read_sizes: Vec<usize>,
    read_waker: Option<Waker>,
    written: Vec<u8>,
    /// Where each write's first buffer lived, and its length.
    first_bufs: Vec<(usize, usize)>,
    write_calls: usize,
    max_write: Option<usize>,
    write_blocked: bool,
    /// Bytes the peer takes before blocking again (`None`: no cap).
    allow: Option<usize>,
    write_error: Option<io::ErrorKind>,
    write_zero: bool,
    write_waker: Option<Waker>,
    shutdowns: usize,
    aborted: bool,
    dropped: bool,
}

#[derive(Clone, Default)]
struct Mock(Arc<Mutex<Script>>);

impl Mock {
    fn with<T>(&self, f: impl FnOnce(&mut Script) -> T) -> T {
        let mut s = self.0.lock().unwrap();
        let r = f(&mut s);
        let wakers = [s.read_waker.take(), s.write_waker.take()];
        drop(s);
        wakers.into_iter().flatten().for_each(Waker::wake);
        r
    }
    fn push(&self, i: In) {
        self.with(|s| s.input.push_back(i));
    }
    fn get<T>(&self, f: impl FnOnce(&Script) -> T) -> T {
        f(&self.0.lock().unwrap())
    }
}

struct Handle(Mock);

impl Transport for Handle {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut s = self.0 .0.lock().unwrap();
        s.read_sizes.push(buf.len());
        match s.input.pop_front() {
            None => {
                s.read_waker = Some(cx.waker().clone());
                Poll::Pending
            }
            Some(In::Data(mut d)) => {
                let n = d.len().min(buf.len());
                buf[..n].copy_from_slice(&d[..n]);
                if n < d.len() {
                    s.input.push_front(In::Data(d.split_off(n)));
                }
                Poll::Ready(Ok(n))
            }
            Some(In::Eof) => {
                s.input.push_front(In::Eof);
                Poll::Ready(Ok(0))
            }
            Some(In::Err(k)) => Poll::Ready(Err(k.into())),
        }
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut s = self.0 .0.lock().unwrap();
        if let Some(k) = s.write_error {
            return Poll::Ready(Err(k.into()));
        }
        if s.write_zero {
            return Poll::Ready(Ok(0));
        }
        if s.write_blocked || s.allow == Some(0) {
            s.write_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        s.write_calls += 1;
        if let Some(b) = bufs.first() {
            s.first_bufs.push((b.as_ptr() as usize, b.len()));
        }
        let mut room = s
            .max_write
            .unwrap_or(usize::MAX)
            .min(s.allow.unwrap_or(usize::MAX));
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(room);
            s.written.extend_from_slice(&b[..take]);
            room -= take;
            n += take;
            if room == 0 {
                break;
            }
        }
        if let Some(a) = &mut s.allow {
            *a -= n;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0 .0.lock().unwrap().shutdowns += 1;
        Poll::Ready(Ok(()))
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn extra_info(&self) -> ExtraInfo {
        ExtraInfo {
            peer_addr: Some("127.0.0.1:9".parse().unwrap()),
            ..ExtraInfo::default()
        }
    }

    fn abort(&mut self) {
        self.0 .0.lock().unwrap().aborted = true;
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.0 .0.lock().unwrap().dropped = true;
    }
}

fn open(limit: usize) -> (StreamReader, StreamWriter, Mock) {
    let mock = Mock::default();
    let (r, w) = connect(&TestRt, Box::new(Handle(mock.clone())), limit).unwrap();
    (r, w, mock)
}

async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_read_waits_through_pending_and_completes() {
    let (r, _w, m) = open(1024);
    let mut line = Box::pin(r.read_line());
    assert!(poll_once(&mut line).await.is_none());
    m.push(In::Data(b"ab".to_vec()));
    assert!(poll_once(&mut line).await.is_none());
    m.push(In::Data(b"c\nrest".to_vec()));
    assert_eq!(line.await.unwrap(), &b"abc\n"[..]);
    assert_eq!(r.buffered(), 4);
}

#[tokio::test]
async fn a_large_write_is_sent_from_the_callers_buffer_when_nothing_is_queued() {
    let (_r, w, m) = open(1024);
    let big: Vec<u8> = (0..20 * 1024).map(|i| i as u8).collect();
    w.write(&big).unwrap();
    assert_eq!(w.write_buffer_size(), 0);
    let firsts = m.get(|s| s.first_bufs.clone());
    assert_eq!(
        firsts,
        [(big.as_ptr() as usize, big.len())],
        "not copied first"
    );

    // The socket takes part of it: the rest is queued, behind nothing.
    m.with(|s| s.max_write = Some(5000));
    w.write(&big).unwrap();
    assert_eq!(w.write_buffer_size(), big.len() - 5000);
    // Something is queued: a large write goes behind it, not through.
    w.write(&big).unwrap();
    let firsts = m.get(|s| s.first_bufs.clone());
    assert_eq!(firsts[1], (big.as_ptr() as usize, big.len()));
    assert!(firsts[2..].iter().all(|&(p, _)| p != big.as_ptr() as usize));
    m.with(|s| s.max_write = None);
    w.drain().await.unwrap();
    w.close();
    w.wait_closed().await.unwrap();
    let written = m.get(|s| s.written.clone());
    assert_eq!(written, [&big[..], &big[..], &big[..]].concat());
}

#[tokio::test]
async fn a_large_write_meeting_a_failed_socket_loses_the_connection_with_that_error() {
    let (_r, w, m) = open(1024);
    m.with(|s| s.write_error = Some(io::ErrorKind::ConnectionReset));
    // Queued, as asyncio's write (the error comes from the socket, later).
    w.write(vec![1u8; 20 * 1024]).unwrap();
    let e = w.wait_closed().await.unwrap_err();
    assert!(
        matches!(&e, Error::Connection(io) if io.kind() == io::ErrorKind::ConnectionReset),
        "{e:?}"
    );
    assert!(matches!(w.write(b"late"), Err(Error::Connection(_))));
}

#[tokio::test]
async fn reads_start_small_and_grow_while_full() {
    let (r, _w, m) = open(1 << 20);
    m.push(In::Data(vec![1; 300 * 1024]));
    assert_eq!(r.read_exactly(300 * 1024).await.unwrap().len(), 300 * 1024);
    let sizes = m.get(|s| s.read_sizes.clone());
    assert_eq!(sizes[0], 4096, "an idle connection holds a small buffer");
    assert!(sizes.windows(2).all(|w| w[1] >= w[0]));
    assert!(sizes.iter().any(|&n| n >= 32 * 1024), "{sizes:?}");
    assert!(sizes.iter().all(|&n| n <= 32 * 1024), "{sizes:?}");
}

#[tokio::test]
async fn eof_gives_the_partial_line_then_empty() {
    let (r, _w, m) = open(1024);
    m.push(In::Data(b"tail".to_vec()));
    m.push(In::Eof);
    assert_eq!(r.read_line().await.unwrap(), &b"tail"[..]);
    assert!(r.read_line().await.unwrap().is_empty());
    assert!(r.at_eof());
}

#[tokio::test]
async fn a_read_error_reaches_reads_drain_and_writes() {
    let (r, w, m) = open(1024);
    m.push(In::Err(io::ErrorKind::ConnectionReset));
    let e = r.read(10).await.unwrap_err();
    assert_eq!(e.io_kind(), io::ErrorKind::ConnectionReset);
    assert!(r.exception().is_some());
    assert!(w.drain().await.is_err());
    assert!(w.write(b"x").is_err());
    assert!(w.wait_closed().await.is_err());
    assert!(
        m.get(|s| s.dropped),
        "the transport is closed after the error"
    );
}

#[tokio::test]
async fn short_writes_deliver_every_byte_in_order() {
    let (_r, w, m) = open(1024);
    m.with(|s| s.max_write = Some(3));
    let data: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    for c in data.chunks(7) {
        w.write(c).unwrap();
    }
    w.close();
    w.wait_closed().await.unwrap();
    assert_eq!(m.get(|s| s.written.clone()), data);
    assert_eq!(m.get(|s| s.shutdowns), 1);
    assert!(m.get(|s| s.dropped));
}

#[tokio::test]
async fn writes_made_before_yielding_leave_in_one_call() {
    let (_r, w, m) = open(1024);
    for i in 0..100 {
        w.write(format!("line {i}\n")).unwrap();
    }
    settle().await;
    assert_eq!(
        m.get(|s| s.write_calls),
        1,
        "one vectored write for 100 lines"
    );
    assert!(m.get(|s| s.written.starts_with(b"line 0\nline 1\n")));
}

#[tokio::test]
async fn drain_waits_while_blocked_above_high() {
    let (_r, w, m) = open(1024);
    m.with(|s| s.write_blocked = true);
    w.set_write_buffer_limits(Some(100), Some(10)).unwrap();
    w.write([0u8; 150]).unwrap();
    settle().await;
    let mut d = Box::pin(w.drain());
    assert!(poll_once(&mut d).await.is_none());
    m.with(|s| {
        s.write_blocked = false;
        s.allow = Some(100);
    });
    settle().await;
    // 50 left: below high but above low (10): still paused.
    assert_eq!(w.write_buffer_size(), 50);
    assert!(poll_once(&mut d).await.is_none());
    m.with(|s| s.allow = Some(40));
    settle().await;
    // 10 left: at low, drain returns.
    assert_eq!(w.write_buffer_size(), 10);
    d.await.unwrap();
}

#[tokio::test]
async fn a_write_error_fails_drain_and_wait_closed() {
    let (r, w, m) = open(1024);
    m.with(|s| s.write_error = Some(io::ErrorKind::BrokenPipe));
    w.set_write_buffer_limits(Some(1), None).unwrap();
    w.write(b"doomed").unwrap();
    let e = w.drain().await.unwrap_err();
    assert_eq!(e.io_kind(), io::ErrorKind::BrokenPipe);
    assert!(w.wait_closed().await.is_err());
    assert!(
        r.read(1).await.is_err(),
        "asyncio sets the reader's exception too"
    );
    assert!(matches!(w.write(b"x"), Err(Error::Connection(_))));
}

#[tokio::test]
async fn a_zero_byte_write_is_an_error_not_a_spin() {
    let (_r, w, m) = open(1024);
    m.with(|s| s.write_zero = true);
    w.write(b"x").unwrap();
    let e = w.wait_closed().await.unwrap_err();
    assert_eq!(e.io_kind(), io::ErrorKind::WriteZero);
}

#[tokio::test]
async fn close_wakes_a_waiting_read_with_eof() {
    let (r, w, m) = open(1024);
    let mut read = Box::pin(r.read_to_end());
    assert!(poll_once(&mut read).await.is_none());
    w.write(b"bye").unwrap();
    w.close();
    assert!(w.is_closing());
    w.wait_closed().await.unwrap();
    assert!(read.await.unwrap().is_empty());
    assert_eq!(m.get(|s| s.written.clone()), b"bye");
}

#[tokio::test]
async fn write_eof_shuts_down_once_and_keeps_reading() {
    let (r, w, m) = open(1024);
    w.write(b"req").unwrap();
    w.write_eof().unwrap();
    assert!(matches!(w.write(b"x"), Err(Error::WriteAfterEof)));
    settle().await;
    assert_eq!(m.get(|s| (s.shutdowns, s.dropped)), (1, false));
    m.push(In::Data(b"answer".to_vec()));
    m.push(In::Eof);
    assert_eq!(r.read_to_end().await.unwrap(), &b"answer"[..]);
}

#[tokio::test]
async fn dropping_every_handle_flushes_then_closes() {
    let (r, w, m) = open(1024);
    let w2 = w.clone();
    w.write(b"last words").unwrap();
    drop(w);
    drop(r);
    settle().await;
    assert!(!m.get(|s| s.dropped), "a writer handle is still alive");
    drop(w2);
    settle().await;
    assert_eq!(
        m.get(|s| (s.written.clone(), s.dropped)),
        (b"last words".to_vec(), true)
    );
}

#[tokio::test]
async fn abort_drops_queued_bytes_and_resets() {
    let (r, w, m) = open(1024);
    m.with(|s| s.write_blocked = true);
    w.write(b"never sent").unwrap();
    settle().await;
    w.abort();
    assert!(m.get(|s| s.aborted && s.dropped));
    assert_eq!(w.write_buffer_size(), 0);
    w.wait_closed().await.unwrap();
    assert!(r.read(1).await.unwrap().is_empty(), "the reader sees EOF");
    assert!(matches!(w.write(b"x"), Err(Error::WriterClosed)));
}

#[tokio::test]
async fn wait_closed_timeout_reports_a_stuck_close() {
    let (_r, w, m) = open(1024);
    m.with(|s| s.write_blocked = true);
    w.write(b"stuck").unwrap();
    w.close();
    let e = w
        .wait_closed_timeout(Duration::from_millis(20))
        .await
        .unwrap_err();
    assert_eq!(e.io_kind(), io::ErrorKind::TimedOut);
    assert!(w.extra_info().peer_addr.is_some());
}

#[tokio::test]
async fn a_dropped_waiting_read_releases_the_one_read_rule() {
    let (r, _w, m) = open(1024);
    {
        let mut first = Box::pin(r.read_exactly(4));
        assert!(poll_once(&mut first).await.is_none());
        assert!(matches!(r.read(1).await, Err(Error::ConcurrentRead)));
    }
    m.push(In::Data(b"abcd".to_vec()));
    assert_eq!(r.read_exactly(4).await.unwrap(), &b"abcd"[..]);
}

// ----- StreamWriter as a futures Sink -------------------------------------

#[tokio::test]
async fn sink_send_all_delivers_every_byte_in_order_then_closes() {
    use futures_util::{stream, SinkExt};
    let (r, mut w, m) = open(1024);
    m.with(|s| s.max_write = Some(5));
    let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    let mut chunks = stream::iter(
        data.chunks(11)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    (&w).send_all(&mut chunks).await.unwrap();
    assert_eq!(w.write_buffer_size(), 0, "send_all flushes");
    assert_eq!(m.get(|s| s.written.clone()), data);
    SinkExt::<bytes::Bytes>::close(&mut w).await.unwrap();
    assert_eq!(m.get(|s| (s.shutdowns, s.dropped)), (1, true));
    assert!(r.read(1).await.unwrap().is_empty(), "the reader sees EOF");
    // Writing after close says so, from every entry point.
    let e = w
        .send(bytes::Bytes::from_static(b"late"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::WriterClosed), "{e:?}");
    assert!(e.to_string().contains("closed"));
    assert!(matches!(
        futures_sink::Sink::<bytes::Bytes>::start_send(std::pin::Pin::new(&mut w), "x".into()),
        Err(Error::WriterClosed)
    ));
}

#[tokio::test]
async fn sink_poll_ready_waits_like_drain() {
    use futures_util::SinkExt;
    let (_r, w, m) = open(1024);
    m.with(|s| s.write_blocked = true);
    w.set_write_buffer_limits(Some(100), Some(10)).unwrap();
    let mut sink = &w;
    sink.feed(bytes::Bytes::from(vec![7u8; 150])).await.unwrap();
    settle().await;
    // Above high: the next item waits for room.
    let mut next = Box::pin(sink.feed(bytes::Bytes::from_static(b"more")));
    assert!(poll_once(&mut next).await.is_none());
    m.with(|s| {
        s.write_blocked = false;
        s.allow = Some(145);
    });
    next.await.unwrap();
    assert_eq!(w.write_buffer_size(), 5 + 4);
}

#[tokio::test]
async fn sink_flush_waits_until_the_transport_took_every_byte() {
    use futures_util::SinkExt;
    let (_r, mut w, m) = open(1024);
    m.with(|s| s.write_blocked = true);
    w.feed(bytes::Bytes::from_static(b"queued")).await.unwrap();
    {
        let mut flush = Box::pin(SinkExt::<bytes::Bytes>::flush(&mut w));
        assert!(poll_once(&mut flush).await.is_none());
        m.with(|s| s.write_blocked = false);
        flush.await.unwrap();
    }
    assert_eq!(m.get(|s| s.written.clone()), b"queued");
    assert!(!w.is_closing(), "flush does not close");
}

#[tokio::test]
async fn sink_surfaces_a_lost_connection() {
    use futures_util::SinkExt;
    let (_r, mut w, m) = open(1024);
    m.with(|s| s.write_error = Some(io::ErrorKind::ConnectionReset));
    let e = w
        .send(bytes::Bytes::from_static(b"doomed"))
        .await
        .unwrap_err();
    assert_eq!(e.io_kind(), io::ErrorKind::ConnectionReset);
    let e = SinkExt::<bytes::Bytes>::close(&mut w).await.unwrap_err();
    assert_eq!(e.io_kind(), io::ErrorKind::ConnectionReset);
}

/// Happy eyeballs in virtual time: the first address never answers, the
/// second connects 10 ms after it starts; it starts after the delay.
#[tokio::test(start_paused = true)]
async fn happy_eyeballs_connects_through_the_second_address_after_the_delay() {
    let dead: std::net::SocketAddr = "[::1]:1".parse().unwrap();
    let live: std::net::SocketAddr = "127.0.0.1:2".parse().unwrap();
    let t0 = tokio::time::Instant::now();
    let started = Arc::new(Mutex::new(Vec::new()));
    let s = started.clone();
    let got = super::connect_happy(
        &PausedRt,
        vec![dead, live],
        Some(Duration::from_millis(250)),
        None,
        move |addr| {
            s.lock().unwrap().push((addr, t0.elapsed()));
            async move {
                if addr == dead {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok(addr)
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(got, live);
    assert_eq!(t0.elapsed(), Duration::from_millis(260));
    let started = started.lock().unwrap().clone();
    assert_eq!(
        started,
        [(dead, Duration::ZERO), (live, Duration::from_millis(250))]
    );
}

/// Without a delay, a failure starts the next address at once; all failing
/// gives one error naming every address.
#[tokio::test(start_paused = true)]
async fn sequential_attempts_and_the_combined_error() {
    let a: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
    let b: std::net::SocketAddr = "127.0.0.1:2".parse().unwrap();
    let e = super::connect_happy(&PausedRt, vec![a, b], None, None, |_| async {
        Err::<(), _>(io::Error::from(io::ErrorKind::ConnectionRefused))
    })
    .await
    .unwrap_err();
    assert_eq!(e.io_kind(), io::ErrorKind::ConnectionRefused);
    let msg = e.to_string();
    assert!(
        msg.contains("127.0.0.1:1") && msg.contains("127.0.0.1:2"),
        "{msg}"
    );
    let e = super::connect_happy(&PausedRt, vec![], None, None, |_| async { Ok(()) })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
}

/// TestRt with tokio's (paused) clock.
#[derive(Clone, Debug)]
struct PausedRt;

impl Runtime for PausedRt {
    fn spawn(&self, fut: BoxFuture) {
        drop(tokio::spawn(fut));
    }
    fn sleep(&self, d: Duration) -> BoxFuture {
        Box::pin(tokio::time::sleep(d))
    }
    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}
