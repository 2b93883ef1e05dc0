//! echo-bench: weir's line-echo servers side by side with the best
//! hand-written tokio, smol and async-std servers we know how to write (and
//! naive ones, and CPython asyncio/uvloop), on loopback, in one run: five
//! fixed-count profiles (lines/s, round trips, the server's CPU time per
//! line), fairness under a flood of over-long lines, and the server memory
//! held by idle connections. Prints a markdown report.
//!
//! `cargo run --release -p weir-bench --bin echo-bench -- --help`

mod flood;
mod hist;
mod idle;
mod load;
mod proc;
mod report;
mod servers;
mod sys;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use clap::Parser;

use flood::FloodConfig;
use load::{Case, Timing};
use report::Report;
use servers::{Comparison, Launch, Paths, ServerProcess};

/// The profiles: a fixed number of lines per connection, at most `window`
/// unanswered at a time.
pub const PROFILES: [Case; 5] = [
    Case {
        name: "p1",
        connections: 1,
        line_len: 64,
        window: 64,
        lines_per_conn: 500_000,
    },
    Case {
        name: "p2",
        connections: 50,
        line_len: 64,
        window: 16,
        lines_per_conn: 20_000,
    },
    Case {
        name: "p3",
        connections: 1,
        line_len: 16 * 1024,
        window: 4,
        lines_per_conn: 40_000,
    },
    Case {
        name: "p4",
        connections: 1,
        line_len: 64,
        window: 1,
        lines_per_conn: 20_000,
    },
    Case {
        name: "p5",
        connections: 50,
        line_len: 16 * 1024,
        window: 4,
        lines_per_conn: 2_000,
    },
];

/// The servers of the flood test by default.
const FLOOD_SERVERS: [&str; 4] = ["weir-tokio", "weir-smol", "weir-async-std", "tokio-bufio"];

