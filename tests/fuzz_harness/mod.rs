//! The fuzz harness shared by `tests/fuzz.rs` (stable, seeded, run by `cargo test`)
//! and the `cargo fuzz` targets under `fuzz/` (nightly, libFuzzer).
//!
//! Each [`Target`] takes arbitrary bytes and hands them to one parser of untrusted
//! input, checking what must hold for *any* input: no panic, a typed error or a
//! well-formed value, and for values the invariants listed per target. Time per input
//! and memory per input are bounded by the drivers, not here.
//!
//! The bytes are also given structure where a parser needs it (receipts: a URL line,
//! header lines, a blank line, then the body). Receipt targets run each input twice:
//! as generated, which must always be refused (the harness never signed it with the
//! parser's key, so acceptance would be a forgery), and again with a correct signature
//! computed here, independently of the crate, so that what lies behind the signature
//! check (body and field parsing) is fuzzed too.
#![allow(dead_code)] // Each driver uses only part of the harness.

use smsotp::code::{Alphabet, CodeSpec};
use smsotp::message::{EmbeddedSigil, Locale, MessageTemplate, segments};
use smsotp::otp::{MAX_URI_LEN, OtpAuthUri, UriError};
use smsotp::phone::{PhoneNumber, Region};
use smsotp::recovery::{RecoveryCodes, RecoverySet};

/// One parser under fuzz.
pub struct Target {
    /// The name used by `FUZZ_TARGET` and by the `cargo fuzz` binary.
    pub name: &'static str,
    /// Well-formed inputs that mutations start from.
    pub seeds: &'static [&'static str],
    /// Fragments that generated inputs are assembled from.
    pub tokens: &'static [&'static str],
    /// Runs the parser on one input and returns how many parses accepted it (so a
    /// driver can tell that inputs get past the first refusal); panics only on a
    /// broken invariant.
    pub run: fn(&[u8]) -> usize,
}

