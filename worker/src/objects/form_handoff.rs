//! `FormStore`'s hand-off of new submissions to its endpoints, without an outbox row per
//! submission: each endpoint has a mark in the `kv` table (`handoff:{endpoint_id}`) with the
//! `rowid` of the last submission handed to it, and the alarm hands on what lies past the mark,
//! in order, one `Enqueue` call per endpoint per batch, moving the mark only once the endpoint
//! has stored the jobs. A submission is therefore written once (its row). A moved mark is
//! saved at most once per [`MARK_SAVE_MS`]: a restart may hand the last moments' submissions on
//! again, which the endpoint stores once (its jobs' keys are unique), so a busy form writes a
//! mark per endpoint per interval, not per batch. Replays, released spam and
//! `endpoint.disabled` events still go through the outbox.
//!
//! Marks only move forward, and a new submission always gets a `rowid` past every mark (see
//! [`FormStore::after_insert`]), so none is skipped even when the newest one was deleted.

use serde::{Deserialize, Serialize};

use super::{FormStore, SubmissionRow, SUBMISSION_COLUMNS};
use crate::error::{ApiError, ApiResult};
use crate::platform::now_ms;
use crate::protocol::{Enqueue, Event, Job, SubmissionEvent};
use crate::rpc;
use crate::settings::FormSettings;

/// How long a moved mark may live in memory only (Unix ms): it is saved with the first
/// hand-off this long after the last save, or by the alarm.
pub(super) const MARK_SAVE_MS: i64 = 1_000;

/// Submissions handed to one endpoint per call.
const HANDOFF_BATCH: i64 = 500;
/// Upper bound on the event data handed to one endpoint per call.
const MAX_HANDOFF_BYTES: usize = 8 * 1024 * 1024;

/// An endpoint's mark.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(super) struct Mark {
    /// `rowid` of the last submission handed on.
    pub seq: i64,
    /// Failed calls since the last success (for the back-off).
    pub attempts: i64,
    /// Not before this time (Unix ms) after a failure.
    pub next_ms: i64,
}

#[derive(Deserialize)]
struct KvRow {
    key: String,
    value: String,
}

#[derive(Deserialize)]
struct SeqRow {
    seq: Option<i64>,
}

/// A submission row with its `rowid` (flattening would read numbers through a buffer that
/// refuses JavaScript's floats as integers, so the columns are spelled out).
#[derive(Deserialize)]
struct RowWithSeq {
    seq: i64,
    id: String,
    message_id: String,
    created_ms: i64,
    spam: i64,
    data: String,
    files: String,
    meta: String,
}

impl RowWithSeq {
    fn split(self) -> (i64, SubmissionRow) {
        (
            self.seq,
            SubmissionRow {
                id: self.id,
                message_id: self.message_id,
                created_ms: self.created_ms,
                spam: self.spam,
                data: self.data,
                files: self.files,
                meta: self.meta,
            },
        )
    }
}

fn mark_key(endpoint_id: &str) -> String {
    format!("handoff:{endpoint_id}")
}

impl FormStore {
    /// Every endpoint's mark, by endpoint id (as moved, saved or not).
    pub(super) fn marks(&self) -> ApiResult<Vec<(String, Mark)>> {
        let rows: Vec<KvRow> = self.db.rows(
            "SELECT key, value FROM kv WHERE key >= 'handoff:' AND key < 'handoff;'",
            vec![],
        )?;
        let unsaved = self.unsaved_marks.borrow();
        rows.into_iter()
            .map(|r| {
                let id = r.key.trim_start_matches("handoff:").to_string();
                let moved = unsaved
                    .iter()
                    .find(|(m, _)| *m == id)
                    .map(|(_, mark)| *mark);
                let mark = match moved {
                    Some(mark) => mark,
                    None => serde_json::from_str(&r.value).map_err(ApiError::internal)?,
                };
                Ok((id, mark))
            })
            .collect()
    }

    /// Moves an endpoint's mark; saves every moved mark when the last save is
    /// [`MARK_SAVE_MS`] old.
    fn move_mark(&self, endpoint_id: &str, mark: Mark, now: i64) -> ApiResult<()> {
        {
            let mut unsaved = self.unsaved_marks.borrow_mut();
            unsaved.retain(|(id, _)| id != endpoint_id);
            unsaved.push((endpoint_id.to_string(), mark));
        }
        if now - self.marks_saved_at.get() >= MARK_SAVE_MS {
            self.save_marks(now)?;
        }
        Ok(())
    }

