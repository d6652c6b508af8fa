//! The in-process store: sharded maps behind short mutexes.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::{Duration, OffsetDateTime};

use super::{
    BindingTag, ChallengeStore, CheckOutcome, Digest, NewChallenge, RateDecision, RateLimit,
    ResendOutcome, ResendRequest, StoreError,
};
use crate::challenge::{ChallengeId, Phase, Status};
use crate::digest::any_match;

const SHARDS: usize = 64;
/// The default capacity: about 200 MB at the measured per-challenge cost.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// Keeps challenges in this process's memory. The default store.
///
/// - Each operation takes one shard's lock, so it is atomic, and costs O(1) amortised.
/// - Expired challenges are swept as a side effect of later operations on the same
///   shard, so no background task is needed.
/// - At `capacity` live challenges, `create` fails with [`StoreError::Full`] instead of
///   growing without bound.
///
/// Several app instances need a shared store instead (Redis).
#[derive(Debug)]
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    rates: Mutex<RateTable>,
    len: AtomicUsize,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Shard {
    records: HashMap<[u8; 16], Record>,
    /// Ids in the order they may be purged; swept from the front.
    purge_queue: VecDeque<(i64, [u8; 16])>,
}

/// One challenge. Compact on purpose: the first digest is inline, later ones (resends)
/// go in a boxed slice.
#[derive(Debug)]
struct Record {
    binding: BindingTag,
    digest: Digest,
    resent: Option<Box<[Digest]>>,
    expires_at: i64,
    resend_at: i64,
    attempts_used: u16,
    max_attempts: u16,
    sends: u16,
    max_sends: u16,
}

impl Record {
    fn attempts_left(&self) -> u32 {
        u32::from(self.max_attempts.saturating_sub(self.attempts_used))
    }
    fn sends_left(&self) -> u32 {
        u32::from(self.max_sends.saturating_sub(self.sends))
    }
    fn matches(&self, candidates: &[Digest]) -> bool {
        let first = any_match(std::slice::from_ref(&self.digest), candidates);
        let later = self
            .resent
            .as_deref()
            .is_some_and(|more| any_match(more, candidates));
        first | later
    }
}

#[derive(Debug, Default)]
struct RateTable {
    counters: HashMap<String, (u64, i64)>,
    purge_queue: VecDeque<(i64, String)>,
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::milliseconds(ms)
}

