//! Abuse and cost controls, each on every store (memory; Redis when available).

mod common;

use std::sync::Arc;

use common::{login, phone, secret, stores, wrong_code};
use smsotp::events::{DenyReason, Event, RecordedEvents};
use smsotp::policy::{ConversionGuard, CountryPolicy, Limit, SendLimits, SpendCap};
use smsotp::risk::{RiskCheck, RiskRequest, RiskVerdict};
use smsotp::test_numbers::TestNumbers;
use smsotp::transport::RecordingTransport;
use smsotp::{
    Binding, ConfigError, Error, ManualClock, Mode, PhoneNumber, Purpose, StartOptions, Store,
    Verdict, Verifier, VerifierBuilder,
};
use time::{Duration, macros::datetime};

struct Rig {
    verifier: Arc<Verifier>,
    sms: Arc<RecordingTransport>,
    clock: ManualClock,
    events: Arc<RecordedEvents>,
}

fn rig(store: &Arc<dyn Store>, configure: impl FnOnce(VerifierBuilder) -> VerifierBuilder) -> Rig {
    let sms = Arc::new(RecordingTransport::new());
    let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
    let events = Arc::new(RecordedEvents::new());
    let builder = Verifier::builder(secret())
        .store(store.clone())
        .transport(sms.clone())
        .clock(clock.clone())
        .events(events.clone());
    let verifier = Arc::new(configure(builder).build().expect("valid config"));
    Rig {
        verifier,
        sms,
        clock,
        events,
    }
}

