//! The name of a provider (a route): one type wherever a name is kept or compared.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

/// A provider's name as receipts, errors, delivery reports and routing use it
/// (`"twilio"`, `"vonage"`, `"symworld"`, `"webhook"`, `"console"`, or your own).
/// Cheap for the built-in names (a `&'static str`); derefs to `str`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Provider(Cow<'static, str>);

impl Provider {
    /// A provider named by a constant.
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Provider {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Provider {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for Provider {
    fn from(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }
}

impl From<String> for Provider {
    fn from(name: String) -> Self {
        Self(Cow::Owned(name))
    }
}

impl From<Cow<'static, str>> for Provider {
    fn from(name: Cow<'static, str>) -> Self {
        Self(name)
    }
}

impl From<&Provider> for Provider {
    fn from(name: &Provider) -> Self {
        name.clone()
    }
}

impl PartialEq<str> for Provider {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Provider {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}
