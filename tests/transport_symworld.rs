//! The Symworld CPaaS adapter against a local mock server: token fetch and caching
//! (timed by a ManualClock), the submit request, and the result_code table.
#![cfg(feature = "symworld")]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::sms;
use secrecy::SecretString;
use serde_json::{Value, json};
use smsotp::ManualClock;
use smsotp::transport::{
    SmsTransport, SymworldBuilder, SymworldTransport, TransportConfigError, TransportErrorKind,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use wiremock::matchers::{basic_auth, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sym-key-01";
const SECRET: &str = "sym-s3cr3t";
const START: OffsetDateTime = datetime!(2026-03-01 09:00:00 UTC);

fn token_answer(jwt: &str, valid_until: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "account": {"account_id": KEY, "product": "SMS"},
        "jwt_token": jwt,
        "token_valid_until": valid_until,
    }))
}

async fn mount_token(server: &MockServer, jwt: &str, valid_until: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path("/auth/v1/token"))
        .and(basic_auth(KEY, SECRET))
        .and(header("accept", "application/json"))
        .respond_with(token_answer(jwt, valid_until))
        .expect(times)
        .mount(server)
        .await;
}

async fn mount_submit(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/sms/v1/submit"))
        .respond_with(response)
        .mount(server)
        .await;
}

fn transport(server: &MockServer, clock: &ManualClock) -> SymworldTransport {
    SymworldTransport::builder(KEY, SecretString::from(SECRET), "RakutenOTP")
        .base_url(server.uri())
        .clock(clock.clone())
        .build()
        .expect("valid config")
}

async fn submits(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("recorded")
        .into_iter()
        .filter(|r| r.url.path() == "/sms/v1/submit")
        .collect()
}

