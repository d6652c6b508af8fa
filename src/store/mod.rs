//! Where challenges live: the store contract and its records.
//!
//! The contract is split by concern, the way object_store keeps its core trait small,
//! so that a new control never adds a required method to a store someone wrote:
//!
//! | trait | what | methods |
//! |---|---|---|
//! | [`ChallengeStore`] | the challenge lifecycle | create, check, resend, cancel, status, reset_subject |
//! | [`CounterStore`] | rate and spend counters | reserve, release, counts |
//! | [`DeliveryStore`] | message links for delivery reports | link_message, record_delivery |
//!
//! Besides, provided methods a store may answer to go faster (the defaults are always
//! correct): [`ChallengeStore::groups_by_subject`], [`ChallengeStore::keeps_subject`]
//! and [`ChallengeStore::next_place`].
//!
//! [`Store`] is all three; the verifier holds one (as a [`SharedStore`]). Every state
//! change of a challenge is one atomic operation of the store, so limits hold under
//! concurrency and across app instances: the verifier never reads a record, decides,
//! and writes it back. Keys are typed ([`CounterKey`], [`MessageKey`]) and built by the
//! verifier from keyed indexes.
//!
//! | store | feature | for |
//! |---|---|---|
//! | [`MemoryStore`] | always | one process; the default; bounded in every table |
//! | `RedisStore` | `redis` | several app instances sharing one Redis or a Redis Cluster; one round trip per operation, one hash slot per step |
//! | `PostgresStore` | `postgres` | several app instances sharing the app's PostgreSQL; one statement per operation |
//!
//! Every store, ours and yours, should pass the conformance suite in
//! `smsotp::testing` (feature `testing`); MemoryStore runs it under a plain
//! `cargo test`.

mod error;
mod keys;
mod memory;
mod new_id;
#[cfg(feature = "postgres")]
mod postgres;
mod records;
#[cfg(feature = "redis")]
mod redis;
mod shared;

use std::sync::Arc;

use time::OffsetDateTime;

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use self::postgres::{PostgresConfigError, PostgresStore, PostgresStoreBuilder, Purged};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{RedisConfigError, RedisStore, RedisStoreBuilder};
/// The connection pool crate [`PostgresStore::with_pool`] takes (deadpool-postgres,
/// with tokio-postgres inside as `deadpool_postgres::tokio_postgres`), re-exported so an
/// app builds its pool with exactly the versions this crate uses.
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use deadpool_postgres;
pub use error::StoreError;
pub use keys::{CounterKey, MessageKey, Scope};
pub use memory::{DEFAULT_CAPACITY, MemoryStore};
pub use new_id::new_id;
pub use records::{
    Allowance, BindingTag, CheckOutcome, CheckRequest, DeliveryRecord, Digest, NewChallenge,
    RateDecision, RateLimit, ResendOutcome, ResendRequest, SubjectCeiling, SubjectGuard, Timeline,
};
pub use shared::SharedStore;

use crate::challenge::{ChallengeId, Status};

