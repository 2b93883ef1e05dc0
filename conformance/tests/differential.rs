//! The differential: every scenario of the corpus (`conformance/scenarios/`)
//! and thousands of generated ones run through weir-proto and through CPython's
//! `asyncio.StreamReader` (`reference/cpython_driver.py`); any disagreement
//! fails with the scenario and both outputs.
//!
//! CPython 3.13 runs everything (list separators need it); the scenarios
//! without a list separator also run on the default `python3` (3.11 here).
//! One Python process per batch. Interpreters: `WEIR_PYTHON313` and
//! `WEIR_PYTHON` override `PYENV_VERSION=3.13.0 python3` and `python3`.
//!
//! What a machine lacks is skipped with a reason printed on stderr: without
//! 3.13 the list-separator scenarios, without any `python3` >= 3.8 the whole
//! differential. With `WEIR_REQUIRE_CPYTHON313=1` (`.ci/run` sets it) a
//! missing 3.13 or `python3` fails instead. An interpreter named in
//! `WEIR_PYTHON313` / `WEIR_PYTHON` that does not work always fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use weir_conformance::{generate, parse_bytes, run, to_jsonl, Scenario};

const SEEDS: [u64; 5] = [1, 2, 3, 0xdead_beef, 20_261_125];
const PER_SEED: usize = 1000;

/// How to get the interpreters, for skip and failure messages.
const HOW: &str = "install CPython 3.13 with `pyenv install 3.13.0` (this test runs \
                   `PYENV_VERSION=3.13.0 python3`) and a python3 >= 3.8 on PATH, or point \
                   WEIR_PYTHON313 / WEIR_PYTHON at interpreters";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when a missing interpreter must fail the test (`.ci/run`).
