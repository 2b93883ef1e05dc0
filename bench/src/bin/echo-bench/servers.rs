//! The servers under test: the table, how each is built or located, and a
//! running server process with its /proc counters.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How a server is built or found.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A binary of this crate (`src/bin/NAME.rs`).
    Peer { bin: &'static str },
    /// `cargo build --release -p PACKAGE --example EXAMPLE`, run with
    /// `--mode lines`.
    WeirExample {
        package: &'static str,
        example: &'static str,
    },
    /// `bench/echo_server.py --loop LOOP` (uvloop from the venv of setup.sh).
    Python { event_loop: &'static str },
}

/// One row of the server table.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub kind: Kind,
    pub about: &'static str,
}

/// Every server the harness knows, in the order it measures and prints them.
pub const TABLE: &[Spec] = &[
    Spec {
        name: "weir-tokio",
        kind: Kind::WeirExample {
            package: "weir-tokio",
            example: "echo_server",
        },
        about: "weir-tokio `echo_server --mode lines`",
    },
    Spec {
        name: "tokio-bufio",
        kind: Kind::Peer { bin: "tokio-bufio" },
        about: "tokio, BufReader::read_until + BufWriter, flushed when the read buffer is empty",
    },
    Spec {
        name: "tokio-codec",
        kind: Kind::Peer { bin: "tokio-codec" },
        about: "tokio-util Framed + LinesCodec, feed per line, flushed when no frame is buffered",
    },
    Spec {
        name: "tokio-naive",
        kind: Kind::Peer { bin: "tokio-naive" },
        about: "tokio, BufReader::read_line + write_all per line (one write call per line)",
    },
    Spec {
        name: "weir-smol",
        kind: Kind::WeirExample {
            package: "weir-smol",
            example: "echo_server_smol",
        },
        about: "weir-smol `echo_server_smol --mode lines`",
    },
    Spec {
        name: "smol-bufio",
        kind: Kind::Peer { bin: "smol-bufio" },
        about: "smol, smol::io::BufReader::read_until + BufWriter, flushed when the read buffer is empty",
    },
    Spec {
        name: "smol-naive",
        kind: Kind::Peer { bin: "smol-naive" },
        about: "smol, smol::io::BufReader::read_line + write_all per line (one write call per line)",
    },
    Spec {
        name: "weir-async-std",
        kind: Kind::WeirExample {
            package: "weir-async-std",
            example: "echo_server_async_std",
        },
        about: "weir-async-std `echo_server_async_std --mode lines`",
    },
    Spec {
        name: "async-std-bufio",
        kind: Kind::Peer { bin: "async-std-bufio" },
        about: "async-std, BufReader::read_until + BufWriter, flushed when the read buffer is empty",
    },
    Spec {
        name: "async-std-naive",
        kind: Kind::Peer { bin: "async-std-naive" },
        about: "async-std, BufReader::read_line + write_all per line (one write call per line)",
    },
    Spec {
        name: "asyncio",
        kind: Kind::Python {
            event_loop: "asyncio",
        },
        about: "CPython asyncio, readline + write + drain per line",
    },
    Spec {
        name: "uvloop",
        kind: Kind::Python {
            event_loop: "uvloop",
        },
        about: "CPython asyncio streams on uvloop, readline + write + drain per line",
    },
];

/// A target a comparison is held to.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Lines/s of the subject over the reference's, at least...
    pub min_rate: f64,
    /// ...on these profiles.
    pub rate_on: &'static [&'static str],
    /// CPU per line of the subject over the reference's, at most...
    pub max_cpu: Option<f64>,
    /// ...on these profiles.
    pub cpu_on: &'static [&'static str],
}

/// A ratio row: subject against reference.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub subject: String,
    pub reference: String,
    pub target: Option<Target>,
}

