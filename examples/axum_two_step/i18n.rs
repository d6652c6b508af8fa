//! Every sentence a person sees, in English and Japanese, and the choice between them.
//!
//! Messages are an enum rather than string keys so the compiler checks that each one
//! has both translations and the right parameters.

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English, also the fallback.
    En,
    /// Japanese.
    Ja,
}

impl Lang {
    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ja => "ja",
        }
    }

    /// Picks the language from an `Accept-Language` header (RFC 9110 §12.5.4): the
    /// supported language with the highest weight, the earlier one on ties, English
    /// when none is acceptable or the header is absent or garbled.
    pub fn negotiate(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Self::En;
        };
        let mut best: Option<(u16, Self)> = None;
        // A hostile header could be long; no real browser sends more than a few dozen.
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_qvalue);
            let Some(weight) = weight else { continue };
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "ja" => Self::Ja,
                "en" => Self::En,
                _ => continue,
            };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Self::En, |(_, lang)| lang)
    }
}

/// A q-value as thousandths (`0.8` → 800); `None` if malformed.
fn parse_qvalue(text: &str) -> Option<u16> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = format!("{frac:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// How the person finished signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    /// A code sent by SMS.
    Sms,
    /// A code read out by a call.
    Call,
    /// An authenticator app (TOTP).
    Totp,
    /// A single-use recovery code.
    Recovery,
}

impl Method {
    /// The short name kept in the session cookie.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Call => "call",
            Self::Totp => "totp",
            Self::Recovery => "recovery",
        }
    }

    /// Reads [`as_str`](Self::as_str) back.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sms" => Some(Self::Sms),
            "call" => Some(Self::Call),
            "totp" => Some(Self::Totp),
            "recovery" => Some(Self::Recovery),
            _ => None,
        }
    }
}

/// Everything the pages say.
// Serialised only to ride in the signed session cookie from a form to the next page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Msg {
    // Sign-in page.
    SignInTitle,
    SignInLead,
    Username,
    Password,
    Continue,
    DemoHint,
    WrongPassword,
    PasswordLocked { minutes: i64 },
    ClientPaused { minutes: i64 },
    SessionEnded,
    SignedOut,
    // Choosing how the second factor comes.
    ChooseTitle,
    ChooseLead,
    ChooseSms { to: String },
    ChooseSmsHint { call: bool },
    ChooseApp,
    ChooseAppHint,
    ChooseOtherLink,
    // Code page.
    CodeTitle,
    CodeSentTo { to: String },
    CodeWillGoTo { to: String },
    CodeCalled { to: String },
    CodeLabel,
    CodeLabelHeard,
    CodeHint { length: usize, digits_only: bool },
    Verify,
    AttemptsLeft { n: u32 },
    ExpiresIn { minutes: i64 },
    Resend,
    ResendIn { seconds: i64 },
    ResendReady,
    NoMoreSends,
    NewCodeSent { to: String },
    UseAnotherWay,
    StartOver,
    // Verdicts.
    WrongCode { attempts_left: u32 },
    MalformedCode { length: usize, digits_only: bool },
    CodeExpired,
    ChallengeGone,
    // Errors from the verifier.
    ResendTooSoon { seconds: i64 },
    SendLimit,
    RateLimited { minutes: i64 },
    SpendCap,
    SendFailed,
    StoreDown,
    NotSent,
    SendCode,
    // Delivery of the latest SMS, and what to check when it does not arrive.
    DeliverySending,
    DeliveryDelivered,
    DeliveryFailed,
    CheckAgain,
    HelpTitleFailed,
    HelpTitleNotConfirmed,
    HelpTitleDeliveredNotTyped,
    HelpOverseas,
    HelpSignal,
    HelpDataOnly,
    HelpNumber { to: String },
    SendOtherRoute,
    CallMe,
    AccountPaused,
    WrongMethodTitle,
    WrongMethodBody,
    TooLargeTitle,
    TooLargeBody,
    BadRequestTitle,
    BadRequestBody,
    Calling { to: String },
    NoCall,
    UseAppOrRecovery,
    // Adding or changing the phone number.
    ChangePhoneLink,
    PhoneTitle,
    PhoneLead { current: String },
    PhoneLabel,
    PhoneHint,
    PhoneSubmit,
    PhoneConfirmTitle,
    PhoneConfirm { to: String },
    PhoneConfirmLead,
    PhoneConfirmYes,
    PhoneConfirmNo,
    PhoneNotANumber,
    PhoneIpPhone,
    PhoneLandline,
    PhoneM2m,
    PhoneService,
    PhoneCannotSms,
    PhoneCountry,
    PhoneSame,
    PhoneCodeTitle,
    PhoneCodeLead { to: String },
    PhoneChanged { to: String },
    PhoneChangeGone,
    PhoneCodeLocked,
    OldNumberNotice { brand: String, to: String },
    // Lockout.
    LockedTitle,
    LockedChallenge,
    TooManyFailuresTitle,
    TooManyFailures,
    // Another way.
    OtherWayTitle,
    OtherWayLead,
    TotpHeading,
    TotpLabel,
    TotpHint,
    RecoveryHeading,
    RecoveryLabel,
    RecoveryHint,
    BackToSms,
    TotpMalformed,
    TotpWrong,
    RecoveryMalformed,
    RecoveryWrong,
    RecoveryExhausted,
    FallbackLocked { minutes: i64 },
    // Signed in.
    AccountTitle,
    Welcome { user: String },
    SignedInWith { method: Method },
    RecoveryLeft { n: usize },
    SignOut,
    // Errors.
    CsrfTitle,
    CsrfBody,
    NotFoundTitle,
    NotFoundBody,
    BackHome,
    Skip,
}

