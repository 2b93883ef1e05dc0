//! The markdown report.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

use crate::flood::{quantile, FloodResult};
use crate::idle::IdleMemory;
use crate::load::{Case, Measured};
use crate::servers::Comparison;

/// Everything the report shows.
#[derive(Debug, Default)]
pub struct Report {
    pub machine: Vec<String>,
    pub command: String,
    pub settings: Vec<String>,
    /// Servers measured: name and what it is.
    pub servers: Vec<(String, String)>,
    /// Servers asked for (or known) but not measured: name and why.
    pub skipped: Vec<(String, String)>,
    pub cases: Vec<Case>,
    /// Per (server, case index): every round's result.
    pub runs: HashMap<(String, usize), Vec<Result<Measured, String>>>,
    pub comparisons: Vec<Comparison>,
    pub idle: Vec<(String, Result<IdleMemory, String>)>,
    pub idle_note: Option<String>,
    /// Whether and how servers and client were pinned to CPUs.
    pub pinning: String,
    pub flood: Vec<(String, Result<FloodResult, String>)>,
    pub flood_note: Option<String>,
    /// How long each part of the run took.
    pub timings: Vec<String>,
    pub clk_tck: u64,
}

/// The middle value of one server on one case over its rounds.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub rate: f64,
    pub min_rate: f64,
    pub max_rate: f64,
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    /// Wall time of the run with the median lines/s.
    pub elapsed: Duration,
    pub server_ns_per_line: f64,
    pub client_ns_per_line: f64,
    /// Other work on the machine during the window, in cores.
    pub other_cores: f64,
    pub rounds: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn median_duration(v: Vec<Option<Duration>>) -> Option<Duration> {
    let secs: Vec<f64> = v.into_iter().flatten().map(|d| d.as_secs_f64()).collect();
    (!secs.is_empty()).then(|| Duration::from_secs_f64(median(secs)))
}

impl Report {
    pub fn summary(&self, server: &str, case: usize) -> Option<Summary> {
        let ok: Vec<&Measured> = self
            .runs
            .get(&(server.to_owned(), case))?
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter(|m| m.lines > 0)
            .collect();
        if ok.is_empty() {
            return None;
        }
        let tick_ns = 1e9 / self.clk_tck as f64;
        let rates: Vec<f64> = ok.iter().map(|m| m.lines_per_sec()).collect();
        let rate = median(rates.clone());
        let max = rates.iter().copied().fold(f64::MIN, f64::max);
        let min = rates.iter().copied().fold(f64::MAX, f64::min);
        Some(Summary {
            rate,
            min_rate: min,
            max_rate: max,
            p50: median_duration(ok.iter().map(|m| m.latency.quantile(0.50)).collect()),
            p99: median_duration(ok.iter().map(|m| m.latency.quantile(0.99)).collect()),
            elapsed: median_duration(ok.iter().map(|m| Some(m.elapsed)).collect())
                .unwrap_or_default(),
            server_ns_per_line: median(ok.iter().map(|m| m.server_ns_per_line(tick_ns)).collect()),
            client_ns_per_line: median(
                ok.iter()
                    .map(|m| m.client_ticks as f64 * tick_ns / m.lines as f64)
                    .collect(),
            ),
            other_cores: median(
                ok.iter()
                    .map(|m| m.other_ticks as f64 / self.clk_tck as f64 / m.elapsed.as_secs_f64())
                    .collect(),
            ),
            rounds: ok.len(),
        })
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = self.render_into(&mut s);
        s
    }

