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
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for InlineText<N> {}

impl<const N: usize> Hash for InlineText<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// Never the text: it may be a key's name or a message id, and every type holding
/// one writes its own `Debug`.
impl<const N: usize> fmt::Debug for InlineText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InlineText(..)")
    }
}

/// `n` in decimal, written into `out`: a calling code as text with no heap copy.
pub(crate) fn decimal(mut n: u16, out: &mut [u8; 5]) -> &str {
    let mut at = out.len();
    loop {
        at -= 1;
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
        for n in [0, 1, 9, 10, 44, 81, 852, 1_000, u16::MAX] {
            assert_eq!(decimal(n, &mut [0; 5]), n.to_string());
        }
    }

    #[test]
    fn holds_any_text_inline_or_not() {
        for text in ["", "a", "1234567890", "12345678901", "東京", "a much longer text"] {
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
    }
}
