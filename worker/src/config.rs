//! Form and endpoint settings: their stored shape, their public JSON, and validation of what the
//! admin API sends (every bad field is a `422 invalid_field` naming it).

use formhook::event::{EventType, PayloadShape};
use formhook::ingest::{is_valid_redirect, DEFAULT_HONEYPOT_FIELD};
use formhook::retry::Schedule;
use formhook::Scheme;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::util::{iso, iso_opt, ApiError, ApiResult};

/// Default and largest accepted form body.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;
pub const MAX_BODY_BYTES_LIMIT: u64 = 10 * 1024 * 1024;

/// A form's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FormConfig {
    pub id: String,
    pub name: String,
    pub redirect_url: Option<String>,
    pub allowed_origins: Vec<String>,
    pub honeypot_field: String,
    pub deliver_spam: bool,
    pub rate_limit_per_minute: u32,
    pub max_body_bytes: u64,
    pub keep_files: bool,
    pub created_ms: i64,
}

impl FormConfig {
    /// Defaults for a new form.
    pub fn new(id: &str, created_ms: i64) -> Self {
        Self {
            id: id.to_string(),
            name: id.to_string(),
            redirect_url: None,
            allowed_origins: Vec::new(),
            honeypot_field: DEFAULT_HONEYPOT_FIELD.to_string(),
            deliver_spam: false,
            rate_limit_per_minute: 60,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            keep_files: true,
            created_ms,
        }
    }

    /// Applies the fields present in `body`.
    pub fn apply(&mut self, body: &Value, creating: bool) -> ApiResult<()> {
        let obj = as_object(body)?;
        only_known(
            obj,
            &[
                "name",
                "redirect_url",
                "allowed_origins",
                "honeypot_field",
                "deliver_spam",
                "rate_limit_per_minute",
                "max_body_bytes",
                "keep_files",
            ],
            creating.then_some("id"),
        )?;
        if let Some(v) = obj.get("name") {
            self.name = string(v, "name", 200)?;
        }
        if let Some(v) = obj.get("redirect_url") {
            self.redirect_url = match v {
                Value::Null => None,
                _ => {
                    let url = string(v, "redirect_url", 2048)?;
                    if !is_valid_redirect(&url) {
                        return Err(ApiError::field(
                            "redirect_url",
                            "must be an http(s) URL or a path starting with /",
                        ));
                    }
                    Some(url)
                }
            };
        }
        if let Some(v) = obj.get("allowed_origins") {
            self.allowed_origins = string_list(v, "allowed_origins", 100)?;
        }
        if let Some(v) = obj.get("honeypot_field") {
            self.honeypot_field = match v {
                Value::Null => String::new(),
                _ => string(v, "honeypot_field", 100)?,
            };
        }
        if let Some(v) = obj.get("deliver_spam") {
            self.deliver_spam = boolean(v, "deliver_spam")?;
        }
        if let Some(v) = obj.get("rate_limit_per_minute") {
            self.rate_limit_per_minute =
                u32::try_from(integer(v, "rate_limit_per_minute", 0, 1_000_000)?).unwrap_or(0);
        }
        if let Some(v) = obj.get("max_body_bytes") {
            self.max_body_bytes = integer(v, "max_body_bytes", 1, MAX_BODY_BYTES_LIMIT)?;
        }
        if let Some(v) = obj.get("keep_files") {
            self.keep_files = boolean(v, "keep_files")?;
        }
        Ok(())
    }

    /// The public JSON (the `/api` shape).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "redirect_url": self.redirect_url,
            "allowed_origins": self.allowed_origins,
            "honeypot_field": self.honeypot_field,
            "deliver_spam": self.deliver_spam,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "max_body_bytes": self.max_body_bytes,
            "keep_files": self.keep_files,
            "created_at": iso(self.created_ms),
            "submission_url": format!("/f/{}", self.id),
        })
    }
}

/// One signing secret; old ones live until `expires_ms` after a rotation.
#[derive(Clone, Serialize, Deserialize)]
pub struct EndpointSecret {
    pub secret: String,
    pub expires_ms: Option<i64>,
}

impl core::fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EndpointSecret")
            .field("secret", &"[REDACTED]")
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// An endpoint's settings and state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointConfig {
    pub id: String,
    pub form_id: String,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub payload_shape: PayloadShape,
    pub scheme: String,
    pub headers: Map<String, Value>,
    pub timeout_ms: u64,
    pub retry_schedule: Value,
    pub throttle_floor_ms: u64,
    pub disable_after_seconds: u64,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since_ms: Option<i64>,
    pub secrets: Vec<EndpointSecret>,
    pub created_ms: i64,
}

