//! StreamReader over real sockets.

use std::time::Duration;

use super::backend::{Error, Separators};
use futures_lite::future::poll_once;
use futures_lite::StreamExt;

use super::*;

/// A server that sends `payload` to each client and closes.
async fn sender(payload: &'static [u8]) -> (Server, SocketAddr) {
    let server = backend::start_server(
        move |_r, w| async move {
            w.write(payload).unwrap();
            w.close();
            let _ = w.wait_closed().await;
        },
        "127.0.0.1",
        0,
    )
    .await
    .unwrap();
    let addr = server.local_addrs()[0];
    (server, addr)
}

e2e! {
    async fn every_read_over_a_socket() {
        let (_s, addr) = sender(b"line1\nABCDEFfoo\r\n\r\nbar;baz|qux\0rest").await;
        let (r, _w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
        assert_eq!(r.read_line().await.unwrap(), &b"line1\n"[..]);
        assert_eq!(r.read_exactly(6).await.unwrap(), &b"ABCDEF"[..]);
        assert_eq!(r.read_until(b"\r\n\r\n").await.unwrap(), &b"foo\r\n\r\n"[..]);
        assert_eq!(r.read_until_any([&b";"[..], b"|"]).await.unwrap(), &b"bar;"[..]);
        assert_eq!(r.read_until_any([&b";"[..], b"|"]).await.unwrap(), &b"baz|"[..]);
        let nul = Separators::new(b"\0").unwrap();
        assert_eq!(r.read_until(&nul).await.unwrap(), &b"qux\0"[..]);
        assert_eq!(r.read(2).await.unwrap(), &b"re"[..]);
        assert_eq!(r.read(0).await.unwrap(), &b""[..]);
        assert_eq!(r.read_to_end().await.unwrap(), &b"st"[..]);
        assert!(r.at_eof());
        assert!(r.read_line().await.unwrap().is_empty());
        assert!(r.read(10).await.unwrap().is_empty());
        assert!(r.exception().is_none());
    }
}

/// `read_until` through the backend's re-exported `IntoSeparators`.
async fn until<'a>(
    r: &'a backend::StreamReader,
    sep: impl backend::IntoSeparators<'a>,
) -> Result<backend::Bytes, Error> {
    r.read_until(sep).await
}

