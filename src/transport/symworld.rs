//! Rakuten Symworld CPaaS SMS: the direct route to Japanese carriers.

use std::fmt;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use super::http::{self, Answer, HttpClient, TransportConfigError, Vars};
use super::{Provider, Receipt, Sms, SmsTransport, TransportError, TransportErrorKind};
use crate::clock::{Clock, SystemClock};
use crate::message::Encoding;

const PROVIDER: &str = "symworld";
const DEFAULT_BASE: &str = "https://api.cpaas.symphony.rakuten.net";
/// Tokens are documented to live 15 minutes.
const TOKEN_LIFETIME: Duration = Duration::minutes(15);
/// Refresh this long before the token expires, so a send never carries a token that
/// dies in flight.
const REFRESH_MARGIN: Duration = Duration::seconds(60);

/// Sends through Symworld CPaaS.
///
/// 1. `GET {base}/auth/v1/token` with HTTP Basic `APIKey:Secret` returns `jwt_token`
///    and `token_valid_until` (`YYYY/MM/DD HH:mm:ss`, UTC). The token is cached and
///    refreshed a minute before it expires, measured with the injected
///    [`Clock`]; concurrent sends wait for one fetch instead of each fetching.
///    The expiry is also capped at 15 minutes after the fetch, so a skewed clock
///    cannot keep a dead token.
/// 2. `POST {base}/sms/v1/submit` with `Authorization: Bearer <jwt>` and the JSON body
///    `{from, to, message_type, text_message|unicode_message: {text},
///    client_reference}`: `to` is the number without `+`, UCS-2 bodies (Japanese) go
///    as `message_type: "unicode"` with `unicode_message`, GSM-7 bodies as `text`.
///    If the provider answers 401 to a cached token, the token is fetched again and
///    the submit retried once (a 401 means the message was not taken).
///
/// Errors carry `result_code` and are classified by the provider's table: -1, 99 and
/// 201 are transient, 1 is throttled (all four are the codes the provider marks as
/// retryable), 102 and 200 are an invalid or unroutable number, 113 (blacklisted) is
/// blocked, 2, 110 and 112 are unauthorized, and the others rejected. Without a
/// readable code, the HTTP status decides.
///
/// The public documentation does not show the success body. This adapter reads
/// `message_id` (or `messageId`, `id`, or the first of `message_ids`) from any 2xx
/// JSON answer, and when none is there, or the body is empty, the receipt carries
/// our `client_reference` (the SMS's idempotency key). `validity_period` is not sent
/// because its unit is not documented. Line breaks are sent as JSON `\n`.
pub struct SymworldTransport {
    http: HttpClient,
    token_url: String,
    submit_url: String,
    api_key: String,
    api_secret: SecretString,
    from: String,
    clock: Arc<dyn Clock>,
    token: tokio::sync::Mutex<Option<CachedToken>>,
}

struct CachedToken {
    jwt: SecretString,
    refresh_at: OffsetDateTime,
    generation: u64,
}

impl fmt::Debug for SymworldTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SymworldTransport")
            .field("submit_url", &self.submit_url)
            .field("api_secret", &"[REDACTED]")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Configures a [`SymworldTransport`].
