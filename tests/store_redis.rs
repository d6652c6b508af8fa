//! RedisStore against a real Redis (`REDIS_URL`), plus throwaway `redis-server`
//! processes for outages and fake servers for garbage replies. See `common` for the gate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::store_fixtures::{challenge, fails_closed, is_outage, phone, req, secret, whole_flow};
use common::{across_instances, redis_env};

use std::sync::Arc;
use std::time::Duration as StdDuration;

use smsotp::store::{
    ChallengeStore, CheckOutcome, CounterKey, CounterStore, DeliveryRecord, DeliveryStore,
    MemoryStore, MessageKey, RateDecision, RateLimit, RedisConfigError, RedisStore, ResendOutcome,
    ResendRequest, StoreError, SubjectGuard,
};
use smsotp::transport::RecordingTransport;
use smsotp::{
    Binding, ChallengeId, Clock, DeliveryStatus, Error, PhoneNumber, Purpose, SystemClock, Verdict,
    Verifier,
};
use time::{Duration, OffsetDateTime};

use redis_env::{CountingProxy, FakeRedis, Target, Throwaway, ThrowawayCluster};

/// Checks until the store answers (at most ten seconds), every failure before that an
/// outage: a lazily built store comes back once its server is up, without a rebuild.
async fn first_answer(
    store: &RedisStore,
    id: &ChallengeId,
    now: OffsetDateTime,
) -> Option<CheckOutcome> {
    for _ in 0..100 {
        match store.check(id, &req([0; 16], &[[0; 32]], now)).await {
            Ok(outcome) => return Some(outcome),
            Err(e) => {
                assert!(is_outage(&e), "{e:?}");
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
        }
    }
    None
}

fn config_error(result: Result<RedisStore, StoreError>) -> RedisConfigError {
    match result {
        Err(StoreError::Config(source)) => *source
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

#[tokio::test]
async fn answers_like_the_memory_store() {
    let Some(url) = redis_env::redis_url().await else {
        return;
    };
    let redis = redis_env::store(&url).await;
    assert!(redis.groups_by_subject());
    common::differential::answers_like_the_memory_store(&redis).await;
    redis_env::cleanup(&url, redis.prefix()).await;
}

// ---------------------------------------------------------------------------------------
// What is at rest.

#[tokio::test]
async fn every_key_has_a_ttl() {
    if let Some(target) = Target::single().await {
        every_key_has_a_ttl_on(target).await;
    }
}

#[tokio::test]
async fn every_key_has_a_ttl_on_a_cluster() {
    if let Some(target) = Target::cluster().await {
        every_key_has_a_ttl_on(target).await;
    }
}

async fn every_key_has_a_ttl_on(target: Target) {
    let store = target.store().await;
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
    let keys = target.keys_under(&prefix).await;
    let mut conn = target.raw().await;
    let (mut challenges, mut rates, mut links) = (0, 0, 0);
    for key in &keys {
        let pttl: i64 = redis::cmd("PTTL")
            .arg(key.as_slice())
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(pttl > 0, "{} has PTTL {pttl}", String::from_utf8_lossy(key));
        let name = String::from_utf8_lossy(key).into_owned();
        let rest = name.strip_prefix(&format!("{prefix}:")).unwrap();
        // {gggg}:<27-character id>, {gggg}:f:<subject>, {r:<counter>}, {m:<message>}
        let grouped = rest.len() > 7
            && rest.starts_with('{')
            && rest[1..5].bytes().all(|b| b.is_ascii_hexdigit())
            && rest[5..].starts_with("}:");
        let challenge = grouped && rest.len() == 7 + 27;
        let subject = grouped && rest[7..].starts_with("f:");
        let tagged = |kind: &str| rest.starts_with(kind) && rest.ends_with('}');
        challenges += usize::from(challenge);
        rates += usize::from(tagged("{r:"));
        links += usize::from(tagged("{m:"));
        assert!(
            challenge || subject || tagged("{r:") || tagged("{m:"),
            "unexpected key layout: {name}"
        );
    }
    // The two pending challenges; the destination counter and the two hit above at least;
    // the sent messages' links.
    assert_eq!(challenges, 2, "{keys:?}");
    assert!(rates >= 3, "{keys:?}");
    assert!(links >= 2, "{keys:?}");
    target.cleanup(&prefix).await;
    assert!(target.keys_under(&prefix).await.is_empty());
}

#[tokio::test]
async fn no_code_and_no_number_at_rest() {
    if let Some(target) = Target::single().await {
        no_code_and_no_number_at_rest_on(target).await;
    }
}

#[tokio::test]
async fn no_code_and_no_number_at_rest_on_a_cluster() {
    if let Some(target) = Target::cluster().await {
        no_code_and_no_number_at_rest_on(target).await;
    }
}

async fn no_code_and_no_number_at_rest_on(target: Target) {
    let store = target.store().await;
    let prefix = store.prefix().to_owned();
    let (codes, to) = whole_flow(store).await;
    let keys = target.keys_under(&prefix).await;
    assert!(!keys.is_empty());
    let mut conn = target.raw().await;
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
    target.cleanup(&prefix).await;
}

// ---------------------------------------------------------------------------------------
// Two app instances over one Redis.

async fn two_instances(
    target: &Target,
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
        let store = target
            .builder()
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
    if let Some(target) = Target::single().await {
        concurrent_wrong_checks_across_instances_stop_at_max_attempts_on(target).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_checks_across_instances_stop_at_max_attempts_on_a_cluster() {
    if let Some(target) = Target::cluster().await {
        concurrent_wrong_checks_across_instances_stop_at_max_attempts_on(target).await;
    }
}

async fn concurrent_wrong_checks_across_instances_stop_at_max_attempts_on(target: Target) {
    let (a, b, sms, prefix) = two_instances(&target).await;
    across_instances::wrong_checks_stop_at_max_attempts(&a, &b, &sms).await;
    target.cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_right_checks_across_instances_approve_once() {
    if let Some(target) = Target::single().await {
        concurrent_right_checks_across_instances_approve_once_on(target).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_right_checks_across_instances_approve_once_on_a_cluster() {
    if let Some(target) = Target::cluster().await {
        concurrent_right_checks_across_instances_approve_once_on(target).await;
    }
}

async fn concurrent_right_checks_across_instances_approve_once_on(target: Target) {
    let (a, b, sms, prefix) = two_instances(&target).await;
    across_instances::right_checks_approve_once(&a, &b, &sms).await;
    target.cleanup(&prefix).await;
}

#[tokio::test]
async fn destination_limit_holds_across_instances() {
    if let Some(target) = Target::single().await {
        destination_limit_holds_across_instances_on(target).await;
    }
}

#[tokio::test]
async fn destination_limit_holds_across_instances_on_a_cluster() {
    if let Some(target) = Target::cluster().await {
        destination_limit_holds_across_instances_on(target).await;
    }
}

async fn destination_limit_holds_across_instances_on(target: Target) {
    let prefix = redis_env::unique_prefix();
    let sms = Arc::new(RecordingTransport::new());
    let mut instances = Vec::new();
    for _ in 0..2 {
        let store = target
            .builder()
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
    across_instances::destination_limit_holds(&instances, &sms).await;
    target.cleanup(&prefix).await;
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
        .timeout(time::Duration::milliseconds(300))
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
        fails_closed(&v, &pending.id, &who, &code).await;
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
        .timeout(time::Duration::milliseconds(200))
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
            .timeout(time::Duration::milliseconds(300))
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
        .timeout(time::Duration::milliseconds(150))
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
            .timeout(time::Duration::milliseconds(150))
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
    let key = |id: &ChallengeId| format!("{prefix}:{{{:04x}}}:{id}", id.group());

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

    // A subject counter that is not a count.
    let subject = CounterKey::from("mangled");
    let id = ChallengeId::grouped(subject.group());
    store
        .create(&challenge(id, [0; 16], [9; 32], now))
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg(format!("{prefix}:{{{:04x}}}:f:{subject}", subject.group()))
        .arg("not a count")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let guarded = req([0; 16], &[[1; 32]], now).with_subject(SubjectGuard::new(
        subject,
        100,
        Duration::hours(1),
    ));
    assert!(matches!(
        store.check(&id, &guarded).await,
        Err(StoreError::Corrupt(_))
    ));

    // A rate counter that is not a number.
    let bad = format!("{prefix}:{{r:x:bad}}");
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
    let subject = CounterKey::from("someone");
    let (id, binding, digest) = (ChallengeId::grouped(subject.group()), [1u8; 16], [2u8; 32]);
    let guard = SubjectGuard::new(subject.clone(), 100, Duration::hours(24));
    let message = MessageKey::new("p", "m-1");
    let report = DeliveryRecord::new(DeliveryStatus::Delivered, "p");
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
    let guarded = req(binding, &[[0; 32]], now).with_subject(guard.clone());
    assert!(matches!(
        store.check(&id, &guarded).await.unwrap(),
        CheckOutcome::Rejected { .. }
    ));
    measure("check with a subject ceiling", b);
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
    measure("reserve", b);
    let b = proxy.requests();
    store.release(&limits, now).await.unwrap();
    measure("release", b);
    let b = proxy.requests();
    let names: Vec<CounterKey> = limits.iter().map(|l| l.key.clone()).collect();
    assert_eq!(store.counts(&names, now).await.unwrap(), [0, 0, 0]);
    measure("counts", b);
    let b = proxy.requests();
    store.link_message(&message, &id, now).await.unwrap();
    measure("link_message", b);
    let b = proxy.requests();
    assert_eq!(
        store.record_delivery(&message, &report, now).await.unwrap(),
        Some(id)
    );
    measure("record_delivery", b);
    let b = proxy.requests();
    store.reset_subject(&subject).await.unwrap();
    measure("reset_subject", b);
    let b = proxy.requests();
    assert!(store.cancel(&id).await.unwrap());
    measure("cancel", b);
    for (name, n) in &counted {
        assert_eq!(*n, 1, "{name} took {n} round trips");
    }
    let commands = proxy.commands();
    let ops = &commands[commands.len() - 12..];
    assert_eq!(
        ops,
        [
            "EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA",
            "EVALSHA", "EVALSHA", "DEL", "DEL"
        ]
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
    let quick = time::Duration::milliseconds(300);

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
    assert_eq!(
        first_answer(&lazy, &id, now).await,
        Some(CheckOutcome::NotFound)
    );
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
    for timeout in [time::Duration::ZERO, time::Duration::milliseconds(-5)] {
        assert!(matches!(
            config_error(RedisStore::builder(&url).timeout(timeout).build().await),
            RedisConfigError::ZeroTimeout
        ));
    }
    assert!(matches!(
        config_error(RedisStore::builder("http://127.0.0.1/").build().await),
        RedisConfigError::InvalidUrl(_)
    ));
}

#[tokio::test]
async fn debug_and_errors_never_show_the_password() {
    // No Redis needed: the URL names a port nothing listens on.
    let url = format!(
        "redis://otp:pa55-w0rd-x@127.0.0.1:{}/",
        redis_env::free_port()
    );
    let builder = RedisStore::builder(&url).timeout(time::Duration::milliseconds(200));
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

// ---------------------------------------------------------------------------------------
// Redis Cluster (REDIS_CLUSTER_URLS; `.ci/redis-cluster` starts one).

#[cfg(feature = "testing")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_store_passes_the_conformance_suite_on_a_cluster() {
    let Some(target) = Target::cluster().await else {
        return;
    };
    let store = target.store().await;
    assert!(store.is_cluster());
    let prefix = store.prefix().to_owned();
    smsotp::testing::run_all(Arc::new(store)).await;
    target.cleanup(&prefix).await;
}

/// Counters live in slots of their own; `reserve` takes them slot by slot and, when
/// a later one is full, gives back what the earlier ones took: the same answers and
/// the same counts as one atomic step on one server.
#[tokio::test]
async fn cluster_reserve_is_all_or_nothing_across_slots() {
    let Some(target) = Target::cluster().await else {
        return;
    };
    let store = target.store().await;
    let prefix = store.prefix().to_owned();
    let memory = MemoryStore::new();
    let now = SystemClock.now();
    let names = ["number", "client", "prefix", "global"].map(CounterKey::from);
    let mut conn = target.raw().await;
    let mut slots = std::collections::BTreeSet::new();
    for name in &names {
        let key = format!("{prefix}:{{r:{name}}}");
        let slot: i64 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        slots.insert(slot);
    }
    assert_eq!(slots.len(), names.len(), "four counters, four slots");
    let limits = |global: u64| -> Vec<RateLimit> {
        vec![
            RateLimit::new(names[0].clone(), 5, Duration::minutes(10)),
            RateLimit::new(names[1].clone(), 10, Duration::minutes(10)),
            RateLimit::new(names[2].clone(), 20, Duration::hours(1)),
            RateLimit::new(names[3].clone(), global, Duration::days(1)),
        ]
    };
    for round in 0..4 {
        // The global limit of 2 refuses the third round; the number's 5 never binds.
        let (m, r) = (
            memory.reserve(&limits(2), now).await.unwrap(),
            store.reserve(&limits(2), now).await.unwrap(),
        );
        assert_eq!(m, r, "round {round}");
        assert_eq!(
            memory.counts(&names, now).await.unwrap(),
            store.counts(&names, now).await.unwrap(),
            "round {round}: a refusal leaves no unit behind"
        );
    }
    assert_eq!(store.counts(&names, now).await.unwrap(), [2, 2, 2, 2]);
    store.release(&limits(2), now).await.unwrap();
    assert_eq!(store.counts(&names, now).await.unwrap(), [1, 1, 1, 1]);
    target.cleanup(&prefix).await;
}

#[tokio::test]
async fn a_report_about_a_challenge_from_before_wider_ids_finds_nothing() {
    let Some(target) = Target::single().await else {
        return;
    };
    a_report_about_a_challenge_from_before_wider_ids_finds_nothing_on(target).await;
}

#[tokio::test]
async fn a_report_about_a_challenge_from_before_wider_ids_finds_nothing_on_a_cluster() {
    let Some(target) = Target::cluster().await else {
        return;
    };
    a_report_about_a_challenge_from_before_wider_ids_finds_nothing_on(target).await;
}

/// A link and a challenge written by a version with 16-byte ids (22 characters), as an
/// instance not yet upgraded leaves them: a report about it finds no challenge this
/// version can check, and is not corruption.
async fn a_report_about_a_challenge_from_before_wider_ids_finds_nothing_on(target: Target) {
    let store = target.store().await;
    let prefix = store.prefix().to_owned();
    let mut raw = target.raw().await;
    let message = MessageKey::new("twilio", "SM-old");
    let old = "{abcd}:q83vEjRWeJq83vEjRWeJqw";
    // One command at a time: the link and the challenge sit in different slots.
    let _: () = redis::cmd("SET")
        .arg(format!("{prefix}:{{m:{message}}}"))
        .arg(old)
        .arg("PX")
        .arg(60_000)
        .query_async(&mut raw)
        .await
        .unwrap();
    let challenge_key = format!("{prefix}:{old}");
    let _: () = redis::cmd("HSET")
        .arg(&challenge_key)
        .arg("p")
        .arg(i64::MAX / 2)
        .arg("b")
        .arg("x")
        .query_async(&mut raw)
        .await
        .unwrap();
    let _: () = redis::cmd("PEXPIRE")
        .arg(&challenge_key)
        .arg(60_000)
        .query_async(&mut raw)
        .await
        .unwrap();
    let report = DeliveryRecord::new(DeliveryStatus::Delivered, "twilio");
    let found = store
        .record_delivery(&message, &report, SystemClock.now())
        .await;
    assert!(matches!(found, Ok(None)), "{found:?}");
    target.cleanup(&prefix).await;
}

/// Delivery reports reach the challenge across slots: the link lives in the message's
/// slot, the report on the challenge in its own.
#[tokio::test]
async fn cluster_delivery_reports_reach_the_challenge() {
    let Some(target) = Target::cluster().await else {
        return;
    };
    let store = target.store().await;
    let prefix = store.prefix().to_owned();
    let now = SystemClock.now();
    let id = ChallengeId::grouped(0x1234);
    store
        .create(&challenge(id, [1; 16], [2; 32], now))
        .await
        .unwrap();
    let message = MessageKey::new("twilio", "SM0123");
    store.link_message(&message, &id, now).await.unwrap();
    let report = DeliveryRecord::new(DeliveryStatus::Failed { permanent: false }, "twilio");
    assert_eq!(
        store.record_delivery(&message, &report, now).await.unwrap(),
        Some(id)
    );
    let status = store.status(&id, now).await.unwrap().unwrap();
    assert_eq!(
        status.delivery,
        Some(DeliveryStatus::Failed { permanent: false })
    );
    // The link dies with the challenge: a consumed challenge gets no report.
    assert!(store.cancel(&id).await.unwrap());
    assert_eq!(
        store.record_delivery(&message, &report, now).await.unwrap(),
        None
    );
    // A link to a challenge that is gone is never written.
    let gone = MessageKey::new("twilio", "SM-gone");
    store.link_message(&gone, &id, now).await.unwrap();
    assert!(
        target
            .keys_under(&prefix)
            .await
            .iter()
            .all(|k| !String::from_utf8_lossy(k).contains("SM-gone"))
    );
    target.cleanup(&prefix).await;
}

#[tokio::test]
async fn cluster_debug_and_errors_never_show_the_password() {
    // No cluster needed: the URL names a port nothing listens on.
    let url = format!(
        "redis://otp:pa55-w0rd-x@127.0.0.1:{}",
        redis_env::free_port()
    );
    let builder = RedisStore::cluster(&[url.as_str()]).timeout(time::Duration::milliseconds(200));
    assert!(!format!("{builder:?}").contains("pa55"));
    let err = builder.build().await.unwrap_err();
    assert!(!format!("{err:?} {err}").contains("pa55"), "{err:?}");
    let store = RedisStore::cluster(&[url.as_str()])
        .timeout(time::Duration::milliseconds(200))
        .lazy()
        .build()
        .await
        .unwrap();
    let shown = format!("{store:?}");
    assert!(
        shown.contains("cluster: true") && !shown.contains("pa55"),
        "{shown}"
    );
    let err = store.cancel(&ChallengeId::random()).await.unwrap_err();
    assert!(!format!("{err:?} {err}").contains("pa55"), "{err:?}");
}

/// The port of the primary that serves `key`'s slot, from CLUSTER SLOTS on `seed`.
async fn owner_port(seed: &str, key: &str) -> u16 {
    let mut conn = redis_env::raw_connection(seed).await.unwrap();
    let slot: i64 = redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let ranges: Vec<redis::Value> = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query_async(&mut conn)
        .await
        .unwrap();
    for range in ranges {
        let redis::Value::Array(parts) = range else {
            continue;
        };
        let (redis::Value::Int(start), redis::Value::Int(end)) = (&parts[0], &parts[1]) else {
            continue;
        };
        if (*start..=*end).contains(&slot) {
            let redis::Value::Array(primary) = &parts[2] else {
                panic!("no primary for slot {slot}");
            };
            let redis::Value::Int(port) = primary[1] else {
                panic!("no port for slot {slot}");
            };
            return u16::try_from(port).unwrap();
        }
    }
    panic!("slot {slot} is not served");
}

/// A primary killed mid-run: every check on its slots fails closed (an error, never
/// an approval) and nothing panics; the other primaries' slots go on serving; once the
/// cluster promotes the replica, service resumes on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_primary_killed_fails_closed_and_service_resumes() {
    if Target::cluster().await.is_none() {
        return;
    }
    let cluster = ThrowawayCluster::start();
    let store = RedisStore::cluster(&cluster.urls())
        .timeout(time::Duration::milliseconds(300))
        .build()
        .await
        .unwrap();
    let sms = Arc::new(RecordingTransport::new());
    let v = verifier(store.clone(), &sms);
    // Challenges for several numbers, so some land on other primaries.
    let mut pending = Vec::new();
    for i in 0..12 {
        let to = PhoneNumber::parse_e164(&format!("+8190123456{i:02}")).unwrap();
        let who = Binding::new(to.clone(), Purpose::login());
        let p = v.start(&who).await.unwrap();
        let code = sms.last_code(&to).unwrap();
        pending.push((who, p.id, code));
    }
    let victim_key = |id: &ChallengeId| format!("{}:{{{:04x}}}:{id}", store.prefix(), id.group());
    let seed = cluster.urls()[0].clone();
    let victim = owner_port(&seed, &victim_key(&pending[0].1)).await;
    let mut on_victim = Vec::new();
    let mut elsewhere = Vec::new();
    for (who, id, code) in &pending {
        if owner_port(&seed, &victim_key(id)).await == victim {
            on_victim.push((who.clone(), *id, code.clone()));
        } else {
            elsewhere.push((who.clone(), *id, code.clone()));
        }
    }
    cluster.kill(victim);

    // Right codes on the dead primary's slots: errors, never approvals, until the
    // replica takes over (the node timeout is 2 s, so the first rounds are sure to
    // fail).
    let started = SystemClock.now();
    let elapsed = || SystemClock.now() - started;
    let mut failed = 0;
    let mut resumed_after = None;
    while elapsed() < Duration::seconds(30) {
        let (who, id, code) = &on_victim[0];
        match v.check(id, who, code).await {
            Err(Error::Store(e)) => {
                assert!(is_outage(&e), "{e:?}");
                failed += 1;
            }
            Err(e) => panic!("unexpected error during a failover: {e:?}"),
            Ok(verdict) => {
                // Only once a replica serves the slot again; it holds what was
                // replicated (or nothing, if the write was lost), never a false yes.
                assert!(
                    matches!(verdict, Verdict::Approved | Verdict::NotFound),
                    "{verdict:?}"
                );
                resumed_after = Some(elapsed());
                break;
            }
        }
        if elapsed() < Duration::seconds(1) {
            assert!(resumed_after.is_none());
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(failed > 0, "the dead primary's slots must fail at first");
    let resumed_after = resumed_after.expect("a replica takes over within 30 s");
    assert!(
        resumed_after >= Duration::milliseconds(1500),
        "approved or answered before any failover could have happened: {resumed_after:?}"
    );
    // Every operation works again, on every slot, with no rebuild.
    for (who, id, code) in on_victim.iter().skip(1).chain(&elsewhere) {
        let verdict = v.check(id, who, code).await.unwrap();
        assert!(
            matches!(verdict, Verdict::Approved | Verdict::NotFound),
            "{verdict:?}"
        );
    }
    let to = phone();
    let who = Binding::new(to.clone(), Purpose::login());
    let fresh = v.start(&who).await.unwrap();
    let code = sms.last_code(&to).unwrap();
    assert_eq!(
        v.check(&fresh.id, &who, &code).await.unwrap(),
        Verdict::Approved
    );
}

/// A store built lazily while its cluster is down fails closed, then works once the
/// cluster is up, without a rebuild.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_cluster_store_works_once_the_cluster_is_up() {
    if Target::cluster().await.is_none() {
        return;
    }
    let base = redis_env::free_cluster_base();
    let urls: Vec<String> = (base..base + 6)
        .map(|p| format!("redis://127.0.0.1:{p}"))
        .collect();
    let quick = time::Duration::milliseconds(300);
    let down = RedisStore::cluster(&urls).timeout(quick).build().await;
    assert!(matches!(&down, Err(e) if is_outage(e)), "{down:?}");
    let store = RedisStore::cluster(&urls)
        .timeout(quick)
        .lazy()
        .build()
        .await
        .unwrap();
    let (id, now) = (ChallengeId::random(), SystemClock.now());
    let before = store.check(&id, &req([0; 16], &[[0; 32]], now)).await;
    assert!(matches!(&before, Err(e) if is_outage(e)), "{before:?}");
    let _cluster = ThrowawayCluster::start_at(base);
    assert_eq!(
        first_answer(&store, &id, now).await,
        Some(CheckOutcome::NotFound)
    );
}
