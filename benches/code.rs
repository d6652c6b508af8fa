//! Code generation and input normalisation with the default spec.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use smsotp::CodeSpec;

fn generation(c: &mut Criterion) {
    let spec = CodeSpec::default();
    let mut group = c.benchmark_group("generate");
    // What the verifier does: the thread-local, OS-seeded generator.
    group.bench_function("default_spec/thread_rng", |b| {
        b.iter(|| black_box(&spec).generate())
    });
    // The generator's own cost, without the thread-local lookup.
    let mut rng = StdRng::seed_from_u64(7);
    group.bench_function("default_spec/std_rng", |b| {
        b.iter(|| black_box(&spec).generate_with(&mut rng))
    });
    group.finish();
}

fn normalisation(c: &mut Criterion) {
    let spec = CodeSpec::default();
    let mut group = c.benchmark_group("normalise");
    for (name, input) in [
        ("clean", "ABC234"),
        ("full_width_hyphen", "ａｂｃ－２３４"),
        ("lower_spaced", " abc 234 "),
        ("malformed_arabic_digit", "ABC23٣"),
        ("oversized_1mb", &*"A2".repeat(1 << 19)),
    ] {
        let input = input.to_owned();
        group.bench_function(name, |b| {
            b.iter(|| black_box(&spec).normalise(black_box(&input)))
        });
    }
    group.finish();
}

criterion_group!(benches, generation, normalisation);
criterion_main!(benches);
