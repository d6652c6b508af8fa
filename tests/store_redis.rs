//! RedisStore against a real Redis (`REDIS_URL`), plus throwaway `redis-server`
//! processes for outages and fake servers for garbage replies. See `common` for the gate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::redis_env;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use smsotp::store::{
    Allowance, BindingTag, ChallengeStore, CheckOutcome, CheckRequest, CounterKey, CounterStore,
    DeliveryRecord, DeliveryStore, Digest, MemoryStore, MessageKey, NewChallenge, RateDecision,
    RateLimit, RedisConfigError, RedisStore, ResendOutcome, ResendRequest, StoreError,
    SubjectGuard, Timeline,
};
use smsotp::transport::RecordingTransport;
use smsotp::{
    Binding, ChallengeId, Clock, DeliveryStatus, Error, ManualClock, Phase, PhoneNumber, Purpose,
    Secret, SystemClock, Verdict, Verifier,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use redis_env::{CountingProxy, FakeRedis, Throwaway};

fn secret() -> Secret {
    Secret::new(vec![0x5a; 32]).unwrap()
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse_e164("+819012345678").unwrap()
}

/// Another valid code: the first symbol swapped for one of the same kind (digit or
/// letter), so the code still passes normalisation.
fn wrong_code(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    chars[0] = match chars[0] {
        '2' => '3',
        c if c.is_ascii_digit() => '2',
        'A' => 'B',
        _ => 'A',
    };
    chars.into_iter().collect()
}

fn challenge(
    id: ChallengeId,
    binding: BindingTag,
    digest: Digest,
    now: OffsetDateTime,
) -> NewChallenge {
    NewChallenge::new(
        id,
        binding,
        digest,
        Timeline::new(
            now,
            Duration::minutes(5),
            Duration::seconds(60),
            Duration::minutes(5),
        ),
        Allowance::new(5, 3),
    )
}

fn req(binding: BindingTag, candidates: &[Digest], now: OffsetDateTime) -> CheckRequest {
    CheckRequest::new(binding, candidates.to_vec(), now)
}

fn is_outage(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(_) | StoreError::Timeout)
}

