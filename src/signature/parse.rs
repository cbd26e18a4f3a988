//! Reading signature headers: splitting entries, strict decoding, timestamps.

use alloc::vec::Vec;

use super::{Scheme, VerifyError};
use crate::encoding::{base64_decode_exact, hex_decode_exact};
use crate::mac::MAC_LEN;

/// Most signature entries read from one header; real senders use one to three (rotation).
pub const MAX_SIGNATURES: usize = 100;

/// A signature header, read.
pub(crate) struct ParsedSignatures<'a> {
    /// A timestamp carried inside the signature header (Stripe's `t=`).
    pub timestamp: Option<&'a str>,
    /// Each entry of the scheme's kind: its MAC, or `None` if it failed to decode.
    pub candidates: Vec<Option<[u8; MAC_LEN]>>,
}

/// Reads `header` as `scheme` writes it. Entries of other versions (`v1a,`, Stripe's `v0=`) are
/// skipped, as the reference libraries do.
pub(crate) fn parse_signature_header(
    scheme: Scheme,
    header: &str,
) -> Result<ParsedSignatures<'_>, VerifyError> {
    let mut parsed = ParsedSignatures {
        timestamp: None,
        candidates: Vec::new(),
    };
    let mut push = |candidate| {
        if parsed.candidates.len() == MAX_SIGNATURES {
            return Err(VerifyError::TooManySignatures);
        }
        parsed.candidates.push(candidate);
        Ok(())
    };
    match scheme {
        Scheme::StandardWebhooks => {
            // Entries are space-separated; a repeated header joined by `Headers.get` or Node reads
            // `v1,a=, v1,b=`, so a trailing comma (never part of base64) ends an entry too.
            for entry in header
                .split(' ')
                .map(|e| e.trim_end_matches(','))
                .filter(|e| !e.is_empty())
            {
                if let Some(("v1", sig)) = entry.split_once(',') {
                    push(base64_decode_exact(sig))?;
                }
            }
        }
        Scheme::Stripe => {
            let mut timestamp = None;
            for entry in header.split(',') {
                match entry.trim().split_once('=') {
                    Some(("t", ts)) if timestamp.is_none() => timestamp = Some(ts),
                    Some(("t", _)) => return Err(VerifyError::InvalidSignatureHeader),
                    Some(("v1", sig)) => push(hex_decode_exact(sig))?,
                    Some(_) => {}
                    None => return Err(VerifyError::InvalidSignatureHeader),
                }
            }
            parsed.timestamp = Some(timestamp.ok_or(VerifyError::InvalidSignatureHeader)?);
        }
        Scheme::GitHub | Scheme::GudForm => {
            push(header.strip_prefix("sha256=").and_then(hex_decode_exact))?;
        }
        Scheme::Hex => push(hex_decode_exact(header))?,
        Scheme::Typeform => {
            push(header.strip_prefix("sha256=").and_then(base64_decode_exact))?;
        }
        Scheme::Shopify => push(base64_decode_exact(header))?,
        Scheme::Slack => push(header.strip_prefix("v0=").and_then(hex_decode_exact))?,
    }
    Ok(parsed)
}

/// Unix seconds as ASCII digits only: no sign, space, fraction or exponent.
pub(crate) fn parse_timestamp(text: &str) -> Result<i64, VerifyError> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::InvalidTimestamp);
    }
    text.parse().map_err(|_| VerifyError::InvalidTimestamp)
}
