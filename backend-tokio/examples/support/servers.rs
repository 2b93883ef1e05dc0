//! Starts a real `redis-server` or `memcached` on a free loopback port and
//! stops it, by its process id, when the guard is dropped (also when a test
//! panics). Used by `tests/redis.rs`, `tests/memcached.rs` and the
//! `redis_bench` example.
//!
//! Neither server can bind port 0 and report the port, so a free port is
//! found by binding `127.0.0.1:0` and closing it; if another process takes
//! it meanwhile the server exits (address in use) and a new port is tried.
//! A server counts as ready once the process listening on the port reports
//! the child's own process id (`INFO server` / `stats`).

// Each includer uses a different part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How many ports to try before giving up.
const TRIES: usize = 5;
/// How long a server may take to start accepting.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `redis-server`, package `redis-server`.
    Redis,
    /// `memcached`, package `memcached`.
    Memcached,
}

impl Kind {
    fn program(self) -> &'static str {
        match self {
            Kind::Redis => "redis-server",
            Kind::Memcached => "memcached",
        }
    }

    fn args(self, port: u16) -> Vec<String> {
        let port = port.to_string();
        let dir = std::env::temp_dir().display().to_string();
        let args: Vec<&str> = match self {
            // No persistence; nothing is written, but --dir keeps any stray
            // file out of the working directory.
            Kind::Redis => vec![
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
                "--dir",
                &dir,
            ],
            // -u only matters when run as root, where memcached refuses to
            // start without it; elsewhere it is ignored. -U 0: no UDP.
            Kind::Memcached => vec!["-l", "127.0.0.1", "-p", &port, "-U", "0", "-u", "root"],
        };
        args.into_iter().map(String::from).collect()
    }

    /// The message for a missing binary: how to install it.
    pub fn install_hint(self) -> String {
        let pkg = match self {
            Kind::Redis => "redis-server redis-tools",
            Kind::Memcached => "memcached",
        };
        format!(
            "{} not found on PATH: install it with `apt-get install {pkg}`, \
             or run `bash .ci/install-servers.sh` (`bash .ci/run` does)",
            self.program()
        )
    }

    /// Asks the server on `port` for its process id.
    fn pid_on(self, port: u16) -> Option<u32> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
        s.set_read_timeout(Some(Duration::from_millis(300))).ok()?;
        let (ask, key, end): (&[u8], &str, &[u8]) = match self {
            Kind::Redis => (
                b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n",
                "process_id:",
                b"\r\n\r\n",
            ),
            Kind::Memcached => (b"stats\r\n", "STAT pid ", b"END\r\n"),
        };
        s.write_all(ask).ok()?;
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        while !got.ends_with(end) && got.len() < 1 << 20 {
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
        }
        let text = String::from_utf8_lossy(&got);
        let at = text.find(key)? + key.len();
        text[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }
}

/// A running server; dropping it kills the process and waits for it.
#[derive(Debug)]
pub struct RealServer {
    child: Child,
    port: u16,
    kind: Kind,
}

/// A port that was free a moment ago.
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("cannot bind 127.0.0.1:0 to find a free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read the bound port: {e}"))
}

impl RealServer {
    /// Starts `redis-server` with no persistence on a free loopback port.
    ///
    /// # Errors
    ///
    /// How to install it when it is missing; what it printed when it would
    /// not start.
    pub fn redis() -> Result<RealServer, String> {
        RealServer::start(Kind::Redis)
    }

    /// Starts `memcached` (no UDP) on a free loopback port.
    ///
    /// # Errors
    ///
    /// As [`redis`](Self::redis).
    pub fn memcached() -> Result<RealServer, String> {
        RealServer::start(Kind::Memcached)
    }

    /// Starts `kind` on a free loopback port, trying new ports on conflict.
    ///
    /// # Errors
    ///
    /// As [`redis`](Self::redis).
    pub fn start(kind: Kind) -> Result<RealServer, String> {
        RealServer::start_with_ports(kind, free_port)
    }

    /// Starts `kind` on the first port from `next_port` where it comes up,
    /// asking for up to five ports (a port taken meanwhile makes the server
    /// exit; the next one is tried).
    ///
    /// # Errors
    ///
    /// As [`redis`](Self::redis); `next_port`'s own error.
    pub fn start_with_ports(
        kind: Kind,
        mut next_port: impl FnMut() -> Result<u16, String>,
    ) -> Result<RealServer, String> {
        let mut last = String::new();
        for _ in 0..TRIES {
            let port = next_port()?;
            let child = Command::new(kind.program())
                .args(kind.args(port))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn();
            let child = match child {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(kind.install_hint())
                }
                Err(e) => return Err(format!("cannot run {}: {e}", kind.program())),
            };
            // From here on the guard owns the process: any early return
            // kills it.
            let mut server = RealServer { child, port, kind };
            match server.wait_ready()? {
                None => return Ok(server),
                Some(why) => last = why,
            }
        }
        Err(format!(
            "{} did not start on any of {TRIES} free ports; last attempt: {last}",
            kind.program()
        ))
    }

    /// Waits until the server answers with its own pid. `Ok(None)` when
    /// ready, `Ok(Some(why))` when it exited (worth another port).
    fn wait_ready(&mut self) -> Result<Option<String>, String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let pid = self.child.id();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut output = String::new();
                if let Some(mut o) = self.child.stdout.take() {
                    let _ = o.read_to_string(&mut output);
                }
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut output);
                }
                return Ok(Some(format!(
                    "port {} exited with {status}: {}",
                    self.port,
                    output.trim()
                )));
            }
            if self.kind.pid_on(self.port) == Some(pid) {
                return Ok(None);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} (pid {pid}) did not accept on 127.0.0.1:{} within {READY_TIMEOUT:?}",
                    self.kind.program(),
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port the server listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        // Stop it by its process id, and reap it so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
