//! The two-step sign-in app: its configuration, routes, shared state, the request
//! context every handler starts from, and the demo account.
//!
//! Built by [`app`] from a [`Config`], so `main.rs` runs it with real parts and the
//! tests run the very same code with a recording transport and a manual clock.
//!
//! Flow: password (`/`, [`sign_in`]), then how the second factor comes (`/choose`),
//! a code by SMS or a call (`/verify`, [`second_step`]) or another way in
//! (`/other-way`, [`other_way`]: an authenticator app or a recovery code), then
//! `/account` ([`account`], [`phone`]). Every form answers with a redirect to a page
//! ([`flash`]); [`delivery`] serves the code page's live delivery line and the
//! providers' reports; [`throttle`] counts failures before anything is compared.

// Paths are spelled out so this file finds its siblings both as `main.rs`'s module and
// when a test includes it with `#[path]`.
#[path = "account.rs"]
mod account;
#[path = "csrf.rs"]
mod csrf;
#[path = "delivery.rs"]
mod delivery;
#[path = "flash.rs"]
mod flash;
#[path = "i18n.rs"]
pub mod i18n;
#[path = "other_way.rs"]
mod other_way;
#[path = "pages.rs"]
mod pages;
#[path = "phone.rs"]
mod phone;
#[path = "second_step.rs"]
mod second_step;
#[path = "session.rs"]
mod session;
#[path = "sign_in.rs"]
mod sign_in;
#[path = "stage_guards.rs"]
mod stage_guards;
#[path = "throttle.rs"]
mod throttle;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use argon2::password_hash::PasswordVerifier;
use argon2::{Argon2, PasswordHash, PasswordHasher};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use smsotp::message::{Body, Locale, Longest, MessageTemplate, minutes_left};
use smsotp::otp::{Algorithm, OtpError, OtpSecret, Totp};
use smsotp::phone::NumberKind;
use smsotp::policy::CountryPolicy;
use smsotp::recovery::{RecoveryCodes, RecoveryError, RecoverySet};
use smsotp::transport::receipts::{Callback, DeliveryReceipts, ReceiptError};
use smsotp::transport::{ConsoleTransport, Sms, VoiceTransport};
use smsotp::{
    Binding, ChallengeId, Clock, CodeSpec, DeliveryStatus, Error, MemoryStore, Phase, PhoneError,
    PhoneNumber, Purpose, Region, Secret, SmsTransport, StartOptions, Status, Store, SystemClock,
    Verdict, Verifier, VerifierBuilder,
};
use time::{Duration, OffsetDateTime};

use self::account::{account_page, sign_out};
use self::csrf::Csrf;
use self::delivery::{delivery_json, delivery_view, receipt};
use self::flash::Flash;
use self::i18n::{Lang, Method, Msg};
use self::other_way::{other_way_page, other_way_recovery, other_way_totp};
use self::pages::{
    Chrome, CodeInput, DeliveryState, DeliveryView, Fallback, Help, Live, Notice, Page, Sent,
};
use self::phone::{
    phone_code_page, phone_confirm, phone_confirm_page, phone_page, phone_submit, phone_verify,
};
use self::second_step::{
    call_me, choose_page, choose_submit, finish, resend, send_by_sms, send_failure, verify_code,
    verify_page,
};
use self::session::{CookieCodec, Session, Stage};
use self::sign_in::{ended, home, sign_in};
use self::stage_guards::{SecondStep, SignedIn};
use self::throttle::{Strikes, Throttle, Throttles};

