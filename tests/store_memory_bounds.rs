//! MemoryStore stays bounded: bytes per pending challenge (measured with a counting
//! allocator), capacity, and sweeping of expired challenges.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};

use smsotp::store::{ChallengeStore, NewChallenge, StoreError};
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

fn challenge(at: OffsetDateTime) -> NewChallenge {
    NewChallenge::new(
        ChallengeId::random(),
        [1; 16],
        [2; 32],
        at,
        at + Duration::minutes(5),
        at + Duration::minutes(1),
        at + Duration::minutes(10),
        5,
        3,
    )
}

fn bytes_per_challenge(n: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let records: Vec<_> = (0..n).map(|_| challenge(T0)).collect();
    let before = LIVE.load(Ordering::SeqCst);
    let store = MemoryStore::with_capacity(n);
    rt.block_on(async {
        for r in &records {
            store.create(r).await.unwrap();
        }
    });
    let after = LIVE.load(Ordering::SeqCst);
    assert_eq!(store.len(), n);
    drop(store);
    (after - before) as f64 / n as f64
}

#[test]
fn at_most_200_bytes_per_pending_challenge() {
    let _serial = SERIAL.lock().unwrap();
    for n in [1_000, 100_000, 1_000_000] {
        let per = bytes_per_challenge(n);
        println!("{n} pending challenges: {per:.1} bytes each");
        assert!(per <= 200.0, "{per:.1} bytes per challenge at {n}");
    }
}

#[test]
fn capacity_is_a_clear_error_not_growth() {
    let _serial = SERIAL.lock().unwrap();
    block_on(capacity());
}

async fn capacity() {
    let store = MemoryStore::with_capacity(10);
    for _ in 0..10 {
        store.create(&challenge(T0)).await.unwrap();
    }
    assert!(matches!(
        store.create(&challenge(T0)).await,
        Err(StoreError::Full { capacity: 10 })
    ));
    assert_eq!(store.len(), 10);
    // Once the old ones may be purged, there is room again without any background task.
    store
        .create(&challenge(T0 + Duration::minutes(11)))
        .await
        .unwrap();
    assert_eq!(store.len(), 1);
}

#[test]
fn expired_challenges_are_swept_by_later_operations() {
    let _serial = SERIAL.lock().unwrap();
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
        store.create(&challenge(T0)).await.unwrap();
    }
    let later = T0 + Duration::minutes(11);
    for _ in 0..30_000 {
        store.create(&challenge(later)).await.unwrap();
    }
    assert_eq!(store.len(), 30_000, "every shard swept its expired records");
}
