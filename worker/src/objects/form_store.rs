//! `FormStore`: one Durable Object per form. Holds the form's settings, its endpoint ids, every
//! submission (file bytes go to R2: see `uploads`) and an outbox of events still to hand to
//! endpoint queues.
//!
//! A submission and its outbox rows are written in one synchronous run of SQL statements, which
//! the runtime commits atomically before the response leaves, so an accepted submission is never
//! lost; the outbox is drained by this object's alarm and re-armed by `RecoverForm` after a
//! restart.

mod uploads;

use std::cell::{Cell, RefCell};

use formhook::captcha::Decision;
use formhook::duplicate;
use formhook::form::{parse, Limits};
use formhook::ingest::{origin_allowed, take_honeypot, SpamReason};
use formhook::quota::{check_storage, FormCeiling, FormLimit};
use formhook::rate::RateLimiter;
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::error::{ApiError, ApiResult};
use crate::objects::finish;
use crate::platform::{new_id, now_ms, now_u64};
use crate::protocol::{
    AddEndpoint, Call, DeleteForm, DeleteSubmission, DisabledEvent, Done, EndpointDisabled,
    Enqueue, Event, FormRecovered, GetForm, GetSubmission, IngestAnswer, IngestRequest, InitForm,
    Job, ListSubmissions, MarkNotSpam, PageQuery, PatchForm, RecoverForm, RemoveEndpoint,
    ReplaySubmission, SubmissionColumns, SubmissionFilter, INGEST_PATH,
};
use crate::rpc::{self, read, reply};
use crate::settings::FormSettings;
use crate::storage::{int, Db, KV_TABLE};
use crate::views::{iso, FileView, FormView, Page, Released, Replayed, SubmissionView};

/// New submissions reach the endpoints through per-endpoint marks, not outbox rows.
#[path = "form_handoff.rs"]
mod handoff;

/// A form's ingest spread over several objects.
#[path = "form_shards.rs"]
mod shards;

/// Outbox rows handed to endpoint queues per alarm run, and how many calls at once (the runtime
/// allows six simultaneous outbound connections per invocation).
const OUTBOX_BATCH: i64 = 500;
const OUTBOX_PARALLEL: usize = 6;
/// Upper bound on the event data handed to endpoint queues per alarm run.
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Largest serialized field data kept in one submission row (leaves room for the envelope when
/// the payload is stored with each delivery).
const MAX_STORED_FIELDS_BYTES: usize = 1_800_000;

/// The `spam` column: 0 for a submission that is not spam, else the code of its reason. Rows
/// written before reasons were recorded hold 1, the honeypot's code (the only reason then).
fn spam_code(reason: Option<SpamReason>) -> i64 {
    match reason {
        None => 0,
        Some(SpamReason::Honeypot) => 1,
        Some(SpamReason::CaptchaFailed) => 2,
        Some(SpamReason::CaptchaUnavailable) => 3,
    }
}

/// The inverse of [`spam_code`]; an unknown non-zero code still reads as spam.
fn spam_reason(code: i64) -> Option<SpamReason> {
    match code {
        0 => None,
        2 => Some(SpamReason::CaptchaFailed),
        3 => Some(SpamReason::CaptchaUnavailable),
        _ => Some(SpamReason::Honeypot),
    }
}

mod privacy;

const SCHEMA: [&str; 7] = [
    KV_TABLE,
    "CREATE TABLE IF NOT EXISTS endpoints(id TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS submissions(id TEXT PRIMARY KEY, message_id TEXT NOT NULL,
       created_ms INTEGER NOT NULL, spam INTEGER NOT NULL, data TEXT NOT NULL,
       files TEXT NOT NULL, meta TEXT NOT NULL)",
    uploads::UPLOADS_TABLE,
    "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY AUTOINCREMENT,
       endpoint_id TEXT NOT NULL, item TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
       next_ms INTEGER NOT NULL)",
    // Recent posts by their duplicate fingerprint (see the core's `duplicate`), each kept for
    // the form's `duplicate_window_seconds`, pruned by the alarm. Tables keyed by text are
    // `WITHOUT ROWID` (from this version on; older objects keep theirs): a write is one row,
    // not a row and its key's index.
    "CREATE TABLE IF NOT EXISTS recent_posts(fingerprint TEXT PRIMARY KEY,
       submission_id TEXT NOT NULL, spam INTEGER NOT NULL, first_ms INTEGER NOT NULL) WITHOUT ROWID",
    privacy::ERASURES_TABLE,
];

/// What an outbox row hands on: a stored submission (read when handed on, so the row stays
/// small), or an event built already.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum OutboxItem {
    Submission {
        submission_id: String,
        key: String,
        replay: bool,
    },
    Ready(Box<Job>),
}

#[derive(Deserialize)]
struct SubmissionRow {
    id: String,
    message_id: String,
    created_ms: i64,
    spam: i64,
    data: String,
    files: String,
    meta: String,
}

const SUBMISSION_COLUMNS: &str = "id, message_id, created_ms, spam, data, files, meta";

