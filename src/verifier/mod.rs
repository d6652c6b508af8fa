//! The verifier: starts challenges, sends codes, checks what people type.

mod builder;
mod composer;
mod controls;
mod lifetimes;
mod log;
mod policy_keys;

use std::sync::Arc;

pub use builder::{Mode, VerifierBuilder};

use self::composer::{Channel, Composer, Outgoing, SendNo};
use self::controls::{Admission, Controls, Deps, Route, Send};
use self::lifetimes::Lifetimes;
use self::policy_keys::{LazyKeys, subject_key};
use crate::challenge::{Binding, ChallengeId, DeliveryStatus, Pending, Phase, Status, Verdict};
use crate::clock::Clock;
use crate::code::CodeSpec;
use crate::digest::Keyring;
use crate::error::Error;
use crate::events::{Event, EventSink};
use crate::store::{
    CheckOutcome, CheckRequest, DeliveryRecord, MessageKey, NewChallenge, RateDecision, RateLimit,
    ResendOutcome, ResendRequest, Scope, SharedStore,
};
use crate::transport::{Provider, Receipt, SmsTransport, TransportError, VoiceTransport};

thread_local! {
    /// A candidate list for the next check on this thread. Taken while a check runs,
    /// given back after the store answered: holding digests of a typed code, as the
    /// freed list used to, and never read before it is refilled.
    static SPARE_CANDIDATES: std::cell::Cell<Vec<crate::store::Digest>> =
        const { std::cell::Cell::new(Vec::new()) };
}

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
///
/// `start` and `resend` run one pipeline: build the send once (code, digest, SMS), run
/// every control in one written order (see [`policy`](crate::policy) and the README),
/// then one atomic store step, the transport, and what follows a send. What a send uses
/// is reserved and given back when the send does not happen.
#[derive(Debug)]
pub struct Verifier {
    keys: Keyring,
    store: SharedStore,
    channels: Channels,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    lifetimes: Lifetimes,
    composer: Composer,
    controls: Controls,
}

