//! cargo-fuzz entry for `weir_fuzz::writer_ops`; the body is a library function (see `src/writer_ops.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| weir_fuzz::writer_ops::run(data));
