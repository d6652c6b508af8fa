//! Recovery codes: single-use look-up secrets for the person who lost their phone.
//!
//! NIST SP 800-63B (look-up secrets) asks for codes from an approved random generator, each
//! accepted once, and stored so a database leak does not give them away: with fewer than
//! 112 bits each, that means a salted password hash with a salt of at least 32 bits. Here:
//!
//! - ten codes of ten symbols from `23456789ABCDEFGHJKMNPQRSTUVWXYZ` (no 0/O, 1/I/L), about
//!   49.5 bits each, shown as `ABCDE-FGH23`;
//! - each stored as Argon2id with its own random 16-byte salt, in PHC string form;
//! - the plaintext returned once, in a [`ShownOnce`] that must be opened explicitly;
//! - typed input forgiven for case, spaces, hyphens and full-width characters.
//!
//! ```
//! use smsotp::recovery::{RecoveryCodes, RecoveryError, RecoverySet};
//!
//! // Small Argon2 settings keep this example fast; keep the defaults in production.
//! let (shown, set) = RecoveryCodes::new().argon2_params(64, 1, 1).generate()?;
//! let codes: &Vec<String> = shown.expose(); // display them once, then drop `shown`
//! assert_eq!(codes.len(), 10);
//! let stored: String = set.to_stored(); // PHC strings only: safe to keep in your database
//!
//! // Later: the person types one, sloppily.
//! let mut set = RecoverySet::from_stored(&stored)?;
//! let typed = codes[0].to_lowercase().replace('-', " ");
//! assert_eq!(set.redeem(&typed)?, 9); // nine left
//! assert_eq!(set.redeem(&codes[0]), Err(RecoveryError::NoMatch)); // single use
//! let stored = set.to_stored(); // persist the shrunken set before letting them in
//! # Ok::<_, RecoveryError>(())
//! ```
//!
//! Persist the set after every successful [`RecoverySet::redeem`], and make that write
//! settle races: two requests redeeming the same code each hold their own copy, so save
//! with a compare-and-set on the previous stored string (`UPDATE ... WHERE codes = $old`)
//! and treat a lost race as a failure. Throttle failed attempts as for any other
//! authenticator (NIST: at most 100 consecutive failures per account).

use std::fmt;

use argon2::password_hash::PasswordVerifier;
use argon2::{Argon2, PasswordHash, PasswordHasher};
use rand::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use crate::code::Alphabet;

/// Codes per set unless configured otherwise.
pub const DEFAULT_COUNT: usize = 10;
/// The most codes a set may have.
pub const MAX_COUNT: usize = 100;
/// Symbols per code unless configured otherwise: about 49.5 bits.
pub const DEFAULT_LENGTH: usize = 10;
/// The fewest symbols per code: about 39.6 bits. These codes live for months and a
/// leaked hash can be attacked offline, so the floor sits well above NIST's 20 bits.
pub const MIN_LENGTH: usize = 8;
/// The most symbols per code.
pub const MAX_LENGTH: usize = 32;
/// Salt bytes per code (NIST asks for at least 4).
pub const SALT_LEN: usize = 16;
/// Symbols per group in the displayed form: `ABCDE-FGH23`.
pub const GROUP_LEN: usize = 5;

/// Argon2id memory cost unless configured otherwise: 19 MiB, with
/// [`DEFAULT_ARGON2_ITERATIONS`] and one lane (OWASP's password storage minimum).
pub const DEFAULT_ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes unless configured otherwise.
pub const DEFAULT_ARGON2_ITERATIONS: u32 = 2;
/// Argon2id lanes unless configured otherwise.
pub const DEFAULT_ARGON2_PARALLELISM: u32 = 1;

/// The most Argon2id memory a set may ask for per hash: 1 GiB. A redeem hashes once
/// per remaining code with the parameters stored in the set, so without a ceiling a
/// stored set could ask for up to 4 TiB per hash.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
/// The most Argon2id passes a set may ask for.
pub const MAX_ARGON2_ITERATIONS: u32 = 16;
/// The most Argon2id lanes a set may ask for.
pub const MAX_ARGON2_PARALLELISM: u32 = 16;

