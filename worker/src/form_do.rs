//! `FormStore`: one Durable Object per form. Holds the form's settings, its endpoint ids, every
//! submission (with file bytes) and an outbox of events still to hand to endpoint queues.
//!
//! A submission and its outbox rows are written in one synchronous run of SQL statements, which
//! the runtime commits atomically before the response leaves, so an accepted submission is never
//! lost; the outbox is drained by this object's alarm and re-armed by `/recover` after a restart.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use formhook::event::{endpoint_disabled_payload, Meta};
use formhook::form::{parse, FileInfo, Limits};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

use crate::config::FormConfig;
use crate::util::{
    call, finish, iso, json_response, load_settings, new_id, now_ms, ok, read_json, save_settings,
    ApiError, ApiResult, Paging,
};

/// Outbox rows handed to endpoint queues per alarm run, and how many at once (the runtime allows
/// six simultaneous outbound connections per invocation).
const OUTBOX_BATCH: i64 = 500;
const OUTBOX_PARALLEL: usize = 6;
/// Upper bound on the event data handed to endpoint queues per alarm run.
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Largest file kept in storage (a SQLite row holds at most 2 MB).
const MAX_STORED_FILE_BYTES: usize = 1_900_000;
/// Largest serialized field data kept in one submission row (leaves room for the envelope when
/// the payload is stored with each delivery).
const MAX_STORED_FIELDS_BYTES: usize = 1_800_000;

#[durable_object]
pub struct FormStore {
    state: State,
    env: Env,
    /// Per-IP submission counts in the current minute: `ip -> (minute, count)`. In memory on
    /// purpose: a restart forgets it, which only ever lets a client through.
    rate: RefCell<HashMap<String, (i64, u32)>>,
    /// This object is the only writer of its storage, so settings and endpoint ids read once
    /// stay valid until it changes them (every change clears this).
    cache: RefCell<Option<(FormConfig, Vec<String>)>>,
    /// Whether an alarm is known to be set, so a burst of submissions sets it once.
    alarm_set: Cell<bool>,
}

#[derive(Deserialize, Serialize)]
struct SubmissionRow {
    id: String,
    message_id: String,
    created_ms: i64,
    spam: i64,
    data: String,
    files: String,
    meta: String,
}

#[derive(Serialize, Deserialize, Clone)]
struct StoredFile {
    #[serde(flatten)]
    info: FileInfo,
    stored: bool,
}

#[derive(Deserialize)]
struct OutboxRow {
    id: i64,
    endpoint_id: String,
    job: String,
    attempts: i64,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

#[derive(Deserialize)]
struct FileRow {
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
}

impl DurableObject for FormStore {
    fn new(state: State, env: Env) -> Self {
        // Tables are created by `/init` only: posting to an unknown form id must store nothing.
        Self {
            state,
            env,
            rate: RefCell::new(HashMap::new()),
            cache: RefCell::new(None),
            alarm_set: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let result = match (req.method(), segments.as_slice()) {
            (Method::Post, ["ingest"]) => self.ingest(&mut req).await,
            (Method::Post, ["init"]) => self.init(&mut req).await,
            (Method::Get, ["config"]) => self.config().map(|c| c.to_json()).and_then(|v| ok(&v)),
            (Method::Patch, ["config"]) => self.patch(&mut req).await,
            (Method::Delete, ["config"]) => self.destroy().await,
            (Method::Get, ["endpoints"]) => self.endpoint_ids().and_then(|ids| ok(&json!(ids))),
            (Method::Post, ["endpoints", id]) => self.add_endpoint(id),
            (Method::Delete, ["endpoints", id]) => self.remove_endpoint(id),
            (Method::Get, ["submissions"]) => self.list_submissions(&req),
            (Method::Get, ["submissions", id]) => self.get_submission(id),
            (Method::Get, ["submissions", id, "files", idx]) => self.get_file(id, idx),
            (Method::Post, ["submissions", id, "replay"]) => self.replay(id, &mut req).await,
            (Method::Post, ["emit-disabled"]) => self.emit_disabled(&mut req).await,
            (Method::Post, ["recover"]) => self.recover().await,
            _ => Err(ApiError::new(404, "not_found", "no such route")),
        };
        finish(result)
    }

    async fn alarm(&self) -> Result<Response> {
        // Rows added from now on need another run: let the next submission set the alarm again.
        self.alarm_set.set(false);
        if let Err(err) = self.drain_outbox().await {
            // Re-arm before failing so the outbox never waits for a restart.
            let _ = self.state.storage().set_alarm(1000).await;
            return Err(worker::Error::RustError(err.message));
        }
        Response::ok("ok")
    }
}

impl FormStore {
    fn create_tables(&self) -> ApiResult<()> {
        let sql = self.state.storage().sql();
        for ddl in [
            "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS endpoints(id TEXT PRIMARY KEY)",
            "CREATE TABLE IF NOT EXISTS submissions(id TEXT PRIMARY KEY, message_id TEXT NOT NULL,
               created_ms INTEGER NOT NULL, spam INTEGER NOT NULL, data TEXT NOT NULL,
               files TEXT NOT NULL, meta TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS files(submission_id TEXT NOT NULL, idx INTEGER NOT NULL,
               bytes BLOB NOT NULL, PRIMARY KEY(submission_id, idx))",
            "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY AUTOINCREMENT,
               endpoint_id TEXT NOT NULL, job TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
               next_ms INTEGER NOT NULL)",
        ] {
            sql.exec(ddl, None)?;
        }
        Ok(())
    }

