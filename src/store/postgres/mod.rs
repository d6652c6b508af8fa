//! The PostgreSQL store (feature `postgres`).

mod sql;

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use deadpool_postgres::tokio_postgres::error::SqlState;
use deadpool_postgres::tokio_postgres::types::{ToSql, Type};
use deadpool_postgres::tokio_postgres::{self, NoTls, Row};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use time::OffsetDateTime;

use super::{
    BindingTag, ChallengeStore, CheckOutcome, CheckRequest, CounterKey, CounterStore,
    DeliveryRecord, DeliveryStore, MessageKey, NewChallenge, RateDecision, RateLimit,
    ResendOutcome, ResendRequest, StoreError,
};
use crate::challenge::{ChallengeId, DeliveryStatus, Phase, Status};
use crate::clock::{Clock, SystemClock, std_duration};
use sql::{MIGRATIONS, Statements};

/// Keeps challenges and rate counters in PostgreSQL (feature `postgres`): the database
/// a web app already has, shared by every instance of the app. Cheap to clone: clones
/// share one connection pool.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use smsotp::store::PostgresStore;
/// use smsotp::{Secret, Verifier};
/// use time::Duration;
///
/// let store = PostgresStore::builder("postgres://app@127.0.0.1/app")
///     .schema("smsotp")
///     .timeout(Duration::milliseconds(500))
///     .build()?;
/// store.migrate().await?; // creates or upgrades the schema; safe on every start
/// let _purger = store.spawn_purger(Duration::seconds(60));
/// let verifier = Verifier::builder(Secret::new(vec![7u8; 32])?)
///     .store(store)
///     .transport(smsotp::transport::ConsoleTransport::new()) // your provider here
///     .build()?;
/// # let _ = verifier; Ok(()) }
/// ```
///
/// # How it keeps the contract
/// - **One round trip, atomic.** Every operation is one SQL statement sent with its
///   parameter types (`Parse`, `Bind`, `Describe`, `Execute`, `Sync` in one write, no prepare
///   round trip): an `INSERT ... ON CONFLICT`, a `DELETE`, a `SELECT`, or one call of a
///   plpgsql function that [`migrate`](Self::migrate) installs. A statement is its own
///   transaction at the default isolation level (READ COMMITTED); the functions take row
///   locks (`SELECT ... FOR UPDATE`) on what they change, so concurrent checks of one
///   challenge queue, each seeing the attempts the one before counted. A check counts
///   the attempt *before* it compares, and deletes the challenge on a match. Locks are
///   always taken challenge first, then subject, and counters in name order, so
///   operations never deadlock one another.
/// - **Expiry without TTLs.** Every statement compares stored times with the time the
///   verifier passes in, so an expired row never changes an answer, purged or not.
///   [`purge_expired`](Self::purge_expired) (or [`spawn_purger`](Self::spawn_purger))
///   deletes them in bounded batches through an index on each table's expiry.
/// - **Nothing readable at rest.** A challenge row holds its binding tag and code
///   digests (keyed HMACs, `bytea`), times as unix milliseconds and counters; counter
///   and subject names are the keyed indexes the verifier makes, message links the
///   provider's message ids. No code, no phone number.
/// - **Fails closed.** A lost connection, an exhausted pool, the statement timeout or a
///   serialization failure is [`StoreError::Unavailable`] or [`StoreError::Timeout`];
///   a reply of the wrong shape is [`StoreError::Corrupt`]; never an approval. Broken
///   connections are dropped from the pool and new ones made, so service resumes on its
///   own when the server comes back. A call that timed out on the client may still
///   finish on the server (a check may cost an attempt or consume the challenge); the
///   app was told "error" either way, never "approved".
///
/// # Tables (in the schema, default `smsotp`)
/// | table | one row per | key | purged after |
/// |---|---|---|---|
/// | `challenges` | challenge: binding tag, digests, times, counts, last delivery report | `id` | `purge_at` |
/// | `counters` | rate or spend counter | `name` | `window_end` |
/// | `subjects` | subject's consecutive failures | `name` | `forget_at` |
/// | `links` | provider message → challenge | `message` | `purge_at` |
/// | `schema_migrations` | applied migration | `version` | never |
///
/// # Operating it
/// - Run [`migrate`](Self::migrate) at start-up (idempotent; instances starting
///   together are serialised by an advisory lock), and purge: [`spawn_purger`](Self::spawn_purger)
///   in one or more instances, or [`purge_expired`](Self::purge_expired) from a job.
/// - A store built from a URL sets `statement_timeout` on its connections to the
///   store's timeout. With [`with_pool`](Self::with_pool), set it on your pool's
///   connections yourself (the `options=-c statement_timeout=500` connection
///   parameter); the client-side timeout applies either way.
/// - Calls go through a pooler in transaction mode (PgBouncer) fine: no prepared
///   statements, no session state. Such poolers drop the `options` parameter, so set
///   the statement timeout on the database role there
///   (`ALTER ROLE app SET statement_timeout = '500ms'`).
/// - Keep `synchronous_commit` on (the default) for this data: with it off, a crash can
///   lose the last acknowledged writes, which could roll back an attempt count or bring
///   back a consumed challenge. Asynchronous replicas have the same risk on failover;
///   keep `ttl` short, or use synchronous replication.
/// - Calls need a Tokio runtime with timers enabled (`#[tokio::main]` has them).
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    schema: Arc<str>,
    sql: Arc<Statements>,
    timeout: StdDuration,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's configuration may carry a password: leave it out.
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Configures a [`PostgresStore`]; made by [`PostgresStore::builder`] or
/// [`PostgresStore::with_pool`].
#[must_use]
pub struct PostgresStoreBuilder {
    source: Source,
    schema: String,
    timeout: StdDuration,
    pool_size: usize,
}