pub struct SymworldBuilder {
    api_key: String,
    api_secret: SecretString,
    from: String,
    base_url: Option<String>,
    http: Option<HttpClient>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for SymworldBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SymworldBuilder")
            .field("api_secret", &"[REDACTED]")
            .field("from", &self.from)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl SymworldTransport {
    /// Starts configuring a transport with these credentials (the secret as a
    /// [`SecretString`](super::SecretString), a `String` or a `&str`) and default sender.
    #[must_use]
    pub fn builder(
        api_key: impl Into<String>,
        api_secret: impl Into<SecretString>,
        from: impl Into<String>,
    ) -> SymworldBuilder {
        SymworldBuilder {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            from: from.into(),
            base_url: None,
            http: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// A transport configured from `SYMWORLD_API_KEY`, `SYMWORLD_API_SECRET`,
    /// `SYMWORLD_FROM` and the optional `SYMWORLD_BASE_URL`.
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        SymworldBuilder::from_lookup(http::process_env)?.build()
    }
}

impl SymworldBuilder {
    /// A builder filled from a lookup of the same variables as
    /// [`SymworldTransport::from_env`].
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_lookup(
        lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(lookup);
        let key = vars.required("SYMWORLD_API_KEY")?;
        check_api_key(&key).map_err(|e| e.for_var("SYMWORLD_API_KEY"))?;
        let secret = vars.required("SYMWORLD_API_SECRET")?;
        let from = vars.required("SYMWORLD_FROM")?;
        let mut builder = SymworldTransport::builder(key, SecretString::from(secret), from);
        if let Some(base) = vars.base_url("SYMWORLD_BASE_URL")? {
            builder = builder.base_url(base);
        }
        Ok(builder)
    }

    /// Overrides `https://api.cpaas.symphony.rakuten.net` (for tests or a proxy).
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

    /// The clock that times token refreshes (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the settings and builds the transport.
    ///
    /// # Errors
    /// [`TransportConfigError::Invalid`] naming the bad setting.
    pub fn build(self) -> Result<SymworldTransport, TransportConfigError> {
        check_api_key(&self.api_key)?;
        if self.api_secret.expose_secret().is_empty() {
            return Err(TransportConfigError::Invalid {
                setting: "API secret",
                reason: "empty",
            });
        }
        if self.from.is_empty() {
            return Err(TransportConfigError::Invalid {
                setting: "sender",
                reason: "empty",
            });
        }
        let base = http::base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE))?;
        let http = match self.http {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        Ok(SymworldTransport {
            http,
            token_url: format!("{base}/auth/v1/token"),
            submit_url: format!("{base}/sms/v1/submit"),
            api_key: self.api_key,
            api_secret: self.api_secret,
            from: self.from,
            clock: self.clock,
            token: tokio::sync::Mutex::new(None),
        })
    }
}

/// Basic auth puts the key before a `:`, so a key holding one cannot work.
fn check_api_key(key: &str) -> Result<(), TransportConfigError> {
    if key.is_empty() || key.contains(':') {
        Err(TransportConfigError::Invalid {
            setting: "API key",
            reason: "must be non-empty and contain no ':'",
        })
    } else {
        Ok(())
    }
}

impl SymworldTransport {
    /// A usable token and its generation. With `stale`, the token of that generation
    /// was refused: fetch a new one unless another send already did.
    async fn token(&self, stale: Option<u64>) -> Result<(SecretString, u64), TransportError> {
        let mut slot = self.token.lock().await;
        let now = self.clock.now();
        if let Some(cached) = slot.as_ref() {
            let refused = stale == Some(cached.generation);
            if !refused && now < cached.refresh_at {
                return Ok((cached.jwt.clone(), cached.generation));
            }
        }
        // Fetched under the lock: concurrent sends wait here and reuse this token.
        let (jwt, valid_until) = self.fetch_token().await?;
        let hard_limit = now + TOKEN_LIFETIME;
        // Clamped to [now, now + 15 min]: a nonsense date from the provider (or a proxy)
        // can neither extend the token's life nor underflow the arithmetic below.
        let expires = valid_until.map_or(hard_limit, |v| v.clamp(now, hard_limit));
        let generation = slot.as_ref().map_or(1, |c| c.generation.wrapping_add(1));
        *slot = Some(CachedToken {
            jwt: jwt.clone(),
            refresh_at: expires.checked_sub(REFRESH_MARGIN).unwrap_or(now),
            generation,
        });
        Ok((jwt, generation))
    }

