//! Running a scenario on weir-proto's `ReadBuffer`, and the result format.

use weir_proto::{Error, ReadBuffer, Separators, Step as CoreStep};

use crate::json;
use crate::scenario::{ConnError, Scenario, Step};

/// The error a read raised, as the output format names it.
///
/// # Examples
///
/// ```
/// use weir_conformance::ReadError;
/// assert_eq!(ReadError::LimitOverrun { consumed: 4 }.to_json(), r#"{"type": "LimitOverrunError", "consumed": 4}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// `IncompleteReadError(partial, expected)`; `expected` is `None` for `readuntil`.
    IncompleteRead {
        /// The bytes read before EOF.
        partial: Vec<u8>,
        /// The size `readexactly` asked for.
        expected: Option<u64>,
    },
    /// `LimitOverrunError(consumed)`.
    LimitOverrun {
        /// CPython's `consumed` value.
        consumed: u64,
    },
    /// `ValueError`: readline past the limit, an empty separator, a negative size.
    ValueError,
    /// `RuntimeError`: a read started while another waits.
    RuntimeError,
    /// The connection error set with an `error` step.
    Connection(ConnError),
    /// An error weir returned that the format has no name for (always a bug).
    Unexpected(String),
}

impl ReadError {
    /// Maps a weir-proto error to the format's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::ReadError;
    /// assert_eq!(ReadError::from_weir(&weir_proto::Error::EmptySeparator), ReadError::ValueError);
    /// ```
    pub fn from_weir(e: &Error) -> ReadError {
        match e {
            Error::IncompleteRead(e) => ReadError::IncompleteRead {
                partial: e.partial.to_vec(),
                expected: e.expected.map(|n| n as u64),
            },
            Error::LimitOverrun(e) => ReadError::LimitOverrun {
                consumed: e.consumed as u64,
            },
            Error::LineTooLong { .. } | Error::EmptySeparator => ReadError::ValueError,
            Error::ConcurrentRead => ReadError::RuntimeError,
            Error::Connection(io) => match ConnError::from_io_kind(io.kind()) {
                Some(c) => ReadError::Connection(c),
                None => ReadError::Unexpected(format!("connection error {io}")),
            },
            other => ReadError::Unexpected(other.to_string()),
        }
    }

    /// The error as a JSON object of the output format.
    ///
    /// # Examples
    ///
    /// ```
    /// use weir_conformance::ReadError;
    /// let e = ReadError::IncompleteRead { partial: b"ab".to_vec(), expected: None };
    /// assert_eq!(e.to_json(), r#"{"type": "IncompleteReadError", "partial": "ab", "expected": null}"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"type\": ");
        match self {
            ReadError::IncompleteRead { partial, expected } => {
                out.push_str("\"IncompleteReadError\", \"partial\": ");
                json::latin1(&mut out, partial);
                match expected {
                    Some(n) => out.push_str(&format!(", \"expected\": {n}")),
                    None => out.push_str(", \"expected\": null"),
                }
            }
            ReadError::LimitOverrun { consumed } => {
                out.push_str(&format!("\"LimitOverrunError\", \"consumed\": {consumed}"));
            }
            ReadError::ValueError => out.push_str("\"ValueError\""),
            ReadError::RuntimeError => out.push_str("\"RuntimeError\""),
            ReadError::Connection(c) => json::string(&mut out, c.name()),
            ReadError::Unexpected(m) => json::string(&mut out, &format!("Unexpected: {m}")),
        }
        out.push('}');
        out
    }
}

/// What a finished operation gave.
///
/// # Examples
///
/// ```
/// use weir_conformance::Value;
/// assert_eq!(Value::Ok(b"x\n".to_vec()).to_json(), r#""ok": "x\n""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// The bytes a read returned.
    Ok(Vec<u8>),
    /// A boolean query's answer.
    Bool(bool),
    /// `buffered`'s answer.
    Int(u64),
    /// The error a read raised.
    Err(ReadError),
}

