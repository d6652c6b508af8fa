//! A driver for counting instructions per `start` and `check` under callgrind, the
//! same work as `benches/verifier.rs` (memory store, no limits) and its HMAC+map
//! baseline. Instruction counts do not depend on machine load, unlike criterion's
//! times on a shared machine.
//!
//! ```text
//! cargo build --release --example verifier_callgrind
//! valgrind --tool=callgrind --toggle-collect='verifier_callgrind::timed_*' \
//!     target/release/examples/verifier_callgrind 1000 2000
//! ```
//!
//! Arguments: pending challenges (default 1000) and timed repetitions (default 2000).
//! Each `timed_*` function is one operation, so callgrind's inclusive count of one
//! divided by the repetitions is instructions per operation.
#![allow(clippy::print_stdout)] // the driver reports what it ran

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use smsotp::policy::SendLimits;
use smsotp::transport::{Receipt, RecordingTransport, Sms, SmsTransport, TransportError};
use smsotp::{Binding, ChallengeId, MemoryStore, Pending, PhoneNumber, Purpose, Secret, Verifier};

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

/// Accepts every SMS and keeps nothing, as in the bench.
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

#[inline(never)]
fn timed_start(v: &Verifier, who: &Binding) -> Pending {
    run(v.start(who)).unwrap()
}

#[inline(never)]
fn timed_check(v: &Verifier, id: &ChallengeId, who: &Binding, code: &str) {
    black_box(run(v.check(id, who, code)).unwrap());
}

type Mac256 = Hmac<Sha256>;

fn digest(mac: &Mac256, id: u128) -> [u8; 32] {
    let mut m = mac.clone();
    m.update(&id.to_le_bytes());
    m.update(b"+819012345678login123456");
    m.finalize().into_bytes().into()
}

#[inline(never)]
fn timed_baseline_insert(map: &mut HashMap<[u8; 16], [u8; 32]>, mac: &Mac256, id: u128) {
    map.insert(id.to_le_bytes(), digest(mac, id));
}

#[inline(never)]
fn timed_baseline_remove(map: &mut HashMap<[u8; 16], [u8; 32]>, mac: &Mac256, id: u128) {
    let d = digest(mac, id);
    black_box(map.remove(&id.to_le_bytes()) == Some(d));
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().unwrap());
    let n = args.next().unwrap_or(1_000);
    let reps = args.next().unwrap_or(2_000);

    let mac = <Mac256 as KeyInit>::new_from_slice(&[9u8; 32]).unwrap();
    let mut map: HashMap<[u8; 16], [u8; 32]> = HashMap::with_capacity(n + 1);
    for i in 0..n as u128 {
        map.insert(i.to_le_bytes(), [0u8; 32]);
    }
    let next = n as u128;
    for _ in 0..reps {
        timed_baseline_insert(&mut map, &mac, next);
        map.remove(&next.to_le_bytes());
    }
    for _ in 0..reps {
        map.insert(next.to_le_bytes(), digest(&mac, next));
        timed_baseline_remove(&mut map, &mac, next);
    }

    let store = Arc::new(MemoryStore::with_capacity(n + 1_000));
    let sms = Arc::new(RecordingTransport::new());
    let recorded = verifier(&store, sms.clone());
    let discarding = verifier(&store, Discard);
    for i in 0..n {
        run(discarding.start(&binding(i))).unwrap();
    }
    let who = binding(n + 1);
    for _ in 0..reps {
        let pending = timed_start(&discarding, &who);
        run(discarding.cancel(&pending.id)).unwrap();
    }
    for _ in 0..reps {
        let pending = run(recorded.start(&who)).unwrap();
        let code = sms.last_code(who.destination()).unwrap();
        sms.take_messages();
        timed_check(&recorded, &pending.id, &who, &code);
    }
    assert_eq!(store.len(), n, "the pending count held at {n}");
    println!("{n} pending, {reps} repetitions of each");
    if std::env::var_os("FUTURE_SIZES").is_some() {
        println!(
            "start future {} bytes, check future {} bytes",
            std::mem::size_of_val(&discarding.start(&who)),
            std::mem::size_of_val(&recorded.check(&ChallengeId::random(), &who, "x"))
        );
    }
}
