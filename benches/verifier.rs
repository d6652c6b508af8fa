//! `start` and `check` on the memory store with 1k, 100k and 1M pending challenges,
//! against a baseline measured in the same run: a bare HMAC-SHA256 plus a HashMap
//! insert (for start) or remove (for check).
//!
//! ```text
//! cargo bench --bench verifier
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use smsotp::policy::SendLimits;
use smsotp::transport::RecordingTransport;
use smsotp::{Binding, MemoryStore, PhoneNumber, Purpose, Secret, Verifier};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn verifier(sms: &Arc<RecordingTransport>) -> Verifier {
    Verifier::builder(Secret::new(vec![9u8; 32]).unwrap())
        .store(MemoryStore::with_capacity(4_000_000))
        .transport(sms.clone())
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
    let key = [9u8; 32];
    let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    for &n in &SIZES {
        let mut map: HashMap<[u8; 16], [u8; 32]> = HashMap::with_capacity(n * 2);
        for i in 0..n as u128 {
            map.insert(i.to_le_bytes(), [0u8; 32]);
        }
        let mut next = n as u128;
        g.bench_function(BenchmarkId::new("hmac+insert", n), |b| {
            b.iter(|| {
                let mut m = mac.clone();
                m.update(&next.to_le_bytes());
                m.update(b"+819012345678login123456");
                let d: [u8; 32] = m.finalize().into_bytes().into();
                map.insert(next.to_le_bytes(), d);
                next += 1;
            })
        });
        let map = std::cell::RefCell::new(map);
        g.bench_function(BenchmarkId::new("hmac+remove", n), |b| {
            b.iter_batched(
                || {
                    next += 1;
                    map.borrow_mut().insert(next.to_le_bytes(), [0u8; 32]);
                    next
                },
                |id| {
                    let mut m = mac.clone();
                    m.update(&id.to_le_bytes());
                    m.update(b"+819012345678login123456");
                    let d: [u8; 32] = m.finalize().into_bytes().into();
                    black_box(map.borrow_mut().remove(&id.to_le_bytes()) == Some(d))
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn verifier_ops(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("verifier");
    for &n in &SIZES {
        let sms = Arc::new(RecordingTransport::new());
        let v = verifier(&sms);
        rt.block_on(async {
            for i in 0..n {
                v.start(&binding(i)).await.unwrap();
                if i % 10_000 == 0 {
                    sms.take_messages();
                }
            }
        });
        sms.take_messages();
        let who = binding(n + 1);
        g.bench_function(BenchmarkId::new("start", n), |b| {
            b.iter(|| {
                rt.block_on(v.start(&who)).unwrap();
                sms.take_messages();
            })
        });
        g.bench_function(BenchmarkId::new("check", n), |b| {
            b.iter_batched(
                || {
                    let p = rt.block_on(v.start(&who)).unwrap();
                    let code = sms.last_code(who.destination()).unwrap();
                    sms.take_messages();
                    (p.id, code)
                },
                |(id, code)| black_box(rt.block_on(v.check(&id, &who, &code)).unwrap()),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = baseline, verifier_ops
}
criterion_main!(benches);
