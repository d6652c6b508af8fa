//! The voice channel: speech a person can write down, and a voice resend that is a
//! resend like any other (same attempts, send cap, limits and spend cap).

mod common;

use std::sync::Arc;

use common::{login, phone, secret, wrong_code};
use smsotp::code::{Alphabet, CodeSpec};
use smsotp::message::{Locale, MessageTemplate, Speech, spoken_symbol};
use smsotp::policy::{Limit, SendLimits, SpendCap};
use smsotp::transport::RecordingTransport;
use smsotp::{Error, ManualClock, Verdict, Verifier, VerifierBuilder};
use time::{Duration, macros::datetime};

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

fn every_symbol() -> Vec<char> {
    let mut symbols: Vec<char> = Alphabet::alphanumeric().symbols().chars().collect();
    symbols.extend("23456789".chars());
    symbols.sort_unstable();
    symbols.dedup();
    symbols
}

#[test]
fn every_symbol_has_a_reading_and_no_two_sound_alike() {
    for locale in [Locale::En, Locale::Ja] {
        let symbols = every_symbol();
        for a in &symbols {
            let sa = spoken_symbol(*a, locale).unwrap_or_else(|| panic!("{a} unreadable"));
            assert!(!sa.words.is_empty());
            for b in &symbols {
                if a >= b {
                    continue;
                }
                let sb = spoken_symbol(*b, locale).unwrap();
                assert_ne!(sa.words, sb.words, "{locale:?}: {a} and {b} read alike");
                // Sounds (romanised) differ by at least two edits: one misheard
                // sound never turns one symbol into another.
                assert!(
                    distance(sa.sound, sb.sound) >= 2,
                    "{locale:?}: {a} ({}) and {b} ({}) sound alike",
                    sa.sound,
                    sb.sound
                );
            }
        }
    }
    // Letters are said with their word, so rhyming names stay apart.
    assert_eq!(
        spoken_symbol('K', Locale::En).unwrap().words,
        "K as in kilo"
    );
    assert_eq!(spoken_symbol('k', Locale::Ja).unwrap().words, "キロのケー");
    assert_eq!(
        spoken_symbol('0', Locale::En),
        None,
        "0 is not in the alphabets"
    );
}

#[test]
fn the_code_is_read_twice_slowly_and_never_shown_by_debug() {
    let speech = Speech::render("4KX7QP", "Acme", Locale::En).unwrap();
    let plain = speech.expose_plain();
    let once = "four, K as in kilo, X as in x-ray, seven, Q as in quebec, P as in papa";
    assert_eq!(plain.matches(once).count(), 2, "{plain}");
    assert!(plain.starts_with("This is Acme."));
    let ssml = speech.expose_ssml();
    assert!(ssml.starts_with("<speak>") && ssml.ends_with("</speak>"));
    assert_eq!(ssml.matches("<prosody rate=\"slow\">").count(), 2);
    assert_eq!(ssml.matches("<break time=\"600ms\"/>").count(), 12);
    assert!(!format!("{speech:?}").contains("kilo"));

    let ja = Speech::render("4KX7QP", "エーシー", Locale::Ja).unwrap();
    assert_eq!(ja.expose_plain().matches("キロのケー").count(), 2);
    assert!(
        ja.expose_plain()
            .starts_with("エーシーです。認証コードをお知らせします。")
    );

    // A brand cannot inject markup.
    let sneaky = Speech::render("4KX7QP", "<break time=\"60s\"/>", Locale::En).unwrap();
    assert!(!sneaky.expose_ssml().contains("<break time=\"60s\"/>"));
}

struct Rig {
    verifier: Arc<Verifier>,
    sms: Arc<RecordingTransport>,
    calls: Arc<RecordingTransport>,
    clock: ManualClock,
}

fn rig(configure: impl FnOnce(VerifierBuilder) -> VerifierBuilder) -> Rig {
    let sms = Arc::new(RecordingTransport::new());
    let calls = Arc::new(RecordingTransport::new());
    let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
    let builder = Verifier::builder(secret())
        .transport(sms.clone())
        .voice(calls.clone())
        .clock(clock.clone());
    Rig {
        verifier: Arc::new(configure(builder).build().unwrap()),
        sms,
        calls,
        clock,
    }
}