    /// Saves every mark moved since the last save.
    fn save_marks(&self, now: i64) -> ApiResult<()> {
        let unsaved = std::mem::take(&mut *self.unsaved_marks.borrow_mut());
        for (id, mark) in &unsaved {
            self.save_mark(id, *mark)?;
        }
        self.marks_saved_at.set(now);
        Ok(())
    }

    fn save_mark(&self, endpoint_id: &str, mark: Mark) -> ApiResult<()> {
        let text = serde_json::to_string(&mark).map_err(ApiError::internal)?;
        self.db.exec(
            "INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            vec![mark_key(endpoint_id).into(), text.into()],
        )
    }

    /// Removes an endpoint's mark.
    pub(super) fn forget_mark(&self, endpoint_id: &str) -> ApiResult<()> {
        self.unsaved_marks
            .borrow_mut()
            .retain(|(id, _)| id != endpoint_id);
        self.db.exec(
            "DELETE FROM kv WHERE key = ?",
            vec![mark_key(endpoint_id).into()],
        )
    }

    /// The newest submission's `rowid` (0 when there is none).
    fn newest_seq(&self) -> ApiResult<i64> {
        Ok(self
            .db
            .row::<SeqRow>("SELECT MAX(rowid) AS seq FROM submissions", vec![])?
            .and_then(|r| r.seq)
            .unwrap_or(0))
    }

    /// Gives every endpoint without a mark one at the newest submission: an endpoint added
    /// now gets what arrives from now on, and endpoints from before marks existed had every
    /// older submission queued in the outbox already.
    pub(super) fn ensure_marks(&self, endpoint_ids: &[String]) -> ApiResult<()> {
        let marks = self.marks()?;
        let mut newest = None;
        for id in endpoint_ids {
            if marks.iter().any(|(m, _)| m == id) {
                continue;
            }
            let seq = match newest {
                Some(seq) => seq,
                None => *newest.insert(self.newest_seq()?),
            };
            self.save_mark(
                id,
                Mark {
                    seq,
                    ..Mark::default()
                },
            )?;
        }
        let highest = marks.iter().map(|(_, m)| m.seq).chain(newest).max();
        self.highest_mark
            .set(self.highest_mark.get().max(highest.unwrap_or(0)));
        Ok(())
    }

    /// Called right after a submission row is inserted as `rowid` `seq` (same synchronous run):
    /// if it is not past every mark (the newest submissions were deleted after being handed
    /// on, and SQLite reused their rowids), it moves past them.
    pub(super) fn after_insert(&self, seq: i64) -> ApiResult<()> {
        let highest = self.highest_mark.get();
        if highest == 0 || seq > highest {
            return Ok(());
        }
        self.db.exec(
            "UPDATE submissions SET rowid = ? WHERE rowid = ?",
            vec![(highest + 1).into(), seq.into()],
        )
    }

    /// Whether some endpoint has submissions to hand on, and from when (Unix ms).
    pub(super) fn handoff_due(&self) -> ApiResult<Option<i64>> {
        let newest = self.newest_seq()?;
        Ok(self
            .marks()?
            .into_iter()
            .filter(|(_, m)| m.seq < newest)
            .map(|(_, m)| m.next_ms)
            .min())
    }

