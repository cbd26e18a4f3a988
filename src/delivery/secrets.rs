//! An endpoint's signing secrets and their rotation.
//!
//! Rotation adds a new secret and lets the older ones live on for a grace period, during which
//! every delivery is signed with each live secret (Standard Webhooks and Stripe carry several
//! signatures), so receivers can switch at their own pace. Expired secrets are dropped at the
//! next rotation and never sign.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::SecretError;
use crate::signature::{Key, Scheme};

/// The longest grace period a rotation may give the older secrets: 30 days.
pub const MAX_GRACE_SECONDS: u64 = 30 * 24 * 3600;
/// The grace period when the caller names none: 24 hours.
pub const DEFAULT_GRACE_SECONDS: u64 = 24 * 3600;

/// Fewest key bytes a new signing secret must give for `scheme`: Standard Webhooks' own lower
/// bound for `whsec_` secrets (24 random bytes), and 16 bytes (128 bits) for the schemes that
/// key HMAC with the secret's text. A key shorter than that can be guessed offline from a single
/// signed delivery.
pub const fn min_key_bytes(scheme: Scheme) -> usize {
    match scheme {
        Scheme::StandardWebhooks => 24,
        _ => 16,
    }
}

/// Why a secret may not sign for a scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WeakSecret {
    /// The scheme cannot read the secret (for Standard Webhooks: not `whsec_` + padded base64).
    Unreadable(SecretError),
    /// The key is shorter than [`min_key_bytes`] for the scheme.
    TooShort,
}

impl WeakSecret {
    /// A stable identifier: the reading error's own code, or `secret_too_short`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Unreadable(err) => err.code(),
            Self::TooShort => "secret_too_short",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::Unreadable(err) => err.message(),
            Self::TooShort => {
                "secret is too short: at least 24 bytes for a whsec_ key, 16 bytes for other schemes"
            }
        }
    }
}

impl fmt::Display for WeakSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for WeakSecret {}

/// Checks a secret before it is stored to sign for `scheme`: the scheme must read it, and its
/// key must hold at least [`min_key_bytes`]. Verification keeps accepting shorter keys (other
/// senders chose them); formhook never signs with one it was given new.
pub fn check_signing_secret(scheme: Scheme, secret: &str) -> Result<(), WeakSecret> {
    let key_len = match scheme {
        Scheme::StandardWebhooks => crate::secret::Secret::parse(secret)
            .map_err(WeakSecret::Unreadable)?
            .as_bytes()
            .len(),
        _ => {
            scheme.key(secret).map_err(WeakSecret::Unreadable)?;
            secret.len()
        }
    };
    if key_len < min_key_bytes(scheme) {
        return Err(WeakSecret::TooShort);
    }
    Ok(())
}

/// A signing secret as its scheme reads it (`whsec_…` for Standard Webhooks, the provider's
/// text otherwise). Prints as `[REDACTED]`; [`SigningSecret::expose`] gives the text, for the one
/// response that shows it and for deriving keys.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// Wraps the secret's text.
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Which kind of key a secret is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// A shared HMAC secret (`whsec_…`, or a provider's text): signs `v1` and every other scheme.
    Hmac,
    /// An ed25519 signing key (`whsk_…`): signs Standard Webhooks `v1a`.
    Ed25519,
}

impl SigningSecret {
    /// The kind of key this text is.
    pub fn kind(&self) -> SecretKind {
        if self.0.starts_with(crate::secret::SIGNING_KEY_PREFIX) {
            SecretKind::Ed25519
        } else {
            SecretKind::Hmac
        }
    }
}

/// How an endpoint signs its deliveries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signing {
    /// HMAC only (`v1`, or the endpoint's compatibility scheme). The default.
    #[default]
    Hmac,
    /// Standard Webhooks `v1a` only: receivers need only the public key.
    Ed25519,
    /// Both `v1` and `v1a` entries in one header, for receivers moving from one to the other.
    Both,
}

impl Signing {
    /// Every mode.
    pub const ALL: [Self; 3] = [Self::Hmac, Self::Ed25519, Self::Both];

