//! An endpoint's health and what each attempt's result does to it and to the delivery.
//!
//! Rules: a delivered attempt ends any failing run; the first failure starts one
//! (`failing_since`); a receiver that answers `410 Gone`, or a run of failures without a single
//! delivery for [`Policy::disable_after_ms`], disables the endpoint. While disabled, new
//! deliveries are recorded as [`DeliveryStatus::Skipped`] and nothing is sent; enabling it again
//! clears the failing run and the reason.

use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::encoding::decimal;
use crate::retry::{
    classify, next_attempt, should_disable, AttemptResult, Decision, Outcome, Policy, Schedule,
};

/// Where one delivery (one event for one endpoint) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// No more attempts: the schedule ran out, or the receiver answered 410.
    Failed,
    /// Not sent (any more): the endpoint was disabled when the event arrived, or a replay of the
    /// event superseded it (see [`replay`](super::replay)).
    Skipped,
}

impl DeliveryStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 4] = [Self::Pending, Self::Delivered, Self::Failed, Self::Skipped];

    /// The stable name (same as the serde form).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// The inverse of [`DeliveryStatus::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Why an endpoint is disabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DisabledReason {
    /// The receiver answered 410 Gone.
    Gone,
    /// Every attempt failed for this many seconds without a break.
    Failing {
        /// The window that ran out, in seconds.
        seconds: u64,
    },
    /// An administrator disabled it.
    Administrator,
}

impl DisabledReason {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Gone => "gone",
            Self::Failing { .. } => "failing",
            Self::Administrator => "administrator",
        }
    }

    /// A sentence for people (the API's `disabled_reason`, the `endpoint.disabled` event).
    pub fn describe(self) -> String {
        match self {
            Self::Gone => String::from("the receiver answered 410 Gone"),
            Self::Failing { seconds } => {
                let mut text = String::from("every attempt failed for ");
                text.push_str(&decimal(i64::try_from(seconds).unwrap_or(i64::MAX)));
                text.push_str(" s");
                text
            }
            Self::Administrator => String::from("disabled by an administrator"),
        }
    }
}

impl fmt::Display for DisabledReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// An endpoint's health, kept with its settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndpointHealth {
    /// Whether deliveries are sent.
    pub enabled: bool,
    /// Why not, when disabled.
    pub disabled_reason: Option<DisabledReason>,
    /// When the current run of failed attempts began (Unix ms); `None` after any delivery.
    pub failing_since_ms: Option<u64>,
}

impl Default for EndpointHealth {
    fn default() -> Self {
        Self {
            enabled: true,
            disabled_reason: None,
            failing_since_ms: None,
        }
    }
}

/// The facts of one finished attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptFacts {
    /// Attempts made so far for this delivery, this one included (1 for the first).
    pub number: u32,
    /// When the delivery's first attempt started (Unix ms).
    pub first_attempt_ms: u64,
    /// When this attempt started (Unix ms).
    pub started_ms: u64,
    /// When it ended (Unix ms): "now".
    pub ended_ms: u64,
    /// What came back.
    pub result: AttemptResult,
    /// A uniform random value for the retry jitter.
    pub jitter: u32,
}

/// What one attempt decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptVerdict {
    /// The attempt's meaning.
    pub outcome: Outcome,
    /// The retry policy's decision.
    pub decision: Decision,
    /// The delivery's status from now on.
    pub status: DeliveryStatus,
    /// When to try again (Unix ms), for [`DeliveryStatus::Pending`].
    pub next_attempt_ms: Option<u64>,
    /// Set when this attempt disabled the endpoint: tell the form's other endpoints.
    pub disabled: Option<DisabledReason>,
    /// Whether the health changed (and needs saving).
    pub health_changed: bool,
}

impl EndpointHealth {
    /// The status a new delivery starts in: pending, or skipped while disabled.
    pub const fn new_delivery_status(&self) -> DeliveryStatus {
        if self.enabled {
            DeliveryStatus::Pending
        } else {
            DeliveryStatus::Skipped
        }
    }