fn number(i: u32) -> Binding {
    login(&format!("090{:08}", i))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn per_client_limit_stops_one_client_spraying_numbers() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.send_limits(SendLimits::none().per_client(Limit::new(3, Duration::minutes(10))))
        });
        let bot = StartOptions::client("203.0.113.7");
        for i in 0..3 {
            r.verifier.start_with(&number(i), &bot).await.unwrap();
        }
        let denied = r.verifier.start_with(&number(99), &bot).await;
        assert!(
            matches!(denied, Err(Error::RateLimited { scope: "client", retry_at }) if retry_at == datetime!(2026-11-25 09:10 UTC)),
            "{name}: {denied:?}"
        );
        r.verifier
            .start_with(&number(99), &StartOptions::client("198.51.100.1"))
            .await
            .unwrap();
        assert_eq!(r.sms.count(), 4, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prefix_country_and_global_limits() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.send_limits(SendLimits::none().per_prefix(Limit::new(2, Duration::hours(1))))
        });
        // 090-1234-0001 and 090-1234-0002 share the prefix +81901234.
        r.verifier.start(&login("090-1234-0001")).await.unwrap();
        r.verifier.start(&login("090-1234-0002")).await.unwrap();
        let denied = r.verifier.start(&login("090-1234-0003")).await;
        assert!(
            matches!(
                denied,
                Err(Error::RateLimited {
                    scope: "prefix",
                    ..
                })
            ),
            "{name}"
        );
        r.verifier.start(&login("090-5678-0001")).await.unwrap();

        let r = rig(&store, |b| {
            b.send_limits(
                SendLimits::none()
                    .per_country(Limit::new(1, Duration::hours(1)))
                    .global(Limit::new(2, Duration::hours(1))),
            )
        });
        r.verifier.start(&login("090-1111-0001")).await.unwrap();
        let denied = r.verifier.start(&login("080-2222-0002")).await;
        assert!(
            matches!(
                denied,
                Err(Error::RateLimited {
                    scope: "country",
                    ..
                })
            ),
            "{name}"
        );
        let us = Binding::new(
            PhoneNumber::parse_e164("+14155552671").unwrap(),
            Purpose::login(),
        );
        r.verifier.start(&us).await.unwrap();
        let gb = Binding::new(
            PhoneNumber::parse_e164("+447700900123").unwrap(),
            Purpose::login(),
        );
        let denied = r.verifier.start(&gb).await;
        assert!(
            matches!(
                denied,
                Err(Error::RateLimited {
                    scope: "global",
                    ..
                })
            ),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subject_ceiling_trips_despite_rotating_clients_and_challenges() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.send_limits(SendLimits::none()).max_attempts(5)
        });
        let who = login("09012345678").with_subject("user-42");
        let mut failures = 0;
        let mut locked = None;
        'outer: for round in 0..30 {
            let client = StartOptions::client(format!("10.0.{round}.1"));
            let p = r.verifier.start_with(&who, &client).await.unwrap();
            let wrong = wrong_code(&r.sms.codes(who.destination()));
            for _ in 0..5 {
                match r.verifier.check(&p.id, &who, &wrong).await.unwrap() {
                    Verdict::Rejected { .. } => failures += 1,
                    Verdict::TooManyFailures => {
                        locked = Some(p.id);
                        break 'outer;
                    }
                    other => panic!("{name}: unexpected {other:?}"),
                }
            }
        }
        assert_eq!(
            failures, 100,
            "{name}: exactly 100 consecutive failures are counted"
        );
        let id = locked.expect("the ceiling tripped");
        let right = r.sms.last_code(who.destination()).unwrap();
        assert_eq!(
            r.verifier.check(&id, &who, &right).await.unwrap(),
            Verdict::TooManyFailures,
            "{name}: even the right code is refused"
        );
        // An administrator's reset (after another way in) unlocks it.
        r.verifier.reset_subject(&who).await.unwrap();
        assert_eq!(
            r.verifier.check(&id, &who, &right).await.unwrap(),
            Verdict::Approved
        );
        // The same number under another subject was never affected.
        let other = login("09012345678").with_subject("user-43");
        let p = r.verifier.start(&other).await.unwrap();
        let code = r.sms.last_code(other.destination()).unwrap();
        assert_eq!(
            r.verifier.check(&p.id, &other, &code).await.unwrap(),
            Verdict::Approved
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn success_resets_the_subject_count() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.send_limits(SendLimits::none())
                .subject_ceiling(10, Duration::hours(1))
        });
        let who = login("09012345678");
        for _ in 0..2 {
            // 9 failures, then a success: never locked.
            for _ in 0..3 {
                let p = r.verifier.start(&who).await.unwrap();
                let wrong = wrong_code(&r.sms.codes(who.destination()));
                for _ in 0..3 {
                    assert!(
                        matches!(
                            r.verifier.check(&p.id, &who, &wrong).await.unwrap(),
                            Verdict::Rejected { .. }
                        ),
                        "{name}"
                    );
                }
            }
            let p = r.verifier.start(&who).await.unwrap();
            let code = r.sms.last_code(who.destination()).unwrap();
            assert_eq!(
                r.verifier.check(&p.id, &who, &code).await.unwrap(),
                Verdict::Approved,
                "{name}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn country_policy_answers_like_a_good_number_but_sends_nothing() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| b.countries(CountryPolicy::allow([81])));
        let good = r.verifier.start(&login("09012345678")).await.unwrap();
        let blocked = Binding::new(
            PhoneNumber::parse_e164("+881234567890").unwrap(),
            Purpose::login(),
        );
        let decoy = r.verifier.start(&blocked).await.unwrap();
        assert_eq!(r.sms.count(), 1, "{name}: no SMS to a refused country");
        assert_eq!(
            (
                decoy.expires_at,
                decoy.resend_at,
                decoy.attempts_left,
                decoy.sends_left
            ),
            (
                good.expires_at,
                good.resend_at,
                good.attempts_left,
                good.sends_left
            ),
            "{name}: the same answer"
        );
        assert_eq!(
            r.verifier
                .check(&decoy.id, &blocked, "ABCD23")
                .await
                .unwrap(),
            Verdict::Rejected { attempts_left: 4 },
            "{name}: a decoy behaves like a real challenge"
        );
        r.clock.advance(Duration::seconds(60));
        r.verifier.resend(&decoy.id, &blocked).await.unwrap();
        assert_eq!(
            r.sms.count(),
            1,
            "{name}: a decoy's resend sends nothing either"
        );
        assert!(r.events.events().iter().any(|e| matches!(
            e,
            Event::DeniedByPolicy { reason: DenyReason::Country, challenge, .. } if *challenge == decoy.id
        )));
    }
}

#[derive(Debug)]
struct Captcha;

