//! Records in numbered slots, which ids name: a new challenge goes where the last one
//! was freed, in memory that is already in cache, instead of wherever a random id
//! hashes to in a table of a million.
//!
//! An id's [place](crate::ChallengeId::place) (the 32 bits after its random 128) names
//! a shard in its low bits and a slot of that shard in the rest. Ids made elsewhere
//! have random places: their shard is random, and their slot almost never exists.

use std::collections::HashMap;

use subtle::ConstantTimeEq;

use super::expiring::FastHash;
use crate::ChallengeId;

/// An id's bytes, as slots keep them.
pub(super) type IdBytes = [u8; ChallengeId::LEN];

/// The shards, named by a place's low bits.
pub(super) const SHARD_BITS: u32 = 6;
pub(super) const SHARDS: usize = 1 << SHARD_BITS;

/// The shard an id's place names, whether or not a store made it.
pub(super) fn shard_of(id: &ChallengeId) -> usize {
    usize::try_from(id.place()).unwrap_or(0) % SHARDS
}

/// The slot an id's place names, whether or not a store made it.
fn slot_of(id: &IdBytes) -> usize {
    usize::try_from(crate::challenge::place_of(id) >> SHARD_BITS).unwrap_or(usize::MAX)
}

/// The place naming `slot` of shard `shard`, if a place can name it.
pub(super) fn place(shard: usize, slot: u32) -> Option<u32> {
    let shard = u32::try_from(shard % SHARDS).ok()?;
    (slot < 1 << (32 - SHARD_BITS)).then_some(slot << SHARD_BITS | shard)
}

/// Values keyed by ids. An id whose slot number names a free slot (as the
/// ids [`next_slot`](Self::next_slot) suggests do) is kept there; any other id (one
/// made elsewhere, or one whose slot was taken by a racing insert) in a small table
/// beside. A lookup tries the named slot, then that table.
#[derive(Debug)]
pub(super) struct Slots<V> {
    entries: Vec<Option<Entry<V>>>,
    /// Freed slots, last freed on top. May hold slots taken since (by an id that named
    /// one below the top) or cut off the end: those are skipped, and the list is
    /// rebuilt once it reaches twice the entries.
    free: Vec<u32>,
    /// Ids that name no slot of theirs. Hashed with a per-process seed: `create` takes
    /// ids made anywhere, so they cannot be trusted to spread by themselves.
    others: HashMap<IdBytes, V, FastHash>,
    len: usize,
}

#[derive(Debug)]
struct Entry<V> {
    id: IdBytes,
    value: V,
}

impl<V> Default for Slots<V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            free: Vec::new(),
            others: HashMap::default(),
            len: 0,
        }
    }
}

impl<V> Slots<V> {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The slot a new id should name: the one freed last, else a new one at the end.
    pub(super) fn next_slot(&mut self) -> u32 {
        while let Some(&top) = self.free.last() {
            if self.is_free(top as usize) {
                return top;
            }
            self.free.pop();
        }
        u32::try_from(self.entries.len()).unwrap_or(u32::MAX)
    }

    pub(super) fn get_mut(&mut self, id: &IdBytes) -> Option<&mut V> {
        match self.entries.get_mut(slot_of(id)) {
            Some(Some(entry)) if same(&entry.id, id) => Some(&mut entry.value),
            _ => self.others.get_mut(id),
        }
    }

    pub(super) fn get(&self, id: &IdBytes) -> Option<&V> {
        match self.entries.get(slot_of(id)) {
            Some(Some(entry)) if same(&entry.id, id) => Some(&entry.value),
            _ => self.others.get(id),
        }
    }

    /// Keeps `value` under `id`; gives back what `id` held before.
    pub(super) fn insert(&mut self, id: IdBytes, value: V) -> Option<V> {
        if let Some(held) = self.get_mut(&id) {
            return Some(std::mem::replace(held, value));
        }
        self.len += 1;
        let slot = slot_of(&id);
        if slot == self.entries.len() && u32::try_from(slot).is_ok() {
            self.entries.push(Some(Entry { id, value }));
        } else if self.is_free(slot) {
            if self.free.last().is_some_and(|&top| top as usize == slot) {
                self.free.pop();
            }
            self.entries[slot] = Some(Entry { id, value });
        } else {
            self.others.insert(id, value);
        }
        None
    }

