//! Reading scenario files (JSON Lines, `conformance/SCENARIOS.md`).

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::scenario::{ConnError, Scenario, Step, DEFAULT_LIMIT};

/// What is wrong with a scenario file, and on which line (1-based).
///
/// # Examples
///
/// ```
/// let e = weir_conformance::parse_file("\n{\"name\": 1}").unwrap_err();
/// assert_eq!(e.line, 2);
/// assert!(e.to_string().starts_with("line 2: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based line number of the bad scenario.
    pub line: usize,
    /// The scenario's name, when the line got far enough to have one.
    pub name: Option<String>,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        if let Some(name) = &self.name {
            write!(f, "scenario {name:?}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a scenario file: one scenario per line; blank lines and lines
/// starting with `#` are skipped.
///
/// Never panics, whatever the input.
///
/// # Errors
///
/// [`ParseError`] naming the first bad line: bad JSON, not an object, an
/// unknown or missing field, a duplicate name, a limit that is not a positive
/// integer, an unknown step kind, a wrong number of step arguments, a
/// character above U+00FF in a byte string, a feed after `eof` or `error`.
/// [`parse_each`] reports every bad line instead.
///
/// # Examples
///
/// ```
/// use weir_conformance::{parse_file, Step};
/// let file = "# a comment\n{\"name\": \"a\", \"steps\": [[\"feed\", \"x\\n\"], [\"readline\"]]}\n";
/// let s = parse_file(file)?;
/// assert_eq!(s[0].limit(), 65536);
/// assert_eq!(s[0].steps()[1], Step::Readline);
/// assert!(parse_file("{\"name\": \"b\", \"steps\": [[\"fed\", \"x\"]]}").is_err());
/// # Ok::<(), weir_conformance::ParseError>(())
/// ```
pub fn parse_file(text: &str) -> Result<Vec<Scenario>, ParseError> {
    parse_each(text).into_iter().collect()
}

/// Parses a scenario file line by line, keeping going past bad lines: one
/// entry per scenario line, in file order, each the scenario or what is wrong
/// with it (its line, its name if it has one, why).
///
/// A bad scenario costs only itself: the others can still be run. A
/// duplicate name makes the later line the bad one.
///
/// # Examples
///
/// ```
/// let file = "{\"name\": \"ok\", \"steps\": []}\n{\"name\": \"bad\", \"steps\": [[\"reed\"]]}\n";
/// let each = weir_conformance::parse_each(file);
/// assert_eq!(each[0].as_ref().unwrap().name(), "ok");
/// let e = each[1].as_ref().unwrap_err();
/// assert_eq!((e.line, e.name.as_deref()), (2, Some("bad")));
/// ```
pub fn parse_each(text: &str) -> Vec<Result<Scenario, ParseError>> {
    let mut names = HashSet::new();
    text.split('\n')
        .enumerate()
        .filter_map(|(i, raw)| parse_numbered(i + 1, raw, &mut names))
        .collect()
}

/// One line of a file: `None` for a blank or comment line.
fn parse_numbered(
    line: usize,
    raw: &str,
    names: &mut HashSet<String>,
) -> Option<Result<Scenario, ParseError>> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let scenario = parse_line(trimmed).map_err(|message| ParseError {
        line,
        name: name_of(trimmed),
        message,
    });
    Some(scenario.and_then(|s| {
        if names.insert(s.name().to_owned()) {
            Ok(s)
        } else {
            Err(ParseError {
                line,
                name: Some(s.name().to_owned()),
                message: format!(
                    "duplicate name {:?}: names must be unique in a file",
                    s.name()
                ),
            })
        }
    }))
}

/// The `"name"` of a line that is a JSON object with a string name.
fn name_of(line: &str) -> Option<String> {
    match serde_json::from_str::<Value>(line).ok()? {
        Value::Object(mut obj) => match obj.remove("name")? {
            Value::String(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// [`parse_file`] over raw bytes, which must be UTF-8.
///
/// # Errors
///
/// As [`parse_file`]; bytes that are not UTF-8 are reported on their line.
///
/// # Examples
///
/// ```
/// let e = weir_conformance::parse_bytes(b"\n\n\xff").unwrap_err();
/// assert_eq!(e.line, 3);
/// ```
pub fn parse_bytes(bytes: &[u8]) -> Result<Vec<Scenario>, ParseError> {
    parse_each_bytes(bytes).into_iter().collect()
}

/// [`parse_each`] over raw bytes: a line that is not UTF-8 is one bad entry,
/// and the other lines are still parsed.
///
/// # Examples
///
/// ```
/// let each = weir_conformance::parse_each_bytes(b"\xff\n{\"name\": \"a\", \"steps\": []}");
/// assert_eq!(each[0].as_ref().unwrap_err().line, 1);
/// assert!(each[1].is_ok());
/// ```
pub fn parse_each_bytes(bytes: &[u8]) -> Vec<Result<Scenario, ParseError>> {
    let mut names = HashSet::new();
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter_map(|(i, raw)| match std::str::from_utf8(raw) {
            Ok(text) => parse_numbered(i + 1, text, &mut names),
            Err(_) => Some(Err(ParseError {
                line: i + 1,
                name: None,
                message: "the line is not valid UTF-8; scenario files are UTF-8 JSON".into(),
            })),
        })
        .collect()
}

fn parse_line(line: &str) -> Result<Scenario, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("bad JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("a scenario must be a JSON object with \"name\" and \"steps\"".into());
    };
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "limit" | "steps"))
    {
        return Err(format!(
            "unknown field {key:?}: a scenario has only \"name\", \"limit\" and \"steps\""
        ));
    }
    let name = match obj.get("name") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("\"name\" must be a string".into()),
        None => return Err("missing field \"name\"".into()),
    };
    let limit = parse_limit(&obj)?;
    let steps = match obj.get("steps") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err("\"steps\" must be a list of steps".into()),
        None => return Err("missing field \"steps\"".into()),
    };
    let steps = steps
        .iter()
        .enumerate()
        .map(|(i, s)| parse_step(s).map_err(|m| format!("step {i}: {m}")))
        .collect::<Result<Vec<_>, _>>()?;
    Scenario::new(name, limit, steps).map_err(|e| e.to_string())
}

