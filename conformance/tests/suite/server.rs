//! Servers, connections, and bad input.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::backend::Error;

use super::*;

/// Connects, sends a line, returns the echoed line.
async fn ping(addr: SocketAddr) -> Vec<u8> {
    let (r, w) = backend::open_connection("127.0.0.1", addr.port())
        .await
        .unwrap();
    w.write(b"ping\n").unwrap();
    let line = soon(r.read_line()).await.unwrap();
    w.close();
    line.to_vec()
}

e2e! {
    async fn echo_server_serves_many_clients() {
        let (server, addr) = echo_server().await;
        assert!(server.is_serving());
        assert_eq!(server.local_addrs().len(), 1);
        let mut tasks = Vec::new();
        for i in 0..20 {
            tasks.push(async move {
                let (r, w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
                let msg = format!("client {i}\n");
                w.write(msg.as_bytes()).unwrap();
                let got = soon(r.read_line()).await.unwrap();
                assert_eq!(got, msg.as_bytes());
                w.close();
                soon(w.wait_closed()).await.unwrap();
            });
        }
        for t in tasks {
            t.await;
        }
    }
}

e2e! {
    async fn start_serving_later() {
        let server = backend::ServerOptions::new()
            .start_serving(false)
            .start(echo, "127.0.0.1", 0)
            .await
            .unwrap();
        assert!(!server.is_serving());
        let addr = server.local_addrs()[0];
        let (r, w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
        w.write(b"early\n").unwrap();
        assert!(still_pending(r.read_line()).await, "not serving yet");
        server.start_serving();
        assert!(server.is_serving());
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"early\n"[..]);
    }
}

e2e! {
    async fn serve_forever_returns_when_closed() {
        let (server, addr) = echo_server().await;
        let server = Arc::new(server);
        let s2 = server.clone();
        backend::spawn(async move {
            backend::sleep(Duration::from_millis(50)).await;
            s2.close();
        });
        soon(server.serve_forever()).await.unwrap();
        assert!(!server.is_serving());
        assert!(server.serve_forever().await.is_err(), "a closed server cannot serve");
        let refused = backend::open_connection("127.0.0.1", addr.port()).await;
        assert!(refused.is_err(), "the listener is closed");
        // Cancelling serve_forever closes the server, as in asyncio.
        let (server, _addr) = echo_server().await;
        assert!(still_pending(server.serve_forever()).await);
        assert!(!server.is_serving());
    }
}

e2e! {
    async fn wait_closed_waits_for_connected_clients() {
        let (server, addr) = echo_server().await;
        let (r, w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
        w.write(b"hi\n").unwrap();
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"hi\n"[..]);
        assert_eq!(server.connection_count(), 1);
        server.close();
        assert!(still_pending(server.wait_closed()).await, "a client is connected");
        assert!(server
            .wait_closed_timeout(Duration::from_millis(50))
            .await
            .is_err());
        // The client leaves: the handler sees EOF, closes, and the server is done.
        w.close();
        soon(server.wait_closed()).await;
        assert_eq!(server.connection_count(), 0);
    }
}

e2e! {
    async fn close_clients_closes_idle_connections() {
        let idle = |_r: StreamReader, w: StreamWriter| async move {
            // Keep the connection open, doing nothing.
            let _keep = w;
            backend::sleep(Duration::from_secs(60)).await;
        };
        let server = backend::start_server(idle, "127.0.0.1", 0).await.unwrap();
        let addr = server.local_addrs()[0];
        let (r, _w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
        while server.connection_count() == 0 {
            backend::sleep(Duration::from_millis(5)).await;
        }
        server.close();
        server.close_clients();
        soon(server.wait_closed()).await;
        assert!(soon(r.read_to_end()).await.unwrap().is_empty(), "the client sees EOF");
    }
}

e2e! {
    async fn abort_clients_resets_connections() {
        let stuck = |_r: StreamReader, w: StreamWriter| async move {
            let _ = w.write(vec![0u8; 4 << 20]);
            backend::sleep(Duration::from_secs(60)).await;
        };
        let server = backend::start_server(stuck, "127.0.0.1", 0).await.unwrap();
        let addr = server.local_addrs()[0];
        let peer = TcpStream::connect(addr).unwrap();
        while server.connection_count() == 0 {
            backend::sleep(Duration::from_millis(5)).await;
        }
        server.close();
        server.abort_clients();
        soon(server.wait_closed()).await;
        peer.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let got = in_thread(move || {
            let mut v = Vec::new();
            let r = std::io::Read::read_to_end(&mut &peer, &mut v);
            (r.is_err(), v.len())
        })
        .await;
        assert!(got.0 || got.1 < 4 << 20, "aborted: not every byte arrives");
    }
}

e2e! {
    async fn a_panicking_handler_is_contained() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let server = backend::start_server(
            move |r, w| {
                let first = c.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    if first {
                        panic!("handler bug (expected by the test)");
                    }
                    echo(r, w).await
                }
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let addr = server.local_addrs()[0];
        let (r, _w) = backend::open_connection("127.0.0.1", addr.port()).await.unwrap();
        assert!(soon(r.read_to_end()).await.unwrap().is_empty(), "the panicking handler's client sees EOF");
        assert_eq!(ping(addr).await, b"ping\n");
        assert!(server.is_serving());
    }
}

e2e! {
    async fn dropping_the_server_closes_it() {
        let (server, addr) = echo_server().await;
        drop(server);
        backend::sleep(Duration::from_millis(20)).await;
        assert!(backend::open_connection("127.0.0.1", addr.port()).await.is_err());
    }
}

e2e! {
    async fn adopted_listener_and_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let _server = backend::ServerOptions::new().start_with_listener(echo, l).unwrap();
        let sock = TcpStream::connect(addr).unwrap();
        let (r, w) = backend::ConnectOptions::new().sock(sock).unwrap();
        w.write(b"adopted\n").unwrap();
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"adopted\n"[..]);
    }
}

