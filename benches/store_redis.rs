//! RedisStore `check` and `create` (the store's half of `start`) at concurrency 1, 16
//! and 64, against the same Lua script sent raw (a prebuilt `EVALSHA` command) through
//! the same client in the same run, with raw `GET` and a trivial `EVALSHA` for context;
//! on a Redis Cluster too when `REDIS_CLUSTER_URLS` is set, with how the calls spread
//! over the primaries; then, through a counting TCP proxy, the round trips each store
//! operation takes.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379/ REDIS_CLUSTER_URLS=redis://127.0.0.1:7000 \
//!     cargo bench --features redis --bench store_redis
//! ```
//! Without `REDIS_URL` it prints a note and measures nothing. `benches/check_script.sh`
//! measures the check script on the server alone with `redis-benchmark`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/redis_env.rs"]
mod redis_env;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{BenchmarkId, Criterion, Throughput};
use redis::aio::ConnectionLike;
use smsotp::store::{
    Allowance, ChallengeStore, CheckRequest, CounterKey, CounterStore, DeliveryRecord,
    DeliveryStore, MessageKey, NewChallenge, RateLimit, RedisStore, ResendRequest, SubjectGuard,
    Timeline,
};
use smsotp::{ChallengeId, Clock, DeliveryStatus, SystemClock};
use time::{Duration, OffsetDateTime};

const CONCURRENCY: [usize; 3] = [1, 16, 64];
const CHECK_LUA: &str = include_str!("../src/store/redis/check.lua");
const CREATE_LUA: &str = include_str!("../src/store/redis/create.lua");

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

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap()
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

/// One check per task: a wrong code for a challenge of its own subject, with the
/// subject ceiling (the full rejected path), and the same call as a prebuilt raw
/// `EVALSHA` of check.lua.
struct Checks {
    ids: Vec<ChallengeId>,
    requests: Vec<CheckRequest>,
    raw: Vec<redis::Cmd>,
}

async fn prepare_checks(store: &RedisStore, now: OffsetDateTime) -> Checks {
    let check_sha = redis::Script::new(CHECK_LUA).get_hash().to_owned();
    let mut checks = Checks {
        ids: Vec::new(),
        requests: Vec::new(),
        raw: Vec::new(),
    };
    for i in 0..64 {
        let subject = CounterKey::from(format!("bench-subject-{i}").as_str());
        let id = ChallengeId::grouped(subject.group());
        store.create(&challenge(id, now, u32::MAX)).await.unwrap();
        let guard = SubjectGuard::new(subject.clone(), u32::MAX, Duration::hours(24));
        checks
            .requests
            .push(CheckRequest::new([1; 16], vec![[0; 32]], now).with_subject(guard));
        let prefix = store.prefix();
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(&check_sha)
            .arg(2)
            .arg(format!("{prefix}:{{{:04x}}}:{id}", id.group()))
            .arg(format!("{prefix}:{{{:04x}}}:f:{subject}", subject.group()))
            .arg(millis(now))
            .arg(&[1u8; 16][..])
            .arg(u32::MAX)
            .arg(format!("{:015}", millis(now + Duration::hours(24))))
            .arg(&[0u8; 32][..]);
        checks.raw.push(cmd);
        checks.ids.push(id);
    }
    checks
}

/// The raw create: create.lua with its arguments prebuilt, only the key new per call.
fn raw_create_cmd(prefix: &str, sha: &str, now: OffsetDateTime, n: u64) -> redis::Cmd {
    let id = ChallengeId::random();
    let t = millis(now);
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(sha)
        .arg(1)
        .arg(format!("{prefix}:{{{:04x}}}:raw{n}", id.group()))
        .arg(t)
        .arg(&[1u8; 16][..])
        .arg(&[2u8; 32][..])
        .arg(t + 300_000)
        .arg(t + 1_000)
        .arg(t + 360_000)
        .arg(5)
        .arg(1_000_000)
        .arg(360_000);
    cmd
}

/// Throughput of `op` fanned out `n` wide, over about `window`.
async fn rate<F, Fut>(n: usize, window: std::time::Duration, op: &F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let start = tokio::time::Instant::now();
    let mut done = 0u64;
    while start.elapsed() < window {
        fan_out(n, op).await;
        done += n as u64;
    }
    done as f64 / start.elapsed().as_secs_f64()
}

