//! Form and endpoint settings: the stored types, the fields the admin API accepts (unknown fields
//! refused), and their validation. Every bad field is a `422` naming it.

use formhook::captcha::{OnError, Provider};
use formhook::delivery::{
    check_signing_secret, CustomHeaders, EndpointHealth, SecretKind, SecretSet, Signing,
    SigningSecret, WeakSecret, Window,
};
use formhook::event::{EventType, PayloadShape};
use formhook::ingest::{is_valid_form_id, is_valid_redirect, DEFAULT_HONEYPOT_FIELD};
use formhook::quota::DEFAULT_STORAGE_QUOTA_BYTES;
use formhook::redact::{FileList, Redaction};
use formhook::retention::MAX_RETENTION_DAYS;
use formhook::retry::{Policy, Schedule};
use formhook::Scheme;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

use crate::error::{ApiError, ApiResult};
use crate::schema;

/// Default form body limit: room for a file of the default size and the rest of the form.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 30 * 1024 * 1024;
/// The largest `max_body_bytes` a form may set: Workers accept request bodies up to 100 MB
/// (Free and Pro plans).
pub const MAX_BODY_BYTES_LIMIT: u64 = 100 * 1000 * 1000;
/// Default largest uploaded file (each file is stored in R2, keyed by form, submission and
/// position).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;
/// Default lifetime of the file links in an endpoint's events: 7 days.
pub const DEFAULT_FILE_URL_TTL: u64 = 7 * 24 * 3600;
/// Bounds of `file_url_ttl`: at least a second, at most a year.
pub const FILE_URL_TTL: (u64, u64) = (1, 365 * 24 * 3600);

/// Default ceiling of submissions per minute from all clients of one form together.
pub const DEFAULT_MAX_SUBMISSIONS_PER_MINUTE: u32 = 600;
/// The largest storage quota a form may set: a Durable Object holds at most 10 GB.
pub const MAX_STORAGE_QUOTA_BYTES: u64 = 9 * 1024 * 1024 * 1024;

fn default_max_submissions_per_minute() -> u32 {
    DEFAULT_MAX_SUBMISSIONS_PER_MINUTE
}

fn default_duplicate_window_seconds() -> u32 {
    formhook::duplicate::DEFAULT_WINDOW_SECONDS
}

fn default_storage_quota_bytes() -> u64 {
    DEFAULT_STORAGE_QUOTA_BYTES
}

fn default_max_file_bytes() -> u64 {
    DEFAULT_MAX_FILE_BYTES
}

fn default_file_url_ttl() -> u64 {
    DEFAULT_FILE_URL_TTL
}

/// Bounds of `timeout_ms`.
pub const TIMEOUT_MS: (u64, u64) = (100, 30_000);
/// Bounds of `throttle_floor_ms`.
pub const THROTTLE_FLOOR_MS: (u64, u64) = (0, 3_600_000);
/// Bounds of `disable_after_seconds`.
pub const DISABLE_AFTER_SECONDS: (u64, u64) = (1, 30 * 24 * 3600);

/// `Some(None)` for an explicit `null`, `None` for an absent field.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A form's stored settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FormSettings {
    /// The form id (in `/f/{id}`).
    pub id: String,
    /// A name for people.
    pub name: String,
    /// Where HTML posts are redirected; the built-in thank-you page when `None`.
    pub redirect_url: Option<String>,
    /// Origins allowed to post; empty allows all.
    pub allowed_origins: Vec<String>,
    /// The honeypot field; empty disables the trap.
    pub honeypot_field: String,
    /// Whether spam is delivered too.
    pub deliver_spam: bool,
    /// Submissions per client per minute; 0 is unlimited.
    pub rate_limit_per_minute: u32,
    /// Largest accepted body.
    pub max_body_bytes: u64,
    /// Submissions per minute from all clients together; 0 is no ceiling. (Forms stored before
    /// this setting existed get the default.)
    #[serde(default = "default_max_submissions_per_minute")]
    pub max_submissions_per_minute: u32,
    /// Bytes of submissions and files the form may store; 0 is no quota.
    #[serde(default = "default_storage_quota_bytes")]
    pub storage_quota_bytes: u64,
    /// Whether file bytes are stored.
    pub keep_files: bool,
    /// The charset a body that names none is decoded from (a WHATWG label's canonical name), for
    /// pages served in a legacy encoding; `None` is UTF-8.
    #[serde(default)]
    pub charset: Option<String>,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// The captcha check, when the form has one (absent in settings stored before it existed).
    #[serde(default)]
    pub captcha: Option<CaptchaSettings>,
    /// Seconds within which the same post from the same client (a double-click) is stored once
    /// and answered with the first one's result; 0 is off. (Forms stored before this setting
    /// existed get the default.)
    #[serde(default = "default_duplicate_window_seconds")]
    pub duplicate_window_seconds: u32,
    /// Days submissions (and their files, payload copies and answer excerpts) are kept; 0 keeps
    /// them (the default, also for forms stored before this setting existed).
    #[serde(default)]
    pub retention_days: u32,
    /// Objects that take this form's submissions (1 unless it was raised).
    #[serde(default = "one_shard")]
    pub shards: u32,
    /// Largest uploaded file (forms stored before this setting existed get the default).
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
}

fn one_shard() -> u32 {
    1
}

/// The most objects one form's ingest may be spread over.
pub const MAX_SHARDS: u64 = 16;

/// A captcha provider's secret key: stored, sent to siteverify, never shown or logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaptchaSecret(String);

impl CaptchaSecret {
    /// The secret, for the siteverify call only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for CaptchaSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// A form's stored captcha check.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaptchaSettings {
    /// Who verifies tokens.
    pub provider: Provider,
    /// The provider's secret key (write-only in the API).
    pub secret: CaptchaSecret,
    /// The provider's site key (public: pages embed it).
    pub site_key: String,
    /// Hostnames the widget may be served on; empty accepts any.
    pub expected_hostnames: Vec<String>,
    /// The widget's action, when checked.
    pub expected_action: Option<String>,
    /// reCAPTCHA v3: the least score accepted.
    pub min_score: Option<f64>,
    /// What happens when siteverify gives no judgement.
    pub on_error: OnError,
}

