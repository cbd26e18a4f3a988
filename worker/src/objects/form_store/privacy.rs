//! A form's personal-data duties: erasing a submission or the whole form (recorded first, then
//! done, and finished from the alarm when a crash interrupts it) and removing what is older than
//! the form's retention. The age maths is the core's (`formhook::retention`).

use formhook::retention::{cutoff_ms, next_wake_ms, retention_ms, DAY_MS};
use futures_util::future::join_all;
use serde::Deserialize;

use super::{FormStore, IdRow, NextRow};
use crate::error::{ApiError, ApiResult};
use crate::files;
use crate::platform::{new_id, now_ms};
use crate::protocol::{
    DeleteEndpoint, DeleteForm, DeleteSubmission, EraseSubmission, Event, Job, ReleaseForm, Retain,
};
use crate::rpc;
use crate::settings::FormSettings;
use crate::views::Erasure;

/// The table of submission erasures not finished yet: the endpoints still to tell, as JSON.
pub(super) const ERASURES_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS erasures(submission_id TEXT PRIMARY KEY,
       requested_ms INTEGER NOT NULL, message_id TEXT NOT NULL, endpoints TEXT NOT NULL)";

/// An unfinished erasure is tried again this long after a failed run.
const ERASURE_RETRY_MS: i64 = 5_000;
/// Endpoints told at once (six simultaneous outbound connections per invocation).
const PARALLEL: usize = 6;
/// Expired submissions removed per alarm run; the rest in the next one.
const EXPIRE_BATCH: i64 = 200;

#[derive(Deserialize)]
struct ErasureRow {
    submission_id: String,
    requested_ms: i64,
    message_id: String,
    endpoints: String,
}

#[derive(Deserialize)]
struct ValueRow {
    value: String,
}

/// The `LIKE` pattern of outbox items about one submission. Items are this object's own JSON,
/// `{"kind":"submission","submission_id":"…",…}`; `_` (in every id) and `%` are wildcards, so
/// they are escaped (with `\`).
fn outbox_pattern(submission_id: &str) -> String {
    let exact = submission_id
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%\"submission_id\":\"{exact}\"%")
}

impl FormStore {
    /// A test-only stop (`ERASURE_STOP_AFTER_INTENT`: form ids, comma-separated): erasures of
    /// these forms are recorded and then left, as if the process died right after, until a
    /// restart without the variable. Never set it in a deployment.
    pub(super) fn erasure_stopped(&self, form_id: &str) -> bool {
        self.env
            .var("ERASURE_STOP_AFTER_INTENT")
            .is_ok_and(|v| v.to_string().split(',').any(|id| id.trim() == form_id))
    }

    /// A day in ms: `RETENTION_DAY_MS` (test-only, so a test "day" can be seconds) or 24 h.
    fn day_ms(&self) -> u64 {
        self.env
            .var("RETENTION_DAY_MS")
            .ok()
            .and_then(|v| v.to_string().parse().ok())
            .filter(|ms| *ms > 0)
            .unwrap_or(DAY_MS)
    }

    fn kv_value(&self, key: &str) -> ApiResult<Option<String>> {
        Ok(self
            .db
            .row::<ValueRow>("SELECT value FROM kv WHERE key = ?", vec![key.into()])?
            .map(|r| r.value))
    }