/// Store over raw, paired: short windows of each in turn (the order alternating), so
/// the other jobs on the machine weigh on both alike; the median of the pairs' ratios.
async fn paired<R, RF, S, SF>(n: usize, raw: &R, store: &S) -> (f64, f64, f64)
where
    R: Fn(usize) -> RF,
    RF: Future<Output = ()> + Send + 'static,
    S: Fn(usize) -> SF,
    SF: Future<Output = ()> + Send + 'static,
{
    const PAIRS: usize = 9;
    let window = std::time::Duration::from_millis(300);
    let mut ratios = Vec::with_capacity(PAIRS);
    for pair in 0..PAIRS {
        let (r, s) = if pair % 2 == 0 {
            let r = rate(n, window, raw).await;
            (r, rate(n, window, store).await)
        } else {
            let s = rate(n, window, store).await;
            (rate(n, window, raw).await, s)
        };
        ratios.push(s / r);
    }
    ratios.sort_by(f64::total_cmp);
    (ratios[PAIRS / 2], ratios[0], ratios[PAIRS - 1])
}

/// The benches of one topology, over one shared client `conn` (which the store uses
/// too).
fn bench_topology<C>(
    criterion: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    conn: &C,
    store: &Arc<RedisStore>,
    concurrency: &[usize],
) where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    let now = SystemClock.now();
    let checks = Arc::new(rt.block_on(prepare_checks(store, now)));
    let create_sha: Arc<str> = redis::Script::new(CREATE_LUA).get_hash().into();
    let trivial = Arc::new(redis::Script::new("return 1"));
    let get_key = Arc::new(format!("{}:{{bench}}:get", store.prefix()));
    let prefix: Arc<str> = store.prefix().into();
    let serial = Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        let _: () = redis::cmd("SET")
            .arg(get_key.as_str())
            .arg("x")
            .arg("PX")
            .arg(600_000)
            .query_async(&mut conn.clone())
            .await
            .unwrap();
        // Load the scripts the raw calls use (the store loaded its own).
        let _: String = redis::Script::new(CHECK_LUA)
            .load_async(&mut conn.clone())
            .await
            .unwrap();
        let _: i64 = trivial.invoke_async(&mut conn.clone()).await.unwrap();
    });
    let raw_get = {
        let (conn, key) = (conn.clone(), get_key.clone());
        move |_: usize| {
            let (mut conn, key) = (conn.clone(), key.clone());
            async move {
                let _: Option<String> = redis::cmd("GET")
                    .arg(key.as_str())
                    .query_async(&mut conn)
                    .await
                    .unwrap();
            }
        }
    };
    let raw_trivial = {
        let (conn, script) = (conn.clone(), trivial.clone());
        move |_: usize| {
            let (mut conn, script) = (conn.clone(), script.clone());
            async move {
                let _: i64 = script.invoke_async(&mut conn).await.unwrap();
            }
        }
    };
    let raw_check = {
        let (conn, checks) = (conn.clone(), checks.clone());
        move |i: usize| {
            let (mut conn, checks) = (conn.clone(), checks.clone());
            async move {
                let _: redis::Value = checks.raw[i].query_async(&mut conn).await.unwrap();
            }
        }
    };
    let store_check = {
        let (store, checks) = (store.clone(), checks.clone());
        move |i: usize| {
            let (store, checks) = (store.clone(), checks.clone());
            async move {
                store
                    .check(&checks.ids[i], &checks.requests[i])
                    .await
                    .unwrap();
            }
        }
    };
    let raw_create = {
        let (conn, sha, prefix) = (conn.clone(), create_sha.clone(), prefix.clone());
        move |_: usize| {
            let (mut conn, sha, prefix) = (conn.clone(), sha.clone(), prefix.clone());
            let k = serial.fetch_add(1, Ordering::Relaxed);
            async move {
                let cmd = raw_create_cmd(&prefix, &sha, now, k);
                let _: redis::Value = cmd.query_async(&mut conn).await.unwrap();
            }
        }
    };
    let store_create = {
        let store = store.clone();
        move |_: usize| {
            let store = store.clone();
            async move {
                let c = challenge(ChallengeId::random(), now, 5);
                store.create(&c).await.unwrap();
            }
        }
    };
    for &n in concurrency {
        let mut g = criterion.benchmark_group(format!("{name}_concurrency_{n}"));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("raw_get", n), |b| {
            b.to_async(rt).iter(|| fan_out(n, &raw_get));
        });
        g.bench_function(BenchmarkId::new("raw_trivial_evalsha", n), |b| {
            b.to_async(rt).iter(|| fan_out(n, &raw_trivial));
        });
        g.bench_function(BenchmarkId::new("raw_check_script", n), |b| {
            b.to_async(rt).iter(|| fan_out(n, &raw_check));
        });
        g.bench_function(BenchmarkId::new("store_check", n), |b| {
            b.to_async(rt).iter(|| fan_out(n, &store_check));
        });
        g.bench_function(BenchmarkId::new("raw_create_script", n), |b| {
            b.to_async(rt).iter(|| fan_out(n, &raw_create));
        });
        g.bench_function(BenchmarkId::new("store_create", n), |b| {
            b.to_async(rt).iter(|| fan_out(n, &store_create));
        });
        g.finish();
    }
    println!("\n{name}: store / raw script, paired 300 ms windows, median (min-max) of 9");
    for &n in concurrency {
        let (check, lo, hi) = rt.block_on(paired(n, &raw_check, &store_check));
        println!("  c={n:<3} check  {check:.2} ({lo:.2}-{hi:.2})");
        let (create, lo, hi) = rt.block_on(paired(n, &raw_create, &store_create));
        println!("  c={n:<3} create {create:.2} ({lo:.2}-{hi:.2})");
    }
}

