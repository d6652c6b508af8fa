//! The verifier: starts challenges, sends codes, checks what people type.

mod builder;
mod policy_keys;

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

pub use builder::{Mode, VerifierBuilder};

use self::policy_keys::{LazyKeys, PolicyKeys};
use crate::challenge::{Binding, ChallengeId, DeliveryStatus, Pending, Phase, Status, Verdict};
use crate::clock::Clock;
use crate::code::{Code, CodeSpec};
use crate::digest::Keyring;
use crate::error::Error;
use crate::events::{DenyReason, Event, EventSink};
use crate::message::MessageTemplate;
use crate::policy::{ConversionGuard, CountryPolicy, Limit, SendLimits, SpendCap};
use crate::risk::{RiskCheck, RiskRequest, RiskVerdict};
use crate::store::{
    ChallengeStore, CheckOutcome, CheckRequest, DeliveryRecord, NewChallenge, RateDecision,
    RateLimit, ResendOutcome, ResendRequest, SubjectGuard,
};
use crate::test_numbers::TestNumbers;
use crate::transport::{Sms, SmsTransport};

/// Per-request facts the app knows and the verifier cannot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StartOptions {
    /// Who is asking (client IP, session id): the key of the per-client send limit.
    pub client_key: Option<String>,
}

impl StartOptions {
    /// Options with a client key.
    #[must_use]
    pub fn client(key: impl Into<String>) -> Self {
        Self {
            client_key: Some(key.into()),
        }
    }
}

/// Issues and checks one-time codes. Cheap to share: wrap it in an `Arc`.
///
/// Built with [`Verifier::builder`]; the defaults follow NIST SP 800-63B and Twilio
/// Verify's limits (see [`VerifierBuilder`]).
#[derive(Debug)]
pub struct Verifier {
    keys: Keyring,
    store: Arc<dyn ChallengeStore>,
    transport: Arc<dyn SmsTransport>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    risk: Option<Arc<dyn RiskCheck>>,
    spec: CodeSpec,
    template: MessageTemplate,
    sender: Option<String>,
    ttl: Duration,
    retention: Duration,
    max_attempts: u32,
    resend_cooldown: Duration,
    max_sends: u32,
    limits: SendLimits,
    spend: Option<SpendCap>,
    countries: CountryPolicy,
    conversion: Option<ConversionGuard>,
    subject_ceiling: Limit,
    test_numbers: TestNumbers,
}

/// What to do with a code once its challenge is stored.
enum Delivery<'a> {
    /// Send it.
    Send,
    /// A test number: never sent.
    Test,
    /// Refused by policy: stored as a decoy, never sent.
    Decoy(DenyReason),
    /// Send, then judge the prefix's conversion with these counts read before.
    SendAndWatch(&'a ConversionGuard, u64, u64),
}

impl Verifier {
    /// Starts configuring a verifier keyed by `keys` (a [`Secret`](crate::Secret) or a
    /// [`Keyring`]). Every instance of an app must use the same keys.
    pub fn builder(keys: impl Into<Keyring>) -> VerifierBuilder {
        VerifierBuilder::new(keys.into())
    }

    /// The code spec in use, for input hints (length, `inputmode`).
    #[must_use]
    pub fn code_spec(&self) -> &CodeSpec {
        &self.spec
    }

    /// Starts a challenge with no client key; see [`start_with`](Self::start_with).
    ///
    /// # Errors
    /// As [`start_with`](Self::start_with).
    pub async fn start(&self, binding: &Binding) -> Result<Pending, Error> {
        self.start_with(binding, &StartOptions::default()).await
    }

