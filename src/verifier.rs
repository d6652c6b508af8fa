//! The verifier: starts challenges, sends codes, checks what people type.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::challenge::{Binding, ChallengeId, Pending, Status, Verdict};
use crate::clock::{Clock, SystemClock};
use crate::code::CodeSpec;
use crate::digest::Keyring;
use crate::error::{ConfigError, Error};
use crate::message::{Locale, MessageTemplate};
use crate::store::{
    ChallengeStore, CheckOutcome, MemoryStore, NewChallenge, RateDecision, RateLimit,
    ResendOutcome, ResendRequest,
};
use crate::transport::{ConsoleTransport, Sms, SmsTransport};

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
    spec: CodeSpec,
    template: MessageTemplate,
    sender: Option<String>,
    ttl: Duration,
    retention: Duration,
    max_attempts: u32,
    resend_cooldown: Duration,
    max_sends: u32,
    destination_limit: (u64, Duration),
}

/// Configures a [`Verifier`].
///
/// | setting | default | why |
/// |---|---|---|
/// | code | 6 of `23456789ABCDEFGHJKMNPQRSTUVWXYZ`, one digit at least | ~29 bits, no look-alikes |
/// | `ttl` | 5 minutes (at most 10 unless allowed) | NIST SP 800-63B caps OOB codes at 10 |
/// | `max_attempts` | 5 per challenge | Twilio Verify's 5; 5 × 3 sends stays far under NIST's 100 |
/// | `resend_cooldown` | 60 s | an SMS usually lands within a minute |
/// | `max_sends` | 3 per challenge | |
/// | per-destination sends | 5 per 10 minutes | Twilio Verify's default |
#[derive(Debug)]
#[must_use]
pub struct VerifierBuilder {
    keys: Keyring,
    store: Option<Arc<dyn ChallengeStore>>,
    transport: Option<Arc<dyn SmsTransport>>,
    clock: Option<Arc<dyn Clock>>,
    spec: CodeSpec,
    template: MessageTemplate,
    sender: Option<String>,
    ttl: Duration,
    allow_long_ttl: bool,
    max_attempts: u32,
    resend_cooldown: Duration,
    max_sends: u32,
    destination_limit: (u64, Duration),
}

impl Verifier {
    /// Starts configuring a verifier keyed by `keys` (a [`Secret`](crate::Secret) or a
    /// [`Keyring`]). Every instance of an app must use the same keys.
    pub fn builder(keys: impl Into<Keyring>) -> VerifierBuilder {
        VerifierBuilder {
            keys: keys.into(),
            store: None,
            transport: None,
            clock: None,
            spec: CodeSpec::default(),
            template: MessageTemplate::new("smsotp", Locale::En),
            sender: None,
            ttl: Duration::minutes(5),
            allow_long_ttl: false,
            max_attempts: 5,
            resend_cooldown: Duration::seconds(60),
            max_sends: 3,
            destination_limit: (5, Duration::minutes(10)),
        }
    }

    /// The code spec in use, for input hints (length, `inputmode`).
    #[must_use]
    pub fn code_spec(&self) -> &CodeSpec {
        &self.spec
    }

