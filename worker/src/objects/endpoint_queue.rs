//! `EndpointQueue`: one Durable Object per endpoint, so a slow or failing receiver only ever
//! delays itself. Holds the endpoint's settings and secrets, its deliveries (one per event, with
//! the exact payload bytes) and the log of every attempt. Its alarm sends whatever is due. Every
//! decision is the core's: the headers (`formhook::delivery::attempt_headers`), what an attempt's
//! result does to the delivery and the endpoint (`EndpointHealth::after_attempt`), rotation
//! (`SecretSet`).

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;

use formhook::delivery::health::AttemptFacts;
use formhook::delivery::secrets::{DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS};
use formhook::delivery::{
    attempt_headers, Attempt, DeliveryStatus, SecretKind, SecretSet, SigningSecret,
};
use formhook::retry::AttemptResult;
use formhook::Key;
use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::error::{ApiError, ApiResult};
use crate::log::{emit, LogLine};
use crate::objects::finish;
use crate::outbound::{send, Received, USER_AGENT};
use crate::platform::{new_hmac_secret, new_id, new_signing_key, now_ms, now_u64, random_u32};
use crate::protocol::{
    Call, DeleteEndpoint, Done, EndpointDisabled, EndpointRecovered, Enqueue, Enqueued, Event,
    GetDelivery, GetEndpoint, InitEndpoint, Job, ListAttempts, ListDeliveries, PageQuery,
    PatchEndpoint, PublicKeys, RecoverEndpoint, RotateSecret, SendTest,
};
use crate::rpc::{self, read, reply};
use crate::settings::EndpointSettings;
use crate::storage::{int, Db, KV_TABLE};
use crate::views::{
    iso, AttemptView, DeliveryDetail, DeliveryStats, DeliveryView, EndpointView, KeysView, Page,
    Rotated, TestSent,
};

/// Deliveries read per query, and at most this many attempts in flight (the runtime allows six
/// simultaneous outbound connections per invocation).
const DUE_BATCH: i64 = 24;
const PARALLEL: usize = 5;
/// An attempt in flight is assumed lost (the process died) this long after its deadline.
const IN_FLIGHT_GRACE_MS: u64 = 5_000;
/// Attempts started per alarm run; the rest run in the next one (an invocation has a bounded
/// number of subrequests).
const MAX_ATTEMPTS_PER_RUN: usize = 400;

const SCHEMA: [&str; 5] = [
    KV_TABLE,
    "CREATE TABLE IF NOT EXISTS deliveries(id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE,
       message_id TEXT NOT NULL, event_type TEXT NOT NULL, submission_id TEXT,
       payload BLOB NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
       first_attempt_ms INTEGER, next_attempt_ms INTEGER, created_ms INTEGER NOT NULL,
       last_status INTEGER, last_error TEXT, replay INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_ms)",
    "CREATE TABLE IF NOT EXISTS attempts(id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL,
       message_id TEXT NOT NULL, attempt INTEGER NOT NULL, started_ms INTEGER NOT NULL,
       status INTEGER, outcome TEXT NOT NULL, latency_ms INTEGER NOT NULL,
       response_excerpt TEXT NOT NULL, error TEXT, next_attempt_ms INTEGER)",
    "CREATE INDEX IF NOT EXISTS attempts_by_delivery ON attempts(delivery_id)",
];

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
}

const DELIVERY_COLUMNS: &str =
    "id, message_id, event_type, submission_id, payload, status, attempts,
    first_attempt_ms, next_attempt_ms, created_ms, last_status, last_error, replay";

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
        }
    }
}

#[derive(Deserialize)]
struct StatusCount {
    status: DeliveryStatus,
    n: u64,
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
}

impl DurableObject for EndpointQueue {
    fn new(state: State, env: Env) -> Self {
        let db = Db::new(state.storage().sql());
        Self {
            state,
            env,
            db,
            armed_at: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let result = self.route(&mut req).await;
        finish("endpoint_queue", &req, result)
    }

    async fn alarm(&self) -> Result<Response> {
        self.armed_at.set(None);
        crate::objects::finish_alarm("endpoint_queue", &self.state, self.run_due().await).await
    }
}

fn not_found() -> ApiError {
    ApiError::new(404, "endpoint_not_found", "no endpoint with this id")
}

impl EndpointQueue {
    async fn route(&self, req: &mut Request) -> ApiResult<Response> {
        self.db.ensure(&SCHEMA)?;
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
            PublicKeys::PATH => reply(self.public_keys(read(req).await?)),
            _ => Err(ApiError::no_route()),
        }
    }

