//! `start` and `check` on the memory store with 1k, 100k and 1M pending challenges,
//! against a baseline measured in the same run: a bare HMAC-SHA256 plus a HashMap
//! insert (for start) or remove (for check), at the same map sizes.
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
#![allow(clippy::disallowed_methods)] // Instant::now times the operations

#[path = "common/verifier_setup.rs"]
mod verifier_setup;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use smsotp::MemoryStore;
use smsotp::transport::RecordingTransport;
use verifier_setup::{Discard, binding, run, verifier};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn baseline(c: &mut Criterion) {
    let mut g = c.benchmark_group("baseline");
    let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[9u8; 32]).unwrap();
    let digest = |id: u128| -> [u8; 32] {
        let mut m = mac.clone();
        m.update(&id.to_le_bytes());
        m.update(b"+819012345678login123456");
        m.finalize().into_bytes().into()
    };
    for &n in &SIZES {
        let mut map: HashMap<[u8; 16], [u8; 32]> = HashMap::with_capacity(n + 1);
        for i in 0..n as u128 {
            map.insert(i.to_le_bytes(), [0u8; 32]);
        }
        let next = n as u128;
        g.bench_function(BenchmarkId::new("hmac+insert", n), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    map.insert(next.to_le_bytes(), digest(next));
                    spent += t.elapsed();
                    map.remove(&next.to_le_bytes());
                }
                spent
            })
        });
        g.bench_function(BenchmarkId::new("hmac+remove", n), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    map.insert(next.to_le_bytes(), digest(next));
                    let t = Instant::now();
                    let d = digest(next);
                    black_box(map.remove(&next.to_le_bytes()) == Some(d));
                    spent += t.elapsed();
                }
                spent
            })
        });
    }
    g.finish();
}

fn verifier_ops(c: &mut Criterion) {
    let mut g = c.benchmark_group("verifier");
    for &n in &SIZES {
        let store = Arc::new(MemoryStore::with_capacity(n + 1_000));
        let sms = Arc::new(RecordingTransport::new());
        let recorded = verifier(&store, sms.clone());
        let discarding = verifier(&store, Discard);
        for i in 0..n {
            run(discarding.start(&binding(i))).unwrap();
        }
        let who = binding(n + 1);
        g.bench_function(BenchmarkId::new("start", n), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let pending = run(discarding.start(&who)).unwrap();
                    spent += t.elapsed();
                    run(discarding.cancel(&pending.id)).unwrap();
                }
                spent
            })
        });
        g.bench_function(BenchmarkId::new("check", n), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let pending = run(recorded.start(&who)).unwrap();
                    let code = sms.last_code(who.destination()).unwrap();
                    sms.take_messages();
                    let t = Instant::now();
                    black_box(run(recorded.check(&pending.id, &who, &code)).unwrap());
                    spent += t.elapsed();
                }
                spent
            })
        });
        assert_eq!(store.len(), n, "the pending count held at {n}");
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = baseline, verifier_ops
}
criterion_main!(benches);
