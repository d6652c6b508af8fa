//! Vonage Voice API: a call whose NCCO `talk` action reads the code.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::PrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Sha256;

use super::http::{self, Answer, HttpClient, TransportConfigError, Vars};
use super::{Call, Provider, Receipt, TransportError, TransportErrorKind, VoiceTransport};
use crate::clock::{Clock, SystemClock};

const PROVIDER: &str = "vonage";
const DEFAULT_BASE: &str = "https://api.nexmo.com";
/// How long each application JWT is valid: one is made per call, so a short life
/// limits what a leaked request could be replayed for.
const TOKEN_LIFE_SECONDS: i64 = 300;

/// Places calls through Vonage's Voice API: `POST {base}/v1/calls`, JSON, authorised
/// by an application JWT (RS256 over `{application_id, iat, exp, jti}`, signed with the
/// application's private key, a new token per call).
///
/// Body: `to` and `from` as `{"type": "phone", "number": <digits without +>}`, and an
/// NCCO of one `talk` action with the speech's SSML as `text`, its `language`
/// (`en-US`, `ja-JP`) and `loop`; plus `event_url` when configured (call status
/// events). A `201` with a `uuid` is accepted; errors are classified by HTTP status
/// (401 unauthorized, 429 throttled with `Retry-After`, 5xx unavailable, other 4xx
/// rejected), and Vonage's error text is never copied into ours.
pub struct VonageVoiceTransport {
    http: HttpClient,
    endpoint: String,
    application_id: String,
    key: SigningKey<Sha256>,
    from: String,
    event_url: Option<String>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for VonageVoiceTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageVoiceTransport")
            .field("endpoint", &self.endpoint)
            .field("application_id", &self.application_id)
            .field("private_key", &"[REDACTED]")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Configures a [`VonageVoiceTransport`].
pub struct VonageVoiceBuilder {
    application_id: String,
    private_key_pem: secrecy::SecretString,
    from: String,
    event_url: Option<String>,
    base_url: Option<String>,
    http: Option<HttpClient>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for VonageVoiceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VonageVoiceBuilder")
            .field("application_id", &self.application_id)
            .field("private_key", &"[REDACTED]")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl VonageVoiceTransport {
    /// Starts configuring calls for the Vonage application `application_id`, signed
    /// with its PKCS#8 PEM private key, coming from the number `from`.
    #[must_use]
    pub fn builder(
        application_id: impl Into<String>,
        private_key_pem: impl Into<secrecy::SecretString>,
        from: impl Into<String>,
    ) -> VonageVoiceBuilder {
        VonageVoiceBuilder {
            application_id: application_id.into(),
            private_key_pem: private_key_pem.into(),
            from: from.into(),
            event_url: None,
            base_url: None,
            http: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// A transport configured from `VONAGE_APPLICATION_ID`, `VONAGE_PRIVATE_KEY` (the
    /// PEM text) or `VONAGE_PRIVATE_KEY_PATH`, `VONAGE_VOICE_FROM`, and the optional
    /// `VONAGE_VOICE_BASE_URL` and `VONAGE_EVENT_URL`.
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, TransportConfigError> {
        VonageVoiceBuilder::from_lookup(http::process_env)?.build()
    }
}

impl VonageVoiceBuilder {
    /// A builder filled from a lookup of the same variables as
    /// [`VonageVoiceTransport::from_env`].
    ///
    /// # Errors
    /// [`TransportConfigError`] naming the missing or malformed variable.
    pub fn from_lookup(
        lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, TransportConfigError> {
        let mut vars = Vars::new(lookup);
        let application_id = vars.required("VONAGE_APPLICATION_ID")?;
        let pem = match vars.optional("VONAGE_PRIVATE_KEY")? {
            // Environments often hold a PEM with its line breaks written as `\n`.
            Some(pem) => pem.replace("\\n", "\n"),
            None => {
                let path = vars.required("VONAGE_PRIVATE_KEY_PATH")?;
                std::fs::read_to_string(&path).map_err(|_| TransportConfigError::MalformedVar {
                    var: "VONAGE_PRIVATE_KEY_PATH",
                    reason: "cannot be read",
                })?
            }
        };
        let from = vars.required("VONAGE_VOICE_FROM")?;
        let mut builder = VonageVoiceTransport::builder(application_id, pem, from);
        if let Some(base) = vars.base_url("VONAGE_VOICE_BASE_URL")? {
            builder = builder.base_url(base);
        }
        if let Some(url) = vars.callback_url("VONAGE_EVENT_URL", "event URL")? {
            builder = builder.event_url(url);
        }
        Ok(builder)
    }

    /// Where Vonage posts call status events.
    #[must_use]
    pub fn event_url(mut self, url: impl Into<String>) -> Self {
        self.event_url = Some(url.into());
        self
    }

    /// Overrides `https://api.nexmo.com` (for tests or a proxy).
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

    /// The clock the tokens' `iat` and `exp` come from. Default: [`SystemClock`].
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the settings (the key must parse) and builds the transport.
    ///
    /// # Errors
    /// [`TransportConfigError::Invalid`] naming the bad setting.
    pub fn build(self) -> Result<VonageVoiceTransport, TransportConfigError> {
        use secrecy::ExposeSecret as _;
        let id_ok = !self.application_id.is_empty()
            && self.application_id.len() <= 64
            && self
                .application_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !id_ok {
            return Err(TransportConfigError::Invalid {
                setting: "application id",
                reason: "must be the application's UUID",
            });
        }
        let key =
            PrivateKey::from_pkcs8_pem(self.private_key_pem.expose_secret()).map_err(|_| {
                TransportConfigError::Invalid {
                    setting: "private key",
                    reason: "must be the application's PKCS#8 PEM RSA private key",
                }
            })?;
        let from = digits(&self.from).ok_or(TransportConfigError::Invalid {
            setting: "voice caller number",
            reason: "must be a number in E.164 form",
        })?;
        let event_url = self
            .event_url
            .map(|u| http::callback_url(&u, "event URL"))
            .transpose()?;
        let base = http::base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE))?;
        Ok(VonageVoiceTransport {
            http: match self.http {
                Some(client) => client,
                None => HttpClient::new()?,
            },
            endpoint: format!("{base}/v1/calls"),
            application_id: self.application_id,
            key: SigningKey::<Sha256>::new(key),
            from,
            event_url,
            clock: self.clock,
        })
    }
}

/// An E.164 number's digits without `+`, as Vonage takes them.
fn digits(number: &str) -> Option<String> {
    let rest = number.strip_prefix('+').unwrap_or(number);
    ((1..=15).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()))
        .then(|| rest.to_owned())
}

impl VonageVoiceTransport {
    /// A fresh application JWT: RS256 over `application_id`, `iat`, `exp` and a random
    /// `jti`.
    fn token(&self) -> String {
        let now = self.clock.now().unix_timestamp();
        let mut jti = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut jti);
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "application_id": self.application_id,
            "iat": now,
            "exp": now + TOKEN_LIFE_SECONDS,
            "jti": URL_SAFE_NO_PAD.encode(jti),
        });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let signature = self.key.sign(signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }
}

