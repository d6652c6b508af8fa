//! The conformance suite and memory-specific behaviour of MemoryStore.
#![cfg(feature = "testing")]

use std::sync::Arc;

use smsotp::store::{MemoryStore, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_passes_the_conformance_suite() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    smsotp::testing::run_all(store).await;
}
