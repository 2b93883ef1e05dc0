//! The RESP2 client of the `redis_client` example: parsing and error
//! handling against hand-fed readers and fake servers built with weir's own
//! `start_server` (always run), and a scripted session plus a byte-for-byte
//! comparison with `redis-cli` against a real `redis-server` (ignored by
//! default: `bash .ci/run` installs the server and runs them).

#[path = "../examples/support/resp.rs"]
mod resp;
#[path = "../examples/support/servers.rs"]
mod servers;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use resp::{Client, Reply, RespError};
use weir_tokio::{ConnectOptions, Server, StreamReader};

/// Every test ends by itself.
async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test did not finish within 30 s")
}

fn bulk(s: &[u8]) -> Reply {
    Reply::bulk(Bytes::copy_from_slice(s))
}

fn simple(s: &str) -> Reply {
    Reply::Simple(Bytes::copy_from_slice(s.as_bytes()))
}

// ---------------------------------------------------------------- encoding

#[test]
fn commands_are_arrays_of_bulk_strings() {
    let mut out = Vec::new();
    resp::encode_command(&["SET", "k", "v"], &mut out);
    assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    out.clear();
    resp::encode_command(&[&b"ECHO"[..], b"a\r\n\0b", b""], &mut out);
    assert_eq!(out, b"*3\r\n$4\r\nECHO\r\n$5\r\na\r\n\0b\r\n$0\r\n\r\n");
}

// ----------------------------------------------------------------- parsing

/// A reply stream holding every RESP2 type, and what it parses to.
fn every_type() -> (Vec<u8>, Vec<Reply>) {
    let wire = b"+OK\r\n\
                 -ERR wrong\r\n\
                 :-42\r\n\
                 :9223372036854775807\r\n\
                 $5\r\na\r\n\0b\r\n\
                 $0\r\n\r\n\
                 $-1\r\n\
                 *-1\r\n\
                 *0\r\n\
                 *3\r\n$1\r\nx\r\n*2\r\n:1\r\n$-1\r\n*0\r\n\
                 *2\r\n*1\r\n*1\r\n+deep\r\n-ERR inner\r\n"
        .to_vec();
    let replies = vec![
        simple("OK"),
        Reply::Error(Bytes::from_static(b"ERR wrong")),
        Reply::Integer(-42),
        Reply::Integer(i64::MAX),
        bulk(b"a\r\n\0b"),
        bulk(b""),
        Reply::Bulk(None),
        Reply::Array(None),
        Reply::Array(Some(vec![])),
        Reply::Array(Some(vec![
            bulk(b"x"),
            Reply::Array(Some(vec![Reply::Integer(1), Reply::Bulk(None)])),
            Reply::Array(Some(vec![])),
        ])),
        Reply::Array(Some(vec![
            Reply::Array(Some(vec![Reply::Array(Some(vec![simple("deep")]))])),
            Reply::Error(Bytes::from_static(b"ERR inner")),
        ])),
    ];
    (wire, replies)
}

async fn read_all(reader: &StreamReader, n: usize) -> Vec<Reply> {
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(
            resp::read_reply(reader, resp::DEFAULT_MAX_BULK)
                .await
                .unwrap(),
        );
    }
    got
}

#[tokio::test]
async fn parses_every_reply_type_fed_at_once_with_trailing_data_left() {
    let (mut wire, want) = every_type();
    wire.extend_from_slice(b"+NEXT\r\n");
    let reader = StreamReader::new(64).unwrap();
    reader.feed_data(&wire);
    reader.feed_eof();
    assert_eq!(read_all(&reader, want.len()).await, want);
    assert_eq!(reader.read_line().await.unwrap(), &b"+NEXT\r\n"[..]);
}