fn config_error(result: Result<RedisStore, StoreError>) -> RedisConfigError {
    match result {
        Err(StoreError::Unavailable(source)) => *source
            .downcast::<RedisConfigError>()
            .expect("a RedisConfigError"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// A verifier over `store` that records its SMS.
fn verifier(store: RedisStore, sms: &Arc<RecordingTransport>) -> Verifier {
    Verifier::builder(secret())
        .store(store)
        .transport(sms.clone())
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Same answers as MemoryStore, the reference semantics.

/// xorshift64*: a reproducible op sequence without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()].clone()
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| self.next() as u8)
    }
}

struct Model {
    id: ChallengeId,
    binding: BindingTag,
    digests: Vec<Digest>,
    purge_at: OffsetDateTime,
}

#[tokio::test]
async fn answers_like_the_memory_store() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let redis = redis_env::store(&url).await;
    let mut seen = std::collections::BTreeSet::new();
    for seed in 1..=12u64 {
        let memory = MemoryStore::new();
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut now =
            datetime!(2026-03-01 09:00 UTC) + Duration::days(i64::try_from(seed).unwrap());
        let tags: [BindingTag; 2] = [rng.bytes(), rng.bytes()];
        let rate_keys = ["dest:a", "dest:b", "ip:c"];
        let subjects = [CounterKey::from("subject:x"), CounterKey::from("subject:y")];
        let messages = [
            MessageKey::new("p", "msg-1"),
            MessageKey::new("p", "msg-2"),
            MessageKey::new("p", "msg-3"),
        ];
        let mut held: Vec<Model> = Vec::new();
        let mut approvals = 0;
        for step in 0..900 {
            let op = rng.below(100);
            let (what, mem, red) = if op < 15 || held.is_empty() {
                // A new challenge; sometimes an id that is still held. (Past its purge
                // time a store may or may not have forgotten an id, so not those.)
                let live: Vec<ChallengeId> = held
                    .iter()
                    .filter(|h| now < h.purge_at)
                    .map(|h| h.id)
                    .collect();
                let id = if op < 2 && !live.is_empty() {
                    rng.pick(&live)
                } else {
                    ChallengeId::random()
                };
                let binding = rng.pick(&tags);
                let digest = rng.bytes();
                let ttl = Duration::seconds(30 + i64::try_from(rng.below(300)).unwrap());
                let mut timeline = Timeline::new(
                    now,
                    ttl,
                    Duration::seconds(i64::try_from(rng.below(90)).unwrap()),
                    Duration::ZERO,
                );
                // One retention for all, as a verifier has: MemoryStore sweeps in
                // creation order and forgets late otherwise, which the contract allows.
                timeline.purge_at = now + Duration::minutes(10);
                let c = NewChallenge::new(
                    id,
                    binding,
                    digest,
                    timeline,
                    Allowance::new(
                        1 + u32::try_from(rng.below(5)).unwrap(),
                        1 + u32::try_from(rng.below(4)).unwrap(),
                    ),
                );
                let (m, r) = (memory.create(&c).await, redis.create(&c).await);
                if m.is_ok() {
                    held.retain(|h| h.id != id);
                    held.push(Model {
                        id,
                        binding,
                        digests: vec![digest],
                        purge_at: c.timeline.purge_at,
                    });
                }
                ("create", format!("{m:?}"), format!("{r:?}"))
            } else if op < 50 {
                let h = &held[usize::try_from(rng.below(held.len() as u64)).unwrap()];
                let right = h.digests[usize::try_from(rng.below(h.digests.len() as u64)).unwrap()];
                let wrong: Digest = rng.bytes();
                let candidates: Vec<Digest> = match rng.below(5) {
                    0 => vec![],
                    1 | 2 => vec![wrong],
                    3 => vec![right],
                    _ => vec![wrong, right],
                };
                let id = if rng.below(20) == 0 {
                    ChallengeId::random()
                } else {
                    h.id
                };
                // Now and then a stranger's binding: NotFound, and nothing changes.
                let binding = if rng.below(8) == 0 {
                    rng.pick(&tags)
                } else {
                    h.binding
                };
                let mut request = req(binding, &candidates, now);
                if rng.below(3) > 0 {
                    let window = Duration::seconds(30 + i64::try_from(rng.below(300)).unwrap());
                    let max = 2 + u32::try_from(rng.below(6)).unwrap();
                    let guard = SubjectGuard::new(rng.pick(&subjects), max, window);
                    request = request.with_subject(guard);
                }
                let (m, r) = (
                    memory.check(&id, &request).await,
                    redis.check(&id, &request).await,
                );
                if matches!(m, Ok(CheckOutcome::Approved)) {
                    approvals += 1;
                    // Ids are never reused once a challenge is gone (see `cancel`).
                    held.retain(|h| h.id != id);
                }
                ("check", format!("{m:?}"), format!("{r:?}"))
            } else if op < 65 {
                let i = usize::try_from(rng.below(held.len() as u64)).unwrap();
                let other = if held[i].binding == tags[0] {
                    tags[1]
                } else {
                    tags[0]
                };
                let binding = match rng.below(4) {
                    0 => other,
                    _ => held[i].binding,
                };
                let digest: Digest = rng.bytes();
                let cooldown = Duration::seconds(i64::try_from(rng.below(60)).unwrap());
                let request = ResendRequest::new(binding, digest, now, cooldown);
                let (m, r) = (
                    memory.resend(&held[i].id, &request).await,
                    redis.resend(&held[i].id, &request).await,
                );
                if matches!(m, Ok(ResendOutcome::Resent { .. })) {
                    held[i].digests.push(digest);
                }
                ("resend", format!("{m:?}"), format!("{r:?}"))
            } else if op < 68 {
                let h = &held[usize::try_from(rng.below(held.len() as u64)).unwrap()];
                let (m, r) = (memory.cancel(&h.id).await, redis.cancel(&h.id).await);
                let (id, purge_at) = (h.id, h.purge_at);
                held.retain(|h| h.id != id);
                // `cancel` takes no time, so for a challenge past its purge time "did it
                // exist" depends on whether the store has swept it yet: either is right.
                if now >= purge_at {
                    continue;
                }
                ("cancel", format!("{m:?}"), format!("{r:?}"))
            } else if op < 72 {
                let id = held[usize::try_from(rng.below(held.len() as u64)).unwrap()].id;
                let (m, r) = (memory.status(&id, now).await, redis.status(&id, now).await);
                ("status", format!("{m:?}"), format!("{r:?}"))
            } else if op < 74 {
                let subject = rng.pick(&subjects);
                let (m, r) = (
                    memory.reset_subject(&subject).await,
                    redis.reset_subject(&subject).await,
                );
                ("reset_subject", format!("{m:?}"), format!("{r:?}"))
            } else if op < 77 {
                let keys: Vec<CounterKey> =
                    rate_keys.iter().map(|k| CounterKey::from(*k)).collect();
                let (m, r) = (
                    memory.counts(&keys, now).await,
                    redis.counts(&keys, now).await,
                );
                ("counts", format!("{m:?}"), format!("{r:?}"))
            } else if op < 80 {
                let id = held[usize::try_from(rng.below(held.len() as u64)).unwrap()].id;
                let message = rng.pick(&messages);
                let (m, r) = (
                    memory.link_message(&message, &id, now).await,
                    redis.link_message(&message, &id, now).await,
                );
                ("link_message", format!("{m:?}"), format!("{r:?}"))
            } else if op < 83 {
                let status = rng.pick(&[
                    DeliveryStatus::Pending,
                    DeliveryStatus::Delivered,
                    DeliveryStatus::Failed { permanent: false },
                    DeliveryStatus::Failed { permanent: true },
                ]);
                let report = DeliveryRecord::new(status, rng.pick(&["route-a", "route-b"]));
                let message = rng.pick(&messages);
                let (m, r) = (
                    memory.record_delivery(&message, &report, now).await,
                    redis.record_delivery(&message, &report, now).await,
                );
                ("record_delivery", format!("{m:?}"), format!("{r:?}"))
            } else if op < 92 {
                let limits: Vec<RateLimit> = (0..1 + rng.below(3))
                    .map(|_| {
                        RateLimit::new(
                            rng.pick(&rate_keys),
                            1 + rng.below(4),
                            Duration::seconds(10 + i64::try_from(rng.below(120)).unwrap()),
                        )
                        .with_cost(1 + rng.below(2))
                    })
                    .collect();
                let (m, r) = (
                    memory.reserve(&limits, now).await,
                    redis.reserve(&limits, now).await,
                );
                ("reserve", format!("{m:?}"), format!("{r:?}"))
            } else {
                now += Duration::seconds(i64::try_from(rng.below(120)).unwrap());
                continue;
            };
            assert_eq!(mem, red, "seed {seed}, step {step}: {what} differs");
            let kind: String = mem
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '(')
                .collect();
            let kind = kind
                .split_inclusive("ChallengeId(")
                .next()
                .unwrap_or_default();
            seen.insert(format!("{what}:{kind}"));
            if mem.contains("delivery: Some") {
                seen.insert(format!("{what}:delivery"));
            }
        }
        assert!(
            approvals > 0,
            "seed {seed}: the sequence never approved anything"
        );
    }
    // The sequences reached every answer, so the comparison meant something.
    for outcome in [
        "create:Ok((",
        "create:Err(Conflict",
        "check:Ok(Approved",
        "check:Ok(Rejected",
        "check:Ok(Expired",
        "check:Ok(Locked",
        "check:Ok(NotFound",
        "resend:Ok(Resent",
        "resend:Ok(Cooldown",
        "resend:Ok(MaxSends",
        "resend:Ok(Expired",
        "resend:Ok(Locked",
        "resend:Ok(NotFound",
        "status:Ok(Some(Status",
        "status:Ok(None",
        "cancel:Ok(true",
        "reserve:Ok(Allowed",
        "reserve:Ok(Denied",
        "check:Ok(SubjectLocked",
        "reset_subject:Ok((",
        "counts:Ok(",
        "link_message:Ok((",
        "record_delivery:Ok(Some(ChallengeId(",
        "status:delivery",
        "resend:delivery",
        "record_delivery:Ok(None",
    ] {
        assert!(seen.contains(outcome), "never saw {outcome}: {seen:?}");
    }
    redis_env::cleanup(&url, redis.prefix()).await;
}

