//! How long a challenge lives and how much it may use.

use time::{Duration, OffsetDateTime};

use crate::store::{Allowance, Timeline};

/// The per-challenge settings, checked by the builder.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lifetimes {
    /// How long every code of a challenge lives, from the first send.
    pub(super) ttl: Duration,
    /// How long the store keeps a dead challenge, so late checks read `Expired`.
    pub(super) retention: Duration,
    pub(super) resend_cooldown: Duration,
    pub(super) allowance: Allowance,
}

impl Lifetimes {
    pub(super) fn timeline(&self, now: OffsetDateTime) -> Timeline {
        Timeline::new(now, self.ttl, self.resend_cooldown, self.retention)
    }
}
