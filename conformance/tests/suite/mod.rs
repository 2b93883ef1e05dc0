//! The end-to-end suite, written once and run on every backend.
//!
//! A runner (`tests/runners/<backend>.rs`) defines a module `backend` that
//! re-exports the backend crate's API (`open_connection`, `start_server`,
//! `ConnectOptions`, `ServerOptions`, ...) and adds `NAME`, `block_on`,
//! `spawn`, `sleep` and `timeout`; then it includes this module. Every test
//! uses loopback sockets, port 0 and bounded timeouts.

#![allow(dead_code)]

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use crate::backend::{self, Server, StreamReader, StreamWriter};

mod errors;
mod interop;
mod io;
mod reader;
mod server;
mod tls;
mod writer;

/// No test may run longer than this.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(20);
/// How long "this must not complete yet" is watched.
pub const SETTLE: Duration = Duration::from_millis(150);

/// Defines a `#[test]` running an async body on the backend, bounded by
/// [`TEST_TIMEOUT`].
macro_rules! e2e {
    ($(#[$m:meta])* async fn $name:ident() $body:block) => {
        $(#[$m])*
        #[test]
        fn $name() {
            crate::backend::block_on(async {
                let done = crate::backend::timeout(crate::suite::TEST_TIMEOUT, async $body).await;
                assert!(
                    done.is_some(),
                    "{} timed out on {}",
                    stringify!($name),
                    crate::backend::NAME
                );
            })
        }
    };
}
pub(crate) use e2e;

/// `f` must still be pending after [`SETTLE`].
pub async fn still_pending<F: Future>(f: F) -> bool {
    backend::timeout(SETTLE, f).await.is_none()
}

/// `f` must complete within a few seconds.
pub async fn soon<F: Future>(f: F) -> F::Output {
    backend::timeout(Duration::from_secs(10), f)
        .await
        .expect("did not complete within 10 s")
}

/// Runs blocking code on a thread of its own and awaits its result
/// without blocking the runtime.
pub async fn in_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let h = std::thread::spawn(f);
    while !h.is_finished() {
        backend::sleep(Duration::from_millis(2)).await;
    }
    h.join().expect("helper thread panicked")
}

/// A handler that echoes bytes until EOF, then closes.
pub async fn echo(reader: StreamReader, writer: StreamWriter) {
    loop {
        match reader.read(64 * 1024).await {
            Ok(d) if !d.is_empty() => {
                if writer.write(&d).is_err() || writer.drain().await.is_err() {
                    return;
                }
            }
            _ => break,
        }
    }
    writer.close();
    let _ = writer.wait_closed().await;
}

/// An echo server on 127.0.0.1, port 0.
pub async fn echo_server() -> (Server, SocketAddr) {
    let server = backend::start_server(echo, "127.0.0.1", 0)
        .await
        .expect("start_server");
    let addr = server.local_addrs()[0];
    (server, addr)
}

/// A weir connection whose peer is a plain blocking std socket.
pub async fn with_raw_peer() -> (StreamReader, StreamWriter, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (r, w) = backend::open_connection("127.0.0.1", addr.port())
        .await
        .expect("open_connection");
    let (peer, _) = l.accept().unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    peer.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    (r, w, peer)
}

/// Closes `s` with a reset (SO_LINGER 0).
pub fn reset(s: TcpStream) {
    socket2::SockRef::from(&s)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(s);
}

/// Reads from `s` until EOF (blocking).
pub fn read_all(mut s: &TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    s.read_to_end(&mut v).expect("peer read");
    v
}

/// Writes all of `data` to `s` (blocking).
pub fn send(mut s: &TcpStream, data: &[u8]) {
    s.write_all(data).expect("peer write");
}

/// A deterministic test pattern of `n` bytes.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}
