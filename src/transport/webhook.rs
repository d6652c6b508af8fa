//! A signed JSON POST to the application's own SMS gateway (Standard Webhooks).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use super::http::{self, Answer, HttpClient, TransportConfigError, Vars};
use super::{
    Call, Provider, Receipt, Sms, SmsTransport, TransportError, TransportErrorKind, VoiceTransport,
};
use crate::clock::{Clock, SystemClock};
use crate::message::Encoding;

const PROVIDER: &str = "webhook";
/// Standard Webhooks recommends secrets of 24 to 64 bytes; fewer than 16 is too weak
/// to accept at all.
const MIN_SECRET_BYTES: usize = 16;

/// The prefix of every `webhook-id` the [`WebhookTransport`] sends. It marks the
/// request as outbound (it carries a code to the gateway), and it is covered by the
/// signature, as the id is signed. [`WebhookReceipts`](super::receipts::WebhookReceipts)
/// refuses any callback whose id starts with it, so an outbound request replayed at
/// the receipt endpoint never verifies as a receipt, even when both directions share
/// one secret.
pub const OUTBOUND_ID_PREFIX: &str = "smsotp-out_";

/// Base64 as the Standard Webhooks reference libraries read keys: the standard
/// alphabet, padding optional. The Python reference appends `==` and decodes
/// leniently, so it also takes unpadded keys whose last character has unused low bits
/// set (its own test vectors include two). Keys are configuration, not attacker input,
/// so accepting those bits costs nothing; anything that is not base64 is refused.
const KEY_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A Standard Webhooks signing secret (`whsec_` followed by base64, padded or not).
/// `Debug` is redacted and the bytes are zeroed on drop.
#[derive(Clone)]
pub struct WebhookSecret {
    key: SecretSlice<u8>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([REDACTED])")
    }
}

impl WebhookSecret {
    /// Reads `whsec_<base64>` (the prefix may be left out, and so may the base64
    /// padding, as the reference libraries allow).
    ///
    /// # Errors
    /// [`TransportConfigError::Invalid`] when it is not base64 or decodes to fewer
    /// than 16 bytes.
    pub fn parse(text: &str) -> Result<Self, TransportConfigError> {
        let encoded = text.strip_prefix("whsec_").unwrap_or(text);
        let key = KEY_BASE64
            .decode(encoded)
            .map_err(|_| TransportConfigError::Invalid {
                setting: "webhook secret",
                reason: "must be whsec_ followed by base64",
            })?;
        if key.len() < MIN_SECRET_BYTES {
            return Err(TransportConfigError::Invalid {
                setting: "webhook secret",
                reason: "must decode to at least 16 bytes",
            });
        }
        Ok(Self {
            key: SecretSlice::from(key),
        })
    }

    /// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
    pub(crate) fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mac = self.mac(id, timestamp, body).finalize().into_bytes();
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac)
        )
    }

    /// The MAC over a message, ready to finalise or verify.
    pub(crate) fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// A Standard Webhooks public key for asymmetric (`v1a`, Ed25519) signatures:
/// `whpk_` followed by the 32-byte key in base64 (the prefix and the padding may be
/// left out). Not secret, but checked: a key that is not a valid Ed25519 point, or a
/// weak (small-order) one, is refused.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookPublicKey {
    key: ed25519_dalek::VerifyingKey,
}

impl fmt::Debug for WebhookPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookPublicKey(")?;
        f.write_str(&base64::engine::general_purpose::STANDARD.encode(self.key.as_bytes()))?;
        f.write_str(")")
    }
}

impl WebhookPublicKey {
    /// Reads `whpk_<base64>`.
    ///
    /// # Errors
    /// [`TransportConfigError::Invalid`] for a secret key (`whsk_`), text that is not
    /// base64, a length other than 32 bytes, or bytes that are not a usable Ed25519
    /// public key.
    pub fn parse(text: &str) -> Result<Self, TransportConfigError> {
        const SETTING: &str = "webhook public key";
        if text.starts_with("whsk_") || text.starts_with("whsec_") {
            return Err(TransportConfigError::Invalid {
                setting: SETTING,
                reason: "is a secret key; give the whpk_ public key",
            });
        }
        let encoded = text.strip_prefix("whpk_").unwrap_or(text);
        let bytes: [u8; 32] = KEY_BASE64
            .decode(encoded)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(TransportConfigError::Invalid {
                setting: SETTING,
                reason: "must be whpk_ followed by 32 bytes of base64",
            })?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .ok()
            .filter(|k| !k.is_weak())
            .ok_or(TransportConfigError::Invalid {
                setting: SETTING,
                reason: "is not a usable Ed25519 public key",
            })?;
        Ok(Self { key })
    }

