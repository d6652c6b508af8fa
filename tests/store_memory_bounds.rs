//! MemoryStore stays bounded: bytes per pending challenge (measured with a counting
//! allocator), capacity, and sweeping of expired challenges.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};

use smsotp::store::{Allowance, ChallengeStore, NewChallenge, StoreError, Timeline};
use smsotp::{ChallengeId, MemoryStore};
use time::{Duration, OffsetDateTime, macros::datetime};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Tests in this file measure the process-wide heap, so they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

// SAFETY: forwards to the system allocator unchanged and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const T0: OffsetDateTime = datetime!(2026-11-25 09:00 UTC);

fn challenge(id: ChallengeId, at: OffsetDateTime) -> NewChallenge {
    NewChallenge::new(
        id,
        [1; 16],
        [2; 32],
        Timeline::new(
            at,
            Duration::minutes(5),
            Duration::minutes(1),
            Duration::minutes(5),
        ),
        Allowance::new(5, 3),
    )
}

/// Makes the `i`th challenge's id.
type MakeId = fn(&MemoryStore, usize) -> ChallengeId;

/// Heap bytes per pending challenge, ids made by `id`.
fn bytes_per_challenge(n: usize, id: MakeId) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let before = LIVE.load(Ordering::SeqCst);
    let store = MemoryStore::with_capacity(n);
    rt.block_on(async {
        for i in 0..n {
            store.create(&challenge(id(&store, i), T0)).await.unwrap();
        }
    });
    let after = LIVE.load(Ordering::SeqCst);
    assert_eq!(store.len(), n);
    drop(store);
    (after - before) as f64 / n as f64
}

/// An id in the store's next place, as the verifier makes one.
fn placed(store: &MemoryStore) -> ChallengeId {
    smsotp::store::new_id(store, None)
}

#[test]
fn at_most_200_bytes_per_pending_challenge() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for n in [1_000, 100_000, 1_000_000] {
        // The store's own ids (as the verifier makes them: kept in slots), ids made
        // elsewhere (kept in a table beside them), and both at once.
        let kinds: [(MakeId, &str); 3] = [
            (|store, _| placed(store), "the store's ids"),
            (|_, _| ChallengeId::random(), "random ids"),
            (
                |store, i| {
                    if i % 2 == 0 {
                        placed(store)
                    } else {
                        ChallengeId::random()
                    }
                },
                "both",
            ),
        ];
        for (id, ids) in kinds {
            let per = bytes_per_challenge(n, id);
            println!("{n} pending challenges, {ids}: {per:.1} bytes each");
            assert!(per <= 200.0, "{per:.1} bytes per challenge at {n}, {ids}");
        }
    }
}

#[test]
fn capacity_is_a_clear_error_not_growth() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    block_on(capacity());
}

async fn capacity() {
    let store = MemoryStore::with_capacity(10);
    for _ in 0..10 {
        store
            .create(&challenge(ChallengeId::random(), T0))
            .await
            .unwrap();
    }
    assert!(matches!(
        store.create(&challenge(ChallengeId::random(), T0)).await,
        Err(StoreError::Full { capacity: 10 })
    ));
    assert_eq!(store.len(), 10);
    // Once the old ones may be purged, there is room again without any background task.
    store
        .create(&challenge(
            ChallengeId::random(),
            T0 + Duration::minutes(11),
        ))
        .await
        .unwrap();
    assert_eq!(store.len(), 1);
}

#[test]
fn expired_challenges_are_swept_by_later_operations() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    block_on(sweeping());
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

async fn sweeping() {
    let store = MemoryStore::new();
    for _ in 0..10_000 {
        store
            .create(&challenge(ChallengeId::random(), T0))
            .await
            .unwrap();
    }
    let later = T0 + Duration::minutes(11);
    for _ in 0..30_000 {
        store
            .create(&challenge(ChallengeId::random(), later))
            .await
            .unwrap();
    }
    assert_eq!(store.len(), 30_000, "every shard swept its expired records");
}

