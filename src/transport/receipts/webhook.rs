//! Status callbacks from the application's own gateway, signed per Standard Webhooks.

use base64::Engine as _;
use hmac::Mac as _;
use time::{Duration, OffsetDateTime};

use super::{Callback, DeliveryReceipts, DeliveryReport, DeliveryStatus, ReceiptError, fresh};
use crate::transport::http::{self, TransportConfigError, Vars};
use crate::transport::{OUTBOUND_ID_PREFIX, WebhookPublicKey, WebhookSecret};

const PROVIDER: &str = "webhook";
/// Longest `webhook-signature` header read: room for dozens of signatures (key
/// rotation), while a hostile header cannot make us decode megabytes.
const MAX_SIGNATURE_HEADER: usize = 8 * 1024;

/// How many signatures of our version are tried per callback.
const MAX_CANDIDATES: usize = 8;

/// `id.timestamp.body`, the content Standard Webhooks signs.
fn signed_content(id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let timestamp = timestamp.to_string();
    let mut message = Vec::with_capacity(id.len() + timestamp.len() + 2 + body.len());
    message.extend_from_slice(id.as_bytes());
    message.push(b'.');
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    message
}

/// The one key a [`WebhookReceipts`] trusts, and so the one scheme it reads.
#[derive(Debug, Clone)]
enum Key {
    /// `v1`: HMAC-SHA256 with a shared secret.
    Symmetric(WebhookSecret),
    /// `v1a`: Ed25519 with the gateway's public key.
    Asymmetric(WebhookPublicKey),
}

/// Authenticates and reads delivery reports that the application's gateway posts
/// back, signed per Standard Webhooks, either symmetrically (`v1`, HMAC-SHA256, like
/// [`WebhookTransport`](crate::transport::WebhookTransport)'s requests) or
/// asymmetrically (`v1a`, Ed25519).
///
/// Headers `webhook-id` (without `.`, and not starting with
/// [`OUTBOUND_ID_PREFIX`](crate::transport::OUTBOUND_ID_PREFIX)), `webhook-timestamp`
/// (Unix seconds, within five minutes of `now`) and `webhook-signature`
/// (space-separated `version,<base64>` entries; one entry of this parser's version
/// must verify over `id.timestamp.body`). Body:
/// `{"message_id": "…", "status": "delivered" | "failed" | "pending",
/// "permanent": bool (for failed; default true), "error_code": "…" (optional)}`.
///
/// A parser trusts one key and so one scheme: a `v1` parser ignores `v1a` entries
/// and the reverse, as the specification asks consumers to keep a trust list of keys
/// and schemes rather than follow what a request names.
#[derive(Debug, Clone)]
pub struct WebhookReceipts {
    key: Key,
    tolerance: Duration,
}

impl WebhookReceipts {
    /// A parser for callbacks signed `v1` with `secret`.
    #[must_use]
    pub fn new(secret: WebhookSecret) -> Self {
        Self {
            key: Key::Symmetric(secret),
            tolerance: Duration::minutes(5),
        }
    }

    /// A parser for callbacks signed `v1a` (Ed25519) by the holder of the secret key
    /// that matches `public_key`. Prefer this when the gateway can sign with Ed25519:
    /// a leaked public key lets nobody forge a report.
    #[must_use]
    pub fn ed25519(public_key: WebhookPublicKey) -> Self {
        Self {
            key: Key::Asymmetric(public_key),
            tolerance: Duration::minutes(5),
        }
    }