#[derive(Serialize, Deserialize, Clone)]
struct StoredFile {
    #[serde(flatten)]
    info: formhook::form::FileInfo,
    /// Whether the bytes are in R2.
    stored: bool,
    /// The worker's public origin at ingest, which links to the file start with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
}

#[derive(Deserialize)]
struct OutboxRow {
    id: i64,
    endpoint_id: String,
    item: String,
    attempts: i64,
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

#[derive(Deserialize)]
struct NextRow {
    next: Option<i64>,
}

/// The SQL conditions (each starting with ` AND`) and their bindings that select the
/// submissions of a list: spam or not, received in a time window, holding a text in a field
/// value (at any depth of a JSON body) or a file name.
fn submission_filter(
    spam: Option<bool>,
    filter: &SubmissionFilter,
) -> (String, Vec<worker::SqlStorageValue>) {
    let mut sql = String::new();
    let mut bindings = Vec::new();
    match spam {
        None => {}
        Some(true) => sql.push_str(" AND spam != 0"),
        Some(false) => sql.push_str(" AND spam = 0"),
    }
    if let Some(since) = filter.since_ms {
        sql.push_str(" AND created_ms >= ?");
        bindings.push(since.into());
    }
    if let Some(until) = filter.until_ms {
        sql.push_str(" AND created_ms < ?");
        bindings.push(until.into());
    }
    if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
        // instr, not LIKE: the text is matched as typed, `%` and `_` included.
        sql.push_str(
            " AND (EXISTS (SELECT 1 FROM json_tree(submissions.data) AS t
                 WHERE t.atom IS NOT NULL AND instr(lower(t.atom), lower(?)) > 0)
               OR EXISTS (SELECT 1 FROM json_each(submissions.files) AS f
                 WHERE instr(lower(json_extract(f.value, '$.filename')), lower(?)) > 0))",
        );
        bindings.push(q.into());
        bindings.push(q.into());
    }
    (sql, bindings)
}

#[derive(Deserialize)]
struct RecentPost {
    submission_id: String,
    spam: i64,
    first_ms: i64,
}

/// A form-wide limit as the API's error, with `Retry-After` for the rate ceiling.
fn limit_error(limit: FormLimit) -> ApiError {
    let mut err = ApiError::new(limit.status(), limit.code(), limit.message());
    err.retry_after_secs = limit.retry_after_secs();
    err
}

/// One form's object.
#[durable_object]
pub struct FormStore {
    state: State,
    env: Env,
    db: Db,
    /// Per-client submission counts. In memory on purpose: a restart forgets them, which only
    /// ever lets a client through.
    rate: RefCell<RateLimiter>,
    /// Submissions this minute from all clients (in memory, like `rate`).
    ceiling: Cell<FormCeiling>,
    /// Bytes of submissions and files stored, summed from storage once per instance and kept
    /// up to date by `ingest` (the only writer that adds).
    stored_bytes: Cell<Option<u64>>,
    /// This object is the only writer of its storage, so settings and endpoint ids read once
    /// stay valid until it changes them (every change clears this).
    cache: RefCell<Option<(FormSettings, Vec<String>)>>,
    /// When the alarm this instance set runs (Unix ms), so a burst of submissions sets it
    /// once; a later one (a backoff, the retention's next pass) is brought forward.
    alarm_at: Cell<Option<i64>>,
    /// The highest hand-off mark (`rowid`) of any endpoint, known once marks were read.
    highest_mark: Cell<i64>,
    /// Marks moved since they were last saved (see `handoff::MARK_SAVE_MS`).
    unsaved_marks: RefCell<Vec<(String, handoff::Mark)>>,
    /// When marks were last saved (Unix ms; 0: not by this instance).
    marks_saved_at: Cell<i64>,
    /// When to forget expired recent posts next (`None`: not known yet, prune on the next
    /// run; `i64::MAX`: none is kept), so alarm runs do not read the table each time.
    prune_at: Cell<Option<i64>>,
}

