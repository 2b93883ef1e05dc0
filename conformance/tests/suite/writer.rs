//! StreamWriter over real sockets.

use std::sync::Arc;
use std::time::Duration;

use super::backend::Error;

use super::*;

e2e! {
    async fn write_lines_and_extra_info() {
        let (r, w, peer) = with_raw_peer().await;
        let info = w.extra_info();
        assert_eq!(info.local_addr, Some(peer.peer_addr().unwrap()));
        assert_eq!(info.peer_addr, Some(peer.local_addr().unwrap()));
        assert!(info.raw_fd.is_some());
        assert_eq!(w.write_buffer_limits(), (16 * 1024, 64 * 1024));
        w.write(b"one\n").unwrap();
        w.write_lines([&b"two\n"[..], b"three\n"]).unwrap();
        w.write_bytes(bytes::Bytes::from_static(b"four\n")).unwrap();
        w.drain().await.unwrap();
        w.close();
        assert!(w.is_closing());
        soon(w.wait_closed()).await.unwrap();
        let got = in_thread(move || read_all(&peer)).await;
        assert_eq!(got, b"one\ntwo\nthree\nfour\n");
        // The reader sees EOF once the writer closed the connection.
        assert!(soon(r.read_to_end()).await.unwrap().is_empty());
        assert!(matches!(w.write(b"late"), Err(Error::WriterClosed)));
        assert!(w.drain().await.is_err());
    }
}

e2e! {
    async fn large_writes_keep_their_order_with_queued_small_ones() {
        // A write of 16 KiB or more is sent straight from the caller's
        // bytes when nothing is queued; never ahead of bytes that are.
        let (_r, w, peer) = with_raw_peer().await;
        let big = pattern(40 * 1024);
        let mut want = Vec::new();
        for i in 0..50u32 {
            let small = format!("small {i}\n");
            w.write(&small).unwrap();
            want.extend_from_slice(small.as_bytes());
            w.write(&big).unwrap();
            want.extend_from_slice(&big);
            if i % 2 == 0 {
                w.write(&big).unwrap();
                want.extend_from_slice(&big);
            }
            if i % 10 == 0 {
                w.drain().await.unwrap();
            }
        }
        w.close();
        let got = in_thread(move || read_all(&peer)).await;
        soon(w.wait_closed()).await.unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "bytes out of order");
    }
}

e2e! {
    async fn invalid_watermarks_are_refused() {
        let (_r, w, _peer) = with_raw_peer().await;
        assert!(matches!(
            w.set_write_buffer_limits(Some(10), Some(20)),
            Err(Error::InvalidWatermarks { high: 10, low: 20 })
        ));
        assert_eq!(w.write_buffer_limits(), (16 * 1024, 64 * 1024));
        w.set_write_buffer_limits(Some(1000), None).unwrap();
        assert_eq!(w.write_buffer_limits(), (250, 1000));
    }
}

e2e! {
    async fn half_close_then_the_peer_answers() {
        let (r, w, peer) = with_raw_peer().await;
        assert!(w.can_write_eof());
        w.write(b"request").unwrap();
        w.write_eof().unwrap();
        assert!(matches!(w.write(b"more"), Err(Error::WriteAfterEof)));
        let got = in_thread(move || {
            let got = read_all(&peer);
            send(&peer, b"answer");
            drop(peer);
            got
        })
        .await;
        assert_eq!(got, b"request");
        assert_eq!(soon(r.read_to_end()).await.unwrap(), &b"answer"[..]);
    }
}

