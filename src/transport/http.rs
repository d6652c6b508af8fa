//! The HTTP base the provider adapters share: one client, typed configuration errors,
//! and the classification of HTTP outcomes into [`TransportErrorKind`]s.
// With `http` alone (no provider feature) only the public client is used.
#![cfg_attr(
    not(any(
        feature = "twilio",
        feature = "vonage",
        feature = "symworld",
        feature = "webhook"
    )),
    allow(dead_code)
)]

use std::fmt;
use std::sync::Arc;
use time::Duration;

use time::OffsetDateTime;

use super::{TransportError, TransportErrorKind};

/// The user agent every adapter sends, so providers can tell our traffic apart.
pub(crate) const USER_AGENT: &str = concat!("smsotp/", env!("CARGO_PKG_VERSION"));

/// The most of a provider's answer we read. Real answers are a few hundred bytes; a
/// larger one is not an answer we understand, and reading it all would let a broken
/// proxy make us buffer without bound.
const MAX_BODY: usize = 64 * 1024;

/// Why an adapter could not be configured. It names the setting or environment
/// variable at fault, never its value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportConfigError {
    /// A required environment variable is unset or empty.
    #[error("environment variable {0} is not set")]
    MissingVar(&'static str),
    /// An environment variable is set but unusable.
    #[error("environment variable {var} is malformed: {reason}")]
    MalformedVar {
        /// The variable's name.
        var: &'static str,
        /// What is wrong with it (never its value).
        reason: &'static str,
    },
    /// A setting given in code is unusable.
    #[error("invalid {setting}: {reason}")]
    Invalid {
        /// Which setting (`"base URL"`, `"account SID"`, ...).
        setting: &'static str,
        /// What is wrong with it (never its value).
        reason: &'static str,
    },
    /// The HTTP client could not be built (TLS set-up failed).
    #[error("the HTTP client could not be built")]
    Client(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl TransportConfigError {
    /// Renames an `Invalid` setting error to the environment variable it came from.
    pub(crate) fn for_var(self, var: &'static str) -> Self {
        match self {
            Self::Invalid { reason, .. } => Self::MalformedVar { var, reason },
            other => other,
        }
    }
}

/// Timeouts for the shared client: how long to wait for a TCP + TLS connection
/// (default 5 s), and how long a whole request may take, connection included (default
/// 15 s). Set through the methods, which refuse a timeout that is not positive.
///
/// `request_timeout` bounds a whole exchange. When it fires after the request was
/// written, the send fails with [`TransportErrorKind::Timeout`], which is not retried:
/// the provider may have accepted the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::seconds(5),
            request_timeout: Duration::seconds(15),
        }
    }
}

impl HttpOptions {
    /// Sets the connect timeout; one that is not positive is kept at 1 ms (a zero
    /// timeout would fail every send).
    #[must_use]
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit.max(Duration::MILLISECOND);
        self
    }
    /// Sets the whole-request timeout; one that is not positive is kept at 1 ms.
    #[must_use]
    pub fn request_timeout(mut self, limit: Duration) -> Self {
        self.request_timeout = limit.max(Duration::MILLISECOND);
        self
    }
}

impl HttpOptions {
    /// The connect timeout.
    #[must_use]
    pub fn connect_limit(&self) -> Duration {
        self.connect_timeout
    }
    /// The whole-request timeout.
    #[must_use]
    pub fn request_limit(&self) -> Duration {
        self.request_timeout
    }
}

/// One HTTP client (connection pool, TLS) shared by the adapters. Cloning is cheap and
/// shares the pool.
///
/// Built with rustls, redirects disabled (a redirect from an SMS API is a
/// misconfiguration, and following it could send credentials elsewhere), and the user
/// agent `smsotp/<version>`.
#[derive(Clone)]
pub struct HttpClient {
    pub(crate) inner: reqwest::Client,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient").finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client with the default [`HttpOptions`].
    ///
    /// # Errors
    /// [`TransportConfigError::Client`] when TLS cannot be set up.
    pub fn new() -> Result<Self, TransportConfigError> {
        Self::with_options(HttpOptions::default())
    }

