//! What must hold when two verifiers (two processes, say) share one store: the races
//! and limits the Redis and PostgreSQL store tests both run, on their own stores.
#![allow(dead_code)]

use std::sync::Arc;

use smsotp::transport::RecordingTransport;
use smsotp::{Binding, Clock, Error, PhoneNumber, Purpose, SystemClock, Verdict, Verifier};

use super::store_fixtures::{phone, wrong_code};

/// 200 wrong checks of one challenge, half on each instance, at once: exactly
/// max_attempts (5) are evaluated, the rest answer Locked, and the challenge stays
/// locked even for the right code.
pub async fn wrong_checks_stop_at_max_attempts(
    a: &Arc<Verifier>,
    b: &Arc<Verifier>,
    sms: &RecordingTransport,
) {
    let who = Binding::new(phone(), Purpose::login());
    let pending = a.start(&who).await.unwrap();
    let wrong = wrong_code(&sms.last_code(&phone()).unwrap());
    let mut tasks = Vec::new();
    for i in 0..200 {
        let v = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (who, wrong, id) = (who.clone(), wrong.clone(), pending.id);
        tasks.push(tokio::spawn(async move {
            v.check(&id, &who, &wrong).await.unwrap()
        }));
    }
    let mut rejected = Vec::new();
    let mut locked = 0;
    for t in tasks {
        match t.await.unwrap() {
            Verdict::Rejected { attempts_left } => rejected.push(attempts_left),
            Verdict::Locked => locked += 1,
            other => panic!("unexpected verdict {other:?}"),
        }
    }
    rejected.sort_unstable();
    assert_eq!(
        rejected,
        vec![0, 1, 2, 3, 4],
        "exactly max_attempts evaluations"
    );
    assert_eq!(locked, 195);
    // Locked for good: even the right code no longer works.
    let right = sms.last_code(&phone()).unwrap();
    assert_eq!(
        b.check(&pending.id, &who, &right).await.unwrap(),
        Verdict::Locked
    );
}

/// 200 checks with the right code, half on each instance, at once: one approval.
pub async fn right_checks_approve_once(
    a: &Arc<Verifier>,
    b: &Arc<Verifier>,
    sms: &RecordingTransport,
) {
    let who = Binding::new(phone(), Purpose::login());
    let pending = b.start(&who).await.unwrap();
    let code = sms.last_code(&phone()).unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let v = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (who, code, id) = (who.clone(), code.clone(), pending.id);
        tasks.push(tokio::spawn(async move {
            v.check(&id, &who, &code).await.unwrap()
        }));
    }
    let mut approved = 0;
    for t in tasks {
        match t.await.unwrap() {
            Verdict::Approved => approved += 1,
            Verdict::NotFound => {}
            other => panic!("unexpected verdict {other:?}"),
        }
    }
    assert_eq!(approved, 1);
}

/// Instances whose verifiers allow 3 sends per number in 10 minutes: the limit is
/// shared, so the fourth start is refused on either, and another number still goes.
pub async fn destination_limit_holds(instances: &[Verifier], sms: &RecordingTransport) {
    let who = Binding::new(phone(), Purpose::login());
    for i in 0..3 {
        instances[i % 2].start(&who).await.unwrap();
    }
    for v in instances {
        match v.start(&who).await {
            Err(Error::RateLimited {
                scope: "destination",
                retry_at,
            }) => assert!(retry_at > SystemClock.now()),
            other => panic!("expected the destination limit, got {other:?}"),
        }
    }
    // Another number is not affected.
    let other = PhoneNumber::parse_e164("+14155550100").unwrap();
    instances[1]
        .start(&Binding::new(other, Purpose::login()))
        .await
        .unwrap();
    assert_eq!(sms.count(), 4);
}