e2e! {
    async fn sixteen_mib_without_drain_to_a_slow_reader() {
        let (_r, w, peer) = with_raw_peer().await;
        let data = pattern(16 << 20);
        let reader = std::thread::spawn(move || {
            // Slow to start: the writes below outrun the socket, so part of
            // them must wait in the writer's queue.
            std::thread::sleep(Duration::from_millis(300));
            let mut got = Vec::with_capacity(16 << 20);
            let mut buf = vec![0u8; 256 * 1024];
            let mut reads = 0;
            loop {
                let n = std::io::Read::read(&mut &peer, &mut buf).unwrap();
                if n == 0 {
                    return got;
                }
                got.extend_from_slice(&buf[..n]);
                reads += 1;
                if reads % 16 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        for chunk in data.chunks(4096) {
            w.write(chunk).unwrap();
        }
        assert!(w.write_buffer_size() > 0);
        w.close();
        soon(w.wait_closed()).await.unwrap();
        assert_eq!(w.write_buffer_size(), 0);
        let got = in_thread(move || reader.join().unwrap()).await;
        assert_eq!(got.len(), data.len());
        assert!(got == data, "bytes differ");
    }
}

e2e! {
    async fn drain_blocks_above_high_and_resumes_at_low() {
        let (_r, w, peer) = with_raw_peer().await;
        // Fill the kernel buffers and then some: the peer does not read yet.
        let block = vec![7u8; 1 << 20];
        for _ in 0..16 {
            w.write(&block).unwrap();
        }
        backend::sleep(Duration::from_millis(50)).await;
        let (low, high) = w.write_buffer_limits();
        assert!(w.write_buffer_size() > high);
        assert!(still_pending(w.drain()).await, "drain must wait above high");
        // Several tasks may wait at once.
        let w = Arc::new(w);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let w = w.clone();
                std::thread::spawn(move || {
                    backend::block_on(async move { soon(w.drain()).await.is_ok() })
                })
            })
            .collect();
        let total = in_thread(move || read_all(&peer).len());
        let w2 = w.clone();
        let drained = async move {
            soon(w2.drain()).await.unwrap();
            let left = w2.write_buffer_size();
            // Every waiter returns too (before the close below).
            for t in waiters {
                assert!(in_thread(move || t.join().unwrap()).await);
            }
            w2.close();
            left
        };
        let (left, total) = futures_lite::future::zip(drained, total).await;
        assert!(left <= low, "resumed at {left} bytes queued, above low {low}");
        assert_eq!(total, 16 << 20);
    }
}

e2e! {
    async fn peer_reset_while_draining_is_a_clear_error() {
        let (_r, w, peer) = with_raw_peer().await;
        w.set_write_buffer_limits(Some(1024), None).unwrap();
        let block = vec![1u8; 1 << 20];
        for _ in 0..16 {
            w.write(&block).unwrap();
        }
        let draining = async { w.drain().await };
        let resetter = async {
            backend::sleep(Duration::from_millis(50)).await;
            reset(peer);
        };
        let (res, ()) = futures_lite::future::zip(soon(draining), resetter).await;
        match res {
            Err(Error::Connection(e)) => assert!(
                matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                ),
                "{e}"
            ),
            other => panic!("expected a connection error, got {other:?}"),
        }
        assert!(w.is_closing());
        assert!(w.write(b"x").is_err());
        assert!(soon(w.wait_closed()).await.is_err());
    }
}

e2e! {
    async fn wait_closed_with_a_timeout_then_abort() {
        let (_r, w, peer) = with_raw_peer().await;
        for _ in 0..16 {
            w.write(vec![0u8; 1 << 20]).unwrap();
        }
        w.close();
        let res = w.wait_closed_timeout(Duration::from_millis(100)).await;
        match res {
            Err(Error::Connection(e)) => assert_eq!(e.kind(), std::io::ErrorKind::TimedOut),
            other => panic!("expected a timeout, got {other:?}"),
        }
        w.abort();
        soon(w.wait_closed()).await.unwrap();
        assert_eq!(w.write_buffer_size(), 0);
        // The peer sees a reset (or a short stream), not 16 MiB.
        let got = in_thread(move || {
            let mut v = Vec::new();
            let r = std::io::Read::read_to_end(&mut &peer, &mut v);
            (r.is_err(), v.len())
        })
        .await;
        assert!(got.0 || got.1 < 16 << 20);
    }
}

/// `tasks` threads each write `lines` lines `task T line I xx…` (`I % 50`
/// x's) through a clone of `w`, draining after every `drain_every` lines;
/// returns when all have written.
async fn write_lines_from_threads(
    w: &StreamWriter,
    tasks: usize,
    lines: usize,
    drain_every: usize,
) {
    let mut joins = Vec::new();
    for t in 0..tasks {
        let w = w.clone();
        joins.push(std::thread::spawn(move || {
            backend::block_on(async move {
                for i in 0..lines {
                    let line = format!("task {t} line {i} {}\n", "x".repeat(i % 50));
                    w.write(line.as_bytes()).unwrap();
                    if i % drain_every == 0 {
                        w.drain().await.unwrap();
                    }
                }
            })
        }));
    }
    for j in joins {
        in_thread(move || j.join().unwrap()).await;
    }
}

e2e! {
    async fn writes_from_clones_never_interleave() {
        let (r, w, peer) = with_raw_peer().await;
        let (tasks, lines) = (4, 500);
        write_lines_from_threads(&w, tasks, lines, 50).await;
        drop(r);
        drop(w); // the last handle: the flusher sends everything, then closes
        let got = in_thread(move || read_all(&peer)).await;
        let text = String::from_utf8(got).unwrap();
        let mut count = 0;
        for line in text.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            let i: usize = parts[3].parse().unwrap();
            assert_eq!(parts.get(4).copied().unwrap_or(""), "x".repeat(i % 50), "{line}");
            count += 1;
        }
        assert_eq!(count, tasks * lines);
    }
}

