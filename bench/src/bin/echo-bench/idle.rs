//! Idle-connection memory: the server's RSS before and after N connections
//! that send nothing, and again after each has echoed one line.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::servers::ServerProcess;

/// What the idle-connection test measured.
#[derive(Debug, Clone)]
pub struct IdleMemory {
    pub connections: usize,
    pub rss_before_kib: u64,
    pub rss_idle_kib: u64,
    pub rss_after_line_kib: u64,
}

impl IdleMemory {
    /// Bytes of RSS per connection, never used.
    pub fn per_conn_idle(&self) -> f64 {
        per_conn(self.rss_idle_kib, self.rss_before_kib, self.connections)
    }

    /// Bytes of RSS per connection, after each echoed one line.
    pub fn per_conn_after_line(&self) -> f64 {
        per_conn(
            self.rss_after_line_kib,
            self.rss_before_kib,
            self.connections,
        )
    }
}

fn per_conn(after: u64, before: u64, n: usize) -> f64 {
    (after as f64 - before as f64) * 1024.0 / n as f64
}

const BATCH: usize = 100;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const ACCEPT_TIMEOUT: Duration = Duration::from_secs(20);
const ECHO_TIMEOUT: Duration = Duration::from_secs(20);
const SETTLE: Duration = Duration::from_millis(500);

/// Opens `n` connections to `server` (a fresh one: nothing else connected).
pub async fn measure(server: &mut ServerProcess, n: usize) -> Result<IdleMemory, String> {
    tokio::time::sleep(SETTLE).await;
    let fds_before = server.fd_count()?;
    let rss_before_kib = server.rss_kib()?;
    let mut conns: Vec<TcpStream> = Vec::with_capacity(n);
    // Connect in batches no larger than a small listen backlog, and wait for
    // the server to accept each batch (its open descriptors), so no SYN is
    // dropped and retried a second later.
    while conns.len() < n {
        let batch = BATCH.min(n - conns.len());
        let mut set = JoinSet::new();
        for _ in 0..batch {
            let addr = server.addr;
            set.spawn(async move {
                tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
                    .await
                    .map_err(|_| format!("connecting to {addr} timed out"))?
                    .map_err(|e| format!("cannot connect to {addr}: {e}"))
            });
        }
        while let Some(r) = set.join_next().await {
            let stream = r.map_err(|e| format!("a connect task failed: {e}"))?;
            conns.push(stream.map_err(|e| format!("after {} connections: {e}", conns.len()))?);
        }
        wait_for_fds(server, fds_before + conns.len()).await?;
    }
    tokio::time::sleep(SETTLE).await;
    server.check_alive()?;
    let rss_idle_kib = server.rss_kib()?;

    // One 64-byte line each, BATCH connections at a time.
    let line: &[u8] = b"idle connection wakes up and echoes one line, then sleeps again\n";
    let deadline = Instant::now() + ECHO_TIMEOUT;
    for chunk in conns.chunks_mut(BATCH) {
        for c in chunk.iter_mut() {
            c.write_all(line)
                .await
                .map_err(|e| format!("cannot write to an idle connection: {e}"))?;
        }
        for c in chunk.iter_mut() {
            let mut got = [0u8; 64];
            let read = tokio::time::timeout_at(deadline.into(), c.read_exact(&mut got))
                .await
                .map_err(|_| {
                    format!(
                        "{} did not echo a line on an idle connection within {} s",
                        server.name,
                        ECHO_TIMEOUT.as_secs()
                    )
                })?;
            read.map_err(|e| format!("reading the echo on an idle connection: {e}"))?;
            if got[..] != *line {
                return Err(format!(
                    "{} echoed {:?} for {:?}",
                    server.name,
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(line)
                ));
            }
        }
    }
    tokio::time::sleep(SETTLE).await;
    server.check_alive()?;
    let rss_after_line_kib = server.rss_kib()?;
    drop(conns);
    Ok(IdleMemory {
        connections: n,
        rss_before_kib,
        rss_idle_kib,
        rss_after_line_kib,
    })
}

async fn wait_for_fds(server: &ServerProcess, want: usize) -> Result<(), String> {
    let deadline = Instant::now() + ACCEPT_TIMEOUT;
    loop {
        let have = server.fd_count()?;
        if have >= want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} has {have} open descriptors, expected {want}: it did not accept every connection within {} s",
                server.name,
                ACCEPT_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
