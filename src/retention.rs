//! Retention: what a form keeps and for how long, as age arithmetic with the clock passed in.
//!
//! A form keeps its submissions (and everything derived from them: files, the payload copies in
//! its endpoints' logs, the excerpts of receivers' answers) for `retention_days`; `0` or none
//! keeps them. Something created at `created_ms` is expired at `now_ms` when
//! `created_ms < now_ms - retention` ([`cutoff_ms`]); the object holding the oldest item that is
//! still kept wakes at `created_ms + retention` ([`next_wake_ms`]).

/// A day, in milliseconds.
pub const DAY_MS: u64 = 86_400_000;
/// The longest retention a form may set: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// How long items are kept, in milliseconds, for `days` days of `day_ms` each; `None` (keep
/// forever) for 0 days. `day_ms` is [`DAY_MS`] except in tests that shorten a day.
pub const fn retention_ms(days: u32, day_ms: u64) -> Option<u64> {
    if days == 0 || day_ms == 0 {
        None
    } else {
        Some((days as u64).saturating_mul(day_ms))
    }
}

/// Items created strictly before this time are expired at `now_ms`.
pub const fn cutoff_ms(now_ms: i64, retention_ms: u64) -> i64 {
    now_ms.saturating_sub(retention_ms_i64(retention_ms))
}

/// Whether an item created at `created_ms` is expired at `now_ms`.
pub const fn is_expired(created_ms: i64, now_ms: i64, retention_ms: u64) -> bool {
    created_ms < cutoff_ms(now_ms, retention_ms)
}

/// When the oldest kept item (created at `oldest_kept_ms`) expires, so its holder can wake then;
/// `None` when nothing is kept.
pub const fn next_wake_ms(oldest_kept_ms: Option<i64>, retention_ms: u64) -> Option<i64> {
    match oldest_kept_ms {
        None => None,
        // One millisecond past the edge: at exactly `created + retention` the item is not yet
        // strictly older than the cutoff.
        Some(created) => Some(
            created
                .saturating_add(retention_ms_i64(retention_ms))
                .saturating_add(1),
        ),
    }
}

/// `retention_ms` as a signed duration, saturating.
const fn retention_ms_i64(retention_ms: u64) -> i64 {
    if retention_ms > i64::MAX as u64 {
        i64::MAX
    } else {
        retention_ms as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_500_000_000;

    #[test]
    fn zero_days_keeps_forever() {
        assert_eq!(retention_ms(0, DAY_MS), None);
        assert_eq!(retention_ms(7, DAY_MS), Some(7 * DAY_MS));
        assert_eq!(retention_ms(3, 2_000), Some(6_000));
        assert_eq!(retention_ms(u32::MAX, u64::MAX), Some(u64::MAX));
        assert_eq!(retention_ms(1, 0), None);
    }

    #[test]
    fn expired_means_strictly_older_than_the_retention() {
        let week = 7 * DAY_MS;
        let edge = NOW - week as i64;
        assert!(is_expired(edge - 1, NOW, week));
        assert!(!is_expired(edge, NOW, week));
        assert!(!is_expired(NOW, NOW, week));
        assert_eq!(cutoff_ms(NOW, week), edge);
    }

    #[test]
    fn the_next_wake_is_when_the_oldest_kept_item_expires() {
        let ret = 2_000;
        assert_eq!(next_wake_ms(None, ret), None);
        let wake = next_wake_ms(Some(NOW), ret).unwrap();
        assert!(!is_expired(NOW, wake - 1, ret));
        assert!(is_expired(NOW, wake, ret));
    }

    #[test]
    fn huge_values_saturate_instead_of_overflowing() {
        assert_eq!(cutoff_ms(NOW, u64::MAX), NOW - i64::MAX);
        assert_eq!(next_wake_ms(Some(NOW), u64::MAX), Some(i64::MAX));
        assert_eq!(cutoff_ms(i64::MIN, 5), i64::MIN);
    }
}
