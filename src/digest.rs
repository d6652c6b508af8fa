//! Keyed digests of codes, constant-time comparison, and key rotation.
//!
//! Codes are never stored. The store keeps
//! `HMAC-SHA256(key, "smsotp/v1/code" ‖ id ‖ purpose ‖ destination ‖ code)` with each
//! field length-prefixed, so no two different inputs share a digest. Without the key, a
//! leaked store is useless for recovering codes, even from a 30-bit code space.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::challenge::{Binding, ChallengeId};
use crate::store::{BindingTag, Digest};

type HmacSha256 = Hmac<Sha256>;

const CODE_DOMAIN: &[u8] = b"smsotp/v1/code";
const BINDING_DOMAIN: &[u8] = b"smsotp/v1/binding";
const INDEX_DOMAIN: &[u8] = b"smsotp/v1/index";

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

/// The verifier's HMAC key: at least 32 bytes, zeroed on drop, never printed.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// A secret from raw bytes.
    ///
    /// # Errors
    /// [`SecretTooShort`] under 32 bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, SecretTooShort> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.len() < MIN_SECRET_LEN {
            return Err(SecretTooShort { len: bytes.len() });
        }
        Ok(Self(bytes))
    }

    /// 32 fresh bytes from the operating system's CSPRNG. Fine for one process; several
    /// app instances must share one configured secret instead.
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; MIN_SECRET_LEN]);
        rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
        Self(bytes)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// A secret shorter than [`MIN_SECRET_LEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the secret is {len} bytes; at least 32 are required")]
pub struct SecretTooShort {
    len: usize,
}

/// Names a key so it can be retired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u32);

/// The keys a verifier uses: the current one signs new codes; retired-but-live ones
/// still verify codes issued before a rotation, until they are dropped.
///
/// Rotate by making the new key current and keeping the old one for one challenge
/// lifetime (`ttl`); then drop it.
///
/// Counter names (send limits, the per-subject failure ceiling) use a separate *index
/// key*: if they followed the signing key, every rotation would hand an attacker fresh
/// limits and a fresh 100-failure budget. By default it is the first key the ring was
/// made with; across rotations keep it stable with
/// [`with_index_key`](Self::with_index_key) (changing it resets every counter).
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(KeyId, HmacSha256)>,
    index: HmacSha256,
}

impl Keyring {
    /// A keyring with one key.
    #[must_use]
    pub fn new(id: KeyId, secret: &Secret) -> Self {
        let mac = mac_for(secret);
        Self {
            keys: vec![(id, mac.clone())],
            index: mac,
        }
    }

    /// Names counters with `secret` instead of the first signing key. Use one
    /// long-lived index secret and rotate signing keys freely.
    #[must_use]
    pub fn with_index_key(mut self, secret: &Secret) -> Self {
        self.index = mac_for(secret);
        self
    }

    /// Adds an older key that still verifies, but no longer signs.
    #[must_use]
    pub fn with_previous(mut self, id: KeyId, secret: &Secret) -> Self {
        self.keys.push((id, mac_for(secret)));
        self
    }

    /// The key that signs new codes.
    #[must_use]
    pub fn current(&self) -> KeyId {
        self.keys[0].0
    }

    /// Every key, current first.
    #[must_use]
    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(|(id, _)| *id).collect()
    }

    /// The digest of `code` under the current key.
    #[must_use]
    pub fn digest(&self, id: &ChallengeId, binding: &Binding, code: &str) -> Digest {
        code_digest(&self.keys[0].1, id, binding, code)
    }

    /// The digests of `code` under every live key, current first.
    #[must_use]
    pub fn candidates(&self, id: &ChallengeId, binding: &Binding, code: &str) -> Vec<Digest> {
        self.keys
            .iter()
            .map(|(_, mac)| code_digest(mac, id, binding, code))
            .collect()
    }

    /// The binding tag under the current key.
    #[must_use]
    pub fn binding_tag(&self, binding: &Binding) -> BindingTag {
        binding_tag(&self.keys[0].1, binding)
    }

    /// The binding tags under every live key, current first.
    #[must_use]
    pub fn binding_tags(&self, binding: &Binding) -> Vec<BindingTag> {
        self.keys
            .iter()
            .map(|(_, mac)| binding_tag(mac, binding))
            .collect()
    }

    /// A keyed, URL-safe name for `value` (a phone number, a prefix), for rate-limit
    /// keys: stores learn which counters belong together, never the number.
    #[must_use]
    pub fn index(&self, value: &str) -> String {
        use base64::Engine as _;
        let mut mac = self.index.clone();
        feed(&mut mac, INDEX_DOMAIN);
        feed(&mut mac, value.as_bytes());
        let tag = mac.finalize().into_bytes();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..16])
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("keys", &self.ids())
            .finish_non_exhaustive()
    }
}

impl From<Secret> for Keyring {
    fn from(secret: Secret) -> Self {
        Keyring::new(KeyId(0), &secret)
    }
}

/// Compares two digests in constant time.
#[must_use]
pub fn digests_equal(a: &Digest, b: &Digest) -> bool {
    a.ct_eq(b).into()
}

/// Whether any of `candidates` equals any of `stored`, in time that depends only on the
/// two counts, never on where (or whether) they match.
#[must_use]
pub fn any_match(stored: &[Digest], candidates: &[Digest]) -> bool {
    let mut hit = subtle::Choice::from(0);
    for s in stored {
        for c in candidates {
            hit |= s.ct_eq(c);
        }
    }
    hit.into()
}

fn mac_for(secret: &Secret) -> HmacSha256 {
    // HMAC takes keys of any length; the length was checked when the Secret was made.
    <HmacSha256 as KeyInit>::new_from_slice(&secret.0).unwrap_or_else(|_| unreachable!())
}

fn feed(mac: &mut HmacSha256, field: &[u8]) {
    // Length-prefixing every field keeps ("ab","c") and ("a","bc") apart.
    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
    mac.update(&len.to_be_bytes());
    mac.update(field);
}

fn code_digest(key: &HmacSha256, id: &ChallengeId, binding: &Binding, code: &str) -> Digest {
    let mut mac = key.clone();
    feed(&mut mac, CODE_DOMAIN);
    feed(&mut mac, id.as_bytes());
    feed(&mut mac, binding.purpose().as_str().as_bytes());
    feed(&mut mac, binding.destination().as_e164().as_bytes());
    feed(&mut mac, code.as_bytes());
    mac.finalize().into_bytes().into()
}

fn binding_tag(key: &HmacSha256, binding: &Binding) -> BindingTag {
    let mut mac = key.clone();
    feed(&mut mac, BINDING_DOMAIN);
    feed(&mut mac, binding.purpose().as_str().as_bytes());
    feed(&mut mac, binding.destination().as_e164().as_bytes());
    let full = mac.finalize().into_bytes();
    let mut tag = [0u8; 16];
    tag.copy_from_slice(&full[..16]);
    tag
}
