//! Sending the SMS: the [`SmsTransport`] trait, the message handed to it, and its errors.
//!
//! | transport | feature | for |
//! |---|---|---|
//! | [`ConsoleTransport`] | always | development: prints the SMS to stderr |
//! | [`RecordingTransport`] | always | tests: keeps every SMS, fails on demand |
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

mod console;
mod error;
mod recording;
mod sms;

use std::sync::Arc;

pub use console::ConsoleTransport;
pub use error::{TransportError, TransportErrorKind};
pub use recording::RecordingTransport;
pub use sms::{Receipt, Sms};

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
}

#[async_trait::async_trait]
impl<T: SmsTransport + ?Sized> SmsTransport for Arc<T> {
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        (**self).send(sms).await
    }
}

#[async_trait::async_trait]
impl<T: SmsTransport + ?Sized> SmsTransport for Box<T> {
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        (**self).send(sms).await
    }
}