    fn config(&self) -> ApiResult<FormConfig> {
        Ok(self.cached()?.0)
    }

    /// Settings and endpoint ids, from memory when this instance has read them already.
    fn cached(&self) -> ApiResult<(FormConfig, Vec<String>)> {
        if let Some(hit) = self.cache.borrow().as_ref() {
            return Ok(hit.clone());
        }
        let config: FormConfig = load_settings(&self.state.storage().sql())?
            .ok_or_else(|| ApiError::new(404, "form_not_found", "no form with this id"))?;
        let ids: Vec<IdRow> = self
            .state
            .storage()
            .sql()
            .exec("SELECT id FROM endpoints ORDER BY id", None)?
            .to_array()?;
        let entry = (config, ids.into_iter().map(|r| r.id).collect::<Vec<_>>());
        *self.cache.borrow_mut() = Some(entry.clone());
        Ok(entry)
    }

    /// Sets the alarm to run now unless this instance already set one.
    async fn wake(&self) -> ApiResult<()> {
        if !self.alarm_set.get() {
            self.state.storage().set_alarm(0).await?;
            self.alarm_set.set(true);
        }
        Ok(())
    }

    fn save_config(&self, config: &FormConfig) -> ApiResult<()> {
        self.cache.borrow_mut().take();
        save_settings(&self.state.storage().sql(), config)
    }

    async fn init(&self, req: &mut Request) -> ApiResult {
        let body = read_json(req).await?;
        let config: FormConfig = serde_json::from_value(body).map_err(ApiError::internal)?;
        if self.config().is_ok() {
            return Err(ApiError::new(
                409,
                "form_exists",
                "a form with this id already exists",
            ));
        }
        self.create_tables()?;
        self.save_config(&config)?;
        Ok(json_response(201, &config.to_json())?)
    }

    async fn patch(&self, req: &mut Request) -> ApiResult {
        let mut config = self.config()?;
        let body = read_json(req).await?;
        config.apply(&body, false)?;
        self.save_config(&config)?;
        ok(&config.to_json())
    }

    async fn destroy(&self) -> ApiResult {
        self.config()?;
        let ids = self.endpoint_ids()?;
        self.cache.borrow_mut().take();
        self.state.storage().delete_alarm().await?;
        self.state.storage().delete_all().await?;
        self.cache.borrow_mut().take();
        ok(&json!({ "endpoint_ids": ids }))
    }

    fn endpoint_ids(&self) -> ApiResult<Vec<String>> {
        Ok(self.cached()?.1)
    }

