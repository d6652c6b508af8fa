//! The send pipeline's guarantees, each on every store (memory; Redis when available):
//! reservations instead of phantom charges, the same answer for refused destinations
//! in every limit state, challenges bound to their subject and binding, and counters
//! that survive a key rotation.

mod common;

use std::sync::Arc;

use common::{login, phone, secret, stores, wrong_code};
use smsotp::policy::{CountryPolicy, Limit, SendLimits, SpendCap};
use smsotp::risk::{RiskCheck, RiskRequest, RiskVerdict};
use smsotp::store::{
    ChallengeStore, CheckOutcome, CheckRequest, CounterKey, CounterStore, DeliveryRecord,
    DeliveryStore, MessageKey, NewChallenge, RateDecision, RateLimit, ResendOutcome, ResendRequest,
    StoreError,
};
use smsotp::transport::RecordingTransport;
use smsotp::{
    Binding, ChallengeId, ConfigError, Error, KeyId, Keyring, ManualClock, MemoryStore,
    PhoneNumber, Purpose, Secret, Status, Store, Verdict, Verifier, VerifierBuilder,
};
use time::{Duration, OffsetDateTime, macros::datetime};

struct Rig {
    verifier: Arc<Verifier>,
    sms: Arc<RecordingTransport>,
    clock: ManualClock,
}

fn rig_on(
    store: &Arc<dyn Store>,
    keys: Keyring,
    clock: &ManualClock,
    configure: impl FnOnce(VerifierBuilder) -> VerifierBuilder,
) -> Rig {
    let sms = Arc::new(RecordingTransport::new());
    let builder = Verifier::builder(keys)
        .store(store.clone())
        .transport(sms.clone())
        .clock(clock.clone());
    Rig {
        verifier: Arc::new(configure(builder).build().expect("valid config")),
        sms,
        clock: clock.clone(),
    }
}

fn rig(store: &Arc<dyn Store>, configure: impl FnOnce(VerifierBuilder) -> VerifierBuilder) -> Rig {
    let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
    rig_on(store, secret().into(), &clock, configure)
}

fn e164(n: &str) -> Binding {
    Binding::new(PhoneNumber::parse_e164(n).unwrap(), Purpose::login())
}

// ---- Why: phantom charges -------------------------------------------------------

/// A store that takes a millisecond per operation, as a networked store's round trip
/// does, so that racing tasks interleave even on the in-memory store. It is also what a
/// user's wrapper looks like: it forwards every method of the three parts.
#[derive(Debug)]
struct Lagging<S>(S);