e2e! {
    /// The connection's read and write locks under contention: four threads
    /// write through clones while the reader reads the peer's echo of them
    /// on another thread (a read about to wait sends what is queued, taking
    /// both locks). Every line comes back exactly once and whole.
    async fn reading_while_clones_write_from_other_threads_loses_nothing() {
        let (r, w, peer) = with_raw_peer().await;
        let echo = std::thread::spawn(move || {
            let mut from = &peer;
            let mut to = &peer;
            std::io::copy(&mut from, &mut to).expect("peer echo");
            peer.shutdown(std::net::Shutdown::Write).expect("peer shutdown");
        });
        let (tasks, lines) = (4, 20_000);
        let reading = std::thread::spawn(move || {
            backend::block_on(async move {
                let mut seen = vec![0usize; tasks];
                loop {
                    let line = r.read_line().await.expect("read_line");
                    if line.is_empty() {
                        return seen;
                    }
                    let text = std::str::from_utf8(&line).expect("utf-8");
                    let parts: Vec<&str> = text.trim_end().split(' ').collect();
                    let (t, i): (usize, usize) = (parts[1].parse().unwrap(), parts[3].parse().unwrap());
                    assert_eq!(i, seen[t], "task {t}'s lines in order: {text:?}");
                    assert_eq!(parts.get(4).copied().unwrap_or(""), "x".repeat(i % 50), "{text:?}");
                    seen[t] += 1;
                }
            })
        });
        write_lines_from_threads(&w, tasks, lines, 1).await;
        w.write_eof().unwrap();
        let seen = in_thread(move || reading.join().unwrap()).await;
        assert_eq!(seen, vec![lines; tasks]);
        in_thread(move || echo.join().unwrap()).await;
        w.close();
        soon(w.wait_closed()).await.unwrap();
    }
}

e2e! {
    async fn dropping_every_handle_flushes_then_closes() {
        let (r, w, peer) = with_raw_peer().await;
        let data = pattern(1 << 20);
        w.write(&data).unwrap();
        drop(w);
        drop(r);
        let got = in_thread(move || read_all(&peer)).await;
        assert!(got == data);
    }
}

e2e! {
    /// `drain` right after `close` is `WriterClosed`, before the flusher
    /// has finished (CPython's drain fails once the transport is closing).
    async fn drain_right_after_close_is_writer_closed() {
        let (_r, w, _peer) = with_raw_peer().await;
        // The peer never reads: the flusher cannot finish, and the buffer
        // stays below the (raised) high watermark.
        w.set_write_buffer_limits(Some(64 << 20), None).unwrap();
        w.write(vec![0u8; 16 << 20]).unwrap();
        w.close();
        match w.drain().await {
            Err(Error::WriterClosed) => {}
            other => panic!("expected WriterClosed, got {other:?}"),
        }
        w.abort();
        soon(w.wait_closed()).await.unwrap();
        assert!(matches!(w.drain().await, Err(Error::WriterClosed)));
    }
}

e2e! {
    async fn sink_send_all_reaches_the_peer_in_order_and_close_ends_it() {
        use futures_util::{stream, SinkExt};
        use super::backend::Bytes;
        let (_r, mut w, peer) = with_raw_peer().await;
        // The peer reads from the start: a MiB does not fit in the sockets'
        // buffers, so the sink must wait for room (poll_ready) on the way.
        let reader = std::thread::spawn(move || read_all(&peer));
        let data = pattern(1 << 20);
        let mut chunks = stream::iter(
            data.chunks(4099)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect::<Vec<Result<Bytes, Error>>>(),
        );
        soon((&w).send_all(&mut chunks)).await.unwrap();
        assert_eq!(w.write_buffer_size(), 0, "send_all flushes");
        soon(w.send(Bytes::from_static(b"end"))).await.unwrap();
        soon(SinkExt::<Bytes>::close(&mut w)).await.unwrap();
        assert!(w.is_closing());
        while !reader.is_finished() {
            crate::backend::sleep(Duration::from_millis(2)).await;
        }
        let got = reader.join().expect("peer thread");
        assert_eq!(got.len(), data.len() + 3);
        assert!(got.starts_with(&data) && got.ends_with(b"end"), "bytes out of order");
        // Sending after close fails with a clear error, and sends nothing.
        let e = w.send(Bytes::from_static(b"late")).await.unwrap_err();
        assert!(matches!(e, Error::WriterClosed), "{e:?}");
        assert_eq!(e.to_string(), "write after the writer was closed");
    }
}

e2e! {
    async fn lines_forwarded_into_the_writer_sink_echo() {
        use futures_util::StreamExt;
        // asyncio's `async for line in reader: writer.write(line)` as one
        // forward: the reader's lines into the writer as a Sink, which
        // closes the connection at EOF.
        let server = backend::start_server(
            |reader: StreamReader, writer: StreamWriter| async move {
                let _ = reader.lines().forward(&writer).await;
            },
            "127.0.0.1",
            0,
        )
        .await
        .expect("start_server");
        let port = server.local_addrs()[0].port();
        let (r, w) = backend::open_connection("127.0.0.1", port).await.unwrap();
        w.write(b"one\ntwo\r\nthree").unwrap();
        w.write_eof().unwrap();
        let echoed = soon(r.read_to_end()).await.unwrap();
        assert_eq!(&echoed[..], b"one\ntwo\r\nthree");
    }
}
