//! Delivery receipts: published signature vectors, tampering, replay bounds, and the
//! mapping of provider statuses into one `DeliveryReport`.

#[cfg(feature = "twilio")]
mod twilio {
    use base64::Engine as _;
    use hmac::{Hmac, KeyInit, Mac};
    use secrecy::SecretString;
    use sha1::Sha1;
    use sha2::Digest as _;
    use smsotp::transport::receipts::{
        Callback, DeliveryReceipts, DeliveryReport, DeliveryStatus, ReceiptError, TwilioReceipts,
    };
    use time::OffsetDateTime;

    const VECTOR_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const VECTOR_SIG: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
    // Deliberately not in sorted order: the check must sort.
    const VECTOR_BODY: &str = "To=%2B18005551212&CallSid=CA1234567890ABCDE&Caller=%2B12349013030&From=%2B12349013030&Digits=1234";

    fn receipts(token: &str) -> TwilioReceipts {
        TwilioReceipts::new(SecretString::from(token))
    }

    fn form_headers(sig: &str) -> [(&str, &str); 2] {
        [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", sig),
        ]
    }

    #[test]
    fn twilios_published_vector_verifies() {
        let callback = Callback::new(VECTOR_URL, form_headers(VECTOR_SIG), VECTOR_BODY.as_bytes());
        receipts("12345")
            .verify(&callback)
            .expect("published vector");
        // The same request, written with the default port, is also accepted.
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        let callback = Callback::new(with_port, form_headers(VECTOR_SIG), VECTOR_BODY.as_bytes());
        receipts("12345")
            .verify(&callback)
            .expect("default port variant");
    }

    #[test]
    fn tampering_or_the_wrong_token_fails() {
        let tampered = VECTOR_BODY.replace("Digits=1234", "Digits=1235");
        let cases = [
            (VECTOR_URL, VECTOR_BODY.to_owned(), "12346"),
            (VECTOR_URL, tampered, "12345"),
            (
                "https://mycompany.com/myapp.php?foo=1&bar=3",
                VECTOR_BODY.to_owned(),
                "12345",
            ),
            (
                "http://mycompany.com/myapp.php?foo=1&bar=2",
                VECTOR_BODY.to_owned(),
                "12345",
            ),
        ];
        for (url, body, token) in cases {
            let callback = Callback::new(url, form_headers(VECTOR_SIG), body.as_bytes());
            assert_eq!(
                receipts(token).verify(&callback),
                Err(ReceiptError::BadSignature)
            );
        }
        let garbage = Callback::new(VECTOR_URL, form_headers("%%%"), VECTOR_BODY.as_bytes());
        assert_eq!(
            receipts("12345").verify(&garbage),
            Err(ReceiptError::BadSignature)
        );
        let unsigned = Callback::new(VECTOR_URL, [], VECTOR_BODY.as_bytes());
        assert_eq!(
            receipts("12345").parse(&unsigned, OffsetDateTime::UNIX_EPOCH),
            Err(ReceiptError::MissingSignature)
        );
    }

