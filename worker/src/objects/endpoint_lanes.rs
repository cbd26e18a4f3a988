//! `EndpointQueue`'s sending loop. A lane keeps up to the window's share of attempts in flight
//! (`formhook::delivery::window` decides which delivery starts next and how many run at once,
//! across every lane of the object); as each attempt ends it is recorded and the next one
//! starts, and deliveries enqueued while the lane runs wake it, so a backlog never waits for
//! the slowest attempt in flight.

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;

use formhook::delivery::window::Pending;
use formhook::delivery::{attempt_headers, Attempt, Window};
use formhook::retry::AttemptResult;
use futures_util::future::{select, Either};
use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;

use super::{DeliveryRow, Ended, EndpointQueue, Snapshot, DELIVERY_COLUMNS, MAX_ATTEMPTS_PER_RUN};
use crate::error::ApiResult;
use crate::outbound::{send, Received, USER_AGENT};
use crate::platform::{new_id, now_u64};
use crate::views::SentRequest;

impl EndpointQueue {
    /// Runs a lane until nothing it may start is due and nothing it started is in flight; the
    /// last lane to end sets the alarm for what is left.
    pub(super) async fn lane(&self) -> ApiResult<()> {
        self.lanes.set(self.lanes.get() + 1);
        let mine = RefCell::new(Vec::new());
        let result = self.lane_loop(&mine).await;
        // Attempts cut off by an error are not running any more: their deliveries are due.
        {
            let mut in_flight = self.in_flight.borrow_mut();
            for id in mine.borrow().iter() {
                in_flight.remove(id);
            }
        }
        self.lanes.set(self.lanes.get().saturating_sub(1));
        if self.lanes.get() > 0 {
            return result;
        }
        self.due.borrow_mut().clear();
        let armed = self.arm(true).await;
        result.and(armed)
    }

    async fn lane_loop(&self, mine: &RefCell<Vec<String>>) -> ApiResult<()> {
        let settings = self.settings()?;
        let window = settings.window();
        let per_lane = window.per_lane() as usize;
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
        let mut attempts = FuturesUnordered::new();
        let mut started_count = 0;
        loop {
            let seen = self.wakeup.generation();
            while attempts.len() < per_lane
                && started_count < MAX_ATTEMPTS_PER_RUN
                && self.sending_enabled()?
            {
                let Some((row, read_at)) = self.next_row(window)? else {
                    break;
                };
                if self.changes.get() != read_at && !self.still_sendable(&row.id)? {
                    // Superseded by a replay, erased or expired since it was read.
                    continue;
                }
                started_count += 1;
                self.in_flight.borrow_mut().insert(row.id.clone());
                mine.borrow_mut().push(row.id.clone());
                self.db.work().delivery_sent();
                let checked_at = self.changes.get();
                let prepared = prepare(row, Rc::clone(&snapshot), guard.clone(), checked_at)?;
                attempts.push(prepared.send());
            }
            if attempts.is_empty() {
                if self.wakeup.generation() == seen {
                    return Ok(());
                }
                continue;
            }
            let woke = pin!(self.wakeup.changed(seen));
            let Either::Left((Some(ended), _)) = select(attempts.next(), woke).await else {
                // New work (or a slot freed by another lane): plan again.
                continue;
            };
            let id = ended.row.id.clone();
            let mut settings = self.settings()?;
            let recorded = self.record(&mut settings, &ended).await;
            self.in_flight.borrow_mut().remove(&id);
            mine.borrow_mut().retain(|m| *m != id);
            recorded?;
            // A slot is free: other lanes may start one.
            self.wakeup.wake();
        }
    }

    /// Whether a delivery read earlier is still pending with its payload: a replay may have
    /// superseded it, an erasure or the retention emptied it, while it waited in line.
    fn still_sendable(&self, id: &str) -> ApiResult<bool> {
        Ok(self.db.count(
            "SELECT COUNT(*) AS n FROM deliveries WHERE id = ? AND status = 'pending' AND length(payload) > 0",
            vec![id.into()],
        )? > 0)
    }

