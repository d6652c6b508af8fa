//! `start` and `check` on the memory store with 1k, 100k and 1M pending challenges,
//! against a baseline measured in the same run: a bare HMAC-SHA256 plus a HashMap
//! insert (for start) or remove (for check), at the same map sizes.
//!
//! A second reference, the *floor* (`common/start_floor.rs`), does the work any start
//! must do (clock, code, id, binding tag, digest, record, SMS body, a boxed provider
//! call, the delivery link, the masked number) the plainest way and nothing more;
//! start is also given over the floor, and the floor over the baseline.
//!
//! ```text
//! cargo bench --bench verifier
//! ```
//!
//! Sizes hold: every timed operation is undone outside the timing (a started
//! challenge is cancelled, a baseline insert removed), so "1M" means a million pending
//! challenges throughout. The verifier's futures never wait on the memory store, so
//! they are polled to completion directly instead of through a runtime, which would
//! add its own cost to ours and not to the baseline.
//!
//! After criterion's groups, the same operations are timed in pairs of short windows,
//! ours and the baseline's in turn (the order alternating), and the median ratio of
//! the pairs is printed (`cargo bench --bench verifier -- paired` for these alone):
//! on a shared machine whose speed drifts between criterion's
//! groups, minutes apart, the pairs see the same machine.
#![allow(clippy::disallowed_methods)] // Instant::now times the operations
#![allow(clippy::print_stdout)] // the paired ratios are printed

#[path = "common/start_floor.rs"]
mod start_floor;
#[path = "common/verifier_setup.rs"]
mod verifier_setup;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use start_floor::StartFloor;
use verifier_setup::{Rig, run};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

type Mac256 = Hmac<Sha256>;

/// The baseline: an HMAC-SHA256 of an id and a binding-sized message, kept in a map of
/// `n` entries.
struct Baseline {
    mac: Mac256,
    map: HashMap<[u8; 16], [u8; 32]>,
    next: u128,
}

impl Baseline {
    fn new(n: usize) -> Self {
        let mut map = HashMap::with_capacity(n + 1);
        for i in 0..n as u128 {
            map.insert(i.to_le_bytes(), [0u8; 32]);
        }
        Self {
            mac: <Mac256 as KeyInit>::new_from_slice(&[9u8; 32]).unwrap(),
            map,
            next: n as u128,
        }
    }

    fn digest(&self, id: u128) -> [u8; 32] {
        let mut m = self.mac.clone();
        m.update(&id.to_le_bytes());
        m.update(b"+819012345678login123456");
        m.finalize().into_bytes().into()
    }

    /// `iters` inserts, each timed alone and removed outside the timing.
    fn insert(&mut self, iters: u64) -> Duration {
        let mut spent = Duration::ZERO;
        let key = self.next.to_le_bytes();
        for _ in 0..iters {
            let t = Instant::now();
            self.map.insert(key, self.digest(self.next));
            spent += t.elapsed();
            self.map.remove(&key);
        }
        spent
    }

    /// `iters` digest-and-removes, each timed alone, the entry put back outside it.
    fn remove(&mut self, iters: u64) -> Duration {
        let mut spent = Duration::ZERO;
        let key = self.next.to_le_bytes();
        for _ in 0..iters {
            self.map.insert(key, self.digest(self.next));
            let t = Instant::now();
            let d = self.digest(self.next);
            black_box(self.map.remove(&key) == Some(d));
            spent += t.elapsed();
        }
        spent
    }
}

impl Rig {
    /// `iters` starts, each timed alone and cancelled outside the timing.
    fn start(&self, iters: u64) -> Duration {
        let mut spent = Duration::ZERO;
        for _ in 0..iters {
            let t = Instant::now();
            let pending = run(self.discarding.start(&self.who)).unwrap();
            spent += t.elapsed();
            run(self.discarding.cancel(&pending.id)).unwrap();
        }
        spent
    }

    /// `iters` right checks, each timed alone, its challenge started outside it.
    fn check(&self, iters: u64) -> Duration {
        let mut spent = Duration::ZERO;
        for _ in 0..iters {
            let pending = run(self.recorded.start(&self.who)).unwrap();
            let code = self.sms.last_code(self.who.destination()).unwrap();
            self.sms.take_messages();
            let t = Instant::now();
            black_box(run(self.recorded.check(&pending.id, &self.who, &code)).unwrap());
            spent += t.elapsed();
        }
        spent
    }
}