    fn add_endpoint(&self, id: &str) -> ApiResult {
        self.config()?;
        self.state.storage().sql().exec(
            "INSERT OR IGNORE INTO endpoints(id) VALUES (?)",
            vec![id.into()],
        )?;
        self.cache.borrow_mut().take();
        ok(&json!({ "ok": true }))
    }

    fn remove_endpoint(&self, id: &str) -> ApiResult {
        self.config()?;
        self.cache.borrow_mut().take();
        let sql = self.state.storage().sql();
        sql.exec("DELETE FROM endpoints WHERE id = ?", vec![id.into()])?;
        sql.exec("DELETE FROM outbox WHERE endpoint_id = ?", vec![id.into()])?;
        ok(&json!({ "ok": true }))
    }

    /// Counts a submission from `ip`; `Err(seconds to wait)` once the minute's budget is spent.
    fn rate_check(&self, ip: &str, per_minute: u32, now: i64) -> core::result::Result<(), i64> {
        if per_minute == 0 || ip.is_empty() {
            return Ok(());
        }
        let minute = now / 60_000;
        let mut rate = self.rate.borrow_mut();
        if rate.len() > 10_000 {
            rate.retain(|_, (m, _)| *m == minute);
        }
        let entry = rate.entry(ip.to_string()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= per_minute {
            return Err(((minute + 1) * 60_000 - now + 999) / 1000);
        }
        entry.1 += 1;
        Ok(())
    }

    async fn ingest(&self, req: &mut Request) -> ApiResult {
        let config = self.config()?;
        let header = |name: &str| {
            req.headers()
                .get(name)
                .ok()
                .flatten()
                .filter(|v| !v.is_empty())
        };
        let content_type = header("x-fh-content-type").unwrap_or_default();
        let origin = header("x-fh-origin");
        let meta = Meta {
            ip: header("x-fh-ip"),
            country: header("x-fh-country"),
            user_agent: header("x-fh-user-agent"),
            referer: header("x-fh-referer"),
        };
        if let Some(origin) = &origin {
            if !formhook::ingest::origin_allowed(origin, &config.allowed_origins) {
                return Err(ApiError::new(
                    403,
                    "origin_not_allowed",
                    format!("submissions from {origin} are not allowed for this form"),
                ));
            }
        }
        let now = now_ms();
        if let Err(wait) = self.rate_check(
            meta.ip.as_deref().unwrap_or(""),
            config.rate_limit_per_minute,
            now,
        ) {
            return Err(ApiError::new(
                429,
                "rate_limited",
                format!("too many submissions from this address; retry in {wait} s"),
            ));
        }
        let body = req.bytes().await?;
        let limits = Limits {
            max_body_bytes: usize::try_from(config.max_body_bytes).unwrap_or(usize::MAX),
            max_file_bytes: usize::try_from(config.max_body_bytes)
                .unwrap_or(usize::MAX)
                .min(MAX_STORED_FILE_BYTES),
            ..Limits::default()
        };
        let mut form = parse(&content_type, &body, &limits)
            .map_err(|e| ApiError::new(e.http_status(), e.code(), e.message()))?;
        let spam = formhook::ingest::take_honeypot(&mut form.fields, &config.honeypot_field);

        let id = new_id("sub")?;
        let message_id = new_id("msg")?;
        let files: Vec<StoredFile> = form
            .files
            .iter()
            .map(|info| StoredFile {
                info: info.clone(),
                stored: config.keep_files,
            })
            .collect();
        let data = Value::Object(form.fields).to_string();
        // A stored row holds at most 2 MB: refuse what cannot be kept rather than fail after.
        if data.len() > MAX_STORED_FIELDS_BYTES {
            return Err(ApiError::new(
                413,
                "fields_too_large",
                format!(
                    "the form's fields take {} bytes; at most {MAX_STORED_FIELDS_BYTES} are stored",
                    data.len()
                ),
            ));
        }
        let sql = self.state.storage().sql();
        // Every write below runs without an await in between: the runtime commits them together.
        sql.exec(
            "INSERT INTO submissions(id, message_id, created_ms, spam, data, files, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                id.as_str().into(),
                message_id.as_str().into(),
                now.into(),
                i64::from(spam).into(),
                data.into(),
                serde_json::to_string(&files).map_err(ApiError::internal)?.into(),
                serde_json::to_string(&meta).map_err(ApiError::internal)?.into(),
            ],
        )?;
        if config.keep_files {
            for (idx, info) in form.files.iter().enumerate() {
                let bytes = body.get(info.range.clone()).unwrap_or_default().to_vec();
                sql.exec(
                    "INSERT INTO files(submission_id, idx, bytes) VALUES (?, ?, ?)",
                    vec![id.as_str().into(), (idx as i64).into(), bytes.into()],
                )?;
            }
        }
        let mut queued = 0;
        if !spam || config.deliver_spam {
            let job =
                json!({"kind": "submission", "submission_id": id, "key": format!("sub:{id}")});
            queued = self.queue_for_all(&job, None, now)?;
        }
        if queued > 0 {
            self.wake().await?;
        }
        Ok(json_response(
            201,
            &json!({"ok": true, "id": id, "spam": spam, "message_id": message_id, "redirect_url": config.redirect_url}),
        )?)
    }