impl DurableObject for FormStore {
    fn new(state: State, env: Env) -> Self {
        // Tables are created by `InitForm` only: posting to an unknown form id stores nothing.
        let db = Db::new(state.storage().sql());
        Self {
            state,
            env,
            db,
            rate: RefCell::new(RateLimiter::new()),
            ceiling: Cell::new(FormCeiling::new()),
            stored_bytes: Cell::new(None),
            cache: RefCell::new(None),
            alarm_at: Cell::new(None),
            highest_mark: Cell::new(0),
            unsaved_marks: RefCell::new(Vec::new()),
            marks_saved_at: Cell::new(0),
            prune_at: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if let Some(counts) = crate::objects::count_request(self.db.work(), &req) {
            return counts;
        }
        let result = self.route(&mut req).await;
        finish("form_store", &req, result)
    }

    async fn alarm(&self) -> Result<Response> {
        self.db.work().request();
        // Rows added from now on need another run: let the next submission set the alarm again.
        self.alarm_at.set(None);
        crate::objects::finish_alarm("form_store", &self.state, self.run_alarm().await).await
    }
}

impl FormStore {
    async fn route(&self, req: &mut Request) -> ApiResult<Response> {
        match req.path().as_str() {
            INGEST_PATH => {
                let framed = req.bytes().await?;
                reply(self.ingest(IngestRequest::decode(framed)?).await)
            }
            InitForm::PATH => reply(self.init(read(req).await?).await),
            GetForm::PATH => reply(self.get(read(req).await?)),
            PatchForm::PATH => reply(self.patch(read(req).await?).await),
            DeleteForm::PATH => reply(self.delete_form(read(req).await?).await),
            DeleteSubmission::PATH => reply(self.delete_submission(read(req).await?).await),
            AddEndpoint::PATH => reply(self.add_endpoint(read(req).await?).await),
            RemoveEndpoint::PATH => reply(self.remove_endpoint(read(req).await?)),
            ListSubmissions::PATH => reply(self.list_submissions(read(req).await?)),
            SubmissionColumns::PATH => reply(self.submission_columns(read(req).await?)),
            MarkNotSpam::PATH => reply(self.mark_not_spam(read(req).await?).await),
            GetSubmission::PATH => reply(self.get_submission(read(req).await?)),
            ReplaySubmission::PATH => reply(self.replay(read(req).await?).await),
            EndpointDisabled::PATH => reply(self.endpoint_disabled(read(req).await?).await),
            RecoverForm::PATH => reply(self.recover(read(req).await?).await),
            crate::protocol::SyncShards::PATH => {
                read::<crate::protocol::SyncShards>(req).await?;
                reply(self.sync_shards().await)
            }
            crate::protocol::TakeShard::PATH => reply(self.take_shard(read(req).await?)),
            _ => Err(ApiError::no_route()),
        }
    }

    /// Settings and endpoint ids, from memory when this instance has read them already.
    fn cached(&self) -> ApiResult<(FormSettings, Vec<String>)> {
        if let Some(hit) = self.cache.borrow().as_ref() {
            return Ok(hit.clone());
        }
        let settings: FormSettings = self
            .db
            .load_settings()?
            .ok_or_else(ApiError::form_not_found)?;
        // A form being erased is gone for every caller.
        if self.erasing_form()?.is_some() {
            return Err(ApiError::form_not_found());
        }
        self.db.ensure(&SCHEMA)?;
        let ids: Vec<IdRow> = self
            .db
            .rows("SELECT id FROM endpoints ORDER BY id", vec![])?;
        let entry = (settings, ids.into_iter().map(|r| r.id).collect::<Vec<_>>());
        self.ensure_marks(&entry.1)?;
        *self.cache.borrow_mut() = Some(entry.clone());
        Ok(entry)
    }

    fn settings(&self) -> ApiResult<FormSettings> {
        Ok(self.cached()?.0)
    }

    fn endpoint_ids(&self) -> ApiResult<Vec<String>> {
        Ok(self.cached()?.1)
    }

    fn view(&self) -> ApiResult<FormView> {
        let (settings, ids) = self.cached()?;
        Ok(FormView::of(&settings, ids))
    }

    fn save(&self, settings: &FormSettings) -> ApiResult<()> {
        self.cache.borrow_mut().take();
        self.db.save_settings(settings)
    }

    /// Sets the alarm to run now unless this instance already set one that runs by now.
    async fn wake(&self) -> ApiResult<()> {
        if self.alarm_at.get().is_none_or(|at| at > now_ms()) {
            self.state.storage().set_alarm(0).await?;
            self.db.work().alarm_set();
            self.alarm_at.set(Some(now_ms()));
        }
        Ok(())
    }

    async fn init(&self, call: InitForm) -> ApiResult<FormView> {
        // The id was claimed in the registry again, so an erasure of an older form under it got
        // as far as releasing the id: only this object's own storage is left to clear.
        if self.erasing_form()?.is_some() {
            self.state.storage().delete_all().await?;
            self.db.reset();
            self.cache.borrow_mut().take();
        }
        if self.db.load_settings::<FormSettings>()?.is_some() {
            return Err(ApiError::new(
                409,
                "form_exists",
                "a form with this id already exists",
            ));
        }
        self.db.ensure(&SCHEMA)?;
        self.save(&call.settings)?;
        self.view()
    }

    fn get(&self, _: GetForm) -> ApiResult<FormView> {
        self.view()
    }

    async fn patch(&self, call: PatchForm) -> ApiResult<FormView> {
        let mut settings = self.settings()?;
        let retention_before = settings.retention_days;
        settings.apply(call.fields)?;
        self.save(&settings)?;
        if settings.retention_days != retention_before {
            // The alarm removes what is now too old and tells the endpoints.
            self.state.storage().set_alarm(0).await?;
            self.alarm_at.set(Some(now_ms()));
        }
        self.view()
    }

