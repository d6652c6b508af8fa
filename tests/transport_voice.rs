//! The voice adapters against local mock servers that check each request the way the
//! providers' public docs describe it: Twilio Programmable Voice (a form POST to
//! `Calls.json` with inline TwiML) and the Vonage Voice API (a JSON POST to `/v1/calls`
//! with an NCCO `talk` action, authorised by an RS256 application JWT).
#![cfg(all(feature = "twilio", feature = "vonage-voice"))]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{field, form};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier as _;
use serde_json::{Value, json};
use smsotp::message::{Locale, Speech};
use smsotp::transport::{
    Call, TransportErrorKind, TwilioTransport, VoiceTransport, VonageVoiceBuilder,
    VonageVoiceTransport,
};
use smsotp::{ManualClock, PhoneNumber};
use time::macros::datetime;
use wiremock::matchers::{basic_auth, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tok-3f9a1c7e55d2";
const CALLS: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json";
const APP_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";
const PRIVATE_KEY: &str = include_str!("fixtures/vonage_test_key.pem");
const PUBLIC_KEY: &str = include_str!("fixtures/vonage_test_key.pub.pem");

fn call(locale: Locale) -> Call {
    let speech = Speech::render("4KX7QP", "Acme", locale).unwrap();
    Call::new(
        PhoneNumber::parse_e164("+819012345678").unwrap(),
        speech,
        "4KX7QP",
        "challenge-2".to_owned(),
    )
    .repeated(2)
}

fn twilio(server: &MockServer) -> TwilioTransport {
    TwilioTransport::builder(SID, TOKEN)
        .from("AcmeOTP")
        .voice_from("+15005550006")
        .status_callback("https://app.example.com/voice/status")
        .base_url(server.uri())
        .build()
        .unwrap()
}

#[tokio::test]
async fn twilio_creates_a_call_with_inline_twiml() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALLS))
        .and(basic_auth(SID, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "CA0123456789abcdef0123456789abcdef", "status": "queued"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let receipt = twilio(&server).call(&call(Locale::Ja)).await.unwrap();
    assert_eq!(receipt.provider(), "twilio");
    assert_eq!(receipt.message_id(), "CA0123456789abcdef0123456789abcdef");

    let requests = server.received_requests().await.unwrap();
    let sent = form(&requests[0].body);
    // Twilio's Calls resource takes To and From (a number of the account: the SMS
    // sender id "AcmeOTP" could not place a call) and either Url or Twiml.
    assert_eq!(field(&sent, "To"), Some("+819012345678"));
    assert_eq!(field(&sent, "From"), Some("+15005550006"));
    assert_eq!(
        field(&sent, "StatusCallback"),
        Some("https://app.example.com/voice/status")
    );
    assert_eq!(field(&sent, "Url"), None);
    let twiml = field(&sent, "Twiml").unwrap();
    assert!(
        twiml.starts_with("<Response><Say language=\"ja-JP\" loop=\"2\">"),
        "{twiml}"
    );
    assert!(twiml.ends_with("</Say></Response>"), "{twiml}");
    assert!(
        !twiml.contains("<speak>"),
        "<Say> takes SSML elements, not a root"
    );
    assert_eq!(twiml.matches("キロのケー").count(), 2, "the code, twice");
}

#[tokio::test]
async fn twilio_voice_errors_are_classified_and_need_a_caller_number() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALLS))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 21211, "message": "The 'To' number +819012345678 is not valid.",
            "status": 400
        })))
        .mount(&server)
        .await;
    let err = twilio(&server).call(&call(Locale::En)).await.unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::InvalidNumber);
    assert!(!err.to_string().contains("819012345678"), "{err}");

    // An alphanumeric sender id cannot call, and nothing else was configured.
    let no_caller = TwilioTransport::builder(SID, TOKEN)
        .from("AcmeOTP")
        .base_url(server.uri())
        .build()
        .unwrap();
    let err = no_caller.call(&call(Locale::En)).await.unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Rejected);
}

