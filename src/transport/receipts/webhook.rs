//! Status callbacks from the application's own gateway, signed per Standard Webhooks.

use base64::Engine as _;
use hmac::Mac as _;
use time::{Duration, OffsetDateTime};

use super::{Callback, DeliveryReceipts, DeliveryReport, DeliveryStatus, ReceiptError, fresh};
use crate::transport::WebhookSecret;
use crate::transport::http::{self, TransportConfigError, Vars};

const PROVIDER: &str = "webhook";

/// Authenticates and reads delivery reports that the application's gateway posts
/// back, signed like [`WebhookTransport`](crate::transport::WebhookTransport)'s
/// requests (Standard Webhooks, same secret).
///
/// Headers `webhook-id`, `webhook-timestamp` (Unix seconds, within five minutes of
/// `now`) and `webhook-signature` (space-separated `v1,<base64>` entries; one must
/// match HMAC-SHA256 over `id.timestamp.body`). Body:
/// `{"message_id": "…", "status": "delivered" | "failed" | "pending",
/// "permanent": bool (for failed; default true), "error_code": "…" (optional)}`.
#[derive(Debug, Clone)]
pub struct WebhookReceipts {
    secret: WebhookSecret,
    tolerance: Duration,
}

impl WebhookReceipts {
    /// A parser for callbacks signed with `secret`.
    #[must_use]
    pub fn new(secret: WebhookSecret) -> Self {
        Self {
            secret,
            tolerance: Duration::minutes(5),
        }
    }

    /// A parser keyed with `SMSOTP_WEBHOOK_SECRET`, the secret the
    /// [`WebhookTransport`](crate::transport::WebhookTransport) signs with.
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(http::process_env);
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
    /// [`ReceiptError`] when a header is missing, the signature does not match, or
    /// the timestamp is stale.
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
        let timestamp: i64 = timestamp_text
            .trim()
            .parse()
            .map_err(|_| ReceiptError::Malformed("webhook-timestamp is not Unix seconds"))?;
        let mac = self.secret.mac(id, timestamp, callback.body());
        let matched = signatures
            .split_ascii_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
            .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .any(|sig| mac.clone().verify_slice(&sig).is_ok());
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
