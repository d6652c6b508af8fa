//! Message templates: built-in English and Japanese wording, custom patterns, and
//! the optional origin-bound and app-hash lines.

use std::fmt::Write as _;

use super::{Body, Locale, Segments, encoded_units, segments};

/// Longest custom template accepted, in characters. Providers cap a body at about
/// 1600 characters (Twilio), and an OTP message needs far less.
const MAX_CUSTOM_CHARS: usize = 1000;

/// Longest purpose phrase, in characters: it must leave room for the rest of a
/// single SMS.
const MAX_PURPOSE_CHARS: usize = 40;

/// Why a template or one of its parts was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A custom template must contain `{code}`.
    #[error("the template has no {{code}} placeholder")]
    MissingCodePlaceholder,
    /// A placeholder other than `{code}` and `{minutes}`.
    #[error(
        "unknown placeholder {{{name}}}; use {{code}}, {{minutes}}, or {{{{ and }}}} for braces"
    )]
    UnknownPlaceholder {
        /// The name between the braces.
        name: String,
    },
    /// A `{` without its `}`, or a lone `}`; write `{{` and `}}` for literal braces.
    #[error("unbalanced brace at byte {offset}; write {{{{ and }}}} for literal braces")]
    UnbalancedBrace {
        /// Byte offset of the brace in the template.
        offset: usize,
    },
    /// The custom template is longer than 1000 characters.
    #[error("the template is too long for an SMS code message")]
    TooLong,
    /// The origin has a scheme (`https://`); give the host alone.
    #[error(
        "the origin must be a host name without a scheme (example.com, not https://example.com)"
    )]
    OriginScheme,
    /// The origin has a port; origin-bound codes always mean `https://host`.
    #[error("the origin must be a host name without a port")]
    OriginPort,
    /// The origin has a path, query or fragment.
    #[error("the origin must be a host name without a path, query or fragment")]
    OriginPath,
    /// The origin has non-ASCII characters; give an internationalised domain in its
    /// ASCII (punycode `xn--`) form.
    #[error("the origin must be ASCII: write an internationalised domain as punycode (xn--...)")]
    OriginNotAscii,
    /// The origin is not a valid DNS host name (empty labels, bad characters, over
    /// 63 characters a label or 253 in all, or an IP address).
    #[error("the origin is not a valid DNS host name")]
    OriginMalformed,
    /// An embedded (iframe) origin needs the top-level origin first.
    #[error("set the top-level origin with with_origin before the embedded origin")]
    EmbeddedWithoutOrigin,
    /// An Android SMS Retriever app hash is exactly 11 characters of the base64
    /// alphabet (`A-Z a-z 0-9 + /`).
    #[error("an SMS Retriever app hash is 11 base64 characters")]
    InvalidAppHash,
    /// A purpose phrase must be 1 to 40 characters, on one line, without braces.
    #[error("the purpose phrase must be 1 to 40 characters on one line")]
    InvalidPurpose,
    /// Purpose phrases fill the built-in wording; a custom template says it itself.
    #[error(
        "a purpose phrase applies to built-in templates only; write it into the custom template"
    )]
    PurposeOnCustom,
}

/// The longest message a template renders, from [`MessageTemplate::longest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Longest {
    /// Its encoding and SMS part count.
    pub segments: Segments,
    /// Units it takes in that encoding (septets or UTF-16 units).
    pub units: usize,
    /// Of those, what the machine-readable lines take (the app hash and origin-bound
    /// lines and the blank line before them); 0 without them.
    pub lines: usize,
}

impl Longest {
    /// Units that fit one unsplit SMS in its encoding (160 or 70).
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.segments.encoding.single_capacity()
    }

    /// Whether it fits one SMS segment.
    #[must_use]
    pub fn fits_one_segment(&self) -> bool {
        self.segments.count <= 1
    }

    /// Units over one segment: what must be shortened to fit one (0 if it fits).
    #[must_use]
    pub fn over(&self) -> usize {
        self.units.saturating_sub(self.capacity())
    }
}

/// How the embedded (iframe) origin is marked on the origin-bound line.
///
/// The WICG format uses `@`; Apple's documentation shows `%`, and the two have not
/// been reconciled, so the choice is the app's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EmbeddedSigil {
    /// `@ecommerce.example`, per the WICG draft.
    #[default]
    At,
    /// `%ecommerce.example`, per Apple's documentation.
    Percent,
}

