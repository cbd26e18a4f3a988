//! What an admin does to deliveries by hand: attempt a pending one now, send a finished one
//! again, send every failed one again. Each keeps the delivery's payload bytes and `webhook-id`
//! (receivers dedupe on it) and its attempt count, so the attempt log of a delivery reads as one
//! story; the core's retry rules then apply to the attempts that follow as to any other.

use formhook::delivery::DeliveryStatus;
use serde::Deserialize;

use super::{EndpointQueue, DELIVERY_COLUMNS};
use crate::error::{ApiError, ApiResult};
use crate::platform::now_ms;
use crate::protocol::{ReplayFailed, ResendDelivery, RetryDelivery};
use crate::views::{DeliveryView, ReplayedFailed};

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

fn conflict(code: &str, message: &str) -> ApiError {
    ApiError::new(409, code, message)
}

impl EndpointQueue {
    /// `409 endpoint_disabled` unless the endpoint sends.
    fn sending(&self) -> ApiResult<()> {
        if self.settings()?.health.enabled {
            Ok(())
        } else {
            Err(conflict(
                "endpoint_disabled",
                "the endpoint is disabled: enable it first",
            ))
        }
    }

    fn delivery(&self, id: &str) -> ApiResult<super::DeliveryRow> {
        self.db
            .row(
                &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?"),
                vec![id.into()],
            )?
            .ok_or_else(|| ApiError::new(404, "delivery_not_found", "no delivery with this id"))
    }

    /// A pending delivery, attempted at once instead of at its scheduled time.
    pub(super) async fn retry_now(&self, call: RetryDelivery) -> ApiResult<DeliveryView> {
        self.sending()?;
        let row = self.delivery(&call.id)?;
        if row.status != DeliveryStatus::Pending {
            return Err(conflict(
                "delivery_not_pending",
                "only a pending delivery can be retried now; resend a delivered or failed one",
            ));
        }
        if self.in_flight.borrow().contains(&row.id) {
            return Err(conflict(
                "attempt_in_flight",
                "an attempt of this delivery is being sent right now",
            ));
        }
        self.changed();
        self.db.exec(
            "UPDATE deliveries SET next_attempt_ms = ? WHERE id = ? AND status = 'pending'",
            vec![now_ms().into(), row.id.as_str().into()],
        )?;
        self.arm(false).await?;
        Ok(self.delivery(&row.id)?.view())
    }

    /// A delivered, failed or skipped delivery, sent again: pending from now, marked as a replay.
    pub(super) async fn resend(&self, call: ResendDelivery) -> ApiResult<DeliveryView> {
        self.sending()?;
        let row = self.delivery(&call.id)?;
        if row.status == DeliveryStatus::Pending {
            return Err(conflict(
                "delivery_pending",
                "this delivery is still pending: retry it now instead",
            ));
        }
        if row.payload.is_empty() {
            return Err(conflict(
                "payload_removed",
                "this delivery's payload was erased or passed the form's retention: nothing to send",
            ));
        }
        self.changed();
        self.db.exec(
            "UPDATE deliveries SET status = 'pending', next_attempt_ms = ?, replay = 1 WHERE id = ?",
            vec![now_ms().into(), row.id.as_str().into()],
        )?;
        self.arm(false).await?;
        Ok(self.delivery(&row.id)?.view())
    }

    /// Every failed delivery, sent again (as [`Self::resend`] does each).
    pub(super) async fn replay_failed(&self, _: ReplayFailed) -> ApiResult<ReplayedFailed> {
        self.sending()?;
        self.changed();
        let rows: Vec<IdRow> = self.db.rows(
            "UPDATE deliveries SET status = 'pending', next_attempt_ms = ?, replay = 1
             WHERE status = 'failed' AND length(payload) > 0 RETURNING id",
            vec![now_ms().into()],
        )?;
        if !rows.is_empty() {
            self.arm(false).await?;
        }
        let mut delivery_ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
        delivery_ids.sort();
        Ok(ReplayedFailed {
            queued: delivery_ids.len() as u64,
            delivery_ids,
        })
    }
}
