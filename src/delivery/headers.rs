//! The request headers of one delivery attempt.
//!
//! An attempt carries, in this order: `content-type`, `user-agent`, `webhook-id`,
//! `webhook-timestamp`, the scheme's own timestamp and signature headers, `x-formhook-event`,
//! `x-formhook-delivery`, `x-formhook-attempt`, then the endpoint's custom headers.
//!
//! Custom headers can never set, replace or duplicate a header that any scheme reads or writes,
//! nor `content-type`, `content-length`, `host`, `user-agent`, hop-by-hop headers or
//! `x-formhook-*`: [`CustomHeaders`] refuses them when an endpoint is saved, and
//! [`attempt_headers`] drops them again at send time, so a stored value from before a rule
//! existed cannot reach a receiver either.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::encoding::decimal;
use crate::signature::{sign, HeaderNames, Key, Scheme};

/// The most custom headers an endpoint may have.
pub const MAX_CUSTOM_HEADERS: usize = 20;
/// The longest custom header name, in bytes.
pub const MAX_HEADER_NAME_BYTES: usize = 100;
/// The longest custom header value, in bytes.
pub const MAX_HEADER_VALUE_BYTES: usize = 4096;

/// Headers every request sets from its body or connection, and hop-by-hop headers (RFC 9110
/// §7.6.1), which a proxy would strip or act on.
const TRANSPORT_HEADERS: [&str; 13] = [
    "content-type",
    "content-length",
    "content-encoding",
    "host",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
];
// `upgrade` is hop-by-hop too, checked below with the others.
const UPGRADE: &str = "upgrade";

/// The prefix of formhook's own headers.
const OWN_PREFIX: &str = "x-formhook-";

/// Whether a custom header may not use this name (ASCII case-insensitive): a header any scheme
/// reads or writes, a transport or hop-by-hop header, or `x-formhook-*`.
pub fn is_reserved_header(name: &str) -> bool {
    let is = |reserved: &str| name.eq_ignore_ascii_case(reserved);
    // Each scheme's own names, and the ones a verifier reads in their place (`svix-*`, Shopify's
    // unprefixed header).
    let uses = |names: HeaderNames| {
        is(names.signature) || names.id.is_some_and(is) || names.timestamp.is_some_and(is)
    };
    let scheme_header = Scheme::ALL.iter().any(|scheme| {
        uses(scheme.header_names()) || scheme.alternate_header_names().is_some_and(uses)
    });
    scheme_header
        || TRANSPORT_HEADERS.iter().any(|h| is(h))
        || is(UPGRADE)
        || name
            .get(..OWN_PREFIX.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(OWN_PREFIX))
}

/// Why a custom header was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The name is empty, too long, or not an HTTP token.
    InvalidName,
    /// The name is one formhook sets itself or a scheme uses (see [`is_reserved_header`]).
    Reserved,
    /// The value is too long or holds a control character other than tab.
    InvalidValue,
    /// More than [`MAX_CUSTOM_HEADERS`] headers.
    TooMany,
    /// The same name twice (names compare case-insensitively).
    Duplicate,
}

impl HeaderError {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::InvalidName => "invalid_header_name",
            Self::Reserved => "reserved_header",
            Self::InvalidValue => "invalid_header_value",
            Self::TooMany => "too_many_headers",
            Self::Duplicate => "duplicate_header",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::InvalidName => "is not a valid header name (1 to 100 token characters)",
            Self::Reserved => {
                "is set by formhook or a signature scheme and cannot be set or overridden"
            }
            Self::InvalidValue => "has a value longer than 4096 bytes or with control characters",
            Self::TooMany => "is one header too many: at most 20 custom headers",
            Self::Duplicate => "is given twice",
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for HeaderError {}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_HEADER_NAME_BYTES
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Checks one custom header: a token name that is not reserved, and a value without control
/// characters (tab allowed) of at most [`MAX_HEADER_VALUE_BYTES`].
pub fn check_custom_header(name: &str, value: &str) -> Result<(), HeaderError> {
    if !is_token(name) {
        return Err(HeaderError::InvalidName);
    }
    if is_reserved_header(name) {
        return Err(HeaderError::Reserved);
    }
    if value.len() > MAX_HEADER_VALUE_BYTES || value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(HeaderError::InvalidValue);
    }
    Ok(())
}

