//! A rendered SMS body, which carries the code and so is kept out of logs.

use std::fmt;
use std::ops::Range;

use zeroize::Zeroize;

use super::{Segments, segments};

/// A rendered SMS body. It holds the code, so its `Debug` is redacted, it has no
/// `Display`, and its text is wiped from memory when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    text: String,
    /// Where the code is in `text`, for bodies rendered from a template.
    code: Option<Range<usize>>,
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

    /// A body whose text contains `code` (at its first occurrence); test doubles
    /// read the code back.
    pub(crate) fn with_code(text: String, code: &str) -> Self {
        let range = if code.is_empty() {
            None
        } else {
            text.find(code).map(|start| start..start + code.len())
        };
        Self { text, code: range }
    }

    /// A body whose code is exactly at `range` of `text`. Templates know where they
    /// put the code; searching could find the same characters in the brand first.
    pub(crate) fn with_code_at(text: String, range: Range<usize>) -> Self {
        let code = (!range.is_empty() && text.get(range.clone()).is_some()).then_some(range);
        Self { text, code }
    }

    /// The text, to hand to a provider.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The encoding and SMS part count of the text.
    #[must_use]
    pub fn segments(&self) -> Segments {
        segments(&self.text)
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

impl Drop for Body {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}