// ---------------------------------------------------------------------------------------
// What is at rest.

/// Runs every verifier operation, leaving some challenges pending.
async fn whole_flow(store: RedisStore) -> (Vec<String>, PhoneNumber) {
    let sms = Arc::new(RecordingTransport::new());
    let clock = ManualClock::new(SystemClock.now());
    let v = Verifier::builder(secret())
        .store(store)
        .transport(sms.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    let to = phone();
    let who = Binding::new(to.clone(), Purpose::login());
    let first = v.start(&who).await.unwrap();
    let code = sms.last_code(&to).unwrap();
    assert_eq!(
        v.check(&first.id, &who, &wrong_code(&code)).await.unwrap(),
        Verdict::Rejected { attempts_left: 4 }
    );
    clock.advance(Duration::seconds(61));
    v.resend(&first.id, &who).await.unwrap();
    assert_eq!(
        v.status(&first.id).await.unwrap().unwrap().phase,
        Phase::Pending
    );
    let second = v
        .start(&Binding::new(
            to.clone(),
            Purpose::new("change-phone").unwrap(),
        ))
        .await
        .unwrap();
    let other = v.start(&who).await.unwrap();
    let last = sms.last_code(&to).unwrap();
    assert_eq!(
        v.check(&other.id, &who, &last).await.unwrap(),
        Verdict::Approved
    );
    let codes = sms.codes(&to);
    assert_eq!(codes.len(), 4);
    assert!(v.status(&second.id).await.unwrap().is_some());
    (codes, to)
}

#[tokio::test]
async fn every_key_has_a_ttl() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let store = redis_env::store(&url).await;
    let prefix = store.prefix().to_owned();
    whole_flow(store.clone()).await;
    let now = SystemClock.now();
    store
        .reserve(
            &[
                RateLimit::new("ip:1", 10, Duration::hours(1)),
                RateLimit::new("global", 1000, Duration::days(1)),
            ],
            now,
        )
        .await
        .unwrap();
    let keys = redis_env::keys_under(&url, &prefix).await;
    let mut conn = redis_env::raw_connection(&url).await.unwrap();
    let (mut challenges, mut rates) = (0, 0);
    for key in &keys {
        let pttl: i64 = redis::cmd("PTTL")
            .arg(key.as_slice())
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(pttl > 0, "{} has PTTL {pttl}", String::from_utf8_lossy(key));
        let name = String::from_utf8_lossy(key).into_owned();
        let rest = name.strip_prefix(&format!("{prefix}:")).unwrap();
        let challenge = rest.len() == 24 && rest.starts_with('{') && rest.ends_with('}');
        challenges += usize::from(challenge);
        rates += usize::from(rest.starts_with("{rate}:"));
        let tagged = |kind: &str| rest.starts_with(kind) && rest.ends_with('}');
        assert!(
            challenge || rest.starts_with("{rate}:") || tagged("msg:{") || tagged("subject:{"),
            "unexpected key layout: {name}"
        );
    }
    // The two pending challenges; the destination counter and the two hit above at least.
    assert_eq!(challenges, 2, "{keys:?}");
    assert!(rates >= 3, "{keys:?}");
    redis_env::cleanup(&url, &prefix).await;
    assert!(redis_env::keys_under(&url, &prefix).await.is_empty());
}

