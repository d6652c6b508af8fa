//! The Vonage SMS API adapter against a local mock server.
#![cfg(feature = "vonage")]

mod common;

use std::collections::HashMap;

use common::{field, form, sms, sms_valid};
use secrecy::SecretString;
use serde_json::json;
use smsotp::PhoneNumber;
use smsotp::message::Body;
use smsotp::transport::{
    Sms, SmsTransport, TransportConfigError, TransportErrorKind, VonageBuilder, VonageTransport,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "a1b2c3d4";
const SECRET: &str = "s3cr3t-V0nage";

fn transport(server: &MockServer) -> VonageTransport {
    VonageTransport::builder(KEY, SecretString::from(SECRET), "AcmeInc")
        .base_url(server.uri())
        .callback("https://app.example.com/sms/dlr")
        .build()
        .expect("valid config")
}

fn ok_parts(ids: &[&str]) -> ResponseTemplate {
    let messages: Vec<_> = ids
        .iter()
        .map(|id| {
            json!({"to": "819012345678", "message-id": id, "status": "0",
                   "remaining-balance": "3.14", "message-price": "0.0333", "network": "44010"})
        })
        .collect();
    ResponseTemplate::new(200)
        .set_body_json(json!({"message-count": ids.len().to_string(), "messages": messages}))
}

async fn sent_form(server: &MockServer) -> Vec<(String, String)> {
    let requests = server.received_requests().await.expect("recorded");
    form(&requests.last().expect("a request").body)
}

#[tokio::test]
async fn sends_the_documented_form_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms/json"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ok_parts(&["0A0000000123ABCD1"]))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = transport(&server)
        .send(&sms("+14155550100", "Your code is 4F7K2Q"))
        .await
        .expect("accepted");
    assert_eq!(receipt.provider(), "vonage");
    assert_eq!(receipt.message_id(), "0A0000000123ABCD1");

    let fields = sent_form(&server).await;
    assert_eq!(field(&fields, "api_key"), Some(KEY));
    assert_eq!(field(&fields, "api_secret"), Some(SECRET));
    assert_eq!(field(&fields, "from"), Some("AcmeInc"));
    assert_eq!(
        field(&fields, "to"),
        Some("14155550100"),
        "digits without +"
    );
    assert_eq!(field(&fields, "text"), Some("Your code is 4F7K2Q"));
    assert_eq!(field(&fields, "type"), Some("text"));
    assert_eq!(field(&fields, "client-ref"), Some("idem-0123456789abcdef"));
    assert_eq!(field(&fields, "ttl"), Some("300000"), "milliseconds");
    assert_eq!(
        field(&fields, "callback"),
        Some("https://app.example.com/sms/dlr")
    );
    assert_eq!(field(&fields, "status-report-req"), Some("1"));
    let known = [
        "api_key",
        "api_secret",
        "from",
        "to",
        "text",
        "type",
        "client-ref",
        "ttl",
        "callback",
        "status-report-req",
    ];
    for (name, _) in &fields {
        assert!(known.contains(&name.as_str()), "unexpected field {name}");
    }
}

#[tokio::test]
async fn japanese_goes_as_unicode_with_a_long_client_ref_cut_to_40() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sms/json"))
        .respond_with(ok_parts(&["0A0000000123ABCD2", "0A0000000123ABCD3"]))
        .mount(&server)
        .await;
    let text = "認証コード: 4F7K2Q（5分有効）。他人に教えないでください。".repeat(2);
    let key = "k".repeat(39) + "鍵鍵鍵";
    let message = Sms::new(
        PhoneNumber::parse_e164("+819012345678").expect("E.164"),
        Body::new(text.clone()),
        time::Duration::days(30),
        key,
    )
    .with_sender("+815012345678");
    let receipt = transport(&server).send(&message).await.expect("accepted");
    assert_eq!(
        receipt.message_id(),
        "0A0000000123ABCD2",
        "the first part's id"
    );
    let fields = sent_form(&server).await;
    assert_eq!(field(&fields, "type"), Some("unicode"));
    assert_eq!(field(&fields, "text"), Some(text.as_str()));
    assert_eq!(field(&fields, "to"), Some("819012345678"));
    assert_eq!(field(&fields, "from"), Some("815012345678"));
    let client_ref = field(&fields, "client-ref").expect("client-ref");
    assert_eq!(client_ref.chars().count(), 40);
    assert!(client_ref.ends_with('鍵'));
    assert_eq!(
        field(&fields, "ttl"),
        Some("604800000"),
        "clamped to 7 days"
    );
}

#[tokio::test]
async fn a_short_validity_is_raised_to_vonages_minimum_ttl() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok_parts(&["0A0000000123ABCD1"]))
        .mount(&server)
        .await;
    transport(&server)
        .send(&sms_valid(
            "+14155550100",
            "code",
            time::Duration::seconds(3),
        ))
        .await
        .expect("accepted");
    assert_eq!(field(&sent_form(&server).await, "ttl"), Some("20000"));
}

