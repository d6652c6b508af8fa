//! What the verifier logs, each in a function of its own.
//!
//! Out of line on purpose: a `tracing` call expands to its whole (rarely run) event
//! code where it is written, and in `start` and `check` that code sat between the
//! instructions every call runs (moving it out took `start`'s poll function from 29.5
//! to 28.1 KB and its simulated instruction-cache misses down by 2.5%).

use crate::challenge::{Binding, ChallengeId, Verdict};
use crate::phone::PhoneNumber;
use crate::store::StoreError;
use crate::transport::{Receipt, TransportError};

#[inline(never)]
pub(super) fn started(id: &ChallengeId, binding: &Binding) {
    tracing::info!(challenge = %id, to = %binding.destination(), purpose = binding.purpose().as_str(), "challenge started");
}

#[inline(never)]
pub(super) fn resent(id: &ChallengeId, binding: &Binding) {
    tracing::info!(challenge = %id, to = %binding.destination(), "code resent");
}

#[inline(never)]
pub(super) fn sent(id: &ChallengeId, to: &PhoneNumber, receipt: &Receipt) {
    tracing::info!(challenge = %id, %to, provider = %receipt.provider(), message_id = receipt.message_id(), "code sent");
}

#[inline(never)]
pub(super) fn send_failed(id: &ChallengeId, to: &PhoneNumber, error: &TransportError) {
    tracing::warn!(challenge = %id, %to, error = %error, "sms send failed");
}

#[inline(never)]
pub(super) fn not_linked(error: &StoreError) {
    tracing::warn!(error = %error, "could not link the message to its challenge");
}

#[inline(never)]
pub(super) fn malformed(id: &ChallengeId) {
    tracing::info!(challenge = %id, "check: malformed input");
}

#[inline(never)]
pub(super) fn not_found(id: &ChallengeId) {
    tracing::info!(challenge = %id, "check: no such challenge");
}

#[inline(never)]
pub(super) fn checked(id: &ChallengeId, binding: &Binding, verdict: Verdict) {
    tracing::info!(challenge = %id, to = %binding.destination(), verdict = ?verdict, "code checked");
}