    fn render_into(&self, s: &mut String) -> std::fmt::Result {
        writeln!(s, "## Echo benchmark\n")?;
        for m in &self.machine {
            writeln!(s, "- {m}")?;
        }
        writeln!(s, "- command: `{}`", self.command)?;
        for m in &self.settings {
            writeln!(s, "- {m}")?;
        }
        if !self.pinning.is_empty() {
            writeln!(s, "- {}", self.pinning)?;
        }
        if !self.timings.is_empty() {
            writeln!(s, "- time taken: {}", self.timings.join("; "))?;
        }
        writeln!(s, "\nServers:\n")?;
        for (name, about) in &self.servers {
            writeln!(s, "- `{name}`: {about}")?;
        }
        for (name, why) in &self.skipped {
            writeln!(s, "- `{name}`: not measured: {why}")?;
        }

        if !self.cases.is_empty() {
            writeln!(s, "\n### Profiles\n")?;
            for case in &self.cases {
                writeln!(s, "- {}: {}", case.name, case_label(case))?;
            }
            writeln!(
                s,
                "\n| profile | server | lines/s | min – max | time | p50 RTT | p99 RTT | server CPU/line | client CPU/line | other load |"
            )?;
            writeln!(s, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")?;
        }
        for (ci, case) in self.cases.iter().enumerate() {
            for (name, _) in &self.servers {
                let cell = case.name;
                match self.summary(name, ci) {
                    Some(m) => writeln!(
                        s,
                        "| {cell} | {name} | {} | {} | {:.2} s | {} | {} | {} | {} | {:.2} |",
                        rate(m.rate),
                        if m.rounds > 1 {
                            format!("{} – {}", rate(m.min_rate), rate(m.max_rate))
                        } else {
                            "—".to_owned()
                        },
                        m.elapsed.as_secs_f64(),
                        latency(m.p50),
                        latency(m.p99),
                        nanos(m.server_ns_per_line),
                        nanos(m.client_ns_per_line),
                        m.other_cores,
                    )?,
                    None => writeln!(s, "| {cell} | {name} | failed | | | | | | | |")?,
                }
            }
        }

        let rows = self.ratio_rows();
        if !rows.is_empty() {
            let heads: String = self
                .cases
                .iter()
                .map(|c| format!(" {} |", c.name))
                .collect();
            let rule: String = self.cases.iter().map(|_| "--:|").collect();
            for (title, col) in [("lines/s", 0), ("server CPU per line", 1)] {
                writeln!(s, "\n### Ratios: {title} (subject ÷ reference)\n")?;
                writeln!(s, "| subject ÷ reference |{heads} target |")?;
                writeln!(s, "|---|{rule}---|")?;
                for (label, cells, target) in &rows {
                    let cells: String = cells
                        .iter()
                        .map(|c| match c {
                            Some(r) => format!(" {:.2}× |", if col == 0 { r.0 } else { r.1 }),
                            None => " — |".to_owned(),
                        })
                        .collect();
                    writeln!(s, "| {label} |{cells} {target} |")?;
                }
            }
        }

        if !self.flood.is_empty() || self.flood_note.is_some() {
            writeln!(s, "\n### Flood latency\n")?;
            if let Some(note) = &self.flood_note {
                writeln!(s, "{note}\n")?;
            }
            writeln!(
                s,
                "| server | probes | timed out | p50 | p99 | max | echo only p50 / p99 / max | flood connections | flood data | server CPU | target p99 < 50 ms |"
            )?;
            writeln!(s, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")?;
            for (name, r) in &self.flood {
                match r {
                    Ok(m) => {
                        let p99 = quantile(&m.total, 0.99);
                        let verdict = match p99 {
                            Some(d) if d < Duration::from_millis(50) => "met",
                            _ => "missed",
                        };
                        writeln!(
                            s,
                            "| {name} | {} | {} | {} | {} | {} | {} / {} / {} | {} | {} MiB in {:.1} s | {:.0}% of a core | {verdict} |",
                            m.total.len(),
                            m.timeouts,
                            latency(quantile(&m.total, 0.5)),
                            latency(p99),
                            latency(m.total.last().copied()),
                            latency(quantile(&m.echo, 0.5)),
                            latency(quantile(&m.echo, 0.99)),
                            latency(m.echo.last().copied()),
                            m.flood_connections,
                            m.flood_bytes >> 20,
                            m.elapsed.as_secs_f64(),
                            m.server_ticks as f64 / self.clk_tck as f64 / m.elapsed.as_secs_f64()
                                * 100.0,
                        )?;
                    }
                    Err(_) => writeln!(s, "| {name} | failed | | | | | | | | | |")?,
                }
            }
        }

        if !self.idle.is_empty() || self.idle_note.is_some() {
            writeln!(s, "\n### Idle connections: server memory\n")?;
            if let Some(note) = &self.idle_note {
                writeln!(s, "{note}\n")?;
            }
            if !self.idle.is_empty() {
                writeln!(
                    s,
                    "| server | connections | RSS before | RSS with idle connections | RSS per idle connection | RSS per connection after one line | target ≤ 8 KiB |"
                )?;
                writeln!(s, "|---|--:|--:|--:|--:|--:|---|")?;
                for (name, r) in &self.idle {
                    match r {
                        Ok(m) => {
                            let verdict = |b: f64| if b <= 8192.0 { "met" } else { "missed" };
                            let target = if name.starts_with("weir-") {
                                format!(
                                    "idle: {}; after one line: {}",
                                    verdict(m.per_conn_idle()),
                                    verdict(m.per_conn_after_line())
                                )
                            } else {
                                "—".to_owned()
                            };
                            writeln!(
                                s,
                                "| {name} | {} | {} | {} | {} | {} | {target} |",
                                m.connections,
                                kib(m.rss_before_kib),
                                kib(m.rss_idle_kib),
                                bytes(m.per_conn_idle()),
                                bytes(m.per_conn_after_line()),
                            )?;
                        }
                        Err(_) => writeln!(s, "| {name} | failed | | | | | |")?,
                    }
                }
            }
        }

        let errors = self.errors();
        if !errors.is_empty() {
            writeln!(s, "\n### Errors and notes\n")?;
            for e in errors {
                writeln!(s, "- {e}")?;
            }
        }
        Ok(())
    }

    /// Per comparison: its label, (lines/s ratio, CPU/line ratio) per case,
    /// and the target verdict.
    #[allow(clippy::type_complexity)]
    fn ratio_rows(&self) -> Vec<(String, Vec<Option<(f64, f64)>>, String)> {
        let mut rows = Vec::new();
        for c in &self.comparisons {
            let mut cells = Vec::new();
            let mut met = Vec::new();
            let mut missed = Vec::new();
            for (ci, case) in self.cases.iter().enumerate() {
                let (Some(a), Some(b)) =
                    (self.summary(&c.subject, ci), self.summary(&c.reference, ci))
                else {
                    cells.push(None);
                    continue;
                };
                let rate_ratio = a.rate / b.rate;
                let cpu_ratio = a.server_ns_per_line / b.server_ns_per_line;
                cells.push(Some((rate_ratio, cpu_ratio)));
                if let Some(t) = c.target {
                    let rated = t.rate_on.contains(&case.name);
                    let costed = t.max_cpu.is_some() && t.cpu_on.contains(&case.name);
                    if !rated && !costed {
                        continue;
                    }
                    let rate_ok = !rated || rate_ratio >= t.min_rate;
                    let cpu_ok = !costed || t.max_cpu.is_none_or(|m| cpu_ratio <= m);
                    match (rate_ok, cpu_ok) {
                        (true, true) => met.push(case.name.to_owned()),
                        (false, true) => missed.push(format!("{} (lines/s)", case.name)),
                        (true, false) => missed.push(format!("{} (CPU)", case.name)),
                        (false, false) => missed.push(format!("{} (lines/s, CPU)", case.name)),
                    }
                }
            }
            if cells.iter().all(Option::is_none) {
                continue;
            }
            let target = match c.target {
                None => "—".to_owned(),
                Some(t) => {
                    let mut want =
                        format!("≥ {:.2}× lines/s on {}", t.min_rate, t.rate_on.join(","));
                    if let Some(m) = t.max_cpu {
                        want.push_str(&format!(", ≤ {m:.2}× CPU on {}", t.cpu_on.join(",")));
                    }
                    let mut parts = Vec::new();
                    if !met.is_empty() {
                        parts.push(format!("met on {}", met.join(", ")));
                    }
                    if !missed.is_empty() {
                        parts.push(format!("missed on {}", missed.join(", ")));
                    }
                    format!("{want}: {}", parts.join("; "))
                }
            };
            rows.push((format!("{} ÷ {}", c.subject, c.reference), cells, target));
        }
        rows
    }

    /// Every failure and note, one line each.
    pub fn errors(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (ci, case) in self.cases.iter().enumerate() {
            for (name, _) in &self.servers {
                for (round, r) in self
                    .runs
                    .get(&(name.clone(), ci))
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let at = format!("{name}, {}, round {}", case.name, round + 1);
                    match r {
                        Err(e) => out.push(format!("{at}: {e}")),
                        Ok(m) if m.lines == 0 => out.push(format!("{at}: no line answered")),
                        Ok(m) => {
                            if let Some(n) = &m.note {
                                out.push(format!("{at}: {n}"));
                            }
                        }
                    }
                }
            }
        }
        for (name, r) in &self.flood {
            match r {
                Err(e) => out.push(format!("{name}, flood: {e}")),
                Ok(m) if m.timeouts > 0 => out.push(format!(
                    "{name}, flood: {} probe(s) timed out or failed (note)",
                    m.timeouts
                )),
                Ok(_) => {}
            }
        }
        for (name, r) in &self.idle {
            if let Err(e) = r {
                out.push(format!("{name}, idle connections: {e}"));
            }
        }
        out
    }
}

pub fn case_label(c: &Case) -> String {
    let size = if c.line_len % 1024 == 0 {
        format!("{} KiB", c.line_len / 1024)
    } else {
        format!("{} B", c.line_len)
    };
    let conns = if c.connections == 1 { "conn" } else { "conns" };
    format!(
        "{} {conns} × {} lines × {size}, window {}",
        c.connections,
        group(c.lines_per_conn),
        c.window
    )
}

/// 20000 as `20,000`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn latency(d: Option<Duration>) -> String {
    match d {
        None => "—".to_owned(),
        Some(d) if d >= Duration::from_millis(10) => format!("{:.1} ms", d.as_secs_f64() * 1e3),
        Some(d) if d >= Duration::from_millis(1) => format!("{:.2} ms", d.as_secs_f64() * 1e3),
        Some(d) => format!("{:.0} µs", d.as_secs_f64() * 1e6),
    }
}