#[derive(Debug, Parser)]
#[command(
    name = "echo-bench",
    about = "Loopback line-echo benchmark: weir's echo servers against the best hand-written tokio, smol and async-std peers, naive peers, and CPython asyncio/uvloop",
    after_help = "Profiles: p1 1 conn x 500,000 x 64 B, window 64; p2 50 conns x 20,000 x 64 B, window 16; \
p3 1 conn x 40,000 x 16 KiB, window 4; p4 1 conn x 20,000 x 64 B, window 1 (ping-pong); \
p5 50 conns x 2,000 x 16 KiB, window 4. --quick sends a tenth of the lines."
)]
struct Cli {
    /// Servers to measure, comma-separated (default: every one in the table
    /// that builds; a named server that cannot be built is an error).
    #[arg(long, value_delimiter = ',')]
    servers: Option<Vec<String>>,
    /// Print the server table and exit.
    #[arg(long)]
    list: bool,
    /// A smoke test (under a minute): a tenth of the lines, 1 round, 1000
    /// idle connections, 50 flood probes.
    #[arg(long)]
    quick: bool,
    /// Profiles to run, comma-separated (default p1,p2,p3,p4,p5).
    #[arg(long, value_delimiter = ',')]
    profiles: Option<Vec<String>>,
    /// Rounds over every profile and server; medians shown (default 3, 1
    /// with --quick).
    #[arg(long)]
    rounds: Option<usize>,
    /// Idle connections for the memory test; 0 skips it (default 10000, 1000
    /// with --quick).
    #[arg(long)]
    idle: Option<usize>,
    /// Tokio worker threads of the load generator.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Ratio rows, SUBJECT:REFERENCE, comma-separated (default: each weir
    /// backend against its runtime's bufio peer and against tokio-bufio;
    /// weir-tokio against tokio-codec, asyncio and uvloop).
    #[arg(long, value_delimiter = ',')]
    compare: Option<Vec<String>>,
    /// Run only the flood (fairness) benchmark.
    #[arg(long, conflicts_with = "no_flood")]
    flood: bool,
    /// Skip the flood benchmark.
    #[arg(long)]
    no_flood: bool,
    /// Servers of the flood benchmark, comma-separated (default
    /// weir-tokio,weir-smol,weir-async-std,tokio-bufio).
    #[arg(long, value_delimiter = ',')]
    flood_servers: Option<Vec<String>>,
    /// Probes per server in the flood benchmark (default 200, 50 with
    /// --quick).
    #[arg(long)]
    probes: Option<usize>,
    /// Do not pin the servers to one CPU and the load generator to another.
    #[arg(long)]
    no_pin: bool,
    /// Also write the markdown report to PATH.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone)]
struct Config {
    servers: Option<Vec<String>>,
    list: bool,
    cases: Vec<Case>,
    rounds: usize,
    idle: usize,
    client_threads: usize,
    comparisons: Vec<Comparison>,
    profiles_on: bool,
    flood: Option<(Vec<String>, FloodConfig)>,
    pin: bool,
    out: Option<PathBuf>,
}

fn known(flag: &str, names: &[String]) -> Result<(), String> {
    match names.iter().find(|n| servers::find(n).is_none()) {
        Some(n) => Err(format!(
            "{flag}: unknown server {n:?} (--list shows the table)"
        )),
        None => Ok(()),
    }
}

impl Config {
    fn from_cli(cli: Cli) -> Result<Config, String> {
        let quick = cli.quick;
        if let Some(names) = &cli.servers {
            known("--servers", names)?;
        }
        let mut cases = Vec::new();
        for name in cli
            .profiles
            .unwrap_or_else(|| PROFILES.iter().map(|p| p.name.to_owned()).collect())
        {
            let mut case = *PROFILES
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| format!("--profiles: unknown profile {name:?} (p1 to p5)"))?;
            if quick {
                case.lines_per_conn /= 10;
            }
            cases.push(case);
        }
        let rounds = cli.rounds.unwrap_or(if quick { 1 } else { 3 });
        if rounds == 0 || cli.client_threads == 0 {
            return Err("--rounds and --client-threads take a number of at least 1".to_owned());
        }
        let comparisons = match cli.compare {
            None => servers::default_comparisons(),
            Some(pairs) => pairs
                .iter()
                .map(|pair| {
                    let (a, b) = pair
                        .split_once(':')
                        .ok_or_else(|| format!("--compare: {pair:?} is not SUBJECT:REFERENCE"))?;
                    known("--compare", &[a.to_owned(), b.to_owned()])?;
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
                .collect::<Result<_, String>>()?,
        };
        let flood = if cli.no_flood {
            None
        } else {
            let names = cli
                .flood_servers
                .unwrap_or_else(|| FLOOD_SERVERS.iter().map(|s| s.to_string()).collect());
            known("--flood-servers", &names)?;
            let mut fc = if quick {
                FloodConfig::quick()
            } else {
                FloodConfig::full()
            };
            if let Some(p) = cli.probes {
                if p == 0 {
                    return Err("--probes takes a number of at least 1".to_owned());
                }
                fc.probes = p;
            }
            Some((names, fc))
        };
        Ok(Config {
            servers: cli.servers,
            list: cli.list,
            cases,
            rounds,
            idle: if cli.flood {
                0
            } else {
                cli.idle.unwrap_or(if quick { 1_000 } else { 10_000 })
            },
            client_threads: cli.client_threads,
            comparisons,
            profiles_on: !cli.flood,
            flood,
            pin: !cli.no_pin,
            out: cli.out,
        })
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

/// The CPUs in a `Cpus_allowed_list` value (`0-1`, `0,2-3`).
fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    cpus.extend(a..=b);
                }
            }
            None => cpus.extend(part.parse::<usize>().ok()),
        }
    }
    cpus
}

/// Pins the load generator (this process) to the second CPU it may use and
/// returns the first, for the servers; or why not.
fn pin_harness() -> Result<(usize, usize), String> {
    let allowed = sys::cpus_allowed(std::process::id())
        .ok_or_else(|| "cannot read this process's Cpus_allowed_list".to_owned())?;
    let cpus = parse_cpu_list(&allowed);
    let [server, client, ..] = cpus[..] else {
        return Err(format!("only CPU(s) {allowed} are available"));
    };
    sys::pin_self(client)?;
    Ok((server, client))
}

