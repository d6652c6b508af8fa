//! Send policy: the limits and country rules checked before any SMS goes out.
//!
//! SMS costs money per segment and attracts toll fraud ("SMS pumping": bots request
//! codes to premium ranges and never type them). Every limit here lives in the
//! [`ChallengeStore`](crate::ChallengeStore), so app instances share the counts.

use std::collections::BTreeSet;

use time::Duration;

/// At most `count` uses per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Uses allowed per window.
    pub count: u64,
    /// The window.
    pub window: Duration,
}

impl Limit {
    /// `count` per `window`.
    #[must_use]
    pub const fn new(count: u64, window: Duration) -> Self {
        Self { count, window }
    }
}

/// Send limits, each counted before a send and denied with the time to try again.
///
/// | limit | default | against |
/// |---|---|---|
/// | per destination number | 5 / 10 min | harassment, resend hammering |
/// | per client key (IP, session) | 10 / 10 min | one bot, many numbers |
/// | per destination prefix (number minus last 4 digits) | 20 / hour | pumping a premium range |
/// | per country | off | pumping one country |
/// | global | off | a runaway bill |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendLimits {
    /// Per destination number.
    pub per_destination: Option<Limit>,
    /// Per client key given in [`StartOptions`](crate::verifier::StartOptions).
    pub per_client: Option<Limit>,
    /// Per destination prefix.
    pub per_prefix: Option<Limit>,
    /// Per country calling code.
    pub per_country: Option<Limit>,
    /// For the whole verifier (all instances sharing the store).
    pub global: Option<Limit>,
}

impl Default for SendLimits {
    fn default() -> Self {
        Self {
            per_destination: Some(Limit::new(5, Duration::minutes(10))),
            per_client: Some(Limit::new(10, Duration::minutes(10))),
            per_prefix: Some(Limit::new(20, Duration::hours(1))),
            per_country: None,
            global: None,
        }
    }
}

impl SendLimits {
    /// No limits at all (for benchmarks and tests of other things).
    #[must_use]
    pub fn none() -> Self {
        Self {
            per_destination: None,
            per_client: None,
            per_prefix: None,
            per_country: None,
            global: None,
        }
    }

    /// Whether no limit is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.per_destination.is_none()
            && self.per_client.is_none()
            && self.per_prefix.is_none()
            && self.per_country.is_none()
            && self.global.is_none()
    }

    /// Sets the per-destination limit.
    #[must_use]
    pub fn per_destination(mut self, limit: Limit) -> Self {
        self.per_destination = Some(limit);
        self
    }

    /// Sets the per-client limit.
    #[must_use]
    pub fn per_client(mut self, limit: Limit) -> Self {
        self.per_client = Some(limit);
        self
    }

    /// Sets the per-prefix limit.
    #[must_use]
    pub fn per_prefix(mut self, limit: Limit) -> Self {
        self.per_prefix = Some(limit);
        self
    }

    /// Sets the per-country limit.
    #[must_use]
    pub fn per_country(mut self, limit: Limit) -> Self {
        self.per_country = Some(limit);
        self
    }

    /// Sets the global limit.
    #[must_use]
    pub fn global(mut self, limit: Limit) -> Self {
        self.global = Some(limit);
        self
    }
}

/// A spend cap: SMS segments times a price per segment, per window. A send that would
/// go over is refused with [`Error::SpendCap`](crate::Error::SpendCap).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpendCap {
    /// Budget per window, in the unit prices use (yen, or micro-dollars, ...).
    pub budget: u64,
    /// The window.
    pub window: Duration,
    /// Price of one segment where no country price is set.
    pub default_price: u64,
    /// Price of one segment per country calling code (the route's price).
    pub prices: Vec<(u16, u64)>,
    /// Price of one voice call where no country call price is set.
    pub default_call_price: u64,
    /// Price of one voice call per country calling code.
    pub call_prices: Vec<(u16, u64)>,
}

impl SpendCap {
    /// A budget per window, every segment costing `price`.
    #[must_use]
    pub fn new(budget: u64, window: Duration, price: u64) -> Self {
        Self {
            budget,
            window,
            default_price: price,
            prices: Vec::new(),
            // A short call costs several SMS on most routes; set the real price with
            // `with_call_price`.
            default_call_price: price.saturating_mul(4),
            call_prices: Vec::new(),
        }
    }

    /// Sets the price of one voice call where no country call price is set.
    #[must_use]
    pub fn with_default_call_price(mut self, price: u64) -> Self {
        self.default_call_price = price;
        self
    }