    pub(super) fn remove(&mut self, id: &IdBytes) -> Option<V> {
        let slot = slot_of(id);
        let removed = match self.entries.get_mut(slot) {
            Some(held) if held.as_ref().is_some_and(|e| same(&e.id, id)) => {
                let entry = held.take();
                self.note_free(slot);
                entry.map(|e| e.value)
            }
            _ => self.others.remove(id),
        };
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Keeps only the values `keep` says yes to.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        let mut dropped = 0;
        for held in &mut self.entries {
            if held.as_ref().is_some_and(|e| !keep(&e.value)) {
                *held = None;
                dropped += 1;
            }
        }
        self.len -= dropped;
        let before = self.others.len();
        self.others.retain(|_, v| keep(v));
        self.len -= before - self.others.len();
        // Give memory back after a peak: free slots at the end go, the free list is
        // rebuilt to name each free slot left once (a sweep already walked every
        // slot), and the tables shrink once mostly empty.
        while matches!(self.entries.last(), Some(None)) {
            self.entries.pop();
        }
        if self.entries.capacity() > 2 * self.entries.len() + 64 {
            self.entries
                .shrink_to(self.entries.len() + self.entries.len() / 2);
        }
        self.rebuild_free();
        if self.others.capacity() > 4 * self.others.len() + 64 {
            self.others.shrink_to(2 * self.others.len());
        }
    }

    /// The free list as every slot free now, once each, and no more room than that.
    fn rebuild_free(&mut self) {
        let mut free = std::mem::take(&mut self.free);
        free.clear();
        free.extend(
            (0..self.entries.len())
                .filter(|&s| self.is_free(s))
                .filter_map(|s| u32::try_from(s).ok()),
        );
        if free.capacity() > 2 * free.len() + 64 {
            free.shrink_to(free.len() + free.len() / 2);
        }
        self.free = free;
    }

    /// Whether `slot` exists and holds nothing.
    fn is_free(&self, slot: usize) -> bool {
        matches!(self.entries.get(slot), Some(None))
    }

    fn note_free(&mut self, slot: usize) {
        if self.free.len() >= 2 * self.entries.len().max(8) {
            // Mostly stale: keep only slots that are free now, once each.
            self.rebuild_free();
        }
        if let Ok(slot) = u32::try_from(slot) {
            self.free.push(slot);
        }
    }
}

