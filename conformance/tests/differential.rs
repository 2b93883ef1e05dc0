//! The differential: every scenario of the corpus (`conformance/scenarios/`)
//! and thousands of generated ones run through weir-core and through CPython's
//! `asyncio.StreamReader` (`reference/cpython_driver.py`); any disagreement
//! fails with the scenario and both outputs.
//!
//! CPython 3.13 runs everything (list separators need it); the scenarios
//! without a list separator also run on the default `python3` (3.11 here).
//! One Python process per batch. Interpreters: `WEIR_PYTHON313` and
//! `WEIR_PYTHON` override `PYENV_VERSION=3.13.0 python3` and `python3`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use weir_conformance::{generate, parse_bytes, run, to_jsonl, Scenario};

const SEEDS: [u64; 5] = [1, 2, 3, 0xdead_beef, 20_261_125];
const PER_SEED: usize = 1000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An interpreter: the command, and whether it must be 3.13 or later.
struct Python {
    program: String,
    pyenv: Option<&'static str>,
    label: &'static str,
}

impl Python {
    fn v313() -> Python {
        match std::env::var("WEIR_PYTHON313") {
            Ok(p) => Python {
                program: p,
                pyenv: None,
                label: "CPython 3.13",
            },
            Err(_) => Python {
                program: "python3".into(),
                pyenv: Some("3.13.0"),
                label: "CPython 3.13",
            },
        }
    }

