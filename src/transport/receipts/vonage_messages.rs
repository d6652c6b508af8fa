//! Vonage Messages API status webhooks, signed with a JWT (Vonage's "signed
//! webhooks").

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use super::{
    Callback, DeliveryReceipts, DeliveryReport, DeliveryStatus, ReceiptError, hex, same_bytes,
};
use crate::transport::http::{self, TransportConfigError, Vars};

const PROVIDER: &str = "vonage";
/// Longest token read. Vonage's are a few hundred bytes; the bound keeps a hostile
/// header from costing more than a small, fixed amount of decoding.
const MAX_TOKEN: usize = 4096;

/// Authenticates and reads Vonage Messages API status webhooks.
///
/// Vonage signs each webhook with `Authorization: Bearer <JWT>`, HS256 keyed with the
/// account's *signature secret*. The token must:
/// - be HS256, nothing else (no `alg: none`, no other algorithm, no `crit`
///   extensions). vonage-node-sdk's `verifySignature` also takes RS256; we do not, as
///   a shared secret must never be read as a public key;
/// - carry `iat` within the tolerance (default five minutes) of `now`, and if it has
///   `exp` or `nbf`, be within them;
/// - carry `payload_hash`, the hex SHA-256 of the raw body, which must match. The
///   official SDKs check the signature only; without this check one signed token
///   would vouch for any body.
///
/// A Voice API call event (`uuid`, `status`, no `message_uuid`) maps `answered` and
/// `completed` → Delivered, `busy`/`cancelled`/`failed`/`rejected`/`timeout`/
/// `unanswered` → Failed (transient), anything else → Pending.
///
/// Body (status schema): `message_uuid`, `status` (`submitted` | `delivered` |
/// `rejected` | `undeliverable`, others Pending), and on failure `error.title`, the
/// numeric code. `delivered` → Delivered; `rejected`/`undeliverable` → Failed,
/// transient for codes 1000 (throttled), 1180 (absent subscriber, temporary), 1220
/// (handset busy), 1230 (network error), 1331 (provider error) and 1360 (TTL
/// expired), else permanent.
pub struct VonageMessagesReceipts {
    secret: SecretString,
    tolerance: Duration,
}

impl fmt::Debug for VonageMessagesReceipts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageMessagesReceipts")
            .field("secret", &"[REDACTED]")
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl VonageMessagesReceipts {
    /// A parser for webhooks signed with this signature secret.
    #[must_use]
    pub fn new(signature_secret: SecretString) -> Self {
        Self {
            secret: signature_secret,
            tolerance: Duration::minutes(5),
        }
    }

    /// A parser keyed with `VONAGE_SIGNATURE_SECRET`.
    ///
    /// # Errors
    /// [`TransportConfigError::MissingVar`] when it is unset.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(http::process_env);
        Ok(Self::new(SecretString::from(
            vars.required("VONAGE_SIGNATURE_SECRET")?,
        )))
    }

    /// Changes the allowed distance between `iat` and now (default five minutes).
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance.abs();
        self
    }

    /// Checks the bearer token and that it vouches for this body.
    ///
    /// # Errors
    /// [`ReceiptError::MissingSignature`] without a bearer token;
    /// [`ReceiptError::BadSignature`] for a wrong signature or body hash;
    /// [`ReceiptError::StaleTimestamp`] outside `iat`/`exp`/`nbf`;
    /// [`ReceiptError::Malformed`] or [`ReceiptError::MissingField`] otherwise.
    pub fn verify(&self, callback: &Callback<'_>, now: OffsetDateTime) -> Result<(), ReceiptError> {
        let token = callback
            .header("authorization")
            .and_then(bearer)
            .ok_or(ReceiptError::MissingSignature)?;
        let claims = self.verified_claims(token, now)?;
        let claimed = claims
            .get("payload_hash")
            .and_then(serde_json::Value::as_str)
            .ok_or(ReceiptError::MissingField("payload_hash claim"))?;
        use sha2::Digest as _;
        let actual = hex(&Sha256::digest(callback.body()));
        if !same_bytes(actual.as_bytes(), claimed.to_ascii_lowercase().as_bytes()) {
            return Err(ReceiptError::BadSignature);
        }
        Ok(())
    }

    /// Checks a token on its own (signature, algorithm and times), as the SDKs'
    /// `verify_signature` does, for webhooks whose body you bind some other way.
    ///
    /// # Errors
    /// As [`verify`](Self::verify), without the body hash.
    pub fn verify_token(&self, token: &str, now: OffsetDateTime) -> Result<(), ReceiptError> {
        self.verified_claims(token, now).map(|_| ())
    }

    fn verified_claims(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ReceiptError> {
        if token.len() > MAX_TOKEN {
            return Err(ReceiptError::Malformed("the token is too long"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ReceiptError::Malformed("not a JWT"));
        };
        let header = json_object(header)?;
        if header.get("alg").and_then(serde_json::Value::as_str) != Some("HS256") {
            return Err(ReceiptError::Malformed("the token is not HS256"));
        }
        if header.contains_key("crit") {
            return Err(ReceiptError::Malformed("the token names extensions"));
        }
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| ReceiptError::BadSignature)?;
        let Ok(mut mac) =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.expose_secret().as_bytes())
        else {
            return Err(ReceiptError::BadSignature);
        };
        // The signed input is the two encoded parts exactly as received.
        let signed = token.rsplit_once('.').map_or("", |(signed, _)| signed);
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| ReceiptError::BadSignature)?;

        // Only now is anything in the payload believed.
        let claims = json_object(payload)?;
        let iat = claims
            .get("iat")
            .and_then(seconds)
            .ok_or(ReceiptError::MissingField("iat claim"))?;
        if (now - iat).abs() > self.tolerance {
            return Err(ReceiptError::StaleTimestamp);
        }
        if let Some(exp) = claims.get("exp") {
            let exp = seconds(exp).ok_or(ReceiptError::Malformed("exp is not a time"))?;
            if now >= exp {
                return Err(ReceiptError::StaleTimestamp);
            }
        }
        if let Some(nbf) = claims.get("nbf") {
            let nbf = seconds(nbf).ok_or(ReceiptError::Malformed("nbf is not a time"))?;
            if now + self.tolerance < nbf {
                return Err(ReceiptError::StaleTimestamp);
            }
        }
        Ok(claims)
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme in any case).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A base64url (unpadded) JSON object.
fn json_object(part: &str) -> Result<serde_json::Map<String, serde_json::Value>, ReceiptError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ReceiptError::Malformed("a token part is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(ReceiptError::Malformed("a token part is not a JSON object")),
    }
}

