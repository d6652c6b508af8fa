//! The records a store keeps and the answers it gives. Plain data: no code, no number.

use time::{Duration, OffsetDateTime};

use super::keys::CounterKey;

/// HMAC-SHA256 of a code and what it is bound to.
pub type Digest = [u8; 32];

/// A keyed tag of a challenge's binding (destination and purpose), truncated to 128
/// bits; lets the store refuse a resend for another number without holding the number.
pub type BindingTag = [u8; 16];

/// When a new challenge's codes live and may be resent, and when the store may
/// forget it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeline {
    /// When the challenge was made (the first SMS's send time).
    pub created_at: OffsetDateTime,
    /// When every code of the challenge dies.
    pub expires_at: OffsetDateTime,
    /// The earliest time a resend is allowed.
    pub resend_at: OffsetDateTime,
    /// When the store may forget the challenge (at or after `expires_at`); until then it
    /// answers `Expired` rather than `NotFound`.
    pub purge_at: OffsetDateTime,
}

impl Timeline {
    /// A challenge made at `created_at` that lives `ttl`, may be resent after
    /// `cooldown` and is remembered `retention` after it dies.
    #[must_use]
    pub fn new(
        created_at: OffsetDateTime,
        ttl: Duration,
        cooldown: Duration,
        retention: Duration,
    ) -> Self {
        let expires_at = created_at + ttl;
        Self {
            created_at,
            expires_at,
            resend_at: created_at + cooldown,
            purge_at: expires_at + retention,
        }
    }
}

/// What one challenge may use: wrong checks, and SMS (the first included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Allowance {
    /// Wrong checks allowed.
    pub max_attempts: u32,
    /// SMS allowed in all, the first one included.
    pub max_sends: u32,
}

impl Allowance {
    /// `max_attempts` wrong checks and `max_sends` SMS.
    #[must_use]
    pub const fn new(max_attempts: u32, max_sends: u32) -> Self {
        Self {
            max_attempts,
            max_sends,
        }
    }
}

/// A challenge to save.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewChallenge {
    /// The id.
    pub id: crate::ChallengeId,
    /// Keyed tag of destination, purpose and subject.
    pub binding: BindingTag,
    /// Digest of the first code.
    pub digest: Digest,
    /// Its times.
    pub timeline: Timeline,
    /// Its attempts and sends.
    pub allowance: Allowance,
    /// A decoy: a challenge for a destination policy refused, whose codes are never
    /// sent. Nobody waits on it, so a store short of room may drop decoys (oldest
    /// first) to keep room for real challenges; a dropped decoy reads as `NotFound`.
    pub decoy: bool,
    /// The key of the subject's failure counter, set only for a store that keeps it
    /// with the challenge ([`keeps_subject`](super::ChallengeStore::keeps_subject)), so
    /// checks need not name it again. Other stores may ignore it.
    pub subject: Option<CounterKey>,
}

impl NewChallenge {
    /// A challenge record. Stores only read these; the verifier builds them.
    #[must_use]
    pub fn new(
        id: crate::ChallengeId,
        binding: BindingTag,
        digest: Digest,
        timeline: Timeline,
        allowance: Allowance,
    ) -> Self {
        Self {
            id,
            binding,
            digest,
            timeline,
            allowance,
            decoy: false,
            subject: None,
        }
    }

    /// Keeps the subject's failure counter `key` with the challenge (see
    /// [`subject`](Self::subject)).
    #[must_use]
    pub fn with_subject(mut self, key: CounterKey) -> Self {
        self.subject = Some(key);
        self
    }

    /// Marks the challenge as a decoy (see [`decoy`](Self::decoy)).
    #[must_use]
    pub fn as_decoy(mut self) -> Self {
        self.decoy = true;
        self
    }
}

/// A code check to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckRequest {
    /// The binding the caller claims; a challenge with another one is `NotFound`, and
    /// nothing is counted.
    pub binding: BindingTag,
    /// The typed code's digest under every live key.
    pub candidates: Vec<Digest>,
    /// The current time.
    pub now: OffsetDateTime,
    /// The per-subject ceiling to apply in the same atomic step, if any.
    pub subject: Option<SubjectGuard>,
    /// The per-subject ceiling to apply to the subject kept with the challenge
    /// ([`NewChallenge::subject`]), for a store that keeps it
    /// ([`keeps_subject`](super::ChallengeStore::keeps_subject)); the verifier sets it
    /// instead of `subject` for such a store only, so other stores never see it.
    pub kept_subject: Option<SubjectCeiling>,
}

impl CheckRequest {
    /// A check of `candidates` for a challenge bound to `binding`, at `now`, with no
    /// subject ceiling.
    #[must_use]
    pub fn new(binding: BindingTag, candidates: Vec<Digest>, now: OffsetDateTime) -> Self {
        Self {
            binding,
            candidates,
            now,
            subject: None,
            kept_subject: None,
        }
    }

