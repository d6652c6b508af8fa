//! RedisStore `check` and `create` (the store's half of `start`) at concurrency 1, 16
//! and 64, against raw `GET` and raw `EVALSHA` of a one-line script over the same
//! multiplexed connection in the same run; then, through a counting TCP proxy, the
//! round trips each store operation takes.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379/ cargo bench --features redis --bench store_redis
//! ```
//! Without `REDIS_URL` it prints a note and measures nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/redis_env.rs"]
mod redis_env;

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput};
use redis::aio::ConnectionManager;
use smsotp::store::{
    Allowance, ChallengeStore, CheckRequest, CounterKey, CounterStore, DeliveryRecord,
    DeliveryStore, MessageKey, NewChallenge, RateLimit, RedisStore, ResendRequest, Timeline,
};
use smsotp::{ChallengeId, Clock, DeliveryStatus, SystemClock};
use time::{Duration, OffsetDateTime};

const CONCURRENCY: [usize; 3] = [1, 16, 64];

fn challenge(id: ChallengeId, now: OffsetDateTime, attempts: u32) -> NewChallenge {
    NewChallenge::new(
        id,
        [1; 16],
        [2; 32],
        // A short retention, so the bench's challenges leave Redis soon after it.
        Timeline::new(
            now,
            Duration::minutes(5),
            Duration::seconds(1),
            Duration::minutes(1),
        ),
        Allowance::new(attempts, 1_000_000),
    )
}

/// Runs `op(i)` for `i` in `0..n` concurrently and waits for all.
async fn fan_out<F, Fut>(n: usize, op: F)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(op(i))).collect();
    for t in tasks {
        t.await.unwrap();
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Ok(url) = std::env::var("REDIS_URL") else {
        println!("store_redis bench skipped: REDIS_URL not set");
        return;
    };
    let prefix = redis_env::unique_prefix();
    let (conn, store) = rt.block_on(async {
        let conn: ConnectionManager = redis::Client::open(url.as_str())
            .unwrap()
            .get_connection_manager()
            .await
            .expect("Redis at REDIS_URL answers");
        let store = RedisStore::with_connection(conn.clone())
            .prefix(prefix.clone())
            .build()
            .await
            .unwrap();
        (conn, Arc::new(store))
    });

    // One challenge per concurrent task, with attempts enough for the whole run.
    let now = SystemClock.now();
    let ids: Arc<Vec<ChallengeId>> = Arc::new((0..64).map(|_| ChallengeId::random()).collect());
    rt.block_on(async {
        for id in ids.iter() {
            store.create(&challenge(*id, now, u32::MAX)).await.unwrap();
        }
        let mut c = conn.clone();
        let _: () = redis::cmd("SET")
            .arg(format!("{prefix}:bench-get"))
            .arg("x")
            .arg("PX")
            .arg(600_000)
            .query_async(&mut c)
            .await
            .unwrap();
    });
    let trivial = Arc::new(redis::Script::new("return 1"));
    let get_key = Arc::new(format!("{prefix}:bench-get"));

    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();
    for &n in &CONCURRENCY {
        let mut g = criterion.benchmark_group(format!("redis_concurrency_{n}"));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("raw_get", n), |b| {
            b.to_async(&rt).iter(|| {
                let (conn, key) = (conn.clone(), get_key.clone());
                fan_out(n, move |_| {
                    let (mut conn, key) = (conn.clone(), key.clone());
                    async move {
                        let _: Option<String> = redis::cmd("GET")
                            .arg(key.as_str())
                            .query_async(&mut conn)
                            .await
                            .unwrap();
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("raw_evalsha", n), |b| {
            b.to_async(&rt).iter(|| {
                let (conn, script) = (conn.clone(), trivial.clone());
                fan_out(n, move |_| {
                    let (mut conn, script) = (conn.clone(), script.clone());
                    async move {
                        let _: i64 = script.invoke_async(&mut conn).await.unwrap();
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("store_check", n), |b| {
            b.to_async(&rt).iter(|| {
                let (store, ids) = (store.clone(), ids.clone());
                fan_out(n, move |i| {
                    let (store, id) = (store.clone(), ids[i]);
                    async move {
                        let request = CheckRequest::new([1; 16], vec![[0; 32]], now);
                        store.check(&id, &request).await.unwrap();
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("store_create", n), |b| {
            b.to_async(&rt).iter(|| {
                let store = store.clone();
                fan_out(n, move |_| {
                    let store = store.clone();
                    async move {
                        let c = challenge(ChallengeId::random(), now, 5);
                        store.create(&c).await.unwrap();
                    }
                })
            });
        });
        g.finish();
    }
    criterion.final_summary();

    rt.block_on(async {
        count_round_trips(&url).await;
        redis_env::cleanup(&url, &prefix).await;
    });
}

/// Sends each store operation 100 times through a proxy that counts requests.
async fn count_round_trips(url: &str) {
    let proxy = redis_env::CountingProxy::start(redis_env::host_port(url));
    let prefix = redis_env::unique_prefix();
    let store = RedisStore::builder(&proxy.url())
        .prefix(prefix.clone())
        .build()
        .await
        .unwrap();
    let now = SystemClock.now();
    let ids: Vec<ChallengeId> = (0..100).map(|_| ChallengeId::random()).collect();
    let limits = [
        RateLimit::new("a", u64::MAX, Duration::minutes(1)),
        RateLimit::new("b", u64::MAX, Duration::minutes(1)),
        RateLimit::new("c", u64::MAX, Duration::minutes(1)),
    ];
    let names: Vec<CounterKey> = ["a", "b", "c"].map(CounterKey::from).to_vec();
    let report = DeliveryRecord::new(DeliveryStatus::Delivered, "bench");
    let mut rows = Vec::new();
    macro_rules! count {
        ($name:literal, |$id:ident| $body:expr) => {{
            let before = proxy.requests();
            for &$id in &ids {
                $body;
            }
            rows.push(($name, proxy.requests() - before));
        }};
    }
    let later = now + Duration::seconds(2);
    count!("create", |id| store
        .create(&challenge(id, now, 5))
        .await
        .unwrap());
    count!("check (wrong code)", |id| store
        .check(&id, &CheckRequest::new([1; 16], vec![[0; 32]], now))
        .await
        .unwrap());
    count!("resend", |id| store
        .resend(
            &id,
            &ResendRequest::new([1; 16], [3; 32], later, Duration::ZERO)
        )
        .await
        .unwrap());
    count!("status", |id| store.status(&id, now).await.unwrap());
    count!("reserve (3 limits)", |_id| store
        .reserve(&limits, now)
        .await
        .unwrap());
    count!("counts (3 keys)", |_id| store
        .counts(&names, now)
        .await
        .unwrap());
    count!("link_message", |id| store
        .link_message(&MessageKey::new("bench", &id.to_string()), &id, now)
        .await
        .unwrap());
    count!("record_delivery", |id| store
        .record_delivery(&MessageKey::new("bench", &id.to_string()), &report, now)
        .await
        .unwrap());
    count!("check (right code)", |id| store
        .check(&id, &CheckRequest::new([1; 16], vec![[2; 32]], now))
        .await
        .unwrap());
    count!("cancel", |id| store.cancel(&id).await.unwrap());
    println!("\nround trips per operation (100 of each, counted at a TCP proxy):");
    for (name, n) in rows {
        println!("  {name:<20} {:.2}", n as f64 / 100.0);
    }
    redis_env::cleanup(url, &prefix).await;
}