    /// Whether the endpoint sends (read from the cached settings, without copying them).
    fn sending_enabled(&self) -> ApiResult<bool> {
        if let Some(settings) = self.cache.borrow().as_ref() {
            return Ok(settings.health.enabled);
        }
        Ok(self.settings()?.health.enabled)
    }

    /// The delivery to start next, if the window allows one now (counting every lane's
    /// attempts), with the object's `changes` when it was read. FIFO: the oldest pending
    /// delivery, when it is due and not running.
    fn next_row(&self, window: Window) -> ApiResult<Option<(DeliveryRow, u64)>> {
        let now = now_u64();
        let running = self.in_flight.borrow().len();
        if window.is_fifo() {
            let Some(head) = self.db.row::<DeliveryRow>(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending' AND length(payload) > 0
                     ORDER BY rowid LIMIT 1"
                ),
                vec![],
            )?
            else {
                return Ok(None);
            };
            let pending = Pending {
                due_ms: head
                    .next_attempt_ms
                    .map_or(0, |n| u64::try_from(n).unwrap_or(0)),
                in_flight: self.in_flight.borrow().contains(&head.id),
            };
            let plan = window.plan(now, running, &[pending]);
            return Ok(plan.start.first().map(|_| (head, self.changes.get())));
        }
        if self.due.borrow().is_empty() {
            let rows = self.due_rows()?;
            self.due.borrow_mut().extend(rows);
        }
        let Some(row) = self.due.borrow_mut().pop_front() else {
            return Ok(None);
        };
        let pending = Pending {
            due_ms: 0,
            in_flight: self.in_flight.borrow().contains(&row.id),
        };
        if window.plan(now, running, &[pending]).start.is_empty() {
            // Full (or it runs already): it stays first in line.
            if !pending.in_flight {
                self.due.borrow_mut().push_front(row);
            }
            return Ok(None);
        }
        Ok(Some((row, self.due_read_at.get())))
    }
}

/// One attempt, signed and ready to send: `headers` is what it sends (`None` when it sends
/// nothing: the URL is refused or signing failed, and `outcome` says why).
struct Prepared {
    row: DeliveryRow,
    snap: Rc<Snapshot>,
    attempt: u32,
    attempt_id: String,
    started: u64,
    headers: Option<Vec<(String, String)>>,
    outcome: Option<Received>,
    checked_at: u64,
}

/// Signs one attempt of `row`.
fn prepare(
    row: DeliveryRow,
    snap: Rc<Snapshot>,
    guard: Result<(), String>,
    checked_at: u64,
) -> ApiResult<Prepared> {
    let attempt = row.attempts.saturating_add(1);
    let attempt_id = new_id("att")?;
    let started = now_u64();
    let signed = attempt_headers(&Attempt {
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
    let (headers, outcome) = match (guard, signed) {
        (Err(message), _) => (
            None,
            Some(Received::failure(AttemptResult::NetworkError, message)),
        ),
        (_, Err(err)) => (
            None,
            Some(Received::failure(
                AttemptResult::NetworkError,
                format!("{}: {}", err.code(), err.message()),
            )),
        ),
        (Ok(()), Ok(headers)) => (Some(headers), None),
    };
    Ok(Prepared {
        row,
        snap,
        attempt,
        attempt_id,
        started,
        headers,
        outcome,
        checked_at,
    })
}

impl Prepared {
    /// Sends it (unless it was refused before sending) and hands back what recording needs.
    async fn send(self) -> Ended {
        {
            let received = match (self.outcome, &self.headers) {
                (Some(outcome), _) => outcome,
                (None, Some(headers)) => {
                    send(
                        &self.snap.url,
                        headers,
                        &self.row.payload,
                        self.snap.timeout_ms,
                        self.started,
                    )
                    .await
                }
                (None, None) => Received::failure(AttemptResult::NetworkError, "not signed".into()),
            };
            Ended {
                row: self.row,
                attempt: self.attempt,
                attempt_id: self.attempt_id,
                started: self.started,
                received,
                checked_at: self.checked_at,
                request: self.headers.map(|headers| SentRequest {
                    url: self.snap.url.clone(),
                    headers,
                }),
            }
        }
    }
}
