//! The Twilio adapter against a local mock server: the request it sends (checked
//! against Twilio's own OpenAPI description) and how it reads answers.
#![cfg(feature = "twilio")]

mod common;

use std::collections::HashMap;

use common::{field, form, sms, sms_valid};
use secrecy::SecretString;
use serde_json::{Value, json};
use smsotp::transport::{
    SmsTransport, TransportConfigError, TransportErrorKind, TwilioBuilder, TwilioTransport,
};
use wiremock::matchers::{basic_auth, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tok-3f9a1c7e55d2";
const MG: &str = "MG0123456789abcdef0123456789abcdef";
const MESSAGES: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

fn created(sid: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "sid": sid, "status": "queued", "num_segments": "1", "error_code": null,
        "api_version": "2010-04-01"
    }))
}

fn transport(server: &MockServer) -> TwilioTransport {
    // A plain &str is enough: the crate re-exports the secret type it takes.
    TwilioTransport::builder(SID, TOKEN)
        .from("+15005550006")
        .status_callback("https://app.example.com/sms/status")
        .base_url(server.uri())
        .build()
        .expect("valid config")
}

/// The `CreateMessageRequest` schema and the operation's conditional groups, from the
/// vendored extract of Twilio's OpenAPI description.
struct CreateMessageSpec {
    doc: Value,
    schema: Value,
    conditional: Vec<Vec<String>>,
}

impl CreateMessageSpec {
    fn load() -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/twilio_create_message.openapi.json"
        );
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture"))
            .expect("fixture is JSON");
        let op = &doc["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]["post"];
        let schema =
            op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"].clone();
        assert_eq!(schema["title"], "CreateMessageRequest");
        let conditional = op["x-twilio"]["conditional"]
            .as_array()
            .expect("conditional groups")
            .iter()
            .map(|g| {
                g.as_array()
                    .expect("group")
                    .iter()
                    .map(|n| n.as_str().expect("name").to_owned())
                    .collect()
            })
            .collect();
        Self {
            doc,
            schema,
            conditional,
        }
    }

    fn resolve<'a>(&'a self, prop: &'a Value) -> &'a Value {
        match prop["$ref"].as_str() {
            Some(r) => {
                let name = r.trim_start_matches("#/components/schemas/");
                &self.doc["components"]["schemas"][name]
            }
            None => prop,
        }
    }

    /// Every way `fields` breaks the schema; empty when it conforms.
    fn violations(&self, fields: &[(String, String)]) -> Vec<String> {
        let mut out = Vec::new();
        let props = self.schema["properties"].as_object().expect("properties");
        for required in self.schema["required"].as_array().expect("required") {
            let name = required.as_str().expect("name");
            if !fields.iter().any(|(k, _)| k == name) {
                out.push(format!("required {name} missing"));
            }
        }
        for group in &self.conditional {
            let present = group
                .iter()
                .any(|snake| fields.iter().any(|(k, _)| snake_case(k) == *snake));
            if !present {
                out.push(format!("none of {group:?} present"));
            }
        }
        let e164 = regex::Regex::new(r"^\+[1-9]\d{1,14}$").expect("re");
        for (name, value) in fields {
            let Some(prop) = props.get(name) else {
                out.push(format!("{name} is not a property of CreateMessageRequest"));
                continue;
            };
            let prop = self.resolve(prop);
            match prop["type"].as_str() {
                Some("integer") => match value.parse::<i64>() {
                    Ok(n) => {
                        let (min, max) = integer_bounds(prop);
                        if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                            out.push(format!("{name}={n} outside {min:?}..={max:?}"));
                        }
                    }
                    Err(_) => out.push(format!("{name} is not an integer")),
                },
                Some("boolean") if value != "true" && value != "false" => {
                    out.push(format!("{name} is not a boolean"));
                }
                Some("number") if value.parse::<f64>().is_err() => {
                    out.push(format!("{name} is not a number"));
                }
                _ => {}
            }
            if let Some(pattern) = prop["pattern"].as_str()
                && !regex::Regex::new(pattern).expect("pattern").is_match(value)
            {
                out.push(format!("{name} does not match {pattern}"));
            }
            let len = value.chars().count() as u64;
            if prop["minLength"].as_u64().is_some_and(|m| len < m)
                || prop["maxLength"].as_u64().is_some_and(|m| len > m)
            {
                out.push(format!("{name} has a bad length"));
            }
            if let Some(options) = prop["enum"].as_array()
                && !options.iter().any(|o| o == value.as_str())
            {
                out.push(format!("{name} is not one of its enum values"));
            }
            match prop["format"].as_str() {
                Some("phone-number") if !e164.is_match(value) => {
                    out.push(format!("{name} is not E.164"));
                }
                Some("uri") if !(value.starts_with("https://") || value.starts_with("http://")) => {
                    out.push(format!("{name} is not an http(s) URI"));
                }
                _ => {}
            }
        }
        out
    }
}

