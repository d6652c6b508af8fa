//! The crate's top-level errors.

use time::OffsetDateTime;

use crate::store::StoreError;
use crate::transport::TransportError;

/// Why a verifier operation did not happen. None of these is ever an approval.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed; treat the person as not verified.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The SMS could not be handed to the provider.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A send limit is reached; try again at `retry_at`.
    #[error("send limit reached ({scope}); try again at {retry_at}")]
    RateLimited {
        /// Which limit: "destination", "client", ...
        scope: &'static str,
        /// When a send is allowed again.
        retry_at: OffsetDateTime,
    },
    /// A resend came before the cooldown ended.
    #[error("resend too soon; allowed from {resend_at}")]
    ResendTooSoon {
        /// When a resend is allowed.
        resend_at: OffsetDateTime,
    },
    /// The challenge has sent all the SMS it may; start a new one later.
    #[error("this challenge has sent all the SMS it may")]
    SendLimit,
    /// The spend cap for this window is reached; no SMS was sent.
    #[error("SMS spend cap reached; sends resume at {retry_at}")]
    SpendCap {
        /// When the window ends.
        retry_at: OffsetDateTime,
    },
    /// No call can carry the code: no voice transport is configured, or the number
    /// cannot take calls.
    #[error("the code cannot be sent by voice call to this number")]
    NoVoiceRoute,
    /// The challenge cannot be resent because it is no longer pending.
    #[error("the challenge is not pending (expired, locked, finished or unknown)")]
    NotPending,
}

/// The verifier's configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The code time limit is zero, or over 10 minutes without
    /// [`allow_long_ttl`](crate::VerifierBuilder::allow_long_ttl).
    #[error(
        "ttl must be over 0 and at most 10 minutes (NIST SP 800-63B) unless explicitly allowed"
    )]
    Ttl,
    /// The keyring has no index key: key 0 was retired without naming one with
    /// [`Keyring::with_index_key`](crate::Keyring::with_index_key), which would reset
    /// every send limit and failure ceiling.
    #[error(
        "the keyring names no index key: keep key 0 or name one with Keyring::with_index_key, or every limit resets"
    )]
    IndexKey,
    /// Two keys of the keyring share an id, so which one names counters would depend
    /// on the order they were added in.
    #[error("two keys of the keyring have id {}: give every key its own id", .0.0)]
    DuplicateKeyId(crate::KeyId),
    /// Key 0 signs in front of other keys and no index key is named: almost always a
    /// new key given id 0 (as `Keyring::from(secret)` does), which would rename every
    /// counter and reset every limit. Give the new key a new id; or, if key 0 really is
    /// the first key (a rollback to it), say so with
    /// [`Keyring::with_index_key`](crate::Keyring::with_index_key)`(&first)`.
    #[error(
        "key 0 signs in front of other keys: give a new key a new id, or (rolling back to the first key) name it with Keyring::with_index_key, or every limit resets"
    )]
    IndexKeyMoved,
    /// `max_attempts` must be 1 to 100.
    #[error("max_attempts must be between 1 and 100")]
    MaxAttempts,
    /// `max_sends` must be 1 to 255.
    #[error("max_sends must be between 1 and 255")]
    MaxSends,
    /// The subject ceiling must be 1 to 100 failures (NIST SP 800-63B).
    #[error("the subject failure ceiling must be between 1 and 100")]
    SubjectCeiling,
    /// Test numbers were configured on a production verifier.
    #[error("test numbers are refused in production mode")]
    TestNumbersInProduction,
    /// A test number's fixed code is not a valid code of the code spec.
    #[error("a test number's code does not fit the code spec")]
    TestNumberCode,
    /// A cooldown is negative, or a limit's window is not positive.
    #[error("cooldowns must not be negative, and limit windows must be positive")]
    NegativeDuration,
    /// A conversion guard's floor is not a fraction from 0 to 1, it judges a prefix on
    /// fewer than [`ConversionGuard::MIN_SENDS`](crate::policy::ConversionGuard::MIN_SENDS)
    /// sends, or a window of it is not positive.
    #[error(
        "the conversion guard needs a floor from 0 to 1, at least 5 sends to judge on, and positive windows"
    )]
    ConversionGuard,
    /// A circuit breaker's failure threshold of 0 would open it before any failure.
    #[error("a circuit breaker's failure threshold must be at least 1")]
    CircuitThreshold,
    /// The longest SMS this configuration would send takes more than one segment,
    /// and [`allow_multi_segment`](crate::VerifierBuilder::allow_multi_segment) was
    /// not called. Each extra segment is billed as a whole SMS, and Android's SMS
    /// Retriever reads only single-segment messages.
    #[error(
        "the longest SMS this configuration sends is {units} units, {over} over one {capacity}-unit segment \
         ({lines} of them in the app hash and origin-bound lines): shorten the brand, purpose phrase, \
         custom text or origin host by {over} characters, drop the app hash, use a shorter code or ttl, \
         or call allow_multi_segment() to pay for {segments} segments"
    )]
    MessageTooLong {
        /// Units the longest message takes (GSM-7 septets or UCS-2 units).
        units: usize,
        /// Units one segment holds in that encoding (160 or 70).
        capacity: usize,
        /// Units to cut to fit one segment.
        over: usize,
        /// Units taken by the machine-readable lines.
        lines: usize,
        /// Segments the longest message takes.
        segments: u16,
    },
    /// No transport was set on a production verifier (the default console transport
    /// prints codes and numbers, which production logs must never hold).
    #[error("a production verifier needs a transport; ConsoleTransport is for Mode::Development")]
    NoTransport,
}