/// How long a signed-in session lasts.
const SESSION_TTL: Duration = Duration::hours(12);
/// How long the second step may take after the password was accepted.
const SECOND_STEP_TTL: Duration = Duration::minutes(15);
/// Wrong passwords for one username from one client, or wrong fallback codes for one
/// account, before that door pauses.
const MAX_FAILURES: u32 = 10;
/// Wrong passwords from one client, whatever the usernames, before that client pauses:
/// credential stuffing tries many accounts a few times each. Generous, because many
/// people can share one address (a household, an office, a carrier's NAT).
const MAX_CLIENT_FAILURES: u32 = 30;
/// Wrong passwords for one username, from anywhere, before each further attempt at it
/// is slowed (see [`Config::password_delay_step`]).
const FREE_ACCOUNT_FAILURES: u32 = 20;
/// The longest any password attempt is held: slow enough to make guessing one account
/// from many addresses impractical, short enough that its owner still gets in.
const MAX_PASSWORD_DELAY: Duration = Duration::seconds(8);
/// The largest form body accepted, in bytes.
const MAX_FORM_BYTES: usize = 16 * 1024;
/// Argon2 checks allowed at once (each holds about 19 MiB while it runs).
const HASH_PERMITS: usize = 2;
/// The wait between two SMS of one challenge (the verifier's default, set explicitly
/// because the code page works out when the latest SMS went from it).
const RESEND_COOLDOWN: Duration = Duration::seconds(60);
/// With no delivery confirmed this long after the latest SMS, the code page says what
/// to check. Most SMS land within seconds; a minute and a half is past the usual.
const HELP_AFTER: Duration = Duration::seconds(90);
/// "Delivered" this long ago and still no code typed: perhaps it is not this person's
/// phone, so the page says what to check, the number on the account included.
const HELP_AFTER_DELIVERED: Duration = Duration::minutes(3);
/// The purpose of codes that confirm a new number. Its own purpose, so a sign-in code
/// can never approve a change of number, and its own (stricter) country policy.
const CHANGE_PHONE: &str = "change-phone";
/// Countries whose numbers may be added. Signing in to a number already confirmed
/// follows the general policy; adding one is where SMS pumping happens (Login.gov
/// keeps `supports_sms_unconfirmed` apart from `supports_sms` for this reason).
const ADD_NUMBER_COUNTRIES: [u16; 1] = [81];

/// What the app is built from. [`Config::new`] gives working development defaults.
pub struct Config {
    /// The site's host name: the SMS's origin-bound line names it, so browsers only
    /// autofill the code there. Configured, never taken from the request's Host header.
    pub domain: String,
    /// The name shown on pages and in the SMS.
    pub brand: String,
    /// Signs session cookies and keys CSRF tokens. Keep it secret and stable across
    /// restarts and instances, or everyone is signed out.
    pub server_key: [u8; 32],
    /// The verifier's key for code digests; shared by every instance.
    pub secret: Secret,
    /// Send cookies only over HTTPS (and name them `__Host-session`).
    pub cookie_secure: bool,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Where challenges and send counters live.
    pub store: Arc<dyn Store>,
    /// How SMS are sent.
    pub transport: Arc<dyn SmsTransport>,
    /// How calls that read the code are placed ("call me with the code instead");
    /// `None` offers no call. The console in development, which prints the words.
    pub voice: Option<Arc<dyn VoiceTransport>>,
    /// The SMS code's alphabet and length.
    pub code_spec: CodeSpec,
    /// Settings for the demo accounts' recovery codes.
    pub recovery: RecoveryCodes,
    /// Parsers for signed delivery reports, by the last path segment of their
    /// endpoint: `("webhook", parser)` serves `POST /receipts/webhook`.
    pub receipts: Vec<(&'static str, Arc<dyn DeliveryReceipts>)>,
    /// The URL the providers call back, scheme and host (`https://example.com`),
    /// without a trailing slash: Twilio signs the full URL it called.
    pub public_url: String,
    /// Adjusts the verifiers before they are built: send limits, a spend cap, country
    /// policy, attempts, the subject ceiling. The identity by default.
    pub tune: fn(VerifierBuilder) -> VerifierBuilder,
    /// Only behind a reverse proxy you run: the header it puts the client's address in
    /// (`x-forwarded-for`). Its *last* address is used: the one your proxy appended
    /// (nginx's `$proxy_add_x_forwarded_for`, AWS ALB and most CDNs append), never one
    /// the client wrote in front of it. Behind several proxies of yours, have the
    /// outermost one overwrite a header of its own (`x-real-ip`) and name that one.
    /// Unset (the default), the peer address is the client, and a header a client
    /// sends is ignored.
    pub client_header: Option<String>,
    /// How much longer each wrong password past [`FREE_ACCOUNT_FAILURES`] for one
    /// username (from any address) makes the next attempt at it wait, up to
    /// [`MAX_PASSWORD_DELAY`]: the per-account part of the password door, which slows
    /// a botnet without locking the owner out. 250 ms by default.
    pub password_delay_step: Duration,
}

impl Config {
    /// Development defaults: random keys, memory store, console transport, system
    /// clock, insecure (HTTP) cookies.
    pub fn new(domain: impl Into<String>) -> Self {
        let mut server_key = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut server_key);
        Self {
            domain: domain.into(),
            brand: "Example".to_owned(),
            server_key,
            secret: Secret::generate(),
            cookie_secure: false,
            clock: Arc::new(SystemClock),
            store: Arc::new(MemoryStore::new()),
            transport: Arc::new(ConsoleTransport::new()),
            voice: Some(Arc::new(ConsoleTransport::new())),
            code_spec: CodeSpec::default(),
            recovery: RecoveryCodes::new(),
            receipts: Vec::new(),
            public_url: "http://localhost:3000".to_owned(),
            tune: |builder| builder,
            client_header: None,
            password_delay_step: Duration::milliseconds(250),
        }
    }
}

