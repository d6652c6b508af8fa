//! Authenticator-app codes: HOTP ([RFC 4226]) and TOTP ([RFC 6238]), with `otpauth://`
//! provisioning URIs.
//!
//! NIST SP 800-63B treats SMS as a *restricted* authenticator and asks services that use it
//! to offer an alternative. A TOTP authenticator app is the usual one; recovery codes
//! ([`crate::recovery`]) cover the lost phone.
//!
//! ```
//! use smsotp::otp::{Algorithm, OtpAuthUri, OtpError, OtpSecret, Totp};
//! use time::{Duration, macros::datetime};
//!
//! // Enrolment: a fresh secret, shown to the person as a QR code of this URI.
//! let totp = Totp::builder(OtpSecret::generate(Algorithm::Sha1)).build()?;
//! let uri = OtpAuthUri::totp(totp.clone(), "ACME Co", "alice@example.com")?;
//! assert!(uri.expose_uri().starts_with("otpauth://totp/ACME%20Co:alice@example.com?secret="));
//!
//! // Login: the app shows a code; we check it against the time *we* pass in.
//! let now = datetime!(2026-03-01 09:00:10 UTC);
//! let typed = totp.generate(now)?; // stands in for what the person types
//! let accepted = totp.verify(typed.expose(), now, None)?;
//!
//! // Persist `accepted.0` with the account. Passing it back refuses the same code again
//! // (RFC 6238 §5.2), even though it is still inside the time window.
//! let last_used = Some(accepted.0);
//! assert_eq!(totp.verify(typed.expose(), now, last_used), Err(OtpError::Replayed));
//!
//! // Thirty seconds later the next code is accepted.
//! let later = now + Duration::seconds(30);
//! let next = totp.generate(later)?;
//! assert_eq!(totp.verify(next.expose(), later, last_used)?.0, accepted.0 + 1);
//!
//! // Typing slips are forgiven; anything else is refused before any comparison.
//! assert_eq!(totp.verify("12a456", later, last_used), Err(OtpError::Malformed));
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```
//!
//! The caller must throttle failed attempts (RFC 4226 §7.3; NIST SP 800-63B allows at most
//! 100 consecutive failures per account): a six-digit code has only 10^6 values.
//!
//! [RFC 4226]: https://www.rfc-editor.org/rfc/rfc4226
//! [RFC 6238]: https://www.rfc-editor.org/rfc/rfc6238

mod hotp;
mod mac;
mod secret;
mod totp;
mod uri;

use std::fmt;

use zeroize::Zeroize;

use mac::KeyedMac;

pub use hotp::{AcceptedCounter, DEFAULT_LOOK_AHEAD, Hotp, HotpBuilder, MAX_LOOK_AHEAD};
pub use secret::{
    Base32Error, LEGACY_MIN_SECRET_LEN, MAX_SECRET_LEN, MIN_SECRET_LEN, OtpSecret, base32_decode,
    base32_encode,
};
pub use totp::{
    AcceptedStep, DEFAULT_PERIOD_SECS, DEFAULT_SKEW, MAX_PERIOD_SECS, MAX_SKEW, Totp, TotpBuilder,
};
pub use uri::{MAX_URI_LEN, OtpAuthUri, OtpKind, UriError};

/// The fewest digits a code may have (RFC 4226 §5.3).
pub const MIN_DIGITS: u8 = 6;
/// The most digits a code may have: beyond 8, the 31-bit truncated value no longer spreads
/// evenly over the code space, and authenticator apps do not support it.
pub const MAX_DIGITS: u8 = 8;
/// The number of digits unless configured otherwise; what every authenticator app shows.
pub const DEFAULT_DIGITS: u8 = 6;

/// Typed input longer than this is refused without looking at it further.
const MAX_INPUT_BYTES: usize = 64;

/// The HMAC hash function. SHA-1 is the default because every authenticator app supports
/// it, and HMAC-SHA-1 remains sound: HMAC does not rely on collision resistance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA-1 (RFC 4226); 20-byte generated secrets.
    #[default]
    Sha1,
    /// HMAC-SHA-256 (RFC 6238); 32-byte generated secrets.
    Sha256,
    /// HMAC-SHA-512 (RFC 6238); 64-byte generated secrets.
    Sha512,
}

impl Algorithm {
    /// The name used in `otpauth://` URIs: `SHA1`, `SHA256` or `SHA512`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// The secret length [`OtpSecret::generate`] uses: the hash's output size, as RFC 6238
    /// Appendix A does.
    #[must_use]
    pub fn secret_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// Parses a URI algorithm name, ignoring ASCII case.
    fn from_uri_name(name: &str) -> Option<Self> {
        [Self::Sha1, Self::Sha256, Self::Sha512]
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a one-time password was not accepted. None of these is ever an approval.
///
/// Show the person the same message for [`Mismatch`](Self::Mismatch) and
/// [`Replayed`](Self::Replayed); the difference is for your logs (a replayed code was seen
/// by someone, perhaps over a shoulder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtpError {
    /// The input is not `digits` decimal digits (after dropping spaces and hyphens). It was
    /// not compared with anything; count it as a failed attempt or not, as you prefer.
    #[error("the input is not a well-formed one-time password")]
    Malformed,
    /// Well-formed, but no code in the accepted window matches.
    #[error("the one-time password does not match")]
    Mismatch,
    /// The code matches only a time step at or before the last one accepted, so it was
    /// already used (RFC 6238 §5.2).
    #[error("the one-time password was already used")]
    Replayed,
    /// The time is before T0, so it has no time step.
    #[error("the time is before the generator's T0")]
    TimeOutOfRange,
}