/// EVALSHA calls each primary has served, from INFO commandstats.
async fn evalsha_per_primary(seed: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for node in redis_env::primaries(seed).await {
        let mut conn = redis_env::raw_connection(&node).await.unwrap();
        let stats: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut conn)
            .await
            .unwrap();
        let calls = stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        out.push((node, calls));
    }
    out
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
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();

    let prefix = redis_env::unique_prefix();
    let (manager, store) = rt.block_on(async {
        let manager = redis::Client::open(url.as_str())
            .unwrap()
            .get_connection_manager()
            .await
            .expect("Redis at REDIS_URL answers");
        let store = RedisStore::with_connection(manager.clone())
            .prefix(prefix.clone())
            .build()
            .await
            .unwrap();
        (manager, Arc::new(store))
    });
    bench_topology(&mut criterion, &rt, "redis", &manager, &store, &CONCURRENCY);

    let cluster = std::env::var("REDIS_CLUSTER_URLS").ok().map(|list| {
        list.split(',')
            .map(|u| u.trim().to_owned())
            .collect::<Vec<_>>()
    });
    let mut cluster_prefix = None;
    if let Some(seeds) = &cluster {
        let prefix = redis_env::unique_prefix();
        let (conn, store) = rt.block_on(async {
            let conn = redis::cluster::ClusterClient::new(seeds.clone())
                .unwrap()
                .get_async_connection()
                .await
                .expect("the cluster at REDIS_CLUSTER_URLS answers");
            let store = RedisStore::with_cluster_connection(conn.clone())
                .prefix(prefix.clone())
                .build()
                .await
                .unwrap();
            (conn, Arc::new(store))
        });
        let before = rt.block_on(evalsha_per_primary(&seeds[0]));
        bench_topology(&mut criterion, &rt, "cluster", &conn, &store, &CONCURRENCY);
        let after = rt.block_on(evalsha_per_primary(&seeds[0]));
        println!("\nEVALSHA calls per cluster primary during the cluster benches:");
        for ((node, a), (_, b)) in after.iter().zip(&before) {
            println!("  {node:<28} {}", a - b);
        }
        cluster_prefix = Some(prefix);
    }
    // How throughput at 64 tasks grows with primaries: throwaway clusters of 1, 2 and
    // 3 primaries (no replicas) on free ports, when SMSOTP_BENCH_PRIMARIES lists them.
    let counts: Vec<u16> = std::env::var("SMSOTP_BENCH_PRIMARIES")
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default();
    for primaries in counts {
        let cluster = redis_env::ThrowawayCluster::with_primaries(primaries);
        let (conn, store) = rt.block_on(async {
            let conn = redis::cluster::ClusterClient::new(cluster.urls())
                .unwrap()
                .get_async_connection()
                .await
                .unwrap();
            let store = RedisStore::with_cluster_connection(conn.clone())
                .build()
                .await
                .unwrap();
            (conn, Arc::new(store))
        });
        let name = format!("primaries_{primaries}");
        let before = rt.block_on(evalsha_per_primary(&cluster.urls()[0]));
        bench_topology(&mut criterion, &rt, &name, &conn, &store, &[64]);
        let after = rt.block_on(evalsha_per_primary(&cluster.urls()[0]));
        println!("\nEVALSHA calls per primary, {primaries} primaries:");
        for ((node, a), (_, b)) in after.iter().zip(&before) {
            println!("  {node:<28} {}", a - b);
        }
    }
    criterion.final_summary();

    rt.block_on(async {
        count_round_trips(&url).await;
        redis_env::cleanup(&url, &prefix).await;
        if let (Some(seeds), Some(prefix)) = (cluster, cluster_prefix) {
            redis_env::Target::Cluster(seeds).cleanup(&prefix).await;
        }
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