/// The transports: SMS always, voice calls when configured.
#[derive(Debug)]
struct Channels {
    sms: Arc<dyn SmsTransport>,
    voice: Option<Arc<dyn VoiceTransport>>,
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
        &self.composer.spec
    }

    /// Starts a challenge with no client key; see [`start_with`](Self::start_with).
    ///
    /// # Errors
    /// As [`start_with`](Self::start_with).
    pub async fn start(&self, binding: &Binding) -> Result<Pending, Error> {
        self.start_with(binding, &StartOptions::default()).await
    }

    /// Starts a challenge: runs the send controls, saves the code's digest, then sends
    /// the SMS. If the send fails, the challenge is cancelled and the error returned.
    ///
    /// A destination refused by policy (country, a paused prefix, the app's risk
    /// check) gets exactly the answer a good one would get in the same state of every
    /// limit, the spend cap included: a `Pending` for a challenge whose code is never
    /// sent, or the same error. Only the provider call is skipped, so the answer may
    /// come sooner; apps that must hide that should answer before the send completes.
    /// The reason goes to events and logs; what to reveal is the app's choice.
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
        // The subject's key, only when the store wants it at create: to group ids, or
        // to keep it with the challenge so checks need not compute it.
        let subject = (self.store.groups_by_subject() || self.store.keeps_subject())
            .then(|| subject_key(&self.keys, binding));
        let id = self.store.new_id(subject.as_ref());
        let timeline = self.lifetimes.timeline(now);
        let number = SendNo {
            id: &id,
            number: 1,
            now,
            expires_at: timeline.expires_at,
        };
        let send = self.build_send(binding, options, &number, Channel::Sms)?;
        let admission = self.controls.admit(&send, self.deps()).await?;
        let tag = self.keys.binding_tag(binding);
        // Built in one piece: the builder methods would move it once per option.
        let record = NewChallenge {
            id,
            binding: tag,
            digest: self.keys.digest_code(&id, &tag, &send.code),
            timeline,
            allowance: self.lifetimes.allowance,
            decoy: matches!(admission.route, Route::Decoy(_)),
            subject: subject.filter(|_| self.store.keeps_subject()),
        };
        if let Err(e) = self.store.create(&record).await {
            self.controls.release(&admission, now, self.deps()).await;
            return Err(e.into());
        }
        let masked = binding.destination().masked();
        self.emit(|| Event::Started {
            challenge: id,
            to: masked.clone(),
            purpose: binding.purpose().as_str().to_owned(),
        });
        if let Err(e) = self.dispatch(&id, &send, &admission, None).await {
            // Best effort: a challenge nobody received is useless; if the cancel fails
            // too, it expires on its own.
            let _ = self.store.cancel(&id).await;
            return Err(e);
        }
        log::started(&id, binding);
        let allowance = self.lifetimes.allowance;
        Ok(Pending {
            id,
            expires_at: timeline.expires_at,
            resend_at: timeline.resend_at,
            attempts_left: allowance.max_attempts,
            sends_left: allowance.max_sends.saturating_sub(1),
            destination: masked,
        })
    }

    /// Checks what the person typed. Input is normalised first (full-width folded,
    /// spaces and hyphens dropped, case and look-alikes folded); input that cannot be a
    /// code is [`Verdict::Malformed`] and costs no attempt. Any code sent for this
    /// challenge and binding is accepted; approval consumes the challenge. A binding
    /// (number, purpose or subject) other than the one the challenge was started for is
    /// [`Verdict::NotFound`], and counts nothing.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails: the person is not verified.
    pub async fn check(
        &self,
        id: &ChallengeId,
        binding: &Binding,
        input: &str,
    ) -> Result<Verdict, Error> {
        let Ok(code) = self.composer.spec.normalise(input) else {
            log::malformed(id);
            return Ok(Verdict::Malformed);
        };
        let now = self.clock.now();
        let tag = self.keys.binding_tag(binding);
        // The candidate list reuses this thread's last one: no allocation per check.
        let mut candidates = SPARE_CANDIDATES.take();
        self.keys
            .code_candidates_into(id, &tag, &code, &mut candidates);
        let request = CheckRequest::new(tag, candidates, now);
        // A store that kept the subject at create gets only the ceiling: the subject's
        // key (a keyed hash and its encoding) is not computed again on every check.
        let request = if self.store.keeps_subject() {
            request.with_kept_subject(self.controls.subject_ceiling())
        } else {
            request.with_subject(self.controls.subject_guard(&self.keys, binding))
        };
        let outcome = self.store.check(id, &request).await;
        SPARE_CANDIDATES.set(request.candidates);
        let (verdict, event) = match outcome? {
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
                log::not_found(id);
                return Ok(Verdict::NotFound);
            }
        };
        log::checked(id, binding, verdict);
        self.emit(|| event);
        if verdict == Verdict::Approved && self.controls.conversion.is_some() {
            // Boxed, and only when a conversion guard is set: its future would
            // otherwise sit in every check's, which the runtime moves as a whole
            // (504 bytes with it inline, 344 without).
            Box::pin(
                self.controls
                    .after_approval(&self.keys, binding, now, self.deps()),
            )
            .await;
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
    /// `max_sends`, [`Error::NotPending`] for an expired, locked or unknown challenge
    /// or another binding, [`Error::RateLimited`], [`Error::SpendCap`],
    /// [`Error::Store`] or [`Error::Transport`].
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
        self.resend_on(Channel::Sms, id, binding, options).await
    }

    /// Sends the challenge's next code by a voice call that reads it, for a person
    /// whose SMS does not arrive. It is a resend like any other: the same challenge,
    /// attempts, cooldown and send cap, the same limits, and the spend cap at the
    /// call's price ([`SpendCap::with_call_price`](crate::policy::SpendCap::with_call_price)).
    ///
    /// # Errors
    /// [`Error::NoVoiceRoute`] without a voice transport or for a number that cannot
    /// take calls; otherwise as [`resend`](Self::resend).
    pub async fn resend_by_voice(
        &self,
        id: &ChallengeId,
        binding: &Binding,
    ) -> Result<Pending, Error> {
        self.resend_by_voice_with(id, binding, &StartOptions::default())
            .await
    }

    /// [`resend_by_voice`](Self::resend_by_voice) with the client's key.
    ///
    /// # Errors
    /// As [`resend_by_voice`](Self::resend_by_voice).
    pub async fn resend_by_voice_with(
        &self,
        id: &ChallengeId,
        binding: &Binding,
        options: &StartOptions,
    ) -> Result<Pending, Error> {
        if self.channels.voice.is_none() || !binding.destination().kind().takes_calls() {
            return Err(Error::NoVoiceRoute);
        }
        self.resend_on(Channel::Voice, id, binding, options).await
    }

    async fn resend_on(
        &self,
        channel: Channel,
        id: &ChallengeId,
        binding: &Binding,
        options: &StartOptions,
    ) -> Result<Pending, Error> {
        let now = self.clock.now();
        let tag = self.keys.binding_tag(binding);
        // The SMS says how long its code lives, and the spend cap prices the SMS, so
        // the send is built before the controls run: read the challenge's expiry and
        // send count first, as this binding sees it. A challenge of another binding is
        // not there: a stranger is refused here, before any control reserves anything
        // or asks the risk check about a number the stranger chose, with the answer an
        // unknown id gets. The read also answers the plain refusals without reserving
        // anything. The store's resend re-checks everything atomically.
        let state = match self.store.status_for(id, &tag, now).await? {
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
        let max_sends = self.lifetimes.allowance.max_sends;
        let mut number = SendNo {
            id,
            number: max_sends.saturating_sub(state.sends_left) + 1,
            now,
            expires_at: state.expires_at,
        };
        let mut send = self.build_send(binding, options, &number, channel)?;
        let admission = self.controls.admit(&send, self.deps()).await?;
        let request = ResendRequest::new(
            tag,
            self.keys.digest_code(id, &tag, &send.code),
            now,
            self.lifetimes.resend_cooldown,
        );
        let outcome = self.store.resend(id, &request).await;
        let ResendOutcome::Resent {
            expires_at,
            resend_at,
            attempts_left,
            sends_left,
            last_delivery,
        } = outcome
            .as_ref()
            .map_or(ResendOutcome::NotFound, Clone::clone)
        else {
            self.controls.release(&admission, now, self.deps()).await;
            return Err(match outcome {
                Err(e) => e.into(),
                Ok(ResendOutcome::Cooldown { resend_at }) => Error::ResendTooSoon { resend_at },
                Ok(ResendOutcome::MaxSends) => Error::SendLimit,
                Ok(_) => Error::NotPending,
            });
        };
        let sent_no = max_sends.saturating_sub(sends_left);
        if sent_no != number.number {
            // Another resend landed between the read and this one: the idempotency key
            // must name this send, or the provider would drop it as a duplicate.
            number.number = sent_no;
            send.message = self
                .composer
                .compose_for(channel, binding, &number, &send.code)?;
        }
        let avoid = last_delivery
            .filter(|d| matches!(d.status, DeliveryStatus::Failed { .. }))
            .map(|d| d.provider);
        self.dispatch(id, &send, &admission, avoid).await?;
        self.emit(|| Event::Resent { challenge: *id });
        log::resent(id, binding);
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
    /// `None` also for a report already taken within the hour (a replay, or the
    /// provider retrying), which changes nothing; and a report never moves the status
    /// backwards (a stale `failed` after `delivered` is kept out by the store).
    /// [`status`](Self::status) then shows it, and a resend after a failure avoids the
    /// route that failed.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn record_delivery(
        &self,
        provider: impl Into<Provider>,
        message_id: &str,
        status: DeliveryStatus,
    ) -> Result<Option<ChallengeId>, Error> {
        let provider = provider.into();
        let now = self.clock.now();
        // A report is taken once: the same status for the same message again (a replay
        // of a signed request, or the provider retrying) within the hour is refused
        // before it reaches the challenge. The mark is one atomic counter step.
        let status_mark = [
            status.progress(),
            u8::from(status == (DeliveryStatus::Failed { permanent: true })),
        ];
        let mark = RateLimit::new(
            self.keys.counter_key(
                Scope::Receipt,
                &[
                    provider.as_bytes(),
                    b"\0",
                    message_id.as_bytes(),
                    b"\0",
                    &status_mark,
                ],
            ),
            1,
            time::Duration::hours(1),
        );
        if let RateDecision::Denied { .. } =
            self.store.reserve(std::slice::from_ref(&mark), now).await?
        {
            tracing::info!(provider = %provider, ?status, "delivery report already taken: ignored");
            return Ok(None);
        }
        let message = MessageKey::new(&provider, message_id);
        let record = DeliveryRecord::new(status, provider);
        let found = match self.store.record_delivery(&message, &record, now).await {
            Ok(found) => found,
            Err(e) => {
                // Not taken after all: a retry of the same report must get through.
                let _ = self.store.release(std::slice::from_ref(&mark), now).await;
                return Err(e.into());
            }
        };
        if let Some(challenge) = found {
            tracing::info!(%challenge, provider = %record.provider, ?status, "delivery report recorded");
            self.emit(|| Event::Delivery { challenge, status });
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
        self.record_delivery(&report.provider, &report.message_id, report.status)
            .await
    }

    /// Counts an attempt at another door of the subject's (a password, an authenticator
    /// app, a recovery code) against the same consecutive-failure ceiling as its SMS
    /// codes, *before* the caller compares the secret: count before compare, in the
    /// store, so it holds across instances and under any concurrency. Returns
    /// [`Verdict::TooManyFailures`] when the ceiling is reached (compare nothing, refuse)
    /// and [`Verdict::Rejected`] when the attempt was counted (compare now; on success
    /// call [`attempt_succeeded`](Self::attempt_succeeded), which clears the count, as a
    /// right SMS code does).
    ///
    /// It runs through the store's own atomic check: a one-attempt challenge that no
    /// code matches is created for the binding, checked once with the subject's ceiling,
    /// and cancelled, so every store (and every store a user wrote) supports it as is.
    ///
    /// # Errors
    /// [`Error::Store`]: treat the door as closed.
    pub async fn count_door_attempt(&self, binding: &Binding) -> Result<Verdict, Error> {
        let now = self.clock.now();
        let subject = self
            .store
            .groups_by_subject()
            .then(|| subject_key(&self.keys, binding));
        let id = self.store.new_id(subject.as_ref());
        let tag = self.keys.binding_tag(binding);
        let mut never = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut never);
        // A token challenge: nothing is sent, one attempt, gone within a minute. Not a
        // decoy: a full store lets decoys give way, and a token pushed out between its
        // create and its check would leave the attempt uncounted (the door then stays
        // closed, but for the wrong reason). Tokens live only while one attempt is
        // counted, so they never pile up.
        let token = NewChallenge::new(
            id,
            tag,
            never,
            crate::store::Timeline::new(
                now,
                time::Duration::minutes(1),
                time::Duration::minutes(1),
                time::Duration::ZERO,
            ),
            crate::store::Allowance::new(1, 1),
        );
        self.store.create(&token).await?;
        // The candidate is the zero digest, which the random one never equals.
        let request = CheckRequest::new(tag, vec![[0u8; 32]], now)
            .with_subject(self.controls.subject_guard(&self.keys, binding));
        let outcome = self.store.check(&id, &request).await;
        let _ = self.store.cancel(&id).await;
        match outcome? {
            CheckOutcome::SubjectLocked => Ok(Verdict::TooManyFailures),
            CheckOutcome::Rejected { .. } => Ok(Verdict::Rejected { attempts_left: 0 }),
            // Anything else means the token did not behave as created: closed.
            _ => Err(Error::Store(crate::store::StoreError::Corrupt(
                "a door's attempt token was not counted".to_owned(),
            ))),
        }
    }

    /// The other door's secret was right: clears the subject's consecutive failures,
    /// as a right SMS code does.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn attempt_succeeded(&self, binding: &Binding) -> Result<(), Error> {
        self.reset_subject(binding).await
    }

    /// Unlocks a subject that reached its failure ceiling (after the person proved who
    /// they are another way).
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn reset_subject(&self, binding: &Binding) -> Result<(), Error> {
        let key = subject_key(&self.keys, binding);
        Ok(self.store.reset_subject(&key).await?)
    }

    /// Builds and hands over an event, only if the sink wants events.
    fn emit(&self, event: impl FnOnce() -> Event) {
        self.deps().emit(event);
    }

    fn deps(&self) -> Deps<'_> {
        Deps {
            store: &self.store,
            events: &*self.events,
        }
    }

    /// Step 1 of the pipeline: the send, built once. Test numbers get their fixed
    /// code; everyone else a fresh one from the CSPRNG.
    fn build_send<'a>(
        &'a self,
        binding: &'a Binding,
        options: &'a StartOptions,
        number: &SendNo<'_>,
        channel: Channel,
    ) -> Result<Send<'a>, Error> {
        let fixed = self
            .controls
            .test_code(binding, number.now)
            .and_then(|c| self.composer.spec.normalise(c).ok());
        let test = fixed.is_some();
        let code = fixed.unwrap_or_else(|| self.composer.spec.generate());
        let client = options.client_key.as_deref();
        Ok(Send {
            binding,
            client,
            keys: LazyKeys::new(&self.keys, binding, client),
            message: self.composer.compose_for(channel, binding, number, &code)?,
            code,
            test,
            now: number.now,
        })
    }

    /// Hands the message to its transport, asking routing to avoid `avoid`.
    async fn hand_over(
        &self,
        message: &Outgoing,
        avoid: Option<Provider>,
    ) -> Result<Receipt, TransportError> {
        match (message, &self.channels.voice) {
            (Outgoing::Sms(sms), _) => match avoid {
                Some(provider) => {
                    self.channels
                        .sms
                        .send(&sms.clone().avoiding(provider))
                        .await
                }
                None => self.channels.sms.send(sms).await,
            },
            (Outgoing::Call(call), Some(voice)) => match avoid {
                Some(provider) => voice.call(&call.clone().avoiding(provider)).await,
                None => voice.call(call).await,
            },
            (Outgoing::Call(_), None) => Err(TransportError::new(
                crate::transport::TransportErrorKind::Rejected,
                "verifier",
                "no voice transport is configured",
            )),
        }
    }

    /// The transport, then what follows a send: the message link and the conversion
    /// guard. A send that did not happen gives its reservations back.
    async fn dispatch(
        &self,
        id: &ChallengeId,
        send: &Send<'_>,
        admission: &Admission,
        avoid: Option<Provider>,
    ) -> Result<(), Error> {
        let to = send.binding.destination();
        match &admission.route {
            Route::Send => {}
            Route::Test => {
                tracing::info!(challenge = %id, %to, "test number: no SMS sent");
                return Ok(());
            }
            Route::Decoy(reason) => {
                tracing::warn!(challenge = %id, %to, ?reason, "send denied by policy; decoy challenge");
                self.emit(|| Event::DeniedByPolicy {
                    challenge: *id,
                    to: to.masked(),
                    reason: reason.clone(),
                });
                return Ok(());
            }
        }
        let receipt = match self.hand_over(&send.message, avoid).await {
            Ok(receipt) => receipt,
            Err(e) => {
                log::send_failed(id, to, &e);
                self.emit(|| Event::SendFailed {
                    challenge: *id,
                    kind: e.kind(),
                });
                if !e.kind().may_have_sent() {
                    self.controls
                        .release(admission, send.now, self.deps())
                        .await;
                }
                return Err(e.into());
            }
        };
        log::sent(id, to, &receipt);
        self.emit(|| match &send.message {
            Outgoing::Sms(sms) => Event::Sent {
                challenge: *id,
                provider: receipt.provider().to_owned(),
                message_id: receipt.message_id().to_owned(),
                segments: sms.segments(),
            },
            Outgoing::Call(_) => Event::CallPlaced {
                challenge: *id,
                provider: receipt.provider().to_owned(),
                call_id: receipt.message_id().to_owned(),
            },
        });
        // Bookkeeping after a send that happened: failures are logged, not returned,
        // because the person has the SMS and must be able to use it.
        let message = MessageKey::new(receipt.provider(), receipt.message_id());
        if let Err(e) = self.store.link_message(&message, id, send.now).await {
            log::not_linked(&e);
        }
        self.controls.after_send(send, admission, self.deps()).await;
        Ok(())
    }
}