async fn run(
    cfg: Config,
    command: String,
    nofile: Result<sys::NoFile, String>,
) -> Result<Report, String> {
    let started_at = Instant::now();
    let load_before = load_average();
    let paths = Paths::discover();
    let explicit = cfg.servers.is_some();
    let mut names: Vec<String> = if cfg.profiles_on {
        cfg.servers
            .clone()
            .unwrap_or_else(|| servers::TABLE.iter().map(|s| s.name.to_owned()).collect())
    } else {
        Vec::new()
    };
    if let Some((flood_names, _)) = &cfg.flood {
        for n in flood_names {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    let mut report = Report {
        machine: machine(),
        command,
        clk_tck: sys::clock_ticks_per_second(),
        cases: if cfg.profiles_on {
            cfg.cases.clone()
        } else {
            Vec::new()
        },
        comparisons: cfg.comparisons.clone(),
        ..Report::default()
    };

    // Build or locate every server (unpinned: cargo may use every CPU).
    let mut launches: Vec<Launch> = Vec::new();
    for name in &names {
        let spec = *servers::find(name).ok_or_else(|| format!("unknown server {name}"))?;
        let p = paths.clone();
        match blocking(move || servers::prepare(&spec, &p)).await {
            Ok(launch) => launches.push(launch),
            Err(e) if explicit => return Err(e),
            Err(e) => {
                eprintln!("echo-bench: skipping {name}: {e}");
                report.skipped.push((name.clone(), e));
            }
        }
    }

    // Then pin: servers on one CPU, the load generator on another.
    let pin = if cfg.pin {
        match pin_harness() {
            Ok((server, client)) => {
                report.pinning = format!(
                    "pinning: every server on CPU {server} (sched_setaffinity before exec, so runtimes that size their pools by the CPUs they may use see 1 CPU), the load generator on CPU {client}"
                );
                Some(server)
            }
            Err(e) => {
                report.pinning =
                    format!("pinning: not done ({e}); servers and client share the CPUs");
                None
            }
        }
    } else {
        report.pinning = "pinning: off (--no-pin)".to_owned();
        None
    };
    eprintln!("echo-bench: {}", report.pinning);

    let mut running: Vec<ServerProcess> = Vec::new();
    if cfg.profiles_on {
        for launch in &launches {
            let l = launch.clone();
            match blocking(move || ServerProcess::start(&l, START_TIMEOUT, pin)).await {
                Ok(server) => {
                    eprintln!(
                        "echo-bench: {} serving on {} (pid {}, CPUs {})",
                        launch.name,
                        server.addr,
                        server.pid,
                        sys::cpus_allowed(server.pid).unwrap_or_default()
                    );
                    report
                        .servers
                        .push((launch.name.clone(), launch.about.clone()));
                    running.push(server);
                }
                Err(e) if explicit => return Err(e),
                Err(e) => {
                    eprintln!("echo-bench: skipping {}: {e}", launch.name);
                    report.skipped.push((launch.name.clone(), e));
                }
            }
        }
        if let Some(cpu) = pin {
            let want = cpu.to_string();
            let off: Vec<String> = running
                .iter()
                .filter(|s| sys::cpus_allowed(s.pid).as_deref() != Some(want.as_str()))
                .map(|s| s.name.clone())
                .collect();
            if off.is_empty() && !running.is_empty() {
                report.pinning.push_str(&format!(
                    " (checked: every server's Cpus_allowed_list is {want})"
                ));
            } else if !off.is_empty() {
                report
                    .pinning
                    .push_str(&format!(" (NOT in effect for: {})", off.join(", ")));
            }
        }
        if running.is_empty() {
            return Err("no server could be started".to_owned());
        }
    }

    let cases = report.cases.clone();
    let n = running.len();
    let timing = Timing::default();
    report.settings = vec![
        format!(
            "each profile sends a fixed number of lines; {} round(s) over every profile and server, servers interleaved (rotated each profile and round); medians shown",
            cfg.rounds
        ),
        format!(
            "load generator: tokio, {} worker thread(s), TCP_NODELAY, every reply verified byte for byte; measured from the first write to the last reply",
            cfg.client_threads,
        ),
    ];
    let total_runs = cfg.rounds * cases.len() * n;
    let mut done = 0;
    let profiles_started = Instant::now();
    for round in 0..cfg.rounds {
        for (ci, &case) in cases.iter().enumerate() {
            for k in 0..n {
                let server = &mut running[(k + round + ci) % n];
                done += 1;
                let result = match server.check_alive() {
                    Err(e) => Err(e),
                    Ok(()) => load::run_case(&server.endpoint(), case, timing).await,
                };
                let result = result.and_then(|m| server.check_alive().map(|()| m));
                match &result {
                    Ok(m) => eprintln!(
                        "[{done}/{total_runs}] {}, {}: {:.0} lines/s, p99 {:?}, server {:.0} ns/line",
                        case.name,
                        server.name,
                        m.lines_per_sec(),
                        m.latency.quantile(0.99).unwrap_or_default(),
                        m.server_ns_per_line(1e9 / report.clk_tck as f64)
                    ),
                    Err(e) => eprintln!(
                        "[{done}/{total_runs}] {}, {}: FAILED: {e}",
                        case.name, server.name
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
    let profiles_time = profiles_started.elapsed();
    let load_after = load_average();

    if let Some((flood_names, fc)) = &cfg.flood {
        let flood_started = Instant::now();
        report.flood_note = Some(format!(
            "{} flooding connections, each sending up to {} MiB with no newline (reconnecting whenever the server closes it) while a probe, every {} ms after a {} ms ramp, connects afresh, sends one 64-byte line and times its echo; {} probes per server, each on a freshly started server; a probe over {} s counts as timed out",
            fc.flooders,
            fc.bytes_per_conn >> 20,
            fc.probe_gap.as_millis(),
            fc.ramp.as_millis(),
            fc.probes,
            fc.probe_timeout.as_secs()
        ));
        for name in flood_names {
            let Some(launch) = launches.iter().find(|l| &l.name == name) else {
                continue;
            };
            let l = launch.clone();
            let result = match blocking(move || ServerProcess::start(&l, START_TIMEOUT, pin)).await
            {
                Ok(mut server) => {
                    let r = flood::run(server.addr, server.pid, *fc).await;
                    r.and_then(|m| server.check_alive().map(|()| m))
                }
                Err(e) => Err(e),
            };
            match &result {
                Ok(m) => eprintln!(
                    "echo-bench: {name} flood: p50 {:?}, p99 {:?}, max {:?}, {} timeouts, {} flood connections",
                    flood::quantile(&m.total, 0.5).unwrap_or_default(),
                    flood::quantile(&m.total, 0.99).unwrap_or_default(),
                    m.total.last().copied().unwrap_or_default(),
                    m.timeouts,
                    m.flood_connections
                ),
                Err(e) => eprintln!("echo-bench: {name} flood: FAILED: {e}"),
            }
            report.flood.push((name.clone(), result));
        }
        report.timings.push(format!(
            "flood: {:.0} s",
            flood_started.elapsed().as_secs_f64()
        ));
    }

    if cfg.idle > 0 {
        let idle_started = Instant::now();
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
                    if !report.servers.iter().any(|(n, _)| n == &launch.name) {
                        continue;
                    }
                    let l = launch.clone();
                    let result =
                        match blocking(move || ServerProcess::start(&l, START_TIMEOUT, pin)).await {
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
        report.timings.push(format!(
            "idle memory: {:.0} s",
            idle_started.elapsed().as_secs_f64()
        ));
    }
    report
        .timings
        .insert(0, format!("profiles: {:.0} s", profiles_time.as_secs_f64()));
    report.timings.push(format!(
        "whole run (builds included): {:.0} s",
        started_at.elapsed().as_secs_f64()
    ));
    report.machine.push(format!(
        "load average (1, 5, 15 min) before the run: {load_before}; after the profiles: {load_after}"
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
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let cfg = match Config::from_cli(cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("echo-bench: {e}");
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
            // Notes (a server keeping connections open, flood probes that
            // timed out) are findings, not failures of the run.
            if errors
                .iter()
                .any(|e| !e.contains("kept connections open") && !e.ends_with("(note)"))
            {
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
        let cli = Cli::try_parse_from(std::iter::once("echo-bench").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        Config::from_cli(cli)
    }

    #[test]
    fn defaults_and_quick() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.cases.len(), 5);
        assert_eq!(c.cases[0].total_lines(), 500_000);
        assert_eq!(c.cases[1].total_lines(), 1_000_000);
        assert_eq!(c.rounds, 3);
        assert!(c.flood.is_some() && c.profiles_on && c.pin);
        let q = parse(&["--quick", "--rounds", "2"]).unwrap();
        assert_eq!(q.cases[0].lines_per_conn, 50_000);
        assert_eq!(q.idle, 1000);
        assert_eq!(q.rounds, 2);
        let f = parse(&["--flood", "--probes", "20"]).unwrap();
        assert!(!f.profiles_on);
        assert_eq!(f.idle, 0);
        assert_eq!(f.flood.unwrap().1.probes, 20);
        assert!(parse(&["--no-flood"]).unwrap().flood.is_none());
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        assert!(parse(&["--servers", "nginx"])
            .unwrap_err()
            .contains("nginx"));
        assert!(parse(&["--profiles", "p9"]).unwrap_err().contains("p9"));
        assert!(parse(&["--compare", "weir-tokio"]).is_err());
        assert!(parse(&["--rounds"]).is_err());
        assert!(parse(&["--rounds", "0"]).is_err());
        assert!(parse(&["--flood", "--no-flood"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }

    #[test]
    fn compare_keeps_the_known_target() {
        let c = parse(&["--compare", "weir-tokio:tokio-bufio,tokio-bufio:uvloop"]).unwrap();
        assert!(c.comparisons[0].target.is_some());
        assert!(c.comparisons[1].target.is_none());
    }

    #[test]
    fn quoting_and_cpu_lists() {
        assert_eq!(shell_quote("--servers=a,b"), "--servers=a,b");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(parse_cpu_list("0-1"), vec![0, 1]);
        assert_eq!(parse_cpu_list("0,2-3\n"), vec![0, 2, 3]);
        assert_eq!(parse_cpu_list("5"), vec![5]);
    }
}