fn required() -> bool {
    std::env::var("WEIR_REQUIRE_CPYTHON313").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Says on the real stderr (not captured by the test harness, so it shows in
/// `cargo test`'s output) what a test leaves out and why.
fn skip(test: &str, what: &str, why: &str) {
    let line = format!(
        "{test}: skipped {what}: {why}; {HOW} (WEIR_REQUIRE_CPYTHON313=1 makes this a failure)\n"
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// An interpreter that answered with a usable version.
struct Python {
    program: String,
    pyenv: Option<&'static str>,
    label: &'static str,
}

impl Python {
    /// CPython 3.13, or why there is none.
    fn v313() -> Result<Python, String> {
        let (py, explicit) = match std::env::var("WEIR_PYTHON313") {
            Ok(p) => (
                Python {
                    program: p,
                    pyenv: None,
                    label: "CPython 3.13",
                },
                true,
            ),
            Err(_) => (
                Python {
                    program: "python3".into(),
                    pyenv: Some("3.13.0"),
                    label: "CPython 3.13",
                },
                false,
            ),
        };
        py.check((3, 13), explicit)
    }

    /// The default `python3` (3.8 or later), or why there is none.
    fn default() -> Result<Python, String> {
        let (py, explicit) = match std::env::var("WEIR_PYTHON") {
            Ok(p) => (
                Python {
                    program: p,
                    pyenv: None,
                    label: "default python3",
                },
                true,
            ),
            Err(_) => (
                Python {
                    program: "python3".into(),
                    pyenv: None,
                    label: "default python3",
                },
                false,
            ),
        };
        py.check((3, 8), explicit)
    }

    /// Any interpreter that can run the driver: 3.13 if there is one, else
    /// the default; `None` (after saying why) when the test must be skipped.
    fn any(test: &str) -> Option<Python> {
        match (Python::v313(), Python::default()) {
            (Ok(p), _) | (Err(_), Ok(p)) => Some(p),
            (Err(a), Err(b)) => {
                skip(test, "everything", &format!("{a}; {b}"));
                None
            }
        }
    }

    /// `self` if it starts and is at least `min`. Otherwise the reason, or a
    /// panic if it was named explicitly or interpreters are required.
    fn check(self, min: (u32, u32), explicit: bool) -> Result<Python, String> {
        match self.version() {
            Ok(v) if v >= min => Ok(self),
            Ok(v) => Err(format!(
                "{}: `{}` is Python {}.{}, not {}.{} or later",
                self.label, self.program, v.0, v.1, min.0, min.1
            )),
            Err(e) => Err(format!("{}: {e}", self.label)),
        }
        .map_err(|why| {
            if explicit || required() {
                panic!("{why}; {HOW}");
            }
            why
        })
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        match self.pyenv {
            Some(v) => c.env("PYENV_VERSION", v),
            None => c.env_remove("PYENV_VERSION"),
        };
        c
    }

    /// `(major, minor)`, or why the interpreter cannot say.
    fn version(&self) -> Result<(u32, u32), String> {
        let out = self
            .command()
            .args([
                "-c",
                "import sys; print(sys.version_info[0], sys.version_info[1])",
            ])
            .output()
            .map_err(|e| format!("cannot start `{}`: {e}", self.program))?;
        if !out.status.success() {
            return Err(format!(
                "`{}` failed: {}",
                self.program,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut it = text
            .split_whitespace()
            .map(|s| s.parse::<u32>().unwrap_or(0));
        Ok((it.next().unwrap_or(0), it.next().unwrap_or(0)))
    }

    /// Starts the driver on `args`, input piped.
    fn driver(&self, args: &[&str]) -> std::process::Child {
        self.command()
            .arg(root().join("reference/cpython_driver.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot start the driver: {e}", self.label))
    }

    /// Runs the driver on a batch of scenarios (one process), returning its lines.
    fn drive(&self, scenarios: &[Scenario]) -> Vec<String> {
        let input = to_jsonl(scenarios);
        let mut child = self.driver(&["-"]);
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

/// Runs `scenarios` on what this machine has: everything on 3.13, the ones
/// without a list separator on the default python3 too; skips what it lacks.
/// Returns the disagreements and how many runs were compared.
fn on_every_python(
    test: &str,
    batches: &[(String, Vec<Scenario>)],
) -> Option<(Vec<String>, usize)> {
    let (v313, default) = (Python::v313(), Python::default());
    if let (Err(a), Err(b)) = (&v313, &default) {
        skip(
            test,
            "the whole differential (no usable python3)",
            &format!("{a}; {b}"),
        );
        return None;
    }
    let all: Vec<Scenario> = batches.iter().flat_map(|(_, s)| s.clone()).collect();
    let older = without_lists(&all);
    let (mut bad, mut runs) = (Vec::new(), 0);
    match &v313 {
        Ok(py) => {
            for (what, scenarios) in batches {
                bad.extend(disagreements(what, py, scenarios));
            }
            runs += all.len();
        }
        Err(why) => {
            // The default python3 runs the rest below; on 3.13 alone it would
            // run them too, so only the list-separator scenarios are lost.
            skip(
                test,
                &format!(
                    "{} scenarios with several separators (they need CPython 3.13)",
                    all.len() - older.len()
                ),
                why,
            );
        }
    }
    match &default {
        Ok(py) => {
            bad.extend(disagreements(test, py, &older));
            runs += older.len();
        }
        Err(why) => skip(test, "the run on the default python3", why),
    }
    Some((bad, runs))
}

#[test]
fn corpus_agrees_with_cpython() {
    let files = corpus();
    let total: usize = files.iter().map(|(_, s)| s.len()).sum();
    assert!(total >= 150, "the corpus has {total} scenarios");
    let batches: Vec<(String, Vec<Scenario>)> = files
        .into_iter()
        .map(|(path, s)| {
            let name = path
                .file_name()
                .map(Path::new)
                .unwrap_or(&path)
                .display()
                .to_string();
            (name, s)
        })
        .collect();
    if let Some((bad, runs)) = on_every_python("corpus_agrees_with_cpython", &batches) {
        assert_none(&bad, runs);
    }
}

#[test]
fn random_scenarios_agree_with_cpython() {
    let all: Vec<Scenario> = SEEDS
        .iter()
        .flat_map(|&seed| generate(seed, PER_SEED))
        .collect();
    assert_eq!(all.len(), SEEDS.len() * PER_SEED);
    let batches = [("random".to_string(), all)];
    if let Some((bad, runs)) = on_every_python("random_scenarios_agree_with_cpython", &batches) {
        assert_none(&bad, runs);
    }
}

#[test]
fn driver_rejects_a_bad_file_with_exit_code_2() {
    let Some(py) = Python::any("driver_rejects_a_bad_file_with_exit_code_2") else {
        return;
    };
    let mut child = py.driver(&["-"]);
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

/// A file with good scenarios around bad ones: a bad step, bad JSON, a
/// duplicate name, a character above U+00FF.
const MIXED: &str = "# one bad scenario must not stop the others
{\"name\": \"good-1\", \"steps\": [[\"feed\", \"a\\n\"], [\"readline\"]]}
{\"name\": \"bad-step\", \"steps\": [[\"readline\"], [\"reed\", 3]]}
{\"name\": \"good-2\", \"steps\": [[\"feed\", \"xy\"], [\"read\", 1]]}
not json
{\"name\": \"good-1\", \"steps\": []}
{\"name\": \"bad-euro\", \"steps\": [[\"feed\", \"\u{20ac}\"]]}
{\"name\": \"good-3\", \"steps\": [[\"eof\"], [\"error\", \"TimeoutError\"], [\"eof\"], [\"at_eof\"]]}
";

/// What both runners must print for [`MIXED`]: the good scenarios' results.
fn mixed_expected() -> String {
    weir_conformance::parse_each(MIXED)
        .into_iter()
        .filter_map(Result::ok)
        .map(|s| run(&s).to_json() + "\n")
        .collect()
}

/// Checks a runner's stderr names each bad scenario by file, line, name
/// (when it has one) and reason.
fn names_each_bad_scenario(file: &str, err: &str) {
    for needle in [
        format!("{file}:3: scenario \"bad-step\": "),
        format!("{file}:5: bad JSON"),
        format!("{file}:6: scenario \"good-1\": duplicate name"),
        format!("{file}:7: scenario \"bad-euro\": "),
    ] {
        assert!(err.contains(&needle), "no {needle:?} in:\n{err}");
    }
    assert!(err.contains("reed") && err.contains("U+20AC"), "{err}");
    assert_eq!(err.lines().count(), 4, "one line per bad scenario:\n{err}");
}

#[test]
fn parse_each_reports_every_bad_scenario_and_keeps_the_others() {
    let each = weir_conformance::parse_each(MIXED);
    let good: Vec<&str> = each
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|s| s.name())
        .collect();
    assert_eq!(good, ["good-1", "good-2", "good-3"]);
    let bad: Vec<(usize, Option<&str>)> = each
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| (e.line, e.name.as_deref()))
        .collect();
    assert_eq!(
        bad,
        [
            (3, Some("bad-step")),
            (5, None),
            (6, Some("good-1")),
            (7, Some("bad-euro"))
        ]
    );
}

#[test]
fn binary_reports_a_bad_scenario_and_runs_the_others() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir-scenarios"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(MIXED.as_bytes())
        .expect("the binary reads");
    let out = child.wait_with_output().expect("the binary ran");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), mixed_expected());
    names_each_bad_scenario("-", &String::from_utf8_lossy(&out.stderr));
}

#[test]
fn driver_reports_a_bad_scenario_and_runs_the_others() {
    let Some(py) = Python::any("driver_reports_a_bad_scenario_and_runs_the_others") else {
        return;
    };
    let mut child = py.driver(&["-"]);
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(MIXED.as_bytes())
        .expect("the driver reads");
    let out = child.wait_with_output().expect("the driver ran");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), mixed_expected());
    names_each_bad_scenario("-", &String::from_utf8_lossy(&out.stderr));
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
