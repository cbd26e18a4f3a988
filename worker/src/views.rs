//! The admin API's JSON shapes. Objects answer with these; the front worker passes them on, and
//! the OpenAPI document is generated from them.

use formhook::captcha::{OnError, Provider};
use formhook::delivery::{DeliveryStatus, EndpointHealth};
use formhook::event::Meta;
use formhook::form::{Fields, FileInfo};
use formhook::ingest::SpamReason;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::schema;
use crate::settings::{CaptchaSettings, EndpointSettings, FormSettings};

/// RFC 3339 text of a Unix millisecond time.
pub fn iso(ms: i64) -> String {
    formhook::time::rfc3339_millis(ms)
}

fn iso_u64(ms: u64) -> String {
    iso(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// A form.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FormView {
    /// The form id.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// Where HTML posts are redirected (`null`: the built-in thank-you page).
    pub redirect_url: Option<String>,
    /// Origins allowed to post (empty: all).
    pub allowed_origins: Vec<String>,
    /// The honeypot field (`""`: off).
    pub honeypot_field: String,
    /// Whether spam is delivered too.
    pub deliver_spam: bool,
    /// Submissions per client per minute (0: unlimited).
    pub rate_limit_per_minute: u32,
    /// Largest accepted body, bytes.
    pub max_body_bytes: u64,
    /// Submissions per minute from all clients together (0: no ceiling).
    pub max_submissions_per_minute: u32,
    /// Bytes of submissions and files the form may store (0: no quota).
    pub storage_quota_bytes: u64,
    /// Whether file bytes are stored.
    pub keep_files: bool,
    /// The charset bodies that name none are read in (`null`: UTF-8).
    pub charset: Option<String>,
    /// The form's endpoints.
    pub endpoint_ids: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// Where the form posts: `/f/{id}`.
    pub submission_url: String,
    /// The captcha every post must pass (`null`: none).
    pub captcha: Option<CaptchaView>,
    /// Seconds within which the same post from the same client is stored once (0: off).
    pub duplicate_window_seconds: u32,
    /// Days submissions are kept (`null`: kept until erased).
    pub retention_days: Option<u32>,
    /// Objects the form's submissions are spread over.
    pub shards: u32,
    /// Largest uploaded file, bytes.
    pub max_file_bytes: u64,
}

/// A form's captcha check. The secret is never shown: `secret_set` says one is stored.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CaptchaView {
    /// Who verifies tokens.
    #[schemars(schema_with = "schema::captcha_provider")]
    pub provider: Provider,
    /// The provider's site key (public).
    pub site_key: String,
    /// Always true: a captcha cannot be set without its secret.
    pub secret_set: bool,
    /// Hostnames the widget may be served on (empty: any).
    pub expected_hostnames: Vec<String>,
    /// The widget action required, if any.
    pub expected_action: Option<String>,
    /// reCAPTCHA v3: the least score accepted.
    pub min_score: Option<f64>,
    /// `reject` or `accept_as_spam`.
    #[schemars(schema_with = "schema::on_error")]
    pub on_error: OnError,
    /// The form field the widget fills with its token.
    pub token_field: String,
}

impl CaptchaView {
    /// The view of stored captcha settings.
    pub fn of(captcha: &CaptchaSettings) -> Self {
        Self {
            provider: captcha.provider,
            site_key: captcha.site_key.clone(),
            secret_set: !captcha.secret.expose().is_empty(),
            expected_hostnames: captcha.expected_hostnames.clone(),
            expected_action: captcha.expected_action.clone(),
            min_score: captcha.min_score,
            on_error: captcha.on_error,
            token_field: captcha.provider.token_field().to_string(),
        }
    }
}

/// What a page needs to render a form's captcha widget (`GET /f/{form_id}/captcha`, public:
/// site keys are meant to be embedded in pages).
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct CaptchaWidget {
    /// Who renders and verifies.
    #[schemars(schema_with = "schema::captcha_provider")]
    pub provider: Provider,
    /// The site key for `data-sitekey`.
    pub site_key: String,
    /// The form field the widget fills.
    pub token_field: String,
    /// The provider's script.
    pub script_url: String,
    /// The class of the element the script renders into.
    pub widget_class: String,
    /// The action the form requires, to pass to the widget.
    pub action: Option<String>,
    /// reCAPTCHA v3 (the form requires a score): no visible widget; the page asks for a token
    /// with `grecaptcha.execute` when it submits.
    pub invisible: bool,
}

impl CaptchaWidget {
    /// The widget of a form's captcha view.
    pub fn of(captcha: &CaptchaView) -> Self {
        Self {
            provider: captcha.provider,
            site_key: captcha.site_key.clone(),
            token_field: captcha.token_field.clone(),
            script_url: captcha.provider.script_url().to_string(),
            widget_class: captcha.provider.widget_class().to_string(),
            action: captcha.expected_action.clone(),
            invisible: captcha.min_score.is_some(),
        }
    }
}

