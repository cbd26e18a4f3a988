//! How many attempts of one endpoint run at once, and which pending deliveries start next.
//!
//! Rules:
//! - In the default, parallel mode at most [`Window::limit`] attempts are in flight; due
//!   deliveries start in the order given (the caller lists them by due time), each once.
//! - In FIFO mode one attempt is in flight, and deliveries start strictly in queue order (the
//!   order they were enqueued): the oldest pending delivery goes first, and while it waits for
//!   a retry every later one waits behind it, so a receiver sees events in submission order
//!   even when an attempt fails. A delivery that ends (delivered, failed for good) lets the
//!   next one go.
//!
//! A Workers invocation holds at most [`PER_INVOCATION`] outbound connections at once, so a
//! limit above that is only reached by spreading attempts over several invocations
//! ([`Window::lanes`]).

use alloc::vec::Vec;
use core::fmt;

/// Outbound connections one invocation may hold open at once (Cloudflare's limit).
pub const PER_INVOCATION: u32 = 6;
/// The default limit: within one invocation, one connection left for other calls.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 5;
/// The highest limit an endpoint may set.
pub const MAX_IN_FLIGHT: u32 = 24;

/// A limit outside `1..=MAX_IN_FLIGHT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WindowError {
    /// The limit is 0 or above [`MAX_IN_FLIGHT`].
    LimitOutOfRange,
}

impl WindowError {
    /// A stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::LimitOutOfRange => "invalid_field",
        }
    }

    /// What is wrong.
    pub const fn message(self) -> &'static str {
        match self {
            Self::LimitOutOfRange => "the in-flight limit must be an integer from 1 to 24",
        }
    }
}

impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for WindowError {}

/// An endpoint's delivery window: its in-flight limit and whether it delivers in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    limit: u32,
    fifo: bool,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            limit: DEFAULT_MAX_IN_FLIGHT,
            fifo: false,
        }
    }
}

/// One pending delivery as the scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// When its next attempt is due (Unix ms).
    pub due_ms: u64,
    /// Whether an attempt of it is running now.
    pub in_flight: bool,
}

/// What to do now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Indexes (into the list given) of the deliveries to start now, in order.
    pub start: Vec<usize>,
    /// In FIFO mode: the queue's head is waiting for a retry at this time, holding the rest.
    pub blocked_until: Option<u64>,
}

impl Window {
    /// A window of `max_in_flight` attempts (`1..=MAX_IN_FLIGHT`); FIFO mode always runs one.
    pub fn new(max_in_flight: u32, fifo: bool) -> Result<Self, WindowError> {
        if !(1..=MAX_IN_FLIGHT).contains(&max_in_flight) {
            return Err(WindowError::LimitOutOfRange);
        }
        Ok(Self {
            limit: max_in_flight,
            fifo,
        })
    }

    /// Whether deliveries go one at a time in queue order.
    pub const fn is_fifo(self) -> bool {
        self.fifo
    }

    /// Attempts allowed in flight at once.
    pub const fn limit(self) -> u32 {
        if self.fifo {
            1
        } else {
            self.limit
        }
    }

    /// How many invocations the limit needs ([`PER_INVOCATION`] connections each), and so how
    /// many run attempts side by side.
    pub const fn lanes(self) -> u32 {
        self.limit().div_ceil(PER_INVOCATION)
    }

    /// Attempts one lane may hold in flight: the limit spread evenly over the lanes (rounded
    /// up, never above [`PER_INVOCATION`]); the lanes together still never exceed the limit,
    /// which [`Window::plan`] checks against everything in flight.
    pub const fn per_lane(self) -> u32 {
        let lanes = self.lanes();
        let share = self.limit().div_ceil(lanes);
        if share > PER_INVOCATION {
            PER_INVOCATION
        } else {
            share
        }
    }

