//! PostgresStore against a real PostgreSQL (`DATABASE_URL`), plus throwaway servers of
//! its own (initdb, pg_ctl) for restarts and a counting proxy for round trips. See
//! `common` for the gate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::store_fixtures::{
    challenge, created_then_approved, fails_closed, is_outage, phone, req, secret, whole_flow,
};
use common::{across_instances, postgres_env};

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use smsotp::store::deadpool_postgres::{self, Runtime};
use smsotp::store::{
    ChallengeStore, CheckOutcome, CounterKey, CounterStore, DeliveryRecord, DeliveryStore,
    MessageKey, PostgresConfigError, PostgresStore, RateDecision, RateLimit, ResendOutcome,
    ResendRequest, StoreError, SubjectGuard,
};
use smsotp::transport::RecordingTransport;
use smsotp::{
    Binding, ChallengeId, Clock, DeliveryStatus, Error, Purpose, SystemClock, Verdict, Verifier,
};
use time::Duration;

use postgres_env::{CountingProxy, Throwaway};

/// Wall-clock time, for the latencies and timeouts these tests measure (the store's
/// own decisions use the times passed in, never this).
#[allow(clippy::disallowed_methods)]
fn stopwatch() -> Instant {
    Instant::now()
}

fn config_error(result: Result<PostgresStore, StoreError>) -> PostgresConfigError {
    match result {
        Err(StoreError::Config(source)) => *source
            .downcast::<PostgresConfigError>()
            .expect("a PostgresConfigError"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// A verifier over `store` that records its SMS.
fn verifier(store: PostgresStore, sms: &Arc<RecordingTransport>) -> Verifier {
    Verifier::builder(secret())
        .store(store)
        .transport(sms.clone())
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// The public conformance suite, and the same answers as MemoryStore.

#[cfg(feature = "testing")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_store_passes_the_conformance_suite() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = postgres_env::store(&url).await;
    let schema = store.schema().to_owned();
    smsotp::testing::run_all(Arc::new(store)).await;
    postgres_env::drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn answers_like_the_memory_store() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let pg = postgres_env::store(&url).await;
    common::differential::answers_like_the_memory_store(&pg).await;
    postgres_env::drop_schema(&url, pg.schema()).await;
}

// ---------------------------------------------------------------------------------------
// What is at rest.

/// Every row of every table in `schema`, as text (bytea in hex) and with every bytea
/// value also rendered byte for byte (`escape`), so plain ASCII hidden in a digest
/// column would show too.
async fn dump_schema(url: &str, schema: &str) -> Vec<String> {
    let client = postgres_env::raw_client(url).await.unwrap();
    let tables = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
            &[&schema],
        )
        .await
        .unwrap();
    assert!(tables.len() >= 5, "all tables found");
    let mut dump = Vec::new();
    for table in tables {
        let table: String = table.get(0);
        for row in client
            .query(
                &format!("SELECT t::text FROM \"{schema}\".\"{table}\" t"),
                &[],
            )
            .await
            .unwrap()
        {
            dump.push(row.get::<_, String>(0));
        }
        let columns = client
            .query(
                "SELECT column_name::text, udt_name::text FROM information_schema.columns \
                 WHERE table_schema = $1 AND table_name = $2",
                &[&schema, &table],
            )
            .await
            .unwrap();
        for column in columns {
            let (name, kind): (String, String) = (column.get(0), column.get(1));
            let values = match kind.as_str() {
                "bytea" => format!("\"{name}\""),
                "_bytea" => format!("unnest(\"{name}\")"),
                _ => continue,
            };
            for row in client
                .query(
                    &format!("SELECT encode({values}, 'escape') FROM \"{schema}\".\"{table}\""),
                    &[],
                )
                .await
                .unwrap()
            {
                dump.push(row.get::<_, String>(0));
            }
        }
    }
    dump
}

#[tokio::test]
async fn no_code_and_no_number_at_rest() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = postgres_env::store(&url).await;
    let schema = store.schema().to_owned();
    let (codes, to) = whole_flow(store.clone()).await;
    // A delivery link as well, so the links table is not empty.
    let id = ChallengeId::random();
    let now = SystemClock.now();
    store
        .create(&challenge(id, [1; 16], [2; 32], now))
        .await
        .unwrap();
    store
        .link_message(&MessageKey::new("twilio", "SM0123"), &id, now)
        .await
        .unwrap();
    let dump = dump_schema(&url, &schema).await;
    let joined = dump.join("\n");
    for table in ["challenges", "counters", "subjects", "links"] {
        let client = postgres_env::raw_client(&url).await.unwrap();
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM \"{schema}\".{table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert!(
            n > 0,
            "{table} holds rows, so the search below means something"
        );
    }
    let e164 = to.as_e164().to_owned();
    let national = "9012345678".to_owned();
    let mut needles = vec![
        e164.clone(),
        e164.trim_start_matches('+').to_owned(),
        national.clone(),
        format!("0{national}"),
        "090-1234-5678".to_owned(),
        "user-42".to_owned(),
    ];
    needles.extend(codes.iter().cloned());
    needles.extend(codes.iter().map(|c| c.to_lowercase()));
    for needle in &needles {
        assert!(
            !joined.contains(needle.as_str()),
            "found {needle:?} at rest:\n{joined}"
        );
    }
    postgres_env::drop_schema(&url, &schema).await;
}

