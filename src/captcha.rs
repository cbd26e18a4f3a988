//! Captcha checks for form posts: Cloudflare Turnstile, hCaptcha and Google reCAPTCHA, which share
//! one "siteverify" protocol. The caller posts [`siteverify_body`] to the provider and hands the
//! answer (or the transport failure) to [`judge`]; [`decide`] turns the judgement and the form's
//! [`OnError`] choice into "store" or "refuse".
//!
//! Nothing here does I/O: the token comes out of the parsed fields ([`take_token`]), the answer
//! comes in as bytes, the idempotency key is made from the caller's random bytes.
//!
//! The three outcomes of a check ([`Judgement`]):
//! - **passed**: the provider said `success` and every expectation of the form holds (hostname,
//!   action, reCAPTCHA v3 score);
//! - **failed**: the visitor's token is bad (the provider's `error-codes`, or one of ours:
//!   `hostname-mismatch`, `action-mismatch`, `score-too-low`, `score-missing`);
//! - **unavailable**: no judgement about the token could be had — siteverify timed out, was
//!   unreachable, answered 5xx or something that is not its JSON, reported its own
//!   `internal-error`, or refused the form's own keys (`invalid-input-secret`, …), which is the
//!   owner's problem and never the visitor's.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::form::Fields;
use crate::ingest::SpamReason;

/// A captcha provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Cloudflare Turnstile.
    Turnstile,
    /// hCaptcha.
    Hcaptcha,
    /// Google reCAPTCHA (v2 checkbox or invisible, v3 with a score).
    Recaptcha,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Self; 3] = [Self::Turnstile, Self::Hcaptcha, Self::Recaptcha];

    /// The config name: `turnstile`, `hcaptcha` or `recaptcha` (same as the serde form).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Turnstile => "turnstile",
            Self::Hcaptcha => "hcaptcha",
            Self::Recaptcha => "recaptcha",
        }
    }

    /// The inverse of [`Provider::name`] (exact match); `None` otherwise.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The provider's name for people.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Turnstile => "Cloudflare Turnstile",
            Self::Hcaptcha => "hCaptcha",
            Self::Recaptcha => "Google reCAPTCHA",
        }
    }

    /// The form field the provider's widget fills with its token.
    pub const fn token_field(self) -> &'static str {
        match self {
            Self::Turnstile => "cf-turnstile-response",
            Self::Hcaptcha => "h-captcha-response",
            Self::Recaptcha => "g-recaptcha-response",
        }
    }

    /// The provider's siteverify URL.
    pub const fn siteverify_url(self) -> &'static str {
        match self {
            Self::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/siteverify",
            Self::Hcaptcha => "https://api.hcaptcha.com/siteverify",
            Self::Recaptcha => "https://www.google.com/recaptcha/api/siteverify",
        }
    }

    /// The script a page loads to render the widget.
    pub const fn script_url(self) -> &'static str {
        match self {
            Self::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/api.js",
            Self::Hcaptcha => "https://js.hcaptcha.com/1/api.js",
            Self::Recaptcha => "https://www.google.com/recaptcha/api.js",
        }
    }

    /// The class of the element the script renders its widget into (`data-sitekey` beside it).
    pub const fn widget_class(self) -> &'static str {
        match self {
            Self::Turnstile => "cf-turnstile",
            Self::Hcaptcha => "h-captcha",
            Self::Recaptcha => "g-recaptcha",
        }
    }

    /// The longest token accepted before any call: Turnstile documents 2,048 characters; the
    /// others document none, so a bound that keeps the call small.
    pub const fn max_token_len(self) -> usize {
        match self {
            Self::Turnstile => 2048,
            Self::Hcaptcha | Self::Recaptcha => 16 * 1024,
        }
    }

    /// Whether the provider's answer carries a `score` a form may require (reCAPTCHA v3; an
    /// hCaptcha Enterprise score runs the other way, so `min_score` is reCAPTCHA's only).
    pub const fn has_score(self) -> bool {
        matches!(self, Self::Recaptcha)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The token fields of every provider. All are removed from a submission's data when the form
/// checks a captcha: tokens are not data, and hCaptcha's widget fills `g-recaptcha-response` too.
pub const TOKEN_FIELDS: [&str; 3] = [
    "cf-turnstile-response",
    "h-captcha-response",
    "g-recaptcha-response",
];

/// What a form does when siteverify cannot judge a token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Refuse the post with `503` and `Retry-After` (the default): nothing is stored.
    #[default]
    Reject,
    /// Store the post as spam (reason `captcha_unavailable`); it is delivered only when the
    /// form delivers spam, or once the owner marks it as not spam.
    AcceptAsSpam,
}

