//! The store keys of every limit and counter a send or check touches.
//!
//! Keys hold keyed indexes (HMAC) of numbers, prefixes, clients and subjects, never
//! the values: a store dump shows which counters belong together, not whose they are.

use crate::challenge::Binding;
use crate::digest::Keyring;
use crate::policy::SendLimits;
use crate::store::RateLimit;

/// The keys of one request, computed on first use: a verifier with no limits, guard or
/// spend cap configured never pays for the keyed hashes behind them.
pub(super) struct LazyKeys<'a> {
    ring: &'a Keyring,
    binding: &'a Binding,
    client: Option<&'a str>,
    keys: std::sync::OnceLock<PolicyKeys>,
}

impl<'a> LazyKeys<'a> {
    pub(super) fn new(ring: &'a Keyring, binding: &'a Binding, client: Option<&'a str>) -> Self {
        Self {
            ring,
            binding,
            client,
            keys: std::sync::OnceLock::new(),
        }
    }

    pub(super) fn get(&self) -> &PolicyKeys {
        self.keys
            .get_or_init(|| PolicyKeys::new(self.ring, self.binding, self.client))
    }
}

pub(super) struct PolicyKeys {
    destination: String,
    client: Option<String>,
    prefix: String,
    country: String,
    pub(super) sends: String,
    pub(super) approvals: String,
    pub(super) paused: String,
    pub(super) spend: String,
}

/// The key of the per-subject failure ceiling: per named subject, else per number.
/// Checks need only this one, so it can be computed on its own.
pub(super) fn subject_key(keys: &Keyring, binding: &Binding) -> String {
    match binding.subject() {
        Some(subject) => format!("u:{}", keys.index(&format!("subject:{subject}"))),
        None => format!("u:{}", keys.index(binding.destination().as_e164())),
    }
}

impl PolicyKeys {
    pub(super) fn new(keys: &Keyring, binding: &Binding, client: Option<&str>) -> Self {
        let number = binding.destination();
        let prefix_index = keys.index(&format!("prefix:{}", number.destination_prefix()));
        let number_index = keys.index(number.as_e164());
        Self {
            destination: format!("d:{number_index}"),
            client: client.map(|c| format!("c:{}", keys.index(&format!("client:{c}")))),
            country: format!("cc:{}", number.calling_code()),
            sends: format!("cs:{prefix_index}"),
            approvals: format!("ca:{prefix_index}"),
            paused: format!("cp:{prefix_index}"),
            prefix: format!("p:{prefix_index}"),
            spend: "spend".to_owned(),
        }
    }

    /// A short, keyed, non-reversible tag of the destination prefix, for operators.
    pub(super) fn prefix_tag(&self) -> &str {
        self.prefix.get(2..10).unwrap_or("")
    }

    /// The limits to count for one send, with the scope name of each.
    pub(super) fn send_limits(
        &self,
        limits: &SendLimits,
        _binding: &Binding,
    ) -> (Vec<RateLimit>, Vec<&'static str>) {
        let mut out = Vec::with_capacity(5);
        let mut scopes = Vec::with_capacity(5);
        let candidates = [
            (
                limits.per_destination,
                Some(&self.destination),
                "destination",
            ),
            (limits.per_client, self.client.as_ref(), "client"),
            (limits.per_prefix, Some(&self.prefix), "prefix"),
            (limits.per_country, Some(&self.country), "country"),
            (limits.global, None, "global"),
        ];
        for (limit, key, scope) in candidates {
            let Some(limit) = limit else { continue };
            let key = match (key, scope) {
                (Some(k), _) => k.clone(),
                (None, "global") => "g".to_owned(),
                (None, _) => continue,
            };
            out.push(RateLimit::new(key, limit.count, limit.window));
            scopes.push(scope);
        }
        (out, scopes)
    }
}
