//! What the Redis and PostgreSQL store tests share: a key, a number, a wrong code,
//! a challenge and a check request as the verifier would make them.
#![allow(dead_code)]

use smsotp::store::{
    Allowance, BindingTag, CheckRequest, Digest, NewChallenge, StoreError, Timeline,
};
use std::sync::Arc;

use smsotp::transport::RecordingTransport;
use smsotp::{
    Binding, ChallengeId, Clock, Error, ManualClock, Phase, PhoneNumber, Purpose, Secret, Store,
    SystemClock, Verdict, Verifier,
};
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

/// A fresh challenge created on `create_on` is approved by its code on `check_on`: the
/// same store, or another instance on the same backend.
pub async fn created_then_approved(create_on: &dyn Store, check_on: &dyn Store) {
    let now = SystemClock.now();
    let id = ChallengeId::random();
    create_on
        .create(&challenge(id, [1; 16], [2; 32], now))
        .await
        .unwrap();
    assert_eq!(
        check_on
            .check(&id, &req([1; 16], &[[2; 32]], now))
            .await
            .unwrap(),
        smsotp::store::CheckOutcome::Approved
    );
}

pub fn is_outage(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(_) | StoreError::Timeout)
}

/// Runs every verifier operation, leaving some challenges pending, a delivery link and
/// a subject's failure count behind.
pub async fn whole_flow(store: impl Store) -> (Vec<String>, PhoneNumber) {
    let sms = Arc::new(RecordingTransport::new());
    let clock = ManualClock::new(SystemClock.now());
    let v = Verifier::builder(secret())
        .store(store)
        .transport(sms.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    let to = phone();
    let who = Binding::new(to.clone(), Purpose::login()).with_subject("user-42");
    let first = v.start(&who).await.unwrap();
    let code = sms.last_code(&to).unwrap();
    assert_eq!(
        v.check(&first.id, &who, &wrong_code(&code)).await.unwrap(),
        Verdict::Rejected { attempts_left: 4 }
    );
    clock.advance(Duration::seconds(61));
    v.resend(&first.id, &who).await.unwrap();
    assert_eq!(
        v.status(&first.id).await.unwrap().unwrap().phase,
        Phase::Pending
    );
    let second = v
        .start(&Binding::new(
            to.clone(),
            Purpose::new("change-phone").unwrap(),
        ))
        .await
        .unwrap();
    let other = v.start(&who).await.unwrap();
    let last = sms.last_code(&to).unwrap();
    assert_eq!(
        v.check(&other.id, &who, &last).await.unwrap(),
        Verdict::Approved
    );
    // One more failure, so the subject's count is at rest too.
    assert!(matches!(
        v.check(&first.id, &who, &wrong_code(&last)).await.unwrap(),
        Verdict::Rejected { .. }
    ));
    let codes = sms.codes(&to);
    assert_eq!(codes.len(), 4);
    assert!(v.status(&second.id).await.unwrap().is_some());
    (codes, to)
}

/// Every verifier operation on challenge `id` while the store is down: an error that
/// says outage, never an approval and never an SMS.
pub async fn fails_closed(v: &Verifier, id: &ChallengeId, who: &Binding, code: &str) {
    match v.check(id, who, code).await {
        Err(Error::Store(e)) => assert!(is_outage(&e), "{e:?}"),
        other => panic!("a check during an outage must fail, got {other:?}"),
    }
    match v.start(who).await {
        Err(Error::Store(e)) => assert!(is_outage(&e), "{e:?}"),
        other => panic!("a start during an outage must fail, got {other:?}"),
    }
    assert!(matches!(v.status(id).await, Err(Error::Store(_))));
    assert!(matches!(v.cancel(id).await, Err(Error::Store(_))));
}
