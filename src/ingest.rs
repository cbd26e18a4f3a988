//! Decisions made when a form is posted: which origins may post, whether the client wants JSON
//! or an HTML redirect, the honeypot spam trap, and why a submission is spam.

use alloc::string::String;

use serde::{Deserialize, Serialize};

use crate::form::Fields;

/// The honeypot field formhook forms use unless configured otherwise (Formspree's name).
pub const DEFAULT_HONEYPOT_FIELD: &str = "_gotcha";

/// Whether a request from `origin` (the `Origin` header) may post: an empty list allows every
/// origin; otherwise the origin must be listed exactly (ASCII case-insensitive, a trailing `/`
/// ignored) or the list must contain `*`.
pub fn origin_allowed<S: AsRef<str>>(origin: &str, allowed: &[S]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let origin = origin.trim_end_matches('/');
    allowed.iter().any(|entry| {
        let entry = entry.as_ref().trim_end_matches('/');
        entry == "*" || entry.eq_ignore_ascii_case(origin)
    })
}

/// Headers only formhook's own deliveries carry (see [`crate::delivery`]).
pub const DELIVERY_HEADER_NAMES: [&str; 3] = [
    "x-formhook-event",
    "x-formhook-delivery",
    "x-formhook-attempt",
];

/// How formhook's delivery user agent begins (`formhook/<version>`).
pub const DELIVERY_USER_AGENT_PREFIX: &str = "formhook/";

/// Whether a post is one of formhook's own deliveries: it carries one of
/// [`DELIVERY_HEADER_NAMES`] (`has_header` is asked with lowercase names) or its user agent
/// starts with `formhook/`. An endpoint pointed at a form (this service's or another formhook's)
/// would turn every submission into more submissions; such posts are refused instead.
pub fn is_delivery_loop(has_header: impl Fn(&str) -> bool, user_agent: Option<&str>) -> bool {
    DELIVERY_HEADER_NAMES.iter().any(|name| has_header(name))
        || user_agent.is_some_and(|ua| {
            ua.trim_start()
                .get(..DELIVERY_USER_AGENT_PREFIX.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(DELIVERY_USER_AGENT_PREFIX))
        })
}

/// Whether the client should get JSON (`fetch`, XHR, API clients) rather than a `303` redirect
/// (a plain HTML form post): yes when `Accept` names `application/json`, when the body itself is
/// JSON, or when `Sec-Fetch-Mode` is present and not `navigate`.
pub fn wants_json(
    accept: Option<&str>,
    content_type: Option<&str>,
    sec_fetch_mode: Option<&str>,
) -> bool {
    let accept_json = accept.is_some_and(|a| {
        a.split(',').any(|part| {
            let media = part.split(';').next().unwrap_or("").trim();
            media.eq_ignore_ascii_case("application/json")
        })
    });
    let body_json = content_type.is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("application/json")
            || (media.len() > 5
                && media
                    .get(media.len() - 5..)
                    .is_some_and(|t| t.eq_ignore_ascii_case("+json")))
    });
    let scripted =
        sec_fetch_mode.is_some_and(|m| !m.is_empty() && !m.eq_ignore_ascii_case("navigate"));
    accept_json || body_json || scripted
}

/// Removes the honeypot field `name` from `fields` and says whether it was filled in (a bot):
/// present with a non-empty value, or repeated. An empty `name` disables the trap.
pub fn take_honeypot(fields: &mut Fields, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    match fields.remove(name) {
        None => false,
        Some(serde_json::Value::String(s)) => !s.trim().is_empty(),
        Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(_) => true,
    }
}

/// Why a stored submission is spam.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpamReason {
    /// The honeypot field was filled in.
    Honeypot,
    /// The captcha token did not pass. Posts that fail their captcha are refused (`403`), so
    /// none is stored for this reason today; the name is kept for records that say so.
    CaptchaFailed,
    /// Siteverify gave no judgement and the form accepts such posts as spam
    /// ([`OnError::AcceptAsSpam`](crate::captcha::OnError::AcceptAsSpam)).
    CaptchaUnavailable,
}

impl SpamReason {
    /// Every reason.
    pub const ALL: [Self; 3] = [
        Self::Honeypot,
        Self::CaptchaFailed,
        Self::CaptchaUnavailable,
    ];

    /// The wire name: `honeypot`, `captcha_failed`, `captcha_unavailable`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Honeypot => "honeypot",
            Self::CaptchaFailed => "captcha_failed",
            Self::CaptchaUnavailable => "captcha_unavailable",
        }
    }

    /// The inverse of [`SpamReason::as_str`]; `None` otherwise.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// The most bytes of one request header a submission keeps in its
/// [`Meta`](crate::event::Meta) (`User-Agent`, `Referer`, the client address). A browser's are a
/// few hundred bytes; headers are not counted in the form's body limit, so without this a
/// three-byte post could store, and deliver to every endpoint, the edge's whole header allowance.
pub const MAX_META_HEADER_BYTES: usize = 2048;

/// `value` as a submission keeps it: at most [`MAX_META_HEADER_BYTES`] bytes, cut at a character
/// boundary (a browser's value is never cut).
pub fn meta_header(value: &str) -> &str {
    let mut end = value.len().min(MAX_META_HEADER_BYTES);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value.get(..end).unwrap_or_default()
}

