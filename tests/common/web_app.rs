//! Runs the `axum_two_step` example's own app on 127.0.0.1 with a recording transport
//! and a manual clock, for the HTTP and browser tests.

use std::sync::Arc;

use smsotp::ManualClock;
use smsotp::transport::RecordingTransport;
use time::macros::datetime;

#[path = "../../examples/axum_two_step/app.rs"]
#[allow(dead_code)]
pub mod app;

/// The domain the SMS origin line must name.
/// (Short enough for the Japanese sign-in SMS to stay one segment: the builder
/// refuses a template whose longest message takes two.)
pub const DOMAIN: &str = "signin.test";

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
    config.transport = sms.clone();
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
