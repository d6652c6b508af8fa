//! Bounded retries with exponential backoff and full jitter.

use std::time::Duration;

use super::{Receipt, Sms, SmsTransport, TransportError};

/// How a [`Retry`] waits and when it gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Sends in all, the first included. Default 3.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; it doubles each time. Default 200 ms.
    pub base_delay: Duration,
    /// The largest backoff ceiling. Default 5 s.
    pub max_delay: Duration,
    /// The longest `Retry-After` we are willing to wait; a longer one ends the retries
    /// (a code that arrives that late is of little use). Default 10 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Sets the number of sends in all (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }
    /// Sets the first backoff ceiling.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }
    /// Sets the largest backoff ceiling.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }
    /// Sets the longest `Retry-After` honoured.
    #[must_use]
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// The backoff ceiling before retry number `retry` (1 for the first retry).
    fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Sends again after an error that [`is_retryable`](TransportError::is_retryable),
/// up to `max_attempts` sends in all.
///
/// Before each retry it waits what the provider asked (`Retry-After`), or else a
/// uniformly random time between zero and an exponentially growing ceiling ("full
/// jitter", so many clients that failed together do not retry together). Errors that
/// are not retryable (a timeout, an unreadable answer, a bad number) are returned at
/// once: the message may already be on its way or cannot be sent at all.
#[derive(Debug)]
pub struct Retry<T> {
    inner: T,
    policy: RetryPolicy,
}

impl<T> Retry<T> {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: T, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }
}

#[async_trait::async_trait]
impl<T: SmsTransport> SmsTransport for Retry<T> {
    fn provider_name(&self) -> Option<&str> {
        self.inner.provider_name()
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let mut attempt = 1;
        loop {
            let err = match self.inner.send(sms).await {
                Ok(receipt) => return Ok(receipt),
                Err(err) => err,
            };
            if !err.is_retryable() || attempt >= self.policy.max_attempts {
                return Err(err);
            }
            let wait = match err.retry_after() {
                Some(asked) if asked > self.policy.max_retry_after => return Err(err),
                Some(asked) => asked,
                None => {
                    let ceiling = self.policy.ceiling(attempt);
                    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
                    Duration::from_nanos(rand::random_range(0..=nanos))
                }
            };
            tracing::debug!(
                attempt,
                provider = err.provider(),
                kind = ?err.kind(),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying SMS send"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}