    /// A parser configured from the environment, as [`from_lookup`](Self::from_lookup)
    /// describes.
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        Self::from_lookup(http::process_env)
    }

    /// A parser keyed with `SMSOTP_WEBHOOK_RECEIPT_KEY` when it is set: a `whpk_`
    /// public key (the gateway signs `v1a`) or a `whsec_` secret of the receipts' own
    /// (`v1`). Otherwise `SMSOTP_WEBHOOK_SECRET`, the secret the
    /// [`WebhookTransport`](crate::transport::WebhookTransport) signs with; the
    /// outbound marker keeps the two directions apart even then, but a key of the
    /// receipts' own is stronger still.
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_lookup(
        lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, TransportConfigError> {
        const RECEIPT_KEY: &str = "SMSOTP_WEBHOOK_RECEIPT_KEY";
        let mut vars = Vars::new(lookup);
        if let Some(key) = vars.optional(RECEIPT_KEY)? {
            let is_secret = key.starts_with("whsec_");
            return if is_secret {
                WebhookSecret::parse(&key).map(Self::new)
            } else {
                WebhookPublicKey::parse(&key).map(Self::ed25519)
            }
            .map_err(|e| e.for_var(RECEIPT_KEY));
        }
        let secret = WebhookSecret::parse(&vars.required("SMSOTP_WEBHOOK_SECRET")?)
            .map_err(|e| e.for_var("SMSOTP_WEBHOOK_SECRET"))?;
        Ok(Self::new(secret))
    }

    /// Changes the allowed distance between the signed timestamp and now (default
    /// five minutes).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance.abs();
        self
    }

    /// Checks a Standard Webhooks signature and timestamp without reading the body,
    /// for other payloads signed the same way.
    ///
    /// # Errors
    /// [`ReceiptError`] when a header is missing or malformed, the id has a `.` or
    /// is one of our own outbound ids, the signature does not match, or the
    /// timestamp is stale.
    pub fn verify(&self, callback: &Callback<'_>, now: OffsetDateTime) -> Result<(), ReceiptError> {
        let signatures = callback
            .header("webhook-signature")
            .ok_or(ReceiptError::MissingSignature)?;
        let id = callback
            .header("webhook-id")
            .ok_or(ReceiptError::MissingField("webhook-id header"))?;
        let timestamp_text = callback
            .header("webhook-timestamp")
            .ok_or(ReceiptError::MissingField("webhook-timestamp header"))?;
        if id.is_empty() || id.contains('.') {
            // The signed text is `id.timestamp.body`: an id holding `.` could be
            // re-split into another id and timestamp (spec: "Signature scheme").
            return Err(ReceiptError::Malformed(
                "webhook-id is empty or contains '.'",
            ));
        }
        if id.starts_with(OUTBOUND_ID_PREFIX) {
            // One of our own outbound requests (it carries a code), replayed here.
            return Err(ReceiptError::OutboundRequest);
        }
        if signatures.len() > MAX_SIGNATURE_HEADER {
            return Err(ReceiptError::Malformed("webhook-signature is too long"));
        }
        let timestamp_text = timestamp_text.trim();
        if timestamp_text.is_empty() || !timestamp_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ReceiptError::Malformed(
                "webhook-timestamp is not Unix seconds",
            ));
        }
        let timestamp: i64 = timestamp_text
            .parse()
            .map_err(|_| ReceiptError::Malformed("webhook-timestamp is not Unix seconds"))?;
        let version = match &self.key {
            Key::Symmetric(_) => "v1",
            Key::Asymmetric(_) => "v1a",
        };
        // Each candidate costs a MAC clone or an Ed25519 check over the whole body, so
        // only the first few entries of our version are tried: key rotation needs two
        // or three, and a hostile header cannot multiply the work.
        let mut candidates = signatures
            .split_ascii_whitespace()
            .filter_map(|entry| entry.split_once(','))
            .filter(|(v, _)| *v == version)
            .take(MAX_CANDIDATES)
            .filter_map(|(_, b64)| base64::engine::general_purpose::STANDARD.decode(b64).ok());
        let matched = match &self.key {
            Key::Symmetric(secret) => {
                let mac = secret.mac(id, timestamp, callback.body());
                candidates.any(|sig| mac.clone().verify_slice(&sig).is_ok())
            }
            Key::Asymmetric(public) => {
                let message = signed_content(id, timestamp, callback.body());
                candidates.any(|sig| public.verifies(&message, &sig))
            }
        };
        if !matched {
            return Err(ReceiptError::BadSignature);
        }
        fresh(timestamp_text, now, self.tolerance)
    }
}

impl DeliveryReceipts for WebhookReceipts {
    fn parse(
        &self,
        callback: &Callback<'_>,
        now: OffsetDateTime,
    ) -> Result<DeliveryReport, ReceiptError> {
        self.verify(callback, now)?;
        let json: serde_json::Value = serde_json::from_slice(callback.body())
            .map_err(|_| ReceiptError::Malformed("body is not JSON"))?;
        let message_id = json
            .get("message_id")
            .and_then(http::json_code)
            .ok_or(ReceiptError::MissingField("message_id"))?;
        let status = match json.get("status").and_then(serde_json::Value::as_str) {
            Some("delivered") => DeliveryStatus::Delivered,
            Some("failed") => DeliveryStatus::Failed {
                permanent: json
                    .get("permanent")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(true),
            },
            Some(_) => DeliveryStatus::Pending,
            None => return Err(ReceiptError::MissingField("status")),
        };
        let error_code = json.get("error_code").and_then(http::json_code);
        Ok(DeliveryReport::new(
            PROVIDER, message_id, status, error_code,
        ))
    }
}