/// The captcha fields the admin API accepts. On a form that has a captcha, fields left out
/// keep their value; `provider`, `secret` and `site_key` are required to add one, and a new
/// `secret` and `site_key` to change the provider.
#[derive(Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CaptchaFields {
    /// `turnstile`, `hcaptcha` or `recaptcha`.
    #[schemars(schema_with = "schema::captcha_provider")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The provider's secret key (≤ 512 bytes). Write-only: answers show `secret_set` instead.
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<CaptchaSecret>,
    /// The provider's site key (≤ 256 bytes), shown to pages that render the widget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_key: Option<String>,
    /// Hostnames the widget may be served on (≤ 20; `*.example.com` for subdomains); empty accepts any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_hostnames: Option<Vec<String>>,
    /// The widget's action to require (≤ 100 bytes); `null` to stop checking it.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_action: Option<Option<String>>,
    /// reCAPTCHA v3 only: the least score accepted, 0.0 to 1.0; `null` to stop checking it.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 1.0))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_score: Option<Option<f64>>,
    /// When siteverify is unreachable, slow, failing or unreadable: `reject` (default; 503 with
    /// Retry-After) or `accept_as_spam` (stored as spam, reason `captcha_unavailable`).
    #[schemars(schema_with = "schema::on_error")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_error: Option<OnError>,
}

impl std::fmt::Debug for CaptchaFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptchaFields")
            .field("provider", &self.provider)
            .field("secret", &self.secret)
            .field("site_key", &self.site_key)
            .field("expected_hostnames", &self.expected_hostnames)
            .field("expected_action", &self.expected_action)
            .field("min_score", &self.min_score)
            .field("on_error", &self.on_error)
            .finish()
    }
}

/// A key as providers issue them: visible ASCII, no spaces.
fn key_text(field: &str, value: String, max: usize) -> ApiResult<String> {
    if value.is_empty() || value.len() > max || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            field,
            format!("must be 1 to {max} visible ASCII characters"),
        ));
    }
    Ok(value)
}

/// A hostname, or `*.` and a domain.
fn hostname(value: String) -> ApiResult<String> {
    let host = value.trim().to_ascii_lowercase();
    let name = host.strip_prefix("*.").unwrap_or(&host);
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if valid {
        Ok(host)
    } else {
        Err(ApiError::field(
            "captcha.expected_hostnames",
            format!("{value:?} is not a hostname (or *.domain)"),
        ))
    }
}

impl CaptchaSettings {
    /// The settings after `fields` are applied to `existing` (`None`: a form without a captcha).
    pub fn merge(existing: Option<&Self>, fields: CaptchaFields) -> ApiResult<Self> {
        let provider = fields
            .provider
            .or(existing.map(|e| e.provider))
            .ok_or_else(|| ApiError::field("captcha.provider", "is required"))?;
        // Keys belong to one provider: a new provider needs its own.
        let kept = existing.filter(|e| e.provider == provider);
        let secret = match fields.secret {
            Some(secret) => CaptchaSecret(key_text("captcha.secret", secret.0, 512)?),
            None => kept.map(|e| e.secret.clone()).ok_or_else(|| {
                ApiError::field(
                    "captcha.secret",
                    "is required to add a captcha or change its provider",
                )
            })?,
        };
        let site_key = match fields.site_key {
            Some(key) => key_text("captcha.site_key", key, 256)?,
            None => kept.map(|e| e.site_key.clone()).ok_or_else(|| {
                ApiError::field(
                    "captcha.site_key",
                    "is required to add a captcha or change its provider",
                )
            })?,
        };
        let expected_hostnames = match fields.expected_hostnames {
            Some(list) if list.len() > 20 => {
                return Err(ApiError::field(
                    "captcha.expected_hostnames",
                    "at most 20 entries",
                ))
            }
            Some(list) => list.into_iter().map(hostname).collect::<ApiResult<_>>()?,
            None => existing
                .map(|e| e.expected_hostnames.clone())
                .unwrap_or_default(),
        };
        let expected_action = match fields.expected_action {
            Some(None) => None,
            Some(Some(action))
                if action.is_empty()
                    || action.len() > 100
                    || action.chars().any(char::is_control) =>
            {
                return Err(ApiError::field(
                    "captcha.expected_action",
                    "must be 1 to 100 bytes without control characters",
                ))
            }
            Some(Some(action)) => Some(action),
            None => existing.and_then(|e| e.expected_action.clone()),
        };
        let min_score = match fields.min_score {
            Some(Some(score)) if !(0.0..=1.0).contains(&score) => {
                return Err(ApiError::field(
                    "captcha.min_score",
                    "must be from 0.0 to 1.0",
                ))
            }
            Some(score) => score,
            None => kept.and_then(|e| e.min_score),
        };
        if min_score.is_some() && !provider.has_score() {
            return Err(ApiError::field(
                "captcha.min_score",
                "only reCAPTCHA v3 answers with a score",
            ));
        }
        Ok(Self {
            provider,
            secret,
            site_key,
            expected_hostnames,
            expected_action,
            min_score,
            on_error: fields
                .on_error
                .or(existing.map(|e| e.on_error))
                .unwrap_or_default(),
        })
    }
}

