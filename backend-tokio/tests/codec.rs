//! The codecs over a real loopback socket: tokio-util's `Framed` echoing
//! lines with asyncio's limit, and both EOF rules.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;
use weir_tokio::codec::{LineCodec, UntilCodec};
use weir_tokio::{Bytes, Error};

/// No test may run longer than this.
const TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Echoes every line; answers `ERR\n` to a line over the limit and goes on
/// (polling again after the `None` `Framed` returns after an error).
async fn echo_lines(stream: TcpStream, limit: usize) -> Result<(), Error> {
    let mut lines = Framed::new(stream, LineCodec::new().with_limit(limit)?);
    let mut after_error = false;
    loop {
        match lines.next().await {
            Some(Ok(line)) => {
                after_error = false;
                lines.send(line).await?;
            }
            Some(Err(Error::LineTooLong { .. })) => {
                after_error = true;
                lines.send(Bytes::from_static(b"ERR\n")).await?;
            }
            Some(Err(e)) => return Err(e),
            None if after_error => after_error = false,
            None => return Ok(()),
        }
    }
}

#[tokio::test]
async fn framed_echoes_lines_over_loopback_with_asyncio_limits() {
    tokio::time::timeout(TEST_TIMEOUT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            echo_lines(stream, 16).await
        });

        let stream = TcpStream::connect(addr).await.unwrap();
        let mut client = Framed::new(stream, UntilCodec::new(b"\n").unwrap());

        // Lines round-trip byte for byte, `\r\n` included.
        client.send(&b"hello\r\n"[..]).await.unwrap();
        client.send(b"world\n".to_vec()).await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), &b"hello\r\n"[..]);
        assert_eq!(client.next().await.unwrap().unwrap(), &b"world\n"[..]);

        // A line over the limit is dropped with an error; the next line
        // arrived with it, and `Framed` decodes it once more bytes come.
        let mut long = vec![b'x'; 100];
        long.extend_from_slice(b"\na\n");
        client.send(Bytes::from(long)).await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), &b"ERR\n"[..]);
        client.send(&b"b\n"[..]).await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), &b"a\n"[..]);
        assert_eq!(client.next().await.unwrap().unwrap(), &b"b\n"[..]);

        // EOF: the server's LineCodec hands over the partial last line,
        // echoes it and closes; the client's UntilCodec reports it as
        // asyncio's IncompleteReadError.
        client.send(&b"tail"[..]).await.unwrap();
        client.get_mut().shutdown().await.unwrap();
        match client.next().await {
            Some(Err(Error::IncompleteRead(e))) => {
                assert_eq!(e.partial, &b"tail"[..]);
                assert_eq!(e.expected, None);
            }
            other => panic!("expected IncompleteRead, got {other:?}"),
        }
        server.await.unwrap().unwrap();
    })
    .await
    .expect("the test timed out");
}

#[tokio::test]
async fn framed_read_limit_overrun_leaves_the_bytes_for_the_caller() {
    tokio::time::timeout(TEST_TIMEOUT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut peer = TcpStream::connect(addr).await.unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let mut frames = Framed::new(
            stream,
            UntilCodec::new(b"\r\n\r\n").unwrap().with_limit(8).unwrap(),
        );

        peer.write_all(b"a long header\r\n\r\n").await.unwrap();
        let err = loop {
            match frames.next().await {
                Some(Err(Error::LimitOverrun(e))) => break e,
                Some(Err(e)) => panic!("unexpected error {e}"),
                // Before the whole head arrives, the codec waits.
                Some(Ok(f)) => panic!("unexpected frame {f:?}"),
                None => continue,
            }
        };
        assert!(err.separator_found);
        assert_eq!(err.consumed, 13);
        // Every byte is still there; raising the limit reads the frame.
        assert_eq!(&frames.read_buffer()[..], b"a long header\r\n\r\n");
        frames.codec_mut().set_limit(64).unwrap();
        assert!(
            frames.next().await.is_none(),
            "Framed pauses once after an error"
        );
        peer.write_all(b"next\r\n\r\n").await.unwrap();
        assert_eq!(
            frames.next().await.unwrap().unwrap(),
            &b"a long header\r\n\r\n"[..]
        );
        assert_eq!(frames.next().await.unwrap().unwrap(), &b"next\r\n\r\n"[..]);
    })
    .await
    .expect("the test timed out");
}