    /// The stable name (same as the serde form).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hmac => "hmac",
            Self::Ed25519 => "ed25519",
            Self::Both => "both",
        }
    }

    /// Whether secrets of `kind` sign in this mode.
    pub const fn uses(self, kind: SecretKind) -> bool {
        matches!(
            (self, kind),
            (Self::Hmac | Self::Both, SecretKind::Hmac)
                | (Self::Ed25519 | Self::Both, SecretKind::Ed25519)
        )
    }

    /// Whether `scheme` can sign in this mode: ed25519 is Standard Webhooks' `v1a` only.
    pub fn fits(self, scheme: Scheme) -> bool {
        self == Self::Hmac || scheme == Scheme::StandardWebhooks
    }
}

/// One secret of a [`SecretSet`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretEntry {
    /// The secret.
    pub secret: SigningSecret,
    /// When it was added (Unix ms).
    #[serde(default)]
    pub created_ms: u64,
    /// When it stops signing (Unix ms); `None` while it is the newest of its kind.
    pub expires_ms: Option<u64>,
}

impl SecretEntry {
    fn live_at(&self, now_ms: u64) -> bool {
        self.expires_ms.is_none_or(|at| at > now_ms)
    }
}

/// A public key an endpoint signs with, as receivers fetch it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedKey {
    /// `whpk_…`.
    pub public_key: String,
    /// When its signing key was added (Unix ms).
    pub created_ms: u64,
    /// When it stops signing (Unix ms), during a rotation.
    pub expires_ms: Option<u64>,
}

/// An endpoint's secrets, oldest first; the newest of each kind never expires.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretSet(Vec<SecretEntry>);

impl SecretSet {
    /// A set holding one secret, added at `now_ms`.
    pub fn new(first: SigningSecret, now_ms: u64) -> Self {
        Self(alloc::vec![SecretEntry {
            secret: first,
            created_ms: now_ms,
            expires_ms: None,
        }])
    }

    /// Adds `next` as the newest secret of its kind; every older live secret of that kind expires
    /// `grace_ms` from `now_ms` (or sooner, if it was already due to), secrets of the other kind
    /// are untouched, and expired ones are dropped. Returns when the older secrets stop signing.
    pub fn rotate(&mut self, next: SigningSecret, now_ms: u64, grace_ms: u64) -> u64 {
        let expires = now_ms.saturating_add(grace_ms);
        let kind = next.kind();
        self.0.retain(|entry| entry.live_at(now_ms));
        for old in self.0.iter_mut().filter(|e| e.secret.kind() == kind) {
            old.expires_ms = Some(old.expires_ms.map_or(expires, |at| at.min(expires)));
        }
        self.0.push(SecretEntry {
            secret: next,
            created_ms: now_ms,
            expires_ms: None,
        });
        expires
    }

    /// Whether a live secret of `kind` exists at `now_ms`.
    pub fn has(&self, kind: SecretKind, now_ms: u64) -> bool {
        self.live(now_ms).any(|s| s.kind() == kind)
    }

    /// The secrets that sign at `now_ms`, newest first.
    pub fn live(&self, now_ms: u64) -> impl Iterator<Item = &SigningSecret> {
        self.0
            .iter()
            .rev()
            .filter(move |entry| entry.live_at(now_ms))
            .map(|entry| &entry.secret)
    }

    /// Checks every live secret against `scheme` (see [`check_signing_secret`]), as a scheme
    /// switch must: a secret the new scheme cannot use would leave deliveries unsigned.
    pub fn check_for(&self, scheme: Scheme, now_ms: u64) -> Result<(), WeakSecret> {
        // ed25519 keys are the worker's own and fit only Standard Webhooks, which
        // `Signing::fits` checks; the HMAC secrets are the ones a switch can leave unusable.
        self.live(now_ms)
            .filter(|secret| secret.kind() == SecretKind::Hmac)
            .try_for_each(|secret| check_signing_secret(scheme, secret.expose()))
    }