/// A demo account as set up at start, with the secrets a person would have: for
/// printing at start-up, and for tests to act as that person.
pub struct DemoAccount {
    pub username: String,
    pub password: String,
    pub phone: PhoneNumber,
    /// The authenticator app's view of the account.
    #[allow(dead_code)] // the tests compute codes with it; main prints the URI instead
    pub totp: Totp,
    /// `otpauth://` URI to add the account to an authenticator app.
    pub otpauth_uri: String,
    /// The recovery codes, as shown once at set-up.
    pub recovery_codes: Vec<String>,
}

/// What the app hands back besides its router.
pub struct Handles {
    pub accounts: Vec<DemoAccount>,
    /// The longest SMS of each verifier (sign-in and new-number codes, English and
    /// Japanese): each fits one segment, or the builder would have refused it.
    pub longest_sms: Vec<(&'static str, Longest)>,
}

/// Why the app could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("verifier configuration: {0}")]
    Config(#[from] smsotp::ConfigError),
    #[error("recovery codes: {0}")]
    Recovery(#[from] RecoveryError),
    #[error("demo account: {0}")]
    Demo(String),
}

/// Builds the app.
///
/// # Errors
/// [`AppError`] when the configuration is refused.
pub fn app(config: Config) -> Result<(Router, Handles), AppError> {
    let change_phone = Purpose::new(CHANGE_PHONE).map_err(|e| AppError::Demo(e.to_string()))?;
    let verifier = |locale, purpose: &Purpose| {
        let template = sms_template(&config.brand, locale, purpose, &config.domain)?;
        // Verifiers on the same keys and store: they differ only in the SMS's
        // language and wording, so a code sent by one is checked by any.
        let mut builder = Verifier::builder(config.secret.clone())
            .shared_store(config.store.clone())
            .transport(config.transport.clone())
            .clock(config.clock.clone())
            .code_spec(config.code_spec.clone())
            .resend_cooldown(RESEND_COOLDOWN)
            .countries_for(
                change_phone.clone(),
                CountryPolicy::allow(ADD_NUMBER_COUNTRIES),
            )
            .template(template);
        if let Some(voice) = &config.voice {
            builder = builder.voice(voice.clone());
        }
        (config.tune)(builder).build().map_err(AppError::from)
    };
    let mut longest_sms = Vec::new();
    for (name, locale, purpose) in [
        ("sign-in, English", Locale::En, Purpose::login()),
        ("sign-in, Japanese", Locale::Ja, Purpose::login()),
        ("new number, English", Locale::En, change_phone.clone()),
        ("new number, Japanese", Locale::Ja, change_phone.clone()),
    ] {
        let template = sms_template(&config.brand, locale, &purpose, &config.domain)?;
        // The same measure the builder applies: the longest code, at the full ttl
        // (the verifier's default 5 minutes unless `tune` changes it).
        let spec = &config.code_spec;
        longest_sms.push((
            name,
            template.longest(spec.alphabet().symbols(), spec.length(), 5),
        ));
    }
    let en = verifier(Locale::En, &Purpose::login())?;
    let ja = verifier(Locale::Ja, &Purpose::login())?;
    let enrol_en = verifier(Locale::En, &change_phone)?;
    let enrol_ja = verifier(Locale::Ja, &change_phone)?;
    let input = CodeInput {
        length: config.code_spec.length(),
        digits_only: config
            .code_spec
            .alphabet()
            .symbols()
            .bytes()
            .all(|b| b.is_ascii_digit()),
    };

    let (demo, account) = demo_account(&config)?;
    let accounts = HashMap::from([(demo.username.clone(), account)]);
    let state = Arc::new(AppState {
        en,
        ja,
        enrol_en,
        enrol_ja,
        change_phone,
        transport: config.transport.clone(),
        voice: config.voice.is_some(),
        hashing: tokio::sync::Semaphore::new(HASH_PERMITS),
        sign_in_throttles: Throttles::default(),
        client_throttles: Throttles::default(),
        account_strikes: Strikes::default(),
        password_delay_step: config.password_delay_step,
        client_header: config.client_header.clone(),
        receipts: config.receipts,
        public_url: config.public_url,
        reports: Mutex::new(HashMap::new()),
        accounts: Mutex::new(accounts),
        dummy_hash: hash_password("not a password of anyone")?,
        cookies: CookieCodec::new(
            derive_key(&config.server_key, b"cookie"),
            config.cookie_secure,
        ),
        csrf: Csrf::new(derive_key(&config.server_key, b"csrf")),
        clock: config.clock,
        brand: config.brand,
        input,
    });

    let router = Router::new()
        .route("/", get(home))
        .route("/sign-in", post(sign_in))
        .route("/choose", get(choose_page).post(choose_submit))
        .route("/verify", get(verify_page).post(verify_code))
        .route("/verify/delivery", get(delivery_json))
        .route("/resend", post(resend))
        .route("/call", post(call_me))
        .route("/receipts/{provider}", post(receipt))
        .route("/phone", get(phone_page).post(phone_submit))
        .route(
            "/phone/confirm",
            get(phone_confirm_page).post(phone_confirm),
        )
        .route("/phone/verify", get(phone_code_page).post(phone_verify))
        .route("/other-way", get(other_way_page))
        .route("/other-way/totp", post(other_way_totp))
        .route("/other-way/recovery", post(other_way_recovery))
        .route("/account", get(account_page))
        .route("/sign-out", post(sign_out))
        .fallback(not_found)
        // Every form here is a few short fields; a larger body is refused (413) before
        // anything reads it.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            themed_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            no_cookie_for_cookieless_posts,
        ))
        .with_state(state);
    Ok((
        router,
        Handles {
            accounts: vec![demo],
            longest_sms,
        },
    ))
}