impl Value {
    /// The value as the `"ok"`, `"value"` or `"err"` member of a result.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_conformance::Value::Int(3).to_json(), r#""value": 3"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        match self {
            Value::Ok(b) => {
                out.push_str("\"ok\": ");
                json::latin1(&mut out, b);
            }
            Value::Bool(b) => out.push_str(&format!("\"value\": {b}")),
            Value::Int(n) => out.push_str(&format!("\"value\": {n}")),
            Value::Err(e) => {
                out.push_str("\"err\": ");
                out.push_str(&e.to_json());
            }
        }
        out
    }
}

/// One operation's result: the step that started it, and how it ended.
///
/// # Examples
///
/// ```
/// use weir_conformance::{OpResult, Value};
/// let r = OpResult { step: 0, done: Some((2, Value::Bool(true))) };
/// assert_eq!(r.to_json(), r#"{"step": 0, "done": 2, "value": true}"#);
/// let p = OpResult { step: 1, done: None };
/// assert_eq!(p.to_json(), r#"{"step": 1, "pending": true}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpResult {
    /// Index of the step that started the operation.
    pub step: usize,
    /// The index of the step after which it completed, and its value; `None`
    /// while still pending at the end of the scenario.
    pub done: Option<(usize, Value)>,
}

impl OpResult {
    /// The result as a JSON object of the output format.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = weir_conformance::OpResult { step: 3, done: None };
    /// assert!(r.to_json().contains("pending"));
    /// ```
    pub fn to_json(&self) -> String {
        match &self.done {
            Some((done, v)) => format!(
                "{{\"step\": {}, \"done\": {}, {}}}",
                self.step,
                done,
                v.to_json()
            ),
            None => format!("{{\"step\": {}, \"pending\": true}}", self.step),
        }
    }
}

/// A scenario's output: its name and one result per read or query, in step order.
///
/// # Examples
///
/// ```
/// use weir_conformance::{run, Scenario, Step};
/// let s = Scenario::new("q", 4, vec![Step::Buffered])?;
/// assert_eq!(run(&s).to_json(), r#"{"name": "q", "results": [{"step": 0, "done": 0, "value": 0}]}"#);
/// # Ok::<(), weir_conformance::InvalidScenario>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioOutput {
    /// The scenario's name.
    pub name: String,
    /// The results, ordered by the step that started each operation.
    pub results: Vec<OpResult>,
}

impl ScenarioOutput {
    /// The output as one JSON line (no trailing newline), in the key order of
    /// `conformance/SCENARIOS.md`; byte-identical to the CPython driver's `json.dumps`.
    ///
    /// # Examples
    ///
    /// ```
    /// let o = weir_conformance::ScenarioOutput { name: "n".into(), results: vec![] };
    /// assert_eq!(o.to_json(), r#"{"name": "n", "results": []}"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"name\": ");
        json::string(&mut out, &self.name);
        out.push_str(", \"results\": [");
        for (i, r) in self.results.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&r.to_json());
        }
        out.push_str("]}");
        out
    }
}

/// A read in progress, kept so a pending one can be retried.
enum Op {
    Read(usize),
    ReadToEnd,
    Line,
    Exactly(usize),
    Until(Separators),
}

/// A `ReadBuffer` driven step by step, as the runner does: the one place the
/// scenario semantics (pending read, retries, RuntimeError) live.
pub(crate) struct Machine {
    pub(crate) rb: ReadBuffer,
    /// The pending read: its index in `results`, and the operation.
    pending: Option<(usize, Op)>,
    results: Vec<OpResult>,
}

impl Machine {
    pub(crate) fn new(limit: u64) -> Machine {
        // A limit above usize::MAX behaves as usize::MAX: no buffer gets there.
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let rb = ReadBuffer::new(limit.max(1)).unwrap_or_default();
        Machine {
            rb,
            pending: None,
            results: Vec::new(),
        }
    }