/// The fields of a form the admin API accepts (`POST` creates, `PATCH` changes those given).
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FormFields {
    /// Create only: `[a-z0-9][a-z0-9_-]{0,63}`; generated (`frm_…`) when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A name for people (≤ 200 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An `http(s)` URL or a path starting with `/`; `null` for the built-in thank-you page.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<Option<String>>,
    /// Origins allowed to post (≤ 100); empty allows all; `"*"` allows all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// The honeypot field name (default `_gotcha`); `null` or `""` disables it.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honeypot_field: Option<Option<String>>,
    /// Deliver submissions caught by the honeypot too (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliver_spam: Option<bool>,
    /// Submissions per client (IPv4 address, IPv6 /64) per minute; 0 = unlimited (default 60).
    #[schemars(range(max = 1_000_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
    /// Largest accepted body in bytes, answered `413 body_too_large` past it (default 30 MiB,
    /// at most 100 MB, what Workers accept).
    #[schemars(range(min = 1, max = 100_000_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
    /// Submissions per minute from all clients together, answered `429 form_rate_limited`
    /// past it; 0 = no ceiling (default 600).
    #[schemars(range(max = 1_000_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_submissions_per_minute: Option<u32>,
    /// Bytes of submissions and files the form may store, answered `507
    /// storage_quota_exceeded` past it; 0 = no quota (default 1 GiB, at most 9 GiB).
    #[schemars(range(max = 9_663_676_416_u64))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_quota_bytes: Option<u64>,
    /// Store uploaded files' bytes (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_files: Option<bool>,
    /// The charset of the page the form is on, for bodies that name none (a `_charset_` field
    /// or a `charset` parameter still wins): a WHATWG Encoding label such as `windows-1252` or
    /// `shift_jis`; `null` for UTF-8 (the default).
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<String>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<Option<String>>,
    /// A captcha every post must pass (changes merge into the form's current one); `null`
    /// removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<CaptchaFields>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captcha: Option<Option<CaptchaFields>>,
    /// Seconds within which the same post (same fields and files) from the same client, such
    /// as a double-click on submit, is stored once and answered with the first one's result;
    /// 0 = off (default 10, at most 3600).
    #[schemars(range(max = 3600))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_window_seconds: Option<u32>,
    /// Days to keep submissions, 1 to 3650: older submissions, their files, the payload copies
    /// in the endpoints' logs and the receivers' answer excerpts are removed (the attempt log
    /// keeps ids, times and statuses). `null` or 0 keeps everything (the default).
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<u32>", range(max = 3650))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<Option<u32>>,
    /// Objects the form's submissions are spread over, 1 to 16 (default 1), for a form that
    /// takes more than one object's ~1,000 requests/s. Per-form limits (rate ceiling, storage
    /// quota) then hold per object.
    #[schemars(range(min = 1, max = 16))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<u32>,
    /// Largest uploaded file in bytes, answered `413 file_too_large` past it (default 25 MiB, at
    /// most 100 MB; the body limit applies too).
    #[schemars(range(min = 1, max = 100_000_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
}

fn text(field: &str, value: String, max: usize) -> ApiResult<String> {
    if value.len() > max {
        return Err(ApiError::field(
            field,
            format!("must be at most {max} bytes"),
        ));
    }
    Ok(value)
}

fn within(field: &str, value: u64, (min, max): (u64, u64)) -> ApiResult<u64> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::field(
            field,
            format!("must be an integer from {min} to {max}"),
        ))
    }
}

fn list(field: &str, values: Vec<String>, max: usize) -> ApiResult<Vec<String>> {
    if values.len() > max {
        return Err(ApiError::field(field, format!("at most {max} entries")));
    }
    values.into_iter().map(|v| text(field, v, 2048)).collect()
}

impl FormSettings {
    /// A new form from the create request's fields.
    pub fn create(mut fields: FormFields, generated_id: String, now_ms: i64) -> ApiResult<Self> {
        let id = match fields.id.take() {
            None => generated_id,
            Some(id) if is_valid_form_id(&id) => id,
            Some(_) => {
                return Err(ApiError::field(
                    "id",
                    "must be 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit",
                ))
            }
        };
        let mut form = Self {
            name: id.clone(),
            id,
            redirect_url: None,
            allowed_origins: Vec::new(),
            honeypot_field: DEFAULT_HONEYPOT_FIELD.to_string(),
            deliver_spam: false,
            rate_limit_per_minute: 60,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_submissions_per_minute: DEFAULT_MAX_SUBMISSIONS_PER_MINUTE,
            storage_quota_bytes: DEFAULT_STORAGE_QUOTA_BYTES,
            keep_files: true,
            charset: None,
            created_ms: now_ms,
            captcha: None,
            duplicate_window_seconds: formhook::duplicate::DEFAULT_WINDOW_SECONDS,
            retention_days: 0,
            shards: 1,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        };
        form.apply(fields)?;
        Ok(form)
    }

    /// Applies the fields given (a `PATCH`); the id cannot change.
    pub fn apply(&mut self, fields: FormFields) -> ApiResult<()> {
        if fields.id.is_some() {
            return Err(ApiError::field("id", "cannot be changed"));
        }
        if let Some(shards) = fields.shards {
            self.shards = within("shards", u64::from(shards), (1, MAX_SHARDS))? as u32;
        }
        if let Some(name) = fields.name {
            self.name = text("name", name, 200)?;
        }
        if let Some(redirect) = fields.redirect_url {
            self.redirect_url = match redirect {
                None => None,
                Some(url) if is_valid_redirect(&url) => Some(url),
                Some(_) => {
                    return Err(ApiError::field(
                        "redirect_url",
                        "must be an http(s) URL or a path starting with /",
                    ))
                }
            };
        }
        if let Some(origins) = fields.allowed_origins {
            self.allowed_origins = list("allowed_origins", origins, 100)?;
        }
        if let Some(honeypot) = fields.honeypot_field {
            self.honeypot_field = text("honeypot_field", honeypot.unwrap_or_default(), 100)?;
        }
        if let Some(deliver) = fields.deliver_spam {
            self.deliver_spam = deliver;
        }
        if let Some(limit) = fields.rate_limit_per_minute {
            within("rate_limit_per_minute", u64::from(limit), (0, 1_000_000))?;
            self.rate_limit_per_minute = limit;
        }
        if let Some(max) = fields.max_body_bytes {
            self.max_body_bytes = within("max_body_bytes", max, (1, MAX_BODY_BYTES_LIMIT))?;
        }
        if let Some(ceiling) = fields.max_submissions_per_minute {
            within(
                "max_submissions_per_minute",
                u64::from(ceiling),
                (0, 1_000_000),
            )?;
            self.max_submissions_per_minute = ceiling;
        }
        if let Some(quota) = fields.storage_quota_bytes {
            self.storage_quota_bytes =
                within("storage_quota_bytes", quota, (0, MAX_STORAGE_QUOTA_BYTES))?;
        }
        if let Some(keep) = fields.keep_files {
            self.keep_files = keep;
        }
        if let Some(max) = fields.max_file_bytes {
            self.max_file_bytes = within("max_file_bytes", max, (1, MAX_BODY_BYTES_LIMIT))?;
        }
        if let Some(charset) = fields.charset {
            self.charset = match charset {
                None => None,
                Some(label) => match formhook::form::Charset::from_label(&label) {
                    Some(found) if found.name() == "UTF-8" => None,
                    Some(found) => Some(found.name().to_string()),
                    None => {
                        return Err(ApiError::field(
                            "charset",
                            format!("{label:?} is not a WHATWG Encoding Standard label"),
                        ))
                    }
                },
            };
        }
        if let Some(captcha) = fields.captcha {
            self.captcha = match captcha {
                None => None,
                Some(fields) => Some(CaptchaSettings::merge(self.captcha.as_ref(), fields)?),
            };
        }
        if let Some(window) = fields.duplicate_window_seconds {
            within(
                "duplicate_window_seconds",
                u64::from(window),
                (0, u64::from(formhook::duplicate::MAX_WINDOW_SECONDS)),
            )?;
            self.duplicate_window_seconds = window;
        }
        if let Some(days) = fields.retention_days {
            let days = days.unwrap_or(0);
            within(
                "retention_days",
                u64::from(days),
                (0, u64::from(MAX_RETENTION_DAYS)),
            )?;
            self.retention_days = days;
        }
        Ok(())
    }
}

