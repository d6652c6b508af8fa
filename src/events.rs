//! What happened to each challenge, for the app's metrics, alerts and audit log.
//!
//! Every transition is emitted to the verifier's [`EventSink`] and, at the same time,
//! as a `tracing` event. Numbers appear masked; codes never appear.

use crate::challenge::{ChallengeId, DeliveryStatus};
use crate::transport::TransportErrorKind;

/// Why a send was refused by policy. The person is told nothing different (see
/// [`Verifier::start`](crate::Verifier::start)); operators see this.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DenyReason {
    /// The country is not allowed.
    Country,
    /// The number type cannot or should not get SMS (landline, IP phone, premium rate).
    NumberType,
    /// The destination prefix is paused by the conversion guard.
    PrefixPaused,
    /// The app's risk check refused it (its reason).
    Risk(String),
}

/// A challenge's transition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A challenge was created.
    Started {
        /// The challenge.
        challenge: ChallengeId,
        /// The masked destination.
        to: String,
        /// The purpose.
        purpose: String,
    },
    /// The provider accepted an SMS.
    Sent {
        /// The challenge.
        challenge: ChallengeId,
        /// Which transport took it.
        provider: crate::transport::Provider,
        /// The provider's message id.
        message_id: String,
        /// SMS parts billed.
        segments: u16,
    },
    /// The provider accepted a call that reads the code.
    CallPlaced {
        /// The challenge.
        challenge: ChallengeId,
        /// Which transport took it.
        provider: crate::transport::Provider,
        /// The provider's call id.
        call_id: String,
    },
    /// The provider refused or could not take an SMS.
    SendFailed {
        /// The challenge.
        challenge: ChallengeId,
        /// The failure's class.
        kind: TransportErrorKind,
    },
    /// A delivery report arrived.
    Delivery {
        /// The challenge.
        challenge: ChallengeId,
        /// What it said.
        status: DeliveryStatus,
    },
    /// A new code was sent for a challenge.
    Resent {
        /// The challenge.
        challenge: ChallengeId,
    },
    /// The right code was typed.
    Approved {
        /// The challenge.
        challenge: ChallengeId,
    },
    /// A wrong code was typed.
    Rejected {
        /// The challenge.
        challenge: ChallengeId,
        /// Attempts left.
        attempts_left: u32,
    },
    /// A check hit a locked challenge, or the subject's failure ceiling.
    Locked {
        /// The challenge.
        challenge: ChallengeId,
        /// True when the subject's ceiling (across challenges) was the cause.
        subject: bool,
    },
    /// A check came after the challenge expired.
    Expired {
        /// The challenge.
        challenge: ChallengeId,
    },
    /// A send was refused by policy; a decoy challenge was created instead.
    DeniedByPolicy {
        /// The decoy challenge.
        challenge: ChallengeId,
        /// The masked destination.
        to: String,
        /// Why.
        reason: DenyReason,
    },
    /// A send limit refused a start or resend.
    RateLimited {
        /// The masked destination.
        to: String,
        /// Which limit.
        scope: &'static str,
    },
    /// The conversion guard paused a destination prefix.
    PrefixPaused {
        /// The masked number's head and a keyed tag of the prefix, e.g.
        /// "+81 90-… (prefix #Xa3k9QvL)": enough to tell prefixes apart, no digits
        /// beyond what a masked number shows.
        prefix: String,
        /// Sends counted in the window.
        sends: u64,
        /// Approvals counted in the window.
        approvals: u64,
    },
}

/// Receives every [`Event`]. Keep it quick and non-blocking (push to a channel).
pub trait EventSink: Send + Sync + std::fmt::Debug + 'static {
    /// Handles one event.
    fn emit(&self, event: &Event);

    /// Whether this sink wants events at all. A sink that answers `false` is never
    /// handed one, and the verifier skips building them (they hold masked numbers and
    /// ids, built on every send). Default: `true`.
    fn wants_events(&self) -> bool {
        true
    }
}

/// Drops every event (they still go to `tracing`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _: &Event) {}

    fn wants_events(&self) -> bool {
        false
    }
}

/// Keeps every event in memory, for tests.
#[derive(Debug, Default)]
pub struct RecordedEvents(std::sync::Mutex<Vec<Event>>);

impl RecordedEvents {
    /// An empty recorder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event so far.
    #[must_use]
    pub fn events(&self) -> Vec<Event> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl EventSink for RecordedEvents {
    fn emit(&self, event: &Event) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(event.clone());
    }
}

#[deny(clippy::missing_trait_methods)]
impl<T: EventSink + ?Sized> EventSink for std::sync::Arc<T> {
    fn emit(&self, event: &Event) {
        (**self).emit(event);
    }
    fn wants_events(&self) -> bool {
        (**self).wants_events()
    }
}
