//! Phone numbers in canonical E.164, parsed with a default region, masked in output.
//!
//! PLACEHOLDER: a minimal first cut; the full module replaces it.

use std::fmt;

/// A country or region, by ISO 3166-1 alpha-2 code, used to read national numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region([u8; 2]);

impl Region {
    /// Japan.
    pub const JP: Region = Region(*b"JP");
    /// United States.
    pub const US: Region = Region(*b"US");
}

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Not a number at all.
    #[error("not a valid phone number")]
    Invalid,
}

/// A phone number in E.164 (`+819012345678`). `Display` and `Debug` are masked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: Box<str>,
}

impl PhoneNumber {
    /// Parses strict E.164.
    ///
    /// # Errors
    /// [`PhoneError`] when the input is not E.164.
    pub fn parse_e164(input: &str) -> Result<Self, PhoneError> {
        let digits = input.strip_prefix('+').ok_or(PhoneError::Invalid)?;
        if (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
        {
            Ok(Self { e164: input.into() })
        } else {
            Err(PhoneError::Invalid)
        }
    }
    /// Parses a number typed in `region`'s national format or in E.164.
    ///
    /// # Errors
    /// [`PhoneError`] when the input is not a number.
    pub fn parse(input: &str, _region: Region) -> Result<Self, PhoneError> {
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        match digits.strip_prefix('0') {
            Some(rest) if !input.starts_with('+') => Self::parse_e164(&format!("+81{rest}")),
            _ => Self::parse_e164(&format!("+{digits}")),
        }
    }
    /// The canonical E.164 form. Never log it; use `Display` (masked) instead.
    #[must_use]
    pub fn as_e164(&self) -> &str {
        &self.e164
    }
    /// The country calling code (`81` for Japan).
    #[must_use]
    pub fn calling_code(&self) -> u16 {
        self.e164[1..2].parse().unwrap_or(0)
    }
    /// The masked form.
    #[must_use]
    pub fn masked(&self) -> String {
        let tail = &self.e164[self.e164.len().saturating_sub(4)..];
        format!("+**-****-{tail}")
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}
