//! The store conformance suite: every [`crate::store::Store`] (ours and yours) should pass it.
//!
//! Each function checks one part of the contract and panics with a message saying
//! which, like an assertion. Each uses fresh ids (in the store's `next_place`, as the
//! verifier makes them) and random rate keys, so the functions
//! can run in parallel against one shared store. Times are based on the real clock
//! (stores that expire keys in real time, like Redis, need that) and moved forward
//! by whole minutes at most, within the records' purge time.
//!
//! ```no_run
//! # async fn demo() {
//! use std::sync::Arc;
//! use smsotp::{MemoryStore, Store};
//!
//! let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
//! smsotp::testing::run_all(store).await; // needs a multi-thread tokio runtime
//! # }
//! ```
//!
//! This module is for tests; it is not covered by semver guarantees.
#![allow(clippy::panic, clippy::missing_panics_doc)]

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::challenge::{ChallengeId, DeliveryStatus, Phase};
use crate::clock::{Clock, SystemClock};
use crate::store::{
    Allowance, BindingTag, CheckOutcome, CheckRequest, CounterKey, DeliveryRecord, Digest,
    MessageKey, NewChallenge, RateDecision, RateLimit, ResendOutcome, ResendRequest, Scope, Store,
    SubjectCeiling, SubjectGuard, Timeline, new_id,
};

const MAX_ATTEMPTS: u32 = 5;
const MAX_SENDS: u32 = 3;

/// The fixed shape of a challenge the suite creates.
#[derive(Debug, Clone)]
struct Fixture {
    id: ChallengeId,
    binding: BindingTag,
    digest: Digest,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
    resend_at: OffsetDateTime,
}

fn random_digest() -> Digest {
    let mut d = [0u8; 32];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut d);
    d
}

fn random_tag() -> BindingTag {
    let mut t = [0u8; 16];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut t);
    t
}

fn now() -> OffsetDateTime {
    // Whole milliseconds, as stores keep them.
    let t = SystemClock.now();
    t.replace_nanosecond(u32::from(t.millisecond()) * 1_000_000)
        .unwrap_or(t)
}

/// The suite's challenge times: 5 minutes to live, a 60-second cooldown, remembered 10
/// minutes after expiry.
fn timeline(now: OffsetDateTime) -> Timeline {
    Timeline::new(
        now,
        Duration::minutes(5),
        Duration::seconds(60),
        Duration::minutes(10),
    )
}

fn allowance() -> Allowance {
    Allowance::new(MAX_ATTEMPTS, MAX_SENDS)
}

/// An id in the store's next place, as the verifier makes one for a challenge whose
/// subject is not known.
fn placed_id(store: &dyn Store) -> ChallengeId {
    new_id(store, None)
}

async fn create(store: &dyn Store) -> Fixture {
    create_for(store, None).await
}

/// A challenge of `subject`, with its id made as the verifier would.
async fn create_for(store: &dyn Store, subject: Option<&CounterKey>) -> Fixture {
    let now = now();
    let f = Fixture {
        id: new_id(store, subject),
        binding: random_tag(),
        digest: random_digest(),
        now,
        expires_at: now + Duration::minutes(5),
        resend_at: now + Duration::seconds(60),
    };
    let record = NewChallenge::new(f.id, f.binding, f.digest, timeline(now), allowance());
    store.create(&record).await.expect("create failed");
    f
}

/// Ids in places from [`next_place`](crate::store::ChallengeStore::next_place) are fresh every time
/// and work whatever happens between making one and creating with it: two made before
/// either is created (racing starts), one whose predecessor was cancelled (its place
/// reused), and ids the store did not make, side by side.
pub async fn placed_ids_are_fresh_and_usable(store: &dyn Store) {
    let many: std::collections::HashSet<ChallengeId> = (0..256).map(|_| placed_id(store)).collect();
    assert_eq!(many.len(), 256, "the same id twice");

    let make = |id: ChallengeId, now: OffsetDateTime| {
        NewChallenge::new(
            id,
            random_tag(),
            random_digest(),
            timeline(now),
            allowance(),
        )
    };
    let now = now();
    // Racing starts: both ids made first, then both created.
    let (a, b) = (make(placed_id(store), now), make(placed_id(store), now));
    let foreign = make(ChallengeId::random(), now);
    for record in [&a, &b, &foreign] {
        store.create(record).await.expect("create failed");
    }
    for record in [&a, &b, &foreign] {
        let request = CheckRequest::new(record.binding, vec![record.digest], now);
        let outcome = store
            .check(&record.id, &request)
            .await
            .expect("check failed");
        assert_eq!(
            outcome,
            CheckOutcome::Approved,
            "each id finds its own record"
        );
    }
    // Places reused: every cancelled id stays gone while its successors come and go.
    let mut gone = Vec::new();
    for _ in 0..32 {
        let record = make(placed_id(store), now);
        store.create(&record).await.expect("create failed");
        for old in &gone {
            let status = store.status(old, now).await.expect("status failed");
            assert!(status.is_none(), "a cancelled id found a later challenge");
        }
        let status = store.status(&record.id, now).await.expect("status failed");
        assert!(status.is_some(), "a new challenge must be found");
        assert!(store.cancel(&record.id).await.expect("cancel failed"));
        gone.push(record.id);
    }
}

