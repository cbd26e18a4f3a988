//! Signing and verifying webhook requests in every common HMAC-SHA256 scheme.
//!
//! Each [`Scheme`] documents its headers, the bytes it signs and its key rule. Verification
//! decodes each candidate signature strictly and compares MAC bytes in constant time; schemes
//! with a timestamp check it against the caller's `now`, in both directions, within a tolerance.

mod error;
mod parse;

use alloc::string::String;

use crate::encoding::{base64_encode, decimal, hex_encode};
use crate::mac::HmacKey;
use crate::secret::{Secret, SecretError};
pub use error::VerifyError;
use parse::{parse_signature_header, parse_timestamp};

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

    /// Turns a secret as the provider shows it into the HMAC key, by the scheme's key rule.
    pub fn key(self, secret: &str) -> Result<HmacKey, SecretError> {
        match self {
            Scheme::StandardWebhooks => Secret::parse(secret)?.hmac_key(),
            _ => Secret::from_bytes(secret.as_bytes())?.hmac_key(),
        }
    }
}

/// Signs a message and returns the signature header's value, one signature per key where the
/// scheme carries several (Standard Webhooks, Stripe), else with the first key.
///
/// `msg_id` is used by Standard Webhooks only, `timestamp` (Unix seconds) by the timestamped
/// schemes only. With no keys the result is empty.
pub fn sign(
    scheme: Scheme,
    keys: &[HmacKey],
    msg_id: &str,
    timestamp: i64,
    payload: &[u8],
) -> String {
    let ts = &decimal(timestamp);
    let mut out = String::new();
    match scheme {
        Scheme::StandardWebhooks => {
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str("v1,");
                let mac = key.mac(&[msg_id.as_bytes(), b".", ts.as_bytes(), b".", payload]);
                out.push_str(&base64_encode(&mac));
            }
        }
        Scheme::Stripe => {
            if keys.is_empty() {
                return out;
            }
            out.push_str("t=");
            out.push_str(ts);
            for key in keys {
                out.push_str(",v1=");
                out.push_str(&hex_encode(&key.mac(&[ts.as_bytes(), b".", payload])));
            }
        }
        Scheme::Slack => {
            if let Some(key) = keys.first() {
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
            if let Some(key) = keys.first() {
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

/// Verifies a request: `Ok` if any signature in the headers matches any of `keys` and, for
/// timestamped schemes, the timestamp lies within `tolerance_secs` of `now` (Unix seconds).
///
/// Checks run in the reference libraries' order: headers present, timestamp well-formed, timestamp
/// in range, then signatures.
pub fn verify<'a>(
    scheme: Scheme,
    keys: &[HmacKey],
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
    if keys.is_empty() {
        return Err(VerifyError::NoSecret);
    }
    let ts = ts_text.unwrap_or("").as_bytes();

    let decoded = || parsed.candidates.iter().flatten();
    let mut matched = false;
    for key in keys {
        let message: &[&[u8]] = match scheme {
            Scheme::StandardWebhooks => &[id.as_bytes(), b".", ts, b".", payload],
            Scheme::Stripe => &[ts, b".", payload],
            Scheme::Slack => &[b"v0:", ts, b":", payload],
            _ => &[payload],
        };
        // Every key is tried and every candidate compared, match or not, so timing says nothing
        // about which matched.
        matched |= key.verify_any(message, decoded());
    }
    let any_decoded = parsed.candidates.iter().any(Option::is_some);
    match (matched, any_decoded || parsed.candidates.is_empty()) {
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
