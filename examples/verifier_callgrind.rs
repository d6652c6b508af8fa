//! A driver for counting instructions per `start` and `check` under callgrind, the
//! same work as `benches/verifier.rs` (memory store, no limits) and its HMAC+map
//! baseline. Instruction counts do not depend on machine load, unlike criterion's
//! times on a shared machine.
//!
//! ```text
//! cargo build --release --example verifier_callgrind
//! valgrind --tool=callgrind --toggle-collect='verifier_callgrind::timed_*' \
//!     --toggle-collect='*StartFloor::start' \
//!     target/release/examples/verifier_callgrind 1000 2000
//! ```
//!
//! Arguments: pending challenges (default 1000) and timed repetitions (default 2000).
//! With `ONLY=start` (or `check`, or `floor`) only that loop runs, for a native sampling profile
//! (`perf record -e cpu-clock`) of one operation.
//! Each `timed_*` function is one operation, so callgrind's inclusive count of one
//! divided by the repetitions is instructions per operation.
#![allow(clippy::print_stdout)] // the driver reports what it ran

#[path = "../benches/common/start_floor.rs"]
mod start_floor;
#[path = "../benches/common/verifier_setup.rs"]
mod verifier_setup;

use std::collections::HashMap;
use std::hint::black_box;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use smsotp::{Binding, ChallengeId, Pending, Verifier};
use verifier_setup::{Rig, run};

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
    // `ONLY=start` (or `check`) runs just that loop, for a native sampling profile.
    let only = std::env::var("ONLY").unwrap_or_default();
    let baseline_reps = if only.is_empty() { reps } else { 0 };
    for _ in 0..baseline_reps {
        timed_baseline_insert(&mut map, &mac, next);
        map.remove(&next.to_le_bytes());
    }
    for _ in 0..baseline_reps {
        map.insert(next.to_le_bytes(), digest(&mac, next));
        timed_baseline_remove(&mut map, &mac, next);
    }

    let floor = start_floor::StartFloor::new(n);
    for _ in 0..if only.is_empty() || only == "floor" {
        reps
    } else {
        0
    } {
        let (id, _) = black_box(floor.start("+819012345678", "login"));
        floor.undo(&id);
    }

    let Rig {
        store,
        sms,
        recorded,
        discarding,
        who,
    } = Rig::new(n);
    #[allow(clippy::disallowed_methods)] // a rough native figure beside the counts
    let began = std::time::Instant::now();
    for _ in 0..if only.is_empty() || only == "start" {
        reps
    } else {
        0
    } {
        let pending = timed_start(&discarding, &who);
        run(discarding.cancel(&pending.id)).unwrap();
    }
    if only == "start" {
        println!(
            "start and cancel: {:?} each",
            began.elapsed() / u32::try_from(reps).unwrap_or(1)
        );
    }
    #[allow(clippy::disallowed_methods)] // as above
    let began = std::time::Instant::now();
    for _ in 0..if only.is_empty() || only == "check" {
        reps
    } else {
        0
    } {
        let pending = run(recorded.start(&who)).unwrap();
        let code = sms.last_code(who.destination()).unwrap();
        sms.take_messages();
        timed_check(&recorded, &pending.id, &who, &code);
    }
    if only == "check" {
        println!(
            "start, read and check: {:?} each",
            began.elapsed() / u32::try_from(reps).unwrap_or(1)
        );
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