impl OnError {
    /// Every choice.
    pub const ALL: [Self; 2] = [Self::Reject, Self::AcceptAsSpam];

    /// The config name: `reject` or `accept_as_spam`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Reject => "reject",
            Self::AcceptAsSpam => "accept_as_spam",
        }
    }
}

/// Why a token never reached siteverify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The provider's field is absent or empty.
    Missing,
    /// Longer than [`Provider::max_token_len`].
    TooLong,
}

impl TokenError {
    /// The provider-style code: `missing-input-response` or `invalid-input-response`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Missing => "missing-input-response",
            Self::TooLong => "invalid-input-response",
        }
    }

    /// A sentence for people.
    pub const fn message(self) -> &'static str {
        match self {
            Self::Missing => "the form was sent without the spam check's token",
            Self::TooLong => "the spam check's token is longer than the provider allows",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for TokenError {}

/// Removes every provider's token field from `fields` and returns `provider`'s token: the
/// value, or the first non-empty one when the field was sent more than once.
pub fn take_token(fields: &mut Fields, provider: Provider) -> Result<String, TokenError> {
    let mut token = None;
    for name in TOKEN_FIELDS {
        let value = fields.remove(name);
        if name == provider.token_field() {
            token = value;
        }
    }
    let text = match token {
        Some(Value::String(s)) => s,
        Some(Value::Array(values)) => values
            .into_iter()
            .find_map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s),
                _ => None,
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    let text = text.trim();
    if text.is_empty() {
        Err(TokenError::Missing)
    } else if text.len() > provider.max_token_len() {
        Err(TokenError::TooLong)
    } else {
        Ok(text.to_string())
    }
}

/// A Turnstile `idempotency_key`: a version 4 UUID made from the caller's random bytes.
pub fn idempotency_key(random: [u8; 16]) -> String {
    let mut bytes = random;
    if let Some(version) = bytes.get_mut(6) {
        *version = (*version & 0x0f) | 0x40;
    }
    if let Some(variant) = bytes.get_mut(8) {
        *variant = (*variant & 0x3f) | 0x80;
    }
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&hex::encode([*b]));
    }
    out
}

/// What is sent to siteverify.
#[derive(Clone, Copy)]
pub struct SiteverifyRequest<'a> {
    /// The provider.
    pub provider: Provider,
    /// The form's secret key.
    pub secret: &'a str,
    /// The visitor's token.
    pub token: &'a str,
    /// The visitor's IP address, when known.
    pub remote_ip: Option<&'a str>,
    /// The form's site key: hCaptcha checks that the token was issued for it.
    pub site_key: Option<&'a str>,
    /// Turnstile's `idempotency_key` (see [`idempotency_key`]).
    pub idempotency_key: Option<&'a str>,
}

impl fmt::Debug for SiteverifyRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SiteverifyRequest")
            .field("provider", &self.provider)
            .field("secret", &"[REDACTED]")
            .field("token", &"[REDACTED]")
            .field("remote_ip", &self.remote_ip)
            .field("site_key", &self.site_key)
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

/// The `application/x-www-form-urlencoded` body of a siteverify call: `secret`, `response`,
/// `remoteip` when known, and per provider `idempotency_key` (Turnstile) or `sitekey`
/// (hCaptcha).
pub fn siteverify_body(request: &SiteverifyRequest<'_>) -> String {
    let mut body = String::new();
    let mut pair = |name: &str, value: &str| {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(name);
        body.push('=');
        form_encode(value, &mut body);
    };
    pair("secret", request.secret);
    pair("response", request.token);
    if let Some(ip) = request.remote_ip.filter(|ip| !ip.is_empty()) {
        pair("remoteip", ip);
    }
    match request.provider {
        Provider::Turnstile => {
            if let Some(key) = request.idempotency_key {
                pair("idempotency_key", key);
            }
        }
        Provider::Hcaptcha => {
            if let Some(key) = request.site_key.filter(|k| !k.is_empty()) {
                pair("sitekey", key);
            }
        }
        Provider::Recaptcha => {}
    }
    body
}

/// The urlencoded serializer of the URL standard: `*-._` and ASCII alphanumerics as they are,
/// space as `+`, every other byte as `%XX`.
fn form_encode(value: &str, out: &mut String) {
    for &b in value.as_bytes() {
        match b {
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push_str(&hex::encode_upper([b]));
            }
        }
    }
}

