//! The keys schemes sign and verify with: HMAC keys for every scheme, and for Standard Webhooks
//! also ed25519 keys (`v1a`), mixed freely in one key set.

use crate::mac::HmacKey;

#[cfg(feature = "ed25519")]
use crate::ed25519::{PublicKey, SigningKey};

/// One key of any kind. `Debug` never shows secret key material.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Key {
    /// An HMAC-SHA256 key (`whsec_` secrets, the other schemes' shared secrets).
    Hmac(HmacKey),
    /// An ed25519 public key (`whpk_`): verifies `v1a` signatures.
    #[cfg(feature = "ed25519")]
    Ed25519Public(PublicKey),
    /// An ed25519 signing key (`whsk_`): signs `v1a`, and verifies what its public key verifies.
    #[cfg(feature = "ed25519")]
    Ed25519Signing(SigningKey),
}

/// A borrowed [`Key`]: what [`sign`](super::sign) and [`verify`](super::verify) read.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum KeyRef<'a> {
    /// An HMAC-SHA256 key.
    Hmac(&'a HmacKey),
    /// An ed25519 public key.
    #[cfg(feature = "ed25519")]
    Ed25519Public(&'a PublicKey),
    /// An ed25519 signing key.
    #[cfg(feature = "ed25519")]
    Ed25519Signing(&'a SigningKey),
}

impl<'a> KeyRef<'a> {
    /// The HMAC key, if this is one.
    pub fn hmac(self) -> Option<&'a HmacKey> {
        match self {
            KeyRef::Hmac(key) => Some(key),
            #[cfg(feature = "ed25519")]
            KeyRef::Ed25519Public(_) | KeyRef::Ed25519Signing(_) => None,
        }
    }

    /// The ed25519 public key that verifies with this key, if it is an ed25519 key.
    #[cfg(feature = "ed25519")]
    pub fn ed25519_public(self) -> Option<PublicKey> {
        match self {
            KeyRef::Hmac(_) => None,
            KeyRef::Ed25519Public(key) => Some(*key),
            KeyRef::Ed25519Signing(key) => Some(key.public_key()),
        }
    }
}

/// Anything [`sign`](super::sign) and [`verify`](super::verify) take as a key: [`HmacKey`],
/// [`Key`], and with the `ed25519` feature the ed25519 key types.
pub trait AsKey {
    /// This key, borrowed.
    fn as_key(&self) -> KeyRef<'_>;
}

impl AsKey for HmacKey {
    fn as_key(&self) -> KeyRef<'_> {
        KeyRef::Hmac(self)
    }
}

impl AsKey for Key {
    fn as_key(&self) -> KeyRef<'_> {
        match self {
            Key::Hmac(key) => KeyRef::Hmac(key),
            #[cfg(feature = "ed25519")]
            Key::Ed25519Public(key) => KeyRef::Ed25519Public(key),
            #[cfg(feature = "ed25519")]
            Key::Ed25519Signing(key) => KeyRef::Ed25519Signing(key),
        }
    }
}

#[cfg(feature = "ed25519")]
impl AsKey for PublicKey {
    fn as_key(&self) -> KeyRef<'_> {
        KeyRef::Ed25519Public(self)
    }
}

#[cfg(feature = "ed25519")]
impl AsKey for SigningKey {
    fn as_key(&self) -> KeyRef<'_> {
        KeyRef::Ed25519Signing(self)
    }
}

impl<T: AsKey + ?Sized> AsKey for &T {
    fn as_key(&self) -> KeyRef<'_> {
        (**self).as_key()
    }
}

impl From<HmacKey> for Key {
    fn from(key: HmacKey) -> Self {
        Key::Hmac(key)
    }
}

#[cfg(feature = "ed25519")]
impl From<PublicKey> for Key {
    fn from(key: PublicKey) -> Self {
        Key::Ed25519Public(key)
    }
}

#[cfg(feature = "ed25519")]
impl From<SigningKey> for Key {
    fn from(key: SigningKey) -> Self {
        Key::Ed25519Signing(key)
    }
}