#[async_trait::async_trait]
impl VoiceTransport for VonageVoiceTransport {
    fn provider_name(&self) -> Option<Provider> {
        Some(Provider::new(PROVIDER))
    }

    async fn call(&self, call: &Call) -> Result<Receipt, TransportError> {
        let to = digits(call.to().as_e164()).unwrap_or_default();
        let mut body = serde_json::json!({
            "to": [{"type": "phone", "number": to}],
            "from": {"type": "phone", "number": self.from},
            "ncco": [{
                "action": "talk",
                "text": call.speech().expose_ssml(),
                "language": call.language_tag(),
                "loop": call.repeat(),
            }],
        });
        if let Some(url) = &self.event_url {
            body["event_url"] = serde_json::json!([url]);
        }
        let request = self
            .http
            .inner
            .post(&self.endpoint)
            .bearer_auth(self.token())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body);
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
    match json.get("uuid").and_then(serde_json::Value::as_str) {
        Some(uuid) if http::plausible_id(uuid) => Ok(Receipt::new(PROVIDER, uuid)),
        _ => Err(answer.unreadable(PROVIDER, "no call uuid")),
    }
}

fn failure(answer: &Answer) -> TransportError {
    match http::status_kind(answer.status) {
        TransportErrorKind::BadResponse => answer.status_error(PROVIDER),
        kind => answer.error(
            PROVIDER,
            kind,
            format!("HTTP {}: the call was refused", answer.status),
        ),
    }
}
