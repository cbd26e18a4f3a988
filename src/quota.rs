//! Per-form ceilings that hold whoever posts: submissions per minute across all clients, and a
//! storage quota, so that no single form (or many clients together) can fill its object.
//!
//! The per-client limit is [`crate::rate`]; these limits apply after it.

use core::fmt;

/// The storage quota of a form that sets none: 1 GiB of stored submissions and files (a Durable
/// Object holds at most 10 GB).
pub const DEFAULT_STORAGE_QUOTA_BYTES: u64 = 1024 * 1024 * 1024;

const MINUTE_MS: u64 = 60_000;

/// Why a submission was refused by a form-wide limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormLimit {
    /// The form took its ceiling of submissions this minute (all clients together).
    RateCeiling {
        /// Seconds until the next minute, when the ceiling resets (at least 1).
        retry_after_secs: u64,
    },
    /// Storing the submission would pass the form's storage quota.
    StorageQuota,
}

impl FormLimit {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::RateCeiling { .. } => "form_rate_limited",
            Self::StorageQuota => "storage_quota_exceeded",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::RateCeiling { .. } => {
                "this form takes no more submissions this minute; retry after Retry-After"
            }
            Self::StorageQuota => "this form's storage quota is used up",
        }
    }

    /// The HTTP status that answers it: 429 or 507.
    pub const fn status(self) -> u16 {
        match self {
            Self::RateCeiling { .. } => 429,
            Self::StorageQuota => 507,
        }
    }

    /// When to retry, for the rate ceiling.
    pub const fn retry_after_secs(self) -> Option<u64> {
        match self {
            Self::RateCeiling { retry_after_secs } => Some(retry_after_secs),
            Self::StorageQuota => None,
        }
    }
}

impl fmt::Display for FormLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for FormLimit {}

/// Counts a form's submissions per calendar minute, from every client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FormCeiling {
    minute: u64,
    count: u32,
}

impl FormCeiling {
    /// A ceiling that has counted nothing.
    pub const fn new() -> Self {
        Self {
            minute: 0,
            count: 0,
        }
    }

    /// Counts one submission at `now_ms` against `per_minute` (0: no ceiling). Refused
    /// submissions are not counted.
    pub fn admit(&mut self, per_minute: u32, now_ms: u64) -> Result<(), FormLimit> {
        if per_minute == 0 {
            return Ok(());
        }
        let minute = now_ms / MINUTE_MS;
        if self.minute != minute {
            *self = Self { minute, count: 0 };
        }
        if self.count >= per_minute {
            let refill = (minute + 1) * MINUTE_MS;
            return Err(FormLimit::RateCeiling {
                retry_after_secs: (refill - now_ms).div_ceil(1000).max(1),
            });
        }
        self.count += 1;
        Ok(())
    }
}

/// Whether `incoming` more bytes fit a form that stores `used` bytes under `quota` (0: no quota).
pub fn check_storage(used: u64, incoming: u64, quota: u64) -> Result<(), FormLimit> {
    if quota == 0 || used.saturating_add(incoming) <= quota {
        Ok(())
    } else {
        Err(FormLimit::StorageQuota)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE_START: u64 = 1_700_000_040_000; // a multiple of 60 000

    #[test]
    fn the_ceiling_holds_across_clients_and_resets_each_minute() {
        let mut ceiling = FormCeiling::new();
        for _ in 0..4 {
            assert_eq!(ceiling.admit(4, MINUTE_START + 100), Ok(()));
        }
        let refused = ceiling.admit(4, MINUTE_START + 20_000).unwrap_err();
        assert_eq!(
            refused,
            FormLimit::RateCeiling {
                retry_after_secs: 40
            }
        );
        assert_eq!(
            (refused.code(), refused.status(), refused.retry_after_secs()),
            ("form_rate_limited", 429, Some(40))
        );
        assert_eq!(
            ceiling
                .admit(4, MINUTE_START + 59_999)
                .unwrap_err()
                .retry_after_secs(),
            Some(1)
        );
        assert_eq!(ceiling.admit(4, MINUTE_START + 60_000), Ok(()));
    }

    #[test]
    fn no_ceiling_counts_nothing() {
        let mut ceiling = FormCeiling::new();
        for _ in 0..1000 {
            assert_eq!(ceiling.admit(0, MINUTE_START), Ok(()));
        }
        assert_eq!(ceiling, FormCeiling::new());
    }

    #[test]
    fn the_storage_quota() {
        assert_eq!(check_storage(0, 4096, 4096), Ok(()));
        assert_eq!(check_storage(1, 4096, 4096), Err(FormLimit::StorageQuota));
        assert_eq!(
            check_storage(u64::MAX, 1, 4096),
            Err(FormLimit::StorageQuota)
        );
        assert_eq!(check_storage(u64::MAX, u64::MAX, 0), Ok(()));
        let full = FormLimit::StorageQuota;
        assert_eq!(
            (full.code(), full.status(), full.retry_after_secs()),
            ("storage_quota_exceeded", 507, None)
        );
    }
}
