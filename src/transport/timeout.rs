//! A deadline around any transport.

use time::Duration;

use super::{Provider, Receipt, Sms, SmsTransport, TransportError, TransportErrorKind};

/// Fails a send that takes longer than `limit` with [`TransportErrorKind::Timeout`].
///
/// That kind is not retried: the wrapped transport may already have handed the
/// message over when the deadline fired.
#[derive(Debug)]
pub struct Timeout<T> {
    inner: T,
    limit: std::time::Duration,
}

impl<T> Timeout<T> {
    /// Wraps `inner` with a deadline of `limit` per send (a negative limit counts as
    /// zero: every send times out).
    pub fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit: crate::clock::std_duration(limit),
        }
    }

    /// The wrapped transport.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped transport, unwrapped.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<T: SmsTransport> SmsTransport for Timeout<T> {
    fn provider_name(&self) -> Option<Provider> {
        self.inner.provider_name()
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        match tokio::time::timeout(self.limit, self.inner.send(sms)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(TransportError::new(
                TransportErrorKind::Timeout,
                "timeout",
                format!(
                    "no outcome within {} ms; the message may have been accepted",
                    self.limit.as_millis()
                ),
            )),
        }
    }
}
