//! SMS text: built-in and custom templates, autofill lines, GSM-7/UCS-2 segments.

use proptest::prelude::*;
use smsotp::SmsTransport;
use smsotp::message::{
    Body, EmbeddedSigil, Encoding, Locale, MessageTemplate, Segments, TemplateError, encoded_units,
    gsm7_septets, segments,
};
use smsotp::transport::{RecordingTransport, Sms};
use smsotp::{ConfigError, PhoneNumber, Secret, Verifier};

const CODE: &str = "4KX7QP";

fn seg(body: &str) -> (Encoding, u16) {
    let Segments { encoding, count } = segments(body);
    (encoding, count)
}

/// The code a test double reads back from a body, the way the verifier's tests do.
fn code_read_back(body: Body) -> Option<String> {
    let to = PhoneNumber::parse_e164("+819012345678").unwrap();
    let sms = Sms::new(to.clone(), body, time::Duration::minutes(5), "k-1".into());
    let transport = RecordingTransport::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(transport.send(&sms)).unwrap();
    transport.last_code(&to)
}

/// Parses the last line by the WICG sms-one-time-codes rules: it starts with `@`,
/// fields are separated by exactly one U+0020; host, `#code`, then an optional
/// embedded host.
fn origin_line(text: &str) -> Option<(String, String, Option<String>)> {
    let last = text.lines().last()?;
    let rest = last.strip_prefix('@')?;
    let mut fields = rest.split(' ');
    let host = fields.next().filter(|h| !h.is_empty())?;
    let code = fields.next()?.strip_prefix('#').filter(|c| !c.is_empty())?;
    let embedded = fields.next().map(str::to_owned);
    Some((host.to_owned(), code.to_owned(), embedded))
}

// ---- built-in wording, exact -------------------------------------------------------

#[test]
fn english_exact() {
    let t = MessageTemplate::new("Acme", Locale::En);
    assert_eq!(
        t.render(CODE, 5).expose(),
        "4KX7QP is your Acme verification code. It expires in 5 minutes. Don't share it with anyone."
    );
    assert_eq!(
        t.render(CODE, 1).expose(),
        "4KX7QP is your Acme verification code. It expires in 1 minute. Don't share it with anyone."
    );
    let t = t.with_origin("example.com").unwrap();
    assert_eq!(
        t.render(CODE, 10).expose(),
        "4KX7QP is your Acme verification code. It expires in 10 minutes. Don't share it with anyone.\n\n@example.com #4KX7QP"
    );
}

#[test]
fn english_with_purpose() {
    let t = MessageTemplate::new("Acme", Locale::En)
        .with_purpose("sign in")
        .unwrap();
    assert_eq!(
        t.render(CODE, 5).expose(),
        "4KX7QP is your Acme code to sign in. It expires in 5 minutes. Don't share it with anyone."
    );
}

#[test]
fn japanese_exact() {
    let t = MessageTemplate::new("Acme", Locale::Ja);
    assert_eq!(
        t.render(CODE, 5).expose(),
        "【Acme】認証コード：4KX7QP\n有効期限5分。他人に教えないでください。"
    );
    let t = t.with_origin("example.com").unwrap();
    assert_eq!(
        t.render(CODE, 5).expose(),
        "【Acme】認証コード：4KX7QP\n有効期限5分。他人に教えないでください。\n\n@example.com #4KX7QP"
    );
    let t = MessageTemplate::new("Acme", Locale::Ja)
        .with_purpose("ログイン")
        .unwrap();
    assert_eq!(
        t.render(CODE, 3).expose(),
        "【Acme】ログイン用認証コード：4KX7QP\n有効期限3分。他人に教えないでください。"
    );
}

