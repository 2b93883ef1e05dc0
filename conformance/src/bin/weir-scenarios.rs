//! `weir-scenarios FILE...`: runs reader scenario files on weir-proto and
//! prints one JSON result line per scenario (`-` reads standard input).
//!
//! `weir-scenarios --generate SEED COUNT` prints COUNT random scenarios
//! (the differential test's generator) as a scenario file instead.
//!
//! A bad scenario (bad JSON, an unknown step, ...) is reported on stderr as
//! `weir-scenarios: FILE:LINE: scenario "NAME": why` and skipped; the other
//! scenarios still run and print, and the exit code is 2. A file that cannot
//! be read is reported the same way, and the other files still run. The
//! format is `conformance/SCENARIOS.md`.

use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|f| f == "-h" || f == "--help") {
        eprintln!(
            "usage: weir-scenarios FILE...   (runs scenario files on weir-proto; `-` is stdin)"
        );
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    if files[0] == "--generate" {
        let seed = files.get(1).and_then(|s| s.parse::<u64>().ok());
        let count = files.get(2).and_then(|s| s.parse::<usize>().ok());
        let (Some(seed), Some(count)) = (seed, count) else {
            eprintln!("usage: weir-scenarios --generate SEED COUNT   (two non-negative integers)");
            return ExitCode::from(2);
        };
        let text = weir_conformance::to_jsonl(&weir_conformance::generate(seed, count));
        return match out.write_all(text.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(2),
        };
    }
    let mut failed = false;
    for file in &files {
        let bytes = if file == "-" {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b).map(|_| b)
        } else {
            std::fs::read(file)
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                eprintln!("weir-scenarios: {file}: cannot read: {e}");
                failed = true;
                continue;
            }
        };
        for parsed in weir_conformance::parse_each_bytes(&bytes) {
            match parsed {
                Ok(s) => {
                    if writeln!(out, "{}", weir_conformance::run(&s).to_json()).is_err() {
                        return ExitCode::from(2);
                    }
                }
                Err(e) => {
                    failed = true;
                    match &e.name {
                        Some(name) => eprintln!(
                            "weir-scenarios: {file}:{}: scenario {name:?}: {}",
                            e.line, e.message
                        ),
                        None => eprintln!("weir-scenarios: {file}:{}: {}", e.line, e.message),
                    }
                }
            }
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
