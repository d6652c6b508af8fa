//! Delivery receipts: status callbacks from providers, authenticated and read into one
//! [`DeliveryReport`].
//!
//! | parser | feature | authenticity check |
//! |---|---|---|
//! | `TwilioReceipts` | `twilio` | `X-Twilio-Signature`: HMAC-SHA1 with the auth token over the URL and sorted form parameters |
//! | `VonageReceipts` | `vonage` | `sig` parameter (SMS API DLRs): md5hash or HMAC (MD5/SHA-1/SHA-256/SHA-512) with the signature secret, plus a ±5 minute `timestamp` bound |
//! | `VonageMessagesReceipts` | `vonage` | `Authorization: Bearer` JWT (Messages API): HS256 with the signature secret, `iat` within ±5 minutes, `payload_hash` = SHA-256 of the body |
//! | `WebhookReceipts` | `webhook` | Standard Webhooks: `webhook-signature` `v1` (HMAC-SHA256) or `v1a` (Ed25519) over id, timestamp and body, plus a ±5 minute timestamp bound |
//!
//! Parsers are framework-agnostic: hand them the URL the provider called (exactly as
//! configured with the provider, scheme, host, path and query), the request headers,
//! the raw body and the current time, as a [`Callback`]. A missing or wrong signature
//! is an error, checked before anything in the body is believed; signatures are
//! compared in constant time. Every refusal is a [`ReceiptError`], never a panic; all
//! parsers are fuzzed (see `tests/fuzz.rs`).
//!
//! # What each parser accepts and refuses, and why
//!
//! The rule: match what the providers' official SDKs accept, so that genuine callbacks
//! verify, and where the SDKs disagree or are looser than the signature can justify,
//! take the stricter safe choice (each such choice is marked *stricter*).
//!
//! **Twilio** (as twilio-python's `RequestValidator` and twilio-node's
//! `validateRequest`):
//! - Accepts the signature over the URL as given, with any port removed, or with the
//!   scheme's default port added when it has none (Twilio's own signing is
//!   inconsistent about ports; both SDKs try both forms). Credentials in the URL are
//!   kept.
//! - Accepts a `'` in the query signed either raw or as `%27` (twilio-node; the
//!   two decode to the same query). *Stricter:* twilio-node's "legacy querystring"
//!   form re-encodes the whole query, which can reorder repeated names; only the
//!   quote is normalised here.
//! - Signs a repeated parameter name with each distinct value once, sorted (both
//!   SDKs). *Stricter:* as duplicates and order are then invisible to the signature, a
//!   field the report is read from that carries two different values is refused
//!   ([`ReceiptError::Malformed`]).
//! - JSON bodies: the URL's `bodySHA256` must be the body's SHA-256, and only the URL
//!   is signed.
//! - Refuses: no header, non-base64, a wrong signature.
//!
//! **Vonage SMS API** (vonage-node-sdk `verifySignature`, vonage-python-sdk
//! `check_signature`): parameters from the query and the body (form or JSON), `sig`
//! removed, sorted, `&` and `=` in values replaced by `_`; hex compared in any case.
//! The Python SDK has no md5hash method and defaults to HMAC-MD5; pick the method the
//! dashboard shows. *Stricter:* a parameter given twice is refused (which value was
//! signed is ambiguous), non-scalar JSON values are refused, and the signed
//! `timestamp` must be within the tolerance (neither SDK checks it).
//!
//! **Vonage Messages API** signed webhooks: *stricter* than the SDKs on three counts.
//! Only HS256 (vonage-node-sdk also accepts RS256; a shared secret must never be read
//! as a public key), `iat` must be fresh and `exp`/`nbf` respected, and the
//! `payload_hash` claim must match the body (the SDKs verify the token only, which
//! would let one token vouch for any body). Tokens over 4 KiB are refused unread.
//!
//! **Standard Webhooks** (the reference libraries in standard-webhooks/standard-webhooks):
//! - Secrets `whsec_` + base64, padding optional (as the Python reference);
//!   `v1a` public keys `whpk_` + base64 of 32 bytes, checked to be a usable Ed25519
//!   point. A verifier trusts one key and so one scheme: a `v1` verifier skips `v1a`
//!   entries and the reverse (the spec's trust-list advice); unknown versions are
//!   skipped; one matching entry is enough (key rotation). *Stricter:* only the first
//!   eight entries of the verifier's version are tried (the references try all), so
//!   one request cannot cost more than eight checks over its body.
//! - Ed25519 uses strict verification (no malleable signatures, no weak keys).
//! - *Stricter:* an id containing `.` is refused, as the spec says ids must not
//!   contain one (`id.timestamp.body` could be re-split); the timestamp must be
//!   digits only; a signature header over 8 KiB is refused unread.
//! - An id starting with [`OUTBOUND_ID_PREFIX`](crate::transport::OUTBOUND_ID_PREFIX)
//!   is refused as [`ReceiptError::OutboundRequest`]: it is one of our own outbound
//!   requests (which carry the code), replayed at the receipt endpoint. See
//!   [`WebhookTransport`](crate::transport::WebhookTransport) for why a marker in the
//!   signed id rather than separate keys.
//!
//! Replay within the timestamp window and status regressions are the store's concern,
//! not the parsers'.
//!
//! Linking a report to a challenge is the application's (or the verifier's) job: the
//! report's `message_id` is the [`Receipt::message_id`](super::Receipt::message_id)
//! the send returned.