#[tokio::test]
async fn parses_every_reply_type_fed_one_byte_at_a_time() {
    let (wire, want) = every_type();
    let reader = Arc::new(StreamReader::new(64).unwrap());
    let feeder = {
        let reader = reader.clone();
        tokio::spawn(async move {
            for b in wire {
                reader.feed_data(&[b]);
                tokio::task::yield_now().await;
            }
            reader.feed_eof();
        })
    };
    let got = bounded(read_all(&reader, want.len())).await;
    feeder.await.unwrap();
    assert_eq!(got, want);
}

/// Parses `wire` (then EOF) as one reply with the given limits.
async fn parse(wire: &[u8], limit: usize, max_bulk: usize) -> Result<Reply, RespError> {
    let reader = StreamReader::new(limit).unwrap();
    reader.feed_data(wire);
    reader.feed_eof();
    bounded(resp::read_reply(&reader, max_bulk)).await
}

async fn parse_err(wire: &[u8]) -> String {
    match parse(wire, 1024, 1 << 20).await {
        Ok(r) => panic!("{wire:?} parsed as {r:?}, expected an error"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn garbage_gives_protocol_errors_naming_what_came() {
    let cases: &[(&[u8], &[&str])] = &[
        (
            b"?what\r\n",
            &[
                "protocol error",
                "unknown reply type byte",
                "\"?\"",
                "0x3f",
                "\"?what\\r\\n\"",
            ],
        ),
        (
            b"HTTP/1.1 400 Bad Request\r\n",
            &["unknown reply type byte \"H\"", "HTTP/1.1 400"],
        ),
        (b"$abc\r\n", &["bad bulk string length", "\"$abc\\r\\n\""]),
        (b"$\r\n", &["bad bulk string length"]),
        (b"$+3\r\nabc\r\n", &["bad bulk string length"]),
        (b"$-2\r\n", &["negative bulk string length", "$-2"]),
        (b"$99999999999999999999\r\n", &["bad bulk string length"]),
        (
            b"$2000000\r\n",
            &["2000000 bytes exceeds the client's maximum of 1048576"],
        ),
        (b"*x\r\n", &["bad array length", "*x"]),
        (b"*-5\r\n", &["negative array length"]),
        (b":12a\r\n", &["bad integer reply", ":12a"]),
        (
            b"$3\r\nabcXY",
            &["bulk string of 3 bytes is followed by \"XY\", not CRLF"],
        ),
        (b"+OK\n", &["bare LF"]),
        (b"\r\n", &["empty reply header"]),
        (b"%1\r\n+a\r\n+b\r\n", &["RESP3 reply type '%'", "RESP2"]),
        (b"_\r\n", &["RESP3 reply type '_'"]),
    ];
    for (wire, needles) in cases {
        let msg = parse_err(wire).await;
        for n in *needles {
            assert!(msg.contains(n), "{wire:?}: {msg:?} lacks {n:?}");
        }
    }
}

#[tokio::test]
async fn nesting_is_bounded() {
    let deep = b"*1\r\n".repeat(resp::MAX_DEPTH + 1);
    let msg = parse_err(&deep).await;
    assert!(msg.contains("nested more than 128 deep"), "{msg}");
    // As deep as allowed still parses.
    let mut ok = b"*1\r\n".repeat(resp::MAX_DEPTH);
    ok.extend_from_slice(b":7\r\n");
    let mut r = parse(&ok, 1024, 1024).await.unwrap();
    for _ in 0..resp::MAX_DEPTH {
        let Reply::Array(Some(mut v)) = r else {
            panic!("{r:?}")
        };
        r = v.pop().unwrap();
    }
    assert_eq!(r, Reply::Integer(7));
}

#[tokio::test]
async fn eof_before_and_in_the_middle_of_a_reply() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"",
            "server closed the connection before replying: no reply to the command",
        ),
        (
            b"+OK",
            "server closed the connection mid-reply: header line \"+OK\" without its CRLF",
        ),
        (
            b"$10\r\nabc",
            "server closed the connection mid-reply: got 3 of 10 bytes of a bulk string",
        ),
        (
            b"$3\r\nabc",
            "server closed the connection mid-reply: got the 3-byte bulk string but not the CRLF",
        ),
        (
            b"*3\r\n:1\r\n",
            "server closed the connection mid-reply: an array ended early",
        ),
    ];
    for (wire, want) in cases {
        let msg = parse_err(wire).await;
        assert!(msg.starts_with(want), "{wire:?}: {msg:?}");
    }
}

