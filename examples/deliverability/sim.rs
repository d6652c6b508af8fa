//! The deliverability simulation: simulated people and providers around the real
//! [`Verifier`], wrappers and receipt path, on a [`ManualClock`].
//!
//! Shared by `examples/deliverability/main.rs` (which prints the table and writes the
//! chart) and `tests/deliverability.rs` (which runs it small), so neither copies it.
//!
//! Everything that is assumed is a field of [`Params`], with its default and where
//! the figure comes from in one place ([`Params::default`]). Every draw comes from
//! [`Rng`] seeded by `--seed`: the same seed gives the same people, the same carrier
//! behaviour and the same table. The people and every per-message draw are the same
//! under every strategy (each draw is keyed by person, route and send number), so
//! strategies are compared on identical populations.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use smsotp::message::{Locale, MessageTemplate};
use smsotp::transport::{
    CircuitBreaker, CircuitConfig, DeliveryReport, DeliveryStatus, Failover, Provider, Receipt,
    RouteByCountry, Sms, SmsTransport, TransportError, TransportErrorKind,
};
use smsotp::{
    Alphabet, Binding, ChallengeId, CodeSpec, ConfigError, Error as VerifierError, ManualClock,
    Phase, PhoneNumber, Purpose, Secret, Verdict, Verifier,
};
use time::{Duration, OffsetDateTime};

/// Every assumption of the simulation. See [`Params::default`] for the values and
/// where each comes from.
#[derive(Debug, Clone)]
pub struct Params {
    // ---- providers and carriers ----
    /// Share of people whose carrier filters international A2P SMS to +81.
    pub filtering_carrier_share: f64,
    /// Chance that such a carrier drops one international message.
    pub filter_drop_chance: f64,
    /// Median seconds from hand-off to handset, and the lognormal spread.
    pub delivery_median_s: f64,
    /// Lognormal sigma of the delivery time.
    pub delivery_sigma: f64,
    /// Chance a carrier holds a message and delivers it late (the heavy tail).
    pub hold_chance: f64,
    /// Shortest hold in seconds; holds are Pareto distributed from here.
    pub hold_min_s: f64,
    /// Pareto shape of holds (smaller is a heavier tail).
    pub hold_alpha: f64,
    /// Chance a delivery report comes back at all, international route.
    pub receipt_chance_intl: f64,
    /// Chance a delivery report comes back at all, domestic route.
    pub receipt_chance_domestic: f64,
    /// Median seconds a report lags the event it reports (lognormal, sigma 1.2).
    pub receipt_lag_median_s: f64,
    /// The domestic route is down from this many minutes into the day...
    pub outage_start_min: i64,
    /// ...for this many minutes.
    pub outage_minutes: i64,
    /// Share of outage errors that are timeouts (the rest: 503 Unavailable).
    pub outage_timeout_share: f64,
    /// Seconds a timed-out send keeps the person waiting.
    pub timeout_s: f64,
    /// People start signing in spread evenly over this many minutes.
    pub arrival_window_min: i64,
    // ---- people ----
    /// Share who blocked SMS from overseas senders in their carrier settings.
    pub overseas_blocked: f64,
    /// Share out of signal when they sign in.
    pub out_of_signal: f64,
    /// Shortest time out of signal, seconds (Pareto, shape 1.1).
    pub out_of_signal_min_s: f64,
    /// Share on a data-only SIM (no SMS at all).
    pub data_only_sim: f64,
    /// Share whose registered number has a typo.
    pub wrong_number: f64,
    /// Share whose keyboard is in full-width (IME) mode when they type the code.
    pub types_full_width: f64,
    /// Share who type a hyphen or space in the middle.
    pub types_separator: f64,
    /// Share who type letters in lower case.
    pub types_lower_case: f64,
    /// Share who read a 0 or 1 of a digits-only code as O, l or I.
    pub reads_confusables: f64,
    /// Chance of a plain typo per attempt.
    pub typo: f64,
    /// Chance a person fixes input the app refused as malformed (else gives up).
    pub fixes_refused_input: f64,
    /// Share with an authenticator app set up on the account.
    pub has_authenticator: f64,
    /// Share who kept their recovery codes at hand.
    pub has_recovery_code: f64,
    /// Seconds from the SMS arriving to the code typed (uniform between these).
    pub typing_s: (f64, f64),
    /// Seconds a person waits for an SMS before pressing "resend" (uniform).
    pub patience_s: (f64, f64),
    /// Minutes a person keeps trying before giving up.
    pub give_up_min: i64,
    // ---- the app and prices ----
    /// Seconds without a confirmed delivery before the page says what to check
    /// (strategy e).
    pub hint_after_s: i64,
    /// Seconds between the code page's delivery-state refreshes (strategy e).
    pub poll_s: i64,
    /// Yen per segment, domestic route.
    pub domestic_yen: f64,
    /// Yen per segment, international route.
    pub intl_yen: f64,
}