/// A new challenge reads back as pending with its limits; creating the same id again
/// is a conflict.
pub async fn create_and_status(store: &dyn Store) {
    let f = create(store).await;
    let status = store
        .status(&f.id, f.now)
        .await
        .expect("status failed")
        .expect("a created challenge must be found");
    assert_eq!(status.phase, Phase::Pending);
    assert_eq!(status.expires_at, f.expires_at);
    assert_eq!(status.resend_at, f.resend_at);
    assert_eq!(status.attempts_left, MAX_ATTEMPTS);
    assert_eq!(status.sends_left, MAX_SENDS - 1);

    let again = NewChallenge::new(
        f.id,
        f.binding,
        random_digest(),
        timeline(f.now),
        allowance(),
    );
    assert!(
        matches!(
            store.create(&again).await,
            Err(crate::store::StoreError::Conflict)
        ),
        "creating an existing id must be a Conflict"
    );
    let unknown = store
        .status(&ChallengeId::random(), f.now)
        .await
        .expect("status failed");
    assert!(unknown.is_none(), "an unknown id must have no status");
}

/// The right digest approves once; the challenge is then gone.
pub async fn approve_consumes(store: &dyn Store) {
    let f = create(store).await;
    let ok = store
        .check(&f.id, &CheckRequest::new(f.binding, vec![f.digest], f.now))
        .await
        .expect("check");
    assert_eq!(ok, CheckOutcome::Approved);
    let replay = store
        .check(&f.id, &CheckRequest::new(f.binding, vec![f.digest], f.now))
        .await
        .expect("check");
    assert_eq!(
        replay,
        CheckOutcome::NotFound,
        "approval must consume the challenge"
    );
    let status = store.status(&f.id, f.now).await.expect("status");
    assert!(status.is_none(), "a consumed challenge must have no status");
}

/// Any of several candidates (one per live key) may match.
pub async fn any_candidate_matches(store: &dyn Store) {
    let f = create(store).await;
    let outcome = store
        .check(
            &f.id,
            &CheckRequest::new(f.binding, vec![random_digest(), f.digest], f.now),
        )
        .await
        .expect("check");
    assert_eq!(
        outcome,
        CheckOutcome::Approved,
        "the second candidate matches"
    );
}

/// Wrong digests count down to zero, then the challenge is locked, even for the right
/// digest.
pub async fn attempts_run_out(store: &dyn Store) {
    let f = create(store).await;
    for left in (0..MAX_ATTEMPTS).rev() {
        let outcome = store
            .check(
                &f.id,
                &CheckRequest::new(f.binding, vec![random_digest()], f.now),
            )
            .await
            .expect("check");
        assert_eq!(
            outcome,
            CheckOutcome::Rejected {
                attempts_left: left
            }
        );
    }
    let locked = store
        .check(&f.id, &CheckRequest::new(f.binding, vec![f.digest], f.now))
        .await
        .expect("check");
    assert_eq!(
        locked,
        CheckOutcome::Locked,
        "a locked challenge never approves"
    );
    let status = store.status(&f.id, f.now).await.expect("status");
    assert_eq!(status.map(|s| s.phase), Some(Phase::Locked));
}

/// At and after `expires_at` every check is `Expired`, costs nothing and never approves.
pub async fn expiry_is_hard(store: &dyn Store) {
    let f = create(store).await;
    let just_before = f.expires_at - Duration::milliseconds(1);
    let wrong = store
        .check(
            &f.id,
            &CheckRequest::new(f.binding, vec![random_digest()], just_before),
        )
        .await
        .expect("check");
    assert_eq!(
        wrong,
        CheckOutcome::Rejected {
            attempts_left: MAX_ATTEMPTS - 1
        }
    );
    for at in [f.expires_at, f.expires_at + Duration::minutes(1)] {
        let outcome = store
            .check(&f.id, &CheckRequest::new(f.binding, vec![f.digest], at))
            .await
            .expect("check");
        assert_eq!(
            outcome,
            CheckOutcome::Expired,
            "expired challenges never approve"
        );
    }
    let status = store.status(&f.id, f.expires_at).await.expect("status");
    assert_eq!(status.map(|s| s.phase), Some(Phase::Expired));
    let resend = ResendRequest::new(f.binding, random_digest(), f.expires_at, Duration::ZERO);
    let outcome = store.resend(&f.id, &resend).await.expect("resend");
    assert_eq!(
        outcome,
        ResendOutcome::Expired,
        "a resend cannot revive a challenge"
    );
}

