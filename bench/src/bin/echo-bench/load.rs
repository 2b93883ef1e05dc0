//! The load generator: N pipelined connections sending a fixed number of
//! lines each, every reply verified; lines/s, latency and the server's CPU
//! time from the first write to the last reply.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::hist::Histogram;
use crate::proc::cpu_ticks_of;

/// One measured profile: a fixed number of lines on each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    /// Short name (`p1`...).
    pub name: &'static str,
    pub connections: usize,
    pub line_len: usize,
    /// Lines in flight per connection, at most.
    pub window: usize,
    /// Lines each connection sends (and must get back).
    pub lines_per_conn: u64,
}

impl Case {
    /// Lines over every connection.
    pub fn total_lines(&self) -> u64 {
        self.connections as u64 * self.lines_per_conn
    }
}

/// Time limits of a case.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// No reply for this long while lines are outstanding: the server stalled.
    pub stall: Duration,
    /// The whole case, at most.
    pub limit: Duration,
    /// After the last reply: time for the server to close after our EOF.
    pub eof_grace: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            stall: Duration::from_secs(10),
            limit: Duration::from_secs(120),
            eof_grace: Duration::from_secs(2),
        }
    }
}

/// The server a case runs against.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: String,
    pub addr: SocketAddr,
    /// Its process, for /proc/PID/stat.
    pub pid: u32,
}

/// What one run of one case on one server measured.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Replies received (and verified): every line of the case.
    pub lines: u64,
    pub elapsed: Duration,
    pub latency: Histogram,
    /// Server utime + stime from the first write to the last reply, in
    /// clock ticks.
    pub server_ticks: u64,
    /// The same in nanoseconds, from the scheduler's exact count of the
    /// server's threads (see `proc::cpu_ns_of`), where the kernel has it.
    pub server_ns: Option<u64>,
    /// This process's (the client's) utime + stime over the window.
    pub client_ticks: u64,
    /// CPU time of everything else on the machine over the window (user +
    /// system time of all CPUs in /proc/stat, less server and client), in
    /// clock ticks: other work competing for the cores.
    pub other_ticks: u64,
    /// Something odd but not wrong (e.g. the server kept connections open
    /// after the client's EOF).
    pub note: Option<String>,
}

impl Measured {
    pub fn lines_per_sec(&self) -> f64 {
        self.lines as f64 / self.elapsed.as_secs_f64()
    }

    /// Server CPU time per line in nanoseconds: the exact count where there
    /// is one, else from the clock ticks (`tick_ns` each).
    pub fn server_ns_per_line(&self, tick_ns: f64) -> f64 {
        let ns = match self.server_ns {
            Some(ns) => ns as f64,
            None => self.server_ticks as f64 * tick_ns,
        };
        ns / self.lines.max(1) as f64
    }
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// The bytes a connection sends: `lines` distinct lines, cycled, stored twice
/// over so that any run of up to `lines` lines from any line is contiguous.
#[derive(Debug)]
struct Pattern {
    bytes: Vec<u8>,
    line_len: usize,
    lines: usize,
}

impl Pattern {
    fn new(conn: usize, line_len: usize, lines: usize) -> Self {
        let mut bytes = Vec::with_capacity(2 * lines * line_len);
        for i in 0..lines {
            let start = bytes.len();
            bytes.extend_from_slice(format!("c{conn:05} l{i:06} ").as_bytes());
            let fill = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            let mut k = (conn * 7 + i * 13) % fill.len();
            while bytes.len() < start + line_len - 1 {
                bytes.push(fill[k]);
                k = (k + 1) % fill.len();
            }
            bytes.truncate(start + line_len - 1);
            bytes.push(b'\n');
        }
        bytes.extend_from_within(..);
        Pattern {
            bytes,
            line_len,
            lines,
        }
    }

    fn cycle_len(&self) -> usize {
        self.lines * self.line_len
    }

    /// The bytes of lines `seq..seq + n` (n ≤ self.lines).
    fn lines_from(&self, seq: u64, n: usize) -> &[u8] {
        let start = (seq % self.lines as u64) as usize * self.line_len;
        &self.bytes[start..start + n * self.line_len]
    }