    async fn add_endpoint(&self, call: AddEndpoint) -> ApiResult<Done> {
        let settings = self.settings()?;
        self.db.exec(
            "INSERT OR IGNORE INTO endpoints(id) VALUES (?)",
            vec![call.endpoint_id.as_str().into()],
        )?;
        // It gets what arrives from now on.
        self.ensure_marks(&[call.endpoint_id])?;
        self.cache.borrow_mut().take();
        // A new endpoint hears the form's retention from the next alarm run.
        self.forget_retention_told()?;
        if settings.retention_days > 0 {
            self.state.storage().set_alarm(0).await?;
            self.alarm_at.set(Some(now_ms()));
        }
        Ok(Done {})
    }

    fn remove_endpoint(&self, call: RemoveEndpoint) -> ApiResult<Done> {
        self.settings()?;
        self.cache.borrow_mut().take();
        let id = call.endpoint_id;
        self.db.exec(
            "DELETE FROM endpoints WHERE id = ?",
            vec![id.as_str().into()],
        )?;
        self.forget_mark(&id)?;
        self.db
            .exec("DELETE FROM outbox WHERE endpoint_id = ?", vec![id.into()])?;
        Ok(Done {})
    }

    async fn ingest(&self, request: IngestRequest) -> ApiResult<IngestAnswer> {
        let settings = self.settings()?;
        let IngestRequest { context, body } = request;
        let mut meta = context.meta;
        // Only this object's own check writes a verdict.
        meta.captcha = None;
        if let Some(origin) = &context.origin {
            if !origin_allowed(origin, &settings.allowed_origins) {
                return Err(ApiError::new(
                    403,
                    "origin_not_allowed",
                    format!("submissions from {origin} are not allowed for this form"),
                ));
            }
        }
        let now = now_ms();
        let client = meta.ip.as_deref().unwrap_or("");
        if let Err(limited) =
            self.rate
                .borrow_mut()
                .admit(client, settings.rate_limit_per_minute, now_u64())
        {
            let mut err = ApiError::new(429, limited.code(), limited.to_string())
                .with_limit(u64::from(settings.rate_limit_per_minute));
            err.retry_after_secs = Some(limited.retry_after_secs);
            return Err(err);
        }
        let mut ceiling = self.ceiling.get();
        let admitted = ceiling.admit(settings.max_submissions_per_minute, now_u64());
        self.ceiling.set(ceiling);
        admitted.map_err(|limit| {
            limit_error(limit).with_limit(u64::from(settings.max_submissions_per_minute))
        })?;
        let max_body = usize::try_from(settings.max_body_bytes).unwrap_or(usize::MAX);
        let limits = Limits {
            max_body_bytes: max_body,
            max_file_bytes: usize::try_from(settings.max_file_bytes).unwrap_or(usize::MAX),
            default_charset: settings
                .charset
                .as_deref()
                .and_then(formhook::form::Charset::from_label)
                .unwrap_or(formhook::form::Charset::UTF_8),
            ..Limits::default()
        };
        let mut form = parse(&context.content_type, &body, &limits).map_err(|err| {
            let limit = match err {
                formhook::form::FormError::BodyTooLarge => Some(limits.max_body_bytes),
                formhook::form::FormError::FileTooLarge => Some(limits.max_file_bytes),
                _ => None,
            };
            let err = ApiError::from(err);
            match limit {
                Some(limit) => err.with_limit(limit as u64),
                None => err,
            }
        })?;
        // The same post from the same client within the form's window (a double-click) is
        // answered with the first one's result and stored once. Fingerprinted as parsed: a
        // double-click repeats the honeypot and the captcha token too.
        let fingerprint = (settings.duplicate_window_seconds > 0)
            .then(|| duplicate::fingerprint(client, &form.fields, &form.files));
        if let Some(first) = fingerprint
            .as_deref()
            .map(|f| self.first_post(f, now, &settings))
            .transpose()?
            .flatten()
        {
            return Ok(first);
        }
        // A legacy page's bytes were decoded from its charset: the event says which.
        meta.charset = (form.charset != formhook::form::Charset::UTF_8)
            .then(|| form.charset.name().to_string());
        let honeypot = take_honeypot(&mut form.fields, &settings.honeypot_field);
        let mut spam_reason = honeypot.then_some(SpamReason::Honeypot);
        // The captcha is checked before anything is stored; a refusal stores nothing.
        if let Some(captcha) = &settings.captcha {
            let remote_ip = meta.ip.as_deref().filter(|ip| *ip != "unknown");
            match crate::captcha::check(
                &self.env,
                &settings.id,
                captcha,
                &mut form.fields,
                remote_ip,
            )
            .await
            {
                Decision::Store { verdict, spam } => {
                    meta.captcha = Some(verdict);
                    // The honeypot is the surer sign: its reason wins.
                    spam_reason = spam_reason.or(spam);
                }
                Decision::Refuse(refusal) => return Err(refusal.into()),
            }
        }
        let spam = spam_reason.is_some();

        let id = new_id("sub")?;
        let message_id = new_id("msg")?;
        let store_bytes = settings.keep_files && !form.files.is_empty();
        let files: Vec<StoredFile> = form
            .files
            .iter()
            .map(|info| StoredFile {
                info: info.clone(),
                stored: settings.keep_files,
                origin: context
                    .public_origin
                    .clone()
                    .filter(|_| settings.keep_files),
            })
            .collect();
        let data = serde_json::to_string(&form.fields).map_err(ApiError::internal)?;
        // A stored row holds at most 2 MB: refuse what cannot be kept rather than fail after.
        if data.len() > MAX_STORED_FIELDS_BYTES {
            return Err(ApiError::new(
                413,
                "fields_too_large",
                format!(
                    "the form's fields take {} bytes; at most {MAX_STORED_FIELDS_BYTES} are stored",
                    data.len()
                ),
            )
            .with_limit(MAX_STORED_FIELDS_BYTES as u64));
        }
        let files_json = serde_json::to_string(&files).map_err(ApiError::internal)?;
        let meta_json = serde_json::to_string(&meta).map_err(ApiError::internal)?;
        let file_bytes: usize = if settings.keep_files {
            form.files.iter().map(|info| info.range.len()).sum()
        } else {
            0
        };
        let incoming = (data.len() + files_json.len() + meta_json.len() + file_bytes) as u64;
        check_storage(self.stored_bytes()?, incoming, settings.storage_quota_bytes)
            .map_err(limit_error)?;
        if store_bytes {
            self.store_files(&settings.id, &id, &form.files, &body)
                .await?;
        }
        // Other submissions may have been stored while the files were written: check again.
        let used = self.stored_bytes()?;
        let fits = check_storage(used, incoming, settings.storage_quota_bytes).map_err(limit_error);
        // Every write below runs without an await in between: the runtime commits them together.
        let committed = match fits {
            Err(err) => Err(err),
            Ok(()) if store_bytes && !self.finish_upload(&id)? => Err(Self::upload_expired()),
            Ok(()) => Ok(()),
        };
        if let Err(err) = committed {
            if store_bytes {
                self.abandon_upload(&settings.id, &id).await;
            }
            return Err(err);
        }
        #[derive(Deserialize)]
        struct Inserted {
            seq: i64,
        }
        let inserted = self.db.row::<Inserted>(
            &format!(
                "INSERT INTO submissions({SUBMISSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING rowid AS seq"
            ),
            vec![
                id.as_str().into(),
                message_id.as_str().into(),
                now.into(),
                spam_code(spam_reason).into(),
                data.into(),
                files_json.into(),
                meta_json.into(),
            ],
        )?;
        if let Some(inserted) = inserted {
            self.after_insert(inserted.seq)?;
        }
        if let Some(fingerprint) = &fingerprint {
            self.db.exec(
                "INSERT OR REPLACE INTO recent_posts(fingerprint, submission_id, spam, first_ms)
                 VALUES (?, ?, ?, ?)",
                vec![
                    fingerprint.as_str().into(),
                    id.as_str().into(),
                    i64::from(spam).into(),
                    now.into(),
                ],
            )?;
        }
        self.stored_bytes.set(Some(used.saturating_add(incoming)));
        // Handed on by the alarm past each endpoint's mark (`handoff`): no outbox row.
        if (!spam || settings.deliver_spam) && !self.endpoint_ids()?.is_empty() {
            self.wake().await?;
        }
        if fingerprint.is_some() {
            let expires = duplicate::expires_at(
                u64::try_from(now).unwrap_or(0),
                settings.duplicate_window_seconds,
            );
            if self.prune_at.get() == Some(i64::MAX) {
                // The table was empty: this post is the oldest.
                self.prune_at
                    .set(Some(i64::try_from(expires).unwrap_or(i64::MAX)));
            }
            self.arm_by(i64::try_from(expires).unwrap_or(i64::MAX))
                .await?;
        }
        Ok(IngestAnswer {
            id,
            spam,
            redirect_url: settings.redirect_url,
        })
    }