/// Serves `router` on `listener`, passing each request's peer address to the
/// handlers (the key of the per-client send limit).
///
/// # Errors
/// When accepting connections fails.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// The SMS: names the brand and the action, and ends with the origin-bound line for
/// the configured domain (`@example.com #7KQ4MP`). The builder refuses it if its
/// longest form would take two SMS segments.
fn sms_template(
    brand: &str,
    locale: Locale,
    purpose: &Purpose,
    domain: &str,
) -> Result<MessageTemplate, AppError> {
    let sign_in = *purpose == Purpose::login();
    let phrase = match (locale, sign_in) {
        (Locale::Ja, true) => "ログイン",
        (Locale::Ja, false) => "番号確認",
        (_, true) => "sign in",
        (_, false) => "confirm your number",
    };
    MessageTemplate::new(brand, locale)
        .with_purpose(phrase)
        .and_then(|t| t.with_origin(domain))
        .map_err(|e| AppError::Demo(format!("SMS template for {domain:?}: {e}")))
}

fn derive_key(server_key: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(server_key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes): OWASP's minimum for passwords.
fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut salt);
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AppError::Demo("password hashing failed".into()))
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

fn demo_account(config: &Config) -> Result<(DemoAccount, Account), AppError> {
    let username = "alice".to_owned();
    let password = "correct-horse".to_owned();
    let phone = PhoneNumber::parse("090-1234-5678", Region::JP)
        .map_err(|e| AppError::Demo(e.to_string()))?;
    let totp = Totp::builder(OtpSecret::generate(Algorithm::Sha1))
        .build()
        .map_err(|e| AppError::Demo(e.to_string()))?;
    let otpauth_uri = smsotp::otp::OtpAuthUri::totp(totp.clone(), &config.brand, &username)
        .map_err(|e| AppError::Demo(e.to_string()))?
        .expose_uri()
        .to_string();
    let (shown, set) = config.recovery.generate()?;
    let account = Account {
        password_hash: hash_password(&password)?,
        phone: phone.clone(),
        totp: totp.clone(),
        last_totp_step: None,
        recovery: set.to_stored(),
        pending_phone: None,
        epoch: 0,
        fallback_failures: Throttle::default(),
        second_step_locked: None,
        preferred: None,
    };
    let demo = DemoAccount {
        username,
        password,
        phone,
        totp,
        otpauth_uri,
        recovery_codes: shown.expose().clone(),
    };
    Ok((demo, account))
}