/// Which events an endpoint takes: one type, or `"*"` for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum EventSelector {
    /// `"*"`: every event type, present and future.
    All,
    /// One event type.
    Only(EventType),
}

impl TryFrom<String> for EventSelector {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        if name == "*" {
            return Ok(Self::All);
        }
        EventType::parse(&name)
            .map(Self::Only)
            .ok_or_else(|| format!("unknown event type {name:?}"))
    }
}

impl From<EventSelector> for String {
    fn from(selector: EventSelector) -> String {
        match selector {
            EventSelector::All => "*".to_string(),
            EventSelector::Only(event) => event.as_str().to_string(),
        }
    }
}

impl JsonSchema for EventSelector {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventSelector".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schema::event_selector()
    }
}

/// The default of a new endpoint: every event type but `form.submission.deleted`, which an
/// endpoint asks for (by name or with `"*"`): it tells a receiver to erase its own copy, which
/// not every receiver can act on.
pub fn all_event_types() -> Vec<EventSelector> {
    schema::EVENT_TYPES
        .iter()
        .filter(|e| **e != EventType::SubmissionDeleted)
        .map(|e| EventSelector::Only(*e))
        .collect()
}

/// Which form fields an endpoint receives (see `formhook::redact`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldFilter {
    /// Only fields (and files) with these names are delivered; absent: every field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<Vec<String>>,
    /// Fields (and files) with these names are never delivered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// An endpoint's stored settings, health and secrets.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointSettings {
    /// `ep_…`.
    pub id: String,
    /// The form it belongs to.
    pub form_id: String,
    /// Where deliveries go.
    pub url: String,
    /// A note for people.
    pub description: String,
    /// The events it takes.
    pub events: Vec<EventSelector>,
    /// The payload layout.
    pub payload_shape: PayloadShape,
    /// How deliveries are signed.
    #[serde(with = "schema::scheme_name")]
    pub scheme: Scheme,
    /// Which keys sign: HMAC, ed25519 (`v1a`) or both.
    #[serde(default)]
    pub signing: Signing,
    /// Extra request headers.
    pub headers: CustomHeaders,
    /// Deadline of one attempt.
    pub timeout_ms: u64,
    /// When to retry.
    pub retry_schedule: Schedule,
    /// Least wait after a throttling answer.
    pub throttle_floor_ms: u64,
    /// How long failing without a break disables it.
    pub disable_after_seconds: u64,
    /// Enabled, failing since, why disabled.
    pub health: EndpointHealth,
    /// The signing secrets.
    pub secrets: SecretSet,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// Lifetime of the file links in its events, seconds (endpoints stored before this setting
    /// existed get the default).
    #[serde(default = "default_file_url_ttl")]
    pub file_url_ttl: u64,
    /// Which form fields it receives (absent in settings stored before redaction existed).
    #[serde(default)]
    pub fields: FieldFilter,
    /// Whether file entries are delivered.
    #[serde(default)]
    pub files: FileList,
    /// Attempts in flight at once (endpoints stored before this setting read the default).
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: u32,
    /// One attempt at a time, in submission order.
    #[serde(default)]
    pub fifo: bool,
}

fn default_max_in_flight() -> u32 {
    formhook::delivery::window::DEFAULT_MAX_IN_FLIGHT
}

