//! The whole flow on one machine, offline: start, the SMS, a wrong code, the right code
//! typed the way a Japanese keyboard types it, approval, and a refused replay.
//!
//! ```text
//! cargo run --example quickstart
//! REDIS_URL=redis://127.0.0.1:6379/ cargo run --example quickstart --features redis
//! REDIS_CLUSTER_URLS=redis://127.0.0.1:7000,redis://127.0.0.1:7001 \
//!     cargo run --example quickstart --features redis
//! DATABASE_URL=postgres://postgres@127.0.0.1/test cargo run --example quickstart --features postgres
//! ```

use std::sync::Arc;

use smsotp::message::{Locale, MessageTemplate};
use smsotp::transport::{
    ConsoleTransport, Receipt, RecordingTransport, Sms, SmsTransport, TransportError,
};
use smsotp::{Binding, PhoneNumber, Purpose, Region, Secret, Verdict, Verifier};

/// Prints each SMS like the console transport, and keeps it so this demo can "read the
/// phone". A transport made of two transports: the same shape as failover or routing.
#[derive(Debug, Default)]
struct PrintAndKeep {
    console: ConsoleTransport,
    phone: RecordingTransport,
}

#[async_trait::async_trait]
impl SmsTransport for PrintAndKeep {
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        self.phone.send(sms).await?;
        self.console.send(sms).await
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let transport = Arc::new(PrintAndKeep::default());
    // In production, load a 32-byte secret shared by every instance of your app.
    // The last line "@example.com #CODE" lets browsers offer the code on that site only.
    let template = MessageTemplate::new("Example", Locale::En).with_origin("example.com")?;
    let builder = Verifier::builder(Secret::generate())
        .transport(transport.clone())
        .template(template);
    let verifier = with_store(builder).await?.build()?;

    // The number as a person in Japan types it.
    let phone = PhoneNumber::parse("090-1234-5678", Region::JP)?;
    let who = Binding::new(phone.clone(), Purpose::login());
    println!("Sending a code to {phone} (stored as E.164, shown masked)");

    let pending = verifier.start(&who).await?;
    println!(
        "challenge {}: {} attempts, resend allowed at {}, expires at {}",
        pending.id, pending.attempts_left, pending.resend_at, pending.expires_at
    );

    let code = transport.phone.last_code(&phone).ok_or("no SMS arrived")?;

    let wrong = if code == "ZZZZ22" { "YYYY33" } else { "ZZZZ22" };
    match verifier.check(&pending.id, &who, wrong).await? {
        Verdict::Rejected { attempts_left } => {
            println!("typed {wrong}: wrong code, {attempts_left} attempts left");
        }
        other => return Err(format!("expected a rejection, got {other:?}").into()),
    }

    // Full-width characters and a hyphen, as typed with a Japanese IME.
    let typed = full_width_with_hyphen(&code.to_lowercase());
    let verdict = verifier.check(&pending.id, &who, &typed).await?;
    println!("typed {typed}: {verdict:?}");
    if verdict != Verdict::Approved {
        return Err("the right code was not approved".into());
    }

    let replay = verifier.check(&pending.id, &who, &code).await?;
    println!("typed the same code again: {replay:?} (a code works once)");
    if replay != Verdict::NotFound {
        return Err("a replay was not refused".into());
    }

    // The same in Japanese: a UCS-2 SMS, which holds 70 units instead of 160. The
    // builder refuses a template whose longest message would take two segments.
    let template = MessageTemplate::new("Example", Locale::Ja)
        .with_purpose("ログイン")?
        .with_origin("example.com")?;
    let ja = with_store(
        Verifier::builder(Secret::generate())
            .transport(transport.clone())
            .template(template),
    )
    .await?
    .build()?;
    let pending = ja.start(&who).await?;
    let code = transport.phone.last_code(&phone).ok_or("no SMS arrived")?;
    let verdict = ja.check(&pending.id, &who, &code).await?;
    println!("Japanese SMS, typed {code}: {verdict:?}");
    for sms in transport.phone.messages() {
        println!(
            "SMS to {}: {:?}, {} segment(s)",
            sms.to(),
            sms.encoding(),
            sms.segments()
        );
        if sms.segments() != 1 {
            return Err("an SMS took more than one segment".into());
        }
    }
    Ok(())
}

/// The in-memory store, or (with the `redis` feature) a Redis Cluster when
/// REDIS_CLUSTER_URLS lists its seeds, or one Redis when REDIS_URL is set; or (with the
/// `postgres` feature) PostgreSQL when DATABASE_URL is set.
async fn with_store(
    builder: smsotp::VerifierBuilder,
) -> Result<smsotp::VerifierBuilder, Box<dyn std::error::Error>> {
    #[cfg(feature = "redis")]
    if let Ok(list) = std::env::var("REDIS_CLUSTER_URLS") {
        let seeds: Vec<&str> = list.split(',').map(str::trim).collect();
        // The seeds may carry a password: say how many, not what they are.
        println!("store: Redis Cluster from {} seed URLs", seeds.len());
        let store = smsotp::store::RedisStore::cluster(&seeds).build().await?;
        return Ok(builder.store(store));
    }
    #[cfg(feature = "redis")]
    if let Ok(url) = std::env::var("REDIS_URL") {
        println!(
            "store: Redis at {}",
            url.split('@').next_back().unwrap_or("?")
        );
        let store = smsotp::store::RedisStore::connect(&url).await?;
        return Ok(builder.store(store));
    }
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("DATABASE_URL") {
        println!(
            "store: PostgreSQL at {}",
            url.split('@').next_back().unwrap_or("?")
        );
        let store = smsotp::store::PostgresStore::builder(&url).build()?;
        // Creates the `smsotp` schema on first run; a no-op after that.
        store.migrate().await?;
        // Expired rows never change an answer; purging only keeps the tables small.
        store
            .purge_expired(
                smsotp::Clock::now(&smsotp::SystemClock),
                smsotp::store::PostgresStore::DEFAULT_PURGE_BATCH,
            )
            .await?;
        return Ok(builder.store(store));
    }
    println!(
        "store: in memory (set REDIS_URL or REDIS_CLUSTER_URLS and --features redis for Redis, or DATABASE_URL \
         and --features postgres for PostgreSQL)"
    );
    Ok(builder)
}

fn full_width_with_hyphen(code: &str) -> String {
    let mut out = String::new();
    for (i, c) in code.chars().enumerate() {
        if i == code.len() / 2 {
            out.push('－');
        }
        // U+FF01..U+FF5E mirror ASCII U+0021..U+007E.
        out.push(char::from_u32(u32::from(c) - 0x21 + 0xFF01).unwrap_or(c));
    }
    out
}