#[test]
fn app_hash_and_embedded_origin_exact() {
    let t = MessageTemplate::new("Acme", Locale::En)
        .with_app_hash("FA+9qCX9VSu")
        .unwrap();
    assert_eq!(
        t.render(CODE, 5).expose(),
        "4KX7QP is your Acme verification code. It expires in 5 minutes. Don't share it with anyone.\n\nFA+9qCX9VSu"
    );
    let t = t
        .with_origin("example.com")
        .unwrap()
        .with_embedded_origin("ecommerce.example", EmbeddedSigil::At)
        .unwrap();
    assert_eq!(
        t.render(CODE, 5).expose(),
        "4KX7QP is your Acme verification code. It expires in 5 minutes. Don't share it with anyone.\n\nFA+9qCX9VSu\n@example.com #4KX7QP @ecommerce.example"
    );
    let apple = MessageTemplate::new("Acme", Locale::En)
        .with_origin("example.com")
        .unwrap()
        .with_embedded_origin("ecommerce.example", EmbeddedSigil::Percent)
        .unwrap();
    assert!(
        apple
            .render(CODE, 5)
            .expose()
            .ends_with("\n\n@example.com #4KX7QP %ecommerce.example")
    );
}

#[test]
fn the_origin_line_is_last_and_well_formed() {
    for locale in [Locale::En, Locale::Ja] {
        let t = MessageTemplate::new("Acme", locale)
            .with_app_hash("FA+9qCX9VSu")
            .unwrap()
            .with_origin("Login.Example.COM")
            .unwrap();
        let body = t.render(CODE, 5);
        let (host, code, embedded) = origin_line(body.expose()).expect("origin line");
        assert_eq!(host, "login.example.com");
        assert_eq!(code, CODE);
        assert_eq!(embedded, None);
        // the human text carries the code too
        let human = body.expose().rsplit_once('\n').unwrap().0;
        assert!(human.contains(CODE));
    }
    // without with_origin there is no line that could be read as one
    let body = MessageTemplate::new("Acme", Locale::En).render(CODE, 5);
    assert_eq!(origin_line(body.expose()), None);
}

#[test]
fn a_brand_cannot_add_lines_or_fake_an_origin_line() {
    let t = MessageTemplate::new("Acme\n\n@evil.example #000000\r", Locale::En);
    let body = t.render(CODE, 5);
    assert_eq!(body.expose().lines().count(), 1);
    assert_eq!(origin_line(body.expose()), None);
    let t = t.with_origin("example.com").unwrap();
    let (host, code, _) = origin_line(t.render(CODE, 5).expose()).unwrap();
    assert_eq!((host.as_str(), code.as_str()), ("example.com", CODE));
}

#[test]
fn empty_brand_reads_naturally() {
    assert_eq!(
        MessageTemplate::new("  ", Locale::En)
            .render(CODE, 5)
            .expose(),
        "4KX7QP is your verification code. It expires in 5 minutes. Don't share it with anyone."
    );
    assert_eq!(
        MessageTemplate::new("", Locale::Ja)
            .render(CODE, 5)
            .expose(),
        "認証コード：4KX7QP\n有効期限5分。他人に教えないでください。"
    );
}

// ---- sizes of the built-in messages ------------------------------------------------

#[test]
fn english_message_with_origin_is_one_gsm7_sms() {
    let t = MessageTemplate::new("Acme", Locale::En)
        .with_origin("example.com")
        .unwrap();
    let body = t.render(CODE, 10);
    assert_eq!(seg(body.expose()), (Encoding::Gsm7, 1));
    assert_eq!(encoded_units(body.expose()), 114);
}

