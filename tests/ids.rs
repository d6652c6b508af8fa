//! Challenge ids keep at least 128 bits straight from the CSPRNG however a store places
//! them: shared/reference/security.md V11 (after ASVS v5 11.5.1) asks that of every
//! opaque token, and holding an id is what lets someone check codes against it.
//!
//! A store may name where it keeps a record in the id (the memory store's slot, a
//! Redis Cluster store's group of a subject), but only in bits beyond those 128.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::login;
use smsotp::store::MemoryStore;
use smsotp::transport::RecordingTransport;
use smsotp::{ChallengeId, Secret, Verifier};

/// How many of an id's byte positions look random over `ids`: each took at least
/// 150 distinct values (uniform bytes over 2,000 samples take about 255; a byte a store
/// fixed, or a small slot number, takes a handful).
fn random_looking_bytes(ids: &[ChallengeId]) -> usize {
    let width = ids[0].as_bytes().len();
    (0..width)
        .filter(|&at| {
            let seen: HashSet<u8> = ids.iter().map(|id| id.as_bytes()[at]).collect();
            seen.len() >= 150
        })
        .count()
}

#[test]
fn grouped_ids_keep_128_random_bits() {
    let ids: Vec<ChallengeId> = (0..2_000).map(|_| ChallengeId::grouped(0xbeef)).collect();
    assert!(ids.iter().all(|id| id.group() == 0xbeef));
    assert!(
        random_looking_bytes(&ids) >= 16,
        "a grouped id keeps 16 random bytes besides its group: {}",
        random_looking_bytes(&ids)
    );
}

#[tokio::test]
async fn memory_store_ids_keep_128_random_bits() {
    // Started and cancelled in turn, so the store places every new challenge where the
    // last one was: whatever names that place is the same in every id.
    let store = Arc::new(MemoryStore::with_capacity(100));
    let verifier = Verifier::builder(Secret::new(vec![7u8; 32]).unwrap())
        .shared_store(store)
        .transport(RecordingTransport::new())
        .send_limits(smsotp::policy::SendLimits::none())
        .build()
        .unwrap();
    let who = login("090-1234-5678");
    let mut ids = Vec::new();
    for _ in 0..2_000 {
        let pending = verifier.start(&who).await.unwrap();
        verifier.cancel(&pending.id).await.unwrap();
        ids.push(pending.id);
    }
    assert!(
        random_looking_bytes(&ids) >= 16,
        "the memory store's ids keep 16 random bytes: {}",
        random_looking_bytes(&ids)
    );
}

#[test]
fn text_form_is_27_url_safe_characters_and_round_trips() {
    for id in [ChallengeId::random(), ChallengeId::grouped(7)] {
        let text = id.to_string();
        assert_eq!(text.len(), 27, "160 bits, URL-safe base64 without padding");
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(text.parse::<ChallengeId>(), Ok(id));
    }
}

#[test]
fn malformed_ids_are_refused() {
    let good = ChallengeId::random().to_string();
    let mut cases = vec![
        String::new(),
        good[..22].to_owned(),  // the old, 128-bit form
        format!("{good}A"),     // one too long
        good.replace('A', "+"), // standard, not URL-safe, base64
        format!("{}=", &good[..26]),
    ];
    // The last character carries 2 bits beyond the 160: a form with them set is not
    // the canonical text of any id.
    let mut non_canonical = good[..26].to_owned();
    non_canonical.push('B');
    cases.push(non_canonical);
    for text in cases {
        if text == good {
            continue;
        }
        assert!(
            text.parse::<ChallengeId>().is_err(),
            "{text:?} is not an id"
        );
    }
}