/// A HOTP or TOTP configuration, or a secret, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtpConfigError {
    /// Codes must have 6, 7 or 8 digits.
    #[error("codes must have 6 to 8 digits, not {0}")]
    Digits(u8),
    /// The secret is shorter than the minimum.
    #[error("the secret is {len} bytes; at least {min} are required")]
    SecretTooShort {
        /// Length given.
        len: usize,
        /// Minimum length.
        min: usize,
    },
    /// The secret is longer than [`MAX_SECRET_LEN`].
    #[error("the secret is {len} bytes; at most {max} are accepted")]
    SecretTooLong {
        /// Length given.
        len: usize,
        /// Maximum length.
        max: usize,
    },
    /// The secret's text is not base32.
    #[error(transparent)]
    Base32(#[from] Base32Error),
    /// The TOTP period is not a whole number of seconds from 1 to [`MAX_PERIOD_SECS`].
    #[error("the period must be a whole number of seconds from 1 to 3600")]
    Period,
    /// The TOTP skew window is wider than [`MAX_SKEW`] steps each way.
    #[error("the skew window may be at most {max} steps each way")]
    Skew {
        /// Largest skew accepted.
        max: u8,
    },
    /// The HOTP look-ahead window is wider than [`MAX_LOOK_AHEAD`].
    #[error("the look-ahead window may be at most {max} counters")]
    LookAhead {
        /// Largest look-ahead accepted.
        max: u32,
    },
}

fn check_digits(digits: u8) -> Result<u8, OtpConfigError> {
    if (MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        Ok(digits)
    } else {
        Err(OtpConfigError::Digits(digits))
    }
}

/// A generated one-time password: `Debug` is redacted, there is no `Display`, and the
/// digits are wiped on drop. Read it with [`expose`](Self::expose).
pub struct OtpCode {
    // Fixed storage: no heap copy to forget to wipe, no allocation per code.
    buf: [u8; MAX_DIGITS as usize],
    len: u8,
}

impl OtpCode {
    fn new(value: u32, digits: u8) -> Self {
        let mut buf = [b'0'; MAX_DIGITS as usize];
        let len = digits.min(MAX_DIGITS);
        let mut rest = value;
        for slot in buf.iter_mut().take(usize::from(len)).rev() {
            // `rest % 10` is below 10, so the cast keeps every bit.
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        Self { buf, len }
    }

    /// The code's digits, leading zeros included.
    #[must_use]
    pub fn expose(&self) -> &str {
        let digits = self.buf.get(..usize::from(self.len)).unwrap_or_default();
        // Only ASCII digits are ever written, so this never falls back.
        std::str::from_utf8(digits).unwrap_or_default()
    }
}

impl Drop for OtpCode {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode([REDACTED])")
    }
}

/// Reads typed input as a code of exactly `digits` digits.
///
/// Dropped: ASCII whitespace, no-break and ideographic spaces, hyphens and dashes (including
/// the full-width hyphen and the katakana prolonged sound mark, which Japanese IMEs produce
/// for "-"). Full-width digits U+FF10-FF19 count as digits. Anything else is
/// [`OtpError::Malformed`], decided before any secret-dependent work.
fn parse_input(input: &str, digits: u8) -> Result<u32, OtpError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(OtpError::Malformed);
    }
    let mut value: u32 = 0;
    let mut count: u8 = 0;
    for c in input.chars() {
        let digit = match c {
            '0'..='9' => u32::from(c) - u32::from('0'),
            '\u{FF10}'..='\u{FF19}' => u32::from(c) - 0xFF10,
            c if c.is_ascii_whitespace() => continue,
            '\u{00A0}' | '\u{3000}' => continue,
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}' | '\u{30FC}' => continue,
            _ => return Err(OtpError::Malformed),
        };
        if count >= digits {
            return Err(OtpError::Malformed);
        }
        // At most 8 digits, so this stays below 10^8 < 2^32.
        value = value * 10 + digit;
        count += 1;
    }
    if count == digits {
        Ok(value)
    } else {
        Err(OtpError::Malformed)
    }
}