e2e! {
    async fn read_until_takes_every_separator_type() {
        let (_s, addr) = sender(b"a;b\r\nc\0d|e\nf--g\r\n\r\nh;i;j").await;
        let (r, _w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
        assert_eq!(until(&r, b";").await.unwrap(), &b"a;"[..]);
        assert_eq!(until(&r, "\r\n").await.unwrap(), &b"b\r\n"[..]);
        assert_eq!(until(&r, String::from("\0")).await.unwrap(), &b"c\0"[..]);
        assert_eq!(until(&r, vec![b'|']).await.unwrap(), &b"d|"[..]);
        assert_eq!(until(&r, &b"\n"[..]).await.unwrap(), &b"e\n"[..]);
        assert_eq!(until(&r, backend::Bytes::from_static(b"--")).await.unwrap(), &b"f--"[..]);
        let head_end = Separators::new(b"\r\n\r\n").unwrap();
        assert_eq!(until(&r, head_end).await.unwrap(), &b"g\r\n\r\n"[..]);
        let semi = Separators::new(b";").unwrap();
        for want in [&b"h;"[..], b"i;"] {
            assert_eq!(until(&r, &semi).await.unwrap(), want);
        }
        assert!(matches!(until(&r, b"").await, Err(Error::EmptySeparator)));
        match until(&r, &semi).await {
            Err(Error::IncompleteRead(e)) => assert_eq!(e.partial, &b"j"[..]),
            other => panic!("{other:?}"),
        }
    }
}

e2e! {
    async fn lines_stream_until_eof() {
        let (_s, addr) = sender(b"a\nbb\nccc").await;
        let (r, _w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
        let lines: Vec<_> = r.lines().try_collect().await.unwrap();
        assert_eq!(lines, [&b"a\n"[..], b"bb\n", b"ccc"]);
    }
}

e2e! {
    async fn limits_and_incomplete_reads() {
        let (_s, addr) = sender(b"0123456789abcdef\nxy;0123456789;tail").await;
        let (r, _w) = backend::ConnectOptions::new()
            .limit(8)
            .connect("127.0.0.1", addr.port())
            .await
            .unwrap();
        assert_eq!(r.limit(), 8);
        // Let everything arrive, so the first read takes it in one piece.
        backend::sleep(Duration::from_millis(100)).await;
        assert!(matches!(
            r.read_line().await,
            Err(Error::LineTooLong { limit: 8, separator_found: true })
        ));
        assert_eq!(r.read_until(b";").await.unwrap(), &b"xy;"[..]);
        // The next separator lies beyond the limit: the data stays buffered.
        assert!(matches!(r.read_until(b";").await, Err(Error::LimitOverrun(_))));
        assert_eq!(r.read_exactly(11).await.unwrap(), &b"0123456789;"[..]);
        match r.read_exactly(100).await {
            Err(Error::IncompleteRead(e)) => {
                assert_eq!((&e.partial[..], e.expected), (&b"tail"[..], Some(100)));
            }
            other => panic!("expected IncompleteRead, got {other:?}"),
        }
    }
}

e2e! {
    async fn a_second_concurrent_read_is_an_error() {
        let (r, _w, peer) = with_raw_peer().await;
        let mut first = Box::pin(r.read(10));
        assert!(poll_once(&mut first).await.is_none(), "no data yet");
        assert!(matches!(r.read_line().await, Err(Error::ConcurrentRead)));
        assert!(matches!(r.read(1).await, Err(Error::ConcurrentRead)));
        send(&peer, b"x");
        assert_eq!(soon(first).await.unwrap(), &b"x"[..]);
        // The flag is released: reads work again.
        send(&peer, b"y\n");
        assert_eq!(r.read_line().await.unwrap(), &b"y\n"[..]);
    }
}

e2e! {
    async fn a_dropped_read_future_loses_no_byte() {
        let (r, _w, peer) = with_raw_peer().await;
        send(&peer, b"hel");
        assert!(still_pending(r.read_exactly(5)).await);
        assert!(still_pending(r.read_line()).await);
        assert!(still_pending(r.read_until(b"!")).await);
        assert!(still_pending(r.read_to_end()).await);
        send(&peer, b"lo world\n");
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"hello world\n"[..]);
    }
}

e2e! {
    async fn peer_reset_while_reading_is_a_clear_error() {
        let (r, w, peer) = with_raw_peer().await;
        let reading = async { r.read_line().await };
        let resetter = async {
            backend::sleep(Duration::from_millis(50)).await;
            reset(peer);
        };
        let (res, ()) = futures_lite::future::zip(reading, resetter).await;
        match res {
            Err(Error::Connection(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset)
            }
            other => panic!("expected a connection reset, got {other:?}"),
        }
        assert!(r.exception().is_some());
        assert!(r.read(1).await.is_err(), "the error sticks");
        assert!(soon(w.drain()).await.is_err(), "drain fails with the error");
        assert!(w.write(b"x").is_err(), "write fails with the error");
        assert!(soon(w.wait_closed()).await.is_err());
    }
}

e2e! {
    async fn a_reader_fed_by_hand_wakes_its_read() {
        let r = std::sync::Arc::new(StreamReader::new(1024).unwrap());
        let r2 = r.clone();
        backend::spawn(async move {
            backend::sleep(Duration::from_millis(20)).await;
            r2.feed_data(b"fed ");
            backend::sleep(Duration::from_millis(20)).await;
            r2.feed_data(b"by hand\n");
            r2.feed_eof();
        });
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"fed by hand\n"[..]);
        assert!(soon(r.read_line()).await.unwrap().is_empty());
        let r = StreamReader::new(1024).unwrap();
        r.set_exception(Error::connection(std::io::ErrorKind::BrokenPipe.into()));
        assert!(r.read(1).await.is_err());
        assert!(matches!(StreamReader::new(0), Err(Error::InvalidLimit)));
    }
}

