//! Runs the `axum_two_step` example's own app on 127.0.0.1 with a recording transport
//! and a manual clock, for the HTTP and browser tests.

use std::sync::Arc;

use smsotp::ManualClock;
use smsotp::transport::{Provider, Receipt, RecordingTransport, Sms, SmsTransport, TransportError};
use time::macros::datetime;

#[path = "../../examples/axum_two_step/app.rs"]
#[allow(dead_code)]
pub mod app;

/// The domain the SMS origin line must name.
/// (Short enough for the Japanese sign-in SMS to stay one segment: the builder
/// refuses a template whose longest message takes two.)
pub const DOMAIN: &str = "signin.test";

/// The key the test's delivery reports are signed with (Standard Webhooks).
#[allow(dead_code)] // used by the tests built with the `webhook` feature
pub const RECEIPT_KEY: [u8; 32] = [0x42; 32];

/// The recording transport under the name of the webhook provider, with each send's
/// idempotency key as its message id: so a signed webhook delivery report names a
/// message the verifier linked to its challenge, as with the real provider.
#[derive(Debug)]
pub struct AsWebhook(pub Arc<RecordingTransport>);

#[async_trait::async_trait]
impl SmsTransport for AsWebhook {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new("webhook"))
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        self.0.send(sms).await?;
        Ok(Receipt::new("webhook", sms.idempotency_key()))
    }
}

/// A running copy of the example app.
pub struct Running {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub sms: Arc<RecordingTransport>,
    pub clock: ManualClock,
    pub handles: app::Handles,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Running {
    /// The demo account.
    pub fn alice(&self) -> &app::DemoAccount {
        &self.handles.accounts[0]
    }

    /// The code in the last SMS to alice.
    pub fn last_code(&self) -> String {
        self.sms
            .last_code(&self.alice().phone)
            .expect("an SMS was sent to alice")
    }
}

/// Starts the app with the default settings.
pub async fn start() -> Running {
    start_with(|_| {}).await
}

/// Starts the app after `tweak` adjusts its configuration.
pub async fn start_with(tweak: impl FnOnce(&mut app::Config)) -> Running {
    let sms = Arc::new(RecordingTransport::new());
    let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
    let mut config = app::Config::new(DOMAIN);
    config.transport = Arc::new(AsWebhook(sms.clone()));
    // Calls are recorded beside the SMS, so a test can read the spoken code.
    config.voice = Some(sms.clone());
    #[cfg(feature = "webhook")]
    {
        use base64::Engine as _;
        let secret = format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(RECEIPT_KEY)
        );
        let parser = smsotp::transport::receipts::WebhookReceipts::new(
            smsotp::transport::WebhookSecret::parse(&secret).expect("a webhook secret"),
        );
        config.receipts.push(("webhook", Arc::new(parser)));
    }
    config.clock = Arc::new(clock.clone());
    tweak(&mut config);
    let (router, handles) = app::app(config).expect("the example app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let server = tokio::spawn(async move {
        app::serve(listener, router).await.expect("server runs");
    });
    Running {
        base,
        sms,
        clock,
        handles,
        server,
    }
}

/// A code of the default spec that differs from `code` in its first symbol.
pub fn wrong_code(code: &str) -> String {
    let first = code.chars().next().expect("a code has symbols");
    let other = if first == '2' { '3' } else { '2' };
    format!("{other}{}", &code[first.len_utf8()..])
}

/// Posts a delivery report for the last SMS, signed with [`RECEIPT_KEY`] the way the
/// application's gateway signs them (Standard Webhooks); returns the HTTP status.
#[cfg(feature = "webhook")]
#[allow(dead_code)] // not every test file that includes this module posts reports
pub async fn post_report(app: &Running, status: &str, key_override: Option<[u8; 32]>) -> u16 {
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    let message_id = app
        .sms
        .messages()
        .last()
        .expect("an SMS was sent")
        .idempotency_key()
        .to_owned();
    let body = serde_json::json!({
        "message_id": message_id,
        "status": status,
        "permanent": false,
    })
    .to_string();
    let id = format!("msg_{message_id}");
    let timestamp = smsotp::Clock::now(&app.clock).unix_timestamp();
    let key = key_override.unwrap_or(RECEIPT_KEY);
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).expect("any key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
        .post(format!("{}/receipts/webhook", app.base))
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", format!("v1,{signature}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("POST the report")
        .status()
        .as_u16()
}