/// What a message says: a built-in wording or a custom pattern, plus optional
/// autofill lines.
///
/// ```
/// use smsotp::message::{Locale, MessageTemplate};
///
/// let t = MessageTemplate::new("Acme", Locale::Ja)
///     .with_purpose("ログイン")?
///     .with_origin("example.com")?;
/// assert_eq!(
///     t.render("4KX7QP", 5).expose(),
///     "【Acme】ログイン用認証コード：4KX7QP\n\
///      有効期限5分。他人に教えないでください。\n\n@example.com #4KX7QP"
/// );
///
/// let custom = MessageTemplate::custom("Code {code}, valid {minutes} min.")?;
/// assert_eq!(custom.render("4KX7QP", 3).expose(), "Code 4KX7QP, valid 3 min.");
/// # Ok::<(), smsotp::message::TemplateError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    text: Text,
    purpose: Option<String>,
    app_hash: Option<String>,
    origin: Option<String>,
    embedded: Option<(String, EmbeddedSigil)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    BuiltIn { brand: String, locale: Locale },
    Custom(Vec<Piece>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Code,
    Minutes,
}

impl MessageTemplate {
    /// The built-in wording for `brand` in `locale`:
    ///
    /// - English: `4KX7QP is your Acme verification code. It expires in 5 minutes.
    ///   Don't share it with anyone.` (GSM-7 only, so one SMS holds it.)
    /// - Japanese: `【Acme】認証コード：4KX7QP` / `有効期限5分。他人に教えないでください。`
    ///   (39 UTF-16 units with a 4-character brand, so a single 70-unit UCS-2 SMS
    ///   still has room for a purpose and the origin-bound line: the notice style
    ///   `有効期限5分。` says in 7 units what `有効期限は5分です。` says in 10.)
    ///
    /// Control characters in `brand` (line breaks included) become spaces, so a brand
    /// can never add lines, least of all a fake origin-bound line.
    #[must_use]
    pub fn new(brand: impl Into<String>, locale: Locale) -> Self {
        let brand: String = brand
            .into()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Self::with_text(Text::BuiltIn {
            brand: brand.trim().to_owned(),
            locale,
        })
    }

    /// A custom pattern. `{code}` (required, may repeat) is replaced by the code and
    /// `{minutes}` by the minutes it stays valid; `{{` and `}}` are literal braces.
    ///
    /// # Errors
    /// [`TemplateError::MissingCodePlaceholder`] without `{code}`,
    /// [`TemplateError::UnknownPlaceholder`], [`TemplateError::UnbalancedBrace`],
    /// [`TemplateError::TooLong`] over 1000 characters.
    pub fn custom(pattern: &str) -> Result<Self, TemplateError> {
        if pattern.chars().count() > MAX_CUSTOM_CHARS {
            return Err(TemplateError::TooLong);
        }
        let pieces = parse_pattern(pattern)?;
        if !pieces.contains(&Piece::Code) {
            return Err(TemplateError::MissingCodePlaceholder);
        }
        Ok(Self::with_text(Text::Custom(pieces)))
    }

    fn with_text(text: Text) -> Self {
        Self {
            text,
            purpose: None,
            app_hash: None,
            origin: None,
            embedded: None,
        }
    }

    /// Ends every message with the origin-bound line of the WICG
    /// "sms-one-time-codes" format, after a blank line: `@example.com #4KX7QP`.
    /// Browsers then offer the code only on `https://example.com`. `host` is a bare
    /// ASCII host name (letters are lowercased); an internationalised domain must be
    /// given in punycode.
    ///
    /// # Errors
    /// [`TemplateError::OriginScheme`], [`TemplateError::OriginPort`],
    /// [`TemplateError::OriginPath`], [`TemplateError::OriginNotAscii`] or
    /// [`TemplateError::OriginMalformed`].
    pub fn with_origin(mut self, host: &str) -> Result<Self, TemplateError> {
        self.origin = Some(validate_host(host)?);
        Ok(self)
    }

    /// Adds the embedded origin for a code entered in a cross-origin iframe:
    /// `@example.com #4KX7QP @ecommerce.example` (or `%ecommerce.example`).
    ///
    /// # Errors
    /// [`TemplateError::EmbeddedWithoutOrigin`] before [`with_origin`](Self::with_origin),
    /// and the host errors of `with_origin`.
    pub fn with_embedded_origin(
        mut self,
        host: &str,
        sigil: EmbeddedSigil,
    ) -> Result<Self, TemplateError> {
        if self.origin.is_none() {
            return Err(TemplateError::EmbeddedWithoutOrigin);
        }
        self.embedded = Some((validate_host(host)?, sigil));
        Ok(self)
    }

    /// Adds the 11-character app hash that Android's SMS Retriever API looks for, on
    /// its own line after the text (before the origin-bound line, which must stay
    /// last). SMS Retriever also requires the whole message to fit 140 bytes: one
    /// SMS, 160 GSM-7 or 70 UCS-2 characters.
    ///
    /// # Errors
    /// [`TemplateError::InvalidAppHash`] unless `hash` is 11 base64 characters.
    pub fn with_app_hash(mut self, hash: &str) -> Result<Self, TemplateError> {
        let ok = hash.len() == 11
            && hash
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if !ok {
            return Err(TemplateError::InvalidAppHash);
        }
        self.app_hash = Some(hash.to_owned());
        Ok(self)
    }