impl Default for Params {
    /// The defaults, each with where it comes from. "Illustrative" means chosen to
    /// show the mechanism, not measured: replace it with your own traffic's figure.
    fn default() -> Self {
        Self {
            // Illustrative: Japanese carriers filter international A2P traffic to
            // varying degrees, which is why providers offer domestic routes for Japan.
            filtering_carrier_share: 0.25,
            // Illustrative: filtering is by sender and content, so not every message.
            filter_drop_chance: 0.5,
            // Illustrative: most SMS reach the handset within seconds.
            delivery_median_s: 4.0,
            // Illustrative: spread of the ordinary delivery time.
            delivery_sigma: 0.8,
            // Illustrative: a carrier holds some messages and delivers them late.
            hold_chance: 0.05,
            // Illustrative: a hold lasts a minute at least...
            hold_min_s: 60.0,
            // ...and has a heavy tail (illustrative shape).
            hold_alpha: 1.2,
            // Illustrative: international routes report delivery less often.
            receipt_chance_intl: 0.8,
            // Illustrative: a direct carrier route reports nearly always.
            receipt_chance_domestic: 0.95,
            // Illustrative: reports usually follow within seconds.
            receipt_lag_median_s: 5.0,
            // Illustrative: the outage starts two hours into the day...
            outage_start_min: 120,
            // ...and lasts one hour (illustrative).
            outage_minutes: 60,
            // Illustrative: some calls to a failing provider hang until the deadline.
            outage_timeout_share: 0.3,
            // Illustrative: a per-send deadline (the Timeout wrapper's job).
            timeout_s: 10.0,
            // Illustrative: sign-ins spread over one day.
            arrival_window_min: 24 * 60,
            // Illustrative: Japanese carriers let subscribers refuse SMS from overseas
            // senders (a carrier setting; how many use it is not published).
            overseas_blocked: 0.05,
            // Illustrative: out of signal when the code is sent.
            out_of_signal: 0.04,
            // Illustrative: out of signal for a minute at least (heavy tail).
            out_of_signal_min_s: 60.0,
            // Illustrative: data-only SIMs (tablets, travel SIMs).
            data_only_sim: 0.02,
            // Illustrative: a typo in the registered number.
            wrong_number: 0.01,
            // Illustrative: a Japanese IME left in full-width mode on a PC.
            types_full_width: 0.10,
            // Illustrative: a hyphen or space typed between groups.
            types_separator: 0.05,
            // Illustrative: letters typed in lower case.
            types_lower_case: 0.30,
            // Illustrative: a 0 read as O, a 1 as l or I.
            reads_confusables: 0.10,
            // Illustrative: a plain typo per attempt.
            typo: 0.03,
            // Illustrative: told "enter 6 digits", most fix it; some give up.
            fixes_refused_input: 0.8,
            // Illustrative: accounts with an authenticator app set up.
            has_authenticator: 0.30,
            // Illustrative: people who can find a recovery code.
            has_recovery_code: 0.10,
            // Illustrative: reading and typing a six-symbol code.
            typing_s: (8.0, 30.0),
            // Illustrative: after the resend cooldown (60 s, the crate's default).
            patience_s: (60.0, 120.0),
            // The longest measure of the table: signed in within 10 minutes.
            give_up_min: 10,
            // The web example's figure (HELP_AFTER in examples/axum_two_step/app.rs).
            hint_after_s: 90,
            // Illustrative: how often the code page refreshes its delivery state.
            poll_s: 15,
            // 8 yen a segment domestic: the figure this project plans with (README,
            // "Abuse and cost controls").
            domestic_yen: 8.0,
            // Illustrative; set with --intl-yen.
            intl_yen: 12.0,
        }
    }
}

impl Params {
    /// The assumptions as `name = value` lines, for the README and the console.
    #[must_use]
    pub fn describe(&self) -> String {
        format!("{self:#?}")
    }
}

/// What an app does, cumulatively from (a) to (e).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strategy {
    /// Six digits 0-9, one international provider, input checked as `^[0-9]{6}$`
    /// (no folding), no delivery receipts.
    A,
    /// As (a), with confusable-free codes and input folding (the crate's defaults).
    B,
    /// As (b), with a domestic direct route for +81 (`RouteByCountry`).
    C,
    /// As (c), with `Failover` to the other route, each behind a `CircuitBreaker`.
    D,
    /// As (d), with receipts recorded (`record_report`), the delivery state shown,
    /// what to check told, a resend on the next route, and the authenticator app or a
    /// recovery code offered.
    E,
}

impl Strategy {
    /// Every strategy, in order.
    pub const ALL: [Strategy; 5] = [
        Strategy::A,
        Strategy::B,
        Strategy::C,
        Strategy::D,
        Strategy::E,
    ];

    /// A short label for tables and charts.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Strategy::A => "(a) digits, 1 intl provider",
            Strategy::B => "(b) + confusable-free, folding",
            Strategy::C => "(c) + domestic route for +81",
            Strategy::D => "(d) + failover, circuit breaker",
            Strategy::E => "(e) + receipts, next route, app",
        }
    }

    fn folding(self) -> bool {
        self >= Strategy::B
    }
    fn domestic(self) -> bool {
        self >= Strategy::C
    }
    fn failover(self) -> bool {
        self >= Strategy::D
    }
    fn receipts(self) -> bool {
        self >= Strategy::E
    }
}

