//! The text-protocol client of the `memcached_client` example: error
//! handling against fake servers built with weir's own `start_server`
//! (always run), and a scripted session against a real `memcached`
//! (ignored by default: `bash .ci/run` installs the server and runs it).

#[path = "../examples/support/memcached.rs"]
mod memcached;
#[path = "../examples/support/servers.rs"]
mod servers;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use memcached::{Client, Incr, McError, Value};
use weir_tokio::{ConnectOptions, Server};

/// Every test ends by itself.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test did not finish within 30 s")
}

fn value(key: &str, flags: u32, data: &[u8], cas: Option<u64>) -> Value {
    Value {
        key: Bytes::copy_from_slice(key.as_bytes()),
        flags,
        data: Bytes::copy_from_slice(data),
        cas,
    }
}

// ------------------------------------------------------------- fake server

/// A server on 127.0.0.1:0 that reads `expect` bytes of request, answers
/// `reply`, and closes (after reading the whole request, so the close is a
/// clean FIN, never a reset).
async fn fake_server(expect: usize, reply: &'static [u8]) -> (Server, u16) {
    let server = weir_tokio::start_server(
        move |reader, writer| async move {
            if reader.read_exactly(expect).await.is_ok() {
                let _ = writer.write(reply);
            }
            writer.close();
            let _ = writer.wait_closed().await;
        },
        "127.0.0.1",
        0,
    )
    .await
    .unwrap();
    let port = server.local_addrs()[0].port();
    (server, port)
}

/// `get a` (or `gets a`) against a server answering `reply`.
async fn get_fake(reply: &'static [u8], limit: usize, cas: bool) -> Result<Vec<Value>, McError> {
    let request: &[u8] = if cas { b"gets a\r\n" } else { b"get a\r\n" };
    let (server, port) = fake_server(request.len(), reply).await;
    let client =
        Client::connect_with(&ConnectOptions::new().limit(limit), "127.0.0.1", port).await?;
    let result = bounded(async {
        if cas {
            client.gets(&["a"]).await
        } else {
            client.get(&["a"]).await
        }
    })
    .await;
    server.close();
    result
}

