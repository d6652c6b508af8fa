//! `otpauth://` provisioning URIs (the Key Uri Format that authenticator apps scan from a
//! QR code):
//!
//! ```text
//! otpauth://totp/ACME%20Co:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co
//!     &algorithm=SHA1&digits=6&period=30
//! ```
//!
//! The label is `issuer:account`, percent-encoded (RFC 3986), and the issuer is repeated in
//! the `issuer` parameter for apps that read only one of them. Neither may contain a colon.

use std::fmt::Write as _;

use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{Algorithm, Hotp, OtpConfigError, OtpSecret, Totp};

/// The longest URI [`OtpAuthUri::parse`] reads.
pub const MAX_URI_LEN: usize = 4096;

const SCHEME: &str = "otpauth://";

/// A URI was refused, when building or parsing. Messages never include the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// It does not start with `otpauth://`.
    #[error("not an otpauth:// URI")]
    Scheme,
    /// The type is neither `totp` nor `hotp`.
    #[error("unknown OTP type; expected totp or hotp")]
    Type,
    /// Longer than [`MAX_URI_LEN`].
    #[error("the URI is longer than {max} bytes")]
    TooLong {
        /// Longest length read.
        max: usize,
    },
    /// A `%` escape is broken, or the decoded text is not UTF-8.
    #[error("invalid percent-encoding")]
    Encoding,
    /// The label has no account name.
    #[error("the label has no account name")]
    MissingAccount,
    /// Building a URI needs an issuer, so the app can tell accounts apart.
    #[error("an issuer is required")]
    MissingIssuer,
    /// The issuer or the account name contains a colon, which separates them in the label.
    #[error("the issuer and the account name must not contain a colon")]
    Colon,
    /// The `issuer` parameter and the label's issuer prefix differ.
    #[error("the issuer parameter does not match the label's issuer")]
    IssuerMismatch,
    /// A required parameter is missing (`secret`, or `counter` for HOTP).
    #[error("missing parameter `{0}`")]
    MissingParameter(&'static str),
    /// A parameter appears twice, so which one an app uses is anyone's guess.
    #[error("parameter `{0}` appears more than once")]
    DuplicateParameter(&'static str),
    /// A parameter's value is not valid (`algorithm`, `digits`, `period`, `counter`).
    #[error("invalid value for parameter `{0}`")]
    InvalidParameter(&'static str),
    /// URIs cannot carry T0, and apps assume the Unix epoch.
    #[error("a TOTP with a T0 other than the Unix epoch cannot be provisioned by URI")]
    UnsupportedT0,
    /// The secret or settings are refused (secret too short, 9 digits, ...).
    #[error(transparent)]
    Config(#[from] OtpConfigError),
}

/// What a provisioning URI sets up.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum OtpKind {
    /// A time-based generator (`otpauth://totp/...`).
    Totp(Totp),
    /// A counter-based generator (`otpauth://hotp/...`) and its starting counter.
    Hotp {
        /// The generator.
        hotp: Hotp,
        /// The first counter the app will use.
        counter: u64,
    },
}

/// A provisioning URI: a generator with the issuer and account name an authenticator app
/// shows next to its codes.
///
/// Its `Debug` is redacted; [`expose_uri`](Self::expose_uri) gives the URI text, which
/// contains the secret.
///
/// ```
/// use smsotp::otp::{OtpAuthUri, OtpKind};
///
/// let text = "otpauth://totp/ACME%20Co:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
///             &issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30";
/// let uri = OtpAuthUri::parse(text)?;
/// assert_eq!(uri.issuer(), Some("ACME Co"));
/// assert_eq!(uri.account(), "alice@example.com");
/// assert!(matches!(uri.kind(), OtpKind::Totp(totp) if totp.digits() == 6));
/// assert_eq!(*uri.expose_uri(), text);
/// # Ok::<_, smsotp::otp::UriError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OtpAuthUri {
    issuer: Option<String>,
    account: String,
    kind: OtpKind,
}

impl OtpAuthUri {
    /// A URI for a TOTP generator.
    ///
    /// # Errors
    /// [`UriError::MissingIssuer`] / [`UriError::MissingAccount`] when empty,
    /// [`UriError::Colon`] when either contains `:`, [`UriError::UnsupportedT0`] when T0 is
    /// not the epoch.
    pub fn totp(totp: Totp, issuer: &str, account: &str) -> Result<Self, UriError> {
        if totp.t0() != OffsetDateTime::UNIX_EPOCH {
            return Err(UriError::UnsupportedT0);
        }
        Self::new(OtpKind::Totp(totp), issuer, account)
    }

    /// A URI for a HOTP generator whose app starts at `counter`.
    ///
    /// # Errors
    /// As [`totp`](Self::totp), except for T0.
    pub fn hotp(hotp: Hotp, counter: u64, issuer: &str, account: &str) -> Result<Self, UriError> {
        Self::new(OtpKind::Hotp { hotp, counter }, issuer, account)
    }

    fn new(kind: OtpKind, issuer: &str, account: &str) -> Result<Self, UriError> {
        if issuer.is_empty() {
            return Err(UriError::MissingIssuer);
        }
        if account.is_empty() {
            return Err(UriError::MissingAccount);
        }
        if issuer.contains(':') || account.contains(':') {
            return Err(UriError::Colon);
        }
        Ok(Self {
            issuer: Some(issuer.to_owned()),
            account: account.to_owned(),
            kind,
        })
    }

    /// Reads a provisioning URI.
    ///
    /// Accepted leniently: any case in the scheme, type and algorithm name; `%3A` as well
    /// as `:` between issuer and account, and spaces after it; `+` for a space in
    /// parameter values (form encoding); parameters in any order; unknown parameters (such
    /// as `image`) ignored; `period` on HOTP and `counter` on TOTP ignored.
    ///
    /// Refused: an issuer or account name containing a colon (also when the issuer is
    /// given only as a parameter), a missing or non-base32 `secret`, a secret under 16 bytes (decode 80-bit
    /// legacy secrets yourself with [`OtpSecret::from_base32_legacy`]), a repeated
    /// parameter, an `issuer` parameter that contradicts the label, digits outside 6-8, and
    /// unknown algorithms. The generator gets the default skew or look-ahead; change it
    /// with `into_builder`.
    ///
    /// # Errors
    /// A [`UriError`] naming what is wrong, never the secret.
    pub fn parse(uri: &str) -> Result<Self, UriError> {
        if uri.len() > MAX_URI_LEN {
            return Err(UriError::TooLong { max: MAX_URI_LEN });
        }
        let rest = uri
            .get(..SCHEME.len())
            .filter(|s| s.eq_ignore_ascii_case(SCHEME))
            .and_then(|_| uri.get(SCHEME.len()..))
            .ok_or(UriError::Scheme)?;
        if rest.contains('#') {
            return Err(UriError::InvalidParameter("fragment"));
        }
        let (kind_name, rest) = rest.split_once('/').ok_or(UriError::MissingAccount)?;
        let is_totp = if kind_name.eq_ignore_ascii_case("totp") {
            true
        } else if kind_name.eq_ignore_ascii_case("hotp") {
            false
        } else {
            return Err(UriError::Type);
        };
        let (raw_label, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (label_issuer, account) = parse_label(raw_label)?;
        let params = Params::parse(query)?;

        let issuer = match (label_issuer, params.issuer) {
            (Some(a), Some(b)) if a != b => return Err(UriError::IssuerMismatch),
            (a, b) => a.or(b),
        };
        // A label issuer never holds a colon (the first one ends it), but an issuer
        // given only as a parameter could, and then the label written for it by
        // `expose_uri` would read back differently.
        if issuer.as_deref().is_some_and(|i| i.contains(':')) {
            return Err(UriError::Colon);
        }
        let secret_text = params.secret.ok_or(UriError::MissingParameter("secret"))?;
        let secret = OtpSecret::from_base32(&secret_text)?;
        let algorithm = match params.algorithm.as_deref() {
            None => Algorithm::default(),
            Some(name) => {
                Algorithm::from_uri_name(name).ok_or(UriError::InvalidParameter("algorithm"))?
            }
        };
        let digits = match params.digits.as_deref() {
            None => super::DEFAULT_DIGITS,
            Some(d) => parse_number::<u8>(d, "digits")?,
        };

        let kind = if is_totp {
            let period = match params.period.as_deref() {
                None => super::DEFAULT_PERIOD_SECS,
                Some(p) => parse_number::<u64>(p, "period")?,
            };
            let period = i64::try_from(period).map_err(|_| UriError::InvalidParameter("period"))?;
            OtpKind::Totp(
                Totp::builder(secret)
                    .algorithm(algorithm)
                    .digits(digits)
                    .period(time::Duration::seconds(period))
                    .build()?,
            )
        } else {
            let counter = params
                .counter
                .as_deref()
                .ok_or(UriError::MissingParameter("counter"))?;
            OtpKind::Hotp {
                counter: parse_number::<u64>(counter, "counter")?,
                hotp: Hotp::builder(secret)
                    .algorithm(algorithm)
                    .digits(digits)
                    .build()?,
            }
        };
        Ok(Self {
            issuer,
            account,
            kind,
        })
    }

    /// The URI text. It contains the secret: render it as a QR code for the person
    /// enrolling, and do not log or store it.
    #[must_use]
    pub fn expose_uri(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(256));
        out.push_str(SCHEME);
        let (kind, secret, algorithm, digits) = match &self.kind {
            OtpKind::Totp(t) => ("totp", t.secret(), t.algorithm(), t.digits()),
            OtpKind::Hotp { hotp, .. } => ("hotp", hotp.secret(), hotp.algorithm(), hotp.digits()),
        };
        out.push_str(kind);
        out.push('/');
        if let Some(issuer) = &self.issuer {
            percent_encode(&mut out, issuer);
            out.push(':');
        }
        percent_encode(&mut out, &self.account);
        out.push_str("?secret=");
        out.push_str(&secret.expose_base32());
        if let Some(issuer) = &self.issuer {
            out.push_str("&issuer=");
            percent_encode(&mut out, issuer);
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "&algorithm={algorithm}&digits={digits}");
        let _ = match &self.kind {
            OtpKind::Totp(t) => write!(out, "&period={}", t.period().whole_seconds()),
            OtpKind::Hotp { counter, .. } => write!(out, "&counter={counter}"),
        };
        out
    }

    /// The issuer (service name), if the URI has one.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The account name.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The generator.
    #[must_use]
    pub fn kind(&self) -> &OtpKind {
        &self.kind
    }

    /// The generator, by value.
    #[must_use]
    pub fn into_kind(self) -> OtpKind {
        self.kind
    }
}

/// Known query parameters, each at most once.
#[derive(Default)]
struct Params {
    secret: Option<Zeroizing<String>>,
    issuer: Option<String>,
    algorithm: Option<String>,
    digits: Option<String>,
    period: Option<String>,
    counter: Option<String>,
}

impl Params {
    fn parse(query: &str) -> Result<Self, UriError> {
        let mut params = Self::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, slot): (&'static str, &mut Option<String>) = match key {
                "secret" => {
                    if params.secret.is_some() {
                        return Err(UriError::DuplicateParameter("secret"));
                    }
                    params.secret = Some(Zeroizing::new(percent_decode(raw, true)?));
                    continue;
                }
                "issuer" => ("issuer", &mut params.issuer),
                "algorithm" => ("algorithm", &mut params.algorithm),
                "digits" => ("digits", &mut params.digits),
                "period" => ("period", &mut params.period),
                "counter" => ("counter", &mut params.counter),
                _ => continue,
            };
            if slot.is_some() {
                return Err(UriError::DuplicateParameter(name));
            }
            *slot = Some(percent_decode(raw, true)?);
        }
        Ok(params)
    }
}

