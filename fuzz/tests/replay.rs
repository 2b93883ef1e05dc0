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

/// `src/known.rs` is current: every crash input in `artifacts-found/` is
/// listed there; an open bug still crashes `run_strict` (without steering),
/// a bug marked fixed no longer does, and `run` (steering around open bugs)
/// passes on every one.
#[test]
fn known_bugs_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts-found");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("artifacts-found/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    files.sort();
    let mut listed: Vec<String> = weir_fuzz::known::ARTIFACTS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "artifacts-found/ and known::ARTIFACTS differ"
    );
    for (name, open) in weir_fuzz::known::ARTIFACTS {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("artifacts-found")
            .join(name);
        let data = std::fs::read(&path).expect("readable artifact");
        run_named("reader_ops", weir_fuzz::reader_ops::run, &data, name);
        let crashes =
            std::panic::catch_unwind(|| weir_fuzz::reader_ops::run_strict(&data)).is_err();
        if *open {
            assert!(
                crashes,
                "{name}: weir-proto no longer shows this bug. Set its constant in \
                 fuzz/src/known.rs to false and move the file into fuzz/corpus/reader_ops/"
            );
        } else {
            assert!(
                !crashes,
                "{name}: marked fixed in known.rs but still crashes run_strict"
            );
        }
    }
}