/// An endpoint's custom headers: names lowercased, each checked by [`check_custom_header`].
/// In JSON an object of strings, e.g. `{"authorization": "Bearer …"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    from = "alloc::collections::BTreeMap<String, String>",
    into = "alloc::collections::BTreeMap<String, String>"
)]
pub struct CustomHeaders(Vec<(String, String)>);

impl CustomHeaders {
    /// Validates `pairs`; on failure, the offending name and why.
    pub fn new<'a, I>(pairs: I) -> Result<Self, (String, HeaderError)>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, value) in pairs {
            let fail = |e| Err((name.to_string(), e));
            if out.len() == MAX_CUSTOM_HEADERS {
                return fail(HeaderError::TooMany);
            }
            if let Err(e) = check_custom_header(name, value) {
                return fail(e);
            }
            let lower = name.to_ascii_lowercase();
            if out.iter().any(|(n, _)| *n == lower) {
                return fail(HeaderError::Duplicate);
            }
            out.push((lower, value.to_string()));
        }
        Ok(Self(out))
    }

    /// The headers, names lowercased, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many headers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// Stored settings are trusted to have passed `new` when saved; what no longer passes is dropped
// at send time by `attempt_headers`, never sent.
impl From<alloc::collections::BTreeMap<String, String>> for CustomHeaders {
    fn from(map: alloc::collections::BTreeMap<String, String>) -> Self {
        Self(
            map.into_iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v))
                .collect(),
        )
    }
}

impl From<CustomHeaders> for alloc::collections::BTreeMap<String, String> {
    fn from(headers: CustomHeaders) -> Self {
        headers.0.into_iter().collect()
    }
}

/// Everything one attempt's headers are made of.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    /// The endpoint's scheme.
    pub scheme: Scheme,
    /// The live signing keys, newest first (see [`SecretSet::keys`](super::SecretSet::keys)).
    pub keys: &'a [Key],
    /// The event id: stable across retries and replays, the receiver's idempotency key.
    pub message_id: &'a str,
    /// The event type's wire name.
    pub event_type: &'a str,
    /// The id of this attempt, unique per attempt.
    pub attempt_id: &'a str,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When the attempt is sent, Unix seconds (signed into timestamped schemes).
    pub timestamp: i64,
    /// The exact payload bytes sent and signed.
    pub payload: &'a [u8],
    /// The endpoint's custom headers.
    pub custom: &'a CustomHeaders,
    /// The `User-Agent` value.
    pub user_agent: &'a str,
}

/// Why an attempt cannot be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptError {
    /// No live secret gives a key for the endpoint's scheme: an unsigned delivery is never sent.
    NoSigningKey,
}

impl AttemptError {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::NoSigningKey => "no_signing_key",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::NoSigningKey => {
                "the endpoint has no live secret for its scheme; nothing was sent"
            }
        }
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for AttemptError {}