    /// Starts a challenge: counts the send limits, saves the code's digest, then sends
    /// the SMS. If the send fails, the challenge is cancelled and the error returned.
    ///
    /// A destination refused by policy (country, a paused prefix, the app's risk
    /// check) gets the same answer as a good one, after the same limits, code, digest
    /// and store write: a `Pending` for a challenge whose code is never sent. Only the
    /// provider call is skipped, so the answer may come sooner; apps that must hide
    /// that should answer before the send completes. The reason goes to events and
    /// logs; what to reveal is the app's choice.
    ///
    /// # Errors
    /// [`Error::RateLimited`], [`Error::SpendCap`], [`Error::Store`], or
    /// [`Error::Transport`].
    pub async fn start_with(
        &self,
        binding: &Binding,
        options: &StartOptions,
    ) -> Result<Pending, Error> {
        let now = self.clock.now();
        let keys = LazyKeys::new(&self.keys, binding, options.client_key.as_deref());
        self.count_send(&keys, binding, now).await?;

        let id = ChallengeId::random();
        let (code, delivery) = self.prepare(binding, options, &keys, now).await?;
        let expires_at = now + self.ttl;
        let resend_at = now + self.resend_cooldown;
        let record = NewChallenge::new(
            id,
            self.keys.binding_tag(binding),
            self.keys.digest(&id, binding, code.expose()),
            now,
            expires_at,
            resend_at,
            expires_at + self.retention,
            self.max_attempts,
            self.max_sends,
        );
        self.store.create(&record).await?;
        let masked = binding.destination().masked();
        self.emit(Event::Started {
            challenge: id,
            to: masked.clone(),
            purpose: binding.purpose().as_str().to_owned(),
        });
        let sent = self
            .deliver(
                binding, &keys, &id, 1, &code, now, expires_at, delivery, None, false,
            )
            .await;
        if let Err(e) = sent {
            // Best effort: a challenge nobody received is useless; if the cancel fails
            // too, it expires on its own.
            let _ = self.store.cancel(&id).await;
            return Err(e);
        }
        tracing::info!(challenge = %id, to = %binding.destination(), purpose = binding.purpose().as_str(), "challenge started");
        Ok(Pending {
            id,
            expires_at,
            resend_at,
            attempts_left: self.max_attempts,
            sends_left: self.max_sends.saturating_sub(1),
            destination: masked,
        })
    }

    /// Checks what the person typed. Input is normalised first (full-width folded,
    /// spaces and hyphens dropped, case and look-alikes folded); input that cannot be a
    /// code is [`Verdict::Malformed`] and costs no attempt. Any code sent for this
    /// challenge and binding is accepted; approval consumes the challenge.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails: the person is not verified.
    pub async fn check(
        &self,
        id: &ChallengeId,
        binding: &Binding,
        input: &str,
    ) -> Result<Verdict, Error> {
        let Ok(code) = self.spec.normalise(input) else {
            tracing::info!(challenge = %id, "check: malformed input");
            return Ok(Verdict::Malformed);
        };
        let now = self.clock.now();
        let request = CheckRequest::new(self.keys.candidates(id, binding, code.expose()), now)
            .with_subject(SubjectGuard::new(
                policy_keys::subject_key(&self.keys, binding),
                u32::try_from(self.subject_ceiling.count).unwrap_or(100),
                self.subject_ceiling.window,
            ));
        let (verdict, event) = match self.store.check(id, &request).await? {
            CheckOutcome::Approved => (Verdict::Approved, Event::Approved { challenge: *id }),
            CheckOutcome::Rejected { attempts_left } => (
                Verdict::Rejected { attempts_left },
                Event::Rejected {
                    challenge: *id,
                    attempts_left,
                },
            ),
            CheckOutcome::Expired => (Verdict::Expired, Event::Expired { challenge: *id }),
            CheckOutcome::Locked => (
                Verdict::Locked,
                Event::Locked {
                    challenge: *id,
                    subject: false,
                },
            ),
            CheckOutcome::SubjectLocked => (
                Verdict::TooManyFailures,
                Event::Locked {
                    challenge: *id,
                    subject: true,
                },
            ),
            CheckOutcome::NotFound => {
                tracing::info!(challenge = %id, "check: no such challenge");
                return Ok(Verdict::NotFound);
            }
        };
        tracing::info!(challenge = %id, to = %binding.destination(), verdict = ?verdict, "code checked");
        self.emit(event);
        if verdict == Verdict::Approved
            && let Some(guard) = &self.conversion
        {
            // Feeds the conversion guard; a failure here must not undo an approval.
            let keys = PolicyKeys::new(&self.keys, binding, None);
            let approvals = RateLimit::new(keys.approvals.clone(), u64::MAX, guard.window);
            if let Err(e) = self.store.hit(&[approvals], now).await {
                tracing::warn!(error = %e, "could not count an approval for the conversion guard");
            }
        }
        Ok(verdict)
    }

    /// Sends a new code for a pending challenge. Earlier codes stay valid (a delayed
    /// first SMS still works), the attempt count carries over, and the challenge's
    /// expiry does not move. After a failed delivery report, the SMS asks transports
    /// to avoid the route that failed.
    ///
    /// # Errors
    /// [`Error::ResendTooSoon`] during the cooldown, [`Error::SendLimit`] after
    /// `max_sends`, [`Error::NotPending`] for an expired, locked or unknown challenge,
    /// [`Error::RateLimited`], [`Error::SpendCap`], [`Error::Store`] or
    /// [`Error::Transport`].
    pub async fn resend(&self, id: &ChallengeId, binding: &Binding) -> Result<Pending, Error> {
        self.resend_with(id, binding, &StartOptions::default())
            .await
    }

