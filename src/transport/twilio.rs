//! Twilio Programmable Messaging (API 2010-04-01), and Programmable Voice for calls
//! that read the code ([`voice`]).

mod voice;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use super::http::{self, Answer, HttpClient, TransportConfigError, Vars};
use super::{Provider, Receipt, Sms, SmsTransport, TransportError, TransportErrorKind};

const PROVIDER: &str = "twilio";
const DEFAULT_BASE: &str = "https://api.twilio.com";

/// Sends through Twilio's Messages resource:
/// `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, HTTP
/// Basic auth (`AccountSid:AuthToken`).
///
/// Fields sent: `To` (E.164), `From` (the SMS's sender, else the configured one) and/or
/// `MessagingServiceSid`, `Body`, `ValidityPeriod` (the SMS's validity in whole seconds,
/// clamped to Twilio's 1..=36000) and, when configured, `StatusCallback`.
///
/// Errors are classified by Twilio's error code, then by HTTP status: 21211, 21612 and
/// 21614 are an invalid number; 21610 (the recipient replied STOP) is blocked; 20003 is
/// unauthorized; 20429 and HTTP 429 are throttled, with `Retry-After` honoured; 5xx is
/// unavailable. Twilio's error message is never copied into ours: it can quote the
/// number.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use smsotp::transport::TwilioTransport;
///
/// // TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM (a number, sender id or MG... SID),
/// // and optionally TWILIO_BASE_URL and TWILIO_STATUS_CALLBACK.
/// let twilio = TwilioTransport::from_env()?;
/// # Ok(()) }
/// ```
pub struct TwilioTransport {
    http: HttpClient,
    endpoint: String,
    account_sid: String,
    auth_token: SecretString,
    from: Option<String>,
    messaging_service_sid: Option<String>,
    status_callback: Option<String>,
    /// The number calls come from (an alphanumeric sender id cannot call).
    voice_from: Option<String>,
    calls_endpoint: String,
}

impl fmt::Debug for TwilioTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioTransport")
            .field("endpoint", &self.endpoint)
            .field("auth_token", &"[REDACTED]")
            .field("from", &self.from)
            .field("messaging_service_sid", &self.messaging_service_sid)
            .finish_non_exhaustive()
    }
}

/// Configures a [`TwilioTransport`].
pub struct TwilioBuilder {
    account_sid: String,
    auth_token: SecretString,
    from: Option<String>,
    messaging_service_sid: Option<String>,
    status_callback: Option<String>,
    voice_from: Option<String>,
    base_url: Option<String>,
    http: Option<HttpClient>,
}

impl fmt::Debug for TwilioBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioBuilder")
            .field("auth_token", &"[REDACTED]")
            .field("from", &self.from)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl TwilioTransport {
    /// Starts configuring a transport for this account (the token as a
    /// [`SecretString`](super::SecretString), a `String` or a `&str`).
    #[must_use]
    pub fn builder(
        account_sid: impl Into<String>,
        auth_token: impl Into<SecretString>,
    ) -> TwilioBuilder {
        TwilioBuilder {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            from: None,
            messaging_service_sid: None,
            status_callback: None,
            voice_from: None,
            base_url: None,
            http: None,
        }
    }

    /// A transport configured from `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`,
    /// `TWILIO_FROM` (a sender number or id, or a Messaging Service SID `MG…`), and
    /// the optional `TWILIO_BASE_URL` and `TWILIO_STATUS_CALLBACK`.
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        TwilioBuilder::from_lookup(http::process_env)?.build()
    }
}

impl TwilioBuilder {
    /// A builder filled from a lookup of the same variables as
    /// [`TwilioTransport::from_env`] (for configuration that is not the process
    /// environment).
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_lookup(
        lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(lookup);
        let sid = vars.required("TWILIO_ACCOUNT_SID")?;
        check_account_sid(&sid).map_err(|e| e.for_var("TWILIO_ACCOUNT_SID"))?;
        let token = vars.required("TWILIO_AUTH_TOKEN")?;
        let from = vars.required("TWILIO_FROM")?;
        let mut builder = TwilioTransport::builder(sid, SecretString::from(token));
        builder = if from.starts_with("MG") {
            check_messaging_service_sid(&from).map_err(|e| e.for_var("TWILIO_FROM"))?;
            builder.messaging_service_sid(from)
        } else {
            builder.from(from)
        };
        if let Some(base) = vars.base_url("TWILIO_BASE_URL")? {
            builder = builder.base_url(base);
        }
        if let Some(callback) = vars.callback_url("TWILIO_STATUS_CALLBACK", "status callback")? {
            builder = builder.status_callback(callback);
        }
        if let Some(number) = vars.optional("TWILIO_VOICE_FROM")? {
            builder = builder.voice_from(number);
        }
        Ok(builder)
    }

    /// The default sender (`From`), used when the SMS names none.
    #[must_use]
    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    /// Sends through a Messaging Service (`MG` + 32 hex digits).
    #[must_use]
    pub fn messaging_service_sid(mut self, sid: impl Into<String>) -> Self {
        self.messaging_service_sid = Some(sid.into());
        self
    }

    /// Where Twilio posts status callbacks (parse them with
    /// [`TwilioReceipts`](crate::transport::receipts::TwilioReceipts)).
    #[must_use]
    pub fn status_callback(mut self, url: impl Into<String>) -> Self {
        self.status_callback = Some(url.into());
        self
    }

    /// The number voice calls come from (one of the account's Twilio numbers). Default:
    /// the `From` number, when it is a number; an alphanumeric sender id cannot call.
    #[must_use]
    pub fn voice_from(mut self, number: impl Into<String>) -> Self {
        self.voice_from = Some(number.into());
        self
    }

