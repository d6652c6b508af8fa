//! Configuring a [`Verifier`].

use std::sync::Arc;

use time::Duration;

use super::Verifier;
use super::composer::Composer;
use super::controls::Controls;
use super::lifetimes::Lifetimes;
use crate::challenge::Purpose;
use crate::clock::{Clock, SystemClock};
use crate::code::CodeSpec;
use crate::digest::Keyring;
use crate::error::ConfigError;
use crate::events::{EventSink, NoEvents};
use crate::message::{Locale, MessageTemplate};
use crate::policy::{ConversionGuard, CountryPolicy, Limit, SendLimits, SpendCap};
use crate::risk::RiskCheck;
use crate::store::{Allowance, MemoryStore, SharedStore, Store};
use crate::test_numbers::TestNumbers;
use crate::transport::{ConsoleTransport, SmsTransport, VoiceTransport};

/// Production refuses what only belongs on a laptop or in staging: test numbers, and
/// the console transport as a silent default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Test numbers are refused and a transport must be set. The default.
    #[default]
    Production,
    /// Test numbers work (staging, app-store review builds); without a transport, SMS
    /// are printed to stderr.
    Development,
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
/// | send limits | see [`SendLimits`] | per number, client, prefix |
/// | subject ceiling | 100 failures in a row, forgotten 24 h after the last | NIST SP 800-63B §3.2.2, ASVS 2.2.1 |
/// | countries | all (see [`CountryPolicy`]: prefer an allow-list) | works out of the box |
#[derive(Debug)]
#[must_use]
pub struct VerifierBuilder {
    pub(super) keys: Keyring,
    pub(super) store: Option<SharedStore>,
    pub(super) transport: Option<Arc<dyn SmsTransport>>,
    pub(super) voice: Option<Arc<dyn VoiceTransport>>,
    pub(super) clock: Option<Arc<dyn Clock>>,
    pub(super) events: Arc<dyn EventSink>,
    pub(super) risk: Option<Arc<dyn RiskCheck>>,
    pub(super) spec: CodeSpec,
    pub(super) template: MessageTemplate,
    pub(super) sender: Option<String>,
    pub(super) ttl: Duration,
    pub(super) allow_long_ttl: bool,
    pub(super) max_attempts: u32,
    pub(super) resend_cooldown: Duration,
    pub(super) max_sends: u32,
    pub(super) limits: SendLimits,
    pub(super) spend: Option<SpendCap>,
    pub(super) countries: CountryPolicy,
    pub(super) countries_by_purpose: Vec<(Purpose, CountryPolicy)>,
    pub(super) conversion: Option<ConversionGuard>,
    pub(super) subject_ceiling: Limit,
    pub(super) test_numbers: TestNumbers,
    pub(super) mode: Mode,
    pub(super) allow_multi_segment: bool,
}

impl VerifierBuilder {
    pub(super) fn new(keys: Keyring) -> Self {
        Self {
            keys,
            store: None,
            transport: None,
            voice: None,
            clock: None,
            events: Arc::new(NoEvents),
            risk: None,
            spec: CodeSpec::default(),
            template: MessageTemplate::new("smsotp", Locale::En),
            sender: None,
            ttl: Duration::minutes(5),
            allow_long_ttl: false,
            max_attempts: 5,
            resend_cooldown: Duration::seconds(60),
            max_sends: 3,
            limits: SendLimits::default(),
            spend: None,
            countries: CountryPolicy::default(),
            countries_by_purpose: Vec::new(),
            conversion: None,
            subject_ceiling: Limit::new(100, Duration::hours(24)),
            test_numbers: TestNumbers::new(),
            mode: Mode::default(),
            allow_multi_segment: false,
        }
    }

