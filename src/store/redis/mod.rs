//! The Redis store (feature `redis`): one server or a Redis Cluster.

mod conn;
mod layout;
mod scripts;

use std::fmt;
use std::sync::Arc;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::Slot;
use redis::{Cmd, ErrorKind, RedisError, Value};
use time::OffsetDateTime;

use super::{
    BindingTag, ChallengeStore, CheckOutcome, CheckRequest, CounterKey, CounterStore,
    DeliveryRecord, DeliveryStore, MessageKey, NewChallenge, RateDecision, RateLimit,
    ResendOutcome, ResendRequest, StoreError,
};
use crate::challenge::{ChallengeId, DeliveryStatus, Phase, Status};
use crate::clock::std_duration;
use conn::{Conn, evalsha};
use layout::{
    Linked, challenge_key, link_key, link_value, linked, linked_text, rate_key, subject_key,
};
use scripts::{CORRUPT_CODE, Lua};

/// Largest integer a Lua 5.1 number holds exactly; counts and times are clamped to it.
const LUA_EXACT: i64 = (1 << 53) - 1;

/// Keeps challenges and rate counters in Redis (feature `redis`): one server, or a
/// Redis Cluster (Valkey too), shared by every instance of an app. Cheap to clone:
/// clones share the connections.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use smsotp::store::RedisStore;
/// use smsotp::{Secret, Verifier};
/// use time::Duration;
///
/// // One server (or a primary with replicas):
/// let store = RedisStore::builder("redis://127.0.0.1:6379/")
///     .prefix("myapp-otp")
///     .timeout(Duration::milliseconds(300))
///     .build()
///     .await?;
/// // Or a cluster, from any of its nodes (the client finds the rest):
/// let clustered = RedisStore::cluster(&["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"])
///     .prefix("myapp-otp")
///     .build()
///     .await?;
/// let verifier = Verifier::builder(Secret::new(vec![7u8; 32])?)
///     .store(store)
///     .transport(smsotp::transport::ConsoleTransport::new()) // your provider here
///     .build()?;
/// # let _ = (verifier, clustered); Ok(()) }
/// ```
///
/// # How it keeps the contract
/// - **One round trip, atomic, one slot.** Every challenge operation is one Lua
///   script sent as `EVALSHA` (`cancel` and `reset_subject` are a single `DEL`) over
///   keys of one hash slot. Redis runs a script with no other command in between, so
///   attempt limits, the subject ceiling and single use hold across any number of app
///   instances. A check compares and then either consumes the challenge or counts the
///   attempt, in the same script, so every guess is paid for.
/// - **Every key has a TTL**, set by the same script that creates the key: a challenge
///   lives until its `purge_at`, a rate counter until its window ends, a subject's
///   count a window after its last failure, a message link as long as its challenge.
///   The TTL is relative (`PEXPIRE`), computed from the app's own times, so clock skew
///   between the app and Redis cannot shorten or stretch it. Decisions (expired,
///   purged, window over) use the time the app passes in, as with every store.
/// - **Nothing readable at rest.** A challenge is a hash of its binding tag, code
///   digests (raw 32-byte keyed HMACs), times as unix milliseconds, and counters. Rate
///   counters are named by the verifier with keyed indexes, never a phone number.
/// - **Fails closed.** Redis unreachable, slower than the timeout, or answering
///   something that is not a valid reply gives [`StoreError::Unavailable`],
///   [`StoreError::Timeout`] or [`StoreError::Corrupt`], never an approval. The
///   connection is re-established on its own when Redis comes back. A call that timed
///   out may still run on the server: a check may cost an attempt or even consume the
///   challenge, a create may leave a challenge that expires unused; the app was told
///   "error" either way, never "approved".
///
/// # Keys, and what a cluster changes
/// | key | hash tag | holds | TTL |
/// |---|---|---|---|
/// | `<prefix>:{<group>}:<id>` | the id's 16-bit group | one challenge, its digests and last delivery report | until `purge_at` |
/// | `<prefix>:{<group>}:f:<subject>` | the subject's group | a subject's consecutive failures and when to forget them (one string) | `window` after the last failure |
/// | `<prefix>:{r:<counter>}` | the counter | a rate or spend counter and its window end | the window |
/// | `<prefix>:{m:<provider>:<message>}` | the message | which challenge a provider's message carries | until the challenge's `purge_at` |
///
/// The store asks the verifier for grouped ids
/// ([`groups_by_subject`](ChallengeStore::groups_by_subject)): a subject's challenges
/// get ids in its group, so a check and the subject's ceiling are one script in one
/// slot. A guarded check whose id is not in the subject's group cannot be for a
/// challenge the verifier made for that subject, and is `NotFound` without a round trip.
/// Counters each have their own slot, so load spreads over the cluster; only the
/// global limit and the spend cap are one key each, touched once per SMS.
///
/// Operations that touch several slots work per slot on a cluster, and each step is
/// one atomic script; on a single server they stay one script and one round trip:
/// - `reserve` takes the limits slot by slot in the order given (number ▸ client ▸
///   prefix ▸ country ▸ global from the verifier), all-or-nothing within a slot; on a
///   refusal it gives back what the earlier slots took. Limits hold exactly as on one
///   server: no counter ever passes its limit. What changes: for one round trip a
///   refused request holds units of the limits before the one that refused it, so a
///   concurrent request near those limits may be refused too (never allowed beyond
///   one), and if the store fails between steps the units already taken stay counted
///   (over-counting refuses, never allows). The most specific limit comes first, so a
///   flood against one full number holds nothing else.
/// - `release` and `counts` go slot by slot; `counts` is then a read of each counter,
///   not one snapshot of all.
/// - `link_message` reads the challenge's time left in its slot, then writes the link
///   in the message's slot; `record_delivery` reads the link, then records the report
///   on the challenge in its slot. A delivery report knows only the provider's message
///   id, which cannot name the challenge's slot, and the report must land on the
///   challenge, where `status` and `resend` read it in their one step; so these two
///   operations, which run once per SMS and off the person's path, are two single-slot
///   steps. The link never changes once written, so nothing can happen between the
///   steps that one step would have prevented: a challenge consumed in between simply
///   gets no report, as if the report had come later.
///
/// # Operating it
/// - Use `maxmemory-policy noeviction`. An evicting policy could drop a locked
///   challenge or a full rate counter, which would hand out fresh attempts or sends.
///   With `noeviction`, a full Redis refuses writes and the store reports
///   [`StoreError::Unavailable`].
/// - Replication is asynchronous: a failover can lose acknowledged writes, which could
///   roll back an attempt count or bring back a consumed challenge (Jepsen found this
///   for Redis Sentinel and Cluster). Keep `ttl` short, consider `WAIT` in your
///   deployment's terms, and treat a failover as a reason to cancel pending challenges
///   if that risk matters. While a cluster primary is down and not yet replaced, the
///   operations on its slots fail (closed) and the others go on.
/// - Calls need a Tokio runtime with timers enabled (`#[tokio::main]` has them).
/// - A script reply is an array of integers; counts and times are exact up to 2^53.
/// - Upgrading from smsotp 0.1's key layout (`{<id>}`, `{rate}`) starts every counter
///   afresh and forgets pending challenges once.
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    prefix: Arc<str>,
    timeout: std::time::Duration,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection's URL may carry a password: leave it out.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("cluster", &self.conn.is_cluster())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Configures a [`RedisStore`]; made by [`RedisStore::builder`] or
