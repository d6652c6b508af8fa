//! Folding typed phone input to a `+` flag and ASCII digits.
//!
//! People paste numbers from everywhere: Japanese IMEs produce full-width digits,
//! `－`, `ー` (the long-vowel mark, which looks like a dash) and ideographic spaces;
//! web pages give NBSPs and typographic dashes. All of these are layout only, so they
//! are dropped; anything else (letters, `*`, `#`, extensions) is refused rather than
//! guessed at, because a wrong guess sends a code to a stranger.

use super::PhoneError;

/// Longest input accepted, in bytes, before any work is done on it. The longest
/// honest input (15 digits, an international prefix and generous full-width
/// punctuation, 3 bytes a character) stays well under this.
const MAX_INPUT_BYTES: usize = 128;

/// More digits than this cannot be a number even with a 3-digit international prefix.
const MAX_DIGITS: usize = 18;

/// Input reduced to what matters.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Folded {
    /// A `+` (or full-width `＋`) came before the first digit.
    pub(crate) plus: bool,
    /// The digits, as ASCII.
    pub(crate) digits: String,
}

/// Reduces `input` to a `+` flag and ASCII digits.
pub(crate) fn fold(input: &str) -> Result<Folded, PhoneError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(PhoneError::TooLong);
    }
    let mut plus = false;
    let mut digits = String::with_capacity(16);
    for c in input.chars() {
        if let Some(d) = digit_value(c) {
            digits.push(d);
        } else if c == '+' || c == '\u{FF0B}' {
            if plus || !digits.is_empty() {
                return Err(PhoneError::MisplacedPlus);
            }
            plus = true;
        } else if !is_separator(c) {
            return Err(PhoneError::InvalidCharacters);
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    if digits.len() > MAX_DIGITS {
        return Err(PhoneError::TooLong);
    }
    Ok(Folded { plus, digits })
}

/// The ASCII digit for any decimal digit people are likely to type: ASCII,
/// full-width (Japanese/Chinese IMEs), Arabic-Indic and Extended Arabic-Indic.
fn digit_value(c: char) -> Option<char> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        _ => return None,
    };
    let offset = u32::from(c) - u32::from(zero);
    char::from_digit(offset, 10)
}

/// Characters that only lay a number out.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '('
                | ')'
                | '/'
                // full-width hyphen-minus, full stop, parentheses, solidus
                | '\u{FF0D}'
                | '\u{FF0E}'
                | '\u{FF08}'
                | '\u{FF09}'
                | '\u{FF0F}'
                // hyphen, non-breaking hyphen, figure dash, en dash, em dash, bar
                | '\u{2010}'
                ..='\u{2015}'
                // minus sign, small hyphen-minus
                | '\u{2212}'
                | '\u{FE63}'
                // katakana long-vowel marks (full- and half-width), typed as dashes
                | '\u{30FC}'
                | '\u{FF70}'
        )
}
