//! weir-proto bugs the fuzzers found and that are not fixed yet.
//!
//! Each open bug gets a constant here. While it is `true`, the targets steer
//! around it (so fuzzing goes on finding *other* bugs and the replay test
//! stays green); `run_strict` does not. [`ARTIFACTS`] ties each bug to its
//! minimal crash input in `fuzz/artifacts-found/`, and `tests/replay.rs`
//! checks that this file is current: an open bug must still crash
//! `run_strict`, a fixed one must not. When core is fixed, that test fails
//! and says which constant to set to `false`; then move the artifact into
//! `corpus/reader_ops/` and drop the constant and its steering.
//!
//! No bug is open now. Fixed so far:
//!
//! - `read_until` asked again after a `LimitOverrunError { separator_found:
//!   false }` returned `NeedData` (the cached scan offset skipped the limit
//!   check); fixed on main in f2e5091, its input kept as
//!   `corpus/reader_ops/seed-repeated-overrun`.
//! - The bytes a pending `read_to_end` set aside stayed hidden from
//!   `buffered()`, `at_eof()` and the pause check when that read was
//!   abandoned by `read(0)` / `read_exactly(0)` (which returned before giving
//!   them back) or by dropping it, until the next non-empty read; after
//!   `feed_eof`, `at_eof()` was true while bytes remained. Fixed on branch
//!   `corefix`: every read gives them back when it starts, and
//!   `ReadBuffer::abandon` (called when a read future is dropped) does too.
//!   Inputs kept as `corpus/reader_ops/reader_ops-zero-read-after-read-to-end`
//!   and `corpus/reader_ops/reader_ops-dropped-read-to-end`.

/// Each crash input in `fuzz/artifacts-found/` (all `reader_ops` inputs) and
/// whether its bug is still open.
pub const ARTIFACTS: &[(&str, bool)] = &[];