/// What the form expects of a passed token besides `success`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Expectations<'a> {
    /// Hostnames the widget may have been served on (ASCII case-insensitive; `*.example.com`
    /// matches subdomains); empty accepts any.
    pub hostnames: &'a [String],
    /// The widget's `action`, when the form sets one.
    pub action: Option<&'a str>,
    /// reCAPTCHA v3: the least `score` accepted (0.0 to 1.0).
    pub min_score: Option<f64>,
}

/// The outcome of a check, as recorded in a submission's `meta.captcha` and sent in the signed
/// event. Keys in this order: `provider`, `success`, `hostname`, then `action` and `score` where
/// the provider gave them, then `error_codes` when there are any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Who checked.
    pub provider: Provider,
    /// Whether the token passed every check.
    pub success: bool,
    /// The hostname the widget was served on, as the provider reported it.
    #[serde(default)]
    pub hostname: Option<String>,
    /// The widget's action, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// reCAPTCHA v3's score, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Why it did not pass: the provider's codes, then ours.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
}

// Scores come from JSON numbers, which are never NaN (`judge` also refuses non-finite ones), so
// equality is reflexive.
impl Eq for Verdict {}

impl Verdict {
    /// The verdict recorded when no judgement could be had.
    pub fn unavailable(provider: Provider, why: Unavailable) -> Self {
        Self {
            provider,
            success: false,
            hostname: None,
            action: None,
            score: None,
            error_codes: alloc::vec![why.code().to_string()],
        }
    }
}

/// A check of ours a token the provider accepted can still fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckFailure {
    /// The hostname is not one the form expects.
    HostnameMismatch,
    /// The action is not the form's.
    ActionMismatch,
    /// reCAPTCHA's score is below the form's `min_score`.
    ScoreTooLow,
    /// The form wants a score and the answer has none (a reCAPTCHA v2 key on a v3 form).
    ScoreMissing,
}

impl CheckFailure {
    /// The code recorded beside the provider's: `hostname-mismatch`, `action-mismatch`,
    /// `score-too-low`, `score-missing`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::HostnameMismatch => "hostname-mismatch",
            Self::ActionMismatch => "action-mismatch",
            Self::ScoreTooLow => "score-too-low",
            Self::ScoreMissing => "score-missing",
        }
    }

    /// A sentence for people.
    pub const fn message(self) -> &'static str {
        match self {
            Self::HostnameMismatch => "the check was solved on a site this form does not expect",
            Self::ActionMismatch => "the check was solved for another action",
            Self::ScoreTooLow => "the check scored the visit as likely automated",
            Self::ScoreMissing => "the check gave no score and this form requires one",
        }
    }
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for CheckFailure {}

/// Why siteverify gave no judgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unavailable {
    /// No answer within the deadline.
    Timeout,
    /// The connection failed.
    Unreachable,
    /// It answered 5xx.
    ServerError,
    /// The answer is not siteverify JSON (`success` a boolean).
    Malformed,
    /// The provider reported its own failure (`internal-error`).
    ProviderError,
    /// The provider refused the form's keys (`missing-input-secret`, `invalid-input-secret`,
    /// `sitekey-secret-mismatch`, `bad-request`, …): a configuration fault of the form.
    KeysRefused,
}

impl Unavailable {
    /// The code recorded in the verdict: `siteverify-timeout`, `siteverify-unreachable`,
    /// `siteverify-server-error`, `siteverify-malformed`, `siteverify-internal-error`,
    /// `siteverify-keys-refused`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Timeout => "siteverify-timeout",
            Self::Unreachable => "siteverify-unreachable",
            Self::ServerError => "siteverify-server-error",
            Self::Malformed => "siteverify-malformed",
            Self::ProviderError => "siteverify-internal-error",
            Self::KeysRefused => "siteverify-keys-refused",
        }
    }

    /// A sentence for people.
    pub const fn message(self) -> &'static str {
        match self {
            Self::Timeout => "the spam check service did not answer in time",
            Self::Unreachable => "the spam check service could not be reached",
            Self::ServerError => "the spam check service failed",
            Self::Malformed => "the spam check service gave an answer that could not be read",
            Self::ProviderError => "the spam check service reported an internal error",
            Self::KeysRefused => "the spam check service refused this form's keys",
        }
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for Unavailable {}

/// How a siteverify call ended without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// The deadline passed.
    Timeout,
    /// The connection failed.
    Network,
}

/// What a check came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Every check passed.
    Passed(Verdict),
    /// The token is bad; the verdict lists why.
    Failed(Verdict),
    /// No judgement could be had.
    Unavailable(Unavailable),
}