#[tokio::test]
async fn no_code_and_no_number_at_rest() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let store = redis_env::store(&url).await;
    let prefix = store.prefix().to_owned();
    let (codes, to) = whole_flow(store).await;
    let keys = redis_env::keys_under(&url, &prefix).await;
    assert!(!keys.is_empty());
    let mut conn = redis_env::raw_connection(&url).await.unwrap();
    let mut dump: Vec<Vec<u8>> = Vec::new();
    for key in &keys {
        let kind: String = redis::cmd("TYPE")
            .arg(key.as_slice())
            .query_async(&mut conn)
            .await
            .unwrap();
        let command = match kind.as_str() {
            "hash" => "HGETALL",
            "string" => "GET",
            other => panic!("unexpected key type {other}"),
        };
        let values: Vec<Vec<u8>> = match redis::cmd(command)
            .arg(key.as_slice())
            .query_async::<redis::Value>(&mut conn)
            .await
            .unwrap()
        {
            redis::Value::BulkString(value) => vec![value],
            redis::Value::Array(items) => items
                .into_iter()
                .map(|v| redis::from_redis_value(v).unwrap())
                .collect(),
            other => panic!("unexpected value {other:?}"),
        };
        dump.push(key.clone());
        dump.extend(values);
    }
    let e164 = to.as_e164().to_owned();
    let national = "9012345678".to_owned();
    let mut needles = vec![
        e164.clone(),
        e164.trim_start_matches('+').to_owned(),
        national.clone(),
        format!("0{national}"),
    ];
    needles.extend(codes.iter().cloned());
    needles.extend(codes.iter().map(|c| c.to_lowercase()));
    for needle in &needles {
        for blob in &dump {
            assert!(
                !blob.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "found {needle:?} at rest in {:?}",
                String::from_utf8_lossy(blob)
            );
        }
    }
    redis_env::cleanup(&url, &prefix).await;
}

// ---------------------------------------------------------------------------------------
// Two app instances over one Redis.

