//! The SMS text: templates, locales, autofill lines, GSM-7/UCS-2 segment counting.
//!
//! PLACEHOLDER: a minimal first cut; the full module replaces it.

use std::fmt;

/// How the SMS body is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// The GSM 03.38 7-bit alphabet: 160 characters per single SMS.
    Gsm7,
    /// UCS-2: 70 UTF-16 units per single SMS.
    Ucs2,
}

/// Encoding and part count of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    /// The encoding the whole body needs.
    pub encoding: Encoding,
    /// How many SMS parts it takes.
    pub count: u16,
}

/// Works out the encoding and the number of parts of `body`.
#[must_use]
pub fn segments(body: &str) -> Segments {
    if body.is_ascii() {
        let n = body.len();
        let count = if n <= 160 { 1 } else { n.div_ceil(153) };
        Segments {
            encoding: Encoding::Gsm7,
            count: u16::try_from(count).unwrap_or(u16::MAX),
        }
    } else {
        let n = body.encode_utf16().count();
        let count = if n <= 70 { 1 } else { n.div_ceil(67) };
        Segments {
            encoding: Encoding::Ucs2,
            count: u16::try_from(count).unwrap_or(u16::MAX),
        }
    }
}

/// A message language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// Japanese.
    Ja,
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    brand: String,
    locale: Locale,
    origin: Option<String>,
}

impl MessageTemplate {
    /// A template for `brand` in `locale`.
    #[must_use]
    pub fn new(brand: impl Into<String>, locale: Locale) -> Self {
        Self {
            brand: brand.into(),
            locale,
            origin: None,
        }
    }
    /// Renders the body for `code`, valid for `minutes`.
    #[must_use]
    pub fn render(&self, code: &str, minutes: u32) -> Body {
        let text = match self.locale {
            Locale::En => format!(
                "{} code: {code}. Valid {minutes} min. Do not share it.",
                self.brand
            ),
            Locale::Ja => format!(
                "{}の認証コード: {code}（{minutes}分有効）。他人に教えないでください。",
                self.brand
            ),
        };
        Body::with_code(text, code)
    }
}

/// A rendered SMS body. It holds the code, so its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    text: String,
    code: Option<std::ops::Range<usize>>,
}

impl Body {
    /// A body with this text.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            code: None,
        }
    }
    /// A body whose text contains `code`; test doubles read the code back.
    pub(crate) fn with_code(text: String, code: &str) -> Self {
        let code = text.find(code).map(|start| start..start + code.len());
        Self { text, code }
    }
    /// The text, to hand to a provider.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.text
    }
    /// The code this body carries, if it was rendered from a template.
    pub(crate) fn code(&self) -> Option<&str> {
        self.code.clone().and_then(|r| self.text.get(r))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body([REDACTED; {} chars])", self.text.chars().count())
    }
}
