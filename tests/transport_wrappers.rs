//! Wrappers that are transports themselves: failover, circuit breaker, routing by
//! country, retry and timeout.

mod common;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::sms;
use smsotp::ManualClock;
use smsotp::transport::{
    CircuitBreaker, CircuitConfig, CircuitState, Failover, Receipt, RecordingTransport,
    RouteByCountry, Sms, SmsTransport, TransportError, TransportErrorKind, should_fail_over,
};
use time::macros::datetime;

/// A transport that plays back a script of outcomes (then succeeds), counting calls,
/// optionally waiting on a gate before answering.
#[derive(Debug, Default)]
struct Scripted {
    name: &'static str,
    script: Mutex<VecDeque<Result<(), TransportError>>>,
    calls: AtomicUsize,
    gate: Option<Arc<tokio::sync::Semaphore>>,
}

impl Scripted {
    fn new(name: &'static str) -> Arc<Self> {
        Arc::new(Self {
            name,
            ..Self::default()
        })
    }
    fn gated(name: &'static str, gate: Arc<tokio::sync::Semaphore>) -> Arc<Self> {
        Arc::new(Self {
            name,
            gate: Some(gate),
            ..Self::default()
        })
    }
    fn then_fail(&self, kind: TransportErrorKind) -> &Self {
        self.push(Err(TransportError::new(kind, self.name, "scripted")));
        self
    }
    fn push(&self, outcome: Result<(), TransportError>) {
        self.script.lock().expect("lock").push_back(outcome);
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl SmsTransport for Scripted {
    async fn send(&self, _sms: &Sms) -> Result<Receipt, TransportError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(gate) = &self.gate {
            gate.acquire().await.expect("gate").forget();
        }
        let next = self.script.lock().expect("lock").pop_front();
        match next {
            Some(Err(err)) => Err(err),
            _ => Ok(Receipt::new(self.name, format!("{}-{n}", self.name))),
        }
    }
}

fn msg() -> Sms {
    sms("+819012345678", "Your code is 4F7K2Q")
}

#[tokio::test]
async fn failover_moves_on_after_retryable_and_account_errors() {
    for kind in [
        TransportErrorKind::Unavailable,
        TransportErrorKind::Throttled,
        TransportErrorKind::Connect,
        TransportErrorKind::CircuitOpen,
        TransportErrorKind::Unauthorized,
        TransportErrorKind::Rejected,
    ] {
        let a = Scripted::new("a");
        a.then_fail(kind);
        let b = Scripted::new("b");
        let receipt = Failover::new(a.clone())
            .then(b.clone())
            .send(&msg())
            .await
            .expect("b sends");
        assert_eq!(receipt.provider(), "b", "after {kind:?}");
        assert_eq!((a.calls(), b.calls()), (1, 1));
        assert!(should_fail_over(kind));
    }
}

#[tokio::test]
async fn failover_stops_when_the_number_is_the_problem_or_the_sms_may_be_sent() {
    for kind in [
        TransportErrorKind::InvalidNumber,
        TransportErrorKind::Blocked,
        TransportErrorKind::Timeout,
        TransportErrorKind::BadResponse,
    ] {
        let a = Scripted::new("a");
        a.then_fail(kind);
        let b = Scripted::new("b");
        let err = Failover::new(a.clone())
            .then(b.clone())
            .send(&msg())
            .await
            .expect_err("stops");
        assert_eq!(err.kind(), kind);
        assert_eq!(b.calls(), 0, "no second route after {kind:?}");
        assert!(!should_fail_over(kind));
    }
}

#[tokio::test]
async fn failover_returns_the_last_error_when_every_route_fails() {
    let a = Scripted::new("a");
    a.then_fail(TransportErrorKind::Unauthorized);
    let b = Scripted::new("b");
    b.then_fail(TransportErrorKind::Unavailable);
    let c = Scripted::new("c");
    c.then_fail(TransportErrorKind::Throttled);
    let failover = Failover::new(a).then(b).then(c.clone());
    assert_eq!(failover.len(), 3);
    let err = failover.send(&msg()).await.expect_err("all down");
    assert_eq!(err.kind(), TransportErrorKind::Throttled);
    assert_eq!(err.provider(), "c");
}

#[tokio::test]
async fn the_circuit_opens_after_consecutive_failures_and_recovers_after_a_probe() {
    let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
    let inner = Scripted::new("a");
    let config = CircuitConfig::default()
        .failure_threshold(3)
        .unwrap()
        .cool_off(time::Duration::seconds(30));
    let breaker = CircuitBreaker::new(inner.clone(), Arc::new(clock.clone()), config);

    // Non-health errors reset the count instead of adding to it.
    inner
        .then_fail(TransportErrorKind::Unavailable)
        .then_fail(TransportErrorKind::Connect)
        .then_fail(TransportErrorKind::InvalidNumber)
        .then_fail(TransportErrorKind::Unavailable)
        .then_fail(TransportErrorKind::Timeout);
    for _ in 0..5 {
        let _ = breaker.send(&msg()).await;
    }
    assert_eq!(breaker.state(), CircuitState::Closed);

    inner.then_fail(TransportErrorKind::Throttled);
    let _ = breaker.send(&msg()).await;
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(inner.calls(), 6);

    // Open: refused at once, without calling the route.
    let err = breaker.send(&msg()).await.expect_err("open");
    assert_eq!(err.kind(), TransportErrorKind::CircuitOpen);
    assert!(err.is_retryable());
    assert_eq!(inner.calls(), 6);

    clock.advance(time::Duration::seconds(29));
    assert_eq!(breaker.state(), CircuitState::Open);
    clock.advance(time::Duration::seconds(1));
    assert_eq!(breaker.state(), CircuitState::HalfOpen);

    // A failed probe opens it again for a new cool-off.
    inner.then_fail(TransportErrorKind::Unavailable);
    assert!(breaker.send(&msg()).await.is_err());
    assert_eq!(inner.calls(), 7);
    assert_eq!(breaker.state(), CircuitState::Open);
    clock.advance(time::Duration::seconds(30));

    // A good probe closes it.
    breaker.send(&msg()).await.expect("probe succeeds");
    assert_eq!(breaker.state(), CircuitState::Closed);
    breaker.send(&msg()).await.expect("closed");
    assert_eq!(inner.calls(), 9);
}

#[tokio::test]
async fn half_open_lets_exactly_one_probe_through() {
    let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let inner = Scripted::gated("a", gate.clone());
    inner.then_fail(TransportErrorKind::Unavailable);
    let breaker = Arc::new(CircuitBreaker::new(
        inner.clone(),
        Arc::new(clock.clone()),
        CircuitConfig::default().failure_threshold(1).unwrap(),
    ));
    gate.add_permits(1);
    let _ = breaker.send(&msg()).await;
    assert_eq!(breaker.state(), CircuitState::Open);
    clock.advance(time::Duration::seconds(30));

    let probe = {
        let breaker = breaker.clone();
        tokio::spawn(async move { breaker.send(&msg()).await })
    };
    while inner.calls() < 2 {
        tokio::task::yield_now().await;
    }
    // The probe is in flight: everyone else is turned away.
    let err = breaker.send(&msg()).await.expect_err("probe running");
    assert_eq!(err.kind(), TransportErrorKind::CircuitOpen);
    assert_eq!(inner.calls(), 2);
    gate.add_permits(1);
    probe.await.expect("task").expect("probe ok");
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[tokio::test]
async fn a_cancelled_probe_does_not_wedge_the_circuit() {
    let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
    let gate = Arc::new(tokio::sync::Semaphore::new(1));
    let inner = Scripted::gated("a", gate.clone());
    inner.then_fail(TransportErrorKind::Unavailable);
    let breaker = Arc::new(CircuitBreaker::new(
        inner.clone(),
        Arc::new(clock.clone()),
        CircuitConfig::default().failure_threshold(1).unwrap(),
    ));
    let _ = breaker.send(&msg()).await;
    clock.advance(time::Duration::seconds(30));
    let probe = {
        let breaker = breaker.clone();
        tokio::spawn(async move { breaker.send(&msg()).await })
    };
    while inner.calls() < 2 {
        tokio::task::yield_now().await;
    }
    probe.abort();
    let _ = probe.await;
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    gate.add_permits(1);
    breaker
        .send(&msg())
        .await
        .expect("a new probe goes through");
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[tokio::test]
async fn failover_skips_an_open_circuit_without_calling_the_route() {
    let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
    let a = Scripted::new("a");
    for _ in 0..2 {
        a.then_fail(TransportErrorKind::Unavailable);
    }
    let b = Scripted::new("b");
    let failover = Failover::new(CircuitBreaker::new(
        a.clone(),
        Arc::new(clock.clone()),
        CircuitConfig::default().failure_threshold(2).unwrap(),
    ))
    .then(b.clone());
    for _ in 0..5 {
        assert_eq!(failover.send(&msg()).await.expect("b").provider(), "b");
    }
    assert_eq!(a.calls(), 2, "the open circuit spared route a");
    assert_eq!(b.calls(), 5);
    clock.advance(time::Duration::seconds(30));
    assert_eq!(
        failover.send(&msg()).await.expect("a is back").provider(),
        "a"
    );
}

#[tokio::test]
async fn japanese_numbers_take_the_domestic_route() {
    let domestic = Arc::new(RecordingTransport::new());
    let international = Arc::new(RecordingTransport::new());
    let router = RouteByCountry::new(international.clone()).route(81, domestic.clone());
    router
        .send(&sms("+819012345678", "code"))
        .await
        .expect("sent");
    router
        .send(&sms("+818012345678", "code"))
        .await
        .expect("sent");
    router
        .send(&sms("+14155550100", "code"))
        .await
        .expect("sent");
    router
        .send(&sms("+447700900123", "code"))
        .await
        .expect("sent");
    router
        .send(&sms("+8613812345678", "code"))
        .await
        .expect("sent");
    let domestic_to: Vec<_> = domestic
        .messages()
        .iter()
        .map(|m| m.to().as_e164().to_owned())
        .collect();
    assert_eq!(domestic_to, ["+819012345678", "+818012345678"]);
    assert_eq!(international.count(), 3);
}

#[cfg(feature = "retry")]
mod retry {
    use super::*;
    use smsotp::transport::{Retry, RetryPolicy};
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn retry_waits_what_retry_after_asks() {
        let inner = Scripted::new("a");
        inner.push(Err(TransportError::new(
            TransportErrorKind::Throttled,
            "a",
            "slow down",
        )
        .with_retry_after(time::Duration::seconds(3))));
        let retry = Retry::new(inner.clone(), RetryPolicy::default());
        let started = tokio::time::Instant::now();
        retry.send(&msg()).await.expect("second try works");
        let waited = started.elapsed();
        assert_eq!(inner.calls(), 2);
        assert!(waited >= Duration::from_secs(3), "{waited:?}");
        assert!(waited < Duration::from_millis(3100), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_is_bounded_by_the_exponential_ceiling() {
        let inner = Scripted::new("a");
        inner
            .then_fail(TransportErrorKind::Unavailable)
            .then_fail(TransportErrorKind::Connect)
            .then_fail(TransportErrorKind::Unavailable);
        let policy = RetryPolicy::default()
            .max_attempts(4)
            .base_delay(time::Duration::milliseconds(100))
            .max_delay(time::Duration::seconds(1));
        let started = tokio::time::Instant::now();
        Retry::new(inner.clone(), policy)
            .send(&msg())
            .await
            .expect("fourth try");
        assert_eq!(inner.calls(), 4);
        // backon's exponential policy with jitter: the waits are 100, 200 and 400 ms,
        // each stretched by a random share of itself.
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(700) && waited <= Duration::from_millis(1400),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retry_gives_up_when_told_to_and_never_retries_what_may_be_sent() {
        let inner = Scripted::new("a");
        for _ in 0..5 {
            inner.then_fail(TransportErrorKind::Unavailable);
        }
        let err = Retry::new(inner.clone(), RetryPolicy::default().max_attempts(3))
            .send(&msg())
            .await
            .expect_err("exhausted");
        assert_eq!(err.kind(), TransportErrorKind::Unavailable);
        assert_eq!(inner.calls(), 3);

        for kind in [
            TransportErrorKind::Timeout,
            TransportErrorKind::BadResponse,
            TransportErrorKind::InvalidNumber,
        ] {
            let inner = Scripted::new("a");
            inner.then_fail(kind);
            let err = Retry::new(inner.clone(), RetryPolicy::default())
                .send(&msg())
                .await
                .expect_err("not retried");
            assert_eq!(err.kind(), kind);
            assert_eq!(inner.calls(), 1);
        }

        let inner = Scripted::new("a");
        inner.push(Err(TransportError::new(
            TransportErrorKind::Throttled,
            "a",
            "come back tomorrow",
        )
        .with_retry_after(time::Duration::seconds(3600))));
        let started = tokio::time::Instant::now();
        let err = Retry::new(inner.clone(), RetryPolicy::default())
            .send(&msg())
            .await
            .expect_err("too long");
        assert_eq!(err.retry_after(), Some(time::Duration::seconds(3600)));
        assert_eq!(inner.calls(), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}

#[cfg(feature = "timeout")]
mod timeout {
    use super::*;
    use smsotp::transport::Timeout;

    #[tokio::test(start_paused = true)]
    async fn an_elapsed_deadline_is_a_timeout_kind() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let stuck = Scripted::gated("a", gate);
        let err = Timeout::new(stuck, time::Duration::seconds(2))
            .send(&msg())
            .await
            .expect_err("deadline");
        assert_eq!(err.kind(), TransportErrorKind::Timeout);
        assert!(!err.is_retryable());

        let quick = Scripted::new("b");
        Timeout::new(quick, time::Duration::seconds(2))
            .send(&msg())
            .await
            .expect("in time");
    }
}

#[cfg(feature = "twilio")]
mod over_http {
    use super::*;
    use secrecy::SecretString;
    use smsotp::transport::TwilioTransport;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const SID: &str = "AC0123456789abcdef0123456789abcdef";

    fn twilio(base: &str) -> TwilioTransport {
        TwilioTransport::builder(SID, SecretString::from("tok"))
            .from("+15005550006")
            .base_url(base)
            .build()
            .expect("config")
    }

    #[tokio::test]
    async fn failover_takes_the_next_route_when_the_first_refuses_connections() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(
                    serde_json::json!({"sid": "SM0123456789abcdef0123456789abcdef"}),
                ),
            )
            .expect(1)
            .mount(&server)
            .await;
        let failover =
            Failover::new(twilio(&common::refused_port_url())).then(twilio(&server.uri()));
        let receipt = failover.send(&msg()).await.expect("second route");
        assert_eq!(receipt.message_id(), "SM0123456789abcdef0123456789abcdef");
    }

    #[tokio::test]
    async fn failover_does_not_resend_after_a_timeout() {
        let slow = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201).set_delay(std::time::Duration::from_secs(3)))
            .mount(&slow)
            .await;
        let backup = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201))
            .expect(0)
            .mount(&backup)
            .await;
        let client = smsotp::transport::HttpClient::with_options(
            smsotp::transport::HttpOptions::default()
                .request_timeout(time::Duration::milliseconds(200)),
        )
        .expect("client");
        let first = TwilioTransport::builder(SID, SecretString::from("tok"))
            .from("+15005550006")
            .base_url(slow.uri())
            .http_client(client)
            .build()
            .expect("config");
        let err = Failover::new(first)
            .then(twilio(&backup.uri()))
            .send(&msg())
            .await
            .expect_err("timeout");
        assert_eq!(err.kind(), TransportErrorKind::Timeout);
    }
}

#[test]
fn configs_cannot_bypass_their_checks() {
    // Fields are private: a zero threshold (a circuit open before any failure) cannot
    // be written, and asking for one is refused.
    assert_eq!(
        CircuitConfig::default().failure_threshold(0),
        Err(smsotp::ConfigError::CircuitThreshold)
    );
    let config = CircuitConfig::default().failure_threshold(1).unwrap();
    assert_eq!(config.threshold(), 1);
    let config = CircuitConfig::default().cool_off(time::Duration::seconds(-5));
    assert_eq!(config.rest(), time::Duration::ZERO);
}

#[tokio::test]
async fn wrappers_give_their_inner_transport_back() {
    let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
    let breaker = CircuitBreaker::new(
        RecordingTransport::new(),
        Arc::new(clock),
        CircuitConfig::default(),
    );
    breaker.send(&msg()).await.expect("sent");
    assert_eq!(breaker.get_ref().count(), 1);
    assert_eq!(breaker.into_inner().count(), 1);
}

/// The combinators hold several routes; each route is given back, in order.
#[tokio::test]
async fn combinators_give_their_routes_back() {
    let (first, second) = (
        Arc::new(RecordingTransport::new()),
        Arc::new(RecordingTransport::new()),
    );
    let failover = Failover::new(first.clone()).then(second.clone());
    assert_eq!(failover.routes().len(), 2);
    failover.routes()[1].send(&msg()).await.expect("sent");
    assert_eq!(
        second.count(),
        1,
        "routes come back in the order they were added"
    );
    let routes = failover.into_routes();
    routes[0].send(&msg()).await.expect("sent");
    assert_eq!(first.count(), 1);

    let (domestic, international) = (
        Arc::new(RecordingTransport::new()),
        Arc::new(RecordingTransport::new()),
    );
    let by_country = RouteByCountry::new(international.clone()).route(81, domestic.clone());
    by_country
        .route_for(81)
        .expect("a route for +81")
        .send(&msg())
        .await
        .expect("sent");
    assert_eq!(domestic.count(), 1);
    assert!(by_country.route_for(44).is_none());
    by_country.default_route().send(&msg()).await.expect("sent");
    assert_eq!(international.count(), 1);
    let (default, routes) = by_country.into_parts();
    assert_eq!(routes.len(), 1);
    default.send(&msg()).await.expect("sent");
    assert_eq!(international.count(), 2);
}
