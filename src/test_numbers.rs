//! Fixed-code test numbers for staging and app-store review.

use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::phone::PhoneNumber;

/// Numbers that get a fixed code and no SMS, until a date. Refused by a verifier in
/// production mode, so a forgotten entry cannot become a back door.
#[derive(Clone, Default)]
pub struct TestNumbers {
    entries: Vec<(PhoneNumber, Zeroizing<String>, OffsetDateTime)>,
}

impl TestNumbers {
    /// No test numbers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `number`, which gets `code` (typed as the alphabet demands) until `until`.
    #[must_use]
    pub fn with(mut self, number: PhoneNumber, code: &str, until: OffsetDateTime) -> Self {
        self.entries.retain(|(n, _, _)| *n != number);
        self.entries
            .push((number, Zeroizing::new(code.to_owned()), until));
        self
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fixed code for `number` at `now`, if it is a test number still in date.
    pub(crate) fn code_for(&self, number: &PhoneNumber, now: OffsetDateTime) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _, until)| n == number && now < *until)
            .map(|(_, code, _)| code.as_str())
    }

    /// The codes, for checking them against the code spec.
    pub(crate) fn codes(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(_, code, _)| code.as_str())
    }
}

impl std::fmt::Debug for TestNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(n, _, until)| (n, until)))
            .finish()
    }
}