    /// Overrides `https://api.twilio.com` (for tests or a proxy).
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
    pub fn build(self) -> Result<TwilioTransport, TransportConfigError> {
        check_account_sid(&self.account_sid)?;
        if self.auth_token.expose_secret().is_empty() {
            return Err(TransportConfigError::Invalid {
                setting: "auth token",
                reason: "empty",
            });
        }
        if let Some(sid) = &self.messaging_service_sid {
            check_messaging_service_sid(sid)?;
        }
        if self.from.as_deref().is_some_and(str::is_empty)
            || (self.from.is_none() && self.messaging_service_sid.is_none())
        {
            return Err(TransportConfigError::Invalid {
                setting: "sender",
                reason: "set a From number/id or a Messaging Service SID",
            });
        }
        let status_callback = self
            .status_callback
            .map(|u| http::callback_url(&u, "status callback"))
            .transpose()?;
        let base = http::base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE))?;
        let http = match self.http {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        let voice_from = self
            .voice_from
            .or_else(|| self.from.clone().filter(|f| f.starts_with('+')));
        Ok(TwilioTransport {
            http,
            endpoint: format!(
                "{base}/2010-04-01/Accounts/{}/Messages.json",
                self.account_sid
            ),
            calls_endpoint: format!("{base}/2010-04-01/Accounts/{}/Calls.json", self.account_sid),
            voice_from,
            account_sid: self.account_sid,
            auth_token: self.auth_token,
            from: self.from,
            messaging_service_sid: self.messaging_service_sid,
            status_callback,
        })
    }
}

fn check_account_sid(sid: &str) -> Result<(), TransportConfigError> {
    check_sid(sid, "AC", "account SID")
}

fn check_messaging_service_sid(sid: &str) -> Result<(), TransportConfigError> {
    check_sid(sid, "MG", "messaging service SID")
}

/// Twilio SIDs are a two-letter prefix and 32 hex digits; checking keeps anything
/// else out of the URL path.
fn check_sid(sid: &str, prefix: &str, setting: &'static str) -> Result<(), TransportConfigError> {
    let ok = sid
        .strip_prefix(prefix)
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(TransportConfigError::Invalid {
            setting,
            reason: "must be the two-letter prefix followed by 32 hex digits",
        })
    }
}

/// `ValidityPeriod`: whole seconds within Twilio's documented 1..=36000.
fn validity_period(sms: &Sms) -> i64 {
    sms.validity().whole_seconds().clamp(1, 36_000)
}

#[async_trait::async_trait]
impl SmsTransport for TwilioTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(PROVIDER))
    }

    async fn send(&self, sms: &Sms) -> Result<Receipt, TransportError> {
        let validity = validity_period(sms).to_string();
        let mut form: Vec<(&str, &str)> = vec![("To", sms.to().as_e164())];
        if let Some(from) = sms.sender().or(self.from.as_deref()) {
            form.push(("From", from));
        }
        if let Some(sid) = &self.messaging_service_sid {
            form.push(("MessagingServiceSid", sid));
        }
        form.push(("Body", sms.body().expose()));
        form.push(("ValidityPeriod", &validity));
        self.post_form(&self.endpoint, form).await
    }
}

impl TwilioTransport {
    /// Posts `form` (with the status callback, when configured) to one of the
    /// account's resources and reads the answer the way every Twilio resource answers.
    async fn post_form<'a>(
        &'a self,
        endpoint: &str,
        mut form: Vec<(&'a str, &'a str)>,
    ) -> Result<Receipt, TransportError> {
        if let Some(url) = &self.status_callback {
            form.push(("StatusCallback", url));
        }
        let request = self
            .http
            .inner
            .post(endpoint)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form);
        let answer = http::exchange(PROVIDER, request).await?;
        if answer.is_success() {
            return accepted(&answer);
        }
        Err(failure(&answer))
    }
}

fn accepted(answer: &Answer) -> Result<Receipt, TransportError> {
    let Some(json) = answer.json() else {
        return Err(answer.unreadable(PROVIDER, "a body that is not JSON"));
    };
    match json.get("sid").and_then(serde_json::Value::as_str) {
        Some(sid) if http::plausible_id(sid) => Ok(Receipt::new(PROVIDER, sid)),
        _ => Err(answer.unreadable(PROVIDER, "no message sid")),
    }
}

fn failure(answer: &Answer) -> TransportError {
    let code = answer
        .json()
        .and_then(|json| json.get("code").and_then(http::json_code));
    let Some(code) = code else {
        return answer.status_error(PROVIDER);
    };
    let (kind, detail) = match code.as_str() {
        "21211" | "21612" | "21614" => (
            TransportErrorKind::InvalidNumber,
            "the number is invalid or cannot receive SMS",
        ),
        "21610" => (
            TransportErrorKind::Blocked,
            "the recipient has opted out (STOP)",
        ),
        "20003" => (
            TransportErrorKind::Unauthorized,
            "the account credentials were refused",
        ),
        "20429" => (TransportErrorKind::Throttled, "too many requests"),
        "21606" | "21608" | "21408" | "21617" => (
            TransportErrorKind::Rejected,
            "the account cannot send this message (sender, region or length)",
        ),
        _ => match http::status_kind(answer.status) {
            TransportErrorKind::BadResponse => (
                TransportErrorKind::BadResponse,
                "an error code in a success answer",
            ),
            kind => (kind, "the request was refused"),
        },
    };
    answer
        .error(PROVIDER, kind, format!("HTTP {}: {detail}", answer.status))
        .with_provider_status(code)
}
