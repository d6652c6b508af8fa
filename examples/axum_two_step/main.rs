//! Two-step sign-in for a web app: a password, then a code by SMS, with an
//! authenticator app or a recovery code as another way in.
//!
//! ```text
//! cargo run --example axum_two_step
//! ```
//! then open the URL it prints and sign in as `alice` / `correct-horse`. The SMS is
//! printed on the console (the console transport); the demo account's authenticator
//! URI and recovery codes are printed at start.
//!
//! Environment:
//! - `PORT` (default 3000): the port on 127.0.0.1.
//! - `APP_DOMAIN` (default `localhost`): the site's host name, named in each SMS's
//!   origin-bound last line (`@localhost #7KQ4MP`) so browsers autofill the code only
//!   there. It never comes from the request's Host header, which a client controls.
//! - `APP_NAME` (default `Example`): the name on pages and in the SMS.
//! - `SERVER_KEY`, `SMSOTP_SECRET` (64 hex digits each): the cookie/CSRF key and the
//!   code-digest key. Random per start when unset; set both when running several
//!   instances, or when sessions should survive restarts.
//! - `COOKIE_SECURE=1`: `Secure` cookies named `__Host-session`; set it behind HTTPS.
//! - `REDIS_URL` (with `--features redis`): challenges and limits in Redis;
//!   `REDIS_CLUSTER_URLS` (comma-separated `redis://host:port` seeds) for a Redis
//!   Cluster instead.
//! - `DATABASE_URL` (with `--features postgres`): challenges and limits in PostgreSQL,
//!   in the schema `smsotp` (created on start).
//! - With `--features twilio` and `TWILIO_ACCOUNT_SID` set, SMS go through Twilio
//!   (likewise `vonage` / `VONAGE_API_KEY`, `symworld` / `SYMWORLD_API_KEY`, `webhook`
//!   / `SMSOTP_WEBHOOK_URL`); see each transport's `from_env` for its variables.
//!   The provider's signed delivery reports are then read at `POST /receipts/twilio`
//!   (`/receipts/vonage`, `/receipts/webhook`; Symworld has no signed receipts):
//!   configure `PUBLIC_URL/receipts/<provider>` as the status callback URL.
//! - `PUBLIC_URL` (default `http://localhost:PORT`): the scheme and host providers call
//!   back, exactly as configured with them (Twilio signs the full URL).
//! - `APP_CLIENT_HEADER` (unset by default): only behind a reverse proxy you run, the
//!   header it puts the client's address in (`x-forwarded-for`: its last address, the
//!   one your proxy appended); the per-client limits then key on it instead of the
//!   proxy's address.
//!
//! `--help` prints this list.

mod app;

use std::error::Error;

/// The settings, as `--help` prints them (the module docs above say the same).
const HELP: &str = "\
Two-step sign-in example (smsotp): a password, then a code by SMS.

Usage: cargo run --example axum_two_step [--features redis|postgres|twilio|...] [-- --help]

Environment:
  PORT               port on 127.0.0.1 (default 3000)
  APP_DOMAIN         host name named in each SMS's origin-bound line (default localhost)
  APP_NAME           name on pages and in the SMS (default Example)
  SERVER_KEY         64 hex digits: cookie/CSRF key (random per start when unset)
  SMSOTP_SECRET      64 hex digits: code-digest key (random per start when unset)
  COOKIE_SECURE=1    Secure __Host- cookies, behind HTTPS
  REDIS_URL / REDIS_CLUSTER_URLS   challenges and limits in Redis (--features redis)
  DATABASE_URL       challenges and limits in PostgreSQL (--features postgres)
  TWILIO_ACCOUNT_SID, VONAGE_API_KEY, SYMWORLD_API_KEY, SMSOTP_WEBHOOK_URL
                     send through that provider (its feature; see its from_env)
  PUBLIC_URL         scheme and host providers call back (default http://localhost:PORT)
  APP_CLIENT_HEADER  behind your own reverse proxy only: the header naming the client";

use smsotp::Secret;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        println!("{HELP}");
        return Ok(());
    }
    tracing_subscriber::fmt().with_target(false).init();

    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p
            .parse()
            .map_err(|_| format!("PORT {p:?} is not a port number"))?,
        Err(_) => 3000,
    };
    let domain = std::env::var("APP_DOMAIN").unwrap_or_else(|_| "localhost".to_owned());
    let mut config = app::Config::new(domain.clone());
    if let Ok(name) = std::env::var("APP_NAME") {
        config.brand = name;
    }
    if let Some(key) = hex_key("SERVER_KEY")? {
        config.server_key = key;
    }
    if let Some(key) = hex_key("SMSOTP_SECRET")? {
        config.secret = Secret::new(key.to_vec())?;
    }
    config.cookie_secure = matches!(
        std::env::var("COOKIE_SECURE").as_deref(),
        Ok("1" | "true" | "yes")
    );
    config.public_url = std::env::var("PUBLIC_URL")
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|_| format!("http://localhost:{port}"));
    choose_store(&mut config).await?;
    choose_transport(&mut config)?;
    config.client_header = std::env::var("APP_CLIENT_HEADER")
        .ok()
        .filter(|h| !h.trim().is_empty());

    let (router, handles) = app::app(config)?;
    for account in &handles.accounts {
        println!(
            "Demo account: {} / {} (SMS to {})",
            account.username,
            account.password,
            account.phone.masked()
        );
        println!("  Authenticator app: {}", account.otpauth_uri);
        println!("  Recovery codes:    {}", account.recovery_codes.join("  "));
    }
    for (name, longest) in &handles.longest_sms {
        println!(
            "SMS {name}: at most {} of {} units, {} segment",
            longest.units,
            longest.capacity(),
            longest.segments.count
        );
    }
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!("Port {port} on 127.0.0.1 is in use: set PORT to a free port (PORT=3001).");
            std::process::exit(1);
        }
        Err(e) => return Err(e.into()),
    };
    let port = listener.local_addr()?.port();
    // Listening on 127.0.0.1; with the default APP_DOMAIN the page is opened as
    // localhost, the host the SMS's origin-bound line names (so autofill works).
    let host = if domain == "localhost" {
        "localhost"
    } else {
        "127.0.0.1"
    };
    println!(
        "Listening on 127.0.0.1:{port} (PORT; --help lists every setting). Open http://{host}:{port}/ (Ctrl-C to stop)"
    );
    tokio::select! {
        served = app::serve(listener, router) => served?,
        _ = tokio::signal::ctrl_c() => println!("Stopping."),
    }
    Ok(())
}

