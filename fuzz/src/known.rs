//! weir-core bugs the fuzzers found and that are not fixed yet.
//!
//! Each constant names one bug. While it is `true`, the targets steer around
//! it (so fuzzing goes on finding *other* bugs and the replay test stays
//! green); `run_strict` does not. [`ARTIFACTS`] ties each bug to its minimal
//! crash input in `fuzz/artifacts-found/`, and `tests/replay.rs` checks that
//! this file is current: an open bug must still crash `run_strict`, a fixed
//! one must not. When core is fixed, that test fails and says which constant
//! to set to `false`; then move the artifact into `corpus/reader_ops/`.

/// `read_until` after a `LimitOverrunError { separator_found: false }`, with
/// the same `Separators` and nothing read in between, returns `NeedData` (or,
/// at EOF, `IncompleteReadError`) instead of the same `LimitOverrunError`
/// again as CPython does (each `readuntil` call starts at offset 0).
///
/// Cause: `ReadBuffer::until` resumes from the cached scan offset
/// (`buflen + 1 - max_len`), and for a single separator (or several of one
/// length) `buflen - offset < min_len`, so the search and its limit check are
/// skipped. The cache then changes a result, which reader.rs's module doc
/// says it never does. Artifact: `artifacts-found/reader_ops-repeated-overrun`.
pub const SCAN_CACHE_SKIPS_REPEATED_OVERRUN: bool = true;

/// `read(0)` or `read_exactly(0)` started while a `read_to_end` is pending
/// abandons it but does not give its bytes back: `buffered()` stays 0 and
/// `at_eof()` turns true after `feed_eof` while the bytes are still there;
/// the next non-empty read does see them again (`untake`), so no byte is
/// lost, but the reader reports a wrong state until then, and the pause
/// check after a feed counts too few bytes.
///
/// Cause: `read` and `read_exactly` return for `n == 0` before `untake()`;
/// more generally the taken bytes come back only when the next read calls
/// `untake()`. So the same hidden state follows a pending `read_to_end` that
/// is simply dropped (a timeout around it): after `feed_eof`, `at_eof()` is
/// true while the bytes are still there for the next `read`. Artifacts:
/// `artifacts-found/reader_ops-zero-read-after-read-to-end` and
/// `artifacts-found/reader_ops-dropped-read-to-end`.
pub const ZERO_READ_KEEPS_READ_TO_END_TAKE: bool = true;

/// Each crash input in `fuzz/artifacts-found/` (all `reader_ops` inputs) and
/// whether its bug is still open.
pub const ARTIFACTS: &[(&str, bool)] = &[
    (
        "reader_ops-repeated-overrun",
        SCAN_CACHE_SKIPS_REPEATED_OVERRUN,
    ),
    (
        "reader_ops-zero-read-after-read-to-end",
        ZERO_READ_KEEPS_READ_TO_END_TAKE,
    ),
    (
        "reader_ops-dropped-read-to-end",
        ZERO_READ_KEEPS_READ_TO_END_TAKE,
    ),
];
