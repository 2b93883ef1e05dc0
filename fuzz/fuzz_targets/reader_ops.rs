//! cargo-fuzz entry for `weir_fuzz::reader_ops`; the body is a library function (see `src/reader_ops.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| weir_fuzz::reader_ops::run(data));