// ---------------------------------------------------------------------------------------
// Two app instances over one database.

async fn two_instances(
    url: &str,
) -> (
    Arc<Verifier>,
    Arc<Verifier>,
    Arc<RecordingTransport>,
    String,
) {
    let schema = postgres_env::unique_schema();
    let sms = Arc::new(RecordingTransport::new());
    let mut v = Vec::new();
    for _ in 0..2 {
        // Separate stores: separate pools, as two processes would have. Both migrate,
        // as both would on start.
        let store = postgres_env::store_in(url, &schema).await;
        v.push(Arc::new(verifier(store, &sms)));
    }
    let b = v.pop().unwrap();
    let a = v.pop().unwrap();
    (a, b, sms, schema)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_checks_across_instances_stop_at_max_attempts() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let (a, b, sms, schema) = two_instances(&url).await;
    across_instances::wrong_checks_stop_at_max_attempts(&a, &b, &sms).await;
    postgres_env::drop_schema(&url, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_right_checks_across_instances_approve_once() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let (a, b, sms, schema) = two_instances(&url).await;
    across_instances::right_checks_approve_once(&a, &b, &sms).await;
    postgres_env::drop_schema(&url, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subject_ceiling_holds_exactly_under_concurrency() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = Arc::new(postgres_env::store(&url).await);
    let now = SystemClock.now();
    let guard = SubjectGuard::new(CounterKey::from("subject:race"), 30, Duration::hours(1));
    // 20 challenges of one subject, 5 attempts each: 100 possible failures, ceiling 30.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let id = ChallengeId::random();
        store
            .create(&challenge(id, [3; 16], [4; 32], now))
            .await
            .unwrap();
        for _ in 0..5 {
            let (store, guard) = (store.clone(), guard.clone());
            tasks.push(tokio::spawn(async move {
                let request = req([3; 16], &[[0; 32]], now).with_subject(guard);
                store.check(&id, &request).await.unwrap()
            }));
        }
    }
    let mut rejected = 0;
    for t in tasks {
        match t.await.unwrap() {
            CheckOutcome::Rejected { .. } => rejected += 1,
            CheckOutcome::SubjectLocked => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(rejected, 30, "exactly the ceiling's worth of failures");
    postgres_env::drop_schema(&url, store.schema()).await;
}

#[tokio::test]
async fn destination_limit_holds_across_instances() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let schema = postgres_env::unique_schema();
    let sms = Arc::new(RecordingTransport::new());
    let mut instances = Vec::new();
    for _ in 0..2 {
        let store = postgres_env::store_in(&url, &schema).await;
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
    postgres_env::drop_schema(&url, &schema).await;
}

// ---------------------------------------------------------------------------------------
// Migrations.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_idempotent_and_safe_to_run_at_once() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let schema = postgres_env::unique_schema();
    let stores: Vec<PostgresStore> = (0..4)
        .map(|_| {
            PostgresStore::builder(&url)
                .schema(schema.clone())
                .timeout(time::Duration::seconds(10))
                .build()
                .unwrap()
        })
        .collect();
    // Four instances starting together.
    let runs: Vec<_> = stores
        .iter()
        .cloned()
        .map(|s| tokio::spawn(async move { s.migrate().await }))
        .collect();
    for run in runs {
        run.await.unwrap().unwrap();
    }
    // And again, on a schema that is up to date.
    stores[0].migrate().await.unwrap();
    let client = postgres_env::raw_client(&url).await.unwrap();
    let versions: Vec<i32> = client
        .query(
            &format!("SELECT version FROM \"{schema}\".schema_migrations ORDER BY version"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, vec![1, 2], "each migration recorded once");
    // Every expiry column is indexed, so purging never scans a table.
    let indexes: Vec<String> = client
        .query(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = $1",
            &[&schema],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for column in ["(purge_at)", "(window_end)", "(forget_at)"] {
        assert!(
            indexes.iter().any(|i| i.ends_with(column)),
            "no index on {column}: {indexes:?}"
        );
    }
    created_then_approved(&stores[1], &stores[2]).await;
    postgres_env::drop_schema(&url, &schema).await;
}

/// A database installed by an earlier version (migration 1 only, holding a challenge
/// under a 16-byte id) takes migration 2: the old row stays, and 20-byte ids fit.
#[tokio::test]
async fn a_schema_from_before_wider_ids_migrates_and_keeps_its_rows() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let schema = postgres_env::unique_schema();
    let client = postgres_env::raw_client(&url).await.unwrap();
    let quoted = format!("\"{schema}\"");
    let first = include_str!("../src/store/postgres/migrations/0001_init.sql")
        .replace("__SCHEMA__", &quoted);
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {quoted}; {first}; \
             CREATE TABLE {quoted}.schema_migrations \
               (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); \
             INSERT INTO {quoted}.schema_migrations (version) VALUES (1); \
             INSERT INTO {quoted}.challenges \
               (id, binding, digests, expires_at, resend_at, purge_at, max_attempts, max_sends) \
               VALUES (decode(repeat('ab', 16), 'hex'), '\\x01', ARRAY['\\x02'::bytea], 1, 1, 1, 5, 3);"
        ))
        .await
        .unwrap();
    let store = PostgresStore::builder(&url)
        .schema(schema.clone())
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    let old: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM {quoted}.challenges WHERE octet_length(id) = 16"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(old, 1, "the old challenge is kept until it is purged");
    created_then_approved(&store, &store).await;
    postgres_env::drop_schema(&url, &schema).await;
}

/// A delivery report about a challenge from before 20-byte ids (kept by an instance
/// not yet upgraded) finds no challenge: it is not corruption.
#[tokio::test]
async fn a_report_about_a_challenge_from_before_wider_ids_finds_nothing() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = postgres_env::store(&url).await;
    let schema = store.schema().to_owned();
    let client = postgres_env::raw_client(&url).await.unwrap();
    let far = SystemClock.now().unix_timestamp() * 1000 + 3_600_000;
    client
        .batch_execute(&format!(
            "INSERT INTO \"{schema}\".challenges \
               (id, binding, digests, expires_at, resend_at, purge_at, max_attempts, max_sends) \
               VALUES (decode(repeat('ab', 16), 'hex'), '\\x01', ARRAY['\\x02'::bytea], \
                       {far}, {far}, {far}, 5, 3); \
             INSERT INTO \"{schema}\".links (message, challenge, purge_at) \
               VALUES ('{message}', decode(repeat('ab', 16), 'hex'), {far});",
            message = MessageKey::new("twilio", "SM-old"),
        ))
        .await
        .unwrap();
    let report = DeliveryRecord::new(DeliveryStatus::Delivered, "twilio");
    let found = store
        .record_delivery(
            &MessageKey::new("twilio", "SM-old"),
            &report,
            SystemClock.now(),
        )
        .await;
    assert!(matches!(found, Ok(None)), "{found:?}");
}

