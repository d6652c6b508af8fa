//! PostgresStore operations at concurrency 1, 16 and 64, each against the very same SQL
//! statement run raw (`query_typed` with the same parameters) through the same pool in
//! the same run; then, through a proxy that counts protocol round trips, how many each
//! store operation takes.
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --features postgres --bench store_postgres
//! ```
//! Without `DATABASE_URL` it prints a note and measures nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/postgres_env.rs"]
mod postgres_env;

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput};
use smsotp::store::deadpool_postgres::tokio_postgres::types::{ToSql, Type};
use smsotp::store::deadpool_postgres::{self, Pool, Runtime};
use smsotp::store::{
    Allowance, ChallengeStore, CheckRequest, CounterKey, CounterStore, DeliveryRecord,
    DeliveryStore, MessageKey, NewChallenge, PostgresStore, RateLimit, ResendRequest, Timeline,
};
use smsotp::{ChallengeId, Clock, DeliveryStatus, SystemClock};
use time::{Duration, OffsetDateTime};

const CONCURRENCY: [usize; 3] = [1, 16, 64];

fn challenge(id: ChallengeId, now: OffsetDateTime, attempts: u32) -> NewChallenge {
    NewChallenge::new(
        id,
        [1; 16],
        [2; 32],
        Timeline::new(
            now,
            Duration::minutes(5),
            Duration::seconds(1),
            Duration::minutes(1),
        ),
        Allowance::new(attempts, 1_000_000),
    )
}