    /// Enables or disables the endpoint by hand; returns whether anything changed. Enabling
    /// clears the reason and the failing run, so the window starts afresh.
    pub fn set_enabled(&mut self, enabled: bool) -> bool {
        if enabled == self.enabled {
            return false;
        }
        if enabled {
            *self = Self::default();
        } else {
            self.enabled = false;
            self.disabled_reason = Some(DisabledReason::Administrator);
        }
        true
    }

    /// Applies one attempt's result: the retry decision for the delivery, and the endpoint's
    /// health (failing run, disabling).
    pub fn after_attempt(
        &mut self,
        schedule: &Schedule,
        policy: &Policy,
        facts: &AttemptFacts,
    ) -> AttemptVerdict {
        let outcome = classify(&facts.result);
        let decision = next_attempt(
            schedule,
            policy,
            facts.number,
            facts.first_attempt_ms,
            facts.ended_ms,
            &facts.result,
            facts.jitter,
        );
        let (status, next_attempt_ms) = match decision {
            Decision::Done => (DeliveryStatus::Delivered, None),
            Decision::RetryAt(at) => (DeliveryStatus::Pending, Some(at)),
            Decision::DisableEndpoint | Decision::GiveUp => (DeliveryStatus::Failed, None),
        };
        let before = *self;
        let mut disabled = None;
        if outcome == Outcome::Delivered {
            self.failing_since_ms = None;
        } else {
            let since = *self.failing_since_ms.get_or_insert(facts.started_ms);
            let reason = if decision == Decision::DisableEndpoint {
                Some(DisabledReason::Gone)
            } else if should_disable(Some(since), facts.ended_ms, policy) {
                Some(DisabledReason::Failing {
                    seconds: policy.disable_after_ms / 1000,
                })
            } else {
                None
            };
            if let Some(reason) = reason.filter(|_| self.enabled) {
                self.enabled = false;
                self.disabled_reason = Some(reason);
                disabled = Some(reason);
            }
        }
        AttemptVerdict {
            outcome,
            decision,
            status,
            next_attempt_ms,
            disabled,
            health_changed: *self != before,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_700_000_000_000;
    const MID: u32 = 1 << 31;
    const HOUR: u64 = 3_600_000;

    fn facts(number: u32, first: u64, at: u64, result: AttemptResult) -> AttemptFacts {
        AttemptFacts {
            number,
            first_attempt_ms: first,
            started_ms: at,
            ended_ms: at + 10,
            result,
            jitter: MID,
        }
    }

    fn window(hours: u64) -> Policy {
        Policy {
            disable_after_ms: hours * HOUR,
            ..Policy::DEFAULT
        }
    }

    #[test]
    fn delivered_ends_a_failing_run() {
        let mut health = EndpointHealth::default();
        let v = health.after_attempt(
            &Schedule::Standard,
            &window(24),
            &facts(1, T0, T0, AttemptResult::Status(500, None)),
        );
        assert_eq!(v.status, DeliveryStatus::Pending);
        assert_eq!(v.next_attempt_ms, Some(T0 + 10 + 5_000));
        assert_eq!(health.failing_since_ms, Some(T0));
        assert!(v.health_changed);
        let v = health.after_attempt(
            &Schedule::Standard,
            &window(24),
            &facts(2, T0, T0 + 5_010, AttemptResult::Status(204, None)),
        );
        assert_eq!(
            (v.status, v.next_attempt_ms, v.disabled),
            (DeliveryStatus::Delivered, None, None)
        );
        assert_eq!(health, EndpointHealth::default());
        assert!(v.health_changed);
    }

    #[test]
    fn later_failures_keep_the_first_failure_time() {
        let mut health = EndpointHealth::default();
        health.after_attempt(
            &Schedule::Standard,
            &window(24),
            &facts(1, T0, T0, AttemptResult::Timeout),
        );
        let v = health.after_attempt(
            &Schedule::Standard,
            &window(24),
            &facts(2, T0, T0 + HOUR, AttemptResult::NetworkError),
        );
        assert_eq!(health.failing_since_ms, Some(T0));
        assert!(!v.health_changed);
    }

    #[test]
    fn gone_disables_at_once() {
        let mut health = EndpointHealth::default();
        let v = health.after_attempt(
            &Schedule::Standard,
            &window(24),
            &facts(1, T0, T0, AttemptResult::Status(410, None)),
        );
        assert_eq!(v.status, DeliveryStatus::Failed);
        assert_eq!(v.disabled, Some(DisabledReason::Gone));
        assert!(!health.enabled);
        assert_eq!(health.new_delivery_status(), DeliveryStatus::Skipped);
        assert_eq!(
            DisabledReason::Gone.describe(),
            "the receiver answered 410 Gone"
        );
    }

    #[test]
    fn an_unbroken_failing_window_disables_once() {
        let mut health = EndpointHealth::default();
        let policy = window(2);
        // Failures across several messages: the window counts from the first one.
        let first = health.after_attempt(
            &Schedule::Standard,
            &policy,
            &facts(1, T0, T0, AttemptResult::Status(500, None)),
        );
        assert_eq!(first.disabled, None);
        let almost = health.after_attempt(
            &Schedule::Standard,
            &policy,
            &facts(
                1,
                T0 + HOUR,
                T0 + 2 * HOUR - 11,
                AttemptResult::Status(500, None),
            ),
        );
        assert_eq!(almost.disabled, None, "one ms short of the window");
        let v = health.after_attempt(
            &Schedule::Standard,
            &policy,
            &facts(
                1,
                T0 + 2 * HOUR,
                T0 + 2 * HOUR,
                AttemptResult::Status(500, None),
            ),
        );
        assert_eq!(v.disabled, Some(DisabledReason::Failing { seconds: 7_200 }));
        assert_eq!(
            health
                .disabled_reason
                .map(DisabledReason::describe)
                .as_deref(),
            Some("every attempt failed for 7200 s")
        );
        // Already disabled: no second event.
        let again = health.after_attempt(
            &Schedule::Standard,
            &policy,
            &facts(
                2,
                T0 + 2 * HOUR,
                T0 + 3 * HOUR,
                AttemptResult::Status(500, None),
            ),
        );
        assert_eq!(again.disabled, None);
    }

    #[test]
    fn a_delivery_inside_the_window_restarts_it() {
        let mut health = EndpointHealth::default();
        let policy = window(2);
        health.after_attempt(
            &Schedule::Standard,
            &policy,
            &facts(1, T0, T0, AttemptResult::Status(500, None)),
        );
        health.after_attempt(
            &Schedule::Standard,
            &policy,
            &facts(1, T0, T0 + HOUR, AttemptResult::Status(200, None)),
        );
        let v = health.after_attempt(
            &Schedule::Standard,
            &policy,
            &facts(1, T0, T0 + 2 * HOUR, AttemptResult::Status(500, None)),
        );
        assert_eq!(v.disabled, None);
        assert_eq!(health.failing_since_ms, Some(T0 + 2 * HOUR));
    }

    #[test]
    fn exhausted_schedule_fails_the_delivery_not_the_endpoint() {
        let mut health = EndpointHealth::default();
        let v = health.after_attempt(
            &Schedule::Quick,
            &window(24),
            &facts(3, T0, T0 + 5_000, AttemptResult::Status(500, None)),
        );
        assert_eq!(
            (v.status, v.decision),
            (DeliveryStatus::Failed, Decision::GiveUp)
        );
        assert!(health.enabled);
    }

    #[test]
    fn enabling_by_hand_starts_afresh() {
        let mut health = EndpointHealth::default();
        assert!(!health.set_enabled(true));
        assert!(health.set_enabled(false));
        assert_eq!(health.disabled_reason, Some(DisabledReason::Administrator));
        health.failing_since_ms = Some(T0);
        assert!(health.set_enabled(true));
        assert_eq!(health, EndpointHealth::default());
    }

    #[test]
    fn statuses_round_trip() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, alloc::format!("\"{}\"", status.as_str()));
        }
        assert_eq!(DeliveryStatus::parse("Pending"), None);
    }
}
