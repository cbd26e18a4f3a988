//! Signing and verifying webhook requests in every common HMAC-SHA256 scheme, and Standard
//! Webhooks' asymmetric `v1a` (ed25519, with the `ed25519` feature).
//!
//! Each [`Scheme`] documents its headers, the bytes it signs and its key rule. Verification
//! decodes each candidate signature strictly and compares MAC bytes in constant time; schemes
//! with a timestamp check it against the caller's `now`, in both directions, within a tolerance.

mod error;
mod key;
mod parse;

use alloc::string::String;

use crate::encoding::{base64_encode, decimal, hex_encode};
use crate::mac::HmacKey;
use crate::secret::{Secret, SecretError};
pub use error::VerifyError;
pub use key::{AsKey, Key, KeyRef};
use parse::{parse_signature_header, parse_timestamp, Candidate};
pub use parse::{MAX_ED25519_SIGNATURES, MAX_SIGNATURES};

/// Reference libraries accept a timestamp up to five minutes either side of now.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// A signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// [Standard Webhooks] v1: `webhook-signature: v1,<base64>` (several, space-separated) over
    /// `{webhook-id}.{webhook-timestamp}.{body}`. Key: the bytes of a `whsec_<base64>` secret.
    ///
    /// [Standard Webhooks]: https://www.standardwebhooks.com/
    StandardWebhooks,
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body. Key: the secret's UTF-8 bytes.
    GitHub,
    /// GudForm: `X-GudForm-Signature: sha256=<hex>` over the body (any header name may carry it).
    /// Key: the secret's UTF-8 bytes.
    GudForm,
    /// Plain hex HMAC of the body, as splitforms (`X-Splitforms-Signature`) and many widgets
    /// (`X-Signature`) send it. Key: the secret's UTF-8 bytes.
    Hex,
    /// Typeform: `Typeform-Signature: sha256=<base64>` over the body. Key: the secret's UTF-8 bytes.
    Typeform,
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body. Key: the secret's UTF-8 bytes.
    Shopify,
    /// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` over `{t}.{body}`. Key: the whole
    /// secret string, `whsec_` included, as UTF-8 bytes.
    Stripe,
    /// Slack: `X-Slack-Signature: v0=<hex>` over `v0:{X-Slack-Request-Timestamp}:{body}`.
    /// Key: the signing secret's UTF-8 bytes.
    Slack,
}

/// The header values a scheme reads; absent headers are `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignatureHeaders<'a> {
    /// The message id header (Standard Webhooks' `webhook-id`).
    pub id: Option<&'a str>,
    /// The separate timestamp header (`webhook-timestamp`, `X-Slack-Request-Timestamp`).
    pub timestamp: Option<&'a str>,
    /// The header carrying the signature(s).
    pub signature: Option<&'a str>,
}

/// Header names a scheme uses, lowercase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderNames {
    /// The message id header, if the scheme has one.
    pub id: Option<&'static str>,
    /// The separate timestamp header, if the scheme has one.
    pub timestamp: Option<&'static str>,
    /// The signature header.
    pub signature: &'static str,
}

impl Scheme {
    /// Every scheme, in a fixed order (the order of their numeric ids across the wasm boundary).
    pub const ALL: [Scheme; 8] = [
        Scheme::StandardWebhooks,
        Scheme::GitHub,
        Scheme::GudForm,
        Scheme::Hex,
        Scheme::Typeform,
        Scheme::Shopify,
        Scheme::Stripe,
        Scheme::Slack,
    ];