/// A NumericDate claim (whole Unix seconds).
fn seconds(value: &serde_json::Value) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(value.as_i64()?).ok()
}

/// Messages API error codes after which sending again could still work.
fn transient(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("1000" | "1180" | "1220" | "1230" | "1331" | "1360")
    )
}

impl DeliveryReceipts for VonageMessagesReceipts {
    fn parse(
        &self,
        callback: &Callback<'_>,
        now: OffsetDateTime,
    ) -> Result<DeliveryReport, ReceiptError> {
        self.verify(callback, now)?;
        let json: serde_json::Value = serde_json::from_slice(callback.body())
            .map_err(|_| ReceiptError::Malformed("body is not JSON"))?;
        // A Voice API call event (the call that read a code) names the call's `uuid`
        // and no `message_uuid`; it maps to the same delivery status as an SMS report.
        if json.get("message_uuid").is_none()
            && let Some(call_id) = json
                .get("uuid")
                .and_then(serde_json::Value::as_str)
                .filter(|id| !id.is_empty())
        {
            let status = json
                .get("status")
                .and_then(serde_json::Value::as_str)
                .ok_or(ReceiptError::MissingField("status"))?;
            return Ok(DeliveryReport::new(
                PROVIDER,
                call_id,
                call_status(status),
                None,
            ));
        }
        let message_id = json
            .get("message_uuid")
            .and_then(serde_json::Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or(ReceiptError::MissingField("message_uuid"))?;
        let status = json
            .get("status")
            .and_then(serde_json::Value::as_str)
            .ok_or(ReceiptError::MissingField("status"))?;
        let error_code = json
            .get("error")
            .and_then(|e| e.get("title"))
            .and_then(http::json_code);
        let status = match status {
            "delivered" | "read" => DeliveryStatus::Delivered,
            "rejected" | "undeliverable" => DeliveryStatus::Failed {
                permanent: !transient(error_code.as_deref()),
            },
            _ => DeliveryStatus::Pending,
        };
        Ok(DeliveryReport::new(
            PROVIDER, message_id, status, error_code,
        ))
    }
}

/// A Voice API call event's `status` as a delivery status: answered (or completed
/// after an answer) means the code was read; busy, cancelled, failed, rejected,
/// timeout and unanswered mean it was not (a later call may be answered).
fn call_status(status: &str) -> DeliveryStatus {
    match status {
        "answered" | "completed" => DeliveryStatus::Delivered,
        "busy" | "cancelled" | "failed" | "rejected" | "timeout" | "unanswered" => {
            DeliveryStatus::Failed { permanent: false }
        }
        _ => DeliveryStatus::Pending,
    }
}