/// Whether Argon2 costs are within the ceilings above.
fn affordable(params: &argon2::Params) -> bool {
    params.m_cost() <= MAX_ARGON2_MEMORY_KIB
        && params.t_cost() <= MAX_ARGON2_ITERATIONS
        && params.p_cost() <= MAX_ARGON2_PARALLELISM
}

const STORED_HEADER: &str = "smsotp-recovery/v1";
const ARGON2ID: &str = "argon2id";

/// Why recovery codes were not generated, loaded or redeemed. None of these is ever an
/// approval, and no message includes a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecoveryError {
    /// The input cannot be a code of this set (wrong length, or a symbol outside the
    /// alphabet such as `0`, `O` or `1`). Nothing was hashed or compared.
    #[error("the input is not a well-formed recovery code")]
    Malformed,
    /// No remaining code matches: wrong, or already used.
    #[error("the recovery code is wrong or already used")]
    NoMatch,
    /// Every code of the set has been used.
    #[error("no recovery codes are left")]
    Exhausted,
    /// The settings are refused.
    #[error("invalid recovery code settings: {0}")]
    Config(&'static str),
    /// The stored form could not be read.
    #[error("the stored recovery codes are unreadable: {0}")]
    Stored(&'static str),
    /// Argon2 failed to hash.
    #[error("hashing a recovery code failed")]
    Hashing,
}

/// Secrets handed out exactly once, at creation: redacted in `Debug`, no `Display`, no
/// `Clone`, wiped on drop. Read them with [`expose`](Self::expose).
pub struct ShownOnce<T: Zeroize>(Zeroizing<T>);

impl<T: Zeroize> ShownOnce<T> {
    /// The secrets, to show to the person. They cannot be recovered later.
    #[must_use]
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> fmt::Debug for ShownOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShownOnce([REDACTED])")
    }
}

/// Settings for generating a set of recovery codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCodes {
    count: usize,
    length: usize,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl Default for RecoveryCodes {
    fn default() -> Self {
        Self {
            count: DEFAULT_COUNT,
            length: DEFAULT_LENGTH,
            memory_kib: DEFAULT_ARGON2_MEMORY_KIB,
            iterations: DEFAULT_ARGON2_ITERATIONS,
            parallelism: DEFAULT_ARGON2_PARALLELISM,
        }
    }
}

impl RecoveryCodes {
    /// The defaults: 10 codes of 10 symbols, Argon2id with 19 MiB and 2 passes.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many codes, 1 to [`MAX_COUNT`].
    #[must_use]
    pub fn count(mut self, count: usize) -> Self {
        self.count = count;
        self
    }

    /// Symbols per code, [`MIN_LENGTH`] to [`MAX_LENGTH`].
    #[must_use]
    pub fn length(mut self, length: usize) -> Self {
        self.length = length;
        self
    }

    /// Argon2id cost: memory in KiB (at least 8 per lane, at most
    /// [`MAX_ARGON2_MEMORY_KIB`]), passes (1 to [`MAX_ARGON2_ITERATIONS`]) and lanes (1
    /// to [`MAX_ARGON2_PARALLELISM`]).
    /// Lower than the defaults only in tests. Each redeem tries up to every remaining code,
    /// so a failed attempt costs `remaining x` one hash.
    #[must_use]
    pub fn argon2_params(mut self, memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        self.memory_kib = memory_kib;
        self.iterations = iterations;
        self.parallelism = parallelism;
        self
    }

    /// A new set from the thread-local CSPRNG: the plaintext codes, grouped for display
    /// (`ABCDE-FGH23`), and the hashed set to store.
    ///
    /// # Errors
    /// [`RecoveryError::Config`] for refused settings, [`RecoveryError::Hashing`] if
    /// Argon2 fails.
    pub fn generate(&self) -> Result<(ShownOnce<Vec<String>>, RecoverySet), RecoveryError> {
        self.generate_with(&mut rand::rng())
    }

