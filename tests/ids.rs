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

/// Whether the id byte at `at` looks random over `ids`: it took at least 150
/// distinct values (uniform bytes over 2,000 samples take about 255; a byte a store
/// fixed, or a small slot number, takes a handful).
fn looks_random(ids: &[ChallengeId], at: usize) -> bool {
    let seen: HashSet<u8> = ids.iter().map(|id| id.as_bytes()[at]).collect();
    seen.len() >= 150
}

/// The first 16 bytes are the ones that must be random, whatever a store does with
/// the rest: the byte positions among them that do not look random.
fn fixed_in_first_16(ids: &[ChallengeId]) -> Vec<usize> {
    (0..16).filter(|&at| !looks_random(ids, at)).collect()
}

#[test]
fn grouped_ids_keep_128_random_bits() {
    let ids: Vec<ChallengeId> = (0..2_000).map(|_| ChallengeId::grouped(0xbeef)).collect();
    assert!(ids.iter().all(|id| id.group() == 0xbeef));
    assert_eq!(
        fixed_in_first_16(&ids),
        Vec::<usize>::new(),
        "a grouped id's first 16 bytes are random"
    );
    assert!(
        (18..20).all(|at| looks_random(&ids, at)),
        "and so are its last 2"
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
    assert_eq!(
        fixed_in_first_16(&ids),
        Vec::<usize>::new(),
        "the memory store's ids keep their first 16 bytes random"
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
    // The last character carries 2 bits beyond the 160: with them set, the text is not
    // the canonical form of any id.
    let mut non_canonical = good[..26].to_owned();
    non_canonical.push('B');
    let cases = [
        String::new(),
        good[..22].to_owned(),            // the old, 128-bit form
        format!("{good}A"),               // one too long
        format!("+{}", &good[1..]),       // standard, not URL-safe, base64
        format!("{}=", &good[..26]),      // padded
        format!("{}\u{e9}", &good[..25]), // not ASCII, right byte length
        non_canonical,
    ];
    for text in cases {
        assert!(
            text.parse::<ChallengeId>().is_err(),
            "{text:?} is not an id"
        );
    }
}