#[test]
fn japanese_message_with_origin_fits_one_ucs2_sms() {
    // 【Acme】認証コード：4KX7QP / 有効期限5分。他人に教えないでください。 is 39
    // UTF-16 units; the blank line and "@example.com #4KX7QP" add 22: 61 of 70.
    let t = MessageTemplate::new("Acme", Locale::Ja)
        .with_origin("example.com")
        .unwrap();
    let body = t.render(CODE, 5);
    assert_eq!(encoded_units(body.expose()), 61);
    assert_eq!(body.segments(), segments(body.expose()));
    assert_eq!(seg(body.expose()), (Encoding::Ucs2, 1));
    // the room left: brand and host together may grow by 9 characters
    let fits = MessageTemplate::new("Acme株式会社", Locale::Ja)
        .with_origin("www.example.com")
        .unwrap()
        .render(CODE, 5);
    assert_eq!(encoded_units(fits.expose()), 69);
    assert_eq!(seg(fits.expose()), (Encoding::Ucs2, 1));
    let spills = MessageTemplate::new("Acme株式会社", Locale::Ja)
        .with_origin("login.example.com")
        .unwrap()
        .render(CODE, 5);
    assert_eq!(encoded_units(spills.expose()), 71);
    assert_eq!(seg(spills.expose()), (Encoding::Ucs2, 2));
}

/// The web example's Japanese sign-in SMS (brand "Example", purpose ログイン, the
/// origin line for localhost) was 71 units: one over a single UCS-2 segment, so
/// every Japanese code cost two segments.
#[test]
fn the_web_examples_japanese_sms_is_one_segment() {
    let t = MessageTemplate::new("Example", Locale::Ja)
        .with_purpose("ログイン")
        .unwrap()
        .with_origin("localhost")
        .unwrap();
    let body = t.render(CODE, 5);
    assert_eq!(
        body.expose(),
        "【Example】ログイン用認証コード：4KX7QP\n有効期限5分。他人に教えないでください。\n\n@localhost #4KX7QP"
    );
    assert_eq!(encoded_units(body.expose()), 67);
    assert_eq!(seg(body.expose()), (Encoding::Ucs2, 1));
    // and with a real domain and the longest ttl
    let t = MessageTemplate::new("Example", Locale::Ja)
        .with_purpose("ログイン")
        .unwrap()
        .with_origin("example.com")
        .unwrap();
    assert_eq!(encoded_units(t.render(CODE, 10).expose()), 70);
}

#[test]
fn japanese_message_with_app_hash_and_origin_is_two_parts_unless_short() {
    // SMS Retriever wants 140 bytes (70 UCS-2 units); the hash line adds 12.
    let t = MessageTemplate::new("Acme", Locale::Ja)
        .with_app_hash("FA+9qCX9VSu")
        .unwrap()
        .with_origin("example.com")
        .unwrap();
    let body = t.render(CODE, 5);
    assert_eq!(encoded_units(body.expose()), 73);
    assert_eq!(seg(body.expose()), (Encoding::Ucs2, 2));
    let short = MessageTemplate::new("Acme", Locale::Ja)
        .with_app_hash("FA+9qCX9VSu")
        .unwrap()
        .with_origin("a.jp")
        .unwrap()
        .render(CODE, 5);
    assert_eq!(encoded_units(short.expose()), 66);
    assert_eq!(seg(short.expose()), (Encoding::Ucs2, 1));
}

// ---- the worst case the builder checks ---------------------------------------------

const ALPHANUMERIC: &str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn build(template: MessageTemplate) -> Result<Verifier, ConfigError> {
    Verifier::builder(Secret::generate())
        .transport(RecordingTransport::new())
        .template(template)
        .build()
}

#[test]
fn the_longest_message_is_measured_exactly() {
    // English, 10 minutes (two digits) is the longest; "1 minute" is shorter.
    let en = MessageTemplate::new("Acme", Locale::En)
        .with_origin("example.com")
        .unwrap();
    let longest = en.longest(ALPHANUMERIC, 6, 10);
    assert_eq!(longest.units, encoded_units(en.render(CODE, 10).expose()));
    assert_eq!(longest.units, 114);
    assert_eq!(longest.lines, 22);
    assert_eq!(longest.capacity(), 160);
    assert!(longest.fits_one_segment());
    assert_eq!(longest.over(), 0);
    // A GSM-7 extension symbol costs two septets: the costliest code is that symbol
    // six times.
    let custom = MessageTemplate::custom(&format!("{{code}}{}", "a".repeat(154))).unwrap();
    assert!(custom.longest("23456789", 6, 5).fits_one_segment());
    let dear = custom.longest("23456789[", 6, 5);
    assert_eq!((dear.units, dear.segments.count, dear.over()), (166, 2, 6));
    // One symbol outside GSM-7 makes the whole message UCS-2.
    let ucs2 = custom.longest("23456789`", 6, 5);
    assert_eq!(ucs2.segments.encoding, Encoding::Ucs2);
    assert_eq!((ucs2.units, ucs2.capacity()), (160, 70));
}

