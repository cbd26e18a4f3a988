//! `EndpointQueue`: one Durable Object per endpoint, so a slow or failing receiver only ever
//! delays itself. Holds the endpoint's settings and secrets, its deliveries (one per event, with
//! the exact payload bytes) and the log of every attempt. Its alarm sends whatever is due. Every
//! decision is the core's: the headers (`formhook::delivery::attempt_headers`), what an attempt's
//! result does to the delivery and the endpoint (`EndpointHealth::after_attempt`), rotation
//! (`SecretSet`).

/// Retry now, resend, replay all failed.
mod actions;
/// The request each attempt sent; the newest failure.
mod requests;

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};

use formhook::delivery::health::AttemptFacts;
use formhook::delivery::replay::{replay_supersedes, status_after_attempt, SUPERSEDED_BY};
use formhook::delivery::secrets::{DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS};
use formhook::delivery::{DeliveryStatus, SecretKind, SecretSet, SigningSecret};
use formhook::Key;
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::error::{ApiError, ApiResult};
use crate::log::{emit, LogLine};
use crate::objects::finish;
use crate::outbound::Received;
use crate::platform::{new_hmac_secret, new_id, new_signing_key, now_ms, now_u64, random_u32};
use crate::protocol::{
    Call, DeleteEndpoint, Done, EndpointDisabled, EndpointRecovered, Enqueue, Enqueued,
    EraseSubmission, Event, GetDelivery, GetEndpoint, InitEndpoint, Job, ListAttempts,
    ListDeliveries, PageQuery, PatchEndpoint, PublicKeys, RecoverEndpoint, ReplayFailed,
    ResendDelivery, Retain, RetryDelivery, RotateSecret, RunLane, SendTest,
};
use crate::rpc::{self, read, reply};
use crate::settings::EndpointSettings;
use crate::storage::{int, Db, KV_TABLE};
use crate::views::{
    iso, AttemptView, DeliveryDetail, DeliveryStats, DeliveryView, EndpointView, KeysView, Page,
    Rotated, SentRequest, TestSent,
};

/// Deliveries read per query (besides those in flight, which a query also returns).
const DUE_BATCH: i64 = 24;
/// Attempts started per lane run; the rest run in the next one (an invocation has a bounded
/// number of subrequests).
const MAX_ATTEMPTS_PER_RUN: usize = 400;

/// The sending loop (lanes, the delivery window); in its own file.
#[path = "endpoint_lanes.rs"]
mod lanes;

const SCHEMA: [&str; 7] = [
    KV_TABLE,
    // `id` is derived from the job's key (`delivery_id`), so a job handed on twice is stored
    // once by its primary key; older objects also keep `dedupe_key` unique, an index more.
    // `inline_attempt`: a delivery's first attempt when it delivered, with the request it sent
    // (JSON, see `InlineAttempt`), kept in the delivery's row instead of rows of its own.
    "CREATE TABLE IF NOT EXISTS deliveries(id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL,
       message_id TEXT NOT NULL, event_type TEXT NOT NULL, submission_id TEXT,
       payload BLOB NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
       first_attempt_ms INTEGER, next_attempt_ms INTEGER, created_ms INTEGER NOT NULL,
       last_status INTEGER, last_error TEXT, replay INTEGER NOT NULL DEFAULT 0,
       inline_attempt TEXT)",
    // `WITHOUT ROWID` (from this version on; older objects keep theirs): an attempt is one row
    // and its delivery index, not also an index of its id.
    "CREATE TABLE IF NOT EXISTS attempts(id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL,
       message_id TEXT NOT NULL, attempt INTEGER NOT NULL, started_ms INTEGER NOT NULL,
       status INTEGER, outcome TEXT NOT NULL, latency_ms INTEGER NOT NULL,
       response_excerpt TEXT NOT NULL, error TEXT, next_attempt_ms INTEGER) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS attempts_by_delivery ON attempts(delivery_id)",
    requests::SCHEMA,
    requests::FAILURES_INDEX,
    // Erased submissions (ids only): a job for one arriving after its erasure is refused.
    "CREATE TABLE IF NOT EXISTS erased(submission_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL) WITHOUT ROWID",
];

/// Index of pending deliveries by due time, in objects created from this version on. Partial:
/// a delivery leaves it when it ends, which writes no index entry (a full index on
/// `(status, next_attempt_ms)`, which older objects keep, writes one for every status change).
const PENDING_INDEX: &str = "CREATE INDEX IF NOT EXISTS deliveries_pending
    ON deliveries(next_attempt_ms) WHERE status = 'pending'";
/// The full index objects created before [`PENDING_INDEX`] have.
const OLD_DUE_INDEX: &str = "deliveries_due";

/// Brings an endpoint's tables from an older version to this one's layout.
fn upgrade(db: &Db) -> ApiResult<()> {
    let deliveries = db.definition("deliveries")?.unwrap_or_default();
    if !deliveries.contains("inline_attempt") {
        db.exec(
            "ALTER TABLE deliveries ADD COLUMN inline_attempt TEXT",
            vec![],
        )?;
    }
    if db.definition(OLD_DUE_INDEX)?.is_none() {
        db.exec(PENDING_INDEX, vec![])?;
    }
    Ok(())
}

/// A delivery's id, derived from its job's key and the endpoint (`None` for a key that names
/// no id of ours): the time part is that of the id the key names (the submission, replay or
/// event), so deliveries list in that order, and the same job always gets the same id.
fn delivery_id(endpoint_id: &str, key: &str) -> Option<String> {
    let named = key.rsplit(':').next()?;
    let at_ms = formhook::id::time_of(named)?;
    Some(formhook::id::derived(
        "dlv",
        at_ms,
        &format!("{endpoint_id}\n{key}"),
    ))
}

