//! Separators for `read_until`: one or several, searched with memchr/memmem.
//!
//! Build a [`Separators`] once and reuse it: a multi-byte separator keeps its
//! `memmem::Finder`, and the reader remembers how far it has already searched
//! for a given `Separators`, so data fed a byte at a time is scanned once.
//!
//! Every `read_until` (on [`ReadBuffer`](crate::ReadBuffer),
//! [`BlockingReader`](crate::blocking::BlockingReader) and weir-stream's
//! `StreamReader`) takes any [`IntoSeparators`]: plain bytes, or a
//! `Separators` by reference or by value.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use memchr::memmem;

use crate::Error;

/// Ids 1.. are handed to separator sets; 0 is reserved for `read_line`'s `\n`.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Clone)]
enum Sep {
    Byte(u8),
    Bytes(Box<memmem::Finder<'static>>),
}

impl Sep {
    fn new(s: &[u8]) -> Sep {
        if s.len() == 1 {
            Sep::Byte(s[0])
        } else {
            Sep::Bytes(Box::new(memmem::Finder::new(s).into_owned()))
        }
    }

    fn len(&self) -> usize {
        match self {
            Sep::Byte(_) => 1,
            Sep::Bytes(f) => f.needle().len(),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Sep::Byte(b) => std::slice::from_ref(b),
            Sep::Bytes(f) => f.needle(),
        }
    }

    #[inline]
    fn find(&self, hay: &[u8]) -> Option<usize> {
        match self {
            Sep::Byte(b) => memchr::memchr(*b, hay),
            Sep::Bytes(f) => f.find(hay),
        }
    }
}

/// One separator, or several (CPython 3.13's `readuntil((sep1, sep2, ...))`).
///
/// With several, the match that *ends* first in the buffer wins; where two end
/// at the same place, the shorter separator is taken. An empty separator, or
/// an empty list, is [`Error::EmptySeparator`].
///
/// Cost: building compiles a `memmem::Finder` per multi-byte separator; keep
/// the value and reuse it across reads.
///
/// # Examples
///
/// ```
/// use weir_proto::Separators;
/// let crlf2 = Separators::new(b"\r\n\r\n")?;
/// assert_eq!(crlf2.find(b"GET / HTTP/1.1\r\n\r\nbody", 0), Some((14, 18)));
/// let any = Separators::any([&b"\r\n"[..], b"\n"])?;
/// // "\r\n" and "\n" both end at 3: the shorter one is taken.
/// assert_eq!(any.find(b"a\r\nb", 0), Some((2, 3)));
/// assert!(Separators::new(b"").is_err());
/// # Ok::<(), weir_proto::Error>(())
/// ```
#[derive(Clone)]
pub struct Separators {
    id: u64,
    /// Sorted by length (stable), shortest first, as CPython 3.13 sorts them.
    seps: Vec<Sep>,
}

impl std::fmt::Debug for Separators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.seps
                    .iter()
                    .map(|s| bytes::Bytes::copy_from_slice(s.as_bytes())),
            )
            .finish()
    }
}

impl Separators {
    /// One separator.
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`] if `sep` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let nl = weir_proto::Separators::new(b"\n")?;
    /// assert_eq!(nl.min_len(), 1);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn new(sep: impl AsRef<[u8]>) -> Result<Separators, Error> {
        Separators::any([sep])
    }

    /// One single-byte separator, such as `b'\n'` or `b'\0'`: [`new`](Self::new)
    /// for a separator that cannot be empty, so it cannot fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let nul = weir_proto::Separators::byte(0);
    /// assert_eq!(nul.find(b"key\0value\0", 0), Some((3, 4)));
    /// ```
    pub fn byte(sep: u8) -> Separators {
        Separators {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            seps: vec![Sep::Byte(sep)],
        }
    }

