//! Reading signature headers: splitting entries, strict decoding, timestamps.

use alloc::vec::Vec;

use super::{Scheme, VerifyError};
use crate::encoding::{base64_decode_exact, hex_decode_exact};
use crate::mac::MAC_LEN;

/// Most signature entries read from one header; real senders use one to three (rotation).
pub const MAX_SIGNATURES: usize = 100;

/// Most `v1a` entries read from one header. An ed25519 check costs ~100× an HMAC one (about
/// 0.13 ms per entry and key in wasm), so 100 entries would let one request buy ~13 ms of CPU per
/// key; senders use one to three (rotation).
pub const MAX_ED25519_SIGNATURES: usize = 10;

/// Length of an ed25519 signature (`v1a`) in bytes.
pub(crate) const ED25519_SIGNATURE_LEN: usize = 64;

/// One signature entry.
#[cfg_attr(not(feature = "ed25519"), allow(dead_code))]
pub(crate) enum Candidate {
    /// An HMAC-SHA256 tag.
    Mac([u8; MAC_LEN]),
    /// An ed25519 signature (Standard Webhooks `v1a`).
    Ed25519([u8; ED25519_SIGNATURE_LEN]),
    /// An HMAC entry that did not decode (bad base64/hex, wrong length).
    MalformedMac,
    /// A `v1a` entry that did not decode.
    MalformedEd25519,
}

/// A signature header, read.
pub(crate) struct ParsedSignatures<'a> {
    /// A timestamp carried inside the signature header (Stripe's `t=`).
    pub timestamp: Option<&'a str>,
    /// Each entry of a version the scheme knows, in header order.
    pub candidates: Vec<Candidate>,
}

impl ParsedSignatures<'_> {
    /// The HMAC tags that decoded.
    pub fn macs(&self) -> impl Iterator<Item = &[u8; MAC_LEN]> {
        self.candidates.iter().filter_map(|c| match c {
            Candidate::Mac(mac) => Some(mac),
            _ => None,
        })
    }

    /// The ed25519 signatures that decoded.
    #[cfg_attr(not(feature = "ed25519"), allow(dead_code))]
    pub fn ed25519(&self) -> impl Iterator<Item = &[u8; ED25519_SIGNATURE_LEN]> {
        self.candidates.iter().filter_map(|c| match c {
            Candidate::Ed25519(signature) => Some(signature),
            _ => None,
        })
    }
}

fn mac(decoded: Option<[u8; MAC_LEN]>) -> Candidate {
    decoded.map_or(Candidate::MalformedMac, Candidate::Mac)
}

/// Reads `header` as `scheme` writes it. Entries of unknown versions (Stripe's `v0=`, a future
/// `v2,`) are skipped, as the reference libraries do. Standard Webhooks' `v1a,` entries are read
/// (and checked for shape) in every build; only a build with ed25519 keys can match them.
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
            #[cfg(feature = "ed25519")]
            let mut ed25519_entries = 0;
            // Entries are space-separated; a repeated header joined by `Headers.get` or Node reads
            // `v1,a=, v1,b=`, so a trailing comma (never part of base64) ends an entry too.
            for entry in header
                .split(' ')
                .map(|e| e.trim_end_matches(','))
                .filter(|e| !e.is_empty())
            {
                match entry.split_once(',') {
                    Some(("v1", sig)) => push(mac(base64_decode_exact(sig)))?,
                    // Without ed25519 there is no key a `v1a` entry could count for; not
                    // decoding it keeps the HMAC-only wasm small.
                    #[cfg(feature = "ed25519")]
                    Some(("v1a", sig)) => {
                        ed25519_entries += 1;
                        if ed25519_entries > MAX_ED25519_SIGNATURES {
                            return Err(VerifyError::TooManySignatures);
                        }
                        push(
                            base64_decode_exact(sig)
                                .map_or(Candidate::MalformedEd25519, Candidate::Ed25519),
                        )?
                    }
                    _ => {}
                }
            }
        }
        Scheme::Stripe => {
            let mut timestamp = None;
            for entry in header.split(',') {
                match entry.trim_ascii().split_once('=') {
                    Some(("t", ts)) if timestamp.is_none() => timestamp = Some(ts),
                    Some(("t", _)) => return Err(VerifyError::InvalidSignatureHeader),
                    Some(("v1", sig)) => push(mac(hex_decode_exact(sig)))?,
                    Some(_) => {}
                    None => return Err(VerifyError::InvalidSignatureHeader),
                }
            }
            parsed.timestamp = Some(timestamp.ok_or(VerifyError::InvalidSignatureHeader)?);
        }
        Scheme::GitHub | Scheme::GudForm => {
            push(mac(header
                .strip_prefix("sha256=")
                .and_then(hex_decode_exact)))?;
        }
        Scheme::Hex => push(mac(hex_decode_exact(header)))?,
        Scheme::Typeform => {
            push(mac(header
                .strip_prefix("sha256=")
                .and_then(base64_decode_exact)))?;
        }
        Scheme::Shopify => push(mac(base64_decode_exact(header)))?,
        Scheme::Slack => push(mac(header.strip_prefix("v0=").and_then(hex_decode_exact)))?,
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

#[cfg(all(test, feature = "ed25519"))]
mod tests {
    use super::*;
    use alloc::string::String;

    fn v1a_header(entries: usize) -> String {
        let entry = alloc::format!("v1a,{}", crate::encoding::base64_encode(&[7u8; 64]));
        alloc::vec![entry; entries].join(" ")
    }

    #[test]
    fn ed25519_entries_are_capped_below_the_general_limit() {
        let ten = v1a_header(MAX_ED25519_SIGNATURES);
        let parsed =
            parse_signature_header(Scheme::StandardWebhooks, &ten).map(|p| p.ed25519().count());
        assert_eq!(parsed.ok(), Some(MAX_ED25519_SIGNATURES));
        let eleven = v1a_header(MAX_ED25519_SIGNATURES + 1);
        assert!(matches!(
            parse_signature_header(Scheme::StandardWebhooks, &eleven),
            Err(VerifyError::TooManySignatures)
        ));
        // HMAC entries keep the general limit.
        let many_v1 = alloc::vec!["v1,AAAA"; 50].join(" ");
        assert!(parse_signature_header(Scheme::StandardWebhooks, &many_v1).is_ok());
    }
}
