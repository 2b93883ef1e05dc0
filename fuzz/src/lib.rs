//! # weir-fuzz: fuzz targets over weir-proto, as plain library functions
//!
//! Each target is a function taking any `&[u8]`: it decodes a sequence of
//! operations from the bytes ([`input::Input`]), runs them against weir-proto,
//! and panics when weir breaks a rule. The bodies live here, so that
//!
//! - `fuzz/fuzz_targets/<name>.rs` (cargo-fuzz, libFuzzer) is one line, and
//! - `cargo test` replays every checked-in corpus file through the same
//!   function on stable Rust (`tests/replay.rs`), plus a few thousand
//!   pseudo-random inputs per target.
//!
//! | target | what it checks |
//! | --- | --- |
//! | [`reader_ops`] | `ReadBuffer` against a CPython `StreamReader` model ([`model`]) |
//! | [`separators`] | `Separators::find` against naive search; split feeds change nothing |
//! | [`writer_ops`] | `WriteBuffer`'s byte accounting, order and watermark rules |
//! | [`eyeballs`] | the happy-eyeballs planner: a valid schedule, at most one winner |
//! | [`scenario_parser`] | the conformance scenario parser: any bytes, never a panic; round trip |
//!
//! A new target gets a module, an entry in [`TARGETS`], a one-line file in
//! `fuzz_targets/`, a `[[bin]]` in `Cargo.toml` and a corpus folder.

pub mod eyeballs;
pub mod input;
pub mod known;
pub mod model;
pub mod reader_ops;
pub mod scenario_parser;
pub mod separators;
pub mod writer_ops;

/// A target's body: takes any bytes, panics when weir breaks a rule.
pub type Target = fn(&[u8]);

/// Every target by name, as `fuzz_targets/<name>.rs` and `corpus/<name>/` call it.
///
/// # Examples
///
/// ```
/// for (name, run) in weir_fuzz::TARGETS {
///     run(b"");
///     assert!(!name.is_empty());
/// }
/// ```
pub const TARGETS: &[(&str, Target)] = &[
    ("reader_ops", reader_ops::run),
    ("separators", separators::run),
    ("writer_ops", writer_ops::run),
    ("eyeballs", eyeballs::run),
    ("scenario_parser", scenario_parser::run),
];
