//! TOTP: time-based one-time passwords (RFC 6238).

use std::fmt;

use subtle::{Choice, ConstantTimeEq};
use time::{Duration, OffsetDateTime};

use super::{
    Algorithm, DEFAULT_DIGITS, KeyedMac, OtpCode, OtpConfigError, OtpError, OtpSecret,
    check_digits, parse_input,
};
use crate::Clock;

/// The time step unless configured otherwise: 30 seconds, RFC 6238's recommendation and
/// what authenticator apps assume.
pub const DEFAULT_PERIOD_SECS: u64 = 30;

/// The longest time step accepted: a code alive for more than an hour is hardly one-time.
pub const MAX_PERIOD_SECS: u64 = 3600;

/// Steps accepted on each side of the current one unless configured otherwise: one, so a
/// code typed just as it rolled over, or a phone clock a little off, still works (RFC 6238
/// §5.2 recommends at most one step of network delay).
pub const DEFAULT_SKEW: u8 = 1;

/// The widest skew accepted, each way. Every extra step is one more live code an attacker
/// may hit per guess.
pub const MAX_SKEW: u8 = 10;

/// A TOTP generator and verifier for one secret.
///
/// It never reads the clock: every call takes the time, and the `*_now` conveniences take
/// a [`Clock`]. See the [module docs](super) for the enrolment and login flow.
#[derive(Clone)]
pub struct Totp {
    mac: KeyedMac,
    secret: OtpSecret,
    algorithm: Algorithm,
    digits: u8,
    period: u64,
    t0: i64,
    skew: u8,
}

/// Settings for a [`Totp`]; see [`Totp::builder`].
#[derive(Debug, Clone)]
pub struct TotpBuilder {
    secret: OtpSecret,
    algorithm: Algorithm,
    digits: u8,
    period: Duration,
    t0: OffsetDateTime,
    skew: u8,
}

impl TotpBuilder {
    /// The HMAC hash; SHA-1 by default (some authenticator apps ignore any other).
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

    /// The time step X: a whole number of seconds from 1 to 3600; 30 by default.
    #[must_use]
    pub fn period(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// T0, when step 0 starts; the Unix epoch by default. `otpauth://` URIs cannot carry
    /// another T0, so authenticator apps always use the epoch. Sub-second parts are
    /// dropped.
    #[must_use]
    pub fn t0(mut self, t0: OffsetDateTime) -> Self {
        self.t0 = t0;
        self
    }

    /// Steps accepted on each side of the current one, 0 to [`MAX_SKEW`]; 1 by default.
    #[must_use]
    pub fn skew(mut self, steps: u8) -> Self {
        self.skew = steps;
        self
    }

    /// Checks the settings and does the HMAC key schedule once.
    ///
    /// # Errors
    /// [`OtpConfigError::Digits`] outside 6-8, [`OtpConfigError::Period`] for a period that
    /// is not 1-3600 whole seconds, [`OtpConfigError::Skew`] over [`MAX_SKEW`].
    pub fn build(self) -> Result<Totp, OtpConfigError> {
        let digits = check_digits(self.digits)?;
        let period = u64::try_from(self.period.whole_seconds())
            .ok()
            .filter(|secs| (1..=MAX_PERIOD_SECS).contains(secs))
            .filter(|_| self.period.subsec_nanoseconds() == 0)
            .ok_or(OtpConfigError::Period)?;
        if self.skew > MAX_SKEW {
            return Err(OtpConfigError::Skew { max: MAX_SKEW });
        }
        Ok(Totp {
            mac: KeyedMac::new(self.algorithm, self.secret.expose_bytes()),
            secret: self.secret,
            algorithm: self.algorithm,
            digits,
            period,
            t0: self.t0.unix_timestamp(),
            skew: self.skew,
        })
    }
}

/// The time step whose code was accepted.
///
/// **Persist it** with the account, atomically with the login, and pass it as
/// `last_used_step` to the next [`Totp::verify`]: that is what refuses the same code a
/// second time (RFC 6238 §5.2). Without it, a code seen over a shoulder works again for the
/// rest of its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AcceptedStep(pub u64);

impl Totp {
    /// Settings with defaults: SHA-1, 6 digits, 30-second steps from the Unix epoch,
    /// one step of skew each way.
    #[must_use]
    pub fn builder(secret: OtpSecret) -> TotpBuilder {
        TotpBuilder {
            secret,
            algorithm: Algorithm::default(),
            digits: DEFAULT_DIGITS,
            period: Duration::seconds(DEFAULT_PERIOD_SECS.cast_signed()),
            t0: OffsetDateTime::UNIX_EPOCH,
            skew: DEFAULT_SKEW,
        }
    }