fn small(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section below leaves its data consistent before anything that can
    // panic, so a poisoned lock still guards valid state.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// A store for up to [`DEFAULT_CAPACITY`] live challenges.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A store for up to `capacity` live challenges.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            rates: Mutex::default(),
            len: AtomicUsize::new(0),
            capacity,
        }
    }

    /// Challenges held, including expired ones not yet swept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether the store holds no challenge.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every challenge whose purge time has passed; later operations do this
    /// shard by shard anyway.
    pub fn sweep(&self, now: OffsetDateTime) {
        let now = millis(now);
        for shard in &*self.shards {
            self.sweep_shard(&mut lock(shard), now);
        }
    }

    fn shard(&self, id: &ChallengeId) -> MutexGuard<'_, Shard> {
        // Ids are uniformly random, so any byte spreads load evenly.
        lock(&self.shards[usize::from(id.as_bytes()[0]) % SHARDS])
    }

    fn sweep_shard(&self, shard: &mut Shard, now: i64) {
        while let Some(&(purge_at, id)) = shard.purge_queue.front() {
            if purge_at > now {
                break;
            }
            shard.purge_queue.pop_front();
            if shard.records.remove(&id).is_some() {
                self.len.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    fn remove(&self, shard: &mut Shard, id: &ChallengeId) -> bool {
        let removed = shard.records.remove(id.as_bytes()).is_some();
        if removed {
            self.len.fetch_sub(1, Ordering::AcqRel);
        }
        removed
    }
}

#[async_trait::async_trait]
impl ChallengeStore for MemoryStore {
    async fn create(&self, c: &NewChallenge) -> Result<(), StoreError> {
        let mut shard = self.shard(&c.id);
        self.sweep_shard(&mut shard, millis(c.created_at));
        if shard.records.contains_key(c.id.as_bytes()) {
            return Err(StoreError::Conflict);
        }
        let reserved = self
            .len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            });
        if reserved.is_err() {
            return Err(StoreError::Full {
                capacity: self.capacity,
            });
        }
        shard.records.insert(
            *c.id.as_bytes(),
            Record {
                binding: c.binding,
                digest: c.digest,
                resent: None,
                expires_at: millis(c.expires_at),
                resend_at: millis(c.resend_at),
                attempts_used: 0,
                max_attempts: small(c.max_attempts),
                sends: 1,
                max_sends: small(c.max_sends),
            },
        );
        shard.purge_queue.push_back((millis(c.purge_at), *c.id.as_bytes()));
        Ok(())
    }

    async fn check(
        &self,
        id: &ChallengeId,
        candidates: &[Digest],
        now: OffsetDateTime,
    ) -> Result<CheckOutcome, StoreError> {
        let now = millis(now);
        let mut shard = self.shard(id);
        self.sweep_shard(&mut shard, now);
        let Some(record) = shard.records.get_mut(id.as_bytes()) else {
            return Ok(CheckOutcome::NotFound);
        };
        if now >= record.expires_at {
            return Ok(CheckOutcome::Expired);
        }
        if record.attempts_used >= record.max_attempts {
            return Ok(CheckOutcome::Locked);
        }
        // Count first, then compare: a crash or race between the two can only cost
        // the person an attempt, never grant the attacker a free one.
        record.attempts_used += 1;
        if record.matches(candidates) {
            self.remove(&mut shard, id);
            return Ok(CheckOutcome::Approved);
        }
        Ok(CheckOutcome::Rejected {
            attempts_left: record.attempts_left(),
        })
    }

    async fn resend(
        &self,
        id: &ChallengeId,
        request: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError> {
        let now = millis(request.now);
        let mut shard = self.shard(id);
        self.sweep_shard(&mut shard, now);
        let Some(record) = shard.records.get_mut(id.as_bytes()) else {
            return Ok(ResendOutcome::NotFound);
        };
        if !request.bindings.iter().any(|b| *b == record.binding) {
            return Ok(ResendOutcome::NotFound);
        }
        if now >= record.expires_at {
            return Ok(ResendOutcome::Expired);
        }
        if record.attempts_used >= record.max_attempts {
            return Ok(ResendOutcome::Locked);
        }
        if record.sends >= record.max_sends {
            return Ok(ResendOutcome::MaxSends);
        }
        if now < record.resend_at {
            return Ok(ResendOutcome::Cooldown {
                resend_at: from_millis(record.resend_at),
            });
        }
        let mut digests = record.resent.take().map(Vec::from).unwrap_or_default();
        digests.push(request.digest);
        record.resent = Some(digests.into_boxed_slice());
        record.sends += 1;
        record.resend_at = millis(request.now + request.cooldown);
        Ok(ResendOutcome::Resent {
            expires_at: from_millis(record.expires_at),
            resend_at: from_millis(record.resend_at),
            attempts_left: record.attempts_left(),
            sends_left: record.sends_left(),
        })
    }

    async fn cancel(&self, id: &ChallengeId) -> Result<bool, StoreError> {
        let mut shard = self.shard(id);
        Ok(self.remove(&mut shard, id))
    }

    async fn status(
        &self,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        let now = millis(now);
        let mut shard = self.shard(id);
        self.sweep_shard(&mut shard, now);
        Ok(shard.records.get(id.as_bytes()).map(|r| {
            let phase = if now >= r.expires_at {
                Phase::Expired
            } else if r.attempts_used >= r.max_attempts {
                Phase::Locked
            } else {
                Phase::Pending
            };
            Status {
                phase,
                expires_at: from_millis(r.expires_at),
                resend_at: from_millis(r.resend_at),
                attempts_left: r.attempts_left(),
                sends_left: r.sends_left(),
            }
        }))
    }

    async fn hit(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        let now_ms = millis(now);
        let mut table = lock(&self.rates);
        while let Some((end, _)) = table.purge_queue.front() {
            if *end > now_ms {
                break;
            }
            if let Some((end, key)) = table.purge_queue.pop_front() {
                if table.counters.get(&key).is_some_and(|(_, e)| *e == end) {
                    table.counters.remove(&key);
                }
            }
        }
        for (i, limit) in limits.iter().enumerate() {
            let (used, end) = match table.counters.get(&limit.key) {
                Some(&(used, end)) if end > now_ms => (used, end),
                _ => (0, millis(now + limit.window)),
            };
            if used.saturating_add(limit.cost) > limit.limit {
                return Ok(RateDecision::Denied {
                    limit: i,
                    retry_at: from_millis(end),
                });
            }
        }
        for limit in limits {
            let fresh_end = millis(now + limit.window);
            let entry = table
                .counters
                .entry(limit.key.clone())
                .or_insert((0, fresh_end));
            let is_new = entry.1 <= now_ms || entry.0 == 0;
            if entry.1 <= now_ms {
                *entry = (0, fresh_end);
            }
            entry.0 = entry.0.saturating_add(limit.cost);
            let end = entry.1;
            if is_new {
                table.purge_queue.push_back((end, limit.key.clone()));
            }
        }
        Ok(RateDecision::Allowed)
    }
}
