//! The signed webhook transport against a local mock server.
#![cfg(feature = "webhook")]

mod common;

use std::collections::HashMap;

use base64::Engine as _;
use common::sms;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use smsotp::message::Body;
use smsotp::transport::receipts::{Callback, DeliveryReceipts, ReceiptError, WebhookReceipts};
use smsotp::transport::{
    Sms, SmsTransport, TransportConfigError, TransportErrorKind, WebhookBuilder, WebhookSecret,
    WebhookTransport,
};
use smsotp::{Clock, ManualClock, PhoneNumber};
use time::macros::datetime;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// 24 random-looking bytes, base64.
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn transport(server: &MockServer, clock: &ManualClock) -> WebhookTransport {
    WebhookTransport::builder(
        format!("{}/sms/send", server.uri()),
        WebhookSecret::parse(SECRET).expect("secret"),
    )
    .clock(clock.clone())
    .build()
    .expect("valid config")
}

#[tokio::test]
async fn posts_signed_json_that_an_independent_check_accepts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms/send"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"message_id": "gw-77"})))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
    let receipt = transport(&server, &clock)
        .send(&sms("+819012345678", "認証コード: 4F7K2Q").with_sender("ACME"))
        .await
        .expect("accepted");
    assert_eq!(receipt.provider(), "webhook");
    assert_eq!(receipt.message_id(), "gw-77");

    let requests = server.received_requests().await.expect("recorded");
    let request = &requests[0];
    let body: Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(
        body,
        json!({
            "channel": "sms",
            "to": "+819012345678",
            "body": "認証コード: 4F7K2Q",
            "sender": "ACME",
            "encoding": "ucs2",
            "segments": 1,
            "validity_seconds": 300,
            "idempotency_key": "idem-0123456789abcdef",
        })
    );
    let h = |name: &str| request.headers[name].to_str().expect("ascii").to_owned();
    // The id carries the outbound marker (see `WebhookTransport`'s docs), then the key.
    assert_eq!(h("webhook-id"), "smsotp-out_idem-0123456789abcdef");
    assert_eq!(h("webhook-timestamp"), "1772355600");

    // Recompute the Standard Webhooks signature here, from the spec, not the crate.
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .expect("base64");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.", h("webhook-id"), h("webhook-timestamp")).as_bytes());
    mac.update(&request.body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(h("webhook-signature"), expected);

    // The crate's own receipt verifier, keyed with the same secret, refuses it: an
    // outbound request (which carries the code) can never pass as an inbound receipt.
    let headers: Vec<(String, String)> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .iter()
        .map(|n| ((*n).to_owned(), h(n)))
        .collect();
    let callback = Callback::new(
        "https://gw.example/sms/send",
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &request.body,
    );
    assert_eq!(
        WebhookReceipts::new(WebhookSecret::parse(SECRET).expect("secret"))
            .verify(&callback, clock.now()),
        Err(ReceiptError::OutboundRequest)
    );
    // Nor as a full report.
    assert_eq!(
        WebhookReceipts::new(WebhookSecret::parse(SECRET).expect("secret"))
            .parse(&callback, clock.now()),
        Err(ReceiptError::OutboundRequest)
    );
}

/// Standard Webhooks (`spec/standard-webhooks.md`, standard-webhooks/standard-webhooks):
/// a message id must not contain `.`. Idempotency keys often do (`order.42`).
#[tokio::test]
async fn message_ids_never_contain_a_dot() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
    let transport = transport(&server, &clock);
    for key in ["order.42", "a.b.c", "x", "日本.jp", &"k".repeat(300)] {
        let sms = Sms::new(
            PhoneNumber::parse_e164("+14155550100").expect("e164"),
            Body::new("Code 4F7K2Q"),
            time::Duration::minutes(5),
            key.to_owned(),
        );
        transport.send(&sms).await.expect("accepted");
    }
    let requests = server.received_requests().await.expect("recorded");
    let ids: Vec<String> = requests
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().expect("ascii").to_owned())
        .collect();
    for id in &ids {
        assert!(!id.contains('.'), "{id}");
        assert!(id.starts_with("smsotp-out_"), "{id}");
        assert!(id.len() <= 128, "{id}");
    }
    // Distinct keys keep distinct ids, and a retry of one key keeps its id.
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    assert_ne!(ids[0], "smsotp-out_order42");
}

#[tokio::test]
async fn an_empty_answer_uses_the_idempotency_key_and_gsm_is_labelled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
    let receipt = transport(&server, &clock)
        .send(&sms("+14155550100", "Code 4F7K2Q"))
        .await
        .expect("accepted");
    assert_eq!(receipt.message_id(), "idem-0123456789abcdef");
    let requests = server.received_requests().await.expect("recorded");
    let body: Value = serde_json::from_slice(&requests[0].body).expect("JSON");
    assert_eq!(body["encoding"], "gsm7");
    assert_eq!(body["sender"], Value::Null);
}