fn parse_limit(obj: &Map<String, Value>) -> Result<u64, String> {
    match obj.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => Err("\"limit\" must be positive, got 0".into()),
            Some(v) => Ok(v),
            None => Err(format!(
                "\"limit\" must be a positive integer below 2^64, got {n}"
            )),
        },
        Some(other) => Err(format!("\"limit\" must be a positive integer, got {other}")),
    }
}

fn parse_step(v: &Value) -> Result<Step, String> {
    let Value::Array(parts) = v else {
        return Err(format!(
            "a step must be a JSON array like [\"readline\"], got {v}"
        ));
    };
    let Some(first) = parts.first() else {
        return Err("empty step: the first element must be the step's kind".into());
    };
    let Value::String(kind) = first else {
        return Err(format!("the step's kind must be a string, got {first}"));
    };
    let args = &parts[1..];
    let want = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "{kind:?} takes {n} argument{}, got {}",
                if n == 1 { "" } else { "s" },
                args.len()
            ))
        }
    };
    let step = match kind.as_str() {
        "feed" => {
            want(1)?;
            Step::Feed(bytes(&args[0], "feed data")?)
        }
        "eof" => {
            want(0)?;
            Step::Eof
        }
        "error" => {
            want(1)?;
            let Value::String(name) = &args[0] else {
                return Err(format!("\"error\" takes an error name, got {}", args[0]));
            };
            let e = ConnError::from_name(name).ok_or_else(|| {
                format!("unknown error {name:?}: use ConnectionResetError, BrokenPipeError or TimeoutError")
            })?;
            Step::Error(e)
        }
        "read" => {
            want(1)?;
            Step::Read(int(&args[0], "read")?)
        }
        "readexactly" => {
            want(1)?;
            Step::ReadExactly(int(&args[0], "readexactly")?)
        }
        "readline" => {
            want(0)?;
            Step::Readline
        }
        "readuntil" => {
            want(1)?;
            match &args[0] {
                Value::Array(seps) => Step::ReadUntilAny(
                    seps.iter()
                        .map(|s| bytes(s, "a separator"))
                        .collect::<Result<_, _>>()?,
                ),
                other => Step::ReadUntil(bytes(other, "the separator")?),
            }
        }
        "at_eof" => {
            want(0)?;
            Step::AtEof
        }
        "buffered" => {
            want(0)?;
            Step::Buffered
        }
        "paused" => {
            want(0)?;
            Step::Paused
        }
        other => {
            return Err(format!(
                "unknown step kind {other:?}: use feed, eof, error, read, readline, readexactly, readuntil, at_eof, buffered or paused"
            ))
        }
    };
    Ok(step)
}

/// A Latin-1 byte string: every character one byte, U+0000..=U+00FF.
fn bytes(v: &Value, what: &str) -> Result<Vec<u8>, String> {
    let Value::String(s) = v else {
        return Err(format!("{what} must be a string of bytes, got {v}"));
    };
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            u8::try_from(u32::from(c)).map_err(|_| {
                format!(
                    "{what}: character {i} is U+{:04X}, above U+00FF; byte strings hold one byte per character (Latin-1)",
                    u32::from(c)
                )
            })
        })
        .collect()
}

