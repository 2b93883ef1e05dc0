//! The scenario model: a reader's limit and a script of steps, and its JSONL form.

use std::fmt;
use std::io;

use crate::json;

/// The limit a scenario uses when its file gives none (asyncio's 64 KiB).
pub const DEFAULT_LIMIT: u64 = 65536;

/// A connection failure an `["error", TYPE]` step injects.
///
/// Mirrors the CPython exception set with `StreamReader.set_exception(TYPE())`.
///
/// # Examples
///
/// ```
/// use weir_conformance::ConnError;
/// assert_eq!(ConnError::from_name("BrokenPipeError"), Some(ConnError::BrokenPipe));
/// assert_eq!(ConnError::TimedOut.name(), "TimeoutError");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnError {
    /// `ConnectionResetError` (`io::ErrorKind::ConnectionReset`).
    ConnectionReset,
    /// `BrokenPipeError` (`io::ErrorKind::BrokenPipe`).
    BrokenPipe,
    /// `TimeoutError` (`io::ErrorKind::TimedOut`).
    TimedOut,
}

impl ConnError {
    /// Every error a scenario may name.
    pub const ALL: [ConnError; 3] = [
        ConnError::ConnectionReset,
        ConnError::BrokenPipe,
        ConnError::TimedOut,
    ];

    /// The CPython exception name, as written in scenario files and outputs.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_conformance::ConnError::ConnectionReset.name(), "ConnectionResetError");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ConnError::ConnectionReset => "ConnectionResetError",
            ConnError::BrokenPipe => "BrokenPipeError",
            ConnError::TimedOut => "TimeoutError",
        }
    }

    /// The error named `name` in a file, if it is one the format knows.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_conformance::ConnError::from_name("OSError").is_none());
    /// ```
    pub fn from_name(name: &str) -> Option<ConnError> {
        ConnError::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The `io::ErrorKind` weir reports for this failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::ConnError;
    /// assert_eq!(ConnError::BrokenPipe.io_kind(), std::io::ErrorKind::BrokenPipe);
    /// ```
    pub fn io_kind(self) -> io::ErrorKind {
        match self {
            ConnError::ConnectionReset => io::ErrorKind::ConnectionReset,
            ConnError::BrokenPipe => io::ErrorKind::BrokenPipe,
            ConnError::TimedOut => io::ErrorKind::TimedOut,
        }
    }

    /// The failure an `io::ErrorKind` stands for, if it is one of the three.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::ConnError;
    /// assert_eq!(ConnError::from_io_kind(std::io::ErrorKind::TimedOut), Some(ConnError::TimedOut));
    /// ```
    pub fn from_io_kind(kind: io::ErrorKind) -> Option<ConnError> {
        ConnError::ALL.into_iter().find(|e| e.io_kind() == kind)
    }
}

/// One step of a scenario (one JSON array in the file).
///
/// Mirrors a call on CPython's `StreamReader`: `feed_data`, `feed_eof`,
/// `set_exception`, `read`, `readline`, `readexactly`, `readuntil`, or a query.
///
/// # Examples
///
/// ```
/// use weir_conformance::Step;
/// assert_eq!(Step::Read(-1).to_json(), r#"["read", -1]"#);
/// assert!(Step::Readline.is_read() && !Step::Buffered.is_read());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `["feed", DATA]`: `feed_data(DATA)`.
    Feed(Vec<u8>),
    /// `["eof"]`: `feed_eof()`.
    Eof,
    /// `["error", TYPE]`: `set_exception(TYPE())`.
    Error(ConnError),
    /// `["read", N]`: `read(N)`; any negative N reads to EOF.
    Read(i64),
    /// `["readline"]`: `readline()`.
    Readline,
    /// `["readexactly", N]`: `readexactly(N)`; a negative N is a `ValueError`.
    ReadExactly(i64),
    /// `["readuntil", SEP]`: `readuntil(SEP)`; an empty SEP is a `ValueError`.
    ReadUntil(Vec<u8>),
    /// `["readuntil", [SEP, ...]]`: `readuntil((SEP, ...))` with CPython 3.13 semantics.
    ReadUntilAny(Vec<Vec<u8>>),
    /// `["at_eof"]`: `at_eof()`.
    AtEof,
    /// `["buffered"]`: `len(reader._buffer)`.
    Buffered,
    /// `["paused"]`: whether the transport's reading is paused.
    Paused,
}

