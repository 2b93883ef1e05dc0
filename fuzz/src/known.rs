//! weir-core bugs the fuzzers found and that are not fixed yet.
//!
//! Each constant names one bug. While it is `true`, the targets steer around
//! it (so fuzzing goes on finding *other* bugs and the replay test stays
//! green); `run_strict` does not, and the crash inputs in
//! `fuzz/artifacts-found/` still fail there (`cargo test -p weir-fuzz --
//! --ignored`). When core is fixed, set the constant to `false` (or delete it
//! and the code that reads it) and move the artifact into the corpus.

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
/// Cause: `read` and `read_exactly` return for `n == 0` before `untake()`.
/// The same hidden state follows a dropped `read_to_end` future until the
/// next read. Artifact: `artifacts-found/reader_ops-zero-read-after-read-to-end`.
pub const ZERO_READ_KEEPS_READ_TO_END_TAKE: bool = true;
