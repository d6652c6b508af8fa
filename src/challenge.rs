//! The nouns of a verification: its id, what it is for, and the answers the app gets.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::CryptoRng;
use time::OffsetDateTime;

use crate::phone::PhoneNumber;

/// Identifies one challenge: 128 bits straight from the CSPRNG, never derived from the
/// code. Its text form is 22 URL-safe base64 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChallengeId([u8; 16]);

impl ChallengeId {
    /// A fresh random id from the thread-local CSPRNG.
    #[must_use]
    pub fn random() -> Self {
        Self::random_with(&mut rand::rng())
    }

    /// A fresh random id from `rng`.
    pub fn random_with<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A fresh id whose [`group`](Self::group) is `group`: 112 bits from the CSPRNG
    /// and 16 bits naming the group, for stores that place related challenges together
    /// (see [`ChallengeStore::groups_by_subject`](crate::store::ChallengeStore::groups_by_subject)).
    #[must_use]
    pub fn grouped(group: u16) -> Self {
        let mut id = Self::random();
        id.0[..2].copy_from_slice(&group.to_be_bytes());
        id
    }

    /// The group an id was made in with [`grouped`](Self::grouped) (for other ids, 16
    /// random bits).
    #[must_use]
    pub fn group(&self) -> u16 {
        u16::from_be_bytes([self.0[0], self.0[1]])
    }

    /// The raw bytes (what stores key on).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// An id from raw bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
}

const URL_SAFE_SYMBOLS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding of exactly 16 bytes (ids, keyed names): the same
/// 22 characters as the `base64` crate's `URL_SAFE_NO_PAD`, by straight-line table
/// lookups, which costs a fraction of the general encoder on every start and check.
pub(crate) fn encode_16(bytes: &[u8; 16]) -> [u8; 22] {
    let symbol = |six: u32| URL_SAFE_SYMBOLS[(six & 63) as usize];
    let mut out = [0u8; 22];
    for (group, chars) in bytes.chunks_exact(3).zip(out.chunks_exact_mut(4)) {
        let n = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        chars[0] = symbol(n >> 18);
        chars[1] = symbol(n >> 12);
        chars[2] = symbol(n >> 6);
        chars[3] = symbol(n);
    }
    let last = u32::from(bytes[15]);
    out[20] = symbol(last >> 2);
    out[21] = symbol(last << 4);
    out
}

impl fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&encode_16(&self.0)).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChallengeId({self})")
    }
}

/// The text was not a challenge id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a challenge id")]
pub struct InvalidChallengeId;

impl FromStr for ChallengeId {
    type Err = InvalidChallengeId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 22 {
            return Err(InvalidChallengeId);
        }
        let mut out = [0u8; 18];
        let n = URL_SAFE_NO_PAD
            .decode_slice(s, &mut out)
            .map_err(|_| InvalidChallengeId)?;
        let bytes: [u8; 16] = out[..n].try_into().map_err(|_| InvalidChallengeId)?;
        Ok(Self(bytes))
    }
}

/// What a code is for (`"login"`, `"change-phone"`). A code issued for one purpose
/// never approves another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Purpose(Box<str>);

impl Purpose {
    /// Signing in.
    #[must_use]
    pub fn login() -> Self {
        Self("login".into())
    }

    /// A purpose named by the app: 1 to 64 ASCII letters, digits, `-`, `_`, `.` or `:`.
    ///
    /// # Errors
    /// [`InvalidPurpose`] for any other text.
    pub fn new(name: &str) -> Result<Self, InvalidPurpose> {
        let ok = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(Self(name.into()))
        } else {
            Err(InvalidPurpose)
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A purpose name outside the allowed characters or length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a purpose is 1 to 64 ASCII letters, digits, '-', '_', '.' or ':'")]
pub struct InvalidPurpose;

/// Who and what a challenge is for: the destination number and the purpose.
///
/// The app passes the same binding to [`start`](crate::Verifier::start),
/// [`check`](crate::Verifier::check) and [`resend`](crate::Verifier::resend). The code's
/// digest covers it, so a code sent to one number for one purpose cannot approve
/// another number or another purpose, even if an app bug mixes up challenge ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Binding {
    destination: PhoneNumber,
    purpose: Purpose,
    subject: Option<Box<str>>,
}

impl Binding {
    /// A binding of `purpose` to `destination`.
    #[must_use]
    pub fn new(destination: PhoneNumber, purpose: Purpose) -> Self {
        Self {
            destination,
            purpose,
            subject: None,
        }
    }

