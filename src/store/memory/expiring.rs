//! A map whose entries expire, swept as a side effect of inserts.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// Entries carry an expiry (unix milliseconds) and read as absent from then on. A full
/// sweep runs once the inserts since the last sweep outnumber the entries it left, so
/// each insert pays O(1) sweeping on average and dead entries never exceed live ones
/// by more than that margin.
#[derive(Debug)]
pub(super) struct ExpiringMap<K, V> {
    entries: HashMap<K, (V, i64)>,
    inserts_since_sweep: usize,
    len_after_sweep: usize,
}

impl<K, V> Default for ExpiringMap<K, V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            inserts_since_sweep: 0,
            len_after_sweep: 0,
        }
    }
}

impl<K: Hash + Eq, V> ExpiringMap<K, V> {
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
            self.entries.retain(|_, (_, e)| *e > now);
            self.inserts_since_sweep = 0;
            self.len_after_sweep = self.entries.len();
        }
        self.inserts_since_sweep += 1;
        self.entries.insert(key, (value, expires));
    }

    /// Removes `key`.
    pub(super) fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.remove(key);
    }
}
