//! Vonage (Nexmo) SMS API.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::http::{self, Answer, HttpClient, TransportConfigError, Vars};
use super::{Provider, Receipt, Sms, SmsTransport, TransportError, TransportErrorKind};
use crate::message::Encoding;

const PROVIDER: &str = "vonage";
const DEFAULT_BASE: &str = "https://rest.nexmo.com";

/// Sends through Vonage's SMS API: `POST {base}/sms/json`, form-encoded, with
/// `api_key` and `api_secret` in the form.
///
/// Fields sent: `from`, `to` (digits without `+`), `text`, `type` (`unicode` for
/// UCS-2 bodies such as Japanese, else `text`), `client-ref` (the SMS's idempotency
/// key, cut to Vonage's 40 characters), `ttl` (the SMS's validity in milliseconds,
/// clamped to Vonage's 20 000..=604 800 000) and, when configured, `callback` with
/// `status-report-req=1`.
///
/// Vonage answers HTTP 200 even when it refuses: every `messages[].status` must be
/// `"0"`, and a long text has one entry per part; any failing part fails the send (as
/// [`BadResponse`](TransportErrorKind::BadResponse), never retried, when other parts
/// were already accepted).
/// Status 1 is throttled, 5 and 10 are transient, 3, 6 and 33 are an invalid number,
/// 7 (barred) is blocked, 4, 8 and 14 are unauthorized, and the other configuration
/// codes (2, 9, 11, 12, 15, 29, 32, ...) are rejected. The receipt carries the first
/// part's `message-id`.
pub struct VonageTransport {
    http: HttpClient,
    endpoint: String,
    api_key: String,
    api_secret: SecretString,
    from: String,
    callback: Option<String>,
}

impl fmt::Debug for VonageTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageTransport")
            .field("endpoint", &self.endpoint)
            .field("api_secret", &"[REDACTED]")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Configures a [`VonageTransport`].
pub struct VonageBuilder {
    api_key: String,
    api_secret: SecretString,
    from: String,
    callback: Option<String>,
    base_url: Option<String>,
    http: Option<HttpClient>,
}

impl fmt::Debug for VonageBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageBuilder")
            .field("api_secret", &"[REDACTED]")
            .field("from", &self.from)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl VonageTransport {
    /// Starts configuring a transport with these credentials (the secret as a
    /// [`SecretString`](super::SecretString), a `String` or a `&str`) and default sender.
    #[must_use]
    pub fn builder(
        api_key: impl Into<String>,
        api_secret: impl Into<SecretString>,
        from: impl Into<String>,
    ) -> VonageBuilder {
        VonageBuilder {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            from: from.into(),
            callback: None,
            base_url: None,
            http: None,
        }
    }

    /// A transport configured from `VONAGE_API_KEY`, `VONAGE_API_SECRET`,
    /// `VONAGE_FROM` and the optional `VONAGE_BASE_URL` and `VONAGE_CALLBACK_URL`.
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        VonageBuilder::from_lookup(http::process_env)?.build()
    }
}

impl VonageBuilder {
    /// A builder filled from a lookup of the same variables as
    /// [`VonageTransport::from_env`].
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_lookup(
        lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(lookup);
        let key = vars.required("VONAGE_API_KEY")?;
        let secret = vars.required("VONAGE_API_SECRET")?;
        let from = vars.required("VONAGE_FROM")?;
        check_sender(&from).map_err(|e| e.for_var("VONAGE_FROM"))?;
        let mut builder = VonageTransport::builder(key, SecretString::from(secret), from);
        if let Some(base) = vars.base_url("VONAGE_BASE_URL")? {
            builder = builder.base_url(base);
        }
        if let Some(callback) = vars.callback_url("VONAGE_CALLBACK_URL", "callback URL")? {
            builder = builder.callback(callback);
        }
        Ok(builder)
    }

    /// Asks for delivery receipts at this URL (parse them with
    /// [`VonageReceipts`](crate::transport::receipts::VonageReceipts)).
    #[must_use]
    pub fn callback(mut self, url: impl Into<String>) -> Self {
        self.callback = Some(url.into());
        self
    }

    /// Overrides `https://rest.nexmo.com` (for tests or a proxy).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Shares an existing client (and its connection pool).
    #[must_use]
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the transport.
    ///
    /// # Errors
    /// [`TransportConfigError::Invalid`] naming the bad setting.
    pub fn build(self) -> Result<VonageTransport, TransportConfigError> {
        if self.api_key.is_empty() {
            return Err(TransportConfigError::Invalid {
                setting: "API key",
                reason: "empty",
            });
        }
        if self.api_secret.expose_secret().is_empty() {
            return Err(TransportConfigError::Invalid {
                setting: "API secret",
                reason: "empty",
            });
        }
        check_sender(&self.from)?;
        let callback = self
            .callback
            .map(|u| http::callback_url(&u, "callback URL"))
            .transpose()?;
        let base = http::base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE))?;
        let http = match self.http {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        Ok(VonageTransport {
            http,
            endpoint: format!("{base}/sms/json"),
            api_key: self.api_key,
            api_secret: self.api_secret,
            from: self.from,
            callback,
        })
    }
}

