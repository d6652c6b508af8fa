//! The Redis store (feature `redis`).

mod scripts;

use std::fmt;
use std::sync::Arc;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ErrorKind, RedisError, Value};
use time::OffsetDateTime;

use super::{
    ChallengeStore, CheckOutcome, CheckRequest, CounterKey, CounterStore, DeliveryRecord,
    DeliveryStore, MessageKey, NewChallenge, RateDecision, RateLimit, ResendOutcome, ResendRequest,
    StoreError,
};
use crate::challenge::{ChallengeId, DeliveryStatus, Phase, Status};
use scripts::{CORRUPT_CODE, Lua};

/// Largest integer a Lua 5.1 number holds exactly; counts and times are clamped to it.
const LUA_EXACT: i64 = (1 << 53) - 1;

/// Keeps challenges and rate counters in Redis (feature `redis`), shared by every
/// instance of an app. Cheap to clone: clones share one multiplexed connection.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use smsotp::store::RedisStore;
/// use smsotp::{Secret, Verifier};
/// use std::time::Duration;
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379/")
///     .prefix("myapp-otp")
///     .timeout(Duration::from_millis(300))
///     .build()
///     .await?;
/// let verifier = Verifier::builder(Secret::new(vec![7u8; 32])?)
///     .store(store)
///     .transport(smsotp::transport::ConsoleTransport::new()) // your provider here
///     .build()?;
/// # let _ = verifier; Ok(()) }
/// ```
///
/// # How it keeps the contract
/// - **One round trip, atomic.** Every operation is one Lua script sent as `EVALSHA`
///   (`cancel` and `reset_subject` are a single `DEL`). Redis runs a script with no
///   other command in between, so attempt limits, the subject ceiling and single use
///   hold across any number of app instances. A check
///   counts the attempt *before* it compares, and deletes the challenge on a match.
/// - **Every key has a TTL**, set by the same script that creates the key: a challenge
///   lives until its `purge_at`, a rate counter until its window ends. The TTL is
///   relative (`PEXPIRE`), computed from the app's own times, so clock skew between the
///   app and Redis cannot shorten or stretch it. Decisions (expired, purged, window over)
///   use the time the app passes in, as with every store.
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
/// # Keys and Redis Cluster
/// | key | type | holds | TTL |
/// |---|---|---|---|
/// | `<prefix>:{<id>}` | hash | one challenge, its digests and last delivery report | until `purge_at` |
/// | `<prefix>:{rate}:<name>` | hash | a rate counter and its window end | the window |
/// | `<prefix>:subject:{<name>}` | hash | a subject's consecutive failures | `window` after the last failure |
/// | `<prefix>:msg:{<message>}` | string | the challenge id a provider message belongs to | until the challenge's `purge_at` |
///
/// The part in braces is the Redis Cluster hash tag. Challenges spread over all slots.
/// `hit` updates several counters in one script, and a script may only touch keys of
/// one slot, so all counters share the `{rate}` tag. The trade-off: in a cluster every
/// rate-limit update lands on the one node that owns that slot. Each update is a few
/// hash commands, about one script per SMS sent, far below what one node serves; give
/// each tenant its own prefix if it ever is not.
///
/// Two operations join keys that cannot share a slot: a check with a subject ceiling
/// (the challenge and the subject's counter) and a delivery report (the message link,
/// then the challenge it names). So the store needs a single Redis primary (with
/// replicas or Sentinel if you like), not a cluster; it connects through one
/// `ConnectionManager`, which does not follow cluster redirects anyway. On a cluster
/// those operations would fail with an error, never pass unchecked.
///
/// # Operating it
/// - Use `maxmemory-policy noeviction`. An evicting policy could drop a locked
///   challenge or a full rate counter, which would hand out fresh attempts or sends.
///   With `noeviction`, a full Redis refuses writes and the store reports
///   [`StoreError::Unavailable`].
/// - Replication is asynchronous: a failover can lose acknowledged writes, which could
///   roll back an attempt count or bring back a consumed challenge (Jepsen found this
///   for Redis Sentinel). Prefer a single primary for this data, keep `ttl` short, and
///   treat a failover as a reason to cancel pending challenges if that risk matters.
/// - Calls need a Tokio runtime with timers enabled (`#[tokio::main]` has them).
/// - A script reply is an array of integers; counts and times are exact up to 2^53.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: Arc<str>,
    timeout: std::time::Duration,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection's URL may carry a password: leave it out.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Configures a [`RedisStore`]; made by [`RedisStore::builder`].
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
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("lazy", &self.lazy)
            .finish_non_exhaustive()
    }
}