#[test]
fn builtin_templates_fit_one_segment_with_the_default_brand_at_worst() {
    for locale in [Locale::En, Locale::Ja] {
        for origin in [None, Some("example.com")] {
            for hash in [None, Some("FA+9qCX9VSu")] {
                let mut t = MessageTemplate::new("smsotp", locale);
                if let Some(h) = hash {
                    t = t.with_app_hash(h).unwrap();
                }
                if let Some(o) = origin {
                    t = t.with_origin(o).unwrap();
                }
                let longest = t.longest(ALPHANUMERIC, 6, 10);
                let both = origin.is_some() && hash.is_some();
                // Japanese with both lines is the one combination that cannot fit:
                // 41 units of text, 34 of lines.
                let fits = !(locale == Locale::Ja && both);
                assert_eq!(
                    longest.fits_one_segment(),
                    fits,
                    "{locale:?} origin {origin:?} hash {hash:?}: {longest:?}"
                );
                assert_eq!(build(t).is_ok(), fits, "{locale:?} {origin:?} {hash:?}");
            }
        }
    }
}

#[test]
fn the_builder_refuses_a_second_segment_and_says_what_to_shorten() {
    let t = MessageTemplate::new("smsotp", Locale::Ja)
        .with_app_hash("FA+9qCX9VSu")
        .unwrap()
        .with_origin("example.com")
        .unwrap();
    let err = build(t.clone()).unwrap_err();
    // 【smsotp】認証コード：XXXXXX / 有効期限5分。... is 41; the lines 34.
    assert_eq!(
        err,
        ConfigError::MessageTooLong {
            units: 75,
            capacity: 70,
            over: 5,
            lines: 34,
            segments: 2
        }
    );
    let said = err.to_string();
    assert!(said.contains("5 over one 70-unit segment"), "{said}");
    assert!(said.contains("shorten the brand"), "{said}");
    assert!(said.contains("allow_multi_segment()"), "{said}");
    // The app may opt in.
    let opted = Verifier::builder(Secret::generate())
        .transport(RecordingTransport::new())
        .template(t)
        .allow_multi_segment()
        .build();
    assert!(opted.is_ok());
    // English: a long brand and purpose with both lines.
    let en = MessageTemplate::new("A".repeat(60), Locale::En)
        .with_purpose("confirm the change of your phone number")
        .unwrap()
        .with_app_hash("FA+9qCX9VSu")
        .unwrap()
        .with_origin("example.com")
        .unwrap();
    match build(en) {
        Err(ConfigError::MessageTooLong {
            capacity: 160,
            lines: 34,
            ..
        }) => {}
        other => panic!("expected MessageTooLong, got {other:?}"),
    }
    // The ttl's minutes count: at 10 minutes the Japanese text is one unit longer.
    let edge = MessageTemplate::new("AcmeJapan株式会社", Locale::Ja)
        .with_origin("example.com")
        .unwrap();
    assert_eq!(edge.longest(ALPHANUMERIC, 6, 5).units, 70);
    assert_eq!(edge.longest(ALPHANUMERIC, 6, 10).units, 71);
    let five = Verifier::builder(Secret::generate())
        .transport(RecordingTransport::new())
        .template(edge.clone())
        .ttl(time::Duration::minutes(5))
        .build();
    assert!(five.is_ok());
    let ten = Verifier::builder(Secret::generate())
        .transport(RecordingTransport::new())
        .template(edge)
        .ttl(time::Duration::minutes(10))
        .build();
    assert!(matches!(
        ten,
        Err(ConfigError::MessageTooLong { over: 1, .. })
    ));
}

