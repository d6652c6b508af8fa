//! Bounded retries with exponential backoff and jitter (backon's policy).

use backon::{BackoffBuilder, ExponentialBuilder};
use time::Duration;

use super::{Provider, Receipt, Sms, SmsTransport, TransportError};

/// How a [`Retry`] waits and when it gives up. Fields are private so that every value
/// went through a setter's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::milliseconds(200),
            max_delay: Duration::seconds(5),
            max_retry_after: Duration::seconds(10),
        }
    }
}

impl RetryPolicy {
    /// Sets the number of sends in all, the first included (at least 1; default 3).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }
    /// Sets the first backoff (default 200 ms; negative counts as zero); it doubles
    /// each retry.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay.max(Duration::ZERO);
        self
    }
    /// Sets the largest backoff before jitter (default 5 s; never below the first).
    /// Jitter adds up to as much again, so a capped wait lies between this and twice
    /// it.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay.max(Duration::ZERO);
        self
    }
    /// Sets the longest `Retry-After` honoured (default 10 s); a longer one ends the
    /// retries, since a code that arrives that late is of little use.
    #[must_use]
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait.max(Duration::ZERO);
        self
    }

    /// Sends in all.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The waits between sends: backon's exponential policy with jitter, so many
    /// clients that failed together do not retry together. backon (1.6) adds a random
    /// part of up to the delay itself: each wait is from its delay to twice it.
    fn backoff(&self) -> impl Iterator<Item = std::time::Duration> + use<> {
        let base = crate::clock::std_duration(self.base_delay);
        ExponentialBuilder::default()
            .with_min_delay(base)
            .with_max_delay(crate::clock::std_duration(self.max_delay).max(base))
            .with_max_times(usize::try_from(self.max_attempts - 1).unwrap_or(usize::MAX))
            .with_jitter()
            .build()
    }
}

/// Sends again after an error that [`is_retryable`](TransportError::is_retryable),
/// up to [`RetryPolicy::attempts`] sends in all.
///
/// Before each retry it waits what the provider asked (`Retry-After`), or else the next
/// wait of an exponential backoff with jitter. Errors that are not retryable (a
/// timeout, an unreadable answer, a bad number) are returned at once: the message may
/// already be on its way or cannot be sent at all.
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
impl<T: SmsTransport> SmsTransport for Retry<T> {
    fn provider_name(&self) -> Option<Provider> {
        self.inner.provider_name()
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let mut waits = self.policy.backoff();
        let mut attempt = 1;
        loop {
            let err = match self.inner.send(sms).await {
                Ok(receipt) => return Ok(receipt),
                Err(err) => err,
            };
            if !err.is_retryable() {
                return Err(err);
            }
            // The policy's next wait is taken either way, so `Retry-After` answers use
            // up attempts like any other.
            let Some(backoff) = waits.next() else {
                return Err(err);
            };
            let wait = match err.retry_after() {
                Some(asked) if asked > self.policy.max_retry_after => return Err(err),
                Some(asked) => crate::clock::std_duration(asked),
                None => backoff,
            };
            tracing::debug!(
                attempt,
                provider = %err.provider(),
                kind = ?err.kind(),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying SMS send"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::RetryPolicy;

    /// What the docs say of the waits: doubling from the base delay up to the largest,
    /// each with jitter of up to as much again, one fewer than the sends.
    #[test]
    fn each_wait_lies_between_its_delay_and_twice_it() {
        let policy = RetryPolicy::default()
            .max_attempts(7)
            .base_delay(Duration::milliseconds(100))
            .max_delay(Duration::milliseconds(1_000));
        let delays_ms = [100, 200, 400, 800, 1_000, 1_000];
        for _ in 0..200 {
            let waits: Vec<std::time::Duration> = policy.backoff().collect();
            assert_eq!(waits.len(), delays_ms.len(), "one wait between two sends");
            for (wait, delay) in waits.into_iter().zip(delays_ms) {
                let delay = std::time::Duration::from_millis(delay);
                assert!(delay <= wait && wait < 2 * delay, "{wait:?} for {delay:?}");
            }
        }
    }
}