impl Step {
    /// True for the steps that start a read operation.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_conformance::Step::ReadExactly(3).is_read());
    /// ```
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Step::Read(_)
                | Step::Readline
                | Step::ReadExactly(_)
                | Step::ReadUntil(_)
                | Step::ReadUntilAny(_)
        )
    }

    /// True for the queries (`at_eof`, `buffered`, `paused`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weir_conformance::Step::Paused.is_query());
    /// ```
    pub fn is_query(&self) -> bool {
        matches!(self, Step::AtEof | Step::Buffered | Step::Paused)
    }

    /// The step's kind, as written first in its JSON array.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_conformance::Step::ReadUntilAny(vec![]).kind(), "readuntil");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Feed(_) => "feed",
            Step::Eof => "eof",
            Step::Error(_) => "error",
            Step::Read(_) => "read",
            Step::Readline => "readline",
            Step::ReadExactly(_) => "readexactly",
            Step::ReadUntil(_) | Step::ReadUntilAny(_) => "readuntil",
            Step::AtEof => "at_eof",
            Step::Buffered => "buffered",
            Step::Paused => "paused",
        }
    }

    /// The step as a JSON array, in the file's format.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::Step;
    /// assert_eq!(Step::Feed(b"a\n\xff".to_vec()).to_json(), r#"["feed", "a\n\u00ff"]"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = String::from("[");
        json::string(&mut out, self.kind());
        match self {
            Step::Feed(d) | Step::ReadUntil(d) => {
                out.push_str(", ");
                json::latin1(&mut out, d);
            }
            Step::Error(e) => {
                out.push_str(", ");
                json::string(&mut out, e.name());
            }
            Step::Read(n) | Step::ReadExactly(n) => {
                out.push_str(&format!(", {n}"));
            }
            Step::ReadUntilAny(seps) => {
                out.push_str(", [");
                for (i, s) in seps.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    json::latin1(&mut out, s);
                }
                out.push(']');
            }
            _ => {}
        }
        out.push(']');
        out
    }
}

/// A scenario that breaks a rule of the format (see [`Scenario::new`]).
///
/// # Examples
///
/// ```
/// use weir_conformance::{Scenario, Step};
/// let e = Scenario::new("x", 4, vec![Step::Eof, Step::Feed(b"a".to_vec())]).unwrap_err();
/// assert_eq!(e.step, Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidScenario {
    /// The index of the offending step, if the problem is a step.
    pub step: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InvalidScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(i) => write!(f, "step {i}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for InvalidScenario {}

/// One scenario: a name, the reader's limit, and the steps to run.
///
/// The fields are checked once, by [`Scenario::new`], so every `Scenario`
/// can be run.
///
/// # Examples
///
/// ```
/// use weir_conformance::{Scenario, Step};
/// let s = Scenario::new("line", 8, vec![Step::Readline, Step::Feed(b"hi\n".to_vec())])?;
/// assert_eq!(s.to_json_line(), r#"{"name": "line", "limit": 8, "steps": [["readline"], ["feed", "hi\n"]]}"#);
/// # Ok::<(), weir_conformance::InvalidScenario>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    name: String,
    limit: u64,
    steps: Vec<Step>,
}