struct AppState {
    en: Verifier,
    ja: Verifier,
    /// The same, with the SMS wording for confirming a new number.
    enrol_en: Verifier,
    enrol_ja: Verifier,
    change_phone: Purpose,
    /// For the notice to the old number after a change (not a code).
    transport: Arc<dyn SmsTransport>,
    /// Whether a call can carry the code ("call me with the code instead").
    voice: bool,
    /// Permits for Argon2 checks in flight (password and recovery doors).
    hashing: tokio::sync::Semaphore,
    /// Wrong passwords per (username as typed, client), known usernames or not.
    sign_in_throttles: Throttles<(String, String), MAX_FAILURES>,
    /// Wrong passwords per client, across every username.
    client_throttles: Throttles<String, MAX_CLIENT_FAILURES>,
    /// Wrong passwords per username typed, from anywhere: they slow, never lock.
    account_strikes: Strikes<String>,
    password_delay_step: Duration,
    /// A request header naming the client behind a trusted reverse proxy.
    client_header: Option<String>,
    receipts: Vec<(&'static str, Arc<dyn DeliveryReceipts>)>,
    public_url: String,
    /// When the latest delivery report of each challenge arrived, so the code page
    /// does not show a report about an earlier SMS as the latest one's. In memory:
    /// one instance; bounded by pruning entries older than the second step.
    reports: Mutex<HashMap<ChallengeId, OffsetDateTime>>,
    accounts: Mutex<HashMap<String, Account>>,
    /// Checked for unknown usernames, so they take as long as known ones.
    dummy_hash: String,
    cookies: CookieCodec,
    csrf: Csrf,
    clock: Arc<dyn Clock>,
    brand: String,
    input: CodeInput,
}

/// An account as the server keeps it: no secret in clear except the TOTP key, which
/// the server must have to compute codes.
struct Account {
    password_hash: String,
    phone: PhoneNumber,
    totp: Totp,
    /// The last TOTP step accepted; refuses replays (RFC 6238 §5.2).
    last_totp_step: Option<u64>,
    /// The recovery set's stored form (Argon2id hashes).
    recovery: String,
    /// A new number being confirmed, and its challenge once a code was sent.
    pending_phone: Option<(PhoneNumber, Option<ChallengeId>)>,
    /// Bumped at sign-out: signed-in cookies of older epochs stop working.
    epoch: u64,
    fallback_failures: Throttle<MAX_FAILURES>,
    /// The second step locked (too many wrong codes): no new code, by SMS or call,
    /// until the password is entered again. Kept here, not in the cookie, so neither
    /// an older cookie nor waiting for the locked challenge to expire gets round it.
    second_step_locked: Option<Lock>,
    /// How the person passed the second step last time (a text message or the app),
    /// so the next sign-in goes that way without asking; `None` until they chose.
    preferred: Option<Method>,
}

/// Why the second step locked, for the page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    /// This sign-in's challenge took too many wrong codes.
    WrongCodes,
    /// The account reached its ceiling of failures in a row, across every door.
    AccountPaused,
}