/// Why the simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The verifier refused its configuration.
    #[error("verifier configuration: {0}")]
    Config(#[from] ConfigError),
    /// A verifier call failed in a way the simulated app does not handle.
    #[error("verifier: {0}")]
    Verifier(#[from] VerifierError),
    /// A simulated number did not parse.
    #[error("phone number: {0}")]
    Phone(#[from] smsotp::PhoneError),
    /// A code spec was refused.
    #[error("code spec: {0}")]
    CodeSpec(#[from] smsotp::code::CodeSpecError),
    /// The template was refused.
    #[error("template: {0}")]
    Template(#[from] smsotp::message::TemplateError),
}

/// One strategy's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Which strategy.
    pub strategy: Strategy,
    /// People simulated.
    pub people: usize,
    /// Seconds from the start of the second step to signing in, per person who did.
    pub signed_in_after_s: Vec<i64>,
    /// SMS handed to providers (billed, delivered or not).
    pub messages: u64,
    /// Their segments.
    pub segments: u64,
    /// Yen spent on them.
    pub cost_yen: f64,
    /// People who did not sign in and were never told why.
    pub unexplained: usize,
    /// People who did not sign in but were told why (what to check, an error).
    pub told: usize,
    /// People who signed in with the authenticator app or a recovery code.
    pub by_fallback: usize,
}

impl Report {
    /// Share of people signed in within `minutes`.
    #[must_use]
    pub fn within(&self, minutes: i64) -> f64 {
        let n = self
            .signed_in_after_s
            .iter()
            .filter(|&&s| s <= minutes * 60)
            .count();
        ratio(n, self.people)
    }

    /// Segments per person signed in (within the give-up time).
    #[must_use]
    pub fn segments_per_success(&self) -> f64 {
        let ok = self.signed_in_after_s.len();
        if ok == 0 {
            return f64::INFINITY;
        }
        self.segments as f64 / ok as f64
    }

    /// Yen per person signed in.
    #[must_use]
    pub fn cost_per_success(&self) -> f64 {
        let ok = self.signed_in_after_s.len();
        if ok == 0 {
            return f64::INFINITY;
        }
        self.cost_yen / ok as f64
    }
}

fn ratio(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

/// The results as a Markdown table.
#[must_use]
pub fn table(reports: &[Report]) -> String {
    let mut out = String::from(
        "| strategy | signed in ≤ 1 min | ≤ 3 min | ≤ 10 min | segments / success | yen / success | not signed in, told why | left with no explanation |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let _ = writeln!(
            out,
            "| {} | {:.1}% | {:.1}% | {:.1}% | {:.2} | {:.1} | {} | {} |",
            r.strategy.label(),
            100.0 * r.within(1),
            100.0 * r.within(3),
            100.0 * r.within(10),
            r.segments_per_success(),
            r.cost_per_success(),
            r.told,
            r.unexplained,
        );
    }
    out
}

/// Runs every strategy on the same `users` people drawn from `seed`.
///
/// # Errors
/// [`SimError`] when a verifier call fails unexpectedly.
pub async fn run_all(params: &Params, seed: u64, users: usize) -> Result<Vec<Report>, SimError> {
    let mut out = Vec::new();
    for strategy in Strategy::ALL {
        out.push(run(params, seed, users, strategy).await?);
    }
    Ok(out)
}

// ---- randomness ---------------------------------------------------------------------

/// SplitMix64: small, fast and fully determined by its seed (no OS entropy), which
/// is all a simulation needs. Never for codes or keys.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` and a stream label (person, route, send...).
    #[must_use]
    pub fn new(seed: u64, stream: &[u64]) -> Self {
        let mut rng = Rng(seed ^ 0x5851_F42D_4C95_7F2D);
        for &s in stream {
            rng.0 ^= s.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            rng.next_u64();
        }
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn between(&mut self, (lo, hi): (f64, f64)) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn below(&mut self, n: usize) -> usize {
        // n is small; the modulo bias is far below anything the figures show.
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Lognormal with this median and sigma (Box-Muller).
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        median * (sigma * z).exp()
    }

    /// Pareto with this minimum and shape.
    fn pareto(&mut self, min: f64, alpha: f64) -> f64 {
        let u = (1.0 - self.unit()).max(f64::MIN_POSITIVE);
        min / u.powf(1.0 / alpha)
    }
}

fn secs(s: f64) -> Duration {
    Duration::milliseconds((s * 1000.0).round() as i64)
}

// ---- people ---------------------------------------------------------------------------

/// One simulated person: where they are, what their phone does, how they type.
#[derive(Debug, Clone)]
struct Person {
    /// The number on the account (possibly mistyped at registration).
    registered: PhoneNumber,
    wrong_number: bool,
    overseas_blocked: bool,
    filtering_carrier: bool,
    data_only: bool,
    /// Seconds after the start they are out of signal.
    no_signal_s: f64,
    full_width: bool,
    separator: bool,
    lower_case: bool,
    confusables: bool,
    authenticator: bool,
    recovery: bool,
    /// Minutes into the day they start the second step.
    arrives_s: f64,
}

fn people(params: &Params, seed: u64, users: usize) -> Result<Vec<Person>, SimError> {
    let mut out = Vec::with_capacity(users);
    for i in 0..users {
        let mut r = Rng::new(seed, &[1, i as u64]);
        // Distinct mobile numbers: 090, 080, 070 and eight digits from the index, so
        // the per-prefix limit sees a realistic spread.
        let lead = ["90", "80", "70"][i % 3];
        // The first of the eight digits is never 0 (0800 is toll-free, not mobile).
        let digits = 10_000_000 + (i as u64).wrapping_mul(2_654_435_761) % 90_000_000;
        let registered = PhoneNumber::parse_e164(&format!("+81{lead}{digits:08}"))?;
        let no_signal_s = if r.chance(params.out_of_signal) {
            r.pareto(params.out_of_signal_min_s, 1.1)
        } else {
            0.0
        };
        out.push(Person {
            registered,
            wrong_number: r.chance(params.wrong_number),
            overseas_blocked: r.chance(params.overseas_blocked),
            filtering_carrier: r.chance(params.filtering_carrier_share),
            data_only: r.chance(params.data_only_sim),
            no_signal_s,
            full_width: r.chance(params.types_full_width),
            separator: r.chance(params.types_separator),
            lower_case: r.chance(params.types_lower_case),
            confusables: r.chance(params.reads_confusables),
            authenticator: r.chance(params.has_authenticator),
            recovery: r.chance(params.has_recovery_code),
            arrives_s: (i as f64 + r.unit()) * (params.arrival_window_min * 60) as f64
                / users.max(1) as f64,
        });
    }
    Ok(out)
}

// ---- providers --------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RouteKind {
    Intl,
    Domestic,
}

impl RouteKind {
    fn name(self) -> &'static str {
        match self {
            RouteKind::Intl => "intl",
            RouteKind::Domestic => "domestic",
        }
    }
}

/// Something the simulated networks will do later.
#[derive(Debug)]
enum Later {
    /// The SMS reaches the person's handset.
    Arrives { person: usize, code: String },
    /// The provider calls the receipt endpoint.
    Report(DeliveryReport),
}

/// The simulated world the providers see: who has which number, the clock, and what
/// will happen later. Shared by the routes and the event loop.
#[derive(Debug)]
struct World {
    params: Params,
    seed: u64,
    people: Vec<Person>,
    by_number: HashMap<String, usize>,
    /// Sends per (person, route), so each send has its own draws.
    sends: HashMap<(usize, u8), u64>,
    /// Seconds the current verifier call has spent waiting on providers.
    elapsed_s: f64,
    later: Vec<(OffsetDateTime, Later)>,
    messages: u64,
    segments: u64,
    cost_yen: f64,
    next_id: u64,
    start: OffsetDateTime,
}

#[derive(Debug, Clone)]
struct Shared(Arc<Mutex<World>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, World> {
        // The world is only read and written whole under the lock; a panic elsewhere
        // cannot leave it half-updated.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A simulated provider route.
#[derive(Debug)]
struct SimRoute {
    kind: RouteKind,
    world: Shared,
    clock: ManualClock,
}

/// The code in an SMS, read from its origin-bound last line (`@host #CODE`): what a
/// phone's autofill reads too.
fn code_in(sms: &Sms) -> String {
    let text = sms.body().expose();
    text.rsplit('#')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[async_trait::async_trait]
impl SmsTransport for SimRoute {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(self.kind.name()))
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        use smsotp::Clock as _;
        let mut w = self.world.lock();
        let sent_at = self.clock.now() + secs(w.elapsed_s);
        let p = w.params.clone();
        let Some(&person) = w.by_number.get(sms.to().as_e164()) else {
            return Err(TransportError::new(
                TransportErrorKind::InvalidNumber,
                self.kind.name(),
                "unknown number",
            ));
        };
        let key = (person, self.kind as u8);
        let n = *w.sends.entry(key).and_modify(|n| *n += 1).or_insert(1);
        let mut r = Rng::new(w.seed, &[2, person as u64, self.kind as u64, n]);
        // The outage: the domestic route fails every call for an hour.
        let minute = (sent_at - w.start).whole_minutes();
        let down = self.kind == RouteKind::Domestic
            && (p.outage_start_min..p.outage_start_min + p.outage_minutes).contains(&minute);
        if down {
            let (kind, wait) = if r.chance(p.outage_timeout_share) {
                (TransportErrorKind::Timeout, p.timeout_s)
            } else {
                (TransportErrorKind::Unavailable, 0.5)
            };
            w.elapsed_s += wait;
            return Err(TransportError::new(
                kind,
                self.kind.name(),
                "simulated outage",
            ));
        }
        w.elapsed_s += 0.3;
        let segments = u64::from(sms.segments());
        w.messages += 1;
        w.segments += segments;
        w.cost_yen += segments as f64
            * match self.kind {
                RouteKind::Intl => p.intl_yen,
                RouteKind::Domestic => p.domestic_yen,
            };
        w.next_id += 1;
        let id = format!("{}-{}", self.kind.name(), w.next_id);
        let who = w.people[person].clone();
        let validity = sms.validity().whole_seconds() as f64;
        // Where the message ends: Some(seconds to the handset) or None (lost), and
        // what the provider will report.
        let intl = self.kind == RouteKind::Intl;
        let (arrives, status) = if who.wrong_number {
            // Someone else's handset, or an unassigned number.
            if r.chance(0.5) {
                (None, DeliveryStatus::Delivered)
            } else {
                (None, DeliveryStatus::Failed { permanent: true })
            }
        } else if who.data_only || (intl && who.overseas_blocked) {
            (None, DeliveryStatus::Failed { permanent: false })
        } else if intl && who.filtering_carrier && r.chance(p.filter_drop_chance) {
            // Filtered messages are often reported as sent and never as failed.
            let status = if r.chance(0.5) {
                DeliveryStatus::Failed { permanent: false }
            } else {
                DeliveryStatus::Pending
            };
            (None, status)
        } else {
            let mut after = r.lognormal(p.delivery_median_s, p.delivery_sigma);
            if r.chance(p.hold_chance) {
                after += r.pareto(p.hold_min_s, p.hold_alpha);
            }
            // Out of signal: the carrier holds it until the handset is back.
            let since_start = (sent_at - w.start).as_seconds_f64() - who.arrives_s;
            let back = who.no_signal_s - since_start;
            if back > after {
                after = back + r.between((1.0, 5.0));
            }
            if after > validity {
                (None, DeliveryStatus::Failed { permanent: false })
            } else {
                (Some(after), DeliveryStatus::Delivered)
            }
        };
        let reported_after = arrives.unwrap_or(r.between((2.0, 30.0)).min(validity));
        if let Some(after) = arrives {
            w.later.push((
                sent_at + secs(after),
                Later::Arrives {
                    person,
                    code: code_in(sms),
                },
            ));
        }
        let receipt_chance = if intl {
            p.receipt_chance_intl
        } else {
            p.receipt_chance_domestic
        };
        if status != DeliveryStatus::Pending && r.chance(receipt_chance) {
            let lag = r.lognormal(p.receipt_lag_median_s, 1.2);
            w.later.push((
                sent_at + secs(reported_after + lag),
                Later::Report(DeliveryReport::new(
                    self.kind.name(),
                    id.clone(),
                    status,
                    None,
                )),
            ));
        }
        Ok(Receipt::new(self.kind.name(), id))
    }
}

fn transport(strategy: Strategy, world: &Shared, clock: &ManualClock) -> Box<dyn SmsTransport> {
    let route = |kind| SimRoute {
        kind,
        world: world.clone(),
        clock: clock.clone(),
    };
    let breaker = |kind| {
        CircuitBreaker::new(
            route(kind),
            Arc::new(clock.clone()),
            CircuitConfig::default(),
        )
    };
    if strategy.failover() {
        let japan = Failover::new(breaker(RouteKind::Domestic)).then(breaker(RouteKind::Intl));
        Box::new(RouteByCountry::new(breaker(RouteKind::Intl)).route(81, japan))
    } else if strategy.domestic() {
        Box::new(RouteByCountry::new(route(RouteKind::Intl)).route(81, route(RouteKind::Domestic)))
    } else {
        Box::new(route(RouteKind::Intl))
    }
}

/// A boxed transport as a transport, for the builder.
#[derive(Debug)]
struct Boxed(Box<dyn SmsTransport>);

#[async_trait::async_trait]
impl SmsTransport for Boxed {
    fn provider_name(&self) -> Option<Provider> {
        self.0.provider_name()
    }
    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        self.0.send(sms).await
    }
}

// ---- the app and the people, as events ---------------------------------------------

#[derive(Debug)]
enum Event {
    /// The person reaches the code page, or presses "send a new code".
    Start(usize),
    /// An SMS reaches the handset.
    Arrives { person: usize, code: String },
    /// The person types a code they received.
    Type {
        person: usize,
        code: String,
        try_no: u32,
    },
    /// No SMS yet: the person presses "resend".
    Impatient(usize),
    /// The code page refreshes its delivery state (strategy e).
    Poll(usize),
    /// A provider's delivery report reaches the receipt endpoint.
    Report(DeliveryReport),
    /// The person signs in with the authenticator app or a recovery code.
    Fallback(usize),
}

#[derive(Debug, Default)]
struct State {
    challenge: Option<ChallengeId>,
    last_send_s: f64,
    received: bool,
    done_s: Option<f64>,
    told: bool,
    gave_up: bool,
    offered: bool,
    send_errors: u32,
    by_fallback: bool,
    /// Whether the code page's refresh is running (strategy e).
    polling: bool,
}

struct Sim<'a> {
    params: &'a Params,
    strategy: Strategy,
    verifier: Verifier,
    clock: ManualClock,
    world: Shared,
    people: Vec<Person>,
    states: Vec<State>,
    bindings: Vec<Binding>,
    queue: BinaryHeap<Reverse<(i64, u64)>>,
    events: HashMap<u64, Event>,
    seq: u64,
    start: OffsetDateTime,
    seed: u64,
}

