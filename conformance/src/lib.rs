//! weir's conformance tools: the reader scenario format
//! (`conformance/SCENARIOS.md`), a runner on weir-proto's [`weir_proto::ReadBuffer`],
//! and a seeded generator of random scenarios.
//!
//! The same scenario file runs through CPython's `asyncio.StreamReader`
//! (`conformance/reference/cpython_driver.py`) and through [`run`]; the
//! outputs must be identical. `tests/differential.rs` checks that over the
//! hand-written corpus (`conformance/scenarios/`) and thousands of
//! [`generate`]d scenarios.
//!
//! ```
//! use weir_conformance::{parse_file, run};
//! let file = r#"{"name": "split", "limit": 8, "steps": [["readline"], ["feed", "ab"], ["feed", "c\nrest"], ["buffered"]]}"#;
//! for s in parse_file(file)? {
//!     println!("{}", run(&s).to_json());
//! }
//! # Ok::<(), weir_conformance::ParseError>(())
//! ```

mod generate;
mod json;
mod parse;
mod run;
mod scenario;

pub use generate::generate;
pub use parse::{parse_bytes, parse_each, parse_each_bytes, parse_file, ParseError};
pub use run::{run, OpResult, ReadError, ScenarioOutput, Value};
pub use scenario::{to_jsonl, ConnError, InvalidScenario, Scenario, Step, DEFAULT_LIMIT};