    /// The settings of this generator, to change some of them (say, the skew of one parsed
    /// from a URI).
    #[must_use]
    pub fn into_builder(self) -> TotpBuilder {
        let (period, t0) = (self.period(), self.t0());
        TotpBuilder {
            secret: self.secret,
            algorithm: self.algorithm,
            digits: self.digits,
            period,
            t0,
            skew: self.skew,
        }
    }

    /// The time step T that `at` falls in: `floor((at - T0) / period)`.
    ///
    /// # Errors
    /// [`OtpError::TimeOutOfRange`] before T0.
    pub fn step_at(&self, at: OffsetDateTime) -> Result<u64, OtpError> {
        let since_t0 = at
            .unix_timestamp()
            .checked_sub(self.t0)
            .and_then(|secs| u64::try_from(secs).ok())
            .ok_or(OtpError::TimeOutOfRange)?;
        Ok(since_t0 / self.period)
    }

    /// The code for the time step that `at` falls in.
    ///
    /// # Errors
    /// [`OtpError::TimeOutOfRange`] before T0.
    pub fn generate(&self, at: OffsetDateTime) -> Result<OtpCode, OtpError> {
        let step = self.step_at(at)?;
        Ok(self.generate_at_step(step))
    }

    /// The code for time step `step`.
    #[must_use]
    pub fn generate_at_step(&self, step: u64) -> OtpCode {
        OtpCode::new(self.mac.code_value(step, self.digits), self.digits)
    }

    /// [`generate`](Self::generate) at `clock.now()`.
    ///
    /// # Errors
    /// As [`generate`](Self::generate).
    pub fn generate_now(&self, clock: &dyn Clock) -> Result<OtpCode, OtpError> {
        self.generate(clock.now())
    }

    /// Checks `input` as typed at time `at`, refusing replays.
    ///
    /// The steps from `T - skew` to `T + skew` are tried nearest first (`T`, `T - 1`,
    /// `T + 1`, ...), each compared in constant time. The first match at a step greater
    /// than `last_used_step` is accepted; a match only at or before it is
    /// [`OtpError::Replayed`]. Pass `None` only before the account's first TOTP login.
    ///
    /// Timing: a refused code always costs the whole window. An accepted one stops early,
    /// which tells the caller no more than the acceptance itself (and the step returned).
    ///
    /// Persist the returned [`AcceptedStep`] and pass it back next time (RFC 6238 §5.2).
    /// Concurrent logins with the same code must be settled by that write: store it with a
    /// compare-and-set (`... WHERE last_step IS NULL OR last_step < $new`), and treat a
    /// lost race as a replay.
    ///
    /// # Errors
    /// [`OtpError::Malformed`] for input that is not `digits` digits (nothing compared),
    /// [`OtpError::Mismatch`], [`OtpError::Replayed`], and
    /// [`OtpError::TimeOutOfRange`] before T0.
    pub fn verify(
        &self,
        input: &str,
        at: OffsetDateTime,
        last_used_step: Option<u64>,
    ) -> Result<AcceptedStep, OtpError> {
        let typed = parse_input(input, self.digits)?;
        let now = self.step_at(at)?;

        let mut stale_hit = Choice::from(0);
        for distance in 0..=u64::from(self.skew) {
            let before = now.checked_sub(distance);
            let after = now.checked_add(distance).filter(|_| distance > 0);
            for step in [before, after].into_iter().flatten() {
                let hit = self.mac.code_value(step, self.digits).ct_eq(&typed);
                if last_used_step.is_none_or(|used| step > used) {
                    if bool::from(hit) {
                        return Ok(AcceptedStep(step));
                    }
                } else {
                    // Stale steps are all computed, so a replay takes as long as a miss.
                    stale_hit |= hit;
                }
            }
        }
        if bool::from(stale_hit) {
            Err(OtpError::Replayed)
        } else {
            Err(OtpError::Mismatch)
        }
    }

    /// [`verify`](Self::verify) at `clock.now()`.
    ///
    /// # Errors
    /// As [`verify`](Self::verify).
    pub fn verify_now(
        &self,
        input: &str,
        clock: &dyn Clock,
        last_used_step: Option<u64>,
    ) -> Result<AcceptedStep, OtpError> {
        self.verify(input, clock.now(), last_used_step)
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

    /// The time step length.
    #[must_use]
    pub fn period(&self) -> Duration {
        // At most 3600, checked when built.
        Duration::seconds(self.period.cast_signed())
    }

    /// T0, when step 0 starts.
    #[must_use]
    pub fn t0(&self) -> OffsetDateTime {
        // Came from an OffsetDateTime, so it converts back.
        OffsetDateTime::from_unix_timestamp(self.t0).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Steps accepted on each side of the current one.
    #[must_use]
    pub fn skew(&self) -> u8 {
        self.skew
    }
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("secret", &self.secret)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period_secs", &self.period)
            .field("t0", &self.t0)
            .field("skew", &self.skew)
            .finish()
    }
}