    #[test]
    fn the_json_body_variant_signs_the_url_and_hashes_the_body() {
        let body = r#"{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}"#;
        let hash = hex(&sha2::Sha256::digest(body.as_bytes()));
        assert!(hash.starts_with("5ccde714") && hash.ends_with("0db0aec9"));
        let url = format!("https://example.com/myapp?bodySHA256={hash}");
        let headers = [("X-Twilio-Signature", "hPXmLwIy3Fgqv1i9KPmH/HhQ6zo=")];
        receipts("12345")
            .verify(&Callback::new(&url, headers, body.as_bytes()))
            .expect("published JSON vector");
        let altered = body.replace("CA12", "CA13");
        assert_eq!(
            receipts("12345").verify(&Callback::new(&url, headers, altered.as_bytes())),
            Err(ReceiptError::BadSignature)
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Signs a status callback the way Twilio documents it.
    fn signed(url: &str, params: &[(&str, &str)], token: &str) -> (String, String) {
        let mut sorted = params.to_vec();
        sorted.sort();
        let mut data = url.to_owned();
        for (k, v) in &sorted {
            data.push_str(k);
            data.push_str(v);
        }
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(token.as_bytes()).expect("key");
        mac.update(data.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        (sig, body)
    }

    fn report(params: &[(&str, &str)]) -> Result<DeliveryReport, ReceiptError> {
        let url = "https://app.example.com/sms/status";
        let (sig, body) = signed(url, params, "tok-abc");
        receipts("tok-abc").parse(
            &Callback::new(url, form_headers(&sig), body.as_bytes()),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn status_callbacks_map_to_delivery_reports() {
        let sid = "SM0123456789abcdef0123456789abcdef";
        let base = [
            ("MessageSid", sid),
            ("SmsSid", sid),
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("From", "+15005550006"),
            ("To", "+819012345678"),
            ("ApiVersion", "2010-04-01"),
            ("SomethingNew", "added later by Twilio"),
        ];
        let with = |status: &str, code: Option<&str>| {
            let mut p: Vec<(&str, &str)> = base.to_vec();
            p.push(("MessageStatus", status));
            p.push(("SmsStatus", status));
            if let Some(code) = code {
                p.push(("ErrorCode", code));
            }
            report(&p).expect("valid callback")
        };
        let delivered = with("delivered", None);
        assert_eq!(
            delivered,
            DeliveryReport::new("twilio", sid, DeliveryStatus::Delivered, None)
        );
        assert_eq!(with("sent", None).status, DeliveryStatus::Pending);
        assert_eq!(with("queued", None).status, DeliveryStatus::Pending);
        let soft = with("undelivered", Some("30003"));
        assert_eq!(soft.status, DeliveryStatus::Failed { permanent: false });
        assert_eq!(soft.error_code.as_deref(), Some("30003"));
        assert_eq!(
            with("undelivered", Some("30007")).status,
            DeliveryStatus::Failed { permanent: true }
        );
        assert_eq!(
            with("failed", Some("30005")).status,
            DeliveryStatus::Failed { permanent: true }
        );
        assert_eq!(
            report(&[("MessageStatus", "delivered")]),
            Err(ReceiptError::MissingField("MessageSid"))
        );
    }

    /// Programmable Voice status callbacks (the fields Twilio's docs list for a call:
    /// CallSid, CallStatus, AccountSid, From, To, Direction, ApiVersion) map to the same
    /// per-challenge delivery status as an SMS.
    #[test]
    fn call_status_callbacks_map_to_delivery_reports() {
        let sid = "CA0123456789abcdef0123456789abcdef";
        let with = |status: &str| {
            report(&[
                ("CallSid", sid),
                ("CallStatus", status),
                ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
                ("From", "+15005550006"),
                ("To", "+819012345678"),
                ("Direction", "outbound-api"),
                ("ApiVersion", "2010-04-01"),
            ])
            .expect("valid callback")
        };
        assert_eq!(
            with("completed"),
            DeliveryReport::new("twilio", sid, DeliveryStatus::Delivered, None)
        );
        for failed in ["busy", "no-answer", "failed", "canceled"] {
            assert_eq!(
                with(failed).status,
                DeliveryStatus::Failed { permanent: false },
                "{failed}"
            );
        }
        for pending in ["queued", "initiated", "ringing", "in-progress"] {
            assert_eq!(with(pending).status, DeliveryStatus::Pending, "{pending}");
        }
        assert_eq!(
            report(&[("CallSid", sid)]),
            Err(ReceiptError::MissingField("CallStatus"))
        );
    }
}

#[cfg(feature = "vonage")]
mod vonage {
    use secrecy::SecretString;
    use smsotp::transport::receipts::{
        Callback, DeliveryReceipts, DeliveryStatus, ReceiptError, VonageReceipts,
        VonageSignatureMethod,
    };
    use time::{Duration, OffsetDateTime};

    /// Vonage's own SDK test vector (vonage-ruby-sdk signature tests; the same values
    /// are Vonage/vonage-node-sdk `packages/sms/__tests__/__dataSets__/signature.ts`,
    /// its `verifySignature` tests): one parameter set signed with each method under
    /// the secret below.
    const SECRET: &str = "my_secret_key_for_testing";
    const PARAMS: [(&str, &str); 7] = [
        ("message-timestamp", "2013-11-21 15:27:30"),
        ("messageId", "020000001B0FE827"),
        ("msisdn", "14843472194"),
        ("text", "Test again"),
        ("timestamp", "1385047698"),
        ("to", "13239877404"),
        ("type", "text"),
    ];
    const VECTORS: [(VonageSignatureMethod, &str); 5] = [
        (
            VonageSignatureMethod::Md5Hash,
            "d2e7b1dc968737c5998ad624e02f90b7",
        ),
        (
            VonageSignatureMethod::HmacMd5,
            "DDEBD46008C2D4E93CCE578A332A52D5",
        ),
        (
            VonageSignatureMethod::HmacSha1,
            "27D0D05C2876C7CB1720DBCDBA4D492E1E55C09A",
        ),
        (
            VonageSignatureMethod::HmacSha256,
            "DDB8397C2B90AAC7F3882D306475C9A5058C92322EEF43C92B298B6E0FC0D330",
        ),
        (
            VonageSignatureMethod::HmacSha512,
            "E0D3C650F8C9D1A5C174D10DDDBFB003E561F59B265616208B0487C5D819481CD3C311D59CF6165ECD1139622D5BA3A256C0D763AC4A9AD9144B5A426B94FE82",
        ),
    ];

    fn signed_at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_385_047_698).expect("valid")
    }

    fn encode(params: &[(&str, &str)]) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish()
    }

    fn with_sig<'a>(sig: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut p = PARAMS.to_vec();
        p.extend_from_slice(extra);
        p.push(("sig", sig));
        p
    }

    #[test]
    fn vonages_vectors_verify_for_every_method_and_transport() {
        for (method, sig) in VECTORS {
            let receipts = VonageReceipts::new(SecretString::from(SECRET), method);
            let params = with_sig(sig, &[]);
            // GET with a query string.
            let url = format!("https://app.example.com/dlr?{}", encode(&params));
            receipts
                .verify(&Callback::new(&url, [], b""), signed_at())
                .unwrap_or_else(|e| panic!("{method:?} via GET: {e}"));
            // POST form.
            let body = encode(&params);
            let form = [("content-type", "application/x-www-form-urlencoded")];
            receipts
                .verify(
                    &Callback::new("https://app.example.com/dlr", form, body.as_bytes()),
                    signed_at(),
                )
                .unwrap_or_else(|e| panic!("{method:?} via form: {e}"));
            // POST JSON.
            let json: serde_json::Map<String, serde_json::Value> = params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
                .collect();
            let body = serde_json::to_vec(&json).expect("json");
            let headers = [("Content-Type", "application/json")];
            receipts
                .verify(
                    &Callback::new("https://app.example.com/dlr", headers, &body),
                    signed_at(),
                )
                .unwrap_or_else(|e| panic!("{method:?} via JSON: {e}"));
            // Lower-case hex is accepted too.
            let lower = sig.to_ascii_lowercase();
            let url = format!(
                "https://app.example.com/dlr?{}",
                encode(&with_sig(&lower, &[]))
            );
            receipts
                .verify(&Callback::new(&url, [], b""), signed_at())
                .expect("case-insensitive");
        }
    }

    #[test]
    fn methods_are_named_as_in_the_dashboard() {
        for (name, method) in [
            ("md5hash", VonageSignatureMethod::Md5Hash),
            ("MD5", VonageSignatureMethod::HmacMd5),
            ("sha1", VonageSignatureMethod::HmacSha1),
            ("sha256", VonageSignatureMethod::HmacSha256),
            ("sha512", VonageSignatureMethod::HmacSha512),
        ] {
            assert_eq!(VonageSignatureMethod::from_name(name), Some(method));
        }
        assert_eq!(VonageSignatureMethod::from_name("sha384"), None);
    }

    #[test]
    fn tampering_replay_and_missing_signatures_are_refused() {
        let receipts =
            VonageReceipts::new(SecretString::from(SECRET), VonageSignatureMethod::Md5Hash);
        let sig = VECTORS[0].1;
        let check = |params: &[(&str, &str)], now: OffsetDateTime| {
            let url = format!("https://app.example.com/dlr?{}", encode(params));
            receipts.verify(&Callback::new(&url, [], b""), now)
        };
        let mut tampered = with_sig(sig, &[]);
        tampered[2] = ("msisdn", "14843472195");
        assert_eq!(
            check(&tampered, signed_at()),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(
            check(&with_sig(sig, &[("extra", "1")]), signed_at()),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(
            check(&PARAMS, signed_at()),
            Err(ReceiptError::MissingSignature)
        );
        let other_method = VonageReceipts::new(
            SecretString::from(SECRET),
            VonageSignatureMethod::HmacSha256,
        );
        let url = format!(
            "https://app.example.com/dlr?{}",
            encode(&with_sig(sig, &[]))
        );
        assert_eq!(
            other_method.verify(&Callback::new(&url, [], b""), signed_at()),
            Err(ReceiptError::BadSignature)
        );
        // ±5 minutes around the signed timestamp.
        let ok = with_sig(sig, &[]);
        assert!(check(&ok, signed_at() + Duration::minutes(5)).is_ok());
        assert!(check(&ok, signed_at() - Duration::minutes(5)).is_ok());
        assert_eq!(
            check(&ok, signed_at() + Duration::seconds(301)),
            Err(ReceiptError::StaleTimestamp)
        );
        assert_eq!(
            check(&ok, signed_at() - Duration::minutes(6)),
            Err(ReceiptError::StaleTimestamp)
        );
        // A parameter given twice is ambiguous.
        let twice = with_sig(sig, &[("msisdn", "1")]);
        assert!(matches!(
            check(&twice, signed_at()),
            Err(ReceiptError::Malformed(_))
        ));
    }

    /// Signs like Vonage's md5hash method, independently of the crate.
    fn md5hash(params: &[(&str, &str)], secret: &str) -> String {
        use md5::Digest as _;
        let mut sorted = params.to_vec();
        sorted.sort();
        let mut data = String::new();
        for (k, v) in sorted {
            data.push_str(&format!("&{k}={}", v.replace(['&', '='], "_")));
        }
        data.push_str(secret);
        md5::Md5::digest(data.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn delivery_receipts_map_to_reports() {
        let receipts = VonageReceipts::new(
            SecretString::from("sigsecret"),
            VonageSignatureMethod::Md5Hash,
        );
        let now = OffsetDateTime::from_unix_timestamp(1_772_355_600).expect("valid");
        let parse = |status: &str, err_code: &str| {
            let params = [
                ("msisdn", "819012345678"),
                ("to", "AcmeInc"),
                ("network-code", "44010"),
                ("messageId", "0A0000000123ABCD1"),
                ("price", "0.0333"),
                ("status", status),
                ("scts", "2603010900"),
                ("err-code", err_code),
                ("client-ref", "idem=1&2"),
                ("message-timestamp", "2026-03-01 09:00:00"),
                ("timestamp", "1772355590"),
                ("nonce", "6b1b2e64-2c8b-4a3b-9d7c-0c2a1f3e4d5c"),
            ];
            let sig = md5hash(&params, "sigsecret");
            let mut all = params.to_vec();
            all.push(("sig", &sig));
            let body = encode(&all);
            receipts
                .parse(
                    &Callback::new(
                        "https://app.example.com/dlr",
                        [("content-type", "application/x-www-form-urlencoded")],
                        body.as_bytes(),
                    ),
                    now,
                )
                .expect("valid DLR")
        };
        let delivered = parse("delivered", "0");
        assert_eq!(delivered.provider, "vonage");
        assert_eq!(delivered.message_id, "0A0000000123ABCD1");
        assert_eq!(delivered.status, DeliveryStatus::Delivered);
        assert_eq!(delivered.error_code, None);
        assert_eq!(parse("accepted", "0").status, DeliveryStatus::Pending);
        assert_eq!(parse("buffered", "0").status, DeliveryStatus::Pending);
        assert_eq!(
            parse("expired", "0").status,
            DeliveryStatus::Failed { permanent: false }
        );
        let absent = parse("failed", "2");
        assert_eq!(absent.status, DeliveryStatus::Failed { permanent: false });
        assert_eq!(absent.error_code.as_deref(), Some("2"));
        assert_eq!(
            parse("failed", "4").status,
            DeliveryStatus::Failed { permanent: true }
        );
        assert_eq!(
            parse("rejected", "9").status,
            DeliveryStatus::Failed { permanent: true }
        );
    }
}

#[cfg(feature = "webhook")]
mod webhook {
    use smsotp::transport::WebhookSecret;
    use smsotp::transport::receipts::{
        Callback, DeliveryReceipts, DeliveryReport, DeliveryStatus, ReceiptError, WebhookReceipts,
    };
    use time::{Duration, OffsetDateTime};

    /// The example from the Standard Webhooks specification.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: &str = "1614265330";
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn receipts() -> WebhookReceipts {
        WebhookReceipts::new(WebhookSecret::parse(SECRET).expect("secret"))
    }

    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_614_265_330).expect("valid")
    }

    fn check(
        id: &str,
        ts: &str,
        sig: &str,
        body: &str,
        now: OffsetDateTime,
    ) -> Result<(), ReceiptError> {
        let headers = [
            ("webhook-id", id),
            ("webhook-timestamp", ts),
            ("webhook-signature", sig),
        ];
        receipts().verify(
            &Callback::new("https://app.example.com/hook", headers, body.as_bytes()),
            now,
        )
    }

    #[test]
    fn the_specifications_example_verifies() {
        check(ID, TS, SIG, BODY, at()).expect("spec example");
        // Several signatures (key rotation): one match is enough.
        let several = format!("v1,bm90IHRoaXMgb25l {SIG} v2,ignored");
        check(ID, TS, &several, BODY, at()).expect("one of several");
    }

    #[test]
    fn tampering_replay_and_missing_headers_are_refused() {
        assert_eq!(
            check(ID, TS, SIG, r#"{"test": 2432232315}"#, at()),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(
            check("msg_other", TS, SIG, BODY, at()),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(
            check(ID, "1614265331", SIG, BODY, at()),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(
            check(ID, TS, "v1,AAAA", BODY, at()),
            Err(ReceiptError::BadSignature)
        );
        assert_eq!(
            check(ID, TS, SIG, BODY, at() + Duration::minutes(6)),
            Err(ReceiptError::StaleTimestamp)
        );
        assert_eq!(
            check(ID, TS, SIG, BODY, at() - Duration::minutes(6)),
            Err(ReceiptError::StaleTimestamp)
        );
        let no_sig = Callback::new(
            "https://app.example.com/hook",
            [("webhook-id", ID), ("webhook-timestamp", TS)],
            BODY.as_bytes(),
        );
        assert_eq!(
            receipts().verify(&no_sig, at()),
            Err(ReceiptError::MissingSignature)
        );
        let other = WebhookReceipts::new(
            WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("secret"),
        );
        let headers = [
            ("webhook-id", ID),
            ("webhook-timestamp", TS),
            ("webhook-signature", SIG),
        ];
        assert_eq!(
            other.verify(&Callback::new("https://x", headers, BODY.as_bytes()), at()),
            Err(ReceiptError::BadSignature)
        );
    }

    #[test]
    fn gateway_reports_are_read_after_the_signature() {
        use base64::Engine as _;
        use hmac::{Hmac, KeyInit, Mac};
        let key = base64::engine::general_purpose::STANDARD
            .decode(SECRET.trim_start_matches("whsec_"))
            .expect("base64");
        let parse = |body: &str| {
            let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).expect("key");
            mac.update(format!("{ID}.{TS}.{body}").as_bytes());
            let sig = format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
            );
            let headers = [
                ("webhook-id", ID),
                ("webhook-timestamp", TS),
                ("webhook-signature", sig.as_str()),
            ];
            receipts().parse(
                &Callback::new("https://app.example.com/hook", headers, body.as_bytes()),
                at(),
            )
        };
        assert_eq!(
            parse(r#"{"message_id":"gw-1","status":"delivered"}"#),
            Ok(DeliveryReport::new(
                "webhook",
                "gw-1",
                DeliveryStatus::Delivered,
                None
            ))
        );
        assert_eq!(
            parse(
                r#"{"message_id":"gw-1","status":"failed","permanent":false,"error_code":"absent"}"#
            ),
            Ok(DeliveryReport::new(
                "webhook",
                "gw-1",
                DeliveryStatus::Failed { permanent: false },
                Some("absent".into())
            ))
        );
        assert_eq!(
            parse(r#"{"message_id":"gw-1","status":"failed"}"#).map(|r| r.status),
            Ok(DeliveryStatus::Failed { permanent: true })
        );
        assert_eq!(
            parse(r#"{"message_id":"gw-1","status":"queued"}"#).map(|r| r.status),
            Ok(DeliveryStatus::Pending)
        );
        assert_eq!(
            parse(r#"{"status":"delivered"}"#),
            Err(ReceiptError::MissingField("message_id"))
        );
        assert!(matches!(parse("not json"), Err(ReceiptError::Malformed(_))));
    }
}