    /// Names the account this is for (a user id). The per-subject failure ceiling
    /// counts per subject; without one it counts per destination number.
    #[must_use]
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into().into_boxed_str());
        self
    }

    /// The subject, if one was named.
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }
    /// The destination number.
    #[must_use]
    pub fn destination(&self) -> &PhoneNumber {
        &self.destination
    }
    /// The purpose.
    #[must_use]
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }
}

/// A challenge waiting for its code, as the app may show it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pending {
    /// Keep this (in the session) to check the code later.
    pub id: ChallengeId,
    /// When every code of this challenge dies, whatever resends happen.
    pub expires_at: OffsetDateTime,
    /// The earliest time a resend is allowed.
    pub resend_at: OffsetDateTime,
    /// Wrong codes the person may still type.
    pub attempts_left: u32,
    /// Further SMS this challenge may still send.
    pub sends_left: u32,
    /// The destination, masked, fit to show ("+81 90-****-5678").
    pub destination: String,
}

/// The answer to a code check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The code was right. The challenge is consumed: no code of it works again.
    Approved,
    /// The code was wrong.
    Rejected {
        /// Wrong codes the person may still type before the challenge locks.
        attempts_left: u32,
    },
    /// The input could not be a code (wrong length, characters outside the alphabet).
    /// It was not compared and cost no attempt.
    Malformed,
    /// The challenge outlived its time limit.
    Expired,
    /// Too many wrong codes: the challenge is dead.
    Locked,
    /// The subject (account or number) has failed too many checks in a row, across
    /// challenges; no code is checked until a success elsewhere (another way in), an
    /// administrator's reset, or the failure window passes.
    TooManyFailures,
    /// No such challenge: never issued, already approved, cancelled, or long gone.
    NotFound,
}

impl Verdict {
    /// Whether this is [`Verdict::Approved`].
    #[must_use]
    pub fn is_approved(&self) -> bool {
        matches!(self, Self::Approved)
    }
}

/// Where a live challenge stands, for showing the app's "code sent" page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Pending, expired or locked.
    pub phase: Phase,
    /// When the challenge dies.
    pub expires_at: OffsetDateTime,
    /// The earliest time a resend is allowed.
    pub resend_at: OffsetDateTime,
    /// Wrong codes the person may still type.
    pub attempts_left: u32,
    /// Further SMS this challenge may still send.
    pub sends_left: u32,
    /// What the provider last reported about delivery, if it reported anything.
    pub delivery: Option<DeliveryStatus>,
}

/// What a provider's delivery report said about the last SMS of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// Accepted, queued or sent, but not yet confirmed on the handset.
    Pending,
    /// The handset received it.
    Delivered,
    /// It will not arrive. `permanent` when the number itself is the problem
    /// (unknown, barred, landline); otherwise another route or a later resend may work.
    Failed {
        /// Whether no route can deliver to this number.
        permanent: bool,
    },
}

impl DeliveryStatus {
    /// How far a message got: pending, then failed, then delivered. A store keeps a
    /// report only if it gets at least as far as the one it holds, so a stale or
    /// replayed `Failed` never overrides `Delivered`.
    #[must_use]
    pub fn progress(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Failed { .. } => 1,
            Self::Delivered => 2,
        }
    }
}

/// The life stage of a challenge the store still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Waiting for the right code.
    Pending,
    /// Past its time limit.
    Expired,
    /// Locked after too many wrong codes.
    Locked,
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::{ChallengeId, encode_16};

    #[test]
    fn the_short_encoder_writes_what_the_base64_crate_writes() {
        let mut cases = vec![[0u8; 16], [0xff; 16]];
        cases.extend((0..200).map(|_| *ChallengeId::random().as_bytes()));
        for bytes in cases {
            let ours = encode_16(&bytes);
            assert_eq!(
                std::str::from_utf8(&ours).unwrap(),
                URL_SAFE_NO_PAD.encode(bytes)
            );
        }
    }
}