// ---- segment boundaries ------------------------------------------------------------

#[test]
fn gsm7_boundaries() {
    let a = |n: usize| "a".repeat(n);
    assert_eq!(seg(""), (Encoding::Gsm7, 1));
    assert_eq!(seg(&a(160)), (Encoding::Gsm7, 1));
    assert_eq!(seg(&a(161)), (Encoding::Gsm7, 2));
    assert_eq!(seg(&a(306)), (Encoding::Gsm7, 2));
    assert_eq!(seg(&a(307)), (Encoding::Gsm7, 3));
    assert_eq!(seg(&a(459)), (Encoding::Gsm7, 3));
    assert_eq!(seg(&a(460)), (Encoding::Gsm7, 4));
}

#[test]
fn gsm7_extension_characters_cost_two_septets() {
    for c in ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\u{0C}'] {
        assert_eq!(gsm7_septets(c), Some(2), "{c:?}");
    }
    for c in [
        '@', '£', '$', '¥', 'è', 'Ç', 'Δ', '_', 'ß', 'É', '¤', '¡', 'Ä', '§', '¿', 'à', '\n', '\r',
        ' ',
    ] {
        assert_eq!(gsm7_septets(c), Some(1), "{c:?}");
    }
    for c in [
        '`', '\t', 'ç', 'á', '’', '“', '–', '…', '\u{A0}', '￥', '１', 'あ', '😀',
    ] {
        assert_eq!(gsm7_septets(c), None, "{c:?}");
    }
    // 80 euro signs are exactly 160 septets
    assert_eq!(seg(&"€".repeat(80)), (Encoding::Gsm7, 1));
    assert_eq!(encoded_units(&"€".repeat(80)), 160);
    // 159 + one escape pair is 161 septets
    assert_eq!(seg(&format!("{}€", "a".repeat(159))), (Encoding::Gsm7, 2));
    assert_eq!(seg(&format!("{}€", "a".repeat(158))), (Encoding::Gsm7, 1));
}

#[test]
fn an_escape_pair_is_never_split_across_parts() {
    // 152 + 2 + 152 = 306 septets, which would fill two parts exactly; but the `{`
    // cannot straddle parts 1 and 2, so part 1 carries 152 and the rest spills.
    let body = format!("{}{{{}", "a".repeat(152), "a".repeat(152));
    assert_eq!(encoded_units(&body), 306);
    assert_eq!(seg(&body), (Encoding::Gsm7, 3));
    // the same length with the pair away from the boundary fits two parts
    let body = format!("{}{{{}", "a".repeat(100), "a".repeat(204));
    assert_eq!(seg(&body), (Encoding::Gsm7, 2));
    // a pair that ends exactly at 153 is fine
    let body = format!("{}{{{}", "a".repeat(151), "a".repeat(153));
    assert_eq!(seg(&body), (Encoding::Gsm7, 2));
}

#[test]
fn ucs2_boundaries() {
    let j = |n: usize| "あ".repeat(n);
    assert_eq!(seg(&j(70)), (Encoding::Ucs2, 1));
    assert_eq!(seg(&j(71)), (Encoding::Ucs2, 2));
    assert_eq!(seg(&j(134)), (Encoding::Ucs2, 2));
    assert_eq!(seg(&j(135)), (Encoding::Ucs2, 3));
    // one non-GSM character makes the whole message UCS-2
    assert_eq!(seg(&format!("{}あ", "a".repeat(69))), (Encoding::Ucs2, 1));
    assert_eq!(seg(&format!("{}あ", "a".repeat(70))), (Encoding::Ucs2, 2));
    // typographic apostrophe: a classic accidental UCS-2
    assert_eq!(seg("Don’t share it").0, Encoding::Ucs2);
    // U+00A5 is GSM-7, the full-width yen is not
    assert_eq!(seg("¥100").0, Encoding::Gsm7);
    assert_eq!(seg("￥100").0, Encoding::Ucs2);
}

