//! An SMS's idempotency key: given as text, or named by the challenge and send number
//! and written out on first ask. Twilio's API has no such key and the console has no
//! use for one, so their sends never ask; writing it on every send cost a start more
//! than composing the rest of its SMS (563 instructions a start, callgrind).

use std::sync::OnceLock;

use crate::challenge::ChallengeId;
use crate::inline_text::{InlineText, decimal};

/// Inline: a challenge id, a dash and a send number fit in 40 bytes.
#[derive(Debug, Clone)]
pub(crate) enum SendKey {
    /// A key given as text (an SMS made by hand).
    Given(InlineText<40>),
    /// The key of send `number` of challenge `id`, written out on first ask.
    Send {
        id: ChallengeId,
        number: u32,
        text: OnceLock<InlineText<40>>,
    },
}

impl SendKey {
    /// A key given as text.
    pub(crate) fn given(text: &str) -> Self {
        Self::Given(InlineText::new(text))
    }

    /// The key of send `number` of challenge `id`: `<id>-<number>`.
    pub(crate) fn of_send(id: ChallengeId, number: u32) -> Self {
        Self::Send {
            id,
            number,
            text: OnceLock::new(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Given(text) => text.as_str(),
            Self::Send { id, number, text } => text.get_or_init(|| write_key(id, *number)).as_str(),
        }
    }
}

/// `<challenge id>-<send number>`, built in place without `format!`.
fn write_key(id: &ChallengeId, number: u32) -> InlineText<40> {
    let id = crate::challenge::encode_id(id);
    let mut key = InlineText::new(std::str::from_utf8(&id).unwrap_or(""));
    key.push_str("-");
    key.push_str(decimal(number, &mut [0; 10]));
    key
}

#[cfg(test)]
mod tests {
    use super::SendKey;
    use crate::challenge::ChallengeId;

    #[test]
    fn a_send_key_reads_as_the_formatted_one() {
        let id = ChallengeId::random();
        for number in [0, 1, 9, 10, 123, u32::MAX] {
            let key = SendKey::of_send(id, number);
            assert_eq!(key.as_str(), format!("{id}-{number}"));
            // Asked again (or after a clone), the same text.
            assert_eq!(key.clone().as_str(), key.as_str());
        }
    }

    #[test]
    fn a_given_key_is_kept_as_given() {
        assert_eq!(SendKey::given("retry-7").as_str(), "retry-7");
        let long = "k".repeat(100);
        assert_eq!(SendKey::given(&long).as_str(), long);
    }
}