    /// Applies a per-subject ceiling.
    #[must_use]
    pub fn with_subject(mut self, subject: SubjectGuard) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Applies a per-subject ceiling to the subject kept with the challenge (see
    /// [`kept_subject`](Self::kept_subject)).
    #[must_use]
    pub fn with_kept_subject(mut self, ceiling: SubjectCeiling) -> Self {
        self.kept_subject = Some(ceiling);
        self
    }
}

/// A per-subject ceiling without its key: for a check whose subject the store kept
/// with the challenge ([`CheckRequest::kept_subject`]). Means what [`SubjectGuard`]'s
/// fields of the same names mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubjectCeiling {
    /// Failures allowed in a row.
    pub max_failures: u32,
    /// How long the count lives after the last failure.
    pub window: Duration,
}

impl SubjectCeiling {
    /// A ceiling of `max_failures`, kept for `window` after each failure.
    #[must_use]
    pub const fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
        }
    }
}

/// Consecutive failed checks allowed for one subject across all its challenges
/// (NIST SP 800-63B: at most 100). A rejected check adds one; an approval clears it;
/// the count is forgotten `window` after the last failure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubjectGuard {
    /// The counter's key (a keyed index of the subject, never a plain number).
    pub key: CounterKey,
    /// Failures allowed in a row.
    pub max_failures: u32,
    /// How long the count lives after the last failure.
    pub window: Duration,
}

impl SubjectGuard {
    /// A ceiling of `max_failures` under `key`, kept for `window` after each failure.
    #[must_use]
    pub fn new(key: impl Into<CounterKey>, max_failures: u32, window: Duration) -> Self {
        Self {
            key: key.into(),
            max_failures,
            window,
        }
    }
}

/// A delivery report, as the store keeps it for a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryRecord {
    /// What the provider said.
    pub status: crate::challenge::DeliveryStatus,
    /// Which provider (route) sent the SMS.
    pub provider: crate::transport::Provider,
}

impl DeliveryRecord {
    /// A report of `status` from `provider`.
    #[must_use]
    pub fn new(
        status: crate::challenge::DeliveryStatus,
        provider: impl Into<crate::transport::Provider>,
    ) -> Self {
        Self {
            status,
            provider: provider.into(),
        }
    }
}

/// What the store found when checking a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckOutcome {
    /// A digest matched; the challenge is consumed.
    Approved,
    /// No digest matched; one attempt was counted.
    Rejected {
        /// Wrong checks left.
        attempts_left: u32,
    },
    /// Past `expires_at`; nothing was counted.
    Expired,
    /// No attempts left; nothing was counted or compared.
    Locked,
    /// The store does not hold the challenge.
    NotFound,
    /// The subject's failure ceiling is reached; nothing was counted or compared.
    SubjectLocked,
}

/// A resend to record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResendRequest {
    /// The binding the caller claims; a challenge with another one is `NotFound`, and
    /// nothing changes.
    pub binding: BindingTag,
    /// Digest of the new code, kept alongside the earlier ones.
    pub digest: Digest,
    /// The current time.
    pub now: OffsetDateTime,
    /// The cooldown after this send: the next resend is allowed from `now + cooldown`.
    pub cooldown: Duration,
}

impl ResendRequest {
    /// A resend record.
    #[must_use]
    pub fn new(
        binding: BindingTag,
        digest: Digest,
        now: OffsetDateTime,
        cooldown: Duration,
    ) -> Self {
        Self {
            binding,
            digest,
            now,
            cooldown,
        }
    }
}

/// What the store did with a resend.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResendOutcome {
    /// The new digest was added.
    Resent {
        /// Unchanged by the resend.
        expires_at: OffsetDateTime,
        /// When the next resend is allowed.
        resend_at: OffsetDateTime,
        /// Unchanged by the resend.
        attempts_left: u32,
        /// Further sends allowed after this one.
        sends_left: u32,
        /// The last delivery report for the challenge, so a resend after a failed
        /// delivery can take another route.
        last_delivery: Option<DeliveryRecord>,
    },
    /// The cooldown still runs.
    Cooldown {
        /// When it ends.
        resend_at: OffsetDateTime,
    },
    /// The challenge has sent all the SMS it may.
    MaxSends,
    /// Past `expires_at`.
    Expired,
    /// Locked after too many wrong checks.
    Locked,
    /// No such challenge for this binding.
    NotFound,
}

/// One rate limit to count against: at most `limit` units per `window` under `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// The counter's name, unique per limit and subject (never a plain phone number).
    pub key: CounterKey,
    /// Units allowed per window.
    pub limit: u64,
    /// Window length.
    pub window: Duration,
    /// Units this use costs (1 for a send; segments times price for a spend cap).
    pub cost: u64,
}

impl RateLimit {
    /// A limit of `limit` uses per `window` under `key`, each use costing 1.
    #[must_use]
    pub fn new(key: impl Into<CounterKey>, limit: u64, window: Duration) -> Self {
        Self {
            key: key.into(),
            limit,
            window,
            cost: 1,
        }
    }

    /// Sets how many units this use costs.
    #[must_use]
    pub fn with_cost(mut self, cost: u64) -> Self {
        self.cost = cost;
        self
    }
}

/// The answer to [`reserve`](super::CounterStore::reserve).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateDecision {
    /// Every limit had room; the use was reserved against all of them.
    Allowed,
    /// A limit was full; nothing was counted.
    Denied {
        /// Index into the `limits` slice of the first full limit.
        limit: usize,
        /// When that limit's window ends.
        retry_at: OffsetDateTime,
    },
}
