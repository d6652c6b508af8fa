//! Keyed digests of codes, keyed tags of bindings and counter names, constant-time
//! comparison, and key rotation.
//!
//! Codes are never stored. The store keeps
//! `HMAC-SHA256(key, "otp3" ‖ id ‖ binding tag ‖ len(code) ‖ code)`: the id and tag are
//! fixed-size, the code length-prefixed, so no two different inputs share a digest, and
//! for codes up to 14 symbols (the default is 6) the whole message fits one SHA-256
//! block, so a digest costs what a bare HMAC of a short message costs. Without the
//! key, a leaked store is useless for recovering codes, even from a 30-bit code space.
//!
//! The binding tag (destination, purpose, subject) and counter names are keyed
//! SipHash-2-4 with 128-bit output: a pseudorandom function under a key derived from
//! the index key, so a store learns which records belong together and never whose
//! they are, at a small fraction of an HMAC's cost on every check.

use std::fmt;

use std::hash::Hasher as _;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use siphasher::sip128::{Hasher128 as _, SipHasher24};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::challenge::{Binding, ChallengeId};
use crate::code::Code;
use crate::store::{BindingTag, Digest};

type HmacSha256 = Hmac<Sha256>;

/// Short, so that a code digest's message fits one SHA-256 block; it cannot be
/// mistaken for any other use of a signing key, whose messages all start with a
/// 4-byte length. The digit names the message's layout: 3 since ids are 20 bytes.
const CODE_DOMAIN: &[u8; 4] = b"otp3";
const BINDING_DOMAIN: &[u8] = b"smsotp/v2/binding";
const INDEX_DOMAIN: &[u8] = b"smsotp/v2/index";
const TAG_KEY_DOMAIN: &[u8] = b"smsotp/v2/tag-key";

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
/// lifetime (`ttl`); then drop it:
///
/// ```
/// # use smsotp::{KeyId, Keyring, Secret};
/// # let (first, second) = (Secret::generate(), Secret::generate());
/// let day_one = Keyring::new(KeyId(0), &first);
/// let rotating = Keyring::new(KeyId(1), &second).with_previous(KeyId(0), &first);
/// let rotated = Keyring::new(KeyId(1), &second).with_index_key(&first);
/// # let _ = (day_one, rotating, rotated);
/// ```
///
/// Counter names (send limits, the per-subject failure ceiling) and binding tags use a
/// separate *index key*: if they followed the signing key, every rotation would hand an
/// attacker fresh limits and a fresh 100-failure budget. The index key is
/// [`KeyId(0)`](KeyId)'s secret (the first key an app ever used) wherever it is in the
/// ring, or the secret named by [`with_index_key`](Self::with_index_key). A ring with
/// neither is refused when the verifier is built
/// ([`ConfigError::IndexKey`](crate::ConfigError::IndexKey)): it could only come from
/// retiring key 0 without saying which key names counters, which would silently reset
/// every limit. So are the two mislabellings that would move the index key to a new
/// secret: two keys under one id
/// ([`ConfigError::DuplicateKeyId`](crate::ConfigError::DuplicateKeyId)), and a key 0
/// that signs in front of older keys, as `Keyring::from(new)` followed by
/// `with_previous` makes
/// ([`ConfigError::IndexKeyMoved`](crate::ConfigError::IndexKeyMoved)), unless
/// [`with_index_key`](Self::with_index_key) says which secret names counters.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(KeyId, SigningKey)>,
    index: Option<IndexKey>,
    /// Whether [`with_index_key`](Self::with_index_key) named the index key.
    index_named: bool,
}

/// A signing key: its HMAC, and the SHA-256 states after the key's inner and outer
/// pad blocks, so a code digest costs exactly its two compressions and nothing else
/// (no copy of a whole HMAC, no buffering).
#[derive(Clone)]
struct SigningKey {
    mac: HmacSha256,
    inner: [u32; 8],
    outer: [u32; 8],
}

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const SHA256_H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

impl SigningKey {
    fn new(secret: &Secret) -> Self {
        // HMAC (RFC 2104): a key longer than the block is hashed first; then padded.
        let mut key = Zeroizing::new([0u8; 64]);
        if secret.0.len() > 64 {
            key[..32].copy_from_slice(&<Sha256 as sha2::Digest>::digest(&*secret.0));
        } else {
            key[..secret.0.len()].copy_from_slice(&secret.0);
        }
        let pad = |byte: u8| {
            let mut block = Zeroizing::new([[0u8; 64]; 1]);
            for (b, k) in block[0].iter_mut().zip(key.iter()) {
                *b = k ^ byte;
            }
            let mut state = SHA256_H0;
            sha2::block_api::compress256(&mut state, &*block);
            state
        };
        Self {
            mac: mac_for(secret),
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.inner);
        zeroize::Zeroize::zeroize(&mut self.outer);
    }
}