/// [`RedisStore::cluster`].
#[must_use]
pub struct RedisStoreBuilder {
    source: Source,
    prefix: String,
    timeout: std::time::Duration,
    lazy: bool,
}

enum Source {
    Url(String),
    Manager(ConnectionManager),
    Cluster(Vec<String>),
    ClusterConnection(ClusterConnection),
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cluster = matches!(
            self.source,
            Source::Cluster(_) | Source::ClusterConnection(_)
        );
        f.debug_struct("RedisStoreBuilder")
            .field("prefix", &self.prefix)
            .field("cluster", &cluster)
            .field("timeout", &self.timeout)
            .field("lazy", &self.lazy)
            .finish_non_exhaustive()
    }
}

/// A [`RedisStoreBuilder`] setting that cannot work. [`RedisStoreBuilder::build`]
/// returns it inside [`StoreError::Config`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisConfigError {
    /// The connection URL is not one the Redis client understands (or, for a cluster,
    /// the seed URLs disagree on password, username, TLS or database, or are none).
    #[error("invalid Redis URL")]
    InvalidUrl(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The key prefix has characters outside the allowed set.
    #[error("a key prefix is 1 to 64 ASCII letters, digits, '-', '_', '.' or ':'")]
    InvalidPrefix,
    /// A zero timeout would fail every call.
    #[error("the timeout must be more than zero")]
    ZeroTimeout,
    /// The server answered the script upload with a different hash.
    #[error("the server stored a script under an unexpected hash")]
    ScriptHash,
}

impl RedisStore {
    /// The key prefix used unless [`RedisStoreBuilder::prefix`] sets another.
    pub const DEFAULT_PREFIX: &str = "smsotp";

    /// How long one operation may take unless [`RedisStoreBuilder::timeout`] says
    /// otherwise.
    pub const DEFAULT_TIMEOUT: time::Duration = time::Duration::milliseconds(500);