/// One attempt's result, with what recording it needs.
struct Ended {
    row: DeliveryRow,
    attempt: u32,
    attempt_id: String,
    started: u64,
    received: Received,
    /// The object's `changes` when the delivery was last known sendable.
    checked_at: u64,
    /// What it sent (`None`: nothing, refused before sending).
    request: Option<SentRequest>,
}

/// A delivery's first attempt when it delivered (the common case), kept in the delivery's
/// `inline_attempt` column rather than in `attempts` and `attempt_requests`: three rows fewer
/// written per delivery. Field names are the `attempts` columns', so SQL reads them alike.
#[derive(Serialize, Deserialize)]
struct InlineAttempt {
    id: String,
    started_ms: i64,
    status: Option<u16>,
    outcome: String,
    latency_ms: u64,
    response_excerpt: String,
    request: SentRequest,
}

impl InlineAttempt {
    fn view(self, delivery: &DeliveryRow) -> AttemptView {
        AttemptView {
            id: self.id,
            delivery_id: delivery.id.clone(),
            message_id: delivery.message_id.clone(),
            attempt: 1,
            started_at: iso(self.started_ms),
            status: self.status,
            outcome: self.outcome,
            latency_ms: self.latency_ms,
            response_excerpt: self.response_excerpt,
            error: None,
            next_attempt_at: None,
            request: Some(self.request),
        }
    }
}

/// Why a delivery's payload was removed, as its `last_error` when it was still pending.
const CANCELLED_ERASED: &str = "cancelled: the submission was erased";
const CANCELLED_EXPIRED: &str = "cancelled: past the form's retention";

#[derive(Deserialize, Clone)]
struct DeliveryRow {
    id: String,
    message_id: String,
    event_type: String,
    submission_id: Option<String>,
    #[serde(with = "serde_bytes")]
    payload: Vec<u8>,
    status: DeliveryStatus,
    attempts: u32,
    first_attempt_ms: Option<u64>,
    next_attempt_ms: Option<i64>,
    created_ms: i64,
    last_status: Option<u16>,
    last_error: Option<String>,
    replay: i64,
    inline_attempt: Option<String>,
}

const DELIVERY_COLUMNS: &str =
    "id, message_id, event_type, submission_id, payload, status, attempts,
    first_attempt_ms, next_attempt_ms, created_ms, last_status, last_error, replay, inline_attempt";

impl DeliveryRow {
    fn view(&self) -> DeliveryView {
        DeliveryView {
            id: self.id.clone(),
            message_id: self.message_id.clone(),
            event_type: self.event_type.clone(),
            submission_id: self.submission_id.clone(),
            status: self.status,
            attempts: self.attempts,
            next_attempt_at: self
                .next_attempt_ms
                .filter(|_| self.status == DeliveryStatus::Pending)
                .map(iso),
            created_at: iso(self.created_ms),
            last_status: self.last_status,
            last_error: self.last_error.clone(),
            replay: self.replay != 0,
        }
    }
}

#[derive(Deserialize)]
struct AttemptRow {
    id: String,
    delivery_id: String,
    message_id: String,
    attempt: u32,
    started_ms: i64,
    status: Option<u16>,
    outcome: String,
    latency_ms: u64,
    response_excerpt: String,
    error: Option<String>,
    next_attempt_ms: Option<i64>,
}

const ATTEMPT_COLUMNS: &str = "id, delivery_id, message_id, attempt, started_ms, status, outcome,
    latency_ms, response_excerpt, error, next_attempt_ms";

impl AttemptRow {
    fn view(self) -> AttemptView {
        AttemptView {
            id: self.id,
            delivery_id: self.delivery_id,
            message_id: self.message_id,
            attempt: self.attempt,
            started_at: iso(self.started_ms),
            status: self.status,
            outcome: self.outcome,
            latency_ms: self.latency_ms,
            response_excerpt: self.response_excerpt,
            error: self.error,
            next_attempt_at: self.next_attempt_ms.map(iso),
            request: None,
        }
    }
}

#[derive(Deserialize)]
struct StatusCount {
    status: DeliveryStatus,
    n: u64,
}

/// A delivery's status, and whether its payload was removed, read again after an attempt.
#[derive(Deserialize)]
struct RecheckRow {
    status: DeliveryStatus,
    removed: i64,
}

#[derive(Deserialize)]
struct NextRow {
    next: Option<i64>,
}

/// What every attempt of one alarm run needs from the settings, owned so attempts can run
/// while the settings change.
struct Snapshot {
    url: String,
    scheme: formhook::Scheme,
    keys: Vec<Key>,
    headers: formhook::delivery::CustomHeaders,
    timeout_ms: u64,
}

/// One endpoint's object.
#[durable_object]
pub struct EndpointQueue {
    state: State,
    env: Env,
    db: Db,
    /// The alarm time this instance set and that has not fired yet, so bursts of enqueues do not
    /// each read and write the alarm.
    armed_at: Cell<Option<i64>>,
    /// This object is the only writer of its settings: read once, kept until it changes them.
    cache: RefCell<Option<EndpointSettings>>,
    /// Deliveries with an attempt running now (in memory: after a restart nothing is running,
    /// and a delivery whose attempt died with the process is due again).
    in_flight: RefCell<HashSet<String>>,
    /// Due deliveries read but not started yet, shared by the lanes (parallel mode).
    due: RefCell<VecDeque<DeliveryRow>>,
    /// Lanes running now (the alarm's and the ones it started with [`RunLane`]).
    lanes: Cell<u32>,
    /// Wakes waiting lanes when deliveries arrive or a slot frees.
    wakeup: super::wakeup::Wakeup,
    /// Counts the changes to deliveries made besides an attempt's own record (a replay
    /// superseding, an erasure, the retention, the log's actions). A delivery read at the
    /// current count is as read: its attempt needs no second look at its row.
    changes: Cell<u64>,
    /// `changes` when the due deliveries in `due` were read.
    due_read_at: Cell<u64>,
    /// Whether any submission was erased here (`None`: not read yet).
    erased_any: Cell<Option<bool>>,
    /// The form's retention as this endpoint heard it (`None`: not read yet).
    retention: Cell<Option<Option<u64>>>,
}

