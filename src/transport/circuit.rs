//! A circuit breaker: stop calling a route that keeps failing, probe it later.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::{Duration, OffsetDateTime};

use super::{Provider, Receipt, Sms, SmsTransport, TransportError, TransportErrorKind};
use crate::clock::Clock;

/// When a [`CircuitBreaker`] opens (after 5 consecutive failures by default) and how
/// long it stays open before one probe is let through (30 s by default).
///
/// Fields are private so every value went through a setter's check: a threshold of
/// zero (a circuit open before any failure) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitConfig {
    failure_threshold: u32,
    cool_off: Duration,
}

impl Default for CircuitConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cool_off: Duration::seconds(30),
        }
    }
}

impl CircuitConfig {
    /// Sets the number of consecutive failures that opens the circuit.
    ///
    /// # Errors
    /// [`ConfigError::CircuitThreshold`](crate::ConfigError::CircuitThreshold) for 0,
    /// which would open the circuit before any failure.
    pub fn failure_threshold(mut self, failures: u32) -> Result<Self, crate::ConfigError> {
        if failures == 0 {
            return Err(crate::ConfigError::CircuitThreshold);
        }
        self.failure_threshold = failures;
        Ok(self)
    }
    /// Sets how long the circuit stays open (negative counts as zero).
    #[must_use]
    pub fn cool_off(mut self, wait: Duration) -> Self {
        self.cool_off = wait.max(Duration::ZERO);
        self
    }

    /// Consecutive failures that open the circuit.
    #[must_use]
    pub fn threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// How long the circuit stays open.
    #[must_use]
    pub fn rest(&self) -> Duration {
        self.cool_off
    }
}

/// What a [`CircuitBreaker`] currently does with calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CircuitState {
    /// Calls go through.
    Closed,
    /// Calls are refused with [`TransportErrorKind::CircuitOpen`] until the cool-off ends.
    Open,
    /// The cool-off ended: the next call is the single probe; others are refused
    /// while it runs.
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: OffsetDateTime },
    Probing,
}

/// Wraps one route. After `failure_threshold` consecutive failures it opens and
/// refuses calls at once (so a [`Failover`](super::Failover) moves on without
/// waiting); after `cool_off` one probe call goes through: success closes it, failure
/// opens it again.
///
/// Failures are the errors that say the route is unhealthy: throttled, unavailable,
/// connect failure and timeout. An answer about the number or our account shows the
/// route is up, so it resets the count. Time is read from the injected [`Clock`].
pub struct CircuitBreaker<T> {
    inner: T,
    clock: Arc<dyn Clock>,
    config: CircuitConfig,
    state: Mutex<State>,
}

impl<T: fmt::Debug> fmt::Debug for CircuitBreaker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .field("state", &*self.lock())
            .finish()
    }
}

impl<T> CircuitBreaker<T> {
    /// The wrapped transport.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped transport, unwrapped.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// Wraps `inner`, closed.
    pub fn new(inner: T, clock: Arc<dyn Clock>, config: CircuitConfig) -> Self {
        Self {
            inner,
            clock,
            config,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The current state, as the next call would see it.
    pub fn state(&self) -> CircuitState {
        match *self.lock() {
            State::Closed { .. } => CircuitState::Closed,
            State::Open { until } if self.clock.now() < until => CircuitState::Open,
            State::Open { .. } | State::Probing => CircuitState::HalfOpen,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update writes a whole state, so a poisoned lock holds a valid one.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a call may go now; a call let through after the cool-off is the probe.
    fn admit(&self) -> Result<bool, ()> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(false),
            State::Open { until } if self.clock.now() >= until => {
                *state = State::Probing;
                Ok(true)
            }
            State::Open { .. } | State::Probing => Err(()),
        }
    }

    fn record(&self, outcome: Option<TransportErrorKind>) {
        let unhealthy = outcome.is_some_and(counts_as_failure);
        let mut state = self.lock();
        *state = match (&*state, unhealthy) {
            (_, false) => State::Closed { failures: 0 },
            (State::Closed { failures }, true) => {
                let failures = failures.saturating_add(1);
                if failures >= self.config.failure_threshold {
                    self.open_state()
                } else {
                    State::Closed { failures }
                }
            }
            (State::Probing | State::Open { .. }, true) => self.open_state(),
        };
    }

    fn open_state(&self) -> State {
        State::Open {
            until: self.clock.now() + self.config.cool_off,
        }
    }
}

fn counts_as_failure(kind: TransportErrorKind) -> bool {
    matches!(
        kind,
        TransportErrorKind::Throttled
            | TransportErrorKind::Unavailable
            | TransportErrorKind::Connect
            | TransportErrorKind::Timeout
    )
}

/// Puts a probe that never finished (its future was dropped) back to "open, cool-off
/// over", so the next call can probe instead of the circuit staying half-open forever.
struct ProbeGuard<'a, T> {
    breaker: &'a CircuitBreaker<T>,
    done: bool,
}

impl<T> Drop for ProbeGuard<'_, T> {
    fn drop(&mut self) {
        if !self.done {
            let mut state = self.breaker.lock();
            if matches!(*state, State::Probing) {
                *state = State::Open {
                    until: self.breaker.clock.now(),
                };
            }
        }
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl<T: SmsTransport> SmsTransport for CircuitBreaker<T> {
    fn provider_name(&self) -> Option<Provider> {
        self.inner.provider_name()
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let Ok(probe) = self.admit() else {
            return Err(TransportError::new(
                TransportErrorKind::CircuitOpen,
                "circuit-breaker",
                "the route failed repeatedly and is resting",
            ));
        };
        let mut guard = ProbeGuard {
            breaker: self,
            done: !probe,
        };
        let result = self.inner.send(sms).await;
        self.record(result.as_ref().err().map(TransportError::kind));
        guard.done = true;
        result
    }
}
