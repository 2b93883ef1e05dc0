//! Target `scenario_parser`: the conformance scenario parser on any bytes.
//!
//! `weir_conformance::parse_bytes` must never panic. Whatever it accepts must
//! run through the weir runner without a panic and survive a round trip:
//! written back with `to_jsonl` and parsed again, it gives the same scenarios.

use weir_conformance::{parse_bytes, parse_file, run as run_scenario, to_jsonl};

/// Runs one fuzz input; panics if the parser, the runner or the round trip fails.
///
/// # Examples
///
/// ```
/// weir_fuzz::scenario_parser::run(br#"{"name": "a", "steps": [["feed", "x\n"], ["readline"]]}"#);
/// weir_fuzz::scenario_parser::run(b"\xff{not json");
/// ```
pub fn run(data: &[u8]) {
    let Ok(scenarios) = parse_bytes(data) else {
        return;
    };
    for s in &scenarios {
        let _ = run_scenario(s).to_json();
    }
    let text = to_jsonl(&scenarios);
    match parse_file(&text) {
        Ok(again) => assert_eq!(
            again, scenarios,
            "round trip changed the scenarios:\n{text}"
        ),
        Err(e) => panic!("to_jsonl wrote a file parse_file rejects ({e}):\n{text}"),
    }
}
