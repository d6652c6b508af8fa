//! What a form's answer tells the page after it (Post/Redirect/Get).
//!
//! Every form is answered with a 303 to a page, never with a page: the browser's
//! history then holds only GETs, so Back and Reload never post a form again (no
//! "Confirm Form Resubmission", no second SMS, no second attempt). What the form's
//! handler had to say rides to that page in the signed session cookie, is shown once,
//! and is dropped by the page that shows it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::pages::{Fallback, Notice};

/// A notice for the next page, with the status that page answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub notice: Notice,
    /// 200, or the error status the form's outcome deserves (429, 503, ...).
    pub status: u16,
    /// What the person typed (a username, a phone number: never a secret), so they need
    /// not type it again.
    #[serde(default)]
    pub typed: String,
    /// On a page with several forms, the one the notice is about.
    #[serde(default)]
    pub form: Option<Fallback>,
}

impl Flash {
    /// A notice that something went wrong.
    pub fn error(msg: super::i18n::Msg, status: u16) -> Self {
        Self {
            notice: Notice::Error(msg),
            status,
            typed: String::new(),
            form: None,
        }
    }

    /// News, such as "we sent a new code".
    pub fn info(msg: super::i18n::Msg) -> Self {
        Self {
            notice: Notice::Info(msg),
            status: 200,
            typed: String::new(),
            form: None,
        }
    }

    /// Carries `typed` back to the form. The cookie codec drops it if the cookie
    /// would grow too long to come back, so any length is safe here.
    pub fn with_typed(mut self, typed: &str) -> Self {
        typed.clone_into(&mut self.typed);
        self
    }

    /// Names the form the notice is about.
    pub fn for_form(mut self, form: Fallback) -> Self {
        self.form = Some(form);
        self
    }

    /// The cookie field: base64url of JSON, so it never contains the `|` separator.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads [`encode`](Self::encode) back.
    pub fn decode(text: &str) -> Option<Self> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
    }
}