/// A [`RedisStoreBuilder`] setting that cannot work. [`RedisStoreBuilder::build`]
/// returns it inside [`StoreError::Unavailable`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisConfigError {
    /// The connection URL is not one the Redis client understands.
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
    pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

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

    /// Starts configuring a store over a connection the app already has (to share it,
    /// or to use TLS, Sentinel-resolved addresses or settings the URL cannot express).
    ///
    /// This is the one place the `redis` crate shows in this crate's API: it takes the
    /// `ConnectionManager` of `redis` 1.x and changes when that crate's major version
    /// does. The manager's own reconnect and timeout settings apply, and the store's
    /// [`timeout`](RedisStoreBuilder::timeout) bounds each call on top of them.
    pub fn with_connection(manager: ConnectionManager) -> RedisStoreBuilder {
        RedisStoreBuilder::new(Source::Manager(manager))
    }

    /// The key prefix in use.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The Redis key of a challenge: its id is the hash tag, so challenges spread over
    /// a cluster's slots.
    fn challenge_key(&self, id: &ChallengeId) -> String {
        format!("{}:{{{id}}}", self.prefix)
    }

    /// The Redis key of a subject's failure count.
    fn subject_key(&self, subject: &CounterKey) -> String {
        format!("{}:subject:{{{subject}}}", self.prefix)
    }

    /// The Redis key linking a provider's message to its challenge.
    fn link_key(&self, message: &MessageKey) -> String {
        format!("{}:msg:{{{message}}}", self.prefix)
    }

    /// The Redis key of a rate counter: all counters share the `{rate}` hash tag, so one
    /// script may update several of them.
    fn rate_key(&self, counter: &CounterKey) -> String {
        format!("{}:{{rate}}:{counter}", self.prefix)
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
    async fn run(&self, lua: &Lua, keys: &[&[u8]], args: &[&[u8]]) -> Result<Vec<i64>, StoreError> {
        match self.run_mixed(lua, keys, args).await? {
            (ints, None) => Ok(ints),
            (_, Some(_)) => Err(corrupt("a script")),
        }
    }

    /// Runs a script whose reply is an array of integers, perhaps ending in one string.
    async fn run_mixed(
        &self,
        lua: &Lua,
        keys: &[&[u8]],
        args: &[&[u8]],
    ) -> Result<(Vec<i64>, Option<Vec<u8>>), StoreError> {
        let mut invocation = lua.script.prepare_invoke();
        for key in keys {
            invocation.key(*key);
        }
        for arg in args {
            invocation.arg(*arg);
        }
        let mut conn = self.conn.clone();
        let reply: Value = self.bounded(invocation.invoke_async(&mut conn)).await?;
        parse_reply(reply)
    }

    /// Loads every script, so the first operations need no fallback round trip; also
    /// proves the server is there and speaks Lua.
    async fn load_scripts(&self) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        for lua in scripts::ALL {
            pipe.cmd("SCRIPT").arg("LOAD").arg(lua.source);
        }
        let mut conn = self.conn.clone();
        let hashes: Vec<Value> = self.bounded(pipe.query_async(&mut conn)).await?;
        let expected = scripts::ALL.iter().map(|lua| lua.script.get_hash());
        if hashes.len() != scripts::ALL.len() {
            return Err(corrupt("SCRIPT LOAD"));
        }
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
}