/// The comparisons printed by default (each only if both servers ran).
pub fn default_comparisons() -> Vec<Comparison> {
    // Issue 11's targets: at least the best hand-written server's lines/s
    // on p1-p4, at most its CPU per line on p1 and p2.
    let peer = Target {
        min_rate: 1.0,
        rate_on: &["p1", "p2", "p3", "p4"],
        max_cpu: Some(1.0),
        cpu_on: &["p1", "p2"],
    };
    // 64 B lines: where the interpreter's per-line cost shows.
    let python = Target {
        min_rate: 15.0,
        rate_on: &["p1", "p2", "p4"],
        max_cpu: None,
        cpu_on: &[],
    };
    [
        ("weir-tokio", "tokio-bufio", Some(peer)),
        ("weir-smol", "smol-bufio", Some(peer)),
        ("weir-smol", "tokio-bufio", None),
        ("weir-async-std", "async-std-bufio", Some(peer)),
        ("weir-async-std", "tokio-bufio", None),
        ("weir-tokio", "tokio-codec", None),
        ("weir-tokio", "asyncio", Some(python)),
        ("weir-tokio", "uvloop", Some(python)),
    ]
    .into_iter()
    .map(|(s, r, target)| Comparison {
        subject: s.to_owned(),
        reference: r.to_owned(),
        target,
    })
    .collect()
}

/// Looks a server up by name.
pub fn find(name: &str) -> Option<&'static Spec> {
    TABLE.iter().find(|s| s.name == name)
}

/// Where things are: the workspace, cargo, the target directory.
#[derive(Debug, Clone)]
pub struct Paths {
    pub workspace: PathBuf,
    pub cargo: String,
    pub target_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Self {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let workspace = manifest.parent().unwrap_or(manifest).to_path_buf();
        let target_dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|p| {
                if p.is_relative() {
                    workspace.join(p)
                } else {
                    p
                }
            })
            .unwrap_or_else(|| workspace.join("target"));
        Paths {
            cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
            workspace,
            target_dir,
        }
    }

    fn venv_python(&self) -> PathBuf {
        self.target_dir.join("weir-bench-venv/bin/python")
    }
}

/// A server ready to start: program and arguments.
#[derive(Debug, Clone)]
pub struct Launch {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// What it is, for the report (with a version where known).
    pub about: String,
}

const BUILD_TIMEOUT: Duration = Duration::from_secs(900);
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);

/// Builds or locates a server. Prints what it does on stderr.
pub fn prepare(spec: &Spec, paths: &Paths) -> Result<Launch, String> {
    let listen = ["--host", "127.0.0.1", "--port", "0"].map(String::from);
    match spec.kind {
        Kind::Peer { bin } => {
            let exe = cargo_build(paths, &["-p", "weir-bench", "--bin", bin], bin)?;
            Ok(Launch {
                name: spec.name.to_owned(),
                program: exe,
                args: listen.to_vec(),
                about: spec.about.to_owned(),
            })
        }
        Kind::WeirExample { package, example } => {
            let exe = cargo_build(paths, &["-p", package, "--example", example], example)?;
            // Examples of different packages may share a name (and so a path
            // in target/release/examples): keep a copy per package so the
            // next build cannot replace it.
            let copy = exe.with_file_name(format!("{example}.{package}"));
            std::fs::copy(&exe, &copy)
                .map_err(|e| format!("cannot copy {} to {}: {e}", exe.display(), copy.display()))?;
            let mut args = vec!["--mode".to_owned(), "lines".to_owned()];
            args.extend(listen);
            Ok(Launch {
                name: spec.name.to_owned(),
                program: copy,
                args,
                about: spec.about.to_owned(),
            })
        }
        Kind::Python { event_loop } => {
            let script = paths.workspace.join("bench/echo_server.py");
            let python = if event_loop == "uvloop" {
                ensure_uvloop(paths)?
            } else {
                PathBuf::from("python3")
            };
            let version = python_version(&python, event_loop)?;
            let mut args = vec![
                script.display().to_string(),
                "--loop".to_owned(),
                event_loop.to_owned(),
            ];
            args.extend(listen);
            Ok(Launch {
                name: spec.name.to_owned(),
                program: python,
                args,
                about: format!("{} ({version})", spec.about),
            })
        }
    }
}

fn python_version(python: &Path, event_loop: &str) -> Result<String, String> {
    let code = if event_loop == "uvloop" {
        "import sys, uvloop; print('CPython', sys.version.split()[0], '+ uvloop', uvloop.__version__)"
    } else {
        "import sys; print('CPython', sys.version.split()[0])"
    };
    let mut cmd = Command::new(python);
    cmd.args(["-c", code]);
    let out = run_with_timeout(cmd, Duration::from_secs(20))?;
    if !out.status.success() {
        return Err(format!(
            "{} cannot run: {}",
            python.display(),
            out.stderr.trim()
        ));
    }
    Ok(out.stdout.trim().to_owned())
}