fn vonage(server: &MockServer) -> VonageVoiceTransport {
    VonageVoiceTransport::builder(APP_ID, PRIVATE_KEY, "+15551230000")
        .event_url("https://app.example.com/voice/events")
        .base_url(server.uri())
        .clock(ManualClock::new(datetime!(2026-11-25 09:00 UTC)))
        .build()
        .unwrap()
}

/// Checks a Vonage application JWT: RS256 over `header.payload` with the
/// application's key, and the claims Vonage requires.
fn check_jwt(request: &Request) -> Value {
    let auth = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .expect("an Authorization header");
    let token = auth.strip_prefix("Bearer ").expect("a bearer token");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    let key: VerifyingKey<sha2::Sha256> = VerifyingKey::from_public_key_pem(PUBLIC_KEY).unwrap();
    let signature =
        Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("signed with the application's private key");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["application_id"], APP_ID);
    let iat = datetime!(2026-11-25 09:00 UTC).unix_timestamp();
    assert_eq!(claims["iat"], iat, "from the injected clock");
    assert_eq!(claims["exp"], iat + 300);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    claims
}

#[tokio::test]
async fn vonage_places_a_call_with_a_talk_action_and_a_signed_jwt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/calls"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "uuid": "63f61863-4a51-4f6b-86e1-46edebcf9356",
            "status": "started",
            "direction": "outbound",
            "conversation_uuid": "CON-f972836a-550f-45fa-956c-12a2ab5b7d22"
        })))
        .expect(2)
        .mount(&server)
        .await;
    let transport = vonage(&server);
    let receipt = transport.call(&call(Locale::En)).await.unwrap();
    assert_eq!(receipt.provider(), "vonage");
    assert_eq!(receipt.message_id(), "63f61863-4a51-4f6b-86e1-46edebcf9356");
    transport.call(&call(Locale::En)).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let first = check_jwt(&requests[0]);
    let second = check_jwt(&requests[1]);
    assert_ne!(first["jti"], second["jti"], "a fresh token per call");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    // Vonage takes numbers as digits without "+".
    assert_eq!(
        body["to"],
        json!([{"type": "phone", "number": "819012345678"}])
    );
    assert_eq!(
        body["from"],
        json!({"type": "phone", "number": "15551230000"})
    );
    assert_eq!(
        body["event_url"],
        json!(["https://app.example.com/voice/events"])
    );
    let talk = &body["ncco"][0];
    assert_eq!(talk["action"], "talk");
    assert_eq!(talk["language"], "en-US");
    assert_eq!(talk["loop"], 2);
    let text = talk["text"].as_str().unwrap();
    assert!(text.starts_with("<speak>") && text.ends_with("</speak>"));
    assert_eq!(text.matches("K as in kilo").count(), 2);
}

#[tokio::test]
async fn vonage_voice_errors_are_classified() {
    for (status, kind) in [
        (401, TransportErrorKind::Unauthorized),
        (429, TransportErrorKind::Throttled),
        (503, TransportErrorKind::Unavailable),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/calls"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "type": "https://developer.nexmo.com/api-errors#unauthorized",
                "title": "Invalid credentials supplied"
            })))
            .mount(&server)
            .await;
        let err = vonage(&server).call(&call(Locale::Ja)).await.unwrap_err();
        assert_eq!(err.kind(), kind, "HTTP {status}");
    }
}

#[test]
fn vonage_voice_config_is_checked_and_read_from_the_environment() {
    assert!(
        VonageVoiceTransport::builder(APP_ID, "not a key", "+15551230000")
            .build()
            .is_err()
    );
    assert!(
        VonageVoiceTransport::builder(APP_ID, PRIVATE_KEY, "fifteen")
            .build()
            .is_err()
    );
    // A PEM kept on one line with "\n" escapes, as environments often hold it.
    let escaped = PRIVATE_KEY.replace('\n', "\\n");
    let vars = [
        ("VONAGE_APPLICATION_ID", APP_ID.to_owned()),
        ("VONAGE_PRIVATE_KEY", escaped),
        ("VONAGE_VOICE_FROM", "+15551230000".to_owned()),
    ];
    let built = VonageVoiceBuilder::from_lookup(|name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
    .build()
    .unwrap();
    assert!(!format!("{built:?}").contains("PRIVATE KEY"));
}