/// The fields of an endpoint the admin API accepts (`POST` creates, `PATCH` changes those given).
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointFields {
    /// Where deliveries go (http or https; private addresses refused unless allowlisted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A note for people (≤ 1000 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Event types to deliver (default: all), or `["*"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventSelector>>,
    /// `canonical` (default), `flat` or `answers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::payload_shape")]
    pub payload_shape: Option<PayloadShape>,
    /// Signature scheme (default `standard-webhooks`).
    #[serde(with = "schema::scheme_name_opt")]
    #[schemars(schema_with = "schema::scheme_opt")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Scheme>,
    /// `hmac` (default), `ed25519` (Standard Webhooks `v1a`: receivers need only the public key)
    /// or `both`. ed25519 needs the `standard-webhooks` scheme.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::signing")]
    pub signing: Option<Signing>,
    /// Extra request headers; names any scheme uses, transport headers and `x-formhook-*` are
    /// refused with `422 reserved_header`.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// Deadline of one attempt, 100 to 30000 ms (default 10000).
    #[schemars(range(min = 100, max = 30_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// `"standard"` (default), `"splitforms"`, `"quick"` or a list of delays in milliseconds.
    #[schemars(schema_with = "schema::schedule_opt")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_schedule: Option<Schedule>,
    /// Least wait after 429/408/502/503/504, 0 to 3600000 ms (default 60000).
    #[schemars(range(max = 3_600_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttle_floor_ms: Option<u64>,
    /// Failing without a break this long disables the endpoint (default 432000 = 5 days).
    #[schemars(range(min = 1, max = 2_592_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_after_seconds: Option<u64>,
    /// Whether deliveries are sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The signing secret: on create (generated `whsec_…` when absent; shown once), or with a
    /// new `scheme` in a `PATCH`, where it replaces every secret. ed25519 keys are always made by
    /// the worker. At least 24 key bytes for
    /// `standard-webhooks`, 16 bytes for the other schemes (`422 secret_too_short`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Which form fields this endpoint receives: `{"include": [names]}` keeps only those,
    /// `{"exclude": [names]}` drops those, both: include, then exclude (≤ 200 names of ≤ 256
    /// bytes each). A file follows its field's name. The payload sent and the copy kept in the
    /// delivery log are both redacted; the event's `meta` is kept. `{}` or `null` delivers
    /// every field (the default). Another shape is `422 invalid_redaction`; a bad list
    /// `422 redaction_empty_include`, `redaction_empty_name`, `redaction_name_too_long` or
    /// `redaction_too_many_names`.
    #[serde(default, deserialize_with = "nullable")]
    #[schemars(with = "Option<FieldFilter>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Option<serde_json::Value>>,
    /// `url` (default): file entries are delivered; `none`: the payload lists no files.
    #[schemars(schema_with = "schema::file_list")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<FileList>,
    /// Attempts in flight at once, 1 to 24 (default 5). Up to 6 run in one invocation; a
    /// higher limit spreads them over several.
    #[schemars(range(min = 1, max = 24))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    /// Deliver one at a time in submission order (default false): a delivery waiting for a
    /// retry holds back every later one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fifo: Option<bool>,
    /// How long the file links in its events download the file, 1 to 31536000 seconds
    /// (default 604800 = 7 days); an expired link answers `403 link_expired`.
    #[schemars(range(min = 1, max = 31_536_000))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_url_ttl: Option<u64>,
}

/// Checks a secret given to sign for `scheme`: `422 invalid_field` naming `secret` when the
/// scheme cannot read it, `422 secret_too_short` when its key is too short.
pub fn check_new_secret(scheme: Scheme, secret: &str) -> ApiResult<()> {
    check_signing_secret(scheme, secret).map_err(|err| match err {
        WeakSecret::TooShort => {
            ApiError::new(422, err.code(), format!("secret: {}", err.message()))
        }
        _ => ApiError::field("secret", err.message()),
    })
}

impl EndpointSettings {
    /// A new endpoint from the create request's fields, without secrets yet (its object makes
    /// them: see [`EndpointSettings::missing_keys`]).
    pub fn create(
        fields: EndpointFields,
        id: String,
        form_id: String,
        now_ms: i64,
    ) -> ApiResult<Self> {
        let mut endpoint = Self {
            id,
            form_id,
            url: String::new(),
            description: String::new(),
            events: all_event_types(),
            payload_shape: PayloadShape::Canonical,
            scheme: Scheme::StandardWebhooks,
            signing: Signing::Hmac,
            headers: CustomHeaders::default(),
            timeout_ms: 10_000,
            retry_schedule: Schedule::Standard,
            throttle_floor_ms: 60_000,
            disable_after_seconds: 5 * 24 * 3600,
            health: EndpointHealth::default(),
            secrets: SecretSet::default(),
            created_ms: now_ms,
            fields: FieldFilter::default(),
            files: FileList::Url,
            max_in_flight: default_max_in_flight(),
            fifo: false,
            file_url_ttl: DEFAULT_FILE_URL_TTL,
        };
        // The secret is the caller's to check for the chosen scheme; no switch happens here.
        endpoint.scheme = fields.scheme.unwrap_or(endpoint.scheme);
        endpoint.apply(
            EndpointFields {
                secret: None,
                scheme: None,
                ..fields
            },
            u64::try_from(now_ms).unwrap_or(0),
        )?;
        Ok(endpoint)
    }

