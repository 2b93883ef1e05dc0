//! Fairness under a flood: many connections send data with no newline (every
//! server's line reader hits its 64 KiB limit, and closes, over and over)
//! while a probe connects afresh, again and again, and times its first echo.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// What a flood run does.
#[derive(Debug, Clone, Copy)]
pub struct FloodConfig {
    /// Flooding connections open at once.
    pub flooders: usize,
    /// Bytes (no newline) a flooding connection sends before it is closed and
    /// replaced; one the server closes first is replaced too.
    pub bytes_per_conn: u64,
    /// Probes, one after another.
    pub probes: usize,
    /// Pause between probes.
    pub probe_gap: Duration,
    /// Flooding before the first probe.
    pub ramp: Duration,
    /// A probe that takes longer counts as timed out (and as this long).
    pub probe_timeout: Duration,
    /// The whole run, at most.
    pub limit: Duration,
}

impl FloodConfig {
    pub fn full() -> Self {
        FloodConfig {
            flooders: 200,
            bytes_per_conn: 8 << 20,
            probes: 200,
            probe_gap: Duration::from_millis(5),
            ramp: Duration::from_millis(500),
            probe_timeout: Duration::from_secs(2),
            limit: Duration::from_secs(60),
        }
    }

    pub fn quick() -> Self {
        FloodConfig {
            probes: 50,
            ramp: Duration::from_millis(300),
            ..Self::full()
        }
    }
}

/// What a flood run measured.
#[derive(Debug, Clone)]
pub struct FloodResult {
    /// Connect + write one line + read its echo, per probe, sorted.
    pub total: Vec<Duration>,
    /// Write one line + read its echo (after the connect), per probe, sorted.
    pub echo: Vec<Duration>,
    pub timeouts: usize,
    pub flood_bytes: u64,
    pub flood_connections: u64,
    pub elapsed: Duration,
    /// Server utime + stime over the run, in clock ticks.
    pub server_ticks: u64,
}

/// The `q` quantile of sorted durations (nearest rank).
pub fn quantile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

#[derive(Debug, Default)]
struct Counters {
    bytes: AtomicU64,
    connections: AtomicU64,
}

/// One flooding slot: connect, send up to `budget` bytes with no newline
/// while reading and dropping whatever comes back, reconnect when the
/// server closes; forever (the caller aborts it).
async fn flooder(addr: SocketAddr, budget: u64, counters: Arc<Counters>) {
    let chunk = vec![b'x'; 64 * 1024];
    loop {
        let stream =
            match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
                Ok(Ok(s)) => s,
                _ => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
        counters.connections.fetch_add(1, Ordering::Relaxed);
        let (mut rd, mut wr) = stream.into_split();
        let drain = async {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = rd.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        };
        let send = async {
            let mut sent = 0u64;
            while sent < budget {
                let n = chunk
                    .len()
                    .min(usize::try_from(budget - sent).unwrap_or(usize::MAX));
                match wr.write(&chunk[..n]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        sent += n as u64;
                        counters.bytes.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            }
        };
        tokio::select! {
            _ = drain => {}
            _ = send => {}
        }
    }
}

/// One probe on a blocking socket: connect, one 64-byte line, its echo.
/// Returns (connect + echo, echo alone), or None if it took longer than
/// `timeout` or failed.
fn probe(addr: SocketAddr, i: usize, timeout: Duration) -> Result<(Duration, Duration), String> {
    let t0 = Instant::now();
    let mut s = std::net::TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("probe {i}: cannot connect: {e}"))?;
    s.set_nodelay(true).map_err(|e| format!("probe {i}: {e}"))?;
    let t1 = Instant::now();
    let left = timeout
        .saturating_sub(t0.elapsed())
        .max(Duration::from_millis(1));
    s.set_read_timeout(Some(left))
        .map_err(|e| format!("probe {i}: {e}"))?;
    let mut line =
        format!("probe {i:06} wants its echo back soon, even under a flood ").into_bytes();
    line.resize(63, b'.');
    line.push(b'\n');
    s.write_all(&line)
        .map_err(|e| format!("probe {i}: cannot write: {e}"))?;
    let mut got = vec![0u8; line.len()];
    s.read_exact(&mut got)
        .map_err(|e| format!("probe {i}: no echo: {e}"))?;
    let t2 = Instant::now();
    if got != line {
        return Err(format!(
            "probe {i}: echoed {:?} for {:?}",
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&line)
        ));
    }
    Ok((t2 - t0, t2 - t1))
}

