//! The nouns of a verification: its id, what it is for, and the answers the app gets.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::CryptoRng;
use time::OffsetDateTime;

use crate::phone::PhoneNumber;

/// Identifies one challenge: 160 bits, never derived from the code. The first 128
/// always come straight from the CSPRNG, since holding an id is what lets someone
/// check codes against it (ASVS v5 11.5.1 asks at least 128 for any opaque token). The
/// last 32 are random too, unless a store names in them where it keeps the challenge
/// (its [`place`](Self::place): see [`ChallengeStore::next_place`](crate::store::ChallengeStore::next_place)
/// and [`grouped`](Self::grouped)). Its text form is 27 URL-safe base64 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChallengeId([u8; ChallengeId::LEN]);

/// Where the place sits in an id: after the 128 bits that are always random.
const PLACE: std::ops::Range<usize> = 16..20;

impl ChallengeId {
    /// The length of an id in bytes.
    pub const LEN: usize = 20;

    /// A fresh random id from the thread-local CSPRNG.
    #[must_use]
    pub fn random() -> Self {
        Self::random_with(&mut rand::rng())
    }

    /// A fresh random id from `rng`.
    pub fn random_with<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; Self::LEN];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A fresh id whose [`place`](Self::place) is `place`: 128 bits from the CSPRNG
    /// and 32 naming where a store keeps the challenge. Whoever holds the id sees the
    /// place.
    #[must_use]
    pub fn placed(place: u32) -> Self {
        let mut bytes = [0u8; Self::LEN];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes[..PLACE.start]);
        bytes[PLACE].copy_from_slice(&place.to_le_bytes());
        Self(bytes)
    }

    /// The 32 bits after the random 128: a place for ids made with
    /// [`placed`](Self::placed), random bits for those made with
    /// [`random`](Self::random).
    #[must_use]
    pub fn place(&self) -> u32 {
        place_of(&self.0)
    }

    /// A fresh id whose [`group`](Self::group) is `group`: 144 bits from the CSPRNG
    /// and 16 naming the group, for stores that place related challenges together
    /// (see [`ChallengeStore::groups_by_subject`](crate::store::ChallengeStore::groups_by_subject)).
    #[must_use]
    pub fn grouped(group: u16) -> Self {
        let mut id = Self::random();
        id.0[PLACE.start..PLACE.start + 2].copy_from_slice(&group.to_be_bytes());
        id
    }

    /// The group an id was made in with [`grouped`](Self::grouped) (for other ids, 16
    /// bits of their place, or random bits).
    #[must_use]
    pub fn group(&self) -> u16 {
        u16::from_be_bytes([self.0[PLACE.start], self.0[PLACE.start + 1]])
    }

    /// The raw bytes (what stores key on).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// An id from raw bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }
}

/// The place in an id's raw bytes, for stores that keep ids as bytes.
/// Inline, and indexed directly: every lookup in the memory store's slots reads it, and
/// an array `map` here was left out of line (a call and a copy per lookup).
#[inline]
pub(crate) fn place_of(bytes: &[u8; ChallengeId::LEN]) -> u32 {
    let at = PLACE.start;
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

const URL_SAFE_SYMBOLS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding of `N` bytes into `M` characters (`M` must be
/// `4N / 3` rounded up): the same text as the `base64` crate's `URL_SAFE_NO_PAD`, by
/// straight-line table lookups, which costs a fraction of the general encoder on every
/// start and check.
fn encode<const N: usize, const M: usize>(bytes: &[u8; N]) -> [u8; M] {
    const { assert!(M == (4 * N).div_ceil(3)) };
    let symbol = |six: u32| URL_SAFE_SYMBOLS[(six & 63) as usize];
    let mut out = [0u8; M];
    let whole = N / 3 * 3;
    for (group, chars) in bytes[..whole].chunks_exact(3).zip(out.chunks_exact_mut(4)) {
        let n = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        chars[0] = symbol(n >> 18);
        chars[1] = symbol(n >> 12);
        chars[2] = symbol(n >> 6);
        chars[3] = symbol(n);
    }
    let at = whole / 3 * 4;
    match &bytes[whole..] {
        [last] => {
            let n = u32::from(*last);
            out[at] = symbol(n >> 2);
            out[at + 1] = symbol(n << 4);
        }
        [a, b] => {
            let n = u32::from(*a) << 8 | u32::from(*b);
            out[at] = symbol(n >> 10);
            out[at + 1] = symbol(n >> 4);
            out[at + 2] = symbol(n << 2);
        }
        _ => {}
    }
    out
}

/// 16 bytes (keyed names) as 22 URL-safe base64 characters.
pub(crate) fn encode_16(bytes: &[u8; 16]) -> [u8; 22] {
    encode(bytes)
}

/// An id's 20 bytes as its 27 characters.
pub(crate) fn encode_id(id: &ChallengeId) -> [u8; 27] {
    encode(&id.0)
}

impl fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&encode_id(self)).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChallengeId({self})")
    }
}

