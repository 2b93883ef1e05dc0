//! TLS end to end over loopback: certificates made per run by rcgen, weir on
//! both ends, a raw rustls peer for STARTTLS with the ClientHello in the
//! same write as the command, and CPython's `ssl` module as the peer.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::backend::Error;
use super::backend::{ClientTls, ServerTls, TlsTimeouts};
use weir_stream::tls::testing::ThrowawayPki;

use super::{e2e, echo, in_thread, soon};
use crate::backend::{self, ConnectOptions, ServerOptions, StreamReader, StreamWriter};

/// What a server handler's read ended with.
type ReadResult = Result<Vec<u8>, Error>;

static SERIAL: AtomicUsize = AtomicUsize::new(0);

/// A throwaway CA and a certificate for `localhost` and `127.0.0.1`.
pub struct Pki(ThrowawayPki);

pub fn pki() -> Pki {
    Pki(ThrowawayPki::new(&["localhost", "127.0.0.1"]).unwrap())
}

impl Pki {
    fn client(&self) -> ClientTls {
        self.0.client().unwrap()
    }
    fn server(&self) -> ServerTls {
        self.0.server().unwrap()
    }
    fn ca(&self) -> String {
        self.0.ca_pem.clone()
    }
    /// Writes ca.pem, cert.pem and key.pem into a fresh temp dir.
    fn files(&self) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "weir-tls-{}-{}-{}",
            backend::NAME,
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        self.0.write_to(&dir).unwrap();
        dir
    }
}

async fn tls_echo_server(p: &Pki) -> (crate::backend::Server, u16) {
    let server = ServerOptions::new()
        .tls(p.server())
        .start(echo, "127.0.0.1", 0)
        .await
        .expect("tls server");
    let port = server.local_addrs()[0].port();
    (server, port)
}

e2e! {
    async fn tls_echo_with_extra_info() {
        let p = pki();
        let (_server, port) = tls_echo_server(&p).await;
        let (r, w) = ConnectOptions::new()
            .tls(p.client())
            .connect("localhost", port)
            .await
            .expect("tls connect");
        w.write(b"hello over tls\n").unwrap();
        assert_eq!(&soon(r.read_line()).await.unwrap()[..], b"hello over tls\n");
        let info = w.extra_info();
        let tls = info.tls.expect("tls info");
        assert_eq!(tls.protocol_version, Some(rustls::ProtocolVersion::TLSv1_3));
        assert!(tls.cipher_suite.is_some());
        assert_eq!(tls.peer_certificates.len(), 1);
        assert_eq!(tls.server_name.as_deref(), Some("localhost"));
        assert!(info.peer_addr.is_some());
        assert!(w.can_write_eof(), "TLS 1.3 can half-close");
        // 1 MiB through TLS, in order.
        let big = super::pattern(1 << 20);
        w.write(&big).unwrap();
        w.drain().await.unwrap();
        assert_eq!(&soon(r.read_exactly(big.len())).await.unwrap()[..], &big[..]);
    }
}

e2e! {
    async fn tls_server_hostname_is_the_name_checked() {
        // A certificate for a name that is neither the address nor "localhost":
        // only ConnectOptions::server_hostname makes these connects succeed.
        let p = Pki(ThrowawayPki::new(&["service.internal"]).unwrap());
        let (_server, port) = tls_echo_server(&p).await;
        let tls = p.client();
        for host in ["127.0.0.1", "localhost"] {
            let (r, w) = ConnectOptions::new()
                .tls(tls.clone())
                .server_hostname("service.internal")
                .connect(host, port)
                .await
                .unwrap_or_else(|e| panic!("{host}: {e}"));
            let info = w.extra_info().tls.expect("tls info");
            assert_eq!(info.server_name.as_deref(), Some("service.internal"));
            w.write(b"ping\n").unwrap();
            assert_eq!(&soon(r.read_line()).await.unwrap()[..], b"ping\n");
        }
        // Without it, the host connected to is checked, and is not named.
        for host in ["127.0.0.1", "localhost"] {
            let err = ConnectOptions::new().tls(tls.clone()).connect(host, port).await.unwrap_err();
            assert!(err.to_string().contains("does not name this host"), "{host}: {err}");
        }
        // Connecting by address list uses it too.
        let addrs = [std::net::SocketAddr::from(([127, 0, 0, 1], port))];
        let r = ConnectOptions::new()
            .tls(tls)
            .server_hostname("service.internal")
            .connect_addrs(&addrs)
            .await;
        assert!(r.is_ok(), "{:?}", r.err());
    }
}