enum Source {
    Url(String),
    Pool(Pool),
}

impl fmt::Debug for PostgresStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStoreBuilder")
            .field("schema", &self.schema)
            .field("timeout", &self.timeout)
            .field("pool_size", &self.pool_size)
            .finish_non_exhaustive()
    }
}

/// A [`PostgresStoreBuilder`] setting that cannot work. [`PostgresStoreBuilder::build`]
/// returns it inside [`StoreError::Config`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresConfigError {
    /// The connection URL is not one the PostgreSQL client understands.
    #[error("invalid PostgreSQL connection URL")]
    InvalidUrl(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The schema name is not a plain lower-case identifier.
    #[error(
        "a schema name is 1 to 63 lower-case ASCII letters, digits or '_', not starting with a digit"
    )]
    InvalidSchema,
    /// A zero timeout would fail every call.
    #[error("the timeout must be more than zero")]
    ZeroTimeout,
    /// A pool of no connections could serve nothing.
    #[error("the pool size must be more than zero")]
    ZeroPoolSize,
    /// The connection pool could not be built.
    #[error("the connection pool could not be built")]
    Pool(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What one [`PostgresStore::purge_expired`] call deleted, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Purged {
    /// Challenges past their purge time.
    pub challenges: u64,
    /// Message links past their challenge's purge time.
    pub links: u64,
    /// Rate counters whose window had ended.
    pub counters: u64,
    /// Subject failure counts past their window.
    pub subjects: u64,
}

impl Purged {
    /// Rows deleted in all.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.challenges + self.links + self.counters + self.subjects
    }
}

impl PostgresStore {
    /// The schema used unless [`PostgresStoreBuilder::schema`] sets another.
    pub const DEFAULT_SCHEMA: &str = "smsotp";

    /// How long one operation may take unless [`PostgresStoreBuilder::timeout`] says
    /// otherwise.
    pub const DEFAULT_TIMEOUT: time::Duration = time::Duration::milliseconds(500);

    /// Connections in a pool the store builds itself, unless
    /// [`PostgresStoreBuilder::pool_size`] says otherwise.
    pub const DEFAULT_POOL_SIZE: usize = 16;