async fn status_error(statuses: &[&str]) -> smsotp::transport::TransportError {
    let server = MockServer::start().await;
    let messages: Vec<_> = statuses
        .iter()
        .map(|s| {
            if *s == "0" {
                json!({"to": "14155550100", "message-id": "0A0000000123ABCD1", "status": "0"})
            } else {
                json!({"status": s, "error-text": "Missing to param for +14155550100"})
            }
        })
        .collect();
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"message-count": statuses.len().to_string(), "messages": messages}),
        ))
        .mount(&server)
        .await;
    let err = transport(&server)
        .send(&sms("+14155550100", "Your code is 4F7K2Q"))
        .await
        .expect_err("refused");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("+14155550100") && !shown.contains("4F7K2Q")
    );
    err
}

#[tokio::test]
async fn http_200_with_a_failing_status_is_an_error_classified_per_the_table() {
    let cases = [
        ("1", TransportErrorKind::Throttled),
        ("5", TransportErrorKind::Unavailable),
        ("10", TransportErrorKind::Unavailable),
        ("3", TransportErrorKind::InvalidNumber),
        ("6", TransportErrorKind::InvalidNumber),
        ("33", TransportErrorKind::InvalidNumber),
        ("7", TransportErrorKind::Blocked),
        ("4", TransportErrorKind::Unauthorized),
        ("8", TransportErrorKind::Unauthorized),
        ("14", TransportErrorKind::Unauthorized),
        ("2", TransportErrorKind::Rejected),
        ("9", TransportErrorKind::Rejected),
        ("11", TransportErrorKind::Rejected),
        ("15", TransportErrorKind::Rejected),
        ("29", TransportErrorKind::Rejected),
        ("32", TransportErrorKind::Rejected),
    ];
    for (status, kind) in cases {
        let err = status_error(&[status]).await;
        assert_eq!(err.kind(), kind, "status {status}");
        assert_eq!(
            err.provider_status(),
            Some(format!("status {status}").as_str())
        );
    }
}

#[tokio::test]
async fn any_failing_part_fails_the_send() {
    // Nothing accepted: the failing part's own classification stands.
    assert_eq!(
        status_error(&["1", "1"]).await.kind(),
        TransportErrorKind::Throttled
    );
    // One part already accepted: sending again would repeat it, so it is not retryable.
    let err = status_error(&["0", "1"]).await;
    assert_eq!(err.kind(), TransportErrorKind::BadResponse);
    assert!(!err.is_retryable());
    // A bad number stays a bad number.
    assert_eq!(
        status_error(&["0", "3"]).await.kind(),
        TransportErrorKind::InvalidNumber
    );
}

#[tokio::test]
async fn unreadable_answers_are_bad_responses_and_http_errors_follow_the_status() {
    for (response, kind) in [
        (ResponseTemplate::new(200), TransportErrorKind::BadResponse),
        (
            ResponseTemplate::new(200).set_body_json(json!({"message-count": "0", "messages": []})),
            TransportErrorKind::BadResponse,
        ),
        (
            ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html"),
            TransportErrorKind::BadResponse,
        ),
        (ResponseTemplate::new(401), TransportErrorKind::Unauthorized),
        (ResponseTemplate::new(503), TransportErrorKind::Unavailable),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let err = transport(&server)
            .send(&sms("+14155550100", "code"))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), kind);
    }
}

#[test]
fn configuration_comes_from_the_documented_variables() {
    let vars: HashMap<&str, &str> = HashMap::from([
        ("VONAGE_API_KEY", KEY),
        ("VONAGE_API_SECRET", SECRET),
        ("VONAGE_FROM", "AcmeInc"),
        ("VONAGE_BASE_URL", "http://127.0.0.1:9/"),
    ]);
    let transport = VonageBuilder::from_lookup(|k| vars.get(k).map(|v| (*v).to_owned()))
        .and_then(VonageBuilder::build)
        .expect("complete");
    assert!(!format!("{transport:?}").contains(SECRET));

    let missing = HashMap::from([("VONAGE_API_KEY", KEY), ("VONAGE_FROM", "AcmeInc")]);
    let err = VonageBuilder::from_lookup(|k| missing.get(k).map(|v| (*v).to_owned()))
        .expect_err("secret missing");
    assert!(matches!(
        err,
        TransportConfigError::MissingVar("VONAGE_API_SECRET")
    ));

    let bad_url = HashMap::from([
        ("VONAGE_API_KEY", KEY),
        ("VONAGE_API_SECRET", SECRET),
        ("VONAGE_FROM", "AcmeInc"),
        ("VONAGE_BASE_URL", "not a url with s3cr3t"),
    ]);
    let err = VonageBuilder::from_lookup(|k| bad_url.get(k).map(|v| (*v).to_owned()))
        .expect_err("bad url");
    assert!(matches!(
        err,
        TransportConfigError::MalformedVar {
            var: "VONAGE_BASE_URL",
            ..
        }
    ));
    assert!(!err.to_string().contains("s3cr3t"));
}