#[test]
fn emoji_cost_two_units_and_are_never_split() {
    assert_eq!(encoded_units("😀"), 2);
    assert_eq!(seg(&"😀".repeat(35)), (Encoding::Ucs2, 1));
    assert_eq!(seg(&"😀".repeat(36)), (Encoding::Ucs2, 2));
    // 66 + 2 + 66 = 134 units, two parts exactly by count; the pair cannot straddle
    let body = format!("{}😀{}", "あ".repeat(66), "あ".repeat(66));
    assert_eq!(encoded_units(&body), 134);
    assert_eq!(seg(&body), (Encoding::Ucs2, 3));
    let body = format!("{}😀{}", "あ".repeat(65), "あ".repeat(67));
    assert_eq!(seg(&body), (Encoding::Ucs2, 2));
}

// ---- custom templates --------------------------------------------------------------

#[test]
fn custom_templates() {
    let t = MessageTemplate::custom("Your code: {code} ({minutes} min). {{not a placeholder}}")
        .unwrap();
    assert_eq!(
        t.render(CODE, 7).expose(),
        "Your code: 4KX7QP (7 min). {not a placeholder}"
    );
    assert_eq!(t.locale(), None);
    let twice = MessageTemplate::custom("{code} / {code}")
        .unwrap()
        .with_origin("example.com")
        .unwrap();
    assert_eq!(
        twice.render(CODE, 5).expose(),
        "4KX7QP / 4KX7QP\n\n@example.com #4KX7QP"
    );
    assert_eq!(
        MessageTemplate::new("Acme", Locale::Ja).locale(),
        Some(Locale::Ja)
    );
}

#[test]
fn custom_template_errors() {
    assert_eq!(
        MessageTemplate::custom("Your code is ready"),
        Err(TemplateError::MissingCodePlaceholder)
    );
    assert_eq!(
        MessageTemplate::custom(""),
        Err(TemplateError::MissingCodePlaceholder)
    );
    // an escaped placeholder is text, not a placeholder
    assert_eq!(
        MessageTemplate::custom("{{code}}"),
        Err(TemplateError::MissingCodePlaceholder)
    );
    assert_eq!(
        MessageTemplate::custom("{code} {brand}"),
        Err(TemplateError::UnknownPlaceholder {
            name: "brand".into()
        })
    );
    assert_eq!(
        MessageTemplate::custom("{Code}"),
        Err(TemplateError::UnknownPlaceholder {
            name: "Code".into()
        })
    );
    assert_eq!(
        MessageTemplate::custom("{code} {minutes"),
        Err(TemplateError::UnbalancedBrace { offset: 7 })
    );
    assert_eq!(
        MessageTemplate::custom("{code} }"),
        Err(TemplateError::UnbalancedBrace { offset: 7 })
    );
    assert_eq!(
        MessageTemplate::custom("{co{de}"),
        Err(TemplateError::UnbalancedBrace { offset: 0 })
    );
    assert_eq!(
        MessageTemplate::custom(&format!("{{code}}{}", "x".repeat(1000))),
        Err(TemplateError::TooLong)
    );
    assert_eq!(
        MessageTemplate::custom("{code}")
            .unwrap()
            .with_purpose("sign in"),
        Err(TemplateError::PurposeOnCustom)
    );
}

// ---- builder validation ------------------------------------------------------------