    /// Applies the fields given (a `PATCH`; the URL's SSRF check is the caller's). A new
    /// `scheme` must be able to sign with every live secret, or come with a new `secret`
    /// (`422 secret_invalid_for_scheme` otherwise): no delivery may go out unsigned.
    pub fn apply(&mut self, mut fields: EndpointFields, now_ms: u64) -> ApiResult<()> {
        let new_secret = fields.secret.take();
        if new_secret.is_some() && fields.scheme.is_none() {
            return Err(ApiError::field(
                "secret",
                "is changed with rotate-secret, or given together with a new scheme",
            ));
        }
        if let Some(url) = fields.url {
            self.url = text("url", url, 2048)?;
        }
        if let Some(description) = fields.description {
            self.description = text("description", description, 1000)?;
        }
        if let Some(events) = fields.events {
            if events.is_empty() {
                return Err(ApiError::field(
                    "events",
                    "must name at least one event type",
                ));
            }
            if events.len() > 10 {
                return Err(ApiError::field("events", "at most 10 entries"));
            }
            self.events = events;
        }
        if let Some(shape) = fields.payload_shape {
            self.payload_shape = shape;
        }
        if let Some(scheme) = fields.scheme {
            match &new_secret {
                Some(secret) => {
                    check_new_secret(scheme, secret)?;
                    self.secrets = SecretSet::new(SigningSecret::new(secret.clone()), now_ms);
                }
                None if scheme != self.scheme => {
                    self.secrets.check_for(scheme, now_ms).map_err(|err| {
                        ApiError::new(
                            422,
                            "secret_invalid_for_scheme",
                            format!(
                                "scheme: the endpoint's secret cannot sign for {} ({}); send a new secret with the scheme",
                                scheme.name(),
                                err.message()
                            ),
                        )
                    })?;
                }
                None => {}
            }
            self.scheme = scheme;
        }
        if let Some(signing) = fields.signing {
            self.signing = signing;
        }
        if !self.signing.fits(self.scheme) {
            return Err(ApiError::field(
                "signing",
                "ed25519 signatures (v1a) need the standard-webhooks scheme",
            ));
        }
        if let Some(headers) = fields.headers {
            self.headers = CustomHeaders::new(
                headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            )
            .map_err(|(name, err)| {
                ApiError::new(
                    422,
                    err.code(),
                    format!("headers: {name} {}", err.message()),
                )
            })?;
        }
        if let Some(timeout) = fields.timeout_ms {
            self.timeout_ms = within("timeout_ms", timeout, TIMEOUT_MS)?;
        }
        if let Some(schedule) = fields.retry_schedule {
            self.retry_schedule = schedule;
        }
        if let Some(floor) = fields.throttle_floor_ms {
            self.throttle_floor_ms = within("throttle_floor_ms", floor, THROTTLE_FLOOR_MS)?;
        }
        if let Some(window) = fields.disable_after_seconds {
            self.disable_after_seconds =
                within("disable_after_seconds", window, DISABLE_AFTER_SECONDS)?;
        }
        if let Some(enabled) = fields.enabled {
            self.health.set_enabled(enabled);
        }
        if let Some(filter) = fields.fields {
            self.fields = match filter {
                None => FieldFilter::default(),
                Some(value) => serde_json::from_value(value).map_err(|err| {
                    ApiError::new(
                        422,
                        "invalid_redaction",
                        format!(
                            "fields: {err}; expected {{\"include\": [names], \"exclude\": [names]}}"
                        ),
                    )
                })?,
            };
        }
        if let Some(files) = fields.files {
            self.files = files;
        }
        self.redaction()?;
        if let Some(limit) = fields.max_in_flight {
            Window::new(limit, self.fifo)
                .map_err(|_| ApiError::field("max_in_flight", "must be an integer from 1 to 24"))?;
            self.max_in_flight = limit;
        }
        if let Some(fifo) = fields.fifo {
            self.fifo = fifo;
        }
        if let Some(ttl) = fields.file_url_ttl {
            self.file_url_ttl = within("file_url_ttl", ttl, FILE_URL_TTL)?;
        }
        if self.url.is_empty() {
            return Err(ApiError::field("url", "is required"));
        }
        Ok(())
    }

    /// The kinds of key the signing mode needs and the secret set lacks at `now_ms`.
    pub fn missing_keys(&self, now_ms: u64) -> Vec<SecretKind> {
        [SecretKind::Hmac, SecretKind::Ed25519]
            .into_iter()
            .filter(|kind| self.signing.uses(*kind) && !self.secrets.has(*kind, now_ms))
            .collect()
    }

    /// Checks a given HMAC secret against the scheme's key rule (`422` on `secret`).
    pub fn check_hmac_secret(&self, secret: &str) -> ApiResult<()> {
        if SigningSecret::new(secret.to_string()).kind() != SecretKind::Hmac {
            return Err(ApiError::field(
                "secret",
                "must be an HMAC secret; ed25519 keys are made by the worker",
            ));
        }
        check_new_secret(self.scheme, secret)
    }

    /// What this endpoint receives of each submission (`422` with the core's code when the
    /// stored lists are not a valid redaction; checked on every save).
    pub fn redaction(&self) -> ApiResult<Redaction> {
        Redaction::new(
            self.fields.include.clone(),
            self.fields.exclude.clone(),
            self.files,
        )
        .map_err(|err| ApiError::new(422, err.code(), format!("fields: {}", err.message())))
    }