e2e! {
    async fn tls_invalid_server_hostname_is_refused_before_connecting() {
        let p = pki();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        for name in ["", "bad name!"] {
            let err = ConnectOptions::new()
                .tls(p.client())
                .server_hostname(name)
                .connect("127.0.0.1", port)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{name:?}: {err}");
            let msg = err.to_string();
            assert!(msg.contains("server_hostname") && msg.contains("DNS name"), "{msg}");
        }
        // A name without TLS would be ignored: refused, as asyncio does.
        let err = ConnectOptions::new()
            .server_hostname("localhost")
            .connect("127.0.0.1", port)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(err.to_string().contains("only meaningful with tls"), "{err}");
        // TLS over a Unix socket has no host name to check.
        #[cfg(unix)]
        {
            let err = ConnectOptions::new()
                .tls(p.client())
                .connect_unix("/nonexistent/weir.sock")
                .await
                .unwrap_err();
            assert!(err.to_string().contains("needs server_hostname"), "{err}");
        }
        // None of them opened a connection.
        let accepted = l.accept();
        assert!(
            matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "{accepted:?}"
        );
    }
}

e2e! {
    async fn starttls_with_an_invalid_name_leaves_the_connection_as_it_was() {
        let p = pki();
        let (r, w, mut raw) = super::with_raw_peer().await;
        let err = w.start_tls(&p.client(), "bad name!").await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(w.extra_info().tls.is_none());
        w.write(b"still plain\n").unwrap();
        w.drain().await.unwrap();
        let got = in_thread(move || {
            let mut buf = [0u8; 12];
            raw.read_exact(&mut buf).unwrap();
            raw.write_all(b"yes\n").unwrap();
            buf
        })
        .await;
        assert_eq!(&got, b"still plain\n");
        assert_eq!(&soon(r.read_line()).await.unwrap()[..], b"yes\n");
    }
}

e2e! {
    async fn tls_wrong_hostname_and_untrusted_ca_fail_clearly() {
        let p = pki();
        let (_server, port) = tls_echo_server(&p).await;
        let err = ConnectOptions::new()
            .tls(p.client())
            .server_hostname("not-this-host.example")
            .connect("127.0.0.1", port)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("does not name this host"), "{err}");
        let other = pki();
        let err = ConnectOptions::new()
            .tls(other.client())
            .connect("localhost", port)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not trusted"), "{err}");
    }
}

e2e! {
    async fn tls_handshake_timeout_against_a_silent_peer() {
        let p = pki();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let keep = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            std::thread::sleep(Duration::from_secs(2));
            drop(s);
        });
        let client = p.client().handshake_timeout(Duration::from_millis(200));
        let want = TlsTimeouts { handshake: Duration::from_millis(200), ..TlsTimeouts::default() };
        assert_eq!(client.timeouts(), want);
        let err = ConnectOptions::new()
            .tls(client)
            .connect("localhost", port)
            .await
            .unwrap_err();
        assert_eq!(err.io_kind(), std::io::ErrorKind::TimedOut, "{err}");
        in_thread(move || keep.join().unwrap()).await;
    }
}

e2e! {
    async fn tls_plaintext_peer_fails_cleanly_and_the_server_goes_on() {
        let p = pki();
        let (_server, port) = tls_echo_server(&p).await;
        // A plaintext client on the TLS port: that connection is closed...
        let got = in_thread(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
            let mut v = Vec::new();
            let _ = s.read_to_end(&mut v);
            v
        })
        .await;
        assert!(!got.starts_with(b"GET"), "plaintext must not be echoed");
        // ...and a TLS client is still served.
        let (r, w) = ConnectOptions::new().tls(p.client()).connect("localhost", port).await.unwrap();
        w.write(b"still here\n").unwrap();
        assert_eq!(&soon(r.read_line()).await.unwrap()[..], b"still here\n");
        // And a TLS client against a plaintext server fails, not hangs.
        let (_plain, plain_addr) = super::echo_server().await;
        let err = ConnectOptions::new()
            .tls(p.client().handshake_timeout(Duration::from_secs(5)))
            .connect("localhost", plain_addr.port())
            .await
            .unwrap_err();
        assert!(
            matches!(err.io_kind(), std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof),
            "{err}"
        );
    }
}

