//! echo-bench: weir's line-echo servers side by side with hand-written tokio,
//! smol and async-std servers and CPython asyncio/uvloop, on loopback, in one
//! run: lines/s, round-trip latency, the server's CPU time per line, and the
//! server memory held by idle connections. Prints a markdown report.
//!
//! `cargo run --release -p weir-bench --bin echo-bench -- --help`

mod hist;
mod idle;
mod load;
mod report;
mod servers;
mod sys;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use load::{Case, Timing};
use report::Report;
use servers::{Comparison, Launch, Paths, ServerProcess};

const USAGE: &str = "\
usage: echo-bench [options]

  --servers A,B,...    servers to measure (default: every one in the table that
                       builds; a named server that cannot be built is an error)
  --list               print the server table and exit
  --quick              a ~1 minute run: 0.2 s warm-up, 0.5 s per case, 1 round,
                       5000 idle connections
  --connections N,...  connection counts (default 1,50)
  --sizes B,...        line sizes in bytes, newline included, >= 32 (default 64,16384)
  --windows K,...      lines in flight per connection, one per size (default 64,4)
  --warmup SECS        warm-up before each measurement (default 0.25)
  --duration SECS      measuring time per case (default 1)
  --rounds N           rounds over every case and server, medians shown (default 4)
  --idle N             idle connections for the memory test, 0 skips it (default 10000)
  --client-threads N   tokio worker threads of the load generator (default 1)
  --compare A:B,...    ratio rows, subject:reference (default: weir-tokio:tokio-hand,
                       weir-smol:smol-hand, weir-async-std:async-std-hand,
                       weir-tokio:asyncio, weir-tokio:uvloop)
  --out PATH           also write the markdown report to PATH
";

#[derive(Debug, Clone)]
struct Config {
    servers: Option<Vec<String>>,
    list: bool,
    connections: Vec<usize>,
    sizes: Vec<usize>,
    windows: Vec<usize>,
    timing: Timing,
    rounds: usize,
    idle: usize,
    client_threads: usize,
    comparisons: Vec<Comparison>,
    out: Option<PathBuf>,
}

fn list<T: std::str::FromStr>(flag: &str, v: &str) -> Result<Vec<T>, String> {
    v.split(',')
        .map(|x| {
            x.trim()
                .parse()
                .map_err(|_| format!("{flag}: {x:?} is not a number"))
        })
        .collect()
}

fn secs(flag: &str, v: &str) -> Result<Duration, String> {
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag}: {v:?} is not a number of seconds (0..3600)"))
}

