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

/// What a link (or the single-server delivery script's reply) names.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Linked {
    /// A challenge of this version.
    Challenge(ChallengeId),
    /// A challenge from before ids were 20 bytes (see `challenge::legacy`): none this
    /// version can check.
    Legacy,
    /// Nothing this crate writes.
    Unreadable,
}

/// What an id's text names: the reply of the single-server delivery script, or the
/// part of a link after its tag.
pub(super) fn linked_text(text: &str) -> Linked {
    match text.parse() {
        Ok(id) => Linked::Challenge(id),
        Err(_) if crate::challenge::legacy::is_text(text) => Linked::Legacy,
        Err(_) => Linked::Unreadable,
    }
}

/// What a link's value names, if it is one `link_value` wrote (or an earlier version
/// did, with its shorter id).
pub(super) fn linked(value: &[u8]) -> Linked {
    let Some((text, id)) = std::str::from_utf8(value)
        .ok()
        .and_then(|text| Some((text, text.get(TAG_AND_COLON..)?)))
    else {
        return Linked::Unreadable;
    };
    let tagged = text.starts_with('{') && text.get(5..TAG_AND_COLON) == Some("}:");
    match linked_text(id) {
        Linked::Challenge(id) if link_value(&id) == text => Linked::Challenge(id),
        Linked::Legacy if tagged => Linked::Legacy,
        _ => Linked::Unreadable,
    }
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
        assert_eq!(linked(link_value(&id).as_bytes()), Linked::Challenge(id));
        assert_eq!(linked(b"{beef}:nonsense"), Linked::Unreadable);
        assert_eq!(linked(b"{beef}:q83vEjRWeJq83vEjRWeJqw"), Linked::Legacy);
        assert_eq!(linked(b"beef:::q83vEjRWeJq83vEjRWeJqw"), Linked::Unreadable);
        let other = ChallengeId::grouped(0x0001);
        let forged = format!("{{beef}}:{other}");
        assert_eq!(linked(forged.as_bytes()), Linked::Unreadable);
    }
}