/// A STARTTLS server: `STARTTLS\r\n` upgrades (with a `220` first when
/// `answer` is set), then each line comes back as `250 <line>`.
fn starttls_handler(
    tls: ServerTls,
    answer: bool,
    read_ahead: Arc<AtomicUsize>,
) -> impl Fn(
    StreamReader,
    StreamWriter,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
       + Send
       + Sync
       + 'static {
    move |r: StreamReader, w: StreamWriter| {
        let tls = tls.clone();
        let read_ahead = read_ahead.clone();
        Box::pin(async move {
            let Ok(line) = r.read_line().await else {
                return;
            };
            assert_eq!(&line[..], b"STARTTLS\r\n");
            read_ahead.store(r.buffered(), Ordering::SeqCst);
            if answer {
                w.write(b"220 go ahead\r\n").unwrap();
            }
            if let Err(e) = w.start_tls_server(&tls).await {
                panic!("server start_tls: {e}");
            }
            while let Ok(line) = r.read_line().await {
                if line.is_empty() {
                    break;
                }
                let mut out = b"250 ".to_vec();
                out.extend_from_slice(&line);
                if w.write(&out).is_err() {
                    break;
                }
            }
            w.close();
            let _ = w.wait_closed().await;
        })
    }
}

e2e! {
    async fn starttls_client_hello_in_the_same_write_as_the_command() {
        let p = pki();
        let read_ahead = Arc::new(AtomicUsize::new(0));
        let server = backend::start_server(starttls_handler(p.server(), false, read_ahead.clone()), "127.0.0.1", 0)
            .await
            .unwrap();
        let port = server.local_addrs()[0].port();
        let ca = p.ca();
        let reply = in_thread(move || {
            let mut roots = rustls::RootCertStore::empty();
            use rustls::pki_types::pem::PemObject;
            for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots.add(c.unwrap()).unwrap();
            }
            let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
            let mut conn = rustls::ClientConnection::new(
                Arc::new(cfg),
                "localhost".try_into().unwrap(),
            )
            .unwrap();
            let mut first = b"STARTTLS\r\n".to_vec();
            conn.write_tls(&mut first).unwrap(); // the ClientHello
            let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            sock.write_all(&first).unwrap(); // command and hello in one write
            let mut tls = rustls::StreamOwned::new(conn, sock);
            tls.write_all(b"EHLO secure\r\n").unwrap();
            let mut buf = [0u8; 64];
            let n = tls.read(&mut buf).unwrap();
            buf[..n].to_vec()
        })
        .await;
        assert_eq!(&reply[..], b"250 EHLO secure\r\n");
        assert!(
            read_ahead.load(Ordering::SeqCst) > 0,
            "the ClientHello must have been read ahead with the command and handed to TLS"
        );
    }
}

e2e! {
    async fn starttls_weir_to_weir_both_sides() {
        let p = pki();
        let server = backend::start_server(starttls_handler(p.server(), true, Arc::default()), "127.0.0.1", 0)
            .await
            .unwrap();
        let port = server.local_addrs()[0].port();
        let (r, w) = backend::open_connection("127.0.0.1", port).await.unwrap();
        assert!(w.extra_info().tls.is_none());
        w.write(b"STARTTLS\r\n").unwrap();
        assert_eq!(&soon(r.read_line()).await.unwrap()[..], b"220 go ahead\r\n");
        w.start_tls(&p.client(), "localhost").await.expect("client start_tls");
        assert!(w.extra_info().tls.is_some(), "extra_info follows the new transport");
        w.write(b"PING\r\n").unwrap();
        assert_eq!(&soon(r.read_line()).await.unwrap()[..], b"250 PING\r\n");
        w.write_eof().unwrap();
        assert_eq!(&soon(r.read_line()).await.unwrap()[..], b"", "server closed after our EOF");
    }
}