/// A resend adds a digest; old and new codes both work; attempts and expiry carry over;
/// the cooldown and the send cap hold; a wrong binding is `NotFound`.
pub async fn resend_rules(store: &dyn Store) {
    let f = create(store).await;
    let early = ResendRequest::new(f.binding, random_digest(), f.now, Duration::seconds(60));
    assert_eq!(
        store.resend(&f.id, &early).await.expect("resend"),
        ResendOutcome::Cooldown {
            resend_at: f.resend_at
        }
    );
    let wrong = store
        .check(
            &f.id,
            &CheckRequest::new(f.binding, vec![random_digest()], f.now),
        )
        .await
        .expect("check");
    assert_eq!(
        wrong,
        CheckOutcome::Rejected {
            attempts_left: MAX_ATTEMPTS - 1
        }
    );

    let t1 = f.resend_at;
    let second = random_digest();
    let other_binding = ResendRequest::new(random_tag(), second, t1, Duration::seconds(60));
    assert_eq!(
        store.resend(&f.id, &other_binding).await.expect("resend"),
        ResendOutcome::NotFound,
        "a resend for another binding must not touch the challenge"
    );
    let ok = ResendRequest::new(f.binding, second, t1, Duration::seconds(60));
    assert_eq!(
        store.resend(&f.id, &ok).await.expect("resend"),
        ResendOutcome::Resent {
            expires_at: f.expires_at,
            resend_at: t1 + Duration::seconds(60),
            attempts_left: MAX_ATTEMPTS - 1,
            sends_left: MAX_SENDS - 2,
            last_delivery: None,
        },
        "a resend keeps the expiry and the attempt count"
    );
    let t2 = t1 + Duration::seconds(60);
    let third = random_digest();
    let ok = ResendRequest::new(f.binding, third, t2, Duration::seconds(60));
    assert!(matches!(
        store.resend(&f.id, &ok).await.expect("resend"),
        ResendOutcome::Resent { sends_left: 0, .. }
    ));
    let t3 = t2 + Duration::seconds(60);
    let over = ResendRequest::new(f.binding, random_digest(), t3, Duration::seconds(60));
    assert_eq!(
        store.resend(&f.id, &over).await.expect("resend"),
        ResendOutcome::MaxSends
    );

    // The first code, delayed in the network, still approves after two resends.
    let outcome = store
        .check(&f.id, &CheckRequest::new(f.binding, vec![f.digest], t3))
        .await
        .expect("check");
    assert_eq!(
        outcome,
        CheckOutcome::Approved,
        "every code of a live challenge stays valid"
    );
}

/// Every code of a challenge shares one attempt budget, and a locked challenge cannot
/// be resent.
pub async fn resend_keeps_attempts(store: &dyn Store) {
    let f = create(store).await;
    for _ in 0..MAX_ATTEMPTS - 1 {
        store
            .check(
                &f.id,
                &CheckRequest::new(f.binding, vec![random_digest()], f.now),
            )
            .await
            .expect("check");
    }
    let req = ResendRequest::new(
        f.binding,
        random_digest(),
        f.resend_at,
        Duration::seconds(60),
    );
    assert!(matches!(
        store.resend(&f.id, &req).await.expect("resend"),
        ResendOutcome::Resent {
            attempts_left: 1,
            ..
        }
    ));
    let last = store
        .check(
            &f.id,
            &CheckRequest::new(f.binding, vec![random_digest()], f.resend_at),
        )
        .await
        .expect("check");
    assert_eq!(
        last,
        CheckOutcome::Rejected { attempts_left: 0 },
        "a resend must not reset attempts"
    );
    let req = ResendRequest::new(
        f.binding,
        random_digest(),
        f.resend_at + Duration::minutes(2),
        Duration::seconds(60),
    );
    assert_eq!(
        store.resend(&f.id, &req).await.expect("resend"),
        ResendOutcome::Locked
    );
}

