//! HMAC (RFC 2104) of one 8-byte counter, with the key schedule done once.
//!
//! A keyed `hmac::Hmac` holds the hash states after absorbing `K ^ ipad` and `K ^ opad`;
//! cloning it skips re-keying, so each code costs the two compressions of the message
//! itself. The HMAC is RustCrypto's: nothing cryptographic is written here.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

use super::Algorithm;

/// A keyed HMAC ready to sign counters.
#[derive(Clone)]
pub(super) struct KeyedMac(Keyed);

#[derive(Clone)]
enum Keyed {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

fn keyed<M: KeyInit>(key: &[u8]) -> M {
    // HMAC takes keys of any length (long ones are hashed first), so this cannot fail.
    M::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts every key length"))
}

fn sign<M: Mac + Clone>(keyed: &M, counter: u64) -> u32 {
    let mut mac = keyed.clone();
    mac.update(&counter.to_be_bytes());
    dynamic_truncate(&mac.finalize().into_bytes())
}

impl KeyedMac {
    pub(super) fn new(algorithm: Algorithm, key: &[u8]) -> Self {
        Self(match algorithm {
            Algorithm::Sha1 => Keyed::Sha1(keyed(key)),
            Algorithm::Sha256 => Keyed::Sha256(keyed(key)),
            Algorithm::Sha512 => Keyed::Sha512(keyed(key)),
        })
    }

    /// RFC 4226 §5.3 dynamic truncation of HMAC(K, counter), a 31-bit value.
    pub(super) fn truncated(&self, counter: u64) -> u32 {
        match &self.0 {
            Keyed::Sha1(mac) => sign(mac, counter),
            Keyed::Sha256(mac) => sign(mac, counter),
            Keyed::Sha512(mac) => sign(mac, counter),
        }
    }

    /// The code as a number of `digits` decimal digits.
    pub(super) fn code_value(&self, counter: u64, digits: u8) -> u32 {
        self.truncated(counter) % 10u32.pow(u32::from(digits))
    }
}

fn dynamic_truncate(mac: &[u8]) -> u32 {
    // Every supported output is at least 20 bytes and the offset at most 15, so bytes
    // offset..offset+4 exist; `get` keeps that an explicit, non-panicking fact.
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes);
    word & 0x7fff_ffff
}