    /// Rows per table per statement in [`spawn_purger`](Self::spawn_purger)'s purges.
    pub const DEFAULT_PURGE_BATCH: NonZeroU32 = match NonZeroU32::new(1000) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    };

    /// Starts configuring a store with its own pool of connections to the database at
    /// `url` (`postgres://user[:password]@host[:port]/database`, or the `key=value`
    /// form), without TLS: for TLS, build a pool with your connector and use
    /// [`with_pool`](Self::with_pool).
    pub fn builder(url: &str) -> PostgresStoreBuilder {
        PostgresStoreBuilder::new(Source::Url(url.to_owned()))
    }

    /// Starts configuring a store over a pool the app already has (to share its
    /// connections, or for TLS and settings a URL cannot express).
    ///
    /// The pool is a `deadpool_postgres::Pool` (deadpool-postgres 0.14, over
    /// tokio-postgres 0.7), re-exported as [`smsotp::store::deadpool_postgres`](crate::store::deadpool_postgres)
    /// so the versions always match; this is the one place those crates show in this
    /// crate's API. The pool's own timeouts apply, and the store's
    /// [`timeout`](PostgresStoreBuilder::timeout) bounds each call on top of them.
    pub fn with_pool(pool: Pool) -> PostgresStoreBuilder {
        PostgresStoreBuilder::new(Source::Pool(pool))
    }

    /// The schema in use.
    #[must_use]
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema as an SQL identifier (validated at build, quoted here anyway).
    fn quoted_schema(&self) -> String {
        format!("\"{}\"", self.schema)
    }

    /// Creates the schema, or brings it up to date, in one transaction: tables,
    /// indexes and functions, recorded in `<schema>.schema_migrations`. Idempotent:
    /// run it on every start. Instances migrating at once are serialised by a
    /// transaction-scoped advisory lock, so each migration runs exactly once.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached or refuses (for
    /// example, the role may not create schemas); [`StoreError::Timeout`] past 30
    /// seconds.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let schema = self.quoted_schema();
        let name = &*self.schema;
        let work = async {
            let mut client = self.pool.get().await.map_err(pool_error)?;
            let tx = client.transaction().await.map_err(pg_error)?;
            // Migrations may take longer than one operation may.
            tx.batch_execute("SET LOCAL statement_timeout = '30s'")
                .await
                .map_err(pg_error)?;
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&MIGRATION_LOCK, &&*self.schema],
            )
            .await
            .map_err(pg_error)?;
            // Only create the schema when it is missing: CREATE SCHEMA checks the
            // database privilege before IF NOT EXISTS, and a role may have been given
            // a schema made for it instead. (The name is validated: plain identifier
            // characters, so it is safe as a literal.)
            tx.batch_execute(&format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace \
                 WHERE nspname = '{name}') THEN CREATE SCHEMA {schema}; END IF; END $$; \
                 CREATE TABLE IF NOT EXISTS {schema}.schema_migrations ( \
                 version integer PRIMARY KEY, \
                 applied_at timestamptz NOT NULL DEFAULT now())"
            ))
            .await
            .map_err(pg_error)?;
            let applied: Vec<i32> = tx
                .query(
                    &format!("SELECT version FROM {schema}.schema_migrations"),
                    &[],
                )
                .await
                .map_err(pg_error)?
                .iter()
                .map(|row| row.try_get(0).map_err(|_| corrupt("schema_migrations")))
                .collect::<Result<_, _>>()?;
            let known = MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0);
            if let Some(newer) = applied.iter().copied().filter(|v| *v > known).max() {
                // A newer smsotp migrated this schema (a rollback of the app, or mixed
                // versions mid-deploy). Carry on: if the newer schema no longer fits,
                // calls fail with errors, never with approvals.
                tracing::warn!(schema = %self.schema, newer, known, "smsotp: the schema was migrated by a newer version");
            }
            for migration in &MIGRATIONS {
                if applied.contains(&migration.version) {
                    continue;
                }
                tx.batch_execute(&migration.sql.replace("__SCHEMA__", &schema))
                    .await
                    .map_err(pg_error)?;
                tx.execute(
                    &format!("INSERT INTO {schema}.schema_migrations (version) VALUES ($1)"),
                    &[&migration.version],
                )
                .await
                .map_err(pg_error)?;
                tracing::info!(schema = %self.schema, version = migration.version, "smsotp: applied migration");
            }
            tx.commit().await.map_err(pg_error)
        };
        match tokio::time::timeout(StdDuration::from_secs(30), work).await {
            Ok(result) => result,
            Err(_elapsed) => Err(StoreError::Timeout),
        }
    }

    /// Deletes every row whose time has passed at `now` (challenges and links past
    /// their purge time, counters past their window, subject counts past theirs), in
    /// statements of at most `batch` rows per table, until none is left. Rows a live
    /// operation holds are skipped (and purged next time), so purging never blocks the
    /// store's operations; each batch is its own short transaction. Expired rows never
    /// change an answer, so when this runs only bounds the tables' size.
    ///
    /// # Errors
    /// When the database cannot be reached; what earlier batches deleted stays deleted.
    pub async fn purge_expired(
        &self,
        now: OffsetDateTime,
        batch: NonZeroU32,
    ) -> Result<Purged, StoreError> {
        let now = millis(now);
        let limit = i64::from(batch.get());
        let mut total = Purged::default();
        loop {
            let row = self
                .one(&self.sql.purge, &[(&now, Type::INT8), (&limit, Type::INT8)])
                .await?;
            let counts = (0..4)
                .map(|i| {
                    row.try_get::<_, i64>(i)
                        .ok()
                        .and_then(|n| u64::try_from(n).ok())
                        .ok_or_else(|| corrupt("purge"))
                })
                .collect::<Result<Vec<u64>, _>>()?;
            total.challenges += counts[0];
            total.links += counts[1];
            total.counters += counts[2];
            total.subjects += counts[3];
            if counts.iter().all(|n| *n < u64::from(batch.get())) {
                return Ok(total);
            }
        }
    }

    /// Runs [`purge_expired`](Self::purge_expired) every `interval` on a Tokio task,
    /// with the system clock and [`DEFAULT_PURGE_BATCH`](Self::DEFAULT_PURGE_BATCH);
    /// failures are logged (with `tracing`) and retried at the next tick. Several
    /// instances may each run one: batches skip rows another holds. Abort the returned
    /// handle to stop it.
    pub fn spawn_purger(&self, interval: time::Duration) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        // A zero or negative interval would spin; one millisecond is the shortest tick.
        let interval = std_duration(interval).max(StdDuration::from_millis(1));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match store
                    .purge_expired(SystemClock.now(), Self::DEFAULT_PURGE_BATCH)
                    .await
                {
                    Ok(purged) if purged.total() > 0 => {
                        tracing::debug!(schema = %store.schema, ?purged, "smsotp: purged expired rows");
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(schema = %store.schema, %error, "smsotp: purge failed; will retry");
                    }
                }
            }
        })
    }

    /// Runs one statement within the timeout, connection checkout included.
    async fn rows(
        &self,
        statement: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, StoreError> {
        let call = async {
            let client = self.pool.get().await.map_err(pool_error)?;
            client
                .query_typed(statement, params)
                .await
                .map_err(pg_error)
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_elapsed) => Err(StoreError::Timeout),
        }
    }

    /// Runs a statement that answers exactly one row.
    async fn one(
        &self,
        statement: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Row, StoreError> {
        let mut rows = self.rows(statement, params).await?;
        match (rows.pop(), rows.is_empty()) {
            (Some(row), true) => Ok(row),
            _ => Err(corrupt("a statement answering one row")),
        }
    }
}