    /// The keys that sign for `scheme` in `signing` mode at `now_ms`, newest first; a secret the
    /// scheme cannot read gives no key (and so, alone, no delivery: see
    /// [`AttemptError::NoSigningKey`](super::AttemptError::NoSigningKey)).
    pub fn keys(&self, scheme: Scheme, signing: Signing, now_ms: u64) -> Vec<Key> {
        self.live(now_ms)
            .filter(|secret| signing.uses(secret.kind()))
            .filter_map(|secret| scheme.parse_key(secret.expose()).ok())
            .collect()
    }

    /// The public keys of the live ed25519 signing keys, newest first.
    pub fn published(&self, now_ms: u64) -> Vec<PublishedKey> {
        self.0
            .iter()
            .rev()
            .filter(|entry| entry.live_at(now_ms) && entry.secret.kind() == SecretKind::Ed25519)
            .filter_map(|entry| {
                public_key_of(entry.secret.expose()).map(|public_key| PublishedKey {
                    public_key,
                    created_ms: entry.created_ms,
                    expires_ms: entry.expires_ms,
                })
            })
            .collect()
    }
}

#[cfg(feature = "ed25519")]
fn public_key_of(signing_key: &str) -> Option<String> {
    crate::ed25519::SigningKey::parse(signing_key)
        .ok()
        .map(|key| key.public_key().to_whpk())
}