/// Provider codes that say the form's keys (or our request) are at fault, not the visitor.
const KEY_CODES: [&str; 6] = [
    "missing-input-secret",
    "invalid-input-secret",
    "sitekey-secret-mismatch",
    "invalid-keys",
    "bad-request",
    "invalid-sitekey",
];

/// Judges a siteverify answer: `Ok((status, body))` when one came, `Err` when none did.
pub fn judge(
    provider: Provider,
    expect: &Expectations<'_>,
    answer: Result<(u16, &[u8]), Transport>,
) -> Judgement {
    let (status, body) = match answer {
        Err(Transport::Timeout) => return Judgement::Unavailable(Unavailable::Timeout),
        Err(Transport::Network) => return Judgement::Unavailable(Unavailable::Unreachable),
        Ok(answer) => answer,
    };
    if status >= 500 {
        return Judgement::Unavailable(Unavailable::ServerError);
    }
    let Some(answer) = Answer::parse(body) else {
        return Judgement::Unavailable(Unavailable::Malformed);
    };
    if !answer.success {
        if answer.error_codes.iter().any(|c| c == "internal-error") {
            return Judgement::Unavailable(Unavailable::ProviderError);
        }
        if answer
            .error_codes
            .iter()
            .any(|c| KEY_CODES.contains(&c.as_str()))
        {
            return Judgement::Unavailable(Unavailable::KeysRefused);
        }
    }
    let mut verdict = Verdict {
        provider,
        success: answer.success,
        hostname: answer.hostname,
        action: answer.action,
        score: answer.score,
        error_codes: answer.error_codes,
    };
    if !verdict.success {
        if verdict.error_codes.is_empty() {
            // A refusal without a reason still needs one for the visitor and the log.
            verdict.error_codes.push("invalid-input-response".into());
        }
        return Judgement::Failed(verdict);
    }
    let mut failures: Vec<CheckFailure> = Vec::new();
    if !expect.hostnames.is_empty()
        && !verdict
            .hostname
            .as_deref()
            .is_some_and(|h| expect.hostnames.iter().any(|e| hostname_matches(e, h)))
    {
        failures.push(CheckFailure::HostnameMismatch);
    }
    if let Some(action) = expect.action {
        if verdict.action.as_deref() != Some(action) {
            failures.push(CheckFailure::ActionMismatch);
        }
    }
    if let Some(min) = expect.min_score {
        match verdict.score {
            None => failures.push(CheckFailure::ScoreMissing),
            Some(score) if score < min => failures.push(CheckFailure::ScoreTooLow),
            Some(_) => {}
        }
    }
    if failures.is_empty() {
        // A passing answer may still list codes (warnings); they mean nothing here.
        verdict.error_codes.clear();
        return Judgement::Passed(verdict);
    }
    verdict.success = false;
    verdict.error_codes = failures.iter().map(|f| f.code().to_string()).collect();
    Judgement::Failed(verdict)
}

/// `expected` is a hostname or `*.domain` (any subdomain of `domain`, not `domain` itself).
fn hostname_matches(expected: &str, actual: &str) -> bool {
    let expected = expected.trim().trim_end_matches('.');
    let actual = actual.trim().trim_end_matches('.');
    match expected.strip_prefix("*.") {
        Some(domain) => {
            actual.len() > domain.len() + 1
                && actual
                    .get(actual.len() - domain.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(domain))
                && actual.as_bytes().get(actual.len() - domain.len() - 1) == Some(&b'.')
        }
        None => expected.eq_ignore_ascii_case(actual),
    }
}

/// The fields of a siteverify answer this module reads.
struct Answer {
    success: bool,
    error_codes: Vec<String>,
    hostname: Option<String>,
    action: Option<String>,
    score: Option<f64>,
}

impl Answer {
    /// `None` unless the body is a JSON object whose `success` is a boolean and whose other
    /// fields, when present, have their documented types.
    fn parse(body: &[u8]) -> Option<Self> {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return None;
        };
        let success = map.get("success")?.as_bool()?;
        let text = |name: &str| -> Option<Option<String>> {
            match map.get(name) {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(s)) if s.is_empty() => Some(None),
                Some(Value::String(s)) => Some(Some(s.clone())),
                Some(_) => None,
            }
        };
        let error_codes = match map.get("error-codes") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(codes)) => codes
                .iter()
                .map(|c| c.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?,
            Some(_) => return None,
        };
        let score = match map.get("score") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_f64().filter(|s| s.is_finite())?),
        };
        Some(Self {
            success,
            error_codes,
            hostname: text("hostname")?,
            action: text("action")?,
            score,
        })
    }
}

