//! Runs every fuzz target on stable Rust: each checked-in corpus file
//! (`corpus/<target>/*`), then a few thousand seeded pseudo-random inputs.
//!
//! A panic inside a target is a failure here exactly as it is a crash for the
//! fuzzer; the failing file or seed is named in the message.

use std::path::{Path, PathBuf};

use weir_fuzz::TARGETS;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn corpus_files(target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|e| panic!("corpus/{target} is missing: {e}"))
        .map(|entry| entry.expect("readable corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn run_named(name: &str, run: fn(&[u8]), data: &[u8], what: &str) {
    if let Err(panic) = std::panic::catch_unwind(|| run(data)) {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!(
            "target {name} failed on {what} ({} bytes: {data:?}):\n{msg}",
            data.len()
        );
    }
}

#[test]
fn every_target_has_a_corpus_and_replays_it() {
    for (name, run) in TARGETS {
        let files = corpus_files(name);
        assert!(
            files.len() >= 10,
            "corpus/{name} holds only {} files",
            files.len()
        );
        for file in files {
            let data = std::fs::read(&file).expect("readable corpus file");
            run_named(name, *run, &data, &file.display().to_string());
        }
    }
}

/// xorshift64*: a fixed, dependency-free generator, so every run tests the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn every_target_survives_seeded_random_inputs() {
    const PER_TARGET: usize = 3000;
    for (t, (name, run)) in TARGETS.iter().enumerate() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1));
        for i in 0..PER_TARGET {
            let len = (rng.next() % 320) as usize;
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            run_named(name, *run, &data, &format!("random input {i}"));
        }
    }
}

/// The crash inputs of weir-core bugs not fixed yet (`artifacts-found/`, see
/// `src/known.rs`), replayed without steering around them. Ignored while the
/// bugs are open: `cargo test -p weir-fuzz --test replay -- --ignored` shows
/// each disagreement. Once this passes, flip the constants in `known.rs`.
#[test]
#[ignore = "weir-core bugs found by the fuzzers and not fixed yet (src/known.rs)"]
fn artifacts_found_pass_strict() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts-found");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("artifacts-found/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    let mut failing = Vec::new();
    for file in files {
        let data = std::fs::read(&file).expect("readable artifact");
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(name.starts_with("reader_ops-"), "unknown artifact {name}");
        if std::panic::catch_unwind(|| weir_fuzz::reader_ops::run_strict(&data)).is_err() {
            failing.push(name.to_string());
        }
    }
    assert!(failing.is_empty(), "still failing: {failing:?}");
}