    /// Says what the code is for, in the template's language: an English verb phrase
    /// (`"sign in"` gives "your Acme code to sign in") or a Japanese noun
    /// (`"ログイン"` gives 「ログイン用認証コード」). Naming the action helps people
    /// notice a code they did not ask for.
    ///
    /// # Errors
    /// [`TemplateError::InvalidPurpose`] for an empty phrase, over 40 characters,
    /// with control characters or braces; [`TemplateError::PurposeOnCustom`] on a
    /// custom template.
    pub fn with_purpose(mut self, purpose: &str) -> Result<Self, TemplateError> {
        if matches!(self.text, Text::Custom(_)) {
            return Err(TemplateError::PurposeOnCustom);
        }
        let purpose = purpose.trim();
        let ok = !purpose.is_empty()
            && purpose.chars().count() <= MAX_PURPOSE_CHARS
            && !purpose
                .chars()
                .any(|c| c.is_control() || c == '{' || c == '}');
        if !ok {
            return Err(TemplateError::InvalidPurpose);
        }
        self.purpose = Some(purpose.to_owned());
        Ok(self)
    }

    /// The built-in wording's brand; `None` for a custom template.
    #[must_use]
    pub fn brand(&self) -> Option<&str> {
        match &self.text {
            Text::BuiltIn { brand, .. } => Some(brand),
            Text::Custom(_) => None,
        }
    }

    /// The built-in wording's language; `None` for a custom template.
    #[must_use]
    pub fn locale(&self) -> Option<Locale> {
        match self.text {
            Text::BuiltIn { locale, .. } => Some(locale),
            Text::Custom(_) => None,
        }
    }

    /// The longest message this template renders for codes of `length` symbols drawn
    /// from `symbols`, valid for up to `max_minutes`, and how much of it the autofill
    /// lines take. The verifier's builder refuses a configuration whose longest
    /// message spills into a second segment (see
    /// [`allow_multi_segment`](crate::VerifierBuilder::allow_multi_segment)).
    ///
    /// Each symbol is tried as a whole code of that symbol (the costliest symbol
    /// repeated is the costliest code: a GSM-7 extension character costs two septets,
    /// one symbol outside GSM-7 makes the whole message UCS-2), with the time at 1
    /// minute and at `max_minutes` (the most digits; English says "minute" at 1).
    ///
    /// ```
    /// use smsotp::message::{Locale, MessageTemplate};
    ///
    /// let t = MessageTemplate::new("Acme", Locale::Ja).with_origin("example.com")?;
    /// let longest = t.longest("23456789ABCDEFGHJKMNPQRSTUVWXYZ", 6, 10);
    /// assert_eq!((longest.units, longest.capacity(), longest.segments.count), (62, 70, 1));
    /// # Ok::<(), smsotp::message::TemplateError>(())
    /// ```
    #[must_use]
    pub fn longest(&self, symbols: &str, length: usize, max_minutes: u32) -> Longest {
        let bare = Self {
            app_hash: None,
            origin: None,
            embedded: None,
            ..self.clone()
        };
        let measure = |t: &Self| {
            let mut worst: Option<(Segments, usize)> = None;
            let mut tried: Vec<char> = Vec::new();
            // An empty alphabet still renders once, so the text itself is measured.
            let mut candidates: Vec<char> = symbols.chars().collect();
            if candidates.is_empty() {
                candidates.push('0');
            }
            for symbol in candidates {
                if tried.contains(&symbol) {
                    continue;
                }
                tried.push(symbol);
                let code: String = std::iter::repeat_n(symbol, length).collect();
                for minutes in [1, max_minutes.max(1)] {
                    let body = t.render(&code, minutes);
                    let text = body.expose();
                    let found = (segments(text), encoded_units(text));
                    let longer = worst.is_none_or(|(s, u)| (found.0.count, found.1) > (s.count, u));
                    if longer {
                        worst = Some(found);
                    }
                }
            }
            worst.unwrap_or_else(|| (segments(""), 0))
        };
        let (segments, units) = measure(self);
        let (_, text_units) = measure(&bare);
        Longest {
            segments,
            units,
            lines: units.saturating_sub(text_units),
        }
    }