    /// The answer a post with `fingerprint` got, if it came within the form's duplicate window.
    fn first_post(
        &self,
        fingerprint: &str,
        now: i64,
        settings: &FormSettings,
    ) -> ApiResult<Option<IngestAnswer>> {
        let Some(first) = self.db.row::<RecentPost>(
            "SELECT submission_id, spam, first_ms FROM recent_posts WHERE fingerprint = ?",
            vec![fingerprint.into()],
        )?
        else {
            return Ok(None);
        };
        let first_ms = u64::try_from(first.first_ms).unwrap_or(0);
        let now_ms = u64::try_from(now).unwrap_or(0);
        if !duplicate::is_duplicate(first_ms, now_ms, settings.duplicate_window_seconds) {
            return Ok(None);
        }
        Ok(Some(IngestAnswer {
            id: first.submission_id,
            spam: first.spam != 0,
            redirect_url: settings.redirect_url.clone(),
        }))
    }

    /// Makes sure the alarm runs by `at` (Unix ms): an alarm known to run sooner stays (every
    /// run prunes recent posts, sweeps uploads and re-arms for what is left), so a burst of
    /// submissions reads and sets it once.
    pub(super) async fn arm_by(&self, at: i64) -> ApiResult<()> {
        if self.alarm_at.get().is_some_and(|set| set <= at) {
            return Ok(());
        }
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(current) if current <= at => self.alarm_at.set(Some(current)),
            _ => {
                storage.set_alarm((at - now_ms()).max(0)).await?;
                self.alarm_at.set(Some(at));
            }
        }
        Ok(())
    }

