//! Unix time to RFC 3339 UTC text, without a clock or `std`.
//!
//! Conversion uses Howard Hinnant's `civil_from_days` (proleptic Gregorian calendar). Output
//! always has a four-digit year, so inputs are clamped to `0000-01-01T00:00:00Z` ..=
//! `9999-12-31T23:59:59.999Z` ([`MIN_UNIX_MS`] ..= [`MAX_UNIX_MS`]); nothing here panics.

use alloc::string::String;

/// Earliest representable instant, `0000-01-01T00:00:00.000Z`, in Unix milliseconds.
/// Earlier inputs are clamped to it.
pub const MIN_UNIX_MS: i64 = -62_167_219_200_000;

/// Latest representable instant, `9999-12-31T23:59:59.999Z`, in Unix milliseconds.
/// Later inputs are clamped to it.
pub const MAX_UNIX_MS: i64 = 253_402_300_799_999;

const MS_PER_DAY: i64 = 86_400_000;

/// Formats Unix milliseconds as RFC 3339 UTC with exactly three fraction digits,
/// e.g. `2026-11-24T06:00:00.123Z` (always 24 bytes).
///
/// Negative inputs are before 1970 (`-1` is `1969-12-31T23:59:59.999Z`). Inputs outside
/// [`MIN_UNIX_MS`] ..= [`MAX_UNIX_MS`] are clamped to those bounds.
pub fn rfc3339_millis(unix_ms: i64) -> String {
    let ms = unix_ms.clamp(MIN_UNIX_MS, MAX_UNIX_MS);
    let mut out = String::with_capacity(24);
    push_date_time(&mut out, ms);
    out.push('.');
    push_digits(&mut out, ms.rem_euclid(1000), 3);
    out.push('Z');
    out
}

/// Formats Unix seconds as RFC 3339 UTC without a fraction, e.g. `2026-11-24T06:00:00Z`
/// (always 20 bytes).
///
/// Inputs outside `0000-01-01T00:00:00Z` ..= `9999-12-31T23:59:59Z` are clamped to those bounds.
pub fn rfc3339_seconds(unix_s: i64) -> String {
    let s = unix_s.clamp(MIN_UNIX_MS / 1000, MAX_UNIX_MS / 1000);
    let mut out = String::with_capacity(20);
    // In range, so `s * 1000` cannot overflow.
    push_date_time(&mut out, s * 1000);
    out.push('Z');
    out
}

/// Pushes `YYYY-MM-DDTHH:MM:SS` for an in-range millisecond timestamp.
fn push_date_time(out: &mut String, ms: i64) {
    let days = ms.div_euclid(MS_PER_DAY);
    let ms_of_day = ms.rem_euclid(MS_PER_DAY);
    let secs_of_day = ms_of_day / 1000;
    let (year, month, day) = civil_from_days(days);
    push_digits(out, year, 4);
    out.push('-');
    push_digits(out, month, 2);
    out.push('-');
    push_digits(out, day, 2);
    out.push('T');
    push_digits(out, secs_of_day / 3600, 2);
    out.push(':');
    push_digits(out, secs_of_day / 60 % 60, 2);
    out.push(':');
    push_digits(out, secs_of_day % 60, 2);
}