/// Every target, in a fixed order.
pub fn targets() -> Vec<Target> {
    // Targets behind features are pushed below; without them nothing is.
    #[cfg_attr(
        not(any(
            feature = "phonenumber",
            feature = "twilio",
            feature = "vonage",
            feature = "webhook"
        )),
        allow(unused_mut)
    )]
    let mut all = vec![
        Target {
            name: "code",
            seeds: &["4F7K2Q", "4f7-k2q", "４Ｆ７Ｋ２Ｑ", "123 456", "12-34-56"],
            tokens: &[
                "4", "F", "0", "O", "1", "I", "l", "-", " ", "\u{3000}", "ー", "。", "５",
                "\u{FF21}", "\u{2212}", "\u{00A0}", ".", "é", "\u{200B}",
            ],
            run: code,
        },
        Target {
            name: "phone",
            seeds: &[
                "090-1234-5678",
                "+81 90-1234-5678",
                "0081 90 1234 5678",
                "(415) 555-0100",
                "011 44 7700 900123",
                "+44 07700 900123",
                "0151 23456789",
                "＋８１　９０－１２３４－５６７８",
                "+1 415 555 0100",
            ],
            tokens: &[
                "+", "0", "00", "010", "011", "81", "1", "44", "49", "90", "050", "020", "060",
                "-", " ", "(", ")", "/", ".", "＋", "０", "９", "－", "ー", "（", "\u{3000}",
                "12345678", "5",
            ],
            run: phone,
        },
        Target {
            name: "phone_e164",
            seeds: &[
                "+819012345678",
                "+14155550100",
                "+447700900123",
                "+4915123456789",
            ],
            tokens: &[
                "+", "0", "1", "81", "44", "49", "90", "9", "5", "12345678", " ", "٣",
            ],
            run: phone_e164,
        },
        Target {
            // Ids come back from forms, URLs and cookies: untrusted text.
            name: "challenge_id",
            seeds: &[
                "q83vEjRWeJq83vEjRWeJq83vEjQ",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "____________________________",
                "q83vEjRWeJq83vEjRWeJqw",
            ],
            tokens: &["A", "w", "Q", "-", "_", "+", "/", "=", " ", "é", "\u{FF21}"],
            run: challenge_id,
        },
        Target {
            name: "otpauth",
            seeds: &[
                "otpauth://totp/ACME%20Co:john@example.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
                "otpauth://hotp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=7&digits=8",
                "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA512",
            ],
            tokens: &[
                "otpauth://",
                "totp",
                "hotp",
                "/",
                ":",
                "?",
                "&",
                "=",
                "%",
                "%20",
                "%3A",
                "%FF",
                "secret",
                "issuer",
                "algorithm",
                "digits",
                "period",
                "counter",
                "SHA1",
                "SHA256",
                "SHA512",
                "6",
                "8",
                "30",
                "0",
                "99999999999999999999",
                "JBSWY3DP",
                "=",
                "#",
            ],
            run: otpauth,
        },
        Target {
            name: "template",
            seeds: &[
                "Code {code}, valid {minutes} min.",
                "{code} is your code\n\n@example.com #{code}",
                "認証コード：{code}（{minutes}分）",
            ],
            tokens: &[
                "{code}",
                "{minutes}",
                "{",
                "}",
                "{{",
                "}}",
                "@",
                "#",
                "\n",
                "\r\n",
                " ",
                "%",
                "example.com",
                "xn--",
                "é",
                "€",
                "😀",
                "\u{0000}",
                "{cod",
                "A",
            ],
            run: template,
        },
        Target {
            name: "recovery",
            seeds: &[
                "ABCDE-FGH23",
                "abcde fgh23",
                "smsotp-recovery/v1 length=10\n$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            ],
            tokens: &[
                "smsotp-recovery/v1",
                " length=",
                "10",
                "\n",
                "$argon2id$",
                "$argon2i$",
                "v=19$",
                "m=8,t=1,p=1$",
                "m=4294967295,t=1,p=1$",
                "c2FsdHNhbHRzYWx0c2FsdA$",
                "AAAA",
                "-",
                " ",
                "Ａ",
                "2",
                "3",
            ],
            run: recovery,
        },
    ];
    #[cfg(feature = "phonenumber")]
    all.push(Target {
        name: "phone_metadata",
        seeds: &[
            "090-1234-5678",
            "+81 90-1234-5678",
            "(415) 555-0100",
            "+44 7911 123456",
            "+33 6 12 34 56 78",
        ],
        tokens: &[
            "+", "0", "00", "010", "011", "81", "1", "44", "33", "49", "90", "6", "7", "-", " ",
            "(", ")", "＋", "０", "９", "－", "12345678", "5",
        ],
        run: phone_metadata,
    });
    #[cfg(feature = "twilio")]
    all.push(Target {
        name: "receipt_twilio",
        seeds: &[
            "https://app.example.com/status?x=1\ncontent-type: application/x-www-form-urlencoded\nx-twilio-signature: 0/KCTR6DLpKmkAf8muzZqo1nDgQ=\n\nMessageSid=SM1&MessageStatus=delivered&ErrorCode=30003",
            "https://app.example.com:8443/s?bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\nx-twilio-signature: AAAA\n\n{\"MessageSid\":\"SM1\",\"MessageStatus\":\"failed\",\"ErrorCode\":30001}",
        ],
        tokens: &[
            "https://", "http://", "[::1]", ":443", ":80", ":", "@", "/", "?", "&", "=", "'", "%27",
            "%", "+", "#", "\n", "x-twilio-signature: ", "MessageSid=", "SmsSid=",
            "MessageStatus=", "delivered", "failed", "undelivered", "ErrorCode=", "bodySHA256=",
            "{", "}", "\"", ",", "\n\n",
        ],
        run: receipt_twilio,
    });
    #[cfg(feature = "vonage")]
    all.push(Target {
        name: "receipt_vonage",
        seeds: &[
            "https://app.example.com/dlr?messageId=0A1&status=delivered&timestamp=1767225600&sig=d2e7b1dc968737c5998ad624e02f90b7\n\n",
            "https://app.example.com/dlr\ncontent-type: application/json\n\n{\"messageId\":\"0A1\",\"status\":\"failed\",\"err-code\":\"7\",\"timestamp\":\"1767225600\",\"sig\":\"00\"}",
        ],
        tokens: &[
            "messageId=", "status=", "err-code=", "timestamp=", "sig=", "&", "=", "delivered",
            "failed", "rejected", "expired", "content-type: application/json\n", "{", "}", "\"",
            ":", ",", "null", "[]", "1767225600", "%26", "%3D", "\n\n",
        ],
        run: receipt_vonage,
    });
    #[cfg(feature = "vonage")]
    all.push(Target {
        name: "receipt_vonage_jwt",
        seeds: &[
            "https://app.example.com/status\nauthorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3NjcyMjU2MDB9.AAAA\n\n{\"message_uuid\":\"aaaa\",\"status\":\"rejected\",\"error\":{\"title\":\"1250\"}}",
        ],
        tokens: &[
            "authorization: Bearer ", "eyJ", ".", "-", "_", "\n\n", "{", "}", "\"message_uuid\"",
            "\"status\"", ":", ",", "\"delivered\"", "\"rejected\"", "\"error\"", "\"title\"",
            "1360", "null", "1e999", "\\u0000",
        ],
        run: receipt_vonage_jwt,
    });
    #[cfg(feature = "webhook")]
    all.push(Target {
        name: "receipt_webhook",
        seeds: &[
            "https://app.example.com/hook\nwebhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek\nwebhook-timestamp: 1767225600\nwebhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1a,AAAA\n\n{\"message_id\":\"gw-1\",\"status\":\"failed\",\"permanent\":false,\"error_code\":42}",
        ],
        tokens: &[
            "webhook-id: ", "webhook-timestamp: ", "webhook-signature: ", "v1,", "v1a,", "v2,",
            " ", "msg_", "smsotp-out_", ".", "1767225600", "-1", "99999999999999999999", "\n",
            "\n\n", "{", "}", "\"message_id\"", "\"status\"", "\"delivered\"", "\"failed\"",
            "\"permanent\"", "true", ":", ",",
        ],
        run: receipt_webhook,
    });
    all
}

