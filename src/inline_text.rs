//! Short text kept in place: keys and ids built on every send, where a heap copy
//! cost more than computing them.

use std::fmt;
use std::hash::{Hash, Hasher};

/// Text of up to `N` bytes held inline, longer text on the heap. Equality, hashing
/// and ordering are the text's, whichever way it is held.
#[derive(Clone)]
pub(crate) enum InlineText<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(Box<str>),
}

impl<const N: usize> InlineText<N> {
    /// The empty text.
    pub(crate) const EMPTY: Self = Self::Inline {
        len: 0,
        bytes: [0; N],
    };

    /// `text`, inline when it fits.
    pub(crate) fn new(text: &str) -> Self {
        let mut out = Self::EMPTY;
        out.push_str(text);
        out
    }

    /// Appends `text`, moving to the heap once it no longer fits.
    pub(crate) fn push_str(&mut self, text: &str) {
        match self {
            Self::Inline { len, bytes } => {
                let at = usize::from(*len);
                let end = at + text.len();
                match (bytes.get_mut(at..end), u8::try_from(end)) {
                    (Some(room), Ok(end)) => {
                        room.copy_from_slice(text.as_bytes());
                        *len = end;
                    }
                    _ => {
                        let mut heap = String::with_capacity(end);
                        heap.push_str(self.as_str());
                        heap.push_str(text);
                        *self = Self::Heap(heap.into_boxed_str());
                    }
                }
            }
            Self::Heap(heap) => {
                let mut grown = String::with_capacity(heap.len() + text.len());
                grown.push_str(heap);
                grown.push_str(text);
                *heap = grown.into_boxed_str();
            }
        }
    }

    /// The text's bytes, without the UTF-8 check `as_str` pays.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            Self::Heap(heap) => heap.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Only whole `&str`s are ever copied in, so the bytes are UTF-8.
            Self::Inline { len, bytes } => {
                std::str::from_utf8(bytes.get(..usize::from(*len)).unwrap_or(&[])).unwrap_or("")
            }
            Self::Heap(heap) => heap,
        }
    }
}

impl<const N: usize> PartialEq for InlineText<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for InlineText<N> {}

impl<const N: usize> Hash for InlineText<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes: the bytes, then a byte no UTF-8 text contains.
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

/// As the text's own: types that derive `Debug` read as they did with a `String`.
/// Only what is fit to show is kept here (keyed names, provider ids, send keys).
impl<const N: usize> fmt::Debug for InlineText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// `n` in decimal, written into `out`, without the formatting machinery (which cost
/// a send more than the rest of composing its SMS).
pub(crate) fn decimal(n: u32, out: &mut [u8; 10]) -> &str {
    let mut at = out.len();
    let mut n = n;
    loop {
        at -= 1;
        // n % 10 < 10: the conversion keeps every value.
        out[at] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    std::str::from_utf8(out.get(at..).unwrap_or(&[])).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::{InlineText, decimal};

    #[test]
    fn decimal_reads_as_to_string() {
        for n in [0, 1, 9, 10, 44, 81, 852, 1_000, u32::MAX] {
            assert_eq!(decimal(n, &mut [0; 10]), n.to_string());
        }
    }

    #[test]
    fn holds_any_text_inline_or_not() {
        for text in [
            "",
            "a",
            "1234567890",
            "12345678901",
            "東京",
            "a much longer text",
        ] {
            let t = InlineText::<10>::new(text);
            assert_eq!(t.as_str(), text);
            assert_eq!(matches!(t, InlineText::Inline { .. }), text.len() <= 10);
        }
    }

    #[test]
    fn pushing_past_the_inline_room_keeps_every_byte() {
        let mut t = InlineText::<4>::EMPTY;
        for piece in ["ab", "c", "東", "d", ""] {
            t.push_str(piece);
        }
        assert_eq!(t.as_str(), "abc東d");
        assert_eq!(t, InlineText::<4>::new("abc東d"));
    }

    #[test]
    fn equal_texts_are_equal_however_held() {
        use std::hash::BuildHasher;
        let s = std::collections::hash_map::RandomState::new();
        let heap = InlineText::<2>::Heap("ab".into());
        let inline = InlineText::<2>::new("ab");
        assert_eq!(heap, inline);
        assert_eq!(s.hash_one(&heap), s.hash_one(&inline));
        assert_eq!(s.hash_one(&inline), s.hash_one("ab"));
    }
}
