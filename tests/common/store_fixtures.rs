//! What the Redis and PostgreSQL store tests share: a key, a number, a wrong code,
//! a challenge and a check request as the verifier would make them.
#![allow(dead_code)]

use smsotp::store::{
    Allowance, BindingTag, CheckRequest, Digest, NewChallenge, StoreError, Timeline,
};
use smsotp::{ChallengeId, PhoneNumber, Secret};
use time::{Duration, OffsetDateTime};

pub fn secret() -> Secret {
    Secret::new(vec![0x5a; 32]).unwrap()
}

pub fn phone() -> PhoneNumber {
    PhoneNumber::parse_e164("+819012345678").unwrap()
}

/// Another valid code: the first symbol swapped for one of the same kind (digit or
/// letter), so the code still passes normalisation.
pub fn wrong_code(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    chars[0] = match chars[0] {
        '2' => '3',
        c if c.is_ascii_digit() => '2',
        'A' => 'B',
        _ => 'A',
    };
    chars.into_iter().collect()
}

pub fn challenge(
    id: ChallengeId,
    binding: BindingTag,
    digest: Digest,
    now: OffsetDateTime,
) -> NewChallenge {
    NewChallenge::new(
        id,
        binding,
        digest,
        Timeline::new(
            now,
            Duration::minutes(5),
            Duration::seconds(60),
            Duration::minutes(5),
        ),
        Allowance::new(5, 3),
    )
}

pub fn req(binding: BindingTag, candidates: &[Digest], now: OffsetDateTime) -> CheckRequest {
    CheckRequest::new(binding, candidates.to_vec(), now)
}

pub fn is_outage(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(_) | StoreError::Timeout)
}