    /// Where challenges live. Default: a [`MemoryStore`].
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store).into());
        self
    }

    /// Where challenges live, for a store the app shares with other verifiers (or
    /// keeps a handle on): taken as it is, where [`store`](Self::store) would wrap an
    /// `Arc` in another and pay one more indirection on every operation. Takes an
    /// `Arc<S>` of any store, or an `Arc<dyn Store>`.
    pub fn shared_store(mut self, store: impl Into<SharedStore>) -> Self {
        self.store = Some(store.into());
        self
    }

    /// How SMS are sent. Required in [`Mode::Production`]; in development the default
    /// is [`ConsoleTransport`], which prints codes and numbers to stderr.
    pub fn transport(mut self, transport: impl SmsTransport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// How calls that read the code are placed, for
    /// [`resend_by_voice`](Verifier::resend_by_voice). Default: none (voice refused).
    pub fn voice(mut self, transport: impl VoiceTransport) -> Self {
        self.voice = Some(Arc::new(transport));
        self
    }

    /// The time source. Default: [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Where events go (besides `tracing`). Default: nowhere.
    pub fn events(mut self, sink: impl EventSink) -> Self {
        self.events = Arc::new(sink);
        self
    }

    /// The app's risk check, run before every send.
    pub fn risk_check(mut self, check: impl RiskCheck) -> Self {
        self.risk = Some(Arc::new(check));
        self
    }

    /// Code alphabet and length.
    pub fn code_spec(mut self, spec: CodeSpec) -> Self {
        self.spec = spec;
        self
    }

    /// The SMS text. [`build`](Self::build) refuses a template whose longest message
    /// (longest code, most minutes, autofill lines) takes more than one SMS segment,
    /// unless [`allow_multi_segment`](Self::allow_multi_segment) is called.
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

    /// SMS per challenge, the first included (1 to 255).
    pub fn max_sends(mut self, n: u32) -> Self {
        self.max_sends = n;
        self
    }

    /// All send limits at once.
    pub fn send_limits(mut self, limits: SendLimits) -> Self {
        self.limits = limits;
        self
    }

    /// SMS allowed to one number per window, across challenges and app instances.
    pub fn destination_limit(mut self, sends: u64, window: Duration) -> Self {
        self.limits.per_destination = Some(Limit::new(sends, window));
        self
    }

    /// A spend cap over all sends.
    pub fn spend_cap(mut self, cap: SpendCap) -> Self {
        self.spend = Some(cap);
        self
    }

    /// Which countries may receive SMS.
    pub fn countries(mut self, policy: CountryPolicy) -> Self {
        self.countries = policy;
        self
    }

    /// A country policy for one purpose, replacing [`countries`](Self::countries) for
    /// it. SMS pumping happens where a number is not yet confirmed, so enrolment can
    /// be stricter than signing in to a confirmed number (Login.gov keeps
    /// `supports_sms_unconfirmed` apart from `supports_sms` for this reason):
    ///
    /// ```
    /// use smsotp::policy::CountryPolicy;
    /// use smsotp::{Purpose, Secret, Verifier};
    /// # let transport = smsotp::transport::RecordingTransport::new();
    /// let verifier = Verifier::builder(Secret::generate())
    ///     .transport(transport)
    ///     .countries(CountryPolicy::allow([81, 1, 44]))
    ///     // A new number may only be Japanese.
    ///     .countries_for(Purpose::new("add-phone")?, CountryPolicy::allow([81]))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A destination the purpose's policy refuses gets the same answer as any
    /// other refused destination (a decoy challenge, nothing sent); an app that wants
    /// to tell the person checks [`CountryPolicy::permits`] itself first.
    pub fn countries_for(mut self, purpose: Purpose, policy: CountryPolicy) -> Self {
        self.countries_by_purpose.retain(|(p, _)| *p != purpose);
        self.countries_by_purpose.push((purpose, policy));
        self
    }

    /// Pauses prefixes whose codes are rarely typed (SMS pumping).
    pub fn conversion_guard(mut self, guard: ConversionGuard) -> Self {
        self.conversion = Some(guard);
        self
    }

    /// Failed checks allowed in a row per subject, across challenges (1 to 100), and
    /// how long the count lives after the last failure.
    pub fn subject_ceiling(mut self, failures: u32, window: Duration) -> Self {
        self.subject_ceiling = Limit::new(u64::from(failures), window);
        self
    }

    /// Fixed-code test numbers; needs [`Mode::Development`].
    pub fn test_numbers(mut self, numbers: TestNumbers) -> Self {
        self.test_numbers = numbers;
        self
    }

    /// Accepts a template whose longest message takes more than one SMS segment.
    /// Every segment is billed as a whole SMS, and Android's SMS Retriever reads only
    /// single-segment messages, so by default [`build`](Self::build) refuses it.
    pub fn allow_multi_segment(mut self) -> Self {
        self.allow_multi_segment = true;
        self
    }

    /// Production (the default) or development.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Refuses a template whose longest message spills into a second segment. The
    /// SMS says the minutes left, which at the first send is the whole ttl.
    fn check_one_segment(&self) -> Result<(), ConfigError> {
        let max_minutes = u32::try_from(self.ttl.whole_minutes().max(1)).unwrap_or(u32::MAX);
        let longest = self.template.longest(
            self.spec.alphabet().symbols(),
            self.spec.length(),
            max_minutes,
        );
        if longest.fits_one_segment() {
            return Ok(());
        }
        Err(ConfigError::MessageTooLong {
            units: longest.units,
            capacity: longest.capacity(),
            over: longest.over(),
            lines: longest.lines,
            segments: longest.segments.count,
        })
    }

    /// Checks the settings and builds the verifier.
    ///
    /// # Errors
    /// [`ConfigError`] naming the setting out of range, or
    /// [`ConfigError::MessageTooLong`] for a template whose longest SMS takes two
    /// segments.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if self.ttl <= Duration::ZERO || (self.ttl > Duration::minutes(10) && !self.allow_long_ttl)
        {
            return Err(ConfigError::Ttl);
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(ConfigError::MaxAttempts);
        }
        if !(1..=255).contains(&self.max_sends) {
            return Err(ConfigError::MaxSends);
        }
        if !(1..=100).contains(&self.subject_ceiling.count) {
            return Err(ConfigError::SubjectCeiling);
        }
        if self.resend_cooldown < Duration::ZERO {
            return Err(ConfigError::NegativeDuration);
        }
        if self.conversion.is_some_and(|guard| !guard.is_sound()) {
            return Err(ConfigError::ConversionGuard);
        }
        // A zero window would expire every count at once: the limit would never bite.
        let windows = [
            Some(self.subject_ceiling.window),
            self.limits.per_destination.map(|l| l.window),
            self.limits.per_client.map(|l| l.window),
            self.limits.per_prefix.map(|l| l.window),
            self.limits.per_country.map(|l| l.window),
            self.limits.global.map(|l| l.window),
            self.spend.as_ref().map(|s| s.window),
        ];
        if windows.into_iter().flatten().any(|w| w <= Duration::ZERO) {
            return Err(ConfigError::NegativeDuration);
        }
        if !self.test_numbers.is_empty() {
            if self.mode == Mode::Production {
                return Err(ConfigError::TestNumbersInProduction);
            }
            if self
                .test_numbers
                .codes()
                .any(|c| self.spec.normalise(c).is_err())
            {
                return Err(ConfigError::TestNumberCode);
            }
        }
        if let Some(fault) = self.keys.fault() {
            return Err(fault);
        }
        if !self.allow_multi_segment {
            self.check_one_segment()?;
        }
        Ok(Verifier {
            keys: self.keys,
            store: self
                .store
                .unwrap_or_else(|| Arc::new(MemoryStore::new()).into()),
            channels: super::Channels {
                sms: match (self.transport, self.mode) {
                    (Some(transport), _) => transport,
                    (None, Mode::Development) => Arc::new(ConsoleTransport::new()),
                    (None, Mode::Production) => return Err(ConfigError::NoTransport),
                },
                voice: self.voice,
            },
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            events: self.events,
            lifetimes: Lifetimes {
                ttl: self.ttl,
                retention: self.ttl,
                resend_cooldown: self.resend_cooldown,
                allowance: Allowance::new(self.max_attempts, self.max_sends),
            },
            composer: Composer {
                spec: self.spec,
                template: self.template,
                sender: self.sender,
            },
            controls: Controls {
                limits: self.limits,
                test_numbers: self.test_numbers,
                countries: self.countries,
                countries_by_purpose: self.countries_by_purpose,
                conversion: self.conversion,
                risk: self.risk,
                spend: self.spend,
                subject_ceiling: self.subject_ceiling,
            },
        })
    }
}
