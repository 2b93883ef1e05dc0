//! Streams over I/O objects that are not sockets: `from_io` over an
//! in-memory duplex (or a socketpair), `reader_from` / `writer_from` over a
//! child's pipes, with a socket's semantics.

use std::time::Duration;

use super::{e2e, soon};
use crate::backend::{self, Error, IoOptions};

e2e! {
    async fn from_io_round_trip() {
        let ((ar, aw), (br, bw)) = backend::io_pair(&IoOptions::new()).unwrap();
        aw.write(b"ping\n").unwrap();
        assert_eq!(soon(br.read_line()).await.unwrap(), &b"ping\n"[..]);
        bw.write_lines([&b"pong\n"[..], b"again\n"]).unwrap();
        assert_eq!(soon(ar.read_line()).await.unwrap(), &b"pong\n"[..]);
        assert_eq!(soon(ar.read_exactly(6)).await.unwrap(), &b"again\n"[..]);
        // close sends what is queued, then drops the object: the peer sees EOF.
        aw.write(b"last").unwrap();
        aw.close();
        soon(aw.wait_closed()).await.unwrap();
        assert_eq!(soon(br.read_to_end()).await.unwrap(), &b"last"[..]);
        assert!(br.at_eof());
    }
}

e2e! {
    async fn from_io_keeps_the_limit() {
        let opts = IoOptions::new().limit(8);
        let ((_ar, aw), (br, _bw)) = backend::io_pair(&opts).unwrap();
        assert_eq!(br.limit(), 8);
        aw.write(b"0123456789abcdef\nok\n").unwrap();
        match soon(br.read_until(b"\n")).await {
            Err(Error::LimitOverrun(e)) => assert!(e.separator_found),
            other => panic!("expected LimitOverrun, got {other:?}"),
        }
        // The data stayed: read it past the overrun.
        assert_eq!(soon(br.read_exactly(17)).await.unwrap().len(), 17);
        assert_eq!(soon(br.read_line()).await.unwrap(), &b"ok\n"[..]);
    }
}

e2e! {
    async fn from_io_takes_watermarks() {
        let opts = IoOptions::new().write_buffer_limits(Some(1000), Some(10));
        let ((_ar, aw), _b) = backend::io_pair(&opts).unwrap();
        assert_eq!(aw.write_buffer_limits(), (10, 1000));
        let bad = IoOptions::new().write_buffer_limits(Some(1), Some(2));
        assert!(matches!(
            backend::io_pair(&bad),
            Err(Error::InvalidWatermarks { .. })
        ));
        assert!(matches!(
            backend::io_pair(&IoOptions::new().limit(0)),
            Err(Error::InvalidLimit)
        ));
    }
}

e2e! {
    async fn from_io_drain_waits_for_the_peer() {
        let opts = IoOptions::new().write_buffer_limits(Some(1024), None);
        let ((_ar, aw), (br, _bw)) = backend::io_pair(&opts).unwrap();
        // Far more than the duplex or socket buffers hold: drain must wait
        // until the peer reads.
        let big = vec![b'x'; 4 << 20];
        aw.write(&big).unwrap();
        assert!(super::still_pending(aw.drain()).await);
        let n = big.len();
        let read = async move { br.read_exactly(n).await.map(|b| b.len()) };
        let (got, drained) = soon(futures_lite::future::zip(read, aw.drain())).await;
        assert_eq!(got.unwrap(), n);
        drained.unwrap();
    }
}

#[cfg(unix)]
e2e! {
    async fn child_pipes_echo_lines() {
        let (_child, stdin, stdout) = backend::spawn_piped("cat", &[]);
        assert!(stdin.can_write_eof());
        for i in 0..100 {
            stdin.write(format!("line {i}\n")).unwrap();
        }
        stdin.drain().await.unwrap();
        for i in 0..100 {
            let line = soon(stdout.read_line()).await.unwrap();
            assert_eq!(line, format!("line {i}\n").as_bytes());
        }
        // write_eof closes the pipe: cat sees EOF, exits, and we see EOF.
        stdin.write(b"tail").unwrap();
        stdin.write_eof().unwrap();
        assert_eq!(soon(stdout.read_to_end()).await.unwrap(), &b"tail"[..]);
        assert!(stdout.at_eof());
        stdin.close();
        soon(stdin.wait_closed()).await.unwrap();
    }
}

#[cfg(unix)]
e2e! {
    async fn child_pipes_reader_alone_sees_eof() {
        let (_child, stdin, stdout) = backend::spawn_piped("cat", &[]);
        stdin.write(b"only\n").unwrap();
        drop(stdin); // the only handle: the queue is sent, then the pipe closes
        assert_eq!(soon(stdout.read_line()).await.unwrap(), &b"only\n"[..]);
        assert_eq!(soon(stdout.read_line()).await.unwrap(), &b""[..]);
        backend::sleep(Duration::from_millis(1)).await;
    }
}