    /// Adds an outbox row per endpoint (but `except`); returns how many.
    fn queue_for_all(&self, job: &Value, except: Option<&str>, now: i64) -> ApiResult<usize> {
        let sql = self.state.storage().sql();
        let mut n = 0;
        for endpoint in self.endpoint_ids()? {
            if Some(endpoint.as_str()) == except {
                continue;
            }
            sql.exec(
                "INSERT INTO outbox(endpoint_id, job, next_ms) VALUES (?, ?, ?)",
                vec![endpoint.into(), job.to_string().into(), now.into()],
            )?;
            n += 1;
        }
        Ok(n)
    }

    fn submission_row(&self, id: &str) -> ApiResult<SubmissionRow> {
        let rows: Vec<SubmissionRow> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT id, message_id, created_ms, spam, data, files, meta FROM submissions WHERE id = ?",
                vec![id.into()],
            )?
            .to_array()?;
        rows.into_iter()
            .next()
            .ok_or_else(|| ApiError::new(404, "submission_not_found", "no submission with this id"))
    }

    fn submission_json(&self, row: &SubmissionRow) -> Value {
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
        json!({
            "id": row.id,
            "form_id": self.state.id().name().unwrap_or_default(),
            "created_at": iso(row.created_ms),
            "created_ms": row.created_ms,
            "spam": row.spam != 0,
            "message_id": row.message_id,
            "data": parse(&row.data),
            "files": parse(&row.files),
            "meta": parse(&row.meta),
        })
    }