impl DurableObject for EndpointQueue {
    fn new(state: State, env: Env) -> Self {
        let db = Db::new(state.storage().sql());
        Self {
            state,
            env,
            db,
            armed_at: Cell::new(None),
            cache: RefCell::new(None),
            in_flight: RefCell::new(HashSet::new()),
            due: RefCell::new(VecDeque::new()),
            lanes: Cell::new(0),
            wakeup: super::wakeup::Wakeup::default(),
            changes: Cell::new(0),
            due_read_at: Cell::new(0),
            erased_any: Cell::new(None),
            retention: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if let Some(counts) = crate::objects::count_request(self.db.work(), &req) {
            return counts;
        }
        let result = self.route(&mut req).await;
        finish("endpoint_queue", &req, result)
    }

    async fn alarm(&self) -> Result<Response> {
        self.db.work().request();
        self.armed_at.set(None);
        crate::objects::finish_alarm("endpoint_queue", &self.state, self.run_due().await).await
    }
}

fn not_found() -> ApiError {
    ApiError::new(404, "endpoint_not_found", "no endpoint with this id")
}

impl EndpointQueue {
    async fn route(&self, req: &mut Request) -> ApiResult<Response> {
        self.db.ensure_upgraded(&SCHEMA, upgrade)?;
        match req.path().as_str() {
            InitEndpoint::PATH => reply(self.init(read(req).await?)),
            GetEndpoint::PATH => reply(self.get(read(req).await?)),
            PatchEndpoint::PATH => reply(self.patch(read(req).await?).await),
            DeleteEndpoint::PATH => reply(self.delete(read(req).await?).await),
            RotateSecret::PATH => reply(self.rotate(read(req).await?)),
            SendTest::PATH => reply(self.send_test(read(req).await?).await),
            Enqueue::PATH => reply(self.enqueue(read(req).await?).await),
            ListDeliveries::PATH => reply(self.list_deliveries(read(req).await?)),
            GetDelivery::PATH => reply(self.get_delivery(read(req).await?)),
            ListAttempts::PATH => reply(self.list_attempts(read(req).await?)),
            RecoverEndpoint::PATH => reply(self.recover(read(req).await?).await),
            EraseSubmission::PATH => reply(self.erase(read(req).await?).await),
            Retain::PATH => reply(self.retain(read(req).await?).await),
            PublicKeys::PATH => reply(self.public_keys(read(req).await?)),
            RetryDelivery::PATH => reply(self.retry_now(read(req).await?).await),
            ResendDelivery::PATH => reply(self.resend(read(req).await?).await),
            ReplayFailed::PATH => reply(self.replay_failed(read(req).await?).await),
            RunLane::PATH => {
                read::<RunLane>(req).await?;
                reply(self.lane().await.map(|()| Done {}))
            }
            _ => Err(ApiError::no_route()),
        }
    }

    fn settings(&self) -> ApiResult<EndpointSettings> {
        if let Some(hit) = self.cache.borrow().as_ref() {
            return Ok(hit.clone());
        }
        let settings: EndpointSettings = self.db.load_settings()?.ok_or_else(not_found)?;
        *self.cache.borrow_mut() = Some(settings.clone());
        Ok(settings)
    }

    fn save(&self, settings: &EndpointSettings) -> ApiResult<()> {
        self.cache.borrow_mut().take();
        self.db.save_settings(settings)?;
        *self.cache.borrow_mut() = Some(settings.clone());
        Ok(())
    }

    /// The endpoint's view with delivery counts.
    fn view(&self, settings: &EndpointSettings) -> ApiResult<EndpointView> {
        let counts: Vec<StatusCount> = self.db.rows(
            "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status",
            vec![],
        )?;
        let count = |s: DeliveryStatus| counts.iter().find(|c| c.status == s).map_or(0, |c| c.n);
        let stats = DeliveryStats {
            pending: count(DeliveryStatus::Pending),
            delivered: count(DeliveryStatus::Delivered),
            failed: count(DeliveryStatus::Failed),
            skipped: count(DeliveryStatus::Skipped),
            retrying: self.db.count(
                "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending' AND attempts > 0",
                vec![],
            )?,
        };
        let mut view = EndpointView::of(settings, stats, now_u64());
        view.last_failure = self.last_failure()?;
        Ok(view)
    }

    fn init(&self, call: InitEndpoint) -> ApiResult<EndpointView> {
        if self.db.load_settings::<EndpointSettings>()?.is_some() {
            return Err(ApiError::new(
                409,
                "endpoint_exists",
                "this endpoint already exists",
            ));
        }
        let mut settings = call.settings;
        let shown = Self::add_missing_keys(&mut settings, call.secret)?;
        self.save(&settings)?;
        let mut view = self.view(&settings)?;
        view.secret = shown;
        Ok(view)
    }