/// Cancel removes a challenge once.
pub async fn cancel_removes(store: &dyn Store) {
    let f = create(store).await;
    assert!(store.cancel(&f.id).await.expect("cancel"));
    assert!(!store.cancel(&f.id).await.expect("cancel"));
    let outcome = store
        .check(&f.id, &CheckRequest::new(f.binding, vec![f.digest], f.now))
        .await
        .expect("check");
    assert_eq!(outcome, CheckOutcome::NotFound);
}

fn rate_key(tag: &str) -> CounterKey {
    CounterKey::new(
        Scope::Custom,
        format!("conformance:{tag}:{}", ChallengeId::random()),
    )
}

/// Rate limits: counted up to the limit, denied after with the window end, all or
/// nothing across several limits, reset when the window passes, costs add up.
pub async fn rate_limits(store: &dyn Store) {
    let t0 = now();
    let window = Duration::minutes(10);
    let a = RateLimit::new(rate_key("a"), 3, window);
    let b = RateLimit::new(rate_key("b"), 5, window);
    for _ in 0..3 {
        let d = store
            .reserve(&[a.clone(), b.clone()], t0)
            .await
            .expect("reserve");
        assert_eq!(d, RateDecision::Allowed);
    }
    let d = store
        .reserve(&[b.clone(), a.clone()], t0 + Duration::minutes(1))
        .await
        .expect("reserve");
    assert_eq!(
        d,
        RateDecision::Denied {
            limit: 1,
            retry_at: t0 + window
        },
        "the full limit is named, with its window end"
    );
    // The denial counted nothing: b has exactly 2 left.
    for _ in 0..2 {
        assert_eq!(
            store
                .reserve(std::slice::from_ref(&b), t0)
                .await
                .expect("reserve"),
            RateDecision::Allowed
        );
    }
    assert!(matches!(
        store
            .reserve(std::slice::from_ref(&b), t0)
            .await
            .expect("reserve"),
        RateDecision::Denied { limit: 0, .. }
    ));
    // A new window starts after the old one ends.
    let later = t0 + window;
    assert_eq!(
        store
            .reserve(std::slice::from_ref(&a), later)
            .await
            .expect("reserve"),
        RateDecision::Allowed
    );

    let spend = RateLimit::new(rate_key("spend"), 100, window).with_cost(40);
    assert_eq!(
        store
            .reserve(std::slice::from_ref(&spend), t0)
            .await
            .expect("reserve"),
        RateDecision::Allowed
    );
    assert_eq!(
        store
            .reserve(std::slice::from_ref(&spend), t0)
            .await
            .expect("reserve"),
        RateDecision::Allowed
    );
    assert!(
        matches!(
            store.reserve(&[spend], t0).await.expect("reserve"),
            RateDecision::Denied { .. }
        ),
        "120 units must not fit under 100"
    );
}

