//! What a replay does to the other deliveries of the same event on the same endpoint.
//!
//! A replay sends an event again, now. An earlier delivery of that event that is still pending
//! (waiting for its retry, or not sent yet) would send it once more later: the receiver would get
//! it twice. So the replay supersedes it: the earlier delivery is closed as
//! [`DeliveryStatus::Skipped`] and never attempted again, and the replay is the one delivery. An
//! attempt of the earlier delivery already on the wire when the replay arrives cannot be called
//! back; when it ends, a success is kept (the receiver did get it) and anything else leaves the
//! delivery closed, with no retry scheduled.

use super::DeliveryStatus;

/// What a superseded delivery's `last_error` says, followed by the replay's delivery id.
pub const SUPERSEDED_BY: &str = "superseded by replay";

/// Whether a replay whose new delivery starts as `replay` supersedes an earlier delivery of the
/// same event on the same endpoint that stands at `earlier`: only a pending replay (the endpoint
/// is enabled, so it will be sent) closes a pending delivery. A replay recorded as skipped (the
/// endpoint is disabled) leaves the earlier delivery to resume with the endpoint; a delivery
/// that has ended is history, never changed.
pub const fn replay_supersedes(replay: DeliveryStatus, earlier: DeliveryStatus) -> bool {
    matches!(
        (replay, earlier),
        (DeliveryStatus::Pending, DeliveryStatus::Pending)
    )
}

/// The status a delivery takes after an attempt ends, from its status in storage at that moment
/// (`stored`: a replay may have superseded it while the attempt was in flight) and the status the
/// attempt's verdict gives it (`verdict`). A superseded delivery stays closed unless this attempt
/// delivered it; any other delivery takes the verdict.
pub const fn status_after_attempt(
    stored: DeliveryStatus,
    verdict: DeliveryStatus,
) -> DeliveryStatus {
    match (stored, verdict) {
        (DeliveryStatus::Skipped, DeliveryStatus::Delivered) => DeliveryStatus::Delivered,
        (DeliveryStatus::Skipped, _) => DeliveryStatus::Skipped,
        (_, verdict) => verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus::{Delivered, Failed, Pending, Skipped};

    #[test]
    fn a_pending_replay_supersedes_only_a_pending_delivery() {
        assert!(replay_supersedes(Pending, Pending));
        for ended in [Delivered, Failed, Skipped] {
            assert!(!replay_supersedes(Pending, ended), "{ended:?} is history");
        }
        // The endpoint is disabled: the replay is recorded as skipped and sends nothing, so the
        // earlier pending delivery must stay to resume when the endpoint is enabled again.
        for earlier in DeliveryStatus::ALL {
            assert!(!replay_supersedes(Skipped, earlier));
        }
    }

    #[test]
    fn a_superseded_delivery_stays_closed_unless_its_last_attempt_delivered() {
        assert_eq!(status_after_attempt(Skipped, Pending), Skipped);
        assert_eq!(status_after_attempt(Skipped, Failed), Skipped);
        assert_eq!(status_after_attempt(Skipped, Delivered), Delivered);
    }

    #[test]
    fn any_other_delivery_takes_the_verdict() {
        for verdict in DeliveryStatus::ALL {
            assert_eq!(status_after_attempt(Pending, verdict), verdict);
        }
    }
}