    /// Makes the keys the signing mode needs and the endpoint lacks (an HMAC secret is `given` or
    /// made here; ed25519 keys are always made here, so they never leave this object). Returns a
    /// new HMAC secret, which the answer shows once.
    fn add_missing_keys(
        settings: &mut EndpointSettings,
        given: Option<String>,
    ) -> ApiResult<Option<String>> {
        let now = now_u64();
        let mut shown = None;
        for kind in settings.missing_keys(now) {
            let text = match kind {
                SecretKind::Hmac => {
                    let secret = match given.clone() {
                        Some(secret) => secret,
                        None => new_hmac_secret()?,
                    };
                    shown = Some(secret.clone());
                    secret
                }
                SecretKind::Ed25519 => new_signing_key()?,
            };
            let secret = SigningSecret::new(text);
            if settings.secrets.live(now).next().is_none() {
                settings.secrets = SecretSet::new(secret, now);
            } else {
                // A kind the set lacks: nothing of that kind to expire.
                settings.secrets.rotate(secret, now, 0);
            }
        }
        Ok(shown)
    }

    fn get(&self, _: GetEndpoint) -> ApiResult<EndpointView> {
        self.view(&self.settings()?)
    }

    async fn patch(&self, call: PatchEndpoint) -> ApiResult<EndpointView> {
        let mut settings = self.settings()?;
        let was_enabled = settings.health.enabled;
        settings.apply(call.fields, now_u64())?;
        // A signing mode that needs a key the endpoint lacks gets it now (a new HMAC secret is
        // shown in this answer, once).
        let shown = Self::add_missing_keys(&mut settings, None)?;
        self.save(&settings)?;
        if settings.health.enabled && !was_enabled {
            self.arm(false).await?;
        }
        let mut view = self.view(&settings)?;
        view.secret = shown;
        Ok(view)
    }

    fn public_keys(&self, _: PublicKeys) -> ApiResult<KeysView> {
        Ok(KeysView::of(&self.settings()?.secrets, now_u64()))
    }

    async fn delete(&self, _: DeleteEndpoint) -> ApiResult<Done> {
        self.settings()?;
        self.cache.borrow_mut().take();
        self.due.borrow_mut().clear();
        self.state.storage().delete_alarm().await?;
        self.state.storage().delete_all().await?;
        self.db.reset();
        self.cache.borrow_mut().take();
        self.changed();
        self.erased_any.set(None);
        self.retention.set(None);
        Ok(Done {})
    }

    /// Rotates every kind of key the endpoint signs with; a given `secret` replaces its own kind
    /// (an HMAC secret; ed25519 keys are always made here).
    fn rotate(&self, call: RotateSecret) -> ApiResult<Rotated> {
        let mut settings = self.settings()?;
        let grace = call.grace_period_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
        if grace > MAX_GRACE_SECONDS {
            return Err(ApiError::field(
                "grace_period_seconds",
                format!("must be an integer from 0 to {MAX_GRACE_SECONDS}"),
            ));
        }
        if let Some(secret) = &call.secret {
            if !settings.signing.uses(SecretKind::Hmac) {
                return Err(ApiError::field(
                    "secret",
                    "this endpoint signs with ed25519 only; its keys are made by the worker",
                ));
            }
            settings.check_hmac_secret(secret)?;
        }
        let now = now_u64();
        let grace_ms = grace.saturating_mul(1000);
        let mut answer = Rotated {
            secret: None,
            public_key: None,
            previous_secret_expires_at: iso(
                i64::try_from(now.saturating_add(grace_ms)).unwrap_or(i64::MAX)
            ),
        };
        if settings.signing.uses(SecretKind::Hmac) {
            let secret = match call.secret {
                Some(secret) => secret,
                None => new_hmac_secret()?,
            };
            settings
                .secrets
                .rotate(SigningSecret::new(secret.clone()), now, grace_ms);
            answer.secret = Some(secret);
        }
        if settings.signing.uses(SecretKind::Ed25519) {
            settings
                .secrets
                .rotate(SigningSecret::new(new_signing_key()?), now, grace_ms);
            answer.public_key = settings
                .secrets
                .published(now)
                .into_iter()
                .next()
                .map(|k| k.public_key);
        }
        self.save(&settings)?;
        Ok(answer)
    }

    /// Stores a delivery per job (idempotent on each job's key) and wakes the alarm once.
    async fn enqueue(&self, call: Enqueue) -> ApiResult<Enqueued> {
        let settings = self.settings()?;
        let mut queued = 0;
        for job in &call.jobs {
            if settings.wants(job.event.event_type()) && self.insert_delivery(&settings, job)? {
                queued += 1;
            }
        }
        if queued > 0 && settings.health.enabled {
            if self.lanes.get() > 0 {
                // A running lane picks them up; it sets the alarm for what is left when it ends.
                self.wakeup.wake();
            } else {
                self.arm(false).await?;
            }
        }
        Ok(Enqueued { queued })
    }