/// The subject ceiling holds across challenges: failures add up, a locked subject's
/// checks are refused without counting or comparing, an approval or a reset clears it.
pub async fn subject_ceiling(store: &dyn Store) {
    let subject = rate_key("subject");
    let guard = SubjectGuard::new(subject.clone(), 7, Duration::hours(24));
    let wrong = |f: &Fixture| {
        CheckRequest::new(f.binding, vec![random_digest()], f.now).with_subject(guard.clone())
    };
    // 5 wrong on one challenge, 2 on another: 7 in a row.
    let a = create_for(store, Some(&subject)).await;
    for _ in 0..MAX_ATTEMPTS {
        store.check(&a.id, &wrong(&a)).await.expect("check");
    }
    let b = create_for(store, Some(&subject)).await;
    for _ in 0..2 {
        let outcome = store.check(&b.id, &wrong(&b)).await.expect("check");
        assert!(matches!(outcome, CheckOutcome::Rejected { .. }));
    }
    let right = CheckRequest::new(b.binding, vec![b.digest], b.now).with_subject(guard.clone());
    assert_eq!(
        store.check(&b.id, &right).await.expect("check"),
        CheckOutcome::SubjectLocked,
        "the 8th check of a subject with 7 failures is refused, even with the right code"
    );
    let status = store
        .status(&b.id, b.now)
        .await
        .expect("status")
        .expect("held");
    assert_eq!(
        status.attempts_left,
        MAX_ATTEMPTS - 2,
        "a refused check costs no attempt"
    );
    // Without the subject guard the challenge itself still works (a different subject).
    store.reset_subject(&subject).await.expect("reset");
    assert_eq!(
        store.check(&b.id, &right).await.expect("check"),
        CheckOutcome::Approved
    );

    // An approval clears the count: 6 failures, a success, 6 more are fine.
    let c = create_for(store, Some(&subject)).await;
    for _ in 0..MAX_ATTEMPTS {
        store.check(&c.id, &wrong(&c)).await.expect("check");
    }
    let d = create_for(store, Some(&subject)).await;
    store.check(&d.id, &wrong(&d)).await.expect("check");
    let ok = CheckRequest::new(d.binding, vec![d.digest], d.now).with_subject(guard.clone());
    assert_eq!(
        store.check(&d.id, &ok).await.expect("check"),
        CheckOutcome::Approved
    );
    let e = create_for(store, Some(&subject)).await;
    for _ in 0..MAX_ATTEMPTS {
        let outcome = store.check(&e.id, &wrong(&e)).await.expect("check");
        assert!(
            matches!(outcome, CheckOutcome::Rejected { .. }),
            "count was cleared"
        );
    }
    // The count is forgotten a window after the last failure.
    let f = create_for(store, Some(&subject)).await;
    let late = f.now + Duration::minutes(4);
    let mut expired_guard = guard.clone();
    expired_guard.window = Duration::minutes(1);
    let g = create_for(store, Some(&subject)).await;
    for _ in 0..2 {
        let req = CheckRequest::new(g.binding, vec![random_digest()], g.now)
            .with_subject(expired_guard.clone());
        store.check(&g.id, &req).await.expect("check");
    }
    let req = CheckRequest::new(f.binding, vec![f.digest], late).with_subject(guard.clone());
    assert_eq!(
        store.check(&f.id, &req).await.expect("check"),
        CheckOutcome::Approved
    );

    // A store that groups ids by subject may refuse, as another binding, a guarded
    // check of an id outside the subject's group: the verifier never makes one.
    if store.groups_by_subject() {
        let h = create_for(store, Some(&subject)).await;
        let stranger = std::iter::repeat_with(|| rate_key("stranger"))
            .find(|k| k.group() != subject.group())
            .expect("another group");
        let guard = SubjectGuard::new(stranger, 7, Duration::hours(24));
        let req = CheckRequest::new(h.binding, vec![h.digest], h.now).with_subject(guard);
        assert_eq!(
            store.check(&h.id, &req).await.expect("check"),
            CheckOutcome::NotFound
        );
        let status = store.status(&h.id, h.now).await.expect("status");
        assert_eq!(
            status.expect("still held").attempts_left,
            MAX_ATTEMPTS,
            "a check of another group's id changes nothing"
        );
    }
}