/// Runs one strategy.
///
/// # Errors
/// [`SimError`] when a verifier call fails unexpectedly.
pub async fn run(
    params: &Params,
    seed: u64,
    users: usize,
    strategy: Strategy,
) -> Result<Report, SimError> {
    let start = time::macros::datetime!(2026-06-01 00:00 UTC);
    let clock = ManualClock::new(start);
    let people = people(params, seed, users)?;
    let by_number = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.registered.as_e164().to_owned(), i))
        .collect();
    let world = Shared(Arc::new(Mutex::new(World {
        params: params.clone(),
        seed,
        people: people.clone(),
        by_number,
        sends: HashMap::new(),
        elapsed_s: 0.0,
        later: Vec::new(),
        messages: 0,
        segments: 0,
        cost_yen: 0.0,
        next_id: 0,
        start,
    })));
    let spec = if strategy.folding() {
        CodeSpec::default()
    } else {
        // What many apps do: six digits 0-9 (19.9 bits, under the crate's 20-bit
        // floor, hence allow_weak).
        CodeSpec::builder()
            .alphabet(Alphabet::new_allowing_confusables("0123456789")?)
            .allow_weak()
            .build()?
    };
    let template = MessageTemplate::new("Example", Locale::Ja)
        .with_purpose("ログイン")?
        .with_origin("example.com")?;
    let verifier = Verifier::builder(Secret::generate())
        .transport(Boxed(transport(strategy, &world, &clock)))
        .clock(clock.clone())
        .code_spec(spec)
        .template(template)
        .build()?;
    let bindings = people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Binding::new(p.registered.clone(), Purpose::login()).with_subject(format!("user-{i}"))
        })
        .collect();
    let mut sim = Sim {
        params,
        strategy,
        verifier,
        clock,
        world,
        states: people.iter().map(|_| State::default()).collect(),
        people,
        bindings,
        queue: BinaryHeap::new(),
        events: HashMap::new(),
        seq: 0,
        start,
        seed,
    };
    for i in 0..sim.people.len() {
        let at = sim.people[i].arrives_s;
        sim.at(at, Event::Start(i));
    }
    sim.run().await?;
    Ok(sim.report())
}