    /// As [`generate`](Self::generate), drawing codes and salts from `rng`.
    ///
    /// # Errors
    /// As [`generate`](Self::generate).
    pub fn generate_with<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<(ShownOnce<Vec<String>>, RecoverySet), RecoveryError> {
        if !(1..=MAX_COUNT).contains(&self.count) {
            return Err(RecoveryError::Config("count must be 1 to 100"));
        }
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&self.length) {
            return Err(RecoveryError::Config("length must be 8 to 32 symbols"));
        }
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .ok()
            .filter(affordable)
            .ok_or(RecoveryError::Config("Argon2 parameters out of range"))?;
        let hasher = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);

        let symbols = alphabet();
        let mut raw: Vec<Zeroizing<String>> = Vec::with_capacity(self.count);
        while raw.len() < self.count {
            let code = random_code(rng, &symbols, self.length);
            // A repeat is astronomically unlikely, but two equal codes would share a slot.
            if !raw.iter().any(|c| **c == *code) {
                raw.push(code);
            }
        }

        let mut hashes = Vec::with_capacity(self.count);
        let mut shown = Zeroizing::new(Vec::with_capacity(self.count));
        for code in raw.iter() {
            let mut salt = [0u8; SALT_LEN];
            rng.fill_bytes(&mut salt);
            let hash = hasher
                .hash_password_with_salt(code.as_bytes(), &salt)
                .map_err(|_| RecoveryError::Hashing)?;
            hashes.push(hash.to_string());
            shown.push(group(code));
        }
        let set = RecoverySet {
            length: self.length,
            hashes,
        };
        Ok((ShownOnce(shown), set))
    }
}

/// The stored side of a set of recovery codes: one Argon2id PHC string per unused code.
///
/// `Debug` shows only counts. Save it with [`to_stored`](Self::to_stored) and load it with
/// [`from_stored`](Self::from_stored).
#[derive(Clone, PartialEq, Eq)]
pub struct RecoverySet {
    length: usize,
    hashes: Vec<String>,
}

impl RecoverySet {
    /// Codes not yet used.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.hashes.len()
    }

    /// Whether every code has been used.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Symbols per code.
    #[must_use]
    pub fn code_length(&self) -> usize {
        self.length
    }

    /// Checks `input` against the remaining codes and, on a match, removes that code and
    /// returns how many are left. Persist the set afterwards (see the module docs).
    ///
    /// Input is forgiving: case, spaces, hyphens and full-width forms do not matter.
    /// Malformed input is refused before any hashing.
    ///
    /// # Errors
    /// [`RecoveryError::Exhausted`] when no code is left, [`RecoveryError::Malformed`],
    /// [`RecoveryError::NoMatch`] for a wrong or used code, [`RecoveryError::Hashing`] if
    /// Argon2 fails.
    pub fn redeem(&mut self, input: &str) -> Result<usize, RecoveryError> {
        if self.hashes.is_empty() {
            return Err(RecoveryError::Exhausted);
        }
        let code = normalise(input, self.length)?;
        // The parameters come from each stored string, so sets made under older settings
        // still verify.
        let verifier = Argon2::default();
        let mut matched = None;
        for (index, stored) in self.hashes.iter().enumerate() {
            let hash =
                PasswordHash::new(stored).map_err(|_| RecoveryError::Stored("not a PHC string"))?;
            match verifier.verify_password(code.as_bytes(), &hash) {
                Ok(()) => {
                    matched = Some(index);
                    break;
                }
                Err(argon2::password_hash::Error::PasswordInvalid) => {}
                Err(_) => return Err(RecoveryError::Hashing),
            }
        }
        let index = matched.ok_or(RecoveryError::NoMatch)?;
        self.hashes.remove(index);
        Ok(self.hashes.len())
    }

    /// The set as text for your database: a header line, then one PHC string per unused
    /// code (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`). It holds no code in clear.
    #[must_use]
    pub fn to_stored(&self) -> String {
        let mut out = format!("{STORED_HEADER} length={}", self.length);
        for hash in &self.hashes {
            out.push('\n');
            out.push_str(hash);
        }
        out
    }

    /// Reads the text of [`to_stored`](Self::to_stored), checking that every line is an
    /// Argon2id PHC string with a salt of at least [`SALT_LEN`] bytes, and costs within
    /// [`MAX_ARGON2_MEMORY_KIB`], [`MAX_ARGON2_ITERATIONS`] and
    /// [`MAX_ARGON2_PARALLELISM`] (so that redeeming cannot be made to allocate
    /// without bound).
    ///
    /// # Errors
    /// [`RecoveryError::Stored`] naming what is wrong.
    pub fn from_stored(text: &str) -> Result<Self, RecoveryError> {
        let mut lines = text.lines();
        let header = lines
            .next()
            .ok_or(RecoveryError::Stored("empty"))?
            .strip_prefix(STORED_HEADER)
            .and_then(|rest| rest.strip_prefix(" length="))
            .ok_or(RecoveryError::Stored("unknown format"))?;
        let length = header
            .parse::<usize>()
            .ok()
            .filter(|l| (MIN_LENGTH..=MAX_LENGTH).contains(l))
            .ok_or(RecoveryError::Stored("bad code length"))?;
        let mut hashes = Vec::new();
        for line in lines {
            if hashes.len() >= MAX_COUNT {
                return Err(RecoveryError::Stored("too many codes"));
            }
            let hash =
                PasswordHash::new(line).map_err(|_| RecoveryError::Stored("not a PHC string"))?;
            if hash.algorithm.as_str() != ARGON2ID {
                return Err(RecoveryError::Stored("not Argon2id"));
            }
            if hash.salt.as_ref().is_none_or(|s| s.len() < SALT_LEN) {
                return Err(RecoveryError::Stored("salt missing or too short"));
            }
            if hash.hash.is_none() {
                return Err(RecoveryError::Stored("hash missing"));
            }
            argon2::Params::try_from(&hash)
                .ok()
                .filter(affordable)
                .ok_or(RecoveryError::Stored("bad Argon2 parameters"))?;
            hashes.push(line.to_owned());
        }
        Ok(Self { length, hashes })
    }
}

