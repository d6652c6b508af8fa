//! Receipt verifiers against the official SDKs' and specifications' own published
//! vectors. Each vector names the repository and file it comes from; where a value
//! had to be computed (the SDK test computes it at run time), the comment says how.
//!
//! Snapshots read: twilio/twilio-python 306691e7, twilio/twilio-node 45d3d65a,
//! standard-webhooks/standard-webhooks b2fa7b87, Vonage/vonage-python-sdk b308cb1e,
//! Vonage/vonage-node-sdk babd2d8c.

#[cfg(feature = "twilio")]
mod twilio {
    use secrecy::SecretString;
    use smsotp::transport::receipts::{
        Callback, DeliveryReceipts, DeliveryStatus, ReceiptError, TwilioReceipts,
    };
    use time::OffsetDateTime;

    /// twilio/twilio-python `tests/unit/test_request_validator.py` and
    /// twilio/twilio-node `spec/validation.spec.js`: token, URL and parameters.
    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const PARAMS: &str = "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
    const EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    fn verify(token: &str, url: &str, body: &str, sig: &str) -> Result<(), ReceiptError> {
        TwilioReceipts::new(SecretString::from(token)).verify(&Callback::new(
            url,
            [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Twilio-Signature", sig),
            ],
            body.as_bytes(),
        ))
    }

    #[test]
    fn the_sdks_base_vector_verifies() {
        verify(TOKEN, URL, PARAMS, EXPECTED).expect("test_validation");
        assert_eq!(
            verify(TOKEN, URL, PARAMS, "WRONG_SIGNATURE"),
            Err(ReceiptError::BadSignature)
        );
    }

