//! cargo-fuzz entry for `weir_fuzz::eyeballs`; the body is a library function (see `src/eyeballs.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| weir_fuzz::eyeballs::run(data));