// ------------------------------------------------------------- fake server

/// The bytes `Client::command(&["PING"])` sends.
const PING: &[u8] = b"*1\r\n$4\r\nPING\r\n";

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

async fn ping_fake(reply: &'static [u8], limit: usize) -> Result<Reply, RespError> {
    let (server, port) = fake_server(PING.len(), reply).await;
    let options = ConnectOptions::new().limit(limit);
    let client = Client::connect_with(&options, "127.0.0.1", port).await?;
    let result = bounded(client.command(&["PING"])).await;
    server.close();
    result
}

#[tokio::test]
async fn a_header_line_beyond_the_limit_is_a_clear_error() {
    let mut line = b"+".to_vec();
    line.extend(std::iter::repeat_n(b'a', 200));
    line.extend_from_slice(b"\r\n");
    let line: &'static [u8] = line.leak();
    let err = ping_fake(line, 64).await.unwrap_err();
    assert!(
        matches!(err, RespError::HeaderTooLong { limit: 64 }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("longer than the reader's limit (64 bytes)"),
        "{msg}"
    );
    assert!(msg.contains("raise the limit"), "{msg}");
    // Within the limit the same line is fine.
    assert_eq!(
        ping_fake(line, 1024).await.unwrap(),
        Reply::Simple(Bytes::copy_from_slice(&line[1..201]))
    );
}

#[tokio::test]
async fn a_bulk_string_beyond_the_limit_is_read_whole() {
    let mut wire = b"$1000\r\n".to_vec();
    let payload: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    wire.extend_from_slice(&payload);
    wire.extend_from_slice(b"\r\n");
    let got = ping_fake(wire.leak(), 64).await.unwrap();
    assert_eq!(got, Reply::bulk(payload));
}

#[tokio::test]
async fn a_server_closing_mid_reply_is_a_clear_error() {
    let err = ping_fake(b"$10\r\nabc", 1024).await.unwrap_err();
    assert!(
        matches!(
            err,
            RespError::Closed {
                mid_reply: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "server closed the connection mid-reply: got 3 of 10 bytes of a bulk string"
    );
    let err = ping_fake(b"*2\r\n+a\r\n", 1024).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("server closed the connection mid-reply"),
        "{err}"
    );
    let err = ping_fake(b"", 1024).await.unwrap_err();
    assert!(
        matches!(
            err,
            RespError::Closed {
                mid_reply: false,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn garbage_from_a_server_is_a_protocol_error() {
    let err = ping_fake(b"hello there\r\n", 1024).await.unwrap_err();
    assert!(matches!(err, RespError::Protocol(_)), "{err:?}");
    assert!(err.to_string().contains("\"hello there\\r\\n\""), "{err}");
    let err = ping_fake(b"$x1\r\n", 1024).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("bad bulk string length in \"$x1\\r\\n\""),
        "{err}"
    );
}

#[tokio::test]
async fn a_pipeline_is_written_before_any_reply_is_read() {
    let mut expect = Vec::new();
    for c in [&["SET", "a", "1"][..], &["INCR", "a"], &["GET", "a"]] {
        resp::encode_command(c, &mut expect);
    }
    // The server answers only after all three commands arrived: a client
    // that waited for each reply before sending the next would time out.
    let (server, port) = fake_server(expect.len(), b"+OK\r\n:2\r\n$1\r\n2\r\n").await;
    let client = Client::connect("127.0.0.1", port).await.unwrap();
    let got = bounded(client.pipeline(&[&["SET", "a", "1"][..], &["INCR", "a"], &["GET", "a"]]))
        .await
        .unwrap();
    assert_eq!(got, vec![simple("OK"), Reply::Integer(2), bulk(b"2")]);
    server.close();
}

// -------------------------------------------------------------- formatting

fn raw(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    resp::format_raw(reply, &mut out);
    out
}

/// What `redis-cli` 7 prints (before its final newline) when its stdout is
/// not a terminal, for each kind of reply.
#[test]
fn replies_format_as_redis_cli_raw_mode() {
    assert_eq!(raw(&simple("OK")), b"OK");
    assert_eq!(raw(&bulk(b"a\r\nb")), b"a\r\nb");
    assert_eq!(raw(&Reply::Integer(-3)), b"-3");
    assert_eq!(raw(&Reply::Bulk(None)), b"");
    assert_eq!(raw(&Reply::Array(None)), b"");
    assert_eq!(raw(&Reply::Array(Some(vec![]))), b"");
    assert_eq!(raw(&Reply::Error(Bytes::from_static(b"ERR x"))), b"ERR x\n");
    let mget = Reply::Array(Some(vec![bulk(b"v"), Reply::Bulk(None), bulk(b"1")]));
    assert_eq!(raw(&mget), b"v\n\n1");
    let scan = Reply::Array(Some(vec![
        bulk(b"0"),
        Reply::Array(Some(vec![bulk(b"a"), bulk(b"b")])),
    ]));
    assert_eq!(raw(&scan), b"0\na\nb");
}

#[test]
fn command_line_options() {
    let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    let cli = resp::parse_cli(&args("--port 7000 --limit 99 SET --port x")).unwrap();
    assert_eq!(
        (cli.host.as_str(), cli.port, cli.limit),
        ("127.0.0.1", 7000, Some(99))
    );
    assert_eq!(cli.commands, vec![args("SET --port x")]);
    let mut a = args("--host ::1 --pipeline");
    a.push("SET a 1; INCR a ;;GET  a".into());
    let cli = resp::parse_cli(&a).unwrap();
    assert_eq!(cli.host, "::1");
    assert_eq!(
        cli.commands,
        vec![args("SET a 1"), args("INCR a"), args("GET a")]
    );
    assert_eq!(
        resp::parse_cli(&args("-- --odd")).unwrap().commands,
        vec![args("--odd")]
    );
    for bad in [
        "",
        "--port",
        "--port 99999 PING",
        "--limit 0 PING",
        "--bogus 1 PING",
        "--pipeline ; ",
    ] {
        let a: Vec<String> = if bad.is_empty() { vec![] } else { args(bad) };
        assert!(resp::parse_cli(&a).is_err(), "{bad:?} accepted");
    }
    let mut both = args("--pipeline PING");
    both.push("PING".into());
    assert!(resp::parse_cli(&both).is_err());
}

/// Runs the command line; returns (stdout, stderr, exit code).
async fn cli(args: &[String]) -> (Vec<u8>, Vec<u8>, i32) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = bounded(resp::run_cli(args, &mut out, &mut err)).await;
    (out, err, code)
}

fn cli_args(port: u16, rest: &[&str]) -> Vec<String> {
    let mut v = vec![
        "--host".to_string(),
        "127.0.0.1".into(),
        "--port".into(),
        port.to_string(),
    ];
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

#[tokio::test]
async fn command_line_error_reply_goes_to_stderr_with_exit_code_1() {
    let (server, port) = fake_server(PING.len(), b"-ERR boom\r\n").await;
    assert_eq!(
        cli(&cli_args(port, &["PING"])).await,
        (vec![], b"(error) ERR boom\n".to_vec(), 1)
    );
    server.close();
}

#[tokio::test]
async fn command_line_failures_say_what_happened() {
    let (server, port) = fake_server(PING.len(), b"!garbage\r\n").await;
    let (out, err, code) = cli(&cli_args(port, &["PING"])).await;
    let err = String::from_utf8(err).unwrap();
    assert_eq!((out.len(), code), (0, 1));
    assert!(
        err.starts_with(&format!("redis_client: 127.0.0.1:{port}: protocol error:")),
        "{err}"
    );
    assert!(err.contains("RESP3 reply type '!'"), "{err}");
    server.close();

    let (out, err, code) = cli(&["--port".into(), "x".into(), "PING".into()]).await;
    assert_eq!((out.len(), code), (0, 2));
    assert!(String::from_utf8(err)
        .unwrap()
        .contains("usage: redis_client"));
}

// ------------------------------------------------------------- real server

const NEEDS_REDIS: &str = "needs redis-server: bash .ci/run installs it";

fn start_redis() -> servers::RealServer {
    servers::RealServer::redis().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
#[ignore = "needs redis-server: bash .ci/run installs it"]
async fn scripted_session_against_redis_server() {
    let _ = NEEDS_REDIS;
    let redis = start_redis();
    bounded(async {
        let c = Client::connect("127.0.0.1", redis.port()).await.unwrap();
        assert_eq!(c.command(&["PING"]).await.unwrap(), simple("PONG"));
        assert_eq!(c.command(&["SET", "k", "v"]).await.unwrap(), simple("OK"));
        assert_eq!(c.command(&["GET", "k"]).await.unwrap(), bulk(b"v"));
        assert_eq!(
            c.command(&["GET", "missing"]).await.unwrap(),
            Reply::Bulk(None)
        );
        assert_eq!(
            c.command(&["DEL", "k", "missing"]).await.unwrap(),
            Reply::Integer(1)
        );
        assert_eq!(c.command(&["GET", "k"]).await.unwrap(), Reply::Bulk(None));
        for n in 1..=3 {
            assert_eq!(c.command(&["INCR", "n"]).await.unwrap(), Reply::Integer(n));
        }
        assert_eq!(
            c.command(&["INCRBY", "n", "-10"]).await.unwrap(),
            Reply::Integer(-7)
        );
        c.command(&["SET", "s", "text"]).await.unwrap();
        let Reply::Error(e) = c.command(&["INCR", "s"]).await.unwrap() else {
            panic!()
        };
        assert!(e.starts_with(b"ERR value is not an integer"), "{e:?}");
        let Reply::Error(e) = c.command(&["NOSUCHCOMMAND"]).await.unwrap() else {
            panic!()
        };
        assert!(e.starts_with(b"ERR unknown command"), "{e:?}");

        // Pipelined: written in one go, replies in order.
        let got = c
            .pipeline(&[
                &["SET", "p", "10"][..],
                &["INCR", "p"],
                &["INCR", "s"],
                &["GET", "p"],
                &["RPUSH", "l", "a", "b", "c"],
                &["LRANGE", "l", "0", "-1"],
                &["MGET", "p", "missing", "l2"],
                &["LRANGE", "missing", "0", "-1"],
                &["BLPOP", "missing", "0.01"],
            ])
            .await
            .unwrap();
        assert_eq!(got.len(), 9);
        assert_eq!(got[0], simple("OK"));
        assert_eq!(got[1], Reply::Integer(11));
        assert!(matches!(&got[2], Reply::Error(e) if e.starts_with(b"ERR value is not")));
        assert_eq!(got[3], bulk(b"11"));
        assert_eq!(got[4], Reply::Integer(3));
        assert_eq!(
            got[5],
            Reply::Array(Some(vec![bulk(b"a"), bulk(b"b"), bulk(b"c")]))
        );
        assert_eq!(
            got[6],
            Reply::Array(Some(vec![
                bulk(b"11"),
                Reply::Bulk(None),
                Reply::Bulk(None)
            ]))
        );
        assert_eq!(got[7], Reply::Array(Some(vec![])));
        assert_eq!(got[8], Reply::Array(None));

        // Nested arrays: a transaction's replies, one of them an array.
        let got = c
            .pipeline(&[
                &["MULTI"][..],
                &["INCR", "p"],
                &["LRANGE", "l", "0", "1"],
                &["EXEC"],
            ])
            .await
            .unwrap();
        assert_eq!(got[1], simple("QUEUED"));
        assert_eq!(
            got[3],
            Reply::Array(Some(vec![
                Reply::Integer(12),
                Reply::Array(Some(vec![bulk(b"a"), bulk(b"b")])),
            ]))
        );

        // Binary-safe: CR, LF, NUL and RESP-looking bytes inside a value.
        let binary: &[u8] = b"a\r\nb\0c\r\n$3\r\n*1\r\n-ERR\r\n\0";
        assert_eq!(
            c.command(&[&b"SET"[..], b"bin\r\n\0", binary])
                .await
                .unwrap(),
            simple("OK")
        );
        assert_eq!(
            c.command(&[&b"GET"[..], b"bin\r\n\0"]).await.unwrap(),
            bulk(binary)
        );
        assert_eq!(
            c.command(&[&b"STRLEN"[..], b"bin\r\n\0"]).await.unwrap(),
            Reply::Integer(binary.len() as i64)
        );

        // 1 MiB, sixteen times the reader's limit: read_exactly reads it whole.
        let big: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(7) % 251) as u8)
            .collect();
        assert_eq!(
            c.command(&[&b"SET"[..], b"big", &big]).await.unwrap(),
            simple("OK")
        );
        assert_eq!(
            c.command(&["STRLEN", "big"]).await.unwrap(),
            Reply::Integer(1 << 20)
        );
        assert_eq!(
            c.command(&["GET", "big"]).await.unwrap(),
            Reply::bulk(big.clone())
        );
        let got = c
            .pipeline(&[&["GET", "big"][..], &["GET", "big"], &["PING"]])
            .await
            .unwrap();
        assert_eq!(
            got,
            vec![Reply::bulk(big.clone()), Reply::bulk(big), simple("PONG")]
        );

        // Switching the connection to RESP3 makes the replies unreadable to a
        // RESP2 client: a clear protocol error, not a wrong value.
        let err = c.command(&["HELLO", "3"]).await.unwrap_err();
        assert!(err.to_string().contains("RESP3 reply type '%'"), "{err}");
        c.close().await.unwrap();

        // A reply larger than a small limit: the header fits, the bulk is
        // read past the limit; a long status line does not fit.
        let small = ConnectOptions::new().limit(16);
        let c = Client::connect_with(&small, "127.0.0.1", redis.port())
            .await
            .unwrap();
        assert_eq!(c.command(&["GET", "p"]).await.unwrap(), bulk(b"12"));
        let Reply::Bulk(Some(b)) = c.command(&["GET", "bin\r\n\0"]).await.unwrap() else {
            panic!()
        };
        assert_eq!(&b[..], binary);
        let err = c.command(&["INCR", "s"]).await.unwrap_err();
        assert!(
            matches!(err, RespError::HeaderTooLong { limit: 16 }),
            "{err:?}"
        );
    })
    .await;
    drop(redis);
}

/// Runs `redis-cli -e` with `args`; returns (stdout, stderr, exit code).
fn redis_cli(port: u16, args: &[&str]) -> (Vec<u8>, Vec<u8>, i32) {
    let out = std::process::Command::new("redis-cli")
        .args(["-e", "-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run redis-cli ({e}): install it with `apt-get install redis-tools`, or run `bash .ci/install-servers.sh`")
        });
    (out.stdout, out.stderr, out.status.code().unwrap_or(-1))
}

#[tokio::test]
#[ignore = "needs redis-server: bash .ci/run installs it"]
async fn output_matches_redis_cli_byte_for_byte() {
    let redis = start_redis();
    let port = redis.port();
    // (setup commands, the command both clients run)
    let cases: &[(&[&[&str]], &[&str])] = &[
        (&[], &["PING"]),
        (&[], &["SET", "k", "v"]),
        (&[&["SET", "k", "v"]], &["GET", "k"]),
        (&[], &["GET", "missing"]),
        (&[&["SET", "n", "41"]], &["INCR", "n"]),
        (&[&["SET", "k", "v"]], &["DEL", "k", "missing"]),
        (&[&["SET", "k", "v"]], &["INCR", "k"]),
        (&[], &["NOSUCHCOMMAND", "x"]),
        (
            &[&["RPUSH", "l", "a", "b", "c"]],
            &["LRANGE", "l", "0", "-1"],
        ),
        (&[], &["LRANGE", "missing", "0", "-1"]),
        (
            &[&["SET", "k", "v"], &["SET", "n", "1"]],
            &["MGET", "k", "missing", "n"],
        ),
        (&[&["SET", "b", "a\r\nb c\r\n"]], &["GET", "b"]),
        (&[], &["ECHO", ""]),
        (&[&["SET", "k", "v"]], &["SCAN", "0"]),
        (&[&["HSET", "h", "f", "1"]], &["HGETALL", "h"]),
        (
            &[&["ZADD", "z", "1.5", "m"]],
            &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ),
        (&[], &["BLPOP", "missing", "0.01"]),
        (&[], &["COMMAND", "INFO", "get", "nosuchcommand"]),
    ];
    bounded(async {
        let setup = Client::connect("127.0.0.1", port).await.unwrap();
        for (before, command) in cases {
            let mut prep: Vec<&[&str]> = vec![&["FLUSHALL"]];
            prep.extend_from_slice(before);
            let reset = || async {
                for r in setup.pipeline(&prep).await.unwrap() {
                    assert!(!matches!(r, Reply::Error(_)), "setup {prep:?}: {r:?}");
                }
            };
            reset().await;
            let theirs = redis_cli(port, command);
            reset().await;
            let mut ours = cli(&cli_args(port, command)).await;
            // The one deliberate difference: our error lines carry redis-cli's
            // terminal prefix `(error) `; `redis-cli -e` omits it off a terminal.
            ours.1 = String::from_utf8_lossy(&ours.1)
                .lines()
                .map(|l| format!("{}\n", l.strip_prefix("(error) ").unwrap_or(l)))
                .collect::<String>()
                .into_bytes();
            assert_eq!(
                ours,
                theirs,
                "{command:?}: ours (stdout {:?}, stderr {:?}), redis-cli (stdout {:?}, stderr {:?})",
                String::from_utf8_lossy(&ours.0),
                String::from_utf8_lossy(&ours.1),
                String::from_utf8_lossy(&theirs.0),
                String::from_utf8_lossy(&theirs.1),
            );
        }
    })
    .await;
    drop(redis);
}

#[test]
#[ignore = "needs redis-server: bash .ci/run installs it"]
fn a_taken_port_is_retried_and_the_server_is_stopped_on_drop() {
    // The first port offered is held by another listener: redis-server
    // exits (address in use) and the next, free, port is used.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let mut offered = vec![];
    let redis = servers::RealServer::start_with_ports(servers::Kind::Redis, || {
        let p = if offered.is_empty() {
            taken_port
        } else {
            servers::free_port()?
        };
        offered.push(p);
        Ok(p)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(offered.len(), 2, "{offered:?}");
    assert_eq!(redis.port(), offered[1]);
    let (port, pid) = (redis.port(), redis.pid());
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(redis);
    // Killed and reaped: the process is gone and nothing accepts on its port.
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    drop(taken);
}

#[test]
fn a_missing_server_binary_says_how_to_install_it() {
    let hint = servers::Kind::Redis.install_hint();
    assert!(hint.contains("apt-get install redis-server"), "{hint}");
    assert!(hint.contains("bash .ci/install-servers.sh"), "{hint}");
    assert!(servers::Kind::Memcached
        .install_hint()
        .contains("apt-get install memcached"));
}