async fn two_instances(
    url: &str,
) -> (
    Arc<Verifier>,
    Arc<Verifier>,
    Arc<RecordingTransport>,
    String,
) {
    let prefix = redis_env::unique_prefix();
    let sms = Arc::new(RecordingTransport::new());
    let mut v = Vec::new();
    for _ in 0..2 {
        // Separate stores: separate connections, as two processes would have.
        let store = RedisStore::builder(url)
            .prefix(prefix.clone())
            .build()
            .await
            .unwrap();
        v.push(Arc::new(verifier(store, &sms)));
    }
    let b = v.pop().unwrap();
    let a = v.pop().unwrap();
    (a, b, sms, prefix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_checks_across_instances_stop_at_max_attempts() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let (a, b, sms, prefix) = two_instances(&url).await;
    let who = Binding::new(phone(), Purpose::login());
    let pending = a.start(&who).await.unwrap();
    let wrong = wrong_code(&sms.last_code(&phone()).unwrap());
    let mut tasks = Vec::new();
    for i in 0..200 {
        let v = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (who, wrong, id) = (who.clone(), wrong.clone(), pending.id);
        tasks.push(tokio::spawn(async move {
            v.check(&id, &who, &wrong).await.unwrap()
        }));
    }
    let mut rejected = Vec::new();
    let mut locked = 0;
    for t in tasks {
        match t.await.unwrap() {
            Verdict::Rejected { attempts_left } => rejected.push(attempts_left),
            Verdict::Locked => locked += 1,
            other => panic!("unexpected verdict {other:?}"),
        }
    }
    rejected.sort_unstable();
    assert_eq!(
        rejected,
        vec![0, 1, 2, 3, 4],
        "exactly max_attempts evaluations"
    );
    assert_eq!(locked, 195);
    // Locked for good: even the right code no longer works.
    let right = sms.last_code(&phone()).unwrap();
    assert_eq!(
        b.check(&pending.id, &who, &right).await.unwrap(),
        Verdict::Locked
    );
    redis_env::cleanup(&url, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_right_checks_across_instances_approve_once() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let (a, b, sms, prefix) = two_instances(&url).await;
    let who = Binding::new(phone(), Purpose::login());
    let pending = b.start(&who).await.unwrap();
    let code = sms.last_code(&phone()).unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let v = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (who, code, id) = (who.clone(), code.clone(), pending.id);
        tasks.push(tokio::spawn(async move {
            v.check(&id, &who, &code).await.unwrap()
        }));
    }
    let mut approved = 0;
    for t in tasks {
        match t.await.unwrap() {
            Verdict::Approved => approved += 1,
            Verdict::NotFound => {}
            other => panic!("unexpected verdict {other:?}"),
        }
    }
    assert_eq!(approved, 1);
    redis_env::cleanup(&url, &prefix).await;
}

#[tokio::test]
async fn destination_limit_holds_across_instances() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let prefix = redis_env::unique_prefix();
    let sms = Arc::new(RecordingTransport::new());
    let mut instances = Vec::new();
    for _ in 0..2 {
        let store = RedisStore::builder(&url)
            .prefix(prefix.clone())
            .build()
            .await
            .unwrap();
        instances.push(
            Verifier::builder(secret())
                .store(store)
                .transport(sms.clone())
                .destination_limit(3, Duration::minutes(10))
                .build()
                .unwrap(),
        );
    }
    let who = Binding::new(phone(), Purpose::login());
    for i in 0..3 {
        instances[i % 2].start(&who).await.unwrap();
    }
    for v in &instances {
        match v.start(&who).await {
            Err(Error::RateLimited {
                scope: "destination",
                retry_at,
            }) => {
                assert!(retry_at > SystemClock.now());
            }
            other => panic!("expected the destination limit, got {other:?}"),
        }
    }
    // Another number is not affected.
    let other = PhoneNumber::parse_e164("+14155550100").unwrap();
    instances[1]
        .start(&Binding::new(other, Purpose::login()))
        .await
        .unwrap();
    assert_eq!(sms.count(), 4);
    redis_env::cleanup(&url, &prefix).await;
}

// ---------------------------------------------------------------------------------------
// Failing closed, and coming back.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_closed_and_service_resumes() {
    if redis_env::redis_url().await.is_none() {
        return;
    }
    let mut server = Throwaway::start();
    let store = RedisStore::builder(&server.url())
        .timeout(StdDuration::from_millis(300))
        .build()
        .await
        .unwrap();
    let sms = Arc::new(RecordingTransport::new());
    let v = verifier(store.clone(), &sms);
    let who = Binding::new(phone(), Purpose::login());
    let pending = v.start(&who).await.unwrap();
    let code = sms.last_code(&phone()).unwrap();

    server.kill();
    for _ in 0..3 {
        match v.check(&pending.id, &who, &code).await {
            Err(Error::Store(e)) => assert!(is_outage(&e), "{e:?}"),
            other => panic!("a check during an outage must fail, got {other:?}"),
        }
        match v.start(&who).await {
            Err(Error::Store(e)) => assert!(is_outage(&e), "{e:?}"),
            other => panic!("a start during an outage must fail, got {other:?}"),
        }
        assert!(matches!(v.status(&pending.id).await, Err(Error::Store(_))));
        assert!(matches!(v.cancel(&pending.id).await, Err(Error::Store(_))));
    }
    assert_eq!(sms.count(), 1, "no SMS goes out while the store is down");

    server.restart();
    // The connection heals itself; poll until it has (it backs off at most 1 s).
    let mut resumed = None;
    for _ in 0..100 {
        match v.start(&who).await {
            Ok(p) => {
                resumed = Some(p);
                break;
            }
            Err(Error::Store(e)) => {
                assert!(is_outage(&e), "{e:?}");
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
            Err(e) => panic!("unexpected error while Redis restarts: {e:?}"),
        }
    }
    let resumed = resumed.expect("service resumes after Redis restarts");
    // The restarted Redis kept nothing, so the old challenge is gone rather than approved.
    assert_eq!(
        v.check(&pending.id, &who, &code).await.unwrap(),
        Verdict::NotFound
    );
    let fresh = sms.last_code(&phone()).unwrap();
    assert_eq!(
        v.check(&resumed.id, &who, &fresh).await.unwrap(),
        Verdict::Approved
    );
}

