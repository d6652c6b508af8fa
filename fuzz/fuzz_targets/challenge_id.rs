//! `cargo +nightly fuzz run challenge_id`: the `challenge_id` target of the shared harness.
#![no_main]

#[path = "../../tests/fuzz_harness/mod.rs"]
mod fuzz_harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fuzz_harness::run("challenge_id", data);
});