    fn list_submissions(&self, req: &Request) -> ApiResult {
        self.config()?;
        let paging = Paging::of(req)?;
        let rows: Vec<SubmissionRow> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT id, message_id, created_ms, spam, data, files, meta FROM submissions
                 WHERE id < ? ORDER BY id DESC LIMIT ?",
                vec![paging.cursor.as_str().into(), paging.fetch().into()],
            )?
            .to_array()?;
        paging.page(&rows, |r| self.submission_json(r))
    }

    fn get_submission(&self, id: &str) -> ApiResult {
        let row = self.submission_row(id)?;
        ok(&self.submission_json(&row))
    }

    fn get_file(&self, id: &str, idx: &str) -> ApiResult {
        let row = self.submission_row(id)?;
        let files: Vec<StoredFile> =
            serde_json::from_str(&row.files).map_err(ApiError::internal)?;
        let not_found = || ApiError::new(404, "file_not_found", "no stored file at this index");
        let index: usize = idx.parse().map_err(|_| not_found())?;
        let file = files.get(index).ok_or_else(not_found)?;
        let rows: Vec<FileRow> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT bytes FROM files WHERE submission_id = ? AND idx = ?",
                vec![id.into(), (index as i64).into()],
            )?
            .to_array()?;
        let bytes = rows.into_iter().next().ok_or_else(not_found)?.bytes;
        let mut resp = Response::from_bytes(bytes)?;
        resp.headers_mut()
            .set("content-type", &file.info.content_type)?;
        resp.headers_mut().set(
            "content-disposition",
            &format!(
                "attachment; filename=\"{}\"",
                file.info.filename.replace(['"', '\\', '\r', '\n'], "_")
            ),
        )?;
        Ok(resp)
    }

    async fn replay(&self, id: &str, req: &mut Request) -> ApiResult {
        self.submission_row(id)?;
        let body = read_json(req).await?;
        let targets = match body.get("endpoint_id") {
            None | Some(Value::Null) => self.endpoint_ids()?,
            Some(Value::String(endpoint)) => {
                if !self.endpoint_ids()?.contains(endpoint) {
                    return Err(ApiError::new(
                        404,
                        "endpoint_not_found",
                        "no endpoint with this id on this form",
                    ));
                }
                vec![endpoint.clone()]
            }
            Some(_) => return Err(ApiError::field("endpoint_id", "must be a string")),
        };
        let now = now_ms();
        let replay_id = new_id("rpl")?;
        let job = json!({"kind": "submission", "submission_id": id, "key": format!("replay:{replay_id}"), "replay": true});
        let sql = self.state.storage().sql();
        for endpoint in &targets {
            sql.exec(
                "INSERT INTO outbox(endpoint_id, job, next_ms) VALUES (?, ?, ?)",
                vec![endpoint.as_str().into(), job.to_string().into(), now.into()],
            )?;
        }
        if !targets.is_empty() {
            self.wake().await?;
        }
        Ok(json_response(202, &json!({"endpoints": targets}))?)
    }

    /// An endpoint was disabled: tell the form's other endpoints (those subscribed to it).
    async fn emit_disabled(&self, req: &mut Request) -> ApiResult {
        let body = read_json(req).await?;
        let endpoint_id = body["endpoint_id"].as_str().unwrap_or_default().to_string();
        let reason = body["reason"].as_str().unwrap_or_default().to_string();
        let form_id = self.config()?.id;
        let now = now_ms();
        let message_id = new_id("msg")?;
        let payload = endpoint_disabled_payload(&message_id, &endpoint_id, &form_id, &reason, now);
        let job = json!({
            "kind": "event",
            "event_type": "endpoint.disabled",
            "message_id": message_id,
            "key": format!("event:{message_id}"),
            "payload": String::from_utf8_lossy(&payload),
        });
        if self.queue_for_all(&job, Some(&endpoint_id), now)? > 0 {
            self.wake().await?;
        }
        ok(&json!({"ok": true}))
    }

    /// After a restart: re-arm the alarm if work is waiting; returns the endpoint ids, which the
    /// caller pokes in turn.
    async fn recover(&self) -> ApiResult {
        let ids = self.endpoint_ids()?;
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        let pending: Vec<Count> = self
            .state
            .storage()
            .sql()
            .exec("SELECT COUNT(*) AS n FROM outbox", None)?
            .to_array()?;
        let waiting = pending.first().map_or(0, |c| c.n);
        if waiting > 0 && self.state.storage().get_alarm().await?.is_none() {
            self.state.storage().set_alarm(0).await?;
            self.alarm_set.set(true);
        }
        ok(&json!({"endpoint_ids": ids, "outbox": waiting}))
    }

    /// The message a queue receives for one outbox row.
    fn job_message(&self, job: &Value, config: &FormConfig) -> ApiResult<Option<Value>> {
        if job["kind"] != "submission" {
            return Ok(Some(job.clone()));
        }
        let Ok(row) = self.submission_row(job["submission_id"].as_str().unwrap_or_default()) else {
            return Ok(None);
        };
        let files: Vec<StoredFile> =
            serde_json::from_str(&row.files).map_err(ApiError::internal)?;
        Ok(Some(json!({
            "kind": "submission",
            "event_type": "form.submission.created",
            "key": job["key"],
            "replay": job["replay"].as_bool().unwrap_or(false),
            "message_id": row.message_id,
            "submission": {
                "id": row.id,
                "form_id": config.id,
                "form_name": config.name,
                "created_ms": row.created_ms,
                "data": serde_json::from_str::<Value>(&row.data).unwrap_or(Value::Object(Map::new())),
                "files": files.into_iter().map(|f| f.info).collect::<Vec<_>>(),
                "meta": serde_json::from_str::<Value>(&row.meta).unwrap_or(Value::Null),
            },
        })))
    }

    /// Hands due outbox rows to their endpoint queues, one call per endpoint per batch;
    /// failures back off and stay queued.
    async fn drain_outbox(&self) -> ApiResult<()> {
        let Ok(config) = self.config() else {
            return Ok(());
        };
        let sql = self.state.storage().sql();
        let now = now_ms();
        let rows: Vec<OutboxRow> = sql
            .exec(
                "SELECT id, endpoint_id, job, attempts FROM outbox WHERE next_ms <= ? ORDER BY id LIMIT ?",
                vec![now.into(), OUTBOX_BATCH.into()],
            )?
            .to_array()?;
        let mut by_endpoint: Vec<(String, Vec<&OutboxRow>, Vec<Value>)> = Vec::new();
        let mut batch_bytes = 0;
        for row in &rows {
            let job: Value = serde_json::from_str(&row.job).unwrap_or(Value::Null);
            let message = self.job_message(&job, &config)?;
            // Keep each run's calls small; what is left stays due and runs next.
            batch_bytes += message.as_ref().map_or(0, |m| m.to_string().len());
            if batch_bytes > MAX_BATCH_BYTES && !by_endpoint.is_empty() {
                break;
            }
            let slot = match by_endpoint
                .iter()
                .position(|(e, _, _)| *e == row.endpoint_id)
            {
                Some(i) => i,
                None => {
                    by_endpoint.push((row.endpoint_id.clone(), Vec::new(), Vec::new()));
                    by_endpoint.len() - 1
                }
            };
            if let Some((_, rows, messages)) = by_endpoint.get_mut(slot) {
                rows.push(row);
                // A submission deleted since (form reset) has nothing left to deliver.
                if let Some(message) = message {
                    messages.push(message);
                }
            }
        }
        let namespace = self.env.durable_object("ENDPOINTS")?;
        for chunk in by_endpoint.chunks(OUTBOX_PARALLEL) {
            let mut calls = Vec::new();
            for (endpoint_id, _, messages) in chunk {
                let stub = namespace.id_from_name(endpoint_id)?.get_stub()?;
                let body = json!({ "jobs": messages });
                calls.push(async move {
                    if messages.is_empty() {
                        return true;
                    }
                    match call(&stub, Method::Post, "/enqueue", Some(&body)).await {
                        // 404: the endpoint was deleted; its rows are void.
                        Ok(resp) => resp.status_code() < 300 || resp.status_code() == 404,
                        Err(_) => false,
                    }
                });
            }
            let results = join_all(calls).await;
            for ((_, rows, _), done) in chunk.iter().zip(results) {
                for row in rows {
                    if done {
                        sql.exec("DELETE FROM outbox WHERE id = ?", vec![row.id.into()])?;
                    } else {
                        let backoff = (1000_i64 << row.attempts.clamp(0, 6)).min(60_000);
                        sql.exec(
                            "UPDATE outbox SET attempts = attempts + 1, next_ms = ? WHERE id = ?",
                            vec![(now_ms() + backoff).into(), row.id.into()],
                        )?;
                    }
                }
            }
        }
        #[derive(Deserialize)]
        struct Next {
            next: Option<i64>,
        }
        let next: Vec<Next> = sql
            .exec("SELECT MIN(next_ms) AS next FROM outbox", None)?
            .to_array()?;
        if let Some(at) = next.first().and_then(|n| n.next) {
            self.state
                .storage()
                .set_alarm((at - now_ms()).max(0))
                .await?;
            self.alarm_set.set(true);
        }
        Ok(())
    }
}
