//! Per-request costs of the text path: reading a typed phone number, rendering the
//! SMS body, and counting its segments. Each runs once per `start`/`resend`, so they
//! should stay far below the cost of the store round trip and the HMAC.
//!
//! ```text
//! cargo bench --bench phone_message
//! ```

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use smsotp::message::{Locale, MessageTemplate, segments};
use smsotp::phone::{PhoneNumber, Region};

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("phone_parse");
    for (name, input, region) in [
        ("jp_national", "090-1234-5678", Region::JP),
        ("jp_fullwidth", "０９０－１２３４－５６７８", Region::JP),
        ("jp_international_trunk0", "+81 090-1234-5678", Region::JP),
        ("us_national", "+1 (415) 555-2671", Region::US),
        ("de_national", "01512 3456789", Region::DE),
    ] {
        group.bench_with_input(BenchmarkId::from_parameter(name), &input, |b, input| {
            b.iter(|| PhoneNumber::parse(black_box(input), region));
        });
    }
    group.bench_function("e164_strict", |b| {
        b.iter(|| PhoneNumber::parse_e164(black_box("+819012345678")));
    });
    group.bench_function("masked", |b| {
        let n = PhoneNumber::parse_e164("+819012345678").unwrap();
        b.iter(|| black_box(&n).masked());
    });
    group.finish();
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("message_render");
    let en = MessageTemplate::new("Acme", Locale::En);
    let ja_origin = MessageTemplate::new("Acme", Locale::Ja)
        .with_origin("example.com")
        .unwrap();
    let custom = MessageTemplate::custom("Acme: {code} ({minutes} min)")
        .unwrap()
        .with_app_hash("FA+9qCX9VSu")
        .unwrap();
    for (name, t) in [
        ("en", &en),
        ("ja_origin", &ja_origin),
        ("custom_hash", &custom),
    ] {
        group.bench_with_input(BenchmarkId::from_parameter(name), t, |b, t| {
            b.iter(|| t.render(black_box("4KX7QP"), 5));
        });
    }
    group.finish();
}

fn count(c: &mut Criterion) {
    let mut group = c.benchmark_group("message_segments");
    let en = MessageTemplate::new("Acme", Locale::En)
        .with_origin("example.com")
        .unwrap()
        .render("4KX7QP", 5);
    let ja = MessageTemplate::new("Acme", Locale::Ja)
        .with_origin("example.com")
        .unwrap()
        .render("4KX7QP", 5);
    let long_gsm = "Lorem ipsum [dolor] sit amet, {consectetur} ".repeat(25);
    let long_ucs2 = "認証コードを入力してください😀".repeat(40);
    for (name, body) in [
        ("en_otp", en.expose()),
        ("ja_otp", ja.expose()),
        ("gsm7_1100_chars", long_gsm.as_str()),
        ("ucs2_600_chars", long_ucs2.as_str()),
    ] {
        group.bench_with_input(BenchmarkId::from_parameter(name), body, |b, body| {
            b.iter(|| segments(black_box(body)));
        });
    }
    group.finish();
}

criterion_group!(benches, parse, render, count);
criterion_main!(benches);