    /// Whether this endpoint takes events of `event_type`.
    pub fn wants(&self, event_type: EventType) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, EventSelector::All) || *e == EventSelector::Only(event_type))
    }

    /// The retry policy around the schedule.
    pub fn policy(&self) -> Policy {
        Policy {
            min_throttle_ms: self.throttle_floor_ms,
            disable_after_ms: self.disable_after_seconds.saturating_mul(1000),
            ..Policy::DEFAULT
        }
    }

    /// The delivery window: the in-flight limit and FIFO mode (a stored limit out of range,
    /// which `apply` never writes, reads as the default).
    pub fn window(&self) -> Window {
        Window::new(self.max_in_flight, self.fifo).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use formhook::delivery::SigningSecret;

    fn fields(json: &str) -> EndpointFields {
        serde_json::from_str(json).unwrap()
    }

    fn endpoint(json: &str) -> ApiResult<EndpointSettings> {
        EndpointSettings::create(fields(json), "ep_1".into(), "f".into(), 0)
    }

    #[test]
    fn signing_modes_need_the_right_scheme_and_keys() {
        let err =
            endpoint(r#"{"url":"https://example.com","scheme":"github","signing":"ed25519"}"#)
                .unwrap_err();
        assert!(err.message.starts_with("signing"), "{}", err.message);
        let mut e = endpoint(r#"{"url":"https://example.com","signing":"both"}"#).unwrap();
        assert_eq!(e.missing_keys(0), [SecretKind::Hmac, SecretKind::Ed25519]);
        e.secrets = SecretSet::new(
            SigningSecret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()),
            0,
        );
        assert_eq!(e.missing_keys(0), [SecretKind::Ed25519]);
        assert!(e.check_hmac_secret("whsk_AAAA").is_err());
        assert!(e.check_hmac_secret("not base64").is_err());
    }

    #[test]
    fn a_reserved_custom_header_is_refused_naming_it() {
        for scheme in Scheme::ALL {
            let header = scheme.header_names().signature;
            let err = endpoint(&format!(
                r#"{{"url":"https://example.com","scheme":"{}","headers":{{"{}":"forged"}}}}"#,
                scheme.name(),
                header.to_ascii_uppercase()
            ))
            .unwrap_err();
            assert_eq!((err.status, err.code.as_str()), (422, "reserved_header"));
            assert!(
                err.message.contains(&header.to_ascii_uppercase()),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn a_scheme_switch_needs_a_secret_the_new_scheme_can_sign_with() {
        let mut e = endpoint(r#"{"url":"https://example.com"}"#).unwrap();
        e.secrets = SecretSet::new(SigningSecret::new("a plain github secret".into()), 0);
        e.scheme = Scheme::GitHub;
        let err = e
            .apply(fields(r#"{"scheme":"standard-webhooks"}"#), 0)
            .unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (422, "secret_invalid_for_scheme")
        );
        assert_eq!(e.scheme, Scheme::GitHub);
        let err = e
            .apply(
                fields(r#"{"scheme":"standard-webhooks","secret":"whsec_AA=="}"#),
                0,
            )
            .unwrap_err();
        assert_eq!(err.code, "secret_too_short");
        let err = e.apply(
            fields(r#"{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#),
            0,
        );
        assert_eq!(err.unwrap_err().code, "invalid_field");
        e.apply(
            fields(r#"{"scheme":"standard-webhooks","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#),
            0,
        )
        .unwrap();
        assert_eq!(e.scheme, Scheme::StandardWebhooks);
        assert_eq!(
            e.secrets
                .keys(Scheme::StandardWebhooks, Signing::Hmac, 0)
                .len(),
            1
        );
        // Back to GitHub: a whsec_ text is a fine GitHub secret.
        e.apply(fields(r#"{"scheme":"github"}"#), 0).unwrap();
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        assert!(serde_json::from_str::<EndpointFields>(r#"{"url":"x","colour":1}"#).is_err());
        assert!(serde_json::from_str::<EndpointFields>(r#"{"scheme":"nope"}"#).is_err());
        assert!(serde_json::from_str::<EndpointFields>(r#"{"events":["nope"]}"#).is_err());
        assert!(serde_json::from_str::<EndpointFields>(r#"{"retry_schedule":[]}"#).is_err());
        let err = endpoint(r#"{"url":"https://example.com","timeout_ms":60000}"#).unwrap_err();
        assert_eq!(err.code, "invalid_field");
        assert!(err.message.starts_with("timeout_ms"));
        assert_eq!(
            endpoint(r#"{"description":"no url"}"#).unwrap_err().message,
            "url: is required"
        );
    }

    #[test]
    fn documented_schedules_and_events_are_accepted() {
        let e = endpoint(r#"{"url":"https://example.com","retry_schedule":"splitforms","events":["*"],"scheme":"svix"}"#).unwrap();
        assert_eq!(e.retry_schedule, Schedule::SplitformsLike);
        assert!(e.wants(EventType::EndpointDisabled));
        assert_eq!(e.scheme, Scheme::StandardWebhooks);
        let e = endpoint(
            r#"{"url":"https://example.com","retry_schedule":[0,1000],"events":["endpoint.test"]}"#,
        )
        .unwrap();
        assert_eq!(e.retry_schedule, Schedule::Custom(vec![0, 1000]));
        assert!(!e.wants(EventType::SubmissionCreated));
        let stored = serde_json::to_string(&e).unwrap();
        assert!(!stored.contains("\"retry_schedule\":{"), "{stored}");
    }

    #[test]
    fn captcha_fields_merge_and_the_secret_never_prints() {
        let form = |json: &str| {
            FormSettings::create(serde_json::from_str(json).unwrap(), "frm_x".into(), 0)
        };
        let patch = |f: &mut FormSettings, json: &str| f.apply(serde_json::from_str(json).unwrap());
        let err =
            form(r#"{"captcha":{"provider":"turnstile","site_key":"1x00000000000000000000AA"}}"#)
                .unwrap_err();
        assert_eq!(
            err.message,
            "captcha.secret: is required to add a captcha or change its provider"
        );
        let mut f = form(
            r#"{"captcha":{"provider":"turnstile","secret":"0xTOP-SECRET-VALUE","site_key":"1x00000000000000000000AA","expected_hostnames":["Forms.Example.com","*.example.net"]}}"#,
        )
        .unwrap();
        let c = f.captcha.clone().unwrap();
        assert_eq!(c.expected_hostnames, ["forms.example.com", "*.example.net"]);
        assert_eq!(c.on_error, OnError::Reject);
        assert!(!format!("{f:?}").contains("TOP-SECRET"), "{f:?}");
        // A change keeps the secret; a new provider needs new keys; min_score is reCAPTCHA's.
        patch(
            &mut f,
            r#"{"captcha":{"on_error":"accept_as_spam","expected_action":"contact"}}"#,
        )
        .unwrap();
        let c = f.captcha.clone().unwrap();
        assert_eq!(
            (c.secret.expose(), c.on_error),
            ("0xTOP-SECRET-VALUE", OnError::AcceptAsSpam)
        );
        assert_eq!(c.expected_action.as_deref(), Some("contact"));
        assert_eq!(
            patch(&mut f, r#"{"captcha":{"min_score":0.5}}"#)
                .unwrap_err()
                .message,
            "captcha.min_score: only reCAPTCHA v3 answers with a score"
        );
        assert_eq!(
            patch(&mut f, r#"{"captcha":{"provider":"recaptcha"}}"#)
                .unwrap_err()
                .message,
            "captcha.secret: is required to add a captcha or change its provider"
        );
        patch(
            &mut f,
            r#"{"captcha":{"provider":"recaptcha","secret":"s2","site_key":"k2","min_score":0.7}}"#,
        )
        .unwrap();
        assert_eq!(f.captcha.as_ref().unwrap().min_score, Some(0.7));
        for bad in [
            r#"{"captcha":{"min_score":1.5}}"#,
            r#"{"captcha":{"expected_hostnames":["exa mple.com"]}}"#,
            r#"{"captcha":{"secret":"has space"}}"#,
            r#"{"captcha":{"site_key":""}}"#,
        ] {
            assert_eq!(patch(&mut f, bad).unwrap_err().status, 422, "{bad}");
        }
        assert!(
            serde_json::from_str::<FormFields>(r#"{"captcha":{"provider":"friendly"}}"#).is_err()
        );
        assert!(serde_json::from_str::<FormFields>(r#"{"captcha":{"colour":1}}"#).is_err());
        patch(&mut f, r#"{"captcha":null}"#).unwrap();
        assert!(f.captcha.is_none());
        // Settings stored before captchas existed still load.
        let old = r#"{"id":"a","name":"a","redirect_url":null,"allowed_origins":[],"honeypot_field":"_gotcha","deliver_spam":false,"rate_limit_per_minute":60,"max_body_bytes":1048576,"keep_files":true,"created_ms":0}"#;
        assert!(serde_json::from_str::<FormSettings>(old)
            .unwrap()
            .captcha
            .is_none());
    }

    #[test]
    fn redaction_settings_are_checked_with_precise_codes() {
        let e = endpoint(
            r#"{"url":"https://example.com","fields":{"include":["email","cv"],"exclude":["cv"]},"files":"none"}"#,
        )
        .unwrap();
        assert_eq!(
            e.fields.include.as_deref(),
            Some(&["email".to_string(), "cv".to_string()][..])
        );
        assert_eq!(e.files, FileList::None);
        let r = e.redaction().unwrap();
        assert!(r.keeps("email") && !r.keeps("cv") && !r.keeps("phone"));
        for (json, code) in [
            (r#"{"fields":"email"}"#, "invalid_redaction"),
            (r#"{"fields":{"only":["email"]}}"#, "invalid_redaction"),
            (r#"{"fields":{"include":"email"}}"#, "invalid_redaction"),
            (r#"{"fields":{"exclude":[1]}}"#, "invalid_redaction"),
            (r#"{"fields":{"include":[]}}"#, "redaction_empty_include"),
            (r#"{"fields":{"exclude":[""]}}"#, "redaction_empty_name"),
        ] {
            let mut e = endpoint(r#"{"url":"https://example.com"}"#).unwrap();
            let err = e.apply(fields(json), 0).unwrap_err();
            assert_eq!((err.status, err.code.as_str()), (422, code), "{json}");
            assert!(err.message.starts_with("fields"), "{}", err.message);
        }
        assert!(serde_json::from_str::<EndpointFields>(r#"{"files":"all"}"#).is_err());
        // `null` or `{}` delivers every field again.
        let mut e =
            endpoint(r#"{"url":"https://example.com","fields":{"exclude":["x"]}}"#).unwrap();
        e.apply(fields(r#"{"fields":null}"#), 0).unwrap();
        assert!(e.redaction().unwrap().keeps_everything());
        // Settings stored before redaction existed keep everything.
        let mut stored = serde_json::to_value(&e).unwrap();
        let object = stored.as_object_mut().unwrap();
        object.remove("fields");
        object.remove("files");
        let old: EndpointSettings = serde_json::from_value(stored).unwrap();
        assert!(old.redaction().unwrap().keeps_everything());
    }

    #[test]
    fn submission_deleted_is_opt_in() {
        let e = endpoint(r#"{"url":"https://example.com"}"#).unwrap();
        assert!(e.wants(EventType::SubmissionCreated));
        assert!(!e.wants(EventType::SubmissionDeleted));
        let e = endpoint(r#"{"url":"https://example.com","events":["form.submission.deleted"]}"#)
            .unwrap();
        assert!(e.wants(EventType::SubmissionDeleted));
        let e = endpoint(r#"{"url":"https://example.com","events":["*"]}"#).unwrap();
        assert!(e.wants(EventType::SubmissionDeleted));
    }

    #[test]
    fn retention_days_validate() {
        let form = |json: &str| {
            FormSettings::create(serde_json::from_str(json).unwrap(), "frm_x".into(), 0)
        };
        assert_eq!(form("{}").unwrap().retention_days, 0);
        let mut f = form(r#"{"retention_days":30}"#).unwrap();
        assert_eq!(f.retention_days, 30);
        f.apply(serde_json::from_str(r#"{"retention_days":null}"#).unwrap())
            .unwrap();
        assert_eq!(f.retention_days, 0);
        let err = form(r#"{"retention_days":3651}"#).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (422, "invalid_field"));
        assert!(err.message.starts_with("retention_days"));
        assert!(serde_json::from_str::<FormFields>(r#"{"retention_days":-1}"#).is_err());
    }

    #[test]
    fn form_fields_validate() {
        let form = |json: &str| {
            FormSettings::create(serde_json::from_str(json).unwrap(), "frm_x".into(), 0)
        };
        assert_eq!(form("{}").unwrap().id, "frm_x");
        assert_eq!(form(r#"{"id":"../etc"}"#).unwrap_err().status, 422);
        assert_eq!(
            form(r#"{"redirect_url":"javascript:alert(1)"}"#)
                .unwrap_err()
                .status,
            422
        );
        let f = form(r#"{"id":"c","redirect_url":null,"honeypot_field":null}"#).unwrap();
        assert_eq!((f.redirect_url, f.honeypot_field.as_str()), (None, ""));
        let mut f = form(r#"{"id":"c"}"#).unwrap();
        assert_eq!(
            f.apply(serde_json::from_str(r#"{"id":"d"}"#).unwrap())
                .unwrap_err()
                .status,
            422
        );
    }

    #[test]
    fn delivery_window_settings() {
        let e = endpoint(r#"{"url":"https://example.com"}"#).unwrap();
        assert_eq!((e.max_in_flight, e.fifo), (5, false));
        assert_eq!(e.window().limit(), 5);
        for bad in ["0", "25"] {
            let err = endpoint(&format!(
                r#"{{"url":"https://example.com","max_in_flight":{bad}}}"#
            ))
            .unwrap_err();
            assert_eq!((err.status, err.code.as_str()), (422, "invalid_field"));
            assert!(err.message.starts_with("max_in_flight"), "{}", err.message);
        }
        let e =
            endpoint(r#"{"url":"https://example.com","max_in_flight":12,"fifo":true}"#).unwrap();
        assert_eq!((e.max_in_flight, e.fifo), (12, true));
        // FIFO runs one at a time whatever the limit.
        assert_eq!(e.window().limit(), 1);
        // Endpoints stored before these settings read the defaults.
        let mut stored = serde_json::to_value(&e).unwrap();
        let map = stored.as_object_mut().unwrap();
        map.remove("max_in_flight");
        map.remove("fifo");
        let old: EndpointSettings = serde_json::from_value(stored).unwrap();
        assert_eq!((old.max_in_flight, old.fifo), (5, false));
    }
}