#[test]
fn origin_host_validation() {
    let t = || MessageTemplate::new("Acme", Locale::En);
    for (host, err) in [
        ("https://example.com", TemplateError::OriginScheme),
        ("example.com:443", TemplateError::OriginPort),
        ("example.com/login", TemplateError::OriginPath),
        ("example.com?x", TemplateError::OriginPath),
        ("例え.jp", TemplateError::OriginNotAscii),
        ("bücher.example", TemplateError::OriginNotAscii),
        ("", TemplateError::OriginMalformed),
        ("exa_mple.com", TemplateError::OriginMalformed),
        ("-example.com", TemplateError::OriginMalformed),
        ("example-.com", TemplateError::OriginMalformed),
        ("example..com", TemplateError::OriginMalformed),
        ("example.com.", TemplateError::OriginMalformed),
        ("127.0.0.1", TemplateError::OriginMalformed),
        ("user@example.com", TemplateError::OriginMalformed),
        ("exa mple.com", TemplateError::OriginMalformed),
        ("#example.com", TemplateError::OriginPath),
    ] {
        assert_eq!(t().with_origin(host), Err(err), "{host:?}");
    }
    let long_label = format!("{}.com", "a".repeat(64));
    assert_eq!(
        t().with_origin(&long_label),
        Err(TemplateError::OriginMalformed)
    );
    let ok_label = format!("{}.com", "a".repeat(63));
    assert!(t().with_origin(&ok_label).is_ok());
    assert!(t().with_origin("xn--r8jz45g.jp").is_ok());
    assert!(t().with_origin("localhost").is_ok());
    assert_eq!(
        t().with_embedded_origin("ecommerce.example", EmbeddedSigil::At),
        Err(TemplateError::EmbeddedWithoutOrigin)
    );
}

#[test]
fn app_hash_and_purpose_validation() {
    let t = || MessageTemplate::new("Acme", Locale::En);
    assert!(t().with_app_hash("FA+9qCX9VSu").is_ok());
    assert!(t().with_app_hash("abcdefghij/").is_ok());
    for bad in [
        "FA+9qCX9VS",
        "FA+9qCX9VSuu",
        "FA+9qCX9VS-",
        "FA+9qCX9VS_",
        "FA+9qCX9VS=",
        "ＦA+9qCX9VS",
        "",
    ] {
        assert_eq!(
            t().with_app_hash(bad),
            Err(TemplateError::InvalidAppHash),
            "{bad:?}"
        );
    }
    for bad in ["", "   ", "sign\nin", "{code}", &"x".repeat(41)] {
        assert_eq!(
            t().with_purpose(bad),
            Err(TemplateError::InvalidPurpose),
            "{bad:?}"
        );
    }
    assert!(t().with_purpose(&"x".repeat(40)).is_ok());
}

#[test]
fn locale_from_language_tags() {
    assert_eq!(Locale::from_tag("ja"), Some(Locale::Ja));
    assert_eq!(Locale::from_tag("ja-JP"), Some(Locale::Ja));
    assert_eq!(Locale::from_tag("JA_jp"), Some(Locale::Ja));
    assert_eq!(Locale::from_tag("en-GB"), Some(Locale::En));
    assert_eq!(Locale::from_tag("fr"), None);
    assert_eq!(Locale::from_tag(""), None);
    assert_eq!(Locale::default(), Locale::En);
}

// ---- the body keeps its secret -----------------------------------------------------

#[test]
fn body_debug_is_redacted() {
    let body = MessageTemplate::new("Acme", Locale::En).render(CODE, 5);
    let debug = format!("{body:?}");
    assert!(!debug.contains(CODE), "{debug}");
    assert!(!debug.contains("Acme"), "{debug}");
    assert!(debug.contains("REDACTED"));
    // and so is the Sms that carries it
    let to = PhoneNumber::parse_e164("+819012345678").unwrap();
    let sms = Sms::new(to, body, time::Duration::minutes(5), "k".into());
    let debug = format!("{sms:?}");
    assert!(!debug.contains(CODE), "{debug}");
    assert!(!debug.contains("9012345678"), "{debug}");
}