    /// Hands what lies past each due mark to its endpoint; returns when to run again (the
    /// earliest back-off, or now when a batch was full).
    pub(super) async fn drain_handoffs(&self, settings: &FormSettings) -> ApiResult<Option<i64>> {
        let now = now_ms();
        if now - self.marks_saved_at.get() >= MARK_SAVE_MS
            && !self.unsaved_marks.borrow().is_empty()
        {
            self.save_marks(now)?;
        }
        let endpoint_ids = self.endpoint_ids()?;
        let marks: Vec<(String, Mark)> = self
            .marks()?
            .into_iter()
            .filter(|(id, _)| endpoint_ids.contains(id))
            .collect();
        let mut again: Option<i64> = None;
        // Endpoints at the same mark share one read of the submissions past it.
        let mut done: Vec<bool> = vec![false; marks.len()];
        for i in 0..marks.len() {
            if done.get(i).copied().unwrap_or(true) {
                continue;
            }
            let Some((_, mark)) = marks.get(i) else {
                continue;
            };
            let group: Vec<usize> = (i..marks.len())
                .filter(|j| marks.get(*j).is_some_and(|(_, m)| m.seq == mark.seq))
                .collect();
            for j in &group {
                if let Some(d) = done.get_mut(*j) {
                    *d = true;
                }
            }
            let due: Vec<usize> = group
                .iter()
                .copied()
                .filter(|j| marks.get(*j).is_some_and(|(_, m)| m.next_ms <= now))
                .collect();
            for j in group.iter().filter(|j| !due.contains(j)) {
                if let Some((_, m)) = marks.get(*j) {
                    again = Some(again.map_or(m.next_ms, |a| a.min(m.next_ms)));
                }
            }
            if due.is_empty() {
                continue;
            }
            let rows: Vec<RowWithSeq> = self.db.rows(
                &format!(
                    "SELECT rowid AS seq, {SUBMISSION_COLUMNS} FROM submissions WHERE rowid > ? ORDER BY rowid LIMIT ?"
                ),
                vec![mark.seq.into(), HANDOFF_BATCH.into()],
            )?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                continue;
            };
            let full = rows.len() as i64 == HANDOFF_BATCH;
            let mut jobs = Vec::new();
            let mut bytes = 0;
            let mut upto = mark.seq;
            for (seq, row) in rows.into_iter().map(RowWithSeq::split) {
                bytes += row.data.len() + row.files.len() + row.meta.len();
                if bytes > MAX_HANDOFF_BYTES && !jobs.is_empty() {
                    break;
                }
                upto = seq;
                // Spam is handed on only when the form delivers spam (released spam goes
                // through the outbox).
                if row.spam != 0 && !settings.deliver_spam {
                    continue;
                }
                let key = format!("sub:{}", row.id);
                jobs.push(submission_job(settings, row, key, false)?);
            }
            if upto < last || full {
                again = Some(now);
            }
            let calls = due
                .iter()
                .filter_map(|j| marks.get(*j))
                .map(|(endpoint_id, mark)| {
                    let jobs = &jobs;
                    async move {
                        if jobs.is_empty() {
                            return (endpoint_id, *mark, true);
                        }
                        let Ok(stub) = rpc::endpoint(&self.env, endpoint_id) else {
                            return (endpoint_id, *mark, false);
                        };
                        self.db.work().object_call();
                        let ok = match rpc::call(&stub, &Enqueue { jobs: jobs.clone() }).await {
                            Ok(_) => true,
                            // The endpoint was deleted: nothing to hand it.
                            Err(err) => err.status == 404,
                        };
                        (endpoint_id, *mark, ok)
                    }
                });
            for (endpoint_id, mark, ok) in futures_util::future::join_all(calls).await {
                let next = if ok {
                    Mark {
                        seq: upto,
                        attempts: 0,
                        next_ms: 0,
                    }
                } else {
                    let backoff = (1000_i64 << mark.attempts.clamp(0, 6)).min(60_000);
                    let next_ms = now_ms() + backoff;
                    again = Some(again.map_or(next_ms, |a| a.min(next_ms)));
                    Mark {
                        attempts: mark.attempts + 1,
                        next_ms,
                        ..mark
                    }
                };
                self.move_mark(endpoint_id, next, now_ms())?;
                self.highest_mark.set(self.highest_mark.get().max(next.seq));
            }
        }
        if !self.unsaved_marks.borrow().is_empty() {
            // Save them by then even if nothing else wakes the alarm.
            let save_at = self.marks_saved_at.get() + MARK_SAVE_MS;
            again = Some(again.map_or(save_at, |a| a.min(save_at)));
        }
        Ok(again)
    }
}

/// The `form.submission.created` job of a stored submission under `key` (`sub:{id}` for its
/// first delivery).
pub(super) fn submission_job(
    settings: &FormSettings,
    row: SubmissionRow,
    key: String,
    replay: bool,
) -> ApiResult<Job> {
    let files: Vec<super::StoredFile> =
        serde_json::from_str(&row.files).map_err(ApiError::internal)?;
    let file_origin = files
        .iter()
        .find(|f| f.stored)
        .and_then(|f| f.origin.clone());
    Ok(Job {
        key,
        message_id: row.message_id,
        replay,
        event: Event::SubmissionCreated(Box::new(SubmissionEvent {
            id: row.id,
            form_id: settings.id.clone(),
            form_name: settings.name.clone(),
            created_ms: row.created_ms,
            data: serde_json::from_str(&row.data).map_err(ApiError::internal)?,
            files: files.into_iter().map(|f| f.info).collect(),
            meta: serde_json::from_str(&row.meta).map_err(ApiError::internal)?,
            file_origin,
        })),
    })
}