/// The headers of one attempt, in order, names lowercase; custom headers that are reserved (or
/// repeat a name already set) are dropped.
pub fn attempt_headers(attempt: &Attempt<'_>) -> Result<Vec<(String, String)>, AttemptError> {
    let timestamp = decimal(attempt.timestamp);
    let signature = sign(
        attempt.scheme,
        attempt.keys,
        attempt.message_id,
        attempt.timestamp,
        attempt.payload,
    );
    // No key that can sign (none live, or only public keys): nothing is sent unsigned.
    if signature.is_empty() {
        return Err(AttemptError::NoSigningKey);
    }
    let pair = |name: &str, value: &str| (name.to_string(), value.to_string());
    let mut headers = Vec::with_capacity(10 + attempt.custom.len());
    headers.push(pair("content-type", "application/json"));
    headers.push(pair("user-agent", attempt.user_agent));
    headers.push(pair("webhook-id", attempt.message_id));
    headers.push(pair("webhook-timestamp", &timestamp));
    let names = attempt.scheme.header_names();
    if let Some(ts_header) = names.timestamp.filter(|h| *h != "webhook-timestamp") {
        headers.push(pair(ts_header, &timestamp));
    }
    headers.push((names.signature.to_string(), signature));
    headers.push(pair("x-formhook-event", attempt.event_type));
    headers.push(pair("x-formhook-delivery", attempt.attempt_id));
    headers.push(pair(
        "x-formhook-attempt",
        &decimal(i64::from(attempt.attempt)),
    ));
    for (name, value) in attempt.custom.iter() {
        let taken = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !taken && check_custom_header(name, value).is_ok() {
            headers.push(pair(name, value));
        }
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{verify, SignatureHeaders};
    use alloc::collections::BTreeMap;
    use alloc::vec;

    fn key() -> Key {
        Key::Hmac(crate::mac::HmacKey::new(b"test secret").unwrap())
    }

    fn attempt<'a>(scheme: Scheme, keys: &'a [Key], custom: &'a CustomHeaders) -> Attempt<'a> {
        Attempt {
            scheme,
            keys,
            message_id: "msg_1",
            event_type: "form.submission.created",
            attempt_id: "att_1",
            attempt: 2,
            timestamp: 1_700_000_000,
            payload: br#"{"a":1}"#,
            custom,
            user_agent: "formhook/test",
        }
    }

    fn get<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
        headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn every_scheme_header_is_reserved() {
        for scheme in Scheme::ALL {
            let names = scheme.header_names();
            assert!(is_reserved_header(names.signature), "{}", names.signature);
            assert!(is_reserved_header(&names.signature.to_ascii_uppercase()));
            for name in [names.id, names.timestamp].into_iter().flatten() {
                assert!(is_reserved_header(name), "{name}");
            }
        }
    }

    #[test]
    fn transport_alias_and_own_headers_are_reserved() {
        for name in [
            "Content-Type",
            "content-length",
            "HOST",
            "user-agent",
            "connection",
            "upgrade",
            "transfer-encoding",
            "te",
            "svix-signature",
            "Shopify-Hmac-Sha256",
            "x-formhook-event",
            "X-Formhook-Anything",
        ] {
            assert!(is_reserved_header(name), "{name}");
        }
        for name in [
            "authorization",
            "x-api-key",
            "x-formhooks",
            "x-hub-signature",
        ] {
            assert!(!is_reserved_header(name), "{name}");
        }
    }

    #[test]
    fn custom_headers_are_checked_when_saved() {
        let ok = CustomHeaders::new([("Authorization", "Bearer x"), ("X-Tenant", "a\tb")]);
        assert_eq!(
            ok.map(|h| h.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>()),
            Ok(vec!["authorization".to_string(), "x-tenant".to_string()])
        );
        let cases: [(&str, &str, HeaderError); 6] = [
            ("X-Hub-Signature-256", "sha256=00", HeaderError::Reserved),
            ("webhook-signature", "v1,x", HeaderError::Reserved),
            ("x formhook", "v", HeaderError::InvalidName),
            ("", "v", HeaderError::InvalidName),
            ("x-ok", "line\r\nbreak", HeaderError::InvalidValue),
            ("x-ok", &"a".repeat(5000), HeaderError::InvalidValue),
        ];
        for (name, value, want) in cases {
            assert_eq!(
                CustomHeaders::new([(name, value)]),
                Err((name.to_string(), want)),
                "{name}"
            );
        }
        assert_eq!(
            CustomHeaders::new([("x-a", "1"), ("X-A", "2")]),
            Err(("X-A".to_string(), HeaderError::Duplicate))
        );
        let names: Vec<String> = (0..21).map(|i| alloc::format!("x-h{i}")).collect();
        let err = CustomHeaders::new(names.iter().map(|n| (n.as_str(), "v"))).unwrap_err();
        assert_eq!(err, ("x-h20".to_string(), HeaderError::TooMany));
    }

    #[test]
    fn reserved_custom_headers_never_reach_the_request() {
        // As if stored before the rule existed: deserialized without validation.
        let mut map = BTreeMap::new();
        map.insert("X-Hub-Signature-256".to_string(), "sha256=0000".to_string());
        map.insert("webhook-id".to_string(), "forged".to_string());
        map.insert("x-tenant".to_string(), "acme".to_string());
        // Reserved names that no attempt sets itself, so only the check at send time drops them.
        let unset = [
            "svix-signature",
            "Shopify-Hmac-Sha256",
            "content-length",
            "connection",
            "x-formhook-replay",
        ];
        for name in unset {
            map.insert(name.to_string(), "forged".to_string());
        }
        let custom = CustomHeaders::from(map);
        for scheme in Scheme::ALL {
            let keys = [key()];
            let headers = attempt_headers(&attempt(scheme, &keys, &custom)).unwrap();
            for name in unset {
                let lower = name.to_ascii_lowercase();
                assert_eq!(
                    get(&headers, &lower),
                    Vec::<&str>::new(),
                    "{scheme:?} {name}"
                );
            }
            assert!(
                headers
                    .iter()
                    .all(|(_, v)| v != "forged" && v != "sha256=0000"),
                "{scheme:?}: {headers:?}"
            );
            let sig_name = scheme.header_names().signature;
            let sig = get(&headers, sig_name);
            assert_eq!(sig.len(), 1, "{scheme:?}");
            assert_ne!(sig[0], "sha256=0000");
            assert_eq!(get(&headers, "webhook-id"), ["msg_1"]);
            assert_eq!(get(&headers, "x-tenant"), ["acme"]);
            // The signature verifies with the endpoint's key.
            let names = scheme.header_names();
            let ts = get(&headers, names.timestamp.unwrap_or("webhook-timestamp"));
            let sh = SignatureHeaders {
                id: Some("msg_1"),
                timestamp: ts.first().copied(),
                signature: Some(sig[0]),
            };
            assert!(
                verify(scheme, &[key()], &sh, br#"{"a":1}"#, 1_700_000_000, 300).is_ok(),
                "{scheme:?}"
            );
        }
    }

    #[test]
    fn headers_come_in_a_fixed_order() {
        let custom = CustomHeaders::new([("x-tenant", "acme")]).unwrap();
        let keys = [key()];
        let headers = attempt_headers(&attempt(Scheme::Slack, &keys, &custom)).unwrap();
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "content-type",
                "user-agent",
                "webhook-id",
                "webhook-timestamp",
                "x-slack-request-timestamp",
                "x-slack-signature",
                "x-formhook-event",
                "x-formhook-delivery",
                "x-formhook-attempt",
                "x-tenant",
            ]
        );
        assert_eq!(get(&headers, "x-formhook-attempt"), ["2"]);
        assert_eq!(get(&headers, "x-slack-request-timestamp"), ["1700000000"]);
    }

    #[test]
    fn an_attempt_without_keys_is_refused() {
        let custom = CustomHeaders::default();
        assert_eq!(
            attempt_headers(&attempt(Scheme::StandardWebhooks, &[], &custom)),
            Err(AttemptError::NoSigningKey)
        );
    }

    #[test]
    fn serde_form_is_an_object_of_strings() {
        let headers = CustomHeaders::new([("X-B", "2"), ("x-a", "1")]).unwrap();
        let json = serde_json::to_string(&headers).unwrap();
        assert_eq!(json, r#"{"x-a":"1","x-b":"2"}"#);
        let back: CustomHeaders = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.iter().collect::<Vec<_>>(),
            [("x-a", "1"), ("x-b", "2")]
        );
    }
}