/// Floods `addr` and probes it. The server's CPU time is read from
/// `/proc/PID/stat`.
pub async fn run(addr: SocketAddr, pid: u32, cfg: FloodConfig) -> Result<FloodResult, String> {
    let counters = Arc::new(Counters::default());
    let mut set = JoinSet::new();
    for _ in 0..cfg.flooders {
        set.spawn(flooder(addr, cfg.bytes_per_conn, Arc::clone(&counters)));
    }
    let stat = format!("/proc/{pid}/stat");
    let s0 = crate::proc::cpu_ticks_of(&stat)?;
    let t0 = Instant::now();
    tokio::time::sleep(cfg.ramp).await;
    let probes = tokio::task::spawn_blocking(move || {
        let mut total = Vec::with_capacity(cfg.probes);
        let mut echo = Vec::with_capacity(cfg.probes);
        let mut timeouts = 0;
        let mut last_error = None;
        for i in 0..cfg.probes {
            if t0.elapsed() > cfg.limit {
                return Err(format!(
                    "the flood run hit its {} s limit after {i} probes",
                    cfg.limit.as_secs()
                ));
            }
            std::thread::sleep(cfg.probe_gap);
            match probe(addr, i, cfg.probe_timeout) {
                Ok((t, e)) => {
                    total.push(t);
                    echo.push(e);
                }
                Err(e) => {
                    timeouts += 1;
                    total.push(cfg.probe_timeout);
                    echo.push(cfg.probe_timeout);
                    last_error = Some(e);
                }
            }
        }
        if timeouts == cfg.probes {
            return Err(format!(
                "every probe failed; the last: {}",
                last_error.unwrap_or_default()
            ));
        }
        Ok((total, echo, timeouts))
    })
    .await;
    let elapsed = t0.elapsed();
    let s1 = crate::proc::cpu_ticks_of(&stat);
    set.abort_all();
    while set.join_next().await.is_some() {}
    let (mut total, mut echo, timeouts) =
        probes.map_err(|e| format!("the probe thread failed: {e}"))??;
    total.sort();
    echo.sort();
    Ok(FloodResult {
        total,
        echo,
        timeouts,
        flood_bytes: counters.bytes.load(Ordering::Relaxed),
        flood_connections: counters.connections.load(Ordering::Relaxed),
        elapsed,
        server_ticks: s1?.saturating_sub(s0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::net::TcpListener;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&v, 0.5), Some(Duration::from_millis(50)));
        assert_eq!(quantile(&v, 0.99), Some(Duration::from_millis(99)));
        assert_eq!(quantile(&v, 1.0), Some(Duration::from_millis(100)));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bounded_line_server_answers_probes_under_a_flood() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let (r, mut w) = s.split();
                    let mut r = BufReader::new(r);
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        let n = (&mut r)
                            .take(64 * 1024)
                            .read_until(b'\n', &mut line)
                            .await
                            .unwrap_or(0);
                        if n == 0 || line.last() != Some(&b'\n') {
                            return;
                        }
                        if w.write_all(&line).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let cfg = FloodConfig {
            flooders: 8,
            bytes_per_conn: 1 << 20,
            probes: 10,
            probe_gap: Duration::from_millis(1),
            ramp: Duration::from_millis(50),
            probe_timeout: Duration::from_secs(2),
            limit: Duration::from_secs(20),
        };
        let r = run(addr, std::process::id(), cfg).await.unwrap();
        assert_eq!(r.total.len(), 10);
        assert_eq!(r.timeouts, 0);
        assert!(r.flood_bytes > 0 && r.flood_connections >= 8);
        assert!(r.echo[9] <= r.total[9]);
    }
}
