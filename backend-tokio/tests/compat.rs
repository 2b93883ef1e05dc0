//! tokio's I/O traits over weir's handles, over real sockets.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use weir_tokio::{start_server, TokioReader, TokioWriter};

#[tokio::test]
async fn tokio_io_copy_echoes_through_the_adapters() {
    let server = start_server(
        |r, w| async move {
            let mut r = TokioReader::new(r);
            let mut w = TokioWriter::new(w);
            tokio::io::copy(&mut r, &mut w).await.unwrap();
            w.shutdown().await.unwrap();
        },
        "127.0.0.1",
        0,
    )
    .await
    .unwrap();
    let port = server.local_addrs()[0].port();
    let (r, w) = weir_tokio::open_connection("127.0.0.1", port)
        .await
        .unwrap();
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    let mut tw = TokioWriter::new(w);
    let mut tr = TokioReader::new(r);
    let sent = data.clone();
    let writer = tokio::spawn(async move {
        tw.write_all(&sent).await.unwrap();
        tw.flush().await.unwrap();
        tw.shutdown().await.unwrap();
    });
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tr.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    writer.await.unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data);
}

#[tokio::test]
async fn async_buf_read_lines_and_read_ahead_is_handed_back() {
    let r = weir_tokio::StreamReader::new(1024).unwrap();
    r.feed_data(b"one\ntwo\nthree");
    r.feed_eof();
    let mut tr = TokioReader::new(r);
    let mut line = String::new();
    tr.read_line(&mut line).await.unwrap();
    assert_eq!(line, "one\n");
    let (reader, ahead) = tr.into_parts();
    assert_eq!(&ahead[..], b"two\nthree", "bytes read ahead come back");
    assert!(reader.at_eof());
}