impl RedisStoreBuilder {
    fn new(source: Source) -> Self {
        Self {
            source,
            prefix: RedisStore::DEFAULT_PREFIX.to_owned(),
            timeout: RedisStore::DEFAULT_TIMEOUT,
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
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout;
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
    /// [`StoreError::Unavailable`] with a [`RedisConfigError`] for a bad URL, prefix or
    /// timeout, or with the connection error; [`StoreError::Timeout`] if Redis does not
    /// answer in time.
    pub async fn build(self) -> Result<RedisStore, StoreError> {
        let config_error = |e: RedisConfigError| StoreError::Unavailable(Box::new(e));
        if !valid_prefix(&self.prefix) {
            return Err(config_error(RedisConfigError::InvalidPrefix));
        }
        if self.timeout.is_zero() {
            return Err(config_error(RedisConfigError::ZeroTimeout));
        }
        let conn = match self.source {
            Source::Manager(manager) => manager,
            Source::Url(url) => {
                let client = redis::Client::open(url.as_str())
                    .map_err(|e| config_error(RedisConfigError::InvalidUrl(Box::new(e))))?;
                // Reconnect attempts back off from 100 ms up to 1 s, so service resumes
                // within about a second of Redis coming back; once the retries run out,
                // the next call starts a new round.
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_min_delay(std::time::Duration::from_millis(100))
                    .set_max_delay(std::time::Duration::from_secs(1))
                    .set_number_of_retries(6);
                client
                    .get_connection_manager_lazy(config)
                    .map_err(store_error)?
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

fn num(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

#[async_trait::async_trait]
impl ChallengeStore for RedisStore {
    async fn create(&self, c: &NewChallenge) -> Result<(), StoreError> {
        let key = self.challenge_key(&c.id);
        let created = millis(c.timeline.created_at);
        let purge = millis(c.timeline.purge_at);
        // The key outlives nothing: it goes when the store may forget the challenge.
        let ttl = purge.saturating_sub(created).max(1);
        let args = [
            num(created),
            c.binding.to_vec(),
            c.digest.to_vec(),
            num(millis(c.timeline.expires_at)),
            num(millis(c.timeline.resend_at)),
            num(purge),
            num(i64::from(c.allowance.max_attempts)),
            num(i64::from(c.allowance.max_sends)),
            num(ttl),
        ];
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        match self
            .run(&scripts::CREATE, &[key.as_bytes()], &args)
            .await?
            .as_slice()
        {
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
        let key = self.challenge_key(id);
        let now_ms = millis(request.now);
        let now = num(now_ms);
        let (guarded, subject_key, max_failures, ttl, forget_at) = match &request.subject {
            Some(guard) => (
                &b"1"[..],
                self.subject_key(&guard.key),
                num(i64::from(guard.max_failures)),
                num(duration_millis(guard.window).max(1)),
                num(later(request.now, guard.window)),
            ),
            None => (&b"0"[..], String::new(), num(0), num(1), num(0)),
        };
        let mut keys: Vec<&[u8]> = vec![key.as_bytes()];
        if request.subject.is_some() {
            keys.push(subject_key.as_bytes());
        }
        let mut args: Vec<&[u8]> = Vec::with_capacity(6 + request.candidates.len());
        args.extend([
            now.as_slice(),
            guarded,
            &max_failures,
            &ttl,
            &forget_at,
            request.binding.as_slice(),
        ]);
        args.extend(request.candidates.iter().map(<[u8; 32]>::as_slice));
        // Only the one exact reply approves; anything unexpected is an error.
        match self.run(&scripts::CHECK, &keys, &args).await?.as_slice() {
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
        let key = self.challenge_key(id);
        let now = num(millis(request.now));
        let next = num(later(request.now, request.cooldown));
        let args: [&[u8]; 4] = [
            now.as_slice(),
            next.as_slice(),
            request.digest.as_slice(),
            request.binding.as_slice(),
        ];
        let (ints, provider) = self
            .run_mixed(&scripts::RESEND, &[key.as_bytes()], &args)
            .await?;
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
        let key = self.challenge_key(id);
        let mut conn = self.conn.clone();
        let mut del = redis::cmd("DEL");
        del.arg(key.as_bytes());
        match self.bounded(del.query_async::<Value>(&mut conn)).await? {
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
        let key = self.challenge_key(id);
        let now = num(millis(now));
        match self
            .run(&scripts::STATUS, &[key.as_bytes()], &[&now])
            .await?
            .as_slice()
        {
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

    async fn reset_subject(&self, key: &CounterKey) -> Result<(), StoreError> {
        let subject = self.subject_key(key);
        let mut del = redis::cmd("DEL");
        del.arg(subject.as_bytes());
        let mut conn = self.conn.clone();
        match self.bounded(del.query_async::<Value>(&mut conn)).await? {
            Value::Int(0 | 1) => Ok(()),
            _ => Err(corrupt("reset_subject")),
        }
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
        let now_ms = millis(now);
        let keys: Vec<String> = limits.iter().map(|l| self.rate_key(&l.key)).collect();
        let mut args = Vec::with_capacity(1 + 4 * limits.len());
        args.push(num(now_ms));
        for limit in limits {
            let window = duration_millis(limit.window);
            args.push(num(exact(limit.limit)));
            args.push(num(window.max(1)));
            args.push(num(exact(limit.cost)));
            args.push(num(later(now, limit.window)));
        }
        let keys: Vec<&[u8]> = keys.iter().map(String::as_bytes).collect();
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        match self.run(&scripts::RESERVE, &keys, &args).await?.as_slice() {
            [1] => Ok(RateDecision::Allowed),
            [0, index, retry_at] => {
                let limit = usize::try_from(*index)
                    .ok()
                    .filter(|i| *i < limits.len())
                    .ok_or_else(|| corrupt("reserve"))?;
                Ok(RateDecision::Denied {
                    limit,
                    retry_at: from_millis(*retry_at, "hit")?,
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
        let keys: Vec<String> = limits.iter().map(|l| self.rate_key(&l.key)).collect();
        let mut args = Vec::with_capacity(1 + 2 * limits.len());
        args.push(num(millis(reserved_at)));
        for limit in limits {
            args.push(num(exact(limit.cost)));
            args.push(num(duration_millis(limit.window).max(1)));
        }
        let keys: Vec<&[u8]> = keys.iter().map(String::as_bytes).collect();
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        match self.run(&scripts::RELEASE, &keys, &args).await?.as_slice() {
            [1] => Ok(()),
            _ => Err(corrupt("release")),
        }
    }

    async fn counts(
        &self,
        keys: &[CounterKey],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = keys.iter().map(|k| self.rate_key(k)).collect();
        let names: Vec<&[u8]> = names.iter().map(String::as_bytes).collect();
        let now = num(millis(now));
        let counts = self.run(&scripts::COUNTS, &names, &[&now]).await?;
        if counts.len() != keys.len() {
            return Err(corrupt("counts"));
        }
        counts
            .into_iter()
            .map(|n| u64::try_from(n).map_err(|_| corrupt("counts")))
            .collect()
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
        let key = self.challenge_key(id);
        let link = self.link_key(message);
        let now = num(millis(now));
        let id_text = id.to_string();
        match self
            .run(
                &scripts::LINK,
                &[key.as_bytes(), link.as_bytes()],
                &[&now, id_text.as_bytes()],
            )
            .await?
            .as_slice()
        {
            [0 | 1] => Ok(()),
            _ => Err(corrupt("link_message")),
        }
    }

    async fn record_delivery(
        &self,
        message: &MessageKey,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        let link = self.link_key(message);
        let now = num(millis(now));
        let code = num(delivery_code(report.status));
        let (ints, id) = self
            .run_mixed(
                &scripts::DELIVERY,
                &[link.as_bytes()],
                &[
                    &now,
                    self.prefix.as_bytes(),
                    &code,
                    report.provider.as_bytes(),
                ],
            )
            .await?;
        match (ints.as_slice(), id) {
            ([0], None) => Ok(None),
            ([1], Some(id)) => std::str::from_utf8(&id)
                .ok()
                .and_then(|text| text.parse().ok())
                .map(Some)
                .ok_or_else(|| corrupt("record_delivery")),
            _ => Err(corrupt("record_delivery")),
        }
    }
}