/// For a store that keeps the subject with the challenge
/// ([`keeps_subject`](crate::store::ChallengeStore::keeps_subject)); others skip it. A
/// check carrying only the ceiling ([`CheckRequest::kept_subject`]) counts against the
/// subject named at `create`: the same count a guard naming that subject reads and
/// adds to, refused at the ceiling even with the right code, cleared by
/// `reset_subject`.
pub async fn kept_subject_ceiling(store: &dyn Store) {
    if !store.keeps_subject() {
        return;
    }
    let subject = rate_key("kept");
    let window = Duration::hours(24);
    let guard = SubjectGuard::new(subject.clone(), 4, window);
    let kept = |f: &Fixture, digest: Digest| {
        CheckRequest::new(f.binding, vec![digest], f.now)
            .with_kept_subject(SubjectCeiling::new(4, window))
    };
    let create_kept = || async {
        let now = now();
        let f = Fixture {
            id: new_id(store, Some(&subject)),
            binding: random_tag(),
            digest: random_digest(),
            now,
            expires_at: now + Duration::minutes(5),
            resend_at: now + Duration::seconds(60),
        };
        let record = NewChallenge::new(f.id, f.binding, f.digest, timeline(now), allowance())
            .with_subject(subject.clone());
        store.create(&record).await.expect("create failed");
        f
    };
    // 3 wrong through the kept subject, 1 through a guard naming it: 4 in a row.
    let a = create_kept().await;
    for _ in 0..3 {
        let outcome = store
            .check(&a.id, &kept(&a, random_digest()))
            .await
            .expect("check");
        assert!(
            matches!(outcome, CheckOutcome::Rejected { .. }),
            "{outcome:?}"
        );
    }
    let b = create_for(store, Some(&subject)).await;
    let wrong = CheckRequest::new(b.binding, vec![random_digest()], b.now).with_subject(guard);
    let outcome = store.check(&b.id, &wrong).await.expect("check");
    assert!(
        matches!(outcome, CheckOutcome::Rejected { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        store
            .check(&a.id, &kept(&a, a.digest))
            .await
            .expect("check"),
        CheckOutcome::SubjectLocked,
        "the kept subject and the guard share one count"
    );
    store.reset_subject(&subject).await.expect("reset");
    assert_eq!(
        store
            .check(&a.id, &kept(&a, a.digest))
            .await
            .expect("check"),
        CheckOutcome::Approved,
        "reset_subject clears the kept subject's count"
    );
}

/// `counts` reads the counters `reserve` keeps, without counting.
pub async fn counts_read_without_counting(store: &dyn Store) {
    let t0 = now();
    let key = rate_key("count");
    let missing = rate_key("missing");
    let limit = RateLimit::new(key.clone(), u64::MAX, Duration::minutes(10)).with_cost(3);
    store
        .reserve(std::slice::from_ref(&limit), t0)
        .await
        .expect("reserve");
    store
        .reserve(std::slice::from_ref(&limit), t0)
        .await
        .expect("reserve");
    let keys = [key.clone(), missing];
    assert_eq!(store.counts(&keys, t0).await.expect("counts"), vec![6, 0]);
    assert_eq!(
        store.counts(&keys, t0).await.expect("counts"),
        vec![6, 0],
        "reading counts nothing"
    );
    let after = t0 + Duration::minutes(10);
    assert_eq!(
        store.counts(&keys, after).await.expect("counts"),
        vec![0, 0],
        "windows end"
    );
}

/// Delivery reports find their challenge through the message link, show in `status`,
/// and come back with the next resend.
pub async fn delivery_reports(store: &dyn Store) {
    let f = create(store).await;
    let message = MessageKey::new("test", &ChallengeId::random().to_string());
    store
        .link_message(&message, &f.id, f.now)
        .await
        .expect("link");
    let report = DeliveryRecord::new(DeliveryStatus::Failed { permanent: false }, "route-a");
    let found = store
        .record_delivery(&message, &report, f.now)
        .await
        .expect("record");
    assert_eq!(found, Some(f.id));
    let status = store
        .status(&f.id, f.now)
        .await
        .expect("status")
        .expect("held");
    assert_eq!(
        status.delivery,
        Some(DeliveryStatus::Failed { permanent: false })
    );
    let req = ResendRequest::new(
        f.binding,
        random_digest(),
        f.resend_at,
        Duration::seconds(60),
    );
    match store.resend(&f.id, &req).await.expect("resend") {
        ResendOutcome::Resent { last_delivery, .. } => assert_eq!(last_delivery, Some(report)),
        other => panic!("expected a resend, got {other:?}"),
    }
    let unknown = store
        .record_delivery(
            &MessageKey::new("test", "unknown"),
            &DeliveryRecord::new(DeliveryStatus::Delivered, "x"),
            f.now,
        )
        .await
        .expect("record");
    assert_eq!(unknown, None, "an unlinked message finds nothing");
    store.cancel(&f.id).await.expect("cancel");
    let gone = store
        .record_delivery(
            &message,
            &DeliveryRecord::new(DeliveryStatus::Delivered, "route-a"),
            f.now,
        )
        .await
        .expect("record");
    assert_eq!(
        gone, None,
        "a report for a finished challenge finds nothing"
    );
}

/// Checks one challenge `n` times at once with `candidate`, and returns the outcomes.
async fn race_checks(
    store: &Arc<dyn Store>,
    f: &Fixture,
    n: usize,
    candidate: impl Fn() -> Digest,
) -> Vec<CheckOutcome> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (store, id) = (store.clone(), f.id);
            let request = CheckRequest::new(f.binding, vec![candidate()], f.now);
            tokio::spawn(async move { store.check(&id, &request).await })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    for task in tasks {
        outcomes.push(task.await.expect("task panicked").expect("check failed"));
    }
    outcomes
}

/// 200 concurrent wrong checks of one challenge count exactly `max_attempts` attempts.
pub async fn concurrent_wrong_checks(store: Arc<dyn Store>) {
    let f = create(&*store).await;
    let mut rejected = 0;
    for outcome in race_checks(&store, &f, 200, random_digest).await {
        match outcome {
            CheckOutcome::Rejected { .. } => rejected += 1,
            CheckOutcome::Locked => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(
        rejected, MAX_ATTEMPTS,
        "exactly max_attempts wrong checks are counted"
    );
}

/// 200 concurrent right checks of one challenge give exactly one approval.
pub async fn concurrent_right_checks(store: Arc<dyn Store>) {
    let f = create(&*store).await;
    let mut approved = 0;
    for outcome in race_checks(&store, &f, 200, || f.digest).await {
        match outcome {
            CheckOutcome::Approved => approved += 1,
            CheckOutcome::NotFound => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(approved, 1, "a challenge is approved at most once");
}

/// A delivery report never moves a challenge's status backwards (pending, failed,
/// delivered: a stale or replayed `Failed` never overrides `Delivered`), and a resend
/// hands back the last report and starts the new message with none.
pub async fn delivery_never_goes_backwards(store: &dyn Store) {
    let f = create(store).await;
    let message = MessageKey::new("test", &ChallengeId::random().to_string());
    store
        .link_message(&message, &f.id, f.now)
        .await
        .expect("link");
    let report = |status| DeliveryRecord::new(status, "route-a");
    async fn held(store: &dyn Store, f: &Fixture) -> Option<DeliveryStatus> {
        store
            .status(&f.id, f.now)
            .await
            .expect("status")
            .expect("held")
            .delivery
    }
    let failed = DeliveryStatus::Failed { permanent: false };
    for (status, expect) in [
        (DeliveryStatus::Pending, DeliveryStatus::Pending),
        (failed, failed),
        (DeliveryStatus::Pending, failed),
        (DeliveryStatus::Delivered, DeliveryStatus::Delivered),
        (failed, DeliveryStatus::Delivered),
        (DeliveryStatus::Pending, DeliveryStatus::Delivered),
    ] {
        store
            .record_delivery(&message, &report(status), f.now)
            .await
            .expect("record");
        assert_eq!(
            held(store, &f).await,
            Some(expect),
            "after {status:?} the status is {expect:?}"
        );
    }
    let req = ResendRequest::new(f.binding, random_digest(), f.resend_at, Duration::ZERO);
    match store.resend(&f.id, &req).await.expect("resend") {
        ResendOutcome::Resent { last_delivery, .. } => {
            assert_eq!(last_delivery, Some(report(DeliveryStatus::Delivered)));
        }
        other => panic!("expected a resend, got {other:?}"),
    }
    assert_eq!(
        held(store, &f).await,
        None,
        "the new message has no report yet"
    );
}

/// A check or resend that claims another binding is `NotFound` and changes nothing:
/// the owner keeps every attempt and send.
pub async fn foreign_binding_changes_nothing(store: &dyn Store) {
    let f = create(store).await;
    let stranger = random_tag();
    for candidate in [f.digest, random_digest()] {
        for _ in 0..MAX_ATTEMPTS + 1 {
            let request = CheckRequest::new(stranger, vec![candidate], f.now);
            assert_eq!(
                store.check(&f.id, &request).await.expect("check"),
                CheckOutcome::NotFound,
                "another binding is a stranger"
            );
        }
    }
    let resend = ResendRequest::new(stranger, random_digest(), f.resend_at, Duration::ZERO);
    assert_eq!(
        store.resend(&f.id, &resend).await.expect("resend"),
        ResendOutcome::NotFound
    );
    let status = store
        .status(&f.id, f.resend_at)
        .await
        .expect("status")
        .expect("held");
    assert_eq!(
        (status.attempts_left, status.sends_left),
        (MAX_ATTEMPTS, MAX_SENDS - 1),
        "nothing was counted"
    );
    let right = CheckRequest::new(f.binding, vec![f.digest], f.now);
    assert_eq!(
        store.check(&f.id, &right).await.expect("check"),
        CheckOutcome::Approved
    );
}

/// [`status_for`](crate::store::ChallengeStore::status_for) reads as
/// [`status`](crate::store::ChallengeStore::status) for the challenge's own binding, and
/// finds nothing for another one: pending, in and past the cooldown, expired, locked,
/// and for a decoy.
pub async fn status_for_is_bound(store: &dyn Store) {
    async fn both_ways(store: &dyn Store, id: &ChallengeId, own: &BindingTag, at: OffsetDateTime) {
        let plain = store.status(id, at).await.expect("status");
        assert!(plain.is_some(), "a created challenge must be found");
        assert_eq!(
            store.status_for(id, own, at).await.expect("status_for"),
            plain,
            "status_for with the challenge's own binding must read as status"
        );
        assert_eq!(
            store
                .status_for(id, &random_tag(), at)
                .await
                .expect("status_for"),
            None,
            "status_for with another binding must find nothing (a store that keeps \
             the default status_for cannot tell bindings apart: override it)"
        );
    }
    let f = create(store).await;
    for at in [f.now, f.resend_at, f.expires_at] {
        both_ways(store, &f.id, &f.binding, at).await;
    }
    let locked = create(store).await;
    for _ in 0..MAX_ATTEMPTS {
        let wrong = CheckRequest::new(locked.binding, vec![random_digest()], locked.now);
        store.check(&locked.id, &wrong).await.expect("check");
    }
    let phase = store.status(&locked.id, locked.now).await.expect("status");
    assert_eq!(
        phase.map(|s| s.phase),
        Some(Phase::Locked),
        "the fixture locked"
    );
    both_ways(store, &locked.id, &locked.binding, locked.now).await;
    let (id, binding) = (placed_id(store), random_tag());
    let decoy = NewChallenge::new(id, binding, random_digest(), timeline(f.now), allowance());
    store.create(&decoy.as_decoy()).await.expect("create");
    both_ways(store, &id, &binding, f.now).await;
    assert_eq!(
        store
            .status_for(&ChallengeId::random(), &f.binding, f.now)
            .await
            .expect("status_for"),
        None,
        "an unknown id must have no status"
    );
}

/// `release` gives back a reservation within its window, never below zero, and owes
/// nothing once that window has ended.
pub async fn release_gives_back(store: &dyn Store) {
    let t0 = now();
    let window = Duration::minutes(10);
    let a = RateLimit::new(rate_key("release"), 2, window);
    let spend = RateLimit::new(rate_key("release-spend"), 100, window).with_cost(40);
    for _ in 0..2 {
        let both = [a.clone(), spend.clone()];
        assert_eq!(
            store.reserve(&both, t0).await.expect("reserve"),
            RateDecision::Allowed
        );
    }
    let later = t0 + Duration::minutes(1);
    store
        .release(&[a.clone(), spend.clone()], later)
        .await
        .expect("release");
    assert_eq!(
        store
            .counts(&[a.key.clone(), spend.key.clone()], later)
            .await
            .expect("counts"),
        vec![1, 40],
        "one use of each was given back"
    );
    for _ in 0..3 {
        store
            .release(std::slice::from_ref(&a), later)
            .await
            .expect("release");
    }
    assert_eq!(
        store
            .counts(std::slice::from_ref(&a.key), later)
            .await
            .expect("counts"),
        vec![0],
        "never below zero"
    );
    // A reservation from an ended window gives nothing back to the new one.
    let next = t0 + window;
    store
        .reserve(std::slice::from_ref(&a), next)
        .await
        .expect("reserve");
    store
        .release(std::slice::from_ref(&a), t0)
        .await
        .expect("release");
    assert_eq!(
        store
            .counts(std::slice::from_ref(&a.key), next)
            .await
            .expect("counts"),
        vec![1],
        "the new window keeps its count"
    );
}

/// A decoy is a challenge like any other to every operation.
pub async fn decoys_behave_as_challenges(store: &dyn Store) {
    let t = now();
    let (id, binding, digest) = (ChallengeId::random(), random_tag(), random_digest());
    let decoy = NewChallenge::new(id, binding, digest, timeline(t), allowance()).as_decoy();
    store.create(&decoy).await.expect("create");
    let wrong = CheckRequest::new(binding, vec![random_digest()], t);
    assert_eq!(
        store.check(&id, &wrong).await.expect("check"),
        CheckOutcome::Rejected {
            attempts_left: MAX_ATTEMPTS - 1
        }
    );
    let status = store.status(&id, t).await.expect("status").expect("held");
    assert_eq!(status.phase, Phase::Pending);
}

/// 64 concurrent hits against a limit of 10 allow exactly 10.
pub async fn concurrent_rate_hits(store: Arc<dyn Store>) {
    let t0 = now();
    let limit = RateLimit::new(rate_key("burst"), 10, Duration::minutes(10));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let store = store.clone();
        let limit = limit.clone();
        tasks.push(tokio::spawn(
            async move { store.reserve(&[limit], t0).await },
        ));
    }
    let mut allowed = 0;
    for task in tasks {
        if task.await.expect("task panicked").expect("reserve failed") == RateDecision::Allowed {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 10, "a limit holds under concurrency");
}

/// Runs every check above. Needs a multi-thread tokio runtime for the concurrent ones.
pub async fn run_all(store: Arc<dyn Store>) {
    create_and_status(&*store).await;
    placed_ids_are_fresh_and_usable(&*store).await;
    approve_consumes(&*store).await;
    any_candidate_matches(&*store).await;
    attempts_run_out(&*store).await;
    expiry_is_hard(&*store).await;
    resend_rules(&*store).await;
    resend_keeps_attempts(&*store).await;
    cancel_removes(&*store).await;
    rate_limits(&*store).await;
    subject_ceiling(&*store).await;
    kept_subject_ceiling(&*store).await;
    counts_read_without_counting(&*store).await;
    delivery_reports(&*store).await;
    delivery_never_goes_backwards(&*store).await;
    foreign_binding_changes_nothing(&*store).await;
    status_for_is_bound(&*store).await;
    release_gives_back(&*store).await;
    decoys_behave_as_challenges(&*store).await;
    concurrent_wrong_checks(store.clone()).await;
    concurrent_right_checks(store.clone()).await;
    concurrent_rate_hits(store).await;
}