/// A form id chosen by a user: 1 to 64 of `a-z 0-9 _ -`, starting with a letter or digit, so it
/// is safe in URLs and object names.
pub fn is_valid_form_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
}

/// A redirect target after a form post: an absolute `http(s)` URL or a path starting with a
/// single `/` (not `//`, which would leave the site), without control characters.
pub fn is_valid_redirect(target: &str) -> bool {
    if target.is_empty() || target.len() > 2048 || target.chars().any(char::is_control) {
        return false;
    }
    if target.starts_with('/') {
        return !target.starts_with("//") && !target.starts_with("/\\");
    }
    let lower: String = target
        .chars()
        .take(8)
        .flat_map(char::to_lowercase)
        .collect();
    (lower.starts_with("https://") && target.len() > 8)
        || (lower.starts_with("http://") && target.len() > 7)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn meta_headers_are_capped_at_a_character_boundary() {
        let browser = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0";
        assert_eq!(meta_header(browser), browser);
        assert_eq!(meta_header(""), "");
        let long = "u".repeat(200_000);
        assert_eq!(meta_header(&long).len(), MAX_META_HEADER_BYTES);
        // A two-byte character straddling the cap is dropped whole, never split.
        let straddling = alloc::format!("{}é", "a".repeat(MAX_META_HEADER_BYTES - 1));
        assert_eq!(
            meta_header(&straddling),
            "a".repeat(MAX_META_HEADER_BYTES - 1)
        );
        let exact = alloc::format!("{}é", "a".repeat(MAX_META_HEADER_BYTES - 2));
        assert_eq!(meta_header(&exact), exact);
    }

    #[test]
    fn formhook_deliveries_are_recognised() {
        let none = |_: &str| false;
        assert!(is_delivery_loop(none, Some("formhook/0.1.0")));
        assert!(is_delivery_loop(none, Some("FormHook/1")));
        assert!(is_delivery_loop(|n| n == "x-formhook-event", None));
        assert!(is_delivery_loop(
            |n| n == "x-formhook-attempt",
            Some("curl/8")
        ));
        assert!(!is_delivery_loop(none, Some("Mozilla/5.0 formhook/1")));
        assert!(!is_delivery_loop(none, Some("formhook")));
        assert!(!is_delivery_loop(|n| n == "x-formhook", None));
        assert!(!is_delivery_loop(none, None));
    }

    #[test]
    fn origins() {
        let none: [&str; 0] = [];
        assert!(origin_allowed("https://a.example", &none));
        assert!(origin_allowed("https://a.example", &["https://A.example/"]));
        assert!(!origin_allowed("https://b.example", &["https://a.example"]));
        assert!(origin_allowed(
            "https://b.example",
            &["https://a.example", "*"]
        ));
        assert!(!origin_allowed("null", &["https://a.example"]));
    }

    #[test]
    fn json_or_redirect() {
        assert!(!wants_json(
            Some("text/html,application/xhtml+xml,*/*;q=0.8"),
            Some("application/x-www-form-urlencoded"),
            Some("navigate")
        ));
        assert!(wants_json(
            Some("application/json"),
            Some("multipart/form-data; boundary=x"),
            None
        ));
        assert!(wants_json(
            None,
            Some("application/json; charset=utf-8"),
            None
        ));
        assert!(wants_json(None, Some("application/vnd.api+json"), None));
        assert!(wants_json(
            Some("*/*"),
            Some("multipart/form-data; boundary=x"),
            Some("cors")
        ));
        assert!(!wants_json(None, None, None));
    }

    #[test]
    fn honeypot() {
        let mut fields = json!({"name": "Ada", "_gotcha": ""})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(!take_honeypot(&mut fields, "_gotcha"));
        assert!(!fields.contains_key("_gotcha"));
        let mut fields = json!({"_gotcha": "buy pills"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(take_honeypot(&mut fields, "_gotcha"));
        let mut fields = json!({"_gotcha": ["", ""]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(take_honeypot(&mut fields, "_gotcha"));
        let mut fields = json!({"_gotcha": "x"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(!take_honeypot(&mut fields, ""));
    }

    #[test]
    fn spam_reasons_round_trip() {
        for reason in SpamReason::ALL {
            assert_eq!(SpamReason::parse(reason.as_str()), Some(reason));
            assert_eq!(
                serde_json::to_string(&reason).unwrap_or_default(),
                alloc::format!("\"{}\"", reason.as_str())
            );
        }
        assert_eq!(SpamReason::parse("Honeypot"), None);
    }

    #[test]
    fn form_ids_and_redirects() {
        assert!(is_valid_form_id("contact-2024_a"));
        assert!(
            !is_valid_form_id("-x")
                && !is_valid_form_id("A")
                && !is_valid_form_id("")
                && !is_valid_form_id("a/b")
        );
        assert!(!is_valid_form_id(&"a".repeat(65)));
        assert!(is_valid_redirect("/thanks") && is_valid_redirect("https://example.com/ok"));
        assert!(!is_valid_redirect("//evil.example") && !is_valid_redirect("javascript:alert(1)"));
        assert!(!is_valid_redirect("https://") && !is_valid_redirect("/a\nb"));
    }
}
