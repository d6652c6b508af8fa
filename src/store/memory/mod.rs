//! The in-process store: sharded slots and maps behind short mutexes.

mod expiring;
mod slots;

use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::{Duration, OffsetDateTime};

use subtle::ConstantTimeEq;

use self::expiring::{ExpiringMap, FastHash};
use self::slots::{IdBytes, SHARDS, Slots};
use super::{
    BindingTag, ChallengeStore, CheckOutcome, CheckRequest, CounterKey, CounterStore,
    DeliveryRecord, DeliveryStore, Digest, MessageKey, NewChallenge, RateDecision, RateLimit,
    ResendOutcome, ResendRequest, StoreError,
};
use crate::challenge::{ChallengeId, Phase, Status};
use crate::digest::prefix_eq;

const SUBJECT_SHARDS: usize = 16;
/// The default capacity: about 200 MB at the measured per-challenge cost.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

/// Keeps challenges in this process's memory. The default store.
///
/// - Each operation takes one shard's lock, so it is atomic, and costs O(1) amortised
///   (a check also takes its subject's, after the challenge's). The subject is kept with
///   the challenge ([`keeps_subject`](ChallengeStore::keeps_subject)), so checks need
///   not name it.
/// - Records sit in numbered slots, and the id of a new challenge
///   ([`next_place`](ChallengeStore::next_place)) names the slot a shard freed last: a new
///   challenge lands in memory already in cache, so a start costs the same with a
///   million pending as with a thousand. Ids made elsewhere work too, kept beside.
/// - Expired challenges are swept as a side effect of later operations on the same
///   shard, so no background task is needed.
/// - Every table is bounded by `capacity`: at `capacity` live challenges, `create`
///   fails with [`StoreError::Full`] instead of growing; decoys (challenges for refused
///   destinations, never sent) give way to newer challenges, oldest first, so a flood
///   of refused destinations cannot fill the store (and a new decoy gets the answer a
///   real challenge would: a place when a decoy can give one up, else `Full`);
///   counters, subject failure counts and message links are capped at a few entries
///   per challenge slot, shedding the least-used first (a flood of one-off keys sheds
///   itself before the heavy hitters that limits exist to stop).
///
/// Several app instances need a shared store instead (Redis).
///
/// Its `Debug` shows counts only: the records' ids are what lets someone check codes.
pub struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    /// Per-subject failure counts, by [`subject_slot`]. Locked after a challenge
    /// shard, never before (a kept subject is known only once its record is read).
    subjects: Box<[Mutex<ExpiringMap<u64, u32>>]>,
    /// Rate counters: units used in the window, expiring at the window's end.
    rates: Mutex<ExpiringMap<CounterKey, u64>>,
    /// Provider message -> challenge, for delivery reports.
    links: Mutex<ExpiringMap<MessageKey, IdBytes>>,
    /// Last delivery report per challenge; kept apart from the compact records since
    /// most pending challenges never get one.
    deliveries: Mutex<ExpiringMap<IdBytes, DeliveryRecord>>,
    /// Decoy ids, oldest first; never longer than `capacity / 2`.
    decoys: Mutex<VecDeque<IdBytes>>,
    len: AtomicUsize,
    capacity: usize,
}

/// Counters kept per challenge slot: one start touches up to five (number, client,
/// prefix, country, global) plus the spend cap and the conversion guard's.
const COUNTERS_PER_SLOT: usize = 4;

#[derive(Debug, Default)]
struct Shard {
    records: Slots<Record>,
    /// Inserts since the last sweep; a sweep runs once they outnumber the records
    /// then held, so each insert pays for O(1) sweeping on average.
    inserts_since_sweep: usize,
    len_after_sweep: usize,
}

/// One challenge, kept small (64 bytes) because a million may be pending: the first
/// digest is inline, later ones (resends) live behind one thin pointer. Digests are
/// kept to their first 128 bits, as HMAC-SHA256-128: a wrong code still matches with
/// probability 2^-128, and the room pays for the subject's slot.
#[derive(Debug)]
struct Record {
    digest: Short,
    binding: [u8; 8],
    /// The subject's failure counter ([`subject_slot`]) kept from `create`, or 0.
    subject: u64,
    expires_at: i64,
    /// Unix milliseconds after which the store may forget the record.
    purge_at: i64,
    #[allow(clippy::box_collection)] // a thin pointer: 8 bytes here instead of 24
    resent: Option<Box<Vec<Short>>>,
    /// `resend_at` as milliseconds relative to `expires_at`.
    resend_offset: i32,
    attempts_used: u8,
    /// `max_attempts` (at most 100) in the low seven bits; the top bit marks a decoy.
    /// Packed so the record stays small.
    attempts_and_kind: u8,
    sends: u8,
    max_sends: u8,
}