/// The target named `name`.
pub fn target(name: &str) -> Option<Target> {
    targets().into_iter().find(|t| t.name == name)
}

/// Runs the target named `name` on `data` (for the `cargo fuzz` binaries, which name
/// their target once and call this per input).
///
/// # Panics
/// When no target has that name, or on a broken invariant.
pub fn run(name: &str, data: &[u8]) -> usize {
    use std::sync::OnceLock;
    type Run = fn(&[u8]) -> usize;
    static ALL: OnceLock<Vec<(&'static str, Run)>> = OnceLock::new();
    let all = ALL.get_or_init(|| targets().into_iter().map(|t| (t.name, t.run)).collect());
    let run = all
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, run)| *run)
        .unwrap_or_else(|| panic!("no fuzz target named {name}"));
    run(data)
}

/// The input as text: lossy, so that every input reaches the parser.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

fn code(data: &[u8]) -> usize {
    let mut accepted = 0;
    let input = text(data);
    let specs = [
        CodeSpec::builder().build().expect("default spec"),
        CodeSpec::builder()
            .alphabet(Alphabet::digits())
            .length(7)
            .build()
            .expect("digits"),
    ];
    for spec in &specs {
        if let Ok(code) = spec.normalise(&input) {
            let symbols = spec.alphabet().symbols();
            assert_eq!(code.expose().chars().count(), spec.length());
            assert!(code.expose().chars().all(|c| symbols.contains(c)));
            // A code is its own normal form.
            let again = spec.normalise(code.expose()).expect("a code normalises");
            assert_eq!(again.expose(), code.expose());
            accepted += 1;
        }
    }
    accepted
}

