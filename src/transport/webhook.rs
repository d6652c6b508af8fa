//! A signed JSON POST to the application's own SMS gateway (Standard Webhooks).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use super::http::{self, Answer, HttpClient, TransportConfigError, Vars};
use super::{Receipt, Sms, SmsTransport, TransportError, TransportErrorKind};
use crate::clock::{Clock, SystemClock};
use crate::message::Encoding;

const PROVIDER: &str = "webhook";
/// Standard Webhooks recommends secrets of 24 to 64 bytes; fewer than 16 is too weak
/// to accept at all.
const MIN_SECRET_BYTES: usize = 16;

/// A Standard Webhooks signing secret (`whsec_` followed by base64). `Debug` is
/// redacted and the bytes are zeroed on drop.
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
    /// Reads `whsec_<base64>` (the prefix may be left out).
    ///
    /// # Errors
    /// [`TransportConfigError::Invalid`] when it is not base64 or decodes to fewer
    /// than 16 bytes.
    pub fn parse(text: &str) -> Result<Self, TransportConfigError> {
        let encoded = text.strip_prefix("whsec_").unwrap_or(text);
        let key = base64::engine::general_purpose::STANDARD
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

/// Posts each SMS as JSON to the application's own gateway, signed per Standard
/// Webhooks: headers `webhook-id` (derived from the SMS's idempotency key, so a retry
/// carries the same id and the gateway can deduplicate), `webhook-timestamp` (Unix
/// seconds from the injected [`Clock`]) and `webhook-signature`.
///
/// Body: `{"to": "+8190…", "body": "…", "sender": "…"|null, "encoding": "gsm7"|"ucs2",
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

/// The `webhook-id`: the idempotency key when it is header-safe, else a digest of it.
fn message_id(key: &str) -> String {
    let safe = !key.is_empty()
        && key.len() <= 100
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if safe {
        format!("msg_{key}")
    } else {
        use sha2::Digest as _;
        let digest = Sha256::digest(key.as_bytes());
        let short = digest.get(..16).unwrap_or(&digest[..]);
        format!(
            "msg_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(short)
        )
    }
}

#[async_trait::async_trait]
impl SmsTransport for WebhookTransport {
    fn provider_name(&self) -> Option<&str> {
        Some(PROVIDER)
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let encoding = match sms.encoding() {
            Encoding::Ucs2 => "ucs2",
            _ => "gsm7",
        };
        let body = serde_json::json!({
            "to": sms.to().as_e164(),
            "body": sms.body().expose(),
            "sender": sms.sender(),
            "encoding": encoding,
            "segments": sms.segments(),
            "validity_seconds": sms.validity().whole_seconds().max(0),
            "idempotency_key": sms.idempotency_key(),
        })
        .to_string();
        let id = message_id(sms.idempotency_key());
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
        let answer = http::exchange(PROVIDER, request).await?;
        if answer.is_success() {
            return accepted(&answer, sms.idempotency_key());
        }
        Err(failure(&answer))
    }
}

fn accepted(answer: &Answer, key: &str) -> Result<Receipt, TransportError> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Receipt::new(PROVIDER, key.to_owned()));
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