impl Config {
    fn parse(args: &[String]) -> Result<Config, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut c = Config {
            servers: None,
            list: false,
            connections: vec![1, 50],
            sizes: vec![64, 16384],
            windows: vec![64, 4],
            timing: Timing::new(
                Duration::from_millis(if quick { 200 } else { 250 }),
                Duration::from_millis(if quick { 500 } else { 1000 }),
            ),
            rounds: if quick { 1 } else { 4 },
            idle: if quick { 5_000 } else { 10_000 },
            client_threads: 1,
            comparisons: servers::default_comparisons(),
            out: None,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_owned())),
                None => (arg.as_str(), None),
            };
            if matches!(flag, "--quick" | "--list" | "--help" | "-h") {
                match flag {
                    "--list" => c.list = true,
                    "--help" | "-h" => return Err(String::new()),
                    _ => {}
                }
                continue;
            }
            let v = match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))?,
            };
            match flag {
                "--servers" => {
                    let names: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
                    for n in &names {
                        if servers::find(n).is_none() {
                            return Err(format!(
                                "--servers: unknown server {n:?} (--list shows the table)"
                            ));
                        }
                    }
                    c.servers = Some(names);
                }
                "--connections" => c.connections = list(flag, &v)?,
                "--sizes" => c.sizes = list(flag, &v)?,
                "--windows" => c.windows = list(flag, &v)?,
                "--warmup" => c.timing.warmup = secs(flag, &v)?,
                "--duration" => c.timing.duration = secs(flag, &v)?,
                "--rounds" => c.rounds = list(flag, &v)?.first().copied().unwrap_or(0),
                "--idle" => c.idle = list(flag, &v)?.first().copied().unwrap_or(0),
                "--client-threads" => {
                    c.client_threads = list(flag, &v)?.first().copied().unwrap_or(0)
                }
                "--compare" => {
                    c.comparisons = v
                        .split(',')
                        .map(|pair| {
                            let (a, b) = pair.split_once(':').ok_or_else(|| {
                                format!("--compare: {pair:?} is not SUBJECT:REFERENCE")
                            })?;
                            for n in [a, b] {
                                if servers::find(n).is_none() {
                                    return Err(format!("--compare: unknown server {n:?}"));
                                }
                            }
                            let target = servers::default_comparisons()
                                .into_iter()
                                .find(|d| d.subject == a && d.reference == b)
                                .and_then(|d| d.target);
                            Ok(Comparison {
                                subject: a.to_owned(),
                                reference: b.to_owned(),
                                target,
                            })
                        })
                        .collect::<Result<_, String>>()?
                }
                "--out" => c.out = Some(PathBuf::from(v)),
                _ => return Err(format!("unknown argument {arg:?}")),
            }
        }
        if c.sizes.len() != c.windows.len() {
            return Err(format!(
                "--windows needs one window per size: {} sizes, {} windows",
                c.sizes.len(),
                c.windows.len()
            ));
        }
        if let Some(s) = c.sizes.iter().find(|&&s| !(32..=16 << 20).contains(&s)) {
            return Err(format!("--sizes: {s} is outside 32..=16777216 bytes"));
        }
        if c.windows.contains(&0) || c.connections.contains(&0) {
            return Err("--windows and --connections take numbers ≥ 1".to_owned());
        }
        if c.rounds == 0 || c.client_threads == 0 {
            return Err("--rounds and --client-threads take a number ≥ 1".to_owned());
        }
        if c.timing.duration.is_zero() {
            return Err("--duration must be above 0".to_owned());
        }
        Ok(c)
    }

    fn cases(&self) -> Vec<Case> {
        let mut cases = Vec::new();
        for &connections in &self.connections {
            for (&line_len, &window) in self.sizes.iter().zip(&self.windows) {
                cases.push(Case {
                    connections,
                    line_len,
                    window,
                });
            }
        }
        cases
    }
}