    /// Both SDKs try the URL with any port removed and with the default port added
    /// (twilio-python `remove_port`/`add_port`, twilio-node `removePort`/`addPort`).
    #[test]
    fn any_port_is_stripped_and_the_default_port_added() {
        // test_validation_removes_port_on_https / "should validate https urls with
        // ports by stripping them": signed without the port, called on :1234.
        let on_1234 = URL.replace(".com", ".com:1234");
        verify(TOKEN, &on_1234, PARAMS, EXPECTED).expect("port 1234 stripped");
        // test_validation_removes_port_on_http: signed over the http URL with :1234.
        let http_1234 = on_1234.replace("https", "http");
        verify(TOKEN, &http_1234, PARAMS, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=").expect("http :1234");
        // test_validation_adds_port_on_https / _on_http: signed with :443 / :80.
        verify(TOKEN, URL, PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w=").expect(":443 added");
        let http = URL.replace("https", "http");
        verify(TOKEN, &http, PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4=").expect(":80 added");
    }

    /// twilio-node `spec/validation.spec.js`: URLs with credentials keep them.
    #[test]
    fn credentials_in_the_url_are_kept() {
        let creds = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
        verify(TOKEN, creds, PARAMS, "CukzLTc1tT5dXEDIHm/tKBanW10=").expect("with credentials");
        verify(TOKEN, creds, PARAMS, "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=").expect("credentials + :443");
        let user = "https://user@mycompany.com/myapp.php?foo=1&bar=2";
        verify(TOKEN, user, PARAMS, "2YRLlVAflCqxaNicjMpJcSTgzSs=").expect("just a username");
    }

    /// Repeated names: each distinct value once, sorted. twilio-python
    /// `test_compute_signature_duplicate_query_dict` and twilio-node "should validate
    /// request body with multiple params and values".
    #[test]
    fn repeated_values_are_signed_once_each_in_sorted_order() {
        let body = "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234";
        verify(TOKEN, URL, body, "IK+Dwps556ElfBT0I3Rgjkr1wJU=").expect("duplicates");
        // twilio-node "should validate request body with an array parameter
        // [regardless of the position of values]".
        for body in [
            "MessagingBinding.Address=%2B1325xxxxxxx&MessagingBinding.Address=%2B1415xxxxxxx",
            "MessagingBinding.Address=%2B1415xxxxxxx&MessagingBinding.Address=%2B1325xxxxxxx",
        ] {
            verify(TOKEN, URL, body, "83O6e2vORAoJHUNzJjDWN1jz+BA=").expect("array parameter");
        }
    }

    /// Stricter than the SDKs: as duplicates no longer change the signature, a field
    /// the report is read from must not carry two different values (which one counts
    /// would be the reader's guess).
    #[test]
    fn a_report_field_with_two_values_is_refused() {
        use base64::Engine as _;
        use hmac::{Hmac, KeyInit, Mac};
        let url = "https://app.example.com/status";
        let body = "MessageSid=SM1&MessageStatus=delivered&MessageStatus=failed";
        // Signed as Twilio would: URL, then the sorted distinct name+value pairs.
        let data = format!("{url}MessageSidSM1MessageStatusdeliveredMessageStatusfailed");
        let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(b"tok").expect("key");
        mac.update(data.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let callback = Callback::new(url, [("X-Twilio-Signature", sig.as_str())], body.as_bytes());
        let receipts = TwilioReceipts::new(SecretString::from("tok"));
        receipts
            .verify(&callback)
            .expect("the signature itself is good");
        assert!(matches!(
            receipts.parse(&callback, OffsetDateTime::UNIX_EPOCH),
            Err(ReceiptError::Malformed(_))
        ));
        // The same value twice is only a duplicate.
        let body = "MessageSid=SM1&MessageStatus=delivered&MessageStatus=delivered";
        let data = format!("{url}MessageSidSM1MessageStatusdelivered");
        let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(b"tok").expect("key");
        mac.update(data.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let callback = Callback::new(url, [("X-Twilio-Signature", sig.as_str())], body.as_bytes());
        let report = receipts
            .parse(&callback, OffsetDateTime::UNIX_EPOCH)
            .expect("duplicate");
        assert_eq!(report.status, DeliveryStatus::Delivered);
    }

    /// twilio-node `spec/unit/webhooks/webhooks.spec.js` (token "s3cr3t"): a quote in
    /// the query verifies whether it was signed raw or as `%27`. The SDK test computes
    /// each signature with `getExpectedTwilioSignature(token, serverUrl, {})`, i.e.
    /// base64 HMAC-SHA1 of the URL alone; the values below are that, computed once.
    #[test]
    fn quotes_in_the_query_verify_escaped_or_not() {
        let raw = "https://example.com/path?test=param'WithQuote";
        let escaped = "https://example.com/path?test=param%27WithQuote";
        let signed_raw = "GfI7onHX/KQ2k1oVS3cUTVk4IEw=";
        let signed_escaped = "HkuXLxVQ7zHv9LmGpzlLuGaxhJY=";
        for target in [raw, escaped] {
            for sig in [signed_raw, signed_escaped] {
                verify("s3cr3t", target, "", sig).expect("quote forms");
            }
        }
        // twilio-node `spec/validation.spec.js` "should validate urls with special
        // characters": Twilio signed the `'` as `%27`.
        let special = format!("{URL}&Body=It's+amazing");
        verify(TOKEN, &special, PARAMS, "TfZzewPq8wqrGlMfyAud8+/IvJ0=").expect("It's amazing");
        // Only the quote is normalised: another value still fails.
        assert_eq!(
            verify(
                "s3cr3t",
                "https://example.com/path?test=param2",
                "",
                signed_raw
            ),
            Err(ReceiptError::BadSignature)
        );
    }

    /// twilio-node `spec/unit/webhooks/webhooks.spec.js`: signed with or without
    /// `:443`, called with or without it.
    #[test]
    fn default_port_either_way() {
        let with = "https://example.com:443/path?test=param";
        let without = "https://example.com/path?test=param";
        for target in [with, without] {
            for sig in [
                "IdwMFypqvNxti3YgvWWmfcNL26M=",
                "loLgTitFAoWx57yy5oEU4Hlddzw=",
            ] {
                verify("s3cr3t", target, "", sig).expect("port forms");
            }
        }
        // "should return false when the signature URL does not match the target URL".
        assert_eq!(
            verify(
                "s3cr3t",
                "https://example.com/path?test=param2",
                "",
                "loLgTitFAoWx57yy5oEU4Hlddzw="
            ),
            Err(ReceiptError::BadSignature)
        );
    }

    /// JSON bodies: twilio-python `test_validation_of_body_succeeds`, twilio-node
    /// "should validate request body when given / when empty / with only sha param".
    #[test]
    fn json_bodies_sign_the_url_and_hash_the_body() {
        let body = r#"{"property": "value", "boolean": true}"#;
        let hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        let url = format!("{URL}&bodySHA256={hash}");
        verify(TOKEN, &url, body, "a9nBmqA0ju/hNViExpshrM61xv4=").expect("body hash");
        let empty = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        let url = format!("{URL}&bodySHA256={empty}");
        verify(TOKEN, &url, "{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc=").expect("empty object");
        let url = format!("https://mycompany.com/myapp.php?bodySHA256={hash}");
        verify(TOKEN, &url, body, "y77kIzt2vzLz71DgmJGsen2scGs=").expect("only the sha");
        // "should fail to validate with wrong sha": the body does not match the hash.
        assert_eq!(
            verify(TOKEN, &url, "{}", "y77kIzt2vzLz71DgmJGsen2scGs="),
            Err(ReceiptError::BadSignature)
        );
    }
}

#[cfg(feature = "webhook")]
mod standard_webhooks {
    use smsotp::transport::receipts::{Callback, DeliveryReceipts, ReceiptError, WebhookReceipts};
    use smsotp::transport::{WebhookPublicKey, WebhookSecret};
    use time::{Duration, OffsetDateTime};

    /// standard-webhooks `libraries/python/tests/test_webhooks.py` (`test_sign_function`).
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn at(ts: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(ts).expect("valid")
    }

    fn check(
        receipts: &WebhookReceipts,
        id: &str,
        sig: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<(), ReceiptError> {
        let ts = TS.to_string();
        let headers = [
            ("webhook-id", id),
            ("webhook-timestamp", ts.as_str()),
            ("webhook-signature", sig),
        ];
        receipts.verify(
            &Callback::new("https://app.example.com/hook", headers, body.as_bytes()),
            now,
        )
    }

    fn hmac_receipts(secret: &str) -> WebhookReceipts {
        WebhookReceipts::new(WebhookSecret::parse(secret).expect("secret"))
    }

    #[test]
    fn the_reference_vector_and_its_refusals() {
        let r = hmac_receipts(SECRET);
        check(&r, ID, SIG, BODY, at(TS)).expect("test_sign_function");
        // test_invalid_signature_raises_error.
        let bad = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";
        assert_eq!(
            check(&r, ID, bad, BODY, at(TS)),
            Err(ReceiptError::BadSignature)
        );
        // test_multi_sig_payload_is_valid: unknown versions and wrong v1s are skipped.
        let multi = format!(
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SIG} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
        );
        check(&r, ID, &multi, BODY, at(TS)).expect("one of several");
        // test_old_timestamp_fails / test_new_timestamp_fails: tolerance + 1 s.
        let limit = Duration::minutes(5) + Duration::seconds(1);
        for now in [at(TS) + limit, at(TS) - limit] {
            assert_eq!(
                check(&r, ID, SIG, BODY, now),
                Err(ReceiptError::StaleTimestamp)
            );
        }
        // test_invalid_timestamp_raises_error.
        let headers = [
            ("webhook-id", ID),
            ("webhook-timestamp", "hello"),
            ("webhook-signature", SIG),
        ];
        assert!(
            r.verify(
                &Callback::new("https://x", headers, BODY.as_bytes()),
                at(TS)
            )
            .is_err()
        );
    }

    /// Stricter than the references (which try every entry): only the first eight
    /// entries of the verifier's version are tried, so a header cannot multiply the
    /// work per request. Rotation needs two or three.
    #[test]
    fn only_the_first_eight_signatures_are_tried() {
        let wrong = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
        let r = hmac_receipts(SECRET);
        // Other versions do not count against the eight.
        let seventh_wrong = format!("{} v2,x v1a,y {SIG}", [wrong; 7].join(" "));
        check(&r, ID, &seventh_wrong, BODY, at(TS)).expect("eighth of our version");
        let eight_wrong = format!("{} {SIG}", [wrong; 8].join(" "));
        assert_eq!(
            check(&r, ID, &eight_wrong, BODY, at(TS)),
            Err(ReceiptError::BadSignature)
        );
        // A header over 8 KiB is refused unread.
        let huge = format!("{}{SIG}", "v2,x ".repeat(2000));
        assert!(matches!(
            check(&r, ID, &huge, BODY, at(TS)),
            Err(ReceiptError::Malformed(_))
        ));
    }

    /// `test_signature_verification_with_unpadded_secret`: the reference accepts
    /// secrets whose base64 padding was left off (it appends `==` and decodes
    /// leniently). The signatures are what the test's `PayloadForTesting` computes at
    /// the fixed timestamp: HMAC-SHA256 under the padded secret, computed once.
    #[test]
    fn unpadded_secrets_are_accepted() {
        for (secret, sig) in [
            (
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
            (
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
                "v1,LVOXivKoo4FWasi/IaHvzhE/u+7/cu2AME+zS/nXqzk=",
            ),
            (
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr",
                "v1,yK2tMbA6BHPrMEJ1lLv7UlJJbgFoqGenJkiajZ29evg=",
            ),
        ] {
            for text in [secret.to_owned(), format!("whsec_{secret}")] {
                check(&hmac_receipts(&text), ID, sig, BODY, at(TS)).expect("unpadded secret");
            }
        }
        // The padded form of the one-padding secret is the same key.
        check(
            &hmac_receipts("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS="),
            ID,
            "v1,LVOXivKoo4FWasi/IaHvzhE/u+7/cu2AME+zS/nXqzk=",
            BODY,
            at(TS),
        )
        .expect("padded");
        // Still refused: not base64 at all, or empty (test_empty_secret_raises_error).
        for text in ["whsec_", "", "whsec_***", "MfKQ9r8G KYqrTwjU"] {
            assert!(WebhookSecret::parse(text).is_err(), "{text:?}");
        }
    }

    /// The spec (`spec/standard-webhooks.md`, "Signature scheme"): the message id must
    /// "at the very least not be allowed to include any `.`". An id with a dot is
    /// refused even when the signature matches.
    #[test]
    fn ids_with_a_dot_are_refused() {
        use base64::Engine as _;
        use hmac::{Hmac, KeyInit, Mac};
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .expect("base64");
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).expect("key");
        mac.update(format!("msg_order.42.{TS}.{BODY}").as_bytes());
        let sig = format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        );
        assert!(matches!(
            check(&hmac_receipts(SECRET), "msg_order.42", &sig, BODY, at(TS)),
            Err(ReceiptError::Malformed(_))
        ));
    }

    /// Asymmetric `v1a` (Ed25519), `spec/standard-webhooks.md` "Signature scheme": the
    /// key pair is RFC 8032 section 7.1 TEST 1 (secret 9d61b1…7f60, public d75a98…511a),
    /// serialised `whpk_` + base64 as the spec says; the signature is Ed25519 over the
    /// reference vector's `msg_id.timestamp.payload`, computed once with an independent
    /// Ed25519 implementation (Node's crypto, which reproduces RFC 8032 TEST 1). None of
    /// the reference libraries ships a v1a vector.
    const PUBLIC_KEY: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    const V1A: &str = "v1a,fldxM4gAKugP6nnt1hdz3sgGfZ6d99nzrMFnZOELIxbzEHoVmAb2ADpkJK7zgPePmPsle0zV9jSeGlHFG2NVAw==";

    #[test]
    fn v1a_ed25519_signatures_verify() {
        let key = WebhookPublicKey::parse(PUBLIC_KEY).expect("public key");
        assert!(format!("{key:?}").starts_with("WebhookPublicKey"));
        let r = WebhookReceipts::ed25519(key);
        check(&r, ID, V1A, BODY, at(TS)).expect("v1a");
        check(&r, ID, &format!("{SIG} {V1A}"), BODY, at(TS)).expect("among others");
        assert_eq!(
            check(&r, ID, V1A, r#"{"test": 2432232315}"#, at(TS)),
            Err(ReceiptError::BadSignature)
        );
        // A verifier trusts only its own scheme: the HMAC signature means nothing to
        // the Ed25519 verifier, and the reverse.
        assert_eq!(
            check(&r, ID, SIG, BODY, at(TS)),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(
            check(&hmac_receipts(SECRET), ID, V1A, BODY, at(TS)),
            Err(ReceiptError::BadSignature)
        );
        // A v1a entry whose bytes are not a signature is just a non-match.
        assert_eq!(
            check(&r, ID, "v1a,AAAA v1a,*** v1a,", BODY, at(TS)),
            Err(ReceiptError::BadSignature)
        );
    }

    #[test]
    fn public_keys_are_checked() {
        // The secret-key prefix, wrong lengths and non-base64 are refused.
        for text in [
            "whsk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
            "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcH",
            "whpk_***",
            "",
        ] {
            assert!(WebhookPublicKey::parse(text).is_err(), "{text:?}");
        }
        // Without the prefix, and unpadded, as for secrets.
        WebhookPublicKey::parse("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo").expect("bare");
    }

    #[test]
    fn status_reports_signed_with_v1a_are_read() {
        // Independently signed with the RFC 8032 TEST 1 key, as above.
        let r = WebhookReceipts::ed25519(WebhookPublicKey::parse(PUBLIC_KEY).expect("key"));
        assert!(
            r.parse(
                &Callback::new(
                    "https://x",
                    [
                        ("webhook-id", ID),
                        ("webhook-timestamp", "1614265330"),
                        ("webhook-signature", V1A),
                    ],
                    BODY.as_bytes()
                ),
                at(TS)
            )
            .is_err_and(|e| matches!(e, ReceiptError::MissingField("message_id")))
        );
    }
}

#[cfg(feature = "vonage")]
mod vonage {
    use secrecy::SecretString;
    use smsotp::transport::receipts::{
        Callback, DeliveryReceipts, DeliveryStatus, ReceiptError, VonageMessagesReceipts,
        VonageReceipts, VonageSignatureMethod,
    };
    use time::OffsetDateTime;

    fn at(ts: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(ts).expect("valid")
    }

    fn check(
        method: VonageSignatureMethod,
        query: &str,
        now: OffsetDateTime,
    ) -> Result<(), ReceiptError> {
        VonageReceipts::new(SecretString::from("signature_secret"), method).verify(
            &Callback::new(&format!("https://app.example.com/dlr?{query}"), [], b""),
            now,
        )
    }

    /// Vonage/vonage-python-sdk `http_client/tests/test_auth.py`: secret
    /// `signature_secret`, `check_signature` and `sign_params` vectors. The Python SDK
    /// has no md5hash method and defaults to HMAC-MD5.
    #[test]
    fn the_python_sdks_vectors_verify() {
        let now = at(1_234_567_890);
        // test_check_signature_valid_signature (default method: HMAC-MD5).
        check(
            VonageSignatureMethod::HmacMd5,
            "param=value&timestamp=1234567890&sig=655a4d0b7f064dff438defc52b012cf5",
            now,
        )
        .expect("check_signature");
        // test_check_signature_invalid_signature.
        assert_eq!(
            check(
                VonageSignatureMethod::HmacMd5,
                "param=value&timestamp=1234567890&sig=invalid_signature",
                now,
            ),
            Err(ReceiptError::BadSignature)
        );
        // test_sign_params (sha256) and test_sign_params_default_sig_method (md5).
        check(
            VonageSignatureMethod::HmacSha256,
            "param1=value1&param2=value2&timestamp=1234567890&sig=280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287",
            now,
        )
        .expect("sha256");
        check(
            VonageSignatureMethod::HmacMd5,
            "param1=value1&param2=value2&timestamp=1234567890&sig=724c2bf6ca423c36e20631b11d1c5753",
            now,
        )
        .expect("md5 hmac");
        // test_sign_params_with_special_characters: `&` and `=` in values become `_`.
        check(
            VonageSignatureMethod::HmacMd5,
            "param1=value%261&param2=value%3D2&timestamp=1234567890&sig=2bbf0abafb2c55e5af6231513896a2ac",
            now,
        )
        .expect("special characters");
    }

    /// Vonage/vonage-python-sdk `jwt/tests/test_verify_jwt.py`: an HS256 token and the
    /// signature secret it verifies under (`verify_signature`).
    const SDK_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJPbmxpbmUgSldUIEJ1aWxkZXIiLCJpYXQiOjE2OTc2MzQ2ODAsImV4cCI6MzMyNTQ1NDA4MjgsImF1ZCI6IiIsInN1YiI6IiJ9.88vJc3I2HhuqEDixHXVhc9R30tA6U_HQHZTC29y6CGM";
    const SDK_SECRET: &str = "qwertyuiopasdfghjklzxcvbnm123456";

    fn messages(secret: &str) -> VonageMessagesReceipts {
        VonageMessagesReceipts::new(SecretString::from(secret))
    }

    #[test]
    fn the_sdks_jwt_vector_verifies() {
        let iat = at(1_697_634_680);
        messages(SDK_SECRET)
            .verify_token(SDK_TOKEN, iat)
            .expect("test_verify_signature_valid");
        // test_verify_signature_invalid / test_verify_signature_error.
        assert_eq!(
            messages("asdf").verify_token(SDK_TOKEN, iat),
            Err(ReceiptError::BadSignature)
        );
        assert!(messages(SDK_SECRET).verify_token("asdf", iat).is_err());
        // Stale: issued long before now (Vonage signs each attempt afresh).
        assert_eq!(
            messages(SDK_SECRET).verify_token(SDK_TOKEN, at(1_697_634_680 + 3600)),
            Err(ReceiptError::StaleTimestamp)
        );
    }

    /// A Messages API status webhook as the Vonage signed-webhooks page describes it
    /// (HS256 with the signature secret; claims `iat`, `jti`, `iss`, `payload_hash`
    /// = hex SHA-256 of the raw body, `api_key`, `application_id`). Body fields from
    /// the Messages API status schema. Token computed once with Node's crypto
    /// (independent of this crate) under the SDK test's secret.
    const BODY: &str = r#"{"message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab","to":"447700900000","from":"AcmeInc","timestamp":"2020-01-01T14:00:00.000Z","status":"delivered","channel":"sms","usage":{"currency":"EUR","price":"0.0333"}}"#;
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3NjcyMjU2MDAsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6IjQ2OGZkZDNkMTdjN2QxNWEwYmJjYTIwZDFkNDBhNDAxZTA2ZGYwZmJiYTRkNWYyZWIyY2JmM2FmMTE5NzdhMjAiLCJhcGlfa2V5IjoiYTFiMmMzZDQiLCJhcHBsaWNhdGlvbl9pZCI6ImFhYWFhYWFhLWJiYmItY2NjYy1kZGRkLTAxMjM0NTY3ODlhYiJ9.jvXyOPSvhsvKNkofkT8KQABab1eY2WcMWSGdQbL2ZkY";
    const IAT: i64 = 1_767_225_600;

    fn callback<'a>(auth: &'a str, body: &'a str) -> Callback<'a> {
        Callback::new(
            "https://app.example.com/status",
            [
                ("Authorization", auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    }

    #[test]
    fn signed_status_webhooks_verify_and_bind_the_body() {
        let auth = format!("Bearer {TOKEN}");
        let r = messages(SDK_SECRET);
        let report = r.parse(&callback(&auth, BODY), at(IAT)).expect("signed");
        assert_eq!(report.provider, "vonage");
        assert_eq!(report.message_id, "aaaaaaaa-bbbb-cccc-dddd-0123456789ab");
        assert_eq!(report.status, DeliveryStatus::Delivered);
        // The body is bound by payload_hash: any change is refused.
        let altered = BODY.replace("delivered", "rejected");
        assert_eq!(
            r.parse(&callback(&auth, &altered), at(IAT)),
            Err(ReceiptError::BadSignature)
        );
        // No token, another scheme, or the wrong secret.
        assert_eq!(
            r.verify(&Callback::new("https://x", [], BODY.as_bytes()), at(IAT)),
            Err(ReceiptError::MissingSignature)
        );
        assert_eq!(
            r.verify(&callback(&format!("Basic {TOKEN}"), BODY), at(IAT)),
            Err(ReceiptError::MissingSignature)
        );
        assert_eq!(
            messages("another").verify(&callback(&auth, BODY), at(IAT)),
            Err(ReceiptError::BadSignature)
        );
        // A token without payload_hash (the SDK's) cannot vouch for a body.
        assert!(
            r.verify(
                &callback(&format!("Bearer {SDK_TOKEN}"), BODY),
                at(1_697_634_680)
            )
            .is_err()
        );
    }

    /// Voice API call events (the call that read a code) come signed the same way
    /// (HS256 with the signature secret, the body bound by `payload_hash`) and map to
    /// the same delivery status as an SMS. The token is made here, from the scheme the
    /// vectors above pin down.
    #[test]
    fn signed_voice_events_map_to_delivery_reports() {
        use base64::Engine as _;
        use hmac::{Hmac, KeyInit, Mac};
        use sha2::Digest as _;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let token = |body: &str| {
            let hash: String = sha2::Sha256::digest(body.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
            let claims = b64(format!(
                r#"{{"iat":{IAT},"jti":"j-1","iss":"Vonage","payload_hash":"{hash}"}}"#
            )
            .as_bytes());
            let mut mac =
                <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(SDK_SECRET.as_bytes()).unwrap();
            mac.update(format!("{header}.{claims}").as_bytes());
            format!(
                "Bearer {header}.{claims}.{}",
                b64(&mac.finalize().into_bytes())
            )
        };
        let r = messages(SDK_SECRET);
        let event = |status: &str| {
            let body = format!(
                r#"{{"uuid":"63f61863-4a51-4f6b-86e1-46edebcf9356","conversation_uuid":"CON-1","status":"{status}","direction":"outbound","timestamp":"2026-01-01T00:00:00.000Z"}}"#
            );
            r.parse(&callback(&token(&body), &body), at(IAT))
                .expect("a signed call event")
        };
        let answered = event("answered");
        assert_eq!(answered.message_id, "63f61863-4a51-4f6b-86e1-46edebcf9356");
        assert_eq!(answered.status, DeliveryStatus::Delivered);
        assert_eq!(event("completed").status, DeliveryStatus::Delivered);
        for failed in [
            "busy",
            "cancelled",
            "failed",
            "rejected",
            "timeout",
            "unanswered",
        ] {
            assert_eq!(
                event(failed).status,
                DeliveryStatus::Failed { permanent: false },
                "{failed}"
            );
        }
        assert_eq!(event("ringing").status, DeliveryStatus::Pending);
    }

    /// Stricter than vonage-node-sdk's `verifySignature` (which also accepts RS256):
    /// only HS256. `alg: none`, and a token whose header names another algorithm but
    /// carries an HS256 MAC, are refused. Computed once with Node's crypto.
    #[test]
    fn only_hs256_is_accepted() {
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpYXQiOjE3NjcyMjU2MDAsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6IjQ2OGZkZDNkMTdjN2QxNWEwYmJjYTIwZDFkNDBhNDAxZTA2ZGYwZmJiYTRkNWYyZWIyY2JmM2FmMTE5NzdhMjAiLCJhcGlfa2V5IjoiYTFiMmMzZDQiLCJhcHBsaWNhdGlvbl9pZCI6ImFhYWFhYWFhLWJiYmItY2NjYy1kZGRkLTAxMjM0NTY3ODlhYiJ9.";
        let hs512 = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3NjcyMjU2MDAsImp0aSI6ImM1YmE4ZjI0LTFhMTQtNGMxMC1iZmRmLTNmYmU4Y2U1MTFiNSIsImlzcyI6IlZvbmFnZSIsInBheWxvYWRfaGFzaCI6IjQ2OGZkZDNkMTdjN2QxNWEwYmJjYTIwZDFkNDBhNDAxZTA2ZGYwZmJiYTRkNWYyZWIyY2JmM2FmMTE5NzdhMjAiLCJhcGlfa2V5IjoiYTFiMmMzZDQiLCJhcHBsaWNhdGlvbl9pZCI6ImFhYWFhYWFhLWJiYmItY2NjYy1kZGRkLTAxMjM0NTY3ODlhYiJ9.Z_SYyZOHFokirsg84zsUGH1SPX4yKj4-sOEy1XSPPgs";
        for token in [none, hs512] {
            assert!(
                messages(SDK_SECRET)
                    .verify(&callback(&format!("Bearer {token}"), BODY), at(IAT))
                    .is_err(),
                "{token}"
            );
        }
        let debug = format!("{:?}", messages(SDK_SECRET));
        assert!(!debug.contains(SDK_SECRET), "{debug}");
    }
}

/// Configuration: the receipt key may differ from the transport's secret, and may be
/// an Ed25519 public key.
#[cfg(feature = "webhook")]
mod webhook_config {
    use std::collections::HashMap;

    use smsotp::transport::TransportConfigError;
    use smsotp::transport::receipts::{Callback, ReceiptError, WebhookReceipts};
    use time::OffsetDateTime;

    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const BODY: &str = r#"{"test": 2432232314}"#;
    const V1: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    const V1A: &str = "v1a,fldxM4gAKugP6nnt1hdz3sgGfZ6d99nzrMFnZOELIxbzEHoVmAb2ADpkJK7zgPePmPsle0zV9jSeGlHFG2NVAw==";

    fn from(vars: &[(&str, &str)]) -> Result<WebhookReceipts, TransportConfigError> {
        let vars: HashMap<&str, &str> = vars.iter().copied().collect();
        WebhookReceipts::from_lookup(|k| vars.get(k).map(|v| (*v).to_owned()))
    }

    fn verify(r: &WebhookReceipts, sig: &str) -> Result<(), ReceiptError> {
        r.verify(
            &Callback::new(
                "https://x",
                [
                    ("webhook-id", ID),
                    ("webhook-timestamp", "1614265330"),
                    ("webhook-signature", sig),
                ],
                BODY.as_bytes(),
            ),
            OffsetDateTime::from_unix_timestamp(1_614_265_330).expect("valid"),
        )
    }

    #[test]
    fn the_receipt_key_can_be_its_own_secret_or_a_public_key() {
        let spec_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let other_secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        // Without SMSOTP_WEBHOOK_RECEIPT_KEY: the transport's secret, as before.
        let r = from(&[("SMSOTP_WEBHOOK_SECRET", spec_secret)]).expect("secret");
        verify(&r, V1).expect("v1 with the shared secret");
        // A separate secret for receipts wins over the transport's.
        let r = from(&[
            ("SMSOTP_WEBHOOK_SECRET", other_secret),
            ("SMSOTP_WEBHOOK_RECEIPT_KEY", spec_secret),
        ])
        .expect("receipt secret");
        verify(&r, V1).expect("v1 with the receipt secret");
        // A public key: v1a only, and no transport secret needed.
        let r = from(&[(
            "SMSOTP_WEBHOOK_RECEIPT_KEY",
            "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        )])
        .expect("public key");
        verify(&r, V1A).expect("v1a");
        assert_eq!(verify(&r, V1), Err(ReceiptError::BadSignature));
        // Errors name the variable and never echo the value.
        for (vars, var) in [
            (
                vec![(
                    "SMSOTP_WEBHOOK_RECEIPT_KEY",
                    "whsk_c2VjcmV0c2VjcmV0c2VjcmV0",
                )],
                "SMSOTP_WEBHOOK_RECEIPT_KEY",
            ),
            (
                vec![("SMSOTP_WEBHOOK_RECEIPT_KEY", "whpk_***")],
                "SMSOTP_WEBHOOK_RECEIPT_KEY",
            ),
            (
                vec![("SMSOTP_WEBHOOK_RECEIPT_KEY", "whsec_c2hvcnQ=")],
                "SMSOTP_WEBHOOK_RECEIPT_KEY",
            ),
        ] {
            let err = from(&vars).expect_err("refused");
            assert!(
                matches!(&err, TransportConfigError::MalformedVar { var: v, .. } if *v == var),
                "{err:?}"
            );
            assert!(!err.to_string().contains("c2VjcmV0"), "{err}");
        }
        assert!(matches!(
            from(&[]),
            Err(TransportConfigError::MissingVar("SMSOTP_WEBHOOK_SECRET"))
        ));
    }
}