    /// Whether `signature` is this key's Ed25519 signature of `message` (the
    /// Standard Webhooks `id.timestamp.body`). Strict verification: no malleable
    /// signatures, no small-order components.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        self.key.verify_strict(message, &signature).is_ok()
    }
}

/// Posts each SMS as JSON to the application's own gateway, signed per Standard
/// Webhooks: headers `webhook-id` (derived from the SMS's idempotency key, so a retry
/// carries the same id and the gateway can deduplicate), `webhook-timestamp` (Unix
/// seconds from the injected [`Clock`]) and `webhook-signature`.
///
/// The id is [`OUTBOUND_ID_PREFIX`] followed by the key when the key is made of ASCII
/// letters, digits, `-` and `_` (40 at most), else by a 43-character digest of it. It never
/// contains `.`: Standard Webhooks signs `id.timestamp.body`, and an id with a dot
/// could be re-split into a different id and timestamp.
///
/// **Direction.** The same secret often keys both this transport and the
/// [`WebhookReceipts`](super::receipts::WebhookReceipts) that read the gateway's
/// delivery reports. The outbound marker at the start of the signed id is what keeps
/// the two apart: a receipt parser refuses ids that carry it, so a captured outbound
/// request (which holds the code) can never be replayed as an inbound receipt. We
/// chose a marker in what is signed over separate derived keys because the gateway
/// then verifies with any stock Standard Webhooks library and the one secret it was
/// given. Give the gateway's reports ids that do not start with the marker (any
/// `msg_…` id does). Using two different secrets as well is stronger still.
///
/// Body: `{"channel": "sms", "to": "+8190…", "body": "…", "sender": "…"|null, "encoding": "gsm7"|"ucs2",
/// "segments": 1, "validity_seconds": 300, "idempotency_key": "…"}`.
///
/// The gateway answers 2xx, optionally with `{"message_id": "…"}` (else the receipt
/// carries the idempotency key). A refusal may say why with
/// `{"error": "invalid_number" | "blocked" | "unauthorized" | "rejected" |
/// "throttled" | "unavailable"}`; otherwise the HTTP status decides (401/403
/// unauthorized, 429 throttled with `Retry-After`, 5xx unavailable, other 4xx
/// rejected).
pub struct WebhookTransport {
    http: HttpClient,
    url: String,
    secret: WebhookSecret,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for WebhookTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTransport")
            .field("url", &self.url)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// Configures a [`WebhookTransport`].
pub struct WebhookBuilder {
    url: String,
    secret: WebhookSecret,
    http: Option<HttpClient>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for WebhookBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookBuilder")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl WebhookTransport {
    /// Starts configuring a transport that posts to `url`.
    #[must_use]
    pub fn builder(url: impl Into<String>, secret: WebhookSecret) -> WebhookBuilder {
        WebhookBuilder {
            url: url.into(),
            secret,
            http: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// A transport configured from `SMSOTP_WEBHOOK_URL` and `SMSOTP_WEBHOOK_SECRET`.
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        WebhookBuilder::from_lookup(http::process_env)?.build()
    }
}

impl WebhookBuilder {
    /// A builder filled from a lookup of the same variables as
    /// [`WebhookTransport::from_env`].
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_lookup(
        lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(lookup);
        let url = vars.required("SMSOTP_WEBHOOK_URL")?;
        http::callback_url(&url, "gateway URL").map_err(|e| e.for_var("SMSOTP_WEBHOOK_URL"))?;
        let secret = WebhookSecret::parse(&vars.required("SMSOTP_WEBHOOK_SECRET")?)
            .map_err(|e| e.for_var("SMSOTP_WEBHOOK_SECRET"))?;
        Ok(WebhookTransport::builder(url, secret))
    }

    /// Shares an existing client (and its connection pool).
    #[must_use]
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.http = Some(client);
        self
    }