/// Ids from before ids were 20 bytes: 16 bytes, 22 characters. A store may still hold
/// rows and links naming them (from an instance not yet upgraded, or from before the
/// upgrade) until they expire. This version cannot check those challenges, so a store
/// answers a delivery report about one as about no challenge, not as corruption.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) mod legacy {
    /// The length of an old id in bytes (how PostgreSQL keeps ids).
    #[cfg(feature = "postgres")]
    pub(crate) const LEN: usize = 16;

    /// Whether `text` has an old id's text form (how Redis keeps ids).
    #[cfg(feature = "redis")]
    pub(crate) fn is_text(text: &str) -> bool {
        text.len() == 22 && text.bytes().all(|b| super::URL_SAFE_SYMBOLS.contains(&b))
    }

    /// What a delivery report about an old challenge finds: none this version can
    /// check, said in the log.
    pub(crate) fn report_finds_nothing() -> Option<super::ChallengeId> {
        tracing::info!("delivery report for a challenge from before 20-byte ids");
        None
    }
}

/// The text was not a challenge id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a challenge id")]
pub struct InvalidChallengeId;

impl FromStr for ChallengeId {
    type Err = InvalidChallengeId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 27 {
            return Err(InvalidChallengeId);
        }
        // The decoder wants room for whole 3-byte groups; it refuses text whose spare
        // bits are set, so every id has exactly one text form.
        let mut out = [0u8; 21];
        let n = URL_SAFE_NO_PAD
            .decode_slice(s, &mut out)
            .map_err(|_| InvalidChallengeId)?;
        let bytes: [u8; Self::LEN] = out[..n].try_into().map_err(|_| InvalidChallengeId)?;
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

    use super::{ChallengeId, encode, encode_16, encode_id};

    #[test]
    fn the_short_encoder_writes_what_the_base64_crate_writes() {
        let mut ids = vec![[0u8; 20], [0xff; 20]];
        ids.extend((0..200).map(|_| *ChallengeId::random().as_bytes()));
        for bytes in ids {
            let id = ChallengeId::from_bytes(bytes);
            let written = |text: &[u8]| std::str::from_utf8(text).unwrap().to_owned();
            assert_eq!(written(&encode_id(&id)), URL_SAFE_NO_PAD.encode(bytes));
            let head: [u8; 16] = bytes[..16].try_into().unwrap();
            assert_eq!(written(&encode_16(&head)), URL_SAFE_NO_PAD.encode(head));
            let odd: [u8; 7] = bytes[..7].try_into().unwrap();
            assert_eq!(written(&encode::<7, 10>(&odd)), URL_SAFE_NO_PAD.encode(odd));
        }
    }

    #[test]
    fn a_place_and_a_group_leave_the_first_128_bits_random() {
        let id = ChallengeId::placed(0x0102_0304);
        assert_eq!(id.place(), 0x0102_0304);
        assert_eq!(&id.as_bytes()[16..], &[4, 3, 2, 1]);
        let grouped = ChallengeId::grouped(0xbeef);
        assert_eq!(grouped.group(), 0xbeef);
        assert_eq!(&grouped.as_bytes()[16..18], &[0xbe, 0xef]);
    }
}
