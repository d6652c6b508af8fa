//! Where each record lives: the key names, and so the Redis Cluster hash slots.
//!
//! The part of a key in braces is its hash tag: keys with the same tag share a slot,
//! and a script may only touch keys of one slot. The tags are chosen so that what one
//! operation must change together shares a slot, and nothing every request touches
//! shares one:
//!
//! | key | tag | holds |
//! |---|---|---|
//! | `<prefix>:{<group>}:<id>` | the challenge id's 16-bit group (4 hex digits) | a challenge: digests, times, counts, last delivery report |
//! | `<prefix>:{<group>}:f:<counter>` | the subject counter's group, the same as its challenges' | a subject's consecutive failures |
//! | `<prefix>:{r:<counter>}` | the counter's own name | one rate or spend counter |
//! | `<prefix>:{m:<provider>:<message id>}` | the message | which challenge a provider's message belongs to |
//!
//! The verifier makes a subject's challenge ids with
//! [`ChallengeId::grouped`](crate::ChallengeId::grouped)`(subject.group())` because the
//! store asks for it ([`groups_by_subject`](crate::store::ChallengeStore::groups_by_subject)),
//! so a check and its subject's ceiling are one script in one slot. 65,536 groups over
//! 16,384 slots spread subjects (and their challenges) evenly across primaries.

use std::fmt::Write as _;

use crate::challenge::ChallengeId;
use crate::store::{CounterKey, MessageKey};

/// Length of `{gggg}:`: where a challenge id starts in a link's value.
const TAG_AND_COLON: usize = 7;

pub(super) fn challenge_key(prefix: &str, id: &ChallengeId) -> String {
    // `:{gggg}:` and the id's 27 characters.
    let mut key = String::with_capacity(prefix.len() + 8 + 27);
    // Writing to a String cannot fail.
    let _ = write!(key, "{prefix}:{{{:04x}}}:{id}", id.group());
    key
}

pub(super) fn subject_key(prefix: &str, subject: &CounterKey) -> String {
    format!("{prefix}:{{{:04x}}}:f:{subject}", subject.group())
}

pub(super) fn rate_key(prefix: &str, counter: &CounterKey) -> String {
    format!("{prefix}:{{r:{counter}}}")
}

pub(super) fn link_key(prefix: &str, message: &MessageKey) -> String {
    format!("{prefix}:{{m:{message}}}")
}

/// What a link holds: the challenge's key without the prefix, so the single-server
/// delivery script can name the challenge and the cluster path can check it.
pub(super) fn link_value(id: &ChallengeId) -> String {
    format!("{{{:04x}}}:{id}", id.group())
}

/// Whether a link's value names a challenge by an id from before 20-byte ids.
pub(super) fn is_legacy_link(value: &[u8]) -> bool {
    std::str::from_utf8(value).ok().is_some_and(|text| {
        text.starts_with('{')
            && text.get(5..TAG_AND_COLON) == Some("}:")
            && text
                .get(TAG_AND_COLON..)
                .is_some_and(crate::challenge::legacy::is_text)
    })
}

/// The challenge a link's value names, if it is one `link_value` wrote.
pub(super) fn linked_id(value: &[u8]) -> Option<ChallengeId> {
    let text = std::str::from_utf8(value).ok()?;
    let id: ChallengeId = text.get(TAG_AND_COLON..)?.parse().ok()?;
    (link_value(&id) == text).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Scope;
    use redis::cluster_routing::Slot;

    #[test]
    fn a_challenge_and_its_subject_share_a_slot() {
        let subject = CounterKey::new(Scope::Subject, "b2f0c1d9e8a7");
        let id = ChallengeId::grouped(subject.group());
        assert_eq!(
            Slot::for_key(challenge_key("app", &id)),
            Slot::for_key(subject_key("app", &subject))
        );
    }

    #[test]
    fn counters_spread_over_slots() {
        let slots: std::collections::HashSet<_> = ["d:a", "d:b", "c:a", "g", "spend"]
            .iter()
            .map(|name| Slot::for_key(rate_key("app", &CounterKey::from(*name))))
            .collect();
        assert!(slots.len() >= 4, "{slots:?}");
    }

    #[test]
    fn link_values_round_trip() {
        let id = ChallengeId::grouped(0xbeef);
        assert_eq!(linked_id(link_value(&id).as_bytes()), Some(id));
        assert_eq!(linked_id(b"{beef}:nonsense"), None);
        let other = ChallengeId::grouped(0x0001);
        let forged = format!("{{beef}}:{other}");
        assert_eq!(linked_id(forged.as_bytes()), None);
    }
}