impl Scenario {
    /// A scenario, checked against the format's rules.
    ///
    /// # Errors
    ///
    /// [`InvalidScenario`] if `limit` is 0, or a `feed` follows an `eof` or
    /// an `error`. Every other step may follow them, with CPython's meaning:
    /// a second `error` replaces the first (a second `set_exception`), an
    /// `eof` after an `error` records EOF while reads keep raising the error,
    /// and a second `eof` changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::{ConnError, Scenario, Step};
    /// assert!(Scenario::new("zero", 0, vec![]).is_err());
    /// let reset = Step::Error(ConnError::ConnectionReset);
    /// let timeout = Step::Error(ConnError::TimedOut);
    /// assert!(Scenario::new("twice", 4, vec![reset.clone(), timeout, Step::Eof]).is_ok());
    /// assert!(Scenario::new("late", 4, vec![reset, Step::Feed(b"x".to_vec())]).is_err());
    /// ```
    pub fn new(
        name: impl Into<String>,
        limit: u64,
        steps: Vec<Step>,
    ) -> Result<Scenario, InvalidScenario> {
        if limit == 0 {
            return Err(InvalidScenario {
                step: None,
                message: "limit must be a positive integer, got 0".into(),
            });
        }
        let mut eof = false;
        let mut error = false;
        for (i, step) in steps.iter().enumerate() {
            let bad = |message: &str| {
                Err(InvalidScenario {
                    step: Some(i),
                    message: message.into(),
                })
            };
            match step {
                Step::Feed(_) if error => {
                    return bad("feed after error: a scenario never feeds after an error")
                }
                Step::Feed(_) if eof => {
                    return bad("feed after eof: a scenario never feeds after eof")
                }
                Step::Eof => eof = true,
                Step::Error(_) => error = true,
                _ => {}
            }
        }
        Ok(Scenario {
            name: name.into(),
            limit,
            steps,
        })
    }

    /// The scenario's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = weir_conformance::Scenario::new("n", 1, vec![])?;
    /// assert_eq!(s.name(), "n");
    /// # Ok::<(), weir_conformance::InvalidScenario>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The reader's limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = weir_conformance::Scenario::new("n", 3, vec![])?;
    /// assert_eq!(s.limit(), 3);
    /// # Ok::<(), weir_conformance::InvalidScenario>(())
    /// ```
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The steps, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::{Scenario, Step};
    /// let s = Scenario::new("n", 3, vec![Step::Eof])?;
    /// assert_eq!(s.steps(), &[Step::Eof]);
    /// # Ok::<(), weir_conformance::InvalidScenario>(())
    /// ```
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// True if a step reads until a list of separators (CPython 3.13 semantics).
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::{Scenario, Step};
    /// let s = Scenario::new("n", 3, vec![Step::ReadUntilAny(vec![b"\n".to_vec()])])?;
    /// assert!(s.needs_313());
    /// # Ok::<(), weir_conformance::InvalidScenario>(())
    /// ```
    pub fn needs_313(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::ReadUntilAny(_)))
    }

    /// The scenario as one line of a scenario file (no trailing newline).
    ///
    /// [`parse_file`](crate::parse_file) reads it back to an equal scenario.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::{parse_file, Scenario, Step};
    /// let s = Scenario::new("rt", 5, vec![Step::ReadUntil(b"\r\n".to_vec())])?;
    /// assert_eq!(parse_file(&s.to_json_line()).unwrap(), vec![s]);
    /// # Ok::<(), weir_conformance::InvalidScenario>(())
    /// ```
    pub fn to_json_line(&self) -> String {
        let mut out = String::from("{\"name\": ");
        json::string(&mut out, &self.name);
        out.push_str(&format!(", \"limit\": {}, \"steps\": [", self.limit));
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&s.to_json());
        }
        out.push_str("]}");
        out
    }
}

/// Scenarios as a JSONL file: one line each, newline-terminated.
///
/// # Examples
///
/// ```
/// use weir_conformance::{to_jsonl, Scenario};
/// let s = Scenario::new("a", 1, vec![])?;
/// assert_eq!(to_jsonl(&[s]), "{\"name\": \"a\", \"limit\": 1, \"steps\": []}\n");
/// # Ok::<(), weir_conformance::InvalidScenario>(())
/// ```
pub fn to_jsonl(scenarios: &[Scenario]) -> String {
    let mut out = String::new();
    for s in scenarios {
        out.push_str(&s.to_json_line());
        out.push('\n');
    }
    out
}
