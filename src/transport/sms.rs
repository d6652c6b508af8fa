//! The message handed to a transport, and the provider's acknowledgement.

use time::Duration;

use super::Provider;
use super::send_key::SendKey;

use std::sync::OnceLock;

use crate::inline_text::InlineText;
use crate::message::{Body, Encoding, Segments, segments};
use crate::phone::PhoneNumber;

/// One SMS to send. Its `Debug` masks the number and redacts the body.
#[derive(Debug, Clone)]
pub struct Sms {
    to: PhoneNumber,
    sender: Option<String>,
    body: Body,
    /// Encoding and parts, worked out on first ask: a start with no spend cap and no
    /// event sink sends through a transport that may never ask.
    parts: OnceLock<Segments>,
    validity: Duration,
    /// Written out only when a transport asks for it.
    idempotency_key: SendKey,
    avoid_provider: Option<Provider>,
}

impl Sms {
    /// A message to `to` with `body`; encoding and segment count are worked out from
    /// the body. `validity` is how long the network should keep trying (the
    /// challenge's remaining life); `idempotency_key` is unique per send.
    #[must_use]
    pub fn new(to: PhoneNumber, body: Body, validity: Duration, idempotency_key: String) -> Self {
        Self::keyed(to, body, validity, SendKey::given(&idempotency_key))
    }

    /// [`new`](Self::new) with the key named by its send: the verifier's own sends.
    pub(crate) fn keyed(
        to: PhoneNumber,
        body: Body,
        validity: Duration,
        idempotency_key: SendKey,
    ) -> Self {
        Self {
            to,
            sender: None,
            body,
            parts: OnceLock::new(),
            validity,
            idempotency_key,
            avoid_provider: None,
        }
    }

    /// Asks routing wrappers to avoid `provider`, whose delivery of an earlier code of
    /// the same challenge failed.
    #[must_use]
    pub fn avoiding(mut self, provider: impl Into<Provider>) -> Self {
        self.avoid_provider = Some(provider.into());
        self
    }

    /// The provider to avoid, if an earlier delivery failed there.
    #[must_use]
    pub fn avoid_provider(&self) -> Option<&Provider> {
        self.avoid_provider.as_ref()
    }

    /// Sets the sender id (an alphanumeric id or a number), where the route allows one.
    #[must_use]
    pub fn with_sender(mut self, sender: impl Into<String>) -> Self {
        self.sender = Some(sender.into());
        self
    }

    /// The destination.
    #[must_use]
    pub fn to(&self) -> &PhoneNumber {
        &self.to
    }
    /// The sender id, if one was set.
    #[must_use]
    pub fn sender(&self) -> Option<&str> {
        self.sender.as_deref()
    }
    /// The body; it contains the code.
    #[must_use]
    pub fn body(&self) -> &Body {
        &self.body
    }
    /// GSM-7 or UCS-2.
    #[must_use]
    pub fn encoding(&self) -> Encoding {
        self.parts().encoding
    }
    /// Number of SMS parts the body takes (what the provider bills).
    #[must_use]
    pub fn segments(&self) -> u16 {
        self.parts().count
    }

    fn parts(&self) -> &Segments {
        self.parts.get_or_init(|| segments(self.body.expose()))
    }
    /// How long the network should keep trying to deliver it.
    #[must_use]
    pub fn validity(&self) -> Duration {
        self.validity
    }
    /// A key unique to this send, for providers that deduplicate.
    #[must_use]
    pub fn idempotency_key(&self) -> &str {
        self.idempotency_key.as_str()
    }
}

/// A provider's acknowledgement of an accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    provider: Provider,
    /// Inline up to 40 bytes (a Twilio SID is 34): every send makes a receipt.
    message_id: InlineText<40>,
}

impl Receipt {
    /// A receipt from `provider` for its `message_id`.
    #[must_use]
    pub fn new(provider: impl Into<Provider>, message_id: impl AsRef<str>) -> Self {
        Self {
            provider: provider.into(),
            message_id: InlineText::new(message_id.as_ref()),
        }
    }
    /// The provider's name (`"twilio"`, `"console"`, ...).
    #[must_use]
    pub fn provider(&self) -> &Provider {
        &self.provider
    }
    /// The provider's id for the message, which delivery reports refer to.
    #[must_use]
    pub fn message_id(&self) -> &str {
        self.message_id.as_str()
    }
}