    /// Starts a challenge: checks the send limits, saves the code's digest, then sends
    /// the SMS. If the send fails, the challenge is cancelled and the error returned.
    ///
    /// # Errors
    /// [`Error::RateLimited`], [`Error::Store`], or [`Error::Transport`].
    pub async fn start(&self, binding: &Binding) -> Result<Pending, Error> {
        let now = self.clock.now();
        self.count_send(binding, now).await?;

        let id = ChallengeId::random();
        let code = self.spec.generate();
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

        if let Err(e) = self.send(binding, &id, 1, code.expose(), now, expires_at).await {
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
            destination: binding.destination().masked(),
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
        let candidates = self.keys.candidates(id, binding, code.expose());
        let now = self.clock.now();
        let verdict = match self.store.check(id, &candidates, now).await? {
            CheckOutcome::Approved => Verdict::Approved,
            CheckOutcome::Rejected { attempts_left } => Verdict::Rejected { attempts_left },
            CheckOutcome::Expired => Verdict::Expired,
            CheckOutcome::Locked => Verdict::Locked,
            CheckOutcome::NotFound => Verdict::NotFound,
        };
        tracing::info!(challenge = %id, to = %binding.destination(), verdict = ?verdict, "code checked");
        Ok(verdict)
    }

    /// Sends a new code for a pending challenge. Earlier codes stay valid (a delayed
    /// first SMS still works), the attempt count carries over, and the challenge's
    /// expiry does not move.
    ///
    /// # Errors
    /// [`Error::ResendTooSoon`] during the cooldown, [`Error::SendLimit`] after
    /// `max_sends`, [`Error::NotPending`] for an expired, locked or unknown challenge,
    /// [`Error::RateLimited`], [`Error::Store`] or [`Error::Transport`].
    pub async fn resend(&self, id: &ChallengeId, binding: &Binding) -> Result<Pending, Error> {
        let now = self.clock.now();
        let code = self.spec.generate();
        let request = ResendRequest::new(
            self.keys.binding_tags(binding),
            self.keys.digest(id, binding, code.expose()),
            now,
            self.resend_cooldown,
        );
        let (expires_at, resend_at, attempts_left, sends_left) =
            match self.store.resend(id, &request).await? {
                ResendOutcome::Resent {
                    expires_at,
                    resend_at,
                    attempts_left,
                    sends_left,
                } => (expires_at, resend_at, attempts_left, sends_left),
                ResendOutcome::Cooldown { resend_at } => {
                    return Err(Error::ResendTooSoon { resend_at });
                }
                ResendOutcome::MaxSends => return Err(Error::SendLimit),
                _ => return Err(Error::NotPending),
            };
        // Counted after the store accepted the resend, so pressing "resend" during the
        // cooldown does not eat the destination's quota.
        self.count_send(binding, now).await?;
        let send_no = self.max_sends.saturating_sub(sends_left);
        self.send(binding, id, send_no, code.expose(), now, expires_at)
            .await?;
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

    async fn count_send(&self, binding: &Binding, now: OffsetDateTime) -> Result<(), Error> {
        let (limit, window) = self.destination_limit;
        let key = format!("dest:{}", self.keys.index(binding.destination().as_e164()));
        match self
            .store
            .hit(&[RateLimit::new(key, limit, window)], now)
            .await?
        {
            RateDecision::Allowed => Ok(()),
            RateDecision::Denied { retry_at, .. } => {
                tracing::warn!(to = %binding.destination(), %retry_at, "send denied: destination limit");
                Err(Error::RateLimited {
                    scope: "destination",
                    retry_at,
                })
            }
        }
    }

    async fn send(
        &self,
        binding: &Binding,
        id: &ChallengeId,
        send_no: u32,
        code: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), Error> {
        let left = expires_at - now;
        let minutes = u32::try_from(left.whole_minutes().max(1)).unwrap_or(u32::MAX);
        let body = self.template.render(code, minutes);
        let mut sms = Sms::new(
            binding.destination().clone(),
            body,
            left,
            format!("{id}-{send_no}"),
        );
        if let Some(sender) = &self.sender {
            sms = sms.with_sender(sender.clone());
        }
        let receipt = self.transport.send(&sms).await?;
        tracing::info!(challenge = %id, to = %binding.destination(), provider = receipt.provider(), message_id = receipt.message_id(), "sms sent");
        Ok(())
    }
}

impl VerifierBuilder {
    /// Where challenges live. Default: a [`MemoryStore`].
    pub fn store(mut self, store: impl ChallengeStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// How SMS are sent. Default: [`ConsoleTransport`], which only prints.
    pub fn transport(mut self, transport: impl SmsTransport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// The time source. Default: [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Code alphabet and length.
    pub fn code_spec(mut self, spec: CodeSpec) -> Self {
        self.spec = spec;
        self
    }

    /// The SMS text.
    pub fn template(mut self, template: MessageTemplate) -> Self {
        self.template = template;
        self
    }

    /// The sender id the SMS shows, where the route allows one.
    pub fn sender(mut self, sender: impl Into<String>) -> Self {
        self.sender = Some(sender.into());
        self
    }

    /// How long a challenge's codes live, from the first send. Resends never extend it.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Allows a `ttl` over 10 minutes, beyond NIST SP 800-63B.
    pub fn allow_long_ttl(mut self) -> Self {
        self.allow_long_ttl = true;
        self
    }

    /// Wrong checks allowed per challenge, shared by all its codes (1 to 100).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Wait between sends of one challenge.
    pub fn resend_cooldown(mut self, wait: Duration) -> Self {
        self.resend_cooldown = wait;
        self
    }

    /// SMS per challenge, the first included.
    pub fn max_sends(mut self, n: u32) -> Self {
        self.max_sends = n;
        self
    }

    /// SMS allowed to one number per window, across challenges and app instances.
    pub fn destination_limit(mut self, sends: u64, window: Duration) -> Self {
        self.destination_limit = (sends, window);
        self
    }

    /// Checks the settings and builds the verifier.
    ///
    /// # Errors
    /// [`ConfigError`] naming the setting out of range.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.ttl <= Duration::ZERO || (self.ttl > Duration::minutes(10) && !self.allow_long_ttl)
        {
            return Err(ConfigError::Ttl);
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(ConfigError::MaxAttempts);
        }
        if self.max_sends == 0 {
            return Err(ConfigError::MaxSends);
        }
        if self.resend_cooldown < Duration::ZERO || self.destination_limit.1 < Duration::ZERO {
            return Err(ConfigError::NegativeDuration);
        }
        Ok(Verifier {
            keys: self.keys,
            store: self
                .store
                .unwrap_or_else(|| Arc::new(MemoryStore::new())),
            transport: self
                .transport
                .unwrap_or_else(|| Arc::new(ConsoleTransport::new())),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            spec: self.spec,
            template: self.template,
            sender: self.sender,
            retention: self.ttl,
            ttl: self.ttl,
            max_attempts: self.max_attempts,
            resend_cooldown: self.resend_cooldown,
            max_sends: self.max_sends,
            destination_limit: self.destination_limit,
        })
    }
}