e2e! {
    async fn local_addr_option_binds_the_client() {
        let (_server, addr) = echo_server().await;
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let local = probe.local_addr().unwrap();
        drop(probe);
        let (r, w) = backend::ConnectOptions::new()
            .local_addr(local)
            .family(backend::Family::V4)
            .connect("127.0.0.1", addr.port())
            .await
            .unwrap();
        assert_eq!(w.extra_info().local_addr, Some(local));
        w.write(b"x\n").unwrap();
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"x\n"[..]);
    }
}

e2e! {
    /// CPython's `test_start_server_1`: `server.sockets` is empty after close.
    async fn a_closed_server_lists_no_address() {
        let (server, _addr) = echo_server().await;
        assert_eq!(server.local_info().len(), 1);
        server.close();
        assert!(server.local_addrs().is_empty());
        assert!(server.local_info().is_empty());
        soon(server.wait_closed()).await;
        assert!(server.local_addrs().is_empty());
    }
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "weir-{}-{tag}-{}",
        backend::NAME,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

e2e! {
    async fn unix_server_and_connection() {
        let dir = temp_dir("unix");
        let path = dir.join("echo.sock");
        let server = backend::start_unix_server(echo, &path).await.unwrap();
        let (r, w) = backend::open_unix_connection(&path).await.unwrap();
        assert_eq!(w.extra_info().peer_path.as_deref(), Some(path.as_path()));
        w.write(b"over unix\n").unwrap();
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"over unix\n"[..]);
        w.write_eof().unwrap();
        assert!(soon(r.read_to_end()).await.unwrap().is_empty());
        server.close();
        soon(server.wait_closed()).await;
        assert!(!path.exists(), "the socket file is removed on close");
        // A stale socket file is replaced, as asyncio does.
        let stale = std::os::unix::net::UnixListener::bind(&path).unwrap();
        drop(stale);
        let again = backend::start_unix_server(echo, &path).await.unwrap();
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

e2e! {
    /// CPython's `test_start_unix_server_1`: no socket listed after close.
    async fn a_closed_unix_server_lists_no_path() {
        let dir = temp_dir("unix-info");
        let path = dir.join("s.sock");
        let server = backend::start_unix_server(echo, &path).await.unwrap();
        assert_eq!(server.local_info().len(), 1);
        assert_eq!(server.local_info()[0].local_path.as_deref(), Some(path.as_path()));
        server.close();
        assert!(server.local_info().is_empty());
        soon(server.wait_closed()).await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

e2e! {
    /// CPython's `test_unix_server_cleanup_replaced`: closing removes only
    /// the socket file the server created, not one bound there since.
    async fn unix_server_close_keeps_a_replaced_socket_file() {
        let dir = temp_dir("unix-replaced");
        let path = dir.join("s.sock");
        let server = backend::start_unix_server(echo, &path).await.unwrap();
        std::fs::remove_file(&path).unwrap();
        let other = std::os::unix::net::UnixListener::bind(&path).unwrap();
        server.close();
        soon(server.wait_closed()).await;
        assert!(path.exists(), "another listener's socket file is kept");
        // It still works for its owner.
        let c = std::os::unix::net::UnixStream::connect(&path);
        assert!(c.is_ok(), "connect to the other listener: {c:?}");
        drop(other);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

e2e! {
    async fn bad_input_gives_clear_errors() {
        // Unknown host.
        let e = backend::open_connection("no-such-host.invalid", 80).await.unwrap_err();
        assert!(e.to_string().contains("no-such-host.invalid"), "{e}");
        // Refused connection.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let e = backend::open_connection("127.0.0.1", port).await.unwrap_err();
        assert_eq!(e.io_kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
        assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
        // Invalid limits.
        let e = backend::ConnectOptions::new().limit(0).connect("127.0.0.1", port).await.unwrap_err();
        assert!(matches!(e, Error::InvalidLimit), "{e}");
        let e = backend::ServerOptions::new().limit(0).start(echo, "127.0.0.1", 0).await.unwrap_err();
        assert!(matches!(e, Error::InvalidLimit), "{e}");
        // Port in use.
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let e = backend::start_server(echo, "127.0.0.1", port).await.unwrap_err();
        assert_eq!(e.io_kind(), std::io::ErrorKind::AddrInUse, "{e}");
        assert!(e.to_string().contains(&format!("bind 127.0.0.1:{port}")), "{e}");
        // Paths that are not sockets.
        let dir = temp_dir("bad");
        let file = dir.join("plain-file");
        std::fs::write(&file, b"not a socket").unwrap();
        let e = backend::open_unix_connection(&file).await.unwrap_err();
        assert!(e.to_string().contains("plain-file"), "{e}");
        let e = backend::start_unix_server(echo, &file).await.unwrap_err();
        assert!(e.to_string().contains("plain-file"), "{e}");
        assert!(file.exists(), "a regular file is never removed");
        let e = backend::open_unix_connection(dir.join("missing")).await.unwrap_err();
        assert_eq!(e.io_kind(), std::io::ErrorKind::NotFound, "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The environment variable that makes the fd-limit test run its body
/// (in a child process, because the limit applies to the whole process).
const FD_CHILD: &str = "WEIR_SUITE_FD_LIMIT_CHILD";

#[test]
fn accept_errors_do_not_stop_the_server() {
    assert!(
        std::process::Command::new("prlimit")
            .arg("--version")
            .output()
            .is_ok(),
        "accept_errors_do_not_stop_the_server needs prlimit(1): apt-get install util-linux"
    );
    if std::env::var_os(FD_CHILD).is_some() {
        backend::block_on(async {
            backend::timeout(TEST_TIMEOUT, fd_limit_body())
                .await
                .expect("timed out");
        });
        return;
    }
    let name = format!(
        "{}::accept_errors_do_not_stop_the_server",
        module_path!()
            .split_once("::")
            .map(|(_, rest)| rest)
            .unwrap()
    );
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--test-threads=1", "--nocapture"])
        .env(FD_CHILD, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + TEST_TIMEOUT + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                status.success(),
                "child failed: {}\n{}",
                stdout,
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                stdout.contains("1 passed"),
                "the child ran nothing: {stdout}"
            );
            return;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the fd-limit child hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn fd_limit_body() {
    let server = backend::ServerOptions::new()
        .start_serving(false)
        .start(echo, "127.0.0.1", 0)
        .await
        .unwrap();
    let addr = server.local_addrs()[0];
    // Clients wait in the accept queue.
    let clients: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
    // The workspace forbids `unsafe`, so the limit is changed with
    // prlimit(1). The restore is scheduled now, while descriptors remain:
    // spawning a process needs some.
    let (soft, hard) = nofile_limit();
    let max_fd = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap();
    let pid = std::process::id();
    let mut restore = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "sleep 1; prlimit --pid={pid} --nofile={soft}:{hard}"
        ))
        .spawn()
        .unwrap();
    let lowered = std::process::Command::new("prlimit")
        .arg(format!("--pid={pid}"))
        .arg(format!("--nofile={}:{hard}", max_fd + 8))
        .status()
        .unwrap();
    assert!(lowered.success());
    // Fill every free descriptor below the limit: from here on, every
    // accept fails with EMFILE.
    let mut fillers = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        fillers.push(f);
    }
    server.start_serving();
    backend::sleep(Duration::from_millis(400)).await;
    assert!(
        server.is_serving(),
        "accept errors must not stop the server"
    );
    assert_eq!(server.connection_count(), 0, "no descriptor, no connection");
    // The limit comes back up: the waiting clients are served.
    while restore.try_wait().unwrap().is_none() {
        backend::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(nofile_limit(), (soft, hard));
    for c in clients {
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let got = in_thread(move || {
            send(&c, b"still serving\n");
            let mut buf = [0u8; 14];
            std::io::Read::read_exact(&mut &c, &mut buf).unwrap();
            buf
        })
        .await;
        assert_eq!(&got, b"still serving\n");
    }
    drop(fillers);
}

/// This process's `RLIMIT_NOFILE` (soft, hard), from /proc.
fn nofile_limit() -> (String, String) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let w: Vec<&str> = line.split_whitespace().collect();
    (w[3].to_string(), w[4].to_string())
}

/// A loopback address that never answers: a listener with a full accept
/// queue that is never accepted from (the kernel drops further SYNs).
fn black_hole(ip: &str) -> (socket2::Socket, Vec<TcpStream>, SocketAddr) {
    let at: SocketAddr = format!("{ip}:0").parse().unwrap();
    let s = socket2::Socket::new(
        socket2::Domain::for_address(at),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    s.bind(&at.into()).unwrap();
    s.listen(0).unwrap();
    let addr = s.local_addr().unwrap().as_socket().unwrap();
    let mut fill = Vec::new();
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(c) => fill.push(c),
            Err(_) => return (s, fill, addr),
        }
    }
    panic!("the accept queue of a backlog-0 listener never filled");
}

e2e! {
    async fn happy_eyeballs_connects_through_the_second_address() {
        let (_hole, _fill, dead) = black_hole("127.0.0.1");
        let (_server, live) = echo_server().await;
        // Without racing, the first address would hold the connect for minutes.
        let delay = Duration::from_millis(100);
        let t0 = std::time::Instant::now();
        let (r, w) = soon(
            backend::ConnectOptions::new()
                .happy_eyeballs_delay(delay)
                .connect_addrs(&[dead, live]),
        )
        .await
        .unwrap();
        let took = t0.elapsed();
        assert!(took >= delay, "the second attempt waits for the delay ({took:?})");
        assert_eq!(w.extra_info().peer_addr, Some(live));
        w.write(b"through the second\n").unwrap();
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"through the second\n"[..]);
        // Sequentially, the same list is stuck on the first address.
        assert!(still_pending(backend::ConnectOptions::new().connect_addrs(&[dead, live])).await);
    }
}

e2e! {
    async fn interleave_alternates_families() {
        // Two IPv6 addresses that never answer, then an IPv4 one that does:
        // interleaved (v6, v4, v6), the IPv4 address is the second attempt.
        let (_h1, _f1, dead1) = black_hole("[::1]");
        let (_h2, _f2, dead2) = black_hole("[::1]");
        let (_server, live) = echo_server().await;
        let delay = Duration::from_millis(300);
        let t0 = std::time::Instant::now();
        let (_r, w) = soon(
            backend::ConnectOptions::new()
                .happy_eyeballs_delay(delay)
                .interleave(1)
                .connect_addrs(&[dead1, dead2, live]),
        )
        .await
        .unwrap();
        assert_eq!(w.extra_info().peer_addr, Some(live));
        assert!(t0.elapsed() < delay * 2, "the IPv4 address went second, not third");
    }
}

e2e! {
    async fn server_socket_options() {
        // reuse_port: two servers share one port.
        let a = backend::ServerOptions::new()
            .reuse_port(true)
            .backlog(16)
            .start(echo, "127.0.0.1", 0)
            .await
            .unwrap();
        let port = a.local_addrs()[0].port();
        let b = backend::ServerOptions::new()
            .reuse_port(true)
            .start(echo, "127.0.0.1", port)
            .await
            .unwrap();
        assert_eq!(b.local_addrs()[0].port(), port);
        drop((a, b));
        // reuse_address(false) still binds a fresh port.
        let c = backend::ServerOptions::new()
            .reuse_address(false)
            .start(echo, "127.0.0.1", 0)
            .await
            .unwrap();
        drop(c);
        // Families: IPv6 loopback served and reached; a family filter that
        // leaves nothing is a clear error.
        let v6 = backend::ServerOptions::new()
            .family(backend::Family::V6)
            .start(echo, "::1", 0)
            .await
            .unwrap();
        let addr = v6.local_addrs()[0];
        assert!(addr.is_ipv6());
        let (r, w) = backend::ConnectOptions::new()
            .family(backend::Family::V6)
            .connect("::1", addr.port())
            .await
            .unwrap();
        w.write(b"six\n").unwrap();
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"six\n"[..]);
        let e = backend::ServerOptions::new()
            .family(backend::Family::V4)
            .start(echo, "::1", 0)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        let e = backend::ConnectOptions::new()
            .family(backend::Family::V4)
            .connect("::1", addr.port())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("family"), "{e}");
    }
}

e2e! {
    async fn names_resolve_and_unix_sockets_are_adopted() {
        // A name goes through the runtime's resolver, for servers and clients.
        let server = backend::ServerOptions::new()
            .family(backend::Family::V4)
            .start(echo, "localhost", 0)
            .await
            .unwrap();
        let addr = server.local_addrs()[0];
        assert!(addr.ip().is_loopback(), "{addr}");
        let (r, w) = backend::ConnectOptions::new()
            .family(backend::Family::V4)
            .connect("localhost", addr.port())
            .await
            .unwrap();
        w.write(b"by name\n").unwrap();
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"by name\n"[..]);
        // One end of a Unix socket pair, adopted (asyncio's `sock=`).
        let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let (r, w) = backend::ConnectOptions::new().unix_sock(ours).unwrap();
        theirs.write_all(b"adopted\n").unwrap();
        assert_eq!(soon(r.read_line()).await.unwrap(), &b"adopted\n"[..]);
        w.write(b"back\n").unwrap();
        w.write_eof().unwrap();
        let got = soon(in_thread(move || {
            let mut got = Vec::new();
            theirs.read_to_end(&mut got).unwrap();
            got
        }))
        .await;
        assert_eq!(got, b"back\n", "then EOF: write_eof half-closes");
        w.close();
        soon(w.wait_closed()).await.unwrap();
    }
}

e2e! {
    async fn a_peer_reset_while_the_handler_sleeps_is_noticed_without_a_read() {
        // The handler reads a line, then does something else (no read pending)
        // until told; the peer resets meanwhile. The socket must be released
        // then, not when the handler next touches the connection.
        let got_line = Arc::new(AtomicUsize::new(0));
        let wake = Arc::new(AtomicUsize::new(0));
        let outcome: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
        let (g, k, o) = (got_line.clone(), wake.clone(), outcome.clone());
        let server = backend::start_server(
            move |r: StreamReader, w: StreamWriter| {
                let (g, k, o) = (g.clone(), k.clone(), o.clone());
                async move {
                    let line = r.read_line().await.unwrap();
                    assert_eq!(&line[..], b"hello\n");
                    g.store(1, Ordering::SeqCst);
                    for _ in 0..2000 {
                        if k.load(Ordering::SeqCst) == 1 {
                            break;
                        }
                        backend::sleep(Duration::from_millis(5)).await;
                    }
                    let read = r.read_line().await.map(|l| l.to_vec());
                    let write = w.write(b"late\n");
                    *o.lock().unwrap() = Some(format!(
                        "read={:?} write={:?}",
                        read.map_err(|e| e.io_kind()),
                        write.map_err(|e| e.io_kind())
                    ));
                }
            },
            "127.0.0.1",
            0,
        )
        .await
        .unwrap();
        let port = server.local_addrs()[0].port();
        let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        send(&c, b"hello\n");
        soon(async {
            while got_line.load(Ordering::SeqCst) == 0 {
                backend::sleep(Duration::from_millis(2)).await;
            }
        })
        .await;
        assert_eq!(server.connection_count(), 1);
        reset(c);
        let released = backend::timeout(Duration::from_secs(3), async {
            while server.connection_count() > 0 {
                backend::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        wake.store(1, Ordering::SeqCst);
        assert!(
            released.is_some(),
            "the reset connection is still open 3 s later on {} while its handler sleeps",
            backend::NAME
        );
        let seen = soon(async {
            loop {
                if let Some(s) = outcome.lock().unwrap().take() {
                    break s;
                }
                backend::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        assert_eq!(
            seen,
            "read=Err(ConnectionReset) write=Err(ConnectionReset)",
            "the next read and write report the reset"
        );
    }
}