/// `minimum`/`maximum` when the schema has them, else the range its description
/// states ("integers from `1` to `36000`"), as Twilio's spec does for ValidityPeriod.
fn integer_bounds(prop: &Value) -> (Option<i64>, Option<i64>) {
    if prop["minimum"].is_i64() || prop["maximum"].is_i64() {
        return (prop["minimum"].as_i64(), prop["maximum"].as_i64());
    }
    let description = prop["description"].as_str().unwrap_or("");
    let re = regex::Regex::new(r"from `(\d+)` to `(\d+)`").expect("re");
    re.captures(description)
        .map_or((None, None), |c| (c[1].parse().ok(), c[2].parse().ok()))
}

fn snake_case(pascal: &str) -> String {
    let mut out = String::new();
    for (i, ch) in pascal.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

#[test]
fn the_schema_check_catches_bad_requests() {
    // The validator must be able to fail, or passing it proves nothing.
    let spec = CreateMessageSpec::load();
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let good = f(&[
        ("To", "+14155552671"),
        ("From", "+15005550006"),
        ("Body", "hi"),
    ]);
    assert!(
        spec.violations(&good).is_empty(),
        "{:?}",
        spec.violations(&good)
    );
    assert!(
        !spec
            .violations(&f(&[("From", "+15005550006"), ("Body", "hi")]))
            .is_empty()
    );
    assert!(
        !spec
            .violations(&f(&[("To", "+14155552671"), ("Body", "hi")]))
            .is_empty()
    );
    assert!(
        !spec
            .violations(&f(&[("To", "+14155552671"), ("From", "+15005550006")]))
            .is_empty()
    );
    let mut bad_validity = good.clone();
    bad_validity.push(("ValidityPeriod".into(), "36001".into()));
    assert!(!spec.violations(&bad_validity).is_empty());
    let mut unknown = good.clone();
    unknown.push(("Validity".into(), "60".into()));
    assert!(!spec.violations(&unknown).is_empty());
    let mut bad_mg = good.clone();
    bad_mg.push(("MessagingServiceSid".into(), "MGnothex".into()));
    assert!(!spec.violations(&bad_mg).is_empty());
}

#[tokio::test]
async fn sends_a_form_post_that_matches_twilios_openapi_description() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(basic_auth(SID, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(created("SM0123456789abcdef0123456789abcdef"))
        .expect(1)
        .mount(&server)
        .await;

    let receipt = transport(&server)
        .send(&sms("+819012345678", "Your code is 4F7K2Q"))
        .await
        .expect("accepted");
    assert_eq!(receipt.provider(), "twilio");
    assert_eq!(receipt.message_id(), "SM0123456789abcdef0123456789abcdef");

    let requests = server.received_requests().await.expect("recorded");
    let request = requests.first().expect("one request");
    let fields = form(&request.body);
    let violations = CreateMessageSpec::load().violations(&fields);
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(field(&fields, "To"), Some("+819012345678"));
    assert_eq!(field(&fields, "From"), Some("+15005550006"));
    assert_eq!(field(&fields, "Body"), Some("Your code is 4F7K2Q"));
    assert_eq!(field(&fields, "ValidityPeriod"), Some("300"));
    assert_eq!(
        field(&fields, "StatusCallback"),
        Some("https://app.example.com/sms/status")
    );
    let ua = request.headers.get("user-agent").expect("user agent");
    assert_eq!(
        ua.to_str().expect("ascii"),
        format!("smsotp/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn japanese_bodies_are_sent_as_utf8_form_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(created("SM0123456789abcdef0123456789abcde0"))
        .mount(&server)
        .await;
    let text = "認証コード: 4F7K2Q（5分有効）";
    transport(&server)
        .send(&sms("+819012345678", text))
        .await
        .expect("accepted");
    let requests = server.received_requests().await.expect("recorded");
    let fields = form(&requests[0].body);
    assert_eq!(field(&fields, "Body"), Some(text));
    assert!(CreateMessageSpec::load().violations(&fields).is_empty());
}

#[tokio::test]
async fn validity_is_clamped_to_twilios_range_and_a_messaging_service_can_send() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .respond_with(created("SM0123456789abcdef0123456789abcdef"))
        .mount(&server)
        .await;
    let twilio = TwilioTransport::builder(SID, SecretString::from(TOKEN))
        .messaging_service_sid(MG)
        .base_url(server.uri())
        .build()
        .expect("valid config");
    let spec = CreateMessageSpec::load();
    for (validity, expected) in [
        (time::Duration::seconds(0), "1"),
        (time::Duration::milliseconds(-5), "1"),
        (time::Duration::hours(20), "36000"),
        (time::Duration::seconds(90), "90"),
    ] {
        twilio
            .send(&sms_valid("+14155552671", "code 4F7K2Q", validity))
            .await
            .expect("accepted");
        let requests = server.received_requests().await.expect("recorded");
        let fields = form(&requests.last().expect("request").body);
        assert_eq!(field(&fields, "ValidityPeriod"), Some(expected));
        assert_eq!(field(&fields, "MessagingServiceSid"), Some(MG));
        assert_eq!(field(&fields, "From"), None);
        assert!(
            spec.violations(&fields).is_empty(),
            "{:?}",
            spec.violations(&fields)
        );
    }
}

#[tokio::test]
async fn the_sms_sender_overrides_the_configured_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(created("SM0123456789abcdef0123456789abcdef"))
        .mount(&server)
        .await;
    transport(&server)
        .send(&sms("+14155552671", "code").with_sender("+15005550001"))
        .await
        .expect("accepted");
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(
        field(&form(&requests[0].body), "From"),
        Some("+15005550001")
    );
}

async fn error_for(status: u16, body: Value) -> smsotp::transport::TransportError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    transport(&server)
        .send(&sms("+14155552671", "code 4F7K2Q"))
        .await
        .expect_err("refused")
}

#[tokio::test]
async fn error_codes_are_classified_per_twilios_table() {
    let cases = [
        (400, 21211, TransportErrorKind::InvalidNumber),
        (400, 21614, TransportErrorKind::InvalidNumber),
        (400, 21612, TransportErrorKind::InvalidNumber),
        (400, 21610, TransportErrorKind::Blocked),
        (401, 20003, TransportErrorKind::Unauthorized),
        (429, 20429, TransportErrorKind::Throttled),
        (400, 21408, TransportErrorKind::Rejected),
        (400, 21606, TransportErrorKind::Rejected),
        (400, 21999, TransportErrorKind::Rejected),
        (503, 20500, TransportErrorKind::Unavailable),
    ];
    for (status, code, kind) in cases {
        let err = error_for(
            status,
            json!({"code": code, "message": "The 'To' number +14155552671 is not valid",
                   "more_info": "https://www.twilio.com/docs/errors/x", "status": status}),
        )
        .await;
        assert_eq!(err.kind(), kind, "code {code}");
        assert_eq!(err.provider_status(), Some(code.to_string().as_str()));
        // Twilio's message quotes the number; ours must not.
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("+14155552671"), "{shown}");
        assert!(!shown.contains(TOKEN));
    }
    assert!(
        error_for(400, json!({"code": 21211}))
            .await
            .is_about_number()
    );
    assert!(!error_for(401, json!({"code": 20003})).await.is_retryable());
    assert!(error_for(429, json!({"code": 20429})).await.is_retryable());
}