impl FormView {
    /// The view of stored settings.
    pub fn of(form: &FormSettings, endpoint_ids: Vec<String>) -> Self {
        Self {
            id: form.id.clone(),
            name: form.name.clone(),
            redirect_url: form.redirect_url.clone(),
            allowed_origins: form.allowed_origins.clone(),
            honeypot_field: form.honeypot_field.clone(),
            deliver_spam: form.deliver_spam,
            rate_limit_per_minute: form.rate_limit_per_minute,
            max_body_bytes: form.max_body_bytes,
            max_submissions_per_minute: form.max_submissions_per_minute,
            storage_quota_bytes: form.storage_quota_bytes,
            keep_files: form.keep_files,
            charset: form.charset.clone(),
            endpoint_ids,
            created_at: iso(form.created_ms),
            submission_url: format!("/f/{}", form.id),
            captcha: form.captcha.as_ref().map(CaptchaView::of),
            duplicate_window_seconds: form.duplicate_window_seconds,
            retention_days: (form.retention_days > 0).then_some(form.retention_days),
            shards: form.shards,
            max_file_bytes: form.max_file_bytes,
        }
    }
}

/// Deliveries of an endpoint by status.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryStats {
    /// Waiting for an attempt.
    pub pending: u64,
    /// Delivered.
    pub delivered: u64,
    /// Given up.
    pub failed: u64,
    /// Not sent: the endpoint was disabled.
    pub skipped: u64,
    /// Of `pending`, those whose earlier attempts failed (waiting for a retry).
    #[serde(default)]
    pub retrying: u64,
}

/// An endpoint. Never holds a secret, except `secret` in the answer that creates it.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct EndpointView {
    /// `ep_…`.
    pub id: String,
    /// Its form.
    pub form_id: String,
    /// Where deliveries go.
    pub url: String,
    /// A note for people.
    pub description: String,
    /// Event types it takes (`*`: all).
    #[schemars(with = "Vec<String>")]
    pub events: Vec<crate::settings::EventSelector>,
    /// `canonical`, `flat` or `answers`.
    #[schemars(schema_with = "schema::payload_shape")]
    pub payload_shape: formhook::event::PayloadShape,
    /// The signature scheme.
    #[serde(with = "schema::scheme_name")]
    #[schemars(schema_with = "schema::scheme")]
    pub scheme: formhook::Scheme,
    /// `hmac`, `ed25519` (Standard Webhooks `v1a`) or `both`.
    #[schemars(schema_with = "schema::signing")]
    pub signing: formhook::delivery::Signing,
    /// The newest ed25519 public key (`whpk_…`), for endpoints that sign with ed25519; also at
    /// `GET /keys/{endpoint_id}`.
    pub public_key: Option<String>,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Deadline of one attempt, ms.
    pub timeout_ms: u64,
    /// The retry schedule.
    #[schemars(schema_with = "schema::schedule")]
    pub retry_schedule: formhook::retry::Schedule,
    /// Least wait after a throttling answer, ms.
    pub throttle_floor_ms: u64,
    /// Failing without a break this long disables it, s.
    pub disable_after_seconds: u64,
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// Why it is disabled.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (RFC 3339).
    pub failing_since: Option<String>,
    /// Live signing secrets and keys (more during a rotation).
    pub secret_count: u64,
    /// RFC 3339.
    pub created_at: String,
    /// Deliveries by status.
    pub stats: DeliveryStats,
    /// The signing secret: in the answer that creates the endpoint only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Lifetime of the file links in its events, s.
    pub file_url_ttl: u64,
    /// Attempts in flight at once.
    pub max_in_flight: u32,
    /// One attempt at a time, in submission order.
    pub fifo: bool,
    /// Which form fields it receives (`{}`: every field).
    pub fields: crate::settings::FieldFilter,
    /// `url`: payloads list files; `none`: they do not.
    #[schemars(schema_with = "schema::file_list")]
    pub files: formhook::redact::FileList,
    /// The newest attempt that did not deliver (`null`: none logged).
    #[serde(default)]
    pub last_failure: Option<LastFailure>,
}

/// The newest failed attempt of an endpoint.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct LastFailure {
    /// When it started (RFC 3339).
    pub at: String,
    /// Its delivery.
    pub delivery_id: String,
    /// HTTP status, when one came.
    pub status: Option<u16>,
    /// What it meant.
    #[schemars(schema_with = "schema::outcome")]
    pub outcome: String,
    /// Why it failed (or the start of the answer).
    pub error: Option<String>,
}

