//! The differential test every shared store runs: seeded sequences of random
//! operations, each answered by the store under test and by `MemoryStore` (the
//! reference semantics), which must agree answer for answer; and the sequences must
//! reach every kind of answer, or the agreement would mean little.
#![allow(dead_code)]

use smsotp::ChallengeId;
use smsotp::DeliveryStatus;
use smsotp::store::{
    Allowance, BindingTag, ChallengeStore, CheckOutcome, CounterKey, CounterStore, DeliveryRecord,
    DeliveryStore, Digest, MemoryStore, MessageKey, NewChallenge, RateLimit, ResendOutcome,
    ResendRequest, SubjectGuard, Timeline,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::store_fixtures::req;

/// xorshift64*: a reproducible op sequence without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()].clone()
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| self.next() as u8)
    }
}

struct Model {
    id: ChallengeId,
    binding: BindingTag,
    subject: CounterKey,
    digests: Vec<Digest>,
    purge_at: OffsetDateTime,
}

/// Runs the seeded sequences against `store` beside a fresh `MemoryStore` each, and
/// panics at the first answer that differs (naming the seed and step).
pub async fn answers_like_the_memory_store<S>(store: &S)
where
    S: ChallengeStore + CounterStore + DeliveryStore + ?Sized,
{
    let grouping = store.groups_by_subject();
    let mut seen = std::collections::BTreeSet::new();
    for seed in 1..=12u64 {
        let memory = MemoryStore::new();
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut now =
            datetime!(2026-03-01 09:00 UTC) + Duration::days(i64::try_from(seed).unwrap());
        let tags: [BindingTag; 2] = [rng.bytes(), rng.bytes()];
        let rate_keys = ["dest:a", "dest:b", "ip:c"];
        let subjects = [CounterKey::from("subject:x"), CounterKey::from("subject:y")];
        let messages = [
            MessageKey::new("p", "msg-1"),
            MessageKey::new("p", "msg-2"),
            MessageKey::new("p", "msg-3"),
        ];
        let mut held: Vec<Model> = Vec::new();
        let mut approvals = 0;
        for step in 0..900 {
            let op = rng.below(100);
            let (what, mem, theirs) = if op < 15 || held.is_empty() {
                // A new challenge; sometimes an id that is still held. (Past its purge
                // time a store may or may not have forgotten an id, so not those.)
                let live: Vec<ChallengeId> = held
                    .iter()
                    .filter(|h| now < h.purge_at)
                    .map(|h| h.id)
                    .collect();
                let reused = (op < 2 && !live.is_empty()).then(|| rng.pick(&live));
                let binding = rng.pick(&tags);
                // Ids as the verifier makes them: for a grouping store in the group of
                // the challenge's subject, which its binding names; else at random.
                let subject = &subjects[usize::from(binding == tags[1])];
                let id = reused.unwrap_or_else(|| {
                    if grouping {
                        ChallengeId::grouped(subject.group())
                    } else {
                        ChallengeId::random()
                    }
                });
                let digest = rng.bytes();
                let ttl = Duration::seconds(30 + i64::try_from(rng.below(300)).unwrap());
                let mut timeline = Timeline::new(
                    now,
                    ttl,
                    Duration::seconds(i64::try_from(rng.below(90)).unwrap()),
                    Duration::ZERO,
                );
                // One retention for all, as a verifier has: MemoryStore sweeps in
                // creation order and forgets late otherwise, which the contract allows.
                timeline.purge_at = now + Duration::minutes(10);
                let c = NewChallenge::new(
                    id,
                    binding,
                    digest,
                    timeline,
                    Allowance::new(
                        1 + u32::try_from(rng.below(5)).unwrap(),
                        1 + u32::try_from(rng.below(4)).unwrap(),
                    ),
                );
                let (m, r) = (memory.create(&c).await, store.create(&c).await);
                if m.is_ok() {
                    held.retain(|h| h.id != id);
                    // A grouping store's subject is the one its id's group names (a
                    // reused id keeps its first subject); otherwise the binding's.
                    let subject = if grouping {
                        subjects
                            .iter()
                            .find(|k| k.group() == id.group())
                            .cloned()
                            .expect("every id is in a subject's group")
                    } else {
                        subject.clone()
                    };
                    held.push(Model {
                        id,
                        binding,
                        subject,
                        digests: vec![digest],
                        purge_at: c.timeline.purge_at,
                    });
                }
                ("create", format!("{m:?}"), format!("{r:?}"))
            } else if op < 50 {
                let h = &held[usize::try_from(rng.below(held.len() as u64)).unwrap()];
                let right = h.digests[usize::try_from(rng.below(h.digests.len() as u64)).unwrap()];
                let wrong: Digest = rng.bytes();
                let candidates: Vec<Digest> = match rng.below(5) {
                    0 => vec![],
                    1 | 2 => vec![wrong],
                    3 => vec![right],
                    _ => vec![wrong, right],
                };
                let id = if rng.below(20) == 0 {
                    ChallengeId::random()
                } else {
                    h.id
                };
                // Now and then a stranger's binding: NotFound, and nothing changes.
                let binding = if rng.below(8) == 0 {
                    rng.pick(&tags)
                } else {
                    h.binding
                };
                let mut request = req(binding, &candidates, now);
                if rng.below(3) > 0 {
                    let window = Duration::seconds(30 + i64::try_from(rng.below(300)).unwrap());
                    let max = 2 + u32::try_from(rng.below(6)).unwrap();
                    // Any subject for a store that does not group; for one that does,
                    // the challenge's own (a binding names one subject, and a stranger's
                    // binding, above, is NotFound before the guard matters). The draw is
                    // made either way, so the seeded sequences stay the ones known to
                    // reach every answer.
                    let drawn = rng.pick(&subjects);
                    let subject = if grouping { h.subject.clone() } else { drawn };
                    let guard = SubjectGuard::new(subject, max, window);
                    request = request.with_subject(guard);
                }
                let (m, r) = (
                    memory.check(&id, &request).await,
                    store.check(&id, &request).await,
                );
                if matches!(m, Ok(CheckOutcome::Approved)) {
                    approvals += 1;
                    // Ids are never reused once a challenge is gone (see `cancel`).
                    held.retain(|h| h.id != id);
                }
                ("check", format!("{m:?}"), format!("{r:?}"))
            } else if op < 65 {
                let i = usize::try_from(rng.below(held.len() as u64)).unwrap();
                let other = if held[i].binding == tags[0] {
                    tags[1]
                } else {
                    tags[0]
                };
                let binding = match rng.below(4) {
                    0 => other,
                    _ => held[i].binding,
                };
                let digest: Digest = rng.bytes();
                let cooldown = Duration::seconds(i64::try_from(rng.below(60)).unwrap());
                let request = ResendRequest::new(binding, digest, now, cooldown);
                let (m, r) = (
                    memory.resend(&held[i].id, &request).await,
                    store.resend(&held[i].id, &request).await,
                );
                if matches!(m, Ok(ResendOutcome::Resent { .. })) {
                    held[i].digests.push(digest);
                }
                ("resend", format!("{m:?}"), format!("{r:?}"))
            } else if op < 68 {
                let h = &held[usize::try_from(rng.below(held.len() as u64)).unwrap()];
                let (m, r) = (memory.cancel(&h.id).await, store.cancel(&h.id).await);
                let (id, purge_at) = (h.id, h.purge_at);
                held.retain(|h| h.id != id);
                // `cancel` takes no time, so for a challenge past its purge time "did it
                // exist" depends on whether the store has swept it yet: either is right.
                if now >= purge_at {
                    continue;
                }
                ("cancel", format!("{m:?}"), format!("{r:?}"))
            } else if op < 72 {
                let id = held[usize::try_from(rng.below(held.len() as u64)).unwrap()].id;
                let (m, r) = (memory.status(&id, now).await, store.status(&id, now).await);
                ("status", format!("{m:?}"), format!("{r:?}"))
            } else if op < 74 {
                let subject = rng.pick(&subjects);
                let (m, r) = (
                    memory.reset_subject(&subject).await,
                    store.reset_subject(&subject).await,
                );
                ("reset_subject", format!("{m:?}"), format!("{r:?}"))
            } else if op < 77 {
                let keys: Vec<CounterKey> =
                    rate_keys.iter().map(|k| CounterKey::from(*k)).collect();
                let (m, r) = (
                    memory.counts(&keys, now).await,
                    store.counts(&keys, now).await,
                );
                ("counts", format!("{m:?}"), format!("{r:?}"))
            } else if op < 80 {
                let id = held[usize::try_from(rng.below(held.len() as u64)).unwrap()].id;
                let message = rng.pick(&messages);
                let (m, r) = (
                    memory.link_message(&message, &id, now).await,
                    store.link_message(&message, &id, now).await,
                );
                ("link_message", format!("{m:?}"), format!("{r:?}"))
            } else if op < 83 {
                let status = rng.pick(&[
                    DeliveryStatus::Pending,
                    DeliveryStatus::Delivered,
                    DeliveryStatus::Failed { permanent: false },
                    DeliveryStatus::Failed { permanent: true },
                ]);
                let report = DeliveryRecord::new(status, rng.pick(&["route-a", "route-b"]));
                let message = rng.pick(&messages);
                let (m, r) = (
                    memory.record_delivery(&message, &report, now).await,
                    store.record_delivery(&message, &report, now).await,
                );
                ("record_delivery", format!("{m:?}"), format!("{r:?}"))
            } else if op < 92 {
                let limits: Vec<RateLimit> = (0..1 + rng.below(3))
                    .map(|_| {
                        RateLimit::new(
                            rng.pick(&rate_keys),
                            1 + rng.below(4),
                            Duration::seconds(10 + i64::try_from(rng.below(120)).unwrap()),
                        )
                        .with_cost(1 + rng.below(2))
                    })
                    .collect();
                let (m, r) = (
                    memory.reserve(&limits, now).await,
                    store.reserve(&limits, now).await,
                );
                ("reserve", format!("{m:?}"), format!("{r:?}"))
            } else {
                now += Duration::seconds(i64::try_from(rng.below(120)).unwrap());
                continue;
            };
            assert_eq!(mem, theirs, "seed {seed}, step {step}: {what} differs");
            let kind: String = mem
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '(')
                .collect();
            let kind = kind
                .split_inclusive("ChallengeId(")
                .next()
                .unwrap_or_default();
            seen.insert(format!("{what}:{kind}"));
            if mem.contains("delivery: Some") {
                seen.insert(format!("{what}:delivery"));
            }
        }
        assert!(
            approvals > 0,
            "seed {seed}: the sequence never approved anything"
        );
    }
    // The sequences reached every answer, so the comparison meant something.
    for outcome in [
        "create:Ok((",
        "create:Err(Conflict",
        "check:Ok(Approved",
        "check:Ok(Rejected",
        "check:Ok(Expired",
        "check:Ok(Locked",
        "check:Ok(NotFound",
        "resend:Ok(Resent",
        "resend:Ok(Cooldown",
        "resend:Ok(MaxSends",
        "resend:Ok(Expired",
        "resend:Ok(Locked",
        "resend:Ok(NotFound",
        "status:Ok(Some(Status",
        "status:Ok(None",
        "cancel:Ok(true",
        "reserve:Ok(Allowed",
        "reserve:Ok(Denied",
        "check:Ok(SubjectLocked",
        "reset_subject:Ok((",
        "counts:Ok(",
        "link_message:Ok((",
        "record_delivery:Ok(Some(ChallengeId(",
        "status:delivery",
        "resend:delivery",
        "record_delivery:Ok(None",
    ] {
        assert!(seen.contains(outcome), "never saw {outcome}: {seen:?}");
    }
}