impl Lock {
    fn title_and_text(self) -> (Msg, Msg) {
        match self {
            Self::WrongCodes => (Msg::LockedTitle, Msg::LockedChallenge),
            Self::AccountPaused => (Msg::TooManyFailuresTitle, Msg::TooManyFailures),
        }
    }
}

/// The account-wide ceiling the second factor's doors share (at most 100 failures in a
/// row, the library's subject ceiling, kept in its store so it holds across
/// instances; the SMS code counts against it inside the library): one attempt is
/// counted *before* the door compares its secret. `Err` carries the refusal to show;
/// nothing is compared then. The password does not count: only the second factor,
/// which needs the password first, so nobody can lock an owner out from outside.
async fn door_gate(state: &AppState, user: &str) -> Result<Option<Binding>, (Msg, u16)> {
    let Some(binding) = state.binding(user) else {
        return Ok(None);
    };
    match state.en.count_door_attempt(&binding).await {
        Ok(Verdict::TooManyFailures) => Err((Msg::AccountPaused, 429)),
        Ok(_) => Ok(Some(binding)),
        Err(e) => {
            tracing::warn!(error = %e, "door attempt not counted: refused");
            Err((Msg::StoreDown, 503))
        }
    }
}

/// A door's secret was right: the account's failures in a row start again from zero.
async fn door_opened(state: &AppState, binding: Option<&Binding>) {
    if let Some(binding) = binding
        && let Err(e) = state.en.attempt_succeeded(binding).await
    {
        tracing::warn!(error = %e, "could not clear the account's failures");
    }
}

impl AppState {
    fn lock_second_step(&self, user: &str, lock: Lock) {
        if let Some(account) = self.accounts().get_mut(user) {
            account.second_step_locked = Some(lock);
        }
    }

    fn second_step_locked(&self, user: &str) -> Option<Lock> {
        self.accounts().get(user)?.second_step_locked
    }

    fn preferred(&self, user: &str) -> Option<Method> {
        self.accounts().get(user)?.preferred
    }

    fn verifier(&self, lang: Lang) -> &Verifier {
        match lang {
            Lang::En => &self.en,
            Lang::Ja => &self.ja,
        }
    }

    fn enrol_verifier(&self, lang: Lang) -> &Verifier {
        match lang {
            Lang::En => &self.enrol_en,
            Lang::Ja => &self.enrol_ja,
        }
    }

    fn reported_at(&self, id: &ChallengeId) -> Option<OffsetDateTime> {
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .copied()
    }

    fn accounts(&self) -> MutexGuard<'_, HashMap<String, Account>> {
        // No code path leaves an account half-updated, so a poisoned lock is still usable.
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn binding(&self, user: &str) -> Option<Binding> {
        let phone = self.accounts().get(user)?.phone.clone();
        Some(Binding::new(phone, Purpose::login()).with_subject(user))
    }

    fn masked_phone(&self, user: &str) -> String {
        self.accounts()
            .get(user)
            .map(|a| a.phone.masked())
            .unwrap_or_default()
    }

    /// Whether a decoded session still holds: not too old, and not signed out.
    fn alive(&self, session: &Session, now: OffsetDateTime) -> bool {
        let now_s = now.unix_timestamp();
        if now_s.saturating_sub(session.issued) > SESSION_TTL.whole_seconds() {
            return false;
        }
        match &session.stage {
            Stage::Anonymous => true,
            Stage::SecondStep { user, since, .. } => {
                now_s.saturating_sub(*since) <= SECOND_STEP_TTL.whole_seconds()
                    && self.accounts().contains_key(user)
            }
            Stage::SignedIn { user, epoch, .. } => {
                self.accounts().get(user).is_some_and(|a| a.epoch == *epoch)
            }
        }
    }
}

