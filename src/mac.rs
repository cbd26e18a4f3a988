//! HMAC-SHA256 with the key schedule done once, and constant-time comparison of MACs.

use core::fmt;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Length of an HMAC-SHA256 tag in bytes.
pub const MAC_LEN: usize = 32;

/// An HMAC-SHA256 key, pre-processed so each signature costs only the message's hashing.
///
/// `Debug` never shows the key.
#[derive(Clone)]
pub struct HmacKey(Hmac<Sha256>);

impl HmacKey {
    /// Prepares `key` (any length, as HMAC allows).
    pub fn new(key: &[u8]) -> Self {
        // HMAC hashes long keys and zero-pads short ones to one block; doing it here gives the
        // fixed-size key the infallible constructor takes.
        let mut block = [0u8; 64];
        if key.len() > block.len() {
            let digest = Sha256::digest(key);
            block
                .iter_mut()
                .zip(digest.iter())
                .for_each(|(b, d)| *b = *d);
        } else {
            block.iter_mut().zip(key).for_each(|(b, k)| *b = *k);
        }
        Self(Hmac::<Sha256>::new(&block.into()))
    }

    /// The MAC of the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; MAC_LEN] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey([REDACTED])")
    }
}

/// Compares two MACs in time independent of where they differ.
pub fn mac_eq(a: &[u8; MAC_LEN], b: &[u8; MAC_LEN]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // Keeps the optimiser from turning the fold into an early-exit comparison.
    core::hint::black_box(diff) == 0
}

/// Compares two secrets (tokens, passwords) in time independent of their contents: both are
/// hashed under a fixed key first, so only equal-length-agnostic 32-byte digests are compared and
/// neither the position of a difference nor the expected length leaks.
pub fn secret_eq(a: &[u8], b: &[u8]) -> bool {
    let key = HmacKey::new(b"formhook secret comparison");
    mac_eq(&key.mac(&[a]), &key.mac(&[b]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(secret_eq(b"token-1", b"token-1"));
        assert!(!secret_eq(b"token-1", b"token-2"));
        assert!(!secret_eq(b"token-1", b"token-10"));
        assert!(!secret_eq(b"", b"x"));
        assert!(secret_eq(b"", b""));
    }
    use crate::encoding::hex_encode;

    #[test]
    fn rfc4231_case_2() {
        let key = HmacKey::new(b"Jefe");
        let tag = key.mac(&[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex_encode(&tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn rfc4231_case_6_long_key() {
        let key = HmacKey::new(&[0xaa; 131]);
        let tag = key.mac(&[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(
            hex_encode(&tag),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn mac_eq_detects_any_difference() {
        let a = [7u8; MAC_LEN];
        assert!(mac_eq(&a, &a));
        for i in 0..MAC_LEN {
            let mut b = a;
            b[i] ^= 1;
            assert!(!mac_eq(&a, &b));
        }
    }

    #[test]
    fn debug_is_redacted() {
        let shown = alloc::format!("{:?}", HmacKey::new(b"hunter2"));
        assert!(!shown.contains("hunter2") && shown.contains("REDACTED"));
    }
}