    /// Stores one delivery with its payload bytes in this endpoint's shape; `false` when the job
    /// was stored before. A replay supersedes the event's pending deliveries (see the core's
    /// `delivery::replay`): the receiver gets the replay, not the replay and then a retry.
    fn insert_delivery(&self, settings: &EndpointSettings, job: &Job) -> ApiResult<bool> {
        let now = now_ms();
        let status = settings.health.new_delivery_status();
        let (next, error) = match status {
            DeliveryStatus::Pending => (Some(now), None),
            _ => (None, Some("endpoint disabled")),
        };
        if let (Event::SubmissionCreated(submission), true) = (&job.event, self.any_erased()?) {
            let erased = self.db.count(
                "SELECT COUNT(*) AS n FROM erased WHERE submission_id = ?",
                vec![submission.id.as_str().into()],
            )?;
            if erased > 0 {
                return Ok(false);
            }
        }
        // File links are signed when the delivery is stored, so retries send the same bytes
        // and the links live `file_url_ttl` from here.
        let link_key = crate::files::link_key(&self.env);
        let links = crate::protocol::FileLinks {
            key: link_key.as_ref(),
            now_secs: u64::try_from(now / 1000).unwrap_or(0),
            ttl_secs: settings.file_url_ttl,
        };
        let payload = job.event.payload(
            &job.message_id,
            settings.payload_shape,
            &settings.redaction()?,
            links,
        );
        let id = match delivery_id(&settings.id, &job.key) {
            Some(id) => id,
            None => {
                // Not a key of ours (no id to take the time from): looked up instead.
                let seen = self.db.count(
                    "SELECT COUNT(*) AS n FROM deliveries WHERE dedupe_key = ?",
                    vec![job.key.as_str().into()],
                )?;
                if seen > 0 {
                    return Ok(false);
                }
                new_id("dlv")?
            }
        };
        #[derive(Deserialize)]
        struct Inserted {
            id: String,
        }
        // RETURNING answers only for a row actually inserted: a job seen before returns nothing.
        let inserted: Option<Inserted> = self.db.row(
            "INSERT OR IGNORE INTO deliveries(id, dedupe_key, message_id, event_type, submission_id, payload,
               status, next_attempt_ms, created_ms, last_error, replay) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id",
            vec![
                id.into(),
                job.key.as_str().into(),
                job.message_id.as_str().into(),
                job.event.event_type().as_str().into(),
                job.event.submission_id().into(),
                payload.into(),
                status.as_str().into(),
                next.into(),
                now.into(),
                error.into(),
                i64::from(job.replay).into(),
            ],
        )?;
        if let Some(replay) = inserted.as_ref().filter(|_| job.replay) {
            if replay_supersedes(status, DeliveryStatus::Pending) {
                self.changed();
                self.db.exec(
                    "UPDATE deliveries SET status = ?, next_attempt_ms = NULL, last_error = ?
                     WHERE message_id = ? AND status = ? AND id != ?",
                    vec![
                        DeliveryStatus::Skipped.as_str().into(),
                        format!("{SUPERSEDED_BY} {}", replay.id).into(),
                        job.message_id.as_str().into(),
                        DeliveryStatus::Pending.as_str().into(),
                        replay.id.as_str().into(),
                    ],
                )?;
            }
        }
        Ok(inserted.is_some() && status == DeliveryStatus::Pending)
    }

    async fn send_test(&self, _: SendTest) -> ApiResult<TestSent> {
        let settings = self.settings()?;
        let message_id = new_id("msg")?;
        let job = Job {
            key: format!("test:{message_id}"),
            message_id: message_id.clone(),
            replay: false,
            event: Event::EndpointTest {
                endpoint_id: settings.id.clone(),
                form_id: settings.form_id.clone(),
                at_ms: now_ms(),
            },
        };
        // A test is always recorded, even for an endpoint that did not subscribe to `endpoint.test`.
        self.insert_delivery(&settings, &job)?;
        self.arm(false).await?;
        #[derive(Deserialize)]
        struct IdRow {
            id: String,
        }
        let delivery_id = self
            .db
            .row::<IdRow>(
                "SELECT id FROM deliveries WHERE message_id = ?",
                vec![message_id.as_str().into()],
            )?
            .map(|r| r.id);
        Ok(TestSent {
            delivery_id,
            message_id,
        })
    }