#[tokio::test]
async fn an_unmigrated_schema_is_an_error_never_an_approval() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = PostgresStore::builder(&url)
        .schema(postgres_env::unique_schema())
        .build()
        .unwrap();
    let now = SystemClock.now();
    let check = store
        .check(&ChallengeId::random(), &req([1; 16], &[[2; 32]], now))
        .await;
    assert!(
        matches!(check, Err(StoreError::Unavailable(_))),
        "{check:?}"
    );
    let create = store
        .create(&challenge(ChallengeId::random(), [1; 16], [2; 32], now))
        .await;
    assert!(
        matches!(create, Err(StoreError::Unavailable(_))),
        "{create:?}"
    );
}

#[tokio::test]
async fn malformed_rows_are_corrupt() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = postgres_env::store(&url).await;
    let schema = store.schema().to_owned();
    let client = postgres_env::raw_client(&url).await.unwrap();
    let now = SystemClock.now();
    let id = ChallengeId::random();
    store
        .create(&challenge(id, [1; 16], [2; 32], now))
        .await
        .unwrap();
    // A delivery status no version of this crate writes.
    client
        .execute(
            &format!("UPDATE \"{schema}\".challenges SET delivery = 9, delivery_provider = 'x'"),
            &[],
        )
        .await
        .unwrap();
    assert!(matches!(
        store.status(&id, now).await,
        Err(StoreError::Corrupt(_))
    ));
    let request = ResendRequest::new([1; 16], [5; 32], now + Duration::minutes(2), Duration::ZERO);
    assert!(matches!(
        store.resend(&id, &request).await,
        Err(StoreError::Corrupt(_))
    ));
    postgres_env::drop_schema(&url, &schema).await;
}