// ---- the whole pipeline on a small MemoryStore, under a flood ----------------------

/// Accepts every SMS and keeps nothing, so the heap measures the store alone.
#[derive(Debug)]
struct Discard;

#[async_trait::async_trait]
impl smsotp::SmsTransport for Discard {
    async fn send(
        &self,
        _: &smsotp::transport::Sms,
    ) -> Result<smsotp::transport::Receipt, smsotp::transport::TransportError> {
        Ok(smsotp::transport::Receipt::new("discard", "0"))
    }
}

fn flood_verifier(store: &std::sync::Arc<MemoryStore>) -> smsotp::Verifier {
    smsotp::Verifier::builder(smsotp::Secret::new(vec![5u8; 32]).unwrap())
        .store(store.clone())
        .transport(Discard)
        .clock(smsotp::ManualClock::new(T0))
        // Only Japan may receive SMS: every +44 start below is a decoy.
        .countries(smsotp::policy::CountryPolicy::allow([81]))
        .build()
        .unwrap()
}

/// A distinct number (and so a distinct prefix) per `i`.
fn flood_number(i: u32) -> smsotp::Binding {
    let digits = (u64::from(i) * 7_919) % 100_000_000;
    let number = smsotp::PhoneNumber::parse_e164(&format!("+4475{digits:08}")).unwrap();
    smsotp::Binding::new(number, smsotp::Purpose::login())
}

#[test]
fn a_flood_of_refused_destinations_cannot_deny_an_allowed_start() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    block_on(async {
        let store = std::sync::Arc::new(MemoryStore::with_capacity(1_000));
        let verifier = flood_verifier(&store);
        for i in 0..60_000 {
            let client = smsotp::StartOptions::client(format!("client-{i}"));
            verifier
                .start_with(&flood_number(i), &client)
                .await
                .unwrap();
        }
        let allowed = smsotp::Binding::new(
            smsotp::PhoneNumber::parse_e164("+819012345678").unwrap(),
            smsotp::Purpose::login(),
        );
        verifier
            .start(&allowed)
            .await
            .expect("an allowed start works whatever decoys were made before");
    });
}

#[test]
fn the_heap_stays_bounded_by_capacity_under_100k_distinct_starts() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    block_on(async {
        let capacity = 1_000;
        let store = std::sync::Arc::new(MemoryStore::with_capacity(capacity));
        let verifier = flood_verifier(&store);
        let base = LIVE.load(Ordering::SeqCst);
        let mut after_warmup = 0;
        for i in 0..100_000u32 {
            if i == 20_000 {
                after_warmup = LIVE.load(Ordering::SeqCst) - base;
            }
            let client = smsotp::StartOptions::client(format!("client-{i}"));
            let to = if i % 2 == 0 {
                flood_number(i)
            } else {
                let digits = (u64::from(i) * 7_919) % 100_000_000;
                smsotp::Binding::new(
                    smsotp::PhoneNumber::parse_e164(&format!("+8190{digits:08}")).unwrap(),
                    smsotp::Purpose::login(),
                )
            };
            // Allowed starts may be refused by limits or capacity; what matters is the heap.
            let _ = verifier.start_with(&to, &client).await;
        }
        let total = LIVE.load(Ordering::SeqCst) - base;
        println!(
            "heap after 20k starts: {after_warmup} B, after 100k: {total} B (capacity {capacity})"
        );
        // O(capacity): a few KiB per slot for challenges, counters and links together,
        // and no growth from the 20,000th start to the 100,000th beyond sweeping slack.
        assert!(
            total <= 4_096 * capacity as isize,
            "{total} bytes for a capacity of {capacity}"
        );
        assert!(
            total - after_warmup <= 512 * capacity as isize,
            "grew {} bytes from 20k to 100k starts",
            total - after_warmup
        );
    });
}
