//! HMAC (RFC 2104) of one 8-byte counter, with the key schedule done once.
//!
//! `HMAC(K, C) = H((K ^ opad) || H((K ^ ipad) || C))`. The two key blocks are each one
//! compression from the hash's initial value, and they never change, so we keep the two
//! resulting chaining states and start every code from them. What is left per code is
//! one compression for the inner hash (8 counter bytes plus padding fit one block) and one
//! for the outer hash (the inner digest plus padding fit one block): half the work of
//! keying an HMAC afresh, and no streaming-buffer bookkeeping.
//!
//! The compression functions come from RustCrypto's `sha1` and `sha2` (hardware-accelerated
//! where the CPU allows); only the fixed-length padding is written here. The RFC 4226 and
//! RFC 6238 vectors, and a property test against an independent implementation, check it.

use std::slice;

use sha1::Sha1;
use sha1::block_api::compress as sha1_compress;
use sha2::block_api::{compress256, compress512};
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, Zeroizing};

use super::Algorithm;

// Initial hash values, FIPS 180-4 §5.3.1, §5.3.3, §5.3.5.
const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];
const SHA512_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

/// The chaining states after absorbing `K ^ ipad` and `K ^ opad`. Each is as good as the
/// key for making codes, so both are wiped on drop.
#[derive(Clone)]
struct Pads<S: Zeroize> {
    inner: S,
    outer: S,
}

impl<S: Zeroize> Drop for Pads<S> {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

/// A keyed HMAC ready to sign counters.
#[derive(Clone)]
pub(super) struct KeyedMac(Keyed);

#[derive(Clone)]
enum Keyed {
    Sha1(Pads<[u32; 5]>),
    Sha256(Pads<[u32; 8]>),
    Sha512(Pads<[u64; 8]>),
}

impl KeyedMac {
    pub(super) fn new(algorithm: Algorithm, key: &[u8]) -> Self {
        match algorithm {
            Algorithm::Sha1 => {
                let block = key_block::<64>(key, |k| Sha1::digest(k).to_vec());
                Self(Keyed::Sha1(Pads {
                    inner: absorb(SHA1_IV, &block, IPAD, sha1_compress),
                    outer: absorb(SHA1_IV, &block, OPAD, sha1_compress),
                }))
            }
            Algorithm::Sha256 => {
                let block = key_block::<64>(key, |k| Sha256::digest(k).to_vec());
                Self(Keyed::Sha256(Pads {
                    inner: absorb(SHA256_IV, &block, IPAD, compress256),
                    outer: absorb(SHA256_IV, &block, OPAD, compress256),
                }))
            }
            Algorithm::Sha512 => {
                let block = key_block::<128>(key, |k| Sha512::digest(k).to_vec());
                Self(Keyed::Sha512(Pads {
                    inner: absorb(SHA512_IV, &block, IPAD, compress512),
                    outer: absorb(SHA512_IV, &block, OPAD, compress512),
                }))
            }
        }
    }

    /// HOTP(K, C) before the decimal reduction: the 31-bit dynamically truncated value
    /// (RFC 4226 §5.3).
    pub(super) fn truncated(&self, counter: u64) -> u32 {
        let msg = counter.to_be_bytes();
        match &self.0 {
            Keyed::Sha1(pads) => {
                let inner = run(pads.inner, &msg, sha1_compress);
                let outer = run(pads.outer, &words_be::<5, 20>(inner), sha1_compress);
                dynamic_truncate(&words_be::<5, 20>(outer))
            }
            Keyed::Sha256(pads) => {
                let inner = run(pads.inner, &msg, compress256);
                let outer = run(pads.outer, &words_be::<8, 32>(inner), compress256);
                dynamic_truncate(&words_be::<8, 32>(outer))
            }
            Keyed::Sha512(pads) => {
                let inner = run(pads.inner, &msg, compress512);
                let outer = run(pads.outer, &words_be::<8, 64>(inner), compress512);
                dynamic_truncate(&words_be::<8, 64>(outer))
            }
        }
    }