// ---------------------------------------------------------------------------------------
// Failing closed, and coming back.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_fails_closed_and_service_resumes() {
    if postgres_env::database_url().await.is_none() {
        return;
    }
    let server = Throwaway::start();
    let store = PostgresStore::builder(&server.url())
        .timeout(time::Duration::milliseconds(500))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    let sms = Arc::new(RecordingTransport::new());
    let v = verifier(store.clone(), &sms);
    let who = Binding::new(phone(), Purpose::login());
    let pending = v.start(&who).await.unwrap();
    let code = sms.last_code(&phone()).unwrap();

    server.stop();
    for _ in 0..3 {
        fails_closed(&v, &pending.id, &who, &code).await;
        let purge = store
            .purge_expired(SystemClock.now(), NonZeroU32::new(10).unwrap())
            .await;
        assert!(matches!(&purge, Err(e) if is_outage(e)), "{purge:?}");
    }
    assert_eq!(sms.count(), 1, "no SMS goes out while the store is down");

    server.resume();
    // Broken connections are dropped and new ones made: poll until one is.
    let mut resumed = None;
    for _ in 0..100 {
        match v.status(&pending.id).await {
            Ok(status) => {
                resumed = Some(status);
                break;
            }
            Err(Error::Store(e)) => {
                assert!(is_outage(&e), "{e:?}");
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
            Err(e) => panic!("unexpected error while PostgreSQL restarts: {e:?}"),
        }
    }
    let status = resumed.expect("service resumes after PostgreSQL restarts");
    // PostgreSQL kept the challenge through the crash, with no attempt spent by the
    // failed checks: it approves now, once.
    assert_eq!(status.unwrap().attempts_left, 5);
    assert_eq!(
        v.check(&pending.id, &who, &code).await.unwrap(),
        Verdict::Approved
    );
    assert_eq!(
        v.check(&pending.id, &who, &code).await.unwrap(),
        Verdict::NotFound
    );
    v.start(&who).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_timeout_or_an_exhausted_pool_is_an_error() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = PostgresStore::builder(&url)
        .schema(postgres_env::unique_schema())
        .timeout(time::Duration::milliseconds(300))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    let schema = store.schema().to_owned();
    let now = SystemClock.now();
    let id = ChallengeId::random();
    store
        .create(&challenge(id, [1; 16], [2; 32], now))
        .await
        .unwrap();

    // Another session holds the challenge's row lock: the check waits, and the
    // statement timeout (on the server) or the call's timeout (here) ends it.
    let mut holder = postgres_env::raw_client(&url).await.unwrap();
    let tx = postgres_env::lock_challenge_row(&mut holder, &schema, &id).await;
    let started = stopwatch();
    let check = store.check(&id, &req([1; 16], &[[2; 32]], now)).await;
    assert!(matches!(check, Err(StoreError::Timeout)), "{check:?}");
    assert!(started.elapsed() < StdDuration::from_secs(3));
    // Hold the lock well past the store's statement_timeout before letting go: had the
    // server not given up on its own, the waiting check would now go on and approve.
    tokio::time::sleep(StdDuration::from_millis(700)).await;
    tx.rollback().await.unwrap();
    tokio::time::sleep(StdDuration::from_millis(100)).await;
    // The server gave up too: nothing was counted, and the right code still works.
    let status = store.status(&id, now).await.unwrap().unwrap();
    assert_eq!(status.attempts_left, 5);

    // A pool with one connection, held elsewhere: the call waits its timeout, then fails.
    let config: deadpool_postgres::tokio_postgres::Config = url.parse().unwrap();
    let manager = deadpool_postgres::Manager::new(config, deadpool_postgres::tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .runtime(Runtime::Tokio1)
        .build()
        .unwrap();
    let shared = PostgresStore::with_pool(pool.clone())
        .schema(schema.clone())
        .timeout(time::Duration::milliseconds(200))
        .build()
        .unwrap();
    let held = pool.get().await.unwrap();
    let check = shared.check(&id, &req([1; 16], &[[2; 32]], now)).await;
    assert!(matches!(check, Err(StoreError::Timeout)), "{check:?}");
    drop(held);
    assert_eq!(
        shared
            .check(&id, &req([1; 16], &[[2; 32]], now))
            .await
            .unwrap(),
        CheckOutcome::Approved
    );
    postgres_env::drop_schema(&url, &schema).await;
}

// ---------------------------------------------------------------------------------------
// Purging.

/// Rows the purge test plants; `SMSOTP_PURGE_ROWS=1000000` for the run recorded in
/// BENCHMARKS.md.
fn purge_rows() -> i64 {
    std::env::var("SMSOTP_PURGE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_expired_rows_in_batches_never_blocks_live_operations() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = postgres_env::store(&url).await;
    let schema = store.schema().to_owned();
    let client = postgres_env::raw_client(&url).await.unwrap();
    let now = SystemClock.now();
    let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap();
    let rows = purge_rows();
    // Expired challenges, links, counters and subject counts, planted in bulk.
    let planted = stopwatch();
    client
        .batch_execute(&format!(
            "INSERT INTO \"{schema}\".challenges (id, binding, digests, expires_at, resend_at, \
             purge_at, max_attempts, max_sends) \
             SELECT decode(md5(i::text), 'hex'), '\\x01', ARRAY['\\x02'::bytea], \
             {now_ms} - 2000, {now_ms} - 2000, {now_ms} - 1000 - i % 1000, 5, 3 \
             FROM generate_series(1, {rows}) i; \
             INSERT INTO \"{schema}\".links SELECT 'p:' || i, decode(md5(i::text), 'hex'), \
             {now_ms} - 1000 FROM generate_series(1, {rows} / 10) i; \
             INSERT INTO \"{schema}\".counters SELECT 'x:' || i, 1, {now_ms} - 1 \
             FROM generate_series(1, {rows} / 10) i; \
             INSERT INTO \"{schema}\".subjects SELECT 'u:' || i, 1, {now_ms} - 1 \
             FROM generate_series(1, {rows} / 10) i; \
             ANALYZE \"{schema}\".challenges"
        ))
        .await
        .unwrap();
    let planted = planted.elapsed();

    // Live rows that must survive, and live operations running throughout the purge.
    let live: Vec<ChallengeId> = (0..20).map(|_| ChallengeId::random()).collect();
    for id in &live {
        store
            .create(&challenge(*id, [7; 16], [8; 32], now))
            .await
            .unwrap();
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let worker = {
        let (store, stop, live) = (store.clone(), stop.clone(), live.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let started = stopwatch();
                let id = ChallengeId::random();
                store
                    .create(&challenge(id, [7; 16], [8; 32], now))
                    .await
                    .unwrap();
                let outcome = store
                    .check(&live[i % live.len()], &req([7; 16], &[[0; 32]], now))
                    .await
                    .unwrap();
                assert!(matches!(
                    outcome,
                    CheckOutcome::Rejected { .. } | CheckOutcome::Locked
                ));
                assert_eq!(
                    store
                        .check(&id, &req([7; 16], &[[8; 32]], now))
                        .await
                        .unwrap(),
                    CheckOutcome::Approved
                );
                latencies.push(started.elapsed());
                i += 1;
            }
            latencies
        })
    };
    let purging = stopwatch();
    let purged = store
        .purge_expired(now, NonZeroU32::new(5000).unwrap())
        .await
        .unwrap();
    let purge_time = purging.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut latencies = worker.await.unwrap();
    latencies.sort_unstable();
    assert_eq!(purged.challenges, u64::try_from(rows).unwrap());
    assert_eq!(purged.links, u64::try_from(rows / 10).unwrap());
    assert_eq!(purged.counters, u64::try_from(rows / 10).unwrap());
    assert_eq!(purged.subjects, u64::try_from(rows / 10).unwrap());
    for id in &live {
        assert!(
            store.status(id, now).await.unwrap().is_some(),
            "live rows stay"
        );
    }
    let left: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM \"{schema}\".challenges"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 20);
    let max = latencies.last().copied().unwrap_or_default();
    let p50 = latencies
        .get(latencies.len() / 2)
        .copied()
        .unwrap_or_default();
    let p99 = latencies
        .get(latencies.len() * 99 / 100)
        .copied()
        .unwrap_or_default();
    eprintln!(
        "purge: planted {rows} expired challenges (+{} each of links, counters, subjects) in \
         {planted:?}; purged {} rows in {purge_time:?}; meanwhile {} live rounds (create + \
         wrong check + right check): p50 {p50:?}, p99 {p99:?}, max {max:?}",
        rows / 10,
        purged.total(),
        latencies.len()
    );
    // A live round is three statements on rows the purge never touches; it waits on
    // nothing the purge holds. The bound is loose for a shared CI machine.
    assert!(max < StdDuration::from_secs(2), "a live round took {max:?}");
    // Purging again finds nothing.
    assert_eq!(
        store
            .purge_expired(now, NonZeroU32::new(5000).unwrap())
            .await
            .unwrap()
            .total(),
        0
    );
    postgres_env::drop_schema(&url, &schema).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purger_task_purges_on_its_own() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = postgres_env::store(&url).await;
    let past = SystemClock.now() - Duration::hours(1);
    let id = ChallengeId::random();
    store
        .create(&challenge(id, [1; 16], [2; 32], past))
        .await
        .unwrap();
    let purger = store.spawn_purger(time::Duration::milliseconds(50));
    let client = postgres_env::raw_client(&url).await.unwrap();
    let schema = store.schema().to_owned();
    let mut left = 1;
    for _ in 0..100 {
        left = client
            .query_one(
                &format!("SELECT count(*) FROM \"{schema}\".challenges"),
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0);
        if left == 0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    purger.abort();
    assert_eq!(left, 0, "the purger deleted the expired challenge");
    postgres_env::drop_schema(&url, &schema).await;
}

// ---------------------------------------------------------------------------------------
// Round trips, construction, secrecy of settings.

#[tokio::test]
async fn one_round_trip_per_operation() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let setup = postgres_env::store(&url).await;
    let schema = setup.schema().to_owned();
    let proxy = CountingProxy::start(postgres_env::host_port(&url));
    let config: deadpool_postgres::tokio_postgres::Config = url.parse().unwrap();
    let user = config.get_user().unwrap_or("postgres").to_owned();
    let database = config.get_dbname().unwrap_or(&user).to_owned();
    let store = PostgresStore::builder(&proxy.url(&user, &database))
        .schema(schema.clone())
        .pool_size(1)
        .build()
        .unwrap();
    let now = SystemClock.now();
    let (id, binding, digest) = (ChallengeId::random(), [1u8; 16], [2u8; 32]);
    // The connection is made (and counted) before the measured calls.
    store.status(&id, now).await.unwrap();
    let limits = [
        RateLimit::new("a", 5, Duration::minutes(1)),
        RateLimit::new("b", 5, Duration::minutes(1)),
        RateLimit::new("c", 5, Duration::minutes(1)),
    ];
    let message = MessageKey::new("p", "m-1");
    let subject = SubjectGuard::new(CounterKey::from("s"), 10, Duration::hours(1));
    let mut counted = Vec::new();
    let mut measure = |name: &'static str, before: usize| {
        counted.push((name, proxy.round_trips() - before));
    };
    let b = proxy.round_trips();
    store
        .create(&challenge(id, binding, digest, now))
        .await
        .unwrap();
    measure("create", b);
    let b = proxy.round_trips();
    store
        .check(
            &id,
            &req(binding, &[[0; 32]], now).with_subject(subject.clone()),
        )
        .await
        .unwrap();
    measure("check", b);
    let b = proxy.round_trips();
    let resend = ResendRequest::new(binding, [3; 32], now + Duration::minutes(2), Duration::ZERO);
    assert!(matches!(
        store.resend(&id, &resend).await.unwrap(),
        ResendOutcome::Resent { .. }
    ));
    measure("resend", b);
    let b = proxy.round_trips();
    store.status(&id, now).await.unwrap().unwrap();
    measure("status", b);
    let b = proxy.round_trips();
    store.link_message(&message, &id, now).await.unwrap();
    measure("link_message", b);
    let b = proxy.round_trips();
    let report = DeliveryRecord::new(DeliveryStatus::Delivered, "p");
    assert_eq!(
        store.record_delivery(&message, &report, now).await.unwrap(),
        Some(id)
    );
    measure("record_delivery", b);
    let b = proxy.round_trips();
    assert_eq!(
        store.reserve(&limits, now).await.unwrap(),
        RateDecision::Allowed
    );
    measure("reserve", b);
    let b = proxy.round_trips();
    store.release(&limits, now).await.unwrap();
    measure("release", b);
    let b = proxy.round_trips();
    let keys: Vec<CounterKey> = limits.iter().map(|l| l.key.clone()).collect();
    store.counts(&keys, now).await.unwrap();
    measure("counts", b);
    let b = proxy.round_trips();
    store.reset_subject(&subject.key).await.unwrap();
    measure("reset_subject", b);
    let b = proxy.round_trips();
    assert!(store.cancel(&id).await.unwrap());
    measure("cancel", b);
    let b = proxy.round_trips();
    store
        .purge_expired(now, NonZeroU32::new(100).unwrap())
        .await
        .unwrap();
    measure("purge_expired (one batch)", b);
    assert_eq!(counted.len(), 12);
    for (name, n) in &counted {
        assert_eq!(*n, 1, "{name} took {n} round trips");
    }
    postgres_env::drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn construction_refuses_bad_settings() {
    let url = "postgres://otp@127.0.0.1:1/otp";
    for schema in [
        "",
        "Upper",
        "has space",
        "1digit",
        "semi;colon",
        "quo\"te",
        &"x".repeat(64),
    ] {
        assert!(matches!(
            config_error(PostgresStore::builder(url).schema(schema).build()),
            PostgresConfigError::InvalidSchema
        ));
    }
    for timeout in [time::Duration::ZERO, time::Duration::milliseconds(-5)] {
        assert!(matches!(
            config_error(PostgresStore::builder(url).timeout(timeout).build()),
            PostgresConfigError::ZeroTimeout
        ));
    }
    assert!(matches!(
        config_error(PostgresStore::builder(url).pool_size(0).build()),
        PostgresConfigError::ZeroPoolSize
    ));
    assert!(matches!(
        config_error(PostgresStore::builder("postgres://h:notaport/db").build()),
        PostgresConfigError::InvalidUrl(_)
    ));
    let store = PostgresStore::builder(url).build().unwrap();
    assert_eq!(store.schema(), "smsotp");
}

