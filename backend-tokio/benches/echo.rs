//! Line-echo servers side by side on loopback: weir-tokio (`echo_server
//! --mode lines`: read_line, write, drain) against an idiomatic hand-written
//! tokio server (`BufReader::read_line` + `write_all`), then the memory of
//! idle connections.
//!
//! `cargo bench -p weir-tokio --bench echo` (about 30 s). Each server runs
//! in a child process (this binary, re-executed), so its CPU time and RSS
//! are its own; one client drives both the same way: pipelined lines, a
//! fixed window in flight per connection.
//!
//! Environment: `WEIR_BENCH_SECS` (per case, default 2),
//! `WEIR_BENCH_IDLE` (idle connections, default 10000).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader as StdBufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const ROLE: &str = "WEIR_BENCH_ROLE";

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("weir") => serve_weir(),
        Ok("tokio") => serve_tokio(),
        _ => drive(),
    }
}

// ----- servers (child processes) -------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// weir-tokio: the echo_server example's `--mode lines` handler.
fn serve_weir() {
    runtime().block_on(async {
        let server = weir_tokio::ServerOptions::new()
            .backlog(4096)
            .start(
                |reader: weir_tokio::StreamReader, writer: weir_tokio::StreamWriter| async move {
                    loop {
                        match reader.read_line().await {
                            Ok(line) if !line.is_empty() => {
                                if writer.write(&line).is_err() || writer.drain().await.is_err() {
                                    return;
                                }
                            }
                            _ => break,
                        }
                    }
                    writer.close();
                },
                "127.0.0.1",
                0,
            )
            .await
            .unwrap();
        println!("{}", server.local_addrs()[0]);
        server.serve_forever().await.unwrap();
    });
}

/// The idiomatic hand-written tokio server: one `write_all` per line.
fn serve_tokio() {
    runtime().block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", l.local_addr().unwrap());
        loop {
            let Ok((s, _)) = l.accept().await else {
                continue;
            };
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut r = BufReader::new(r);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match r.read_until(b'\n', &mut line).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            if w.write_all(&line).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(role: &str) -> Server {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(ROLE, role)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        StdBufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Server {
            child,
            addr: line.trim().parse().unwrap(),
        }
    }

    /// CPU time (user + system) of the server process so far.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
        Duration::from_secs_f64(ticks as f64 / 100.0) // USER_HZ
    }

    /// Resident memory of the server process, in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ----- the client ----------------------------------------------------------

struct Outcome {
    lines_per_sec: f64,
    p99: Duration,
    cpu_per_line: Duration,
}

/// `conns` connections each keep `window` lines of `size` bytes in flight
/// for `secs`; returns echoed lines/s, p99 line latency and the server's CPU
/// time per line.
fn measure(server: &Server, conns: usize, size: usize, window: usize, secs: f64) -> Outcome {
    let rt = runtime();
    let addr = server.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let lat = Arc::new(Mutex::new(Vec::<u32>::new()));
    let (cpu0, t0) = (server.cpu(), Instant::now());
    rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (stop, count, lat) = (stop.clone(), count.clone(), lat.clone());
            tasks.push(tokio::spawn(async move {
                let s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let (mut r, mut w) = s.into_split();
                let mut line = vec![b'x'; size];
                line[size - 1] = b'\n';
                let sent: Arc<Mutex<VecDeque<Instant>>> = Arc::default();
                let budget = Arc::new(tokio::sync::Semaphore::new(window));
                let (sent2, budget2, stop2) = (sent.clone(), budget.clone(), stop.clone());
                let writer = tokio::spawn(async move {
                    let mut batch = Vec::new();
                    while !stop2.load(Ordering::Relaxed) {
                        let permits = budget2.acquire_many(1).await.unwrap();
                        let extra = budget2.available_permits();
                        let n = 1 + extra;
                        permits.forget();
                        if extra > 0 {
                            budget2.acquire_many(extra as u32).await.unwrap().forget();
                        }
                        batch.clear();
                        let now = Instant::now();
                        {
                            let mut q = sent2.lock().unwrap();
                            for _ in 0..n {
                                batch.extend_from_slice(&line);
                                q.push_back(now);
                            }
                        }
                        if w.write_all(&batch).await.is_err() {
                            break;
                        }
                    }
                    let _ = w.shutdown().await;
                });
                let mut buf = vec![0u8; 256 * 1024];
                let mut mine = Vec::new();
                loop {
                    let n = match r.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let now = Instant::now();
                    let lines = buf[..n].iter().filter(|&&b| b == b'\n').count();
                    if lines > 0 {
                        let mut q = sent.lock().unwrap();
                        for _ in 0..lines {
                            if let Some(t) = q.pop_front() {
                                mine.push((now - t).as_micros() as u32);
                            }
                        }
                        drop(q);
                        count.fetch_add(lines as u64, Ordering::Relaxed);
                        budget.add_permits(lines);
                        if mine.len() >= 64 {
                            lat.lock().unwrap().append(&mut mine);
                        }
                    }
                }
                writer.abort();
            }));
        }
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        let done = count.load(Ordering::Relaxed);
        let elapsed = t0.elapsed();
        let cpu = server.cpu() - cpu0;
        stop.store(true, Ordering::Relaxed);
        for t in &tasks {
            t.abort();
        }
        let mut l = lat.lock().unwrap().clone();
        l.sort_unstable();
        let p99 = l.get(l.len() * 99 / 100).copied().unwrap_or(0);
        Outcome {
            lines_per_sec: done as f64 / elapsed.as_secs_f64(),
            p99: Duration::from_micros(p99 as u64),
            cpu_per_line: cpu / done.max(1) as u32,
        }
    })
}

/// RSS per idle connection: open `n` connections that send nothing.
fn idle_kib_per_conn(server: &Server, n: usize) -> f64 {
    let rt = runtime();
    rt.block_on(async {
        let before = server.rss_kib();
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            conns.push(TcpStream::connect(server.addr).await.unwrap());
        }
        // Let the server accept and park every handler.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let after = server.rss_kib();
        drop(conns);
        (after.saturating_sub(before)) as f64 / n as f64
    })
}

fn drive() {
    let secs: f64 = std::env::var("WEIR_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let idle: usize = std::env::var("WEIR_BENCH_IDLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    println!("line echo on loopback, pipelined, {secs} s per case; server CPU from /proc");
    println!(
        "| conns | line | weir lines/s | tokio lines/s | ratio | weir p99 | tokio p99 | weir CPU/line | tokio CPU/line | CPU ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (conns, size, window) in [(1, 64, 256), (50, 64, 64), (1, 16384, 16), (50, 16384, 4)] {
        let w = {
            let s = Server::start("weir");
            measure(&s, conns, size, window, secs)
        };
        let t = {
            let s = Server::start("tokio");
            measure(&s, conns, size, window, secs)
        };
        println!(
            "| {conns} | {size} B | {:.0} | {:.0} | {:.2} | {:?} | {:?} | {:?} | {:?} | {:.2} |",
            w.lines_per_sec,
            t.lines_per_sec,
            w.lines_per_sec / t.lines_per_sec,
            w.p99,
            t.p99,
            w.cpu_per_line,
            t.cpu_per_line,
            w.cpu_per_line.as_secs_f64() / t.cpu_per_line.as_secs_f64(),
        );
    }
    for role in ["weir", "tokio"] {
        let s = Server::start(role);
        let kib = idle_kib_per_conn(&s, idle);
        println!("idle connections ({role}): {idle} open, {kib:.2} KiB RSS each");
    }
}