const DECOY_BIT: u8 = 0x80;

/// A digest's first 128 bits, as records keep them.
type Short = [u8; 16];

fn short(digest: &Digest) -> Short {
    let mut s = [0u8; 16];
    s.copy_from_slice(&digest[..16]);
    s
}

/// The slot of a subject's failure counter: a 64-bit hash of its key, never 0 (0 marks
/// a record without a subject). Keys are keyed-PRF names (or an app's own), so two
/// subjects share a slot with probability about n²/2^64: 3·10^-8 for a million.
fn subject_slot(key: &CounterKey) -> u64 {
    FastHash::default().hash_one(key) | 1
}

impl Record {
    fn max_attempts(&self) -> u8 {
        self.attempts_and_kind & !DECOY_BIT
    }
    fn is_decoy(&self) -> bool {
        self.attempts_and_kind & DECOY_BIT != 0
    }
    fn locked(&self) -> bool {
        self.attempts_used >= self.max_attempts()
    }
    fn bound_to(&self, tag: &BindingTag) -> bool {
        // One word compared in constant time, not eight bytes behind eight barriers.
        let diff = u64::from_ne_bytes(self.binding) ^ u64::from_ne_bytes(tag8(tag));
        diff.ct_eq(&0).into()
    }
    fn attempts_left(&self) -> u32 {
        u32::from(self.max_attempts().saturating_sub(self.attempts_used))
    }
    fn sends_left(&self) -> u32 {
        u32::from(self.max_sends.saturating_sub(self.sends))
    }
    fn resend_at(&self) -> i64 {
        self.expires_at + i64::from(self.resend_offset)
    }
    fn set_resend_at(&mut self, at: i64) {
        self.resend_offset = clamp_i32(at - self.expires_at);
    }
    /// Whether any candidate matches any digest held, in time that depends only on the
    /// counts.
    fn matches(&self, candidates: &[Digest]) -> bool {
        let mut hit = subtle::Choice::from(0);
        let held = std::slice::from_ref(&self.digest)
            .iter()
            .chain(self.resent.as_deref().into_iter().flatten());
        for h in held {
            for c in candidates {
                hit |= prefix_eq(h, c);
            }
        }
        hit.into()
    }
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

fn tag8(tag: &BindingTag) -> [u8; 8] {
    let mut short = [0u8; 8];
    short.copy_from_slice(&tag[..8]);
    short
}

fn millis(t: OffsetDateTime) -> i64 {
    // Seconds and the millisecond within them: no 128-bit division on every operation.
    t.unix_timestamp()
        .saturating_mul(1000)
        .saturating_add(i64::from(t.millisecond()))
}

fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::milliseconds(ms)
}

fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.whole_milliseconds()).unwrap_or(i64::MAX)
}

/// Expiry as a rank: the sooner an entry dies anyway, the sooner it may be shed.
fn rank_by_expiry(expires: i64) -> u64 {
    u64::try_from(expires).unwrap_or(0)
}

fn small(n: u32) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section below leaves its data consistent before anything that can
    // panic, so a poisoned lock still guards valid state.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The record for `id`, unless it is past its purge time (then it counts as gone even