#[test]
fn the_code_is_read_back_where_it_was_put() {
    // The brand contains the code's characters; the code read back is still the one
    // the template put in, in every template shape.
    let templates = [
        MessageTemplate::new("4KX7QP Shop", Locale::En),
        MessageTemplate::new("4KX7QP", Locale::Ja)
            .with_origin("example.com")
            .unwrap(),
        MessageTemplate::custom("{code}").unwrap(),
        MessageTemplate::custom("Code {code}, {minutes} min")
            .unwrap()
            .with_app_hash("FA+9qCX9VSu")
            .unwrap(),
    ];
    for t in templates {
        assert_eq!(code_read_back(t.render(CODE, 5)).as_deref(), Some(CODE));
    }
    // a body made by hand carries no code
    assert_eq!(code_read_back(Body::new("hello 4KX7QP")), None);
}

// ---- properties --------------------------------------------------------------------

fn templates() -> impl Strategy<Value = MessageTemplate> {
    (
        any::<String>(),
        prop::bool::ANY,
        prop::option::of("[a-z ]{1,20}"),
        prop::option::of("[a-z]{1,10}\\.(com|jp|example)"),
        prop::option::of("[A-Za-z0-9+/]{11}"),
        prop::option::of("[a-z {}]{0,20}"),
    )
        .prop_map(|(brand, ja, purpose, origin, hash, custom)| {
            let locale = if ja { Locale::Ja } else { Locale::En };
            let mut t = match custom
                .and_then(|c| MessageTemplate::custom(&format!("{c}{{code}}{c}")).ok())
            {
                Some(t) => t,
                None => MessageTemplate::new(brand, locale),
            };
            if let Some(p) = purpose.filter(|p| !p.trim().is_empty()) {
                t = t.clone().with_purpose(&p).unwrap_or(t);
            }
            if let Some(o) = origin {
                t = t.with_origin(&o).unwrap();
            }
            if let Some(h) = hash {
                t = t.with_app_hash(&h).unwrap();
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn segments_never_panic_and_count_at_least_the_minimum(body in any::<String>()) {
        let s = segments(&body);
        let units = encoded_units(&body);
        prop_assert!(s.count >= 1);
        let (single, part) = (s.encoding.single_capacity(), s.encoding.part_capacity());
        if units <= single {
            prop_assert_eq!(s.count, 1);
        } else {
            // at least the ideal packing, and never more than one unit lost a part
            let ideal = units.div_ceil(part);
            let worst = units.div_ceil(part - 1);
            prop_assert!(usize::from(s.count) >= ideal);
            prop_assert!(usize::from(s.count) <= worst);
        }
        prop_assert_eq!(s.encoding == Encoding::Gsm7, body.chars().all(|c| gsm7_septets(c).is_some()));
    }

    #[test]
    fn appending_within_an_encoding_never_lowers_the_count(
        body in "[a-z€\\[\\]あ😀]{0,400}",
        extra in "[a-z€\\[\\]あ😀]{1,3}",
    ) {
        let before = segments(&body);
        let longer = format!("{body}{extra}");
        let after = segments(&longer);
        if before.encoding == after.encoding {
            prop_assert!(after.count >= before.count);
        }
    }

    #[test]
    fn every_rendered_body_carries_its_code(
        t in templates(),
        code in "[2-9A-HJ-NP-Z]{4,10}",
        minutes in 0u32..=60,
    ) {
        let body = t.render(&code, minutes);
        prop_assert!(body.expose().contains(&code));
        if let Some((_, line_code, _)) = origin_line(body.expose()) {
            prop_assert_eq!(&line_code, &code);
        }
        prop_assert_eq!(code_read_back(body), Some(code));
    }
}

#[test]
fn template_errors_show_the_placeholder_syntax_literally() {
    let e = MessageTemplate::custom("{code} {brand}").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown placeholder {brand}; use {code}, {minutes}, or {{ and }} for braces"
    );
    assert_eq!(
        TemplateError::MissingCodePlaceholder.to_string(),
        "the template has no {code} placeholder"
    );
}
