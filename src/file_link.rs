//! Signed, expiring links to stored files: `{path}?exp={unix seconds}&sig={hex}`.
//!
//! The signature is HMAC-SHA256 under a key only the server holds, over a canonical string of
//! the link's path and expiry time:
//!
//! ```text
//! formhook-file-link/v1\n{path}\n{exp}
//! ```
//!
//! so a link names exactly one file until exactly one time: changing the path (another file),
//! the expiry or the signature makes it invalid. `exp` must be canonical decimal (no sign, no
//! leading zeros), so one link has exactly one spelling. A link is valid while `now < exp`.
//!
//! Checks run in a fixed order: the parameters must parse, then the signature must match (in
//! constant time), and only then is the expiry looked at, so a tampered `exp` reads as
//! [`LinkError::BadSignature`], never as [`LinkError::Expired`].
//!
//! ```
//! use formhook::file_link::{expires_at, signed_query, verify, FileLinkKey, LinkError};
//!
//! let key = FileLinkKey::new(b"a key of at least sixteen bytes").unwrap();
//! let path = "/files/contact/sub_1/0";
//! let exp = expires_at(1_700_000_000, 604_800);
//! let query = signed_query(&key, path, exp); // "exp=1700604800&sig=…"
//! let sig = query.split("&sig=").nth(1).unwrap();
//! let exp_text = exp.to_string();
//! assert_eq!(verify(&key, path, Some(&exp_text), Some(sig), 1_700_000_001), Ok(()));
//! assert_eq!(
//!     verify(&key, "/files/contact/sub_1/1", Some(&exp_text), Some(sig), 1_700_000_001),
//!     Err(LinkError::BadSignature)
//! );
//! assert_eq!(verify(&key, path, Some(&exp_text), Some(sig), exp), Err(LinkError::Expired));
//! ```

use alloc::format;
use alloc::string::String;
use core::fmt;

use crate::encoding::{hex_decode_exact, hex_encode};
use crate::mac::{HmacKey, MAC_LEN};

/// The shortest key accepted, in bytes: a link key is a server secret, not a password.
pub const MIN_KEY_BYTES: usize = 16;

/// Domain separation: a file-link MAC can never be mistaken for any other MAC under the key.
const CONTEXT: &[u8] = b"formhook-file-link/v1\n";

/// The key links are signed with. `Debug` never shows it.
#[derive(Clone)]
pub struct FileLinkKey(HmacKey);

impl FileLinkKey {
    /// Prepares `key` (at least [`MIN_KEY_BYTES`] bytes, at most a secret's limit).
    ///
    /// # Errors
    ///
    /// [`LinkKeyError::TooShort`] or [`LinkKeyError::TooLong`].
    pub fn new(key: &[u8]) -> Result<Self, LinkKeyError> {
        if key.len() < MIN_KEY_BYTES {
            return Err(LinkKeyError::TooShort);
        }
        HmacKey::new(key)
            .map(Self)
            .map_err(|_| LinkKeyError::TooLong)
    }

    fn mac(&self, path: &str, exp: &str) -> [u8; MAC_LEN] {
        self.0
            .mac(&[CONTEXT, path.as_bytes(), b"\n", exp.as_bytes()])
    }
}

impl fmt::Debug for FileLinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileLinkKey([REDACTED])")
    }
}

/// Why a link key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkKeyError {
    /// Shorter than [`MIN_KEY_BYTES`].
    TooShort,
    /// Longer than a secret may be.
    TooLong,
}

impl LinkKeyError {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooShort => "link_key_too_short",
            Self::TooLong => "link_key_too_long",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::TooShort => "the file link key must be at least 16 bytes",
            Self::TooLong => "the file link key is longer than a secret may be",
        }
    }
}

impl fmt::Display for LinkKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for LinkKeyError {}

/// Why a link was refused. Every variant is answered `403`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkError {
    /// `exp` or `sig` is missing or not in canonical form.
    Malformed,
    /// The signature is not the key's for this path and expiry.
    BadSignature,
    /// The link's time is up.
    Expired,
}

