//! CPython's limit rule for `readuntil` and `readline`, as pure functions.
//!
//! asyncio's `StreamReader.readuntil` searches its buffer, then decides
//! with two comparisons whether the search overran the limit; `readline`
//! is `readuntil(b"\n")` plus what it drops when that fails. These
//! functions are those decisions and nothing else, so every reader in
//! weir ([`ReadBuffer`](crate::ReadBuffer), the blocking reader, and
//! weir-tokio's codecs) gives the same frames, the same errors and the
//! same `consumed` values as CPython.
//!
//! # Call order
//!
//! 1. [`scan`] the buffered bytes from the offset the last scan returned
//!    (0 at first and after every frame).
//! 2. On [`Scan::Found`], the frame is `buf[..end]`: split it off and
//!    search the rest from 0. On [`Scan::NeedData`], wait for more bytes
//!    and scan again from `resume`: nothing before it is searched twice.
//!    On [`Scan::Overrun`], the bytes stay: `readuntil` raises
//!    `LimitOverrunError`; `readline` drops [`readline_discard`] bytes
//!    and raises `ValueError`.
//!
//! A reader with its own searcher (weir's `read_line` keeps an AVX2 `\n`
//! finder) calls [`check_found`] and [`check_not_found`] directly:
//! [`scan`] is those two around [`Separators::find`].
//!
//! # Examples
//!
//! ```
//! use weir_proto::frame::{scan, Scan};
//! use weir_proto::Separators;
//! let crlf = Separators::new(b"\r\n")?;
//! let mut buf = b"PING\r".to_vec();
//! let Scan::NeedData { resume } = scan(&crlf, &buf, 0, 64) else { unreachable!() };
//! buf.extend_from_slice(b"\nPONG");
//! assert_eq!(scan(&crlf, &buf, resume, 64), Scan::Found { start: 4, end: 6 });
//! # Ok::<(), weir_proto::Error>(())
//! ```

use crate::{LimitOverrunError, Separators};

/// The outcome of one [`scan`]: a frame, "need more bytes", or CPython's
/// `LimitOverrunError`.
///
/// # Examples
///
/// ```
/// use weir_proto::frame::{scan, Scan};
/// let nl = weir_proto::Separators::new(b"\n")?;
/// assert_eq!(scan(&nl, b"ab\ncd", 0, 10), Scan::Found { start: 2, end: 3 });
/// assert_eq!(scan(&nl, b"abcd", 0, 10), Scan::NeedData { resume: 4 });
/// assert!(matches!(scan(&nl, b"abcd", 0, 2), Scan::Overrun(_)));
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// A separator at `buf[start..end]`, within the limit: the frame is
    /// `buf[..end]`, separator included (CPython's `readuntil` result).
    Found {
        /// Where the separator starts.
        start: usize,
        /// Where it ends: the frame's length.
        end: usize,
    },
    /// No separator yet, and the buffer is within the limit: scan again
    /// from `resume` once more bytes arrive. At EOF the buffered bytes are
    /// the partial frame (`readuntil`'s `IncompleteReadError`,
    /// `readline`'s last line).
    NeedData {
        /// Where the next scan starts: a separator split across two
        /// arrivals is still found.
        resume: usize,
    },
    /// Over the limit, with CPython's `consumed`; the bytes stay buffered.
    Overrun(LimitOverrunError),
}

/// CPython's rule for a separator found at `start`: the frame is refused
/// when the separator starts beyond `limit` (`match_start > self._limit`),
/// so a frame holds at most `limit` bytes before its separator.
///
/// # Errors
///
/// The [`LimitOverrunError`] CPython raises: `consumed` is `start`,
/// `separator_found` is true.
///
/// # Examples
///
/// ```
/// use weir_proto::frame::check_found;
/// assert!(check_found(4, 4).is_ok()); // 4 bytes, then the separator
/// assert_eq!(check_found(5, 4).unwrap_err().consumed, 5);
/// ```
#[inline(always)]
pub fn check_found(start: usize, limit: usize) -> Result<(), LimitOverrunError> {
    if start > limit {
        return Err(LimitOverrunError {
            consumed: start,
            separator_found: true,
        });
    }
    Ok(())
}

/// CPython's rule when `buffered` bytes hold no separator: the next search
/// starts at `buffered + 1 - max_sep_len` (a separator may have started in
/// the last `max_sep_len - 1` bytes), and that offset beyond `limit` is an
/// overrun: the buffer is longer than `limit + max_sep_len - 1`.
///
/// # Errors
///
/// The [`LimitOverrunError`] CPython raises: `consumed` is that offset,
/// `separator_found` is false.
///
/// # Examples
///
/// ```
/// use weir_proto::frame::check_not_found;
/// assert_eq!(check_not_found(5, 2, 4), Ok(4)); // "\r\n" may start at 4
/// assert_eq!(check_not_found(6, 2, 4).unwrap_err().consumed, 5);
/// ```
#[inline(always)]
pub fn check_not_found(
    buffered: usize,
    max_sep_len: usize,
    limit: usize,
) -> Result<usize, LimitOverrunError> {
    let resume = (buffered + 1).saturating_sub(max_sep_len);
    if resume > limit {
        return Err(LimitOverrunError {
            consumed: resume,
            separator_found: false,
        });
    }
    Ok(resume)
}