/// A post refused by the captcha check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `403` or `503`.
    pub status: u16,
    /// `captcha_required`, `captcha_failed` or `captcha_unavailable`.
    pub code: &'static str,
    /// What to tell the visitor.
    pub message: String,
    /// The provider's codes, then ours.
    pub error_codes: Vec<String>,
    /// `Retry-After` seconds (the `503` only).
    pub retry_after_secs: Option<u64>,
}

/// Seconds a refused visitor is told to wait when siteverify is unavailable.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 30;

/// What the form does with a post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Store it, with the verdict in its meta, as spam for `spam`'s reason when set.
    Store {
        /// Recorded in the submission and its event.
        verdict: Verdict,
        /// `Some` when the post is stored as spam.
        spam: Option<SpamReason>,
    },
    /// Refuse it; nothing is stored.
    Refuse(Refusal),
}

/// The refusal of a post whose token never reached siteverify.
pub fn refuse_token(provider: Provider, err: TokenError) -> Refusal {
    let (code, hint) = match err {
        TokenError::Missing => (
            "captcha_required",
            "complete the check on the form and send it again",
        ),
        TokenError::TooLong => (
            "captcha_failed",
            "go back, complete the check again and resubmit",
        ),
    };
    Refusal {
        status: 403,
        code,
        message: alloc::format!("{}: {}: {hint}", provider.label(), err.message()),
        error_codes: alloc::vec![err.code().to_string()],
        retry_after_secs: None,
    }
}

/// What the form does with a judged post, given its `on_error` choice.
pub fn decide(provider: Provider, judgement: Judgement, on_error: OnError) -> Decision {
    match judgement {
        Judgement::Passed(verdict) => Decision::Store {
            verdict,
            spam: None,
        },
        Judgement::Failed(verdict) => {
            let reasons: Vec<&str> = verdict.error_codes.iter().map(|c| describe(c)).collect();
            Decision::Refuse(Refusal {
                status: 403,
                code: "captcha_failed",
                message: alloc::format!(
                    "{} did not pass: {}; go back, complete the check again and resubmit",
                    provider.label(),
                    reasons.join("; ")
                ),
                error_codes: verdict.error_codes,
                retry_after_secs: None,
            })
        }
        Judgement::Unavailable(why) => match on_error {
            OnError::Reject => Decision::Refuse(Refusal {
                status: 503,
                code: "captcha_unavailable",
                message: alloc::format!(
                    "{}: {}; please try again in a moment",
                    provider.label(),
                    why.message()
                ),
                error_codes: alloc::vec![why.code().to_string()],
                retry_after_secs: Some(UNAVAILABLE_RETRY_AFTER_SECS),
            }),
            OnError::AcceptAsSpam => Decision::Store {
                verdict: Verdict::unavailable(provider, why),
                spam: Some(SpamReason::CaptchaUnavailable),
            },
        },
    }
}