    async fn fetch_token(&self) -> Result<(SecretString, Option<OffsetDateTime>), TransportError> {
        let request = self
            .http
            .inner
            .get(&self.token_url)
            .basic_auth(&self.api_key, Some(self.api_secret.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json");
        let answer = http::exchange(PROVIDER, request)
            .await
            .map_err(token_phase)?;
        if !answer.is_success() {
            return Err(token_phase(failure(&answer)));
        }
        let json = answer.json();
        let jwt = json
            .as_ref()
            .and_then(|j| j.get("jwt_token"))
            .and_then(serde_json::Value::as_str)
            .filter(|t| !t.is_empty());
        let Some(jwt) = jwt else {
            // No SMS was submitted, so a broken token answer is safe to retry.
            return Err(TransportError::new(
                TransportErrorKind::Unavailable,
                PROVIDER,
                "the token answer held no jwt_token",
            ));
        };
        let valid_until = json
            .as_ref()
            .and_then(|j| j.get("token_valid_until"))
            .and_then(serde_json::Value::as_str)
            .and_then(parse_valid_until);
        Ok((SecretString::from(jwt), valid_until))
    }

    async fn submit(
        &self,
        jwt: &SecretString,
        body: &serde_json::Value,
    ) -> Result<Answer, TransportError> {
        let request = self
            .http
            .inner
            .post(&self.submit_url)
            .bearer_auth(jwt.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=UTF-8",
            )
            .body(body.to_string());
        http::exchange(PROVIDER, request).await
    }
}

/// A failure while getting a token happened before any SMS was submitted, so even a
/// timeout there is safe to retry.
fn token_phase(err: TransportError) -> TransportError {
    if matches!(
        err.kind(),
        TransportErrorKind::Timeout | TransportErrorKind::BadResponse
    ) {
        let wrapped = TransportError::new(
            TransportErrorKind::Unavailable,
            PROVIDER,
            "getting a token failed; no SMS was submitted",
        );
        match err.provider_status() {
            Some(status) => wrapped.with_provider_status(status.to_owned()),
            None => wrapped,
        }
        .with_source(err)
    } else {
        err
    }
}

fn parse_valid_until(value: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]/[month]/[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(value.trim(), format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

#[async_trait::async_trait]
impl SmsTransport for SymworldTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(PROVIDER))
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let body = submit_body(sms, &self.from);
        let (jwt, generation) = self.token(None).await?;
        let mut answer = self.submit(&jwt, &body).await?;
        if answer.status == 401 {
            let (jwt, _) = self.token(Some(generation)).await?;
            answer = self.submit(&jwt, &body).await?;
        }
        if answer.is_success() {
            return accepted(&answer, sms.idempotency_key());
        }
        Err(failure(&answer))
    }
}

fn submit_body(sms: &Sms, default_from: &str) -> serde_json::Value {
    let to = sms.to().as_e164().trim_start_matches('+');
    let from = sms.sender().unwrap_or(default_from);
    let text = serde_json::json!({ "text": sms.body().expose() });
    let mut body = serde_json::json!({
        "from": from,
        "to": to,
        "client_reference": sms.idempotency_key(),
    });
    if let Some(fields) = body.as_object_mut() {
        let (kind, key) = match sms.encoding() {
            Encoding::Ucs2 => ("unicode", "unicode_message"),
            _ => ("text", "text_message"),
        };
        fields.insert("message_type".into(), kind.into());
        fields.insert(key.into(), text);
    }
    body
}

fn accepted(answer: &Answer, client_reference: &str) -> Result<Receipt, TransportError> {
    if answer.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Receipt::new(PROVIDER, client_reference));
    }
    let Some(json) = answer.json() else {
        return Err(answer.unreadable(PROVIDER, "a body that is not JSON"));
    };
    let id = ["message_id", "messageId", "id"]
        .iter()
        .find_map(|key| json.get(key).and_then(http::json_code))
        .or_else(|| {
            json.get("message_ids")
                .and_then(|ids| ids.get(0))
                .and_then(http::json_code)
        })
        .filter(|id| http::plausible_id(id));
    Ok(Receipt::new(
        PROVIDER,
        id.unwrap_or_else(|| client_reference.to_owned()),
    ))
}

fn failure(answer: &Answer) -> TransportError {
    let code = answer
        .json()
        .and_then(|json| json.get("result_code").and_then(http::json_code));
    let Some(code) = code else {
        return answer.status_error(PROVIDER);
    };
    let (kind, detail) = match code.as_str() {
        "1" => (TransportErrorKind::Throttled, "throttled"),
        "-1" | "99" | "201" => (
            TransportErrorKind::Unavailable,
            "internal error, timeout or submission failure",
        ),
        "102" | "200" => (
            TransportErrorKind::InvalidNumber,
            "the destination is invalid or unroutable",
        ),
        "113" => (
            TransportErrorKind::Blocked,
            "the destination is blacklisted",
        ),
        "2" | "110" | "112" => (
            TransportErrorKind::Unauthorized,
            "the key is refused or lacks this channel or action",
        ),
        _ => (TransportErrorKind::Rejected, "the request was refused"),
    };
    answer
        .error(PROVIDER, kind, format!("HTTP {}: {detail}", answer.status))
        .with_provider_status(code)
}