    /// Which of `queue` start now, with `in_flight` attempts running (every lane's).
    ///
    /// `queue` lists the pending deliveries: in FIFO mode in queue order from the oldest, and
    /// it must begin at the oldest pending one (the rule looks at the head); otherwise in the
    /// order they should start (by due time). Deliveries already in flight may be listed.
    pub fn plan(self, now_ms: u64, in_flight: usize, queue: &[Pending]) -> Plan {
        let mut plan = Plan::default();
        let limit = self.limit() as usize;
        let mut running = in_flight;
        for (index, pending) in queue.iter().enumerate() {
            if running >= limit {
                break;
            }
            if self.fifo {
                // The head decides: running, waiting for its retry, or starting now.
                if pending.in_flight {
                    break;
                }
                if pending.due_ms > now_ms {
                    plan.blocked_until = Some(pending.due_ms);
                    break;
                }
                plan.start.push(index);
                break;
            }
            if pending.in_flight || pending.due_ms > now_ms {
                continue;
            }
            plan.start.push(index);
            running += 1;
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn due(at: u64) -> Pending {
        Pending {
            due_ms: at,
            in_flight: false,
        }
    }

    const fn running(at: u64) -> Pending {
        Pending {
            due_ms: at,
            in_flight: true,
        }
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(Window::new(0, false), Err(WindowError::LimitOutOfRange));
        assert_eq!(
            Window::new(MAX_IN_FLIGHT + 1, false),
            Err(WindowError::LimitOutOfRange)
        );
        assert_eq!(
            Window::new(MAX_IN_FLIGHT + 1, true).map_err(WindowError::code),
            Err("invalid_field")
        );
        assert!(Window::new(1, false).is_ok());
        assert!(Window::new(MAX_IN_FLIGHT, false).is_ok());
        assert_eq!(Window::default().limit(), DEFAULT_MAX_IN_FLIGHT);
        const { assert!(DEFAULT_MAX_IN_FLIGHT <= PER_INVOCATION) };
    }

    #[test]
    fn parallel_starts_due_ones_up_to_the_limit() {
        let window = Window::new(3, false).unwrap_or_default();
        let queue = [due(10), due(20), due(500), due(30), due(40)];
        let plan = window.plan(100, 0, &queue);
        assert_eq!(plan.start, [0, 1, 3]);
        assert_eq!(plan.blocked_until, None);
        // Two running already: one more.
        assert_eq!(window.plan(100, 2, &queue).start, [0]);
        // Full: none.
        assert!(window.plan(100, 3, &queue).start.is_empty());
    }

    #[test]
    fn parallel_skips_what_runs_and_what_is_not_due() {
        let window = Window::new(4, false).unwrap_or_default();
        let queue = [running(10), due(200), due(20)];
        assert_eq!(window.plan(100, 1, &queue).start, [2]);
    }

    #[test]
    fn fifo_runs_one_in_queue_order() {
        let window = Window::new(5, true).unwrap_or_default();
        assert_eq!(window.limit(), 1);
        let queue = [due(10), due(5), due(1)];
        assert_eq!(window.plan(100, 0, &queue).start, [0]);
        // One in flight: nothing else, whatever is due.
        assert!(window.plan(100, 1, &queue).start.is_empty());
    }

    #[test]
    fn fifo_head_waiting_for_a_retry_holds_the_rest() {
        let window = Window::new(1, true).unwrap_or_default();
        let queue = [due(500), due(10), due(20)];
        let plan = window.plan(100, 0, &queue);
        assert!(plan.start.is_empty());
        assert_eq!(plan.blocked_until, Some(500));
        // Once it is due it goes first.
        assert_eq!(window.plan(500, 0, &queue).start, [0]);
    }

    #[test]
    fn fifo_head_in_flight_holds_the_rest() {
        let window = Window::new(1, true).unwrap_or_default();
        // Counted by the caller as running elsewhere or not: the head in flight stops the plan.
        assert!(window
            .plan(100, 0, &[running(10), due(20)])
            .start
            .is_empty());
    }

    #[test]
    fn lanes_spread_the_limit_over_invocations() {
        let one = Window::new(5, false).unwrap_or_default();
        assert_eq!((one.lanes(), one.per_lane()), (1, 5));
        let six = Window::new(6, false).unwrap_or_default();
        assert_eq!((six.lanes(), six.per_lane()), (1, 6));
        let seven = Window::new(7, false).unwrap_or_default();
        assert_eq!((seven.lanes(), seven.per_lane()), (2, 4));
        let most = Window::new(MAX_IN_FLIGHT, false).unwrap_or_default();
        assert_eq!((most.lanes(), most.per_lane()), (4, 6));
        let fifo = Window::new(MAX_IN_FLIGHT, true).unwrap_or_default();
        assert_eq!((fifo.lanes(), fifo.per_lane()), (1, 1));
        for limit in 1..=MAX_IN_FLIGHT {
            let w = Window::new(limit, false).unwrap_or_default();
            assert!(w.per_lane() <= PER_INVOCATION);
            assert!(w.lanes() * w.per_lane() >= limit);
        }
    }
}