/// The challenge lifecycle. Each method is one atomic step.
///
/// Stores hold only digests and keyed tags: never a code, never a phone number.
#[async_trait::async_trait]
pub trait ChallengeStore: Send + Sync + std::fmt::Debug + 'static {
    /// Saves a new challenge, which the store may forget after its `purge_at`.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the id exists, [`StoreError::Full`] at capacity,
    /// other variants when the store cannot be reached.
    async fn create(&self, challenge: &NewChallenge) -> Result<(), StoreError>;

    /// Checks a code, as one atomic step: a missing challenge, or one bound to another
    /// binding than `request.binding`, is `NotFound` and nothing changes; at or past
    /// `expires_at` it is `Expired`; with no attempts left it is `Locked`; when the
    /// request's subject has reached its failure ceiling it is `SubjectLocked`;
    /// otherwise one attempt is counted *before* comparing, and the challenge is
    /// consumed (deleted) when any candidate equals any digest it holds (compared in
    /// constant time). A rejection adds one to the subject's failures; an approval
    /// clears them.
    ///
    /// # Errors
    /// When the store cannot be reached or answers nonsense. Never an approval.
    async fn check(
        &self,
        id: &ChallengeId,
        request: &CheckRequest,
    ) -> Result<CheckOutcome, StoreError>;

    /// Adds the digest of a newly sent code, as one atomic step. `NotFound` (nothing
    /// changes) for another binding; refused while the cooldown runs, when the send cap
    /// is reached, and when the challenge is expired or locked. The attempt count and
    /// `expires_at` are left as they are; the last delivery report is handed back in
    /// the outcome and cleared, since it was about the previous message.
    ///
    /// # Errors
    /// When the store cannot be reached or answers nonsense.
    async fn resend(
        &self,
        id: &ChallengeId,
        request: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError>;

    /// Deletes a challenge; `true` if it existed.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn cancel(&self, id: &ChallengeId) -> Result<bool, StoreError>;

    /// Reads where a challenge stands, or `None` if the store does not hold it.
    ///
    /// # Errors
    /// When the store cannot be reached or answers nonsense.
    async fn status(
        &self,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError>;

    /// Forgets a subject's failed checks (an administrator's unlock).
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn reset_subject(&self, subject: &CounterKey) -> Result<(), StoreError>;

    /// [`status`](Self::status) as `binding` sees it: `None` also for a challenge bound
    /// to another binding, decided in the same read. The verifier reads it before a
    /// resend, so a resend for another binding is refused before any control runs: no
    /// limit is reserved, and the app's risk check is never asked about a number a
    /// stranger chose.
    ///
    /// Default: [`status`](Self::status), which cannot tell bindings apart. A store
    /// that keeps it stays safe (its [`resend`](Self::resend) still refuses another
    /// binding, and what the controls reserved is given back) but lets the controls run
    /// first, and fails the conformance suite's
    /// [`status_for_is_bound`](crate::testing::status_for_is_bound). Every bundled
    /// store overrides it.
    ///
    /// # Errors
    /// As [`status`](Self::status).
    async fn status_for(
        &self,
        id: &ChallengeId,
        binding: &BindingTag,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        let _ = binding;
        self.status(id, now).await
    }

    /// Whether the store wants a subject's challenges placed together: the verifier
    /// then makes ids with [`ChallengeId::grouped`], whose
    /// [`group`](ChallengeId::group) is the same for every challenge of a subject (so a
    /// Redis Cluster store can keep a challenge and its subject's failure counter in
    /// one hash slot). Default: `false`: ids are random, or [placed](Self::next_place).
    ///
    /// A store that answers `true` may treat a [`check`](Self::check) whose subject
    /// guard is of another group than the id as a check with another binding
    /// (`NotFound`, nothing changes): the verifier never makes such an id, since the
    /// binding, and so the subject, of a challenge never changes.
    fn groups_by_subject(&self) -> bool {
        false
    }

    /// Whether the store keeps [`NewChallenge::subject`] with the challenge and, for a
    /// check with [`CheckRequest::kept_subject`] (and no `subject`), applies that ceiling
    /// to the kept subject's failure counter exactly as it would apply a
    /// [`SubjectGuard`] naming it. The verifier then names the subject once, at
    /// `create`, instead of computing its key on every check. Default: `false`: every
    /// check carries the full guard, and `NewChallenge::subject` may be ignored.
    fn keeps_subject(&self) -> bool {
        false
    }

    /// Where the store will keep a new challenge, if it wants to say so in the id:
    /// the verifier then makes the id with [`ChallengeId::placed`], 128 bits from the
    /// CSPRNG followed by this place, and hands it to [`create`](Self::create).
    /// Used when the store does not [group by subject](Self::groups_by_subject).
    /// Default: `None`: fully random ids.
    ///
    /// [`MemoryStore`] names the slot freed last, so a new challenge lands in memory
    /// already in cache. The randomness of an id is not the store's to choose: it only
    /// names a place, and [`create`](Self::create) must still take any id, including
    /// one it did not place and one whose place was taken by a racing create since.
    ///
    /// It runs on every start, before anything is known to be sent: it must not block
    /// or do I/O, and it must reserve nothing, since a refused start never creates the
    /// challenge. The place is visible to whoever holds the id (for `MemoryStore`, a
    /// slot number: roughly how many challenges its shard held at once). A wrapper
    /// store must forward it, or it quietly falls back to random ids.
    fn next_place(&self) -> Option<u32> {
        None
    }
}

/// Fixed-window counters: send limits and the spend cap. Each method is one atomic
/// step.
#[async_trait::async_trait]
pub trait CounterStore: Send + Sync + std::fmt::Debug + 'static {
    /// Reserves one use against every limit in `limits`, as one atomic step: if any
    /// limit would go over, nothing is counted and the first such limit is reported
    /// with the time its window ends. Windows are fixed, starting at the first counted
    /// use.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn reserve(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError>;

    /// Gives back what [`reserve`](Self::reserve) took at `reserved_at` for a use that
    /// did not happen, as one atomic step: each counter goes down by its limit's cost
    /// (never below zero) if its window is still the one that held `reserved_at`; a
    /// window that has since ended has nothing to give back.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn release(
        &self,
        limits: &[RateLimit],
        reserved_at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Reads the current window's count of each counter (0 when absent or past its
    /// window), without counting anything.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn counts(
        &self,
        keys: &[CounterKey],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError>;
}