async fn get_err(reply: &'static [u8]) -> String {
    match get_fake(reply, 1024, false).await {
        Ok(v) => panic!("{reply:?} gave {v:?}, expected an error"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn get_parses_values_flags_and_cas() {
    let got = get_fake(b"VALUE a 7 5\r\nx\r\n\0y\r\nEND\r\n", 1024, false)
        .await
        .unwrap();
    assert_eq!(got, vec![value("a", 7, b"x\r\n\0y", None)]);
    let got = get_fake(
        b"VALUE a 4294967295 0 18446744073709551615\r\n\r\nEND\r\n",
        1024,
        true,
    )
    .await
    .unwrap();
    assert_eq!(got, vec![value("a", u32::MAX, b"", Some(u64::MAX))]);
    assert_eq!(get_fake(b"END\r\n", 1024, false).await.unwrap(), vec![]);
}

#[tokio::test]
async fn a_reply_line_beyond_the_limit_is_a_clear_error() {
    let mut line = b"VALUE ".to_vec();
    line.extend(std::iter::repeat_n(b'k', 200));
    line.extend_from_slice(b" 0 1\r\nx\r\nEND\r\n");
    let err = get_fake(line.leak(), 64, false).await.unwrap_err();
    assert!(matches!(err, McError::LineTooLong { limit: 64 }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("longer than the reader's limit (64 bytes)")
            && msg.contains("raise the limit"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_value_beyond_the_limit_is_read_whole() {
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let mut wire = b"VALUE a 0 5000\r\n".to_vec();
    wire.extend_from_slice(&data);
    wire.extend_from_slice(b"\r\nEND\r\n");
    let got = get_fake(wire.leak(), 64, false).await.unwrap();
    assert_eq!(got, vec![value("a", 0, &data, None)]);
}

#[tokio::test]
async fn a_server_closing_mid_reply_is_a_clear_error() {
    let cases: &[(&[u8], &str)] = &[
        (b"VALUE a 0 10\r\nabc", "server closed the connection mid-reply: got 3 of 10 bytes of the value of \"a\""),
        (b"VALUE a 0 3\r\nabc", "server closed the connection mid-reply: got the 3-byte value of \"a\" but not the CRLF"),
        (b"VALUE a 0 1\r\nx\r\n", "server closed the connection mid-reply: a get reply ended before END"),
        (b"VALUE a 0 1\r\nx\r\nEN", "server closed the connection mid-reply: reply line \"EN\" without its CRLF"),
        (b"", "server closed the connection before replying: no reply to the command"),
    ];
    for (wire, want) in cases {
        let msg = get_err(wire).await;
        assert!(msg.starts_with(want), "{wire:?}: {msg:?}");
    }
}

#[tokio::test]
async fn garbage_from_a_server_is_a_protocol_error_naming_it() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"HTTP/1.1 400 Bad Request\r\n",
            "protocol error: unexpected reply line in \"HTTP/1.1 400 Bad Request\"",
        ),
        (
            b"VALUE a x 1\r\nx\r\nEND\r\n",
            "bad flags in \"VALUE a x 1\"",
        ),
        (b"VALUE a 4294967296 1\r\nx\r\nEND\r\n", "bad flags"),
        (
            b"VALUE a 0 -1\r\nEND\r\n",
            "bad byte count in \"VALUE a 0 -1\"",
        ),
        (b"VALUE a 0 99999999999\r\nEND\r\n", "bad byte count"),
        (b"VALUE a 0\r\nEND\r\n", "wrong number of fields"),
        (
            b"VALUE a 0 1\r\nxYZ\r\nEND\r\n",
            "value of \"a\" (1 bytes) is followed by \"YZ\", not CRLF",
        ),
        (b"END\n", "ends with a bare LF"),
    ];
    for (wire, want) in cases {
        let msg = get_err(wire).await;
        assert!(msg.contains(want), "{wire:?}: {msg:?}");
    }
    // gets wants the cas field
    let err = get_fake(b"VALUE a 0 1\r\nx\r\nEND\r\n", 1024, true)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("wrong number of fields"), "{err}");
}

#[tokio::test]
async fn server_error_lines_are_server_errors() {
    for (wire, want) in [
        (
            &b"SERVER_ERROR out of memory\r\n"[..],
            "SERVER_ERROR out of memory",
        ),
        (
            b"CLIENT_ERROR bad command line format\r\n",
            "CLIENT_ERROR bad command line format",
        ),
        (b"ERROR\r\n", "ERROR"),
    ] {
        let err = get_fake(wire, 1024, false).await.unwrap_err();
        assert!(matches!(&err, McError::Server(s) if s == want), "{err:?}");
    }
}

#[tokio::test]
async fn incr_wants_a_number() {
    let (server, port) = fake_server(b"incr n 1\r\n".len(), b"many\r\n").await;
    let client = Client::connect("127.0.0.1", port).await.unwrap();
    let err = bounded(client.incr(b"n", 1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "protocol error: incr answered \"many\", not a number or NOT_FOUND"
    );
    server.close();
}

#[tokio::test]
async fn bad_keys_are_refused_before_sending() {
    // A server that would answer anything: nothing may reach it.
    let (server, port) = fake_server(1, b"STORED\r\n").await;
    let client = Client::connect("127.0.0.1", port).await.unwrap();
    let long = vec![b'k'; 251];
    for key in [
        &b"a b"[..],
        b"a\r\nflush_all",
        b"",
        &long,
        b"tab\t",
        b"\x7f",
    ] {
        let err = client.set(key, b"v").await.unwrap_err();
        assert!(matches!(err, McError::Usage(_)), "{key:?}: {err:?}");
        assert!(matches!(client.get(&[key]).await, Err(McError::Usage(_))));
        assert!(matches!(client.delete(key).await, Err(McError::Usage(_))));
    }
    assert!(matches!(
        client.get::<&[u8]>(&[]).await,
        Err(McError::Usage(_))
    ));
    assert!(client.set(&[b'k'; 250], b"v").await.is_ok());
    server.close();
}

#[tokio::test]
async fn pipelined_gets_are_written_before_any_reply_is_read() {
    let request = b"get a\r\nget b c\r\nget d\r\n";
    // The server answers only after all three requests arrived.
    let (server, port) = fake_server(
        request.len(),
        b"VALUE a 0 1\r\n1\r\nEND\r\nVALUE c 0 1\r\n3\r\nVALUE b 0 1\r\n2\r\nEND\r\nEND\r\n",
    )
    .await;
    let client = Client::connect("127.0.0.1", port).await.unwrap();
    let got = bounded(client.get_pipelined(&[&["a"][..], &["b", "c"], &["d"]]))
        .await
        .unwrap();
    assert_eq!(
        got,
        vec![
            vec![value("a", 0, b"1", None)],
            vec![value("c", 0, b"3", None), value("b", 0, b"2", None)],
            vec![],
        ]
    );
    server.close();
}

/// Runs the command line; returns (stdout, stderr, exit code).
async fn cli(port: u16, rest: &[&str]) -> (String, String, i32) {
    let mut args = vec![
        "--host".to_string(),
        "127.0.0.1".into(),
        "--port".into(),
        port.to_string(),
    ];
    args.extend(rest.iter().map(|s| s.to_string()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = bounded(memcached::run_cli(&args, &mut out, &mut err)).await;
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
        code,
    )
}

#[tokio::test]
async fn command_line_errors() {
    let (server, port) = fake_server(b"get a\r\n".len(), b"SERVER_ERROR busy\r\n").await;
    assert_eq!(
        cli(port, &["get", "a"]).await,
        ("".into(), "SERVER_ERROR busy\n".into(), 1)
    );
    server.close();
    let (server, port) = fake_server(b"get a\r\n".len(), b"VALUE a 0 9\r\nab").await;
    let (out, err, code) = cli(port, &["get", "a"]).await;
    assert_eq!((out.as_str(), code), ("", 1));
    assert!(
        err.starts_with(&format!(
            "memcached_client: 127.0.0.1:{port}: server closed the connection mid-reply"
        )),
        "{err}"
    );
    server.close();
    for bad in [
        &["set", "a"][..],
        &["incr", "a", "-1"],
        &["frob"],
        &[],
        &["get", "a b"],
    ] {
        let (_, err, code) = cli(1, bad).await;
        assert_eq!(code, 2, "{bad:?}");
        assert!(err.contains("usage: memcached_client"), "{bad:?}: {err}");
    }
}

// ------------------------------------------------------------- real server

fn start_memcached() -> servers::RealServer {
    servers::RealServer::memcached().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
#[ignore = "needs memcached: bash .ci/run installs it"]
async fn scripted_session_against_memcached() {
    let mc = start_memcached();
    bounded(async {
        let c = Client::connect("127.0.0.1", mc.port()).await.unwrap();
        assert_eq!(&c.set(b"a", b"hello").await.unwrap()[..], b"STORED");
        assert_eq!(
            c.get(&["a"]).await.unwrap(),
            vec![value("a", 0, b"hello", None)]
        );
        assert_eq!(c.get(&["missing"]).await.unwrap(), vec![]);
        assert_eq!(
            &c.set_with(b"b", 42, 0, b"world").await.unwrap()[..],
            b"STORED"
        );
        assert_eq!(
            c.get(&["a", "missing", "b"]).await.unwrap(),
            vec![
                value("a", 0, b"hello", None),
                value("b", 42, b"world", None)
            ]
        );

        // gets: a CAS unique that changes when the value does.
        let first = c.gets(&["a"]).await.unwrap();
        assert_eq!(first.len(), 1);
        let cas1 = first[0].cas.expect("gets returns a cas unique");
        c.set(b"a", b"again").await.unwrap();
        let second = c.gets(&["a"]).await.unwrap();
        assert_eq!(second[0].data, &b"again"[..]);
        assert_ne!(second[0].cas, Some(cas1));

        assert_eq!(&c.delete(b"a").await.unwrap()[..], b"DELETED");
        assert_eq!(&c.delete(b"a").await.unwrap()[..], b"NOT_FOUND");
        assert_eq!(c.get(&["a"]).await.unwrap(), vec![]);

        assert_eq!(c.incr(b"n", 1).await.unwrap(), Incr::NotFound);
        c.set(b"n", b"5").await.unwrap();
        assert_eq!(c.incr(b"n", 10).await.unwrap(), Incr::Value(15));
        assert_eq!(c.incr(b"n", u64::MAX).await.unwrap(), Incr::Value(14)); // wraps at 2^64
        let err = c.incr(b"b", 1).await.unwrap_err();
        assert!(
            matches!(&err, McError::Server(s) if s.starts_with("CLIENT_ERROR")),
            "{err:?}"
        );

        // Binary-safe values: CR, LF, NUL and protocol-looking bytes.
        let binary: &[u8] = b"x\r\nEND\r\nVALUE a 0 1\r\n\0\r\n";
        c.set(b"bin", binary).await.unwrap();
        assert_eq!(
            c.get(&["bin"]).await.unwrap(),
            vec![value("bin", 0, binary, None)]
        );

        // 512 KiB, eight times the reader's limit.
        let big: Vec<u8> = (0..512 * 1024u32)
            .map(|i| (i.wrapping_mul(7) % 251) as u8)
            .collect();
        assert_eq!(&c.set(b"big", &big).await.unwrap()[..], b"STORED");
        assert_eq!(
            c.get(&["big"]).await.unwrap(),
            vec![value("big", 0, &big, None)]
        );

        // A value over memcached's 1 MiB item size: the server's error, and
        // the connection stays usable.
        let err = c.set(b"huge", &vec![b'h'; 2 << 20]).await.unwrap_err();
        assert!(
            matches!(&err, McError::Server(s) if s.starts_with("SERVER_ERROR")),
            "{err:?}"
        );
        assert_eq!(
            c.get(&["n"]).await.unwrap(),
            vec![value("n", 0, b"14", None)]
        );

        // Pipelined gets: one write, the replies in order.
        let got = c
            .get_pipelined(&[&["b"][..], &["missing"], &["n", "bin"], &["big"]])
            .await
            .unwrap();
        assert_eq!(
            got,
            vec![
                vec![value("b", 42, b"world", None)],
                vec![],
                vec![value("n", 0, b"14", None), value("bin", 0, binary, None)],
                vec![value("big", 0, &big, None)],
            ]
        );
        c.close().await.unwrap();

        // The command line, against the same server.
        let port = mc.port();
        let ok = |s: &str| (s.to_string(), String::new(), 0);
        assert_eq!(cli(port, &["set", "k", "v 1"]).await, ok("STORED\n"));
        assert_eq!(
            cli(port, &["get", "k", "missing", "b"]).await,
            ok("v 1\nworld\n")
        );
        assert_eq!(cli(port, &["get", "missing"]).await, ok(""));
        let (out, _, code) = cli(port, &["gets", "k"]).await;
        let cas: u64 = out
            .strip_prefix("v 1 ")
            .and_then(|s| s.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("{out:?}"));
        assert!(cas > 0 && code == 0);
        assert_eq!(cli(port, &["incr", "n", "6"]).await, ok("20\n"));
        assert_eq!(
            cli(port, &["incr", "missing", "6"]).await,
            ok("NOT_FOUND\n")
        );
        assert_eq!(cli(port, &["delete", "k"]).await, ok("DELETED\n"));
        assert_eq!(cli(port, &["delete", "k"]).await, ok("NOT_FOUND\n"));
        let (out, err, code) = cli(port, &["incr", "b", "1"]).await;
        assert_eq!((out.as_str(), code), ("", 1));
        assert!(err.starts_with("CLIENT_ERROR"), "{err}");
    })
    .await;
    drop(mc);
}