fn int(v: &Value, what: &str) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("{what} takes an integer between -2^63 and 2^63-1, got {n}")),
        other => Err(format!("{what} takes an integer, got {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ParseError {
        match parse_file(text) {
            Err(e) => e,
            Ok(s) => panic!("expected a ParseError for {text:?}, got {s:?}"),
        }
    }

    fn says(text: &str, line: usize, needle: &str) {
        let e = err(text);
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.message.contains(needle), "{text:?}: {e} lacks {needle:?}");
    }

    #[test]
    fn each_bad_input_is_named() {
        says("{\"name\": \"a\", \"steps\": [}", 1, "bad JSON");
        says("\n\n[1, 2]", 3, "JSON object");
        says("{\"steps\": []}", 1, "missing field \"name\"");
        says("{\"name\": \"a\"}", 1, "missing field \"steps\"");
        says(
            "{\"name\": 3, \"steps\": []}",
            1,
            "\"name\" must be a string",
        );
        says("{\"name\": \"a\", \"steps\": {}}", 1, "list of steps");
        says(
            "{\"name\": \"a\", \"steps\": [], \"limt\": 3}",
            1,
            "unknown field \"limt\"",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"reed\", 3]]}",
            1,
            "unknown step kind \"reed\"",
        );
        says("{\"name\": \"a\", \"steps\": [[]]}", 1, "empty step");
        says(
            "{\"name\": \"a\", \"steps\": [[3]]}",
            1,
            "kind must be a string",
        );
        says(
            "{\"name\": \"a\", \"steps\": [\"eof\"]}",
            1,
            "must be a JSON array",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"feed\", \"\u{100}\"]]}",
            1,
            "U+0100",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"readuntil\", [\"a\", \"\\u20ac\"]]]}",
            1,
            "U+20AC",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"feed\", 3]]}",
            1,
            "string of bytes",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"feed\"]]}",
            1,
            "takes 1 argument, got 0",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"eof\", 1]]}",
            1,
            "takes 0 arguments, got 1",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"read\", 1.5]]}",
            1,
            "integer",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"read\", \"1\"]]}",
            1,
            "integer",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"readexactly\", 9223372036854775808]]}",
            1,
            "2^63",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"error\", \"OSError\"]]}",
            1,
            "unknown error",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"error\", 1]]}",
            1,
            "error name",
        );
        says(
            "{\"name\": \"a\", \"limit\": 0, \"steps\": []}",
            1,
            "positive",
        );
        says(
            "{\"name\": \"a\", \"limit\": -3, \"steps\": []}",
            1,
            "positive integer",
        );
        says(
            "{\"name\": \"a\", \"limit\": 2.5, \"steps\": []}",
            1,
            "positive integer",
        );
        says(
            "{\"name\": \"a\", \"limit\": \"8\", \"steps\": []}",
            1,
            "positive integer",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"eof\"], [\"feed\", \"x\"]]}",
            1,
            "feed after eof",
        );
        says(
            "{\"name\": \"a\", \"steps\": [[\"error\", \"TimeoutError\"], [\"feed\", \"x\"]]}",
            1,
            "feed after error",
        );
        says(
            "{\"name\": \"a\", \"steps\": []}\n{\"name\": \"a\", \"steps\": []}",
            2,
            "duplicate name",
        );
    }

    #[test]
    fn comments_blank_lines_and_defaults() {
        let s = parse_file("  \n# x\n  # y\r\n{\"name\": \"a\", \"steps\": [[\"eof\"], [\"eof\"], [\"error\", \"BrokenPipeError\"]]}\r\n").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].limit(), DEFAULT_LIMIT);
        assert_eq!(s[0].steps().len(), 3);
    }

    #[test]
    fn eof_and_error_may_follow_an_error() {
        let s = parse_file(
            "{\"name\": \"a\", \"steps\": [[\"error\", \"TimeoutError\"], [\"error\", \"BrokenPipeError\"], [\"eof\"], [\"eof\"], [\"error\", \"ConnectionResetError\"], [\"read\", 1]]}",
        )
        .unwrap();
        assert_eq!(s[0].steps().len(), 6);
        says(
            "{\"name\": \"a\", \"steps\": [[\"error\", \"TimeoutError\"], [\"eof\"], [\"feed\", \"x\"]]}",
            1,
            "feed after",
        );
    }

    #[test]
    fn not_utf8_names_its_line() {
        let e = parse_bytes(b"# ok\n# \xc3\n").unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(err(&deep).message.contains("bad JSON"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_text(s in ".{0,200}") {
            let _ = parse_file(&s);
        }

        #[test]
        fn never_panics_on_any_bytes(b in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = parse_bytes(&b);
        }

        #[test]
        fn never_panics_on_json_shaped_text(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "{", "}", "[", "]", ",", ":", "\"name\"", "\"steps\"", "\"limit\"", "\"feed\"",
                "\"readuntil\"", "\"read\"", "\"eof\"", "\"error\"", "-1", "0", "1e400", "\"\\u0100\"",
                "\"a\"", "null", "true", "\n", "#",
            ]), 0..40)
        ) {
            let _ = parse_file(&parts.concat());
        }
    }
}