#[async_trait::async_trait]
impl RiskCheck for Captcha {
    async fn assess(
        &self,
        request: &RiskRequest<'_>,
    ) -> Result<RiskVerdict, Box<dyn std::error::Error + Send + Sync>> {
        match request.client_key {
            Some("bot") => Ok(RiskVerdict::Deny {
                reason: "captcha score 0.1".into(),
            }),
            Some("broken") => Err("captcha service unreachable".into()),
            _ => Ok(RiskVerdict::Allow),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_check_denies_and_fails_closed() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.risk_check(Captcha).send_limits(SendLimits::none())
        });
        let who = login("09012345678");
        r.verifier
            .start_with(&who, &StartOptions::client("person"))
            .await
            .unwrap();
        r.verifier
            .start_with(&who, &StartOptions::client("bot"))
            .await
            .unwrap();
        r.verifier
            .start_with(&who, &StartOptions::client("broken"))
            .await
            .unwrap();
        assert_eq!(
            r.sms.count(),
            1,
            "{name}: only the allowed request sent an SMS"
        );
        let denials: Vec<_> = r
            .events
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::DeniedByPolicy {
                    reason: DenyReason::Risk(why),
                    ..
                } => Some(why),
                _ => None,
            })
            .collect();
        assert_eq!(denials.len(), 2, "{name}");
        assert_eq!(
            denials[1], "risk check failed",
            "{name}: an erroring check denies, and its error text stays out of events"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pumping_one_prefix_is_paused_while_others_keep_working() {
    for (name, store) in stores().await {
        let guard = ConversionGuard::new(Duration::hours(1), 20, 0.3, Duration::minutes(30));
        let r = rig(&store, |b| {
            b.send_limits(SendLimits::none()).conversion_guard(guard)
        });
        // A real user base: codes sent to many prefixes and typed.
        let mut honest = 0;
        for i in 0..40u32 {
            let who = login(&format!("080{:04}{:04}", 1000 + i, i));
            let p = r.verifier.start(&who).await.unwrap();
            let code = r.sms.last_code(who.destination()).unwrap();
            assert_eq!(
                r.verifier.check(&p.id, &who, &code).await.unwrap(),
                Verdict::Approved
            );
            honest += 1;
        }
        // Bots: 2000 starts into one prefix, never typed.
        let before = r.sms.count();
        for i in 0..2000u32 {
            let who = login(&format!("0909999{:04}", i));
            r.verifier.start(&who).await.unwrap();
        }
        let pumped = r.sms.count() - before;
        assert_eq!(pumped, 20, "{name}: stopped at the configured volume");
        assert!(r.events.events().iter().any(|e| matches!(
            e,
            Event::PrefixPaused {
                sends: 20,
                approvals: 0,
                ..
            }
        )));
        // Other prefixes keep working.
        let who = login("070-1234-5678");
        r.verifier.start(&who).await.unwrap();
        assert_eq!(r.sms.count() - before, 21, "{name}");
        // After the cool-off (and the counting window), sends resume.
        r.clock.advance(Duration::hours(1));
        r.verifier.start(&login("090-9999-0001")).await.unwrap();
        assert_eq!(
            r.sms.count() - before,
            22,
            "{name}: resumed after the cool-off"
        );
        assert!(honest == 40);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spend_cap_holds_under_64_concurrent_starts() {
    for (name, store) in stores().await {
        // 8 yen a segment in Japan; a 100-yen budget buys 12 single-segment SMS.
        let cap = SpendCap::new(100, Duration::hours(24), 10).with_price(81, 8);
        let r = rig(&store, |b| b.send_limits(SendLimits::none()).spend_cap(cap));
        let tasks: Vec<_> = (0..64u32)
            .map(|i| {
                let v = r.verifier.clone();
                tokio::spawn(async move { v.start(&number(i)).await })
            })
            .collect();
        let mut capped = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => {}
                Err(Error::SpendCap { retry_at }) => {
                    assert_eq!(retry_at, datetime!(2026-11-26 09:00 UTC));
                    capped += 1;
                }
                Err(e) => panic!("{name}: {e}"),
            }
        }
        assert_eq!(r.sms.count(), 12, "{name}: no send past the cap");
        assert_eq!(capped, 52, "{name}");
        assert!(r.sms.messages().iter().all(|m| m.segments() == 1));
    }
}

#[tokio::test]
async fn test_numbers_use_fixed_codes_and_never_send() {
    let review = phone("090-0000-0000");
    let numbers =
        TestNumbers::new().with(review.clone(), "REVW23", datetime!(2026-12-31 00:00 UTC));
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.mode(Mode::Development).test_numbers(numbers.clone())
        });
        let who = Binding::new(review.clone(), Purpose::login());
        let p = r.verifier.start(&who).await.unwrap();
        assert_eq!(r.sms.count(), 0, "{name}: a test number never gets an SMS");
        assert_eq!(
            r.verifier.check(&p.id, &who, "revw-23").await.unwrap(),
            Verdict::Approved
        );
        // Past its date it is an ordinary number again.
        r.clock.set(datetime!(2027-01-01 00:00 UTC));
        r.verifier.start(&who).await.unwrap();
        assert_eq!(r.sms.count(), 1, "{name}");
    }
    let refused = Verifier::builder(secret())
        .test_numbers(numbers.clone())
        .build();
    assert!(matches!(refused, Err(ConfigError::TestNumbersInProduction)));
    let bad = TestNumbers::new().with(review, "0000", datetime!(2026-12-31 00:00 UTC));
    let refused = Verifier::builder(secret())
        .mode(Mode::Development)
        .test_numbers(bad)
        .build();
    assert!(matches!(refused, Err(ConfigError::TestNumberCode)));
}