    /// True while a read waits for data.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// True while the waiting read is a read to EOF.
    pub(crate) fn pending_is_to_end(&self) -> bool {
        matches!(self.pending, Some((_, Op::ReadToEnd)))
    }

    /// Builds the operation a read step starts, or the error it raises at once.
    fn op_for(step: &Step) -> Result<Op, ReadError> {
        Ok(match step {
            Step::Read(n) if *n < 0 => Op::ReadToEnd,
            Step::Read(n) => Op::Read(usize::try_from(*n).unwrap_or(usize::MAX)),
            Step::Readline => Op::Line,
            Step::ReadExactly(n) if *n < 0 => return Err(ReadError::ValueError),
            Step::ReadExactly(n) => Op::Exactly(usize::try_from(*n).unwrap_or(usize::MAX)),
            Step::ReadUntil(sep) => {
                Op::Until(Separators::new(sep).map_err(|e| ReadError::from_weir(&e))?)
            }
            Step::ReadUntilAny(seps) => {
                Op::Until(Separators::any(seps).map_err(|e| ReadError::from_weir(&e))?)
            }
            _ => {
                return Err(ReadError::Unexpected(format!(
                    "{} is not a read",
                    step.kind()
                )))
            }
        })
    }

    /// Calls the read on the buffer once.
    fn attempt(rb: &mut ReadBuffer, op: &Op) -> Option<Value> {
        let r = match op {
            Op::Read(n) => rb.read(*n),
            Op::ReadToEnd => rb.read_to_end(),
            Op::Line => rb.read_line(),
            Op::Exactly(n) => rb.read_exactly(*n),
            Op::Until(seps) => rb.read_until(seps),
        };
        match r {
            Ok(CoreStep::Ready(b)) => Some(Value::Ok(b.to_vec())),
            Ok(CoreStep::NeedData) => None,
            Err(e) => Some(Value::Err(ReadError::from_weir(&e))),
        }
    }

    /// Would `step`, started now with no read pending, have to wait for data?
    /// (Consumes the machine: the read really runs.)
    pub(crate) fn probe_waits(mut self, step: &Step) -> bool {
        match Machine::op_for(step) {
            Ok(op) => Machine::attempt(&mut self.rb, &op).is_none(),
            Err(_) => false,
        }
    }

    /// Runs step `i`, then lets the pending read continue.
    pub(crate) fn step(&mut self, i: usize, step: &Step) {
        match step {
            Step::Feed(d) => {
                if let Err(e) = self.rb.feed(d) {
                    self.results.push(OpResult {
                        step: i,
                        done: Some((i, Value::Err(ReadError::from_weir(&e)))),
                    });
                }
            }
            Step::Eof => self.rb.feed_eof(),
            Step::Error(c) => self
                .rb
                .set_error(Error::connection(std::io::Error::from(c.io_kind()))),
            Step::AtEof => self.answer(i, Value::Bool(self.rb.at_eof())),
            Step::Buffered => self.answer(i, Value::Int(self.rb.buffered() as u64)),
            Step::Paused => self.answer(i, Value::Bool(!self.rb.wants_read())),
            _ if self.pending.is_some() => {
                self.answer(i, Value::Err(ReadError::RuntimeError));
            }
            _ => {
                let slot = self.results.len();
                self.results.push(OpResult {
                    step: i,
                    done: None,
                });
                match Machine::op_for(step) {
                    Err(e) => self.results[slot].done = Some((i, Value::Err(e))),
                    Ok(op) => match Machine::attempt(&mut self.rb, &op) {
                        Some(v) => self.results[slot].done = Some((i, v)),
                        None => self.pending = Some((slot, op)),
                    },
                }
                return;
            }
        }
        // The event loop runs until idle: the pending read gets another go.
        if let Some((slot, op)) = &self.pending {
            if let Some(v) = Machine::attempt(&mut self.rb, op) {
                self.results[*slot].done = Some((i, v));
                self.pending = None;
            }
        }
    }