#[tokio::test]
async fn gateway_refusals_are_classified() {
    for (response, kind) in [
        (
            ResponseTemplate::new(422).set_body_json(json!({"error": "invalid_number"})),
            TransportErrorKind::InvalidNumber,
        ),
        (
            ResponseTemplate::new(403).set_body_json(json!({"error": "blocked"})),
            TransportErrorKind::Blocked,
        ),
        (ResponseTemplate::new(401), TransportErrorKind::Unauthorized),
        (ResponseTemplate::new(400), TransportErrorKind::Rejected),
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "4"),
            TransportErrorKind::Throttled,
        ),
        (ResponseTemplate::new(502), TransportErrorKind::Unavailable),
        (
            ResponseTemplate::new(200).set_body_raw("<html></html>", "text/html"),
            TransportErrorKind::BadResponse,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
        let err = transport(&server, &clock)
            .send(&sms("+14155550100", "Code 4F7K2Q"))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), kind);
        assert!(!format!("{err:?}").contains("4F7K2Q"));
    }
}

#[test]
fn secrets_and_configuration_are_checked() {
    assert!(WebhookSecret::parse("whsec_c2hvcnQ=").is_err(), "too short");
    assert!(WebhookSecret::parse("whsec_***").is_err(), "not base64");
    let secret = WebhookSecret::parse(SECRET).expect("valid");
    assert_eq!(format!("{secret:?}"), "WebhookSecret([REDACTED])");

    let vars = HashMap::from([
        ("SMSOTP_WEBHOOK_URL", "https://gw.example/send"),
        ("SMSOTP_WEBHOOK_SECRET", "whsec_tooShort"),
    ]);
    let err = WebhookBuilder::from_lookup(|k| vars.get(k).map(|v| (*v).to_owned()))
        .expect_err("bad secret");
    assert!(matches!(
        err,
        TransportConfigError::MalformedVar {
            var: "SMSOTP_WEBHOOK_SECRET",
            ..
        }
    ));
    assert!(!err.to_string().contains("tooShort"));

    let vars = HashMap::from([("SMSOTP_WEBHOOK_SECRET", SECRET)]);
    let err =
        WebhookBuilder::from_lookup(|k| vars.get(k).map(|v| (*v).to_owned())).expect_err("no url");
    assert!(matches!(
        err,
        TransportConfigError::MissingVar("SMSOTP_WEBHOOK_URL")
    ));

    let vars = HashMap::from([
        ("SMSOTP_WEBHOOK_URL", "https://gw.example/send"),
        ("SMSOTP_WEBHOOK_SECRET", SECRET),
    ]);
    let transport = WebhookBuilder::from_lookup(|k| vars.get(k).map(|v| (*v).to_owned()))
        .and_then(WebhookBuilder::build)
        .expect("complete");
    assert!(!format!("{transport:?}").contains("C2FVsBQIhrsc"));
}

/// A call posted to the same gateway: the same signature scheme and direction marker,
/// with the speech in both forms and the language.
#[tokio::test]
async fn calls_are_posted_signed_with_the_speech() {
    use smsotp::message::{Locale, Speech};
    use smsotp::transport::{Call, VoiceTransport};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms/send"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"message_id": "call-9"})))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(datetime!(2026-03-01 09:00:00 UTC));
    let call = Call::new(
        PhoneNumber::parse_e164("+819012345678").unwrap(),
        Speech::render("4KX7QP", "Acme", Locale::Ja).unwrap(),
        "4KX7QP",
        "challenge-2".to_owned(),
    );
    let receipt = transport(&server, &clock)
        .call(&call)
        .await
        .expect("accepted");
    assert_eq!(receipt.message_id(), "call-9");
    let requests = server.received_requests().await.expect("recorded");
    let request = &requests[0];
    let body: Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(body["channel"], "voice");
    assert_eq!(body["to"], "+819012345678");
    assert_eq!(body["language"], "ja-JP");
    assert_eq!(body["repeat"], 1);
    assert!(body["ssml"].as_str().unwrap().starts_with("<speak>"));
    assert_eq!(
        body["text"].as_str().unwrap().matches("キロのケー").count(),
        2
    );
    let h = |name: &str| request.headers[name].to_str().expect("ascii").to_owned();
    assert_eq!(h("webhook-id"), "smsotp-out_challenge-2");
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .expect("base64");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.", h("webhook-id"), h("webhook-timestamp")).as_bytes());
    mac.update(&request.body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(h("webhook-signature"), expected);
}