/// One pass of CPython's `readuntil` loop over `buf`, searching from
/// `from`: the first separator of `seps` (the earliest end, the shorter on
/// a tie, as CPython 3.13), checked against `limit`.
///
/// As CPython, nothing is searched while fewer than the shortest
/// separator's length of bytes lie past `from`: the result is then
/// `NeedData { resume: from }`. Cost: the bytes past `from`, once.
///
/// # Examples
///
/// ```
/// use weir_proto::frame::{scan, Scan};
/// let seps = weir_proto::Separators::any([&b"\r\n"[..], b"\n"])?;
/// // Both end at 3; the shorter "\n" is the match (it decides the limit).
/// assert_eq!(scan(&seps, b"a\r\nb\n", 0, 8), Scan::Found { start: 2, end: 3 });
/// assert_eq!(scan(&seps, b"a\r\nb\n", 3, 8), Scan::Found { start: 4, end: 5 });
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[inline]
pub fn scan(seps: &Separators, buf: &[u8], from: usize, limit: usize) -> Scan {
    if buf.len().saturating_sub(from) < seps.min_len() {
        return Scan::NeedData { resume: from };
    }
    match seps.find(buf, from) {
        Some((start, end)) => match check_found(start, limit) {
            Ok(()) => Scan::Found { start, end },
            Err(e) => Scan::Overrun(e),
        },
        None => match check_not_found(buf.len(), seps.max_len(), limit) {
            Ok(resume) => Scan::NeedData { resume },
            Err(e) => Scan::Overrun(e),
        },
    }
}

/// How many bytes CPython's `readline` drops after `readuntil(b"\n")`
/// overran: through the `\n` if it was found, else all `buffered` bytes
/// (the rest of that line, when it comes, is read as a line of its own).
///
/// # Examples
///
/// ```
/// use weir_proto::frame::{readline_discard, scan, Scan};
/// let nl = weir_proto::Separators::new(b"\n")?;
/// let buf = b"toolong\nok\n";
/// let Scan::Overrun(e) = scan(&nl, buf, 0, 4) else { unreachable!() };
/// assert_eq!(readline_discard(&e, buf.len()), 8); // "toolong\n"
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[inline]
pub fn readline_discard(overrun: &LimitOverrunError, buffered: usize) -> usize {
    if overrun.separator_found {
        (overrun.consumed + 1).min(buffered)
    } else {
        buffered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPython 3.13's `readuntil` search and limit checks, transcribed
    /// loosely: the reference the functions above must agree with.
    fn cpython(seps: &[&[u8]], buf: &[u8], from: usize, limit: usize) -> Scan {
        let min = seps.iter().map(|s| s.len()).min().unwrap();
        let max = seps.iter().map(|s| s.len()).max().unwrap();
        if buf.len() < from + min {
            return Scan::NeedData { resume: from };
        }
        let mut best: Option<(usize, usize)> = None;
        let mut sorted = seps.to_vec();
        sorted.sort_by_key(|s| s.len());
        for s in sorted {
            let hit = (from..buf.len()).find(|&i| buf[i..].starts_with(s));
            if let Some(i) = hit {
                if best.is_none_or(|(_, e)| i + s.len() < e) {
                    best = Some((i, i + s.len()));
                }
            }
        }
        match best {
            Some((start, _)) if start > limit => Scan::Overrun(LimitOverrunError {
                consumed: start,
                separator_found: true,
            }),
            Some((start, end)) => Scan::Found { start, end },
            None => {
                let offset = (buf.len() + 1).saturating_sub(max);
                if offset > limit {
                    Scan::Overrun(LimitOverrunError {
                        consumed: offset,
                        separator_found: false,
                    })
                } else {
                    Scan::NeedData { resume: offset }
                }
            }
        }
    }

    #[test]
    fn the_limit_counts_bytes_before_the_separator() {
        let crlf = Separators::new(b"\r\n").unwrap();
        // 4 bytes then "\r\n": allowed with limit 4, refused with 3.
        assert_eq!(
            scan(&crlf, b"abcd\r\n", 0, 4),
            Scan::Found { start: 4, end: 6 }
        );
        assert_eq!(
            scan(&crlf, b"abcd\r\n", 0, 3),
            Scan::Overrun(LimitOverrunError {
                consumed: 4,
                separator_found: true
            })
        );
        // No separator: limit + max_sep_len - 1 bytes may wait.
        assert_eq!(scan(&crlf, b"abcde", 0, 4), Scan::NeedData { resume: 4 });
        assert_eq!(
            scan(&crlf, b"abcdef", 0, 4),
            Scan::Overrun(LimitOverrunError {
                consumed: 5,
                separator_found: false
            })
        );
    }

    #[test]
    fn too_few_new_bytes_are_not_searched() {
        let sep = Separators::new(b"abc").unwrap();
        assert_eq!(scan(&sep, b"xxab", 2, 1), Scan::NeedData { resume: 2 });
        // An offset past the end searches nothing and fails nothing.
        assert_eq!(scan(&sep, b"xx", 9, 1), Scan::NeedData { resume: 9 });
    }

    #[test]
    fn readline_drops_through_the_newline_or_everything() {
        let found = LimitOverrunError {
            consumed: 7,
            separator_found: true,
        };
        assert_eq!(readline_discard(&found, 11), 8);
        assert_eq!(readline_discard(&found, 3), 3);
        let not_found = LimitOverrunError {
            consumed: 9,
            separator_found: false,
        };
        assert_eq!(readline_discard(&not_found, 9), 9);
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_cpython(
            buf in proptest::collection::vec(proptest::sample::select(b"ab\r\n".to_vec()), 0..40),
            seps in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(b"ab\r\n".to_vec()), 1..4), 1..4),
            from in 0usize..42,
            limit in 1usize..30,
        ) {
            let refs: Vec<&[u8]> = seps.iter().map(|s| &s[..]).collect();
            let s = Separators::any(refs.iter()).unwrap();
            proptest::prop_assert_eq!(scan(&s, &buf, from, limit), cpython(&refs, &buf, from, limit));
        }
    }
}
