//! Ed25519 keys for Standard Webhooks' asymmetric `v1a` signatures: `whpk_<base64>` public keys
//! (32 bytes) and `whsk_<base64>` signing keys.
//!
//! Senders in the wild disagree on `whsk_`: Svix's server and the JavaScript pull request encode
//! 64 bytes (seed followed by public key), the Go and Python pull requests the 32-byte seed. Both
//! are accepted; a 64-byte key whose public half does not belong to its seed is refused. Keys are
//! written as 64 bytes, the form the most senders read.
//!
//! The curve arithmetic is `ed25519-dalek` without its precomputed tables: verifying a 1 KB body
//! costs ~1.3× node:crypto's Ed25519 in the npm build, where the tables would save ~7 % for ~36 KB
//! more gzipped wasm (measured with wasm-bindgen, before wasm-opt; `ed25519-compact` was 2.5×).

use alloc::string::String;
use core::fmt;

use ed25519_dalek::{Signature, Signer, VerifyingKey};

use crate::encoding::{base64_decode, base64_encode};
use crate::secret::SecretError;

pub use crate::secret::{PUBLIC_KEY_PREFIX, SIGNING_KEY_PREFIX};
/// Length of an ed25519 signature in bytes.
pub const SIGNATURE_LEN: usize = 64;
/// Random bytes a key pair is made from (the seed).
pub const SEED_LEN: usize = 32;

/// An ed25519 public key: verifies `v1a` signatures. Not secret, so `Debug` shows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses `whpk_<base64 of 32 bytes>` (the prefix is required: without it the text would be
    /// taken for an HMAC secret).
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .strip_prefix(PUBLIC_KEY_PREFIX)
            .ok_or(SecretError::InvalidKeyEncoding)?;
        let bytes = base64_decode(encoded).ok_or(SecretError::InvalidKeyEncoding)?;
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SecretError::InvalidKeyLength)?;
        Self::from_bytes(&bytes)
    }

    /// The key from its 32 bytes; refuses bytes that are no curve point, and small-order points
    /// (with which a signature can verify for any message).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, SecretError> {
        match VerifyingKey::from_bytes(bytes) {
            Ok(key) if !key.is_weak() => Ok(Self(key)),
            _ => Err(SecretError::InvalidPublicKey),
        }
    }

    /// The 32 key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The `whpk_<base64>` text, safe to publish.
    pub fn to_whpk(&self) -> String {
        let mut text = String::from(PUBLIC_KEY_PREFIX);
        text.push_str(&base64_encode(self.0.as_bytes()));
        text
    }

    /// Whether `signature` signs `message` under this key (RFC 8032 with the strict checks:
    /// canonical encodings, no small-order points).
    pub fn verify(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
        self.0
            .verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_whpk())
    }
}

