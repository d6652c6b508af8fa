//! Shared set-up for the black-box tests.
#![allow(dead_code)]

use std::sync::Arc;

use smsotp::transport::RecordingTransport;
use smsotp::{
    Binding, ManualClock, PhoneNumber, Purpose, Region, Secret, Verifier, VerifierBuilder,
};
use time::macros::datetime;

/// A verifier on a manual clock and a recording transport, with default settings.
pub struct Rig {
    pub verifier: Arc<Verifier>,
    pub sms: Arc<RecordingTransport>,
    pub clock: ManualClock,
}

pub fn secret() -> Secret {
    Secret::new(vec![7u8; 32]).expect("32 bytes")
}

pub fn builder(sms: &Arc<RecordingTransport>, clock: &ManualClock) -> VerifierBuilder {
    Verifier::builder(secret())
        .transport(sms.clone())
        .clock(clock.clone())
}

pub fn rig_with(configure: impl FnOnce(VerifierBuilder) -> VerifierBuilder) -> Rig {
    let sms = Arc::new(RecordingTransport::new());
    let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
    let verifier = configure(builder(&sms, &clock))
        .build()
        .expect("valid config");
    Rig {
        verifier: Arc::new(verifier),
        sms,
        clock,
    }
}

pub fn rig() -> Rig {
    rig_with(|b| b)
}

pub fn phone(n: &str) -> PhoneNumber {
    PhoneNumber::parse(n, Region::JP).expect("valid number")
}

pub fn login(n: &str) -> Binding {
    Binding::new(phone(n), Purpose::login())
}

/// A well-formed code that differs from every code in `sent`.
pub fn wrong_code(sent: &[String]) -> String {
    ["ZZZZ22", "YYYY33", "XXXX44", "WWWW55"]
        .into_iter()
        .find(|c| !sent.iter().any(|s| s == c))
        .expect("one of four differs")
        .to_owned()
}

use smsotp::ChallengeStore;
use smsotp::MemoryStore;

/// Every store the abuse and flow tests run on: memory always; Redis when the
/// `redis` feature is on and REDIS_URL is set (required under CI=true).
pub async fn stores() -> Vec<(&'static str, Arc<dyn ChallengeStore>)> {
    let mut out: Vec<(&'static str, Arc<dyn ChallengeStore>)> =
        vec![("memory", Arc::new(MemoryStore::new()))];
    if let Some(store) = redis_store().await {
        out.push(("redis", store));
    }
    out
}

#[cfg(not(feature = "redis"))] // the redis feature arrives with RedisStore
async fn redis_store() -> Option<Arc<dyn ChallengeStore>> {
    None
}

#[cfg(feature = "redis")]
pub mod redis_env;

#[cfg(feature = "redis")]
async fn redis_store() -> Option<Arc<dyn ChallengeStore>> {
    let url = redis_env::redis_url().await?;
    // A fresh prefix per call; every key carries a TTL, so nothing outlives the test
    // for long even without a cleanup.
    Some(Arc::new(redis_env::store(&url).await))
}