e2e! {
    async fn tls13_write_eof_half_closes_and_the_peer_still_answers() {
        let p = pki();
        let server = ServerOptions::new()
            .tls(p.server())
            .start(
                |r: StreamReader, w: StreamWriter| async move {
                    let all = r.read_to_end().await.unwrap();
                    w.write(format!("got {} bytes", all.len())).unwrap();
                    w.close();
                    let _ = w.wait_closed().await;
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
        let port = server.local_addrs()[0].port();
        let (r, w) = ConnectOptions::new().tls(p.client()).connect("localhost", port).await.unwrap();
        w.write(vec![b'x'; 100_000]).unwrap();
        w.write_eof().unwrap();
        assert_eq!(&soon(r.read_to_end()).await.unwrap()[..], b"got 100000 bytes");
    }
}

e2e! {
    async fn tls_peer_closing_without_close_notify_is_truncation() {
        let p = pki();
        let seen: Arc<Mutex<Option<ReadResult>>> = Arc::default();
        let out = seen.clone();
        let server = ServerOptions::new()
            .tls(p.server())
            .start(
                move |r: StreamReader, _w: StreamWriter| {
                    let out = out.clone();
                    async move {
                        let res = r.read_to_end().await.map(|b| b.to_vec());
                        *out.lock().unwrap() = Some(res);
                    }
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
        let port = server.local_addrs()[0].port();
        let ca = p.ca();
        // Keep the client's socket open until the server has answered:
        // closing it with unread data (session tickets) would send a reset.
        let client = in_thread(move || {
            let tls = ClientTls::from_ca_pem(ca.as_bytes()).unwrap();
            let mut conn = rustls::ClientConnection::new(
                tls.config().clone(),
                "localhost".try_into().unwrap(),
            )
            .unwrap();
            let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            while conn.is_handshaking() {
                conn.complete_io(&mut sock).unwrap();
            }
            conn.writer().write_all(b"cut short").unwrap();
            while conn.wants_write() {
                conn.write_tls(&mut sock).unwrap();
            }
            // FIN with no close_notify before it.
            sock.shutdown(std::net::Shutdown::Write).unwrap();
            sock
        })
        .await;
        let res = soon(async {
            loop {
                if let Some(r) = seen.lock().unwrap().take() {
                    break r;
                }
                backend::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        drop(client);
        let err = res.expect_err("truncation must be an error, not a clean EOF");
        assert_eq!(err.io_kind(), std::io::ErrorKind::UnexpectedEof, "{err}");
        assert!(err.to_string().contains("truncation"), "{err}");
    }
}

/// Runs a python3 script with `args`, returning its stdout; fails the test
/// with stderr if it fails.
fn python(script: &str, args: &[String]) -> Vec<u8> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("python3 is needed for the CPython interop tests: install python3");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const PY_TLS_CLIENT: &str = r#"
import asyncio, ssl, sys
async def main(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    r, w = await asyncio.open_connection("localhost", port, ssl=ctx)
    payload = bytes(range(256)) * 40 + b"\n"
    w.write(payload)
    await w.drain()
    back = await r.readexactly(len(payload))
    assert back == payload, "echo mismatch"
    sys.stdout.write("ok %d" % len(back))
    w.close()
    await w.wait_closed()
asyncio.run(asyncio.wait_for(main(int(sys.argv[1]), sys.argv[2]), 20))
"#;

e2e! {
    async fn cpython_tls_client_against_weir_tls_server() {
        let p = pki();
        let dir = p.files();
        let (_server, port) = tls_echo_server(&p).await;
        let args = vec![port.to_string(), dir.join("ca.pem").display().to_string()];
        let out = in_thread(move || python(PY_TLS_CLIENT, &args)).await;
        assert_eq!(String::from_utf8_lossy(&out), "ok 10241");
    }
}

const PY_TLS_SERVER: &str = r#"
import asyncio, ssl, sys
async def handle(r, w):
    data = await r.readuntil(b"END\n")
    w.write(b"echo:" + data)
    await w.drain()
    w.close()
async def main(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(15)
asyncio.run(main(sys.argv[1], sys.argv[2]))
"#;

e2e! {
    async fn weir_tls_client_against_cpython_tls_server() {
        let p = pki();
        let dir = p.files();
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(PY_TLS_SERVER)
            .arg(dir.join("cert.pem"))
            .arg(dir.join("key.pem"))
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 is needed for the CPython interop tests: install python3");
        let mut stdout = child.stdout.take().unwrap();
        let port: u16 = in_thread(move || {
            let mut line = Vec::new();
            let mut b = [0u8; 1];
            while stdout.read(&mut b).unwrap() == 1 && b[0] != b'\n' {
                line.push(b[0]);
            }
            String::from_utf8(line).unwrap().trim().parse().unwrap()
        })
        .await;
        let (r, w) = ConnectOptions::new()
            .tls(ClientTls::from_ca_file(dir.join("ca.pem")).unwrap())
            .connect("localhost", port)
            .await
            .unwrap();
        let mut msg = super::pattern(5000);
        msg.retain(|&b| b != b'E');
        msg.extend_from_slice(b"END\n");
        w.write(&msg).unwrap();
        let back = soon(r.read_to_end()).await;
        let _ = child.kill();
        let _ = child.wait();
        let back = back.expect("CPython closes with close_notify: a clean EOF");
        let mut expect = b"echo:".to_vec();
        expect.extend_from_slice(&msg);
        assert_eq!(&back[..], &expect[..]);
    }
}

// ----- issue 12: closing bounded by shutdown_timeout; handshakes owned by the server

/// How long closing may take in the shutdown_timeout tests.
const SHUTDOWN: Duration = Duration::from_millis(300);
/// What those tests queue to a peer that does not read.
const QUEUED: usize = 4 << 20;

/// A blocking TCP socket with a small receive buffer (so a peer that stops
/// reading stops its sender soon), connected to `port`.
fn small_window_connect(port: u16) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.set_recv_buffer_size(16 * 1024).unwrap();
    s.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())
        .unwrap();
    s.into()
}

/// Reads `s` until EOF or an error (not a timeout): true if the peer closed.
fn sees_closed(mut s: TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    }
}

/// A TLS handshake from a blocking socket, then nothing read.
fn raw_tls_client(ca: &str, sock: &mut TcpStream) -> rustls::ClientConnection {
    let tls = ClientTls::from_ca_pem(ca.as_bytes()).unwrap();
    let mut conn =
        rustls::ClientConnection::new(tls.config().clone(), "localhost".try_into().unwrap())
            .unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    while conn.is_handshaking() {
        conn.complete_io(sock).unwrap();
    }
    conn
}

e2e! {
    async fn tls_server_close_clients_is_bounded_by_shutdown_timeout() {
        let p = pki();
        let server = ServerOptions::new()
            .tls(p.server().shutdown_timeout(SHUTDOWN))
            .start(
                |r: StreamReader, w: StreamWriter| async move {
                    w.write(vec![b'x'; QUEUED]).unwrap();
                    let _ = w.wait_closed().await;
                    drop(r);
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
        let port = server.local_addrs()[0].port();
        let ca = p.ca();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let peer = std::thread::spawn(move || {
            let mut sock = small_window_connect(port);
            let _conn = raw_tls_client(&ca, &mut sock);
            // Hold the connection without reading until told.
            let _ = rx.recv_timeout(Duration::from_secs(15));
            sees_closed(sock)
        });
        soon(async {
            while server.connection_count() == 0 {
                backend::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        backend::sleep(Duration::from_millis(200)).await; // the queue is stuck now
        server.close();
        server.close_clients();
        let t0 = std::time::Instant::now();
        let done = backend::timeout(Duration::from_secs(5), server.wait_closed()).await;
        let took = t0.elapsed();
        tx.send(()).unwrap();
        assert!(
            done.is_some(),
            "wait_closed did not finish within 5 s with shutdown_timeout {SHUTDOWN:?} on {}",
            backend::NAME
        );
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert_eq!(server.connection_count(), 0);
        assert!(in_thread(move || peer.join().unwrap()).await, "the peer must see the connection closed");
    }
}

e2e! {
    async fn tls_client_close_is_bounded_by_shutdown_timeout() {
        use rustls::pki_types::pem::PemObject;
        let p = pki();
        let certs = rustls::pki_types::CertificateDer::pem_slice_iter(p.0.chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(p.0.key_pem.as_bytes()).unwrap();
        let cfg = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
        );
        // A TLS server that handshakes, then never reads (small window).
        let l = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        l.set_recv_buffer_size(16 * 1024).unwrap();
        l.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into()).unwrap();
        l.listen(8).unwrap();
        let l: TcpListener = l.into();
        let port = l.local_addr().unwrap().port();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let peer = std::thread::spawn(move || {
            let (mut sock, _) = l.accept().unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut conn = rustls::ServerConnection::new(cfg).unwrap();
            while conn.is_handshaking() {
                conn.complete_io(&mut sock).unwrap();
            }
            while conn.wants_write() {
                conn.write_tls(&mut sock).unwrap();
            }
            let _ = rx.recv_timeout(Duration::from_secs(15));
            sees_closed(sock)
        });
        let (_r, w) = ConnectOptions::new()
            .tls(p.client().shutdown_timeout(SHUTDOWN))
            .connect("localhost", port)
            .await
            .unwrap();
        w.write(vec![b'x'; QUEUED]).unwrap();
        backend::sleep(Duration::from_millis(200)).await;
        w.close();
        let t0 = std::time::Instant::now();
        let done = backend::timeout(Duration::from_secs(5), w.wait_closed()).await;
        let took = t0.elapsed();
        tx.send(()).unwrap();
        let res = done.unwrap_or_else(|| {
            panic!("wait_closed did not finish within 5 s with shutdown_timeout {SHUTDOWN:?} on {}", backend::NAME)
        });
        let err = res.expect_err("4 MB could not have been sent: closing must time out");
        assert_eq!(err.io_kind(), std::io::ErrorKind::TimedOut, "{err}");
        assert!(err.to_string().contains("shutdown_timeout"), "{err}");
        assert!(took < Duration::from_secs(3), "took {took:?}");
        assert!(in_thread(move || peer.join().unwrap()).await, "the peer must see the connection closed");
    }
}

/// A TLS server with a long handshake timeout, and `n` raw TCP clients that
/// connect and send nothing (stalled handshakes), once the server counts them.
async fn stalled_handshakes(p: &Pki, n: usize) -> (crate::backend::Server, Vec<TcpStream>) {
    let server = ServerOptions::new()
        .tls(p.server().handshake_timeout(Duration::from_secs(60)))
        .start(echo, "127.0.0.1", 0)
        .await
        .unwrap();
    let port = server.local_addrs()[0].port();
    let clients: Vec<TcpStream> = (0..n)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let counted = backend::timeout(Duration::from_secs(5), async {
        while server.connection_count() < n {
            backend::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(
        counted.is_some(),
        "the server counts {} of {n} handshaking connections",
        server.connection_count()
    );
    (server, clients)
}

e2e! {
    async fn tls_handshaking_connections_are_closed_by_close_clients() {
        let p = pki();
        let (server, clients) = stalled_handshakes(&p, 20).await;
        server.close();
        assert!(
            super::still_pending(server.wait_closed()).await,
            "wait_closed must wait for the handshaking connections"
        );
        server.close_clients();
        assert!(backend::timeout(Duration::from_secs(5), server.wait_closed()).await.is_some());
        assert_eq!(server.connection_count(), 0);
        let closed = in_thread(move || clients.into_iter().map(sees_closed).filter(|&c| c).count()).await;
        assert_eq!(closed, 20, "every stalled client must see its connection closed");
    }
}

e2e! {
    async fn tls_handshaking_connections_are_reset_by_abort_clients() {
        let p = pki();
        let (server, clients) = stalled_handshakes(&p, 20).await;
        server.close();
        server.abort_clients();
        assert!(backend::timeout(Duration::from_secs(5), server.wait_closed()).await.is_some());
        let kinds = in_thread(move || {
            clients
                .into_iter()
                .map(|mut s| {
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    match s.read(&mut [0u8; 16]) {
                        Ok(n) => format!("read {n}"),
                        Err(e) => format!("{:?}", e.kind()),
                    }
                })
                .collect::<Vec<_>>()
        })
        .await;
        assert!(kinds.iter().all(|k| k == "ConnectionReset"), "{kinds:?}");
    }
}