/// The index key, and the SipHash key derived from it for tags and counter names.
///
/// The two hashers have already absorbed their fixed domain prefix (length and name),
/// so each tag or name hashes only its own fields: the same output as hashing the whole
/// message, for two SipHash blocks less on every check and start.
#[derive(Clone)]
struct IndexKey {
    sip: [u8; 16],
    binding: SipHasher24,
    index: SipHasher24,
}

impl IndexKey {
    fn from_mac(mac: &HmacSha256) -> Self {
        let mut derive = mac.clone();
        feed(&mut derive, TAG_KEY_DOMAIN);
        let full = derive.finalize().into_bytes();
        let mut sip = [0u8; 16];
        sip.copy_from_slice(&full[..16]);
        let mut binding = SipHasher24::new_with_key(&sip);
        sip_feed(&mut binding, BINDING_DOMAIN);
        let mut index = SipHasher24::new_with_key(&sip);
        sip_feed(&mut index, INDEX_DOMAIN);
        Self {
            sip,
            binding,
            index,
        }
    }
}

impl Drop for IndexKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.sip);
        // The hashers' state is derived from the key; siphasher offers no zeroize, so
        // overwrite them (black_box keeps the dead stores from being optimised away).
        self.binding = SipHasher24::default();
        self.index = SipHasher24::default();
        std::hint::black_box(&mut *self);
    }
}

impl Keyring {
    /// A keyring with one key. Key 0 is also the index key (see above).
    #[must_use]
    pub fn new(id: KeyId, secret: &Secret) -> Self {
        let key = SigningKey::new(secret);
        Self {
            index: (id == KeyId(0)).then(|| IndexKey::from_mac(&key.mac)),
            keys: vec![(id, key)],
            index_named: false,
        }
    }

    /// Names counters and binding tags with `secret`, whatever the signing keys are.
    /// Keep it for the life of the app; changing it resets every counter.
    #[must_use]
    pub fn with_index_key(mut self, secret: &Secret) -> Self {
        self.index = Some(IndexKey::from_mac(&mac_for(secret)));
        self.index_named = true;
        self
    }

    /// Adds an older key that still verifies, but no longer signs. Key 0 added here
    /// stays the index key.
    #[must_use]
    pub fn with_previous(mut self, id: KeyId, secret: &Secret) -> Self {
        let key = SigningKey::new(secret);
        if id == KeyId(0) && self.index.is_none() {
            self.index = Some(IndexKey::from_mac(&key.mac));
        }
        self.keys.push((id, key));
        self
    }

    /// Whether the ring has an index key (see the type's docs).
    #[must_use]
    pub fn has_index_key(&self) -> bool {
        self.index.is_some()
    }