    fn answer(&mut self, i: usize, v: Value) {
        self.results.push(OpResult {
            step: i,
            done: Some((i, v)),
        });
    }

    pub(crate) fn finish(self, name: &str) -> ScenarioOutput {
        ScenarioOutput {
            name: name.to_owned(),
            results: self.results,
        }
    }
}

/// Runs a scenario on weir-proto's [`ReadBuffer`] and records every result.
///
/// Semantics (`conformance/SCENARIOS.md`): one read pending at a time; a read
/// started while another waits gives `RuntimeError` and leaves it alone; the
/// pending read is retried after every later step (CPython's event loop
/// running until idle).
///
/// # Examples
///
/// ```
/// use weir_conformance::{run, parse_file};
/// let s = parse_file(r#"{"name": "r", "steps": [["readline"], ["feed", "ab"], ["feed", "c\nrest"], ["buffered"]]}"#).unwrap();
/// assert_eq!(
///     run(&s[0]).to_json(),
///     r#"{"name": "r", "results": [{"step": 0, "done": 2, "ok": "abc\n"}, {"step": 3, "done": 3, "value": 4}]}"#
/// );
/// ```
pub fn run(scenario: &Scenario) -> ScenarioOutput {
    let mut m = Machine::new(scenario.limit());
    for (i, step) in scenario.steps().iter().enumerate() {
        m.step(i, step);
    }
    m.finish(scenario.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_file;

    fn out(line: &str) -> String {
        run(&parse_file(line).unwrap()[0]).to_json()
    }

    #[test]
    fn a_second_read_is_refused_and_the_first_continues() {
        assert_eq!(
            out(
                r#"{"name": "c", "steps": [["readline"], ["read", 3], ["feed", "ab\n"], ["readline"]]}"#
            ),
            r#"{"name": "c", "results": [{"step": 0, "done": 2, "ok": "ab\n"}, {"step": 1, "done": 1, "err": {"type": "RuntimeError"}}, {"step": 3, "pending": true}]}"#
        );
    }

    #[test]
    fn errors_map_to_cpython_names() {
        assert_eq!(
            out(
                r#"{"name": "e", "limit": 2, "steps": [["readexactly", -1], ["readuntil", ""], ["feed", "abcd"], ["readuntil", "x"], ["readline"], ["feed", "z"], ["eof"], ["readexactly", 2], ["error", "BrokenPipeError"], ["read", 0]]}"#
            ),
            r#"{"name": "e", "results": [{"step": 0, "done": 0, "err": {"type": "ValueError"}}, {"step": 1, "done": 1, "err": {"type": "ValueError"}}, {"step": 3, "done": 3, "err": {"type": "LimitOverrunError", "consumed": 4}}, {"step": 4, "done": 4, "err": {"type": "ValueError"}}, {"step": 7, "done": 7, "err": {"type": "IncompleteReadError", "partial": "z", "expected": 2}}, {"step": 9, "done": 9, "err": {"type": "BrokenPipeError"}}]}"#
        );
    }

    #[test]
    fn paused_follows_the_thresholds() {
        assert_eq!(
            out(
                r#"{"name": "p", "limit": 2, "steps": [["feed", "abcd"], ["paused"], ["feed", "e"], ["paused"], ["read", 2], ["paused"], ["read", 1], ["paused"]]}"#
            ),
            r#"{"name": "p", "results": [{"step": 1, "done": 1, "value": false}, {"step": 3, "done": 3, "value": true}, {"step": 4, "done": 4, "ok": "ab"}, {"step": 5, "done": 5, "value": true}, {"step": 6, "done": 6, "ok": "c"}, {"step": 7, "done": 7, "value": false}]}"#
        );
    }
}