    /// [`resend`](Self::resend) with the client's key for the per-client limit.
    ///
    /// # Errors
    /// As [`resend`](Self::resend).
    pub async fn resend_with(
        &self,
        id: &ChallengeId,
        binding: &Binding,
        options: &StartOptions,
    ) -> Result<Pending, Error> {
        let now = self.clock.now();
        let keys = LazyKeys::new(&self.keys, binding, options.client_key.as_deref());
        // A resend that the store would refuse (cooldown, cap, dead challenge) must not
        // eat the number's send quota; one the limits refuse must not use up a send of
        // the challenge. So: read the state, count the limits, then resend atomically
        // (the store re-checks everything; the read only avoids needless counting).
        let state = match self.store.status(id, now).await? {
            Some(s) if s.phase == Phase::Pending && s.sends_left == 0 => {
                return Err(Error::SendLimit);
            }
            Some(s) if s.phase == Phase::Pending && now < s.resend_at => {
                return Err(Error::ResendTooSoon {
                    resend_at: s.resend_at,
                });
            }
            Some(s) if s.phase == Phase::Pending => s,
            _ => return Err(Error::NotPending),
        };
        self.count_send(&keys, binding, now).await?;
        let (code, delivery) = self.prepare(binding, options, &keys, now).await?;
        // The spend cap too is charged before the store records the resend.
        let sends = matches!(delivery, Delivery::Send | Delivery::SendAndWatch(..));
        if sends && self.spend.is_some() {
            let next_no = self.max_sends.saturating_sub(state.sends_left) + 1;
            let sms = self.compose(binding, id, next_no, &code, now, state.expires_at);
            self.charge_spend(&keys, binding, id, &sms, now).await?;
        }
        let request = ResendRequest::new(
            self.keys.binding_tags(binding),
            self.keys.digest(id, binding, code.expose()),
            now,
            self.resend_cooldown,
        );
        let (expires_at, resend_at, attempts_left, sends_left, last_delivery) =
            match self.store.resend(id, &request).await? {
                ResendOutcome::Resent {
                    expires_at,
                    resend_at,
                    attempts_left,
                    sends_left,
                    last_delivery,
                } => (
                    expires_at,
                    resend_at,
                    attempts_left,
                    sends_left,
                    last_delivery,
                ),
                ResendOutcome::Cooldown { resend_at } => {
                    return Err(Error::ResendTooSoon { resend_at });
                }
                ResendOutcome::MaxSends => return Err(Error::SendLimit),
                _ => return Err(Error::NotPending),
            };
        let send_no = self.max_sends.saturating_sub(sends_left);
        let avoid = last_delivery
            .filter(|d| matches!(d.status, DeliveryStatus::Failed { .. }))
            .map(|d| d.provider);
        self.deliver(
            binding, &keys, id, send_no, &code, now, expires_at, delivery, avoid, sends,
        )
        .await?;
        self.emit(Event::Resent { challenge: *id });
        tracing::info!(challenge = %id, to = %binding.destination(), "code resent");
        Ok(Pending {
            id: *id,
            expires_at,
            resend_at,
            attempts_left,
            sends_left,
            destination: binding.destination().masked(),
        })
    }

