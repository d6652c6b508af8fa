//! The store keys of every limit and counter a send or check touches.
//!
//! Keys hold keyed indexes (HMAC under the keyring's index key) of numbers, prefixes,
//! clients and subjects, never the values: a store dump shows which counters belong
//! together, not whose they are.

use std::sync::OnceLock;

use crate::challenge::Binding;
use crate::digest::Keyring;
use crate::inline_text::decimal;
use crate::policy::SendLimits;
use crate::store::{CounterKey, RateLimit, Scope};

/// The keys of one request, computed on first use: a verifier with no limits, guard or
/// spend cap configured never pays for the keyed hashes behind them.
pub(super) struct LazyKeys<'a> {
    ring: &'a Keyring,
    binding: &'a Binding,
    client: Option<&'a str>,
    /// Boxed: eight counter keys inline would make every send's future (which holds
    /// this across its awaits) a quarter of a kilobyte bigger to move, keys or not.
    keys: OnceLock<Box<PolicyKeys>>,
}

impl<'a> LazyKeys<'a> {
    pub(super) fn new(ring: &'a Keyring, binding: &'a Binding, client: Option<&'a str>) -> Self {
        Self {
            ring,
            binding,
            client,
            keys: OnceLock::new(),
        }
    }

    pub(super) fn get(&self) -> &PolicyKeys {
        self.keys
            .get_or_init(|| Box::new(PolicyKeys::new(self.ring, self.binding, self.client)))
    }
}

pub(super) struct PolicyKeys {
    destination: CounterKey,
    client: Option<CounterKey>,
    prefix: CounterKey,
    country: CounterKey,
    pub(super) sends: CounterKey,
    pub(super) approvals: CounterKey,
    pub(super) paused: CounterKey,
    pub(super) spend: CounterKey,
}

/// The key of the per-subject failure ceiling: per named subject, else per number.
/// Checks need only this one, so it can be computed on its own.
pub(super) fn subject_key(keys: &Keyring, binding: &Binding) -> CounterKey {
    match binding.subject() {
        Some(subject) => keys.counter_key(Scope::Subject, &[b"subject:", subject.as_bytes()]),
        None => keys.counter_key(
            Scope::Subject,
            &[binding.destination().as_e164().as_bytes()],
        ),
    }
}

/// A send limit of the verifier, with the scope name errors and events report.
pub(super) struct ScopedLimit {
    pub(super) limit: RateLimit,
    pub(super) scope: &'static str,
}

impl PolicyKeys {
    pub(super) fn new(keys: &Keyring, binding: &Binding, client: Option<&str>) -> Self {
        let number = binding.destination();
        let prefix_key = keys.counter_key(
            Scope::Prefix,
            &[b"prefix:", number.destination_prefix().as_bytes()],
        );
        let prefix = |scope| CounterKey::new(scope, prefix_key.name());
        let mut code = [0u8; 10];
        Self {
            destination: keys.counter_key(Scope::Destination, &[number.as_e164().as_bytes()]),
            client: client.map(|c| keys.counter_key(Scope::Client, &[b"client:", c.as_bytes()])),
            country: CounterKey::new(
                Scope::Country,
                decimal(u32::from(number.calling_code()), &mut code),
            ),
            sends: prefix(Scope::PrefixSends),
            approvals: prefix(Scope::PrefixApprovals),
            paused: prefix(Scope::PrefixPaused),
            prefix: prefix_key,
            spend: CounterKey::new(Scope::Spend, ""),
        }
    }

    /// A short, keyed, non-reversible tag of the destination prefix, for operators.
    pub(super) fn prefix_tag(&self) -> &str {
        self.prefix.name().get(..8).unwrap_or("")
    }

    /// The limits to count for one send, in the written order.
    pub(super) fn send_limits(&self, limits: &SendLimits) -> Vec<ScopedLimit> {
        let global = CounterKey::new(Scope::Global, "");
        let candidates = [
            (
                limits.per_destination,
                Some(&self.destination),
                "destination",
            ),
            (limits.per_client, self.client.as_ref(), "client"),
            (limits.per_prefix, Some(&self.prefix), "prefix"),
            (limits.per_country, Some(&self.country), "country"),
            (limits.global, Some(&global), "global"),
        ];
        candidates
            .into_iter()
            .filter_map(|(limit, key, scope)| {
                let (limit, key) = (limit?, key?);
                Some(ScopedLimit {
                    limit: RateLimit::new(key.clone(), limit.count, limit.window),
                    scope,
                })
            })
            .collect()
    }
}