impl LinkError {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Malformed => "link_malformed",
            Self::BadSignature => "link_invalid",
            Self::Expired => "link_expired",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::Malformed => "the link lacks a well-formed exp or sig parameter",
            Self::BadSignature => "the link's signature does not match this file and expiry",
            Self::Expired => "the link has expired; ask for a fresh one",
        }
    }

    /// The HTTP status that answers it: always 403.
    pub const fn http_status(self) -> u16 {
        403
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for LinkError {}

/// When a link made at `now_secs` with a lifetime of `ttl_secs` expires (saturating).
pub const fn expires_at(now_secs: u64, ttl_secs: u64) -> u64 {
    now_secs.saturating_add(ttl_secs)
}

/// The signature of a link to `path` valid until `exp`, as lowercase hex.
pub fn sign(key: &FileLinkKey, path: &str, exp: u64) -> String {
    hex_encode(&key.mac(path, &format!("{exp}")))
}

/// The query string of a link to `path` valid until `exp`: `exp={exp}&sig={hex}`.
pub fn signed_query(key: &FileLinkKey, path: &str, exp: u64) -> String {
    format!("exp={exp}&sig={}", sign(key, path, exp))
}

/// Checks a link's `exp` and `sig` parameters (as received, `None` when absent) for `path` at
/// `now_secs` (Unix seconds).
///
/// # Errors
///
/// [`LinkError::Malformed`], then [`LinkError::BadSignature`], then [`LinkError::Expired`]
/// (see the module docs for why in this order).
pub fn verify(
    key: &FileLinkKey,
    path: &str,
    exp: Option<&str>,
    sig: Option<&str>,
    now_secs: u64,
) -> Result<(), LinkError> {
    let exp_text = exp.ok_or(LinkError::Malformed)?;
    let exp = parse_canonical_u64(exp_text).ok_or(LinkError::Malformed)?;
    let tag: [u8; MAC_LEN] = sig
        .and_then(hex_decode_exact::<MAC_LEN>)
        .ok_or(LinkError::Malformed)?;
    if !key.0.verify(
        &[CONTEXT, path.as_bytes(), b"\n", exp_text.as_bytes()],
        &tag,
    ) {
        return Err(LinkError::BadSignature);
    }
    if now_secs >= exp {
        return Err(LinkError::Expired);
    }
    Ok(())
}

/// Decimal digits only, no leading zero (but `"0"` itself), within `u64`.
fn parse_canonical_u64(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let canonical = !bytes.is_empty()
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes.len() == 1 || bytes.first() != Some(&b'0'));
    canonical.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_000_000;

    fn key() -> FileLinkKey {
        FileLinkKey::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    fn parts(query: &str) -> (String, String) {
        let (exp, sig) = query.split_once('&').unwrap();
        (
            exp.strip_prefix("exp=").unwrap().into(),
            sig.strip_prefix("sig=").unwrap().into(),
        )
    }

    #[test]
    fn a_link_is_valid_until_its_expiry_and_not_at_it() {
        let path = "/files/f/sub_1/0";
        let exp = expires_at(NOW, 60);
        let (e, s) = parts(&signed_query(&key(), path, exp));
        assert_eq!(e, "1764000060");
        assert_eq!(s.len(), 64);
        let check = |now| verify(&key(), path, Some(&e), Some(&s), now);
        assert_eq!(check(NOW), Ok(()));
        assert_eq!(check(exp - 1), Ok(()));
        assert_eq!(check(exp), Err(LinkError::Expired));
        assert_eq!(check(u64::MAX), Err(LinkError::Expired));
    }

    #[test]
    fn a_link_names_one_file_one_expiry_and_one_key() {
        let path = "/files/f/sub_1/0";
        let exp = NOW + 60;
        let (e, s) = parts(&signed_query(&key(), path, exp));
        let other = FileLinkKey::new(b"another key of sixteen bytes or more").unwrap();
        for (key, path, exp) in [
            (key(), "/files/f/sub_1/1", e.as_str()),
            (key(), "/files/f/sub_2/0", e.as_str()),
            (key(), "/files/g/sub_1/0", e.as_str()),
            (key(), path, "1764000061"),
            (key(), path, "1764000059"),
            (other, path, e.as_str()),
        ] {
            assert_eq!(
                verify(&key, path, Some(exp), Some(&s), NOW),
                Err(LinkError::BadSignature),
                "{path} {exp}"
            );
        }
        // One flipped hex digit of the signature.
        let mut flipped = s.clone().into_bytes();
        flipped[10] = if flipped[10] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            verify(&key(), path, Some(&e), Some(&flipped), NOW),
            Err(LinkError::BadSignature)
        );
        // A tampered expiry is a bad signature even when it lies in the past.
        assert_eq!(
            verify(&key(), path, Some("1"), Some(&s), NOW),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn malformed_parameters_are_refused_before_any_mac() {
        let path = "/files/f/sub_1/0";
        let (e, s) = parts(&signed_query(&key(), path, NOW + 60));
        let upper = s.to_ascii_uppercase();
        let cases: [(Option<&str>, Option<&str>); 11] = [
            (None, Some(&s)),
            (Some(&e), None),
            (Some(""), Some(&s)),
            (Some("01764000060"), Some(&s)),
            (Some("+1764000060"), Some(&s)),
            (Some("1764000060 "), Some(&s)),
            (Some("18446744073709551616"), Some(&s)),
            (Some(&e), Some("")),
            (Some(&e), Some(&s[..62])),
            (Some(&e), Some("zz")),
            (Some(&e), Some(&format!("{s}00"))),
        ];
        for (exp, sig) in cases {
            assert_eq!(
                verify(&key(), path, exp, sig, NOW),
                Err(LinkError::Malformed),
                "{exp:?} {sig:?}"
            );
        }
        // Hex case does not change the bytes of the signature.
        assert_eq!(verify(&key(), path, Some(&e), Some(&upper), NOW), Ok(()));
    }

    #[test]
    fn keys_are_checked_and_never_printed() {
        assert_eq!(
            FileLinkKey::new(b"short").unwrap_err(),
            LinkKeyError::TooShort
        );
        assert_eq!(
            FileLinkKey::new(&[7u8; 4096]).unwrap_err(),
            LinkKeyError::TooLong
        );
        let debug = format!("{:?}", key());
        assert_eq!(debug, "FileLinkKey([REDACTED])");
        assert!(!debug.contains("0123"));
    }

    #[test]
    fn expiry_saturates_and_errors_have_codes() {
        assert_eq!(expires_at(u64::MAX - 1, 10), u64::MAX);
        assert_eq!(expires_at(NOW, 0), NOW);
        for (err, code) in [
            (LinkError::Malformed, "link_malformed"),
            (LinkError::BadSignature, "link_invalid"),
            (LinkError::Expired, "link_expired"),
        ] {
            assert_eq!(err.code(), code);
            assert_eq!(err.http_status(), 403);
            assert!(!err.message().is_empty());
        }
    }
}
