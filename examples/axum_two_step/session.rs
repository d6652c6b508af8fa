//! The session, kept in a cookie signed with HMAC-SHA256.
//!
//! The cookie is readable by its owner but cannot be forged or altered: the server
//! checks the signature (in constant time) before trusting a byte of it. It holds no
//! secret: a random session id, timestamps, the stage of the sign-in and, during the
//! second step, the challenge id (useless without the code the SMS carries).
//!
//! Cookies are stateless, so a copied cookie stays valid until it ages out. Two things
//! bound that here: every stage has a lifetime checked on the server, and signing out
//! bumps the account's epoch, which every signed-in cookie carries.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use smsotp::ChallengeId;
use time::OffsetDateTime;

use super::flash::Flash;
use super::i18n::Method;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Cookies longer than this are refused before any work.
const MAX_COOKIE_LEN: usize = 1536;

/// Where a visitor stands in signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Not signed in.
    Anonymous,
    /// The password was right; the second step is pending.
    SecondStep {
        /// The account.
        user: String,
        /// The SMS challenge, once one was started.
        challenge: Option<ChallengeId>,
        /// When the password was checked (Unix seconds).
        since: i64,
        /// The latest code was read out by a call rather than sent by SMS: the pages
        /// then speak of the call.
        called: bool,
    },
    /// Signed in.
    SignedIn {
        /// The account.
        user: String,
        /// The account's session epoch when this session began.
        epoch: u64,
        /// How the second step was passed.
        method: Method,
    },
}

/// One visitor's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Random, renewed whenever the privilege changes (no session fixation). The CSRF
    /// token is derived from it.
    pub id: [u8; 16],
    /// When this session id was issued (Unix seconds).
    pub issued: i64,
    /// The sign-in stage.
    pub stage: Stage,
    /// What the last form had to say, for the page it redirected to; shown once.
    pub flash: Option<Flash>,
}

impl Session {
    /// A fresh anonymous session.
    pub fn anonymous(now: OffsetDateTime) -> Self {
        Self::fresh(now, Stage::Anonymous)
    }

    /// A session with a new random id in `stage`.
    pub fn fresh(now: OffsetDateTime, stage: Stage) -> Self {
        let mut id = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut id);
        Self {
            id,
            issued: now.unix_timestamp(),
            stage,
            flash: None,
        }
    }

    /// This session, carrying `flash` to the next page.
    pub fn with_flash(&self, flash: Flash) -> Self {
        Self {
            flash: Some(flash),
            ..self.clone()
        }
    }

    fn encode_payload(&self) -> String {
        let id = URL_SAFE_NO_PAD.encode(self.id);
        let stage = match &self.stage {
            Stage::Anonymous => "anon".to_owned(),
            Stage::SecondStep {
                user,
                challenge,
                since,
                called,
            } => {
                let challenge = challenge.map_or_else(|| "-".to_owned(), |c| c.to_string());
                let by = if *called { "call" } else { "sms" };
                format!("step|{user}|{challenge}|{since}|{by}")
            }
            Stage::SignedIn {
                user,
                epoch,
                method,
            } => format!("in|{user}|{epoch}|{}", method.as_str()),
        };
        let flash = self
            .flash
            .as_ref()
            .map_or_else(|| "-".to_owned(), Flash::encode);
        format!("v2|{id}|{}|{flash}|{stage}", self.issued)
    }

    fn decode_payload(text: &str) -> Option<Self> {
        let mut f = text.split('|');
        if f.next()? != "v2" {
            return None;
        }
        let mut id = [0u8; 16];
        let raw = URL_SAFE_NO_PAD.decode(f.next()?).ok()?;
        if raw.len() != id.len() {
            return None;
        }
        id.copy_from_slice(&raw);
        let issued = f.next()?.parse().ok()?;
        let flash = match f.next()? {
            "-" => None,
            text => Some(Flash::decode(text)?),
        };
        let stage = match f.next()? {
            "anon" => Stage::Anonymous,
            "step" => {
                let user = f.next()?.to_owned();
                let challenge = match f.next()? {
                    "-" => None,
                    c => Some(c.parse().ok()?),
                };
                let since = f.next()?.parse().ok()?;
                let called = match f.next()? {
                    "call" => true,
                    "sms" => false,
                    _ => return None,
                };
                Stage::SecondStep {
                    user,
                    challenge,
                    since,
                    called,
                }
            }
            "in" => Stage::SignedIn {
                user: f.next()?.to_owned(),
                epoch: f.next()?.parse().ok()?,
                method: Method::parse(f.next()?)?,
            },
            _ => return None,
        };
        if f.next().is_some() {
            return None;
        }
        Some(Self {
            id,
            issued,
            stage,
            flash,
        })
    }
}

/// Signs and checks session cookies.
#[derive(Clone)]
pub struct CookieCodec {
    key: [u8; 32],
    secure: bool,
}

impl std::fmt::Debug for CookieCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieCodec")
            .field("key", &"[REDACTED]")
            .field("secure", &self.secure)
            .finish()
    }
}

impl CookieCodec {
    /// A codec signing with `key`. `secure` adds the `Secure` attribute and the
    /// `__Host-` name prefix, which pins the cookie to this exact host over HTTPS.
    pub fn new(key: [u8; 32], secure: bool) -> Self {
        Self { key, secure }
    }

    /// The cookie's name.
    pub fn name(&self) -> &'static str {
        if self.secure {
            "__Host-session"
        } else {
            "session"
        }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        <HmacSha256 as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    /// The `Set-Cookie` value for `session`. A cookie too long to be read back would
    /// sign the person out, so a flash that makes it so loses what was typed, and
    /// then itself: the session always comes back.
    pub fn set_cookie(&self, session: &Session) -> String {
        let mut value = self.value(session);
        if value.len() > MAX_COOKIE_LEN
            && let Some(flash) = &session.flash
        {
            let mut lighter = session.clone();
            lighter.flash = Some(flash.clone().with_typed(""));
            value = self.value(&lighter);
            if value.len() > MAX_COOKIE_LEN {
                lighter.flash = None;
                value = self.value(&lighter);
            }
            tracing::warn!("a notice was too long for the session cookie: trimmed");
        }
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}",
            self.name()
        )
    }

    /// The cookie's value: the payload and its tag.
    fn value(&self, session: &Session) -> String {
        let payload = URL_SAFE_NO_PAD.encode(session.encode_payload());
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    /// Whether a `Cookie` request header carries a session cookie at all, good or not.
    pub fn present(&self, cookie_header: &str) -> bool {
        cookie_header.split(';').any(|pair| {
            pair.trim()
                .split_once('=')
                .is_some_and(|(name, _)| name == self.name())
        })
    }

    /// The session in a `Cookie` request header, if one is there and its signature is
    /// good. Anything else (absent, altered, malformed) is `None`.
    pub fn read(&self, cookie_header: &str) -> Option<Session> {
        let value = cookie_header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == self.name()).then_some(value)
        })?;
        if value.len() > MAX_COOKIE_LEN {
            return None;
        }
        let (payload, tag) = value.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        // verify_slice compares in constant time.
        mac.verify_slice(&tag).ok()?;
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        Session::decode_payload(&text)
    }
}