#[test]
fn from_lookup_reads_the_documented_variables() {
    let vars: HashMap<&str, &str> = HashMap::from([
        ("TWILIO_ACCOUNT_SID", SID),
        ("TWILIO_AUTH_TOKEN", TOKEN),
        ("TWILIO_FROM", MG),
        ("TWILIO_BASE_URL", "http://127.0.0.1:9"),
    ]);
    let builder =
        TwilioBuilder::from_lookup(|k| vars.get(k).map(|v| (*v).to_owned())).expect("complete");
    let shown = format!("{builder:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    let transport = builder.build().expect("valid");
    let shown = format!("{transport:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains(MG));
}

#[test]
fn configuration_errors_name_the_variable_never_its_value() {
    let check = |vars: &[(&str, &str)], expect: &dyn Fn(&TransportConfigError) -> bool| {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        let err = TwilioBuilder::from_lookup(|k| map.get(k).map(|v| (*v).to_owned()))
            .and_then(TwilioBuilder::build)
            .expect_err("refused");
        assert!(expect(&err), "{err:?}");
        for (_, value) in vars {
            if value.len() > 3 {
                assert!(!err.to_string().contains(value), "{err}");
            }
        }
        err
    };
    check(&[], &|e| {
        matches!(e, TransportConfigError::MissingVar("TWILIO_ACCOUNT_SID"))
    });
    check(
        &[("TWILIO_ACCOUNT_SID", SID), ("TWILIO_FROM", "+15005550006")],
        &|e| matches!(e, TransportConfigError::MissingVar("TWILIO_AUTH_TOKEN")),
    );
    let err = check(
        &[
            ("TWILIO_ACCOUNT_SID", "AC-secret-looking-value"),
            ("TWILIO_AUTH_TOKEN", TOKEN),
        ],
        &|e| {
            matches!(
                e,
                TransportConfigError::MalformedVar {
                    var: "TWILIO_ACCOUNT_SID",
                    ..
                }
            )
        },
    );
    assert!(err.to_string().contains("TWILIO_ACCOUNT_SID"));
    check(
        &[
            ("TWILIO_ACCOUNT_SID", SID),
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("TWILIO_FROM", "MGshort"),
        ],
        &|e| {
            matches!(
                e,
                TransportConfigError::MalformedVar {
                    var: "TWILIO_FROM",
                    ..
                }
            )
        },
    );
    check(
        &[
            ("TWILIO_ACCOUNT_SID", SID),
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("TWILIO_FROM", "+15005550006"),
            ("TWILIO_BASE_URL", "ftp://user:pw@example.com"),
        ],
        &|e| {
            matches!(
                e,
                TransportConfigError::MalformedVar {
                    var: "TWILIO_BASE_URL",
                    ..
                }
            )
        },
    );
    check(
        &[
            ("TWILIO_ACCOUNT_SID", SID),
            ("TWILIO_AUTH_TOKEN", " padded-token"),
            ("TWILIO_FROM", "+15005550006"),
        ],
        &|e| {
            matches!(
                e,
                TransportConfigError::MalformedVar {
                    var: "TWILIO_AUTH_TOKEN",
                    ..
                }
            )
        },
    );
}

#[test]
fn a_sender_or_messaging_service_is_required() {
    let err = TwilioTransport::builder(SID, SecretString::from(TOKEN))
        .build()
        .expect_err("no sender");
    assert!(matches!(
        err,
        TransportConfigError::Invalid {
            setting: "sender",
            ..
        }
    ));
}