/// What every handler learns from the request: the session (a fresh anonymous one if
/// the cookie is missing, forged or stale), the language and the client's address.
struct Ctx {
    /// The session, its flash already taken out: the page this request shows (or any
    /// answer that sets the cookie) drops it.
    session: Session,
    /// What the form before this page had to say.
    flash: Option<Flash>,
    /// The page a refused form sends the person back to.
    form_page: &'static str,
    lang: Lang,
    client: String,
    now: OffsetDateTime,
    nonce: String,
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let now = state.clock.now();
        let lang = Lang::negotiate(
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        let cookies: Vec<&str> = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let mut session = state
            .cookies
            .read(&cookies.join("; "))
            .filter(|s| state.alive(s, now))
            .unwrap_or_else(|| Session::anonymous(now));
        let flash = session.flash.take();
        // Behind a trusted proxy, the address it appended names the client; otherwise
        // the peer does (a client's own header, or its own part of one, is never
        // believed).
        let forwarded = state.client_header.as_deref().and_then(|name| {
            parts
                .headers
                .get(name)?
                .to_str()
                .ok()?
                .rsplit(',')
                .next()?
                .trim()
                .parse::<std::net::IpAddr>()
                .ok()
        });
        let client = forwarded
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip())
            })
            .map(client_key)
            .unwrap_or_else(|| {
                // Served without `serve` (no peer address): every request is the same
                // "client", so the per-client limits act on everyone together (closed,
                // not open). Serve with `serve`, or with connect info.
                tracing::error!("no client address: serve the router with `serve`");
                String::new()
            });
        let mut nonce = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut nonce);
        Ok(Self {
            session,
            flash,
            form_page: form_page(parts.uri.path()),
            lang,
            client,
            now,
            nonce: URL_SAFE_NO_PAD.encode(nonce),
        })
    }
}

impl Ctx {
    fn chrome<'a>(&'a self, state: &'a AppState) -> Chrome<'a> {
        Chrome {
            lang: self.lang,
            brand: &state.brand,
            nonce: &self.nonce,
        }
    }

    fn csrf(&self, state: &AppState) -> String {
        state.csrf.token(&self.session.id)
    }

    /// Refuses a POST whose form token is not this session's: back to the form's
    /// page, which says why (a redirect like every form's answer).
    // The refusal is the finished response, built at most once per request: boxing it
    // would buy nothing.
    #[allow(clippy::result_large_err)]
    fn check_csrf(&self, state: &AppState, presented: &str) -> Result<(), Response> {
        if state.csrf.verify(&self.session.id, presented) {
            Ok(())
        } else {
            tracing::warn!(client = %self.client, "form refused: bad CSRF token");
            Err(self.back(state, self.form_page, Flash::error(Msg::CsrfBody, 403)))
        }
    }

    /// The session with its flash put back, for a redirect that only passes the
    /// person on to the page for their stage: the notice is for that page.
    fn passing_on(&self) -> Session {
        let mut session = self.session.clone();
        session.flash.clone_from(&self.flash);
        session
    }

    /// A form's answer: a 303 to `to`, carrying `flash` for the page there.
    fn back(&self, state: &AppState, to: &str, flash: Flash) -> Response {
        redirect(state, &self.session.with_flash(flash), to)
    }

    /// The flash's notice, if it is meant for the form `which` (or for the whole page).
    fn notice_for(&self, which: Option<Fallback>) -> Option<&Notice> {
        self.flash
            .as_ref()
            .filter(|f| f.form == which)
            .map(|f| &f.notice)
    }

    /// The status the page answers with: the flash's, else 200.
    fn status(&self) -> u16 {
        self.flash.as_ref().map_or(200, |f| f.status)
    }

    /// What the person typed into the form before, shown back.
    fn typed(&self) -> &str {
        self.flash.as_ref().map_or("", |f| f.typed.as_str())
    }
}