async fn lag() {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<S: ChallengeStore> ChallengeStore for Lagging<S> {
    async fn create(&self, c: &NewChallenge) -> Result<(), StoreError> {
        lag().await;
        self.0.create(c).await
    }
    async fn check(
        &self,
        id: &ChallengeId,
        request: &CheckRequest,
    ) -> Result<CheckOutcome, StoreError> {
        lag().await;
        self.0.check(id, request).await
    }
    async fn resend(
        &self,
        id: &ChallengeId,
        request: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError> {
        lag().await;
        self.0.resend(id, request).await
    }
    async fn cancel(&self, id: &ChallengeId) -> Result<bool, StoreError> {
        lag().await;
        self.0.cancel(id).await
    }
    async fn status(
        &self,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        lag().await;
        self.0.status(id, now).await
    }
    async fn reset_subject(&self, subject: &CounterKey) -> Result<(), StoreError> {
        lag().await;
        self.0.reset_subject(subject).await
    }
    async fn status_for(
        &self,
        id: &ChallengeId,
        binding: &smsotp::store::BindingTag,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        lag().await;
        self.0.status_for(id, binding, now).await
    }
    fn groups_by_subject(&self) -> bool {
        self.0.groups_by_subject()
    }
    fn next_place(&self) -> Option<u32> {
        self.0.next_place()
    }
    fn keeps_subject(&self) -> bool {
        self.0.keeps_subject()
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<S: CounterStore> CounterStore for Lagging<S> {
    async fn reserve(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        lag().await;
        self.0.reserve(limits, now).await
    }
    async fn release(&self, limits: &[RateLimit], at: OffsetDateTime) -> Result<(), StoreError> {
        lag().await;
        self.0.release(limits, at).await
    }
    async fn counts(
        &self,
        keys: &[CounterKey],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError> {
        lag().await;
        self.0.counts(keys, now).await
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<S: DeliveryStore> DeliveryStore for Lagging<S> {
    async fn link_message(
        &self,
        message: &MessageKey,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        lag().await;
        self.0.link_message(message, id, now).await
    }
    async fn record_delivery(
        &self,
        message: &MessageKey,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        lag().await;
        self.0.record_delivery(message, report, now).await
    }
}

/// Every store, plus the memory store with its operations interleaved.
async fn racing_stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut out = stores().await;
    out.push(("memory, interleaved", Arc::new(Lagging(MemoryStore::new()))));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_resends_send_once_and_use_one_send_of_every_counter() {
    for (name, store) in racing_stores().await {
        // Three sends to the number in the window, and a budget of exactly three
        // single-segment SMS at 8 yen.
        let r = rig(&store, |b| {
            b.send_limits(
                SendLimits::none()
                    .per_destination(Limit::new(3, Duration::minutes(10)))
                    .per_client(Limit::new(3, Duration::minutes(10))),
            )
            .spend_cap(SpendCap::new(24, Duration::hours(1), 8))
            .max_sends(5)
        });
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        r.clock.advance(Duration::seconds(60));

        let racers: Vec<_> = (0..8)
            .map(|_| {
                let v = r.verifier.clone();
                let who = who.clone();
                tokio::spawn(async move { v.resend(&p.id, &who).await })
            })
            .collect();
        let mut ok = 0;
        for t in racers {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(Error::ResendTooSoon { .. } | Error::RateLimited { .. }) => {}
                Err(e) => panic!("{name}: unexpected {e}"),
            }
        }
        assert_eq!(ok, 1, "{name}: exactly one racing resend goes through");
        assert_eq!(
            r.sms.count(),
            2,
            "{name}: one start and one resend were sent"
        );

        // The number's quota and the spend cap were charged for two sends, not nine:
        // the next legitimate resend goes through and uses the third.
        r.clock.advance(Duration::seconds(60));
        r.verifier
            .resend(&p.id, &who)
            .await
            .unwrap_or_else(|e| panic!("{name}: the third send was refused: {e}"));
        assert_eq!(r.sms.count(), 3, "{name}");
        // Now the quota and the budget are both used up, exactly.
        r.clock.advance(Duration::seconds(60));
        let fourth = r.verifier.resend(&p.id, &who).await;
        assert!(
            matches!(
                fourth,
                Err(Error::RateLimited {
                    scope: "destination",
                    ..
                })
            ),
            "{name}: {fourth:?}"
        );
        let elsewhere = r.verifier.start(&login("08011112222")).await;
        assert!(
            matches!(elsewhere, Err(Error::SpendCap { .. })),
            "{name}: the budget holds three SMS: {elsewhere:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_start_refused_by_one_limit_leaves_nothing_on_the_others() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.send_limits(
                SendLimits::none()
                    .per_destination(Limit::new(2, Duration::minutes(10)))
                    .per_client(Limit::new(1, Duration::minutes(10))),
            )
        });
        let who = login("09012345678");
        let bot = smsotp::StartOptions::client("bot");
        r.verifier
            .start_with(&login("08011110001"), &bot)
            .await
            .unwrap();
        for _ in 0..5 {
            let denied = r.verifier.start_with(&who, &bot).await;
            assert!(
                matches!(
                    denied,
                    Err(Error::RateLimited {
                        scope: "client",
                        ..
                    })
                ),
                "{name}: {denied:?}"
            );
        }
        // Five refused starts used none of the number's two sends.
        r.verifier.start(&who).await.unwrap();
        r.verifier.start(&who).await.unwrap();
        assert_eq!(r.sms.count(), 3, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_send_gives_its_reservations_back() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.send_limits(SendLimits::none().per_destination(Limit::new(1, Duration::minutes(10))))
                .spend_cap(SpendCap::new(8, Duration::hours(1), 8))
        });
        let who = login("09012345678");
        r.sms
            .fail_next(smsotp::transport::TransportErrorKind::Rejected);
        assert!(
            matches!(r.verifier.start(&who).await, Err(Error::Transport(_))),
            "{name}"
        );
        r.verifier
            .start(&who)
            .await
            .unwrap_or_else(|e| panic!("{name}: a send that failed used the quota: {e}"));
    }
}

// ---- Why: enumeration under a spent cap -------------------------------------------

#[derive(Debug)]
struct DenyUk;

#[async_trait::async_trait]
impl RiskCheck for DenyUk {
    async fn assess(
        &self,
        request: &RiskRequest<'_>,
    ) -> Result<RiskVerdict, Box<dyn std::error::Error + Send + Sync>> {
        Ok(if request.destination.calling_code() == 44 {
            RiskVerdict::Deny {
                reason: "risk".into(),
            }
        } else {
            RiskVerdict::Allow
        })
    }
}

/// The shape of an answer: which variant, and which fields it carries.
fn shape(r: &Result<smsotp::challenge::Pending, Error>) -> String {
    match r {
        Ok(p) => format!(
            "Ok(attempts {} sends {} ttl {} cooldown {})",
            p.attempts_left,
            p.sends_left,
            p.expires_at - datetime!(2026-11-25 09:00 UTC),
            p.resend_at - datetime!(2026-11-25 09:00 UTC)
        ),
        Err(Error::RateLimited { scope, .. }) => format!("RateLimited({scope})"),
        Err(Error::SpendCap { .. }) => "SpendCap".to_owned(),
        Err(e) => format!("other: {e}"),
    }
}

/// A fresh store of the kind named `name`, so each state starts from nothing.
async fn fresh(name: &str) -> Arc<dyn Store> {
    stores()
        .await
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .expect("the same kinds of store")
}

/// Drives one limit state on a fresh store, then answers a start to `to`.
async fn answer_in_state(name: &str, state: &str, to: &Binding) -> String {
    let store = fresh(name).await;
    let r = rig(&store, |b| {
        let b = b
            .countries(CountryPolicy::deny([881]))
            .risk_check(DenyUk)
            .spend_cap(SpendCap::new(8, Duration::hours(1), 8));
        match state {
            "global" => b.send_limits(SendLimits::none().global(Limit::new(1, Duration::hours(1)))),
            _ => b.send_limits(
                SendLimits::none().per_destination(Limit::new(1, Duration::minutes(10))),
            ),
        }
    });
    match state {
        "fresh" => {}
        // The cap is spent by another, allowed number.
        "spend" | "global" => {
            r.verifier.start(&login("08099990000")).await.unwrap();
        }
        // The number itself used its one send (the spend cap is then spent too, so
        // use a second rig-free path: the same destination is what is limited).
        "destination" => {
            let first = r.verifier.start(to).await;
            assert!(first.is_ok(), "{state}: first start {first:?}");
        }
        _ => unreachable!(),
    }
    shape(&r.verifier.start(to).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_destinations_answer_as_allowed_ones_in_every_limit_state() {
    for (name, _) in stores().await {
        for state in ["fresh", "destination", "spend", "global"] {
            let allowed = answer_in_state(name, state, &login("09012345678")).await;
            let by_country = answer_in_state(name, state, &e164("+881234567890")).await;
            let by_risk = answer_in_state(name, state, &e164("+447700900123")).await;
            assert_eq!(
                allowed, by_country,
                "{name}, {state}: refused by country policy"
            );
            assert_eq!(
                allowed, by_risk,
                "{name}, {state}: refused by the risk check"
            );
        }
    }
}

/// What the README says a refused start still lets a prober see: a decoy gives back its
/// unit of the global limit (so refused starts cannot use up everyone's sends), so the
/// start after it, at the limit's last unit, answers as if it had not happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_start_gives_back_its_global_unit() {
    for (name, _) in stores().await {
        let second_after = |first: Binding| {
            let name = name.to_owned();
            async move {
                let store = fresh(&name).await;
                let r = rig(&store, |b| {
                    b.countries(CountryPolicy::deny([881]))
                        .send_limits(SendLimits::none().global(Limit::new(1, Duration::hours(1))))
                });
                r.verifier.start(&first).await.unwrap();
                shape(&r.verifier.start(&login("09012345678")).await)
            }
        };
        let after_refused = second_after(e164("+881234567890")).await;
        let after_allowed = second_after(login("08011112222")).await;
        assert!(after_refused.starts_with("Ok"), "{name}: {after_refused}");
        assert_eq!(after_allowed, "RateLimited(global)", "{name}");
    }
}

/// A memory store of 4 filled with three challenges and a fourth that is a decoy
/// (`decoy_held`) or a real one, then a start to `to`.
async fn answer_when_full(decoy_held: bool, to: &Binding) -> String {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::with_capacity(4));
    let r = rig(&store, |b| {
        b.countries(CountryPolicy::deny([881]))
            .send_limits(SendLimits::none())
    });
    for n in ["09011110001", "09011110002", "09011110003"] {
        r.verifier.start(&login(n)).await.unwrap();
    }
    let fourth = if decoy_held {
        e164("+881234567891")
    } else {
        login("09011110004")
    };
    r.verifier.start(&fourth).await.unwrap();
    shape(&r.verifier.start(to).await)
}

/// At capacity a real challenge pushes out the oldest decoy; a refused destination's
/// decoy must do the same, or a full store would tell the two apart (`Ok` against
/// `Store(Full)`). With no decoy held, both are refused alike.
#[tokio::test]
async fn a_full_memory_store_answers_refused_destinations_as_allowed_ones() {
    for decoy_held in [true, false] {
        let allowed = answer_when_full(decoy_held, &login("08011112222")).await;
        let refused = answer_when_full(decoy_held, &e164("+881234567890")).await;
        assert_eq!(allowed, refused, "a decoy held: {decoy_held}");
    }
}

// ---- Why: the subject is not bound to the challenge --------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_challenge_belongs_to_the_subject_it_was_started_for() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| b.subject_ceiling(3, Duration::hours(24)));
        let alice = login("09012345678").with_subject("alice");
        let p = r.verifier.start(&alice).await.unwrap();
        let code = r.sms.last_code(alice.destination()).unwrap();
        for spelling in ["mallory", "Alice", "alice "] {
            let other = login("09012345678").with_subject(spelling);
            assert_eq!(
                r.verifier.check(&p.id, &other, &code).await.unwrap(),
                Verdict::NotFound,
                "{name}: checked as {spelling:?}"
            );
            assert_eq!(
                r.verifier
                    .check(&p.id, &other, &wrong_code(std::slice::from_ref(&code)))
                    .await
                    .unwrap(),
                Verdict::NotFound,
                "{name}: a wrong code as {spelling:?} is charged to nobody"
            );
        }
        assert_eq!(
            r.verifier
                .status(&p.id)
                .await
                .unwrap()
                .unwrap()
                .attempts_left,
            5,
            "{name}: nothing was counted"
        );
        assert_eq!(
            r.verifier.check(&p.id, &alice, &code).await.unwrap(),
            Verdict::Approved,
            "{name}"
        );
    }
}

// ---- Why: a foreign binding burns the owner's attempts -----------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_foreign_binding_is_not_found_and_changes_nothing() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| b);
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        let other_number = login("08099998888");
        let other_purpose =
            Binding::new(phone("09012345678"), Purpose::new("change-phone").unwrap());
        for foreign in [&other_number, &other_purpose] {
            for _ in 0..6 {
                assert_eq!(
                    r.verifier.check(&p.id, foreign, &code).await.unwrap(),
                    Verdict::NotFound,
                    "{name}"
                );
            }
        }
        let status = r.verifier.status(&p.id).await.unwrap().unwrap();
        assert_eq!(
            status.attempts_left, 5,
            "{name}: the owner's attempts are whole"
        );
        r.clock.advance(Duration::seconds(60));
        assert!(
            matches!(
                r.verifier.resend(&p.id, &other_number).await,
                Err(Error::NotPending)
            ),
            "{name}"
        );
        assert_eq!(
            r.sms.count(),
            1,
            "{name}: nothing was sent for the stranger"
        );
        assert_eq!(
            r.verifier.status(&p.id).await.unwrap().unwrap().sends_left,
            2,
            "{name}: the stranger's resend used no send"
        );
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::Approved,
            "{name}"
        );
    }
}

