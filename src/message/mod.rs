//! The SMS text: templates, locales, autofill lines, GSM-7/UCS-2 segment counting.
//!
//! A [`MessageTemplate`] renders the [`Body`] of each SMS from the code and the
//! minutes it stays valid, in English or Japanese or from a custom pattern, with
//! optional machine-readable lines: the origin-bound line of the WICG
//! "sms-one-time-codes" format (read by Safari and Chrome's WebOTP API), and the
//! 11-character app hash of Android's SMS Retriever API. [`segments`] counts the SMS
//! parts a body costs.
//!
//! ```
//! use smsotp::message::{Encoding, Locale, MessageTemplate, segments};
//!
//! let template = MessageTemplate::new("Acme", Locale::En).with_origin("example.com")?;
//! let body = template.render("4KX7QP", 5);
//! assert_eq!(
//!     body.expose(),
//!     "4KX7QP is your Acme verification code. It expires in 5 minutes. \
//!      Don't share it with anyone.\n\n@example.com #4KX7QP"
//! );
//! let parts = segments(body.expose());
//! assert_eq!((parts.encoding, parts.count), (Encoding::Gsm7, 1));
//! # Ok::<(), smsotp::message::TemplateError>(())
//! ```

mod body;
mod segments;
mod speech;
mod template;
mod time_left;

pub use body::Body;
pub use segments::{Encoding, Segments, encoded_units, gsm7_septets, segments};
pub use speech::{Speech, Spoken, Unspeakable, spoken_symbol};
pub use template::{EmbeddedSigil, Longest, MessageTemplate, TemplateError};
pub use time_left::minutes_left;

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

impl Locale {
    /// The locale for a BCP 47 language tag (`"ja"`, `"ja-JP"`, `"en-GB"`), by its
    /// primary language; `None` for a language without built-in wording.
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Some(Locale::En)
        } else if primary.eq_ignore_ascii_case("ja") {
            Some(Locale::Ja)
        } else {
            None
        }
    }
}
