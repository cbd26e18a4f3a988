//! `EndpointQueue`: one Durable Object per endpoint, so a slow or failing receiver only ever
//! delays itself. Holds the endpoint's settings and secrets, its deliveries (one per event, with
//! the exact payload bytes) and the log of every attempt. Its alarm sends whatever is due; the
//! retry decision is the core's (`formhook::retry`).

use std::cell::Cell;
use std::rc::Rc;

use formhook::event::{submission_payload, test_payload, EventType, Meta, Submission};
use formhook::form::{Fields, FileInfo};
use formhook::retry::{next_attempt, should_disable, Decision, Outcome, Policy};
use formhook::{HmacKey, Secret};
use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

use crate::config::{EndpointConfig, EndpointSecret};
use crate::delivery::{send, Outgoing, Received};
use crate::util::{
    call, finish, iso, iso_opt, json_response, load_settings, new_id, now_ms, ok, random_bytes,
    random_u32, read_json, save_settings, ApiError, ApiResult, Paging,
};

/// Deliveries sent per alarm run, and at most this many at once (the runtime allows six
/// simultaneous outbound connections per invocation).
const DUE_BATCH: i64 = 24;
const PARALLEL: usize = 5;
/// An attempt in flight is assumed lost (the process died) this long after its deadline.
const IN_FLIGHT_GRACE_MS: i64 = 5_000;
/// Attempts started per alarm run; the rest run in the next one (an invocation has a bounded
/// number of subrequests).
const MAX_ATTEMPTS_PER_RUN: usize = 400;

#[durable_object]
pub struct EndpointQueue {
    state: State,
    env: Env,
    /// The alarm time this instance set and that has not fired yet, so bursts of enqueues do not
    /// each read and write the alarm.
    armed_at: Cell<Option<i64>>,
}

#[derive(Deserialize, Clone)]
struct DeliveryRow {
    id: String,
    message_id: String,
    event_type: String,
    submission_id: Option<String>,
    payload: String,
    status: String,
    attempts: i64,
    first_attempt_ms: Option<i64>,
    next_attempt_ms: Option<i64>,
    created_ms: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    replay: i64,
}

#[derive(Deserialize)]
struct AttemptRow {
    id: String,
    delivery_id: String,
    message_id: String,
    attempt: i64,
    started_ms: i64,
    status: Option<i64>,
    outcome: String,
    latency_ms: i64,
    response_excerpt: String,
    error: Option<String>,
    next_attempt_ms: Option<i64>,
}

#[derive(Deserialize)]
struct CountRow {
    status: String,
    n: i64,
}

#[derive(Deserialize)]
struct SubmissionJob {
    id: String,
    form_id: String,
    form_name: String,
    created_ms: i64,
    data: Fields,
    files: Vec<FileInfo>,
    meta: Meta,
}

/// What every attempt of one alarm run needs from the settings, owned so attempts can run
/// while the settings are updated.
struct Snapshot {
    url: String,
    scheme: formhook::Scheme,
    keys: Vec<HmacKey>,
    headers: serde_json::Map<String, Value>,
    timeout_ms: u64,
}

impl Snapshot {
    fn of(config: &EndpointConfig, now: i64) -> Self {
        Self {
            url: config.url.clone(),
            scheme: config.scheme(),
            keys: config
                .live_secrets(now)
                .iter()
                .filter_map(|s| config.scheme().key(&s.secret).ok())
                .collect(),
            headers: config.headers.clone(),
            timeout_ms: config.timeout_ms,
        }
    }
}

const DELIVERY_COLUMNS: &str =
    "id, message_id, event_type, submission_id, payload, status, attempts,
    first_attempt_ms, next_attempt_ms, created_ms, last_status, last_error, replay";
const ATTEMPT_COLUMNS: &str = "id, delivery_id, message_id, attempt, started_ms, status, outcome,
    latency_ms, response_excerpt, error, next_attempt_ms";

