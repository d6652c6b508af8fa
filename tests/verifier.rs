//! The verifier's invariants (shared/DESIGN.md), black-box through the public API, on
//! every store (memory; Redis and PostgreSQL when available).

mod common;

use std::sync::Arc;

use common::{login, phone, rigs, rigs_with, wrong_code};
use smsotp::store::{
    ChallengeStore, CheckOutcome, CheckRequest, CounterKey, CounterStore, DeliveryRecord,
    DeliveryStore, MemoryStore, MessageKey, NewChallenge, RateDecision, RateLimit, ResendOutcome,
    ResendRequest, StoreError,
};
use smsotp::transport::TransportErrorKind;
use smsotp::{Binding, ChallengeId, Error, Phase, Purpose, Status, Verdict, Verifier};
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn right_code_approves_once() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("090-1234-5678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::Approved
        );
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::NotFound
        );
    }
}

#[tokio::test]
async fn pending_reports_defaults_and_masks_the_number() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("090-1234-5678");
        let now = smsotp::Clock::now(&r.clock);
        let p = r.verifier.start(&who).await.unwrap();
        assert_eq!(p.expires_at, now + Duration::minutes(5));
        assert_eq!(p.resend_at, now + Duration::seconds(60));
        assert_eq!(p.attempts_left, 5);
        assert_eq!(p.sends_left, 2);
        assert!(!p.destination.contains("9012345678"));
        assert!(p.destination.ends_with("5678"));
        assert_eq!(p.id.to_string().len(), 27, "160-bit id, URL-safe base64");
        let parsed: ChallengeId = p.id.to_string().parse().unwrap();
        assert_eq!(parsed, p.id);
    }
}

#[tokio::test]
async fn wrong_codes_count_down_then_lock() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        let wrong = wrong_code(std::slice::from_ref(&code));
        for left in (0..5).rev() {
            let v = r.verifier.check(&p.id, &who, &wrong).await.unwrap();
            assert_eq!(
                v,
                Verdict::Rejected {
                    attempts_left: left
                }
            );
        }
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::Locked
        );
        let status = r.verifier.status(&p.id).await.unwrap().unwrap();
        assert_eq!(status.phase, Phase::Locked);
    }
}

#[tokio::test]
async fn malformed_input_costs_no_attempt() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        for junk in [
            "",
            "12",
            "٣٣٣٣٣٣",
            "🙂🙂🙂🙂🙂🙂",
            "ABCDEFGHJK",
            &"9".repeat(1 << 20),
        ] {
            assert_eq!(
                r.verifier.check(&p.id, &who, junk).await.unwrap(),
                Verdict::Malformed
            );
        }
        let status = r.verifier.status(&p.id).await.unwrap().unwrap();
        assert_eq!(status.attempts_left, 5);
    }
}

#[tokio::test]
async fn typed_variants_of_the_code_are_accepted() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        // Full-width, lower case, with a hyphen in the middle, as a Japanese IME may type it.
        let typed: String = code
            .to_lowercase()
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let wide = char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap();
                if i == 3 { vec!['-', wide] } else { vec![wide] }
            })
            .collect();
        assert_eq!(
            r.verifier.check(&p.id, &who, &typed).await.unwrap(),
            Verdict::Approved
        );
    }
}

#[tokio::test]
async fn code_dies_at_ttl_and_cannot_be_revived() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        r.clock.advance(Duration::minutes(5) - Duration::seconds(1));
        let wrong = wrong_code(std::slice::from_ref(&code));
        assert!(matches!(
            r.verifier.check(&p.id, &who, &wrong).await.unwrap(),
            Verdict::Rejected { .. }
        ));
        r.clock.advance(Duration::seconds(1));
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::Expired
        );
        assert!(matches!(
            r.verifier.resend(&p.id, &who).await,
            Err(Error::NotPending)
        ));
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::Expired
        );
    }
}

#[tokio::test]
async fn accepted_just_before_ttl() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        r.clock.advance(Duration::minutes(5) - Duration::seconds(1));
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::Approved
        );
    }
}

