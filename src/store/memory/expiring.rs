//! A bounded map whose entries expire, swept as a side effect of inserts.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::OnceLock;

/// A fast hash for keys that are keyed-PRF outputs already (counter names, message
/// links, challenge ids) or chosen by the app, never by an attacker: a multiply-rotate
/// fold of 8-byte words, seeded once per process from the OS so the layout is not
/// predictable either. SipHash would spend more on every check than the rest of the
/// lookup.
#[derive(Clone, Copy, Debug)]
pub(super) struct FastHash(u64);

impl Default for FastHash {
    fn default() -> Self {
        static SEED: OnceLock<u64> = OnceLock::new();
        Self(*SEED.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0u8)))
    }
}

impl BuildHasher for FastHash {
    type Hasher = FastHasher;
    fn build_hasher(&self) -> FastHasher {
        FastHasher(self.0)
    }
}

#[derive(Debug)]
pub(super) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // One last mix so the low bits (which pick the bucket) depend on every word.
        let h = self.0 ^ (self.0 >> 29);
        h.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
}

/// Entries carry an expiry (unix milliseconds) and read as absent from then on.
///
/// Two bounds keep it small whatever callers do:
/// - a full sweep runs once the inserts since the last sweep outnumber the entries it
///   left, so each insert pays O(1) sweeping on average and dead entries never exceed
///   live ones by more than that margin;
/// - at `capacity` live entries, an insert first drops the eighth of entries that
///   `rank` puts lowest (for counters: the least used), so the map never holds more
///   than `capacity`, and each insert pays O(1) on average for that too. Dropping the
///   least-used counters first means a flood of new keys evicts its own one-use entries
///   long before the heavy hitters a limit exists to stop.
#[derive(Debug)]
pub(super) struct ExpiringMap<K, V> {
    entries: HashMap<K, (V, i64), FastHash>,
    inserts_since_sweep: usize,
    len_after_sweep: usize,
    capacity: usize,
    rank: fn(&V, i64) -> u64,
}

impl<K: Hash + Eq, V> ExpiringMap<K, V> {
    /// A map of at most `capacity` entries (at least 8), shedding the lowest `rank`
    /// (given the value and its expiry) first when full.
    pub(super) fn new(capacity: usize, rank: fn(&V, i64) -> u64) -> Self {
        Self {
            entries: HashMap::default(),
            inserts_since_sweep: 0,
            len_after_sweep: 0,
            capacity: capacity.max(8),
            rank,
        }
    }

    /// The live value under `key`, with its expiry.
    pub(super) fn get_mut<Q>(&mut self, key: &Q, now: i64) -> Option<(&mut V, &mut i64)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .get_mut(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(v, expires)| (v, expires))
    }

    /// The live value under `key`.
    pub(super) fn get<Q>(&self, key: &Q, now: i64) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .get(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(v, _)| v)
    }

    /// Sets `key` to `value` until `expires`.
    pub(super) fn insert(&mut self, key: K, value: V, expires: i64, now: i64) {
        if self.inserts_since_sweep > self.len_after_sweep.max(64) {
            self.sweep(now);
        }
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.sweep(now);
            if self.entries.len() >= self.capacity {
                self.shed();
            }
        }
        self.inserts_since_sweep += 1;
        self.entries.insert(key, (value, expires));
    }

    /// Removes `key`, giving back its live value.
    pub(super) fn take<Q>(&mut self, key: &Q, now: i64) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .remove(key)
            .filter(|(_, expires)| *expires > now)
            .map(|(v, _)| v)
    }

    /// Removes `key`.
    pub(super) fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.remove(key);
    }

    /// Entries held, dead ones not yet swept included.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    fn sweep(&mut self, now: i64) {
        self.entries.retain(|_, (_, e)| *e > now);
        self.inserts_since_sweep = 0;
        self.len_after_sweep = self.entries.len();
    }

    /// Drops the lowest-ranked eighth of the entries.
    fn shed(&mut self) {
        let rank = self.rank;
        let mut ranks: Vec<u64> = self.entries.values().map(|(v, e)| rank(v, *e)).collect();
        let drop = (ranks.len() / 8).max(1);
        let (_, threshold, _) = ranks.select_nth_unstable(drop - 1);
        let threshold = *threshold;
        let mut dropped = 0;
        self.entries.retain(|_, (v, e)| {
            let keep = dropped >= drop || rank(v, *e) > threshold;
            if !keep {
                dropped += 1;
            }
            keep
        });
        self.len_after_sweep = self.entries.len();
    }
}

#[cfg(test)]
mod tests {
    use super::ExpiringMap;

    #[test]
    fn a_flood_of_new_keys_sheds_itself_not_the_heavy_hitters() {
        let mut map: ExpiringMap<u32, u64> = ExpiringMap::new(100, |v, _| *v);
        map.insert(0, 50, i64::MAX, 0);
        for key in 1..10_000 {
            map.insert(key, 1, i64::MAX, 0);
            assert!(map.len() <= 100);
        }
        assert_eq!(map.get(&0, 0), Some(&50), "the heavy hitter is kept");
    }

    #[test]
    fn expired_entries_go_before_anything_is_shed() {
        let mut map: ExpiringMap<u32, u64> = ExpiringMap::new(10, |v, _| *v);
        for key in 0..10 {
            map.insert(key, 1, 5, 0);
        }
        map.insert(99, 1, 100, 0);
        assert_eq!(
            map.len(),
            10,
            "full of live entries: one eighth (at least one) shed"
        );
        for key in 100..109 {
            map.insert(key, 7, 100, 10);
        }
        assert!(map.len() <= 10);
        assert_eq!(map.get(&99, 10), Some(&1), "the dead ones went first");
    }
}