fn challenge_id(data: &[u8]) -> usize {
    let input = text(data);
    let Ok(id) = input.parse::<smsotp::ChallengeId>() else {
        return 0;
    };
    // Exactly one text per id: what parses is what the id prints.
    assert_eq!(id.to_string(), input);
    assert_eq!(id.to_string().len(), 27);
    1
}

const REGIONS: [Region; 8] = [
    Region::JP,
    Region::US,
    Region::CA,
    Region::GB,
    Region::DE,
    Region::FR,
    Region::KR,
    Region::IN,
];

fn phone(data: &[u8]) -> usize {
    let mut accepted = 0;
    let input = text(data);
    for region in REGIONS {
        if let Ok(number) = PhoneNumber::parse(&input, region) {
            // Whatever was accepted is strict E.164 and reads back the same.
            let e164 = number.as_e164();
            let back = PhoneNumber::parse_e164(e164).expect("parse gives E.164");
            assert_eq!(back.as_e164(), e164);
            // Display is masked: never the full number.
            assert_ne!(number.to_string(), e164);
            accepted += 1;
        }
    }
    if let Some(region) = data.get(..2).and_then(|c| std::str::from_utf8(c).ok()) {
        let _ = Region::from_code(region);
    }
    accepted
}

#[cfg(feature = "phonenumber")]
fn phone_metadata(data: &[u8]) -> usize {
    let mut accepted = 0;
    let input = text(data);
    for region in REGIONS {
        if let Ok(number) = PhoneNumber::parse_with_metadata(&input, region) {
            let e164 = number.as_e164();
            let back = PhoneNumber::parse_e164(e164).expect("metadata parse gives E.164");
            assert_eq!(back.as_e164(), e164);
            accepted += 1;
        }
    }
    accepted
}

fn phone_e164(data: &[u8]) -> usize {
    let mut accepted = 0;
    let input = text(data);
    if let Ok(number) = PhoneNumber::parse_e164(&input) {
        assert_eq!(number.as_e164(), &*input);
        assert!(input.len() <= 16);
        accepted += 1;
    }
    accepted
}

fn otpauth(data: &[u8]) -> usize {
    let mut accepted = 0;
    if let Ok(uri) = OtpAuthUri::parse(&text(data)) {
        // What was read writes back out, and reads back the same. The writer escapes
        // more than the reader requires (a raw `é` is read, `%C3%A9` written), so a
        // URI near the length limit can write out longer than the limit; the 1M-case
        // run found this. Reading that back is then a typed `TooLong`, which is fine.
        let written = uri.expose_uri();
        match OtpAuthUri::parse(&written) {
            Ok(again) => {
                assert_eq!(again.account(), uri.account());
                assert_eq!(again.issuer(), uri.issuer());
            }
            Err(UriError::TooLong { .. }) if written.len() > MAX_URI_LEN => {}
            Err(e) => panic!("a written URI does not parse: {e:?}"),
        }
        assert!(!format!("{uri:?}").contains("secret="));
        accepted += 1;
    }
    accepted
}

fn template(data: &[u8]) -> usize {
    let mut accepted = 0;
    let input = text(data);
    if let Ok(t) = MessageTemplate::custom(&input) {
        let body = t.render("4F7K2Q", 5);
        let _ = segments(body.expose());
        accepted += 1;
    }
    // The same bytes as every other free-text setting.
    let mut t = MessageTemplate::new(&*input, Locale::Ja);
    if let Ok(with) = t.clone().with_purpose(&input) {
        t = with;
        accepted += 1;
    }
    if let Ok(with) = t.clone().with_origin(&input) {
        t = with;
    }
    if let Ok(with) = t
        .clone()
        .with_embedded_origin(&input, EmbeddedSigil::Percent)
    {
        t = with;
    }
    if let Ok(with) = t.clone().with_app_hash(&input) {
        t = with;
    }
    let body = t.render("4F7K2Q", 10);
    assert!(body.expose().contains("4F7K2Q"));
    let _ = body.segments();
    accepted
}

