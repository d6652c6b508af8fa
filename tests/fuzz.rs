//! Fuzzing every parser of untrusted input, on stable Rust, with the shared harness in
//! `tests/fuzz_harness/` (the `cargo fuzz` targets in `fuzz/` run the same code).
//!
//! `cargo test --all-features --test fuzz` runs a small deterministic batch per
//! parser (seconds). The large run, outside the normal test command:
//!
//! ```text
//! FUZZ_CASES=1000000 cargo test --release --all-features --test fuzz -- --nocapture
//! ```
//!
//! Settings: `FUZZ_CASES` (per parser; default 1,000), `FUZZ_SEED` (default fixed, so
//! a failure reproduces), `FUZZ_TARGET` (one parser by name).
//!
//! The memory limit is process-wide, so this file holds a single test: nothing else
//! may allocate while an input runs.
//!
//! Checked for every input: no panic (the harness also asserts each parser's
//! invariants on what it accepts); memory: no input may allocate more than
//! 8 MiB + 64 bytes per input byte beyond what was live before it (the counting
//! allocator below refuses more, which aborts the run); time: no input may take longer
//! than 250 ms + 50 us per input byte (the best of three tries, so a busy machine does
//! not fail the run; the slowest ns per byte seen is printed).

// The per-input time bound is wall-clock time by nature; nothing here is
// application time that a `smsotp::Clock` should control.
#![allow(clippy::disallowed_methods)]

mod fuzz_harness;

use std::time::{Duration, Instant};

use fuzz_harness::{Gen, Target};

/// Counts live heap bytes and refuses allocations past a limit, set per input.
#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

const BASE_BYTES: usize = 8 << 20;
const BYTES_PER_INPUT_BYTE: usize = 64;
const BASE_TIME: Duration = Duration::from_millis(250);
const TIME_PER_INPUT_BYTE: Duration = Duration::from_micros(50);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The start of an input, for a failure message.
fn shown(input: &[u8]) -> String {
    format!(
        "{:?}",
        String::from_utf8_lossy(input.get(..300.min(input.len())).unwrap_or_default())
    )
}

/// Runs one input under the memory limit and returns how long it took and how many
/// parses accepted it, or what the panic said.
fn run_bounded(target: &Target, input: &[u8]) -> Result<(Duration, usize), String> {
    let limit = ALLOC.allocated() + BASE_BYTES + BYTES_PER_INPUT_BYTE * input.len();
    ALLOC.set_limit(limit).expect("limit above what is live");
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (target.run)(input)));
    let took = started.elapsed();
    // Lifted before a panic goes on, so reporting it has all the memory it needs.
    ALLOC.set_limit(usize::MAX).expect("lift the limit");
    outcome.map(|accepted| (took, accepted)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        format!(
            "{} panicked on an input of {} bytes ({message}): {}",
            target.name,
            input.len(),
            shown(input)
        )
    })
}

struct Stats {
    cases: u64,
    accepted: u64,
    long_inputs_bytes: u64,
    long_inputs_time: Duration,
    bytes: u64,
    longest_input: usize,
    slowest: Duration,
    worst_ns_per_byte: f64,
}

