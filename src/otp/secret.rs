//! The shared HOTP/TOTP secret and its base32 text form (RFC 4648 §6).

use std::fmt;

use rand::CryptoRng;
use zeroize::Zeroizing;

use super::{Algorithm, OtpConfigError};

/// The shortest secret [`OtpSecret::new`] accepts: 128 bits, the minimum RFC 4226 §4 (R6)
/// requires.
pub const MIN_SECRET_LEN: usize = 16;

/// The shortest secret [`OtpSecret::new_legacy`] accepts: 80 bits, the 16-character base32
/// keys that many services issued in the past. Only for importing existing enrolments.
pub const LEGACY_MIN_SECRET_LEN: usize = 10;

/// The longest secret accepted. HMAC hashes longer keys down to the hash size anyway; the
/// cap bounds the work an untrusted `otpauth://` URI can cause.
pub const MAX_SECRET_LEN: usize = 1024;

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A HOTP/TOTP shared secret: wiped on drop, redacted in `Debug`, no `Display`.
///
/// Length policy: at least [`MIN_SECRET_LEN`] (16) bytes, as RFC 4226 requires;
/// [`new_legacy`](Self::new_legacy) goes down to 10 bytes for secrets already in use
/// elsewhere. Fresh secrets from [`generate`](Self::generate) have the hash's output size.
///
/// Keep it encrypted at rest: anyone holding it can produce every future code.
#[derive(Clone)]
pub struct OtpSecret(Zeroizing<Vec<u8>>);

impl OtpSecret {
    /// A secret from raw bytes (copied; wiping the original is up to you).
    ///
    /// # Errors
    /// [`OtpConfigError::SecretTooShort`] under 16 bytes,
    /// [`OtpConfigError::SecretTooLong`] over [`MAX_SECRET_LEN`].
    pub fn new(bytes: &[u8]) -> Result<Self, OtpConfigError> {
        Self::with_min(bytes, MIN_SECRET_LEN)
    }

    /// Like [`new`](Self::new), but accepts 10 to 15 byte secrets, which authenticator apps
    /// commonly hold from older enrolments. Prefer re-enrolling with a fresh secret.
    ///
    /// # Errors
    /// [`OtpConfigError::SecretTooShort`] under 10 bytes,
    /// [`OtpConfigError::SecretTooLong`] over [`MAX_SECRET_LEN`].
    pub fn new_legacy(bytes: &[u8]) -> Result<Self, OtpConfigError> {
        Self::with_min(bytes, LEGACY_MIN_SECRET_LEN)
    }

    fn with_min(bytes: &[u8], min: usize) -> Result<Self, OtpConfigError> {
        let len = bytes.len();
        if len < min {
            return Err(OtpConfigError::SecretTooShort { len, min });
        }
        if len > MAX_SECRET_LEN {
            return Err(OtpConfigError::SecretTooLong {
                len,
                max: MAX_SECRET_LEN,
            });
        }
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// A fresh secret from the thread-local CSPRNG (ChaCha seeded by the operating
    /// system), as long as `algorithm`'s output: 20, 32 or 64 bytes.
    #[must_use]
    pub fn generate(algorithm: Algorithm) -> Self {
        Self::generate_with(algorithm, &mut rand::rng())
    }

    /// A fresh secret from `rng`, as long as `algorithm`'s output.
    #[must_use]
    pub fn generate_with<R: CryptoRng + ?Sized>(algorithm: Algorithm, rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; algorithm.secret_len()]);
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A secret from its base32 text, as shown to people who cannot scan a QR code.
    /// Case, spaces, hyphens and `=` padding are ignored.
    ///
    /// # Errors
    /// [`OtpConfigError::Base32`] for text that is not base32, then the length errors of
    /// [`new`](Self::new).
    pub fn from_base32(text: &str) -> Result<Self, OtpConfigError> {
        let bytes = Zeroizing::new(base32_decode(text)?);
        Self::new(&bytes)
    }

    /// Like [`from_base32`](Self::from_base32) with the length policy of
    /// [`new_legacy`](Self::new_legacy).
    ///
    /// # Errors
    /// As [`from_base32`](Self::from_base32), with a 10-byte minimum.
    pub fn from_base32_legacy(text: &str) -> Result<Self, OtpConfigError> {
        let bytes = Zeroizing::new(base32_decode(text)?);
        Self::new_legacy(&bytes)
    }

    /// The secret as unpadded upper-case base32, for manual entry into an app.
    #[must_use]
    pub fn expose_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32_encode(&self.0))
    }

    /// The raw secret bytes, for encrypting into your database.
    #[must_use]
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for OtpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpSecret([REDACTED])")
    }
}

/// Text that is not base32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base32Error {
    /// A character outside `A-Z`, `a-z`, `2-7` (and the ignored space, `-` and `=`), or a
    /// symbol after `=` padding. The character itself is not reported: it may be secret.
    #[error("not base32: unexpected character at byte {offset}")]
    InvalidCharacter {
        /// Byte offset in the text.
        offset: usize,
    },
    /// The number of symbols cannot encode whole bytes (1, 3 or 6 left over modulo 8).
    #[error("not base32: impossible number of symbols")]
    InvalidLength,
}

/// Encodes bytes as upper-case base32 (RFC 4648 §6) without `=` padding, the form
/// `otpauth://` URIs use.
///
/// ```
/// assert_eq!(smsotp::otp::base32_encode(b"foobar"), "MZXW6YTBOI");
/// ```
#[must_use]
pub fn base32_encode(bytes: &[u8]) -> String {
    // Sized exactly so the buffer never reallocates and leaves a stray copy behind.
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let mut acc: u16 = 0;
    let mut bits: u32 = 0;
    for &byte in bytes {
        acc = (acc << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32_ALPHABET[usize::from((acc >> bits) & 31)]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(
            BASE32_ALPHABET[usize::from((acc << (5 - bits)) & 31)],
        ));
    }
    out
}

/// Decodes base32 (RFC 4648 §6). Lower case is accepted; spaces and hyphens (grouping)
/// are skipped; trailing `=` padding is optional. Unused low bits of the last symbol are
/// ignored, as most decoders do, so hand-made secrets of any valid length load.
///
/// ```
/// assert_eq!(smsotp::otp::base32_decode("mzxw 6ytb oi======")?, b"foobar");
/// # Ok::<_, smsotp::otp::Base32Error>(())
/// ```
///
/// # Errors
/// [`Base32Error`] for a character outside the alphabet or an impossible length.
pub fn base32_decode(text: &str) -> Result<Vec<u8>, Base32Error> {
    // Wiped if we bail out part-way: what was decoded may be most of a secret.
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8 + 1));
    let mut acc: u16 = 0;
    let mut bits: u32 = 0;
    let mut symbols: usize = 0;
    let mut padded = false;
    for (offset, c) in text.char_indices() {
        let value = match c {
            ' ' | '-' => continue,
            '=' => {
                padded = true;
                continue;
            }
            _ if padded => return Err(Base32Error::InvalidCharacter { offset }),
            'A'..='Z' => u32::from(c) - u32::from('A'),
            'a'..='z' => u32::from(c) - u32::from('a'),
            '2'..='7' => u32::from(c) - u32::from('2') + 26,
            _ => return Err(Base32Error::InvalidCharacter { offset }),
        };
        // `value` is below 32: the match arms above guarantee it.
        acc = (acc << 5) | (value as u16);
        bits += 5;
        symbols += 1;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    match symbols % 8 {
        1 | 3 | 6 => Err(Base32Error::InvalidLength),
        _ => Ok(std::mem::take(&mut *out)),
    }
}