    /// A client with these timeouts.
    ///
    /// Uses the process-wide rustls crypto provider if the application installed one,
    /// otherwise *ring*; certificates are checked against the platform's trust store.
    ///
    /// # Errors
    /// [`TransportConfigError::Client`] when TLS cannot be set up.
    pub fn with_options(options: HttpOptions) -> Result<Self, TransportConfigError> {
        use rustls_platform_verifier::BuilderVerifierExt as _;

        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportConfigError::Client(Box::new(e)))?
            .with_platform_verifier()
            .map_err(|e| TransportConfigError::Client(Box::new(e)))?
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];

        let inner = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(crate::clock::std_duration(options.connect_timeout))
            .timeout(crate::clock::std_duration(options.request_timeout))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| TransportConfigError::Client(Box::new(e.without_url())))?;
        Ok(Self { inner })
    }

    /// Wraps a client the application built itself. Tied to reqwest 0.13; the
    /// application is then responsible for its timeouts and redirect policy.
    #[must_use]
    pub fn from_reqwest(client: reqwest::Client) -> Self {
        Self { inner: client }
    }
}

// Used by the adapters that take a base URL.
#[cfg(any(
    feature = "twilio",
    feature = "vonage",
    feature = "vonage-voice",
    feature = "symworld"
))]
/// Checks and normalises a base URL override: http or https, a host, no credentials,
/// query or fragment; the trailing slash is dropped so paths can be appended.
pub(crate) fn base_url(input: &str) -> Result<String, TransportConfigError> {
    let invalid = |reason| TransportConfigError::Invalid {
        setting: "base URL",
        reason,
    };
    let url = reqwest::Url::parse(input).map_err(|_| invalid("not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

// Used by the adapters that take a callback or gateway URL.
#[cfg(any(
    feature = "twilio",
    feature = "vonage",
    feature = "vonage-voice",
    feature = "webhook"
))]
/// Checks a full URL the provider calls back (status callbacks, gateways).
pub(crate) fn callback_url(
    input: &str,
    setting: &'static str,
) -> Result<String, TransportConfigError> {
    let url = reqwest::Url::parse(input).map_err(|_| TransportConfigError::Invalid {
        setting,
        reason: "not a URL",
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(TransportConfigError::Invalid {
            setting,
            reason: "must be an http(s) URL with a host",
        });
    }
    Ok(url.as_str().to_owned())
}

/// Reads environment variables for `from_env`, or a caller's lookup for `from_lookup`.
pub(crate) struct Vars<F> {
    lookup: F,
}

impl<F: FnMut(&str) -> Option<String>> Vars<F> {
    pub(crate) fn new(lookup: F) -> Self {
        Self { lookup }
    }

    /// A variable that must be set and non-empty.
    pub(crate) fn required(&mut self, var: &'static str) -> Result<String, TransportConfigError> {
        self.optional(var)?
            .ok_or(TransportConfigError::MissingVar(var))
    }

    /// A variable that may be unset; empty counts as unset.
    pub(crate) fn optional(
        &mut self,
        var: &'static str,
    ) -> Result<Option<String>, TransportConfigError> {
        match (self.lookup)(var) {
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) if v.trim() != v => Err(TransportConfigError::MalformedVar {
                var,
                reason: "has leading or trailing whitespace",
            }),
            other => Ok(other),
        }
    }

    /// An optional base-URL override, checked; an error names the variable.
    #[cfg(any(
        feature = "twilio",
        feature = "vonage",
        feature = "vonage-voice",
        feature = "symworld"
    ))]
    pub(crate) fn base_url(
        &mut self,
        var: &'static str,
    ) -> Result<Option<String>, TransportConfigError> {
        let value = self.optional(var)?;
        if let Some(url) = &value {
            base_url(url).map_err(|e| e.for_var(var))?;
        }
        Ok(value)
    }

    /// An optional callback URL, checked; an error names the variable.
    #[cfg(any(feature = "twilio", feature = "vonage", feature = "vonage-voice"))]
    pub(crate) fn callback_url(
        &mut self,
        var: &'static str,
        setting: &'static str,
    ) -> Result<Option<String>, TransportConfigError> {
        let value = self.optional(var)?;
        if let Some(url) = &value {
            callback_url(url, setting).map_err(|e| e.for_var(var))?;
        }
        Ok(value)
    }
}

/// The process environment as a lookup; a non-Unicode value reads as a marker that
/// fails every check, so it is reported as malformed rather than missing.
pub(crate) fn process_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) => Some(v),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(_)) => Some(" not unicode ".to_owned()),
    }
}