#[cfg(not(feature = "ed25519"))]
fn public_key_of(_: &str) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;
    const HOUR: u64 = 3_600_000;

    fn secret(text: &str) -> SigningSecret {
        SigningSecret::new(String::from(text))
    }

    fn live(set: &SecretSet, now: u64) -> Vec<&str> {
        set.live(now).map(SigningSecret::expose).collect()
    }

    #[test]
    fn rotation_signs_with_both_during_the_grace_period() {
        let mut set = SecretSet::new(secret("old"), T0);
        let expires = set.rotate(secret("new"), T0, HOUR);
        assert_eq!(expires, T0 + HOUR);
        assert_eq!(live(&set, T0), ["new", "old"]);
        assert_eq!(live(&set, T0 + HOUR - 1), ["new", "old"]);
        assert_eq!(live(&set, T0 + HOUR), ["new"]);
    }

    #[test]
    fn a_zero_grace_period_retires_the_old_secret_at_once() {
        let mut set = SecretSet::new(secret("old"), T0);
        set.rotate(secret("new"), T0, 0);
        assert_eq!(live(&set, T0), ["new"]);
    }

    #[test]
    fn a_second_rotation_never_extends_an_older_deadline_and_drops_the_expired() {
        let mut set = SecretSet::new(secret("a"), T0);
        set.rotate(secret("b"), T0, HOUR);
        set.rotate(secret("c"), T0 + 10, 10 * HOUR);
        assert_eq!(
            live(&set, T0 + 2 * HOUR),
            ["c", "b"],
            "a keeps its one-hour deadline"
        );
        set.rotate(secret("d"), T0 + 20 * HOUR, HOUR);
        assert_eq!(set.0.len(), 2, "a and b were expired and dropped");
        assert_eq!(live(&set, T0 + 20 * HOUR), ["d", "c"]);
    }

    #[test]
    fn keys_follow_the_scheme_rule() {
        let set = SecretSet::new(secret("plain text secret"), T0);
        assert_eq!(set.keys(Scheme::GitHub, Signing::Hmac, T0).len(), 1);
        // Not a whsec_ secret: Standard Webhooks cannot sign with it.
        assert!(set
            .keys(Scheme::StandardWebhooks, Signing::Hmac, T0)
            .is_empty());
    }

    #[test]
    fn weak_secrets_are_refused_per_scheme() {
        let check = check_signing_secret;
        assert_eq!(
            check(Scheme::StandardWebhooks, "whsec_AA=="),
            Err(WeakSecret::TooShort)
        );
        assert_eq!(check(Scheme::GitHub, "a"), Err(WeakSecret::TooShort));
        assert_eq!(
            check(Scheme::StandardWebhooks, "whsec_AAAAAAAAAAAAAAAAAAAAAA=="),
            Err(WeakSecret::TooShort),
            "16 bytes are too few for a whsec_ key"
        );
        assert_eq!(
            check(
                Scheme::StandardWebhooks,
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            ),
            Ok(())
        );
        assert_eq!(
            check(Scheme::StandardWebhooks, "a plain secret text"),
            Err(WeakSecret::Unreadable(SecretError::InvalidEncoding))
        );
        assert_eq!(check(Scheme::GitHub, "sixteen bytes!!!"), Ok(()));
        assert_eq!(
            check(Scheme::Slack, "fifteen bytes!!"),
            Err(WeakSecret::TooShort)
        );
        assert_eq!(check(Scheme::Stripe, "whsec_x"), Err(WeakSecret::TooShort));
        assert_eq!(WeakSecret::TooShort.code(), "secret_too_short");
        assert_eq!(
            WeakSecret::Unreadable(SecretError::InvalidEncoding).code(),
            "secret_invalid_encoding"
        );
    }

    #[test]
    fn a_scheme_switch_checks_every_live_secret() {
        let mut set = SecretSet::new(secret("a plain github secret"), T0);
        assert_eq!(set.check_for(Scheme::GitHub, T0), Ok(()));
        assert!(set.check_for(Scheme::StandardWebhooks, T0).is_err());
        set.rotate(secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), T0, HOUR);
        assert!(
            set.check_for(Scheme::StandardWebhooks, T0).is_err(),
            "the old secret still signs during the grace period"
        );
        assert_eq!(set.check_for(Scheme::StandardWebhooks, T0 + HOUR), Ok(()));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let set = SecretSet::new(secret("whsec_topsecretvalue"), T0);
        let text = alloc::format!("{set:?}");
        assert!(!text.contains("topsecret"), "{text}");
        assert!(text.contains("[REDACTED]"));
    }

    #[cfg(feature = "ed25519")]
    #[test]
    fn rotation_is_per_kind_and_modes_pick_their_keys() {
        use crate::ed25519::SigningKey;
        let hmac = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let first = SigningKey::generate(&[1; 32]).unwrap();
        let second = SigningKey::generate(&[2; 32]).unwrap();
        let mut set = SecretSet::new(secret(hmac), T0);
        set.rotate(secret(&first.to_whsk()), T0, 0);
        assert!(set.has(SecretKind::Hmac, T0) && set.has(SecretKind::Ed25519, T0));
        // Adding the ed25519 key did not expire the HMAC secret.
        assert_eq!(
            set.keys(Scheme::StandardWebhooks, Signing::Both, T0 + HOUR)
                .len(),
            2
        );
        assert_eq!(
            set.keys(Scheme::StandardWebhooks, Signing::Hmac, T0).len(),
            1
        );
        assert_eq!(
            set.keys(Scheme::StandardWebhooks, Signing::Ed25519, T0)
                .len(),
            1
        );
        // Rotating the ed25519 key: both sign during the grace period, then only the new one.
        set.rotate(secret(&second.to_whsk()), T0 + 10, HOUR);
        let published = set.published(T0 + 10);
        assert_eq!(
            published
                .iter()
                .map(|k| k.public_key.clone())
                .collect::<Vec<_>>(),
            [second.public_key().to_whpk(), first.public_key().to_whpk()]
        );
        assert_eq!(published[1].expires_ms, Some(T0 + 10 + HOUR));
        assert_eq!(
            set.keys(Scheme::StandardWebhooks, Signing::Ed25519, T0 + 10 + HOUR)
                .len(),
            1
        );
        assert_eq!(
            set.keys(Scheme::StandardWebhooks, Signing::Hmac, T0 + 10 + HOUR)
                .len(),
            1
        );
        assert!(!Signing::Ed25519.fits(Scheme::GitHub));
        assert!(Signing::Both.fits(Scheme::StandardWebhooks));
    }
}
