//! JSON writing in the exact form of Python's `json.dumps` (ASCII only,
//! `", "` and `": "` separators), so weir's output and the CPython driver's
//! are byte-identical, not only equal after parsing.

use std::fmt::Write;

/// Appends one escaped UTF-16 code unit or ASCII byte.
fn escape_unit(out: &mut String, u: u32) {
    match u {
        0x22 => out.push_str("\\\""),
        0x5c => out.push_str("\\\\"),
        0x0a => out.push_str("\\n"),
        0x0d => out.push_str("\\r"),
        0x09 => out.push_str("\\t"),
        0x08 => out.push_str("\\b"),
        0x0c => out.push_str("\\f"),
        0x20..=0x7e => out.push(char::from(u as u8)),
        _ => {
            let _ = write!(out, "\\u{u:04x}");
        }
    }
}

/// Appends `s` as a JSON string.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut units = [0u16; 2];
    for c in s.chars() {
        for u in c.encode_utf16(&mut units) {
            escape_unit(out, u32::from(*u));
        }
    }
    out.push('"');
}

/// Appends bytes as a JSON string, one character per byte (Latin-1).
pub(crate) fn latin1(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        escape_unit(out, u32::from(b));
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_json_dumps() {
        // Expected strings are what `json.dumps` prints for the same input.
        let mut out = String::new();
        latin1(&mut out, b"a\"\\\n\r\t\x08\x0c\x00\x1f\x7f\xe9\xff ~");
        assert_eq!(out, r#""a\"\\\n\r\t\b\f\u0000\u001f\u007f\u00e9\u00ff ~""#);
        let mut out = String::new();
        string(&mut out, "é€😀");
        assert_eq!(out, r#""\u00e9\u20ac\ud83d\ude00""#);
    }
}