#[tokio::test]
async fn every_transition_is_an_event_without_the_code() {
    for (name, store) in stores().await {
        let r = rig(&store, |b| {
            b.countries(CountryPolicy::deny([882])).max_attempts(2)
        });
        let who = login("09012345678");
        let p = r.verifier.start(&who).await.unwrap();
        let code = r.sms.last_code(who.destination()).unwrap();
        let wrong = wrong_code(std::slice::from_ref(&code));
        r.verifier.check(&p.id, &who, &wrong).await.unwrap();
        let receipt_id = r.sms.messages().len().to_string();
        r.verifier
            .record_delivery(
                "recording",
                &format!("rec-{receipt_id}"),
                smsotp::DeliveryStatus::Delivered,
            )
            .await
            .unwrap();
        r.clock.advance(Duration::seconds(60));
        r.sms
            .fail_next(smsotp::transport::TransportErrorKind::Unavailable);
        assert!(r.verifier.resend(&p.id, &who).await.is_err());
        // A failed send still used its turn: the next resend waits out the cooldown.
        r.clock.advance(Duration::seconds(60));
        r.verifier.resend(&p.id, &who).await.unwrap();
        r.verifier.check(&p.id, &who, &code).await.unwrap();
        let q = r.verifier.start(&who).await.unwrap();
        r.verifier.check(&q.id, &who, &wrong).await.unwrap();
        r.verifier.check(&q.id, &who, &wrong).await.unwrap();
        r.verifier.check(&q.id, &who, &wrong).await.unwrap();
        let e = r.verifier.start(&who).await.unwrap();
        r.clock.advance(Duration::minutes(6));
        r.verifier.check(&e.id, &who, &wrong).await.unwrap();
        let blocked = Binding::new(
            PhoneNumber::parse_e164("+882123456789").unwrap(),
            Purpose::login(),
        );
        r.verifier.start(&blocked).await.unwrap();

        let events = r.events.events();
        let has = |f: &dyn Fn(&Event) -> bool| events.iter().any(f);
        assert!(has(&|e| matches!(e, Event::Started { .. })), "{name}");
        assert!(has(&|e| matches!(e, Event::Sent { .. })));
        assert!(has(&|e| matches!(e, Event::Rejected { .. })));
        assert!(has(&|e| matches!(
            e,
            Event::Delivery {
                status: smsotp::DeliveryStatus::Delivered,
                ..
            }
        )));
        assert!(has(&|e| matches!(e, Event::SendFailed { .. })));
        assert!(has(&|e| matches!(e, Event::Resent { .. })));
        assert!(has(&|e| matches!(e, Event::Approved { .. })));
        assert!(has(&|e| matches!(e, Event::Locked { subject: false, .. })));
        assert!(has(&|e| matches!(e, Event::Expired { .. })));
        assert!(has(&|e| matches!(e, Event::DeniedByPolicy { .. })));
        let text = format!("{events:?}");
        for c in r.sms.codes(who.destination()) {
            assert!(!text.contains(&c), "{name}: a code leaked into events");
        }
        assert!(
            !text.contains("9012345678"),
            "{name}: a full number leaked into events"
        );
    }
}