#[tokio::test]
async fn slow_redis_times_out() {
    if redis_env::redis_url().await.is_none() {
        return;
    }
    let server = Throwaway::start();
    let store = RedisStore::builder(&server.url())
        .timeout(StdDuration::from_millis(200))
        .build()
        .await
        .unwrap();
    let now = SystemClock.now();
    let (id, digest) = (ChallengeId::random(), [7u8; 32]);
    store
        .create(&challenge(id, [1; 16], digest, now))
        .await
        .unwrap();

    let mut admin = redis_env::raw_connection(&server.url()).await.unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1000)
        .arg("ALL")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert!(matches!(
        store.check(&id, &req([1; 16], &[digest], now)).await,
        Err(StoreError::Timeout)
    ));
    assert!(matches!(
        store.status(&id, now).await,
        Err(StoreError::Timeout)
    ));
    assert!(matches!(
        store
            .reserve(&[RateLimit::new("k", 1, Duration::minutes(1))], now)
            .await,
        Err(StoreError::Timeout)
    ));
    // Once Redis catches up it runs the queued check: the right code that timed out has
    // consumed the challenge, yet nobody was told "approved".
    let mut after = None;
    for _ in 0..50 {
        match store.check(&id, &req([1; 16], &[digest], now)).await {
            Err(StoreError::Timeout) => continue,
            other => {
                after = Some(other.unwrap());
                break;
            }
        }
    }
    assert_eq!(after, Some(CheckOutcome::NotFound));
}

#[tokio::test]
async fn garbage_replies_are_errors_never_approvals() {
    if redis_env::redis_url().await.is_none() {
        return;
    }
    let wrong_shapes: [&'static [u8]; 7] = [
        b":1\r\n",
        b"+OK\r\n",
        b"$-1\r\n",
        b"*1\r\n:9\r\n",
        b"*2\r\n:3\r\n:3\r\n",
        b"*1\r\n$1\r\n3\r\n",
        b"*6\r\n:1\r\n:7\r\n:0\r\n:0\r\n:-1\r\n:0\r\n",
    ];
    let now = SystemClock.now();
    let id = ChallengeId::random();
    for reply in wrong_shapes {
        let fake = FakeRedis::start(Some(reply));
        let store = RedisStore::builder(&fake.url())
            .lazy()
            .build()
            .await
            .unwrap();
        let shown = String::from_utf8_lossy(reply);
        let check = store.check(&id, &req([1; 16], &[[3; 32]], now)).await;
        assert!(
            matches!(check, Err(StoreError::Corrupt(_))),
            "{shown:?} gave {check:?}"
        );
        let status = store.status(&id, now).await;
        assert!(
            matches!(status, Err(StoreError::Corrupt(_))),
            "{shown:?} gave {status:?}"
        );
        let create = store.create(&challenge(id, [1; 16], [2; 32], now)).await;
        assert!(
            matches!(create, Err(StoreError::Corrupt(_))),
            "{shown:?} gave {create:?}"
        );
        let request = ResendRequest::new([1; 16], [4; 32], now, Duration::minutes(1));
        let resend = store.resend(&id, &request).await;
        assert!(
            matches!(resend, Err(StoreError::Corrupt(_))),
            "{shown:?} gave {resend:?}"
        );
        let hit = store
            .reserve(&[RateLimit::new("k", 1, Duration::minutes(1))], now)
            .await;
        assert!(
            matches!(hit, Err(StoreError::Corrupt(_))),
            "{shown:?} gave {hit:?}"
        );
    }
    // Not RESP at all, and a server error: errors too.
    for reply in [&b"hello there\r\n"[..], b"-ERR something broke\r\n"] {
        let fake = FakeRedis::start(Some(reply));
        let store = RedisStore::builder(&fake.url())
            .timeout(StdDuration::from_millis(300))
            .lazy()
            .build()
            .await
            .unwrap();
        let check = store.check(&id, &req([1; 16], &[[3; 32]], now)).await;
        assert!(check.is_err(), "{check:?}");
    }
    // The eager build notices a server that does not speak Redis.
    let fake = FakeRedis::start(Some(b":1\r\n"));
    assert!(RedisStore::connect(&fake.url()).await.is_err());
    // A server that never answers.
    let silent = FakeRedis::start(None);
    let store = RedisStore::builder(&silent.url())
        .timeout(StdDuration::from_millis(150))
        .lazy()
        .build()
        .await
        .unwrap();
    assert!(matches!(
        store.check(&id, &req([1; 16], &[[3; 32]], now)).await,
        Err(StoreError::Timeout)
    ));
    assert!(matches!(
        RedisStore::builder(&silent.url())
            .timeout(StdDuration::from_millis(150))
            .build()
            .await,
        Err(StoreError::Timeout)
    ));
}

