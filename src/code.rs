//! Codes: confusable-free alphabets, unbiased generation, input normalisation.
//!
//! PLACEHOLDER: a minimal first cut; the full module replaces it.

use std::fmt;

use rand::CryptoRng;
use zeroize::Zeroizing;

/// Error building an [`Alphabet`] or a [`CodeSpec`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeSpecError {
    /// The alphabet is unusable.
    #[error("invalid alphabet: {0}")]
    Alphabet(&'static str),
    /// The spec yields too few bits.
    #[error("code space too small")]
    TooWeak,
}

/// The input could not be a code of this spec. It never matches and costs no attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("input is not a well-formed code")]
pub struct Malformed;

/// A set of code symbols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alphabet {
    symbols: Box<str>,
}

impl Alphabet {
    /// Digits 2-9 and capitals without I, L, O (31 symbols).
    #[must_use]
    pub fn alphanumeric() -> Self {
        Self {
            symbols: "23456789ABCDEFGHJKMNPQRSTUVWXYZ".into(),
        }
    }
    /// Digits 2-9.
    #[must_use]
    pub fn digits() -> Self {
        Self {
            symbols: "23456789".into(),
        }
    }
    /// Symbols.
    #[must_use]
    pub fn symbols(&self) -> &str {
        &self.symbols
    }
}

/// Alphabet and length of codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSpec {
    alphabet: Alphabet,
    length: usize,
}

impl Default for CodeSpec {
    fn default() -> Self {
        Self {
            alphabet: Alphabet::alphanumeric(),
            length: 6,
        }
    }
}

impl CodeSpec {
    /// Code length.
    #[must_use]
    pub fn length(&self) -> usize {
        self.length
    }
    /// Generates a code from the thread-local CSPRNG.
    #[must_use]
    pub fn generate(&self) -> Code {
        self.generate_with(&mut rand::rng())
    }
    /// Generates a code from `rng`.
    pub fn generate_with<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Code {
        let s = self.alphabet.symbols.as_bytes();
        let mut out = String::with_capacity(self.length);
        while out.len() < self.length {
            let b = (rng.next_u32() & 0xff) as usize;
            if b < 256 - 256 % s.len() {
                out.push(char::from(s[b % s.len()]));
            }
        }
        Code(Zeroizing::new(out))
    }
    /// Normalises typed input.
    ///
    /// # Errors
    /// [`Malformed`] when the input cannot be a code.
    pub fn normalise(&self, input: &str) -> Result<Code, Malformed> {
        let mut out = String::new();
        for c in input.chars() {
            if c == ' ' || c == '-' {
                continue;
            }
            let c = c.to_ascii_uppercase();
            if !self.alphabet.symbols.contains(c) || out.len() >= self.length {
                return Err(Malformed);
            }
            out.push(c);
        }
        if out.len() == self.length {
            Ok(Code(Zeroizing::new(out)))
        } else {
            Err(Malformed)
        }
    }
}

/// A one-time code. It has no `Display`, and its `Debug` is redacted.
#[derive(Clone)]
pub struct Code(Zeroizing<String>);

impl Code {
    /// The code's text, for putting into the SMS body.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code([REDACTED])")
    }
}