    /// Renders the body for `code`, valid for `minutes`.
    ///
    /// The code should be a run of non-space characters (generated codes are), as
    /// the origin-bound line needs it to be one token.
    #[must_use]
    pub fn render(&self, code: &str, minutes: u32) -> Body {
        let mut out = String::with_capacity(160);
        let mut at: Option<std::ops::Range<usize>> = None;
        let mut push_code = |out: &mut String| {
            let start = out.len();
            out.push_str(code);
            if at.is_none() {
                at = Some(start..out.len());
            }
        };
        match &self.text {
            Text::BuiltIn { brand, locale } => {
                render_builtin(
                    &mut out,
                    &mut push_code,
                    brand,
                    *locale,
                    self.purpose.as_deref(),
                    minutes,
                );
            }
            Text::Custom(pieces) => {
                for piece in pieces {
                    match piece {
                        Piece::Literal(s) => out.push_str(s),
                        Piece::Code => push_code(&mut out),
                        Piece::Minutes => push_decimal(&mut out, minutes),
                    }
                }
            }
        }
        if self.app_hash.is_some() || self.origin.is_some() {
            out.push_str("\n\n");
        }
        if let Some(hash) = &self.app_hash {
            out.push_str(hash);
            if self.origin.is_some() {
                out.push('\n');
            }
        }
        if let Some(host) = &self.origin {
            // Kept last: the WICG format reads only the message's last line.
            let _ = write!(out, "@{host} #{code}");
            if let Some((embedded, sigil)) = &self.embedded {
                let mark = match sigil {
                    EmbeddedSigil::At => '@',
                    EmbeddedSigil::Percent => '%',
                };
                let _ = write!(out, " {mark}{embedded}");
            }
        }
        match at {
            Some(range) => Body::with_code_at(out, range),
            None => Body::with_code(out, code),
        }
    }
}

fn render_builtin(
    out: &mut String,
    push_code: &mut impl FnMut(&mut String),
    brand: &str,
    locale: Locale,
    purpose: Option<&str>,
    minutes: u32,
) {
    match locale {
        Locale::Ja => {
            // Pushed piece by piece: `write!` cost more than the rest of the body.
            if !brand.is_empty() {
                out.push('【');
                out.push_str(brand);
                out.push('】');
            }
            if let Some(p) = purpose {
                // 用 without の: one UTF-16 unit of a 70-unit SMS, same meaning.
                out.push_str(p);
                out.push('用');
            }
            out.push_str("認証コード：");
            push_code(out);
            out.push_str("\n有効期限");
            push_decimal(out, minutes);
            out.push_str("分。他人に教えないでください。");
        }
        Locale::En => {
            push_code(out);
            out.push_str(" is your ");
            if !brand.is_empty() {
                out.push_str(brand);
                out.push(' ');
            }
            match purpose {
                Some(p) => {
                    out.push_str("code to ");
                    out.push_str(p);
                    out.push('.');
                }
                None => out.push_str("verification code."),
            }
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            out.push_str(" It expires in ");
            push_decimal(out, minutes);
            out.push(' ');
            out.push_str(unit);
            out.push_str(". Don't share it with anyone.");
        }
    }
}

/// Appends `n` in decimal, without the formatting machinery.
fn push_decimal(out: &mut String, n: u32) {
    out.push_str(crate::inline_text::decimal(n, &mut [0; 10]));
}

/// Splits a custom pattern into literals and placeholders.
fn parse_pattern(pattern: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = pattern.char_indices().peekable();
    while let Some((offset, c)) = rest.next() {
        match c {
            '{' if rest.peek().map(|&(_, n)| n) == Some('{') => {
                rest.next();
                literal.push('{');
            }
            '}' if rest.peek().map(|&(_, n)| n) == Some('}') => {
                rest.next();
                literal.push('}');
            }
            '}' => return Err(TemplateError::UnbalancedBrace { offset }),
            '{' => {
                let mut name = String::new();
                loop {
                    match rest.next() {
                        Some((_, '}')) => break,
                        Some((_, '{')) | None => {
                            return Err(TemplateError::UnbalancedBrace { offset });
                        }
                        Some((_, ch)) => name.push(ch),
                    }
                }
                let piece = match name.as_str() {
                    "code" => Piece::Code,
                    "minutes" => Piece::Minutes,
                    _ => return Err(TemplateError::UnknownPlaceholder { name }),
                };
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(piece);
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// Checks a bare host name and returns it lowercased.
fn validate_host(host: &str) -> Result<String, TemplateError> {
    if host.contains("://") {
        return Err(TemplateError::OriginScheme);
    }
    if !host.is_ascii() {
        return Err(TemplateError::OriginNotAscii);
    }
    if host.contains(['/', '?', '#']) {
        return Err(TemplateError::OriginPath);
    }
    if host.contains(':') {
        return Err(TemplateError::OriginPort);
    }
    let host = host.to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let all_ok = (1..=253).contains(&host.len()) && host.split('.').all(label_ok);
    // A numeric last label is an IPv4 address (or no real TLD): not an origin
    // that autofill can bind to.
    let numeric_tld = host
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    if !all_ok || numeric_tld {
        return Err(TemplateError::OriginMalformed);
    }
    Ok(host)
}