impl Msg {
    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en(),
            Lang::Ja => self.ja(),
        }
    }

    fn en(&self) -> String {
        match self {
            Self::SignInTitle => "Sign in".into(),
            Self::SignInLead => "Enter your username and password. Then confirm it's you with a code, by text message or from your authenticator app.".into(),
            Self::Username => "Username".into(),
            Self::Password => "Password".into(),
            Self::Continue => "Continue".into(),
            Self::DemoHint => "Demo account: alice / correct-horse".into(),
            Self::WrongPassword => "That username and password don't match. Check them and try again.".into(),
            Self::PasswordLocked { minutes } => format!("Too many failed sign-ins for this account. Try again in {}.", en_minutes(*minutes)),
            Self::ClientPaused { minutes } => format!("Too many failed sign-ins from your network. Try again in {}.", en_minutes(*minutes)),
            Self::SessionEnded => "Your sign-in has ended. Please sign in again.".into(),
            Self::SignedOut => "You have signed out.".into(),
            Self::CodeTitle => "Enter the code".into(),
            Self::ChooseTitle => "How do you want to confirm it's you?".into(),
            Self::ChooseLead => "Choose how you get your code. We'll remember your choice for next time.".into(),
            Self::ChooseSms { to } => format!("Text message to {to}"),
            Self::ChooseSmsHint { call: true } => "We send a code to your phone. If it doesn't arrive, we can call you with it.".into(),
            Self::ChooseSmsHint { call: false } => "We send a code to your phone.".into(),
            Self::ChooseApp => "Authenticator app".into(),
            Self::ChooseAppHint => "Enter the code your app shows. Nothing is sent, and it works without signal.".into(),
            Self::ChooseOtherLink => "Choose another way to get the code".into(),
            Self::CodeSentTo { to } => format!("We sent a code by text message to {to}."),
            Self::CodeWillGoTo { to } => format!("We'll send a code by text message to {to}."),
            Self::CodeCalled { to } => format!("We called {to} and read out a code."),
            Self::CodeLabel => "Code from the text message".into(),
            Self::CodeLabelHeard => "Code you heard on the call".into(),
            Self::CodeHint { length, digits_only: true } => format!("{length} digits."),
            Self::CodeHint { length, digits_only: false } => format!("{length} letters and digits. Capitals or not, spaces or not: all fine."),
            Self::Verify => "Verify".into(),
            Self::AttemptsLeft { n: 1 } => "1 attempt left.".into(),
            Self::AttemptsLeft { n } => format!("{n} attempts left."),
            Self::ExpiresIn { minutes } => format!("The code expires in {}.", en_minutes(*minutes)),
            Self::Resend => "Send a new code".into(),
            Self::ResendIn { seconds } => format!("You can ask for a new code in {}.", en_seconds(*seconds)),
            Self::ResendReady => "Didn't get it? You can ask for a new code now.".into(),
            Self::NoMoreSends => "We have sent all the codes we can for this sign-in.".into(),
            Self::NewCodeSent { to } => format!("We sent a new code to {to}. Earlier codes still work."),
            Self::UseAnotherWay => "Use another way".into(),
            Self::StartOver => "Start over".into(),
            Self::WrongCode { attempts_left: 1 } => "That code isn't right. You have 1 attempt left.".into(),
            Self::WrongCode { attempts_left } => format!("That code isn't right. You have {attempts_left} attempts left."),
            Self::MalformedCode { length, digits_only: true } => format!("A code is {length} digits. Check it and try again; this didn't count as an attempt."),
            Self::MalformedCode { length, .. } => format!("A code is {length} letters and digits, like 7KQ4MP. Check it and try again; this didn't count as an attempt."),
            Self::CodeExpired => "This code has expired. Use \"Send a code\" below to get a new one.".into(),
            Self::ChallengeGone => "This code can no longer be used. Use \"Send a code\" below to get a new one.".into(),
            Self::ResendTooSoon { seconds } => format!("Please wait {} before asking for a new code.", en_seconds(*seconds)),
            Self::SendLimit => "We have already sent the most codes we can for this sign-in. Use a code you received, or use another way.".into(),
            Self::RateLimited { minutes } => format!("Too many codes were requested. Try again in {}, or use another way.", en_minutes(*minutes)),
            Self::SpendCap => "We can't send text messages right now. Try again later, or use another way.".into(),
            Self::SendFailed => "We couldn't send the text message. Try again in a moment, or use another way.".into(),
            Self::StoreDown => "Something went wrong on our side. Please try again in a moment.".into(),
            Self::NotSent => "No code has been sent yet.".into(),
            Self::SendCode => "Send a code".into(),
            Self::DeliverySending => "Text message: sending…".into(),
            Self::DeliveryDelivered => "Text message: delivered to the phone.".into(),
            Self::DeliveryFailed => "Text message: not delivered.".into(),
            Self::CheckAgain => "Check again".into(),
            Self::HelpTitleFailed => "The text message could not be delivered".into(),
            Self::HelpTitleNotConfirmed => "The text message hasn't arrived yet".into(),
            Self::HelpTitleDeliveredNotTyped => "Delivered, but no code typed yet".into(),
            Self::HelpOverseas => "Your carrier may be blocking text messages from unknown or overseas senders. Check the message-blocking settings of your carrier or phone.".into(),
            Self::HelpSignal => "Your phone needs signal: the message arrives once it has some. Try where reception is better.".into(),
            Self::HelpDataOnly => "A data-only SIM cannot receive text messages.".into(),
            Self::HelpNumber { to } => format!("We sent it to {to}. If that isn't your number, sign in another way and change it."),
            Self::SendOtherRoute => "Send again by another route".into(),
            Self::CallMe => "Call me with the code instead".into(),
            Self::AccountPaused => "There have been too many wrong attempts for this account, so sign-in is paused. It resumes a day after the last wrong attempt, or when an administrator unlocks it.".into(),
            Self::WrongMethodTitle => "This page takes a form".into(),
            Self::WrongMethodBody => "This address is where a form is sent, not a page to open. Start from the sign-in page.".into(),
            Self::TooLargeTitle => "That was too much".into(),
            Self::TooLargeBody => "What was sent is far larger than any form here takes. Go back and try again.".into(),
            Self::BadRequestTitle => "That form could not be read".into(),
            Self::BadRequestBody => "Something in what was sent could not be read. Go back and try again.".into(),
            Self::Calling { to } => format!("We are calling {to} now. The code is read out twice, slowly."),
            Self::NoCall => "We can't call this number. Use another way instead.".into(),
            Self::UseAppOrRecovery => "Use your authenticator app or a recovery code".into(),
            Self::ChangePhoneLink => "Add or change your phone number".into(),
            Self::PhoneTitle => "Your phone number".into(),
            Self::PhoneLead { current } => format!("Codes are sent by text message to {current}. Enter a new mobile number to change it; we'll send a code to check it first."),
            Self::PhoneLabel => "Mobile phone number".into(),
            Self::PhoneHint => "For example 090-1234-5678, or +81 90 1234 5678.".into(),
            Self::PhoneSubmit => "Continue".into(),
            Self::PhoneConfirmTitle => "Check the number".into(),
            Self::PhoneConfirm { to } => format!("Is this {to}?"),
            Self::PhoneConfirmLead => "We'll send a code to this number. Your current number stays until you type the code.".into(),
            Self::PhoneConfirmYes => "Yes, send a code".into(),
            Self::PhoneConfirmNo => "No, change it".into(),
            Self::PhoneNotANumber => "That doesn't look like a phone number. Enter it like 090-1234-5678 or +81 90 1234 5678.".into(),
            Self::PhoneIpPhone => "050 numbers are IP phone numbers, which can't receive text messages. Enter a mobile number (070, 080 or 090).".into(),
            Self::PhoneLandline => "That is a landline number, which can't receive text messages. Enter a mobile number.".into(),
            Self::PhoneM2m => "020 numbers are for machines (M2M) and can't receive our text messages. Enter the number of your own phone.".into(),
            Self::PhoneService => "Toll-free, premium and shared-cost numbers can't receive text messages. Enter a mobile number.".into(),
            Self::PhoneCannotSms => "That kind of number can't receive text messages. Enter a mobile number.".into(),
            Self::PhoneCountry => "For now we can only add Japanese mobile numbers (+81).".into(),
            Self::PhoneSame => "That is already the number on your account.".into(),
            Self::PhoneCodeTitle => "Confirm your new number".into(),
            Self::PhoneCodeLead { to } => format!("We sent a code by text message to {to}. Type it to make this your number."),
            Self::PhoneChanged { to } => format!("Your phone number is now {to}. We told your old number about the change."),
            Self::PhoneChangeGone => "That change has ended. Enter the new number again.".into(),
            Self::PhoneCodeLocked => "Too many wrong codes for this number. Enter the phone number again to get a new code.".into(),
            Self::OldNumberNotice { brand, to } => format!("{brand}: the phone number on your account was changed to {to}. If you did not do this, contact us."),
            Self::LockedTitle => "Too many wrong codes".into(),
            Self::LockedChallenge => "For your security, this sign-in is locked after too many wrong codes. Start over to get a new code, or use another way.".into(),
            Self::TooManyFailuresTitle => "Sign-in is paused for this account".into(),
            Self::TooManyFailures => "There have been too many wrong attempts for this account, so sign-in is paused, by text code, authenticator app or recovery code alike. It resumes a day after the last wrong attempt, or when an administrator unlocks it.".into(),
            Self::OtherWayTitle => "Use another way".into(),
            Self::OtherWayLead => "No phone at hand? Use your authenticator app or one of your recovery codes.".into(),
            Self::TotpHeading => "Authenticator app".into(),
            Self::TotpLabel => "6-digit code from the app".into(),
            Self::TotpHint => "The code changes every 30 seconds; enter the one shown now.".into(),
            Self::RecoveryHeading => "Recovery code".into(),
            Self::RecoveryLabel => "Recovery code".into(),
            Self::RecoveryHint => "One of the codes you saved when you set up two-step sign-in, like ABCDE-FGH23. Each works once.".into(),
            Self::BackToSms => "Back to the text message code".into(),
            Self::TotpMalformed => "Enter the 6 digits your authenticator app shows.".into(),
            Self::TotpWrong => "That code isn't right. Check the app's clock and enter the code shown now.".into(),
            Self::RecoveryMalformed => "A recovery code is 10 letters and digits, like ABCDE-FGH23.".into(),
            Self::RecoveryWrong => "That recovery code isn't right, or it was already used.".into(),
            Self::RecoveryExhausted => "You have no recovery codes left.".into(),
            Self::FallbackLocked { minutes } => format!("Too many wrong codes. Try again in {}.", en_minutes(*minutes)),
            Self::AccountTitle => "You're signed in".into(),
            Self::Welcome { user } => format!("Welcome, {user}."),
            Self::SignedInWith { method: Method::Sms } => "You signed in with a code sent by text message.".into(),
            Self::SignedInWith { method: Method::Call } => "You signed in with a code read out in a call.".into(),
            Self::SignedInWith { method: Method::Totp } => "You signed in with your authenticator app.".into(),
            Self::SignedInWith { method: Method::Recovery } => "You signed in with a recovery code.".into(),
            Self::RecoveryLeft { n: 0 } => "You have no recovery codes left. Make new ones now, before you need one.".into(),
            Self::RecoveryLeft { n: 1 } => "You have 1 recovery code left. Make new ones soon, before you need one.".into(),
            Self::RecoveryLeft { n } if *n <= LOW_RECOVERY => format!("You have {n} recovery codes left. Make new ones soon, before you need one."),
            Self::RecoveryLeft { n } => format!("You have {n} recovery codes left."),
            Self::SignOut => "Sign out".into(),
            Self::CsrfTitle => "Please try again".into(),
            Self::CsrfBody => "This form had expired or didn't come from this site, so we ignored it. Please try again.".into(),
            Self::NotFoundTitle => "Page not found".into(),
            Self::NotFoundBody => "There is nothing at this address.".into(),
            Self::BackHome => "Go to the start page".into(),
            Self::Skip => "or".into(),
        }
    }

    fn ja(&self) -> String {
        match self {
            Self::SignInTitle => "ログイン".into(),
            Self::SignInLead => "ユーザー名とパスワードを入力してください。続いて、SMSまたは認証アプリの認証コードで本人確認をします。".into(),
            Self::Username => "ユーザー名".into(),
            Self::Password => "パスワード".into(),
            Self::Continue => "次へ".into(),
            Self::DemoHint => "デモ用アカウント：alice / correct-horse".into(),
            Self::WrongPassword => "ユーザー名またはパスワードが正しくありません。確認して、もう一度お試しください。".into(),
            Self::PasswordLocked { minutes } => format!("このアカウントへのログイン失敗が多すぎます。{minutes}分後にもう一度お試しください。"),
            Self::ClientPaused { minutes } => format!("お使いのネットワークからのログイン失敗が多すぎます。{minutes}分後にもう一度お試しください。"),
            Self::SessionEnded => "ログインの手続きが終了しました。もう一度ログインしてください。".into(),
            Self::SignedOut => "ログアウトしました。".into(),
            Self::CodeTitle => "認証コードの入力".into(),
            Self::ChooseTitle => "本人確認の方法".into(),
            Self::ChooseLead => "認証コードの受け取り方を選んでください。選んだ方法は次回も使います。".into(),
            Self::ChooseSms { to } => format!("SMSで受け取る（{to}）"),
            Self::ChooseSmsHint { call: true } => "携帯電話に認証コードをお送りします。届かない場合は、音声通話でお伝えすることもできます。".into(),
            Self::ChooseSmsHint { call: false } => "携帯電話に認証コードをお送りします。".into(),
            Self::ChooseApp => "認証アプリを使う".into(),
            Self::ChooseAppHint => "アプリに表示される認証コードを入力します。何も送信しないので、電波がなくても使えます。".into(),
            Self::ChooseOtherLink => "認証コードの受け取り方を変える".into(),
            Self::CodeSentTo { to } => format!("{to} にSMSで認証コードを送信しました。"),
            Self::CodeWillGoTo { to } => format!("{to} にSMSで認証コードをお送りします。"),
            Self::CodeCalled { to } => format!("{to} にお電話して、認証コードを読み上げました。"),
            Self::CodeLabel => "認証コード".into(),
            Self::CodeLabelHeard => "お電話でお伝えした認証コード".into(),
            Self::CodeHint { length, digits_only: true } => format!("{length}桁の数字です。"),
            Self::CodeHint { length, digits_only: false } => format!("英数字{length}文字です。大文字・小文字、全角・半角、スペースの有無は問いません。"),
            Self::Verify => "確認".into(),
            Self::AttemptsLeft { n } => format!("あと{n}回入力できます。"),
            Self::ExpiresIn { minutes } => format!("認証コードの有効期限は残り{minutes}分です。"),
            Self::Resend => "認証コードを再送信".into(),
            Self::ResendIn { seconds } => format!("{seconds}秒後に認証コードを再送信できます。"),
            Self::ResendReady => "届きませんか？認証コードを再送信できます。".into(),
            Self::NoMoreSends => "このログインで送信できる認証コードの上限に達しました。".into(),
            Self::NewCodeSent { to } => format!("{to} に新しい認証コードを送信しました。以前の認証コードも引き続き使えます。"),
            Self::UseAnotherWay => "別の方法を使う".into(),
            Self::StartOver => "最初からやり直す".into(),
            Self::WrongCode { attempts_left } => format!("認証コードが正しくありません。あと{attempts_left}回入力できます。"),
            Self::MalformedCode { length, digits_only: true } => format!("認証コードは{length}桁の数字です。確認して、もう一度入力してください（今回の入力は回数に含まれません）。"),
            Self::MalformedCode { length, .. } => format!("認証コードは英数字{length}文字です（例：7KQ4MP）。確認して、もう一度入力してください（今回の入力は回数に含まれません）。"),
            Self::CodeExpired => "この認証コードは有効期限が切れました。下の「認証コードを送信」を押すと、新しい認証コードが届きます。".into(),
            Self::ChallengeGone => "この認証コードはもう使えません。下の「認証コードを送信」を押すと、新しい認証コードが届きます。".into(),
            Self::ResendTooSoon { seconds } => format!("再送信できるまであと{seconds}秒お待ちください。"),
            Self::SendLimit => "このログインで送信できる認証コードの上限に達しました。受け取った認証コードを入力するか、別の方法をお使いください。".into(),
            Self::RateLimited { minutes } => format!("認証コードの送信依頼が多すぎます。{minutes}分後にもう一度お試しいただくか、別の方法をお使いください。"),
            Self::SpendCap => "現在SMSを送信できません。しばらくしてからお試しいただくか、別の方法をお使いください。".into(),
            Self::SendFailed => "SMSを送信できませんでした。少し待ってからもう一度お試しいただくか、別の方法をお使いください。".into(),
            Self::StoreDown => "システムで問題が発生しました。少し待ってからもう一度お試しください。".into(),
            Self::NotSent => "まだ認証コードを送信していません。".into(),
            Self::SendCode => "認証コードを送信".into(),
            Self::DeliverySending => "SMSの状態：送信中…".into(),
            Self::DeliveryDelivered => "SMSの状態：携帯電話に届きました。".into(),
            Self::DeliveryFailed => "SMSの状態：届きませんでした。".into(),
            Self::CheckAgain => "もう一度確認する".into(),
            Self::HelpTitleFailed => "SMSを配信できませんでした".into(),
            Self::HelpTitleNotConfirmed => "SMSがまだ届いていません".into(),
            Self::HelpTitleDeliveredNotTyped => "SMSは届いていますが、認証コードがまだ入力されていません".into(),
            Self::HelpOverseas => "携帯電話会社の迷惑SMS対策で、海外や不明な送信元からのSMSを拒否する設定になっていないか、携帯電話会社または端末の設定をご確認ください。".into(),
            Self::HelpSignal => "電波の届かない場所では受信できません。電波の届く場所で、もう一度お試しください。".into(),
            Self::HelpDataOnly => "データ通信専用SIMではSMSを受信できません。".into(),
            Self::HelpNumber { to } => format!("送信先は {to} です。この番号に心当たりがない場合は、別の方法でログインしてから電話番号を変更してください。"),
            Self::SendOtherRoute => "別の経路で再送信する".into(),
            Self::CallMe => "音声通話で認証コードを受け取る".into(),
            Self::AccountPaused => "このアカウントで誤った入力が続いたため、ログインを一時停止しています。最後の誤入力から1日後、または管理者がロックを解除すると再開します。".into(),
            Self::WrongMethodTitle => "このページは直接開けません".into(),
            Self::WrongMethodBody => "このアドレスはフォームの送信先です。ログインページからやり直してください。".into(),
            Self::TooLargeTitle => "送信された内容が大きすぎます".into(),
            Self::TooLargeBody => "このサイトのフォームで受け付ける大きさを超えています。前のページに戻ってもう一度お試しください。".into(),
            Self::BadRequestTitle => "送信された内容を読み取れませんでした".into(),
            Self::BadRequestBody => "送信された内容の一部を読み取れませんでした。前のページに戻ってもう一度お試しください。".into(),
            Self::Calling { to } => format!("{to} にお電話しています。認証コードをゆっくり2回読み上げます。"),
            Self::NoCall => "この番号には電話をおかけできません。別の方法をお使いください。".into(),
            Self::UseAppOrRecovery => "認証アプリまたはリカバリーコードを使う".into(),
            Self::ChangePhoneLink => "電話番号の登録・変更".into(),
            Self::PhoneTitle => "電話番号".into(),
            Self::PhoneLead { current } => format!("認証コードは {current} にSMSで送信しています。変更する場合は新しい携帯電話番号を入力してください。変更の前に、その番号に認証コードをお送りします。"),
            Self::PhoneLabel => "携帯電話番号".into(),
            Self::PhoneHint => "例：090-1234-5678、または +81 90 1234 5678".into(),
            Self::PhoneSubmit => "次へ".into(),
            Self::PhoneConfirmTitle => "電話番号の確認".into(),
            Self::PhoneConfirm { to } => format!("{to} でよろしいですか？"),
            Self::PhoneConfirmLead => "この番号に認証コードを送信します。認証コードを入力するまでは、現在の番号のままです。".into(),
            Self::PhoneConfirmYes => "はい、認証コードを送信する".into(),
            Self::PhoneConfirmNo => "いいえ、入力し直す".into(),
            Self::PhoneNotANumber => "電話番号として認識できませんでした。090-1234-5678 や +81 90 1234 5678 のように入力してください。".into(),
            Self::PhoneIpPhone => "050で始まる番号はIP電話の番号のため、SMSを受信できません。携帯電話番号（070・080・090）を入力してください。".into(),
            Self::PhoneLandline => "固定電話の番号はSMSを受信できません。携帯電話番号を入力してください。".into(),
            Self::PhoneM2m => "020で始まる番号は機器間通信（M2M）用のため、SMSを受信できません。ご自身の携帯電話番号を入力してください。".into(),
            Self::PhoneService => "フリーダイヤルやナビダイヤルなどの番号はSMSを受信できません。携帯電話番号を入力してください。".into(),
            Self::PhoneCannotSms => "この種類の番号はSMSを受信できません。携帯電話番号を入力してください。".into(),
            Self::PhoneCountry => "現在、登録できるのは日本の携帯電話番号（+81）のみです。".into(),
            Self::PhoneSame => "この番号はすでに登録されています。".into(),
            Self::PhoneCodeTitle => "新しい電話番号の確認".into(),
            Self::PhoneCodeLead { to } => format!("{to} にSMSで認証コードを送信しました。認証コードを入力すると、この番号に変更されます。"),
            Self::PhoneChanged { to } => format!("電話番号を {to} に変更しました。以前の番号にも変更をお知らせしました。"),
            Self::PhoneChangeGone => "この変更手続きは終了しました。新しい番号をもう一度入力してください。".into(),
            Self::PhoneCodeLocked => "認証コードの入力を続けて間違えました。新しい認証コードを受け取るには、電話番号をもう一度入力してください。".into(),
            Self::OldNumberNotice { brand, to } => format!("【{brand}】アカウントの電話番号が {to} に変更されました。お心当たりがない場合はご連絡ください。"),
            Self::LockedTitle => "認証コードの入力を続けて間違えました".into(),
            Self::LockedChallenge => "安全のため、このログインでは認証コードを入力できなくなりました。「最初からやり直す」からパスワードを入力し直すと、新しい認証コードをお送りします。認証アプリやリカバリーコードも使えます。".into(),
            Self::TooManyFailuresTitle => "このアカウントのログインを一時停止しています".into(),
            Self::TooManyFailures => "このアカウントで誤った入力が続いたため、SMS・認証アプリ・リカバリーコードのいずれでもログインを一時停止しています。最後の誤入力から1日後、または管理者がロックを解除すると再開します。".into(),
            Self::OtherWayTitle => "別の方法でログイン".into(),
            Self::OtherWayLead => "携帯電話が手元にない場合は、認証アプリかリカバリーコードをお使いください。".into(),
            Self::TotpHeading => "認証アプリ".into(),
            Self::TotpLabel => "アプリに表示された6桁の認証コード".into(),
            Self::TotpHint => "認証コードは30秒ごとに変わります。いま表示されている認証コードを入力してください。".into(),
            Self::RecoveryHeading => "リカバリーコード".into(),
            Self::RecoveryLabel => "リカバリーコード".into(),
            Self::RecoveryHint => "2段階認証の設定時に保存したリカバリーコード（例：ABCDE-FGH23）です。それぞれ1回だけ使えます。".into(),
            Self::BackToSms => "SMSの認証コード入力に戻る".into(),
            Self::TotpMalformed => "認証アプリに表示された6桁の数字を入力してください。".into(),
            Self::TotpWrong => "認証コードが正しくありません。端末の時刻を確認し、いま表示されている認証コードを入力してください。".into(),
            Self::RecoveryMalformed => "リカバリーコードは英数字10文字です（例：ABCDE-FGH23）。".into(),
            Self::RecoveryWrong => "リカバリーコードが正しくないか、すでに使用されています。".into(),
            Self::RecoveryExhausted => "リカバリーコードが残っていません。".into(),
            Self::FallbackLocked { minutes } => format!("誤った入力が続きました。{minutes}分後にもう一度お試しください。"),
            Self::AccountTitle => "ログインしました".into(),
            Self::Welcome { user } => format!("ようこそ、{user}さん。"),
            Self::SignedInWith { method: Method::Sms } => "SMSで受け取った認証コードでログインしました。".into(),
            Self::SignedInWith { method: Method::Call } => "音声通話でお伝えした認証コードでログインしました。".into(),
            Self::SignedInWith { method: Method::Totp } => "認証アプリでログインしました。".into(),
            Self::SignedInWith { method: Method::Recovery } => "リカバリーコードでログインしました。".into(),
            Self::RecoveryLeft { n: 0 } => "リカバリーコードが残っていません。必要になる前に、新しいリカバリーコードを作成してください。".into(),
            Self::RecoveryLeft { n } if *n <= LOW_RECOVERY => format!("リカバリーコードは残り{n}個です。必要になる前に、新しいリカバリーコードを早めに作成してください。"),
            Self::RecoveryLeft { n } => format!("リカバリーコードは残り{n}個です。"),
            Self::SignOut => "ログアウト".into(),
            Self::CsrfTitle => "もう一度お試しください".into(),
            Self::CsrfBody => "このフォームは有効期限が切れているか、このサイトから送信されたものではないため、処理しませんでした。もう一度お試しください。".into(),
            Self::NotFoundTitle => "ページが見つかりません".into(),
            Self::NotFoundBody => "このアドレスにはページがありません。".into(),
            Self::BackHome => "最初のページへ".into(),
            Self::Skip => "または".into(),
        }
    }
}

/// At or below this many recovery codes left, the account page says to make new ones.
const LOW_RECOVERY: usize = 2;

fn en_minutes(minutes: i64) -> String {
    if minutes == 1 {
        "1 minute".into()
    } else {
        format!("{minutes} minutes")
    }
}

fn en_seconds(seconds: i64) -> String {
    if seconds == 1 {
        "1 second".into()
    } else {
        format!("{seconds} seconds")
    }
}