    /// Forgets recent posts past the form's duplicate window, in one range delete, when the
    /// planned time came (see `duplicate::next_prune_ms`); returns when to prune next (the alarm
    /// run wakes for it).
    fn prune_recent_posts(&self) -> ApiResult<Option<i64>> {
        let Ok(settings) = self.settings() else {
            return Ok(None);
        };
        let now = now_ms();
        match self.prune_at.get() {
            Some(i64::MAX) => return Ok(None),
            Some(at) if at > now => return Ok(Some(at)),
            _ => {}
        }
        let window = settings.duplicate_window_seconds;
        let now_u = u64::try_from(now).unwrap_or(0);
        self.db.exec(
            "DELETE FROM recent_posts WHERE first_ms <= ?",
            vec![int(duplicate::forget_up_to(now_u, window))],
        )?;
        let oldest = self
            .db
            .row::<NextRow>("SELECT MIN(first_ms) AS next FROM recent_posts", vec![])?
            .and_then(|r| r.next)
            .and_then(|ms| u64::try_from(ms).ok());
        let next = duplicate::next_prune_ms(oldest, now_u, window)
            .map(|at| i64::try_from(at).unwrap_or(i64::MAX));
        self.prune_at.set(Some(next.unwrap_or(i64::MAX)));
        Ok(next)
    }

    /// Bytes of stored submissions and files (see `stored_bytes`).
    fn stored_bytes(&self) -> ApiResult<u64> {
        if let Some(bytes) = self.stored_bytes.get() {
            return Ok(bytes);
        }
        let rows = self.db.count(
            "SELECT COALESCE(SUM(length(data) + length(files) + length(meta)), 0) AS n FROM submissions",
            vec![],
        )?;
        // File bytes are in R2; their sizes are in each submission's file list.
        let files = self.db.count(
            "SELECT COALESCE(SUM(json_extract(f.value, '$.size')), 0) AS n
               FROM submissions, json_each(submissions.files) AS f
              WHERE json_extract(f.value, '$.stored')",
            vec![],
        )?;
        let bytes = rows.saturating_add(files);
        self.stored_bytes.set(Some(bytes));
        Ok(bytes)
    }

    /// Adds an outbox row per endpoint (but `except`); returns how many.
    fn queue(&self, item: &OutboxItem, except: Option<&str>, now: i64) -> ApiResult<usize> {
        let text = serde_json::to_string(item).map_err(ApiError::internal)?;
        let mut n = 0;
        for endpoint in self.endpoint_ids()? {
            if Some(endpoint.as_str()) == except {
                continue;
            }
            self.db.exec(
                "INSERT INTO outbox(endpoint_id, item, next_ms) VALUES (?, ?, ?)",
                vec![endpoint.into(), text.as_str().into(), now.into()],
            )?;
            n += 1;
        }
        Ok(n)
    }

    fn submission_row(&self, id: &str) -> ApiResult<SubmissionRow> {
        self.settings()?;
        self.db
            .row(
                &format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?"),
                vec![id.into()],
            )?
            .ok_or_else(|| ApiError::new(404, "submission_not_found", "no submission with this id"))
    }

    fn submission_view(&self, form_id: &str, row: SubmissionRow) -> ApiResult<SubmissionView> {
        let files: Vec<StoredFile> =
            serde_json::from_str(&row.files).map_err(ApiError::internal)?;
        let files = files
            .iter()
            .enumerate()
            .map(|(index, f)| FileView::of(&f.info, f.stored, form_id, &row.id, index))
            .collect();
        Ok(SubmissionView {
            id: row.id,
            form_id: form_id.to_string(),
            created_at: iso(row.created_ms),
            created_ms: row.created_ms,
            spam: row.spam != 0,
            spam_reason: spam_reason(row.spam),
            message_id: row.message_id,
            data: serde_json::from_str(&row.data).map_err(ApiError::internal)?,
            files,
            meta: serde_json::from_str(&row.meta).map_err(ApiError::internal)?,
        })
    }

    fn list_submissions(&self, call: ListSubmissions) -> ApiResult<Page<SubmissionView>> {
        let form_id = self.settings()?.id;
        let PageQuery { limit, cursor } = call.page;
        let (filter, mut bindings) = submission_filter(call.spam, &call.filter);
        // "~" sorts after every id: no cursor means from the newest.
        bindings.insert(0, cursor.unwrap_or_else(|| "~".into()).into());
        bindings.push((i64::from(limit) + 1).into());
        let rows: Vec<SubmissionRow> = self.db.rows(
            &format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id < ?{filter} ORDER BY id DESC LIMIT ?"),
            bindings,
        )?;
        let more = rows.len() > limit as usize;
        let data = rows
            .into_iter()
            .take(limit as usize)
            .map(|row| self.submission_view(&form_id, row))
            .collect::<ApiResult<Vec<_>>>()?;
        let next_cursor = if more {
            data.last().map(|s| s.id.clone())
        } else {
            None
        };
        Ok(Page { data, next_cursor })
    }