    /// Why a verifier must not use this ring, if it must not: each case would let a
    /// rotation rename every counter (send limits, failure ceilings) without a word.
    pub(crate) fn fault(&self) -> Option<crate::ConfigError> {
        use crate::ConfigError;
        let mut ids: Vec<KeyId> = self.ids();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            // Which of the two would name counters depends on the order they were
            // added in: refuse rather than guess.
            return Some(ConfigError::DuplicateKeyId(pair[0]));
        }
        if self.index.is_none() {
            return Some(ConfigError::IndexKey);
        }
        if self.current() == KeyId(0) && self.keys.len() > 1 && !self.index_named {
            // Key 0 names counters because it is the first key an app ever used; a
            // key 0 that signs in front of other keys is almost always a new key given
            // id 0 (what `Keyring::from(secret)` does), which would reset every limit.
            // A real rollback to the first key says so with `with_index_key`.
            return Some(ConfigError::IndexKeyMoved);
        }
        None
    }

    /// Runs `f` with the index key; derived from the current signing key for a ring the
    /// verifier would refuse (so the methods stay total). Borrowed, not cloned: a clone
    /// would cost a copy and a zeroize on every check.
    fn using_index_key<R>(&self, f: impl FnOnce(&IndexKey) -> R) -> R {
        match &self.index {
            Some(key) => f(key),
            None => f(&IndexKey::from_mac(&self.keys[0].1.mac)),
        }
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

    /// The digest of `code` for challenge `id` bound by `tag` (see
    /// [`binding_tag`](Self::binding_tag)), under the current key.
    #[must_use]
    pub fn digest(&self, id: &ChallengeId, tag: &BindingTag, code: &str) -> Digest {
        code_digest(&self.keys[0].1, id, tag, code.as_bytes())
    }

    /// [`digest`](Self::digest) of a [`Code`](crate::Code), from its bytes.
    pub(crate) fn digest_code(&self, id: &ChallengeId, tag: &BindingTag, code: &Code) -> Digest {
        code_digest(&self.keys[0].1, id, tag, code.as_bytes())
    }

    /// [`candidates`](Self::candidates) of a [`Code`](crate::Code), from its bytes,
    /// into `out` (cleared first), so a caller can reuse one allocation.
    pub(crate) fn code_candidates_into(
        &self,
        id: &ChallengeId,
        tag: &BindingTag,
        code: &Code,
        out: &mut Vec<Digest>,
    ) {
        out.clear();
        out.extend(
            self.keys
                .iter()
                .map(|(_, key)| code_digest(key, id, tag, code.as_bytes())),
        );
    }

    /// The digests of `code` under every live key, current first.
    #[must_use]
    pub fn candidates(&self, id: &ChallengeId, tag: &BindingTag, code: &str) -> Vec<Digest> {
        self.keys
            .iter()
            .map(|(_, key)| code_digest(key, id, tag, code.as_bytes()))
            .collect()
    }

    /// The binding's tag (destination, purpose and subject) under the index key, so it
    /// stays the same across signing-key rotations.
    #[must_use]
    pub fn binding_tag(&self, binding: &Binding) -> BindingTag {
        // A challenge belongs to the subject it was started for; "no subject" is kept
        // apart from every named one by its own marker.
        let (marker, subject): (&[u8], &[u8]) = match binding.subject() {
            Some(subject) => (b"subject", subject.as_bytes()),
            None => (b"no subject", b""),
        };
        let fields = [
            binding.purpose().as_str().as_bytes(),
            binding.destination().as_e164().as_bytes(),
            marker,
            subject,
        ];
        self.using_index_key(|key| {
            // The domain (BINDING_DOMAIN) is already in the precomputed hasher.
            let mut h = key.binding;
            write_fields(&mut h, &fields);
            h.finish128().as_bytes()
        })
    }

    /// A keyed, URL-safe name for `value` (a phone number, a prefix), for rate-limit
    /// keys: stores learn which counters belong together, never the number.
    #[must_use]
    pub fn index(&self, value: &str) -> String {
        self.index_parts(&[value.as_bytes()])
    }

    /// [`index`](Self::index) of the concatenation of `parts`, without building it.
    #[must_use]
    pub fn index_parts(&self, parts: &[&[u8]]) -> String {
        // Encoded on the stack (URL-safe base64, 22 characters): one allocation.
        let text = crate::challenge::encode_16(&self.index_raw(parts));
        String::from(std::str::from_utf8(&text).unwrap_or(""))
    }

    /// A counter of `scope` named by [`index_parts`](Self::index_parts) of `parts`:
    /// the same name, with no heap copy on the way.
    pub(crate) fn counter_key(
        &self,
        scope: crate::store::Scope,
        parts: &[&[u8]],
    ) -> crate::store::CounterKey {
        let text = crate::challenge::encode_16(&self.index_raw(parts));
        crate::store::CounterKey::new(scope, std::str::from_utf8(&text).unwrap_or(""))
    }

    /// The 128 bits behind [`index_parts`](Self::index_parts), before encoding.
    fn index_raw(&self, parts: &[&[u8]]) -> [u8; 16] {
        self.using_index_key(|key| {
            // The domain (INDEX_DOMAIN) is already in the precomputed hasher.
            let mut h = key.index;
            let len: usize = parts.iter().map(|p| p.len()).sum();
            h.write(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
            for part in parts {
                h.write(part);
            }
            h.finish128().as_bytes()
        })
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
    prefix_eq(a, b).into()
}

/// Whether any of `candidates` equals any of `stored`, in time that depends only on the
/// two counts, never on where (or whether) they match.
#[must_use]
pub fn any_match(stored: &[Digest], candidates: &[Digest]) -> bool {
    let mut hit = subtle::Choice::from(0);
    for s in stored {
        for c in candidates {
            hit |= prefix_eq(s, c);
        }
    }
    hit.into()
}

/// Whether the first `N` bytes of `a` and `b` are equal (`N` a multiple of 8, at most
/// 32), in constant time: the differences of whole 8-byte words are OR-ed together
/// without a branch and only the total is compared, instead of one barrier per byte.
pub(crate) fn prefix_eq<const N: usize>(a: &[u8; N], b: &Digest) -> subtle::Choice {
    let mut diff = 0u64;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let mut wx = [0u8; 8];
        let mut wy = [0u8; 8];
        wx.copy_from_slice(x);
        wy.copy_from_slice(y);
        diff |= u64::from_ne_bytes(wx) ^ u64::from_ne_bytes(wy);
    }
    diff.ct_eq(&0)
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

/// Writes `fields`, each prefixed by its length (so ("ab","c") and ("a","bc") differ).
/// Gathered on the stack first when they fit, so SipHash takes one write instead of
/// one per piece; longer ones (a long subject) go piece by piece, with the same output.
fn write_fields(h: &mut SipHasher24, fields: &[&[u8]; 4]) {
    const ROOM: usize = 128;
    let total: usize = fields.iter().map(|f| 4 + f.len()).sum();
    if total > ROOM {
        for field in fields {
            sip_feed(h, field);
        }
        return;
    }
    let mut buf = [0u8; ROOM];
    let mut at = 0;
    for field in fields {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes();
        buf[at..at + 4].copy_from_slice(&len);
        buf[at + 4..at + 4 + field.len()].copy_from_slice(field);
        at += 4 + field.len();
    }
    h.write(&buf[..at]);
}

fn sip_feed(h: &mut SipHasher24, field: &[u8]) {
    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
    h.write(&len.to_be_bytes());
    h.write(field);
}

/// The part of a code digest's message before the code: domain, id, tag, length.
const CODE_HEAD: usize = CODE_DOMAIN.len() + ChallengeId::LEN + 16 + 1;

fn code_digest(key: &SigningKey, id: &ChallengeId, tag: &BindingTag, code: &[u8]) -> Digest {
    if code.len() > crate::code::MAX_LENGTH {
        // Not a code this crate makes; the general path gives the same HMAC.
        return code_digest_general(&key.mac, id, tag, code);
    }
    // The inner hash's message after the key block, padded by hand (FIPS 180-4, 5.1.1):
    // one block for codes up to 14 symbols, two up to MAX_LENGTH.
    let len = CODE_HEAD + code.len();
    let mut buf = [0u8; 128];
    buf[..4].copy_from_slice(CODE_DOMAIN);
    let (id_at, tag_at) = (CODE_DOMAIN.len(), CODE_DOMAIN.len() + ChallengeId::LEN);
    buf[id_at..tag_at].copy_from_slice(id.as_bytes());
    buf[tag_at..tag_at + 16].copy_from_slice(tag);
    buf[CODE_HEAD - 1] = u8::try_from(code.len()).unwrap_or(u8::MAX);
    buf[CODE_HEAD..len].copy_from_slice(code);
    buf[len] = 0x80;
    let blocks = if len + 9 <= 64 { 1 } else { 2 };
    let bits = u64::try_from((64 + len) * 8).unwrap_or(u64::MAX);
    buf[blocks * 64 - 8..blocks * 64].copy_from_slice(&bits.to_be_bytes());
    let mut inner = key.inner;
    sha2::block_api::compress256(&mut inner, &buf.as_chunks::<64>().0[..blocks]);
    // The code must not outlive the digest on the stack.
    zeroize::Zeroize::zeroize(&mut buf[CODE_HEAD..len]);
    let mut outer_block = [[0u8; 64]; 1];
    for (out, word) in outer_block[0].chunks_exact_mut(4).zip(inner) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    zeroize::Zeroize::zeroize(&mut inner);
    outer_block[0][32] = 0x80;
    outer_block[0][56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
    let mut outer = key.outer;
    sha2::block_api::compress256(&mut outer, &outer_block);
    let mut digest = [0u8; 32];
    for (out, word) in digest.chunks_exact_mut(4).zip(outer) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

fn code_digest_general(
    key: &HmacSha256,
    id: &ChallengeId,
    tag: &BindingTag,
    code: &[u8],
) -> Digest {
    let mut mac = key.clone();
    mac.update(CODE_DOMAIN);
    mac.update(id.as_bytes());
    mac.update(tag);
    // Codes are at most 32 symbols (`code::MAX_LENGTH`), so one length byte holds them.
    mac.update(&[u8::try_from(code.len()).unwrap_or(u8::MAX)]);
    mac.update(code);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use std::hash::Hasher as _;

    use siphasher::sip128::{Hasher128 as _, SipHasher24};

    use super::{BINDING_DOMAIN, INDEX_DOMAIN, KeyId, Keyring, Secret, sip_feed};
    use crate::challenge::{Binding, Purpose};
    use crate::phone::PhoneNumber;

    #[test]
    fn binding_tags_are_stable_and_distinct_past_the_stack_buffer() {
        let ring = Keyring::new(KeyId(0), &Secret::new(vec![3u8; 32]).unwrap());
        let number = PhoneNumber::parse_e164("+819012345678").unwrap();
        let tag = |subject: &str| {
            ring.binding_tag(&Binding::new(number.clone(), Purpose::login()).with_subject(subject))
        };
        let mut seen = std::collections::HashSet::new();
        for len in [0, 1, 200, 220, 221, 222, 240, 256, 300, 600] {
            let subject = "s".repeat(len);
            assert_eq!(tag(&subject), tag(&subject), "stable at {len}");
            assert!(seen.insert(tag(&subject)), "distinct at {len}");
        }
        let unnamed = ring.binding_tag(&Binding::new(number, Purpose::login()));
        assert!(seen.insert(unnamed), "no subject differs from an empty one");
    }

    /// The precomputed domain prefix must not change a single tag or counter name:
    /// stores hold them, and a change would orphan challenges and reset every limit.
    #[test]
    fn precomputed_prefixes_give_the_one_pass_outputs() {
        use base64::Engine as _;
        let ring = Keyring::new(KeyId(0), &Secret::new(vec![5u8; 32]).unwrap());
        let sip = ring.index.as_ref().unwrap().sip;
        let number = PhoneNumber::parse_e164("+819012345678").unwrap();
        for subject in [None, Some("alice"), Some(&*"s".repeat(300))] {
            let mut binding = Binding::new(number.clone(), Purpose::login());
            if let Some(s) = subject {
                binding = binding.with_subject(s);
            }
            let (marker, name): (&[u8], &[u8]) = match subject {
                Some(s) => (b"subject", s.as_bytes()),
                None => (b"no subject", b""),
            };
            let mut fields = Vec::new();
            for field in [
                BINDING_DOMAIN,
                b"login".as_slice(),
                b"+819012345678".as_slice(),
                marker,
                name,
            ] {
                fields.extend_from_slice(&u32::try_from(field.len()).unwrap().to_be_bytes());
                fields.extend_from_slice(field);
            }
            let mut h = SipHasher24::new_with_key(&sip);
            h.write(&fields);
            assert_eq!(ring.binding_tag(&binding), h.finish128().as_bytes());
        }
        for parts in [&[b"+819012345678".as_slice()][..], &[b"subject:", b"alice"]] {
            let mut h = SipHasher24::new_with_key(&sip);
            sip_feed(&mut h, INDEX_DOMAIN);
            let len: usize = parts.iter().map(|p| p.len()).sum();
            h.write(&u32::try_from(len).unwrap().to_be_bytes());
            for part in parts {
                h.write(part);
            }
            let expected =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.finish128().as_bytes());
            assert_eq!(ring.index_parts(parts), expected);
        }
    }

    #[test]
    fn word_wise_comparison_finds_every_differing_byte() {
        let a = [7u8; 32];
        assert!(super::digests_equal(&a, &a));
        for i in 0..32 {
            let mut b = a;
            b[i] ^= 1;
            assert!(!super::digests_equal(&a, &b), "byte {i}");
            assert!(!super::any_match(&[a], &[b]));
        }
    }

    /// The hand-padded HMAC must be HMAC-SHA256 exactly: stores hold these digests.
    #[test]
    fn code_digests_are_the_hmac_of_the_message_for_every_length() {
        use hmac::Mac as _;
        let id = crate::ChallengeId::random();
        let tag = [0x5au8; 16];
        for secret_len in [32, 64, 65, 100] {
            let secret = Secret::new(vec![0xa7u8; secret_len]).unwrap();
            let ring = Keyring::new(KeyId(0), &secret);
            for len in 0..=40 {
                let code = "7".repeat(len);
                let mut mac =
                    <super::HmacSha256 as hmac::KeyInit>::new_from_slice(&secret.0).unwrap();
                mac.update(super::CODE_DOMAIN);
                mac.update(id.as_bytes());
                mac.update(&tag);
                mac.update(&[u8::try_from(len).unwrap()]);
                mac.update(code.as_bytes());
                let expected: [u8; 32] = mac.finalize().into_bytes().into();
                assert_eq!(
                    ring.digest(&id, &tag, &code),
                    expected,
                    "{secret_len}/{len}"
                );
            }
        }
    }
}