fn baseline(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");
    for &n in &SIZES {
        let mut base = Baseline::new(n);
        g.bench_function(BenchmarkId::new("hmac+insert", n), |b| {
            b.iter_custom(|iters| base.insert(iters))
        });
        g.bench_function(BenchmarkId::new("hmac+remove", n), |b| {
            b.iter_custom(|iters| base.remove(iters))
        });
        let floor = StartFloor::new(n);
        g.bench_function(BenchmarkId::new("start_floor", n), |b| {
            b.iter_custom(|iters| floor.starts(iters))
        });
    }
    g.finish();
}

fn verifier_ops(c: &mut Criterion) {
    let mut g = c.benchmark_group("verifier");
    for &n in &SIZES {
        let ours = Rig::new(n);
        g.bench_function(BenchmarkId::new("start", n), |b| {
            b.iter_custom(|iters| ours.start(iters))
        });
        g.bench_function(BenchmarkId::new("check", n), |b| {
            b.iter_custom(|iters| ours.check(iters))
        });
        assert_eq!(ours.store.len(), n, "the pending count held at {n}");
    }
    g.finish();
}

/// Ours over the baseline in `PAIRS` pairs of windows of `OPS` operations, the order
/// alternating: median, min and max of the pairs' ratios, then the medians of ours and
/// the baseline's nanoseconds per operation.
fn paired(
    mut ours: impl FnMut(u64) -> Duration,
    mut base: impl FnMut(u64) -> Duration,
) -> [f64; 5] {
    const PAIRS: usize = 15;
    const OPS: u64 = 20_000;
    let per_op = |d: Duration| d.as_secs_f64() * 1e9 / OPS as f64;
    let mut pairs: Vec<(f64, f64)> = (0..PAIRS)
        .map(|pair| {
            if pair % 2 == 0 {
                let o = ours(OPS);
                (per_op(o), per_op(base(OPS)))
            } else {
                let b = base(OPS);
                (per_op(ours(OPS)), per_op(b))
            }
        })
        .collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[PAIRS / 2]
    };
    let ours_ns = median(pairs.iter().map(|p| p.0).collect());
    let base_ns = median(pairs.iter().map(|p| p.1).collect());
    let ratio = |p: &(f64, f64)| p.0 / p.1;
    pairs.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)));
    [
        ratio(&pairs[PAIRS / 2]),
        ratio(&pairs[0]),
        ratio(&pairs[PAIRS - 1]),
        ours_ns,
        base_ns,
    ]
}

fn paired_ratios(_: &mut Criterion) {
    // Criterion takes a name filter as its free argument: run only when there is none,
    // or it asks for these. (Numbers are option values, such as measurement times.)
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.chars().any(|c| c.is_ascii_alphabetic()))
        .collect();
    if filters.iter().any(|f| !"paired".contains(f.as_str())) {
        return;
    }
    println!("\nours / baseline, paired windows of 20,000 operations, median (min-max) of 15");
    for &n in &SIZES {
        let ours = Rig::new(n);
        let mut base = Baseline::new(n);
        let [r, lo, hi, o, b] = paired(|i| ours.start(i), |i| base.insert(i));
        println!(
            "{n:>9} pending: start / hmac+insert {r:.2} ({lo:.2}-{hi:.2}); {o:.0} / {b:.0} ns"
        );
        let floor = StartFloor::new(n);
        let [r, lo, hi, o, b] = paired(|i| floor.starts(i), |i| base.insert(i));
        println!(
            "{n:>9} pending: floor / hmac+insert {r:.2} ({lo:.2}-{hi:.2}); {o:.0} / {b:.0} ns"
        );
        let [r, lo, hi, o, b] = paired(|i| ours.start(i), |i| floor.starts(i));
        println!("{n:>9} pending: start / floor {r:.2} ({lo:.2}-{hi:.2}); {o:.0} / {b:.0} ns");
        let [r, lo, hi, o, b] = paired(|i| ours.check(i), |i| base.remove(i));
        println!(
            "{n:>9} pending: check / hmac+remove {r:.2} ({lo:.2}-{hi:.2}); {o:.0} / {b:.0} ns"
        );
        assert_eq!(ours.store.len(), n, "the pending count held at {n}");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = baseline, verifier_ops, paired_ratios
}
criterion_main!(benches);
