//! Reliability on loopback, bounded in time (issue 6), on weir-tokio with a
//! multi-threaded runtime:
//!
//! 1. a flood of over-long lines is refused line by line in bounded memory,
//!    and the server goes on serving;
//! 2. a stalled reader holds the writer's queue at the high watermark plus
//!    one write;
//! 3. 1,000 connections × 1,000 pipelined lines come back exactly;
//! 4. clients killed mid-line and mid-write leak no task, descriptor or
//!    buffer;
//! 5. reads cancelled constantly by a timer lose no line (the exhaustive
//!    cancellation test over a scripted transport is in
//!    `core/src/stream/cancel_tests.rs`);
//! 6. 1,000 clients that send a line and reset while their handlers sleep
//!    release their sockets at once, beside an asyncio server (issue 12);
//! 7. a server keeping one 10-byte line of each of 2,000 × 100 KiB bursts
//!    grows its RSS by what it keeps, beside asyncio and a hand-written
//!    tokio server (issue 12).
//!
//! (Issue 12's TLS cases, closing bounded by `shutdown_timeout` and stalled
//! handshakes owned by the server, run on every backend in the shared suite,
//! `tests/suite/tls.rs`.)
//!
//! A server whose memory, descriptors or tasks are measured runs in a child
//! process, so the clients are not counted: this test binary, re-executed
//! with `WEIR_RELIABILITY_ROLE` set and a filter naming the test. The child is
//! started by `sh`, which first raises its soft `RLIMIT_NOFILE` to the hard
//! limit (`ulimit -n`): the workspace forbids `unsafe`, so `setrlimit` is not
//! called directly. Figures are printed on lines starting with `WEIR-`
//! (`cargo test --test reliability -- --nocapture` shows them).
//!
//! Linux only: the measurements read /proc.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weir_tokio::Error;
use weir_tokio::{ServerOptions, StreamReader, StreamWriter};

/// The environment variable that makes a test act as its child process.
const ROLE: &str = "WEIR_RELIABILITY_ROLE";
/// The reader limit every server here uses: weir's (and asyncio's) default.
const LIMIT: usize = 64 * 1024;
/// The writer's default high watermark.
const HIGH: usize = 64 * 1024;
/// The design's "small fixed overhead" per connection, besides its buffers:
/// the shared state, the handler and flusher tasks, the socket's
/// registration.
const OVERHEAD: usize = 16 * 1024;

// ----- runtime helpers -------------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `f` on a fresh multi-threaded runtime, failing after `limit`.
fn run_bounded<F: std::future::Future>(what: &str, limit: Duration, f: F) -> F::Output {
    runtime().block_on(async {
        tokio::time::timeout(limit, f)
            .await
            .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?}"))
    })
}