#[tokio::test]
async fn a_database_that_is_down_is_an_outage() {
    let port = postgres_env::free_port();
    let store = PostgresStore::builder(&format!("postgres://otp@127.0.0.1:{port}/otp"))
        .timeout(time::Duration::milliseconds(300))
        .build()
        .unwrap();
    let now = SystemClock.now();
    let check = store
        .check(&ChallengeId::random(), &req([0; 16], &[[0; 32]], now))
        .await;
    assert!(matches!(&check, Err(e) if is_outage(e)), "{check:?}");
    let migrate = store.migrate().await;
    assert!(matches!(&migrate, Err(e) if is_outage(e)), "{migrate:?}");
}

#[tokio::test]
async fn debug_and_errors_never_show_the_password() {
    let url = format!(
        "postgres://otp:pa55-w0rd-x@127.0.0.1:{}/otp",
        postgres_env::free_port()
    );
    let builder = PostgresStore::builder(&url).timeout(time::Duration::milliseconds(200));
    assert!(!format!("{builder:?}").contains("pa55"));
    let store = builder.build().unwrap();
    let shown = format!("{store:?}");
    assert!(
        shown.contains("smsotp") && !shown.contains("pa55"),
        "{shown}"
    );
    let err = store.cancel(&ChallengeId::random()).await.unwrap_err();
    assert!(!format!("{err:?} {err}").contains("pa55"), "{err:?}");
    let err = store.migrate().await.unwrap_err();
    assert!(!format!("{err:?} {err}").contains("pa55"), "{err:?}");
    let bad = config_error(
        PostgresStore::builder("postgres://otp:pa55-w0rd-x@127.0.0.1:notaport/otp").build(),
    );
    assert!(!format!("{bad:?} {bad}").contains("pa55"), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serialization_failure_is_an_error_and_changes_nothing() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let store = postgres_env::store(&url).await;
    let schema = store.schema().to_owned();
    // An app whose pool runs every transaction SERIALIZABLE: concurrent checks of one
    // challenge then fail with serialization errors instead of queueing.
    let mut config: deadpool_postgres::tokio_postgres::Config = url.parse().unwrap();
    config.options("-c default_transaction_isolation=serializable");
    let manager = deadpool_postgres::Manager::new(config, deadpool_postgres::tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(8)
        .runtime(Runtime::Tokio1)
        .build()
        .unwrap();
    let serializable = Arc::new(
        PostgresStore::with_pool(pool)
            .schema(schema.clone())
            .timeout(time::Duration::seconds(10))
            .build()
            .unwrap(),
    );
    let now = SystemClock.now();
    let id = ChallengeId::random();
    store
        .create(&challenge(id, [1; 16], [2; 32], now))
        .await
        .unwrap();
    // Hold the row while eight checks (right code and wrong ones) queue behind the
    // lock, each with its snapshot already taken; then let go.
    let mut holder = postgres_env::raw_client(&url).await.unwrap();
    let tx = postgres_env::lock_challenge_row(&mut holder, &schema, &id).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = serializable.clone();
            let digest = if i == 0 { [2; 32] } else { [0; 32] };
            tokio::spawn(async move { store.check(&id, &req([1; 16], &[digest], now)).await })
        })
        .collect();
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    tx.rollback().await.unwrap();
    let (mut approved, mut rejected, mut failed) = (0, 0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(CheckOutcome::Approved) => approved += 1,
            Ok(CheckOutcome::Rejected { .. }) => rejected += 1,
            Ok(other) => panic!("unexpected outcome {other:?}"),
            Err(StoreError::Unavailable(_)) => failed += 1,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(approved + rejected + failed, 8);
    assert!(approved <= 1);
    assert!(
        failed >= 1,
        "checks queued on one row fail to serialize (approved {approved}, rejected {rejected})"
    );
    // A failed statement rolled back whole: only the checks that answered counted.
    match store.status(&id, now).await.unwrap() {
        Some(status) => {
            assert_eq!(approved, 0);
            assert_eq!(status.attempts_left, 5 - rejected);
        }
        None => assert_eq!(approved, 1, "only an approval removes the challenge"),
    }
    postgres_env::drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn an_app_role_without_create_on_the_database_migrates_a_schema_made_for_it() {
    let Some(url) = postgres_env::database_url().await else {
        return;
    };
    let admin = postgres_env::raw_client(&url).await.unwrap();
    let role = "smsotp_test_app_role";
    // Roles are global to the server, so made once and kept; it may log in (trust
    // authentication, as everywhere in these tests) but not create schemas.
    admin
        .batch_execute(&format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') \
             THEN CREATE ROLE {role} LOGIN; END IF; END $$"
        ))
        .await
        .unwrap();
    let config: deadpool_postgres::tokio_postgres::Config = url.parse().unwrap();
    let database = config.get_dbname().unwrap_or("postgres").to_owned();
    let as_app = format!(
        "postgres://{role}@{}/{database}",
        postgres_env::host_port(&url)
    );

    // Without a schema made for it, the role cannot migrate: an error.
    let missing = PostgresStore::builder(&as_app)
        .schema(postgres_env::unique_schema())
        .timeout(time::Duration::seconds(5))
        .build()
        .unwrap();
    let refused = missing.migrate().await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );

    // With one, it migrates and works.
    let schema = postgres_env::unique_schema();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema} AUTHORIZATION {role}"))
        .await
        .unwrap();
    let store = PostgresStore::builder(&as_app)
        .schema(schema.clone())
        .timeout(time::Duration::seconds(5))
        .build()
        .unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    created_then_approved(&store, &store).await;
    postgres_env::drop_schema(&url, &schema).await;
}
