//! A byte decoder for fuzz inputs: every target reads its operations from here.
//!
//! Any byte string is a valid input; reading past the end gives zeros, so a
//! short input simply ends the operation sequence early. Choices are biased
//! towards small values (limits of 1..=32, short feeds) where the interesting
//! edge cases live, with an occasional large value.

/// Reads choices out of a fuzz input, front to back.
///
/// # Examples
///
/// ```
/// let mut input = weir_fuzz::input::Input::new(&[7, 200]);
/// assert_eq!(input.below(5), 2);
/// assert_eq!(input.byte(), 200);
/// assert!(input.is_empty());
/// assert_eq!(input.byte(), 0); // past the end: zeros
/// ```
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// A decoder over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }

    /// True once every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// The next two bytes as a little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.byte()) | (u16::from(self.byte()) << 8)
    }

    /// A value in `0..n` (`n` ≥ 1), from one byte.
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    /// A coin flip.
    pub fn flip(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A small size: mostly 0..16, sometimes up to about 110.
    pub fn small_len(&mut self) -> usize {
        let b = self.byte();
        if b < 200 {
            usize::from(b % 16)
        } else {
            usize::from(b - 200) * 2
        }
    }

    /// `len` bytes drawn from `alphabet` (each input byte picks one letter).
    pub fn letters(&mut self, alphabet: &[u8], len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }
}