#[tokio::test]
async fn resend_keeps_expiry_attempts_and_old_codes() {
    for (store, r) in rigs_with(|b| b.max_attempts(3)).await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let first = r.sms.last_code(who.destination()).unwrap();
        let wrong = wrong_code(std::slice::from_ref(&first));
        assert_eq!(
            r.verifier.check(&p.id, &who, &wrong).await.unwrap(),
            Verdict::Rejected { attempts_left: 2 }
        );

        assert!(matches!(
            r.verifier.resend(&p.id, &who).await,
            Err(Error::ResendTooSoon { resend_at }) if resend_at == p.resend_at
        ));
        r.clock.advance(Duration::seconds(60));
        let again = r.verifier.resend(&p.id, &who).await.unwrap();
        assert_eq!(
            again.expires_at, p.expires_at,
            "a resend never extends the challenge"
        );
        assert_eq!(again.attempts_left, 2, "a resend never resets attempts");
        assert_eq!(r.sms.codes(who.destination()).len(), 2);

        // Discriminating (NIST 800-63B-4 §3.1.3.2): limit 3, one wrong before the resend,
        // one after: the next wrong must lock.
        let second = r.sms.last_code(who.destination()).unwrap();
        let wrong = wrong_code(&[first.clone(), second.clone()]);
        assert_eq!(
            r.verifier.check(&p.id, &who, &wrong).await.unwrap(),
            Verdict::Rejected { attempts_left: 1 }
        );
        // The delayed first SMS still works.
        assert_eq!(
            r.verifier.check(&p.id, &who, &first).await.unwrap(),
            Verdict::Approved
        );
    }
}

#[tokio::test]
async fn resend_after_two_wrong_locks_on_the_third() {
    for (store, r) in rigs_with(|b| b.max_attempts(3)).await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let first = r.sms.last_code(who.destination()).unwrap();
        let wrong = wrong_code(std::slice::from_ref(&first));
        r.verifier.check(&p.id, &who, &wrong).await.unwrap();
        r.verifier.check(&p.id, &who, &wrong).await.unwrap();
        r.clock.advance(Duration::seconds(60));
        r.verifier.resend(&p.id, &who).await.unwrap();
        let second = r.sms.last_code(who.destination()).unwrap();
        let wrong = wrong_code(&[first, second.clone()]);
        assert_eq!(
            r.verifier.check(&p.id, &who, &wrong).await.unwrap(),
            Verdict::Rejected { attempts_left: 0 }
        );
        assert_eq!(
            r.verifier.check(&p.id, &who, &second).await.unwrap(),
            Verdict::Locked
        );
    }
}

#[tokio::test]
async fn send_cap_per_challenge() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        for left in [1, 0] {
            r.clock.advance(Duration::seconds(60));
            let again = r.verifier.resend(&p.id, &who).await.unwrap();
            assert_eq!(again.sends_left, left);
        }
        r.clock.advance(Duration::seconds(60));
        assert!(matches!(
            r.verifier.resend(&p.id, &who).await,
            Err(Error::SendLimit)
        ));
        assert_eq!(r.sms.count(), 3);
    }
}

#[tokio::test]
async fn destination_send_limit_holds_across_challenges() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        for _ in 0..5 {
            r.verifier.start(&who).await.unwrap();
        }
        let denied = r.verifier.start(&who).await;
        assert!(matches!(
            denied,
            Err(Error::RateLimited {
                scope: "destination",
                ..
            })
        ));
        assert_eq!(r.sms.count(), 5, "no SMS past the limit");
        // Another number is unaffected.
        r.verifier.start(&login("08011112222")).await.unwrap();
        r.clock.advance(Duration::minutes(10));
        r.verifier.start(&who).await.unwrap();
    }
}

#[tokio::test]
async fn code_is_bound_to_purpose_and_destination() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();

        // Another purpose or number is a stranger to the challenge: not found, and the
        // owner's attempts are untouched.
        let other_purpose =
            Binding::new(phone("09012345678"), Purpose::new("change-phone").unwrap());
        assert_eq!(
            r.verifier
                .check(&p.id, &other_purpose, &code)
                .await
                .unwrap(),
            Verdict::NotFound
        );
        let other_number = login("08099998888");
        assert_eq!(
            r.verifier.check(&p.id, &other_number, &code).await.unwrap(),
            Verdict::NotFound
        );
        assert_eq!(
            r.verifier
                .status(&p.id)
                .await
                .unwrap()
                .unwrap()
                .attempts_left,
            5
        );
        r.clock.advance(Duration::seconds(60));
        assert!(
            matches!(
                r.verifier.resend(&p.id, &other_number).await,
                Err(Error::NotPending)
            ),
            "a resend for another number is refused"
        );
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::Approved
        );
    }
}