    /// Field names of the selected submissions, first seen first (by time, then field order).
    fn submission_columns(&self, call: SubmissionColumns) -> ApiResult<Vec<String>> {
        self.settings()?;
        #[derive(Deserialize)]
        struct NameRow {
            name: String,
        }
        let (filter, bindings) = submission_filter(call.spam, &call.filter);
        let rows: Vec<NameRow> = self.db.rows(
            &format!(
                "SELECT j.key AS name FROM submissions, json_each(submissions.data) AS j
                 WHERE 1{filter} GROUP BY j.key ORDER BY MIN(submissions.created_ms), MIN(j.id)"
            ),
            bindings,
        )?;
        Ok(rows.into_iter().map(|r| r.name).collect())
    }

    fn get_submission(&self, call: GetSubmission) -> ApiResult<SubmissionView> {
        let form_id = self.settings()?.id;
        let row = self.submission_row(&call.id)?;
        self.submission_view(&form_id, row)
    }

    /// Clears a submission's spam mark and hands it to every endpoint with the key of its first
    /// delivery, so an endpoint that already has it (the form delivers spam) stores it once.
    async fn mark_not_spam(&self, call: MarkNotSpam) -> ApiResult<Released> {
        let form_id = self.settings()?.id;
        let row = self.submission_row(&call.id)?;
        let mut endpoints = Vec::new();
        if row.spam != 0 {
            self.db.exec(
                "UPDATE submissions SET spam = 0 WHERE id = ?",
                vec![call.id.as_str().into()],
            )?;
            let item = OutboxItem::Submission {
                submission_id: call.id.clone(),
                key: format!("sub:{}", call.id),
                replay: false,
            };
            if self.queue(&item, None, now_ms())? > 0 {
                endpoints = self.endpoint_ids()?;
                self.wake().await?;
            }
        }
        let row = self.submission_row(&call.id)?;
        Ok(Released {
            submission: self.submission_view(&form_id, row)?,
            endpoints,
        })
    }

    async fn replay(&self, call: ReplaySubmission) -> ApiResult<Replayed> {
        self.submission_row(&call.id)?;
        let all = self.endpoint_ids()?;
        let targets = match call.endpoint_id {
            None => all,
            Some(endpoint) if all.contains(&endpoint) => vec![endpoint],
            Some(_) => return Err(ApiError::endpoint_not_found()),
        };
        let item = OutboxItem::Submission {
            submission_id: call.id,
            key: format!("replay:{}", new_id("rpl")?),
            replay: true,
        };
        let text = serde_json::to_string(&item).map_err(ApiError::internal)?;
        let now = now_ms();
        for endpoint in &targets {
            self.db.exec(
                "INSERT INTO outbox(endpoint_id, item, next_ms) VALUES (?, ?, ?)",
                vec![endpoint.as_str().into(), text.as_str().into(), now.into()],
            )?;
        }
        if !targets.is_empty() {
            self.wake().await?;
        }
        Ok(Replayed { endpoints: targets })
    }

    async fn endpoint_disabled(&self, call: EndpointDisabled) -> ApiResult<Done> {
        let form_id = self.settings()?.id;
        let now = now_ms();
        let message_id = new_id("msg")?;
        let job = Job {
            key: format!("event:{message_id}"),
            message_id,
            replay: false,
            event: Event::EndpointDisabled(DisabledEvent {
                endpoint_id: call.endpoint_id.clone(),
                form_id,
                reason: call.reason,
                at_ms: now,
            }),
        };
        if self.queue(
            &OutboxItem::Ready(Box::new(job)),
            Some(&call.endpoint_id),
            now,
        )? > 0
        {
            self.wake().await?;
        }
        Ok(Done {})
    }

    async fn recover(&self, _: RecoverForm) -> ApiResult<FormRecovered> {
        if let Some(form_id) = self.erasing_form()? {
            // An erasure a crash interrupted: the alarm finishes it.
            if !self.erasure_stopped(&form_id) {
                self.state.storage().set_alarm(0).await?;
            }
            return Ok(FormRecovered {
                endpoint_ids: Vec::new(),
                outbox: 0,
            });
        }
        let endpoint_ids = self.endpoint_ids()?;
        let outbox = self.db.count("SELECT COUNT(*) AS n FROM outbox", vec![])?;
        let privacy = self.has_privacy_work(&self.settings()?)?;
        let behind = self.handoff_due()?.is_some();
        self.recover_shards().await;
        if (outbox > 0 || behind || privacy) && self.state.storage().get_alarm().await?.is_none() {
            self.state.storage().set_alarm(0).await?;
            self.db.work().alarm_set();
            self.alarm_at.set(Some(now_ms()));
        }
        // Unfinished uploads: the sweep runs when the oldest is old enough (by this run's age).
        if let Some(oldest) = self.oldest_upload()? {
            self.arm_by(oldest.saturating_add(self.orphan_age_ms()))
                .await?;
        }
        Ok(FormRecovered {
            endpoint_ids,
            outbox,
        })
    }