impl Sim<'_> {
    /// Schedules `event` at `s` seconds into the day.
    fn at(&mut self, s: f64, event: Event) {
        self.seq += 1;
        self.queue
            .push(Reverse(((s * 1000.0).round() as i64, self.seq)));
        self.events.insert(self.seq, event);
    }

    fn now_s(&self) -> f64 {
        use smsotp::Clock as _;
        (self.clock.now() - self.start).as_seconds_f64()
    }

    /// Seconds the person has been at it.
    fn since_start(&self, person: usize) -> f64 {
        self.now_s() - self.people[person].arrives_s
    }

    fn active(&self, person: usize) -> bool {
        let st = &self.states[person];
        st.done_s.is_none()
            && !st.gave_up
            && self.since_start(person) <= (self.params.give_up_min * 60) as f64
    }

    async fn run(&mut self) -> Result<(), SimError> {
        while let Some(Reverse((ms, seq))) = self.queue.pop() {
            let Some(event) = self.events.remove(&seq) else {
                continue;
            };
            self.clock.set(self.start + Duration::milliseconds(ms));
            self.world.lock().elapsed_s = 0.0;
            self.handle(event).await?;
            let later = std::mem::take(&mut self.world.lock().later);
            for (when, what) in later {
                let s = (when - self.start).as_seconds_f64();
                let event = match what {
                    Later::Arrives { person, code } => Event::Arrives { person, code },
                    Later::Report(report) => Event::Report(report),
                };
                self.at(s, event);
            }
        }
        Ok(())
    }

    fn rng(&self, person: usize, what: u64) -> Rng {
        Rng::new(self.seed, &[3, person as u64, what, self.seq])
    }

    async fn handle(&mut self, event: Event) -> Result<(), SimError> {
        match event {
            Event::Start(p) => self.start_challenge(p).await,
            Event::Arrives { person, code } => {
                if self.active(person) {
                    self.states[person].received = true;
                    let typing = self.rng(person, 1).between(self.params.typing_s);
                    let now = self.now_s();
                    self.at(
                        now + typing,
                        Event::Type {
                            person,
                            code,
                            try_no: 0,
                        },
                    );
                }
                Ok(())
            }
            Event::Type {
                person,
                code,
                try_no,
            } => self.type_code(person, &code, try_no).await,
            Event::Impatient(p) => self.impatient(p).await,
            Event::Poll(p) => self.poll(p).await,
            Event::Report(report) => {
                // Strategies without receipts have no endpoint: reports go nowhere.
                if self.strategy.receipts() {
                    self.verifier.record_report(&report).await?;
                }
                Ok(())
            }
            Event::Fallback(p) => {
                if self.active(p) {
                    let now = self.since_start(p);
                    let st = &mut self.states[p];
                    st.done_s = Some(now);
                    st.by_fallback = true;
                }
                Ok(())
            }
        }
    }

    async fn start_challenge(&mut self, p: usize) -> Result<(), SimError> {
        if !self.active(p) {
            return Ok(());
        }
        let result = self.verifier.start(&self.bindings[p]).await;
        let waited = self.world.lock().elapsed_s;
        let now = self.now_s() + waited;
        match result {
            Ok(pending) => {
                let st = &mut self.states[p];
                st.challenge = Some(pending.id);
                st.last_send_s = now;
                st.received = false;
                self.after_send(p, now);
                Ok(())
            }
            Err(VerifierError::Transport(_)) => {
                // The app says the SMS could not be sent and offers to try again.
                let st = &mut self.states[p];
                st.told = true;
                st.send_errors += 1;
                if st.send_errors < 3 {
                    self.at(now + 30.0, Event::Start(p));
                }
                Ok(())
            }
            Err(VerifierError::RateLimited { .. } | VerifierError::SpendCap { .. }) => {
                self.states[p].told = true;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// After a send: the person waits for the SMS; with receipts the page refreshes.
    fn after_send(&mut self, p: usize, now: f64) {
        let patience = self.rng(p, 2).between(self.params.patience_s);
        self.at(now + patience, Event::Impatient(p));
        if self.strategy.receipts() && !self.states[p].polling {
            self.states[p].polling = true;
            self.at(now + self.params.poll_s as f64, Event::Poll(p));
        }
    }

    async fn type_code(&mut self, p: usize, code: &str, try_no: u32) -> Result<(), SimError> {
        if !self.active(p) {
            return Ok(());
        }
        let Some(id) = self.states[p].challenge else {
            return Ok(());
        };
        let who = self.people[p].clone();
        let mut r = self.rng(p, 3);
        // The typo is made on the code as read (one symbol for another), and the
        // typing habits apply after it: so a typo never folds back into the right
        // code, and the outcome never depends on which symbols the code has (the
        // code comes from the OS CSPRNG, not from the seed).
        let read = if r.chance(self.params.typo) {
            typo(code, &mut r)
        } else {
            code.to_owned()
        };
        let typed = if try_no == 0 {
            habits(&read, &who, self.strategy, &mut r)
        } else {
            read
        };
        let now = self.now_s();
        // Strategy (a): the app checks `^[0-9]{6}$` before the verifier sees it.
        if strict_refuses(self.strategy, &typed) {
            self.states[p].told = true;
            if r.chance(self.params.fixes_refused_input) {
                let again = r.between(self.params.typing_s);
                self.at(
                    now + again,
                    Event::Type {
                        person: p,
                        code: code.to_owned(),
                        try_no: try_no + 1,
                    },
                );
            } else {
                self.states[p].gave_up = true;
            }
            return Ok(());
        }
        let verdict = self.verifier.check(&id, &self.bindings[p], &typed).await?;
        match verdict {
            Verdict::Approved => {
                self.states[p].done_s = Some(self.since_start(p));
            }
            Verdict::Rejected { .. } | Verdict::Malformed => {
                self.states[p].told = true;
                let again = r.between(self.params.typing_s);
                self.at(
                    now + again,
                    Event::Type {
                        person: p,
                        code: code.to_owned(),
                        try_no: try_no + 1,
                    },
                );
            }
            Verdict::Expired | Verdict::NotFound => {
                // "This code expired: send a new one."
                self.states[p].told = true;
                self.at(now + 5.0, Event::Start(p));
            }
            _ => {
                self.states[p].told = true;
                self.states[p].gave_up = true;
            }
        }
        Ok(())
    }

    async fn impatient(&mut self, p: usize) -> Result<(), SimError> {
        if !self.active(p) || self.states[p].received {
            return Ok(());
        }
        let Some(id) = self.states[p].challenge else {
            return Ok(());
        };
        self.resend(p, id).await
    }

    async fn resend(&mut self, p: usize, id: ChallengeId) -> Result<(), SimError> {
        let result = self.verifier.resend(&id, &self.bindings[p]).await;
        let waited = self.world.lock().elapsed_s;
        let now = self.now_s() + waited;
        match result {
            Ok(_) => {
                self.states[p].last_send_s = now;
                self.after_send(p, now);
            }
            Err(VerifierError::ResendTooSoon { resend_at }) => {
                let s = (resend_at - self.start).as_seconds_f64();
                self.at(s, Event::Impatient(p));
            }
            Err(VerifierError::NotPending) => {
                self.at(now + 5.0, Event::Start(p));
            }
            Err(VerifierError::Transport(_)) => {
                self.states[p].told = true;
                self.at(now + 30.0, Event::Impatient(p));
            }
            Err(
                VerifierError::SendLimit
                | VerifierError::RateLimited { .. }
                | VerifierError::SpendCap { .. },
            ) => {
                // The page says no more codes can be sent for now. Without receipts
                // it cannot say why the ones sent did not arrive.
                if self.strategy.receipts() {
                    self.states[p].told = true;
                }
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Strategy (e): the code page's delivery state, and what it tells the person.
    async fn poll(&mut self, p: usize) -> Result<(), SimError> {
        if !self.active(p) {
            self.states[p].polling = false;
            return Ok(());
        }
        let Some(id) = self.states[p].challenge else {
            self.states[p].polling = false;
            return Ok(());
        };
        let now = self.now_s();
        let Some(status) = self.verifier.status(&id).await? else {
            self.states[p].polling = false;
            return Ok(());
        };
        if status.phase != Phase::Pending {
            // "The code expired": the page offers a new one, which the person takes.
            self.states[p].told = true;
            self.states[p].polling = false;
            self.at(now + 5.0, Event::Start(p));
            return Ok(());
        }
        let failed = matches!(status.delivery, Some(DeliveryStatus::Failed { .. }));
        let delivered = status.delivery == Some(DeliveryStatus::Delivered);
        let st = &self.states[p];
        let waiting = now - st.last_send_s;
        let hint_after = self.params.hint_after_s as f64;
        // Failed at once; nothing confirmed after a while; or "delivered" but the
        // person still has nothing (a wrong number: the page shows it masked).
        let hint = failed
            || (!st.received && !delivered && waiting >= hint_after)
            || (!st.received && delivered && waiting >= 2.0 * hint_after);
        if hint && !st.received {
            // What to check, the masked number, "send again by another route", and
            // the authenticator app or a recovery code.
            self.states[p].told = true;
            let who = &self.people[p];
            if !self.states[p].offered && (who.authenticator || who.recovery) {
                self.states[p].offered = true;
                let wait = if who.authenticator { 30.0 } else { 60.0 };
                self.at(now + wait, Event::Fallback(p));
            } else if failed && status.sends_left > 0 && status.resend_at <= self.clock_now() {
                // "Send again by another route": the verifier asks the routes to
                // avoid the provider whose delivery failed.
                self.resend(p, id).await?;
            }
        }
        self.at(now + self.params.poll_s as f64, Event::Poll(p));
        Ok(())
    }

    fn clock_now(&self) -> OffsetDateTime {
        use smsotp::Clock as _;
        self.clock.now()
    }

    fn report(&self) -> Report {
        let w = self.world.lock();
        let mut signed_in_after_s = Vec::new();
        let (mut told, mut unexplained, mut by_fallback) = (0, 0, 0);
        let limit = (self.params.give_up_min * 60) as f64;
        for st in &self.states {
            match st.done_s {
                Some(s) if s <= limit => {
                    signed_in_after_s.push(s.round() as i64);
                    by_fallback += usize::from(st.by_fallback);
                }
                _ if st.told => told += 1,
                _ => unexplained += 1,
            }
        }
        Report {
            strategy: self.strategy,
            people: self.people.len(),
            signed_in_after_s,
            messages: w.messages,
            segments: w.segments,
            cost_yen: w.cost_yen,
            unexplained,
            told,
            by_fallback,
        }
    }
}

/// Whether strategy (a)'s `^[0-9]{6}$` check refuses what was typed; later strategies
/// hand everything to the verifier, which folds it.
fn strict_refuses(strategy: Strategy, typed: &str) -> bool {
    let six_digits = typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit());
    !(strategy.folding() || six_digits)
}

/// How the person types `code` the first time, by their habits.
fn habits(code: &str, who: &Person, strategy: Strategy, r: &mut Rng) -> String {
    let mut typed: String = code.to_owned();
    if !strategy.folding() && who.confusables {
        // Of six uniform digits, 1 - 0.8^6 = 74% hold a 0 or a 1 (drawn here rather
        // than read from the code, which comes from the OS CSPRNG and would make the
        // run depend on more than the seed).
        if r.chance(1.0 - 0.8f64.powi(6)) {
            let at = r.below(typed.len());
            typed.replace_range(at..=at, "O");
        }
    }
    if who.lower_case {
        typed = typed.to_lowercase();
    }
    if who.separator {
        typed.insert(typed.len() / 2, '-');
    }
    if who.full_width {
        typed = typed
            .chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(u32::from(c) - 0x21 + 0xFF01).unwrap_or(c),
                _ => c,
            })
            .collect();
    }
    typed
}

/// One symbol of the code swapped for a different symbol (digits stay digits, so a
/// code keeps the digit the default spec requires).
fn typo(typed: &str, r: &mut Rng) -> String {
    let mut chars: Vec<char> = typed.chars().collect();
    if chars.is_empty() {
        return typed.to_owned();
    }
    let at = r.below(chars.len());
    chars[at] = match chars[at] {
        '9' => '8',
        c if c.is_ascii_digit() => char::from(c as u8 + 1),
        'Z' | 'z' => '2',
        _ => 'Z',
    };
    chars.into_iter().collect()
}