fn shell_quote(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/=@".contains(c))
    {
        a.to_owned()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// The 1-, 5- and 15-minute load averages: other work on the machine.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn machine() -> Vec<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|k| format!("{:.0} GiB", k as f64 / (1 << 20) as f64))
        .unwrap_or_else(|| "unknown".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let out = |cmd: &str, args: &[&str]| {
        let mut c = Command::new(cmd);
        c.args(args);
        servers::run_with_timeout(c, Duration::from_secs(10))
            .map(|o| o.stdout.trim().to_owned())
            .unwrap_or_else(|e| e)
    };
    vec![
        format!(
            "machine: {nproc} cores (nproc), {model}, {mem} RAM, Linux {kernel}, loopback only"
        ),
        format!(
            "toolchain: {}; date: {}",
            out("rustc", &["-V"]),
            out("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
        ),
    ]
}

/// Runs a blocking closure off the client's runtime threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("a harness task failed: {e}"))?
}

const START_TIMEOUT: Duration = Duration::from_secs(20);

async fn run(
    cfg: Config,
    command: String,
    nofile: Result<sys::NoFile, String>,
) -> Result<Report, String> {
    let load_before = load_average();
    let paths = Paths::discover();
    let explicit = cfg.servers.is_some();
    let names: Vec<String> = cfg
        .servers
        .clone()
        .unwrap_or_else(|| servers::TABLE.iter().map(|s| s.name.to_owned()).collect());
    let mut report = Report {
        machine: machine(),
        command,
        clk_tck: sys::clock_ticks_per_second(),
        cases: cfg.cases(),
        comparisons: cfg.comparisons.clone(),
        ..Report::default()
    };

    // Build or locate every server, then start them all (idle until measured).
    let mut launches: Vec<Launch> = Vec::new();
    let mut running: Vec<ServerProcess> = Vec::new();
    for name in &names {
        let spec = *servers::find(name).ok_or_else(|| format!("unknown server {name}"))?;
        let p = paths.clone();
        let started = async {
            let launch = blocking(move || servers::prepare(&spec, &p)).await?;
            let l = launch.clone();
            let server = blocking(move || ServerProcess::start(&l, START_TIMEOUT)).await?;
            Ok::<_, String>((launch, server))
        }
        .await;
        match started {
            Ok((launch, server)) => {
                eprintln!(
                    "echo-bench: {name} serving on {} (pid {})",
                    server.addr, server.pid
                );
                report.servers.push((name.clone(), launch.about.clone()));
                launches.push(launch);
                running.push(server);
            }
            Err(e) if explicit => return Err(e),
            Err(e) => {
                eprintln!("echo-bench: skipping {name}: {e}");
                report.skipped.push((name.clone(), e));
            }
        }
    }
    if running.is_empty() {
        return Err("no server could be started".to_owned());
    }

    let cases = cfg.cases();
    let n = running.len();
    report.settings = vec![
        format!(
            "each case: {:.2} s warm-up, then {:.2} s measured; {} round(s) over every case and server, servers interleaved (rotated each case and round); medians shown",
            cfg.timing.warmup.as_secs_f64(),
            cfg.timing.duration.as_secs_f64(),
            cfg.rounds
        ),
        format!(
            "load generator: tokio, {} worker thread(s), TCP_NODELAY, every reply verified byte for byte; it shares the {} cores with the server",
            cfg.client_threads,
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
        ),
    ];
    let total_runs = cfg.rounds * cases.len() * n;
    let mut done = 0;
    for round in 0..cfg.rounds {
        for (ci, &case) in cases.iter().enumerate() {
            for k in 0..n {
                let server = &mut running[(k + round + ci) % n];
                done += 1;
                let result = match server.check_alive() {
                    Err(e) => Err(e),
                    Ok(()) => load::run_case(&server.endpoint(), case, cfg.timing).await,
                };
                let result = result.and_then(|m| server.check_alive().map(|()| m));
                match &result {
                    Ok(m) => eprintln!(
                        "[{done}/{total_runs}] {}, {}: {:.0} lines/s, p99 {:?}, server {:.0} ns/line",
                        report::case_label(&case),
                        server.name,
                        m.lines_per_sec(),
                        m.latency.quantile(0.99).unwrap_or_default(),
                        m.server_ticks as f64 * 1e9
                            / report.clk_tck as f64
                            / m.lines.max(1) as f64
                    ),
                    Err(e) => eprintln!(
                        "[{done}/{total_runs}] {}, {}: FAILED: {e}",
                        report::case_label(&case),
                        server.name
                    ),
                }
                report
                    .runs
                    .entry((server.name.clone(), ci))
                    .or_default()
                    .push(result);
            }
        }
    }
    drop(running);
    let load_after = load_average();

    if cfg.idle > 0 {
        let need = cfg.idle as u64 + 256;
        match nofile {
            Err(e) => report.idle_note = Some(format!("idle test skipped: {e}")),
            Ok(l) if l.soft < need => {
                report.idle_note = Some(format!(
                    "idle test skipped: RLIMIT_NOFILE is {} (hard {}), {} connections need {need}; raise the hard limit (ulimit -Hn, as root) or lower --idle",
                    l.soft, l.hard, cfg.idle
                ))
            }
            Ok(l) => {
                report.idle_note = Some(format!(
                    "{} connections per server, each on a freshly started server; RSS is VmRSS of /proc/PID/status (kernel socket buffers are not in it); RLIMIT_NOFILE {} (hard {})",
                    cfg.idle, l.soft, l.hard
                ));
                for launch in &launches {
                    let l = launch.clone();
                    let result = match blocking(move || ServerProcess::start(&l, START_TIMEOUT)).await
                    {
                        Ok(mut server) => idle::measure(&mut server, cfg.idle).await,
                        Err(e) => Err(e),
                    };
                    match &result {
                        Ok(m) => eprintln!(
                            "echo-bench: {} idle: {:.0} B per connection, {:.0} B after one line",
                            launch.name,
                            m.per_conn_idle(),
                            m.per_conn_after_line()
                        ),
                        Err(e) => eprintln!("echo-bench: {} idle: FAILED: {e}", launch.name),
                    }
                    report.idle.push((launch.name.clone(), result));
                }
            }
        }
    }
    report.machine.push(format!(
        "load average (1, 5, 15 min) before the run: {load_before}; after the throughput cases: {load_after}"
    ));
    Ok(report)
}

async fn interrupted() -> String {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "interrupted (SIGINT)".to_owned(),
        _ = term.recv() => "terminated (SIGTERM)".to_owned(),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match Config::parse(&args) {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("echo-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if cfg.list {
        for s in servers::TABLE {
            println!("{:<16} {}", s.name, s.about);
        }
        return ExitCode::SUCCESS;
    }
    let command = format!(
        "cargo run --release -p weir-bench --bin echo-bench --{}",
        args.iter()
            .map(|a| format!(" {}", shell_quote(a)))
            .collect::<String>()
    );
    // Servers inherit the raised limit; 10,000 idle connections need it.
    let nofile = sys::raise_nofile(u64::MAX);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.client_threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("echo-bench: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = cfg.out.clone();
    let result = rt.block_on(async {
        tokio::select! {
            r = run(cfg, command, nofile) => r,
            why = interrupted() => Err(format!("{why}: servers stopped")),
        }
    });
    // Servers are killed when their handles drop, inside `run`.
    rt.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(report) => {
            let text = report.render();
            print!("{text}");
            if let Some(path) = out {
                if let Err(e) = std::fs::write(&path, &text) {
                    eprintln!("echo-bench: cannot write {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
                eprintln!("echo-bench: report written to {}", path.display());
            }
            let errors = report.errors();
            if errors.iter().any(|e| !e.contains("kept connections open")) {
                eprintln!("echo-bench: finished with errors (see the report)");
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("echo-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        Config::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn defaults_and_quick() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.cases().len(), 4);
        assert_eq!(c.rounds, 4);
        let q = parse(&["--quick", "--rounds", "2"]).unwrap();
        assert_eq!(q.timing.duration, Duration::from_millis(500));
        assert_eq!(q.idle, 5000);
        assert_eq!(q.rounds, 2);
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        assert!(parse(&["--servers", "nginx"])
            .unwrap_err()
            .contains("nginx"));
        assert!(parse(&["--sizes", "8", "--windows", "1"])
            .unwrap_err()
            .contains("8 is outside"));
        assert!(parse(&["--sizes", "64", "--windows", "1,2"])
            .unwrap_err()
            .contains("one window per size"));
        assert!(parse(&["--compare", "weir-tokio"]).is_err());
        assert!(parse(&["--duration"])
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse(&["--duration", "-1"]).is_err());
    }

    #[test]
    fn compare_keeps_the_known_target() {
        let c = parse(&["--compare", "weir-tokio:tokio-hand,tokio-hand:uvloop"]).unwrap();
        assert!(c.comparisons[0].target.is_some());
        assert!(c.comparisons[1].target.is_none());
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("--servers=a,b"), "--servers=a,b");
        assert_eq!(shell_quote("a b"), "'a b'");
    }
}