    /// Connects to the Redis at `url` (`redis://[user:password@]host[:port][/db]`) with
    /// the default prefix and timeout. Same as `RedisStore::builder(url).build()`.
    ///
    /// # Errors
    /// As [`RedisStoreBuilder::build`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::builder(url).build().await
    }

    /// Starts configuring a store for the Redis at `url`.
    pub fn builder(url: &str) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Source::Url(url.to_owned()))
    }

    /// Starts configuring a store for the Redis Cluster that `seeds` belong to
    /// (`redis://[user:password@]host:port` each; one reachable node is enough, more
    /// make start-up survive a node being down). The client learns the slot map from
    /// them, follows `MOVED` and `ASK` redirections, and refreshes the map when the
    /// topology changes (a failover, resharding).
    pub fn cluster<S: AsRef<str>>(seeds: &[S]) -> RedisStoreBuilder {
        let seeds = seeds.iter().map(|s| s.as_ref().to_owned()).collect();
        RedisStoreBuilder::new(Source::Cluster(seeds))
    }

    /// Starts configuring a store over a connection the app already has (to share it,
    /// or to use TLS, Sentinel-resolved addresses or settings the URL cannot express).
    ///
    /// This and [`with_cluster_connection`](Self::with_cluster_connection) are the
    /// places the `redis` crate shows in this crate's API: they take `redis` 1.x types
    /// and change when that crate's major version does. The manager's own reconnect and
    /// timeout settings apply, and the store's [`timeout`](RedisStoreBuilder::timeout)
    /// bounds each call on top of them.
    pub fn with_connection(manager: ConnectionManager) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Source::Manager(manager))
    }

    /// Starts configuring a store over a Redis Cluster connection the app already has.
    /// See [`with_connection`](Self::with_connection).
    pub fn with_cluster_connection(connection: ClusterConnection) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Source::ClusterConnection(connection))
    }

    /// The key prefix in use.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether the store talks to a Redis Cluster.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        self.conn.is_cluster()
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(store_error(e)),
            Err(_elapsed) => Err(StoreError::Timeout),
        }
    }

    /// Runs a script whose reply is an array of integers.
    async fn run(&self, lua: &Lua, cmd: &Cmd) -> Result<Vec<i64>, StoreError> {
        match self.run_mixed(lua, cmd).await? {
            (ints, None) => Ok(ints),
            (_, Some(_)) => Err(corrupt("a script")),
        }
    }

    /// Runs a script whose reply is an array of integers, perhaps ending in one string.
    async fn run_mixed(
        &self,
        lua: &Lua,
        cmd: &Cmd,
    ) -> Result<(Vec<i64>, Option<Vec<u8>>), StoreError> {
        let mut conn = self.conn.clone();
        let reply = self.bounded(conn::run(&mut conn, lua, cmd)).await?;
        parse_reply(reply)
    }

    /// Sends one plain command.
    async fn query(&self, cmd: &Cmd) -> Result<Value, StoreError> {
        let mut conn = self.conn.clone();
        self.bounded(cmd.query_async::<Value>(&mut conn)).await
    }

    /// Loads every script, so the first operations need no fallback round trip; also
    /// proves the server is there and speaks Lua. On a cluster each `SCRIPT LOAD` goes
    /// to every primary.
    async fn load_scripts(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let hashes: Vec<Value> = if self.conn.is_cluster() {
            let mut hashes = Vec::with_capacity(scripts::ALL.len());
            for lua in scripts::ALL {
                let mut load = redis::cmd("SCRIPT");
                load.arg("LOAD").arg(lua.source);
                hashes.push(self.bounded(load.query_async(&mut conn)).await?);
            }
            hashes
        } else {
            let mut pipe = redis::pipe();
            for lua in scripts::ALL {
                pipe.cmd("SCRIPT").arg("LOAD").arg(lua.source);
            }
            self.bounded(pipe.query_async(&mut conn)).await?
        };
        if hashes.len() != scripts::ALL.len() {
            return Err(corrupt("SCRIPT LOAD"));
        }
        let expected = scripts::ALL.iter().map(|lua| lua.script.get_hash());
        for (got, want) in hashes.iter().zip(expected) {
            let matches = match got {
                Value::BulkString(b) => b.as_slice() == want.as_bytes(),
                Value::SimpleString(s) => s == want,
                _ => false,
            };
            if !matches {
                return Err(StoreError::Unavailable(Box::new(
                    RedisConfigError::ScriptHash,
                )));
            }
        }
        Ok(())
    }

    /// The steps a multi-key counter operation takes: indexes into `keys`, one step per
    /// hash slot on a cluster, in the order each slot first appears; everything in one
    /// step on a single server, which lets one script touch any keys.
    fn steps(&self, keys: &[String]) -> Vec<Vec<usize>> {
        if !self.conn.is_cluster() {
            return vec![(0..keys.len()).collect()];
        }
        let mut steps: Vec<(Slot, Vec<usize>)> = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let slot = Slot::for_key(key.as_bytes());
            match steps.iter_mut().find(|(s, _)| *s == slot) {
                Some((_, step)) => step.push(i),
                None => steps.push((slot, vec![i])),
            }
        }
        steps.into_iter().map(|(_, step)| step).collect()
    }

    /// reserve.lua over the limits of one step: `None` when reserved, or the index (into
    /// `limits`) of the first full one and its window end.
    async fn reserve_step(
        &self,
        limits: &[RateLimit],
        keys: &[String],
        step: &[usize],
        now: OffsetDateTime,
    ) -> Result<Option<(usize, OffsetDateTime)>, StoreError> {
        let mut cmd = evalsha(&scripts::RESERVE, step.len());
        for &i in step {
            cmd.arg(keys[i].as_bytes());
        }
        cmd.arg(millis(now));
        for &i in step {
            let limit = &limits[i];
            cmd.arg(exact(limit.limit))
                .arg(duration_millis(limit.window).max(1))
                .arg(exact(limit.cost))
                .arg(later(now, limit.window));
        }
        match self.run(&scripts::RESERVE, &cmd).await?.as_slice() {
            [1] => Ok(None),
            [0, index, retry_at] => {
                let limit = usize::try_from(*index)
                    .ok()
                    .and_then(|i| step.get(i).copied())
                    .ok_or_else(|| corrupt("reserve"))?;
                Ok(Some((limit, from_millis(*retry_at, "reserve")?)))
            }
            _ => Err(corrupt("reserve")),
        }
    }

    /// release.lua over the limits of one step.
    async fn release_step(
        &self,
        limits: &[RateLimit],
        keys: &[String],
        step: &[usize],
        reserved_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut cmd = evalsha(&scripts::RELEASE, step.len());
        for &i in step {
            cmd.arg(keys[i].as_bytes());
        }
        cmd.arg(millis(reserved_at));
        for &i in step {
            cmd.arg(exact(limits[i].cost))
                .arg(duration_millis(limits[i].window).max(1));
        }
        match self.run(&scripts::RELEASE, &cmd).await?.as_slice() {
            [1] => Ok(()),
            _ => Err(corrupt("release")),
        }
    }

    /// Gives back the steps already reserved, each on its own; the first error, if any.
    async fn release_steps(
        &self,
        limits: &[RateLimit],
        keys: &[String],
        steps: &[&[usize]],
        reserved_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut first_error = None;
        for step in steps {
            if let Err(e) = self.release_step(limits, keys, step, reserved_at).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl RedisStoreBuilder {
    fn new(source: Source) -> Self {
        Self {
            source,
            prefix: RedisStore::DEFAULT_PREFIX.to_owned(),
            timeout: std_duration(RedisStore::DEFAULT_TIMEOUT),
            lazy: false,
        }
    }

    /// Puts every key under `prefix` (default [`RedisStore::DEFAULT_PREFIX`]): 1 to 64 ASCII
    /// letters, digits, `-`, `_`, `.` or `:`. Braces are refused because they would
    /// change the cluster hash tags.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest one operation may take, connecting included (default
    /// [`RedisStore::DEFAULT_TIMEOUT`]); past it the call fails with [`StoreError::Timeout`].
    /// A timeout of zero or less is refused at [`build`](Self::build).
    pub fn timeout(mut self, timeout: time::Duration) -> Self {
        // Negative reads as zero, which `build` refuses.
        self.timeout = std_duration(timeout);
        self
    }

    /// Skips the start-up check: [`build`](Self::build) then succeeds while Redis is
    /// down, and operations fail with [`StoreError::Unavailable`] or
    /// [`StoreError::Timeout`] until it is up. For apps that must start before Redis.
    pub fn lazy(mut self) -> Self {
        self.lazy = true;
        self
    }

    /// Builds the store. Unless [`lazy`](Self::lazy), it connects and loads the scripts
    /// within the timeout, so a wrong URL or a Redis that is down shows at start-up. A
    /// failed build holds nothing: build again once Redis is up. After a successful
    /// build the connection heals itself; the store never needs rebuilding.
    ///
    /// Must run inside a Tokio runtime.
    ///
    /// # Errors
    /// [`StoreError::Config`] with a [`RedisConfigError`] for a bad URL, prefix or
    /// timeout, or with the connection error; [`StoreError::Timeout`] if Redis does not
    /// answer in time.
    pub async fn build(self) -> Result<RedisStore, StoreError> {
        let config_error = |e: RedisConfigError| StoreError::Config(Box::new(e));
        if !valid_prefix(&self.prefix) {
            return Err(config_error(RedisConfigError::InvalidPrefix));
        }
        if self.timeout.is_zero() {
            return Err(config_error(RedisConfigError::ZeroTimeout));
        }
        let invalid = |e: RedisError| config_error(RedisConfigError::InvalidUrl(Box::new(e)));
        let conn =
            match self.source {
                Source::Manager(manager) => Conn::Single(manager),
                Source::ClusterConnection(connection) => Conn::Cluster(connection),
                Source::Url(url) => {
                    let client = redis::Client::open(url.as_str()).map_err(invalid)?;
                    // Reconnect attempts back off from 100 ms up to 1 s, so service resumes
                    // within about a second of Redis coming back; once the retries run out,
                    // the next call starts a new round.
                    let config = ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(self.timeout))
                        .set_min_delay(std::time::Duration::from_millis(100))
                        .set_max_delay(std::time::Duration::from_secs(1))
                        .set_number_of_retries(6);
                    let manager = client
                        .get_connection_manager_lazy(config)
                        .map_err(store_error)?;
                    Conn::Single(manager)
                }
                Source::Cluster(seeds) => {
                    // A request to a node that is down is retried (with the slot map
                    // refreshed) from 50 ms up to 500 ms apart, so a promoted replica takes
                    // over the slots as soon as the cluster has failed over; the store's
                    // timeout bounds every call on top of that.
                    let client =
                        redis::cluster::ClusterClientBuilder::new(seeds.iter().map(String::as_str))
                            .connection_timeout(self.timeout)
                            .response_timeout(self.timeout)
                            .retries(8)
                            .min_retry_wait(50)
                            .max_retry_wait(500)
                            .build()
                            .map_err(invalid)?;
                    // Connects in the background: the eager check below is what proves the
                    // cluster is there, as for one server.
                    Conn::Cluster(client.get_pending_async_connection_with_config(
                        redis::cluster::ClusterConfig::new(),
                    ))
                }
            };
        let store = RedisStore {
            conn,
            prefix: self.prefix.into(),
            timeout: self.timeout,
        };
        if !self.lazy {
            store.load_scripts().await?;
        }
        Ok(store)
    }
}

fn valid_prefix(prefix: &str) -> bool {
    (1..=64).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn store_error(e: RedisError) -> StoreError {
    if e.is_timeout() {
        return StoreError::Timeout;
    }
    match (e.kind(), e.code()) {
        (_, Some(CORRUPT_CODE)) => {
            StoreError::Corrupt("a record under the key prefix is malformed".to_owned())
        }
        (_, Some("WRONGTYPE")) => {
            StoreError::Corrupt("a key under the key prefix holds the wrong type".to_owned())
        }
        (ErrorKind::Parse | ErrorKind::UnexpectedReturnType, _) => {
            StoreError::Corrupt("the server's reply could not be parsed".to_owned())
        }
        // Connection failures, and server refusals (OOM under `noeviction`, READONLY
        // replicas, LOADING, NOSCRIPT if the fallback load did not stick).
        _ => StoreError::Unavailable(Box::new(e)),
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected reply to {what}"))
}

/// A script reply: an array of integers, of which the last may instead be a string.
fn parse_reply(reply: Value) -> Result<(Vec<i64>, Option<Vec<u8>>), StoreError> {
    let Value::Array(mut items) = reply else {
        return Err(corrupt("a script"));
    };
    let tail = match items.last() {
        Some(Value::BulkString(_)) => match items.pop() {
            Some(Value::BulkString(bytes)) => Some(bytes),
            _ => None,
        },
        _ => None,
    };
    let ints = items
        .into_iter()
        .map(|v| match v {
            Value::Int(n) => Ok(n),
            _ => Err(corrupt("a script")),
        })
        .collect::<Result<_, _>>()?;
    Ok((ints, tail))
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
        .clamp(-LUA_EXACT, LUA_EXACT)
}

fn duration_millis(d: time::Duration) -> i64 {
    i64::try_from(d.whole_milliseconds())
        .unwrap_or(if d.is_negative() { i64::MIN } else { i64::MAX })
        .clamp(-LUA_EXACT, LUA_EXACT)
}

/// `t + d` in unix milliseconds, computed as the in-memory store does (add, then
/// truncate) so both stores agree to the millisecond; saturating instead of panicking.
fn later(t: OffsetDateTime, d: time::Duration) -> i64 {
    match t.checked_add(d) {
        Some(at) => millis(at),
        None => millis(t)
            .saturating_add(duration_millis(d))
            .clamp(-LUA_EXACT, LUA_EXACT),
    }
}

/// `ms` as 15 zero-padded decimal digits (clamped to 0 ..= 10^15 - 1, years 1970 to
/// about 33,000), written on the stack.
fn fixed_width(ms: i64) -> [u8; 15] {
    let mut n = ms.clamp(0, 999_999_999_999_999);
    let mut out = [b'0'; 15];
    for digit in out.iter_mut().rev() {
        // `n % 10` is 0 to 9: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let d = (n % 10) as u8;
        *digit = b'0' + d;
        n /= 10;
    }
    out
}

fn exact(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX).min(LUA_EXACT)
}

fn from_millis(ms: i64, what: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::UNIX_EPOCH
        .checked_add(time::Duration::milliseconds(ms))
        .ok_or_else(|| corrupt(what))
}

fn count(n: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| corrupt(what))
}

/// How a delivery status is kept in the challenge hash.
fn delivery_code(status: DeliveryStatus) -> i64 {
    match status {
        DeliveryStatus::Pending => 0,
        DeliveryStatus::Delivered => 1,
        DeliveryStatus::Failed { permanent: false } => 2,
        DeliveryStatus::Failed { permanent: true } => 3,
    }
}

/// The delivery status kept as `code`; -1 is "none reported".
fn delivery_status(code: i64) -> Result<Option<DeliveryStatus>, StoreError> {
    Ok(Some(match code {
        -1 => return Ok(None),
        0 => DeliveryStatus::Pending,
        1 => DeliveryStatus::Delivered,
        2 => DeliveryStatus::Failed { permanent: false },
        3 => DeliveryStatus::Failed { permanent: true },
        _ => return Err(corrupt("a delivery status")),
    }))
}

#[async_trait::async_trait]
impl ChallengeStore for RedisStore {
    async fn create(&self, c: &NewChallenge) -> Result<(), StoreError> {
        let created = millis(c.timeline.created_at);
        let purge = millis(c.timeline.purge_at);
        let mut cmd = evalsha(&scripts::CREATE, 1);
        cmd.arg(challenge_key(&self.prefix, &c.id).as_bytes())
            .arg(created)
            .arg(c.binding.as_slice())
            .arg(c.digest.as_slice())
            .arg(millis(c.timeline.expires_at))
            .arg(millis(c.timeline.resend_at))
            .arg(purge)
            .arg(i64::from(c.allowance.max_attempts))
            .arg(i64::from(c.allowance.max_sends))
            // The key outlives nothing: it goes when the store may forget the challenge.
            .arg(purge.saturating_sub(created).max(1));
        match self.run(&scripts::CREATE, &cmd).await?.as_slice() {
            [1] => Ok(()),
            [0] => Err(StoreError::Conflict),
            _ => Err(corrupt("create")),
        }
    }

    async fn check(
        &self,
        id: &ChallengeId,
        request: &CheckRequest,
    ) -> Result<CheckOutcome, StoreError> {
        let guard = request.subject.as_ref();
        if guard.is_some_and(|g| g.key.group() != id.group()) {
            // The verifier puts a subject's challenges in its group; an id outside it
            // was not made for this subject, so it is another binding: NotFound, and
            // nothing changes (see `groups_by_subject`).
            tracing::debug!(challenge = %id, "checked id is not in its subject's group");
            return Ok(CheckOutcome::NotFound);
        }
        let mut cmd = evalsha(&scripts::CHECK, 1 + usize::from(guard.is_some()));
        cmd.arg(challenge_key(&self.prefix, id).as_bytes());
        if let Some(g) = guard {
            cmd.arg(subject_key(&self.prefix, &g.key).as_bytes());
        }
        cmd.arg(millis(request.now)).arg(request.binding.as_slice());
        if let Some(g) = guard {
            // Fixed width, so the script finds the count after it without a separator;
            // a window that ends before 1970 has ended (0).
            let forget_at = fixed_width(later(request.now, g.window));
            cmd.arg(i64::from(g.max_failures)).arg(&forget_at[..]);
        }
        for candidate in &request.candidates {
            cmd.arg(candidate.as_slice());
        }
        // Only the one exact reply approves; anything unexpected is an error.
        match self.run(&scripts::CHECK, &cmd).await?.as_slice() {
            [0] => Ok(CheckOutcome::NotFound),
            [1] => Ok(CheckOutcome::Expired),
            [2] => Ok(CheckOutcome::Locked),
            [3] => Ok(CheckOutcome::Approved),
            [4, left] => Ok(CheckOutcome::Rejected {
                attempts_left: count(*left, "check")?,
            }),
            [5] => Ok(CheckOutcome::SubjectLocked),
            _ => Err(corrupt("check")),
        }
    }

    async fn resend(
        &self,
        id: &ChallengeId,
        request: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError> {
        let mut cmd = evalsha(&scripts::RESEND, 1);
        cmd.arg(challenge_key(&self.prefix, id).as_bytes())
            .arg(millis(request.now))
            .arg(later(request.now, request.cooldown))
            .arg(request.digest.as_slice())
            .arg(request.binding.as_slice());
        let (ints, provider) = self.run_mixed(&scripts::RESEND, &cmd).await?;
        match (ints.as_slice(), provider) {
            ([0], None) => Ok(ResendOutcome::NotFound),
            ([1], None) => Ok(ResendOutcome::Expired),
            ([2], None) => Ok(ResendOutcome::Locked),
            ([3], None) => Ok(ResendOutcome::MaxSends),
            ([4, resend_at], None) => Ok(ResendOutcome::Cooldown {
                resend_at: from_millis(*resend_at, "resend")?,
            }),
            (
                [
                    5,
                    expires_at,
                    resend_at,
                    attempts_left,
                    sends_left,
                    delivery,
                ],
                provider,
            ) => {
                let last_delivery = match (delivery_status(*delivery)?, provider) {
                    (None, None) => None,
                    (Some(status), Some(provider)) => Some(DeliveryRecord::new(
                        status,
                        String::from_utf8(provider).map_err(|_| corrupt("resend"))?,
                    )),
                    _ => return Err(corrupt("resend")),
                };
                Ok(ResendOutcome::Resent {
                    expires_at: from_millis(*expires_at, "resend")?,
                    resend_at: from_millis(*resend_at, "resend")?,
                    attempts_left: count(*attempts_left, "resend")?,
                    sends_left: count(*sends_left, "resend")?,
                    last_delivery,
                })
            }
            _ => Err(corrupt("resend")),
        }
    }

    async fn cancel(&self, id: &ChallengeId) -> Result<bool, StoreError> {
        let mut del = redis::cmd("DEL");
        del.arg(challenge_key(&self.prefix, id).as_bytes());
        match self.query(&del).await? {
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            _ => Err(corrupt("cancel")),
        }
    }

    async fn status(
        &self,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        self.read_status(id, None, now).await
    }

    async fn status_for(
        &self,
        id: &ChallengeId,
        binding: &BindingTag,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        self.read_status(id, Some(binding), now).await
    }

    async fn reset_subject(&self, key: &CounterKey) -> Result<(), StoreError> {
        let mut del = redis::cmd("DEL");
        del.arg(subject_key(&self.prefix, key).as_bytes());
        match self.query(&del).await? {
            Value::Int(0 | 1) => Ok(()),
            _ => Err(corrupt("reset_subject")),
        }
    }

    /// Yes: a subject's challenges then share its failure counter's hash slot.
    fn groups_by_subject(&self) -> bool {
        true
    }
}

#[async_trait::async_trait]
impl CounterStore for RedisStore {
    async fn reserve(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        if limits.is_empty() {
            return Ok(RateDecision::Allowed);
        }
        let keys: Vec<String> = limits
            .iter()
            .map(|l| rate_key(&self.prefix, &l.key))
            .collect();
        let steps = self.steps(&keys);
        for (taken, step) in steps.iter().enumerate() {
            let done: Vec<&[usize]> = steps[..taken].iter().map(Vec::as_slice).collect();
            match self.reserve_step(limits, &keys, step, now).await {
                Ok(None) => {}
                Ok(Some((limit, retry_at))) => {
                    // All or nothing across slots too: what earlier slots took goes back.
                    self.release_steps(limits, &keys, &done, now).await?;
                    return Ok(RateDecision::Denied { limit, retry_at });
                }
                Err(e) => {
                    // Best effort; if this fails too, the units stay counted, which can
                    // only refuse a send, never allow one.
                    let _ = self.release_steps(limits, &keys, &done, now).await;
                    return Err(e);
                }
            }
        }
        Ok(RateDecision::Allowed)
    }

    async fn release(
        &self,
        limits: &[RateLimit],
        reserved_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if limits.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = limits
            .iter()
            .map(|l| rate_key(&self.prefix, &l.key))
            .collect();
        let steps = self.steps(&keys);
        let steps: Vec<&[usize]> = steps.iter().map(Vec::as_slice).collect();
        self.release_steps(limits, &keys, &steps, reserved_at).await
    }

    async fn counts(
        &self,
        keys: &[CounterKey],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError> {
        let names: Vec<String> = keys.iter().map(|k| rate_key(&self.prefix, k)).collect();
        let mut out = vec![0; keys.len()];
        for step in self.steps(&names) {
            if step.is_empty() {
                continue;
            }
            let mut cmd = evalsha(&scripts::COUNTS, step.len());
            for &i in &step {
                cmd.arg(names[i].as_bytes());
            }
            cmd.arg(millis(now));
            let counts = self.run(&scripts::COUNTS, &cmd).await?;
            if counts.len() != step.len() {
                return Err(corrupt("counts"));
            }
            for (&i, n) in step.iter().zip(counts) {
                out[i] = u64::try_from(n).map_err(|_| corrupt("counts"))?;
            }
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl DeliveryStore for RedisStore {
    async fn link_message(
        &self,
        message: &MessageKey,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let link = link_key(&self.prefix, message);
        let value = link_value(id);
        let cluster = self.conn.is_cluster();
        // On a cluster the link lives in the message's slot, not the challenge's: the
        // script only reports the challenge's time left, and the link is written next.
        let mut cmd = evalsha(&scripts::LINK, if cluster { 1 } else { 2 });
        cmd.arg(challenge_key(&self.prefix, id).as_bytes());
        if !cluster {
            cmd.arg(link.as_bytes());
        }
        cmd.arg(millis(now)).arg(value.as_bytes());
        match self.run(&scripts::LINK, &cmd).await?.as_slice() {
            [0 | 1] => Ok(()),
            [2, left] if cluster && *left > 0 => {
                let mut set = redis::cmd("SET");
                set.arg(link.as_bytes())
                    .arg(value.as_bytes())
                    .arg("PX")
                    .arg(*left);
                match self.query(&set).await? {
                    Value::Okay => Ok(()),
                    Value::SimpleString(s) if s == "OK" => Ok(()),
                    _ => Err(corrupt("link_message")),
                }
            }
            _ => Err(corrupt("link_message")),
        }
    }

    async fn record_delivery(
        &self,
        message: &MessageKey,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        let link = link_key(&self.prefix, message);
        if self.conn.is_cluster() {
            return self.record_delivery_in_two_slots(&link, report, now).await;
        }
        let mut cmd = evalsha(&scripts::DELIVERY, 1);
        cmd.arg(link.as_bytes())
            .arg(millis(now))
            .arg(delivery_code(report.status))
            .arg(report.provider.as_bytes())
            .arg(self.prefix.as_bytes());
        match self.run_mixed(&scripts::DELIVERY, &cmd).await? {
            (ints, None) if ints == [0] => Ok(None),
            (ints, Some(value)) if ints == [1] => {
                match linked_text(std::str::from_utf8(&value).unwrap_or("")) {
                    Linked::Challenge(id) => Ok(Some(id)),
                    Linked::Legacy => Ok(crate::challenge::legacy::report_finds_nothing()),
                    Linked::Unreadable => Err(corrupt("record_delivery")),
                }
            }
            _ => Err(corrupt("record_delivery")),
        }
    }
}

impl RedisStore {
    /// Where a challenge stands; with `binding`, as that binding sees it.
    async fn read_status(
        &self,
        id: &ChallengeId,
        binding: Option<&BindingTag>,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        let mut cmd = evalsha(&scripts::STATUS, 1);
        cmd.arg(challenge_key(&self.prefix, id).as_bytes())
            .arg(millis(now));
        if let Some(tag) = binding {
            cmd.arg(tag.as_slice());
        }
        match self.run(&scripts::STATUS, &cmd).await?.as_slice() {
            [0] => Ok(None),
            [
                1,
                phase,
                expires_at,
                resend_at,
                attempts_left,
                sends_left,
                delivery,
            ] => Ok(Some(Status {
                phase: match phase {
                    0 => Phase::Pending,
                    1 => Phase::Expired,
                    2 => Phase::Locked,
                    _ => return Err(corrupt("status")),
                },
                expires_at: from_millis(*expires_at, "status")?,
                resend_at: from_millis(*resend_at, "status")?,
                attempts_left: count(*attempts_left, "status")?,
                sends_left: count(*sends_left, "status")?,
                delivery: delivery_status(*delivery)?,
            })),
            _ => Err(corrupt("status")),
        }
    }

    /// `record_delivery` on a cluster: read the link in the message's slot, then record
    /// the report on the challenge in its own slot (see the type's docs).
    async fn record_delivery_in_two_slots(
        &self,
        link: &str,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        let mut get = redis::cmd("GET");
        get.arg(link.as_bytes());
        let id = match self.query(&get).await? {
            Value::Nil => return Ok(None),
            Value::BulkString(value) => match linked(&value) {
                Linked::Challenge(id) => id,
                Linked::Legacy => return Ok(crate::challenge::legacy::report_finds_nothing()),
                Linked::Unreadable => return Err(corrupt("a link")),
            },
            _ => return Err(corrupt("record_delivery")),
        };
        let mut cmd = evalsha(&scripts::DELIVERY, 1);
        cmd.arg(challenge_key(&self.prefix, &id).as_bytes())
            .arg(millis(now))
            .arg(delivery_code(report.status))
            .arg(report.provider.as_bytes());
        match self.run(&scripts::DELIVERY, &cmd).await?.as_slice() {
            [0] => Ok(None),
            [1] => Ok(Some(id)),
            _ => Err(corrupt("record_delivery")),
        }
    }
}