/// The venv python with uvloop; runs bench/setup.sh first if it is missing.
fn ensure_uvloop(paths: &Paths) -> Result<PathBuf, String> {
    let python = paths.venv_python();
    let ready = python.exists() && {
        let mut cmd = Command::new(&python);
        cmd.args(["-c", "import uvloop"]);
        run_with_timeout(cmd, Duration::from_secs(20))
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if ready {
        return Ok(python);
    }
    let script = paths.workspace.join("bench/setup.sh");
    eprintln!(
        "echo-bench: no uvloop venv at {}: running {} (installs uvloop from PyPI)",
        paths.target_dir.join("weir-bench-venv").display(),
        script.display()
    );
    let mut cmd = Command::new("bash");
    cmd.arg(&script)
        .env("CARGO_TARGET_DIR", &paths.target_dir)
        .current_dir(&paths.workspace);
    let out = run_with_timeout(cmd, SETUP_TIMEOUT)?;
    if !out.status.success() {
        return Err(format!(
            "bench/setup.sh failed ({}): {}",
            out.status,
            tail(&out.stderr, 10)
        ));
    }
    eprint!("{}", out.stdout);
    Ok(python)
}

/// `cargo build --release ARGS --message-format=json-render-diagnostics`, and
/// the path of the executable artifact named `target_name`.
fn cargo_build(paths: &Paths, args: &[&str], target_name: &str) -> Result<PathBuf, String> {
    eprintln!("echo-bench: cargo build --release {}", args.join(" "));
    let mut cmd = Command::new(&paths.cargo);
    cmd.arg("build")
        .arg("--release")
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .current_dir(&paths.workspace);
    let out = run_with_timeout(cmd, BUILD_TIMEOUT)?;
    if !out.status.success() {
        return Err(format!(
            "`cargo build --release {}` failed: {}",
            args.join(" "),
            first_error(&out.stderr)
        ));
    }
    let mut exe = None;
    for line in out.stdout.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact" && msg["target"]["name"] == target_name {
            if let Some(path) = msg["executable"].as_str() {
                exe = Some(PathBuf::from(path));
            }
        }
    }
    exe.ok_or_else(|| {
        format!(
            "`cargo build --release {}` named no executable `{target_name}`",
            args.join(" ")
        )
    })
}