    fn settings(&self) -> ApiResult<EndpointSettings> {
        self.db.load_settings()?.ok_or_else(not_found)
    }

    fn save(&self, settings: &EndpointSettings) -> ApiResult<()> {
        self.db.save_settings(settings)
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
        };
        Ok(EndpointView::of(settings, stats, now_u64()))
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
        self.state.storage().delete_alarm().await?;
        self.state.storage().delete_all().await?;
        self.db.reset();
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
            self.arm(false).await?;
        }
        Ok(Enqueued { queued })
    }

    /// Stores one delivery with its payload bytes in this endpoint's shape; `false` when the job
    /// was stored before.
    fn insert_delivery(&self, settings: &EndpointSettings, job: &Job) -> ApiResult<bool> {
        let now = now_ms();
        let status = settings.health.new_delivery_status();
        let (next, error) = match status {
            DeliveryStatus::Pending => (Some(now), None),
            _ => (None, Some("endpoint disabled")),
        };
        // File links are signed when the delivery is stored, so retries send the same bytes
        // and the links live `file_url_ttl` from here.
        let link_key = crate::files::link_key(&self.env);
        let links = crate::protocol::FileLinks {
            key: link_key.as_ref(),
            now_secs: u64::try_from(now / 1000).unwrap_or(0),
            ttl_secs: settings.file_url_ttl,
        };
        let payload = job
            .event
            .payload(&job.message_id, settings.payload_shape, links);
        #[derive(Deserialize)]
        struct Inserted {
            #[allow(dead_code)]
            id: String,
        }
        // RETURNING answers only for a row actually inserted: a job seen before returns nothing.
        let inserted: Option<Inserted> = self.db.row(
            "INSERT OR IGNORE INTO deliveries(id, dedupe_key, message_id, event_type, submission_id, payload,
               status, next_attempt_ms, created_ms, last_error, replay) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id",
            vec![
                new_id("dlv")?.into(),
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
        if !self.settings()?.health.enabled {
            return Ok(());
        }
        let Some(at) = self
            .db
            .row::<NextRow>(
                "SELECT MIN(next_attempt_ms) AS next FROM deliveries WHERE status = 'pending'",
                vec![],
            )?
            .and_then(|r| r.next)
        else {
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

    /// Sends every due delivery, records the attempts, schedules what follows.
    async fn run_due(&self) -> ApiResult<()> {
        self.db.ensure(&SCHEMA)?;
        let Some(mut settings) = self.db.load_settings::<EndpointSettings>()? else {
            return Ok(());
        };
        // Up to PARALLEL attempts in flight; as each ends it is recorded and the next due one
        // starts, so one slow answer does not hold the others back.
        let mut in_flight = FuturesUnordered::new();
        let mut queue: VecDeque<DeliveryRow> = VecDeque::new();
        let now = now_u64();
        let snapshot = Rc::new(Snapshot {
            url: settings.url.clone(),
            scheme: settings.scheme,
            keys: settings
                .secrets
                .keys(settings.scheme, settings.signing, now),
            headers: settings.headers.clone(),
            timeout_ms: settings.timeout_ms,
        });
        let guard = crate::ssrf::check(&self.env, &snapshot.url);
        let mut started_count = 0;
        loop {
            while in_flight.len() < PARALLEL
                && settings.health.enabled
                && started_count < MAX_ATTEMPTS_PER_RUN
            {
                if queue.is_empty() {
                    // Sent rows were pushed past their deadline, so they never read as due twice.
                    queue.extend(self.due_rows()?);
                }
                let Some(row) = queue.pop_front() else { break };
                started_count += 1;
                let attempt = row.attempts.saturating_add(1);
                let attempt_id = new_id("att")?;
                let started = now_u64();
                // Count the attempt before sending: if the process dies mid-request the
                // delivery is retried after its deadline, never forgotten.
                self.db.exec(
                    "UPDATE deliveries SET attempts = ?, first_attempt_ms = COALESCE(first_attempt_ms, ?),
                       next_attempt_ms = ? WHERE id = ?",
                    vec![
                        i64::from(attempt).into(),
                        int(started),
                        int(started + snapshot.timeout_ms + IN_FLIGHT_GRACE_MS),
                        row.id.as_str().into(),
                    ],
                )?;
                let snap = Rc::clone(&snapshot);
                let guard = guard.clone();
                in_flight.push(async move {
                    let headers = attempt_headers(&Attempt {
                        scheme: snap.scheme,
                        keys: &snap.keys,
                        message_id: &row.message_id,
                        event_type: &row.event_type,
                        attempt_id: &attempt_id,
                        attempt,
                        timestamp: i64::try_from(started / 1000).unwrap_or(0),
                        payload: &row.payload,
                        custom: &snap.headers,
                        user_agent: USER_AGENT,
                    });
                    let received = match (guard, headers) {
                        (Err(message), _) => {
                            Received::failure(AttemptResult::NetworkError, message)
                        }
                        (_, Err(err)) => Received::failure(
                            AttemptResult::NetworkError,
                            format!("{}: {}", err.code(), err.message()),
                        ),
                        (Ok(()), Ok(headers)) => {
                            send(&snap.url, &headers, &row.payload, snap.timeout_ms, started).await
                        }
                    };
                    (row, attempt, attempt_id, started, received)
                });
            }
            let Some((row, attempt, attempt_id, started, received)) = in_flight.next().await else {
                break;
            };
            let was_enabled = settings.health.enabled;
            self.record(&mut settings, &row, attempt, &attempt_id, started, received)
                .await?;
            if was_enabled && !settings.health.enabled {
                // Disabled (410 or a failure window): what was picked but not sent stays pending.
                queue.clear();
            }
        }
        self.arm(true).await
    }

    /// Due pending deliveries, oldest first.
    fn due_rows(&self) -> ApiResult<Vec<DeliveryRow>> {
        self.db.rows(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending' AND next_attempt_ms <= ?
                 ORDER BY next_attempt_ms LIMIT ?"
            ),
            vec![now_ms().into(), DUE_BATCH.into()],
        )
    }

    /// Logs one attempt and applies the core's verdict to the delivery and the endpoint.
    async fn record(
        &self,
        settings: &mut EndpointSettings,
        row: &DeliveryRow,
        attempt: u32,
        attempt_id: &str,
        started: u64,
        received: Received,
    ) -> ApiResult<()> {
        let ended = now_u64();
        let facts = AttemptFacts {
            number: attempt,
            first_attempt_ms: row.first_attempt_ms.unwrap_or(started),
            started_ms: started,
            ended_ms: ended,
            result: received.result,
            jitter: random_u32(),
        };
        let verdict =
            settings
                .health
                .after_attempt(&settings.retry_schedule, &settings.policy(), &facts);
        let next = verdict.next_attempt_ms.map(int);
        self.db.exec(
            &format!(
                "INSERT INTO attempts({ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            vec![
                attempt_id.into(),
                row.id.as_str().into(),
                row.message_id.as_str().into(),
                i64::from(attempt).into(),
                int(started),
                received.status.map(i64::from).into(),
                verdict.outcome.code().into(),
                int(ended.saturating_sub(started)),
                received.excerpt.as_str().into(),
                received.error.clone().into(),
                next.clone().into(),
            ],
        )?;
        self.db.exec(
            "UPDATE deliveries SET status = ?, next_attempt_ms = ?, last_status = ?, last_error = ? WHERE id = ?",
            vec![
                verdict.status.as_str().into(),
                next.into(),
                received.status.map(i64::from).into(),
                received.error.clone().into(),
                row.id.as_str().into(),
            ],
        )?;
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
        let rows: Vec<DeliveryRow> = self.db.rows(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id < ? AND (? IS NULL OR status = ?)
                 ORDER BY id DESC LIMIT ?"
            ),
            vec![
                cursor.unwrap_or_else(|| "~".into()).into(),
                status.into(),
                status.into(),
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
        Ok(DeliveryDetail {
            delivery: row.view(),
            // The payload is the core's JSON, so UTF-8; shown as text.
            payload: String::from_utf8(row.payload).map_err(ApiError::internal)?,
            attempt_log: attempts.into_iter().map(AttemptRow::view).collect(),
        })
    }

    fn list_attempts(&self, call: ListAttempts) -> ApiResult<Page<AttemptView>> {
        self.settings()?;
        let PageQuery { limit, cursor } = call.page;
        let rows: Vec<AttemptRow> = self.db.rows(
            &format!(
                "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id < ? ORDER BY id DESC LIMIT ?"
            ),
            vec![
                cursor.unwrap_or_else(|| "~".into()).into(),
                (i64::from(limit) + 1).into(),
            ],
        )?;
        Ok(Self::page(rows, limit, |r| r.id.clone(), AttemptRow::view))
    }
}
