//! A receiver's verifier: scheme, keys and tolerance prepared once, then one call per request
//! with the request's headers as they arrive.
//!
//! [`Verifier::verify`] reads the headers its scheme needs through [`HeaderLookup`], which fits
//! `http::HeaderMap` (with the `http` feature) and plain slices of `(name, value)` pairs, so a
//! handler needs neither positional arguments nor knowledge of which headers a scheme uses.

use alloc::string::String;
use alloc::vec::Vec;

use crate::mac::HmacKey;
use crate::secret::SecretError;
use crate::signature::{verify, Scheme, SignatureHeaders, VerifyError, DEFAULT_TOLERANCE_SECS};

/// Read access to a request's headers.
///
/// Implemented for slices, arrays and vectors of `(name, value)` pairs and, with the `http`
/// feature, for `http::HeaderMap`. Implement it for any other header type in a few lines.
pub trait HeaderLookup {
    /// Calls `visit` with every value of the header `name`, in the order received. `name` is
    /// lowercase ASCII; match it case-insensitively.
    fn each_value(&self, name: &str, visit: &mut dyn FnMut(&[u8]));
}

impl<N: AsRef<str>, V: AsRef<[u8]>> HeaderLookup for [(N, V)] {
    fn each_value(&self, name: &str, visit: &mut dyn FnMut(&[u8])) {
        for (key, value) in self {
            if key.as_ref().eq_ignore_ascii_case(name) {
                visit(value.as_ref());
            }
        }
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>, const COUNT: usize> HeaderLookup for [(N, V); COUNT] {
    fn each_value(&self, name: &str, visit: &mut dyn FnMut(&[u8])) {
        self.as_slice().each_value(name, visit);
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> HeaderLookup for Vec<(N, V)> {
    fn each_value(&self, name: &str, visit: &mut dyn FnMut(&[u8])) {
        self.as_slice().each_value(name, visit);
    }
}

#[cfg(feature = "http")]
impl<T> HeaderLookup for http::HeaderMap<T>
where
    T: AsRef<[u8]>,
{
    fn each_value(&self, name: &str, visit: &mut dyn FnMut(&[u8])) {
        // `get_all` with a name that is not a valid header name finds nothing, which is right.
        for value in self.get_all(name) {
            visit(value.as_ref());
        }
    }
}

/// Verifies requests in one scheme with a fixed set of keys (several during a secret rotation).
///
/// Build it once at start-up; [`verify`](Self::verify) then only hashes. `Debug` never shows keys.
///
/// ```
/// use formhook::{Scheme, Verifier, VerifyError};
///
/// let verifier = Verifier::new(Scheme::GitHub, &["It's a Secret to Everybody"])?;
/// let headers = [(
///     "X-Hub-Signature-256",
///     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
/// )];
/// verifier.verify(&headers, b"Hello, World!", 0)?;
/// assert_eq!(
///     verifier.verify(&headers, b"Hello, World?", 0),
///     Err(VerifyError::NoMatchingSignature)
/// );
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    scheme: Scheme,
    keys: Vec<HmacKey>,
    tolerance_secs: u64,
    signature_header: Option<String>,
}

impl Verifier {
    /// A verifier for `scheme` with one key per secret, each turned into a key by the scheme's
    /// rule (`whsec_…` for Standard Webhooks, the secret's UTF-8 bytes for the others).
    pub fn new<S: AsRef<str>>(scheme: Scheme, secrets: &[S]) -> Result<Self, SecretError> {
        let keys = secrets
            .iter()
            .map(|secret| scheme.key(secret.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_keys(scheme, keys))
    }

    /// A verifier with keys prepared elsewhere (e.g. [`Secret::hmac_key`](crate::Secret::hmac_key)).
    pub fn from_keys(scheme: Scheme, keys: Vec<HmacKey>) -> Self {
        Self {
            scheme,
            keys,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
            signature_header: None,
        }
    }

    /// Accepts timestamps up to `seconds` either side of `now` (default
    /// [`DEFAULT_TOLERANCE_SECS`]); schemes without a timestamp ignore it.
    #[must_use]
    pub fn with_tolerance(mut self, seconds: u64) -> Self {
        self.tolerance_secs = seconds;
        self
    }

    /// Reads the signature from `name` instead of the scheme's header (e.g. `X-Signature` for
    /// [`Scheme::Hex`] senders other than splitforms).
    #[must_use]
    pub fn with_signature_header(mut self, name: &str) -> Self {
        self.signature_header = Some(name.to_ascii_lowercase());
        self
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Verifies one request: its headers, its body exactly as received, and the caller's clock
    /// (`now`, Unix seconds; schemes without a timestamp ignore it).
    ///
    /// A header sent several times is read as its values joined the way the JavaScript package
    /// joins them (signatures with a space, Stripe's with a comma, others with a comma). A value
    /// that is not UTF-8 cannot have been signed by a conforming sender: it fails as
    /// [`VerifyError::InvalidTimestamp`] for the timestamp and
    /// [`VerifyError::InvalidSignatureHeader`] for the other headers.
    pub fn verify<H: HeaderLookup + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerifyError> {
        let names = self.scheme.header_names();
        let signature_name = self.signature_header.as_deref().unwrap_or(names.signature);
        let signature_separator = if self.scheme == Scheme::Stripe {
            ","
        } else {
            " "
        };
        let id = names.id.map(|name| joined(headers, name, ",")).transpose();
        let timestamp = names
            .timestamp
            .map(|name| joined(headers, name, ","))
            .transpose()
            .map_err(|_| VerifyError::InvalidTimestamp)?;
        let signature = joined(headers, signature_name, signature_separator);
        let (id, signature) = match (id, signature) {
            (Ok(id), Ok(signature)) => (id.flatten(), signature),
            _ => return Err(VerifyError::InvalidSignatureHeader),
        };
        let timestamp = timestamp.flatten();
        let found = SignatureHeaders {
            id: id.as_deref(),
            timestamp: timestamp.as_deref(),
            signature: signature.as_deref(),
        };
        verify(
            self.scheme,
            &self.keys,
            &found,
            body,
            now,
            self.tolerance_secs,
        )
    }
}

/// Why a header value could not be read as text.
struct NotUtf8;

/// The values of `name` joined with `separator`; `None` when the header is absent.
fn joined<H: HeaderLookup + ?Sized>(
    headers: &H,
    name: &str,
    separator: &str,
) -> Result<Option<String>, NotUtf8> {
    let mut text: Option<String> = None;
    let mut valid = true;
    headers.each_value(name, &mut |value| match core::str::from_utf8(value) {
        Ok(value) => match text.as_mut() {
            Some(text) => {
                text.push_str(separator);
                text.push_str(value);
            }
            None => text = Some(String::from(value)),
        },
        Err(_) => valid = false,
    });
    if valid {
        Ok(text)
    } else {
        Err(NotUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::sign;
    use alloc::boxed::Box;
    use alloc::vec;

    type TestResult = Result<(), Box<dyn core::error::Error>>;

    const NOW: i64 = 1_700_000_000;
    const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn secret_for(scheme: Scheme) -> &'static str {
        match scheme {
            Scheme::StandardWebhooks | Scheme::Stripe => STANDARD_SECRET,
            _ => "a plain shared secret",
        }
    }

    /// The headers a sender of `scheme` attaches, as (name, value) pairs in the sender's casing.
    fn signed_headers(scheme: Scheme, body: &[u8]) -> Result<Vec<(String, String)>, SecretError> {
        let verifier = Verifier::new(scheme, &[secret_for(scheme)])?;
        let signature = sign(scheme, &verifier.keys, "msg_1", NOW, body);
        let names = scheme.header_names();
        let mut headers = vec![(names.signature.to_ascii_uppercase(), signature)];
        if let Some(id) = names.id {
            headers.push((id.into(), "msg_1".into()));
        }
        if let Some(ts) = names.timestamp {
            headers.push((ts.into(), crate::encoding::decimal(NOW)));
        }
        Ok(headers)
    }

    #[test]
    fn every_scheme_verifies_its_own_headers_and_rejects_a_changed_body() -> TestResult {
        for scheme in Scheme::ALL {
            let body = br#"{"type":"form.submission.created"}"#;
            let headers = signed_headers(scheme, body)?;
            let verifier = Verifier::new(scheme, &[secret_for(scheme)])?;
            assert_eq!(verifier.verify(&headers, body, NOW), Ok(()), "{scheme:?}");
            assert_eq!(
                verifier.verify(&headers, b"{}", NOW),
                Err(VerifyError::NoMatchingSignature),
                "{scheme:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn tolerance_applies_to_timestamped_schemes_only() -> TestResult {
        let body = b"x";
        for scheme in [Scheme::StandardWebhooks, Scheme::Slack, Scheme::Stripe] {
            let headers = signed_headers(scheme, body)?;
            let strict = Verifier::new(scheme, &[secret_for(scheme)])?.with_tolerance(10);
            assert_eq!(strict.verify(&headers, body, NOW + 10), Ok(()));
            assert_eq!(
                strict.verify(&headers, body, NOW + 11),
                Err(VerifyError::TimestampTooOld)
            );
            assert_eq!(
                strict.verify(&headers, body, NOW - 11),
                Err(VerifyError::TimestampTooNew)
            );
        }
        let headers = signed_headers(Scheme::GitHub, body)?;
        let github = Verifier::new(Scheme::GitHub, &["a plain shared secret"])?;
        assert_eq!(github.verify(&headers, body, i64::MIN), Ok(()));
        Ok(())
    }

    #[test]
    fn rotation_accepts_either_key() -> TestResult {
        let body = b"rotated";
        let headers = signed_headers(Scheme::StandardWebhooks, body)?;
        let old_and_new = Verifier::new(
            Scheme::StandardWebhooks,
            &["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", STANDARD_SECRET],
        )?;
        assert_eq!(old_and_new.verify(&headers, body, NOW), Ok(()));
        let other = Verifier::new(
            Scheme::StandardWebhooks,
            &["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"],
        )?;
        assert_eq!(
            other.verify(&headers, body, NOW),
            Err(VerifyError::NoMatchingSignature)
        );
        Ok(())
    }

    #[test]
    fn missing_headers_and_bad_secrets_have_their_codes() -> TestResult {
        let verifier = Verifier::new(Scheme::StandardWebhooks, &[STANDARD_SECRET])?;
        let none: [(&str, &str); 0] = [];
        assert_eq!(
            verifier.verify(&none, b"x", NOW),
            Err(VerifyError::MissingHeaders)
        );
        assert_eq!(
            Verifier::new(Scheme::StandardWebhooks, &["whsec_!!!"]).err(),
            Some(SecretError::InvalidEncoding)
        );
        let no_keys = Verifier::from_keys(Scheme::GitHub, Vec::new());
        let headers = signed_headers(Scheme::GitHub, b"x")?;
        assert_eq!(
            no_keys.verify(&headers, b"x", NOW),
            Err(VerifyError::NoSecret)
        );
        Ok(())
    }

    #[test]
    fn repeated_signature_headers_are_joined_like_the_js_package_joins_them() -> TestResult {
        let body = b"two headers";
        let mut headers = signed_headers(Scheme::StandardWebhooks, body)?;
        // A proxy may split the entries of one header into several header lines.
        headers.insert(0, ("webhook-signature".into(), "v1,AAAA".into()));
        let verifier = Verifier::new(Scheme::StandardWebhooks, &[STANDARD_SECRET])?;
        assert_eq!(verifier.verify(&headers, body, NOW), Ok(()));
        // A repeated id is not one id: joined, it no longer matches what was signed.
        headers.push(("Webhook-Id".into(), "msg_2".into()));
        assert_eq!(
            verifier.verify(&headers, body, NOW),
            Err(VerifyError::NoMatchingSignature)
        );
        Ok(())
    }

    #[test]
    fn a_value_that_is_not_utf8_fails_with_a_code_not_a_panic() -> TestResult {
        let verifier = Verifier::new(Scheme::StandardWebhooks, &[STANDARD_SECRET])?;
        let body = b"x";
        let good = signed_headers(Scheme::StandardWebhooks, body)?;
        for (broken, expected) in [
            ("webhook-signature", VerifyError::InvalidSignatureHeader),
            ("webhook-id", VerifyError::InvalidSignatureHeader),
            ("webhook-timestamp", VerifyError::InvalidTimestamp),
        ] {
            let headers: Vec<(&str, Vec<u8>)> = good
                .iter()
                .map(|(name, value)| {
                    if name.eq_ignore_ascii_case(broken) {
                        (name.as_str(), vec![0xff, 0xfe])
                    } else {
                        (name.as_str(), value.as_bytes().to_vec())
                    }
                })
                .collect();
            assert_eq!(
                verifier.verify(&headers, body, NOW),
                Err(expected),
                "{broken}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_custom_signature_header_replaces_the_schemes() -> TestResult {
        let body = b"custom";
        let key = Scheme::Hex.key("s3cret")?;
        let signature = sign(Scheme::Hex, &[key], "", 0, body);
        let headers = [("X-Signature", signature.as_str())];
        let default = Verifier::new(Scheme::Hex, &["s3cret"])?;
        assert_eq!(
            default.verify(&headers, body, NOW),
            Err(VerifyError::MissingHeaders)
        );
        let custom = default.with_signature_header("X-Signature");
        assert_eq!(custom.verify(&headers, body, NOW), Ok(()));
        assert_eq!(custom.scheme(), Scheme::Hex);
        Ok(())
    }

    #[test]
    fn debug_never_shows_keys() -> TestResult {
        let verifier = Verifier::new(Scheme::GitHub, &["hunter2-secret"])?;
        let shown = alloc::format!("{verifier:?}");
        assert!(shown.contains("REDACTED"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        Ok(())
    }

    #[cfg(feature = "http")]
    #[test]
    fn an_http_header_map_is_read_case_insensitively_with_repeats() -> TestResult {
        use http::header::{HeaderMap, HeaderName, HeaderValue};
        let body = b"from a HeaderMap";
        let mut map = HeaderMap::new();
        map.append("webhook-signature", HeaderValue::from_static("v1,AAAA"));
        for (name, value) in signed_headers(Scheme::StandardWebhooks, body)? {
            let name = HeaderName::from_bytes(name.as_bytes())?;
            map.append(name, HeaderValue::from_str(&value)?);
        }
        let verifier = Verifier::new(Scheme::StandardWebhooks, &[STANDARD_SECRET])?;
        assert_eq!(verifier.verify(&map, body, NOW), Ok(()));
        assert_eq!(
            verifier.verify(&map, b"changed", NOW),
            Err(VerifyError::NoMatchingSignature)
        );
        map.insert("webhook-timestamp", HeaderValue::from_bytes(b"\xff")?);
        assert_eq!(
            verifier.verify(&map, body, NOW),
            Err(VerifyError::InvalidTimestamp)
        );
        Ok(())
    }
}
