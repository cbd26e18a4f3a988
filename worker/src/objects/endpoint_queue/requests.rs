//! The request each attempt sent (URL and exact headers, signatures included), kept beside the
//! attempt log so the dashboard can show it and a receiver's developer can check it in the
//! playground. The body is the delivery's stored payload, the same bytes for every attempt.
//! Never a secret: signatures and the endpoint's configured headers only. A first attempt
//! that delivered keeps its request in its delivery's row instead (`InlineAttempt`); this table
//! holds the others, written when the attempt is recorded.

use serde::Deserialize;

use super::EndpointQueue;
use crate::error::{ApiError, ApiResult};
use crate::views::{AttemptView, LastFailure, SentRequest};

/// The table of sent requests (created with the endpoint's other tables), keyed by delivery
/// so a delivery's requests are one range read, and one row written per attempt. Objects from
/// before this version keep theirs (keyed by attempt id alone; the same queries work on it).
pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS attempt_requests(
    attempt_id TEXT NOT NULL, delivery_id TEXT NOT NULL, url TEXT NOT NULL, headers TEXT NOT NULL,
    PRIMARY KEY (delivery_id, attempt_id)) WITHOUT ROWID";

/// Finds an endpoint's newest failed attempt without reading its whole log.
pub(super) const FAILURES_INDEX: &str = "CREATE INDEX IF NOT EXISTS attempts_failed
    ON attempts(started_ms) WHERE outcome != 'delivered'";

#[derive(Deserialize)]
struct RequestRow {
    attempt_id: String,
    url: String,
    headers: String,
}

#[derive(Deserialize)]
struct FailureRow {
    started_ms: i64,
    delivery_id: String,
    status: Option<u16>,
    outcome: String,
    error: Option<String>,
    response_excerpt: String,
}

/// How much of a failed answer stands in for a missing error message.
const EXCERPT_CHARS: usize = 200;

impl EndpointQueue {
    /// Keeps what an attempt sent.
    pub(super) fn keep_request(
        &self,
        attempt_id: &str,
        delivery_id: &str,
        url: &str,
        headers: &[(String, String)],
    ) -> ApiResult<()> {
        let text = serde_json::to_string(headers).map_err(ApiError::internal)?;
        self.db.exec(
            "INSERT OR REPLACE INTO attempt_requests(attempt_id, delivery_id, url, headers) VALUES (?, ?, ?, ?)",
            vec![attempt_id.into(), delivery_id.into(), url.into(), text.into()],
        )
    }

    /// Adds each attempt's sent request to a delivery's log.
    pub(super) fn with_requests(&self, mut log: Vec<AttemptView>) -> ApiResult<Vec<AttemptView>> {
        let Some(first) = log.first() else {
            return Ok(log);
        };
        let rows: Vec<RequestRow> = self.db.rows(
            "SELECT attempt_id, url, headers FROM attempt_requests WHERE delivery_id = ?",
            vec![first.delivery_id.as_str().into()],
        )?;
        for row in rows {
            if let Some(attempt) = log.iter_mut().find(|a| a.id == row.attempt_id) {
                attempt.request = Some(SentRequest {
                    url: row.url,
                    headers: serde_json::from_str(&row.headers).map_err(ApiError::internal)?,
                });
            }
        }
        Ok(log)
    }

    /// The newest attempt that did not deliver, if any.
    pub(super) fn last_failure(&self) -> ApiResult<Option<LastFailure>> {
        let row: Option<FailureRow> = self.db.row(
            "SELECT started_ms, delivery_id, status, outcome, error, response_excerpt FROM attempts
             WHERE outcome != 'delivered' ORDER BY started_ms DESC, id DESC LIMIT 1",
            vec![],
        )?;
        Ok(row.map(|r| LastFailure {
            at: crate::views::iso(r.started_ms),
            delivery_id: r.delivery_id,
            status: r.status,
            outcome: r.outcome,
            error: r.error.or_else(|| {
                let excerpt: String = r.response_excerpt.chars().take(EXCERPT_CHARS).collect();
                (!excerpt.is_empty()).then_some(excerpt)
            }),
        }))
    }
}