impl DurableObject for EndpointQueue {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        for ddl in [
            "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS deliveries(id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE,
               message_id TEXT NOT NULL, event_type TEXT NOT NULL, submission_id TEXT,
               payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
               first_attempt_ms INTEGER, next_attempt_ms INTEGER, created_ms INTEGER NOT NULL,
               last_status INTEGER, last_error TEXT, replay INTEGER NOT NULL DEFAULT 0)",
            "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_ms)",
            "CREATE TABLE IF NOT EXISTS attempts(id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL,
               message_id TEXT NOT NULL, attempt INTEGER NOT NULL, started_ms INTEGER NOT NULL,
               status INTEGER, outcome TEXT NOT NULL, latency_ms INTEGER NOT NULL,
               response_excerpt TEXT NOT NULL, error TEXT, next_attempt_ms INTEGER)",
            "CREATE INDEX IF NOT EXISTS attempts_by_delivery ON attempts(delivery_id)",
        ] {
            let _ = sql.exec(ddl, None);
        }
        Self {
            state,
            env,
            armed_at: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let result = match (req.method(), segments.as_slice()) {
            (Method::Post, ["enqueue"]) => self.enqueue(&mut req).await,
            (Method::Post, ["init"]) => self.init(&mut req).await,
            (Method::Get, ["config"]) => {
                self.config().map(|c| self.public(&c)).and_then(|v| ok(&v))
            }
            (Method::Patch, ["config"]) => self.patch(&mut req).await,
            (Method::Delete, ["config"]) => self.destroy().await,
            (Method::Post, ["rotate-secret"]) => self.rotate(&mut req).await,
            (Method::Post, ["test"]) => self.test_event().await,
            (Method::Get, ["deliveries"]) => self.list_deliveries(&req),
            (Method::Get, ["deliveries", id]) => self.get_delivery(id),
            (Method::Get, ["attempts"]) => self.list_attempts(&req),
            (Method::Post, ["recover"]) => self.recover().await,
            _ => Err(ApiError::new(404, "not_found", "no such route")),
        };
        finish(result)
    }

    async fn alarm(&self) -> Result<Response> {
        self.armed_at.set(None);
        if let Err(err) = self.run_due().await {
            // Re-arm before failing so nothing waits for a restart.
            let _ = self.state.storage().set_alarm(1000).await;
            return Err(worker::Error::RustError(err.message));
        }
        Response::ok("ok")
    }
}

fn not_found() -> ApiError {
    ApiError::new(404, "endpoint_not_found", "no endpoint with this id")
}

/// A new `whsec_` secret from 24 random bytes.
fn generate_secret() -> ApiResult<String> {
    let mut bytes = [0u8; 24];
    random_bytes(&mut bytes)?;
    Ok(Secret::generate(&bytes)
        .map_err(ApiError::internal)?
        .to_whsec())
}

impl EndpointQueue {
    fn config(&self) -> ApiResult<EndpointConfig> {
        load_settings(&self.state.storage().sql())?.ok_or_else(not_found)
    }

    fn save(&self, config: &EndpointConfig) -> ApiResult<()> {
        save_settings(&self.state.storage().sql(), config)
    }