/// Pushes the low `width` decimal digits of a non-negative `n`, zero-padded.
fn push_digits(out: &mut String, n: i64, width: u32) {
    let mut div = 10_i64.pow(width.saturating_sub(1));
    while div > 0 {
        // `rem_euclid` keeps the digit in 0..=9 even for a (never passed) negative `n`.
        let digit = (n / div).rem_euclid(10);
        out.push(char::from(b'0' + digit as u8));
        div /= 10;
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian `(year, month 1..=12, day 1..=31)`.
///
/// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms". Exact for any `days`
/// whose shifted value fits in `i64`; callers pass clamped values.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Reads RFC 3339 text (`2026-11-24T06:00:00Z`, `2026-11-24T07:00:00.5+01:00`; `t`/`z` and a
/// space for `T` accepted) or a plain date (`2026-11-24`, midnight UTC) into Unix
/// milliseconds. `None` for anything else, including impossible dates (`2026-02-30`), times
/// (`24:00:00`), leap seconds and years outside `0000..=9999`. Fractions past milliseconds are
/// cut, not rounded.
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |range: core::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        let mut n = 0_i64;
        for d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n * 10 + i64::from(d - b'0');
        }
        Some(n)
    };
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let midnight = days_from_civil(year, month, day) * MS_PER_DAY;
    if b.len() == 10 {
        return Some(midnight);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut millis = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while let Some(d) = b.get(at).filter(|d| d.is_ascii_digit()) {
            if at - start < 3 {
                millis = millis * 10 + i64::from(d - b'0');
            }
            at += 1;
        }
        let digits = at - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let h = i64::from(h1 - b'0') * 10 + i64::from(h2 - b'0');
            let m = i64::from(m1 - b'0') * 10 + i64::from(m2 - b'0');
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'-' {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return None,
    };
    Some(midnight + ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The inverse of [`civil_from_days`] (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let mp = if month > 2 { month - 3 } else { month + 9 }; // [0, 11]
    let doy = (153 * mp + 2) / 5 + day - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_formats_and_refuses_the_rest() {
        for ms in [
            0,
            1_795_500_000_123,
            1_709_164_800_000 - 1,
            951_868_800_000,
            -1,
            MAX_UNIX_MS,
        ] {
            assert_eq!(parse_rfc3339_millis(&rfc3339_millis(ms)), Some(ms), "{ms}");
        }
        assert_eq!(parse_rfc3339_millis("2026-11-24"), Some(1_795_478_400_000));
        assert_eq!(
            parse_rfc3339_millis("2026-11-24T07:00:00.5+01:00"),
            Some(1_795_500_000_500)
        );
        assert_eq!(
            parse_rfc3339_millis("2026-11-24 05:30:00-00:30"),
            Some(1_795_500_000_000)
        );
        assert_eq!(
            parse_rfc3339_millis("2026-11-24t06:00:00.123456z"),
            Some(1_795_500_000_123)
        );
        for bad in [
            "",
            "2026-02-30",
            "2026-13-01",
            "2026-11-24T24:00:00Z",
            "2026-11-24T06:00:60Z",
            "2026-11-24T06:00:00",
            "2026-11-24T06:00:00.Z",
            "2026-11-24T06:00:00+1:00",
            "+026-11-24",
            "2026-11-24T06:00Z",
            "１９７０-01-01",
            "2025-02-29",
        ] {
            assert_eq!(parse_rfc3339_millis(bad), None, "{bad}");
        }
        assert_eq!(parse_rfc3339_millis("2024-02-29"), Some(1_709_164_800_000));
    }

    #[test]
    fn epoch() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_seconds(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn example_from_docs() {
        assert_eq!(
            rfc3339_millis(1_795_500_000_123),
            "2026-11-24T06:00:00.123Z"
        );
        assert_eq!(rfc3339_seconds(1_795_500_000), "2026-11-24T06:00:00Z");
    }

    #[test]
    fn leap_day_2024() {
        assert_eq!(rfc3339_seconds(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(
            rfc3339_millis(1_709_164_800_000 - 1),
            "2024-02-28T23:59:59.999Z"
        );
        assert_eq!(
            rfc3339_seconds(1_709_164_800 + 86_399),
            "2024-02-29T23:59:59Z"
        );
        assert_eq!(
            rfc3339_seconds(1_709_164_800 + 86_400),
            "2024-03-01T00:00:00Z"
        );
    }

    #[test]
    fn march_first_2000_and_2100() {
        // 2000 is a leap year (divisible by 400); 2100 is not.
        assert_eq!(rfc3339_seconds(951_868_800), "2000-03-01T00:00:00Z");
        assert_eq!(
            rfc3339_seconds(951_868_800 - 86_400),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(rfc3339_seconds(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(
            rfc3339_seconds(4_107_542_400 - 86_400),
            "2100-02-28T00:00:00Z"
        );
    }

    #[test]
    fn far_future_and_clamp() {
        assert_eq!(rfc3339_millis(MAX_UNIX_MS), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_millis(MAX_UNIX_MS + 1), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_millis(i64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_seconds(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_seconds(i64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn before_1970() {
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_millis(-1_000), "1969-12-31T23:59:59.000Z");
        assert_eq!(rfc3339_millis(-1_001), "1969-12-31T23:59:58.999Z");
        assert_eq!(rfc3339_seconds(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_seconds(-2_203_932_304), "1900-02-28T12:34:56Z");
        assert_eq!(rfc3339_seconds(-62_135_596_800), "0001-01-01T00:00:00Z");
        assert_eq!(rfc3339_millis(MIN_UNIX_MS), "0000-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(MIN_UNIX_MS - 1), "0000-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(i64::MIN), "0000-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_seconds(i64::MIN), "0000-01-01T00:00:00Z");
    }

    #[test]
    fn every_day_in_range_follows_the_previous() {
        fn is_leap(y: i64) -> bool {
            y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        }
        fn month_len(y: i64, m: i64) -> i64 {
            match m {
                2 if is_leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            }
        }
        let first = MIN_UNIX_MS.div_euclid(MS_PER_DAY);
        let last = MAX_UNIX_MS.div_euclid(MS_PER_DAY);
        let mut expected = (0, 1, 1);
        for days in first..=last {
            assert_eq!(civil_from_days(days), expected, "days = {days}");
            let (y, m, d) = expected;
            expected = if d < month_len(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
        assert_eq!(expected, (10_000, 1, 1));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