/// A one-code set with the cheapest Argon2 settings, made once: redeeming well-formed
/// input hashes it, so the cost must stay small.
fn recovery_set() -> RecoverySet {
    use std::sync::OnceLock;
    static SET: OnceLock<RecoverySet> = OnceLock::new();
    SET.get_or_init(|| {
        RecoveryCodes::new()
            .count(1)
            .argon2_params(8, 1, 1)
            .generate()
            .expect("generate")
            .1
    })
    .clone()
}

fn recovery(data: &[u8]) -> usize {
    let mut accepted = 0;
    let input = text(data);
    let mut set = recovery_set();
    if set.redeem(&input).is_ok() {
        accepted += 1;
    }
    if let Ok(stored) = RecoverySet::from_stored(&input) {
        // Reading is not redeeming: a hostile stored set is only parsed here (its
        // Argon2 cost settings are the application's own data).
        assert!(stored.remaining() <= 100);
        let again = RecoverySet::from_stored(&stored.to_stored()).expect("round trip");
        assert_eq!(again.remaining(), stored.remaining());
        accepted += 1;
    }
    accepted
}

/// A callback written as text: the URL line, `name: value` header lines, a blank line,
/// then the body (raw bytes).
pub struct RawCallback {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawCallback {
    pub fn read(data: &[u8]) -> Self {
        let split = data
            .windows(2)
            .position(|w| w == b"\n\n")
            .unwrap_or(data.len());
        let head = text(data.get(..split).unwrap_or_default()).into_owned();
        let body = data.get(split + 2..).unwrap_or_default().to_vec();
        let mut lines = head.split('\n');
        let url = lines.next().unwrap_or_default().to_owned();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Self { url, headers, body }
    }

    pub fn set_header(&mut self, name: &str, value: String) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value));
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[cfg(feature = "http")]
    pub fn with<R>(&self, f: impl FnOnce(&smsotp::transport::receipts::Callback<'_>) -> R) -> R {
        let callback = smsotp::transport::receipts::Callback::new(
            &self.url,
            self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &self.body,
        );
        f(&callback)
    }
}

/// The time every receipt target reads callbacks at.
#[cfg(feature = "http")]
pub const NOW: i64 = 1_767_225_600;

#[cfg(feature = "http")]
fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(NOW).expect("valid")
}

#[cfg(feature = "http")]
fn check_report(
    result: Result<smsotp::transport::DeliveryReport, smsotp::transport::receipts::ReceiptError>,
) -> usize {
    match result {
        Ok(report) => {
            assert!(!report.message_id.is_empty());
            1
        }
        Err(_) => 0,
    }
}

/// The first pass of a receipt target: the input as generated, which the harness did
/// not sign with the parser's key, so accepting it would be accepting a forgery.
#[cfg(feature = "http")]
fn unsigned(
    result: Result<smsotp::transport::DeliveryReport, smsotp::transport::receipts::ReceiptError>,
) {
    assert!(
        result.is_err(),
        "a callback the harness did not sign was accepted: {result:?}"
    );
}

