//! The id of a new challenge: the one rule the verifier follows, public so that a
//! store's tests (and the conformance suite) make ids exactly as the verifier would.

use super::{ChallengeStore, CounterKey};
use crate::challenge::ChallengeId;

/// An id for a new challenge of `subject` in `store`: in the subject's group when the
/// store [groups by subject](ChallengeStore::groups_by_subject) and the subject is
/// known, else in the store's [next place](ChallengeStore::next_place), else random.
/// Every form keeps at least 128 bits from the CSPRNG.
pub fn new_id<S: ChallengeStore + ?Sized>(store: &S, subject: Option<&CounterKey>) -> ChallengeId {
    match subject {
        Some(subject) if store.groups_by_subject() => ChallengeId::grouped(subject.group()),
        _ => store
            .next_place()
            .map_or_else(ChallengeId::random, ChallengeId::placed),
    }
}