impl fmt::Debug for RecoverySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoverySet")
            .field("remaining", &self.hashes.len())
            .field("length", &self.length)
            .finish()
    }
}

fn alphabet() -> Vec<u8> {
    Alphabet::alphanumeric().symbols().as_bytes().to_vec()
}

/// A code of `length` symbols, each uniform: bytes at or above the largest multiple of the
/// alphabet size are thrown away, so no symbol is favoured.
fn random_code<R: CryptoRng + ?Sized>(
    rng: &mut R,
    symbols: &[u8],
    length: usize,
) -> Zeroizing<String> {
    let mut code = Zeroizing::new(String::with_capacity(length));
    let n = symbols.len().max(1);
    let limit = 256 - 256 % n;
    let mut buf = Zeroizing::new([0u8; 32]);
    while code.len() < length {
        rng.fill_bytes(&mut *buf);
        for &b in buf.iter() {
            if code.len() == length {
                break;
            }
            if usize::from(b) < limit
                && let Some(&s) = symbols.get(usize::from(b) % n)
            {
                code.push(char::from(s));
            }
        }
    }
    code
}

fn group(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / GROUP_LEN);
    for (i, c) in code.chars().enumerate() {
        if i > 0 && i % GROUP_LEN == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// Typed input to the bare code: full-width forms folded to ASCII, spaces and hyphens
/// dropped, letters upper-cased; then only alphabet symbols, exactly `length` of them.
fn normalise(input: &str, length: usize) -> Result<Zeroizing<String>, RecoveryError> {
    // Room for full-width characters (3 bytes each) and generous separators.
    if input.len() > MAX_LENGTH * 6 {
        return Err(RecoveryError::Malformed);
    }
    let symbols = alphabet();
    let mut out = Zeroizing::new(String::with_capacity(length));
    for c in input.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        if c.is_whitespace() || matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}')
        {
            continue;
        }
        let c = c.to_ascii_uppercase();
        let known = u8::try_from(c).is_ok_and(|b| symbols.contains(&b));
        if !known || out.len() >= length {
            return Err(RecoveryError::Malformed);
        }
        out.push(c);
    }
    if out.len() == length {
        Ok(out)
    } else {
        Err(RecoveryError::Malformed)
    }
}