#[tokio::test]
async fn malformed_records_are_corrupt() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let store = redis_env::store(&url).await;
    let prefix = store.prefix().to_owned();
    let mut conn = redis_env::raw_connection(&url).await.unwrap();
    let now = SystemClock.now();
    let key = |id: &ChallengeId| format!("{prefix}:{{{id}}}");

    // A string where a challenge hash should be.
    let id = ChallengeId::random();
    let _: () = redis::cmd("SET")
        .arg(key(&id))
        .arg("x")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(matches!(
        store.check(&id, &req([1; 16], &[[0; 32]], now)).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        store.status(&id, now).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        store.create(&challenge(id, [0; 16], [0; 32], now)).await,
        Err(StoreError::Corrupt(_))
    ));

    // A hash missing fields.
    let id = ChallengeId::random();
    // (Planted keys get a TTL too, so a failing run leaves nothing behind for long.)
    let _: () = redis::pipe()
        .cmd("HSET")
        .arg(key(&id))
        .arg("e")
        .arg("1")
        .ignore()
        .cmd("PEXPIRE")
        .arg(key(&id))
        .arg(60_000)
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(matches!(
        store.check(&id, &req([0; 16], &[[0; 32]], now)).await,
        Err(StoreError::Corrupt(_))
    ));
    let request = ResendRequest::new([0; 16], [0; 32], now, Duration::minutes(1));
    assert!(matches!(
        store.resend(&id, &request).await,
        Err(StoreError::Corrupt(_))
    ));

    // A record that claims two sends but holds one digest: an error, never "approved"
    // and never "rejected" as if the missing code did not exist.
    let id = ChallengeId::random();
    let digest = [9u8; 32];
    store
        .create(&challenge(id, [0; 16], digest, now))
        .await
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg(key(&id))
        .arg("s")
        .arg(2)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(matches!(
        store.check(&id, &req([0; 16], &[digest], now)).await,
        Err(StoreError::Corrupt(_))
    ));

    // A rate counter that is not a number.
    let bad = format!("{prefix}:{{rate}}:x:bad");
    let _: () = redis::pipe()
        .cmd("HSET")
        .arg(&bad)
        .arg("n")
        .arg("many")
        .arg("e")
        .arg("1")
        .ignore()
        .cmd("PEXPIRE")
        .arg(&bad)
        .arg(60_000)
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    let hit = store
        .reserve(&[RateLimit::new("bad", 5, Duration::minutes(1))], now)
        .await;
    assert!(matches!(hit, Err(StoreError::Corrupt(_))), "{hit:?}");
    redis_env::cleanup(&url, &prefix).await;
}

// ---------------------------------------------------------------------------------------
// Round trips, construction.

#[tokio::test]
async fn one_round_trip_per_operation() {
    if redis_env::redis_url().await.is_none() {
        return;
    }
    let server = Throwaway::start();
    let proxy = CountingProxy::start(format!("127.0.0.1:{}", server.port()));
    let store = RedisStore::builder(&proxy.url()).build().await.unwrap();
    let now = SystemClock.now();
    let (id, binding, digest) = (ChallengeId::random(), [1u8; 16], [2u8; 32]);
    let request = ResendRequest::new(
        binding,
        [3; 32],
        now + Duration::minutes(2),
        Duration::minutes(1),
    );
    let limits = [
        RateLimit::new("a", 5, Duration::minutes(1)),
        RateLimit::new("b", 5, Duration::minutes(1)),
        RateLimit::new("c", 5, Duration::minutes(1)),
    ];

    let mut counted = Vec::new();
    let mut measure = |name: &'static str, before: usize| {
        counted.push((name, proxy.requests() - before));
    };
    let b = proxy.requests();
    store
        .create(&challenge(id, binding, digest, now))
        .await
        .unwrap();
    measure("create", b);
    let b = proxy.requests();
    store
        .check(&id, &req(binding, &[[0; 32]], now))
        .await
        .unwrap();
    measure("check", b);
    let b = proxy.requests();
    assert!(matches!(
        store.resend(&id, &request).await.unwrap(),
        ResendOutcome::Resent { .. }
    ));
    measure("resend", b);
    let b = proxy.requests();
    store.status(&id, now).await.unwrap().unwrap();
    measure("status", b);
    let b = proxy.requests();
    assert_eq!(
        store.reserve(&limits, now).await.unwrap(),
        RateDecision::Allowed
    );
    measure("hit", b);
    let b = proxy.requests();
    assert!(store.cancel(&id).await.unwrap());
    measure("cancel", b);
    for (name, n) in &counted {
        assert_eq!(*n, 1, "{name} took {n} round trips");
    }
    let commands = proxy.commands();
    let ops = &commands[commands.len() - 6..];
    assert_eq!(
        ops,
        ["EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA", "DEL"]
    );

    // After the server forgets its scripts, the next call loads and retries by itself.
    let mut admin = redis_env::raw_connection(&server.url()).await.unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut admin)
        .await
        .unwrap();
    let b = proxy.requests();
    assert_eq!(
        store
            .check(&id, &req(binding, &[digest], now))
            .await
            .unwrap(),
        CheckOutcome::NotFound
    );
    assert_eq!(proxy.requests() - b, 3, "EVALSHA, SCRIPT LOAD, EVALSHA");
    let b = proxy.requests();
    assert_eq!(
        store
            .check(&id, &req(binding, &[digest], now))
            .await
            .unwrap(),
        CheckOutcome::NotFound
    );
    assert_eq!(proxy.requests() - b, 1);
}