/// `f`, or a panic naming `what` after `d`.
async fn within<F: std::future::Future>(what: &str, d: Duration, f: F) -> F::Output {
    tokio::time::timeout(d, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {d:?}"))
}

/// A deterministic byte pattern: byte `i` of every stream is `i % 251`.
fn pattern_at(offset: usize, len: usize) -> Vec<u8> {
    (offset..offset + len).map(|i| (i % 251) as u8).collect()
}

/// A small deterministic generator (xorshift), for varied sizes.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Closes `s` with a reset (SO_LINGER 0), as a killed or crashing peer.
fn reset(s: tokio::net::TcpStream) {
    socket2::SockRef::from(&s)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER");
    drop(s);
}

/// A client socket with a small receive buffer, so that a peer that stops
/// reading stops the sender soon (loopback autotuning would otherwise buffer
/// megabytes in the kernel).
async fn small_window_client(addr: SocketAddr) -> tokio::net::TcpStream {
    let s = tokio::net::TcpSocket::new_v4().expect("socket");
    s.set_recv_buffer_size(64 * 1024).expect("SO_RCVBUF");
    s.connect(addr).await.expect("connect")
}

/// Sends `line` on a fresh connection and returns the echoed line, and how
/// long it took.
async fn ping(addr: SocketAddr, line: &[u8]) -> (Vec<u8>, Duration) {
    let t0 = Instant::now();
    let (r, w) = within(
        "ping connect",
        Duration::from_secs(10),
        weir_tokio::open_connection("127.0.0.1", addr.port()),
    )
    .await
    .expect("connect");
    w.write(line).unwrap();
    let got = within("ping echo", Duration::from_secs(10), r.read_line())
        .await
        .expect("read the echo");
    w.close();
    (got.to_vec(), t0.elapsed())
}

// ----- the server under test -------------------------------------------------

/// What the line server saw, for the report and the assertions.
#[derive(Default, Debug)]
struct Counters {
    /// `read_line` failed with `LineTooLong`.
    too_long: AtomicUsize,
    /// Connections that ended with a connection error (reset, broken pipe).
    conn_errors: AtomicUsize,
    /// `BIG n` replies sent in full.
    big_done: AtomicUsize,
    /// Anything else: a result the handler did not expect.
    unexpected: AtomicUsize,
}

/// The line server: echoes each line; answers an over-long line with
/// `ERR line too long`; answers `BIG n` with `n` pattern bytes written in
/// 64 KiB pieces, each followed by `drain`. Closes at EOF or on error.
async fn line_server(reader: StreamReader, writer: StreamWriter, c: Arc<Counters>) {
    loop {
        let line = match reader.read_line().await {
            Ok(line) if line.is_empty() => break,
            Ok(line) => line,
            Err(Error::LineTooLong { .. }) => {
                c.too_long.fetch_add(1, Ordering::Relaxed);
                if writer.write(b"ERR line too long\n").is_err() || writer.drain().await.is_err() {
                    c.conn_errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                continue;
            }
            Err(Error::Connection(_)) => {
                c.conn_errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Err(_) => {
                c.unexpected.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let big = std::str::from_utf8(&line)
            .ok()
            .and_then(|l| l.strip_prefix("BIG "))
            .and_then(|n| n.trim_end().parse::<usize>().ok());
        let sent = match big {
            Some(n) => {
                let mut off = 0;
                let mut ok = true;
                while off < n && ok {
                    let len = (n - off).min(64 * 1024);
                    ok = writer.write(pattern_at(off, len)).is_ok() && writer.drain().await.is_ok();
                    off += len;
                }
                if ok {
                    c.big_done.fetch_add(1, Ordering::Relaxed);
                }
                ok
            }
            None => writer.write(&line).is_ok() && writer.drain().await.is_ok(),
        };
        if !sent {
            c.conn_errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    writer.close();
    let _ = writer.wait_closed_timeout(Duration::from_secs(10)).await;
}

/// Starts the line server on 127.0.0.1, port 0.
async fn start_line_server(c: &Arc<Counters>, backlog: i32) -> weir_tokio::Server {
    let c = c.clone();
    ServerOptions::new()
        .limit(LIMIT)
        .backlog(backlog)
        .start(move |r, w| line_server(r, w, c.clone()), "127.0.0.1", 0)
        .await
        .expect("start_server")
}

// ----- child processes ---------------------------------------------------------

/// The role this process plays, if it is a child.
fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// `key` from /proc/<pid>/status, in KiB.
fn status_kib(pid: &str, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
}

/// Open descriptors of this process.
fn open_fds() -> usize {
    // The directory handle itself is one of them, every time alike.
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// This process's soft RLIMIT_NOFILE.
fn nofile_soft() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files");
    let v = line.split_whitespace().nth(3).unwrap();
    v.parse().unwrap_or(u64::MAX) // "unlimited"
}

/// The child side of a server process: runs the line server, prints its
/// address, answers `stats` on stdin, exits when stdin closes.
fn serve_as_child() {
    let rt = runtime();
    rt.block_on(async {
        let c = Arc::new(Counters::default());
        let server = start_line_server(&c, 1024).await;
        println!("WEIR-ADDR {}", server.local_addrs()[0]);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // The parent closes stdin when done; a parent that died closes it too.
        let serve = async {
            while let Some(cmd) = rx.recv().await {
                if cmd == "stats" {
                    println!(
                        "WEIR-STATS fds={} conns={} tasks={} rss={} hwm={} too_long={} conn_errors={} big_done={} unexpected={}",
                        open_fds(),
                        server.connection_count(),
                        tokio::runtime::Handle::current().metrics().num_alive_tasks(),
                        status_kib("self", "VmRSS:"),
                        status_kib("self", "VmHWM:"),
                        c.too_long.load(Ordering::Relaxed),
                        c.conn_errors.load(Ordering::Relaxed),
                        c.big_done.load(Ordering::Relaxed),
                        c.unexpected.load(Ordering::Relaxed),
                    );
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(300), serve).await;
        server.close();
        server.abort_clients();
    });
}

/// Shows a child's `WEIR-` figure line in this process's output.
fn relay(line: &str) {
    if let Some(at) = line.find("WEIR-") {
        println!("{}", &line[at..]);
    }
}

/// A child process: this test binary running one test with [`ROLE`] set.
struct Child {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    pid: String,
}

impl Child {
    /// Starts `test` in a child playing `role`, with its soft descriptor
    /// limit raised to the hard one.
    fn start(test: &str, role: &str) -> Child {
        let exe = std::env::current_exe().expect("current_exe");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -n "$(ulimit -H -n)" 2>/dev/null; exec "$0" "$@""#)
            .arg(exe)
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(ROLE, role)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child process");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            sink.lock().unwrap_or_else(|e| e.into_inner()).push_str(&s);
        });
        Child {
            pid: child.id().to_string(),
            stdin: child.stdin.take(),
            child,
            lines,
            stderr,
        }
    }

    /// The next stdout line starting with `prefix` (others starting with
    /// `WEIR-` are relayed), within `d`.
    fn expect(&self, prefix: &str, d: Duration) -> String {
        let deadline = Instant::now() + d;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // libtest's "test <name> ... " may precede the first line.
            match self.lines.recv_timeout(left) {
                Ok(l) => match l.find(prefix) {
                    Some(at) => return l[at + prefix.len()..].trim().to_string(),
                    None => relay(&l),
                },
                Err(e) => panic!(
                    "the child sent no {prefix} line ({e}); its stderr:\n{}",
                    self.stderr()
                ),
            }
        }
    }

    /// What the child wrote on stderr so far.
    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The server child's address.
    fn addr(&self) -> SocketAddr {
        self.expect("WEIR-ADDR", Duration::from_secs(30))
            .parse()
            .expect("an address")
    }

    /// Asks the server child for its counts.
    fn stats(&mut self) -> Stats {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(b"stats\n").expect("ask for stats");
        stdin.flush().unwrap();
        Stats::parse(&self.expect("WEIR-STATS", Duration::from_secs(10)))
    }

    /// Peak and current resident memory, from /proc (KiB).
    fn memory_kib(&self) -> (u64, u64) {
        (
            status_kib(&self.pid, "VmHWM:"),
            status_kib(&self.pid, "VmRSS:"),
        )
    }

    /// Closes its stdin and waits (bounded) for it to pass.
    fn finish(mut self, d: Duration) {
        drop(self.stdin.take());
        let deadline = Instant::now() + d;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait for the child") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the child did not finish within {d:?}; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut passed = false;
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
            relay(&l);
            passed |= l.contains("1 passed");
        }
        // Let the stderr thread finish collecting.
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            status.success() && passed,
            "the child failed ({status}); stderr:\n{}",
            self.stderr()
        );
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The server child's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stats {
    fds: usize,
    conns: usize,
    tasks: usize,
    rss_kib: usize,
    hwm_kib: usize,
    too_long: usize,
    conn_errors: usize,
    big_done: usize,
    unexpected: usize,
}

impl Stats {
    fn parse(s: &str) -> Stats {
        let get = |k: &str| -> usize {
            s.split_whitespace()
                .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {k} in {s:?}"))
        };
        Stats {
            fds: get("fds"),
            conns: get("conns"),
            tasks: get("tasks"),
            rss_kib: get("rss"),
            hwm_kib: get("hwm"),
            too_long: get("too_long"),
            conn_errors: get("conn_errors"),
            big_done: get("big_done"),
            unexpected: get("unexpected"),
        }
    }

    /// No connection, and as many descriptors and tasks as `base`.
    fn settled_to(&self, base: &Stats) -> bool {
        self.conns == 0 && self.fds == base.fds && self.tasks == base.tasks
    }
}

// ----- 1. a flood of over-long lines ---------------------------------------------

const FLOOD_CONNS: usize = 200;
const FLOOD_BYTES: usize = 8 << 20;

/// One flooding client: sends [`FLOOD_BYTES`] of `x` with no newline, then
/// half-closes; returns everything the server answered.
async fn flood_one(addr: SocketAddr, sent: Arc<AtomicUsize>) -> Result<Vec<u8>, String> {
    let s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut rd, mut wr) = s.into_split();
    let answers = tokio::spawn(async move {
        let mut v = Vec::new();
        rd.read_to_end(&mut v).await.map(|_| v)
    });
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..FLOOD_BYTES / chunk.len() {
        wr.write_all(&chunk)
            .await
            .map_err(|e| format!("send: {e}"))?;
        sent.fetch_add(chunk.len(), Ordering::Relaxed);
    }
    wr.shutdown().await.map_err(|e| format!("shutdown: {e}"))?;
    answers
        .await
        .map_err(|e| format!("reader task: {e}"))?
        .map_err(|e| format!("read answers: {e}"))
}

/// Checks one flooding client's answers: only `ERR line too long` lines, as
/// many as the over-long runs the server cut, then the tail it read at EOF
/// echoed back (at most `LIMIT` bytes of `x`).
fn check_flood_answers(i: usize, a: &[u8]) -> usize {
    let end = a.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let (lines, tail) = a.split_at(end);
    let errors = lines.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let mut n = 0;
    for l in errors {
        assert_eq!(
            String::from_utf8_lossy(l),
            "ERR line too long",
            "client {i}: unexpected answer"
        );
        n += 1;
    }
    // Each error drops more than `LIMIT` bytes: at most FLOOD_BYTES / LIMIT
    // errors. A read_line buffers at most LIMIT plus one transport read (the
    // stream layer reads at most 64 KiB = LIMIT at a time) before it fails, so
    // each drops at most 2 × LIMIT: at least about half as many errors.
    assert!(
        (FLOOD_BYTES / (2 * LIMIT) - 1..=FLOOD_BYTES / LIMIT).contains(&n),
        "client {i}: {n} line-too-long errors for {FLOOD_BYTES} bytes at limit {LIMIT}"
    );
    assert!(
        tail.len() <= LIMIT && tail.iter().all(|&b| b == b'x'),
        "client {i}: the partial line at EOF must come back, at most the limit: {} bytes",
        tail.len()
    );
    n
}

#[test]
fn a_flood_of_overlong_lines_is_refused_in_bounded_memory() {
    if role().is_some() {
        return serve_as_child();
    }
    let mut srv = Child::start(
        "a_flood_of_overlong_lines_is_refused_in_bounded_memory",
        "server",
    );
    let addr = srv.addr();
    let base = srv.stats();
    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    // Samples the server's RSS while the flood runs.
    let sampler = {
        let (stop, pid) = (stop.clone(), srv.pid.clone());
        std::thread::spawn(move || {
            let mut max = 0;
            let mut samples = 0;
            while !stop.load(Ordering::Relaxed) && samples < 20_000 {
                max = max.max(status_kib(&pid, "VmRSS:"));
                samples += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            (max, samples)
        })
    };
    let (answers, during) = run_bounded("the flood", Duration::from_secs(90), async {
        let sent = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..FLOOD_CONNS)
            .map(|_| tokio::spawn(flood_one(addr, sent.clone())))
            .collect();
        // While the flood is under way, a normal client gets its echo.
        let total = FLOOD_CONNS * FLOOD_BYTES;
        for _ in 0..2000 {
            if sent.load(Ordering::Relaxed) >= total / 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let at = sent.load(Ordering::Relaxed);
        let running = clients.iter().filter(|c| !c.is_finished()).count();
        assert!(running > 0, "the flood ended before the normal client came");
        let (echo, took) = ping(addr, b"hello during the flood\n").await;
        assert_eq!(echo, b"hello during the flood\n");
        let still = clients.iter().filter(|c| !c.is_finished()).count();
        let mut answers = Vec::new();
        for c in clients {
            answers.push(c.await.expect("client task").expect("flooding client"));
        }
        (answers, (at, took, still))
    });
    let flood_time = t0.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (sampled_max, samples) = sampler.join().unwrap();
    let errors: usize = answers
        .iter()
        .enumerate()
        .map(|(i, a)| check_flood_answers(i, a))
        .sum();
    let (echo, took_after) = run_bounded("ping after", Duration::from_secs(20), async {
        ping(addr, b"hello after the flood\n").await
    });
    assert_eq!(echo, b"hello after the flood\n");
    let after = srv.stats();
    assert_eq!(
        after.too_long, errors,
        "every error the server raised reached its client"
    );
    assert_eq!(after.unexpected, 0, "{after:?}");
    let (hwm, rss_now) = srv.memory_kib();
    let per_conn = 2 * LIMIT + HIGH + OVERHEAD;
    let bound_kib = base.rss_kib + FLOOD_CONNS * per_conn / 1024;
    let (during_at, during_took, during_still) = during;
    println!(
        "WEIR-FLOOD {FLOOD_CONNS} connections x {} MiB without a newline, limit {} KiB: {errors} line-too-long errors, all answered; {:.1} s",
        FLOOD_BYTES >> 20,
        LIMIT / 1024,
        flood_time.as_secs_f64()
    );
    println!(
        "WEIR-FLOOD server RSS: base {} KiB, peak (VmHWM) {hwm} KiB, peak sampled {sampled_max} KiB ({samples} samples), after {rss_now} KiB; (peak - base) / connection = {:.1} KiB; bound {bound_kib} KiB = base + {FLOOD_CONNS} x (2 x {} KiB + {} KiB + {} KiB)",
        base.rss_kib,
        (hwm.max(sampled_max) as f64 - base.rss_kib as f64) / FLOOD_CONNS as f64,
        LIMIT / 1024,
        HIGH / 1024,
        OVERHEAD / 1024
    );
    println!(
        "WEIR-FLOOD echo during the flood (asked after {} MiB sent; {during_still} flooders still running when it came): {:?}; after: {:?}",
        during_at >> 20,
        during_took,
        took_after
    );
    // VmHWM can lag VmRSS slightly (per-thread RSS counters): take both.
    let peak = hwm.max(sampled_max) as usize;
    assert!(
        peak <= bound_kib,
        "server peak RSS {peak} KiB exceeds the design bound {bound_kib} KiB = base {} KiB + {FLOOD_CONNS} connections x (2 x limit {} KiB + high watermark {} KiB + overhead {} KiB)",
        base.rss_kib,
        LIMIT / 1024,
        HIGH / 1024,
        OVERHEAD / 1024
    );
    srv.finish(Duration::from_secs(20));
}

// ----- 2. a reader that stops ---------------------------------------------------

const STALL_TOTAL: usize = 32 << 20;
const STALL_MAX_WRITE: usize = 24 * 1024;

/// What the writing handler saw.
#[derive(Debug, Default)]
struct StallReport {
    writes: usize,
    /// Writes after which the queue was above the high watermark (the writer
    /// paused and the next drain waited).
    paused_writes: usize,
    /// The largest queue right after a write, and that write's size.
    max_after_write: (usize, usize),
    /// Writes whose queue exceeded high watermark + that write.
    violations: Vec<(usize, usize)>,
    /// The largest queue the 1 ms monitor saw, and its sample count.
    monitor_max: usize,
    monitor_samples: usize,
    error: Option<String>,
}

async fn write_with_drain(w: StreamWriter, paused: mpsc::Sender<()>) -> StallReport {
    let mut rep = StallReport::default();
    let (_low, high) = w.write_buffer_limits();
    assert_eq!(high, HIGH);
    let w = Arc::new(w);
    let done = Arc::new(AtomicBool::new(false));
    let monitor = {
        let (w, done) = (w.clone(), done.clone());
        tokio::spawn(async move {
            let (mut max, mut n) = (0, 0);
            while !done.load(Ordering::Relaxed) && n < 100_000 {
                max = max.max(w.write_buffer_size());
                n += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            (max, n)
        })
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut off = 0;
    let mut told = false;
    while off < STALL_TOTAL {
        let len = (1 + rng.below(STALL_MAX_WRITE)).min(STALL_TOTAL - off);
        if let Err(e) = w.write(pattern_at(off, len)) {
            rep.error = Some(format!("write at {off}: {e}"));
            break;
        }
        off += len;
        rep.writes += 1;
        let q = w.write_buffer_size();
        if q > rep.max_after_write.0 {
            rep.max_after_write = (q, len);
        }
        if q > high + len {
            rep.violations.push((q, len));
        }
        if q > high {
            rep.paused_writes += 1;
            if !told {
                told = true;
                let _ = paused.send(());
            }
        }
        if let Err(e) = w.drain().await {
            rep.error = Some(format!("drain at {off}: {e}"));
            break;
        }
    }
    done.store(true, Ordering::Relaxed);
    (rep.monitor_max, rep.monitor_samples) = monitor.await.unwrap();
    w.close();
    if let Err(e) = w.wait_closed_timeout(Duration::from_secs(20)).await {
        rep.error.get_or_insert(format!("wait_closed: {e}"));
    }
    rep
}

#[test]
fn a_stalled_reader_holds_the_queue_at_high_watermark_plus_one_write() {
    let t0 = Instant::now();
    let (report, got, stalled) =
        run_bounded("the stalled reader", Duration::from_secs(60), async {
            let (rep_tx, rep_rx) = tokio::sync::oneshot::channel();
            let (paused_tx, paused_rx) = mpsc::channel();
            let once = Arc::new(Mutex::new(Some((rep_tx, paused_tx))));
            let server = ServerOptions::new()
                .start(
                    move |_r, w| {
                        let once = once.lock().unwrap().take();
                        async move {
                            if let Some((rep_tx, paused_tx)) = once {
                                let _ = rep_tx.send(write_with_drain(w, paused_tx).await);
                            }
                        }
                    },
                    "127.0.0.1",
                    0,
                )
                .await
                .unwrap();
            let addr = server.local_addrs()[0];
            let peer = small_window_client(addr).await.into_std().unwrap();
            peer.set_nonblocking(false).unwrap();
            peer.set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            // The peer reads nothing until the writer has paused, stays stalled
            // 300 ms more, then reads slowly (2 ms pause every 64 KiB), so the
            // writer pauses and resumes many times.
            let reading = std::thread::spawn(move || {
                paused_rx
                    .recv_timeout(Duration::from_secs(20))
                    .expect("the writer never paused: the peer's window is too large");
                let stall = Instant::now();
                std::thread::sleep(Duration::from_millis(300));
                let stalled = stall.elapsed();
                let mut got = Vec::with_capacity(STALL_TOTAL);
                let mut buf = vec![0u8; 16 * 1024];
                let mut since_pause = 0;
                loop {
                    let n = (&peer).read(&mut buf).expect("peer read");
                    if n == 0 {
                        return (got, stalled);
                    }
                    got.extend_from_slice(&buf[..n]);
                    since_pause += n;
                    if since_pause >= 64 * 1024 {
                        since_pause = 0;
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
            });
            let report = within("the writer's report", Duration::from_secs(50), rep_rx)
                .await
                .expect("the handler ended without a report");
            let (got, stalled) = loop {
                if reading.is_finished() {
                    break reading.join().expect("peer thread");
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            (report, got, stalled)
        });
    println!(
        "WEIR-STALL {} writes of 1..={} KiB ({} MiB) with drain; {} paused the writer; queue max after a write {} B (write {} B), monitor max {} B over {} samples; bound high {} + one write; peer stalled {:?}; {:.1} s",
        report.writes,
        STALL_MAX_WRITE / 1024,
        STALL_TOTAL >> 20,
        report.paused_writes,
        report.max_after_write.0,
        report.max_after_write.1,
        report.monitor_max,
        report.monitor_samples,
        HIGH,
        stalled,
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(report.error, None);
    assert!(
        report.violations.is_empty(),
        "queue above high watermark + the write (queue, write): {:?}",
        &report.violations[..report.violations.len().min(10)]
    );
    assert!(
        report.monitor_max <= HIGH + STALL_MAX_WRITE,
        "the monitor saw {} queued bytes, above {HIGH} + {STALL_MAX_WRITE}",
        report.monitor_max
    );
    assert!(
        report.paused_writes >= 10,
        "flow control must engage again and again, not {} times",
        report.paused_writes
    );
    // The monitor watched through the peer's 300 ms stall (1 ms sleeps;
    // a loaded machine stretches them, so not ~300 samples but some).
    assert!(report.monitor_samples >= 20, "{report:?}");
    assert_eq!(got.len(), STALL_TOTAL, "every byte arrives");
    assert!(
        got == pattern_at(0, STALL_TOTAL),
        "the bytes arrive intact, in order"
    );
}

// ----- 3. 1,000 connections x 1,000 lines ----------------------------------------

const ECHO_CONNS: usize = 1000;
const ECHO_LINES: usize = 1000;
const ECHO_BATCH: usize = 50;

fn echo_line(conn: usize, seq: usize) -> String {
    format!(
        "conn {conn:04} seq {seq:04} {}\n",
        "abcdefgh".repeat(conn % 3)
    )
}

/// One client: [`ECHO_LINES`] lines in batches of [`ECHO_BATCH`], each
/// batch written at once, then its replies read and checked one by one; then
/// EOF, after which nothing more may arrive.
async fn echo_client(addr: SocketAddr, conn: usize) -> Result<(), String> {
    let (r, w) = weir_tokio::open_connection("127.0.0.1", addr.port())
        .await
        .map_err(|e| format!("conn {conn}: connect: {e}"))?;
    for batch in 0..ECHO_LINES / ECHO_BATCH {
        let seqs = batch * ECHO_BATCH..(batch + 1) * ECHO_BATCH;
        for seq in seqs.clone() {
            w.write(echo_line(conn, seq))
                .map_err(|e| format!("conn {conn}: write: {e}"))?;
        }
        w.drain()
            .await
            .map_err(|e| format!("conn {conn}: drain: {e}"))?;
        for seq in seqs {
            let got = r
                .read_line()
                .await
                .map_err(|e| format!("conn {conn}: read seq {seq}: {e}"))?;
            let want = echo_line(conn, seq);
            if got != want.as_bytes() {
                return Err(format!(
                    "conn {conn}: expected {want:?}, got {:?}",
                    String::from_utf8_lossy(&got)
                ));
            }
        }
    }
    w.write_eof()
        .map_err(|e| format!("conn {conn}: eof: {e}"))?;
    let rest = r
        .read_to_end()
        .await
        .map_err(|e| format!("conn {conn}: read to end: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "conn {conn}: {} bytes after the last reply (duplicated?): {:?}",
            rest.len(),
            String::from_utf8_lossy(&rest[..rest.len().min(80)])
        ));
    }
    w.close();
    w.wait_closed_timeout(Duration::from_secs(10))
        .await
        .map_err(|e| format!("conn {conn}: wait_closed: {e}"))
}

#[test]
fn a_thousand_connections_echo_a_thousand_lines_each_exactly() {
    const NAME: &str = "a_thousand_connections_echo_a_thousand_lines_each_exactly";
    if role().is_none() {
        // The body runs in a child, whose descriptor limit `sh` raised.
        return Child::start(NAME, "body").finish(Duration::from_secs(100));
    }
    let soft = nofile_soft();
    let need = 2 * ECHO_CONNS as u64 + 64;
    println!("WEIR-ECHO RLIMIT_NOFILE soft limit in the child: {soft} (raised to the hard limit by sh; {need} needed)");
    assert!(
        soft >= need,
        "{ECHO_CONNS} connections need {need} descriptors (client and server in one process), but RLIMIT_NOFILE is {soft} even after raising the soft limit to the hard one: raise the hard limit (ulimit -Hn)"
    );
    let t0 = Instant::now();
    run_bounded("1,000 x 1,000 echo", Duration::from_secs(90), async {
        let c = Arc::new(Counters::default());
        let server = start_line_server(&c, 2048).await;
        let addr = server.local_addrs()[0];
        let clients: Vec<_> = (0..ECHO_CONNS)
            .map(|i| tokio::spawn(echo_client(addr, i)))
            .collect();
        let mut failures = Vec::new();
        for c in clients {
            if let Err(e) = c.await.expect("client task") {
                failures.push(e);
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {ECHO_CONNS} connections failed; first: {:?}",
            failures.len(),
            &failures[..failures.len().min(5)]
        );
        assert_eq!(c.unexpected.load(Ordering::Relaxed), 0);
        assert_eq!(c.too_long.load(Ordering::Relaxed), 0);
        server.close();
        server
            .wait_closed_timeout(Duration::from_secs(10))
            .await
            .expect("every server connection closes");
    });
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "WEIR-ECHO {ECHO_CONNS} connections x {ECHO_LINES} lines in batches of {ECHO_BATCH}: {} lines echoed and verified in {secs:.1} s ({:.0} lines/s)",
        ECHO_CONNS * ECHO_LINES,
        (ECHO_CONNS * ECHO_LINES) as f64 / secs
    );
}

// ----- 4. clients killed mid-line and mid-write -----------------------------------

/// One doomed client, by how it dies.
#[derive(Debug, Clone, Copy)]
enum Death {
    /// Sends half a line, then resets.
    LineThenReset,
    /// Sends half a line, then closes (FIN).
    LineThenClose,
    /// Asks for 32 MiB, reads some, stops reading, then resets.
    WriteThenReset,
    /// Asks for 32 MiB, reads some, stops reading, then closes with unread
    /// data (the kernel resets).
    WriteThenClose,
}

const BIG: usize = 32 << 20;

async fn doomed(addr: SocketAddr, death: Death) -> Result<(), String> {
    let mut s = small_window_client(addr).await;
    match death {
        Death::LineThenReset | Death::LineThenClose => {
            s.write_all(b"half a line, and then the client is gone")
                .await
                .map_err(|e| format!("{death:?}: {e}"))?;
            // Let the server read it and wait for the rest.
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        Death::WriteThenReset | Death::WriteThenClose => {
            s.write_all(format!("BIG {BIG}\n").as_bytes())
                .await
                .map_err(|e| format!("{death:?}: {e}"))?;
            // Read some of the reply: the server is now writing.
            let mut buf = vec![0u8; 64 * 1024];
            let mut got = 0;
            while got < 256 * 1024 {
                let n = within("the BIG reply", Duration::from_secs(10), s.read(&mut buf))
                    .await
                    .map_err(|e| format!("{death:?}: {e}"))?;
                if n == 0 {
                    return Err(format!("{death:?}: EOF after {got} bytes"));
                }
                got += n;
            }
            // Stop reading: the server's queue fills and its drain waits.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    match death {
        Death::LineThenReset | Death::WriteThenReset => reset(s),
        Death::LineThenClose | Death::WriteThenClose => drop(s),
    }
    Ok(())
}

/// The child side of a killed client process: opens connections that stop
/// mid-line and mid-write, says so, and waits to be killed.
fn clients_as_child() {
    let addr: SocketAddr = std::env::var("WEIR_RELIABILITY_ADDR")
        .expect("WEIR_RELIABILITY_ADDR")
        .parse()
        .unwrap();
    run_bounded("the killed clients", Duration::from_secs(60), async {
        let mut socks = Vec::new();
        for i in 0..10 {
            let mut s = small_window_client(addr).await;
            if i % 2 == 0 {
                s.write_all(b"a line the client never finishes")
                    .await
                    .unwrap();
            } else {
                s.write_all(format!("BIG {BIG}\n").as_bytes())
                    .await
                    .unwrap();
                let mut buf = vec![0u8; 64 * 1024];
                let n = within("BIG", Duration::from_secs(10), s.read(&mut buf))
                    .await
                    .unwrap();
                assert!(n > 0);
            }
            socks.push(s);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        println!("WEIR-READY");
        // Killed here by the parent; bounded in case it is not.
        tokio::time::sleep(Duration::from_secs(50)).await;
        drop(socks);
    });
}

#[test]
fn clients_killed_mid_line_and_mid_write_leak_nothing() {
    const NAME: &str = "clients_killed_mid_line_and_mid_write_leak_nothing";
    match role().as_deref() {
        Some("clients") => return clients_as_child(),
        Some(_) => return serve_as_child(),
        None => {}
    }
    let t0 = Instant::now();
    let mut srv = Child::start(NAME, "server");
    let addr = srv.addr();
    let before = srv.stats();
    const ROUNDS: usize = 3;
    const PER_KIND: usize = 15;
    let deaths = [
        Death::LineThenReset,
        Death::LineThenClose,
        Death::WriteThenReset,
        Death::WriteThenClose,
    ];
    let mut rounds = Vec::new();
    for round in 0..ROUNDS {
        run_bounded(
            "a round of doomed clients",
            Duration::from_secs(30),
            async {
                let clients: Vec<_> = (0..PER_KIND)
                    .flat_map(|_| deaths)
                    .map(|d| tokio::spawn(doomed(addr, d)))
                    .collect();
                for c in clients {
                    c.await.expect("client task").expect("doomed client");
                }
            },
        );
        // And a client process killed outright (SIGKILL).
        let mut killed = Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(ROLE, "clients")
            .env("WEIR_RELIABILITY_ADDR", addr.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the client process");
        let out = killed.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if l.contains("WEIR-READY") {
                    let _ = tx.send(());
                }
            }
        });
        let ready = rx.recv_timeout(Duration::from_secs(30));
        let _ = killed.kill();
        let _ = killed.wait();
        ready.expect("the client process never got ready");
        // Everything settles: bounded wait for the server to return to its
        // counts from before.
        let t = Instant::now();
        let settled = loop {
            let s = srv.stats();
            if s.settled_to(&before) || t.elapsed() > Duration::from_secs(15) {
                break s;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        println!(
            "WEIR-KILL round {}: {} clients killed mid-line/mid-write + 10 in a SIGKILLed process; settled in {:?}: fds {} -> {}, connections {} -> {}, tasks {} -> {}, RSS {} KiB",
            round + 1,
            PER_KIND * deaths.len(),
            t.elapsed(),
            before.fds,
            settled.fds,
            before.conns,
            settled.conns,
            before.tasks,
            settled.tasks,
            settled.rss_kib
        );
        assert!(
            settled.settled_to(&before),
            "round {}: the server did not return to its counts: before {before:?}, after {settled:?}",
            round + 1
        );
        rounds.push(settled);
    }
    let last = rounds[ROUNDS - 1];
    assert_eq!(last.unexpected, 0, "{last:?}");
    assert_eq!(last.big_done, 0, "no BIG reply can complete: {last:?}");
    // Every mid-write client (and each killed one) ended its handler with a
    // connection error; a mid-line one may end at EOF instead.
    assert!(
        last.conn_errors >= ROUNDS * (3 * PER_KIND + 5),
        "the server must see the mid-write deaths as errors: {last:?}"
    );
    // No buffer leak: rounds after the first do not grow the server's
    // memory by anything like the 60 connections' queues (each ≥ 64 KiB).
    let growth = rounds[ROUNDS - 1].rss_kib as i64 - rounds[0].rss_kib as i64;
    println!(
        "WEIR-KILL {ROUNDS} rounds in {:.1} s; RSS after each round {:?} KiB (growth after round 1: {growth} KiB); server saw {} connection errors",
        t0.elapsed().as_secs_f64(),
        rounds.iter().map(|s| s.rss_kib).collect::<Vec<_>>(),
        last.conn_errors
    );
    assert!(
        growth < 2048,
        "server RSS grew {growth} KiB from round 1 to round {ROUNDS}: a leak"
    );
    srv.finish(Duration::from_secs(20));
}

// ----- 5. reads cancelled constantly ---------------------------------------------

const CANCEL_LINES: usize = 3000;

fn cancel_line(i: usize) -> String {
    format!("line {i:05} {}\n", "z".repeat(i % 40))
}

#[test]
fn read_line_raced_against_a_timer_loses_no_line() {
    let (cancelled, got) = run_bounded("the cancelled reads", Duration::from_secs(60), async {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        // The peer sends the lines in pieces of 1..=48 bytes, pausing 2 ms
        // every 16 pieces: lines arrive split, and a read often waits mid-line.
        let peer = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            s.set_nodelay(true).unwrap();
            let all: Vec<u8> = (0..CANCEL_LINES)
                .flat_map(|i| cancel_line(i).into_bytes())
                .collect();
            let mut rng = Rng(42);
            let mut off = 0;
            let mut pieces = 0;
            while off < all.len() {
                let n = (1 + rng.below(48)).min(all.len() - off);
                (&s).write_all(&all[off..off + n]).unwrap();
                off += n;
                pieces += 1;
                if pieces % 16 == 0 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        });
        let (r, _w) = weir_tokio::open_connection("127.0.0.1", addr.port())
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut cancelled = 0usize;
        // Bounded: each round either reads a line or a 1 ms timer fires.
        for _ in 0..1_000_000 {
            tokio::select! {
                line = r.read_line() => {
                    let line = line.expect("read_line");
                    if line.is_empty() {
                        break;
                    }
                    got.push(line);
                }
                _ = tokio::time::sleep(Duration::from_millis(1)) => cancelled += 1,
            }
        }
        peer.join().unwrap();
        (cancelled, got)
    });
    println!(
        "WEIR-CANCEL {} lines read with read_line raced against a 1 ms timer; {cancelled} reads cancelled",
        got.len()
    );
    assert_eq!(got.len(), CANCEL_LINES);
    for (i, line) in got.iter().enumerate() {
        assert_eq!(line, cancel_line(i).as_bytes(), "line {i}");
    }
    assert!(
        cancelled >= 50,
        "the timer must cancel reads: only {cancelled}"
    );
}

// ----- 6. peers that reset while their handlers sleep (issue 12) ----------------

/// Clients that send a line and reset.
const RESETTERS: usize = 1000;

/// Open descriptors of process `pid`.
fn fds_of(pid: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Blocks until stdin closes (the parent is done, or died).
fn wait_for_stdin_eof() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().lock().read_to_end(&mut sink);
}

/// A python3 asyncio server running `script` (which prints its port first
/// and nothing else), with its soft descriptor limit raised to the hard one.
struct PyServer {
    child: std::process::Child,
    port: u16,
}

impl PyServer {
    fn start(script: &str) -> PyServer {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -n "$(ulimit -H -n)" 2>/dev/null; exec python3 -c "$0""#)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is needed for the asyncio comparison");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the asyncio server's port");
        let port = line.trim().parse().expect("a port");
        PyServer { child, port }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PY_SLEEPY: &str = r#"
import asyncio
async def handle(r, w):
    await r.readline()
    await asyncio.sleep(30)
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(120)
asyncio.run(main())
"#;

/// The weir child: reads a line, then sleeps 30 s without touching the
/// connection; exits when stdin closes.
fn sleepy_as_child() {
    let rt = runtime();
    let server = rt.block_on(async {
        ServerOptions::new()
            .backlog(1024)
            .start(
                |r: StreamReader, w: StreamWriter| async move {
                    let _ = r.read_line().await;
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    drop(w);
                },
                "127.0.0.1",
                0,
            )
            .await
            .expect("start_server")
    });
    println!("WEIR-ADDR {}", server.local_addrs()[0]);
    wait_for_stdin_eof();
    rt.block_on(async {
        server.close();
        server.abort_clients();
    });
}

/// [`RESETTERS`] clients, 100 at a time: each sends a line, waits a little
/// (so the handler has read it), and resets.
fn send_a_line_and_reset(addr: SocketAddr) {
    run_bounded("the resetting clients", Duration::from_secs(60), async {
        for _ in 0..RESETTERS / 100 {
            let batch: Vec<_> = (0..100)
                .map(|_| {
                    tokio::spawn(async move {
                        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
                        s.write_all(b"hello\n").await.expect("send");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        reset(s);
                    })
                })
                .collect();
            for t in batch {
                t.await.expect("client task");
            }
        }
    });
}

/// Descriptors of `pid` right after the resets, and `(elapsed, fds)` once
/// they are back within `base + 5`, or after 5 s.
fn watch_fds(pid: &str, base: usize) -> (usize, Duration, usize) {
    let after = fds_of(pid);
    let t0 = Instant::now();
    loop {
        let n = fds_of(pid);
        if n <= base + 5 || t0.elapsed() > Duration::from_secs(5) {
            return (after, t0.elapsed(), n);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn peers_that_reset_while_handlers_sleep_release_their_sockets() {
    const NAME: &str = "peers_that_reset_while_handlers_sleep_release_their_sockets";
    if role().is_some() {
        return sleepy_as_child();
    }
    // weir
    let srv = Child::start(NAME, "sleepy");
    let addr = srv.addr();
    std::thread::sleep(Duration::from_millis(100));
    let base = fds_of(&srv.pid);
    send_a_line_and_reset(addr);
    let (weir_after, weir_t, weir_end) = watch_fds(&srv.pid, base);
    println!(
        "WEIR-RESET weir: fds {base} -> {weir_after} after {RESETTERS} clients sent a line and reset -> {weir_end} {weir_t:.2?} later (handlers asleep)"
    );
    srv.finish(Duration::from_secs(30));
    // asyncio
    let py = PyServer::start(PY_SLEEPY);
    std::thread::sleep(Duration::from_millis(100));
    let pid = py.pid();
    let pbase = fds_of(&pid);
    send_a_line_and_reset(SocketAddr::from(([127, 0, 0, 1], py.port)));
    let (py_after, py_t, py_end) = watch_fds(&pid, pbase);
    println!(
        "WEIR-RESET asyncio: fds {pbase} -> {py_after} -> {py_end} {py_t:.2?} later (handlers asleep)"
    );
    drop(py);
    assert!(
        weir_end <= base + 5,
        "weir kept {} of {RESETTERS} reset sockets for 5 s while the handlers slept",
        weir_end - base
    );
}

// ----- 7. memory that follows what is kept (issue 12) ----------------------------

/// Bursts a client sends; of each, the server keeps a 10-byte line.
const BURSTS: usize = 2000;
/// One burst: a 10-byte line, then filler.
const BURST: usize = 100 * 1024;

/// VmRSS of this process, in KiB.
fn rss_kib() -> u64 {
    status_kib("self", "VmRSS:")
}

const PY_KEEPER: &str = r#"
import asyncio, sys
BURSTS, BURST = int(sys.argv[1]), int(sys.argv[2])
def rss():
    for l in open("/proc/self/status"):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
async def handle(r, w):
    base = rss()
    kept = []
    for _ in range(BURSTS):
        kept.append(await r.readline())
        await r.readexactly(BURST - 10)
    w.write(b"%d %d\n" % (rss() - base, len(kept)))
    await w.drain()
    w.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(120)
asyncio.run(main())
"#;

/// The weir keeper: keeps each burst's line as read (`Bytes`), discards
/// the rest; answers `<rss growth KiB> <lines kept>`.
fn keeper_weir_as_child() {
    let rt = runtime();
    let server = rt.block_on(async {
        ServerOptions::new()
            .start(
                |r: StreamReader, w: StreamWriter| async move {
                    let base = rss_kib();
                    let mut kept = Vec::new();
                    for _ in 0..BURSTS {
                        kept.push(r.read_line().await.expect("line"));
                        r.read_exactly(BURST - 10).await.expect("filler");
                    }
                    let grown = rss_kib() as i64 - base as i64;
                    w.write(format!("{grown} {}\n", kept.len())).unwrap();
                    w.close();
                    let _ = w.wait_closed().await;
                },
                "127.0.0.1",
                0,
            )
            .await
            .expect("start_server")
    });
    println!("WEIR-ADDR {}", server.local_addrs()[0]);
    wait_for_stdin_eof();
}

/// The hand-written tokio keeper: `BufReader`, each line copied into a `Vec`.
fn keeper_tokio_as_child() {
    use tokio::io::AsyncBufReadExt;
    let rt = runtime();
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    println!("WEIR-ADDR {}", l.local_addr().unwrap());
    rt.spawn(async move {
        let (s, _) = l.accept().await.expect("accept");
        let base = rss_kib();
        let mut r = tokio::io::BufReader::new(s);
        let mut kept: Vec<Vec<u8>> = Vec::new();
        let mut filler = vec![0u8; BURST - 10];
        for _ in 0..BURSTS {
            let mut line = Vec::new();
            r.read_until(b'\n', &mut line).await.expect("line");
            kept.push(line);
            r.read_exact(&mut filler).await.expect("filler");
        }
        let grown = rss_kib() as i64 - base as i64;
        let msg = format!("{grown} {}\n", kept.len());
        r.get_mut().write_all(msg.as_bytes()).await.unwrap();
    });
    wait_for_stdin_eof();
}

/// Sends the bursts to `addr`; returns the server's RSS growth (KiB).
fn send_bursts(addr: SocketAddr) -> i64 {
    run_bounded("the bursts", Duration::from_secs(120), async move {
        let s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut rd, mut wr) = s.into_split();
        let writer = tokio::spawn(async move {
            let filler = vec![b'y'; BURST - 10];
            for i in 0..BURSTS {
                wr.write_all(format!("{i:09}\n").as_bytes()).await.unwrap();
                wr.write_all(&filler).await.unwrap();
            }
            wr
        });
        let mut answer = String::new();
        rd.read_to_string(&mut answer).await.expect("the answer");
        drop(writer.await);
        let mut it = answer.split_whitespace();
        let grown: i64 = it.next().and_then(|v| v.parse().ok()).expect("growth");
        assert_eq!(it.next(), Some(BURSTS.to_string().as_str()), "{answer:?}");
        grown
    })
}

#[test]
fn memory_follows_what_is_kept_beside_asyncio() {
    const NAME: &str = "memory_follows_what_is_kept_beside_asyncio";
    match role().as_deref() {
        Some("keep-weir") => return keeper_weir_as_child(),
        Some("keep-tokio") => return keeper_tokio_as_child(),
        Some(_) => return,
        None => {}
    }
    let srv = Child::start(NAME, "keep-weir");
    let weir = send_bursts(srv.addr());
    srv.finish(Duration::from_secs(30));
    let srv = Child::start(NAME, "keep-tokio");
    let tokio_kib = send_bursts(srv.addr());
    srv.finish(Duration::from_secs(30));
    let py = PyServer::start(&format!(
        "import sys; sys.argv[1:] = ['{BURSTS}', '{BURST}']\n{PY_KEEPER}"
    ));
    let asyncio = send_bursts(SocketAddr::from(([127, 0, 0, 1], py.port)));
    drop(py);
    println!(
        "WEIR-KEEP RSS growth keeping one 10-byte line of each of {BURSTS} x 100 KiB bursts: weir {weir} KiB, asyncio {asyncio} KiB, tokio BufReader + Vec copies {tokio_kib} KiB"
    );
    assert!(
        weir <= 2 * asyncio.max(0) + 2048,
        "weir grew {weir} KiB keeping {BURSTS} lines; asyncio {asyncio} KiB"
    );
}
