//! Pipelined GET throughput: the weir RESP2 client against `redis-benchmark`
//! on the same `redis-server`, in one run.
//!
//! ```text
//! cargo run --release -p weir-tokio --example redis_bench -- \
//!     [--port P] [--requests 200000] [--pipeline 16] [--clients 50] [--rounds 5]
//! ```
//!
//! Without `--port` it starts its own `redis-server` (no persistence) on a
//! free loopback port and stops it at the end. Both sides GET the same key,
//! `key:__rand_int__` (the name `redis-benchmark -t get` uses without `-r`),
//! set first to `xxx` (its default 3-byte value), so both read the same bulk
//! replies. Both are single-threaded with the same number of connections,
//! each keeping `--pipeline` requests in flight: send a batch, read its
//! replies, send the next. A third contender, bare tokio sockets counting
//! reply bytes without parsing them, is the ceiling for any tokio client
//! and separates weir's cost from the runtime's. Rounds alternate the
//! three; the medians are reported, and each client's CPU time per
//! request (less disturbed than wall time on a busy machine).

#[path = "support/resp.rs"]
mod resp;
#[path = "support/servers.rs"]
mod servers;

use std::process::Command;
use std::time::Instant;

use bytes::Bytes;
use resp::{Client, Reply};

const KEY: &str = "key:__rand_int__";
const VALUE: &str = "xxx";

use weir_tokio as weir;

#[path = "../../examples/cli.rs"]
mod cli;

/// Pipelined GET throughput: weir's RESP2 client, `redis-benchmark` and bare
/// tokio sockets on the same `redis-server`, rounds alternating.
#[derive(Debug, clap::Parser)]
struct Args {
    /// A running redis-server's port on 127.0.0.1; without it, one is started
    /// on a free port and stopped at the end.
    #[arg(long)]
    port: Option<u16>,
    /// GET requests per contender per round.
    #[arg(long, default_value_t = 200_000, value_parser = positive)]
    requests: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 16, value_parser = positive)]
    pipeline: usize,
    /// Connections per contender.
    #[arg(long, default_value_t = 50, value_parser = positive)]
    clients: usize,
    /// Rounds; medians are reported.
    #[arg(long, default_value_t = 5, value_parser = positive)]
    rounds: usize,
}

/// A positive whole number, for the counts.
fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{s:?} is not a positive whole number")),
    }
}