/// Fuzzes one target; stops at its first failure and says what it was.
fn fuzz(target: &Target, cases: u64, seed: u64) -> (Stats, Option<String>) {
    let mut stats = Stats {
        cases: 0,
        accepted: 0,
        long_inputs_bytes: 0,
        long_inputs_time: Duration::ZERO,
        bytes: 0,
        longest_input: 0,
        slowest: Duration::ZERO,
        worst_ns_per_byte: 0.0,
    };
    let check = |input: &[u8], stats: &mut Stats| -> Result<(), String> {
        let budget =
            BASE_TIME + TIME_PER_INPUT_BYTE * u32::try_from(input.len()).unwrap_or(u32::MAX);
        let (mut took, accepted) = run_bounded(target, input)?;
        for _ in 0..2 {
            if took <= budget {
                break;
            }
            took = took.min(run_bounded(target, input)?.0);
        }
        stats.accepted += accepted as u64;
        if took > budget {
            return Err(format!(
                "{}: an input of {} bytes took {took:?} (budget {budget:?}): {}",
                target.name,
                input.len(),
                shown(input)
            ));
        }
        stats.cases += 1;
        stats.bytes += input.len() as u64;
        stats.longest_input = stats.longest_input.max(input.len());
        stats.slowest = stats.slowest.max(took);
        // Per byte over inputs long enough for the rate to mean something (below
        // that, the fixed cost of a signature check dominates).
        if input.len() >= 4096 {
            stats.long_inputs_bytes += input.len() as u64;
            stats.long_inputs_time += took;
            let rate = took.as_nanos() as f64 / input.len() as f64;
            stats.worst_ns_per_byte = stats.worst_ns_per_byte.max(rate);
        }
        Ok(())
    };
    for seed_input in target.seeds {
        if let Err(failure) = check(seed_input.as_bytes(), &mut stats) {
            return (stats, Some(failure));
        }
    }
    // Each parser gets its own stream, so adding a parser changes no other's inputs.
    let name_hash = target.name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut generator = Gen::new(seed ^ name_hash);
    for _ in 0..cases {
        let input = generator.input(target);
        if let Err(failure) = check(&input, &mut stats) {
            return (stats, Some(failure));
        }
    }
    (stats, None)
}

#[test]
fn every_parser_survives_generated_input() {
    let cases = env_number("FUZZ_CASES", 1_000);
    let seed = env_number("FUZZ_SEED", 0x005E_ED0F_F022);
    let only = std::env::var("FUZZ_TARGET").ok();
    // A panic formats its message and maybe a backtrace before any `catch_unwind`
    // sees it: lift the memory limit first, so reporting a failure cannot itself fail.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = ALLOC.set_limit(usize::MAX);
        report(info);
    }));
    // First, unbounded: every target's seeds get past the first refusal (a harness
    // that never produces an accepted input would fuzz only the front door), and
    // whatever a parser builds once on first use (libphonenumber's metadata) is built
    // before any limit applies. One test does both, as the memory limit is global.
    for target in fuzz_harness::targets() {
        let accepted: usize = target
            .seeds
            .iter()
            .map(|s| (target.run)(s.as_bytes()))
            .sum();
        assert!(accepted > 0, "{}: no seed is accepted", target.name);
    }
    let mut ran = 0;
    let mut failures = Vec::new();
    let started = Instant::now();
    for target in fuzz_harness::targets() {
        if only.as_deref().is_some_and(|name| name != target.name) {
            continue;
        }
        let t = Instant::now();
        let (stats, failure) = fuzz(&target, cases, seed);
        println!(
            "fuzz {:<20} {:>9} cases ({:>7} accepted) {:>12} bytes, longest {:>6} B, slowest {:>9.2?}; inputs >= 4 KiB: mean {:>6.1} ns/B, worst {:>7.1} ns/B; {:>8.2?}",
            target.name,
            stats.cases,
            stats.accepted,
            stats.bytes,
            stats.longest_input,
            stats.slowest,
            stats.long_inputs_time.as_nanos() as f64 / stats.long_inputs_bytes.max(1) as f64,
            stats.worst_ns_per_byte,
            t.elapsed()
        );
        if let Some(failure) = failure {
            println!("fuzz {:<20} FAILED: {failure}", target.name);
            failures.push(failure);
        }
        ran += 1;
    }
    println!(
        "fuzz total: {ran} parsers, {cases} generated cases each (seed {seed:#x}), {:.2?}",
        started.elapsed()
    );
    assert!(ran > 0, "FUZZ_TARGET names no parser");
    // Every target runs even when one fails, so one run finds every failing parser.
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