    /// The id of the form being erased, when `DeleteForm` has recorded its intent.
    pub(super) fn erasing_form(&self) -> ApiResult<Option<String>> {
        // The kv table exists wherever settings were ever stored; none at all is no erasure.
        match self.kv_value("erasing") {
            Ok(value) => Ok(value),
            Err(err) if err.message.contains("no such table") => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// `DELETE /api/forms/{form_id}/submissions/{id}`.
    pub(super) async fn delete_submission(&self, call: DeleteSubmission) -> ApiResult<Erasure> {
        let settings = self.settings()?;
        let recorded = self.db.count(
            "SELECT COUNT(*) AS n FROM erasures WHERE submission_id = ?",
            vec![call.id.as_str().into()],
        )?;
        if recorded == 0 {
            self.submission_row(&call.id)?;
            let endpoints =
                serde_json::to_string(&self.endpoint_ids()?).map_err(ApiError::internal)?;
            // The intent and every local removal run without an await in between: the runtime
            // commits them together, so the submission is never gone without its intent.
            self.db.exec(
                "INSERT INTO erasures(submission_id, requested_ms, message_id, endpoints) VALUES (?, ?, ?, ?)",
                vec![
                    call.id.as_str().into(),
                    now_ms().into(),
                    new_id("msg")?.into(),
                    endpoints.into(),
                ],
            )?;
            self.remove_submission_rows(&call.id)?;
        }
        if self.erasure_stopped(&settings.id) {
            return Ok(Erasure {
                id: call.id,
                complete: false,
            });
        }
        let complete = self.finish_erasure(&settings, &call.id).await?;
        if !complete {
            self.state.storage().set_alarm(ERASURE_RETRY_MS).await?;
            self.alarm_at.set(Some(now_ms() + ERASURE_RETRY_MS));
        }
        Ok(Erasure {
            id: call.id,
            complete,
        })
    }

    /// Removes a submission's row and undelivered outbox rows (its files are in R2).
    fn remove_submission_rows(&self, id: &str) -> ApiResult<()> {
        self.db
            .exec("DELETE FROM submissions WHERE id = ?", vec![id.into()])?;
        self.db.exec(
            "DELETE FROM outbox WHERE item LIKE ? ESCAPE '\\'",
            vec![outbox_pattern(id).into()],
        )?;
        self.stored_bytes.set(None);
        Ok(())
    }

    /// Does what a recorded submission erasure still needs; `true` once nothing is left.
    async fn finish_erasure(
        &self,
        settings: &FormSettings,
        submission_id: &str,
    ) -> ApiResult<bool> {
        let Some(row) = self.db.row::<ErasureRow>(
            "SELECT submission_id, requested_ms, message_id, endpoints FROM erasures WHERE submission_id = ?",
            vec![submission_id.into()],
        )?
        else {
            return Ok(true);
        };
        files::delete_prefix(
            &files::bucket(&self.env)?,
            &files::submission_prefix(&settings.id, &row.submission_id),
        )
        .await?;
        let endpoints: Vec<String> =
            serde_json::from_str(&row.endpoints).map_err(ApiError::internal)?;
        let notice = Job {
            key: format!("erase:{}", row.submission_id),
            message_id: row.message_id.clone(),
            replay: false,
            event: Event::SubmissionDeleted {
                submission_id: row.submission_id.clone(),
                form_id: settings.id.clone(),
                at_ms: row.requested_ms,
            },
        };
        let mut left = Vec::new();
        for chunk in endpoints.chunks(PARALLEL) {
            let calls = chunk.iter().map(|endpoint_id| {
                let call = EraseSubmission {
                    submission_id: row.submission_id.clone(),
                    notice: Some(notice.clone()),
                };
                async move { rpc::call(&rpc::endpoint(&self.env, endpoint_id)?, &call).await }
            });
            for (endpoint_id, answer) in chunk.iter().zip(join_all(calls).await) {
                match answer {
                    // A deleted endpoint holds nothing any more.
                    Ok(_) => {}
                    Err(err) if err.status == 404 => {}
                    Err(err) => {
                        crate::objects::log_failure("form_store", "erase_submission", &err);
                        left.push(endpoint_id.clone());
                    }
                }
            }
        }
        if left.is_empty() {
            self.db.exec(
                "DELETE FROM erasures WHERE submission_id = ?",
                vec![row.submission_id.into()],
            )?;
        } else {
            let text = serde_json::to_string(&left).map_err(ApiError::internal)?;
            self.db.exec(
                "UPDATE erasures SET endpoints = ? WHERE submission_id = ?",
                vec![text.into(), row.submission_id.into()],
            )?;
        }
        Ok(left.is_empty())
    }

    /// Every recorded submission erasure, finished as far as possible; `true` when none is left.
    async fn finish_erasures(&self, settings: &FormSettings) -> ApiResult<bool> {
        let ids: Vec<IdRow> = self.db.rows(
            "SELECT submission_id AS id FROM erasures ORDER BY requested_ms",
            vec![],
        )?;
        let mut all = true;
        for id in ids {
            all &= self.finish_erasure(settings, &id.id).await?;
        }
        Ok(all)
    }

    /// `DELETE /api/forms/{form_id}`: records the intent and removes the form's own data at
    /// once, then erases its files, its endpoints and its registry entry.
    pub(super) async fn delete_form(&self, _: DeleteForm) -> ApiResult<Erasure> {
        let form_id = match self.erasing_form()? {
            Some(id) => id,
            None => {
                let settings = self.settings()?;
                // One synchronous run: the intent and the removal of every submission commit
                // together.
                self.db.exec(
                    "INSERT INTO kv(key, value) VALUES ('erasing', ?)",
                    vec![settings.id.as_str().into()],
                )?;
                for table in [
                    "submissions",
                    "recent_posts",
                    "uploads",
                    "outbox",
                    "erasures",
                ] {
                    self.db.exec(&format!("DELETE FROM {table}"), vec![])?;
                }
                self.cache.borrow_mut().take();
                self.stored_bytes.set(None);
                settings.id
            }
        };
        if self.erasure_stopped(&form_id) {
            return Ok(Erasure {
                id: form_id,
                complete: false,
            });
        }
        let complete = self.finish_form_erasure(&form_id).await?;
        if !complete {
            self.state.storage().set_alarm(ERASURE_RETRY_MS).await?;
        }
        Ok(Erasure {
            id: form_id,
            complete,
        })
    }

    /// The rest of a form's erasure, each step safe to repeat; `true` once the object is empty.
    pub(super) async fn finish_form_erasure(&self, form_id: &str) -> ApiResult<bool> {
        files::delete_prefix(&files::bucket(&self.env)?, &files::form_prefix(form_id)).await?;
        self.db.ensure(&super::SCHEMA)?;
        let endpoints: Vec<IdRow> = self.db.rows("SELECT id FROM endpoints", vec![])?;
        for chunk in endpoints.chunks(PARALLEL) {
            let calls = chunk.iter().map(|e| async move {
                rpc::call(&rpc::endpoint(&self.env, &e.id)?, &DeleteEndpoint {}).await
            });
            for (endpoint, answer) in chunk.iter().zip(join_all(calls).await) {
                match answer {
                    Err(err) if err.status != 404 => {
                        crate::objects::log_failure("form_store", "delete_endpoint", &err);
                    }
                    _ => self.db.exec(
                        "DELETE FROM endpoints WHERE id = ?",
                        vec![endpoint.id.as_str().into()],
                    )?,
                }
            }
        }
        if self
            .db
            .count("SELECT COUNT(*) AS n FROM endpoints", vec![])?
            > 0
        {
            return Ok(false);
        }
        rpc::call(
            &rpc::registry(&self.env)?,
            &ReleaseForm {
                id: form_id.to_string(),
            },
        )
        .await?;
        let storage = self.state.storage();
        storage.delete_alarm().await?;
        storage.delete_all().await?;
        self.db.reset();
        self.cache.borrow_mut().take();
        self.stored_bytes.set(None);
        self.highest_mark.set(0);
        self.unsaved_marks.borrow_mut().clear();
        Ok(true)
    }

    /// The alarm's privacy work after the outbox: unfinished erasures, then retention. Returns
    /// when the alarm must run again for them.
    pub(super) async fn privacy_duties(&self, settings: &FormSettings) -> ApiResult<Option<i64>> {
        let mut wake = None;
        if !self.erasure_stopped(&settings.id) && !self.finish_erasures(settings).await? {
            wake = Some(now_ms() + ERASURE_RETRY_MS);
        }
        let expiry = self.expire(settings).await?;
        Ok([wake, expiry].into_iter().flatten().min())
    }

    /// Removes submissions older than the retention (files first: a crash between leaves rows
    /// that the next run removes again), tells the endpoints the retention when it changed, and
    /// returns when the oldest kept submission expires.
    async fn expire(&self, settings: &FormSettings) -> ApiResult<Option<i64>> {
        let retention = retention_ms(settings.retention_days, self.day_ms());
        self.sync_retention(retention).await?;
        let Some(retention) = retention else {
            return Ok(None);
        };
        let now = now_ms();
        let expired: Vec<IdRow> = self.db.rows(
            "SELECT id FROM submissions WHERE created_ms < ? ORDER BY created_ms LIMIT ?",
            vec![cutoff_ms(now, retention).into(), EXPIRE_BATCH.into()],
        )?;
        let bucket = if expired.is_empty() {
            None
        } else {
            Some(files::bucket(&self.env)?)
        };
        for row in &expired {
            if let Some(bucket) = &bucket {
                files::delete_prefix(bucket, &files::submission_prefix(&settings.id, &row.id))
                    .await?;
            }
            self.remove_submission_rows(&row.id)?;
        }
        if expired.len() as i64 == EXPIRE_BATCH {
            return Ok(Some(now));
        }
        let oldest = self
            .db
            .row::<NextRow>("SELECT MIN(created_ms) AS next FROM submissions", vec![])?
            .and_then(|r| r.next);
        Ok(next_wake_ms(oldest, retention))
    }

    /// Tells every endpoint the form's retention when it differs from what they were last told
    /// (a new endpoint clears the record, so it hears it too).
    async fn sync_retention(&self, retention: Option<u64>) -> ApiResult<()> {
        let told = self.kv_value("retention_told")?;
        let current = retention.map(|ms| ms.to_string()).unwrap_or_default();
        if told.unwrap_or_default() == current {
            return Ok(());
        }
        let endpoints = self.endpoint_ids()?;
        for chunk in endpoints.chunks(PARALLEL) {
            let calls = chunk.iter().map(|id| async move {
                rpc::call(
                    &rpc::endpoint(&self.env, id)?,
                    &Retain {
                        retention_ms: retention,
                    },
                )
                .await
            });
            for answer in join_all(calls).await {
                match answer {
                    Ok(_) => {}
                    Err(err) if err.status == 404 => {}
                    Err(err) => return Err(err),
                }
            }
        }
        self.db.exec(
            "INSERT INTO kv(key, value) VALUES ('retention_told', ?)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            vec![current.into()],
        )
    }

    /// Makes the next alarm re-tell the endpoints the retention (a new endpoint was added).
    pub(super) fn forget_retention_told(&self) -> ApiResult<()> {
        self.db
            .exec("DELETE FROM kv WHERE key = 'retention_told'", vec![])
    }

    /// Whether the alarm has privacy work waiting (after a restart, `RecoverForm` asks).
    pub(super) fn has_privacy_work(&self, settings: &FormSettings) -> ApiResult<bool> {
        let erasures = self
            .db
            .count("SELECT COUNT(*) AS n FROM erasures", vec![])?;
        Ok((erasures > 0 && !self.erasure_stopped(&settings.id)) || settings.retention_days > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_pattern_names_one_submission_exactly() {
        assert_eq!(outbox_pattern("sub_1"), r#"%"submission_id":"sub\_1"%"#);
        assert_eq!(outbox_pattern("a%b\\c"), r#"%"submission_id":"a\%b\\c"%"#);
    }
}