    /// The HOTP value with `digits` decimal digits.
    pub(super) fn code_value(&self, counter: u64, digits: u8) -> u32 {
        self.truncated(counter) % 10u32.pow(u32::from(digits))
    }
}

/// The key as one hash block: hashed first if longer than a block, then zero-padded.
fn key_block<const B: usize>(key: &[u8], hash: impl Fn(&[u8]) -> Vec<u8>) -> Zeroizing<[u8; B]> {
    let mut block = Zeroizing::new([0u8; B]);
    let hashed;
    let key = if key.len() > B {
        hashed = Zeroizing::new(hash(key));
        hashed.as_slice()
    } else {
        key
    };
    block.iter_mut().zip(key).for_each(|(b, k)| *b = *k);
    block
}

/// The chaining state after compressing `key ^ pad` from `iv`.
fn absorb<S, const B: usize>(iv: S, key: &[u8; B], pad: u8, compress: fn(&mut S, &[[u8; B]])) -> S {
    let mut padded = Zeroizing::new([0u8; B]);
    padded.iter_mut().zip(key).for_each(|(p, k)| *p = *k ^ pad);
    let mut state = iv;
    compress(&mut state, slice::from_ref(&*padded));
    state
}

/// Finishes a hash whose first block (the key block) is already in `state`, over a
/// message short enough to fit in one more block with its padding.
fn run<const W: usize, const B: usize, T: Copy>(
    mut state: [T; W],
    message: &[u8],
    compress: fn(&mut [T; W], &[[u8; B]]),
) -> [T; W] {
    // SHA-1 and SHA-256 end a block with a 64-bit length, SHA-512 with a 128-bit one.
    let len_bytes = B / 8;
    let mut block = [0u8; B];
    block.iter_mut().zip(message).for_each(|(b, m)| *b = *m);
    if let Some(marker) = block.get_mut(message.len()) {
        *marker = 0x80;
    }
    // Message bytes so far: the key block plus this message.
    let bits = (B as u128 + message.len() as u128) * 8;
    let bits = bits.to_be_bytes();
    let tail = block.iter_mut().skip(B - len_bytes);
    tail.zip(bits.iter().skip(16 - len_bytes))
        .for_each(|(b, l)| *b = *l);
    compress(&mut state, slice::from_ref(&block));
    state
}

/// Chaining-state words as big-endian bytes (the hash output, or the next block's input).
fn words_be<const W: usize, const N: usize>(words: [impl BigEndianWord; W]) -> [u8; N] {
    let mut out = [0u8; N];
    let size = N / W;
    for (chunk, word) in out.chunks_exact_mut(size).zip(words) {
        word.write_be(chunk);
    }
    out
}

trait BigEndianWord: Copy {
    fn write_be(self, out: &mut [u8]);
}

impl BigEndianWord for u32 {
    fn write_be(self, out: &mut [u8]) {
        out.iter_mut()
            .zip(self.to_be_bytes())
            .for_each(|(o, b)| *o = b);
    }
}

impl BigEndianWord for u64 {
    fn write_be(self, out: &mut [u8]) {
        out.iter_mut()
            .zip(self.to_be_bytes())
            .for_each(|(o, b)| *o = b);
    }
}

fn dynamic_truncate<const N: usize>(mac: &[u8; N]) -> u32 {
    // The offset is at most 15, so bytes 15..=18 is the furthest read: in bounds for every
    // output of 20 bytes or more.
    const { assert!(N >= 20) };
    let offset = usize::from(mac[N - 1] & 0x0f);
    let word = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    word & 0x7fff_ffff
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, KeyInit, Mac};

    use super::*;

    fn reference(algorithm: Algorithm, key: &[u8], counter: u64) -> Vec<u8> {
        let msg = counter.to_be_bytes();
        match algorithm {
            Algorithm::Sha1 => {
                let mut m = <Hmac<Sha1> as KeyInit>::new_from_slice(key).unwrap();
                m.update(&msg);
                m.finalize().into_bytes().to_vec()
            }
            Algorithm::Sha256 => {
                let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
                m.update(&msg);
                m.finalize().into_bytes().to_vec()
            }
            Algorithm::Sha512 => {
                let mut m = <Hmac<Sha512> as KeyInit>::new_from_slice(key).unwrap();
                m.update(&msg);
                m.finalize().into_bytes().to_vec()
            }
        }
    }

    fn reference_truncated(mac: &[u8]) -> u32 {
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        u32::from_be_bytes(mac[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff
    }

    #[test]
    fn matches_the_hmac_crate_for_keys_of_every_length_class() {
        let algorithms = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
        // Empty, short, one block exactly, one block plus one, several blocks.
        for len in [0usize, 1, 20, 63, 64, 65, 127, 128, 129, 300, 1024] {
            let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            for algorithm in algorithms {
                let mac = KeyedMac::new(algorithm, &key);
                for counter in [0u64, 1, 0x0102_0304_0506_0708, u64::MAX] {
                    let expected = reference_truncated(&reference(algorithm, &key, counter));
                    assert_eq!(mac.truncated(counter), expected, "{algorithm} len {len}");
                }
            }
        }
    }
}