    /// Checks received bytes that start at stream offset `offset`.
    fn verify(&self, offset: u64, mut got: &[u8]) -> Result<(), String> {
        let cycle = self.cycle_len();
        let mut off = offset;
        while !got.is_empty() {
            let start = (off % cycle as u64) as usize;
            let n = got.len().min(cycle);
            let want = &self.bytes[start..start + n];
            if want != &got[..n] {
                let i = want
                    .iter()
                    .zip(&got[..n])
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                let at = off + i as u64;
                let line = at / self.line_len as u64;
                let show =
                    |b: &[u8]| String::from_utf8_lossy(&b[i..(i + 24).min(b.len())]).into_owned();
                return Err(format!(
                    "reply byte {at} (line {line}, column {}) differs: expected {:?}, got {:?}",
                    at % self.line_len as u64,
                    show(want),
                    show(&got[..n])
                ));
            }
            got = &got[n..];
            off += n as u64;
        }
        Ok(())
    }
}

/// Shared by the writer and reader of one connection.
#[derive(Debug, Default)]
struct Conn {
    /// Lines whose reply has fully arrived.
    received: AtomicU64,
    /// Set with `sent_final` once the writer stopped.
    writer_done: AtomicBool,
    sent_final: AtomicU64,
    writer_wake: Notify,
    /// Batches in flight, and the latencies measured so far.
    inflight: Mutex<InFlight>,
}

#[derive(Debug, Default)]
struct InFlight {
    /// Batches written and not yet fully answered: (end line, time written).
    batches: VecDeque<(u64, Instant)>,
    /// Round trips of every line answered.
    latency: Histogram,
}

#[derive(Debug)]
struct Global {
    /// MEASURE or STOP.
    phase: AtomicU8,
    /// Replies received on every connection.
    received: AtomicU64,
    /// Every line of the case.
    total: u64,
    /// When the last reply arrived.
    finished: Mutex<Option<Instant>>,
    all_done: Notify,
}

/// Runs one case against a running server: connects, then sends every line
/// (at most `window` unanswered per connection), verifies every reply, and
/// measures from the first write to the last reply.
pub async fn run_case(server: &Endpoint, case: Case, timing: Timing) -> Result<Measured, String> {
    let global = Arc::new(Global {
        phase: AtomicU8::new(MEASURE),
        received: AtomicU64::new(0),
        total: case.total_lines(),
        finished: Mutex::new(None),
        all_done: Notify::new(),
    });
    let pattern_lines = (4 * case.window).max(16);
    let refill = (case.window / 2).max(1);
    let mut conns = Vec::with_capacity(case.connections);
    let mut tasks = JoinSet::new();
    let mut writers = Vec::with_capacity(case.connections);
    for c in 0..case.connections {
        let stream = connect(server.addr).await?;
        let (rd, wr) = stream.into_split();
        let conn = Arc::new(Conn::default());
        let pattern = Arc::new(Pattern::new(c, case.line_len, pattern_lines));
        conns.push(Arc::clone(&conn));
        writers.push((wr, Arc::clone(&pattern), Arc::clone(&conn)));
        let buf_len = (64 * 1024).max(4 * case.line_len);
        let global = Arc::clone(&global);
        tasks.spawn(async move {
            reader(rd, pattern, conn, global, buf_len)
                .await
                .map_err(|e| format!("connection {c}: {e}"))
        });
    }

    let self_stat = format!("/proc/{}/stat", std::process::id());
    let server_stat = format!("/proc/{}/stat", server.pid);
    let s0 = cpu_ticks_of(&server_stat)?;
    let ns0 = crate::proc::cpu_ns_of(server.pid);
    let c0 = cpu_ticks_of(&self_stat)?;
    let m0 = machine_busy_ticks()?;
    let t0 = Instant::now();
    let all_done = global.all_done.notified();
    tokio::pin!(all_done);
    all_done.as_mut().enable();
    for (c, (wr, p, k)) in writers.into_iter().enumerate() {
        let g = Arc::clone(&global);
        let limit = case.lines_per_conn;
        tasks.spawn(async move {
            writer(wr, p, k, g, case.window, refill, limit)
                .await
                .map_err(|e| format!("connection {c}: {e}"))
        });
    }

    // Wait for the last reply; fail on a client error, a stall or the limit.
    let mut last_count = 0;
    let mut last_progress = Instant::now();
    let stop = |conns: &[Arc<Conn>]| {
        global.phase.store(STOP, Ordering::SeqCst);
        for conn in conns {
            conn.writer_wake.notify_one();
        }
    };
    loop {
        if global.received.load(Ordering::SeqCst) >= global.total {
            break;
        }
        tokio::select! {
            _ = &mut all_done => break,
            joined = tasks.join_next() => {
                if let Some(joined) = joined {
                    if let Err(e) = joined
                        .map_err(|e| format!("a client task failed: {e}"))
                        .and_then(|r| r.map_err(|e| format!("{}: {e}", server.name)))
                    {
                        stop(&conns);
                        return Err(e);
                    }
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        let now = global.received.load(Ordering::SeqCst);
        if now != last_count {
            last_count = now;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > timing.stall {
            stop(&conns);
            return Err(format!(
                "{} stalled: {} of {} lines still unanswered after {:.1} s without a reply",
                server.name,
                global.total - now,
                global.total,
                timing.stall.as_secs_f64()
            ));
        }
        if t0.elapsed() > timing.limit {
            stop(&conns);
            return Err(format!(
                "{}: {now} of {} lines answered after {:.0} s: gave up",
                server.name,
                global.total,
                timing.limit.as_secs_f64()
            ));
        }
    }
    let s1 = cpu_ticks_of(&server_stat)?;
    let ns1 = crate::proc::cpu_ns_of(server.pid);
    let c1 = cpu_ticks_of(&self_stat)?;
    let m1 = machine_busy_ticks()?;
    let end = global
        .finished
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(Instant::now);
    let elapsed = end.duration_since(t0);

    // Every writer half-closed after its last line: expect EOF on every
    // connection within a grace period.
    let deadline = Instant::now() + timing.eof_grace;
    let mut note = None;
    while !tasks.is_empty() {
        match tokio::time::timeout_at(deadline.into(), tasks.join_next()).await {
            Ok(Some(joined)) => joined
                .map_err(|e| format!("a client task failed: {e}"))?
                .map_err(|e| format!("{}: {e}", server.name))?,
            Ok(None) => break,
            Err(_) => {
                note = Some(format!(
                    "kept connections open {:.1} s after the client's EOF",
                    timing.eof_grace.as_secs_f64()
                ));
                break;
            }
        }
    }
    tasks.abort_all();
    let mut latency = Histogram::new();
    for conn in &conns {
        latency.merge(
            &conn
                .inflight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .latency,
        );
    }
    Ok(Measured {
        lines: global.received.load(Ordering::SeqCst),
        elapsed,
        latency,
        server_ticks: s1.saturating_sub(s0),
        server_ns: ns0.zip(ns1).map(|(a, b)| b.saturating_sub(a)),
        client_ticks: c1.saturating_sub(c0),
        other_ticks: (m1.saturating_sub(m0))
            .saturating_sub(s1.saturating_sub(s0) + c1.saturating_sub(c0)),
        note,
    })
}

/// user + nice + system time of all CPUs, in clock ticks (/proc/stat).
fn machine_busy_ticks() -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/stat").map_err(|e| format!("/proc/stat: {e}"))?;
    parse_machine_busy(&text).ok_or_else(|| "/proc/stat: no cpu line".to_owned())
}

fn parse_machine_busy(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(3)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    (v.len() == 3).then(|| v.iter().sum())
}

async fn connect(addr: SocketAddr) -> Result<TcpStream, String> {
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| {
            format!(
                "connecting to {addr} timed out after {} s",
                CONNECT_TIMEOUT.as_secs()
            )
        })?
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
    Ok(stream)
}

/// Sends `limit` lines, keeping up to `window` in flight and topping up by
/// at least `refill` lines per write (or what is left); stops early at phase
/// STOP; then half-closes.
async fn writer(
    mut wr: OwnedWriteHalf,
    pattern: Arc<Pattern>,
    conn: Arc<Conn>,
    global: Arc<Global>,
    window: usize,
    refill: usize,
    limit: u64,
) -> Result<(), String> {
    let mut sent = 0u64;
    let result: Result<(), String> = async {
        loop {
            if global.phase.load(Ordering::Acquire) == STOP || sent == limit {
                return Ok(());
            }
            let wake = conn.writer_wake.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            let in_flight = (sent - conn.received.load(Ordering::Acquire)) as usize;
            let left = usize::try_from(limit - sent).unwrap_or(usize::MAX);
            let room = (window - in_flight).min(left);
            if room < refill.min(left) {
                wake.await;
                continue;
            }
            conn.inflight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .batches
                .push_back((sent + room as u64, Instant::now()));
            wr.write_all(pattern.lines_from(sent, room))
                .await
                .map_err(|e| format!("write failed after {sent} lines: {e}"))?;
            sent += room as u64;
        }
    }
    .await;
    conn.sent_final.store(sent, Ordering::Release);
    conn.writer_done.store(true, Ordering::Release);
    result?;
    wr.shutdown()
        .await
        .map_err(|e| format!("cannot half-close after {sent} lines: {e}"))
}

/// Reads and verifies every reply until EOF; records the latencies in `conn`.
async fn reader(
    mut rd: OwnedReadHalf,
    pattern: Arc<Pattern>,
    conn: Arc<Conn>,
    global: Arc<Global>,
    buf_len: usize,
) -> Result<(), String> {
    let mut buf = vec![0u8; buf_len];
    let line_len = pattern.line_len as u64;
    let mut bytes = 0u64;
    let mut done = 0u64;
    loop {
        let n = rd
            .read(&mut buf)
            .await
            .map_err(|e| format!("read failed after {done} replies: {e}"))?;
        if n == 0 {
            let sent = conn.sent_final.load(Ordering::Acquire);
            if !conn.writer_done.load(Ordering::Acquire) || done != sent || bytes % line_len != 0 {
                return Err(format!(
                    "server closed the connection after {done} full replies ({bytes} bytes) while lines were still unanswered"
                ));
            }
            return Ok(());
        }
        pattern.verify(bytes, &buf[..n])?;
        bytes += n as u64;
        let now_done = bytes / line_len;
        if now_done == done {
            continue;
        }
        let now = Instant::now();
        {
            let mut inflight = conn.inflight.lock().unwrap_or_else(|e| e.into_inner());
            let mut seq = done;
            while seq < now_done {
                let Some(&(end, sent_at)) = inflight.batches.front() else {
                    return Err(format!(
                        "received a reply to line {seq}, which was never sent"
                    ));
                };
                let upto = end.min(now_done);
                inflight
                    .latency
                    .record_n(now.duration_since(sent_at), upto - seq);
                seq = upto;
                if upto == end {
                    inflight.batches.pop_front();
                }
            }
        }
        conn.received.store(now_done, Ordering::Release);
        let before = global.received.fetch_add(now_done - done, Ordering::SeqCst);
        if before + (now_done - done) == global.total {
            *global.finished.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
            global.all_done.notify_one();
        }
        done = now_done;
        conn.writer_wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::net::TcpListener;

    #[derive(Clone, Copy)]
    enum Behaviour {
        Echo,
        /// Skips the 10th line of each connection.
        DropLine,
        /// Echoes 20 lines, then reads on and answers nothing, and stays open.
        Stall,
        /// Echoes every line but keeps the connection open after EOF.
        NoClose,
        /// Echoes 20 lines, then closes.
        CloseEarly,
    }

    async fn serve(b: Behaviour) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let (r, mut w) = s.split();
                    let mut r = BufReader::new(r);
                    let mut line = Vec::new();
                    for n in 1u64.. {
                        line.clear();
                        if r.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                            break;
                        }
                        let answer = match b {
                            Behaviour::DropLine => n != 10,
                            Behaviour::Stall => n <= 20,
                            Behaviour::CloseEarly if n > 20 => return,
                            Behaviour::Echo | Behaviour::NoClose | Behaviour::CloseEarly => true,
                        };
                        if answer && w.write_all(&line).await.is_err() {
                            return;
                        }
                    }
                    if matches!(b, Behaviour::NoClose | Behaviour::Stall) {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                });
            }
        });
        Endpoint {
            name: "test-server".to_owned(),
            addr,
            pid: std::process::id(),
        }
    }

    fn quick() -> Timing {
        Timing {
            stall: Duration::from_millis(500),
            limit: Duration::from_secs(20),
            eof_grace: Duration::from_millis(200),
        }
    }

    const CASE: Case = Case {
        name: "t",
        connections: 3,
        line_len: 64,
        window: 8,
        lines_per_conn: 2000,
    };

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_correct_server_is_measured() {
        let server = serve(Behaviour::Echo).await;
        let m = run_case(&server, CASE, quick()).await.unwrap();
        assert_eq!(m.lines, 6000);
        assert_eq!(m.latency.count(), 6000);
        assert!(m.latency.quantile(0.99).is_some());
        assert!(m.note.is_none(), "{:?}", m.note);
        let big = Case {
            name: "t",
            connections: 2,
            line_len: 16384,
            window: 4,
            lines_per_conn: 101,
        };
        assert_eq!(run_case(&server, big, quick()).await.unwrap().lines, 202);
        let ping = Case {
            name: "t",
            connections: 1,
            line_len: 64,
            window: 1,
            lines_per_conn: 50,
        };
        assert_eq!(run_case(&server, ping, quick()).await.unwrap().lines, 50);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lost_line_is_an_error() {
        let server = serve(Behaviour::DropLine).await;
        let err = run_case(&server, CASE, quick()).await.unwrap_err();
        assert!(err.contains("differs") && err.contains("line 9"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stalled_server_is_an_error_not_a_hang() {
        let server = serve(Behaviour::Stall).await;
        let err = run_case(&server, CASE, quick()).await.unwrap_err();
        assert!(err.contains("test-server stalled"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_server_that_closes_early_is_an_error() {
        let server = serve(Behaviour::CloseEarly).await;
        let err = run_case(&server, CASE, quick()).await.unwrap_err();
        assert!(
            err.contains("closed the connection after 20 full replies"),
            "{err}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_server_that_stays_open_after_eof_gets_a_note() {
        let server = serve(Behaviour::NoClose).await;
        let m = run_case(&server, CASE, quick()).await.unwrap();
        assert!(m.lines > 0);
        assert!(m.note.unwrap().contains("kept connections open"));
        assert!(m.latency.quantile(0.99).is_some());
    }

    #[test]
    fn machine_busy_is_user_nice_system() {
        let stat = "cpu  100 5 50 9000 7 1 2 0 0 0\ncpu0 50 2 25 4500 3 0 1 0 0 0\n";
        assert_eq!(parse_machine_busy(stat), Some(155));
        assert_eq!(parse_machine_busy("intr 1 2 3\n"), None);
    }

    #[test]
    fn pattern_lines_are_distinct_full_length_lines() {
        let p = Pattern::new(3, 64, 16);
        let lines: Vec<&[u8]> = p.bytes.chunks(64).collect();
        assert_eq!(lines.len(), 32);
        for (i, l) in lines.iter().enumerate() {
            assert_eq!(l.len(), 64);
            assert_eq!(l[63], b'\n');
            assert!(!l[..63].contains(&b'\n'));
            assert_eq!(*l, lines[i % 16]);
        }
        for i in 0..16 {
            for j in i + 1..16 {
                assert_ne!(lines[i], lines[j]);
            }
        }
        assert_eq!(p.lines_from(15, 2), &p.bytes[15 * 64..17 * 64]);
        assert_eq!(p.lines_from(17, 1), &p.bytes[64..128]);
    }

    #[test]
    fn verify_accepts_the_stream_in_any_split_and_names_a_bad_byte() {
        let p = Pattern::new(0, 32, 16);
        let stream: Vec<u8> = (0..100u64)
            .flat_map(|s| p.lines_from(s, 1).to_vec())
            .collect();
        for split in [1, 7, 32, 500, 511, 512, 3200] {
            let mut off = 0;
            for chunk in stream.chunks(split) {
                p.verify(off, chunk).unwrap();
                off += chunk.len() as u64;
            }
        }
        // A lost line shifts the stream.
        let mut lost = stream[..32 * 5].to_vec();
        lost.extend_from_slice(&stream[32 * 6..32 * 8]);
        let err = p.verify(0, &lost).unwrap_err();
        assert!(err.contains("reply byte 173 (line 5, column 13)"), "{err}");
        // Two lines swapped.
        let mut swapped = stream[..32 * 4].to_vec();
        swapped.extend_from_slice(&stream[32 * 5..32 * 6]);
        swapped.extend_from_slice(&stream[32 * 4..32 * 5]);
        assert!(p.verify(0, &swapped).is_err());
        // A changed byte deep inside.
        let mut flipped = stream.clone();
        flipped[32 * 40 + 20] ^= 1;
        let err = p.verify(0, &flipped).unwrap_err();
        assert!(
            err.contains(&format!("reply byte {}", 32 * 40 + 20)),
            "{err}"
        );
    }
}
