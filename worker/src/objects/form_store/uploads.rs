//! A form's file uploads to R2, and the sweep that removes what a failed upload left behind.
//!
//! R2 and this object's storage commit separately, so a submission with files is stored in
//! three steps: (1) an `uploads` row names the submission before any byte goes to R2 (the
//! runtime holds outgoing requests until that row is durable); (2) each file is written to R2;
//! (3) in one synchronous run the `uploads` row is removed and the submission committed. A crash
//! between (1) and (3) leaves the row, never a submission: the alarm's sweep deletes the
//! submission's prefix once the row is older than `FILE_ORPHAN_AGE_SECONDS` (default 900) and
//! drops the row. A sweep that removed a row before its upload finished makes that upload fail
//! (step 3 finds no row), so a committed submission never lacks its files.

use std::time::Duration;

use formhook::form::FileInfo;
use serde::Deserialize;

use super::FormStore;
use crate::error::{ApiError, ApiResult};
use crate::files;
use crate::objects::log_failure;
use crate::platform::now_ms;

/// The table of uploads under way (created with the form's other tables).
pub(super) const UPLOADS_TABLE: &str = "CREATE TABLE IF NOT EXISTS uploads(
   submission_id TEXT PRIMARY KEY, started_ms INTEGER NOT NULL)";

/// How old an unfinished upload must be before the sweep removes its files, unless the
/// `FILE_ORPHAN_AGE_SECONDS` var says otherwise (tests set a second or two).
const DEFAULT_ORPHAN_AGE_SECS: i64 = 900;
/// The bytes of the test hook's marker object (see `store_files`).
const HELD_MARKER: &[u8] = b"formhook test hook: upload held";
/// Uploads swept per alarm run; the rest wait for the next run.
const SWEEP_BATCH: i64 = 50;

#[derive(Deserialize)]
struct UploadRow {
    submission_id: String,
}

#[derive(Deserialize)]
struct OldestRow {
    oldest: Option<i64>,
}

impl FormStore {
    /// Writes a submission's files to R2 (steps 1 and 2 above). On failure every object written
    /// is deleted again before the error is answered.
    pub(super) async fn store_files(
        &self,
        form_id: &str,
        submission_id: &str,
        files: &[FileInfo],
        body: &[u8],
    ) -> ApiResult<()> {
        let bucket = files::bucket(&self.env)?;
        let started = now_ms();
        self.db.exec(
            "INSERT INTO uploads(submission_id, started_ms) VALUES (?, ?)",
            vec![submission_id.into(), started.into()],
        )?;
        self.arm_by(started.saturating_add(self.orphan_age_ms()))
            .await?;
        for (index, info) in files.iter().enumerate() {
            let bytes = body.get(info.range.clone()).unwrap_or_default().to_vec();
            let key = files::key(form_id, submission_id, index);
            let put = files::put(&bucket, &key, bytes, &info.content_type, info.base_name());
            if let Err(err) = put.await {
                self.abandon_upload(form_id, submission_id).await;
                return Err(err);
            }
        }
        // Test hook: hold the upload between the R2 writes and the commit, so a test can kill
        // the runtime exactly there. A marker object (under the submission's prefix, so the sweep
        // removes it too) tells the test every file write has resolved. Unset (the default) it
        // costs nothing.
        if let Some(pause) = self.var_u64("FILE_COMMIT_PAUSE_MS").filter(|ms| *ms > 0) {
            let marker = format!("{}held", files::submission_prefix(form_id, submission_id));
            files::put(&bucket, &marker, HELD_MARKER.to_vec(), "text/plain", "held").await?;
            worker::Delay::from(Duration::from_millis(pause)).await;
        }
        Ok(())
    }

    /// Step 3's check, run synchronously with the commit: removes the upload's row and answers
    /// whether it was still there (a sweep may have judged the upload dead and removed it).
    pub(super) fn finish_upload(&self, submission_id: &str) -> ApiResult<bool> {
        let found: Option<UploadRow> = self.db.row(
            "DELETE FROM uploads WHERE submission_id = ? RETURNING submission_id",
            vec![submission_id.into()],
        )?;
        Ok(found.is_some())
    }

    /// Deletes what an upload wrote and its row; failures are logged and left to the sweep.
    pub(super) async fn abandon_upload(&self, form_id: &str, submission_id: &str) {
        let result = async {
            let bucket = files::bucket(&self.env)?;
            files::delete_prefix(&bucket, &files::submission_prefix(form_id, submission_id))
                .await?;
            self.db.exec(
                "DELETE FROM uploads WHERE submission_id = ?",
                vec![submission_id.into()],
            )
        }
        .await;
        if let Err(err) = result {
            log_failure("form_store", "abandon_upload", &err);
        }
    }

    /// `503 upload_expired`: the sweep removed the upload's files before it committed.
    pub(super) fn upload_expired() -> ApiError {
        ApiError::new(
            503,
            "upload_expired",
            "the upload took too long and its files were removed; send the form again",
        )
    }

    /// Removes the files of uploads older than the orphan age (their submission was never
    /// committed); returns when the oldest one left is due (the alarm run wakes for it).
    pub(super) async fn sweep_uploads(&self, form_id: &str) -> ApiResult<Option<i64>> {
        let age = self.orphan_age_ms();
        let rows: Vec<UploadRow> = self.db.rows(
            "SELECT submission_id FROM uploads WHERE started_ms <= ? ORDER BY started_ms LIMIT ?",
            vec![now_ms().saturating_sub(age).into(), SWEEP_BATCH.into()],
        )?;
        if !rows.is_empty() {
            let bucket = files::bucket(&self.env)?;
            for row in &rows {
                let prefix = files::submission_prefix(form_id, &row.submission_id);
                let deleted = files::delete_prefix(&bucket, &prefix).await?;
                self.db.exec(
                    "DELETE FROM uploads WHERE submission_id = ?",
                    vec![row.submission_id.as_str().into()],
                )?;
                crate::log::emit(&crate::log::LogLine::OrphansSwept {
                    form_id,
                    submission_id: &row.submission_id,
                    objects: deleted,
                });
            }
        }
        Ok(self
            .oldest_upload()?
            .map(|oldest| oldest.saturating_add(age)))
    }

    /// When the oldest unfinished upload started, if any.
    pub(super) fn oldest_upload(&self) -> ApiResult<Option<i64>> {
        Ok(self
            .db
            .row::<OldestRow>("SELECT MIN(started_ms) AS oldest FROM uploads", vec![])?
            .and_then(|r| r.oldest))
    }

    pub(super) fn orphan_age_ms(&self) -> i64 {
        let secs = self
            .var_u64("FILE_ORPHAN_AGE_SECONDS")
            .and_then(|s| i64::try_from(s).ok())
            .unwrap_or(DEFAULT_ORPHAN_AGE_SECS);
        secs.saturating_mul(1000)
    }

    fn var_u64(&self, name: &str) -> Option<u64> {
        self.env
            .var(name)
            .ok()
            .and_then(|v| v.to_string().trim().parse().ok())
    }
}
