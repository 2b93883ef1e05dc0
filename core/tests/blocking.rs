//! The synchronous line client (`examples/sync_line_client.rs`) against a
//! test server on loopback.

#[path = "../examples/sync_line_client.rs"]
mod client;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use weir_proto::blocking;

/// A line server on 127.0.0.1:0 answering `ECHO <line>` per line, for one connection.
fn line_server() -> (std::net::SocketAddr, thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut out = sock.try_clone().unwrap();
        let mut served = 0;
        for line in BufReader::new(sock).lines() {
            let Ok(line) = line else { break };
            writeln!(out, "ECHO {line}").unwrap();
            served += 1;
        }
        served
    });
    (addr, handle)
}

#[test]
fn sync_line_client_talks_to_a_server() {
    let (addr, server) = line_server();
    let (mut r, mut w) = blocking::open_connection(addr).unwrap();
    r.get_ref()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let msgs: Vec<String> = (0..500).map(|i| format!("message {i}")).collect();
    let replies = client::exchange(&mut r, &mut w, &msgs).unwrap();
    assert_eq!(replies.len(), 500);
    for (i, reply) in replies.iter().enumerate() {
        assert_eq!(reply, &format!("ECHO message {i}"));
    }
    w.write_eof().unwrap();
    // The server sees EOF, stops, and closes: we read EOF too.
    assert!(r.read_line().unwrap().is_empty());
    assert!(r.at_eof());
    assert_eq!(server.join().unwrap(), 500);
}

#[test]
fn server_closing_early_is_a_clear_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        sock.write_all(b"only one\n").unwrap();
    });
    let (mut r, mut w) = blocking::open_connection(addr).unwrap();
    t.join().unwrap();
    let msgs = vec!["a".to_string(), "b".to_string()];
    let err = client::exchange(&mut r, &mut w, &msgs).unwrap_err();
    assert!(err.to_string().contains("closed"), "{err}");
}

#[test]
fn refused_connection_is_a_connection_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    match blocking::open_connection(addr) {
        Err(weir_proto::Error::Connection(e)) => {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused)
        }
        other => panic!("expected a refused connection, got {other:?}"),
    }
}