#[tokio::test]
async fn fetches_a_token_then_submits_json_with_the_bearer_token() {
    let server = MockServer::start().await;
    mount_token(&server, "jwt-A", "2026/03/01 09:15:00", 1).await;
    Mock::given(method("POST"))
        .and(path("/sms/v1/submit"))
        .and(header("authorization", "Bearer jwt-A"))
        .and(header("content-type", "application/json; charset=UTF-8"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message_id": "m-123"})))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(START);
    let receipt = transport(&server, &clock)
        .send(&sms("+819012345678", "認証コード: 4F7K2Q"))
        .await
        .expect("accepted");
    assert_eq!(receipt.provider(), "symworld");
    assert_eq!(receipt.message_id(), "m-123");

    let requests = submits(&server).await;
    let body: Value = serde_json::from_slice(&requests[0].body).expect("JSON");
    assert_eq!(
        body,
        json!({
            "from": "RakutenOTP",
            "to": "819012345678",
            "message_type": "unicode",
            "unicode_message": {"text": "認証コード: 4F7K2Q"},
            "client_reference": "idem-0123456789abcdef",
        })
    );
}

#[tokio::test]
async fn gsm_bodies_go_as_text_messages() {
    let server = MockServer::start().await;
    mount_token(&server, "jwt-A", "2026/03/01 09:15:00", 1).await;
    mount_submit(&server, ResponseTemplate::new(200)).await;
    let clock = ManualClock::new(START);
    let receipt = transport(&server, &clock)
        .send(&sms("+819012345678", "Code 4F7K2Q\nDo not share").with_sender("+815012345678"))
        .await
        .expect("accepted");
    // An empty success body: the receipt falls back to our client reference.
    assert_eq!(receipt.message_id(), "idem-0123456789abcdef");
    let body: Value = serde_json::from_slice(&submits(&server).await[0].body).expect("JSON");
    assert_eq!(body["message_type"], "text");
    assert_eq!(body["text_message"]["text"], "Code 4F7K2Q\nDo not share");
    assert_eq!(body["from"], "+815012345678");
    assert!(body.get("unicode_message").is_none());
}

#[tokio::test]
async fn the_token_is_reused_until_shortly_before_it_expires() {
    let server = MockServer::start().await;
    mount_submit(&server, ResponseTemplate::new(200)).await;
    let clock = ManualClock::new(START);
    let symworld = transport(&server, &clock);
    {
        let _first = Mock::given(method("GET"))
            .and(path("/auth/v1/token"))
            .respond_with(token_answer("jwt-A", "2026/03/01 09:15:00"))
            .expect(1)
            .mount_as_scoped(&server)
            .await;
        for _ in 0..3 {
            symworld
                .send(&sms("+819012345678", "code"))
                .await
                .expect("sent");
            clock.advance(Duration::minutes(4));
        }
        // 09:12 now; the token is good until 09:14 (a minute's margin before 09:15).
        clock.advance(Duration::minutes(1) + Duration::seconds(59));
        symworld
            .send(&sms("+819012345678", "code"))
            .await
            .expect("sent");
    }
    Mock::given(method("GET"))
        .and(path("/auth/v1/token"))
        .respond_with(token_answer("jwt-B", "2026/03/01 09:29:01"))
        .expect(1)
        .mount(&server)
        .await;
    clock.advance(Duration::seconds(2));
    symworld
        .send(&sms("+819012345678", "code"))
        .await
        .expect("sent");
    symworld
        .send(&sms("+819012345678", "code"))
        .await
        .expect("sent");
    let auth: Vec<String> = submits(&server)
        .await
        .iter()
        .map(|r| {
            r.headers["authorization"]
                .to_str()
                .expect("ascii")
                .to_owned()
        })
        .collect();
    assert_eq!(
        auth,
        [
            "Bearer jwt-A",
            "Bearer jwt-A",
            "Bearer jwt-A",
            "Bearer jwt-A",
            "Bearer jwt-B",
            "Bearer jwt-B"
        ]
    );
}

#[tokio::test]
async fn a_token_claiming_a_longer_life_is_still_refreshed_after_15_minutes() {
    let server = MockServer::start().await;
    mount_token(&server, "jwt-A", "2026/03/02 09:00:00", 2).await;
    mount_submit(&server, ResponseTemplate::new(200)).await;
    let clock = ManualClock::new(START);
    let symworld = transport(&server, &clock);
    symworld
        .send(&sms("+819012345678", "code"))
        .await
        .expect("sent");
    clock.advance(Duration::minutes(14) + Duration::seconds(1));
    symworld
        .send(&sms("+819012345678", "code"))
        .await
        .expect("sent");
}

#[tokio::test]
async fn concurrent_sends_share_one_token_fetch() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/auth/v1/token"))
        .respond_with(
            token_answer("jwt-A", "2026/03/01 09:15:00")
                .set_delay(std::time::Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_submit(&server, ResponseTemplate::new(200)).await;
    let clock = ManualClock::new(START);
    let symworld = Arc::new(transport(&server, &clock));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let symworld = symworld.clone();
        tasks.spawn(async move { symworld.send(&sms("+819012345678", "code")).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("task").expect("sent");
    }
    assert_eq!(submits(&server).await.len(), 16);
}

#[tokio::test]
async fn a_refused_token_is_fetched_again_and_the_submit_retried_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/auth/v1/token"))
        .respond_with(token_answer("jwt-old", "2026/03/01 09:15:00"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/auth/v1/token"))
        .respond_with(token_answer("jwt-new", "2026/03/01 09:15:00"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sms/v1/submit"))
        .and(header("authorization", "Bearer jwt-old"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"result_code": "2", "result_message": "Authentication failure"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sms/v1/submit"))
        .and(header("authorization", "Bearer jwt-new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message_id": "m-9"})))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(START);
    let receipt = transport(&server, &clock)
        .send(&sms("+819012345678", "code"))
        .await
        .expect("accepted on the second try");
    assert_eq!(receipt.message_id(), "m-9");
}

#[tokio::test]
async fn result_codes_are_classified_per_the_providers_table() {
    let cases = [
        ("-1", TransportErrorKind::Unavailable),
        ("1", TransportErrorKind::Throttled),
        ("99", TransportErrorKind::Unavailable),
        ("201", TransportErrorKind::Unavailable),
        ("102", TransportErrorKind::InvalidNumber),
        ("200", TransportErrorKind::InvalidNumber),
        ("113", TransportErrorKind::Blocked),
        ("2", TransportErrorKind::Unauthorized),
        ("110", TransportErrorKind::Unauthorized),
        ("112", TransportErrorKind::Unauthorized),
        ("100", TransportErrorKind::Rejected),
        ("101", TransportErrorKind::Rejected),
        ("104", TransportErrorKind::Rejected),
        ("111", TransportErrorKind::Rejected),
        ("-4", TransportErrorKind::Rejected),
    ];
    for (code, kind) in cases {
        let server = MockServer::start().await;
        mount_token(&server, "jwt-A", "2026/03/01 09:15:00", 1).await;
        mount_submit(
            &server,
            ResponseTemplate::new(400).set_body_json(json!({
                "result_code": code, "result_message": "refused", "client_reference": "idem"
            })),
        )
        .await;
        let clock = ManualClock::new(START);
        let err = transport(&server, &clock)
            .send(&sms("+819012345678", "code 4F7K2Q"))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), kind, "result_code {code}");
        assert_eq!(err.provider_status(), Some(code));
        let retry_flag = matches!(code, "-1" | "1" | "99" | "201");
        assert_eq!(err.is_retryable(), retry_flag, "retry flag of {code}");
    }
}

#[tokio::test]
async fn token_failures_are_classified_and_never_submit() {
    for (response, kind) in [
        (ResponseTemplate::new(401), TransportErrorKind::Unauthorized),
        (ResponseTemplate::new(503), TransportErrorKind::Unavailable),
        // Nothing was submitted, so even an unreadable token answer may be retried.
        (
            ResponseTemplate::new(200).set_body_raw("<html>login</html>", "text/html"),
            TransportErrorKind::Unavailable,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/auth/v1/token"))
            .respond_with(response)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&server)
            .await;
        let clock = ManualClock::new(START);
        let err = transport(&server, &clock)
            .send(&sms("+819012345678", "code"))
            .await
            .expect_err("no token");
        assert_eq!(err.kind(), kind);
        assert!(!format!("{err:?}").contains(SECRET));
    }
}

#[tokio::test]
async fn unreadable_success_and_server_errors() {
    for (response, kind) in [
        (
            ResponseTemplate::new(200).set_body_raw("<html>ok</html>", "text/html"),
            TransportErrorKind::BadResponse,
        ),
        (ResponseTemplate::new(500), TransportErrorKind::Unavailable),
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "2"),
            TransportErrorKind::Throttled,
        ),
    ] {
        let server = MockServer::start().await;
        mount_token(&server, "jwt-A", "2026/03/01 09:15:00", 1).await;
        mount_submit(&server, response).await;
        let clock = ManualClock::new(START);
        let err = transport(&server, &clock)
            .send(&sms("+819012345678", "code"))
            .await
            .expect_err("fails");
        assert_eq!(err.kind(), kind);
    }
}

#[test]
fn configuration_comes_from_the_documented_variables() {
    let full = HashMap::from([
        ("SYMWORLD_API_KEY", KEY),
        ("SYMWORLD_API_SECRET", SECRET),
        ("SYMWORLD_FROM", "RakutenOTP"),
        ("SYMWORLD_BASE_URL", "https://sandbox.example.net/base/"),
    ]);
    let built = SymworldBuilder::from_lookup(|k| full.get(k).map(|v| (*v).to_owned()))
        .and_then(SymworldBuilder::build)
        .expect("complete");
    let shown = format!("{built:?}");
    assert!(!shown.contains(SECRET));
    assert!(
        shown.contains("https://sandbox.example.net/base/sms/v1/submit"),
        "{shown}"
    );

    let no_from = HashMap::from([("SYMWORLD_API_KEY", KEY), ("SYMWORLD_API_SECRET", SECRET)]);
    let err = SymworldBuilder::from_lookup(|k| no_from.get(k).map(|v| (*v).to_owned()))
        .expect_err("incomplete");
    assert!(matches!(
        err,
        TransportConfigError::MissingVar("SYMWORLD_FROM")
    ));

    let colon = HashMap::from([
        ("SYMWORLD_API_KEY", "key:with-colon"),
        ("SYMWORLD_API_SECRET", SECRET),
        ("SYMWORLD_FROM", "RakutenOTP"),
    ]);
    let err = SymworldBuilder::from_lookup(|k| colon.get(k).map(|v| (*v).to_owned()))
        .expect_err("malformed");
    assert!(matches!(
        err,
        TransportConfigError::MalformedVar {
            var: "SYMWORLD_API_KEY",
            ..
        }
    ));
    assert!(!err.to_string().contains("key:with-colon"));
}
