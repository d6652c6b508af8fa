//! Shared set-up for the black-box tests.
#![allow(dead_code, unreachable_pub)]

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

/// A rig like [`rig_with`]'s on every store [`stores`] gives, named by store; print the
/// name before using each, so a failure's captured output says which store it was.
pub async fn rigs_with(
    configure: impl Fn(VerifierBuilder) -> VerifierBuilder,
) -> Vec<(&'static str, Rig)> {
    let mut out = Vec::new();
    for (name, store) in stores().await {
        out.push((name, rig_with(|b| configure(b.store(store)))));
    }
    out
}

/// [`rig`] on every store.
pub async fn rigs() -> Vec<(&'static str, Rig)> {
    rigs_with(|b| b).await
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

use smsotp::MemoryStore;
use smsotp::Store;

/// Every store the abuse and flow tests run on: memory always; with the `redis`
/// feature, Redis when REDIS_URL is set and a Redis Cluster when REDIS_CLUSTER_URLS is;
/// PostgreSQL when the `postgres` feature is on and DATABASE_URL is set (each required
/// under CI=true).
pub async fn stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut out: Vec<(&'static str, Arc<dyn Store>)> =
        vec![("memory", Arc::new(MemoryStore::new()))];
    if let Some(store) = redis_store().await {
        out.push(("redis", store));
    }
    if let Some(store) = redis_cluster_store().await {
        out.push(("redis-cluster", store));
    }
    if let Some(store) = postgres_store().await {
        out.push(("postgres", store));
    }
    out
}

#[cfg(not(feature = "postgres"))]
async fn postgres_store() -> Option<Arc<dyn Store>> {
    None
}

#[cfg(any(feature = "postgres", feature = "redis"))]
pub mod across_instances;

#[cfg(any(feature = "postgres", feature = "redis"))]
pub mod differential;

#[cfg(any(feature = "postgres", feature = "redis"))]
pub mod store_fixtures;

#[cfg(feature = "postgres")]
pub mod postgres_env;

#[cfg(feature = "postgres")]
async fn postgres_store() -> Option<Arc<dyn Store>> {
    let url = postgres_env::database_url().await?;
    // A fresh schema per call, so tests sharing the database never see each other's
    // rows. (Left behind: a CI database is thrown away with its machine; on a laptop,
    // `DROP SCHEMA` the `smsotp_test_*` schemas now and then.)
    Some(Arc::new(postgres_env::store(&url).await))
}

#[cfg(not(feature = "redis"))]
async fn redis_store() -> Option<Arc<dyn Store>> {
    None
}

#[cfg(not(feature = "redis"))]
async fn redis_cluster_store() -> Option<Arc<dyn Store>> {
    None
}

#[cfg(feature = "redis")]
async fn redis_cluster_store() -> Option<Arc<dyn Store>> {
    let target = redis_env::Target::cluster().await?;
    Some(Arc::new(target.store().await))
}

#[cfg(feature = "redis")]
pub mod redis_env;

#[cfg(feature = "redis")]
async fn redis_store() -> Option<Arc<dyn Store>> {
    let url = redis_env::redis_url().await?;
    // A fresh prefix per call; every key carries a TTL, so nothing outlives the test
    // for long even without a cleanup.
    Some(Arc::new(redis_env::store(&url).await))
}

// ---- transport tests ----

use smsotp::message::Body;
use smsotp::transport::Sms;

/// An SMS to `to` with `text`, valid five minutes.
pub fn sms(to: &str, text: &str) -> Sms {
    sms_valid(to, text, time::Duration::minutes(5))
}

/// An SMS with a given validity.
pub fn sms_valid(to: &str, text: &str, validity: time::Duration) -> Sms {
    Sms::new(
        PhoneNumber::parse_e164(to).expect("test number is E.164"),
        Body::new(text),
        validity,
        "idem-0123456789abcdef".to_owned(),
    )
}

/// The decoded `name=value` pairs of a form body.
#[cfg(feature = "http")]
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of `name` in a decoded form.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A port on 127.0.0.1 that nothing listens on: bound, then released.
pub fn refused_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