impl EndpointView {
    /// The view of stored settings at `now_ms`.
    pub fn of(endpoint: &EndpointSettings, stats: DeliveryStats, now_ms: u64) -> Self {
        let EndpointHealth {
            enabled,
            disabled_reason,
            failing_since_ms,
        } = endpoint.health;
        Self {
            id: endpoint.id.clone(),
            form_id: endpoint.form_id.clone(),
            url: endpoint.url.clone(),
            description: endpoint.description.clone(),
            events: endpoint.events.clone(),
            payload_shape: endpoint.payload_shape,
            scheme: endpoint.scheme,
            signing: endpoint.signing,
            public_key: endpoint
                .secrets
                .published(now_ms)
                .into_iter()
                .next()
                .map(|k| k.public_key),
            headers: endpoint.headers.clone().into(),
            timeout_ms: endpoint.timeout_ms,
            retry_schedule: endpoint.retry_schedule.clone(),
            throttle_floor_ms: endpoint.throttle_floor_ms,
            disable_after_seconds: endpoint.disable_after_seconds,
            enabled,
            disabled_reason: disabled_reason.map(|r| r.describe()),
            failing_since: failing_since_ms.map(iso_u64),
            secret_count: endpoint.secrets.live(now_ms).count() as u64,
            created_at: iso(endpoint.created_ms),
            stats,
            secret: None,
            last_failure: None,
            fields: endpoint.fields.clone(),
            files: endpoint.files,
            max_in_flight: endpoint.max_in_flight,
            fifo: endpoint.fifo,
            file_url_ttl: endpoint.file_url_ttl,
        }
    }
}

/// A file of a submission.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct FileView {
    /// The form field.
    pub field: String,
    /// The client's file name.
    pub filename: String,
    /// The part's content type.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Whether the bytes are stored (downloadable).
    pub stored: bool,
    /// The file name without directory parts (what a download is named).
    pub name: String,
    /// Where the admin API downloads the bytes (with the token): `/api/forms/{form_id}/
    /// submissions/{submission_id}/files/{index}`; `null` when they are not stored.
    pub download_path: Option<String>,
}

impl FileView {
    /// The view of the file at `index` of a submission.
    pub fn of(
        info: &FileInfo,
        stored: bool,
        form_id: &str,
        submission_id: &str,
        index: usize,
    ) -> Self {
        Self {
            field: info.field.clone(),
            filename: info.filename.clone(),
            content_type: info.content_type.clone(),
            size: info.size,
            sha256: info.sha256.clone(),
            stored,
            name: info.base_name().to_string(),
            download_path: stored
                .then(|| format!("/api/forms/{form_id}/submissions/{submission_id}/files/{index}")),
        }
    }
}

/// A stored submission.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SubmissionView {
    /// `sub_…`.
    pub id: String,
    /// Its form.
    pub form_id: String,
    /// RFC 3339.
    pub created_at: String,
    /// Unix ms.
    pub created_ms: i64,
    /// Stored as spam (not delivered unless the form delivers spam or it is marked not spam).
    pub spam: bool,
    /// Why it is spam: `honeypot`, `captcha_failed` or `captcha_unavailable` (`null`: not spam).
    #[schemars(schema_with = "schema::spam_reason")]
    pub spam_reason: Option<SpamReason>,
    /// The event id (`webhook-id`) its deliveries carry.
    pub message_id: String,
    /// The fields, in submission order; repeated names are arrays.
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub data: Fields,
    /// Uploaded files.
    pub files: Vec<FileView>,
    /// Request facts.
    #[schemars(schema_with = "meta_schema")]
    pub meta: Meta,
}

fn meta_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let text = schemars::json_schema!({"type": ["string", "null"]});
    let providers: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
    let captcha = schemars::json_schema!({
        "type": "object",
        "description": "the captcha verdict, present when the form checks a captcha",
        "properties": {
            "provider": {"type": "string", "enum": providers},
            "success": {"type": "boolean"},
            "hostname": text,
            "action": {"type": "string"},
            "score": {"type": "number"},
            "error_codes": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["provider", "success", "hostname"],
    });
    schemars::json_schema!({
        "type": "object",
        "properties": {"ip": text, "country": text, "user_agent": text, "referer": text, "captcha": captcha},
        "required": ["ip", "country", "user_agent", "referer"],
    })
}

/// One event for one endpoint.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryView {
    /// `dlv_…`.
    pub id: String,
    /// The event id (`webhook-id`).
    pub message_id: String,
    /// The event type.
    #[schemars(schema_with = "schema::event_type")]
    pub event_type: String,
    /// The submission, for submission events.
    pub submission_id: Option<String>,
    /// Where it stands.
    #[schemars(schema_with = "schema::delivery_status")]
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// HTTP status of the last attempt.
    pub last_status: Option<u16>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// Whether it was sent by a replay.
    pub replay: bool,
}