/// What came back from a provider, read in full (up to [`MAX_BODY`]).
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, if it is JSON.
    pub(crate) fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// An error of `kind` carrying this answer's HTTP status and Retry-After.
    pub(crate) fn error(
        &self,
        provider: &'static str,
        kind: TransportErrorKind,
        detail: impl Into<String>,
    ) -> TransportError {
        let err = TransportError::new(kind, provider, detail);
        match self.retry_after {
            Some(wait) => err.with_retry_after(wait),
            None => err,
        }
    }

    /// The error for a non-success answer whose body told us nothing more.
    pub(crate) fn status_error(&self, provider: &'static str) -> TransportError {
        let kind = status_kind(self.status);
        self.error(provider, kind, format!("HTTP {}", self.status))
            .with_provider_status(format!("HTTP {}", self.status))
    }

    /// The error for a success answer we could not read.
    pub(crate) fn unreadable(&self, provider: &'static str, what: &str) -> TransportError {
        TransportError::new(
            TransportErrorKind::BadResponse,
            provider,
            format!(
                "HTTP {} with {what}; the message may have been accepted",
                self.status
            ),
        )
    }
}

/// Sends a request and reads the answer, turning transport failures into classified
/// errors. The request body is never part of any error.
pub(crate) async fn exchange(
    provider: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Answer, TransportError> {
    let mut response = request.send().await.map_err(|e| send_error(provider, e))?;
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(TransportError::new(
                        body_failure_kind(status),
                        provider,
                        format!("HTTP {status} with an oversized body"),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                // The status line arrived, so the provider has seen the request.
                let kind = if e.is_timeout() {
                    TransportErrorKind::Timeout
                } else {
                    body_failure_kind(status)
                };
                return Err(TransportError::new(
                    kind,
                    provider,
                    format!("HTTP {status}, reading the body failed"),
                )
                .with_source(e.without_url()));
            }
        }
    }
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// A body we could not read: for an error status the status decides, for a success
/// we cannot know whether the message was accepted.
fn body_failure_kind(status: u16) -> TransportErrorKind {
    if (200..300).contains(&status) {
        TransportErrorKind::BadResponse
    } else {
        status_kind(status)
    }
}

/// Classifies a failure to get any answer at all.
pub(crate) fn send_error(provider: &'static str, err: reqwest::Error) -> TransportError {
    let err = err.without_url();
    // Connect first: a connect timeout is both, and nothing was sent.
    let (kind, detail) = if err.is_connect() {
        (
            TransportErrorKind::Connect,
            "could not connect; nothing was sent",
        )
    } else if err.is_timeout() {
        (
            TransportErrorKind::Timeout,
            "no answer in time; the message may have been accepted",
        )
    } else if err.is_builder() {
        (
            TransportErrorKind::Rejected,
            "the request could not be built",
        )
    } else if err.is_redirect() {
        (
            TransportErrorKind::Rejected,
            "the provider redirected the request",
        )
    } else {
        (
            TransportErrorKind::BadResponse,
            "the connection failed after the request may have been sent",
        )
    };
    TransportError::new(kind, provider, detail).with_source(err)
}

/// The classification of an HTTP status alone, for bodies that say nothing more.
pub(crate) fn status_kind(status: u16) -> TransportErrorKind {
    match status {
        401 | 403 => TransportErrorKind::Unauthorized,
        429 => TransportErrorKind::Throttled,
        // The server gave up waiting for our request, so it did not act on it.
        408 => TransportErrorKind::Unavailable,
        // A gateway timeout means an upstream may still be working on the request.
        504 => TransportErrorKind::Timeout,
        500..=599 => TransportErrorKind::Unavailable,
        200..=299 => TransportErrorKind::BadResponse,
        _ => TransportErrorKind::Rejected,
    }
}

/// Reads `Retry-After` as delta-seconds, or as an HTTP-date measured against the
/// response's own `Date` header (so no local clock is read).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::seconds(
            i64::try_from(seconds).unwrap_or(i64::MAX),
        ));
    }
    let at = http_date(value)?;
    let date = http_date(headers.get(reqwest::header::DATE)?.to_str().ok()?)?;
    Some((at - date).max(Duration::ZERO))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(value: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value.trim(), format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// A JSON value as a short string: provider codes and ids arrive as numbers or
/// strings. Anything longer than an id could be is not one.
pub(crate) fn json_code(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() && s.len() <= 128 => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether an id from a provider is safe to hand on (it ends up in logs and URLs).
pub(crate) fn plausible_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}
