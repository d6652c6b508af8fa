//! Ordered routes: the next one is tried when the current one cannot deliver.

use super::{Provider, Receipt, Sms, SmsTransport, TransportError, TransportErrorKind};

/// Tries routes in order until one accepts the SMS.
///
/// After an error, [`should_fail_over`] decides:
/// - the next route is tried after a retryable error (throttled, unavailable, connect
///   failure, open circuit) and after a refusal that is about this route's account
///   (unauthorized, rejected): another provider has other credentials and limits;
/// - it stops at once when the number is the problem (invalid, blocked), because no
///   route can help, and after a timeout or an unreadable answer, because the first
///   provider may have accepted the message and a second send would duplicate it.
///
/// When every route fails, the last route's error is returned.
///
/// Wrap each route in a [`CircuitBreaker`](super::CircuitBreaker) so a route that is
/// down is skipped without waiting for it:
///
/// ```
/// use std::sync::Arc;
/// use smsotp::SystemClock;
/// use smsotp::transport::{CircuitBreaker, CircuitConfig, Failover, RecordingTransport};
///
/// let primary = RecordingTransport::new();
/// let backup = RecordingTransport::new();
/// let clock = Arc::new(SystemClock);
/// let transport = Failover::new(CircuitBreaker::new(primary, clock.clone(), CircuitConfig::default()))
///     .then(CircuitBreaker::new(backup, clock, CircuitConfig::default()));
/// # let _ = transport;
/// ```
#[derive(Debug)]
pub struct Failover {
    routes: Vec<Box<dyn SmsTransport>>,
}

impl Failover {
    /// Starts with the preferred route.
    #[must_use]
    pub fn new(first: impl SmsTransport) -> Self {
        Self {
            routes: vec![Box::new(first)],
        }
    }

    /// Adds the next route to try.
    #[must_use]
    pub fn then(mut self, next: impl SmsTransport) -> Self {
        self.routes.push(Box::new(next));
        self
    }

    /// How many routes there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Always false: a failover has at least one route.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The routes, in the order they were added: the order they are tried, except
    /// that a route whose provider an SMS avoids is tried last for that SMS.
    #[must_use]
    pub fn routes(&self) -> &[Box<dyn SmsTransport>] {
        &self.routes
    }

    /// Gives the routes back, in the order they were added.
    #[must_use]
    pub fn into_routes(self) -> Vec<Box<dyn SmsTransport>> {
        self.routes
    }
}

/// Whether, after `kind` on one route, the next route should be tried.
#[must_use]
pub fn should_fail_over(kind: TransportErrorKind) -> bool {
    match kind {
        TransportErrorKind::Throttled
        | TransportErrorKind::Unavailable
        | TransportErrorKind::Connect
        | TransportErrorKind::CircuitOpen
        | TransportErrorKind::Unauthorized
        | TransportErrorKind::Rejected => true,
        TransportErrorKind::InvalidNumber
        | TransportErrorKind::Blocked
        | TransportErrorKind::Timeout
        | TransportErrorKind::BadResponse => false,
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait::async_trait]
impl SmsTransport for Failover {
    /// Several providers, so not one name: a failed route is avoided by each of its
    /// routes instead.
    fn provider_name(&self) -> Option<Provider> {
        None
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let mut last = None;
        // After a failed delivery report, the route that failed goes last: the
        // resend takes the next route first.
        let avoided = |route: &dyn SmsTransport| {
            sms.avoid_provider()
                .is_some_and(|avoid| route.provider_name().as_ref() == Some(avoid))
        };
        let ordered = self
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| !avoided(r.as_ref()))
            .chain(
                self.routes
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| avoided(r.as_ref())),
            );
        for (index, route) in ordered {
            match route.send(sms).await {
                Ok(receipt) => return Ok(receipt),
                Err(err) if should_fail_over(err.kind()) => {
                    tracing::warn!(
                        route = index,
                        provider = %err.provider(),
                        kind = ?err.kind(),
                        to = %sms.to(),
                        "SMS route failed; trying the next one"
                    );
                    last = Some(err);
                }
                Err(err) => return Err(err),
            }
        }
        Err(last.unwrap_or_else(|| {
            TransportError::new(TransportErrorKind::Rejected, "failover", "no routes")
        }))
    }
}