e2e! {
    async fn large_transfers_read_whole() {
        let (_s, addr) = echo_server().await;
        let (r, w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
        let data = pattern(3 << 20);
        let expect = data.clone();
        w.write(&data).unwrap();
        w.write_eof().unwrap();
        let got = soon(r.read_to_end()).await.unwrap();
        assert_eq!(got.len(), expect.len());
        assert!(got == expect, "echoed bytes differ");
    }
}

e2e! {
    async fn random_cancellation_loses_no_byte() {
        let (r, _w, peer) = with_raw_peer().await;
        let mut text = Vec::new();
        for i in 0..2000 {
            text.extend_from_slice(format!("line {i} {}\n", "y".repeat(i % 37)).as_bytes());
        }
        // The peer sends the text in odd-sized pieces, one piece each time
        // a read was abandoned: every piece arrives after a cancellation.
        let (more, asked) = std::sync::mpsc::channel::<()>();
        let sent = text.clone();
        let sender = std::thread::spawn(move || {
            let mut seed = 7u64;
            let mut at = 0;
            while at < sent.len() && asked.recv().is_ok() {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let end = (at + ((seed >> 33) % 80 + 1) as usize).min(sent.len());
                send(&peer, &sent[at..end]);
                at = end;
            }
            peer
        });
        // Reads of every kind, each polled once and dropped if not ready.
        let mut got = Vec::new();
        let mut cancelled = 0;
        let mut seed = 11u64;
        while got.len() < text.len() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let res = match (seed >> 20) % 4 {
                0 => poll_once(r.read_line()).await,
                1 => poll_once(r.read_exactly(((seed >> 8) % 50 + 1) as usize)).await,
                2 => poll_once(r.read_until(b" ")).await,
                _ => poll_once(r.read(((seed >> 8) % 100 + 1) as usize)).await,
            };
            match res {
                Some(res) => got.extend_from_slice(&res.unwrap()),
                None => {
                    cancelled += 1;
                    let _ = more.send(());
                    futures_lite::future::yield_now().await;
                }
            }
        }
        drop(more);
        let _peer = in_thread(move || sender.join().unwrap()).await;
        assert!(cancelled >= 500, "only {cancelled} reads were cancelled");
        assert_eq!(got.len(), text.len());
        assert!(got == text, "bytes lost or reordered by cancelled reads");
    }
}

e2e! {
    /// CPython's `test_eof_feed_when_closing_writer` (bpo-35065): closing
    /// the writer feeds EOF to the reader.
    async fn closing_the_writer_feeds_eof_to_the_reader() {
        let (r, w, _peer) = with_raw_peer().await;
        w.close();
        soon(w.wait_closed()).await.unwrap();
        assert!(r.at_eof(), "at_eof once the connection is closed");
        assert!(soon(r.read_to_end()).await.unwrap().is_empty());
    }
}

e2e! {
    /// The EOF fed on close keeps the bytes already buffered.
    async fn closing_the_writer_keeps_buffered_bytes() {
        let (r, w, peer) = with_raw_peer().await;
        send(&peer, b"a\nb\n");
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"a\n"[..]);
        assert_eq!(r.buffered(), 2, "one segment on loopback");
        w.close();
        soon(w.wait_closed()).await.unwrap();
        assert!(!r.at_eof(), "bytes are still buffered");
        assert_eq!(soon(r.read_to_end()).await.unwrap(), &b"b\n"[..]);
        assert!(r.at_eof());
    }
}