/// An ed25519 signing key: signs `v1a` signatures. `Debug` prints `[REDACTED]`; the key bytes
/// are wiped when it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// Parses `whsk_<base64>` holding the 32-byte seed, or 64 bytes: the seed followed by its
    /// public key, which must match.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .strip_prefix(SIGNING_KEY_PREFIX)
            .ok_or(SecretError::InvalidKeyEncoding)?;
        let bytes =
            zeroize::Zeroizing::new(base64_decode(encoded).ok_or(SecretError::InvalidKeyEncoding)?);
        if let Ok(seed) = <&[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(Self(ed25519_dalek::SigningKey::from_bytes(seed)));
        }
        let pair =
            <&[u8; 64]>::try_from(bytes.as_slice()).map_err(|_| SecretError::InvalidKeyLength)?;
        ed25519_dalek::SigningKey::from_keypair_bytes(pair)
            .map(Self)
            .map_err(|_| SecretError::KeyPairMismatch)
    }

    /// A new key pair from [`SEED_LEN`] caller-supplied random bytes (the core has no randomness
    /// of its own).
    pub fn generate(random: &[u8]) -> Result<Self, SecretError> {
        let seed = <&[u8; SEED_LEN]>::try_from(random).map_err(|_| SecretError::BadSeedLength)?;
        Ok(Self(ed25519_dalek::SigningKey::from_bytes(seed)))
    }

    /// The public key that verifies this key's signatures.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The `whsk_<base64>` text of the 64-byte form (seed, then public key), to store or show
    /// the owner once.
    pub fn to_whsk(&self) -> String {
        let pair = zeroize::Zeroizing::new(self.0.to_keypair_bytes());
        let mut text = String::from(SIGNING_KEY_PREFIX);
        text.push_str(&base64_encode(pair.as_slice()));
        text
    }

    /// The signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032 §7.1, test 2: a one-byte message.
    const SEED: [u8; 32] = [
        0x4c, 0xcd, 0x08, 0x9b, 0x28, 0xff, 0x96, 0xda, 0x9d, 0xb6, 0xc3, 0x46, 0xec, 0x11, 0x4e,
        0x0f, 0x5b, 0x8a, 0x31, 0x9f, 0x35, 0xab, 0xa6, 0x24, 0xda, 0x8c, 0xf6, 0xed, 0x4f, 0xb8,
        0xa6, 0xfb,
    ];
    const PUBLIC: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    const SIGNATURE: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

    fn hex<const N: usize>(text: &str) -> [u8; N] {
        crate::encoding::hex_decode_exact(text).expect("test hex")
    }

    #[test]
    fn rfc8032_test_2() {
        let key = SigningKey::generate(&SEED).unwrap();
        assert_eq!(key.public_key().to_bytes(), hex::<32>(PUBLIC));
        let signature = key.sign(&[0x72]);
        assert_eq!(signature, hex::<64>(SIGNATURE));
        assert!(key.public_key().verify(&[0x72], &signature));
        assert!(!key.public_key().verify(&[0x73], &signature));
    }

    #[test]
    fn both_whsk_lengths_parse_to_the_same_key() {
        let key = SigningKey::generate(&SEED).unwrap();
        let long = key.to_whsk();
        let short = alloc::format!("{SIGNING_KEY_PREFIX}{}", base64_encode(&SEED));
        assert_eq!(SigningKey::parse(&long), Ok(key.clone()));
        assert_eq!(SigningKey::parse(&short), Ok(key.clone()));
        let public = key.public_key().to_whpk();
        assert_eq!(PublicKey::parse(&public), Ok(key.public_key()));
    }

    #[test]
    fn refuses_bad_keys() {
        let other = SigningKey::generate(&[9; 32])
            .unwrap()
            .public_key()
            .to_bytes();
        let mut mismatched = SEED.to_vec();
        mismatched.extend_from_slice(&other);
        let mismatched = alloc::format!("whsk_{}", base64_encode(&mismatched));
        assert_eq!(
            SigningKey::parse(&mismatched),
            Err(SecretError::KeyPairMismatch)
        );
        assert_eq!(
            SigningKey::parse("whsk_AAAA"),
            Err(SecretError::InvalidKeyLength)
        );
        assert_eq!(
            SigningKey::parse("whsk_not base64"),
            Err(SecretError::InvalidKeyEncoding)
        );
        assert_eq!(
            SigningKey::parse(&alloc::format!("whsec_{}", base64_encode(&SEED))),
            Err(SecretError::InvalidKeyEncoding)
        );
        assert_eq!(
            SigningKey::generate(&[1; 31]),
            Err(SecretError::BadSeedLength)
        );
        assert_eq!(
            PublicKey::parse("whpk_AAAA"),
            Err(SecretError::InvalidKeyLength)
        );
        assert_eq!(
            PublicKey::parse(&alloc::format!("whpk_{}", base64_encode(&[0; 32]))),
            Err(SecretError::InvalidPublicKey),
            "the identity point has small order"
        );
        // y = 2 is not the y coordinate of any curve point.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert_eq!(
            PublicKey::from_bytes(&not_a_point),
            Err(SecretError::InvalidPublicKey)
        );
    }

    #[test]
    fn debug_redacts_the_signing_key_only() {
        let key = SigningKey::generate(&SEED).unwrap();
        let shown = alloc::format!("{key:?}");
        assert!(shown.contains("REDACTED") && !shown.contains(&key.to_whsk()[5..15]));
        let public = alloc::format!("{:?}", key.public_key());
        assert!(public.contains(&key.public_key().to_whpk()));
    }
}