    /// Several separators; the first match to end wins (CPython 3.13).
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`] if the list is empty or holds an empty separator.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = weir_proto::Separators::any([&b"\n"[..], b"\r\n\r\n"])?;
    /// assert_eq!((s.min_len(), s.max_len()), (1, 4));
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn any<I>(seps: I) -> Result<Separators, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut list: Vec<Sep> = Vec::new();
        for s in seps {
            let s = s.as_ref();
            if s.is_empty() {
                return Err(Error::EmptySeparator);
            }
            list.push(Sep::new(s));
        }
        if list.is_empty() {
            return Err(Error::EmptySeparator);
        }
        list.sort_by_key(Sep::len);
        Ok(Separators {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            seps: list,
        })
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Same separators in the same order (the id aside): the same searches.
    pub(crate) fn same_as(&self, other: &Separators) -> bool {
        self.seps.len() == other.seps.len() && self.iter().eq(other.iter())
    }

    /// Length of the shortest separator.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::Separators::new(b"ab")?.min_len(), 2);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn min_len(&self) -> usize {
        self.seps[0].len()
    }

    /// Length of the longest separator.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weir_proto::Separators::new(b"ab")?.max_len(), 2);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn max_len(&self) -> usize {
        self.seps[self.seps.len() - 1].len()
    }

    /// The separators, shortest first.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = weir_proto::Separators::any([&b"xyz"[..], b"a"])?;
    /// assert_eq!(s.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"xyz"]);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.seps.iter().map(Sep::as_bytes)
    }

    /// Finds the first match in `hay` starting at or after `from`, as
    /// `(start, end)`; with several separators the earliest end wins, the
    /// shorter separator on a tie (CPython 3.13).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = weir_proto::Separators::any([&b"\r\n"[..], b"\n"])?;
    /// assert_eq!(s.find(b"ab\r\ncd\n", 0), Some((3, 4)));
    /// assert_eq!(s.find(b"ab\r\ncd\n", 4), Some((6, 7)));
    /// assert_eq!(s.find(b"ab", 5), None);
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    #[inline]
    pub fn find(&self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        let tail = hay.get(from..)?;
        if let [only] = &self.seps[..] {
            return only.find(tail).map(|i| (from + i, from + i + only.len()));
        }
        let mut best: Option<(usize, usize)> = None;
        for sep in &self.seps {
            // A match ending after the best end cannot win: limit the search.
            let window = match best {
                Some((_, end)) => &tail[..(end - from).min(tail.len())],
                None => tail,
            };
            if let Some(i) = sep.find(window) {
                let end = from + i + sep.len();
                if best.is_none_or(|(_, e)| end < e) {
                    best = Some((from + i, end));
                }
            }
        }
        best
    }
}

/// What every `read_until` accepts: the separator as bytes, or a compiled
/// [`Separators`] (asyncio's `readuntil(separator)` takes bytes or, since
/// 3.13, a tuple of them).
///
/// - Bytes: anything `AsRef<[u8]>` (`b"\n"`, `&[u8]`, `Vec<u8>`, `&str`,
///   `String`, `Bytes`). Each call builds a searcher; an empty separator is
///   [`Error::EmptySeparator`].
/// - `&Separators`: used as it is, nothing is built or cloned, and the
///   reader resumes its search where the last call with the same value
///   stopped. The way to go in a loop.
/// - `Separators` by value: used as it is, nothing is built.
///
/// Several separators are [`Separators::any`] (or `read_until_any`).
///
/// # Errors
///
/// [`into_separators`](Self::into_separators) fails with
/// [`Error::EmptySeparator`] for empty bytes.
///
/// # Examples
///
/// ```
/// use weir_proto::{blocking::BlockingReader, Separators};
/// let crlf = Separators::new(b"\r\n")?;
/// let mut r = BlockingReader::new(&b"a;b\r\nc\0d\re\n"[..]);
/// assert_eq!(&r.read_until(b";")?[..], b"a;"); // bytes
/// assert_eq!(&r.read_until(&crlf)?[..], b"b\r\n"); // compiled, borrowed
/// assert_eq!(&r.read_until("\0")?[..], b"c\0"); // &str
/// assert_eq!(&r.read_until(String::from("\n"))?[..], b"d\re\n");
/// assert!(r.read_until(b"").is_err());
/// # Ok::<(), weir_proto::Error>(())
/// ```
pub trait IntoSeparators<'a> {
    /// The compiled separators: borrowed when the caller holds them, owned
    /// when built from bytes (or handed over by value).
    ///
    /// # Errors
    ///
    /// [`Error::EmptySeparator`] for an empty separator.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use weir_proto::{IntoSeparators, Separators};
    /// let nl = Separators::new(b"\n")?;
    /// assert!(matches!((&nl).into_separators()?, Cow::Borrowed(_)));
    /// assert!(matches!(b"\n".into_separators()?, Cow::Owned(_)));
    /// assert!(b"".into_separators().is_err());
    /// # Ok::<(), weir_proto::Error>(())
    /// ```
    fn into_separators(self) -> Result<Cow<'a, Separators>, Error>;
}

impl<'a, T: AsRef<[u8]>> IntoSeparators<'a> for T {
    fn into_separators(self) -> Result<Cow<'a, Separators>, Error> {
        Separators::new(self).map(Cow::Owned)
    }
}

impl<'a> IntoSeparators<'a> for &'a Separators {
    fn into_separators(self) -> Result<Cow<'a, Separators>, Error> {
        Ok(Cow::Borrowed(self))
    }
}

impl<'a> IntoSeparators<'a> for Separators {
    fn into_separators(self) -> Result<Cow<'a, Separators>, Error> {
        Ok(Cow::Owned(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(seps: &[&[u8]], hay: &[u8], from: usize) -> Option<(usize, usize)> {
        let mut sorted: Vec<&[u8]> = seps.to_vec();
        sorted.sort_by_key(|s| s.len());
        let mut best: Option<(usize, usize)> = None;
        for s in sorted {
            let hit = (from..hay.len())
                .find(|&i| hay[i..].starts_with(s))
                .map(|i| (i, i + s.len()));
            if let Some((st, en)) = hit {
                if best.is_none_or(|(_, e)| en < e) {
                    best = Some((st, en));
                }
            }
        }
        best
    }

    #[test]
    fn several_end_first_shorter_on_tie() {
        let s = Separators::any([&b"\r\n"[..], b"\n"]).unwrap();
        // "\r\n" and "\n" both end at 3: the shorter one is taken.
        assert_eq!(s.find(b"a\r\nb", 0), Some((2, 3)));
        let s = Separators::any([&b"bcd"[..], b"abcdef"]).unwrap();
        assert_eq!(s.find(b"xabcdef", 0), Some((2, 5)));
    }

    #[test]
    fn empty_is_an_error() {
        assert!(matches!(Separators::new(b""), Err(Error::EmptySeparator)));
        assert!(matches!(
            Separators::any(Vec::<&[u8]>::new()),
            Err(Error::EmptySeparator)
        ));
        assert!(matches!(
            Separators::any([&b"a"[..], b""]),
            Err(Error::EmptySeparator)
        ));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_naive(
            hay in proptest::collection::vec(proptest::sample::select(b"ab\r\n".to_vec()), 0..64),
            seps in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(b"ab\r\n".to_vec()), 1..5), 1..4),
            from in 0usize..70,
        ) {
            let refs: Vec<&[u8]> = seps.iter().map(|s| &s[..]).collect();
            let s = Separators::any(refs.iter()).unwrap();
            proptest::prop_assert_eq!(s.find(&hay, from), naive(&refs, &hay, from));
        }
    }
}