fn nanos(ns: f64) -> String {
    if !ns.is_finite() {
        "—".to_owned()
    } else if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn kib(k: u64) -> String {
    if k >= 10 * 1024 {
        format!("{:.1} MiB", k as f64 / 1024.0)
    } else {
        format!("{k} KiB")
    }
}

fn bytes(b: f64) -> String {
    if b.abs() >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_naturally() {
        assert_eq!(rate(1_234_567.0), "1.23 M");
        assert_eq!(rate(45_600.0), "45.6 k");
        assert_eq!(latency(Some(Duration::from_micros(250))), "250 µs");
        assert_eq!(latency(Some(Duration::from_micros(2500))), "2.50 ms");
        assert_eq!(nanos(850.4), "850 ns");
        assert_eq!(nanos(25_000.0), "25.0 µs");
        assert_eq!(bytes(3000.0), "2.9 KiB");
        assert_eq!(kib(20480), "20.0 MiB");
        let c = Case {
            name: "p5",
            connections: 50,
            line_len: 16384,
            window: 4,
            lines_per_conn: 2000,
        };
        assert_eq!(case_label(&c), "50 conns × 2,000 lines × 16 KiB, window 4");
        assert_eq!(group(500_000), "500,000");
        assert_eq!(group(20), "20");
    }

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }
}