/// The advisory lock class migrations take ("smso"), with the schema's hash as the key.
const MIGRATION_LOCK: i32 = 0x736d_736f;

impl PostgresStoreBuilder {
    fn new(source: Source) -> Self {
        Self {
            source,
            schema: PostgresStore::DEFAULT_SCHEMA.to_owned(),
            timeout: std_duration(PostgresStore::DEFAULT_TIMEOUT),
            pool_size: PostgresStore::DEFAULT_POOL_SIZE,
        }
    }

    /// Puts every table in `schema` (default [`PostgresStore::DEFAULT_SCHEMA`]): 1 to 63
    /// lower-case ASCII letters, digits or `_`, not starting with a digit, so it never
    /// needs quoting rules explained.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// The longest one operation may take, waiting for a connection included (default
    /// [`PostgresStore::DEFAULT_TIMEOUT`]); past it the call fails with
    /// [`StoreError::Timeout`]. A store built from a URL also sets it as the
    /// connections' `statement_timeout`, so the server gives up too.
    /// A timeout of zero or less is refused at [`build`](Self::build).
    pub fn timeout(mut self, timeout: time::Duration) -> Self {
        // Negative reads as zero, which `build` refuses.
        self.timeout = std_duration(timeout);
        self
    }

    /// Connections in the store's own pool (default
    /// [`PostgresStore::DEFAULT_POOL_SIZE`]); ignored with
    /// [`with_pool`](PostgresStore::with_pool).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }

