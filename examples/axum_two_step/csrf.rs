//! CSRF protection: a synchronizer token tied to the session.
//!
//! The token is HMAC-SHA256(csrf key, session id). Every form carries it in a hidden
//! field and every POST is refused unless the field matches the token of the session
//! cookie that came with it. Another site can make the browser send the cookie, but
//! cannot read the page, so it cannot know the token. Because the session id changes
//! when the person signs in or out, so does the token: a token seen before sign-in
//! is worthless after.
//!
//! Deriving instead of storing keeps sessions stateless; the key is separate from the
//! cookie-signing key so one can never stand in for the other.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Issues and checks CSRF tokens.
#[derive(Clone)]
pub struct Csrf {
    key: [u8; 32],
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf([REDACTED])")
    }
}

impl Csrf {
    /// A token source keyed by `key`.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn raw(&self, session_id: &[u8; 16]) -> [u8; 32] {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(b"csrf-v1");
        mac.update(session_id);
        mac.finalize().into_bytes().into()
    }

    /// The token for forms of this session.
    pub fn token(&self, session_id: &[u8; 16]) -> String {
        URL_SAFE_NO_PAD.encode(self.raw(session_id))
    }

    /// Whether `presented` is this session's token. The comparison takes the same
    /// time wherever the first difference is.
    pub fn verify(&self, session_id: &[u8; 16], presented: &str) -> bool {
        let Ok(presented) = URL_SAFE_NO_PAD.decode(presented.as_bytes()) else {
            return false;
        };
        let expected = self.raw(session_id);
        // Lengths are public (every token is 32 bytes); ct_eq of unequal lengths is false.
        bool::from(expected.as_slice().ct_eq(presented.as_slice()))
    }
}