/// A sentence for a provider's or our error code (the code itself when unknown).
pub fn describe(code: &str) -> &str {
    match code {
        "missing-input-response" => TokenError::Missing.message(),
        "invalid-input-response" => "the token is invalid or has expired",
        "timeout-or-duplicate" => "the token has expired or was already used",
        "invalid-or-already-seen-response" => "the token is invalid or was already used",
        "expired-input-response" => "the token has expired",
        "already-seen-response" => "the token was already used",
        "hostname-mismatch" => CheckFailure::HostnameMismatch.message(),
        "action-mismatch" => CheckFailure::ActionMismatch.message(),
        "score-too-low" => CheckFailure::ScoreTooLow.message(),
        "score-missing" => CheckFailure::ScoreMissing.message(),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use serde_json::json;

    fn fields(value: Value) -> Fields {
        value.as_object().cloned().unwrap_or_default()
    }

    fn hosts(list: &[&str]) -> Vec<String> {
        list.iter().map(|h| h.to_string()).collect()
    }

    fn judged(provider: Provider, expect: &Expectations<'_>, body: &str) -> Judgement {
        judge(provider, expect, Ok((200, body.as_bytes())))
    }

    #[test]
    fn provider_names_round_trip_and_fields_match_the_widgets() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.name()), Some(p));
            let json = serde_json::to_string(&p).unwrap_or_default();
            assert_eq!(json, alloc::format!("\"{}\"", p.name()));
            assert!(TOKEN_FIELDS.contains(&p.token_field()));
            assert!(p.siteverify_url().starts_with("https://"));
        }
        assert_eq!(Provider::parse("Turnstile"), None);
        assert_eq!(Provider::Hcaptcha.token_field(), "h-captcha-response");
    }

    #[test]
    fn the_token_is_taken_out_with_every_provider_field() {
        let mut f = fields(
            json!({"name": "Ada", "h-captcha-response": "tok", "g-recaptcha-response": "tok", "cf-turnstile-response": "x"}),
        );
        assert_eq!(take_token(&mut f, Provider::Hcaptcha).as_deref(), Ok("tok"));
        assert_eq!(f, fields(json!({"name": "Ada"})));

        let mut f = fields(json!({"cf-turnstile-response": ["", " t2 "]}));
        assert_eq!(take_token(&mut f, Provider::Turnstile).as_deref(), Ok("t2"));
        let mut f = fields(json!({"cf-turnstile-response": "  "}));
        assert_eq!(
            take_token(&mut f, Provider::Turnstile),
            Err(TokenError::Missing)
        );
        let mut f = fields(json!({"g-recaptcha-response": 5}));
        assert_eq!(
            take_token(&mut f, Provider::Recaptcha),
            Err(TokenError::Missing)
        );
        let mut f = fields(json!({"cf-turnstile-response": "a".repeat(2049)}));
        assert_eq!(
            take_token(&mut f, Provider::Turnstile),
            Err(TokenError::TooLong)
        );
        let mut f = fields(json!({"cf-turnstile-response": "a".repeat(2048)}));
        assert!(take_token(&mut f, Provider::Turnstile).is_ok());
    }

    #[test]
    fn siteverify_bodies_per_provider() {
        let base = SiteverifyRequest {
            provider: Provider::Turnstile,
            secret: "0x4AAA secret&=+",
            token: "tok.en/ü",
            remote_ip: Some("2001:db8::1"),
            site_key: Some("0x4AAAsite"),
            idempotency_key: Some("5f1e2c1d-0000-4000-8000-000000000000"),
        };
        assert_eq!(
            siteverify_body(&base),
            "secret=0x4AAA+secret%26%3D%2B&response=tok.en%2F%C3%BC&remoteip=2001%3Adb8%3A%3A1&idempotency_key=5f1e2c1d-0000-4000-8000-000000000000"
        );
        let h = SiteverifyRequest {
            provider: Provider::Hcaptcha,
            remote_ip: None,
            ..base
        };
        assert_eq!(
            siteverify_body(&h),
            "secret=0x4AAA+secret%26%3D%2B&response=tok.en%2F%C3%BC&sitekey=0x4AAAsite"
        );
        let r = SiteverifyRequest {
            provider: Provider::Recaptcha,
            remote_ip: Some(""),
            ..base
        };
        assert_eq!(
            siteverify_body(&r),
            "secret=0x4AAA+secret%26%3D%2B&response=tok.en%2F%C3%BC"
        );
        let debug = alloc::format!("{base:?}");
        assert!(!debug.contains("0x4AAA secret") && !debug.contains("tok.en"));
    }

    #[test]
    fn idempotency_keys_are_version_4_uuids() {
        let key = idempotency_key([0xff; 16]);
        assert_eq!(key, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let key = idempotency_key([0; 16]);
        assert_eq!(key, "00000000-0000-4000-8000-000000000000");
    }

    // Answers as the providers' documentation shows them.
    const TURNSTILE_OK: &str = r#"{"success":true,"challenge_ts":"2022-02-28T15:14:30.096Z","hostname":"example.com","error-codes":[],"action":"login","cdata":"sessionid-123456789","metadata":{"ephemeral_id":"x:abc"}}"#;
    const TURNSTILE_DUPLICATE: &str =
        r#"{"success":false,"error-codes":["timeout-or-duplicate"],"messages":[]}"#;
    const HCAPTCHA_OK: &str = r#"{"success":true,"challenge_ts":"2024-01-01T00:00:00Z","hostname":"forms.example.org","credit":false}"#;
    const HCAPTCHA_SEEN: &str =
        r#"{"success":false,"error-codes":["invalid-or-already-seen-response"]}"#;
    const RECAPTCHA_V3: &str = r#"{"success":true,"score":0.9,"action":"submit","challenge_ts":"2024-01-01T00:00:00Z","hostname":"example.com"}"#;
    const RECAPTCHA_V3_LOW: &str = r#"{"success":true,"score":0.1,"action":"submit","challenge_ts":"2024-01-01T00:00:00Z","hostname":"example.com"}"#;
    const RECAPTCHA_V2: &str =
        r#"{"success":true,"challenge_ts":"2024-01-01T00:00:00Z","hostname":"example.com"}"#;

    #[test]
    fn documented_successes_pass() {
        let none = Expectations::default();
        let Judgement::Passed(v) = judged(Provider::Turnstile, &none, TURNSTILE_OK) else {
            panic!("turnstile success");
        };
        assert_eq!(v.hostname.as_deref(), Some("example.com"));
        assert_eq!(v.action.as_deref(), Some("login"));
        assert_eq!(
            serde_json::to_string(&v).unwrap_or_default(),
            r#"{"provider":"turnstile","success":true,"hostname":"example.com","action":"login"}"#
        );
        let Judgement::Passed(v) = judged(Provider::Hcaptcha, &none, HCAPTCHA_OK) else {
            panic!("hcaptcha success");
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap_or_default(),
            r#"{"provider":"hcaptcha","success":true,"hostname":"forms.example.org"}"#
        );
        let expect = Expectations {
            hostnames: &hosts(&["EXAMPLE.com"]),
            action: Some("submit"),
            min_score: Some(0.5),
        };
        let Judgement::Passed(v) = judged(Provider::Recaptcha, &expect, RECAPTCHA_V3) else {
            panic!("recaptcha v3 success");
        };
        assert_eq!(
            serde_json::to_string(&v).unwrap_or_default(),
            r#"{"provider":"recaptcha","success":true,"hostname":"example.com","action":"submit","score":0.9}"#
        );
        let back: Verdict = serde_json::from_str(&serde_json::to_string(&v).unwrap_or_default())
            .unwrap_or_else(|_| Verdict::unavailable(Provider::Recaptcha, Unavailable::Malformed));
        assert_eq!(back, v);
    }

    #[test]
    fn provider_refusals_fail_with_their_codes() {
        let none = Expectations::default();
        for (provider, body, code) in [
            (
                Provider::Turnstile,
                TURNSTILE_DUPLICATE,
                "timeout-or-duplicate",
            ),
            (
                Provider::Hcaptcha,
                HCAPTCHA_SEEN,
                "invalid-or-already-seen-response",
            ),
            (
                Provider::Recaptcha,
                r#"{"success":false,"error-codes":["invalid-input-response"]}"#,
                "invalid-input-response",
            ),
            (
                Provider::Turnstile,
                r#"{"success":false}"#,
                "invalid-input-response",
            ),
        ] {
            match judged(provider, &none, body) {
                Judgement::Failed(v) => {
                    assert!(!v.success);
                    assert_eq!(v.error_codes, vec![code.to_string()]);
                }
                other => panic!("{provider}: {other:?}"),
            }
        }
    }

    #[test]
    fn our_checks_fail_a_provider_success() {
        let list = hosts(&["forms.example.com", "*.example.net"]);
        let expect = Expectations {
            hostnames: &list,
            action: None,
            min_score: None,
        };
        let host =
            |h: &str| alloc::format!(r#"{{"success":true,"hostname":"{h}","error-codes":[]}}"#);
        assert!(matches!(
            judged(Provider::Turnstile, &expect, &host("Forms.Example.com")),
            Judgement::Passed(_)
        ));
        assert!(matches!(
            judged(Provider::Turnstile, &expect, &host("a.b.example.net")),
            Judgement::Passed(_)
        ));
        for bad in [
            "example.net",
            "evilexample.net",
            "forms.example.com.evil.io",
        ] {
            let Judgement::Failed(v) = judged(Provider::Turnstile, &expect, &host(bad)) else {
                panic!("{bad} passed");
            };
            assert_eq!(v.error_codes, vec!["hostname-mismatch".to_string()]);
            assert_eq!(v.hostname.as_deref(), Some(bad));
        }
        let Judgement::Failed(v) = judged(Provider::Turnstile, &expect, r#"{"success":true}"#)
        else {
            panic!("no hostname passed");
        };
        assert_eq!(v.error_codes, vec!["hostname-mismatch".to_string()]);

        let expect = Expectations {
            action: Some("signup"),
            min_score: Some(0.5),
            ..Expectations::default()
        };
        let Judgement::Failed(v) = judged(Provider::Recaptcha, &expect, RECAPTCHA_V3_LOW) else {
            panic!("low score passed");
        };
        assert_eq!(
            v.error_codes,
            vec!["action-mismatch".to_string(), "score-too-low".to_string()]
        );
        assert_eq!(v.score, Some(0.1));
        let expect = Expectations {
            min_score: Some(0.5),
            ..Expectations::default()
        };
        let Judgement::Failed(v) = judged(Provider::Recaptcha, &expect, RECAPTCHA_V2) else {
            panic!("v2 passed a score check");
        };
        assert_eq!(v.error_codes, vec!["score-missing".to_string()]);
        // Exactly the minimum passes.
        let expect = Expectations {
            min_score: Some(0.9),
            ..Expectations::default()
        };
        assert!(matches!(
            judged(Provider::Recaptcha, &expect, RECAPTCHA_V3),
            Judgement::Passed(_)
        ));
    }

    #[test]
    fn no_judgement_without_a_readable_answer() {
        let none = Expectations::default();
        let un = |answer| match judge(Provider::Turnstile, &none, answer) {
            Judgement::Unavailable(why) => Some(why),
            _ => None,
        };
        assert_eq!(un(Err(Transport::Timeout)), Some(Unavailable::Timeout));
        assert_eq!(un(Err(Transport::Network)), Some(Unavailable::Unreachable));
        assert_eq!(
            un(Ok((500, TURNSTILE_OK.as_bytes()))),
            Some(Unavailable::ServerError)
        );
        for body in [
            "",
            "<html>oops</html>",
            "{\"success\":\"true\"}",
            "[true]",
            "{\"success\":true,\"error-codes\":\"x\"}",
            "{\"success\":true,\"score\":\"high\"}",
            "{\"success\":true,\"hostname\":7}",
            "{\"success\":true",
        ] {
            assert_eq!(
                un(Ok((200, body.as_bytes()))),
                Some(Unavailable::Malformed),
                "{body}"
            );
        }
        assert_eq!(
            un(Ok((
                200,
                br#"{"success":false,"error-codes":["internal-error"]}"#
            ))),
            Some(Unavailable::ProviderError)
        );
        assert_eq!(
            un(Ok((
                200,
                br#"{"success":false,"error-codes":["invalid-input-secret"]}"#
            ))),
            Some(Unavailable::KeysRefused)
        );
        // A 4xx with a siteverify answer is judged like a 200.
        assert!(matches!(
            judge(
                Provider::Turnstile,
                &none,
                Ok((400, TURNSTILE_DUPLICATE.as_bytes()))
            ),
            Judgement::Failed(_)
        ));
    }

    #[test]
    fn decisions_follow_on_error() {
        let passed = judged(Provider::Turnstile, &Expectations::default(), TURNSTILE_OK);
        assert!(matches!(
            decide(Provider::Turnstile, passed, OnError::Reject),
            Decision::Store { spam: None, .. }
        ));
        let failed = judged(
            Provider::Turnstile,
            &Expectations::default(),
            TURNSTILE_DUPLICATE,
        );
        let Decision::Refuse(r) = decide(Provider::Turnstile, failed, OnError::AcceptAsSpam) else {
            panic!("a failed token was stored");
        };
        assert_eq!((r.status, r.code), (403, "captcha_failed"));
        assert_eq!(r.error_codes, vec!["timeout-or-duplicate".to_string()]);
        assert!(r.message.contains("already used"), "{}", r.message);

        let down = Judgement::Unavailable(Unavailable::Timeout);
        let Decision::Refuse(r) = decide(Provider::Hcaptcha, down.clone(), OnError::Reject) else {
            panic!("reject stored");
        };
        assert_eq!((r.status, r.code), (503, "captcha_unavailable"));
        assert_eq!(r.retry_after_secs, Some(UNAVAILABLE_RETRY_AFTER_SECS));
        let Decision::Store { verdict, spam } =
            decide(Provider::Hcaptcha, down, OnError::AcceptAsSpam)
        else {
            panic!("accept_as_spam refused");
        };
        assert_eq!(spam, Some(SpamReason::CaptchaUnavailable));
        assert_eq!(
            serde_json::to_string(&verdict).unwrap_or_default(),
            r#"{"provider":"hcaptcha","success":false,"hostname":null,"error_codes":["siteverify-timeout"]}"#
        );

        let r = refuse_token(Provider::Recaptcha, TokenError::Missing);
        assert_eq!((r.status, r.code), (403, "captcha_required"));
        assert_eq!(r.error_codes, vec!["missing-input-response".to_string()]);
        let r = refuse_token(Provider::Turnstile, TokenError::TooLong);
        assert_eq!((r.status, r.code), (403, "captcha_failed"));
    }
}