#[cfg(feature = "http")]
fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(feature = "http")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(feature = "twilio")]
fn receipt_twilio(data: &[u8]) -> usize {
    let mut accepted = 0;
    use hmac::{Hmac, KeyInit, Mac};
    use smsotp::transport::receipts::{DeliveryReceipts, TwilioReceipts};
    let receipts = TwilioReceipts::new(secrecy::SecretString::from("fuzz-token"));
    let mut raw = RawCallback::read(data);
    unsigned(raw.with(|c| receipts.parse(c, now())));
    // Signed as Twilio documents it: the URL, then each name and distinct value,
    // sorted; only the URL when it carries bodySHA256 (and then the hash must match).
    let mut signed = raw.url.clone();
    if raw.url.contains("bodySHA256=") {
        use sha2::Digest as _;
        let hash = hex(&sha2::Sha256::digest(&raw.body));
        signed = format!("{}&bodySHA256={hash}", raw.url);
        raw.url.clone_from(&signed);
    } else {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(&raw.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        pairs.sort();
        pairs.dedup();
        for (k, v) in pairs {
            signed.push_str(&k);
            signed.push_str(&v);
        }
    }
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(b"fuzz-token").expect("key");
    mac.update(signed.as_bytes());
    raw.set_header(
        "X-Twilio-Signature",
        base64_std(&mac.finalize().into_bytes()),
    );
    accepted += check_report(raw.with(|c| receipts.parse(c, now())));
    accepted
}

#[cfg(feature = "vonage")]
fn receipt_vonage(data: &[u8]) -> usize {
    let mut accepted = 0;
    use smsotp::transport::receipts::{DeliveryReceipts, VonageReceipts, VonageSignatureMethod};
    let receipts = VonageReceipts::new(
        secrecy::SecretString::from("fuzz-secret"),
        VonageSignatureMethod::Md5Hash,
    );
    let mut raw = RawCallback::read(data);
    unsigned(raw.with(|c| receipts.parse(c, now())));
    // Re-signed (md5hash) over the query's parameters with a fresh timestamp, so the
    // report fields behind the signature are read. The body is dropped: which
    // parameters a body adds is the parser's business, the signature is ours.
    let path = raw.url.split('?').next().unwrap_or_default().to_owned();
    let query = raw.url.split_once('?').map_or("", |(_, q)| q).to_owned();
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(k, _)| k != "sig" && k != "timestamp")
        .collect();
    pairs.push(("timestamp".to_owned(), NOW.to_string()));
    pairs.sort();
    let mut signing = String::new();
    for (k, v) in &pairs {
        signing.push('&');
        signing.push_str(k);
        signing.push('=');
        signing.extend(
            v.chars()
                .map(|c| if c == '&' || c == '=' { '_' } else { c }),
        );
    }
    signing.push_str("fuzz-secret");
    use md5::Digest as _;
    let sig = hex(&md5::Md5::digest(signing.as_bytes()));
    let mut url = form_urlencoded::Serializer::new(format!("{path}?"));
    for (k, v) in &pairs {
        url.append_pair(k, v);
    }
    url.append_pair("sig", &sig);
    raw.url = url.finish();
    raw.body.clear();
    accepted += check_report(raw.with(|c| receipts.parse(c, now())));
    accepted
}

#[cfg(feature = "vonage")]
fn receipt_vonage_jwt(data: &[u8]) -> usize {
    let mut accepted = 0;
    use base64::Engine as _;
    use hmac::{Hmac, KeyInit, Mac};
    use smsotp::transport::receipts::{DeliveryReceipts, VonageMessagesReceipts};
    let receipts = VonageMessagesReceipts::new(secrecy::SecretString::from("fuzz-secret"));
    let mut raw = RawCallback::read(data);
    unsigned(raw.with(|c| receipts.parse(c, now())));
    // Re-signed: HS256 over a fresh header and claims binding this body.
    use sha2::Digest as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let claims = format!(
        r#"{{"iat":{NOW},"jti":"fuzz","payload_hash":"{}"}}"#,
        hex(&sha2::Sha256::digest(&raw.body))
    );
    let signed = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims.as_bytes())
    );
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(b"fuzz-secret").expect("key");
    mac.update(signed.as_bytes());
    let token = format!("{signed}.{}", b64(&mac.finalize().into_bytes()));
    raw.set_header("authorization", format!("Bearer {token}"));
    accepted += check_report(raw.with(|c| receipts.parse(c, now())));
    accepted
}

