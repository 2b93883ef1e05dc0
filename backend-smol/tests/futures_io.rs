//! The futures-io traits over weir's handles, over real sockets. weir-smol
//! and weir-async-std share these adapters (weir-stream's `futures_io`), so
//! they are tested once, here.

use std::time::Duration;

use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use futures_lite::{future, StreamExt};
use weir_smol::{start_server, FuturesReader, FuturesWriter};

fn with_timeout<T>(f: impl std::future::Future<Output = T>) -> T {
    smol::block_on(future::or(f, async {
        smol::Timer::after(Duration::from_secs(20)).await;
        panic!("the test did not finish within 20 s");
    }))
}

#[test]
fn futures_io_copy_echoes_a_megabyte_through_the_adapters() {
    with_timeout(async {
        let server = start_server(
            |r, w| async move {
                let mut w = FuturesWriter::new(w);
                futures_lite::io::copy(FuturesReader::new(r), &mut w)
                    .await
                    .unwrap();
                w.close().await.unwrap();
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.local_addrs()[0].port();
        let (r, w) = weir_smol::open_connection("127.0.0.1", port).await.unwrap();
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 249) as u8).collect();
        let sent = data.clone();
        let writer = smol::spawn(async move {
            let mut w = FuturesWriter::new(w);
            w.write_all(&sent).await.unwrap();
            w.flush().await.unwrap();
            // Half-close: the server sees EOF and closes after echoing.
            w.close().await.unwrap();
        });
        let mut got = Vec::new();
        FuturesReader::new(r).read_to_end(&mut got).await.unwrap();
        writer.await;
        assert_eq!(got.len(), data.len());
        assert!(got == data, "the echo differs from what was sent");
    })
}

#[test]
fn buf_read_lines_and_the_read_ahead_handed_back() {
    with_timeout(async {
        let r = weir_smol::StreamReader::new(1024).unwrap();
        r.feed_data(b"alpha\r\nbeta\ngamma");
        r.feed_eof();
        let mut fr = FuturesReader::new(r);
        let mut line = String::new();
        fr.read_line(&mut line).await.unwrap();
        assert_eq!(line, "alpha\r\n");
        let (reader, ahead) = fr.into_parts();
        assert_eq!(&ahead[..], b"beta\ngamma", "bytes read ahead come back");
        assert!(reader.at_eof());
        // lines() strips the terminators; a final unterminated line counts.
        let r = weir_smol::StreamReader::new(1024).unwrap();
        r.feed_data(b"one\r\ntwo\nthree");
        r.feed_eof();
        let lines: Vec<String> = FuturesReader::new(r).lines().try_collect().await.unwrap();
        assert_eq!(lines, ["one", "two", "three"]);
    })
}

#[test]
fn a_write_to_a_lost_connection_fails_through_async_write() {
    with_timeout(async {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let (_r, w) = weir_smol::open_connection("127.0.0.1", port).await.unwrap();
        let (peer, _) = l.accept().unwrap();
        socket2::SockRef::from(&peer)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(peer);
        let mut w = FuturesWriter::new(w);
        let block = vec![1u8; 64 * 1024];
        let mut failed = None;
        for _ in 0..1000 {
            if let Err(e) = w.write_all(&block).await {
                failed = Some(e);
                break;
            }
            smol::Timer::after(Duration::from_millis(1)).await;
        }
        let e = failed.expect("writes to a reset connection must fail");
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
    })
}