/// Header names the delivery sets itself; custom headers may not replace them.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "user-agent",
    "host",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-formhook-event",
    "x-formhook-delivery",
    "x-formhook-attempt",
    "transfer-encoding",
    "connection",
];

impl EndpointConfig {
    /// Defaults for a new endpoint.
    pub fn new(id: &str, form_id: &str, created_ms: i64) -> Self {
        Self {
            id: id.to_string(),
            form_id: form_id.to_string(),
            url: String::new(),
            description: String::new(),
            events: all_events(),
            payload_shape: PayloadShape::Canonical,
            scheme: Scheme::StandardWebhooks.name().to_string(),
            headers: Map::new(),
            timeout_ms: 10_000,
            retry_schedule: json!("standard"),
            throttle_floor_ms: 60_000,
            disable_after_seconds: 5 * 24 * 3600,
            enabled: true,
            disabled_reason: None,
            failing_since_ms: None,
            secrets: Vec::new(),
            created_ms,
        }
    }

    /// Applies the fields present in `body` (the URL's SSRF check is the caller's).
    pub fn apply(&mut self, body: &Value, creating: bool) -> ApiResult<()> {
        let obj = as_object(body)?;
        only_known(
            obj,
            &[
                "url",
                "description",
                "events",
                "payload_shape",
                "scheme",
                "headers",
                "timeout_ms",
                "retry_schedule",
                "throttle_floor_ms",
                "disable_after_seconds",
                "enabled",
            ],
            creating.then_some("secret"),
        )?;
        if let Some(v) = obj.get("url") {
            self.url = string(v, "url", 2048)?;
        }
        if let Some(v) = obj.get("description") {
            self.description = string(v, "description", 1000)?;
        }
        if let Some(v) = obj.get("events") {
            let events = string_list(v, "events", 10)?;
            if events.is_empty() {
                return Err(ApiError::field(
                    "events",
                    "must name at least one event type",
                ));
            }
            for e in &events {
                if e != "*" && EventType::parse(e).is_none() {
                    return Err(ApiError::field(
                        "events",
                        format!("unknown event type {e:?}"),
                    ));
                }
            }
            self.events = events;
        }
        if let Some(v) = obj.get("payload_shape") {
            let s = string(v, "payload_shape", 20)?;
            self.payload_shape = PayloadShape::parse(&s).ok_or_else(|| {
                ApiError::field("payload_shape", "must be canonical, flat or answers")
            })?;
        }
        if let Some(v) = obj.get("scheme") {
            let s = string(v, "scheme", 40)?;
            let scheme = Scheme::from_name(&s).ok_or_else(|| {
                ApiError::field("scheme", "must be one of standard-webhooks, github, gudform, hex, typeform, shopify, stripe, slack")
            })?;
            self.scheme = scheme.name().to_string();
        }
        if let Some(v) = obj.get("headers") {
            let map = v
                .as_object()
                .ok_or_else(|| ApiError::field("headers", "must be an object of strings"))?;
            if map.len() > 20 {
                return Err(ApiError::field("headers", "at most 20 headers"));
            }
            let mut out = Map::new();
            for (name, value) in map {
                let lower = name.to_ascii_lowercase();
                let token = !lower.is_empty()
                    && lower.len() <= 100
                    && lower
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
                if !token {
                    return Err(ApiError::field(
                        "headers",
                        format!("{name:?} is not a valid header name"),
                    ));
                }
                if RESERVED_HEADERS.contains(&lower.as_str()) {
                    return Err(ApiError::field(
                        "headers",
                        format!("{name} is set by formhook and cannot be overridden"),
                    ));
                }
                let text = value
                    .as_str()
                    .ok_or_else(|| ApiError::field("headers", "values must be strings"))?;
                if text.len() > 4096 || text.chars().any(|c| c.is_control() && c != '\t') {
                    return Err(ApiError::field(
                        "headers",
                        format!("the value of {name} is too long or has control characters"),
                    ));
                }
                out.insert(lower, Value::String(text.to_string()));
            }
            self.headers = out;
        }
        if let Some(v) = obj.get("timeout_ms") {
            self.timeout_ms = integer(v, "timeout_ms", 100, 30_000)?;
        }
        if let Some(v) = obj.get("retry_schedule") {
            schedule_of(v).map_err(|m| ApiError::field("retry_schedule", m))?;
            self.retry_schedule = v.clone();
        }
        if let Some(v) = obj.get("throttle_floor_ms") {
            self.throttle_floor_ms = integer(v, "throttle_floor_ms", 0, 3_600_000)?;
        }
        if let Some(v) = obj.get("disable_after_seconds") {
            self.disable_after_seconds = integer(v, "disable_after_seconds", 1, 30 * 24 * 3600)?;
        }
        if let Some(v) = obj.get("enabled") {
            let enabled = boolean(v, "enabled")?;
            if enabled && !self.enabled {
                self.disabled_reason = None;
                self.failing_since_ms = None;
            } else if !enabled && self.enabled {
                self.disabled_reason = Some("disabled by an administrator".to_string());
            }
            self.enabled = enabled;
        }
        if self.url.is_empty() {
            return Err(ApiError::field("url", "is required"));
        }
        Ok(())
    }