/// The page that holds the form posted to `path`: where a refused form goes back to.
fn form_page(path: &str) -> &'static str {
    match path {
        "/verify" | "/resend" | "/call" => "/verify",
        "/choose" => "/choose",
        "/other-way/totp" | "/other-way/recovery" => "/other-way",
        "/phone" => "/phone",
        "/phone/confirm" => "/phone/confirm",
        "/phone/verify" => "/phone/verify",
        _ => "/",
    }
}

/// A page with the session cookie and the security headers.
fn respond(state: &AppState, session: &Session, page: Page) -> Response {
    let mut response = page_response(page);
    if let Ok(value) = HeaderValue::from_str(&state.cookies.set_cookie(session)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A page with the security headers every page carries, and no session cookie.
fn page_response(page: Page) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
    let csp = format!(
        "default-src 'none'; style-src 'nonce-{n}'; script-src 'nonce-{n}'; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        n = page.nonce
    );
    let mut response = (status, page.html).into_response();
    let headers = response.headers_mut();
    let mut put = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    put(header::CONTENT_TYPE, "text/html; charset=utf-8");
    put(header::CONTENT_SECURITY_POLICY, &csp);
    put(header::CACHE_CONTROL, "no-store");
    put(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    put(header::X_FRAME_OPTIONS, "DENY");
    put(header::REFERRER_POLICY, "no-referrer");
    put(header::VARY, "Accept-Language, Cookie");
    response
}

/// Gives the bare answers axum makes itself (a wrong method, a body too large or of
/// the wrong type, a form that does not parse) the site's own look and headers, in
/// the reader's language.
async fn themed_errors(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let lang = Lang::negotiate(
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let (title, text) = match status {
        _ if html => return response,
        405 => (Msg::WrongMethodTitle, Msg::WrongMethodBody),
        413 => (Msg::TooLargeTitle, Msg::TooLargeBody),
        400 | 415 | 422 => (Msg::BadRequestTitle, Msg::BadRequestBody),
        _ => return response,
    };
    let mut nonce = [0u8; 16];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut nonce);
    let nonce = URL_SAFE_NO_PAD.encode(nonce);
    let chrome = Chrome {
        lang,
        brand: &state.brand,
        nonce: &nonce,
    };
    page_response(pages::error(&chrome, status, title, text))
}

/// A POST that came without a session cookie gets none back. `SameSite=Lax` keeps the
/// cookie off another site's POST, so such a POST is either from another site or from
/// a client that keeps no cookies; answering it with a fresh session would let any site
/// replace a person's session with an empty one, signing them out.
async fn no_cookie_for_cookieless_posts(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let cookieless = request.method() == axum::http::Method::POST
        && !request
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| state.cookies.present(v));
    let mut response = next.run(request).await;
    if cookieless {
        response.headers_mut().remove(header::SET_COOKIE);
    }
    response
}

/// A 303 to `to`, setting the session cookie.
fn redirect(state: &AppState, session: &Session, to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(to) {
        headers.insert(header::LOCATION, location);
    }
    if let Ok(cookie) = HeaderValue::from_str(&state.cookies.set_cookie(session)) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whole minutes, rounded up, never negative.
fn minutes_ceil(d: Duration) -> i64 {
    (d.whole_seconds().max(0) + 59) / 60
}

/// Whole seconds, rounded up, never negative: "wait 1 second" rather than 0.
fn seconds_ceil(d: Duration) -> i64 {
    let whole = d.whole_seconds();
    let rounded = if d > Duration::seconds(whole) {
        whole + 1
    } else {
        whole
    };
    rounded.max(0)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
struct ChooseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    method: String,
}

async fn not_found(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let page = pages::error(
        &ctx.chrome(&state),
        404,
        Msg::NotFoundTitle,
        Msg::NotFoundBody,
    );
    respond(&state, &ctx.session, page)
}

/// The key of the per-client send limit for a peer address: an IPv4 address as it
/// is, an IPv6 address by its /64 (one subscriber's prefix: every address in it is the
/// same client, or a single host could rotate through 2^64 keys).
pub fn client_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}
