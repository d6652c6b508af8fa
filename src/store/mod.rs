//! Where challenges live: the [`ChallengeStore`] trait and its records.
//!
//! Every state change of a challenge is one atomic operation of the store, so limits
//! hold under concurrency and across app instances. The verifier never reads a record,
//! decides, and writes it back.
//!
//! | store | feature | for |
//! |---|---|---|
//! | [`MemoryStore`] | always | one process; the default |
//! | `RedisStore` | `redis` | several app instances sharing one Redis; one round trip per operation |
//!
//! Every store, ours and yours, should pass the conformance suite in
//! `smsotp::testing` (feature `testing`).

mod error;
mod memory;
mod records;
#[cfg(feature = "redis")]
mod redis;

use std::sync::Arc;

use time::OffsetDateTime;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::{RedisConfigError, RedisStore, RedisStoreBuilder};
pub use error::StoreError;
pub use memory::{DEFAULT_CAPACITY, MemoryStore};
pub use records::{
    BindingTag, CheckOutcome, CheckRequest, DeliveryRecord, Digest, NewChallenge, RateDecision,
    RateLimit, ResendOutcome, ResendRequest, SubjectGuard,
};

use crate::challenge::{ChallengeId, Status};

/// Storage for challenges and rate counters. Each method is one atomic step.
///
/// Stores hold only digests: never a code, never a phone number.
#[async_trait::async_trait]
pub trait ChallengeStore: Send + Sync + std::fmt::Debug + 'static {
    /// Saves a new challenge, which the store may forget after `challenge.purge_at`.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if the id exists, [`StoreError::Full`] at capacity,
    /// other variants when the store cannot be reached.
    async fn create(&self, challenge: &NewChallenge) -> Result<(), StoreError>;

    /// Checks a code, as one atomic step: a missing challenge is `NotFound`; at or past
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

    /// Adds the digest of a newly sent code, as one atomic step. Refused while the
    /// cooldown runs, when the send cap is reached, when the challenge is expired or
    /// locked, and (as `NotFound`) when none of `request.bindings` matches. The
    /// attempt count and `expires_at` are left as they are.
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
    async fn reset_subject(&self, key: &str) -> Result<(), StoreError>;

    /// Reads the current window's count of each counter `hit` keeps (0 when absent or
    /// past its window), without counting anything.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn counts(&self, keys: &[String], now: OffsetDateTime) -> Result<Vec<u64>, StoreError>;

    /// Remembers that the provider's message `message_key` carries a code of challenge
    /// `id`, for as long as the store holds the challenge, so a delivery report can find
    /// it. Does nothing if the challenge is gone.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn link_message(
        &self,
        message_key: &str,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Records a delivery report for the challenge linked to `message_key` and returns
    /// that challenge, or `None` when no held challenge is linked.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn record_delivery(
        &self,
        message_key: &str,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError>;

    /// Counts one use against every limit in `limits`, as one atomic step: if any limit
    /// would go over, nothing is counted and the first such limit is reported with the
    /// time its window ends. Windows are fixed, starting at the first counted use.
    ///
    /// # Errors
    /// When the store cannot be reached.
    async fn hit(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError>;
}

macro_rules! forward_store {
    ($ty:ty) => {
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
            async fn reset_subject(&self, key: &str) -> Result<(), StoreError> {
                (**self).reset_subject(key).await
            }
            async fn counts(
                &self,
                keys: &[String],
                now: OffsetDateTime,
            ) -> Result<Vec<u64>, StoreError> {
                (**self).counts(keys, now).await
            }
            async fn link_message(
                &self,
                message_key: &str,
                id: &ChallengeId,
                now: OffsetDateTime,
            ) -> Result<(), StoreError> {
                (**self).link_message(message_key, id, now).await
            }
            async fn record_delivery(
                &self,
                message_key: &str,
                report: &DeliveryRecord,
                now: OffsetDateTime,
            ) -> Result<Option<ChallengeId>, StoreError> {
                (**self).record_delivery(message_key, report, now).await
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
            async fn hit(
                &self,
                limits: &[RateLimit],
                now: OffsetDateTime,
            ) -> Result<RateDecision, StoreError> {
                (**self).hit(limits, now).await
            }
        }
    };
}

forward_store!(Arc<S>);
forward_store!(Box<S>);