    /// The scheme deliveries are signed with.
    pub fn scheme(&self) -> Scheme {
        Scheme::from_name(&self.scheme).unwrap_or(Scheme::StandardWebhooks)
    }

    /// The retry schedule.
    pub fn schedule(&self) -> Schedule {
        schedule_of(&self.retry_schedule).unwrap_or_default()
    }

    /// Whether this endpoint takes events of `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == event_type)
    }

    /// Secrets still valid at `now`, newest first.
    pub fn live_secrets(&self, now: i64) -> Vec<&EndpointSecret> {
        self.secrets
            .iter()
            .rev()
            .filter(|s| s.expires_ms.is_none_or(|at| at > now))
            .collect()
    }

    /// The public JSON; never includes a secret.
    pub fn to_json(&self, now: i64) -> Value {
        json!({
            "id": self.id,
            "form_id": self.form_id,
            "url": self.url,
            "description": self.description,
            "events": self.events,
            "payload_shape": self.payload_shape.as_str(),
            "scheme": self.scheme,
            "headers": self.headers,
            "timeout_ms": self.timeout_ms,
            "retry_schedule": self.retry_schedule,
            "throttle_floor_ms": self.throttle_floor_ms,
            "disable_after_seconds": self.disable_after_seconds,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "failing_since": iso_opt(self.failing_since_ms),
            "secret_count": self.live_secrets(now).len(),
            "created_at": iso(self.created_ms),
        })
    }
}

fn all_events() -> Vec<String> {
    [
        "form.submission.created",
        "endpoint.test",
        "endpoint.disabled",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect()
}

/// `"standard"`, `"splitforms"`, `"quick"` or a list of delays in milliseconds.
fn schedule_of(v: &Value) -> Result<Schedule, String> {
    match v {
        Value::String(s) => match s.as_str() {
            "standard" => Ok(Schedule::Standard),
            "splitforms" | "splitforms_like" => Ok(Schedule::SplitformsLike),
            "quick" => Ok(Schedule::Quick),
            _ => Err(
                "must be \"standard\", \"splitforms\", \"quick\" or a list of delays in ms"
                    .to_string(),
            ),
        },
        Value::Array(items) => {
            let delays: Option<Vec<u64>> = items.iter().map(Value::as_u64).collect();
            let delays = delays.ok_or("delays must be non-negative integers (ms)")?;
            Schedule::custom(delays).map_err(|e| e.message().to_string())
        }
        _ => Err("must be a schedule name or a list of delays in ms".to_string()),
    }
}

/// Refuses any key not in `known` (or `extra`, a key allowed on creation only).
fn only_known(obj: &Map<String, Value>, known: &[&str], extra: Option<&str>) -> ApiResult<()> {
    match obj
        .keys()
        .find(|k| !known.contains(&k.as_str()) && Some(k.as_str()) != extra)
    {
        Some(key) => Err(ApiError::field(key, "unknown field")),
        None => Ok(()),
    }
}

fn as_object(body: &Value) -> ApiResult<&Map<String, Value>> {
    body.as_object().ok_or_else(|| {
        ApiError::new(
            400,
            "invalid_json",
            "the request body must be a JSON object",
        )
    })
}

fn string(v: &Value, field: &str, max: usize) -> ApiResult<String> {
    let s = v
        .as_str()
        .ok_or_else(|| ApiError::field(field, "must be a string"))?;
    if s.len() > max {
        return Err(ApiError::field(
            field,
            format!("must be at most {max} bytes"),
        ));
    }
    Ok(s.to_string())
}

fn string_list(v: &Value, field: &str, max: usize) -> ApiResult<Vec<String>> {
    let items = v
        .as_array()
        .ok_or_else(|| ApiError::field(field, "must be a list of strings"))?;
    if items.len() > max {
        return Err(ApiError::field(field, format!("at most {max} entries")));
    }
    items.iter().map(|item| string(item, field, 2048)).collect()
}

fn boolean(v: &Value, field: &str) -> ApiResult<bool> {
    v.as_bool()
        .ok_or_else(|| ApiError::field(field, "must be true or false"))
}

fn integer(v: &Value, field: &str, min: u64, max: u64) -> ApiResult<u64> {
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::field(
            field,
            format!("must be an integer from {min} to {max}"),
        )),
    }
}
