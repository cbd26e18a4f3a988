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

use crate::mac::HmacKey;
use crate::signature::Scheme;

/// The longest grace period a rotation may give the older secrets: 30 days.
pub const MAX_GRACE_SECONDS: u64 = 30 * 24 * 3600;
/// The grace period when the caller names none: 24 hours.
pub const DEFAULT_GRACE_SECONDS: u64 = 24 * 3600;

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

/// One secret of a [`SecretSet`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretEntry {
    /// The secret.
    pub secret: SigningSecret,
    /// When it stops signing (Unix ms); `None` while it is the newest.
    pub expires_ms: Option<u64>,
}

impl SecretEntry {
    fn live_at(&self, now_ms: u64) -> bool {
        self.expires_ms.is_none_or(|at| at > now_ms)
    }
}

/// An endpoint's secrets, oldest first; the newest never expires.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretSet(Vec<SecretEntry>);

impl SecretSet {
    /// A set holding one secret.
    pub fn new(first: SigningSecret) -> Self {
        Self(alloc::vec![SecretEntry {
            secret: first,
            expires_ms: None,
        }])
    }

    /// Adds `next` as the newest secret; every older live secret expires `grace_ms` from
    /// `now_ms` (or sooner, if it was already due to), and expired ones are dropped. Returns when
    /// the older secrets stop signing.
    pub fn rotate(&mut self, next: SigningSecret, now_ms: u64, grace_ms: u64) -> u64 {
        let expires = now_ms.saturating_add(grace_ms);
        self.0.retain(|entry| entry.live_at(now_ms));
        for old in &mut self.0 {
            old.expires_ms = Some(old.expires_ms.map_or(expires, |at| at.min(expires)));
        }
        self.0.push(SecretEntry {
            secret: next,
            expires_ms: None,
        });
        expires
    }

    /// The secrets that sign at `now_ms`, newest first.
    pub fn live(&self, now_ms: u64) -> impl Iterator<Item = &SigningSecret> {
        self.0
            .iter()
            .rev()
            .filter(move |entry| entry.live_at(now_ms))
            .map(|entry| &entry.secret)
    }

    /// The keys that sign for `scheme` at `now_ms`, newest first; a secret the scheme cannot
    /// read gives no key (and so, alone, no delivery: see
    /// [`AttemptError::NoSigningKey`](super::AttemptError::NoSigningKey)).
    pub fn keys(&self, scheme: Scheme, now_ms: u64) -> Vec<HmacKey> {
        self.live(now_ms)
            .filter_map(|secret| scheme.key(secret.expose()).ok())
            .collect()
    }
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
        let mut set = SecretSet::new(secret("old"));
        let expires = set.rotate(secret("new"), T0, HOUR);
        assert_eq!(expires, T0 + HOUR);
        assert_eq!(live(&set, T0), ["new", "old"]);
        assert_eq!(live(&set, T0 + HOUR - 1), ["new", "old"]);
        assert_eq!(live(&set, T0 + HOUR), ["new"]);
    }

    #[test]
    fn a_zero_grace_period_retires_the_old_secret_at_once() {
        let mut set = SecretSet::new(secret("old"));
        set.rotate(secret("new"), T0, 0);
        assert_eq!(live(&set, T0), ["new"]);
    }

    #[test]
    fn a_second_rotation_never_extends_an_older_deadline_and_drops_the_expired() {
        let mut set = SecretSet::new(secret("a"));
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
        let set = SecretSet::new(secret("plain text secret"));
        assert_eq!(set.keys(Scheme::GitHub, T0).len(), 1);
        // Not a whsec_ secret: Standard Webhooks cannot sign with it.
        assert!(set.keys(Scheme::StandardWebhooks, T0).is_empty());
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let set = SecretSet::new(secret("whsec_topsecretvalue"));
        let text = alloc::format!("{set:?}");
        assert!(!text.contains("topsecret"), "{text}");
        assert!(text.contains("[REDACTED]"));
    }
}