/// Whether two ids are the same, in constant time: a lookup names its slot, so every
/// guess at an id is compared with the id held there, and a compare that stopped at
/// the first differing byte would let the guesses learn it byte by byte. The words'
/// differences are OR-ed together without a branch, then tested once.
#[inline]
fn same(held: &IdBytes, id: &IdBytes) -> bool {
    let word = |b: &IdBytes, at: usize| {
        u64::from_le_bytes([
            b[at],
            b[at + 1],
            b[at + 2],
            b[at + 3],
            b[at + 4],
            b[at + 5],
            b[at + 6],
            b[at + 7],
        ])
    };
    let tail = |b: &IdBytes| u64::from(crate::challenge::place_of(b));
    let differ =
        (word(held, 0) ^ word(id, 0)) | (word(held, 8) ^ word(id, 8)) | (tail(held) ^ tail(id));
    differ.ct_eq(&0).into()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::{IdBytes, Slots, place, same, slot_of};

    #[test]
    fn ids_that_differ_in_any_bit_are_not_the_same() {
        let id: IdBytes = std::array::from_fn(|i| u8::try_from(i * 37 % 256).unwrap());
        assert!(same(&id, &id));
        for at in 0..id.len() {
            for bit in 0..8 {
                let mut other = id;
                other[at] ^= 1 << bit;
                assert!(!same(&id, &other), "byte {at}, bit {bit}");
            }
        }
    }

    /// An id of `random` whose place names `slot` (of shard 0).
    fn naming(random: [u8; 16], slot: u32) -> IdBytes {
        let mut id = [0u8; 20];
        id[..16].copy_from_slice(&random);
        id[16..].copy_from_slice(&place(0, slot).unwrap().to_le_bytes());
        id
    }

    #[test]
    fn a_suggested_id_lands_in_the_slot_freed_last() {
        let mut slots = Slots::default();
        let a = naming([7; 16], slots.next_slot());
        slots.insert(a, "a");
        let b = naming([8; 16], slots.next_slot());
        slots.insert(b, "b");
        assert_eq!((slot_of(&a), slot_of(&b)), (0, 1));
        slots.remove(&a);
        assert_eq!(slots.next_slot(), 0, "the freed slot is offered again");
        let c = naming([9; 16], slots.next_slot());
        slots.insert(c, "c");
        assert_eq!(slots.get(&c), Some(&"c"));
        assert_eq!(
            slots.get(&a),
            None,
            "the old id does not find the new record"
        );
        assert_eq!(slots.others.len(), 0);
    }

    #[test]
    fn an_id_whose_slot_is_taken_is_kept_beside() {
        let mut slots = Slots::default();
        let slot = slots.next_slot();
        let (first, racing) = (naming([1; 16], slot), naming([2; 16], slot));
        slots.insert(first, 1);
        slots.insert(racing, 2);
        assert_eq!(
            (slots.get(&first), slots.get(&racing)),
            (Some(&1), Some(&2))
        );
        assert_eq!(slots.remove(&racing), Some(2));
        assert_eq!(slots.remove(&first), Some(1));
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn a_sweep_after_a_peak_gives_back_the_free_list_too() {
        let mut slots = Slots::default();
        for seed in 0..1_000u16 {
            let [a, b] = seed.to_le_bytes();
            let id = naming(
                [a, b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                slots.next_slot(),
            );
            slots.insert(id, seed);
        }
        slots.retain(|&v| v < 10);
        assert_eq!(slots.len(), 10);
        assert_eq!(slots.entries.len(), 10, "free slots at the end go");
        assert!(
            slots.free.is_empty(),
            "and the free list names none of them"
        );
        assert!(slots.free.capacity() <= 64 + 1);
        slots.retain(|_| false);
        assert_eq!(
            (slots.len(), slots.entries.len(), slots.free.len()),
            (0, 0, 0)
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Insert under the suggested slot (true) or a random id's own (false).
        Insert {
            suggested: bool,
            seed: u8,
        },
        Remove(usize),
        Retain(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<bool>(), any::<u8>())
                .prop_map(|(suggested, seed)| Op::Insert { suggested, seed }),
            any::<usize>().prop_map(Op::Remove),
            any::<u8>().prop_map(Op::Retain),
        ]
    }

    proptest! {
        /// Slots answer exactly as a map would, whatever ids come and go.
        #[test]
        fn behaves_as_a_map(ops in proptest::collection::vec(op(), 1..200)) {
            let mut slots = Slots::default();
            let mut model: HashMap<IdBytes, u8> = HashMap::new();
            let mut ids: Vec<IdBytes> = Vec::new();
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert { suggested, seed } => {
                        let mut random = [seed; 16];
                        random[15] = u8::try_from(n % 256).unwrap();
                        random[14] = u8::try_from(n / 256).unwrap();
                        let id = if suggested {
                            naming(random, slots.next_slot())
                        } else {
                            // Small slot numbers, so they collide with the slab's.
                            naming(random, u32::from(seed % 8))
                        };
                        prop_assert_eq!(slots.insert(id, seed), model.insert(id, seed));
                        ids.push(id);
                    }
                    Op::Remove(i) if !ids.is_empty() => {
                        let id = ids[i % ids.len()];
                        prop_assert_eq!(slots.remove(&id), model.remove(&id));
                    }
                    Op::Remove(_) => {}
                    Op::Retain(bar) => {
                        slots.retain(|v| *v < bar);
                        model.retain(|_, v| *v < bar);
                    }
                }
                prop_assert_eq!(slots.len(), model.len());
                prop_assert!(slots.free.len() <= 2 * slots.entries.len().max(8) + 1);
                prop_assert!(slots.free.iter().all(|&f| (f as usize) < slots.entries.len()));
                for id in &ids {
                    prop_assert_eq!(slots.get(id), model.get(id));
                }
            }
        }
    }
}