    /// Ends a challenge so none of its codes works; `true` if it was held.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn cancel(&self, id: &ChallengeId) -> Result<bool, Error> {
        Ok(self.store.cancel(id).await?)
    }

    /// Where a challenge stands, or `None` if it is unknown or finished.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn status(&self, id: &ChallengeId) -> Result<Option<Status>, Error> {
        Ok(self.store.status(id, self.clock.now()).await?)
    }

    /// Records a provider's delivery report (after its signature was checked) against
    /// the challenge whose SMS it is about; returns that challenge, if still held.
    /// [`status`](Self::status) then shows it, and a resend after a failure avoids the
    /// route that failed.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn record_delivery(
        &self,
        provider: &str,
        message_id: &str,
        status: DeliveryStatus,
    ) -> Result<Option<ChallengeId>, Error> {
        let record = DeliveryRecord::new(status, provider);
        let key = message_key(provider, message_id);
        let found = self
            .store
            .record_delivery(&key, &record, self.clock.now())
            .await?;
        if let Some(challenge) = found {
            tracing::info!(%challenge, provider, ?status, "delivery report recorded");
            self.emit(Event::Delivery { challenge, status });
        }
        Ok(found)
    }

    /// [`record_delivery`](Self::record_delivery) for a report parsed and authenticated
    /// by one of the receipt parsers in [`transport::receipts`](crate::transport::receipts).
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn record_report(
        &self,
        report: &crate::transport::receipts::DeliveryReport,
    ) -> Result<Option<ChallengeId>, Error> {
        self.record_delivery(report.provider, &report.message_id, report.status)
            .await
    }

    /// Unlocks a subject that reached its failure ceiling (after the person proved who
    /// they are another way).
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn reset_subject(&self, binding: &Binding) -> Result<(), Error> {
        let key = policy_keys::subject_key(&self.keys, binding);
        Ok(self.store.reset_subject(&key).await?)
    }

    fn emit(&self, event: Event) {
        self.events.emit(&event);
    }

    /// The code for this send and what to do with it: test numbers get their fixed
    /// code; refused destinations get a decoy; the rest get a fresh code to send.
    async fn prepare(
        &self,
        binding: &Binding,
        options: &StartOptions,
        keys: &LazyKeys<'_>,
        now: OffsetDateTime,
    ) -> Result<(Code, Delivery<'_>), Error> {
        let destination = binding.destination();
        if let Some(fixed) = self.test_numbers.code_for(destination, now)
            && let Ok(code) = self.spec.normalise(fixed)
        {
            return Ok((code, Delivery::Test));
        }
        let code = self.spec.generate();
        if !self.countries.permits(destination.calling_code()) {
            return Ok((code, Delivery::Decoy(DenyReason::Country)));
        }
        let mut watch = None;
        if let Some(guard) = &self.conversion {
            let read = [
                keys.get().paused.clone(),
                keys.get().sends.clone(),
                keys.get().approvals.clone(),
            ];
            let counts = self.store.counts(&read, now).await?;
            let get = |i: usize| counts.get(i).copied().unwrap_or(0);
            if get(0) > 0 {
                return Ok((code, Delivery::Decoy(DenyReason::PrefixPaused)));
            }
            watch = Some((guard, get(1), get(2)));
        }
        if let Some(risk) = &self.risk {
            let request = RiskRequest {
                destination,
                purpose: binding.purpose(),
                client_key: options.client_key.as_deref(),
            };
            match risk.assess(&request).await {
                Ok(RiskVerdict::Allow) => {}
                Ok(RiskVerdict::Deny { reason }) => {
                    return Ok((code, Delivery::Decoy(DenyReason::Risk(reason))));
                }
                Err(_) => {
                    // The app's error text may quote the number (a lookup URL); the
                    // app logs its own errors, we only record that the check failed.
                    let reason = DenyReason::Risk("risk check failed".to_owned());
                    return Ok((code, Delivery::Decoy(reason)));
                }
            }
        }
        Ok(match watch {
            Some((guard, sends, approvals)) => {
                (code, Delivery::SendAndWatch(guard, sends, approvals))
            }
            None => (code, Delivery::Send),
        })
    }

    /// Counts the send limits; denies with the scope and the time to try again.
    async fn count_send(
        &self,
        keys: &LazyKeys<'_>,
        binding: &Binding,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        if self.limits.is_empty() {
            return Ok(());
        }
        let (limits, scopes) = keys.get().send_limits(&self.limits, binding);
        if limits.is_empty() {
            return Ok(());
        }
        match self.store.hit(&limits, now).await? {
            RateDecision::Allowed => Ok(()),
            RateDecision::Denied { limit, retry_at } => {
                let scope = scopes.get(limit).copied().unwrap_or("send");
                tracing::warn!(to = %binding.destination(), scope, %retry_at, "send denied by a limit");
                self.emit(Event::RateLimited {
                    to: binding.destination().masked(),
                    scope,
                });
                Err(Error::RateLimited { scope, retry_at })
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn deliver(
        &self,
        binding: &Binding,
        keys: &LazyKeys<'_>,
        id: &ChallengeId,
        send_no: u32,
        code: &Code,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
        delivery: Delivery<'_>,
        avoid: Option<String>,
        spend_charged: bool,
    ) -> Result<(), Error> {
        let watch = match delivery {
            Delivery::Test => {
                tracing::info!(challenge = %id, to = %binding.destination(), "test number: no SMS sent");
                return Ok(());
            }
            Delivery::Decoy(reason) => {
                tracing::warn!(challenge = %id, to = %binding.destination(), reason = ?reason, "send denied by policy; decoy challenge");
                self.emit(Event::DeniedByPolicy {
                    challenge: *id,
                    to: binding.destination().masked(),
                    reason,
                });
                return Ok(());
            }
            Delivery::Send => None,
            Delivery::SendAndWatch(guard, sends, approvals) => Some((guard, sends, approvals)),
        };
        let mut sms = self.compose(binding, id, send_no, code, now, expires_at);
        if let Some(provider) = avoid {
            sms = sms.avoiding(provider);
        }
        if !spend_charged {
            self.charge_spend(keys, binding, id, &sms, now).await?;
        }
        let receipt = match self.transport.send(&sms).await {
            Ok(receipt) => receipt,
            Err(e) => {
                tracing::warn!(challenge = %id, to = %binding.destination(), error = %e, "sms send failed");
                self.emit(Event::SendFailed {
                    challenge: *id,
                    kind: e.kind(),
                });
                return Err(e.into());
            }
        };
        tracing::info!(challenge = %id, to = %binding.destination(), provider = receipt.provider(), message_id = receipt.message_id(), "sms sent");
        self.emit(Event::Sent {
            challenge: *id,
            provider: receipt.provider().to_owned(),
            message_id: receipt.message_id().to_owned(),
            segments: sms.segments(),
        });
        // Bookkeeping after a send that happened: failures are logged, not returned,
        // because the person has the SMS and must be able to use it.
        let key = message_key(receipt.provider(), receipt.message_id());
        if let Err(e) = self.store.link_message(&key, id, now).await {
            tracing::warn!(error = %e, "could not link the message to its challenge");
        }
        if let Some((guard, sends, approvals)) = watch {
            self.watch_conversion(binding, keys, guard, sends + 1, approvals, now)
                .await;
        }
        Ok(())
    }

    /// The SMS for one send of a challenge.
    fn compose(
        &self,
        binding: &Binding,
        id: &ChallengeId,
        send_no: u32,
        code: &Code,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Sms {
        let left = expires_at - now;
        let minutes = u32::try_from(left.whole_minutes().max(1)).unwrap_or(u32::MAX);
        let body = self.template.render(code.expose(), minutes);
        let sms = Sms::new(
            binding.destination().clone(),
            body,
            left,
            format!("{id}-{send_no}"),
        );
        match &self.sender {
            Some(sender) => sms.with_sender(sender.clone()),
            None => sms,
        }
    }

    /// Counts `sms`'s cost against the spend cap, if one is set.
    async fn charge_spend(
        &self,
        keys: &LazyKeys<'_>,
        binding: &Binding,
        id: &ChallengeId,
        sms: &Sms,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let Some(cap) = &self.spend else {
            return Ok(());
        };
        let cost = cap.cost(binding.destination().calling_code(), sms.segments());
        let limit =
            RateLimit::new(keys.get().spend.clone(), cap.budget, cap.window).with_cost(cost);
        if let RateDecision::Denied { retry_at, .. } = self.store.hit(&[limit], now).await? {
            tracing::warn!(challenge = %id, %retry_at, "send denied: spend cap reached");
            self.emit(Event::RateLimited {
                to: binding.destination().masked(),
                scope: "spend",
            });
            return Err(Error::SpendCap { retry_at });
        }
        Ok(())
    }

    async fn watch_conversion(
        &self,
        binding: &Binding,
        keys: &LazyKeys<'_>,
        guard: &ConversionGuard,
        sends: u64,
        approvals: u64,
        now: OffsetDateTime,
    ) {
        let keys = keys.get();
        let mut hits = vec![RateLimit::new(keys.sends.clone(), u64::MAX, guard.window)];
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let ratio = approvals as f64 / sends as f64;
        let pause = sends >= guard.min_sends && ratio < guard.floor;
        if pause {
            hits.push(RateLimit::new(
                keys.paused.clone(),
                u64::MAX,
                guard.cool_off,
            ));
        }
        if let Err(e) = self.store.hit(&hits, now).await {
            tracing::warn!(error = %e, "could not update the conversion guard");
            return;
        }
        if pause {
            let prefix = masked_prefix(binding, keys);
            tracing::warn!(%prefix, sends, approvals, "conversion guard paused a prefix");
            self.emit(Event::PrefixPaused {
                prefix,
                sends,
                approvals,
            });
        }
    }
}

fn message_key(provider: &str, message_id: &str) -> String {
    format!("{provider}:{message_id}")
}

/// The prefix as operators may see it: the masked number's visible head plus a short
/// keyed id of the prefix, so alerts about one prefix can be told apart without
/// revealing more digits than the masked number already shows.
fn masked_prefix(binding: &Binding, keys: &PolicyKeys) -> String {
    let masked = binding.destination().masked();
    let head = masked.split('-').next().unwrap_or("+");
    format!("{head}-… (prefix #{})", keys.prefix_tag())
}