    /// Sets the alarm for the earliest pending delivery (now if one is due), unless an earlier
    /// alarm is set already. `force`: set it even if an alarm appears to be set (at the end of an
    /// alarm run, the alarm being handled may still read as set).
    async fn arm(&self, force: bool) -> ApiResult<()> {
        let pending = if self.settings()?.health.enabled {
            // In FIFO mode the oldest pending delivery decides: the others wait behind it. A
            // removed payload is never sent: its row must not keep the alarm busy.
            let next_query = if self.settings()?.fifo {
                "SELECT next_attempt_ms AS next FROM deliveries
                 WHERE status = 'pending' AND length(payload) > 0 ORDER BY rowid LIMIT 1"
            } else {
                "SELECT MIN(next_attempt_ms) AS next FROM deliveries
                 WHERE status = 'pending' AND length(payload) > 0"
            };
            self.db
                .row::<NextRow>(next_query, vec![])?
                .and_then(|r| r.next)
        } else {
            None
        };
        // Retention runs for a disabled endpoint too.
        let expiry = self.next_expiry()?;
        let Some(at) = [pending, expiry].into_iter().flatten().min() else {
            return Ok(());
        };
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
            self.db.work().alarm_set();
            self.armed_at.set(Some(at));
        } else {
            self.armed_at.set(current);
        }
        Ok(())
    }

    async fn recover(&self, _: RecoverEndpoint) -> ApiResult<EndpointRecovered> {
        if self.db.load_settings::<EndpointSettings>()?.is_none() {
            return Ok(EndpointRecovered { pending: 0 });
        }
        self.arm(false).await?;
        let pending = self.db.count(
            "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'",
            vec![],
        )?;
        Ok(EndpointRecovered { pending })
    }

    /// The form's retention as this endpoint last heard it (read once per instance).
    fn retention_ms(&self) -> ApiResult<Option<u64>> {
        #[derive(Deserialize)]
        struct ValueRow {
            value: String,
        }
        if let Some(known) = self.retention.get() {
            return Ok(known);
        }
        let retention = self
            .db
            .row::<ValueRow>("SELECT value FROM kv WHERE key = 'retention_ms'", vec![])?
            .and_then(|r| r.value.parse().ok());
        self.retention.set(Some(retention));
        Ok(retention)
    }

    /// Whether any submission was erased here (read once per instance, then kept up to date).
    fn any_erased(&self) -> ApiResult<bool> {
        if let Some(known) = self.erased_any.get() {
            return Ok(known);
        }
        let any = self.db.count(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM erased LIMIT 1)",
            vec![],
        )? > 0;
        self.erased_any.set(Some(any));
        Ok(any)
    }

    /// Notes a change to deliveries made outside an attempt's record (see `changes`).
    fn changed(&self) {
        self.changes.set(self.changes.get().wrapping_add(1));
    }

    async fn retain(&self, call: Retain) -> ApiResult<Done> {
        self.settings()?;
        match call.retention_ms {
            Some(ms) => self.db.exec(
                "INSERT INTO kv(key, value) VALUES ('retention_ms', ?)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                vec![ms.to_string().into()],
            )?,
            None => self
                .db
                .exec("DELETE FROM kv WHERE key = 'retention_ms'", vec![])?,
        }
        self.retention.set(Some(call.retention_ms));
        self.expire()?;
        self.arm(true).await?;
        Ok(Done {})
    }

    /// Removes the payloads of deliveries and the answer excerpts of attempts older than the
    /// form's retention; pending deliveries among them are cancelled. Ids, times and statuses
    /// stay.
    fn expire(&self) -> ApiResult<()> {
        let Some(retention) = self.retention_ms()? else {
            return Ok(());
        };
        let cutoff = formhook::retention::cutoff_ms(now_ms(), retention);
        self.strip(
            "created_ms < ? AND length(payload) > 0",
            vec![cutoff.into()],
            CANCELLED_EXPIRED,
        )?;
        self.db.exec(
            "UPDATE attempts SET response_excerpt = '' WHERE started_ms < ? AND response_excerpt != ''",
            vec![cutoff.into()],
        )
    }

    /// When the oldest payload or excerpt still kept passes the retention.
    fn next_expiry(&self) -> ApiResult<Option<i64>> {
        let Some(retention) = self.retention_ms()? else {
            return Ok(None);
        };
        let oldest = self
            .db
            .row::<NextRow>(
                "SELECT MIN(t) AS next FROM (
                   SELECT MIN(created_ms) AS t FROM deliveries WHERE length(payload) > 0
                   UNION ALL SELECT MIN(started_ms) AS t FROM attempts WHERE response_excerpt != '')",
                vec![],
            )?
            .and_then(|r| r.next);
        Ok(formhook::retention::next_wake_ms(oldest, retention))
    }

    /// Empties the payloads of the deliveries matching `condition` and the answer excerpts of
    /// their attempts; those still pending are cancelled (`skipped`, with `reason`).
    fn strip(
        &self,
        condition: &str,
        bindings: Vec<worker::SqlStorageValue>,
        reason: &str,
    ) -> ApiResult<()> {
        self.changed();
        self.db.exec(
            &format!(
                "UPDATE attempts SET response_excerpt = '' WHERE response_excerpt != ''
                 AND delivery_id IN (SELECT id FROM deliveries WHERE {condition})"
            ),
            bindings.clone(),
        )?;
        let mut cancel = vec![reason.into()];
        cancel.extend(bindings.clone());
        self.db.exec(
            &format!(
                "UPDATE deliveries SET status = 'skipped', next_attempt_ms = NULL, last_error = ?
                 WHERE status = 'pending' AND {condition}"
            ),
            cancel,
        )?;
        // An inline attempt's answer excerpt goes with its payload.
        self.db.exec(
            &format!(
                "UPDATE deliveries SET payload = X'',
                   inline_attempt = json_set(inline_attempt, '$.response_excerpt', '')
                 WHERE {condition}"
            ),
            bindings,
        )
    }

    /// Erases what this endpoint holds of one submission and tells the receiver if it asked.
    async fn erase(&self, call: EraseSubmission) -> ApiResult<Done> {
        let settings = self.settings()?;
        self.db.exec(
            "INSERT OR IGNORE INTO erased(submission_id, at_ms) VALUES (?, ?)",
            vec![call.submission_id.as_str().into(), now_ms().into()],
        )?;
        self.erased_any.set(Some(true));
        self.strip(
            "submission_id = ? AND event_type = ?",
            vec![
                call.submission_id.as_str().into(),
                formhook::event::EventType::SubmissionCreated
                    .as_str()
                    .into(),
            ],
            CANCELLED_ERASED,
        )?;
        if let Some(notice) = &call.notice {
            if settings.wants(notice.event.event_type()) {
                self.insert_delivery(&settings, notice)?;
            }
        }
        self.arm(false).await?;
        Ok(Done {})
    }

    /// Sends every due delivery, records the attempts, schedules what follows: in one lane, or,
    /// when the endpoint's window needs more connections than one invocation holds, in a lane
    /// per [`RunLane`] call to itself (each call its own invocation).
    async fn run_due(&self) -> ApiResult<()> {
        self.db.ensure_upgraded(&SCHEMA, upgrade)?;
        if self.db.load_settings::<EndpointSettings>()?.is_none() {
            return Ok(());
        }
        self.expire()?;
        let lanes = self.settings()?.window().lanes();
        if lanes <= 1 {
            return self.lane().await;
        }
        let own = self.state.id().to_string();
        let calls = (0..lanes).map(|_| async {
            let stub = self
                .env
                .durable_object("ENDPOINTS")?
                .id_from_string(&own)?
                .get_stub()?;
            self.db.work().object_call();
            rpc::call(&stub, &RunLane {}).await
        });
        let results = join_all(calls).await;
        if results.iter().all(Result::is_err) {
            // No lane started: send from here rather than not at all.
            if let Some(Err(err)) = results.into_iter().next() {
                crate::objects::log_failure("endpoint_queue", "run_lane", &err);
            }
            return self.lane().await;
        }
        for err in results.into_iter().filter_map(Result::err) {
            crate::objects::log_failure("endpoint_queue", "run_lane", &err);
        }
        Ok(())
    }

    /// Due pending deliveries, oldest first, without those in flight (which stay due while
    /// their attempt runs).
    fn due_rows(&self) -> ApiResult<Vec<DeliveryRow>> {
        let running = self.in_flight.borrow().len();
        self.due_read_at.set(self.changes.get());
        let rows: Vec<DeliveryRow> = self.db.rows(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending' AND next_attempt_ms <= ?
                 AND length(payload) > 0 ORDER BY next_attempt_ms LIMIT ?"
            ),
            vec![
                now_ms().into(),
                (DUE_BATCH + i64::try_from(running).unwrap_or(0)).into(),
            ],
        )?;
        let in_flight = self.in_flight.borrow();
        Ok(rows
            .into_iter()
            .filter(|row| !in_flight.contains(&row.id))
            .collect())
    }

    /// Logs one attempt and applies the core's verdict to the delivery and the endpoint.
    async fn record(&self, settings: &mut EndpointSettings, ended: &Ended) -> ApiResult<()> {
        let Ended {
            row,
            attempt,
            attempt_id,
            started,
            received,
            checked_at,
            request,
        } = ended;
        let (attempt, started, checked_at) = (*attempt, *started, *checked_at);
        let ended_ms = now_u64();
        let facts = AttemptFacts {
            number: attempt,
            first_attempt_ms: row.first_attempt_ms.unwrap_or(started),
            started_ms: started,
            ended_ms,
            result: received.result,
            jitter: random_u32(),
        };
        let verdict =
            settings
                .health
                .after_attempt(&settings.retry_schedule, &settings.policy(), &facts);
        // A replay may have superseded the delivery while this attempt was in flight, an
        // erasure or the retention emptied it: read it again only if something changed.
        let (stored, removed) =
            if self.changes.get() == checked_at {
                (DeliveryStatus::Pending, false)
            } else {
                self.db
                .row::<RecheckRow>(
                    "SELECT status, length(payload) = 0 AS removed FROM deliveries WHERE id = ?",
                    vec![row.id.as_str().into()],
                )?
                .map_or((DeliveryStatus::Pending, false), |r| (r.status, r.removed != 0))
            };
        let status = status_after_attempt(stored, verdict.status);
        let next = verdict
            .next_attempt_ms
            .filter(|_| status == DeliveryStatus::Pending)
            .map(int);
        let excerpt = if removed {
            ""
        } else {
            received.excerpt.as_str()
        };
        let inline = match request {
            Some(request)
                if attempt == 1
                    && status == DeliveryStatus::Delivered
                    && stored == DeliveryStatus::Pending
                    && !removed =>
            {
                Some(InlineAttempt {
                    id: attempt_id.clone(),
                    started_ms: i64::try_from(started).unwrap_or(i64::MAX),
                    status: received.status,
                    outcome: verdict.outcome.code().to_string(),
                    latency_ms: ended_ms.saturating_sub(started),
                    response_excerpt: received.excerpt.clone(),
                    request: request.clone(),
                })
            }
            _ => None,
        };
        if let Some(inline) = inline {
            // Delivered at the first try: one write. It leaves the pending index by its status.
            let text = serde_json::to_string(&inline).map_err(ApiError::internal)?;
            self.db.exec(
                "UPDATE deliveries SET status = ?, next_attempt_ms = NULL, last_status = ?,
                   last_error = NULL, attempts = 1, first_attempt_ms = COALESCE(first_attempt_ms, ?),
                   inline_attempt = ?
                 WHERE id = ? AND length(payload) > 0",
                vec![
                    status.as_str().into(),
                    received.status.map(i64::from).into(),
                    int(started),
                    text.into(),
                    row.id.as_str().into(),
                ],
            )?;
        } else {
            if let Some(request) = request {
                self.keep_request(attempt_id, &row.id, &request.url, &request.headers)?;
            }
            self.db.exec(
                &format!(
                    "INSERT INTO attempts({ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                vec![
                    attempt_id.as_str().into(),
                    row.id.as_str().into(),
                    row.message_id.as_str().into(),
                    i64::from(attempt).into(),
                    int(started),
                    received.status.map(i64::from).into(),
                    verdict.outcome.code().into(),
                    int(ended_ms.saturating_sub(started)),
                    excerpt.into(),
                    received.error.clone().into(),
                    next.clone().into(),
                ],
            )?;
            // One write per attempt: the count and first-attempt time go with the verdict (an
            // attempt cut off by a restart is not counted, and its delivery is due again).
            if stored == DeliveryStatus::Skipped && status == DeliveryStatus::Skipped {
                // Superseded and not delivered: it stays closed, and says by which replay.
                self.db.exec(
                    "UPDATE deliveries SET last_status = ?, attempts = ?,
                       first_attempt_ms = COALESCE(first_attempt_ms, ?) WHERE id = ?",
                    vec![
                        received.status.map(i64::from).into(),
                        i64::from(attempt).into(),
                        int(started),
                        row.id.as_str().into(),
                    ],
                )?;
            } else {
                // Erased or expired meanwhile (payload emptied): the delivery stays cancelled.
                self.db.exec(
                    "UPDATE deliveries SET status = ?, next_attempt_ms = ?, last_status = ?, last_error = ?,
                       attempts = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?)
                     WHERE id = ? AND length(payload) > 0",
                    vec![
                        status.as_str().into(),
                        next.into(),
                        received.status.map(i64::from).into(),
                        received.error.clone().into(),
                        i64::from(attempt).into(),
                        int(started),
                        row.id.as_str().into(),
                    ],
                )?;
            }
        }
        if verdict.status != DeliveryStatus::Delivered {
            emit(&LogLine::AttemptFailed {
                endpoint_id: &settings.id,
                delivery_id: &row.id,
                message_id: &row.message_id,
                attempt,
                outcome: verdict.outcome.code(),
                status: received.status,
                decision: verdict.decision.code(),
            });
        }
        if verdict.health_changed {
            self.save(settings)?;
        }
        if let Some(reason) = verdict.disabled {
            emit(&LogLine::EndpointDisabled {
                endpoint_id: &settings.id,
                reason: reason.code(),
            });
            self.db.work().object_call();
            let told = async {
                let stub = rpc::form(&self.env, &settings.form_id)?;
                rpc::call(
                    &stub,
                    &EndpointDisabled {
                        endpoint_id: settings.id.clone(),
                        reason,
                    },
                )
                .await
            };
            // Best effort: the endpoint is disabled either way; the event is informational.
            if let Err(err) = told.await {
                crate::objects::log_failure("endpoint_queue", "endpoint_disabled", &err);
            }
        }
        Ok(())
    }

    fn page<T, R>(
        rows: Vec<R>,
        limit: u32,
        id: impl Fn(&R) -> String,
        view: impl Fn(R) -> T,
    ) -> Page<T> {
        let more = rows.len() > limit as usize;
        let mut last = None;
        let data = rows
            .into_iter()
            .take(limit as usize)
            .map(|row| {
                last = Some(id(&row));
                view(row)
            })
            .collect();
        Page {
            data,
            next_cursor: if more { last } else { None },
        }
    }

    fn list_deliveries(&self, call: ListDeliveries) -> ApiResult<Page<DeliveryView>> {
        self.settings()?;
        let PageQuery { limit, cursor } = call.page;
        let status = call.status.map(DeliveryStatus::as_str);
        let submission = call.submission_id.as_deref();
        let rows: Vec<DeliveryRow> = self.db.rows(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id < ? AND (? IS NULL OR status = ?)
                 AND (? IS NULL OR submission_id = ?) ORDER BY id DESC LIMIT ?"
            ),
            vec![
                cursor.unwrap_or_else(|| "~".into()).into(),
                status.into(),
                status.into(),
                submission.into(),
                submission.into(),
                (i64::from(limit) + 1).into(),
            ],
        )?;
        Ok(Self::page(rows, limit, |r| r.id.clone(), |r| r.view()))
    }

    fn get_delivery(&self, call: GetDelivery) -> ApiResult<DeliveryDetail> {
        self.settings()?;
        let row: DeliveryRow = self
            .db
            .row(
                &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?"),
                vec![call.id.as_str().into()],
            )?
            .ok_or_else(|| ApiError::new(404, "delivery_not_found", "no delivery with this id"))?;
        let attempts: Vec<AttemptRow> = self.db.rows(
            &format!(
                "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE delivery_id = ? ORDER BY attempt"
            ),
            vec![call.id.into()],
        )?;
        let mut attempt_log = Vec::with_capacity(attempts.len() + 1);
        if let Some(text) = &row.inline_attempt {
            let inline: InlineAttempt = serde_json::from_str(text).map_err(ApiError::internal)?;
            attempt_log.push(inline.view(&row));
        }
        attempt_log
            .extend(self.with_requests(attempts.into_iter().map(AttemptRow::view).collect())?);
        Ok(DeliveryDetail {
            payload_removed: row.payload.is_empty(),
            delivery: row.view(),
            // The payload is the core's JSON, so UTF-8; shown as text.
            payload: String::from_utf8(row.payload).map_err(ApiError::internal)?,
            attempt_log,
        })
    }

    fn list_attempts(&self, call: ListAttempts) -> ApiResult<Page<AttemptView>> {
        self.settings()?;
        let PageQuery { limit, cursor } = call.page;
        let cursor = cursor.unwrap_or_else(|| "~".into());
        // Attempts kept inline in their delivery join the log; they have no index of their
        // own, so a page reads every delivery (rows read cost a thousandth of rows written).
        let rows: Vec<AttemptRow> = self.db.rows(
            &format!(
                "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id < ?
                 UNION ALL
                 SELECT inline_attempt ->> '$.id' AS id, id AS delivery_id, message_id, 1 AS attempt,
                   inline_attempt ->> '$.started_ms' AS started_ms,
                   inline_attempt ->> '$.status' AS status,
                   inline_attempt ->> '$.outcome' AS outcome,
                   inline_attempt ->> '$.latency_ms' AS latency_ms,
                   inline_attempt ->> '$.response_excerpt' AS response_excerpt,
                   NULL AS error, NULL AS next_attempt_ms
                 FROM deliveries WHERE inline_attempt IS NOT NULL AND inline_attempt ->> '$.id' < ?
                 ORDER BY id DESC LIMIT ?"
            ),
            vec![
                cursor.as_str().into(),
                cursor.as_str().into(),
                (i64::from(limit) + 1).into(),
            ],
        )?;
        Ok(Self::page(rows, limit, |r| r.id.clone(), AttemptRow::view))
    }
}