use time::OffsetDateTime;

#[cfg(feature = "twilio")]
mod twilio;
#[cfg(feature = "vonage")]
mod vonage;
#[cfg(feature = "vonage")]
mod vonage_messages;
#[cfg(feature = "webhook")]
mod webhook;

#[cfg(feature = "twilio")]
#[cfg_attr(docsrs, doc(cfg(feature = "twilio")))]
pub use twilio::TwilioReceipts;
#[cfg(feature = "vonage")]
#[cfg_attr(docsrs, doc(cfg(feature = "vonage")))]
pub use vonage::{VonageReceipts, VonageSignatureMethod};
#[cfg(feature = "vonage")]
#[cfg_attr(docsrs, doc(cfg(feature = "vonage")))]
pub use vonage_messages::VonageMessagesReceipts;
#[cfg(feature = "webhook")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhook")))]
pub use webhook::WebhookReceipts;

/// Where a message got to (the same type the verifier records per challenge).
pub use crate::challenge::DeliveryStatus;

/// One status callback, read and authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// Which provider sent it (`"twilio"`, `"vonage"`, `"webhook"`).
    pub provider: crate::transport::Provider,
    /// The provider's message id, as in the send's receipt.
    pub message_id: String,
    /// Where the message got to.
    pub status: DeliveryStatus,
    /// The provider's error code, when it gave one.
    pub error_code: Option<String>,
}

impl DeliveryReport {
    /// A report.
    #[must_use]
    pub fn new(
        provider: impl Into<crate::transport::Provider>,
        message_id: impl Into<String>,
        status: DeliveryStatus,
        error_code: Option<String>,
    ) -> Self {
        Self {
            provider: provider.into(),
            message_id: message_id.into(),
            status,
            error_code,
        }
    }
}

/// Why a callback was refused. None of these may be treated as a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The callback carries no signature.
    #[error("the callback is not signed")]
    MissingSignature,
    /// The signature does not match: forged, altered, or signed with another secret
    /// or for another URL.
    #[error("the callback signature does not match")]
    BadSignature,
    /// The signed timestamp is too far from now (a replay, or a badly wrong clock).
    #[error("the callback timestamp is outside the allowed window")]
    StaleTimestamp,
    /// A field the report needs is absent.
    #[error("the callback has no {0}")]
    MissingField(&'static str),
    /// The callback could not be read.
    #[error("the callback is malformed: {0}")]
    Malformed(&'static str),
    /// The callback is one of the application's own outbound requests (signed by the
    /// [`WebhookTransport`](crate::transport::WebhookTransport), marked as outbound),
    /// sent back at the receipt endpoint: a replay, never a receipt.
    #[error("the callback is one of our own outbound requests")]
    OutboundRequest,
}

/// An incoming status callback, as the web framework received it. Its `Debug` shows
/// only header names and the body's length: callbacks carry full phone numbers.
#[derive(Clone)]
pub struct Callback<'a> {
    url: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

impl std::fmt::Debug for Callback<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Callback<'a> {
    /// A callback to `url` (the full URL the provider was told to call) with these
    /// headers and raw body.
    #[must_use]
    pub fn new(
        url: &'a str,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        body: &'a [u8],
    ) -> Self {
        Self {
            url,
            headers: headers.into_iter().collect(),
            body,
        }
    }

    /// The URL.
    #[must_use]
    pub fn url(&self) -> &'a str {
        self.url
    }

    /// The raw body.
    #[must_use]
    pub fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The first header named `name` (compared case-insensitively).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Something that authenticates and reads a provider's status callbacks.
pub trait DeliveryReceipts: Send + Sync + std::fmt::Debug {
    /// Checks the callback's signature (and freshness, where the provider signs a
    /// time), then reads it.
    ///
    /// # Errors
    /// A [`ReceiptError`]; never treat a refused callback as a delivery.
    fn parse(
        &self,
        callback: &Callback<'_>,
        now: OffsetDateTime,
    ) -> Result<DeliveryReport, ReceiptError>;
}

/// Decoded `name=value` pairs of a form body or query string.
#[cfg(any(feature = "twilio", feature = "vonage"))]
fn form_pairs(input: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(input)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
#[cfg(any(feature = "twilio", feature = "vonage"))]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Checks that `timestamp` (Unix seconds) is within `tolerance` of `now`.
#[cfg(any(feature = "vonage", feature = "webhook"))]
fn fresh(
    timestamp: &str,
    now: OffsetDateTime,
    tolerance: time::Duration,
) -> Result<(), ReceiptError> {
    let seconds: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| ReceiptError::Malformed("timestamp is not Unix seconds"))?;
    let at = OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|_| ReceiptError::Malformed("timestamp is out of range"))?;
    if (now - at).abs() > tolerance {
        return Err(ReceiptError::StaleTimestamp);
    }
    Ok(())
}

/// Lower-case hex.
#[cfg(any(feature = "twilio", feature = "vonage"))]
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