#[tokio::test]
async fn construction_fails_clearly_and_recovers() {
    if redis_env::redis_url().await.is_none() {
        return;
    }
    let port = redis_env::free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let quick = StdDuration::from_millis(300);

    // Eager: a Redis that is down shows at start-up, as an outage.
    let down = RedisStore::builder(&url).timeout(quick).build().await;
    assert!(matches!(&down, Err(e) if is_outage(e)), "{down:?}");

    // Lazy: built anyway; calls fail until Redis is up, then work without a rebuild.
    let lazy = RedisStore::builder(&url)
        .timeout(quick)
        .lazy()
        .build()
        .await
        .unwrap();
    let id = ChallengeId::random();
    let now = SystemClock.now();
    let before = lazy.check(&id, &req([0; 16], &[[0; 32]], now)).await;
    assert!(matches!(&before, Err(e) if is_outage(e)), "{before:?}");
    let _server = Throwaway::start_on(port);
    let mut answered = None;
    for _ in 0..100 {
        match lazy.check(&id, &req([0; 16], &[[0; 32]], now)).await {
            Ok(outcome) => {
                answered = Some(outcome);
                break;
            }
            Err(e) => {
                assert!(is_outage(&e), "{e:?}");
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(answered, Some(CheckOutcome::NotFound));
    // And an eager build now succeeds: a failed build held nothing.
    RedisStore::builder(&url)
        .timeout(quick)
        .build()
        .await
        .unwrap();

    // Settings that cannot work.
    for prefix in ["", "a{b}", "has space", &"x".repeat(65)] {
        assert!(matches!(
            config_error(
                RedisStore::builder(&url)
                    .prefix(prefix)
                    .lazy()
                    .build()
                    .await
            ),
            RedisConfigError::InvalidPrefix
        ));
    }
    assert!(matches!(
        config_error(
            RedisStore::builder(&url)
                .timeout(StdDuration::ZERO)
                .build()
                .await
        ),
        RedisConfigError::ZeroTimeout
    ));
    assert!(matches!(
        config_error(RedisStore::builder("http://127.0.0.1/").build().await),
        RedisConfigError::InvalidUrl(_)
    ));
}

#[tokio::test]
async fn debug_and_errors_never_show_the_password() {
    if redis_env::redis_url().await.is_none() {
        return;
    }
    let url = format!(
        "redis://otp:pa55-w0rd-x@127.0.0.1:{}/",
        redis_env::free_port()
    );
    let builder = RedisStore::builder(&url).timeout(StdDuration::from_millis(200));
    assert!(!format!("{builder:?}").contains("pa55"));
    let err = builder.build().await.unwrap_err();
    assert!(!format!("{err:?} {err}").contains("pa55"));
    let store = RedisStore::builder(&url).lazy().build().await.unwrap();
    let shown = format!("{store:?}");
    assert!(
        shown.contains("smsotp") && !shown.contains("pa55"),
        "{shown}"
    );
    let err = store.cancel(&ChallengeId::random()).await.unwrap_err();
    assert!(!format!("{err:?} {err}").contains("pa55"));
}

#[cfg(feature = "testing")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_store_passes_the_conformance_suite() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let store = redis_env::store(&url).await;
    let prefix = store.prefix().to_owned();
    smsotp::testing::run_all(Arc::new(store)).await;
    redis_env::cleanup(&url, &prefix).await;
}