/// Links from providers' messages to challenges, for delivery reports.
#[async_trait::async_trait]
pub trait DeliveryStore: Send + Sync + std::fmt::Debug + 'static {
    /// Remembers that `message` carries a code of challenge `id`, for as long as the
    /// store holds the challenge, so a delivery report can find it. Does nothing if the
    /// challenge is gone.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn link_message(
        &self,
        message: &MessageKey,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Records a delivery report for the challenge linked to `message` and returns that
    /// challenge, or `None` when no held challenge is linked. A report that gets less
    /// far than the one held ([`DeliveryStatus::progress`](crate::DeliveryStatus::progress):
    /// a stale or replayed `Failed` after `Delivered`) leaves the held one, as one
    /// atomic step.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn record_delivery(
        &self,
        message: &MessageKey,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError>;
}

/// The whole store contract: what a [`Verifier`](crate::Verifier) needs. Implemented
/// for every type that implements the three parts.
pub trait Store: ChallengeStore + CounterStore + DeliveryStore {}

impl<T: ChallengeStore + CounterStore + DeliveryStore + ?Sized> Store for T {}

macro_rules! forward_store {
    ($ty:ty) => {
        #[deny(clippy::missing_trait_methods)]
        #[async_trait::async_trait]
        impl<S: ChallengeStore + ?Sized> ChallengeStore for $ty {
            async fn create(&self, challenge: &NewChallenge) -> Result<(), StoreError> {
                (**self).create(challenge).await
            }
            async fn check(
                &self,
                id: &ChallengeId,
                request: &CheckRequest,
            ) -> Result<CheckOutcome, StoreError> {
                (**self).check(id, request).await
            }
            async fn resend(
                &self,
                id: &ChallengeId,
                request: &ResendRequest,
            ) -> Result<ResendOutcome, StoreError> {
                (**self).resend(id, request).await
            }
            async fn cancel(&self, id: &ChallengeId) -> Result<bool, StoreError> {
                (**self).cancel(id).await
            }
            async fn status(
                &self,
                id: &ChallengeId,
                now: OffsetDateTime,
            ) -> Result<Option<Status>, StoreError> {
                (**self).status(id, now).await
            }
            async fn reset_subject(&self, subject: &CounterKey) -> Result<(), StoreError> {
                (**self).reset_subject(subject).await
            }
            async fn status_for(
                &self,
                id: &ChallengeId,
                binding: &BindingTag,
                now: OffsetDateTime,
            ) -> Result<Option<Status>, StoreError> {
                (**self).status_for(id, binding, now).await
            }
            fn groups_by_subject(&self) -> bool {
                (**self).groups_by_subject()
            }
            fn keeps_subject(&self) -> bool {
                (**self).keeps_subject()
            }
            fn next_place(&self) -> Option<u32> {
                (**self).next_place()
            }
        }

        #[deny(clippy::missing_trait_methods)]
        #[async_trait::async_trait]
        impl<S: CounterStore + ?Sized> CounterStore for $ty {
            async fn reserve(
                &self,
                limits: &[RateLimit],
                now: OffsetDateTime,
            ) -> Result<RateDecision, StoreError> {
                (**self).reserve(limits, now).await
            }
            async fn release(
                &self,
                limits: &[RateLimit],
                reserved_at: OffsetDateTime,
            ) -> Result<(), StoreError> {
                (**self).release(limits, reserved_at).await
            }
            async fn counts(
                &self,
                keys: &[CounterKey],
                now: OffsetDateTime,
            ) -> Result<Vec<u64>, StoreError> {
                (**self).counts(keys, now).await
            }
        }

        #[deny(clippy::missing_trait_methods)]
        #[async_trait::async_trait]
        impl<S: DeliveryStore + ?Sized> DeliveryStore for $ty {
            async fn link_message(
                &self,
                message: &MessageKey,
                id: &ChallengeId,
                now: OffsetDateTime,
            ) -> Result<(), StoreError> {
                (**self).link_message(message, id, now).await
            }
            async fn record_delivery(
                &self,
                message: &MessageKey,
                report: &DeliveryRecord,
                now: OffsetDateTime,
            ) -> Result<Option<ChallengeId>, StoreError> {
                (**self).record_delivery(message, report, now).await
            }
        }
    };
}

forward_store!(Arc<S>);
forward_store!(Box<S>);
