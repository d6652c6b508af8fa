//! Typed names for what stores keep besides challenges: counters and message links.
//!
//! The verifier builds every key here from keyed indexes (HMACs under the keyring's
//! index key), so a store learns which counts belong together, never whose they are.
//! Stores turn a key into their own storage name with its `Display` form, which is
//! stable: it is part of the store contract, because renaming it would reset every
//! limit on upgrade.

use std::fmt;

use crate::inline_text::InlineText;

/// What a counter counts. The scope is the first part of the key's storage name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// Sends to one number.
    Destination,
    /// Sends asked for by one client (IP, session).
    Client,
    /// Sends to one destination prefix (the number minus its last digits).
    Prefix,
    /// Sends to one country calling code.
    Country,
    /// Every send of the verifier.
    Global,
    /// Money spent on sends.
    Spend,
    /// One subject's consecutive failed checks.
    Subject,
    /// Sends to a prefix, for the conversion guard.
    PrefixSends,
    /// Approvals for a prefix, for the conversion guard.
    PrefixApprovals,
    /// A prefix the conversion guard paused.
    PrefixPaused,
    /// Delivery reports already taken, so a replay is refused.
    Receipt,
    /// A counter named by the app or a test.
    Custom,
}

impl Scope {
    /// The short tag stores see; never changes for a scope.
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Self::Destination => "d",
            Self::Client => "c",
            Self::Prefix => "p",
            Self::Country => "cc",
            Self::Global => "g",
            Self::Spend => "spend",
            Self::Subject => "u",
            Self::PrefixSends => "cs",
            Self::PrefixApprovals => "ca",
            Self::PrefixPaused => "cp",
            Self::Receipt => "r",
            Self::Custom => "x",
        }
    }
}

/// The name of one counter: a scope and an opaque, keyed name within it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CounterKey {
    scope: Scope,
    /// Inline up to the 22 characters of a keyed index: a send names its counters
    /// every time.
    name: InlineText<22>,
}

impl CounterKey {
    /// A counter of `scope` named `name` (a keyed index, a calling code, or empty for
    /// the scopes that have one counter).
    #[must_use]
    pub fn new(scope: Scope, name: impl AsRef<str>) -> Self {
        Self {
            scope,
            name: InlineText::new(name.as_ref()),
        }
    }

    /// What it counts.
    #[must_use]
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The name within the scope.
    #[must_use]
    pub fn name(&self) -> &str {
        self.name.as_str()
    }
}

impl CounterKey {
    /// A 16-bit group of the key's name, stable for a name: what
    /// [`ChallengeId::grouped`](crate::ChallengeId::grouped) takes for a subject.
    #[must_use]
    pub fn group(&self) -> u16 {
        // The name is already a keyed hash (or a short public value such as a calling
        // code): folding its bytes spreads groups evenly without another hash.
        self.name()
            .bytes()
            .fold(0u16, |h, b| h.rotate_left(5) ^ u16::from(b))
    }
}

impl fmt::Display for CounterKey {
    /// `<scope tag>:<name>`, or the tag alone for an empty name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name().is_empty() {
            f.write_str(self.scope.tag())
        } else {
            write!(f, "{}:{}", self.scope.tag(), self.name())
        }
    }
}

impl fmt::Debug for CounterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CounterKey({self})")
    }
}

impl From<&str> for CounterKey {
    /// A [`Scope::Custom`] counter: for tests and app-defined limits.
    fn from(name: &str) -> Self {
        Self::new(Scope::Custom, name)
    }
}

/// A provider's message: which provider, and the id it gave the message. Delivery
/// reports find their challenge through it.
///
/// Kept as its one text form (`<provider>:<message id>`) and where the provider ends,
/// inline when short (a Twilio SID and its provider fit): every send makes one.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MessageKey {
    text: InlineText<48>,
    provider_len: usize,
}

impl MessageKey {
    /// The message `message_id` of `provider`.
    #[must_use]
    pub fn new(provider: &str, message_id: &str) -> Self {
        let mut text = InlineText::new(provider);
        text.push_str(":");
        text.push_str(message_id);
        Self {
            text,
            provider_len: provider.len(),
        }
    }

    /// The provider.
    #[must_use]
    pub fn provider(&self) -> &str {
        self.text.as_str().get(..self.provider_len).unwrap_or("")
    }

    /// The provider's id of the message.
    #[must_use]
    pub fn message_id(&self) -> &str {
        self.text
            .as_str()
            .get(self.provider_len + 1..)
            .unwrap_or("")
    }
}

impl fmt::Display for MessageKey {
    /// `<provider>:<message id>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text.as_str())
    }
}

impl fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageKey({self})")
    }
}