    /// The clock for `webhook-timestamp` (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the settings and builds the transport.
    ///
    /// # Errors
    /// [`TransportConfigError::Invalid`] for a URL that is not http(s).
    pub fn build(self) -> Result<WebhookTransport, TransportConfigError> {
        let url = http::callback_url(&self.url, "gateway URL")?;
        let http = match self.http {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        Ok(WebhookTransport {
            http,
            url,
            secret: self.secret,
            clock: self.clock,
        })
    }
}

/// The `webhook-id`: the outbound marker, then the idempotency key when it is short
/// and made only of `[A-Za-z0-9_-]`, else a digest of it (so `order.42` and `order42`
/// stay distinct, and no id ever holds a `.`).
fn message_id(key: &str) -> String {
    // Safe keys are at most 40 characters and digests are always 43, so the two forms
    // can never produce the same id.
    let safe = !key.is_empty()
        && key.len() <= 40
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if safe {
        format!("{OUTBOUND_ID_PREFIX}{key}")
    } else {
        use sha2::Digest as _;
        let digest = Sha256::digest(key.as_bytes());
        format!(
            "{OUTBOUND_ID_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
        )
    }
}

impl WebhookTransport {
    /// Posts `body`, signed per Standard Webhooks under the id made from `key`.
    async fn post(&self, key: &str, body: String) -> Result<Answer, TransportError> {
        let id = message_id(key);
        let timestamp = self.clock.now().unix_timestamp();
        let signature = self.secret.sign(&id, timestamp, body.as_bytes());
        let request = self
            .http
            .inner
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body);
        http::exchange(PROVIDER, request).await
    }
}

/// Calls go to the same gateway, signed the same way, with `"channel": "voice"`:
/// `{"channel": "voice", "to": "+8190…", "language": "ja-JP", "ssml": "<speak>…",
/// "text": "…", "repeat": 1, "validity_seconds": 300, "idempotency_key": "…"}`; the
/// answer is read as for an SMS.
#[async_trait::async_trait]
impl VoiceTransport for WebhookTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(PROVIDER))
    }

    async fn call(&self, call: &Call) -> Result<Receipt, TransportError> {
        let body = serde_json::json!({
            "channel": "voice",
            "to": call.to().as_e164(),
            "language": call.language_tag(),
            "ssml": call.speech().expose_ssml(),
            "text": call.speech().expose_plain(),
            "repeat": call.repeat(),
            "validity_seconds": call.validity().whole_seconds().max(0),
            "idempotency_key": call.idempotency_key(),
        })
        .to_string();
        let answer = self.post(call.idempotency_key(), body).await?;
        if answer.is_success() {
            return accepted(&answer, call.idempotency_key());
        }
        Err(failure(&answer))
    }
}

#[async_trait::async_trait]
impl SmsTransport for WebhookTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(PROVIDER))
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let encoding = match sms.encoding() {
            Encoding::Ucs2 => "ucs2",
            _ => "gsm7",
        };
        let body = serde_json::json!({
            "channel": "sms",
            "to": sms.to().as_e164(),
            "body": sms.body().expose(),
            "sender": sms.sender(),
            "encoding": encoding,
            "segments": sms.segments(),
            "validity_seconds": sms.validity().whole_seconds().max(0),
            "idempotency_key": sms.idempotency_key(),
        })
        .to_string();
        let answer = self.post(sms.idempotency_key(), body).await?;
        if answer.is_success() {
            return accepted(&answer, sms.idempotency_key());
        }
        Err(failure(&answer))
    }
}

fn accepted(answer: &Answer, key: &str) -> Result<Receipt, TransportError> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Receipt::new(PROVIDER, key));
    }
    let Some(json) = answer.json() else {
        return Err(answer.unreadable(PROVIDER, "a body that is not JSON"));
    };
    let id = json
        .get("message_id")
        .and_then(http::json_code)
        .filter(|id| http::plausible_id(id));
    Ok(Receipt::new(PROVIDER, id.unwrap_or_else(|| key.to_owned())))
}

fn failure(answer: &Answer) -> TransportError {
    let reason = answer.json().and_then(|json| {
        json.get("error")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    });
    let kind = match reason.as_deref() {
        Some("invalid_number") => TransportErrorKind::InvalidNumber,
        Some("blocked") => TransportErrorKind::Blocked,
        Some("unauthorized") => TransportErrorKind::Unauthorized,
        Some("rejected") => TransportErrorKind::Rejected,
        Some("throttled") => TransportErrorKind::Throttled,
        Some("unavailable") => TransportErrorKind::Unavailable,
        _ => return answer.status_error(PROVIDER),
    };
    let err = answer.error(
        PROVIDER,
        kind,
        format!("HTTP {}: gateway refused", answer.status),
    );
    match reason {
        Some(reason) => err.with_provider_status(reason),
        None => err,
    }
}