fn check_sender(from: &str) -> Result<(), TransportConfigError> {
    if from.is_empty() {
        Err(TransportConfigError::Invalid {
            setting: "sender",
            reason: "empty",
        })
    } else {
        Ok(())
    }
}

/// `ttl` in milliseconds within Vonage's documented 20 s..=7 days.
fn ttl_ms(sms: &Sms) -> i128 {
    sms.validity()
        .whole_milliseconds()
        .clamp(20_000, 604_800_000)
}

#[async_trait::async_trait]
impl SmsTransport for VonageTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(PROVIDER))
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let to = sms.to().as_e164().trim_start_matches('+');
        let from = sms.sender().unwrap_or(&self.from);
        // A numeric sender goes as digits, like the destination.
        let from = from.strip_prefix('+').unwrap_or(from);
        let kind = match sms.encoding() {
            Encoding::Ucs2 => "unicode",
            _ => "text",
        };
        let ttl = ttl_ms(sms).to_string();
        let mut form: Vec<(&str, &str)> = vec![
            ("api_key", &self.api_key),
            ("api_secret", self.api_secret.expose_secret()),
            ("from", from),
            ("to", to),
            ("text", sms.body().expose()),
            ("type", kind),
            ("client-ref", truncate_chars(sms.idempotency_key(), 40)),
            ("ttl", &ttl),
        ];
        if let Some(url) = &self.callback {
            form.push(("callback", url));
            form.push(("status-report-req", "1"));
        }
        let request = self
            .http
            .inner
            .post(&self.endpoint)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form);
        let answer = http::exchange(PROVIDER, request).await?;
        if !answer.is_success() {
            return Err(answer.status_error(PROVIDER));
        }
        read_parts(&answer)
    }
}

fn read_parts(answer: &Answer) -> Result<Receipt, TransportError> {
    let Some(json) = answer.json() else {
        return Err(answer.unreadable(PROVIDER, "a body that is not JSON"));
    };
    let Some(parts) = json
        .get("messages")
        .and_then(serde_json::Value::as_array)
        .filter(|parts| !parts.is_empty())
    else {
        return Err(answer.unreadable(PROVIDER, "no messages[]"));
    };
    let mut statuses = Vec::with_capacity(parts.len());
    for part in parts {
        let Some(status) = part.get("status").and_then(http::json_code) else {
            return Err(answer.unreadable(PROVIDER, "a part without a status"));
        };
        statuses.push(status);
    }
    let some_accepted = statuses.iter().any(|s| s == "0");
    if let Some(status) = statuses.iter().find(|s| *s != "0") {
        return Err(part_failure(answer, status, parts.len(), some_accepted));
    }
    let mut first_id = None;
    for part in parts {
        if first_id.is_none() {
            first_id = part
                .get("message-id")
                .and_then(serde_json::Value::as_str)
                .filter(|id| http::plausible_id(id));
        }
    }
    match first_id {
        Some(id) => Ok(Receipt::new(PROVIDER, id)),
        None => Err(answer.unreadable(PROVIDER, "no message-id")),
    }
}

fn part_failure(
    answer: &Answer,
    status: &str,
    parts: usize,
    some_accepted: bool,
) -> TransportError {
    let (kind, detail) = match status {
        "1" => (TransportErrorKind::Throttled, "throttled"),
        "5" => (TransportErrorKind::Unavailable, "internal error"),
        "10" => (TransportErrorKind::Unavailable, "too many binds"),
        "3" | "6" | "33" => (
            TransportErrorKind::InvalidNumber,
            "the number is invalid, unrecognised or de-activated",
        ),
        "7" => (TransportErrorKind::Blocked, "the number is barred"),
        "4" | "8" | "14" => (
            TransportErrorKind::Unauthorized,
            "credentials, signature or account refused",
        ),
        _ => (
            TransportErrorKind::Rejected,
            "the account cannot send this message",
        ),
    };
    // Parts already accepted are on their way: sending again (here or on another
    // route) would deliver them twice, so only a problem with the number stays as is.
    let (kind, detail) = if some_accepted && !kind.is_about_number() {
        (
            TransportErrorKind::BadResponse,
            "a part failed after other parts were accepted",
        )
    } else {
        (kind, detail)
    };
    answer
        .error(
            PROVIDER,
            kind,
            format!("status {status} on a {parts}-part message: {detail}"),
        )
        .with_provider_status(format!("status {status}"))
}

/// The first `max` characters of `s`, on a character boundary.
fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((at, _)) => s.get(..at).unwrap_or(s),
        None => s,
    }
}
