//! Random sequences of start / check / resend / clock moves, compared against a
//! simple model of what the verifier must answer.

mod common;

use common::{login, rig_with, wrong_code};
use proptest::prelude::*;
use smsotp::{ChallengeId, Clock, Error, Verdict};
use time::{Duration, OffsetDateTime};

const MAX_ATTEMPTS: u32 = 4;
const MAX_SENDS: u32 = 3;
const TTL: Duration = Duration::minutes(5);
const COOLDOWN: Duration = Duration::seconds(60);

#[derive(Debug, Clone)]
enum Op {
    Start,
    CheckRight(usize),
    CheckWrong,
    CheckMalformed,
    Resend,
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Start),
        3 => (0usize..3).prop_map(Op::CheckRight),
        3 => Just(Op::CheckWrong),
        1 => Just(Op::CheckMalformed),
        2 => Just(Op::Resend),
        3 => (0i64..200).prop_map(Op::Advance),
    ]
}

#[derive(Debug)]
struct Model {
    id: ChallengeId,
    codes: Vec<String>,
    attempts_used: u32,
    sends: u32,
    expires_at: OffsetDateTime,
    resend_at: OffsetDateTime,
    consumed: bool,
}

impl Model {
    fn gone(&self, now: OffsetDateTime) -> bool {
        // The memory store forgets a challenge one ttl after it expires.
        self.consumed || now >= self.expires_at + TTL
    }

    fn check(&mut self, now: OffsetDateTime, right: bool) -> Verdict {
        if self.gone(now) {
            Verdict::NotFound
        } else if now >= self.expires_at {
            Verdict::Expired
        } else if self.attempts_used >= MAX_ATTEMPTS {
            Verdict::Locked
        } else {
            self.attempts_used += 1;
            if right {
                self.consumed = true;
                Verdict::Approved
            } else {
                Verdict::Rejected {
                    attempts_left: MAX_ATTEMPTS - self.attempts_used,
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn verifier_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let r = rig_with(|b| b
                .max_attempts(MAX_ATTEMPTS)
                .max_sends(MAX_SENDS)
                .ttl(TTL)
                .resend_cooldown(COOLDOWN)
                .destination_limit(10_000, Duration::minutes(10)));
            let who = login("09012345678");
            let mut model: Option<Model> = None;
            for op in ops {
                let now = r.clock.now();
                match (op, model.as_mut()) {
                    (Op::Start, _) => {
                        let p = r.verifier.start(&who).await.unwrap();
                        prop_assert_eq!(p.expires_at, now + TTL);
                        model = Some(Model {
                            id: p.id,
                            codes: vec![r.sms.last_code(who.destination()).unwrap()],
                            attempts_used: 0,
                            sends: 1,
                            expires_at: now + TTL,
                            resend_at: now + COOLDOWN,
                            consumed: false,
                        });
                    }
                    (Op::Advance(s), _) => r.clock.advance(Duration::seconds(s)),
                    (_, None) => {}
                    (Op::CheckRight(i), Some(m)) => {
                        let code = m.codes[i % m.codes.len()].clone();
                        let got = r.verifier.check(&m.id, &who, &code).await.unwrap();
                        prop_assert_eq!(got, m.check(now, true));
                    }
                    (Op::CheckWrong, Some(m)) => {
                        let code = wrong_code(&m.codes);
                        let got = r.verifier.check(&m.id, &who, &code).await.unwrap();
                        prop_assert_eq!(got, m.check(now, false));
                    }
                    (Op::CheckMalformed, Some(m)) => {
                        let got = r.verifier.check(&m.id, &who, "0O1Il").await.unwrap();
                        prop_assert_eq!(got, Verdict::Malformed);
                    }
                    (Op::Resend, Some(m)) => {
                        let got = r.verifier.resend(&m.id, &who).await;
                        let pending = !m.gone(now) && now < m.expires_at && m.attempts_used < MAX_ATTEMPTS;
                        match got {
                            Ok(p) => {
                                prop_assert!(pending && m.sends < MAX_SENDS && now >= m.resend_at);
                                prop_assert_eq!(p.expires_at, m.expires_at);
                                prop_assert_eq!(p.attempts_left, MAX_ATTEMPTS - m.attempts_used);
                                m.sends += 1;
                                m.resend_at = now + COOLDOWN;
                                m.codes.push(r.sms.last_code(who.destination()).unwrap());
                            }
                            Err(Error::NotPending) => prop_assert!(!pending),
                            Err(Error::SendLimit) => prop_assert!(pending && m.sends >= MAX_SENDS),
                            Err(Error::ResendTooSoon { resend_at }) => {
                                prop_assert!(pending && m.sends < MAX_SENDS && now < m.resend_at);
                                prop_assert_eq!(resend_at, m.resend_at);
                            }
                            Err(e) => prop_assert!(false, "unexpected error {e}"),
                        }
                    }
                }
            }
            Ok(())
        })?;
    }
}
