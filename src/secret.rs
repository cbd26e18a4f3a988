//! Endpoint signing secrets: Standard Webhooks' `whsec_<base64>` form and raw bytes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::encoding::{base64_decode, base64_encode};
use crate::mac::HmacKey;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The prefix of a Standard Webhooks ed25519 public key (`v1a`; see `formhook::ed25519`).
pub const PUBLIC_KEY_PREFIX: &str = "whpk_";
/// The prefix of a Standard Webhooks ed25519 signing (secret) key.
pub const SIGNING_KEY_PREFIX: &str = "whsk_";

/// Fewest random bytes a generated secret may hold (Standard Webhooks: 24–64).
pub const MIN_GENERATED_BYTES: usize = 24;
/// Most random bytes a generated secret may hold.
pub const MAX_GENERATED_BYTES: usize = 64;
/// Longest secret accepted, in bytes; longer keys buy no security and only cost work.
pub const MAX_SECRET_BYTES: usize = 1024;

/// A signing secret's key bytes. `Debug` prints `[REDACTED]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Parses `whsec_<base64>` (the prefix is optional, as in the reference libraries); the base64
    /// must be canonical and padded, and is decoded in constant time (`base64ct`).
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        let bytes = base64_decode(encoded).ok_or(SecretError::InvalidEncoding)?;
        Self::from_bytes(&bytes)
    }

    /// Uses `bytes` as the key as they are.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        match bytes.len() {
            0 => Err(SecretError::Empty),
            n if n > MAX_SECRET_BYTES => Err(SecretError::TooLong),
            _ => Ok(Self(bytes.to_vec())),
        }
    }

    /// Makes a new secret from caller-supplied random bytes (24–64 of them; the core has no
    /// randomness of its own).
    pub fn generate(random: &[u8]) -> Result<Self, SecretError> {
        if !(MIN_GENERATED_BYTES..=MAX_GENERATED_BYTES).contains(&random.len()) {
            return Err(SecretError::BadRandomLength);
        }
        Self::from_bytes(random)
    }

    /// The `whsec_<base64>` text, to show the owner once.
    pub fn to_whsec(&self) -> String {
        let mut text = String::from(SECRET_PREFIX);
        text.push_str(&base64_encode(&self.0));
        text
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The HMAC key for signing and verifying (fails only where [`HmacKey::new`] does, which a
    /// parsed secret's length never makes it do).
    pub fn hmac_key(&self) -> Result<HmacKey, SecretError> {
        HmacKey::new(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// Why a secret was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[repr(u8)]
pub enum SecretError {
    /// The text after `whsec_` is not canonical padded base64.
    InvalidEncoding = 101,
    /// The secret holds no bytes.
    Empty = 102,
    /// The secret is longer than [`MAX_SECRET_BYTES`].
    TooLong = 103,
    /// Generation was given fewer than 24 or more than 64 random bytes.
    BadRandomLength = 104,
    /// A `whpk_`/`whsk_` key lacks its prefix or is not canonical padded base64.
    InvalidKeyEncoding = 105,
    /// A `whpk_` key does not hold 32 bytes, or a `whsk_` key neither 32 nor 64.
    InvalidKeyLength = 106,
    /// The public half of a 64-byte `whsk_` key does not belong to its seed.
    KeyPairMismatch = 107,
    /// A `whpk_` key is not a usable ed25519 point (not on the curve, or of small order).
    InvalidPublicKey = 108,
    /// Key pair generation was given other than 32 random bytes.
    BadSeedLength = 109,
    /// A `whpk_` public key was asked to sign; only the `whsk_` key can.
    PublicKeyCannotSign = 110,
    /// A `whpk_`/`whsk_` key was given where only HMAC secrets work (another scheme, or a build
    /// without ed25519).
    Ed25519Unsupported = 111,
}

impl SecretError {
    /// Every variant, for mapping numeric ids back.
    pub const ALL: [SecretError; 11] = [
        Self::InvalidEncoding,
        Self::Empty,
        Self::TooLong,
        Self::BadRandomLength,
        Self::InvalidKeyEncoding,
        Self::InvalidKeyLength,
        Self::KeyPairMismatch,
        Self::InvalidPublicKey,
        Self::BadSeedLength,
        Self::PublicKeyCannotSign,
        Self::Ed25519Unsupported,
    ];

    /// The numeric id used across the wasm boundary (disjoint from `VerifyError` ids).
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The variant with numeric id `id`.
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.id() == id)
    }

    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::InvalidEncoding => "secret_invalid_encoding",
            Self::Empty => "secret_empty",
            Self::TooLong => "secret_too_long",
            Self::BadRandomLength => "secret_bad_random_length",
            Self::InvalidKeyEncoding => "key_invalid_encoding",
            Self::InvalidKeyLength => "key_invalid_length",
            Self::KeyPairMismatch => "key_pair_mismatch",
            Self::InvalidPublicKey => "key_invalid_public_key",
            Self::BadSeedLength => "key_bad_seed_length",
            Self::PublicKeyCannotSign => "key_public_cannot_sign",
            Self::Ed25519Unsupported => "key_ed25519_unsupported",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::InvalidEncoding => "secret is not whsec_ followed by padded base64",
            Self::Empty => "secret is empty",
            Self::TooLong => "secret is longer than 1024 bytes",
            Self::BadRandomLength => "a generated secret needs 24 to 64 random bytes",
            Self::InvalidKeyEncoding => "key is not whpk_ or whsk_ followed by padded base64",
            Self::InvalidKeyLength => {
                "a whpk_ key holds 32 bytes, a whsk_ key 32 (seed) or 64 (seed and public key)"
            }
            Self::KeyPairMismatch => {
                "the public half of the 64-byte whsk_ key does not match its seed"
            }
            Self::InvalidPublicKey => "whpk_ key is not a valid ed25519 public key",
            Self::BadSeedLength => "an ed25519 key pair needs 32 random bytes",
            Self::PublicKeyCannotSign => {
                "a whpk_ public key only verifies; sign with the whsk_ secret key"
            }
            Self::Ed25519Unsupported => {
                "whpk_/whsk_ keys sign only Standard Webhooks (v1a), and need the ed25519 feature"
            }
        }
    }
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for SecretError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_prefix() {
        let with = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").ok();
        let without = Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").ok();
        assert!(with.is_some());
        assert_eq!(with, without);
        assert_eq!(with.map(|s| s.as_bytes().len()), Some(24));
    }

    #[test]
    fn refuses_bad_secrets() {
        assert_eq!(
            Secret::parse("whsec_not base64"),
            Err(SecretError::InvalidEncoding)
        );
        assert_eq!(Secret::parse("whsec_"), Err(SecretError::Empty));
        assert_eq!(Secret::from_bytes(&[1; 1025]), Err(SecretError::TooLong));
        assert_eq!(
            Secret::generate(&[1; 23]),
            Err(SecretError::BadRandomLength)
        );
        assert_eq!(
            Secret::generate(&[1; 65]),
            Err(SecretError::BadRandomLength)
        );
    }

    #[test]
    fn generated_secret_round_trips() {
        let random: Vec<u8> = (0u8..32).collect();
        let secret = Secret::generate(&random).ok();
        let text = secret.as_ref().map(Secret::to_whsec).unwrap_or_default();
        assert!(text.starts_with("whsec_"));
        assert_eq!(Secret::parse(&text).ok(), secret);
    }

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::from_bytes(b"hunter2").ok();
        let shown = alloc::format!("{secret:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("104") && shown.contains("REDACTED"));
    }
}