/// One `redis-benchmark` run; returns its requests per second.
fn redis_benchmark(cmd: &[String]) -> Result<f64, String> {
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .output()
        .map_err(|e| {
            format!("cannot run redis-benchmark ({e}): apt-get install redis-tools, or bash .ci/install-servers.sh")
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    // -q prints progress lines ending in \r, then "GET: N requests per second, ...".
    text.split(['\r', '\n'])
        .filter(|l| l.contains("requests per second"))
        .filter_map(|l| l.trim().strip_prefix("GET: "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .next_back()
        .ok_or_else(|| {
            format!(
                "no GET result in redis-benchmark's output: {text:?} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// The same load with the weir client; returns requests per second.
async fn weir(port: u16, requests: usize, pipeline: usize, clients: usize) -> Result<f64, String> {
    let mut batch = Vec::new();
    for _ in 0..pipeline {
        resp::encode_command(&["GET", KEY], &mut batch);
    }
    let batch = Bytes::from(batch);
    let mut conns = Vec::new();
    for _ in 0..clients {
        conns.push(
            Client::connect("127.0.0.1", port)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    // Requests split across the connections, in whole batches where possible.
    let per_client = requests / clients;
    let want = Reply::bulk(VALUE);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, c) in conns.into_iter().enumerate() {
        let mut left = per_client + usize::from(i < requests % clients);
        let batch = batch.clone();
        let want = want.clone();
        tasks.push(tokio::spawn(async move {
            while left > 0 {
                let n = left.min(pipeline);
                if n == pipeline {
                    c.send_encoded(batch.clone())?;
                } else {
                    let cmds = vec![["GET", KEY]; n];
                    let mut last = Vec::new();
                    for cmd in &cmds {
                        resp::encode_command(cmd, &mut last);
                    }
                    c.send_encoded(last.into())?;
                }
                for _ in 0..n {
                    let r = c.read_reply().await?;
                    if r != want {
                        return Err(resp::RespError::Protocol(format!("unexpected reply {r:?}")));
                    }
                }
                left -= n;
            }
            c.close().await
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    Ok(requests as f64 / start.elapsed().as_secs_f64())
}

/// The ceiling: the same load with bare tokio sockets and no parsing, just
/// counting reply bytes (every reply is the same `$3\r\nxxx\r\n`).
async fn plain_tokio(
    port: u16,
    requests: usize,
    pipeline: usize,
    clients: usize,
) -> Result<f64, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let reply = format!("${}\r\n{VALUE}\r\n", VALUE.len()).into_bytes();
    let mut batch = Vec::new();
    for _ in 0..pipeline {
        resp::encode_command(&["GET", KEY], &mut batch);
    }
    let batch = std::sync::Arc::new(batch);
    let mut conns = Vec::new();
    for _ in 0..clients {
        let s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        conns.push(s);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (i, mut s) in conns.into_iter().enumerate() {
        let mut left = requests / clients + usize::from(i < requests % clients);
        let batch = batch.clone();
        let reply = reply.clone();
        tasks.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            while left > 0 {
                let n = left.min(pipeline);
                s.write_all(&batch[..n * batch.len() / pipeline]).await?;
                let mut got = 0;
                while got < n * reply.len() {
                    let k = s.read(&mut buf).await?;
                    if k == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    // Check the bytes: each must match the expected reply.
                    for (j, b) in buf[..k].iter().enumerate() {
                        if *b != reply[(got + j) % reply.len()] {
                            return Err(std::io::Error::other("unexpected reply byte"));
                        }
                    }
                    got += k;
                }
                left -= n;
            }
            Ok::<_, std::io::Error>(())
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    Ok(requests as f64 / start.elapsed().as_secs_f64())
}

/// CPU time used so far, in seconds: this process's own and that of its
/// waited-for children (so `redis-benchmark` once it has exited; the
/// redis-server is not waited for until the end). From `/proc/self/stat`,
/// in USER_HZ ticks (10 ms); `None` where there is no procfs.
fn cpu_seconds() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let tick = 100.0; // USER_HZ: what /proc counts in, 100 on Linux
    (f.len() == 4).then(|| ((f[0] + f[1]) / tick, (f[2] + f[3]) / tick))
}

/// Runs `f`, returning its result and the CPU seconds it cost (own, children).
async fn with_cpu<T>(f: impl std::future::Future<Output = T>) -> (T, Option<(f64, f64)>) {
    let before = cpu_seconds();
    let out = f.await;
    let cost = before
        .zip(cpu_seconds())
        .map(|(b, a)| (a.0 - b.0, a.1 - b.1));
    (out, cost)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Args = clap::Parser::parse();
    cli::exit(run(args).await.map_err(|e| cli::reason(&*e)))
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let Args {
        port,
        requests,
        pipeline,
        clients,
        rounds,
    } = args;
    let (_server, port) = match port {
        Some(port) => (None, port),
        None => {
            let s = servers::RealServer::redis()?;
            let port = s.port();
            println!("started redis-server (pid {}) on 127.0.0.1:{port}", s.pid());
            (Some(s), port)
        }
    };

    let setup = Client::connect("127.0.0.1", port).await?;
    let ok = setup.command(&["SET", KEY, VALUE]).await?;
    if ok != Reply::Simple(Bytes::from_static(b"OK")) {
        return Err(format!("SET {KEY} answered {ok:?}").into());
    }
    setup.close().await?;

    let cmd: Vec<String> = [
        "redis-benchmark",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-t",
        "get",
        "-P",
        &pipeline.to_string(),
        "-n",
        &requests.to_string(),
        "-c",
        &clients.to_string(),
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    println!("redis-benchmark: {}", cmd.join(" "));
    println!(
        "weir:            {clients} connections on one thread, {pipeline} GET {KEY} per batch, \
         {requests} requests (redis_bench --port {port} --requests {requests} --pipeline {pipeline} --clients {clients})"
    );

    let (mut theirs, mut ours, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    // CPU seconds of each contender over all rounds: redis-benchmark's as a
    // child, weir's and bare tokio's as this process.
    let mut cpu = Some([0.0f64; 3]);
    for round in 1..=rounds {
        let (t, ct) = with_cpu(async { redis_benchmark(&cmd) }).await;
        let (w, cw) = with_cpu(weir(port, requests, pipeline, clients)).await;
        let (p, cp) = with_cpu(plain_tokio(port, requests, pipeline, clients)).await;
        let (t, w, p) = (t?, w?, p?);
        cpu = match (cpu, ct, cw, cp) {
            (Some(c), Some(ct), Some(cw), Some(cp)) => {
                Some([c[0] + ct.1, c[1] + cw.0, c[2] + cp.0])
            }
            _ => None,
        };
        println!(
            "round {round}: redis-benchmark {t:>9.0} req/s   weir {w:>9.0} req/s   bare tokio {p:>9.0} req/s   weir/redis-benchmark {:.2}",
            w / t
        );
        theirs.push(t);
        ours.push(w);
        bare.push(p);
    }
    let (t, w, p) = (median(theirs), median(ours), median(bare));
    println!(
        "median:  redis-benchmark {t:>9.0} req/s   weir {w:>9.0} req/s   bare tokio {p:>9.0} req/s   weir/redis-benchmark {:.2}   weir/bare tokio {:.2}",
        w / t,
        w / p
    );
    if let Some([ct, cw, cp]) = cpu {
        let per = |s: f64| s * 1e6 / (requests * rounds) as f64;
        println!(
            "client CPU per request (user+sys, 10 ms ticks): redis-benchmark {:.2} us   weir {:.2} us   bare tokio {:.2} us",
            per(ct),
            per(cw),
            per(cp)
        );
    }
    Ok(())
}
