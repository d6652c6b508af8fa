//! HOTP: counter-based one-time passwords (RFC 4226).

use std::fmt;

use subtle::ConstantTimeEq;

use super::{
    Algorithm, DEFAULT_DIGITS, KeyedMac, OtpCode, OtpConfigError, OtpError, OtpSecret,
    check_digits, parse_input,
};

/// How many counters past the expected one [`Hotp::verify`] also tries, unless configured:
/// a few presses of a hardware token's button that never reached the server.
pub const DEFAULT_LOOK_AHEAD: u32 = 5;

/// The widest look-ahead window accepted. Each extra counter is one more code an attacker
/// may hit per guess.
pub const MAX_LOOK_AHEAD: u32 = 100;

/// A HOTP generator and verifier for one secret.
///
/// ```
/// use smsotp::otp::{Hotp, OtpSecret};
///
/// // RFC 4226 Appendix D.
/// let hotp = Hotp::builder(OtpSecret::new(b"12345678901234567890")?).build()?;
/// assert_eq!(hotp.generate(0).expose(), "755224");
///
/// // The server expects counter 0; the token was pressed twice without being used.
/// let accepted = hotp.verify("969429", 0)?;
/// assert_eq!((accepted.0, accepted.next()), (3, 4)); // store 4 as the next counter
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Hotp {
    mac: KeyedMac,
    secret: OtpSecret,
    algorithm: Algorithm,
    digits: u8,
    look_ahead: u32,
}

/// Settings for a [`Hotp`]; see [`Hotp::builder`].
#[derive(Debug, Clone)]
pub struct HotpBuilder {
    secret: OtpSecret,
    algorithm: Algorithm,
    digits: u8,
    look_ahead: u32,
}

impl HotpBuilder {
    /// The HMAC hash; SHA-1 by default.
    #[must_use]
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Code length, 6 to 8; 6 by default.
    #[must_use]
    pub fn digits(mut self, digits: u8) -> Self {
        self.digits = digits;
        self
    }

    /// How many counters after the expected one are also accepted; 5 by default.
    #[must_use]
    pub fn look_ahead(mut self, counters: u32) -> Self {
        self.look_ahead = counters;
        self
    }

    /// Checks the settings and does the HMAC key schedule once.
    ///
    /// # Errors
    /// [`OtpConfigError::Digits`] outside 6-8, [`OtpConfigError::LookAhead`] over
    /// [`MAX_LOOK_AHEAD`].
    pub fn build(self) -> Result<Hotp, OtpConfigError> {
        let digits = check_digits(self.digits)?;
        if self.look_ahead > MAX_LOOK_AHEAD {
            return Err(OtpConfigError::LookAhead {
                max: MAX_LOOK_AHEAD,
            });
        }
        Ok(Hotp {
            mac: KeyedMac::new(self.algorithm, self.secret.expose_bytes()),
            secret: self.secret,
            algorithm: self.algorithm,
            digits,
            look_ahead: self.look_ahead,
        })
    }
}

/// The counter whose code matched. Store [`next`](Self::next) as the counter to expect
/// next time, so this code and every earlier one are dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AcceptedCounter(pub u64);

impl AcceptedCounter {
    /// The counter to expect on the next verification: one past the accepted one.
    #[must_use]
    pub fn next(self) -> u64 {
        // `verify` never accepts u64::MAX, so this does not wrap.
        self.0.saturating_add(1)
    }
}

impl Hotp {
    /// Settings with defaults: SHA-1, 6 digits, look-ahead 5.
    #[must_use]
    pub fn builder(secret: OtpSecret) -> HotpBuilder {
        HotpBuilder {
            secret,
            algorithm: Algorithm::default(),
            digits: DEFAULT_DIGITS,
            look_ahead: DEFAULT_LOOK_AHEAD,
        }
    }

    /// The settings of this generator, to change some of them.
    #[must_use]
    pub fn into_builder(self) -> HotpBuilder {
        HotpBuilder {
            secret: self.secret,
            algorithm: self.algorithm,
            digits: self.digits,
            look_ahead: self.look_ahead,
        }
    }

    /// The code for `counter`.
    #[must_use]
    pub fn generate(&self, counter: u64) -> OtpCode {
        OtpCode::new(self.mac.code_value(counter, self.digits), self.digits)
    }

    /// Checks `input` against the codes for `counter ..= counter + look_ahead`, where
    /// `counter` is the one you expect (the previous [`AcceptedCounter::next`], or 0).
    ///
    /// Counters are tried in order, each compared in constant time, and the first match
    /// wins, so the counter moves no further than needed. A refused code always costs the
    /// whole window. Persist [`AcceptedCounter::next`] before treating the person as
    /// verified: that is what makes each code single-use.
    ///
    /// # Errors
    /// [`OtpError::Malformed`] when the input is not `digits` digits (nothing is compared),
    /// [`OtpError::Mismatch`] when no counter in the window matches.
    pub fn verify(&self, input: &str, counter: u64) -> Result<AcceptedCounter, OtpError> {
        let typed = parse_input(input, self.digits)?;
        // u64::MAX is never accepted, so `next()` always moves past the accepted counter.
        let last = counter
            .saturating_add(u64::from(self.look_ahead))
            .min(u64::MAX - 1);
        for c in counter..=last {
            if bool::from(self.mac.code_value(c, self.digits).ct_eq(&typed)) {
                return Ok(AcceptedCounter(c));
            }
        }
        Err(OtpError::Mismatch)
    }

    /// The shared secret.
    #[must_use]
    pub fn secret(&self) -> &OtpSecret {
        &self.secret
    }

    /// The HMAC hash.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Code length.
    #[must_use]
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// Counters tried past the expected one.
    #[must_use]
    pub fn look_ahead(&self) -> u32 {
        self.look_ahead
    }
}

impl fmt::Debug for Hotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hotp")
            .field("secret", &self.secret)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("look_ahead", &self.look_ahead)
            .finish()
    }
}
