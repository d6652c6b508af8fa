//! Sending the SMS: the [`SmsTransport`] trait, the message handed to it, and its errors.
//!
//! | transport | feature | for |
//! |---|---|---|
//! | [`ConsoleTransport`] | always | development: prints the SMS to stderr |
//! | [`RecordingTransport`] | always | tests: keeps every SMS, fails on demand |
//! | `TwilioTransport` | `twilio` | Twilio Programmable Messaging (form POST, Basic auth) |
//! | `VonageTransport` | `vonage` | Vonage SMS API (form POST; HTTP 200 carries per-part status) |
//! | `SymworldTransport` | `symworld` | Rakuten Symworld CPaaS, the direct route to Japanese carriers (cached 15-minute JWT) |
//! | `WebhookTransport` | `webhook` | the application's own gateway: JSON POST signed per Standard Webhooks |
//! | [`Failover`] | always | ordered routes; moves on after a retryable or account error, stops when the number is the problem |
//! | [`CircuitBreaker`] | always | skips a route after repeated failures, probes it after a cool-off (timed by [`Clock`](crate::Clock)) |
//! | [`RouteByCountry`] | always | picks a route by the destination's calling code (+81 to a domestic route) |
//! | `Retry` | `retry` | bounded retries, exponential backoff with added jitter (each wait from its delay to twice it), honours `Retry-After` |
//! | `Timeout` | `timeout` | a deadline per send; an expired one is a (not retried) timeout |
//!
//! The HTTP adapters (feature `http`, pulled in by each provider feature) share one
//! `HttpClient`: rustls, connect and request timeouts, no redirects, user agent
//! `smsotp/<version>`. Each takes a base URL override and has `from_env()`, whose
//! errors name the missing or malformed variable but never its value. Credentials are
//! held as [`SecretString`] (re-exported here) and never appear in `Debug`, logs or errors.
//! Delivery receipts (status callbacks) are read and authenticated by [`receipts`].
//!
//! Errors are classified so wrappers can act on them: a send that timed out after the
//! request was written is [`TransportErrorKind::Timeout`] and is not retried (the SMS
//! may be on its way); a connection that could not be made is `Connect` and is; a 429
//! is `Throttled` with its `Retry-After`; 5xx is `Unavailable` (504 is `Timeout`); an
//! unreadable success answer is `BadResponse`.
//!
//! A transport is one trait method, so an application's own gateway is a few lines:
//!
//! ```
//! use smsotp::transport::{Receipt, Sms, SmsTransport, TransportError};
//!
//! #[derive(Debug)]
//! struct MyGateway;
//!
//! #[async_trait::async_trait]
//! impl SmsTransport for MyGateway {
//!     async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
//!         // hand sms.to().as_e164() and sms.body().expose() to the gateway here
//!         Ok(Receipt::new("my-gateway", "msg-1"))
//!     }
//! }
//! ```

mod circuit;
mod console;
mod error;
mod failover;
#[cfg(feature = "http")]
mod http;
mod provider;
pub mod receipts;
mod recording;
#[cfg(feature = "retry")]
mod retry;
mod routing;
mod send_key;
mod sms;
#[cfg(feature = "symworld")]
mod symworld;
#[cfg(feature = "timeout")]
mod timeout;
#[cfg(feature = "twilio")]
mod twilio;
mod voice;
#[cfg(feature = "vonage")]
mod vonage;
#[cfg(feature = "vonage-voice")]
mod vonage_voice;
#[cfg(feature = "webhook")]
mod webhook;

use std::sync::Arc;

pub use circuit::{CircuitBreaker, CircuitConfig, CircuitState};
pub use console::ConsoleTransport;
pub use error::{TransportError, TransportErrorKind};
pub use failover::{Failover, should_fail_over};
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use http::{HttpClient, HttpOptions, TransportConfigError};
pub use provider::Provider;
pub use receipts::{DeliveryReport, DeliveryStatus};
pub use recording::RecordingTransport;
#[cfg(feature = "retry")]
#[cfg_attr(docsrs, doc(cfg(feature = "retry")))]
pub use retry::{Retry, RetryPolicy};
pub use routing::RouteByCountry;
/// The secret type the adapters take for credentials (auth tokens, API secrets):
/// redacted in `Debug`, zeroed on drop. Re-exported so configuring an adapter needs no
/// extra dependency; it converts from `String` and `&str`.
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use secrecy::SecretString;
pub(crate) use send_key::SendKey;
pub use sms::{Receipt, Sms};
#[cfg(feature = "symworld")]
#[cfg_attr(docsrs, doc(cfg(feature = "symworld")))]
pub use symworld::{SymworldBuilder, SymworldTransport};
#[cfg(feature = "timeout")]
#[cfg_attr(docsrs, doc(cfg(feature = "timeout")))]
pub use timeout::Timeout;
#[cfg(feature = "twilio")]
#[cfg_attr(docsrs, doc(cfg(feature = "twilio")))]
pub use twilio::{TwilioBuilder, TwilioTransport};
pub use voice::{Call, VoiceTransport};
#[cfg(feature = "vonage")]
#[cfg_attr(docsrs, doc(cfg(feature = "vonage")))]
pub use vonage::{VonageBuilder, VonageTransport};
#[cfg(feature = "vonage-voice")]
#[cfg_attr(docsrs, doc(cfg(feature = "vonage-voice")))]
pub use vonage_voice::{VonageVoiceBuilder, VonageVoiceTransport};
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub use webhook::{
    OUTBOUND_ID_PREFIX, WebhookBuilder, WebhookPublicKey, WebhookSecret, WebhookTransport,
};

/// Something that can deliver an [`Sms`]: a provider adapter, a test double, or a
/// wrapper (failover, retry, routing) around other transports.
///
/// Implementations must not log the body: it holds the code.
#[async_trait::async_trait]
pub trait SmsTransport: Send + Sync + std::fmt::Debug + 'static {
    /// Hands one message to the provider. `Ok` means the provider accepted it,
    /// not that the phone received it.
    ///
    /// # Errors
    /// A [`TransportError`] that says whether trying again could help.
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError>;

    /// The provider this transport sends through, as its receipts name it
    /// (`Provider::new("twilio")`: the same type receipts, delivery reports and
    /// [`Sms::avoid_provider`] use). Routing wrappers use it to avoid a route whose
    /// delivery of an earlier code failed. `None` for transports that are not one
    /// provider.
    fn provider_name(&self) -> Option<Provider> {
        None
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<T: SmsTransport + ?Sized> SmsTransport for Arc<T> {
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        (**self).send(sms).await
    }
    fn provider_name(&self) -> Option<Provider> {
        (**self).provider_name()
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<T: SmsTransport + ?Sized> SmsTransport for Box<T> {
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        (**self).send(sms).await
    }
    fn provider_name(&self) -> Option<Provider> {
        (**self).provider_name()
    }
}