    /// Builds the store. Connects to nothing yet: connections are made as calls need
    /// them, so this succeeds while the database is down; call
    /// [`PostgresStore::migrate`] next, which shows a wrong URL or a database that is
    /// down at start-up.
    ///
    /// # Errors
    /// [`StoreError::Config`] with a [`PostgresConfigError`] for a bad URL,
    /// schema, timeout or pool size.
    pub fn build(self) -> Result<PostgresStore, StoreError> {
        let config_error = |e: PostgresConfigError| StoreError::Config(Box::new(e));
        if !valid_schema(&self.schema) {
            return Err(config_error(PostgresConfigError::InvalidSchema));
        }
        if self.timeout.is_zero() {
            return Err(config_error(PostgresConfigError::ZeroTimeout));
        }
        let pool = match self.source {
            Source::Pool(pool) => pool,
            Source::Url(url) => {
                if self.pool_size == 0 {
                    return Err(config_error(PostgresConfigError::ZeroPoolSize));
                }
                own_pool(&url, self.timeout, self.pool_size).map_err(config_error)?
            }
        };
        let quoted = format!("\"{}\"", self.schema);
        Ok(PostgresStore {
            pool,
            sql: Arc::new(Statements::new(&quoted)),
            schema: self.schema.into(),
            timeout: self.timeout,
        })
    }
}

/// A pool over `url` whose connections give up on a statement after `timeout`.
fn own_pool(url: &str, timeout: StdDuration, size: usize) -> Result<Pool, PostgresConfigError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| PostgresConfigError::InvalidUrl(Box::new(e)))?;
    let statement_timeout = format!(
        "-c statement_timeout={}",
        timeout.as_millis().clamp(1, i32::MAX as u128)
    );
    let options = match config.get_options() {
        Some(theirs) if !theirs.trim().is_empty() => format!("{theirs} {statement_timeout}"),
        _ => statement_timeout,
    };
    config.options(options);
    config.connect_timeout(timeout);
    // Fast recycling only asks the client whether its connection has closed: no extra
    // round trip per call. A connection that broke unnoticed fails one call (an error,
    // never an approval) and is then dropped.
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| PostgresConfigError::Pool(Box::new(e)))
}

fn valid_schema(schema: &str) -> bool {
    (1..=63).contains(&schema.len())
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.starts_with(|c: char| c.is_ascii_digit())
}

fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Timeout(_) => StoreError::Timeout,
        PoolError::Backend(e) => pg_error(e),
        other => StoreError::Unavailable(Box::new(other)),
    }
}