    /// The scheme's stable name.
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::StandardWebhooks => "standard-webhooks",
            Scheme::GitHub => "github",
            Scheme::GudForm => "gudform",
            Scheme::Hex => "hex",
            Scheme::Typeform => "typeform",
            Scheme::Shopify => "shopify",
            Scheme::Stripe => "stripe",
            Scheme::Slack => "slack",
        }
    }

    /// Looks a scheme up by its name (or the aliases `standard`, `svix`, `splitforms`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "standard" | "svix" => Some(Scheme::StandardWebhooks),
            "splitforms" => Some(Scheme::Hex),
            _ => Self::ALL.into_iter().find(|s| s.name() == name),
        }
    }

    /// The headers the scheme reads and writes.
    pub const fn header_names(self) -> HeaderNames {
        let (id, timestamp, signature) = match self {
            Scheme::StandardWebhooks => (
                Some("webhook-id"),
                Some("webhook-timestamp"),
                "webhook-signature",
            ),
            Scheme::GitHub => (None, None, "x-hub-signature-256"),
            Scheme::GudForm => (None, None, "x-gudform-signature"),
            Scheme::Hex => (None, None, "x-splitforms-signature"),
            Scheme::Typeform => (None, None, "typeform-signature"),
            Scheme::Shopify => (None, None, "x-shopify-hmac-sha256"),
            Scheme::Stripe => (None, None, "stripe-signature"),
            Scheme::Slack => (None, Some("x-slack-request-timestamp"), "x-slack-signature"),
        };
        HeaderNames {
            id,
            timestamp,
            signature,
        }
    }

    /// Whether the scheme signs a timestamp (and so has a replay window).
    pub const fn has_timestamp(self) -> bool {
        matches!(
            self,
            Scheme::StandardWebhooks | Scheme::Stripe | Scheme::Slack
        )
    }

    /// Other header names a sender of this scheme may use instead, read when the usual ones are
    /// absent: Svix's `svix-*` for Standard Webhooks, Shopify's unprefixed
    /// `shopify-hmac-sha256`.
    pub const fn alternate_header_names(self) -> Option<HeaderNames> {
        match self {
            Scheme::StandardWebhooks => Some(HeaderNames {
                id: Some("svix-id"),
                timestamp: Some("svix-timestamp"),
                signature: "svix-signature",
            }),
            Scheme::Shopify => Some(HeaderNames {
                id: None,
                timestamp: None,
                signature: "shopify-hmac-sha256",
            }),
            _ => None,
        }
    }

    /// Turns a secret as the provider shows it into the HMAC key, by the scheme's key rule.
    pub fn key(self, secret: &str) -> Result<HmacKey, SecretError> {
        match self {
            Scheme::StandardWebhooks => Secret::parse(secret)?.hmac_key(),
            _ => Secret::from_bytes(secret.as_bytes())?.hmac_key(),
        }
    }

    /// Turns a key as the provider shows it into a [`Key`]: for Standard Webhooks a `whpk_`
    /// public or `whsk_` signing key (ed25519, `v1a`) or else a `whsec_` secret; for the other
    /// schemes the HMAC key of [`Scheme::key`]. Without the `ed25519` feature `whpk_`/`whsk_`
    /// keys are refused with [`SecretError::Ed25519Unsupported`].
    pub fn parse_key(self, text: &str) -> Result<Key, SecretError> {
        use crate::secret::{PUBLIC_KEY_PREFIX, SIGNING_KEY_PREFIX};
        if self != Scheme::StandardWebhooks {
            return self.key(text).map(Key::Hmac);
        }
        if text.starts_with(PUBLIC_KEY_PREFIX) || text.starts_with(SIGNING_KEY_PREFIX) {
            #[cfg(feature = "ed25519")]
            return if text.starts_with(PUBLIC_KEY_PREFIX) {
                crate::ed25519::PublicKey::parse(text).map(Key::Ed25519Public)
            } else {
                crate::ed25519::SigningKey::parse(text).map(Key::Ed25519Signing)
            };
            #[cfg(not(feature = "ed25519"))]
            return Err(SecretError::Ed25519Unsupported);
        }
        self.key(text).map(Key::Hmac)
    }
}

/// Signs a message and returns the signature header's value, one signature per key where the
/// scheme carries several (Standard Webhooks, Stripe), else with the first HMAC key.
///
/// Standard Webhooks writes `v1,<base64>` for each HMAC key and `v1a,<base64>` for each ed25519
/// signing key, in key order; public keys cannot sign and are skipped, as are ed25519 keys for the
/// other schemes. `msg_id` is used by Standard Webhooks only, `timestamp` (Unix seconds) by the
/// timestamped schemes only. With no key that can sign the result is empty.
pub fn sign<K: AsKey>(
    scheme: Scheme,
    keys: &[K],
    msg_id: &str,
    timestamp: i64,
    payload: &[u8],
) -> String {
    let ts = &decimal(timestamp);
    let mut out = String::new();
    let mut hmac_keys = keys.iter().filter_map(|k| k.as_key().hmac());
    match scheme {
        Scheme::StandardWebhooks => {
            let signed: [&[u8]; 5] = [msg_id.as_bytes(), b".", ts.as_bytes(), b".", payload];
            #[cfg(feature = "ed25519")]
            let message = message_bytes(keys, &signed);
            for key in keys {
                let entry = match key.as_key() {
                    KeyRef::Hmac(key) => ("v1,", base64_encode(&key.mac(&signed))),
                    #[cfg(feature = "ed25519")]
                    KeyRef::Ed25519Signing(key) => ("v1a,", base64_encode(&key.sign(&message))),
                    #[cfg(feature = "ed25519")]
                    KeyRef::Ed25519Public(_) => continue,
                };
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(entry.0);
                out.push_str(&entry.1);
            }
        }
        Scheme::Stripe => {
            let mut hmac_keys = hmac_keys.peekable();
            if hmac_keys.peek().is_none() {
                return out;
            }
            out.push_str("t=");
            out.push_str(ts);
            for key in hmac_keys {
                out.push_str(",v1=");
                out.push_str(&hex_encode(&key.mac(&[ts.as_bytes(), b".", payload])));
            }
        }
        Scheme::Slack => {
            if let Some(key) = hmac_keys.next() {
                out.push_str("v0=");
                out.push_str(&hex_encode(&key.mac(&[
                    b"v0:",
                    ts.as_bytes(),
                    b":",
                    payload,
                ])));
            }
        }
        Scheme::GitHub | Scheme::GudForm | Scheme::Hex | Scheme::Typeform | Scheme::Shopify => {
            if let Some(key) = hmac_keys.next() {
                let mac = key.mac(&[payload]);
                if matches!(scheme, Scheme::GitHub | Scheme::GudForm | Scheme::Typeform) {
                    out.push_str("sha256=");
                }
                match scheme {
                    Scheme::Typeform | Scheme::Shopify => out.push_str(&base64_encode(&mac)),
                    _ => out.push_str(&hex_encode(&mac)),
                }
            }
        }
    }
    out
}

