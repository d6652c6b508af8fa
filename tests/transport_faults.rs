//! Fault injection through a real adapter (Twilio) and a local mock server: every way
//! a provider can fail gets the classification a retry or failover policy needs.
#![cfg(feature = "twilio")]

mod common;

use std::time::Duration;

use common::{refused_port_url, sms};
use secrecy::SecretString;
use serde_json::json;
use smsotp::transport::{
    HttpClient, HttpOptions, SmsTransport, TransportError, TransportErrorKind, TwilioTransport,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tok-3f9a1c7e55d2";
const BODY: &str = "Your code is 4F7K2Q";

fn twilio_at(base: &str, options: HttpOptions) -> TwilioTransport {
    TwilioTransport::builder(SID, SecretString::from(TOKEN))
        .from("+15005550006")
        .base_url(base)
        .http_client(HttpClient::with_options(options).expect("client"))
        .build()
        .expect("valid config")
}

async fn answer(response: ResponseTemplate) -> TransportError {
    answer_with(response, HttpOptions::default()).await
}

async fn answer_with(response: ResponseTemplate, options: HttpOptions) -> TransportError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    let err = twilio_at(&server.uri(), options)
        .send(&sms("+14155552671", BODY))
        .await
        .expect_err("the send fails");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN) && !shown.contains(BODY) && !shown.contains("+14155552671"));
    err
}

#[tokio::test]
async fn a_500_is_unavailable_and_retryable() {
    let err = answer(ResponseTemplate::new(500)).await;
    assert_eq!(err.kind(), TransportErrorKind::Unavailable);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_503_carries_its_retry_after() {
    let err = answer(ResponseTemplate::new(503).insert_header("Retry-After", "7")).await;
    assert_eq!(err.kind(), TransportErrorKind::Unavailable);
    assert_eq!(err.retry_after(), Some(time::Duration::seconds(7)));
}

#[tokio::test]
async fn a_429_is_throttled_with_its_retry_after_in_seconds() {
    let err = answer(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "3")
            .set_body_json(json!({"code": 20429, "message": "Too Many Requests", "status": 429})),
    )
    .await;
    assert_eq!(err.kind(), TransportErrorKind::Throttled);
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(time::Duration::seconds(3)));
    assert_eq!(err.provider_status(), Some("20429"));
}

#[tokio::test]
async fn a_retry_after_date_is_measured_against_the_responses_date() {
    let err = answer(
        ResponseTemplate::new(429)
            .insert_header("Date", "Wed, 21 Oct 2026 07:28:00 GMT")
            .insert_header("Retry-After", "Wed, 21 Oct 2026 07:30:00 GMT"),
    )
    .await;
    assert_eq!(err.kind(), TransportErrorKind::Throttled);
    assert_eq!(err.retry_after(), Some(time::Duration::seconds(120)));
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_a_timeout_that_is_not_retried() {
    let options = HttpOptions::default().request_timeout(time::Duration::milliseconds(300));
    let err = answer_with(
        ResponseTemplate::new(201)
            .set_body_json(json!({"sid": "SM0123456789abcdef0123456789abcdef"}))
            .set_delay(Duration::from_secs(3)),
        options,
    )
    .await;
    assert_eq!(err.kind(), TransportErrorKind::Timeout);
    assert!(!err.is_retryable(), "the SMS may be on its way");
}

#[tokio::test]
async fn a_refused_connection_is_connect_and_retryable() {
    let err = twilio_at(&refused_port_url(), HttpOptions::default())
        .send(&sms("+14155552671", BODY))
        .await
        .expect_err("nothing listens");
    assert_eq!(err.kind(), TransportErrorKind::Connect);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn malformed_json_in_a_success_is_a_bad_response() {
    let err =
        answer(ResponseTemplate::new(201).set_body_raw(r#"{"sid": "SM01234"#, "application/json"))
            .await;
    assert_eq!(err.kind(), TransportErrorKind::BadResponse);
    assert!(!err.is_retryable(), "it may have been accepted");
}

#[tokio::test]
async fn an_empty_success_body_is_a_bad_response() {
    let err = answer(ResponseTemplate::new(201)).await;
    assert_eq!(err.kind(), TransportErrorKind::BadResponse);
}

#[tokio::test]
async fn json_without_a_sid_is_a_bad_response() {
    let err = answer(ResponseTemplate::new(201).set_body_json(json!({"status": "queued"}))).await;
    assert_eq!(err.kind(), TransportErrorKind::BadResponse);
}

#[tokio::test]
async fn an_html_page_is_a_bad_response_on_success_and_unavailable_on_5xx() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let err = answer(ResponseTemplate::new(200).set_body_raw(page, "text/html")).await;
    assert_eq!(err.kind(), TransportErrorKind::BadResponse);
    let err = answer(ResponseTemplate::new(502).set_body_raw(page, "text/html")).await;
    assert_eq!(err.kind(), TransportErrorKind::Unavailable);
    let err = answer(ResponseTemplate::new(404).set_body_raw(page, "text/html")).await;
    assert_eq!(err.kind(), TransportErrorKind::Rejected);
}

#[tokio::test]
async fn a_gateway_timeout_is_a_timeout() {
    let err = answer(ResponseTemplate::new(504)).await;
    assert_eq!(err.kind(), TransportErrorKind::Timeout);
}

#[tokio::test]
async fn an_oversized_body_is_refused_without_buffering_it() {
    let huge = "x".repeat(200 * 1024);
    let err = answer(ResponseTemplate::new(201).set_body_raw(huge, "application/json")).await;
    assert_eq!(err.kind(), TransportErrorKind::BadResponse);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{SID}/Messages.json")))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}/elsewhere", server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let err = twilio_at(&server.uri(), HttpOptions::default())
        .send(&sms("+14155552671", BODY))
        .await
        .expect_err("a redirect is not an answer");
    assert_eq!(err.kind(), TransportErrorKind::Rejected);
}