/// A 32-byte key from 64 hex digits in `var`, if set.
fn hex_key(var: &str) -> Result<Option<[u8; 32]>, String> {
    let Ok(text) = std::env::var(var) else {
        return Ok(None);
    };
    let bad = || format!("{var} must be 64 hex digits");
    let text = text.trim();
    if text.len() != 64 {
        return Err(bad());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        let pair = text.get(2 * i..2 * i + 2).ok_or_else(bad)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(Some(key))
}

/// A Redis Cluster when `REDIS_CLUSTER_URLS` is set, else Redis when `REDIS_URL` is
/// (built with `redis`); PostgreSQL when `DATABASE_URL` is set (built with `postgres`):
/// migrated on start, purged every minute; else memory.
#[allow(clippy::unused_async)] // built without either feature, nothing is awaited
async fn choose_store(config: &mut app::Config) -> Result<(), Box<dyn Error>> {
    #[cfg(feature = "redis")]
    if let Ok(list) = std::env::var("REDIS_CLUSTER_URLS") {
        let seeds: Vec<&str> = list.split(',').map(str::trim).collect();
        let store = smsotp::store::RedisStore::cluster(&seeds).build().await?;
        config.store = std::sync::Arc::new(store);
        println!("Store: Redis Cluster");
        return Ok(());
    }
    #[cfg(feature = "redis")]
    if let Ok(url) = std::env::var("REDIS_URL") {
        let store = smsotp::store::RedisStore::connect(&url).await?;
        config.store = std::sync::Arc::new(store);
        println!("Store: Redis");
        return Ok(());
    }
    #[cfg(feature = "postgres")]
    if let Ok(url) = std::env::var("DATABASE_URL") {
        let store = smsotp::store::PostgresStore::builder(&url).build()?;
        store.migrate().await?;
        // Detached: the purger runs as long as the server does.
        drop(store.spawn_purger(time::Duration::seconds(60)));
        config.store = std::sync::Arc::new(store);
        println!("Store: PostgreSQL (schema smsotp)");
        return Ok(());
    }
    let _ = &config; // used only by the store features above
    for (var, feature) in [
        ("REDIS_CLUSTER_URLS", "redis"),
        ("REDIS_URL", "redis"),
        ("DATABASE_URL", "postgres"),
    ] {
        if std::env::var_os(var).is_some() {
            println!("{var} is set but this build has no `{feature}` feature: using memory.");
        }
    }
    Ok(())
}

/// The first provider whose feature is built and whose environment is set; else the
/// console.
fn choose_transport(config: &mut app::Config) -> Result<(), Box<dyn Error>> {
    let set = |var: &str| std::env::var_os(var).is_some();
    #[cfg(feature = "twilio")]
    if set("TWILIO_ACCOUNT_SID") {
        let twilio = std::sync::Arc::new(smsotp::transport::TwilioTransport::from_env()?);
        config.transport = twilio.clone();
        // The same account places the calls (TWILIO_VOICE_FROM, or a TWILIO_FROM number).
        config.voice = Some(twilio);
        config.receipts.push((
            "twilio",
            std::sync::Arc::new(smsotp::transport::receipts::TwilioReceipts::from_env()?),
        ));
        println!("SMS: Twilio (delivery reports at /receipts/twilio)");
        return Ok(());
    }
    #[cfg(feature = "vonage")]
    if set("VONAGE_API_KEY") {
        config.transport = std::sync::Arc::new(smsotp::transport::VonageTransport::from_env()?);
        // No call route configured for Vonage here: the console would print codes.
        config.voice = None;
        config.receipts.push((
            "vonage",
            std::sync::Arc::new(smsotp::transport::receipts::VonageReceipts::from_env()?),
        ));
        println!("SMS: Vonage (delivery reports at /receipts/vonage)");
        return Ok(());
    }
    #[cfg(feature = "symworld")]
    if set("SYMWORLD_API_KEY") {
        config.transport = std::sync::Arc::new(smsotp::transport::SymworldTransport::from_env()?);
        config.voice = None;
        println!("SMS: Symworld");
        return Ok(());
    }
    #[cfg(feature = "webhook")]
    if set("SMSOTP_WEBHOOK_URL") {
        let webhook = std::sync::Arc::new(smsotp::transport::WebhookTransport::from_env()?);
        config.transport = webhook.clone();
        // The gateway takes calls too (`"channel": "voice"`).
        config.voice = Some(webhook);
        config.receipts.push((
            "webhook",
            std::sync::Arc::new(smsotp::transport::receipts::WebhookReceipts::from_env()?),
        ));
        println!("SMS: webhook (delivery reports at /receipts/webhook)");
        return Ok(());
    }
    let _ = (set, &config.transport);
    println!("SMS and calls: printed on this console (no provider configured)");
    Ok(())
}