    fn default() -> Python {
        match std::env::var("WEIR_PYTHON") {
            Ok(p) => Python {
                program: p,
                pyenv: None,
                label: "default python3",
            },
            Err(_) => Python {
                program: "python3".into(),
                pyenv: None,
                label: "default python3",
            },
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        match self.pyenv {
            Some(v) => c.env("PYENV_VERSION", v),
            None => c.env_remove("PYENV_VERSION"),
        };
        c
    }

    /// `(major, minor)`, or a panic that says how to get the interpreter.
    fn version(&self) -> (u32, u32) {
        let how = "install CPython 3.13 with `pyenv install 3.13.0` (this test runs \
                   `PYENV_VERSION=3.13.0 python3`) and a python3 >= 3.8 on PATH, or point \
                   WEIR_PYTHON313 / WEIR_PYTHON at interpreters";
        let out = self
            .command()
            .args([
                "-c",
                "import sys; print(sys.version_info[0], sys.version_info[1])",
            ])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: cannot start `{}`: {e}; {how}",
                    self.label, self.program
                )
            });
        assert!(
            out.status.success(),
            "{}: `{}` failed: {}; {how}",
            self.label,
            self.program,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let mut it = text
            .split_whitespace()
            .map(|s| s.parse::<u32>().unwrap_or(0));
        let v = (it.next().unwrap_or(0), it.next().unwrap_or(0));
        assert!(
            v >= (3, 8),
            "{}: `{}` is Python {v:?}; {how}",
            self.label,
            self.program
        );
        if self.label == "CPython 3.13" {
            assert!(
                v >= (3, 13),
                "{}: `{}` is Python {v:?}, not 3.13; {how}",
                self.label,
                self.program
            );
        }
        v
    }

    /// Runs the driver on a batch of scenarios (one process), returning its lines.
    fn drive(&self, scenarios: &[Scenario]) -> Vec<String> {
        self.version();
        let input = to_jsonl(scenarios);
        let mut child = self
            .command()
            .arg(root().join("reference/cpython_driver.py"))
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot start the driver: {e}", self.label));
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child.wait_with_output().expect("the driver ran");
        writer
            .join()
            .expect("writer thread")
            .expect("the driver read its input");
        assert!(
            out.status.success(),
            "{}: the driver failed: {}",
            self.label,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("the driver prints UTF-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Runs `scenarios` through weir and through `python`; returns one message per
/// disagreement (the scenario and both outputs).
fn disagreements(what: &str, python: &Python, scenarios: &[Scenario]) -> Vec<String> {
    let theirs = python.drive(scenarios);
    assert_eq!(
        theirs.len(),
        scenarios.len(),
        "{what} on {}: the driver printed {} lines for {} scenarios",
        python.label,
        theirs.len(),
        scenarios.len()
    );
    let mut bad = Vec::new();
    for (s, py_line) in scenarios.iter().zip(&theirs) {
        let ours = run(s).to_json();
        let a: serde_json::Value = serde_json::from_str(&ours).expect("weir prints JSON");
        let b: serde_json::Value = serde_json::from_str(py_line).expect("the driver prints JSON");
        if a != b {
            bad.push(format!(
                "{what} on {}: scenario: {}\n  weir:    {ours}\n  CPython: {py_line}",
                python.label,
                s.to_json_line()
            ));
        } else {
            assert_eq!(&ours, py_line, "equal after parsing but not byte-identical");
        }
    }
    bad
}

/// Fails listing the first disagreements, if any.
fn assert_none(bad: &[String], total: usize) {
    assert!(
        bad.is_empty(),
        "{} of {total} scenario runs disagree between weir and CPython (first 10):\n{}",
        bad.len(),
        bad.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}

fn corpus() -> Vec<(PathBuf, Vec<Scenario>)> {
    let dir = root().join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("a corpus file");
            let s = parse_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, s)
        })
        .collect()
}

fn without_lists(s: &[Scenario]) -> Vec<Scenario> {
    s.iter().filter(|s| !s.needs_313()).cloned().collect()
}

#[test]
fn corpus_agrees_with_cpython() {
    let files = corpus();
    let all: Vec<Scenario> = files.iter().flat_map(|(_, s)| s.clone()).collect();
    assert!(all.len() >= 150, "the corpus has {} scenarios", all.len());
    let mut bad = Vec::new();
    for (path, scenarios) in &files {
        let name = path
            .file_name()
            .map(Path::new)
            .unwrap_or(path)
            .display()
            .to_string();
        bad.extend(disagreements(&name, &Python::v313(), scenarios));
    }
    let older = without_lists(&all);
    bad.extend(disagreements("corpus", &Python::default(), &older));
    assert_none(&bad, all.len() + older.len());
}

#[test]
fn random_scenarios_agree_with_cpython() {
    let all: Vec<Scenario> = SEEDS
        .iter()
        .flat_map(|&seed| generate(seed, PER_SEED))
        .collect();
    assert_eq!(all.len(), SEEDS.len() * PER_SEED);
    let older = without_lists(&all);
    let mut bad = disagreements("random", &Python::v313(), &all);
    bad.extend(disagreements("random", &Python::default(), &older));
    assert_none(&bad, all.len() + older.len());
}

#[test]
fn driver_rejects_a_bad_file_with_exit_code_2() {
    let py = Python::v313();
    py.version();
    let mut child = py
        .command()
        .arg(root().join("reference/cpython_driver.py"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the driver starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all("{\"name\": \"x\", \"steps\": [[\"feed\", \"\u{20ac}\"]]}\n".as_bytes())
        .expect("the driver reads");
    let out = child.wait_with_output().expect("the driver ran");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-:1") && err.contains("U+20AC"), "{err}");
}

#[test]
fn corpus_names_are_unique_across_files() {
    let mut seen = std::collections::HashSet::new();
    for (path, scenarios) in corpus() {
        for s in scenarios {
            assert!(
                seen.insert(s.name().to_owned()),
                "{}: {} again",
                path.display(),
                s.name()
            );
        }
    }
}

#[test]
fn binary_prints_what_the_library_runs() {
    let (path, scenarios) = corpus().into_iter().next().expect("a corpus file");
    let out = Command::new(env!("CARGO_BIN_EXE_weir-scenarios"))
        .arg(&path)
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    let want: String = scenarios.iter().map(|s| run(s).to_json() + "\n").collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}

#[test]
fn binary_rejects_a_bad_file_with_exit_code_2() {
    let dir = std::env::temp_dir().join(format!("weir-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "# fine\n{\"name\": \"x\", \"steps\": [[\"feed\", \"\u{20ac}\"]]}\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_weir-scenarios"))
        .arg(&bad)
        .output()
        .expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl:2") && err.contains("U+20AC"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