fn pg_error(e: tokio_postgres::Error) -> StoreError {
    let code = e.code();
    // The statement timeout cancels the query server-side; lock_timeout likewise.
    if code == Some(&SqlState::QUERY_CANCELED) || code == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        return StoreError::Timeout;
    }
    // Everything else: connection loss, a server shutting down, serialization failures
    // and deadlocks (transient; the statement rolled back), and a schema that was never
    // migrated (undefined table or function).
    StoreError::Unavailable(Box::new(e))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected answer to {what}"))
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn duration_millis(d: time::Duration) -> i64 {
    i64::try_from(d.whole_milliseconds()).unwrap_or(if d.is_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// `t + d` in unix milliseconds, computed as the in-memory store does (add, then
/// truncate) so both stores agree to the millisecond; saturating instead of panicking.
fn later(t: OffsetDateTime, d: time::Duration) -> i64 {
    match t.checked_add(d) {
        Some(at) => millis(at),
        None => millis(t).saturating_add(duration_millis(d)),
    }
}

/// A count as the database keeps it (bigint); larger ones are clamped.
fn exact(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn from_millis(ms: i64, what: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::UNIX_EPOCH
        .checked_add(time::Duration::milliseconds(ms))
        .ok_or_else(|| corrupt(what))
}

fn count(n: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| corrupt(what))
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
    what: &str,
) -> Result<T, StoreError> {
    row.try_get(i).map_err(|_| corrupt(what))
}

/// How a delivery status is kept in `challenges.delivery`.
fn delivery_code(status: DeliveryStatus) -> i16 {
    match status {
        DeliveryStatus::Pending => 0,
        DeliveryStatus::Delivered => 1,
        DeliveryStatus::Failed { permanent: false } => 2,
        DeliveryStatus::Failed { permanent: true } => 3,
    }
}

/// The delivery status kept as `code`; `None` when none was reported.
fn delivery_status(code: Option<i16>) -> Result<Option<DeliveryStatus>, StoreError> {
    Ok(Some(match code {
        None => return Ok(None),
        Some(0) => DeliveryStatus::Pending,
        Some(1) => DeliveryStatus::Delivered,
        Some(2) => DeliveryStatus::Failed { permanent: false },
        Some(3) => DeliveryStatus::Failed { permanent: true },
        Some(_) => return Err(corrupt("a delivery status")),
    }))
}

#[async_trait::async_trait]
impl ChallengeStore for PostgresStore {
    async fn create(&self, c: &NewChallenge) -> Result<(), StoreError> {
        let id: &[u8] = c.id.as_bytes();
        let binding: &[u8] = &c.binding;
        let digest: &[u8] = &c.digest;
        let (expires, resend, purge, now) = (
            millis(c.timeline.expires_at),
            millis(c.timeline.resend_at),
            millis(c.timeline.purge_at),
            millis(c.timeline.created_at),
        );
        let (attempts, sends) = (
            i64::from(c.allowance.max_attempts),
            i64::from(c.allowance.max_sends),
        );
        let rows = self
            .rows(
                &self.sql.create,
                &[
                    (&id, Type::BYTEA),
                    (&binding, Type::BYTEA),
                    (&digest, Type::BYTEA),
                    (&expires, Type::INT8),
                    (&resend, Type::INT8),
                    (&purge, Type::INT8),
                    (&attempts, Type::INT8),
                    (&sends, Type::INT8),
                    (&c.decoy, Type::BOOL),
                    (&now, Type::INT8),
                ],
            )
            .await?;
        match rows.len() {
            1 => Ok(()),
            0 => Err(StoreError::Conflict),
            _ => Err(corrupt("create")),
        }
    }

    async fn check(
        &self,
        id: &ChallengeId,
        request: &CheckRequest,
    ) -> Result<CheckOutcome, StoreError> {
        let id: &[u8] = id.as_bytes();
        let binding: &[u8] = &request.binding;
        let candidates: Vec<&[u8]> = request.candidates.iter().map(|d| &d[..]).collect();
        let now = millis(request.now);
        let subject = request.subject.as_ref().map(|g| g.key.to_string());
        let max_failures = request
            .subject
            .as_ref()
            .map_or(0, |g| i64::from(g.max_failures));
        let forget_at = request
            .subject
            .as_ref()
            .map_or(0, |g| later(request.now, g.window));
        let row = self
            .one(
                &self.sql.check,
                &[
                    (&id, Type::BYTEA),
                    (&binding, Type::BYTEA),
                    (&candidates, Type::BYTEA_ARRAY),
                    (&now, Type::INT8),
                    (&subject, Type::TEXT),
                    (&max_failures, Type::INT8),
                    (&forget_at, Type::INT8),
                ],
            )
            .await?;
        // Only the one exact answer approves; anything unexpected is an error.
        match get::<i32>(&row, 0, "check")? {
            0 => Ok(CheckOutcome::NotFound),
            1 => Ok(CheckOutcome::Expired),
            2 => Ok(CheckOutcome::Locked),
            3 => Ok(CheckOutcome::Approved),
            4 => Ok(CheckOutcome::Rejected {
                attempts_left: count(get(&row, 1, "check")?, "check")?,
            }),
            5 => Ok(CheckOutcome::SubjectLocked),
            _ => Err(corrupt("check")),
        }
    }

    async fn resend(
        &self,
        id: &ChallengeId,
        request: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError> {
        let id: &[u8] = id.as_bytes();
        let binding: &[u8] = &request.binding;
        let digest: &[u8] = &request.digest;
        let now = millis(request.now);
        let next = later(request.now, request.cooldown);
        let row = self
            .one(
                &self.sql.resend,
                &[
                    (&id, Type::BYTEA),
                    (&binding, Type::BYTEA),
                    (&digest, Type::BYTEA),
                    (&now, Type::INT8),
                    (&next, Type::INT8),
                ],
            )
            .await?;
        let at = |i: usize| -> Result<OffsetDateTime, StoreError> {
            from_millis(get(&row, i, "resend")?, "resend")
        };
        match get::<i32>(&row, 0, "resend")? {
            0 => Ok(ResendOutcome::NotFound),
            1 => Ok(ResendOutcome::Expired),
            2 => Ok(ResendOutcome::Locked),
            3 => Ok(ResendOutcome::MaxSends),
            4 => Ok(ResendOutcome::Cooldown { resend_at: at(2)? }),
            5 => {
                let status = delivery_status(get(&row, 5, "resend")?)?;
                let provider: Option<String> = get(&row, 6, "resend")?;
                let last_delivery = match (status, provider) {
                    (None, None) => None,
                    (Some(status), Some(provider)) => Some(DeliveryRecord::new(status, provider)),
                    _ => return Err(corrupt("resend")),
                };
                Ok(ResendOutcome::Resent {
                    expires_at: at(1)?,
                    resend_at: at(2)?,
                    attempts_left: count(get(&row, 3, "resend")?, "resend")?,
                    sends_left: count(get(&row, 4, "resend")?, "resend")?,
                    last_delivery,
                })
            }
            _ => Err(corrupt("resend")),
        }
    }

    async fn cancel(&self, id: &ChallengeId) -> Result<bool, StoreError> {
        let id: &[u8] = id.as_bytes();
        let rows = self.rows(&self.sql.cancel, &[(&id, Type::BYTEA)]).await?;
        match rows.len() {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(corrupt("cancel")),
        }
    }

    async fn status(
        &self,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        let id: &[u8] = id.as_bytes();
        let now = millis(now);
        let rows = self
            .rows(&self.sql.status, &[(&id, Type::BYTEA), (&now, Type::INT8)])
            .await?;
        status_of(&rows, now)
    }

    async fn status_for(
        &self,
        id: &ChallengeId,
        binding: &BindingTag,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        let id: &[u8] = id.as_bytes();
        let tag: &[u8] = binding;
        let now = millis(now);
        let rows = self
            .rows(
                &self.sql.status_for,
                &[(&id, Type::BYTEA), (&now, Type::INT8), (&tag, Type::BYTEA)],
            )
            .await?;
        status_of(&rows, now)
    }

    async fn reset_subject(&self, key: &CounterKey) -> Result<(), StoreError> {
        let name = key.to_string();
        self.rows(&self.sql.reset_subject, &[(&name, Type::TEXT)])
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl CounterStore for PostgresStore {
    async fn reserve(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        if limits.is_empty() {
            return Ok(RateDecision::Allowed);
        }
        let names: Vec<String> = limits.iter().map(|l| l.key.to_string()).collect();
        let caps: Vec<i64> = limits.iter().map(|l| exact(l.limit)).collect();
        let costs: Vec<i64> = limits.iter().map(|l| exact(l.cost)).collect();
        let ends: Vec<i64> = limits.iter().map(|l| later(now, l.window)).collect();
        let now = millis(now);
        let row = self
            .one(
                &self.sql.reserve,
                &[
                    (&names, Type::TEXT_ARRAY),
                    (&caps, Type::INT8_ARRAY),
                    (&costs, Type::INT8_ARRAY),
                    (&ends, Type::INT8_ARRAY),
                    (&now, Type::INT8),
                ],
            )
            .await?;
        match get::<Vec<i64>>(&row, 0, "reserve")?.as_slice() {
            [1] => Ok(RateDecision::Allowed),
            [0, index, retry_at] => {
                let limit = usize::try_from(*index)
                    .ok()
                    .filter(|i| *i < limits.len())
                    .ok_or_else(|| corrupt("reserve"))?;
                Ok(RateDecision::Denied {
                    limit,
                    retry_at: from_millis(*retry_at, "reserve")?,
                })
            }
            _ => Err(corrupt("reserve")),
        }
    }

    async fn release(
        &self,
        limits: &[RateLimit],
        reserved_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if limits.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = limits.iter().map(|l| l.key.to_string()).collect();
        let costs: Vec<i64> = limits.iter().map(|l| exact(l.cost)).collect();
        let windows: Vec<i64> = limits.iter().map(|l| duration_millis(l.window)).collect();
        let at = millis(reserved_at);
        self.one(
            &self.sql.release,
            &[
                (&names, Type::TEXT_ARRAY),
                (&costs, Type::INT8_ARRAY),
                (&windows, Type::INT8_ARRAY),
                (&at, Type::INT8),
            ],
        )
        .await?;
        Ok(())
    }

    async fn counts(
        &self,
        keys: &[CounterKey],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = keys.iter().map(ToString::to_string).collect();
        let now = millis(now);
        let rows = self
            .rows(
                &self.sql.counts,
                &[(&names, Type::TEXT_ARRAY), (&now, Type::INT8)],
            )
            .await?;
        if rows.len() != keys.len() {
            return Err(corrupt("counts"));
        }
        rows.iter()
            .map(|row| u64::try_from(get::<i64>(row, 0, "counts")?).map_err(|_| corrupt("counts")))
            .collect()
    }
}

#[async_trait::async_trait]
impl DeliveryStore for PostgresStore {
    async fn link_message(
        &self,
        message: &MessageKey,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let message = message.to_string();
        let id: &[u8] = id.as_bytes();
        let now = millis(now);
        self.rows(
            &self.sql.link,
            &[
                (&message, Type::TEXT),
                (&id, Type::BYTEA),
                (&now, Type::INT8),
            ],
        )
        .await?;
        Ok(())
    }

    async fn record_delivery(
        &self,
        message: &MessageKey,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        let message = message.to_string();
        let code = delivery_code(report.status);
        let provider: &str = &report.provider;
        let now = millis(now);
        let rows = self
            .rows(
                &self.sql.delivery,
                &[
                    (&message, Type::TEXT),
                    (&code, Type::INT2),
                    (&provider, Type::TEXT),
                    (&now, Type::INT8),
                ],
            )
            .await?;
        match rows.as_slice() {
            [] => Ok(None),
            [row] => {
                let bytes: Vec<u8> = get(row, 0, "record_delivery")?;
                if bytes.len() == crate::challenge::legacy::LEN {
                    return Ok(crate::challenge::legacy::report_finds_nothing());
                }
                let id: [u8; ChallengeId::LEN] =
                    bytes.try_into().map_err(|_| corrupt("record_delivery"))?;
                Ok(Some(ChallengeId::from_bytes(id)))
            }
            _ => Err(corrupt("record_delivery")),
        }
    }
}

/// The status in the rows of a `status` or `status_for` statement at `now`.
fn status_of(rows: &[Row], now: i64) -> Result<Option<Status>, StoreError> {
    let row = match rows {
        [] => return Ok(None),
        [row] => row,
        _ => return Err(corrupt("status")),
    };
    let int = |i: usize| get::<i64>(row, i, "status");
    let (expires_at, resend_at) = (int(0)?, int(1)?);
    let (attempts, max_attempts, sends, max_sends) = (int(2)?, int(3)?, int(4)?, int(5)?);
    let phase = if now >= expires_at {
        Phase::Expired
    } else if attempts >= max_attempts {
        Phase::Locked
    } else {
        Phase::Pending
    };
    Ok(Some(Status {
        phase,
        expires_at: from_millis(expires_at, "status")?,
        resend_at: from_millis(resend_at, "status")?,
        attempts_left: count((max_attempts - attempts).max(0), "status")?,
        sends_left: count((max_sends - sends).max(0), "status")?,
        delivery: delivery_status(get(row, 6, "status")?)?,
    }))
}
