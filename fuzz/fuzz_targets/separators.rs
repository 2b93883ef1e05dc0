//! cargo-fuzz entry for `weir_fuzz::separators`; the body is a library function (see `src/separators.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| weir_fuzz::separators::run(data));