#[tokio::test]
async fn a_voice_resend_shares_attempts_and_the_send_cap() {
    let r = rig(|b| b.max_sends(2));
    let who = login("09012345678");
    let p = r.verifier.start(&who).await.unwrap();
    let texted = r.sms.last_code(who.destination()).unwrap();
    for _ in 0..2 {
        r.verifier
            .check(&p.id, &who, &wrong_code(std::slice::from_ref(&texted)))
            .await
            .unwrap();
    }
    // During the cooldown a call is as refused as an SMS.
    assert!(matches!(
        r.verifier.resend_by_voice(&p.id, &who).await,
        Err(Error::ResendTooSoon { .. })
    ));
    r.clock.advance(Duration::seconds(60));
    let called = r.verifier.resend_by_voice(&p.id, &who).await.unwrap();
    assert_eq!(called.attempts_left, 3, "the attempts carry over");
    assert_eq!(
        called.sends_left, 0,
        "the call used a send of the challenge"
    );
    assert_eq!(r.calls.calls().len(), 1);
    assert_eq!(r.sms.count(), 1, "no SMS for a voice resend");
    let spoken = r.calls.last_spoken_code(who.destination()).unwrap();
    assert_ne!(spoken, texted, "the call reads the challenge's next code");
    assert!(!format!("{:?}", r.calls.calls()).contains(&spoken));

    r.clock.advance(Duration::seconds(60));
    assert!(matches!(
        r.verifier.resend(&p.id, &who).await,
        Err(Error::SendLimit)
    ));
    // Both codes work; the spoken one approves.
    assert_eq!(
        r.verifier.check(&p.id, &who, &spoken).await.unwrap(),
        Verdict::Approved
    );
}

#[tokio::test]
async fn limits_and_the_spend_cap_count_calls() {
    // One SMS at 8 yen and one call at 30 fit a 38-yen budget; nothing more does.
    let cap = SpendCap::new(38, Duration::hours(1), 8).with_call_price(81, 30);
    let r = rig(|b| {
        b.send_limits(SendLimits::none().per_destination(Limit::new(3, Duration::hours(1))))
            .spend_cap(cap)
            .max_sends(5)
    });
    let who = login("09012345678");
    let p = r.verifier.start(&who).await.unwrap();
    r.clock.advance(Duration::seconds(60));
    r.verifier.resend_by_voice(&p.id, &who).await.unwrap();
    r.clock.advance(Duration::seconds(60));
    assert!(
        matches!(
            r.verifier.resend(&p.id, &who).await,
            Err(Error::SpendCap { .. })
        ),
        "the call's 30 yen were counted"
    );

    let r = rig(|b| {
        b.send_limits(SendLimits::none().per_destination(Limit::new(2, Duration::hours(1))))
            .max_sends(5)
    });
    let p = r.verifier.start(&who).await.unwrap();
    r.clock.advance(Duration::seconds(60));
    r.verifier.resend_by_voice(&p.id, &who).await.unwrap();
    r.clock.advance(Duration::seconds(60));
    assert!(
        matches!(
            r.verifier.resend_by_voice(&p.id, &who).await,
            Err(Error::RateLimited {
                scope: "destination",
                ..
            })
        ),
        "the call counted against the number's limit"
    );
}

#[tokio::test]
async fn voice_is_refused_without_a_voice_route() {
    let sms = Arc::new(RecordingTransport::new());
    let clock = ManualClock::new(datetime!(2026-11-25 09:00 UTC));
    let v = Verifier::builder(secret())
        .transport(sms)
        .clock(clock.clone())
        .build()
        .unwrap();
    let who = login("09012345678");
    let p = v.start(&who).await.unwrap();
    clock.advance(Duration::seconds(60));
    assert!(matches!(
        v.resend_by_voice(&p.id, &who).await,
        Err(Error::NoVoiceRoute)
    ));
    assert_eq!(
        v.status(&p.id).await.unwrap().unwrap().sends_left,
        2,
        "a refused call used nothing"
    );
}

#[tokio::test]
async fn a_japanese_verifier_calls_in_japanese() {
    let r = rig(|b| b.template(MessageTemplate::new("エーシー", Locale::Ja)));
    let who = login("09012345678");
    let p = r.verifier.start(&who).await.unwrap();
    r.clock.advance(Duration::seconds(60));
    r.verifier.resend_by_voice(&p.id, &who).await.unwrap();
    let call = r.calls.calls().pop().unwrap();
    assert_eq!(call.language_tag(), "ja-JP");
    assert!(call.speech().expose_plain().contains("認証コード"));
    assert_eq!(call.to(), &phone("09012345678"));
}

#[tokio::test]
async fn a_code_no_voice_can_read_is_refused_before_anything_is_used() {
    let spec = CodeSpec::builder()
        .alphabet(Alphabet::new("#%&*+=?@").unwrap())
        .length(8)
        .require_digit(false)
        .build()
        .unwrap();
    let r = rig(|b| b.code_spec(spec));
    let who = login("09012345678");
    let p = r.verifier.start(&who).await.unwrap();
    r.clock.advance(Duration::seconds(60));
    assert!(matches!(
        r.verifier.resend_by_voice(&p.id, &who).await,
        Err(Error::NoVoiceRoute)
    ));
}
