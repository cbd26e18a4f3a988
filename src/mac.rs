//! HMAC-SHA256 with the key schedule done once, and constant-time checks of MACs and secrets.
//!
//! Key handling (hashing long keys, padding short ones) and tag comparison are the `hmac` and
//! `digest` crates' own: `KeyInit::new_from_slice`, `Mac::verify_slice` and `CtOutput`'s
//! constant-time equality.

use core::fmt;
use hmac::digest::CtOutput;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::secret::{SecretError, MAX_SECRET_BYTES};

/// Length of an HMAC-SHA256 tag in bytes.
pub const MAC_LEN: usize = 32;

/// An HMAC-SHA256 key, pre-processed so each signature costs only the message's hashing.
///
/// `Debug` never shows the key.
#[derive(Clone)]
pub struct HmacKey(Hmac<Sha256>);

impl HmacKey {
    /// Prepares `key`: 1 to [`MAX_SECRET_BYTES`] bytes, the limits a [`Secret`](crate::Secret)
    /// has (HMAC itself takes any length).
    pub fn new(key: &[u8]) -> Result<Self, SecretError> {
        match key.len() {
            0 => Err(SecretError::Empty),
            n if n > MAX_SECRET_BYTES => Err(SecretError::TooLong),
            // `hmac` never refuses a key length; its `InvalidLength` exists only because the
            // `KeyInit` trait's signature has it.
            _ => Hmac::new_from_slice(key)
                .map(Self)
                .map_err(|_| SecretError::TooLong),
        }
    }

    fn over(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac
    }

    /// The MAC of the concatenation of `parts`.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; MAC_LEN] {
        self.over(parts).finalize().into_bytes().into()
    }

    /// Whether `tag` is the MAC of the concatenation of `parts`, checked in constant time with
    /// `Mac::verify_slice` (a tag of the wrong length never matches).
    pub fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        self.over(parts).verify_slice(tag).is_ok()
    }

    /// Whether any of `tags` is the MAC of the concatenation of `parts`. The message is hashed
    /// once; every tag is compared, each in constant time (`CtOutput`'s equality), so timing
    /// says nothing about which one matched.
    pub fn verify_any<'t>(
        &self,
        parts: &[&[u8]],
        tags: impl IntoIterator<Item = &'t [u8; MAC_LEN]>,
    ) -> bool {
        let expected = self.over(parts).finalize();
        let mut matched = false;
        for tag in tags {
            matched |= expected == CtOutput::new((*tag).into());
        }
        matched
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey([REDACTED])")
    }
}

/// Compares two secrets (tokens, passwords) in time independent of their contents: both are
/// MACed under a fixed key and the tags compared with `Mac::verify_slice`, so neither the
/// position of a difference nor the expected length leaks.
pub fn secret_eq(a: &[u8], b: &[u8]) -> bool {
    let key = Hmac::<Sha256>::new_from_slice(b"formhook secret comparison");
    key.is_ok_and(|key| {
        let tag_b = key.clone().chain_update(b).finalize().into_bytes();
        key.chain_update(a).verify_slice(&tag_b).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::hex_encode;

    #[test]
    fn secret_comparison() {
        assert!(secret_eq(b"token-1", b"token-1"));
        assert!(!secret_eq(b"token-1", b"token-2"));
        assert!(!secret_eq(b"token-1", b"token-10"));
        assert!(!secret_eq(b"", b"x"));
        assert!(secret_eq(b"", b""));
    }

    fn key(bytes: &[u8]) -> HmacKey {
        HmacKey::new(bytes).expect("valid test key")
    }

    #[test]
    fn rfc4231_case_2() {
        let tag = key(b"Jefe").mac(&[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex_encode(&tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn rfc4231_case_6_long_key() {
        let tag =
            key(&[0xaa; 131]).mac(&[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(
            hex_encode(&tag),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn key_limits() {
        assert_eq!(HmacKey::new(b"").err(), Some(SecretError::Empty));
        assert_eq!(
            HmacKey::new(&[1; MAX_SECRET_BYTES + 1]).err(),
            Some(SecretError::TooLong)
        );
        assert!(HmacKey::new(&[1; MAX_SECRET_BYTES]).is_ok());
    }

    #[test]
    fn verification_detects_any_difference() {
        let key = key(b"k");
        let parts: [&[u8]; 2] = [b"a.", b"b"];
        let tag = key.mac(&parts);
        assert!(key.verify(&parts, &tag));
        assert!(key.verify_any(&parts, [&[0; MAC_LEN], &tag]));
        assert!(!key.verify(&parts, &tag[..31]), "short tag");
        assert!(!key.verify_any(&parts, []), "no tags");
        for i in 0..MAC_LEN {
            let mut other = tag;
            other[i] ^= 1;
            assert!(!key.verify(&parts, &other));
            assert!(!key.verify_any(&parts, [&other]));
        }
    }

    #[test]
    fn debug_is_redacted() {
        let shown = alloc::format!("{:?}", key(b"hunter2"));
        assert!(!shown.contains("hunter2") && shown.contains("REDACTED"));
    }
}