/// before a sweep removes it).
fn live<'a>(shard: &'a mut Shard, id: &ChallengeId, now: i64) -> Option<&'a mut Record> {
    shard
        .records
        .get_mut(id.as_bytes())
        .filter(|r| r.purge_at > now)
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
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
        let counters = capacity.saturating_mul(COUNTERS_PER_SLOT);
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            subjects: (0..SUBJECT_SHARDS)
                .map(|_| {
                    Mutex::new(ExpiringMap::new(capacity / SUBJECT_SHARDS, |n, _| {
                        u64::from(*n)
                    }))
                })
                .collect(),
            rates: Mutex::new(ExpiringMap::new(counters, |n, _| *n)),
            // Links and reports die with their challenges; the soonest to die go first.
            links: Mutex::new(ExpiringMap::new(counters, |_, e| rank_by_expiry(e))),
            deliveries: Mutex::new(ExpiringMap::new(capacity, |_, e| rank_by_expiry(e))),
            decoys: Mutex::default(),
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

    /// Makes room for one more record by dropping the oldest decoy still held; `false`
    /// when no decoy is left to drop.
    fn drop_oldest_decoy(&self) -> bool {
        loop {
            let Some(id) = lock(&self.decoys).pop_front() else {
                return false;
            };
            let id = ChallengeId::from_bytes(id);
            let mut shard = self.shard(&id);
            if shard
                .records
                .get(id.as_bytes())
                .is_some_and(Record::is_decoy)
            {
                self.remove(&mut shard, &id);
                return true;
            }
        }
    }

    /// Takes a place for a new record: sweeping expired ones, then dropping decoys,
    /// before giving up. A new decoy pushes out an older one just as a real challenge
    /// does: if only real challenges could, a full store would answer a refused
    /// destination `Full` where an allowed one gets `Ok`, and tell them apart.
    fn take_place(&self, c: &NewChallenge) -> Result<(), StoreError> {
        if self.reserve() {
            return Ok(());
        }
        // Expired records may still hold places: sweep everything once, then retry.
        self.sweep(c.timeline.created_at);
        if self.reserve() {
            return Ok(());
        }
        while self.drop_oldest_decoy() {
            if self.reserve() {
                return Ok(());
            }
        }
        Err(StoreError::Full {
            capacity: self.capacity,
        })
    }

    /// Remembers a new decoy; past `capacity / 2` of them the oldest one goes.
    fn note_decoy(&self, id: &ChallengeId) {
        let full = {
            let mut decoys = lock(&self.decoys);
            decoys.push_back(*id.as_bytes());
            decoys.len() > (self.capacity / 2).max(1)
        };
        if full {
            self.drop_oldest_decoy();
        }
    }

    fn reserve(&self) -> bool {
        self.len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .is_ok()
    }

    fn delivery_of(&self, id: &ChallengeId, now: i64) -> Option<DeliveryRecord> {
        lock(&self.deliveries).get(id.as_bytes(), now).cloned()
    }

    fn subject_shard(&self, slot: u64) -> MutexGuard<'_, ExpiringMap<u64, u32>> {
        // The slot is a hash already; its high bits pick the shard (the map uses all).
        lock(&self.subjects[usize::try_from(slot >> 60).unwrap_or(0) % SUBJECT_SHARDS])
    }

    fn shard(&self, id: &ChallengeId) -> MutexGuard<'_, Shard> {
        // The shard its place names: a placed id's was picked at random, and an id made
        // elsewhere has random bits there.
        lock(&self.shards[slots::shard_of(id)])
    }

    fn sweep_shard(&self, shard: &mut Shard, now: i64) {
        let before = shard.records.len();
        shard.records.retain(|r| r.purge_at > now);
        let removed = before - shard.records.len();
        if removed > 0 {
            self.len.fetch_sub(removed, Ordering::AcqRel);
        }
        shard.inserts_since_sweep = 0;
        shard.len_after_sweep = shard.records.len();
    }

    fn maybe_sweep(&self, shard: &mut Shard, now: i64) {
        if shard.inserts_since_sweep > shard.len_after_sweep.max(64) {
            self.sweep_shard(shard, now);
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

/// The store's operations, none of which waits: the trait impls below forward to
/// them, and the verifier calls them directly for its own default store, without the
/// boxed future every trait call costs.
impl MemoryStore {
    /// The slot a shard picked at random freed last, as a place (see [`slots`]).
    pub(crate) fn next_place_now(&self) -> Option<u32> {
        // A random shard spreads concurrent starts over the locks.
        let shard = usize::from(rand::random::<u8>()) % SHARDS;
        let slot = lock(&self.shards[shard]).records.next_slot();
        slots::place(shard, slot)
    }

    pub(crate) fn create_now(&self, c: &NewChallenge) -> Result<(), StoreError> {
        let now = millis(c.timeline.created_at);
        // The place first (taking it may sweep every shard, so no shard is locked
        // yet), then one lock of the shard for the conflict check and the insert.
        self.take_place(c)?;
        let expires_at = millis(c.timeline.expires_at);
        let kind = if c.decoy { DECOY_BIT } else { 0 };
        let record = Record {
            digest: short(&c.digest),
            binding: tag8(&c.binding),
            subject: c.subject.as_ref().map_or(0, subject_slot),
            expires_at,
            purge_at: millis(c.timeline.purge_at),
            resent: None,
            resend_offset: clamp_i32(millis(c.timeline.resend_at) - expires_at),
            attempts_used: 0,
            attempts_and_kind: small(c.allowance.max_attempts).min(!DECOY_BIT) | kind,
            sends: 1,
            max_sends: small(c.allowance.max_sends),
        };
        let mut shard = self.shard(&c.id);
        self.maybe_sweep(&mut shard, now);
        if live(&mut shard, &c.id, now).is_some() {
            // The id is taken (a replayed create): give the place back.
            self.len.fetch_sub(1, Ordering::AcqRel);
            return Err(StoreError::Conflict);
        }
        if shard.records.insert(*c.id.as_bytes(), record).is_some() {
            // A purged record under the same id was replaced: its place is reused.
            self.len.fetch_sub(1, Ordering::AcqRel);
        }
        shard.inserts_since_sweep += 1;
        drop(shard);
        if c.decoy {
            self.note_decoy(&c.id);
        }
        Ok(())
    }

    pub(crate) fn check_now(
        &self,
        id: &ChallengeId,
        request: &CheckRequest,
    ) -> Result<CheckOutcome, StoreError> {
        let now = millis(request.now);
        // The challenge, then the subject: the one lock order used everywhere (a kept
        // subject is known only once the record is read).
        let mut shard = self.shard(id);
        let Some(record) = shard.records.get_mut(id.as_bytes()) else {
            return Ok(CheckOutcome::NotFound);
        };
        if record.purge_at <= now || !record.bound_to(&request.binding) {
            return Ok(CheckOutcome::NotFound);
        }
        if now >= record.expires_at {
            return Ok(CheckOutcome::Expired);
        }
        if record.locked() {
            return Ok(CheckOutcome::Locked);
        }
        // The request's guard if it names one; else the subject kept with the record.
        let guard = match (&request.subject, &request.kept_subject) {
            (Some(guard), _) => Some((subject_slot(&guard.key), guard.max_failures, guard.window)),
            (None, Some(ceiling)) if record.subject != 0 => {
                Some((record.subject, ceiling.max_failures, ceiling.window))
            }
            _ => None,
        };
        let mut subjects = guard.map(|(slot, ..)| self.subject_shard(slot));
        // The subject's live failures: read once, for the ceiling and for the update.
        let mut so_far = None;
        if let (Some((slot, max_failures, _)), Some(subjects)) = (guard, &subjects) {
            so_far = subjects.get(&slot, now).copied();
            if so_far.unwrap_or(0) >= max_failures {
                return Ok(CheckOutcome::SubjectLocked);
            }
        }
        // Count first, then compare: a crash or race between the two can only cost
        // the person an attempt, never grant the attacker a free one.
        record.attempts_used += 1;
        let approved = record.matches(&request.candidates);
        let attempts_left = record.attempts_left();
        if let (Some((slot, _, window)), Some(subjects)) = (guard, subjects.as_mut()) {
            if !approved {
                let until = millis(request.now + window);
                subjects.insert(slot, so_far.unwrap_or(0) + 1, until, now);
            } else if so_far.is_some() {
                // An approval clears the count; with none live there is nothing to clear
                // (an expired one already reads as none).
                subjects.remove(&slot);
            }
        }
        if approved {
            // The slot the id names, taken again: a second lookup costs an index.
            drop(subjects);
            self.remove(&mut shard, id);
            return Ok(CheckOutcome::Approved);
        }
        Ok(CheckOutcome::Rejected { attempts_left })
    }

    pub(crate) fn resend_now(
        &self,
        id: &ChallengeId,
        request: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError> {
        let now = millis(request.now);
        let mut shard = self.shard(id);
        let Some(record) = live(&mut shard, id, now).filter(|r| r.bound_to(&request.binding))
        else {
            return Ok(ResendOutcome::NotFound);
        };
        if now >= record.expires_at {
            return Ok(ResendOutcome::Expired);
        }
        if record.locked() {
            return Ok(ResendOutcome::Locked);
        }
        if record.sends >= record.max_sends {
            return Ok(ResendOutcome::MaxSends);
        }
        if now < record.resend_at() {
            return Ok(ResendOutcome::Cooldown {
                resend_at: from_millis(record.resend_at()),
            });
        }
        record
            .resent
            .get_or_insert_with(Box::default)
            .push(short(&request.digest));
        record.sends += 1;
        record.set_resend_at(millis(request.now + request.cooldown));
        let outcome = ResendOutcome::Resent {
            expires_at: from_millis(record.expires_at),
            resend_at: from_millis(record.resend_at()),
            attempts_left: record.attempts_left(),
            sends_left: record.sends_left(),
            last_delivery: None,
        };
        drop(shard);
        Ok(match outcome {
            ResendOutcome::Resent {
                expires_at,
                resend_at,
                attempts_left,
                sends_left,
                ..
            } => ResendOutcome::Resent {
                expires_at,
                resend_at,
                attempts_left,
                sends_left,
                // The new message starts with no report; the old one's goes back to the
                // verifier, which routes around a failed provider.
                last_delivery: lock(&self.deliveries).take(id.as_bytes(), now),
            },
            other => other,
        })
    }

    pub(crate) fn cancel_now(&self, id: &ChallengeId) -> Result<bool, StoreError> {
        let mut shard = self.shard(id);
        Ok(self.remove(&mut shard, id))
    }

    /// Where a challenge stands; with `binding`, as that binding sees it (another
    /// binding's challenge is not there).
    pub(crate) fn status_now(
        &self,
        id: &ChallengeId,
        binding: Option<&BindingTag>,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        let now = millis(now);
        let mut shard = self.shard(id);
        let delivery = self.delivery_of(id, now).map(|d| d.status);
        let seen = live(&mut shard, id, now).filter(|r| binding.is_none_or(|b| r.bound_to(b)));
        Ok(seen.map(|r| {
            let phase = if now >= r.expires_at {
                Phase::Expired
            } else if r.locked() {
                Phase::Locked
            } else {
                Phase::Pending
            };
            Status {
                phase,
                expires_at: from_millis(r.expires_at),
                resend_at: from_millis(r.resend_at()),
                attempts_left: r.attempts_left(),
                sends_left: r.sends_left(),
                delivery,
            }
        }))
    }

    pub(crate) fn reset_subject_now(&self, key: &CounterKey) -> Result<(), StoreError> {
        let slot = subject_slot(key);
        self.subject_shard(slot).remove(&slot);
        Ok(())
    }

    pub(crate) fn reserve_now(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        let now_ms = millis(now);
        let mut table = lock(&self.rates);
        for (i, limit) in limits.iter().enumerate() {
            let (used, end) = match table.get_mut(&limit.key, now_ms) {
                Some((used, end)) => (*used, *end),
                None => (0, millis(now + limit.window)),
            };
            if used.saturating_add(limit.cost) > limit.limit {
                return Ok(RateDecision::Denied {
                    limit: i,
                    retry_at: from_millis(end),
                });
            }
        }
        for limit in limits {
            if let Some((used, _)) = table.get_mut(&limit.key, now_ms) {
                *used = used.saturating_add(limit.cost);
            } else {
                let end = millis(now + limit.window);
                table.insert(limit.key.clone(), limit.cost, end, now_ms);
            }
        }
        Ok(RateDecision::Allowed)
    }

    pub(crate) fn release_now(
        &self,
        limits: &[RateLimit],
        reserved_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let at = millis(reserved_at);
        let mut table = lock(&self.rates);
        for limit in limits {
            let window = duration_millis(limit.window);
            if let Some((used, end)) = table.get_mut(&limit.key, at)
                && end.saturating_sub(window) <= at
            {
                *used = used.saturating_sub(limit.cost);
            }
        }
        Ok(())
    }

    pub(crate) fn counts_now(
        &self,
        keys: &[CounterKey],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError> {
        let now = millis(now);
        let table = lock(&self.rates);
        Ok(keys
            .iter()
            .map(|k| table.get(k, now).copied().unwrap_or(0))
            .collect())
    }

    pub(crate) fn link_message_now(
        &self,
        message: &MessageKey,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now = millis(now);
        let purge_at = match live(&mut self.shard(id), id, now) {
            Some(record) => record.purge_at,
            None => return Ok(()),
        };
        lock(&self.links).insert(message.clone(), *id.as_bytes(), purge_at, now);
        Ok(())
    }

    pub(crate) fn record_delivery_now(
        &self,
        message: &MessageKey,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        let now = millis(now);
        let Some(id) = lock(&self.links).get(message, now).copied() else {
            return Ok(None);
        };
        let id = ChallengeId::from_bytes(id);
        let purge_at = match live(&mut self.shard(&id), &id, now) {
            Some(record) => record.purge_at,
            None => return Ok(None),
        };
        let mut deliveries = lock(&self.deliveries);
        let behind = deliveries
            .get(id.as_bytes(), now)
            .is_some_and(|held| held.status.progress() > report.status.progress());
        if !behind {
            deliveries.insert(*id.as_bytes(), report.clone(), purge_at, now);
        }
        Ok(Some(id))
    }
}

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl ChallengeStore for MemoryStore {
    async fn create(&self, c: &NewChallenge) -> Result<(), StoreError> {
        self.create_now(c)
    }

    async fn check(
        &self,
        id: &ChallengeId,
        request: &CheckRequest,
    ) -> Result<CheckOutcome, StoreError> {
        self.check_now(id, request)
    }

    async fn resend(
        &self,
        id: &ChallengeId,
        request: &ResendRequest,
    ) -> Result<ResendOutcome, StoreError> {
        self.resend_now(id, request)
    }

    async fn cancel(&self, id: &ChallengeId) -> Result<bool, StoreError> {
        self.cancel_now(id)
    }

    async fn status(
        &self,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        self.status_now(id, None, now)
    }

    async fn status_for(
        &self,
        id: &ChallengeId,
        binding: &BindingTag,
        now: OffsetDateTime,
    ) -> Result<Option<Status>, StoreError> {
        self.status_now(id, Some(binding), now)
    }

    async fn reset_subject(&self, key: &CounterKey) -> Result<(), StoreError> {
        self.reset_subject_now(key)
    }

    fn groups_by_subject(&self) -> bool {
        false
    }

    fn keeps_subject(&self) -> bool {
        true
    }

    fn next_place(&self) -> Option<u32> {
        self.next_place_now()
    }
}

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl CounterStore for MemoryStore {
    async fn reserve(
        &self,
        limits: &[RateLimit],
        now: OffsetDateTime,
    ) -> Result<RateDecision, StoreError> {
        self.reserve_now(limits, now)
    }

    async fn release(
        &self,
        limits: &[RateLimit],
        reserved_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.release_now(limits, reserved_at)
    }

    async fn counts(
        &self,
        keys: &[CounterKey],
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError> {
        self.counts_now(keys, now)
    }
}

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl DeliveryStore for MemoryStore {
    async fn link_message(
        &self,
        message: &MessageKey,
        id: &ChallengeId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.link_message_now(message, id, now)
    }

    async fn record_delivery(
        &self,
        message: &MessageKey,
        report: &DeliveryRecord,
        now: OffsetDateTime,
    ) -> Result<Option<ChallengeId>, StoreError> {
        self.record_delivery_now(message, report, now)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::MemoryStore;

    #[tokio::test]
    async fn debug_shows_counts_not_records() {
        use crate::store::{Allowance, NewChallenge, Timeline};
        let store = MemoryStore::with_capacity(10);
        let id = crate::ChallengeId::placed(store.next_place_now().unwrap());
        let now = time::macros::datetime!(2026-12-01 09:00 UTC);
        let timeline = Timeline::new(
            now,
            time::Duration::minutes(5),
            time::Duration::minutes(1),
            time::Duration::minutes(5),
        );
        let record = NewChallenge::new(id, [7; 16], [9; 32], timeline, Allowance::new(5, 3));
        store.create_now(&record).unwrap();
        let shown = format!("{store:?}");
        assert_eq!(shown, "MemoryStore { len: 1, capacity: 10, .. }");
        assert!(!shown.contains(&id.to_string()));
    }

    /// The public conformance suite, under a plain `cargo test` (no features).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_store_passes_the_conformance_suite() {
        crate::testing::run_all(Arc::new(MemoryStore::new())).await;
    }
}