fn ms(t: OffsetDateTime) -> i64 {
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

/// The statements the store sends, written out here for the raw runs.
struct Raw {
    check: String,
    create: String,
    status: String,
    reserve: String,
}

impl Raw {
    fn new(schema: &str) -> Self {
        let s = format!("\"{schema}\"");
        Self {
            check: format!(
                "SELECT outcome, attempts_left FROM {s}.check_code($1, $2, $3, $4, $5, $6, $7)"
            ),
            create: format!(
                "INSERT INTO {s}.challenges AS c (id, binding, digests, expires_at, resend_at, \
                 purge_at, attempts, max_attempts, sends, max_sends, decoy) \
                 VALUES ($1, $2, ARRAY[$3::bytea], $4, $5, $6, 0, $7, 1, $8, $9) \
                 ON CONFLICT (id) DO UPDATE SET binding = EXCLUDED.binding, \
                 digests = EXCLUDED.digests, expires_at = EXCLUDED.expires_at, \
                 resend_at = EXCLUDED.resend_at, purge_at = EXCLUDED.purge_at, attempts = 0, \
                 max_attempts = EXCLUDED.max_attempts, sends = 1, \
                 max_sends = EXCLUDED.max_sends, decoy = EXCLUDED.decoy, delivery = NULL, \
                 delivery_provider = NULL \
                 WHERE c.purge_at <= $10 RETURNING 1"
            ),
            status: format!(
                "SELECT expires_at, resend_at, attempts, max_attempts, sends, max_sends, \
                 delivery FROM {s}.challenges WHERE id = $1 AND purge_at > $2"
            ),
            reserve: format!("SELECT {s}.reserve($1, $2, $3, $4, $5)"),
        }
    }
}

async fn raw(pool: &Pool, sql: &str, params: &[(&(dyn ToSql + Sync), Type)]) {
    let client = pool.get().await.unwrap();
    client.query_typed(sql, params).await.unwrap();
}

#[allow(clippy::too_many_lines)] // one criterion group per concurrency, four pairs each
fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("store_postgres bench skipped: DATABASE_URL not set");
        return;
    };
    let schema = postgres_env::unique_schema();
    let config: deadpool_postgres::tokio_postgres::Config = url.parse().unwrap();
    let manager = deadpool_postgres::Manager::new(config, deadpool_postgres::tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(16)
        .runtime(Runtime::Tokio1)
        .build()
        .unwrap();
    let store = Arc::new(
        PostgresStore::with_pool(pool.clone())
            .schema(schema.clone())
            .build()
            .unwrap(),
    );
    let raw_sql = Arc::new(Raw::new(&schema));
    let now = SystemClock.now();
    // One challenge per concurrent task, with attempts enough for the whole run.
    let ids: Arc<Vec<ChallengeId>> = Arc::new((0..64).map(|_| ChallengeId::random()).collect());
    rt.block_on(async {
        store.migrate().await.unwrap();
        for id in ids.iter() {
            store.create(&challenge(*id, now, u32::MAX)).await.unwrap();
        }
    });

    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();
    for &n in &CONCURRENCY {
        let mut g = criterion.benchmark_group(format!("postgres_concurrency_{n}"));
        g.throughput(Throughput::Elements(n as u64));
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
        g.bench_function(BenchmarkId::new("raw_check", n), |b| {
            b.to_async(&rt).iter(|| {
                let (pool, ids, sql) = (pool.clone(), ids.clone(), raw_sql.clone());
                fan_out(n, move |i| {
                    let (pool, id, sql) = (pool.clone(), ids[i], sql.clone());
                    async move {
                        let id: &[u8] = id.as_bytes();
                        let binding: &[u8] = &[1; 16];
                        let candidates: Vec<&[u8]> = vec![&[0; 32]];
                        let (now, subject, max, forget) = (ms(now), None::<&str>, 0i64, 0i64);
                        raw(
                            &pool,
                            &sql.check,
                            &[
                                (&id, Type::BYTEA),
                                (&binding, Type::BYTEA),
                                (&candidates, Type::BYTEA_ARRAY),
                                (&now, Type::INT8),
                                (&subject, Type::TEXT),
                                (&max, Type::INT8),
                                (&forget, Type::INT8),
                            ],
                        )
                        .await;
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
        g.bench_function(BenchmarkId::new("raw_create", n), |b| {
            b.to_async(&rt).iter(|| {
                let (pool, sql) = (pool.clone(), raw_sql.clone());
                fan_out(n, move |_| {
                    let (pool, sql) = (pool.clone(), sql.clone());
                    async move {
                        let c = challenge(ChallengeId::random(), now, 5);
                        let id: &[u8] = c.id.as_bytes();
                        let (binding, digest): (&[u8], &[u8]) = (&c.binding, &c.digest);
                        let t = c.timeline;
                        let (e, r, p, at) = (
                            ms(t.expires_at),
                            ms(t.resend_at),
                            ms(t.purge_at),
                            ms(t.created_at),
                        );
                        let (ma, msends) = (5i64, 1_000_000i64);
                        raw(
                            &pool,
                            &sql.create,
                            &[
                                (&id, Type::BYTEA),
                                (&binding, Type::BYTEA),
                                (&digest, Type::BYTEA),
                                (&e, Type::INT8),
                                (&r, Type::INT8),
                                (&p, Type::INT8),
                                (&ma, Type::INT8),
                                (&msends, Type::INT8),
                                (&false, Type::BOOL),
                                (&at, Type::INT8),
                            ],
                        )
                        .await;
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("store_status", n), |b| {
            b.to_async(&rt).iter(|| {
                let (store, ids) = (store.clone(), ids.clone());
                fan_out(n, move |i| {
                    let (store, id) = (store.clone(), ids[i]);
                    async move {
                        store.status(&id, now).await.unwrap();
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("raw_status", n), |b| {
            b.to_async(&rt).iter(|| {
                let (pool, ids, sql) = (pool.clone(), ids.clone(), raw_sql.clone());
                fan_out(n, move |i| {
                    let (pool, id, sql) = (pool.clone(), ids[i], sql.clone());
                    async move {
                        let id: &[u8] = id.as_bytes();
                        let now = ms(now);
                        raw(
                            &pool,
                            &sql.status,
                            &[(&id, Type::BYTEA), (&now, Type::INT8)],
                        )
                        .await;
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("store_reserve", n), |b| {
            b.to_async(&rt).iter(|| {
                let store = store.clone();
                fan_out(n, move |i| {
                    let store = store.clone();
                    async move {
                        let limit = RateLimit::new(
                            format!("bench:{i}").as_str(),
                            u64::MAX,
                            Duration::hours(1),
                        );
                        store.reserve(&[limit], now).await.unwrap();
                    }
                })
            });
        });
        g.bench_function(BenchmarkId::new("raw_reserve", n), |b| {
            b.to_async(&rt).iter(|| {
                let (pool, sql) = (pool.clone(), raw_sql.clone());
                fan_out(n, move |i| {
                    let (pool, sql) = (pool.clone(), sql.clone());
                    async move {
                        let names = vec![format!("x:bench:{i}")];
                        let (caps, costs) = (vec![i64::MAX], vec![1i64]);
                        let ends = vec![ms(now + Duration::hours(1))];
                        let now = ms(now);
                        raw(
                            &pool,
                            &sql.reserve,
                            &[
                                (&names, Type::TEXT_ARRAY),
                                (&caps, Type::INT8_ARRAY),
                                (&costs, Type::INT8_ARRAY),
                                (&ends, Type::INT8_ARRAY),
                                (&now, Type::INT8),
                            ],
                        )
                        .await;
                    }
                })
            });
        });
        g.finish();
    }
    criterion.final_summary();

    rt.block_on(async {
        count_round_trips(&url, &schema).await;
        postgres_env::drop_schema(&url, &schema).await;
    });
}

/// Sends each store operation 100 times through a proxy that counts round trips.
async fn count_round_trips(url: &str, schema: &str) {
    let proxy = postgres_env::CountingProxy::start(postgres_env::host_port(url));
    let config: deadpool_postgres::tokio_postgres::Config = url.parse().unwrap();
    let user = config.get_user().unwrap_or("postgres").to_owned();
    let database = config.get_dbname().unwrap_or(&user).to_owned();
    let store = PostgresStore::builder(&proxy.url(&user, &database))
        .schema(schema)
        .pool_size(1)
        .build()
        .unwrap();
    let now = SystemClock.now();
    // Connect before counting.
    store.status(&ChallengeId::random(), now).await.unwrap();
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
            let before = proxy.round_trips();
            for &$id in &ids {
                $body;
            }
            rows.push(($name, proxy.round_trips() - before));
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
    count!("release (3 limits)", |_id| store
        .release(&limits, now)
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
}