/// Allows every send and counts how often it was asked.
#[derive(Debug, Default, Clone)]
struct CountingRisk(Arc<std::sync::atomic::AtomicUsize>);

#[async_trait::async_trait]
impl RiskCheck for CountingRisk {
    async fn assess(
        &self,
        _: &RiskRequest<'_>,
    ) -> Result<RiskVerdict, Box<dyn std::error::Error + Send + Sync>> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(RiskVerdict::Allow)
    }
}

/// A resend for another binding is refused before any control runs: the app's risk
/// check (often a paid lookup) is not asked about a number the stranger chose, and the
/// answer, in the cooldown or after it, is the one an unknown id gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_foreign_resend_is_refused_before_any_control() {
    for (name, store) in stores().await {
        let risk = CountingRisk::default();
        let r = rig(&store, |b| b.risk_check(risk.clone()));
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let asked = |r: &CountingRisk| r.0.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(asked(&risk), 1, "{name}: the start was assessed");
        let stranger = login("08099998888");
        assert!(
            matches!(
                r.verifier.resend(&p.id, &stranger).await,
                Err(Error::NotPending)
            ),
            "{name}: in the cooldown, a stranger learns no more than for an unknown id"
        );
        r.clock.advance(Duration::seconds(60));
        for _ in 0..5 {
            assert!(
                matches!(
                    r.verifier.resend(&p.id, &stranger).await,
                    Err(Error::NotPending)
                ),
                "{name}"
            );
        }
        assert_eq!(
            asked(&risk),
            1,
            "{name}: no risk check ran for the stranger's number"
        );
        assert_eq!(r.sms.count(), 1, "{name}");
        r.verifier.resend(&p.id, &who).await.unwrap();
        assert_eq!(asked(&risk), 2, "{name}: the owner's resend is assessed");
    }
}

