//! `weir-scenarios FILE...`: runs reader scenario files on weir-core and
//! prints one JSON result line per scenario (`-` reads standard input).
//!
//! `weir-scenarios --generate SEED COUNT` prints COUNT random scenarios
//! (the differential test's generator) as a scenario file instead.
//!
//! A file that cannot be read or parsed gives a message on stderr and exit
//! code 2; nothing is printed for it.

use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|f| f == "-h" || f == "--help") {
        eprintln!(
            "usage: weir-scenarios FILE...   (runs scenario files on weir-core; `-` is stdin)"
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
                return ExitCode::from(2);
            }
        };
        let scenarios = match weir_conformance::parse_bytes(&bytes) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("weir-scenarios: {file}:{}: {}", e.line, e.message);
                return ExitCode::from(2);
            }
        };
        for s in &scenarios {
            if writeln!(out, "{}", weir_conformance::run(s).to_json()).is_err() {
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
