//! A store as a verifier holds it.

use std::any::Any;
use std::sync::Arc;

use time::OffsetDateTime;

use super::{
    BindingTag, ChallengeStore, CheckOutcome, CheckRequest, CounterKey, DeliveryRecord,
    MemoryStore, MessageKey, NewChallenge, RateDecision, RateLimit, ResendOutcome, ResendRequest,
    Store, StoreError,
};
use crate::challenge::{ChallengeId, Status};

/// A store handed to a verifier: any [`Store`] behind an `Arc`, made from an `Arc<S>`
/// or an `Arc<dyn Store>` (see
/// [`VerifierBuilder::shared_store`](crate::VerifierBuilder::shared_store)).
///
/// The crate's own [`MemoryStore`] is called directly: none of its operations waits,
/// so a call through the trait would only add the boxed future (an allocation) every
/// `async` trait call costs. Every other store is called through the trait.
#[derive(Debug, Clone)]
pub struct SharedStore(Held);

#[derive(Debug, Clone)]
enum Held {
    Memory(Arc<MemoryStore>),
    Other(Arc<dyn Store>),
}

impl<S: Store> From<Arc<S>> for SharedStore {
    /// Sees through one more `Arc` (what `.store(arc)` makes of an `Arc` it is given),
    /// so the memory store is still called directly and any other store through one
    /// boxed call, not two.
    fn from(store: Arc<S>) -> Self {
        let any: Arc<dyn Any + Send + Sync> = store.clone();
        let any = match any.downcast::<MemoryStore>() {
            Ok(memory) => return Self(Held::Memory(memory)),
            Err(any) => any,
        };
        let any = match any.downcast::<Arc<MemoryStore>>() {
            Ok(memory) => return Self(Held::Memory(Arc::clone(&memory))),
            Err(any) => any,
        };
        match any.downcast::<Arc<dyn Store>>() {
            Ok(inner) => Self(Held::Other(Arc::clone(&inner))),
            Err(_) => Self(Held::Other(store)),
        }
    }
}

impl From<Arc<dyn Store>> for SharedStore {
    /// Called through the trait: a `dyn Store` cannot be told apart by type.
    fn from(store: Arc<dyn Store>) -> Self {
        Self(Held::Other(store))
    }
}

/// Each method is the [`Store`] method of the same name.
impl SharedStore {
    pub(crate) async fn create(&self, c: &NewChallenge) -> Result<(), StoreError> {
        match &self.0 {
            Held::Memory(m) => m.create_now(c),
            Held::Other(s) => s.create(c).await,
        }
    }

    pub(crate) async fn check(
        &self,
        id: &ChallengeId,
        request: &CheckRequest,
    ) -> Result<CheckOutcome, StoreError> {
        match &self.0 {
            Held::Memory(m) => m.check_now(id, request),
            Held::Other(s) => s.check(id, request).await,
        }
    }

    pub(crate) async fn resend(
        &self,
        id: &ChallengeId,
        request: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError> {
        match &self.0 {
            Held::Memory(m) => m.resend_now(id, request),
            Held::Other(s) => s.resend(id, request).await,
        }
    }

    pub(crate) async fn cancel(&self, id: &ChallengeId) -> Result<bool, StoreError> {
        match &self.0 {
            Held::Memory(m) => m.cancel_now(id),
            Held::Other(s) => s.cancel(id).await,
        }
    }

    pub(crate) async fn status(
        &self,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        match &self.0 {
            Held::Memory(m) => m.status_now(id, None, now),
            Held::Other(s) => s.status(id, now).await,
        }
    }

    pub(crate) async fn status_for(
        &self,
        id: &ChallengeId,
        binding: &BindingTag,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        match &self.0 {
            Held::Memory(m) => m.status_now(id, Some(binding), now),
            Held::Other(s) => s.status_for(id, binding, now).await,
        }
    }

    pub(crate) async fn reset_subject(&self, key: &CounterKey) -> Result<(), StoreError> {
        match &self.0 {
            Held::Memory(m) => m.reset_subject_now(key),
            Held::Other(s) => s.reset_subject(key).await,
        }
    }

    pub(crate) fn groups_by_subject(&self) -> bool {
        match &self.0 {
            Held::Memory(m) => m.groups_by_subject(),
            Held::Other(s) => s.groups_by_subject(),
        }
    }

    pub(crate) fn keeps_subject(&self) -> bool {
        match &self.0 {
            Held::Memory(m) => m.keeps_subject(),
            Held::Other(s) => s.keeps_subject(),
        }
    }

    /// An id for a new challenge of `subject` (see [`new_id`](super::new_id)).
    pub(crate) fn new_id(&self, subject: Option<&CounterKey>) -> ChallengeId {
        match &self.0 {
            Held::Memory(m) => super::new_id(&**m, subject),
            Held::Other(s) => super::new_id(&**s, subject),
        }
    }

    pub(crate) async fn reserve(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        match &self.0 {
            Held::Memory(m) => m.reserve_now(limits, now),
            Held::Other(s) => s.reserve(limits, now).await,
        }
    }

    pub(crate) async fn release(
        &self,
        limits: &[RateLimit],
        reserved_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        match &self.0 {
            Held::Memory(m) => m.release_now(limits, reserved_at),
            Held::Other(s) => s.release(limits, reserved_at).await,
        }
    }

    pub(crate) async fn counts(
        &self,
        keys: &[CounterKey],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError> {
        match &self.0 {
            Held::Memory(m) => m.counts_now(keys, now),
            Held::Other(s) => s.counts(keys, now).await,
        }
    }

    pub(crate) async fn link_message(
        &self,
        message: &MessageKey,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        match &self.0 {
            Held::Memory(m) => m.link_message_now(message, id, now),
            Held::Other(s) => s.link_message(message, id, now).await,
        }
    }

    pub(crate) async fn record_delivery(
        &self,
        message: &MessageKey,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        match &self.0 {
            Held::Memory(m) => m.record_delivery_now(message, report, now),
            Held::Other(s) => s.record_delivery(message, report, now).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Held, SharedStore};
    use crate::store::{MemoryStore, Store};

    #[test]
    fn the_memory_store_is_called_directly_whichever_way_it_comes() {
        let memory = Arc::new(MemoryStore::new());
        assert!(matches!(
            SharedStore::from(memory.clone()).0,
            Held::Memory(_)
        ));
        // An `Arc` around it (what `.store(arc)` makes) is seen through.
        assert!(matches!(
            SharedStore::from(Arc::new(memory.clone())).0,
            Held::Memory(_)
        ));
        // As a trait object its type is gone: it goes through the trait, still correct.
        let erased: Arc<dyn Store> = memory;
        assert!(matches!(
            SharedStore::from(erased.clone()).0,
            Held::Other(_)
        ));
        // An `Arc` around an `Arc<dyn Store>` is unwrapped to the inner one.
        let SharedStore(Held::Other(inner)) = SharedStore::from(Arc::new(erased.clone())) else {
            panic!("a dyn store is called through the trait");
        };
        assert!(Arc::ptr_eq(&inner, &erased));
    }
}