/// The signed bytes in one piece, which ed25519 hashes twice; empty when no key is ed25519.
#[cfg(feature = "ed25519")]
fn message_bytes<K: AsKey>(keys: &[K], parts: &[&[u8]]) -> alloc::vec::Vec<u8> {
    if keys.iter().all(|k| k.as_key().hmac().is_some()) {
        return alloc::vec::Vec::new();
    }
    parts.concat()
}

/// Verifies a request: `Ok` if any signature in the headers matches any of `keys` and, for
/// timestamped schemes, the timestamp lies within `tolerance_secs` of `now` (Unix seconds).
///
/// Checks run in the reference libraries' order: headers present, timestamp well-formed, timestamp
/// in range, then signatures. A Standard Webhooks header may mix `v1` and `v1a` entries: it
/// verifies when any entry matches a key of its kind. HMAC tags are all compared in constant
/// time; ed25519 signatures (public data, public keys) are checked until one verifies.
pub fn verify<'a, K: AsKey>(
    scheme: Scheme,
    keys: &[K],
    headers: &SignatureHeaders<'a>,
    payload: &[u8],
    now: i64,
    tolerance_secs: u64,
) -> Result<(), VerifyError> {
    let names = scheme.header_names();
    // An empty header counts as absent, as `standardwebhooks` and `svix` read it (`!value`).
    let present = |value: Option<&'a str>| {
        value
            .filter(|v| !v.is_empty())
            .ok_or(VerifyError::MissingHeaders)
    };
    let signature = present(headers.signature)?;
    let id = if names.id.is_some() {
        present(headers.id)?
    } else {
        ""
    };
    let header_ts = if names.timestamp.is_some() {
        Some(present(headers.timestamp)?)
    } else {
        None
    };

    let parsed = parse_signature_header(scheme, signature)?;
    let ts_text = header_ts.or(parsed.timestamp);
    if let Some(text) = ts_text {
        check_timestamp(parse_timestamp(text)?, now, tolerance_secs)?;
    }
    // ed25519 keys sign Standard Webhooks only; for the other schemes they are no key at all.
    let usable = |key: &K| scheme == Scheme::StandardWebhooks || key.as_key().hmac().is_some();
    if !keys.iter().any(usable) {
        return Err(VerifyError::NoSecret);
    }
    let ts = ts_text.unwrap_or("").as_bytes();
    let message: &[&[u8]] = match scheme {
        Scheme::StandardWebhooks => &[id.as_bytes(), b".", ts, b".", payload],
        Scheme::Stripe => &[ts, b".", payload],
        Scheme::Slack => &[b"v0:", ts, b":", payload],
        _ => &[payload],
    };

    let mut matched = false;
    for key in keys.iter().filter_map(|k| k.as_key().hmac()) {
        // Every key is tried and every candidate compared, match or not, so timing says nothing
        // about which matched.
        matched |= key.verify_any(message, parsed.macs());
    }
    #[cfg(feature = "ed25519")]
    if !matched && scheme == Scheme::StandardWebhooks && parsed.ed25519().next().is_some() {
        let signed = message_bytes(keys, message);
        matched = keys
            .iter()
            .filter_map(|k| k.as_key().ed25519_public())
            .any(|key| parsed.ed25519().any(|sig| key.verify(&signed, sig)));
    }
    // An entry counts only for keys of its kind: with HMAC keys alone a `v1a` entry is skipped
    // like any unknown version (as the reference libraries do), and the other way round.
    let has_hmac = keys.iter().any(|k| k.as_key().hmac().is_some());
    let has_ed25519 = keys.iter().any(|k| k.as_key().hmac().is_none());
    let (mut any_decoded, mut any_counted) = (false, false);
    for candidate in &parsed.candidates {
        let (counts, decoded) = match candidate {
            Candidate::Mac(_) => (has_hmac, true),
            Candidate::MalformedMac => (has_hmac, false),
            Candidate::Ed25519(_) => (has_ed25519, true),
            Candidate::MalformedEd25519 => (has_ed25519, false),
        };
        any_counted |= counts;
        any_decoded |= counts && decoded;
    }
    match (matched, any_decoded || !any_counted) {
        (true, _) => Ok(()),
        (false, true) => Err(VerifyError::NoMatchingSignature),
        (false, false) => Err(VerifyError::MalformedSignature),
    }
}

fn check_timestamp(ts: i64, now: i64, tolerance_secs: u64) -> Result<(), VerifyError> {
    let tolerance = i64::try_from(tolerance_secs).unwrap_or(i64::MAX);
    if now.saturating_sub(ts) > tolerance {
        Err(VerifyError::TimestampTooOld)
    } else if ts.saturating_sub(now) > tolerance {
        Err(VerifyError::TimestampTooNew)
    } else {
        Ok(())
    }
}