#[tokio::test]
async fn cancel_kills_every_code() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        assert!(r.verifier.cancel(&p.id).await.unwrap());
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::NotFound
        );
        assert_eq!(r.verifier.status(&p.id).await.unwrap(), None::<Status>);
    }
}

#[tokio::test]
async fn failed_send_cancels_the_challenge() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        r.sms.fail_next(TransportErrorKind::Unavailable);
        let err = r.verifier.start(&who).await.unwrap_err();
        assert!(matches!(err, Error::Transport(ref e) if e.is_retryable()));
        assert_eq!(r.sms.count(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_checks_count_exactly_max_attempts() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let wrong = wrong_code(&r.sms.codes(who.destination()));
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (v, who, wrong) = (r.verifier.clone(), who.clone(), wrong.clone());
                tokio::spawn(async move { v.check(&p.id, &who, &wrong).await.unwrap() })
            })
            .collect();
        let mut rejected = 0;
        for t in tasks {
            match t.await.unwrap() {
                Verdict::Rejected { .. } => rejected += 1,
                Verdict::Locked => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(rejected, 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_right_checks_approve_exactly_once() {
    for (store, r) in rigs().await {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let (v, who, code) = (r.verifier.clone(), who.clone(), code.clone());
                tokio::spawn(async move { v.check(&p.id, &who, &code).await.unwrap() })
            })
            .collect();
        let mut approved = 0;
        for t in tasks {
            match t.await.unwrap() {
                Verdict::Approved => approved += 1,
                Verdict::NotFound => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(approved, 1);
    }
}

#[test]
fn builder_refuses_unsafe_settings() {
    use smsotp::ConfigError;
    use smsotp::policy::{Limit, SendLimits};
    use smsotp::transport::RecordingTransport;
    let b = || Verifier::builder(common::secret()).transport(RecordingTransport::new());
    let err = |r: Result<Verifier, ConfigError>| r.err();
    assert_eq!(
        err(b().ttl(Duration::minutes(11)).build()),
        Some(ConfigError::Ttl)
    );
    assert_eq!(err(b().ttl(Duration::ZERO).build()), Some(ConfigError::Ttl));
    assert!(
        b().ttl(Duration::minutes(11))
            .allow_long_ttl()
            .build()
            .is_ok()
    );
    assert_eq!(
        err(b().max_attempts(0).build()),
        Some(ConfigError::MaxAttempts)
    );
    assert_eq!(
        err(b().max_attempts(101).build()),
        Some(ConfigError::MaxAttempts)
    );
    assert_eq!(err(b().max_sends(0).build()), Some(ConfigError::MaxSends));
    assert_eq!(
        err(b().subject_ceiling(101, Duration::hours(1)).build()),
        Some(ConfigError::SubjectCeiling)
    );
    // A zero window would switch a limit off without saying so.
    assert_eq!(
        err(b().subject_ceiling(100, Duration::ZERO).build()),
        Some(ConfigError::NegativeDuration)
    );
    assert_eq!(
        err(b()
            .send_limits(SendLimits::none().per_client(Limit::new(5, Duration::ZERO)))
            .build()),
        Some(ConfigError::NegativeDuration)
    );
    assert!(b().resend_cooldown(Duration::ZERO).build().is_ok());
    assert!(smsotp::Secret::new(vec![0u8; 31]).is_err());
    // A conversion guard's fields are public: whatever was written into them is
    // checked at build. A NaN floor would switch the guard off without a word; a guard
    // that judges a prefix on a send or two pauses it for one person's typo.
    use smsotp::policy::ConversionGuard;
    let guard = |edit: fn(&mut ConversionGuard)| {
        let mut g = ConversionGuard::default();
        edit(&mut g);
        err(b().conversion_guard(g).build())
    };
    for (why, edit) in [
        (
            "NaN floor",
            (|g| g.floor = f64::NAN) as fn(&mut ConversionGuard),
        ),
        ("floor over 1", |g| g.floor = 1.5),
        ("negative floor", |g| g.floor = -0.1),
        ("no sends", |g| g.min_sends = 0),
        ("one send", |g| g.min_sends = 1),
        ("empty window", |g| g.window = Duration::ZERO),
        ("no cool-off", |g| g.cool_off = Duration::ZERO),
    ] {
        assert_eq!(guard(edit), Some(ConfigError::ConversionGuard), "{why}");
    }
    assert!(
        b().conversion_guard(ConversionGuard::default())
            .build()
            .is_ok()
    );
}

#[test]
fn production_needs_a_transport_but_development_prints() {
    use smsotp::{ConfigError, Mode};
    let missing = Verifier::builder(common::secret()).build();
    assert_eq!(missing.err(), Some(ConfigError::NoTransport));
    assert!(
        Verifier::builder(common::secret())
            .mode(Mode::Development)
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn key_rotation_keeps_old_challenges_valid() {
    use smsotp::{KeyId, Keyring, Secret};
    let old = Secret::new(vec![1u8; 32]).unwrap();
    let new = Secret::new(vec![2u8; 32]).unwrap();
    let store = Arc::new(MemoryStore::new());
    let sms = Arc::new(smsotp::transport::RecordingTransport::new());
    let before = Verifier::builder(Keyring::new(KeyId(0), &old))
        .store(store.clone())
        .transport(sms.clone())
        .build()
        .unwrap();
    let who = login("09012345678");
    let p = before.start(&who).await.unwrap();
    let code = sms.last_code(who.destination()).unwrap();

    let rotated = Verifier::builder(Keyring::new(KeyId(1), &new).with_previous(KeyId(0), &old))
        .store(store.clone())
        .transport(sms.clone())
        .build()
        .unwrap();
    assert_eq!(
        rotated.check(&p.id, &who, &code).await.unwrap(),
        Verdict::Approved
    );

    let p = before.start(&who).await.unwrap();
    let code = sms.last_code(who.destination()).unwrap();
    let retired = Verifier::builder(Keyring::new(KeyId(2), &new).with_index_key(&old))
        .store(store)
        .transport(sms.clone())
        .build()
        .unwrap();
    assert!(matches!(
        retired.check(&p.id, &who, &code).await.unwrap(),
        Verdict::Rejected { .. }
    ));
}

/// A store that fails every call, or (when `approve_everything`) lies.
#[derive(Debug)]
struct BrokenStore;

#[async_trait::async_trait]
impl ChallengeStore for BrokenStore {
    async fn create(&self, _: &NewChallenge) -> Result<(), StoreError> {
        Err(StoreError::Timeout)
    }
    async fn check(&self, _: &ChallengeId, _: &CheckRequest) -> Result<CheckOutcome, StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
    async fn resend(
        &self,
        _: &ChallengeId,
        _: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError> {
        Err(StoreError::Timeout)
    }
    async fn cancel(&self, _: &ChallengeId) -> Result<bool, StoreError> {
        Err(StoreError::Timeout)
    }
    async fn status(
        &self,
        _: &ChallengeId,
        _: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        Err(StoreError::Timeout)
    }
    async fn reset_subject(&self, _: &CounterKey) -> Result<(), StoreError> {
        Err(StoreError::Timeout)
    }
}

#[async_trait::async_trait]
impl CounterStore for BrokenStore {
    async fn reserve(
        &self,
        _: &[RateLimit],
        _: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        Ok(RateDecision::Allowed)
    }
    async fn release(&self, _: &[RateLimit], _: OffsetDateTime) -> Result<(), StoreError> {
        Err(StoreError::Timeout)
    }
    async fn counts(&self, _: &[CounterKey], _: OffsetDateTime) -> Result<Vec<u64>, StoreError> {
        Err(StoreError::Timeout)
    }
}

#[async_trait::async_trait]
impl DeliveryStore for BrokenStore {
    async fn link_message(
        &self,
        _: &MessageKey,
        _: &ChallengeId,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        Err(StoreError::Timeout)
    }
    async fn record_delivery(
        &self,
        _: &MessageKey,
        _: &DeliveryRecord,
        _: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        Err(StoreError::Timeout)
    }
}

#[tokio::test]
async fn a_broken_store_never_approves() {
    let sms = Arc::new(smsotp::transport::RecordingTransport::new());
    let v = Verifier::builder(common::secret())
        .store(BrokenStore)
        .transport(sms.clone())
        .build()
        .unwrap();
    let who = login("09012345678");
    assert!(matches!(
        v.start(&who).await,
        Err(Error::Store(StoreError::Timeout))
    ));
    assert_eq!(
        sms.count(),
        0,
        "nothing is sent before the challenge is stored"
    );
    let id = ChallengeId::random();
    assert!(matches!(
        v.check(&id, &who, "ABCD23").await,
        Err(Error::Store(_))
    ));
    assert!(v.resend(&id, &who).await.is_err());
    assert!(v.status(&id).await.is_err());
}

#[tokio::test]
async fn key_rotation_keeps_counters() {
    use smsotp::{KeyId, Keyring, Secret};
    let old = Secret::new(vec![1u8; 32]).unwrap();
    let new = Secret::new(vec![2u8; 32]).unwrap();
    let store = Arc::new(MemoryStore::new());
    let sms = Arc::new(smsotp::transport::RecordingTransport::new());
    let build = |ring: Keyring| {
        Verifier::builder(ring)
            .store(store.clone())
            .transport(sms.clone())
            .subject_ceiling(3, Duration::hours(1))
            .build()
            .unwrap()
    };
    let who = login("09012345678");
    let before = build(Keyring::new(KeyId(0), &old));
    let p = before.start(&who).await.unwrap();
    let wrong = wrong_code(&sms.codes(who.destination()));
    for _ in 0..3 {
        before.check(&p.id, &who, &wrong).await.unwrap();
    }
    // Rotating the signing key must not hand out a fresh failure budget.
    let rotated = build(
        Keyring::new(KeyId(2), &new)
            .with_previous(KeyId(1), &old)
            .with_index_key(&old),
        // (Key 0 retired: the index key is named, so counters keep their names.)
    );
    let q = rotated.start(&who).await.unwrap();
    let code = sms.last_code(who.destination()).unwrap();
    assert_eq!(
        rotated.check(&q.id, &who, &code).await.unwrap(),
        Verdict::TooManyFailures
    );
}

#[tokio::test]
async fn a_resend_refused_by_a_limit_does_not_use_up_a_send() {
    use smsotp::policy::{Limit, SendLimits};
    for (store, r) in rigs_with(|b| {
        b.send_limits(SendLimits::none().per_destination(Limit::new(1, Duration::minutes(2))))
    })
    .await
    {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        r.clock.advance(Duration::seconds(60));
        for _ in 0..3 {
            assert!(matches!(
                r.verifier.resend(&p.id, &who).await,
                Err(Error::RateLimited { .. })
            ));
        }
        let status = r.verifier.status(&p.id).await.unwrap().unwrap();
        assert_eq!(status.sends_left, 2, "refused resends used nothing up");
        r.clock.advance(Duration::minutes(1));
        assert_eq!(r.verifier.resend(&p.id, &who).await.unwrap().sends_left, 1);
        // During the cooldown, nothing is counted against the number either.
        assert!(matches!(
            r.verifier.resend(&p.id, &who).await,
            Err(Error::ResendTooSoon { .. })
        ));
        r.clock.advance(Duration::seconds(60));
        assert!(matches!(
            r.verifier.resend(&p.id, &who).await,
            Err(Error::RateLimited { .. })
        ));
    }
}

#[tokio::test]
async fn a_resend_refused_by_the_spend_cap_does_not_use_up_a_send() {
    use smsotp::policy::{SendLimits, SpendCap};
    // Two single-segment SMS fit the budget; the third does not.
    for (store, r) in rigs_with(|b| {
        b.send_limits(SendLimits::none())
            .spend_cap(SpendCap::new(16, Duration::hours(24), 8))
    })
    .await
    {
        eprintln!("store: {store}");
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        r.clock.advance(Duration::seconds(60));
        r.verifier.resend(&p.id, &who).await.unwrap();
        r.clock.advance(Duration::seconds(60));
        assert!(matches!(
            r.verifier.resend(&p.id, &who).await,
            Err(Error::SpendCap { .. })
        ));
        let status = r.verifier.status(&p.id).await.unwrap().unwrap();
        assert_eq!(status.sends_left, 1, "the refused resend used nothing up");
        assert_eq!(r.sms.count(), 2);
    }
}
