//! The voice channel: a call that reads the code, for people whose SMS cannot arrive
//! (SMS from unknown or overseas senders blocked, a route the carrier filters).

use std::sync::Arc;

use time::Duration;

use super::{Provider, Receipt, TransportError};
use crate::message::{Locale, Speech};
use crate::phone::PhoneNumber;

/// One call to place. Its `Debug` masks the number and leaves out the speech and
/// the code.
#[derive(Clone)]
pub struct Call {
    to: PhoneNumber,
    speech: Speech,
    code: String,
    repeat: u8,
    validity: Duration,
    idempotency_key: String,
    avoid_provider: Option<Provider>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("to", &self.to)
            .field("speech", &self.speech)
            .field("repeat", &self.repeat)
            .field("idempotency_key", &self.idempotency_key)
            .finish_non_exhaustive()
    }
}

impl Call {
    /// A call to `to` that says `speech` (which reads `code`), repeated `repeat` times
    /// by providers that loop (1 to 3). `idempotency_key` is unique per send.
    #[must_use]
    pub fn new(to: PhoneNumber, speech: Speech, code: &str, idempotency_key: String) -> Self {
        Self {
            to,
            speech,
            code: code.to_owned(),
            repeat: 1,
            validity: Duration::minutes(5),
            idempotency_key,
            avoid_provider: None,
        }
    }

    /// How many times the provider plays the speech (clamped to 1 to 3). The speech
    /// itself already reads the code twice.
    #[must_use]
    pub fn repeated(mut self, times: u8) -> Self {
        self.repeat = times.clamp(1, 3);
        self
    }

    /// How long the code stays valid (providers may use it as the ring timeout).
    #[must_use]
    pub fn valid_for(mut self, validity: Duration) -> Self {
        self.validity = validity;
        self
    }

    /// Asks routing wrappers to avoid `provider`.
    #[must_use]
    pub fn avoiding(mut self, provider: impl Into<Provider>) -> Self {
        self.avoid_provider = Some(provider.into());
        self
    }

    /// The number to call.
    #[must_use]
    pub fn to(&self) -> &PhoneNumber {
        &self.to
    }

    /// What to say. Holds the code.
    #[must_use]
    pub fn speech(&self) -> &Speech {
        &self.speech
    }

    /// The language spoken.
    #[must_use]
    pub fn language(&self) -> Locale {
        self.speech.locale()
    }

    /// The language as a BCP 47 tag providers take (`en-US`, `ja-JP`).
    #[must_use]
    pub fn language_tag(&self) -> &'static str {
        match self.speech.locale() {
            Locale::En => "en-US",
            Locale::Ja => "ja-JP",
        }
    }

    /// How many times the provider should play the speech.
    #[must_use]
    pub fn repeat(&self) -> u8 {
        self.repeat
    }

    /// How long the code stays valid.
    #[must_use]
    pub fn validity(&self) -> Duration {
        self.validity
    }

    /// Unique per send: a retried hand-off must not ring twice.
    #[must_use]
    pub fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }

    /// The provider to avoid, if an earlier delivery failed there.
    #[must_use]
    pub fn avoid_provider(&self) -> Option<&Provider> {
        self.avoid_provider.as_ref()
    }

    /// The code the call reads, for test doubles. Holds the secret.
    pub(crate) fn code(&self) -> &str {
        &self.code
    }
}

/// Something that can place a [`Call`]: a provider adapter, a test double, or a
/// wrapper. The voice twin of [`SmsTransport`](super::SmsTransport), with the same
/// classified errors.
///
/// Implementations must not log the speech: it holds the code.
#[async_trait::async_trait]
pub trait VoiceTransport: Send + Sync + std::fmt::Debug + 'static {
    /// Hands one call to the provider. `Ok` means the provider accepted it, not that
    /// anyone answered.
    ///
    /// # Errors
    /// A [`TransportError`] that says whether trying again could help.
    async fn call(&self, call: &Call) -> Result<Receipt, TransportError>;

    /// The provider this transport calls through, as its status callbacks name it.
    fn provider_name(&self) -> Option<Provider> {
        None
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<T: VoiceTransport + ?Sized> VoiceTransport for Arc<T> {
    async fn call(&self, call: &Call) -> Result<Receipt, TransportError> {
        (**self).call(call).await
    }
    fn provider_name(&self) -> Option<Provider> {
        (**self).provider_name()
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<T: VoiceTransport + ?Sized> VoiceTransport for Box<T> {
    async fn call(&self, call: &Call) -> Result<Receipt, TransportError> {
        (**self).call(call).await
    }
    fn provider_name(&self) -> Option<Provider> {
        (**self).provider_name()
    }
}
