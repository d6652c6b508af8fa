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

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use smsotp::policy::SendLimits;
use smsotp::transport::{Receipt, RecordingTransport, Sms, SmsTransport, TransportError};
use smsotp::{Binding, MemoryStore, PhoneNumber, Purpose, Secret, Verifier};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// Runs a future that never waits (the memory store's) to completion.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Accepts every SMS and keeps nothing: the provider call is not what is measured.
#[derive(Debug)]
struct Discard;

#[async_trait::async_trait]
impl SmsTransport for Discard {
    async fn send(&self, _: &Sms) -> Result<Receipt, TransportError> {
        Ok(Receipt::new("discard", "0"))
    }
}

fn verifier(store: &Arc<MemoryStore>, transport: impl SmsTransport) -> Verifier {
    Verifier::builder(Secret::new(vec![9u8; 32]).unwrap())
        .shared_store(store.clone())
        .transport(transport)
        .send_limits(SendLimits::none())
        .build()
        .unwrap()
}

fn binding(i: usize) -> Binding {
    let phone = PhoneNumber::parse_e164(&format!("+8190{:08}", i % 100_000_000)).unwrap();
    Binding::new(phone, Purpose::login())
}

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
