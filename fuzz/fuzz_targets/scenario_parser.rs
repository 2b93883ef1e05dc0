//! cargo-fuzz entry for `weir_fuzz::scenario_parser`; the body is a library function (see `src/scenario_parser.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| weir_fuzz::scenario_parser::run(data));