    /// The endpoint's JSON with delivery counts.
    fn public(&self, config: &EndpointConfig) -> Value {
        let mut value = config.to_json(now_ms());
        let counts: Vec<CountRow> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status",
                None,
            )
            .and_then(|c| c.to_array())
            .unwrap_or_default();
        let count = |s: &str| counts.iter().find(|c| c.status == s).map_or(0, |c| c.n);
        value["stats"] = json!({
            "pending": count("pending"),
            "delivered": count("delivered"),
            "failed": count("failed"),
            "skipped": count("skipped"),
        });
        value
    }

    async fn init(&self, req: &mut Request) -> ApiResult {
        let body = read_json(req).await?;
        let mut config: EndpointConfig =
            serde_json::from_value(body["config"].clone()).map_err(ApiError::internal)?;
        if self.config().is_ok() {
            return Err(ApiError::new(
                409,
                "endpoint_exists",
                "this endpoint already exists",
            ));
        }
        let secret = match body["secret"].as_str() {
            Some(s) => s.to_string(),
            None => generate_secret()?,
        };
        config
            .scheme()
            .key(&secret)
            .map_err(|e| ApiError::field("secret", e.message()))?;
        config.secrets = vec![EndpointSecret {
            secret: secret.clone(),
            expires_ms: None,
        }];
        self.save(&config)?;
        let mut value = self.public(&config);
        value["secret"] = Value::String(secret);
        Ok(json_response(201, &value)?)
    }

    async fn patch(&self, req: &mut Request) -> ApiResult {
        let mut config = self.config()?;
        let was_enabled = config.enabled;
        let body = read_json(req).await?;
        config.apply(&body, false)?;
        self.save(&config)?;
        if config.enabled && !was_enabled {
            self.arm_next().await?;
        }
        ok(&self.public(&config))
    }

    async fn destroy(&self) -> ApiResult {
        self.config()?;
        self.state.storage().delete_alarm().await?;
        self.state.storage().delete_all().await?;
        Ok(Response::empty()?.with_status(204))
    }

    async fn rotate(&self, req: &mut Request) -> ApiResult {
        let mut config = self.config()?;
        let body = read_json(req).await?;
        let grace_s = match body.get("grace_period_seconds") {
            None | Some(Value::Null) => 86_400,
            Some(v) => v.as_u64().filter(|s| *s <= 30 * 86_400).ok_or_else(|| {
                ApiError::field(
                    "grace_period_seconds",
                    "must be an integer from 0 to 2592000",
                )
            })?,
        };
        let secret = match body.get("secret") {
            None | Some(Value::Null) => generate_secret()?,
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(ApiError::field("secret", "must be a string")),
        };
        config
            .scheme()
            .key(&secret)
            .map_err(|e| ApiError::field("secret", e.message()))?;
        let now = now_ms();
        let expires = now + i64::try_from(grace_s).unwrap_or(0) * 1000;
        config
            .secrets
            .retain(|s| s.expires_ms.is_none_or(|at| at > now));
        for old in &mut config.secrets {
            old.expires_ms = Some(old.expires_ms.map_or(expires, |at| at.min(expires)));
        }
        config.secrets.push(EndpointSecret {
            secret: secret.clone(),
            expires_ms: None,
        });
        self.save(&config)?;
        ok(&json!({"secret": secret, "previous_secret_expires_at": iso(expires)}))
    }

    /// Stores a delivery per job of `{"jobs": [...]}` (idempotent on each job's key) and wakes
    /// the alarm once.
    async fn enqueue(&self, req: &mut Request) -> ApiResult {
        let config = self.config()?;
        let body = read_json(req).await?;
        let jobs = body["jobs"].as_array().cloned().unwrap_or_default();
        let mut queued = 0;
        for job in &jobs {
            if self.enqueue_one(&config, job)? {
                queued += 1;
            }
        }
        if queued > 0 {
            self.arm_next().await?;
        }
        ok(&json!({"queued": queued}))
    }

    fn enqueue_one(&self, config: &EndpointConfig, job: &Value) -> ApiResult<bool> {
        let event_type = job["event_type"].as_str().unwrap_or_default().to_string();
        if !config.wants(&event_type) {
            return Ok(false);
        }
        let message_id = job["message_id"].as_str().unwrap_or_default().to_string();
        let key = job["key"].as_str().unwrap_or_default().to_string();
        let (payload, submission_id) = if job["kind"] == "submission" {
            let sub: SubmissionJob =
                serde_json::from_value(job["submission"].clone()).map_err(ApiError::internal)?;
            let payload = submission_payload(
                &message_id,
                EventType::SubmissionCreated,
                &Submission {
                    id: &sub.id,
                    form_id: &sub.form_id,
                    form_name: &sub.form_name,
                    created_at_ms: sub.created_ms,
                    data: &sub.data,
                    files: &sub.files,
                    meta: &sub.meta,
                },
                config.payload_shape,
            );
            (String::from_utf8_lossy(&payload).into_owned(), Some(sub.id))
        } else {
            (job["payload"].as_str().unwrap_or("{}").to_string(), None)
        };
        let replay = job["replay"].as_bool().unwrap_or(false);
        self.insert_delivery(
            config,
            &key,
            &message_id,
            &event_type,
            submission_id,
            &payload,
            replay,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_delivery(
        &self,
        config: &EndpointConfig,
        key: &str,
        message_id: &str,
        event_type: &str,
        submission_id: Option<String>,
        payload: &str,
        replay: bool,
    ) -> ApiResult<bool> {
        let now = now_ms();
        let (status, next, error) = if config.enabled {
            ("pending", Some(now), None)
        } else {
            ("skipped", None, Some("endpoint disabled"))
        };
        let id = new_id("dlv")?;
        self.state.storage().sql().exec(
            "INSERT OR IGNORE INTO deliveries(id, dedupe_key, message_id, event_type, submission_id, payload,
               status, next_attempt_ms, created_ms, last_error, replay) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                id.into(),
                key.into(),
                message_id.into(),
                event_type.into(),
                submission_id.into(),
                payload.into(),
                status.into(),
                next.into(),
                now.into(),
                error.into(),
                i64::from(replay).into(),
            ],
        )?;
        Ok(config.enabled)
    }

    async fn test_event(&self) -> ApiResult {
        let config = self.config()?;
        let message_id = new_id("msg")?;
        let payload = test_payload(&message_id, &config.id, &config.form_id, now_ms());
        let text = String::from_utf8_lossy(&payload).into_owned();
        // A test is always recorded, even for an endpoint that did not subscribe to `endpoint.test`.
        self.insert_delivery(
            &config,
            &format!("test:{message_id}"),
            &message_id,
            "endpoint.test",
            None,
            &text,
            false,
        )?;
        self.arm_next().await?;
        #[derive(Deserialize)]
        struct IdRow {
            id: String,
        }
        let rows: Vec<IdRow> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT id FROM deliveries WHERE message_id = ?",
                vec![message_id.as_str().into()],
            )?
            .to_array()?;
        let delivery_id = rows.into_iter().next().map(|r| r.id);
        Ok(json_response(
            202,
            &json!({"delivery_id": delivery_id, "message_id": message_id}),
        )?)
    }

    /// Sets the alarm for the earliest pending delivery (now if one is due), unless an earlier
    /// alarm is already set.
    async fn arm_next(&self) -> ApiResult<()> {
        self.arm(false).await
    }

    /// `force`: set it even if an alarm appears to be set (at the end of an alarm run, the alarm
    /// being handled may still read as set).
    async fn arm(&self, force: bool) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Next {
            next: Option<i64>,
        }
        let config = self.config()?;
        if !config.enabled {
            return Ok(());
        }
        let rows: Vec<Next> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT MIN(next_attempt_ms) AS next FROM deliveries WHERE status = 'pending'",
                None,
            )?
            .to_array()?;
        if let Some(at) = rows.first().and_then(|r| r.next) {
            if !force && self.armed_at.get().is_some_and(|set| set <= at) {
                return Ok(());
            }
            let storage = self.state.storage();
            let current = if force {
                None
            } else {
                storage.get_alarm().await?
            };
            if current.is_none_or(|c| c > at) {
                storage.set_alarm((at - now_ms()).max(0)).await?;
                self.armed_at.set(Some(at));
            } else {
                self.armed_at.set(current);
            }
        }
        Ok(())
    }

    async fn recover(&self) -> ApiResult {
        if self.config().is_err() {
            return ok(&json!({"pending": 0}));
        }
        self.arm_next().await?;
        let pending: Vec<CountRow> = self
            .state
            .storage()
            .sql()
            .exec("SELECT status, COUNT(*) AS n FROM deliveries WHERE status = 'pending' GROUP BY status", None)?
            .to_array()?;
        ok(&json!({"pending": pending.first().map_or(0, |c| c.n)}))
    }

    /// Sends every due delivery (a batch at a time), records the attempts, schedules what follows.
    async fn run_due(&self) -> ApiResult<()> {
        let Ok(mut config) = self.config() else {
            return Ok(());
        };
        let sql = self.state.storage().sql();
        // Up to PARALLEL attempts in flight; as each ends it is recorded and the next due one
        // starts, so one slow answer does not hold the others back.
        let mut in_flight = FuturesUnordered::new();
        let mut queue: std::collections::VecDeque<DeliveryRow> = std::collections::VecDeque::new();
        let mut snapshot: Option<Rc<Snapshot>> = None;
        let mut started_count = 0;
        loop {
            while in_flight.len() < PARALLEL
                && config.enabled
                && started_count < MAX_ATTEMPTS_PER_RUN
            {
                if queue.is_empty() {
                    // Sent rows were pushed past their deadline, so they never read as due twice.
                    queue.extend(self.due_rows()?);
                    if queue.is_empty() {
                        break;
                    }
                }
                let Some(row) = queue.pop_front() else { break };
                started_count += 1;
                let snap = match &snapshot {
                    Some(s) => Rc::clone(s),
                    None => {
                        let s = Rc::new(Snapshot::of(&config, now_ms()));
                        snapshot = Some(Rc::clone(&s));
                        s
                    }
                };
                let attempt = u32::try_from(row.attempts + 1).unwrap_or(u32::MAX);
                let attempt_id = new_id("att")?;
                let started = now_ms();
                // Count the attempt before sending: if the process dies mid-request the
                // delivery is retried after its deadline, never forgotten.
                sql.exec(
                    "UPDATE deliveries SET attempts = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?),
                       next_attempt_ms = ? WHERE id = ?",
                    vec![
                        i64::from(attempt).into(),
                        started.into(),
                        (started + i64::try_from(snap.timeout_ms).unwrap_or(30_000) + IN_FLIGHT_GRACE_MS).into(),
                        row.id.as_str().into(),
                    ],
                )?;
                let guard = crate::ssrf::check(&self.env, &snap.url);
                in_flight.push(async move {
                    let out = Outgoing {
                        url: &snap.url,
                        scheme: snap.scheme,
                        keys: &snap.keys,
                        message_id: &row.message_id,
                        event_type: &row.event_type,
                        attempt_id: &attempt_id,
                        attempt,
                        payload: row.payload.as_bytes(),
                        custom_headers: &snap.headers,
                        timeout_ms: snap.timeout_ms,
                        now_ms: started,
                    };
                    let received = match guard {
                        Ok(()) => send(&out).await,
                        Err(message) => Received {
                            result: formhook::retry::AttemptResult::NetworkError,
                            status: None,
                            excerpt: String::new(),
                            error: Some(message),
                        },
                    };
                    (row, attempt, attempt_id, started, received)
                });
            }
            let Some((row, attempt, attempt_id, started, received)) = in_flight.next().await else {
                break;
            };
            let was_enabled = config.enabled;
            self.record(&mut config, &row, attempt, &attempt_id, started, received)
                .await?;
            if was_enabled && !config.enabled {
                // Disabled (410 or a failure window): what was picked but not sent stays pending.
                queue.clear();
            }
        }
        self.arm(true).await
    }

    /// Due pending deliveries, oldest first.
    fn due_rows(&self) -> ApiResult<Vec<DeliveryRow>> {
        let rows: Vec<DeliveryRow> = self
            .state
            .storage()
            .sql()
            .exec(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending' AND next_attempt_ms <= ?
                     ORDER BY next_attempt_ms LIMIT ?"
                ),
                vec![now_ms().into(), DUE_BATCH.into()],
            )?
            .to_array()?;
        Ok(rows)
    }

    /// Logs one attempt and applies the core's decision to the delivery and the endpoint.
    async fn record(
        &self,
        config: &mut EndpointConfig,
        row: &DeliveryRow,
        attempt: u32,
        attempt_id: &str,
        started: i64,
        received: Received,
    ) -> ApiResult<()> {
        let sql = self.state.storage().sql();
        let now = now_ms();
        let outcome = formhook::retry::classify(&received.result);
        let policy = Policy {
            min_throttle_ms: config.throttle_floor_ms,
            disable_after_ms: config.disable_after_seconds.saturating_mul(1000),
            ..Policy::DEFAULT
        };
        let first = u64::try_from(row.first_attempt_ms.unwrap_or(started)).unwrap_or(0);
        let now_u = u64::try_from(now).unwrap_or(0);
        let decision = next_attempt(
            &config.schedule(),
            &policy,
            attempt,
            first,
            now_u,
            &received.result,
            random_u32(),
        );
        let (status, next) = match decision {
            Decision::Done => ("delivered", None),
            Decision::RetryAt(at) => ("pending", Some(i64::try_from(at).unwrap_or(i64::MAX))),
            Decision::DisableEndpoint | Decision::GiveUp => ("failed", None),
        };
        sql.exec(
            &format!(
                "INSERT INTO attempts({ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            vec![
                attempt_id.into(),
                row.id.as_str().into(),
                row.message_id.as_str().into(),
                i64::from(attempt).into(),
                started.into(),
                received.status.map(i64::from).into(),
                outcome.code().into(),
                (now - started).max(0).into(),
                received.excerpt.as_str().into(),
                received.error.clone().into(),
                next.into(),
            ],
        )?;
        sql.exec(
            "UPDATE deliveries SET status = ?, next_attempt_ms = ?, last_status = ?, last_error = ? WHERE id = ?",
            vec![
                status.into(),
                next.into(),
                received.status.map(i64::from).into(),
                received.error.clone().into(),
                row.id.as_str().into(),
            ],
        )?;
        // Endpoint health: any delivery resets the failure window; 410 or a window of unbroken
        // failure disables the endpoint and tells the form's other endpoints.
        let mut disable_reason = None;
        if outcome == Outcome::Delivered {
            if config.failing_since_ms.is_some() {
                config.failing_since_ms = None;
                self.save(config)?;
            }
        } else {
            let since = *config.failing_since_ms.get_or_insert(started);
            if decision == Decision::DisableEndpoint {
                disable_reason = Some("the receiver answered 410 Gone".to_string());
            } else if should_disable(u64::try_from(since).ok(), now_u, &policy) {
                disable_reason = Some(format!(
                    "every attempt failed for {} s",
                    config.disable_after_seconds
                ));
            }
            self.save(config)?;
        }
        if let Some(reason) = disable_reason {
            if config.enabled {
                config.enabled = false;
                config.disabled_reason = Some(reason.clone());
                self.save(config)?;
                let forms = self.env.durable_object("FORMS")?;
                let stub = forms.id_from_name(&config.form_id)?.get_stub()?;
                let body = json!({"endpoint_id": config.id, "reason": reason});
                // Best effort: the endpoint is disabled either way; the event is informational.
                let _ = call(&stub, Method::Post, "/emit-disabled", Some(&body)).await;
            }
        }
        Ok(())
    }

    fn delivery_json(row: &DeliveryRow) -> Value {
        json!({
            "id": row.id,
            "message_id": row.message_id,
            "event_type": row.event_type,
            "submission_id": row.submission_id,
            "status": row.status,
            "attempts": row.attempts,
            "next_attempt_at": if row.status == "pending" { iso_opt(row.next_attempt_ms) } else { Value::Null },
            "created_at": iso(row.created_ms),
            "last_status": row.last_status,
            "last_error": row.last_error,
            "replay": row.replay != 0,
        })
    }

    fn attempt_json(row: &AttemptRow) -> Value {
        json!({
            "id": row.id,
            "delivery_id": row.delivery_id,
            "message_id": row.message_id,
            "attempt": row.attempt,
            "started_at": iso(row.started_ms),
            "status": row.status,
            "outcome": row.outcome,
            "latency_ms": row.latency_ms,
            "response_excerpt": row.response_excerpt,
            "error": row.error,
            "next_attempt_at": iso_opt(row.next_attempt_ms),
        })
    }

    fn list_deliveries(&self, req: &Request) -> ApiResult {
        self.config()?;
        let paging = Paging::of(req)?;
        let status = paging.query.get("status").cloned();
        if let Some(s) = &status {
            if !matches!(s.as_str(), "pending" | "delivered" | "failed" | "skipped") {
                return Err(ApiError::field(
                    "status",
                    "must be pending, delivered, failed or skipped",
                ));
            }
        }
        let rows: Vec<DeliveryRow> = self
            .state
            .storage()
            .sql()
            .exec(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id < ? AND (? IS NULL OR status = ?)
                     ORDER BY id DESC LIMIT ?"
                ),
                vec![
                    paging.cursor.as_str().into(),
                    status.clone().into(),
                    status.into(),
                    paging.fetch().into(),
                ],
            )?
            .to_array()?;
        paging.page(&rows, Self::delivery_json)
    }

    fn get_delivery(&self, id: &str) -> ApiResult {
        self.config()?;
        let sql = self.state.storage().sql();
        let rows: Vec<DeliveryRow> = sql
            .exec(
                &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?"),
                vec![id.into()],
            )?
            .to_array()?;
        let row = rows
            .first()
            .ok_or_else(|| ApiError::new(404, "delivery_not_found", "no delivery with this id"))?;
        let attempts: Vec<AttemptRow> = sql
            .exec(
                &format!(
                    "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE delivery_id = ? ORDER BY attempt"
                ),
                vec![id.into()],
            )?
            .to_array()?;
        let mut value = Self::delivery_json(row);
        value["payload"] = Value::String(row.payload.clone());
        value["attempt_log"] = Value::Array(attempts.iter().map(Self::attempt_json).collect());
        ok(&value)
    }

    fn list_attempts(&self, req: &Request) -> ApiResult {
        self.config()?;
        let paging = Paging::of(req)?;
        let rows: Vec<AttemptRow> = self
            .state
            .storage()
            .sql()
            .exec(
                &format!(
                    "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id < ? ORDER BY id DESC LIMIT ?"
                ),
                vec![paging.cursor.as_str().into(), paging.fetch().into()],
            )?
            .to_array()?;
        paging.page(&rows, Self::attempt_json)
    }
}
