//! The floor of a `start`: the work any start that meets this crate's contract must do,
//! each step done the plainest way with the same crates, and nothing more. It answers
//! "how far is `start` from what it has to do?", which the HMAC+insert baseline cannot:
//! that baseline leaves out the code, the id, the clock, the binding tag, the SMS, the
//! provider call and the delivery link, and the 3× target is set against it.
//!
//! The steps, in `start`'s order:
//! 1. read the clock (the challenge expires);
//! 2. draw a 6-digit code and a 160-bit id from the thread's CSPRNG;
//! 3. tag the binding (keyed SipHash-2-4, 128 bits) so a check for another number or
//!    purpose finds nothing;
//! 4. digest the code (HMAC-SHA256 over id, tag and code), as the baseline does;
//! 5. keep the record (digest, tag, expiry, attempts) in a locked map, as the baseline
//!    keeps its digest in a map;
//! 6. write the SMS body;
//! 7. hand it to a transport behind `dyn`, whose future is boxed (what `async_trait`
//!    makes of every transport, ours included);
//! 8. link the provider's message id to the challenge, for delivery reports;
//! 9. answer with the id and the masked number.
//!
//! Left out, though `start` does them: send limits, test numbers, country policy, the
//! spend cap, events, logs, the idempotency key, the subject's key. The floor is a
//! floor: it is not a store, and must not be mistaken for a faster design.
// The floor reads the system clock the plainest way, and times its own starts.
#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::hash::Hasher as _;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use rand::{Rng as _, RngExt as _};
use sha2::Sha256;
use siphasher::sip128::{Hasher128 as _, SipHasher24};

type Mac256 = Hmac<Sha256>;
type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the floor keeps per challenge: digest, binding tag, expiry, attempts left.
type Record = ([u8; 32], [u8; 16], SystemTime, u8);

/// A transport as `async_trait` shapes one: a boxed future per send.
trait FloorTransport: Send + Sync {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> Boxed<'a, String>;
}

/// Accepts everything, as the verifier bench's `Discard` does: a message id back.
struct Discard;

impl FloorTransport for Discard {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> Boxed<'a, String> {
        Box::pin(async move {
            black_box((to, body));
            "0".to_owned()
        })
    }
}

pub struct StartFloor {
    mac: Mac256,
    tag_key: SipHasher24,
    records: Mutex<HashMap<[u8; 20], Record>>,
    links: Mutex<HashMap<String, [u8; 20]>>,
    transport: Box<dyn FloorTransport>,
}

impl StartFloor {
    /// A floor holding `n` pending records, as the verifier's rig holds `n` challenges.
    pub fn new(n: usize) -> Self {
        let mut records = HashMap::with_capacity(n + 1);
        for i in 0..n as u128 {
            let mut id = [0u8; 20];
            id[..16].copy_from_slice(&i.to_le_bytes());
            records.insert(id, ([0u8; 32], [0u8; 16], SystemTime::UNIX_EPOCH, 0));
        }
        Self {
            mac: <Mac256 as KeyInit>::new_from_slice(&[9u8; 32]).unwrap(),
            tag_key: SipHasher24::new_with_key(&[7u8; 16]),
            records: Mutex::new(records),
            links: Mutex::new(HashMap::new()),
            transport: Box::new(Discard),
        }
    }

    /// One start to `to` (E.164) for `purpose`: the id and the masked number.
    #[inline(never)]
    pub fn start(&self, to: &str, purpose: &str) -> ([u8; 20], String) {
        let now = SystemTime::now();
        let mut rng = rand::rng();
        let code: [u8; 6] = std::array::from_fn(|_| b'0' + rng.random_range(0..10u8));
        let mut id = [0u8; 20];
        rng.fill_bytes(&mut id);
        let mut tag = self.tag_key;
        tag.write(to.as_bytes());
        tag.write(purpose.as_bytes());
        let tag = tag.finish128().as_bytes();
        let mut mac = self.mac.clone();
        mac.update(&id);
        mac.update(&tag);
        mac.update(&code);
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let expires = now + Duration::from_secs(600);
        self.records
            .lock()
            .unwrap()
            .insert(id, (digest, tag, expires, 5));
        let mut body = String::with_capacity(64);
        body.push_str("Your verification code is ");
        body.push_str(std::str::from_utf8(&code).unwrap());
        body.push_str(". It expires in 10 minutes.");
        let message_id = crate::verifier_setup::run(self.transport.send(to, &body));
        self.links.lock().unwrap().insert(message_id, id);
        let mut masked = String::with_capacity(16);
        masked.push_str(&to[..3]);
        masked.push_str("••••");
        masked.push_str(&to[to.len() - 2..]);
        (id, masked)
    }

    /// Takes back what [`start`](Self::start) kept, so the maps keep their size.
    pub fn undo(&self, id: &[u8; 20]) {
        self.records.lock().unwrap().remove(id);
        self.links.lock().unwrap().clear();
    }

    /// `iters` starts, each timed alone and undone outside the timing.
    #[allow(dead_code)] // the callgrind driver times `start` alone
    pub fn starts(&self, iters: u64) -> Duration {
        let mut spent = Duration::ZERO;
        for _ in 0..iters {
            let t = Instant::now();
            let (id, masked) = black_box(self.start("+819012345678", "login"));
            spent += t.elapsed();
            drop(masked);
            self.undo(&id);
        }
        spent
    }
}
