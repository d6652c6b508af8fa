//! Transport failures, classified by whether trying again could help.

use std::fmt;
use time::Duration;

use super::Provider;

/// What went wrong, in terms a retry or failover policy can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The number is not valid or cannot receive SMS. Permanent; no other route helps.
    InvalidNumber,
    /// The recipient opted out, or the number is barred or blocked. Permanent.
    Blocked,
    /// Our credentials or account were refused. Permanent for this route.
    Unauthorized,
    /// The provider refused the request for another reason (bad sender, body too long,
    /// no credit). Permanent for this route.
    Rejected,
    /// The provider asked us to slow down (429 or a throttling code). Transient.
    Throttled,
    /// The provider failed or is unavailable (5xx, documented transient codes). Transient.
    Unavailable,
    /// No connection could be made; nothing was sent. Transient.
    Connect,
    /// The request was written but no answer came in time: the SMS may be on its way,
    /// so this is not retried.
    Timeout,
    /// The provider answered with something we could not read. Not retried: it may
    /// have accepted the message.
    BadResponse,
    /// A circuit breaker refused the call without trying. Transient.
    CircuitOpen,
}

impl TransportErrorKind {
    /// Whether sending the same message again (on this route or another) could succeed
    /// without risking a duplicate SMS.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Throttled | Self::Unavailable | Self::Connect | Self::CircuitOpen
        )
    }

    /// Whether the SMS may have gone out despite the error (the request was written but
    /// the answer was lost or unreadable), so what the send used must stay counted.
    #[must_use]
    pub fn may_have_sent(self) -> bool {
        matches!(self, Self::Timeout | Self::BadResponse)
    }

    /// Whether the failure is about the destination number itself, so no route will help.
    #[must_use]
    pub fn is_about_number(self) -> bool {
        matches!(self, Self::InvalidNumber | Self::Blocked)
    }
}

/// A failed send. Opaque: ask it [`kind`](Self::kind), [`is_retryable`](Self::is_retryable),
/// [`retry_after`](Self::retry_after) and [`provider_status`](Self::provider_status).
///
/// Its message never holds the SMS body, credentials or the full number.
pub struct TransportError {
    kind: TransportErrorKind,
    provider: Provider,
    provider_status: Option<String>,
    retry_after: Option<Duration>,
    detail: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// An error of `kind` from `provider`, with a short detail that must not contain
    /// secrets, the body or the full number.
    #[must_use]
    pub fn new(
        kind: TransportErrorKind,
        provider: impl Into<Provider>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            provider: provider.into(),
            provider_status: None,
            retry_after: None,
            detail: detail.into(),
            source: None,
        }
    }

    /// Attaches the provider's own status or error code (`"21211"`, `"status 1"`).
    #[must_use]
    pub fn with_provider_status(mut self, status: impl Into<String>) -> Self {
        self.provider_status = Some(status.into());
        self
    }

    /// Attaches the wait the provider asked for (`Retry-After`).
    #[must_use]
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Attaches the underlying error.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The classification.
    #[must_use]
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
    /// Whether trying again could help without risking a duplicate SMS.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
    /// Whether no route can help because the number itself is the problem.
    #[must_use]
    pub fn is_about_number(&self) -> bool {
        self.kind.is_about_number()
    }
    /// How long the provider asked us to wait, if it said.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    /// The provider's own status or error code, if any.
    #[must_use]
    pub fn provider_status(&self) -> Option<&str> {
        self.provider_status.as_deref()
    }
    /// Which transport failed.
    #[must_use]
    pub fn provider(&self) -> &Provider {
        &self.provider
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("kind", &self.kind)
            .field("provider", &self.provider)
            .field("provider_status", &self.provider_status)
            .field("retry_after", &self.retry_after)
            .field("detail", &self.detail)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} send failed ({:?}", self.provider, self.kind)?;
        if let Some(status) = &self.provider_status {
            write!(f, ", provider status {status}")?;
        }
        write!(f, "): {}", self.detail)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