#[cfg(feature = "webhook")]
fn receipt_webhook(data: &[u8]) -> usize {
    let mut accepted = 0;
    use hmac::{Hmac, KeyInit, Mac};
    use smsotp::transport::receipts::{DeliveryReceipts, WebhookReceipts};
    use smsotp::transport::{WebhookPublicKey, WebhookSecret};
    const SECRET: &[u8] = b"0123456789abcdef01234567";
    // RFC 8032 section 7.1 TEST 1.
    const SEED: [u8; 32] = [
        0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c,
        0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae,
        0x7f, 0x60,
    ];
    let symmetric =
        WebhookReceipts::new(WebhookSecret::parse(&base64_std(SECRET)).expect("secret"));
    let signing = ed25519_dalek::SigningKey::from_bytes(&SEED);
    let asymmetric = WebhookReceipts::ed25519(
        WebhookPublicKey::parse(&base64_std(signing.verifying_key().as_bytes()))
            .expect("public key"),
    );
    let mut raw = RawCallback::read(data);
    unsigned(raw.with(|c| symmetric.parse(c, now())));
    unsigned(raw.with(|c| asymmetric.parse(c, now())));
    // Re-signed both ways over the fuzzed id and body, at a fresh timestamp.
    let id = raw.header("webhook-id").unwrap_or_default().to_owned();
    let mut message = format!("{id}.{NOW}.").into_bytes();
    message.extend_from_slice(&raw.body);
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(SECRET).expect("key");
    mac.update(&message);
    use ed25519_dalek::Signer as _;
    let v1a = signing.sign(&message);
    raw.set_header("webhook-timestamp", NOW.to_string());
    raw.set_header(
        "webhook-signature",
        format!(
            "v1,{} v1a,{}",
            base64_std(&mac.finalize().into_bytes()),
            base64_std(&v1a.to_bytes())
        ),
    );
    let a = raw.with(|c| symmetric.parse(c, now()));
    let b = raw.with(|c| asymmetric.parse(c, now()));
    // Both schemes read the same callback the same way.
    assert_eq!(a, b);
    accepted += check_report(a);
    accepted
}

/// A seeded generator of inputs: splitmix64 driving random bytes, token strings,
/// and mutations of the seeds. The same seed gives the same inputs everywhere.
pub struct Gen {
    state: u64,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % n.max(1) as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }

    /// A length: mostly short, sometimes long, rarely very long (to catch work that
    /// grows faster than the input).
    fn length(&mut self) -> usize {
        match self.below(1000) {
            0..=899 => self.below(64),
            900..=994 => self.below(4096),
            _ => self.below(65_536),
        }
    }

    /// One input for `target`.
    pub fn input(&mut self, target: &Target) -> Vec<u8> {
        match self.below(10) {
            // Random bytes.
            0 | 1 => (0..self.length()).map(|_| self.next_u64() as u8).collect(),
            // Tokens strung together.
            2..=4 => {
                let want = self.length();
                let mut out = Vec::new();
                while out.len() < want {
                    out.extend_from_slice(self.pick(target.tokens).as_bytes());
                }
                out
            }
            // A seed, mutated.
            _ => {
                let mut out = self.pick(target.seeds).as_bytes().to_vec();
                for _ in 0..=self.below(8) {
                    self.mutate(&mut out, target);
                }
                out
            }
        }
    }

    fn mutate(&mut self, data: &mut Vec<u8>, target: &Target) {
        let at = self.below(data.len() + 1);
        match self.below(6) {
            0 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << self.below(8);
            }
            1 if !data.is_empty() => {
                let end = (at + 1 + self.below(8)).min(data.len());
                data.drain(at.min(end)..end);
            }
            2 => {
                let byte = self.next_u64() as u8;
                data.insert(at, byte);
            }
            3 => {
                let token = self.pick(target.tokens).as_bytes().to_vec();
                data.splice(at..at, token);
            }
            4 => {
                // Repeat a slice many times: long runs of one construct.
                let end = (at + 1 + self.below(16)).min(data.len());
                let chunk = data
                    .get(at..end)
                    .unwrap_or_default()
                    .repeat(self.below(2000));
                data.splice(at..at, chunk);
            }
            _ => data.truncate(at),
        }
    }
}