    /// Sets the price of one voice call to numbers under `calling_code`.
    #[must_use]
    pub fn with_call_price(mut self, calling_code: u16, price: u64) -> Self {
        self.call_prices.retain(|(code, _)| *code != calling_code);
        self.call_prices.push((calling_code, price));
        self
    }

    /// The cost of one call to a number under `calling_code`.
    #[must_use]
    pub fn call_cost(&self, calling_code: u16) -> u64 {
        self.call_prices
            .iter()
            .find(|(code, _)| *code == calling_code)
            .map_or(self.default_call_price, |(_, p)| *p)
    }

    /// Sets the price per segment for numbers under `calling_code`.
    #[must_use]
    pub fn with_price(mut self, calling_code: u16, price: u64) -> Self {
        self.prices.retain(|(code, _)| *code != calling_code);
        self.prices.push((calling_code, price));
        self
    }

    /// The cost of `segments` to a number under `calling_code`.
    #[must_use]
    pub fn cost(&self, calling_code: u16, segments: u16) -> u64 {
        let price = self
            .prices
            .iter()
            .find(|(code, _)| *code == calling_code)
            .map_or(self.default_price, |(_, p)| *p);
        price.saturating_mul(u64::from(segments))
    }
}

/// Which countries may receive SMS, by calling code.
///
/// The default allows every country, so the crate works out of the box; in production,
/// allow only the countries your users live in (`CountryPolicy::allow([81])`): it is
/// the single most effective defence against SMS pumping (Twilio's Geo Permissions and
/// Firebase's SMS region policy do the same).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CountryPolicy {
    /// Every country.
    #[default]
    AllowAll,
    /// Only these calling codes.
    Allow(BTreeSet<u16>),
    /// Every calling code but these.
    Deny(BTreeSet<u16>),
}

impl CountryPolicy {
    /// Only these calling codes.
    pub fn allow(codes: impl IntoIterator<Item = u16>) -> Self {
        Self::Allow(codes.into_iter().collect())
    }

    /// Every calling code but these.
    pub fn deny(codes: impl IntoIterator<Item = u16>) -> Self {
        Self::Deny(codes.into_iter().collect())
    }

    /// Whether numbers under `calling_code` may receive SMS.
    #[must_use]
    pub fn permits(&self, calling_code: u16) -> bool {
        match self {
            Self::AllowAll => true,
            Self::Allow(codes) => codes.contains(&calling_code),
            Self::Deny(codes) => !codes.contains(&calling_code),
        }
    }
}

/// Pauses sends to a destination prefix whose codes are sent but rarely typed, the
/// signature of SMS pumping (Twilio's Fraud Guard does this for its customers).
///
/// Over each `window`, sends and approvals are counted per prefix; once a prefix has at
/// least `min_sends` sends and fewer than `floor` of them approved, sends to it pause
/// for `cool_off` and an [`Event::PrefixPaused`](crate::events::Event::PrefixPaused)
/// is emitted.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ConversionGuard {
    /// Counting window.
    pub window: Duration,
    /// Sends needed before judging a prefix.
    pub min_sends: u64,
    /// Lowest acceptable approvals / sends.
    pub floor: f64,
    /// How long a paused prefix stays paused.
    pub cool_off: Duration,
}

impl ConversionGuard {
    /// Pause a prefix for `cool_off` once, within `window`, it has `min_sends` sends
    /// (at least [`MIN_SENDS`](Self::MIN_SENDS)) and fewer than `floor` (0.0 to 1.0) of
    /// them approved. Checked when the verifier is built
    /// ([`ConfigError::ConversionGuard`](crate::ConfigError::ConversionGuard)).
    #[must_use]
    pub fn new(window: Duration, min_sends: u64, floor: f64, cool_off: Duration) -> Self {
        Self {
            window,
            min_sends,
            floor,
            cool_off,
        }
    }

    /// The fewest sends a prefix is judged on: below this, one person who never types
    /// the code would pause a whole prefix.
    pub const MIN_SENDS: u64 = 5;

    /// Whether the verifier may use it (its fields are public, so this is checked at
    /// build): `floor` a fraction from 0 to 1 (a NaN floor would switch the guard off
    /// without a word), at least [`MIN_SENDS`](Self::MIN_SENDS), positive windows.
    pub(crate) fn is_sound(&self) -> bool {
        (0.0..=1.0).contains(&self.floor)
            && self.min_sends >= Self::MIN_SENDS
            && self.window > Duration::ZERO
            && self.cool_off > Duration::ZERO
    }
}

impl Default for ConversionGuard {
    fn default() -> Self {
        Self {
            window: Duration::hours(1),
            min_sends: 20,
            floor: 0.2,
            cool_off: Duration::hours(1),
        }
    }
}
