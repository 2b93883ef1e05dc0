//! weir-core bugs the fuzzers found and that are not fixed yet.
//!
//! Each constant names one bug. While it is `true`, the targets steer around
//! it (so fuzzing goes on finding *other* bugs and the replay test stays
//! green); `run_strict` does not. [`ARTIFACTS`] ties each bug to its minimal
//! crash input in `fuzz/artifacts-found/`, and `tests/replay.rs` checks that
//! this file is current: an open bug must still crash `run_strict`, a fixed
//! one must not. When core is fixed, that test fails and says which constant
//! to set to `false`; then move the artifact into `corpus/reader_ops/`.
//!
//! Fixed so far: `read_until` asked again after a `LimitOverrunError {
//! separator_found: false }` returned `NeedData` (the cached scan offset
//! skipped the limit check); fixed on main in f2e5091, its input kept as
//! `corpus/reader_ops/seed-repeated-overrun`.

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
        "reader_ops-zero-read-after-read-to-end",
        ZERO_READ_KEEPS_READ_TO_END_TAKE,
    ),
    (
        "reader_ops-dropped-read-to-end",
        ZERO_READ_KEEPS_READ_TO_END_TAKE,
    ),
];