fn first_error(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .map(str::to_owned)
        .unwrap_or_else(|| tail(stderr, 5))
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a command to its end, killing it after `timeout`.
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Result<Output, String> {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let collect = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut p) = pipe {
                let mut bytes = Vec::new();
                let _ = p.read_to_end(&mut bytes);
                s = String::from_utf8_lossy(&bytes).into_owned();
            }
            s
        })
    };
    let out = collect(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = collect(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{what} did not finish within {} s: killed",
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(format!("cannot wait for {what}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Parses the address of a `Serving on ADDR` line: `127.0.0.1:8888`,
/// `[::1]:8888`, or asyncio's `('127.0.0.1', 8888)`; with several addresses,
/// the first. A host that is not an IP address reads as 127.0.0.1.
pub fn parse_serving_line(line: &str) -> Option<SocketAddr> {
    let rest = line.trim().strip_prefix("Serving on")?.trim();
    let (host, port) = if let Some(tuple) = rest.strip_prefix('(') {
        let mut parts = tuple.split(',');
        let host = parts.next()?.trim().trim_matches(|c| c == '\'' || c == '"');
        let port = parts.next()?.trim().trim_end_matches(')');
        (host.to_owned(), port.to_owned())
    } else {
        let first = rest.split([',', ' ']).next()?;
        let (host, port) = first.rsplit_once(':')?;
        (
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port.to_owned(),
        )
    };
    let port: u16 = port.trim().parse().ok()?;
    let ip = host
        .parse::<IpAddr>()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    Some(SocketAddr::new(ip, port))
}

const LOG_LINES: usize = 20;

/// A running server; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    pub name: String,
    pub pid: u32,
    pub addr: SocketAddr,
    child: Child,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl ServerProcess {
    /// Starts a server (on CPU `pin` only, if given) and waits (at most
    /// `timeout`) for `Serving on ADDR`.
    pub fn start(launch: &Launch, timeout: Duration, pin: Option<usize>) -> Result<Self, String> {
        let mut cmd = Command::new(&launch.program);
        if let Some(cpu) = pin {
            crate::sys::pin_command(&mut cmd, cpu);
        }
        let mut child = cmd
            .args(&launch.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!(
                    "{}: cannot start {}: {e}",
                    launch.name,
                    launch.program.display()
                )
            })?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if line.trim_start().starts_with("Serving on") {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(line.clone());
                        }
                    }
                    push_log(&log, line);
                }
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    push_log(&log, line);
                }
            });
        }
        let pid = child.id();
        let mut server = ServerProcess {
            name: launch.name.clone(),
            pid,
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            child,
            log,
        };
        match rx.recv_timeout(timeout) {
            Ok(line) => {
                server.addr = parse_serving_line(&line).ok_or_else(|| {
                    format!("{}: cannot read an address in {line:?}", launch.name)
                })?;
                Ok(server)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
                "{} did not print `Serving on ADDR` within {} s; its output: {}",
                launch.name,
                timeout.as_secs(),
                server.log_tail()
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                thread::sleep(Duration::from_millis(100));
                let status = server
                    .child
                    .try_wait()
                    .ok()
                    .flatten()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "closed its stdout".to_owned());
                Err(format!(
                    "{} exited before serving ({status}); its output: {}",
                    launch.name,
                    server.log_tail()
                ))
            }
        }
    }

    /// Where the load generator finds it.
    pub fn endpoint(&self) -> crate::load::Endpoint {
        crate::load::Endpoint {
            name: self.name.clone(),
            addr: self.addr,
            pid: self.pid,
        }
    }

    /// The last lines the server printed.
    pub fn log_tail(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.is_empty() {
            "(nothing)".to_owned()
        } else {
            log.iter().cloned().collect::<Vec<_>>().join(" | ")
        }
    }

    /// An error if the server has exited.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "{} exited ({status}); its output: {}",
                self.name,
                self.log_tail()
            )),
            Err(e) => Err(format!("cannot check {}: {e}", self.name)),
        }
    }

    /// VmRSS in KiB.
    pub fn rss_kib(&self) -> Result<u64, String> {
        let path = format!("/proc/{}/status", self.pid);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        text.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("{path}: no VmRSS line"))
    }

    /// How many file descriptors the server has open.
    pub fn fd_count(&self) -> Result<usize, String> {
        let path = format!("/proc/{}/fd", self.pid);
        Ok(std::fs::read_dir(&path)
            .map_err(|e| format!("{path}: {e}"))?
            .count())
    }
}

fn push_log(log: &Mutex<VecDeque<String>>, line: String) {
    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
    if log.len() == LOG_LINES {
        log.pop_front();
    }
    log.push_back(line);
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_lines_in_every_form_parse() {
        let v4: SocketAddr = "127.0.0.1:40123".parse().unwrap();
        assert_eq!(parse_serving_line("Serving on 127.0.0.1:40123"), Some(v4));
        assert_eq!(
            parse_serving_line("Serving on ('127.0.0.1', 40123)"),
            Some(v4)
        );
        assert_eq!(
            parse_serving_line("Serving on 127.0.0.1:40123, [::1]:40124"),
            Some(v4)
        );
        assert_eq!(
            parse_serving_line("Serving on [::1]:8888"),
            Some("[::1]:8888".parse().unwrap())
        );
        assert_eq!(
            parse_serving_line("Serving on localhost:9"),
            Some("127.0.0.1:9".parse().unwrap())
        );
        assert_eq!(parse_serving_line("Serving on nowhere"), None);
        assert_eq!(parse_serving_line("Listening on 127.0.0.1:1"), None);
    }

    #[test]
    fn the_table_names_are_unique_and_comparisons_refer_to_them() {
        for (i, s) in TABLE.iter().enumerate() {
            assert!(
                TABLE[i + 1..].iter().all(|t| t.name != s.name),
                "{}",
                s.name
            );
        }
        for c in default_comparisons() {
            assert!(find(&c.subject).is_some() && find(&c.reference).is_some());
        }
    }
}
