//! TOTP generate and verify: smsotp against the `totp-rs` crate in the same run, with the
//! same algorithm, digits, period, skew and secret.
//!
//! Run: `cargo bench --bench totp -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use smsotp::otp::{Algorithm, OtpSecret, Totp};
use time::OffsetDateTime;

const UNIX: i64 = 1_111_111_109;

struct Case {
    name: &'static str,
    ours: Totp,
    theirs: totp_rs::Totp,
}

fn cases() -> Vec<Case> {
    [
        ("sha1", Algorithm::Sha1, totp_rs::Algorithm::SHA1, 20),
        ("sha256", Algorithm::Sha256, totp_rs::Algorithm::SHA256, 32),
        ("sha512", Algorithm::Sha512, totp_rs::Algorithm::SHA512, 64),
    ]
    .into_iter()
    .map(|(name, ours_alg, theirs_alg, len)| {
        let seed: Vec<u8> = b"1234567890".iter().copied().cycle().take(len).collect();
        let ours = Totp::builder(OtpSecret::new(&seed).unwrap())
            .algorithm(ours_alg)
            .digits(6)
            .skew(1)
            .build()
            .unwrap();
        let theirs = totp_rs::Builder::new()
            .with_algorithm(theirs_alg)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(totp_rs::Secret::new(seed.into_boxed_slice()))
            .build()
            .unwrap();
        Case { name, ours, theirs }
    })
    .collect()
}

fn bench(c: &mut Criterion) {
    let at = OffsetDateTime::from_unix_timestamp(UNIX).unwrap();
    let unix = u64::try_from(UNIX).unwrap();
    let cases = cases();

    // Same codes from both, or the comparison means nothing.
    for case in &cases {
        let ours = case.ours.generate(at).unwrap();
        assert_eq!(ours.expose(), case.theirs.generate(unix).to_string());
    }

    let mut group = c.benchmark_group("totp_generate");
    for case in &cases {
        group.bench_function(BenchmarkId::new("smsotp", case.name), |b| {
            b.iter(|| case.ours.generate(black_box(at)).unwrap())
        });
        group.bench_function(BenchmarkId::new("totp-rs", case.name), |b| {
            b.iter(|| case.theirs.generate(black_box(unix)))
        });
    }
    group.finish();

    // The right code for the current step: totp-rs tries the previous step first, then
    // the current one; we try the current step first. Both stop at the match.
    let mut group = c.benchmark_group("totp_verify_valid");
    for case in &cases {
        let code = case.ours.generate(at).unwrap().expose().to_owned();
        group.bench_function(BenchmarkId::new("smsotp", case.name), |b| {
            b.iter(|| case.ours.verify(black_box(&code), black_box(at), None))
        });
        group.bench_function(BenchmarkId::new("totp-rs", case.name), |b| {
            b.iter(|| case.theirs.check(black_box(&code), black_box(unix)))
        });
    }
    group.finish();

    // A wrong code: both compute every step in the window.
    let mut group = c.benchmark_group("totp_verify_wrong");
    for case in &cases {
        let step = case.ours.step_at(at).unwrap();
        let window: Vec<String> = (step - 1..=step + 1)
            .map(|s| case.ours.generate_at_step(s).expose().to_owned())
            .collect();
        let wrong = (0..1_000_000u32)
            .map(|n| format!("{n:06}"))
            .find(|c| !window.contains(c))
            .unwrap();
        assert!(case.ours.verify(&wrong, at, None).is_err());
        assert!(case.theirs.check(&wrong, unix).is_none());
        group.bench_function(BenchmarkId::new("smsotp", case.name), |b| {
            b.iter(|| case.ours.verify(black_box(&wrong), black_box(at), None))
        });
        group.bench_function(BenchmarkId::new("totp-rs", case.name), |b| {
            b.iter(|| case.theirs.check(black_box(&wrong), black_box(unix)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