/// Splits a raw label into the issuer prefix and the account name.
fn parse_label(raw: &str) -> Result<(Option<String>, String), UriError> {
    let label = percent_decode(raw, false)?;
    let (issuer, account) = match label.split_once(':') {
        Some((issuer, account)) => (Some(issuer), account),
        None => (None, label.as_str()),
    };
    // The format allows spaces after the separator: "ACME Co: alice".
    let account = account.trim_start_matches(' ');
    if account.contains(':') {
        return Err(UriError::Colon);
    }
    if account.is_empty() {
        return Err(UriError::MissingAccount);
    }
    let issuer = issuer.filter(|i| !i.is_empty()).map(str::to_owned);
    Ok((issuer, account.to_owned()))
}

/// Digits only: `str::parse` would also take a leading `+`.
fn parse_number<T: std::str::FromStr>(text: &str, name: &'static str) -> Result<T, UriError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UriError::InvalidParameter(name));
    }
    text.parse().map_err(|_| UriError::InvalidParameter(name))
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `@` (a valid path
/// and query character that keeps e-mail account names readable).
fn percent_encode(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, UriError> {
    // Wiped on every exit that does not hand it over: it may hold the secret.
    let mut bytes = Zeroizing::new(Vec::with_capacity(text.len()));
    let mut iter = text.bytes();
    while let Some(b) = iter.next() {
        match b {
            b'%' => {
                let hi = iter.next().and_then(hex_value).ok_or(UriError::Encoding)?;
                let lo = iter.next().and_then(hex_value).ok_or(UriError::Encoding)?;
                bytes.push(hi << 4 | lo);
            }
            b'+' if plus_is_space => bytes.push(b' '),
            _ => bytes.push(b),
        }
    }
    String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
        drop(Zeroizing::new(e.into_bytes()));
        UriError::Encoding
    })
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