    /// The job an outbox item becomes, with the size of the stored data it carries; `None` when
    /// its submission is gone.
    fn job_of(&self, item: OutboxItem, settings: &FormSettings) -> ApiResult<Option<(Job, usize)>> {
        let (submission_id, key, replay) = match item {
            OutboxItem::Ready(job) => return Ok(Some((*job, 0))),
            OutboxItem::Submission {
                submission_id,
                key,
                replay,
            } => (submission_id, key, replay),
        };
        let Some(row) = self.db.row::<SubmissionRow>(
            &format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?"),
            vec![submission_id.into()],
        )?
        else {
            return Ok(None);
        };
        let size = row.data.len() + row.files.len() + row.meta.len();
        Ok(Some((
            handoff::submission_job(settings, row, key, replay)?,
            size,
        )))
    }

    /// One alarm run: finish a form erasure, or hand on the outbox, finish submission
    /// erasures and apply the retention; then wake again for whatever is earliest.
    async fn run_alarm(&self) -> ApiResult<()> {
        if let Some(form_id) = self.erasing_form()? {
            if !self.erasure_stopped(&form_id) && !self.finish_form_erasure(&form_id).await? {
                self.state.storage().set_alarm(5_000).await?;
            }
            return Ok(());
        }
        let Ok(settings) = self.settings() else {
            return Ok(());
        };
        let handoff_next = self.drain_handoffs(&settings).await?;
        let outbox_next = self.drain_outbox(&settings).await?;
        let privacy_next = self.privacy_duties(&settings).await?;
        let prune_next = self.prune_recent_posts()?;
        let sweep_next = self.sweep_uploads(&settings.id).await?;
        // A submission taken while this run awaited may have set the alarm for now (`wake`):
        // setting a later one would postpone its hand-off.
        let woken = self.alarm_at.get();
        if let Some(at) = [
            handoff_next,
            outbox_next,
            privacy_next,
            prune_next,
            sweep_next,
            woken,
        ]
        .into_iter()
        .flatten()
        .min()
        {
            self.state
                .storage()
                .set_alarm((at - now_ms()).max(0))
                .await?;
            self.db.work().alarm_set();
            self.alarm_at.set(Some(at));
        }
        Ok(())
    }

    /// Hands due outbox rows (replays, released spam, `endpoint.disabled` events) to their
    /// endpoint queues, one call per endpoint per batch; failures back off and stay queued.
    /// Returns when the next row is due.
    async fn drain_outbox(&self, settings: &FormSettings) -> ApiResult<Option<i64>> {
        let rows: Vec<OutboxRow> = self.db.rows(
            "SELECT id, endpoint_id, item, attempts FROM outbox WHERE next_ms <= ? ORDER BY id LIMIT ?",
            vec![now_ms().into(), OUTBOX_BATCH.into()],
        )?;
        // Per endpoint: the rows taken and the jobs they become.
        let mut by_endpoint: Vec<(String, Vec<&OutboxRow>, Vec<Job>)> = Vec::new();
        let mut batch_bytes = 0;
        for row in &rows {
            // Keep each run's calls small; what is left stays due and runs next.
            batch_bytes += row.item.len();
            let item: OutboxItem = serde_json::from_str(&row.item).map_err(ApiError::internal)?;
            let job = self.job_of(item, settings)?.map(|(job, size)| {
                batch_bytes += size;
                job
            });
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
            if let Some((_, rows, jobs)) = by_endpoint.get_mut(slot) {
                rows.push(row);
                // A submission deleted since has nothing left to deliver.
                jobs.extend(job);
            }
        }
        for chunk in by_endpoint.chunks(OUTBOX_PARALLEL) {
            let calls = chunk.iter().map(|(endpoint_id, _, jobs)| async move {
                if jobs.is_empty() {
                    return true;
                }
                let Ok(stub) = rpc::endpoint(&self.env, endpoint_id) else {
                    return false;
                };
                self.db.work().object_call();
                match rpc::call(&stub, &Enqueue { jobs: jobs.clone() }).await {
                    Ok(_) => true,
                    // The endpoint was deleted: its rows are void.
                    Err(err) => err.status == 404,
                }
            });
            let results = join_all(calls).await;
            for ((_, rows, _), done) in chunk.iter().zip(results) {
                for row in rows {
                    if done {
                        self.db
                            .exec("DELETE FROM outbox WHERE id = ?", vec![row.id.into()])?;
                    } else {
                        let backoff = (1000_i64 << row.attempts.clamp(0, 6)).min(60_000);
                        self.db.exec(
                            "UPDATE outbox SET attempts = attempts + 1, next_ms = ? WHERE id = ?",
                            vec![(now_ms() + backoff).into(), row.id.into()],
                        )?;
                    }
                }
            }
        }
        Ok(self
            .db
            .row::<NextRow>("SELECT MIN(next_ms) AS next FROM outbox", vec![])?
            .and_then(|n| n.next))
    }
}
