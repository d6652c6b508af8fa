//! Failures in a row, and the pause they cause: per door of an account, per username
//! typed from one client, and per client across every username.
//!
//! Every check counts the attempt as a failure *before* the secret is compared, under
//! the same lock as the check of the pause (count before compare): parallel requests
//! can never all pass "not paused yet". A success clears the count; input that was
//! never compared with anything gives its attempt back.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

/// How long a pause lasts.
pub const LOCKOUT: Duration = Duration::minutes(15);

/// Keys a [`Throttles`] map keeps at most; past it, keys with no pause on go first,
/// so a flood of new keys costs bounded memory.
const MAX_KEYS: usize = 100_000;

/// Failures in a row at one door, paused for [`LOCKOUT`] at `MAX`.
#[derive(Debug, Default)]
pub struct Throttle<const MAX: u32> {
    failures: u32,
    locked_until: Option<OffsetDateTime>,
}

impl<const MAX: u32> Throttle<MAX> {
    /// Minutes left of a pause, rounded up, if one is on.
    pub fn locked(&self, now: OffsetDateTime) -> Option<i64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| super::minutes_ceil(until - now))
    }

    /// Counts one attempt as a failure before anything is compared. `Err` gives the
    /// minutes of a pause already on: nothing may be compared then.
    pub fn reserve(&mut self, now: OffsetDateTime) -> Result<(), i64> {
        if let Some(minutes) = self.locked(now) {
            return Err(minutes);
        }
        self.fail(now);
        Ok(())
    }

    /// Gives back an attempt [`reserve`](Self::reserve) took for input that was never
    /// compared with anything (malformed, nothing left to redeem, a right password at
    /// a client-wide count that must not be reset by one account's success).
    pub fn give_back(&mut self, now: OffsetDateTime) {
        if self.locked(now).is_none() {
            self.failures = self.failures.saturating_sub(1);
        }
    }

    /// One failure, counted after the comparison (for a door that checks and records
    /// under one lock, with nothing to reserve).
    pub fn fail(&mut self, now: OffsetDateTime) {
        self.failures += 1;
        if self.failures >= MAX {
            self.failures = 0;
            self.locked_until = Some(now + LOCKOUT);
        }
    }

    /// The secret was right: the count starts again.
    pub fn succeed(&mut self) {
        *self = Self::default();
    }
}

/// A [`Throttle`] per key, bounded in memory.
#[derive(Debug)]
pub struct Throttles<K, const MAX: u32> {
    map: Mutex<HashMap<K, Throttle<MAX>>>,
}

impl<K: Eq + Hash, const MAX: u32> Default for Throttles<K, MAX> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, const MAX: u32> Throttles<K, MAX> {
    /// [`Throttle::reserve`] for `key`.
    pub fn reserve(&self, key: K, now: OffsetDateTime) -> Result<(), i64> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_KEYS && !map.contains_key(&key) {
            // Counts below a pause go first: they cost an attacker little to rebuild.
            map.retain(|_, t| t.locked(now).is_some());
            if map.len() >= MAX_KEYS {
                // Every key is paused: the half of the pauses that end soonest go, the
                // rest hold (wiping them all would lift every pause at once).
                let mut paused: Vec<(K, Throttle<MAX>)> = map.drain().collect();
                paused.sort_unstable_by_key(|(_, t)| std::cmp::Reverse(t.locked_until));
                paused.truncate(MAX_KEYS / 2);
                map.extend(paused);
            }
        }
        map.entry(key).or_default().reserve(now)
    }

    /// [`Throttle::give_back`] for `key`.
    pub fn give_back(&self, key: &K, now: OffsetDateTime) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(throttle) = map.get_mut(key) {
            throttle.give_back(now);
        }
    }

    /// [`Throttle::succeed`] for `key`: it is forgotten.
    pub fn succeed(&self, key: &K) {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

/// Failures per key from anywhere, forgotten [`LOCKOUT`] after the last one: the
/// per-account part of the password door, which slows guessing at one account from
/// many addresses without ever locking its owner out.
#[derive(Debug, Default)]
pub struct Strikes<K> {
    map: Mutex<HashMap<K, (u32, OffsetDateTime)>>,
}

impl<K: Eq + Hash> Strikes<K> {
    /// Counts one attempt as a failure before anything is compared; returns the
    /// failures counted before it (still within the window).
    pub fn strike(&self, key: K, now: OffsetDateTime) -> u32 {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_KEYS && !map.contains_key(&key) {
            // Old strikes go first; if all are recent, the map starts again (the
            // worst case is a few free attempts more, never a lockout).
            map.retain(|_, (_, last)| now - *last < LOCKOUT);
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let entry = map.entry(key).or_insert((0, now));
        if now - entry.1 >= LOCKOUT {
            *entry = (0, now);
        }
        let before = entry.0;
        *entry = (before.saturating_add(1), now);
        before
    }

    /// The secret was right: the key's strikes are forgotten.
    pub fn forgive(&self, key: &K) {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}