/// A delivery with the exact body sent and its attempts.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// The exact request body sent (and signed); `""` once removed (see `payload_removed`).
    pub payload: String,
    /// Every attempt, first first.
    pub attempt_log: Vec<AttemptView>,
    /// The stored payload was removed: its submission was erased or passed the form's
    /// retention (ids, times and statuses stay).
    pub payload_removed: bool,
}

/// What an erasure answers: `complete` once everything is gone (`204` from the API); otherwise
/// (`202`) the rest is recorded and finishes from the form's alarm, also after a restart.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Erasure {
    /// The submission or form erased.
    pub id: String,
    /// Whether every copy is gone already.
    pub complete: bool,
}

/// One attempt.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct AttemptView {
    /// `att_…` (the `x-formhook-delivery` header).
    pub id: String,
    /// Its delivery.
    pub delivery_id: String,
    /// The event id.
    pub message_id: String,
    /// 1 for the first.
    pub attempt: u32,
    /// RFC 3339.
    pub started_at: String,
    /// HTTP status, when one came.
    pub status: Option<u16>,
    /// What it meant.
    #[schemars(schema_with = "schema::outcome")]
    pub outcome: String,
    /// Milliseconds until the answer (or the failure).
    pub latency_ms: u64,
    /// The first 4 KB of the answer.
    pub response_excerpt: String,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When the next attempt was scheduled.
    pub next_attempt_at: Option<String>,
    /// The request sent: URL and exact headers, signatures included (the body is the delivery's
    /// `payload`). In a delivery's `attempt_log` only; `null` for attempts logged before requests
    /// were kept, and for attempts that sent nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<SentRequest>,
}

/// What one attempt sent.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct SentRequest {
    /// The URL posted to.
    pub url: String,
    /// Every header in the order sent, as `[name, value]` pairs.
    pub headers: Vec<(String, String)>,
}

/// A page of a list, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PageOf{T}")]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A whole list.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "ListOf{T}")]
pub struct List<T> {
    /// The items.
    pub data: Vec<T>,
}

/// The answer to a rotation: the new secret (shown once) and/or the new public key.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Rotated {
    /// The new HMAC secret, for endpoints that sign with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The new ed25519 public key (`whpk_…`), for endpoints that sign with ed25519.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// When the older secrets stop signing.
    pub previous_secret_expires_at: String,
}

/// One public key of an endpoint.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct PublicKeyView {
    /// `whpk_…`: verifies the endpoint's `v1a` signatures.
    pub public_key: String,
    /// When its signing key was made (RFC 3339).
    pub created_at: String,
    /// When it stops signing, during a rotation (RFC 3339).
    pub expires_at: Option<String>,
}

/// `GET /keys/{endpoint_id}`: an endpoint's live public keys, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct KeysView {
    /// The keys; empty for an endpoint that signs with HMAC only.
    pub keys: Vec<PublicKeyView>,
}

impl KeysView {
    /// The published keys of a secret set at `now_ms`.
    pub fn of(secrets: &formhook::delivery::SecretSet, now_ms: u64) -> Self {
        Self {
            keys: secrets
                .published(now_ms)
                .into_iter()
                .map(|k| PublicKeyView {
                    public_key: k.public_key,
                    created_at: iso_u64(k.created_ms),
                    expires_at: k.expires_ms.map(iso_u64),
                })
                .collect(),
        }
    }
}

/// The answer to a test event.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct TestSent {
    /// The delivery.
    pub delivery_id: Option<String>,
    /// The event id.
    pub message_id: String,
}

/// The answer to marking a submission as not spam.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Released {
    /// The submission, no longer spam.
    pub submission: SubmissionView,
    /// Endpoints it was handed to (each delivers it once: one that already has it, because the
    /// form delivers spam, does not get it again). Empty when it was not spam.
    pub endpoints: Vec<String>,
}

/// The answer to a replay.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Replayed {
    /// Endpoints that get a new delivery.
    pub endpoints: Vec<String>,
}

/// The answer to replaying every failed delivery of an endpoint.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct ReplayedFailed {
    /// How many failed deliveries are pending again.
    pub queued: u64,
    /// Their ids.
    pub delivery_ids: Vec<String>,
}

/// The answer to a script's submission.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Accepted {
    /// Always true.
    pub ok: bool,
    /// `sub_…`.
    pub id: String,
    /// Caught by the honeypot.
    pub spam: bool,
}

/// `GET /health`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// Always true.
    pub ok: bool,
    /// The worker's version.
    pub version: String,
}