// ---- Why: key rotation resets every counter ---------------------------------------

fn key(byte: u8) -> Secret {
    Secret::new(vec![byte; 32]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_natural_rotation_keeps_every_limit_and_ceiling() {
    for (name, store) in stores().await {
        let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
        let configure = |b: VerifierBuilder| {
            b.subject_ceiling(7, Duration::hours(24))
                .send_limits(SendLimits::none().per_destination(Limit::new(3, Duration::hours(1))))
        };
        let before = rig_on(&store, Keyring::new(KeyId(0), &key(1)), &clock, configure);
        let victim = login("09012345678").with_subject("victim");
        // The attacker spends six of seven failures over two challenges.
        for _ in 0..2 {
            let p = before.verifier.start(&victim).await.unwrap();
            for _ in 0..3 {
                assert!(matches!(
                    before
                        .verifier
                        .check(&p.id, &victim, "ZZZZ22")
                        .await
                        .unwrap(),
                    Verdict::Rejected { .. }
                ));
            }
        }
        // Mid-attack, the operator rotates the natural way: new key first, old kept.
        let after = rig_on(
            &store,
            Keyring::new(KeyId(1), &key(2)).with_previous(KeyId(0), &key(1)),
            &clock,
            configure,
        );
        let p = after.verifier.start(&victim).await.unwrap();
        assert_eq!(
            after
                .verifier
                .check(&p.id, &victim, "ZZZZ22")
                .await
                .unwrap(),
            Verdict::Rejected { attempts_left: 4 },
            "{name}: the seventh failure"
        );
        assert_eq!(
            after
                .verifier
                .check(&p.id, &victim, "ZZZZ22")
                .await
                .unwrap(),
            Verdict::TooManyFailures,
            "{name}: the ceiling held across the rotation"
        );
        let fourth = after.verifier.start(&victim).await;
        assert!(
            matches!(
                fourth,
                Err(Error::RateLimited {
                    scope: "destination",
                    ..
                })
            ),
            "{name}: the number's three sends were used before and after: {fourth:?}"
        );
    }
}

#[test]
fn dropping_the_key_that_names_counters_is_refused_loudly() {
    let sms = Arc::new(RecordingTransport::new());
    // The old key retired without naming an index key: every counter would reset.
    let rotated = Verifier::builder(Keyring::new(KeyId(2), &key(2)))
        .transport(sms.clone())
        .build();
    assert!(matches!(rotated, Err(ConfigError::IndexKey)), "{rotated:?}");
    // Naming the long-lived index key makes it fine.
    Verifier::builder(Keyring::new(KeyId(2), &key(2)).with_index_key(&key(1)))
        .transport(sms.clone())
        .build()
        .unwrap();
    // A first key is its own index key.
    Verifier::builder(Keyring::new(KeyId(0), &key(3)))
        .transport(sms)
        .build()
        .unwrap();
}

/// The two ways a rotation goes wrong by labelling, each refused with its own error:
/// the new key given the old key's id, and the new key given id 0 (what
/// `Keyring::from(secret)` does) with the first key kept under another id. Either way
/// the new secret would name every counter, and every limit and ceiling would reset.
#[test]
fn a_mislabelled_rotation_is_refused_loudly() {
    let sms = Arc::new(RecordingTransport::new());
    let build = |keys: Keyring| {
        Verifier::builder(keys)
            .transport(sms.clone())
            .build()
            .map(|_| ())
    };
    let (first, new) = (key(1), key(2));
    assert_eq!(
        build(Keyring::from(new.clone()).with_previous(KeyId(0), &first)),
        Err(ConfigError::DuplicateKeyId(KeyId(0))),
        "two keys under one id"
    );
    assert_eq!(
        build(Keyring::from(new.clone()).with_previous(KeyId(1), &first)),
        Err(ConfigError::IndexKeyMoved),
        "a new key 0 in front of an older key"
    );
    // Said explicitly, the same ring is fine: the first key still names counters.
    build(
        Keyring::from(new.clone())
            .with_previous(KeyId(1), &first)
            .with_index_key(&first),
    )
    .unwrap();
    // The documented forms stay fine.
    build(Keyring::new(KeyId(1), &new).with_previous(KeyId(0), &first)).unwrap();
    build(Keyring::new(KeyId(1), &new).with_index_key(&first)).unwrap();
    build(Keyring::from(first)).unwrap();
}

// ---- other doors share the subject's ceiling ----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn other_doors_count_before_compare_against_the_same_ceiling() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| b.subject_ceiling(4, Duration::hours(24)));
        let who = login("09012345678").with_subject("alice");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        // One wrong SMS code, then three wrong passwords (say): four in a row.
        assert!(matches!(
            r.verifier
                .check(&p.id, &who, &wrong_code(std::slice::from_ref(&code)))
                .await
                .unwrap(),
            Verdict::Rejected { .. }
        ));
        for _ in 0..3 {
            assert!(
                matches!(
                    r.verifier.count_door_attempt(&who).await.unwrap(),
                    Verdict::Rejected { .. }
                ),
                "{name}: counted, compare now"
            );
        }
        assert_eq!(
            r.verifier.count_door_attempt(&who).await.unwrap(),
            Verdict::TooManyFailures,
            "{name}: the fifth attempt at any door is refused before comparing"
        );
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::TooManyFailures,
            "{name}: the SMS door shares the ceiling"
        );
        // A success elsewhere (another door's secret was right) clears it.
        r.verifier.attempt_succeeded(&who).await.unwrap();
        assert_eq!(
            r.verifier.check(&p.id, &who, &code).await.unwrap(),
            Verdict::Approved,
            "{name}"
        );
    }
}

/// A door attempt's token lives only while its attempt is counted: a thousand attempts
/// leave nothing in the store, so guessing passwords cannot fill it.
#[tokio::test]
async fn door_attempts_leave_nothing_behind() {
    let store = Arc::new(MemoryStore::with_capacity(8));
    let verifier = Verifier::builder(secret())
        .shared_store(store.clone())
        .transport(RecordingTransport::new())
        .build()
        .unwrap();
    for i in 0..1_000 {
        let who = login("09012345678").with_subject(format!("user-{i}"));
        assert!(matches!(
            verifier.count_door_attempt(&who).await.unwrap(),
            Verdict::Rejected { .. }
        ));
    }
    assert_eq!(store.len(), 0, "every token was cancelled");
}
