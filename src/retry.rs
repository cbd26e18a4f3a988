//! The retry and delivery policy as pure functions: no clock, no randomness, no I/O.
//!
//! A [`Schedule`] lists the delay before each attempt, each counted from the end of the one
//! before. After every attempt the caller [`classify`]s the response and asks [`next_attempt`] for
//! a [`Decision`]; [`Policy`] adds the throttling floor, the `Retry-After` cap and the auto-disable
//! window that [`should_disable`] checks. Times are `u64` milliseconds; `now_ms` is Unix time.

use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

/// The most attempts a [`Schedule::Custom`] may list.
pub const MAX_CUSTOM_ATTEMPTS: usize = 50;

/// The longest single delay a [`Schedule::Custom`] may hold: 7 days.
pub const MAX_CUSTOM_DELAY_MS: u64 = 7 * DAY_MS;

const SECOND_MS: u64 = 1_000;
const MINUTE_MS: u64 = 60 * SECOND_MS;
const HOUR_MS: u64 = 60 * MINUTE_MS;
const DAY_MS: u64 = 24 * HOUR_MS;

/// Svix / Standard Webhooks: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
const STANDARD: [u64; 8] = [
    0,
    5 * SECOND_MS,
    5 * MINUTE_MS,
    30 * MINUTE_MS,
    2 * HOUR_MS,
    5 * HOUR_MS,
    10 * HOUR_MS,
    10 * HOUR_MS,
];

/// Immediately, 30 s, 2 min, 10 min, 1 h, 6 h (7 h 12 min 30 s in all), then one last retry
/// 16 h 47 min 30 s later, landing exactly 24 h after the first attempt.
const SPLITFORMS_LIKE: [u64; 7] = [
    0,
    30 * SECOND_MS,
    2 * MINUTE_MS,
    10 * MINUTE_MS,
    HOUR_MS,
    6 * HOUR_MS,
    DAY_MS - (30 * SECOND_MS + 2 * MINUTE_MS + 10 * MINUTE_MS + HOUR_MS + 6 * HOUR_MS),
];

/// GudForm: immediately, 1 s, 4 s.
const QUICK: [u64; 3] = [0, SECOND_MS, 4 * SECOND_MS];

/// When to attempt a delivery: the delay before each attempt, counted from the end of the
/// previous attempt (the first entry is the delay before the first attempt).
///
/// One JSON form serves the core, the admin API and storage: a name, `"standard"`,
/// `"splitforms"` or `"quick"`, or a list of delays in milliseconds, `[0, 1000, 5000]`. Reading
/// also accepts the older spellings `"splitforms_like"` and `{"custom": [...]}`. A list is
/// validated when read (see [`Schedule::custom`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Schedule {
    /// Svix / Standard Webhooks, 8 attempts: 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    /// (the last attempt about 27 h 35 min after the first). The default.
    #[default]
    Standard,
    /// 7 attempts: 0, 30 s, 2 min, 10 min, 1 h, 6 h, then 16 h 47 min 30 s, so the last attempt
    /// lands exactly 24 h after the first. A whole daily step after the 6 h retry would land at
    /// 31 h 12 min 30 s, past the 24 h window, so the final step is shortened to end on it.
    SplitformsLike,
    /// GudForm, 3 attempts: 0, 1 s, 4 s.
    Quick,
    /// Caller-chosen delays in milliseconds. Build it with [`Schedule::custom`] to validate it;
    /// an unchecked list is still handled without panicking (an empty one gives up at once).
    Custom(Vec<u64>),
}

/// What a schedule's JSON must be, for error messages.
const SCHEDULE_EXPECTED: &str =
    "\"standard\", \"splitforms\", \"quick\" or a list of delays in milliseconds";

impl Schedule {
    /// The built-in schedule called `name` (`splitforms_like` is read as `splitforms`).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "standard" => Some(Self::Standard),
            "splitforms" | "splitforms_like" => Some(Self::SplitformsLike),
            "quick" => Some(Self::Quick),
            _ => None,
        }
    }

    /// The built-in's name, `None` for a custom list.
    pub const fn name(&self) -> Option<&'static str> {
        match self {
            Self::Standard => Some("standard"),
            Self::SplitformsLike => Some("splitforms"),
            Self::Quick => Some("quick"),
            Self::Custom(_) => None,
        }
    }
}

impl Serialize for Schedule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.name() {
            Some(name) => serializer.serialize_str(name),
            None => self.delays().serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{self, Visitor};

        struct ScheduleVisitor;

        fn checked<E: de::Error>(delays: Vec<u64>) -> Result<Schedule, E> {
            Schedule::custom(delays).map_err(|e| E::custom(e.message()))
        }

        impl<'de> Visitor<'de> for ScheduleVisitor {
            type Value = Schedule;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(SCHEDULE_EXPECTED)
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Schedule, E> {
                Schedule::named(name)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(name), &self))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Schedule, A::Error> {
                let mut delays = Vec::new();
                while let Some(delay) = seq.next_element::<u64>()? {
                    if delays.len() == MAX_CUSTOM_ATTEMPTS {
                        return Err(de::Error::custom(ScheduleError::TooManyAttempts.message()));
                    }
                    delays.push(delay);
                }
                checked(delays)
            }

            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Schedule, A::Error> {
                let mut delays = None;
                while let Some(key) = map.next_key::<alloc::borrow::Cow<'de, str>>()? {
                    if key != "custom" || delays.is_some() {
                        return Err(de::Error::custom(SCHEDULE_EXPECTED));
                    }
                    delays = Some(map.next_value::<Vec<u64>>()?);
                }
                checked(delays.ok_or_else(|| de::Error::custom(SCHEDULE_EXPECTED))?)
            }
        }

        deserializer.deserialize_any(ScheduleVisitor)
    }
}

impl Schedule {
    /// A validated custom schedule: 1 to [`MAX_CUSTOM_ATTEMPTS`] delays, each at most
    /// [`MAX_CUSTOM_DELAY_MS`].
    pub fn custom(delays: Vec<u64>) -> Result<Self, ScheduleError> {
        let schedule = Self::Custom(delays);
        schedule.validate()?;
        Ok(schedule)
    }

    /// Checks a custom list against the limits of [`Schedule::custom`]; built-ins always pass.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let delays = self.delays();
        if delays.is_empty() {
            Err(ScheduleError::Empty)
        } else if delays.len() > MAX_CUSTOM_ATTEMPTS {
            Err(ScheduleError::TooManyAttempts)
        } else if delays.iter().any(|&delay| delay > MAX_CUSTOM_DELAY_MS) {
            Err(ScheduleError::DelayTooLong)
        } else {
            Ok(())
        }
    }

    /// The delay in milliseconds before each attempt, counted from the end of the previous one.
    pub fn delays(&self) -> &[u64] {
        match self {
            Self::Standard => &STANDARD,
            Self::SplitformsLike => &SPLITFORMS_LIKE,
            Self::Quick => &QUICK,
            Self::Custom(delays) => delays,
        }
    }

    /// How many attempts the schedule allows, the first included.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays().len()).unwrap_or(u32::MAX)
    }

    /// The delay before attempt number `attempt` (1-based), or `None` past the end.
    pub fn delay_before(&self, attempt: u32) -> Option<u64> {
        let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
        self.delays().get(index).copied()
    }

    /// The sum of the delays after the first: how long after the first attempt the last starts,
    /// ignoring jitter, throttling and the time attempts take.
    pub fn total_ms(&self) -> u64 {
        self.delays()
            .iter()
            .skip(1)
            .fold(0u64, |sum, &delay| sum.saturating_add(delay))
    }
}

/// Why a custom schedule was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The schedule lists no attempts.
    Empty,
    /// The schedule lists more than [`MAX_CUSTOM_ATTEMPTS`] attempts.
    TooManyAttempts,
    /// A delay is longer than [`MAX_CUSTOM_DELAY_MS`].
    DelayTooLong,
}

impl ScheduleError {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Empty => "schedule_empty",
            Self::TooManyAttempts => "schedule_too_many_attempts",
            Self::DelayTooLong => "schedule_delay_too_long",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::Empty => "a retry schedule needs at least one attempt",
            Self::TooManyAttempts => "a retry schedule may list at most 50 attempts",
            Self::DelayTooLong => "a retry delay may be at most 7 days",
        }
    }
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for ScheduleError {}

/// Spreads `delay_ms` by ±20 % using a caller-supplied uniform random `jitter`: `0` gives
/// −20 %, `u32::MAX` gives +20 %, and `1 << 31` leaves delays under about 248 days unchanged.
/// Rounds down, saturates instead of overflowing, and keeps zero at zero.
pub fn jittered(delay_ms: u64, jitter: u32) -> u64 {
    // delay × (0.8 + 0.4 × jitter / MAX) = delay × (4·MAX + 2·jitter) / (5·MAX); fits in u128.
    let max = u128::from(u32::MAX);
    let numerator = u128::from(delay_ms) * (4 * max + 2 * u128::from(jitter));
    u64::try_from(numerator / (5 * max)).unwrap_or(u64::MAX)
}

/// Parses a `Retry-After` header value into a delay in milliseconds from `now_ms`.
///
/// Accepts delta-seconds (ASCII digits only; too large saturates at `u64::MAX`) or an
/// IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT` (a date in the past gives 0). Surrounding
/// spaces and tabs are ignored. Anything else, including the obsolete RFC 850 and asctime date
/// forms, gives `None`.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim_matches([' ', '\t']);
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.bytes().fold(0u64, |acc, b| {
            acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        });
        return Some(seconds.saturating_mul(SECOND_MS));
    }
    let date_ms = parse_imf_fixdate(value)?;
    Some(date_ms.saturating_sub(now_ms))
}

const DAY_NAMES: [[u8; 3]; 7] = [
    *b"Mon", *b"Tue", *b"Wed", *b"Thu", *b"Fri", *b"Sat", *b"Sun",
];
const MONTH_NAMES: [[u8; 3]; 12] = [
    *b"Jan", *b"Feb", *b"Mar", *b"Apr", *b"May", *b"Jun", *b"Jul", *b"Aug", *b"Sep", *b"Oct",
    *b"Nov", *b"Dec",
];

/// Unix milliseconds of an IMF-fixdate (RFC 9110 §5.6.7); dates before 1970 give 0. The day
/// name must be valid but is not checked against the date.
fn parse_imf_fixdate(value: &str) -> Option<u64> {
    let bytes: &[u8; 29] = value.as_bytes().try_into().ok()?;
    #[rustfmt::skip]
    let &[
        n0, n1, n2, b',', b' ',             // "Sun, "
        d0, d1, b' ', m0, m1, m2, b' ',     // "06 Nov "
        y0, y1, y2, y3, b' ',               // "1994 "
        h0, h1, b':', i0, i1, b':', s0, s1, // "08:49:37"
        b' ', b'G', b'M', b'T',             // " GMT"
    ] = bytes else {
        return None;
    };
    if !DAY_NAMES.contains(&[n0, n1, n2]) {
        return None;
    }
    let month_index = MONTH_NAMES.iter().position(|name| *name == [m0, m1, m2])?;
    let month = u32::try_from(month_index).ok()?.checked_add(1)?;
    let day = decimal(&[d0, d1])?;
    let year = decimal(&[y0, y1, y2, y3])?;
    let hour = decimal(&[h0, h1])?;
    let minute = decimal(&[i0, i1])?;
    let second = decimal(&[s0, s1])?;
    // RFC 9110 allows second 60 for a leap second.
    if day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
    // Before the epoch is in the past for any `now_ms`.
    let seconds = u64::try_from(seconds).unwrap_or(0);
    Some(seconds.saturating_mul(SECOND_MS))
}

/// The value of a short run of ASCII digits.
fn decimal(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit()
            .then(|| acc.saturating_mul(10).saturating_add(u32::from(b - b'0')))
    })
}

fn is_leap_year(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The policy around a [`Schedule`], which is kept separate so that this stays `Copy`.
///
/// Deserializes from JSON with every field optional, e.g. `{"min_throttle_ms": 30000}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// The shortest wait after a throttling response (429, 408, 502, 503, 504). Default 60 s:
    /// rate limits usually count per minute, so retrying sooner is likely to be throttled again.
    pub min_throttle_ms: u64,
    /// The longest `Retry-After` that is honoured; longer ones are cut to this. Default 1 h.
    pub max_retry_after_ms: u64,
    /// How long an endpoint may fail continuously before [`should_disable`] says so, and how long
    /// after its first attempt a message may still be retried. Default 5 days, like Svix;
    /// `u64::MAX` never disables.
    pub disable_after_ms: u64,
}

impl Policy {
    /// The defaults: 60 s throttling floor, 1 h `Retry-After` cap, 5 day auto-disable window.
    pub const DEFAULT: Self = Self {
        min_throttle_ms: 60 * SECOND_MS,
        max_retry_after_ms: HOUR_MS,
        disable_after_ms: 5 * DAY_MS,
    };
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What came back from one delivery attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// An HTTP response: its status code and, if a `Retry-After` header parsed (see
    /// [`parse_retry_after`]), the delay it asks for in milliseconds.
    Status(u16, Option<u64>),
    /// No response: DNS, connection, TLS or similar failure.
    NetworkError,
    /// No response within the caller's time limit.
    Timeout,
}

/// The meaning of one attempt's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A 2xx response.
    Delivered,
    /// 410 Gone: the receiver asks to stop; disable the endpoint, do not retry.
    Gone,
    /// 429, 408, 502, 503 or 504: the receiver or its gateway is overloaded; retry, slower.
    Throttled,
    /// Any other status, 3xx included: redirects are not followed.
    Failed,
    /// No response because of a network failure.
    NetworkError,
    /// No response in time.
    Timeout,
}

impl Outcome {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Gone => "gone",
            Self::Throttled => "throttled",
            Self::Failed => "failed",
            Self::NetworkError => "network_error",
            Self::Timeout => "timeout",
        }
    }
}

/// Classifies one attempt's result.
pub fn classify(result: &AttemptResult) -> Outcome {
    match *result {
        AttemptResult::Status(200..=299, _) => Outcome::Delivered,
        AttemptResult::Status(410, _) => Outcome::Gone,
        AttemptResult::Status(408 | 429 | 502 | 503 | 504, _) => Outcome::Throttled,
        AttemptResult::Status(..) => Outcome::Failed,
        AttemptResult::NetworkError => Outcome::NetworkError,
        AttemptResult::Timeout => Outcome::Timeout,
    }
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Delivered; nothing more to do.
    Done,
    /// The receiver answered 410 Gone: disable the endpoint and stop.
    DisableEndpoint,
    /// Try again at this Unix time in milliseconds (never earlier than `now_ms`).
    RetryAt(u64),
    /// The schedule is exhausted, or the retry would land more than
    /// [`Policy::disable_after_ms`] after the first attempt: stop trying this message.
    GiveUp,
}

impl Decision {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::DisableEndpoint => "disable_endpoint",
            Self::RetryAt(_) => "retry",
            Self::GiveUp => "give_up",
        }
    }
}

/// Decides what follows an attempt.
///
/// `attempt` counts the attempts made so far, this one included (0 is treated as 1);
/// `first_attempt_ms` is when the first of them started and `now_ms` is when this one ended;
/// `jitter` is a uniform random `u32` for [`jittered`].
///
/// The wait is the schedule's next delay with jitter; for [`Outcome::Throttled`] at least
/// [`Policy::min_throttle_ms`]; and at least the response's `Retry-After`, cut to
/// [`Policy::max_retry_after_ms`]. Once the schedule has no attempts left, or if the retry would
/// start more than [`Policy::disable_after_ms`] after `first_attempt_ms`, the answer is
/// [`Decision::GiveUp`].
pub fn next_attempt(
    schedule: &Schedule,
    policy: &Policy,
    attempt: u32,
    first_attempt_ms: u64,
    now_ms: u64,
    result: &AttemptResult,
    jitter: u32,
) -> Decision {
    let outcome = classify(result);
    match outcome {
        Outcome::Delivered => return Decision::Done,
        Outcome::Gone => return Decision::DisableEndpoint,
        Outcome::Throttled | Outcome::Failed | Outcome::NetworkError | Outcome::Timeout => {}
    }
    let Some(scheduled) = schedule.delay_before(attempt.max(1).saturating_add(1)) else {
        return Decision::GiveUp;
    };
    let mut delay = jittered(scheduled, jitter);
    if outcome == Outcome::Throttled {
        delay = delay.max(policy.min_throttle_ms);
    }
    if let AttemptResult::Status(_, Some(retry_after_ms)) = *result {
        delay = delay.max(retry_after_ms.min(policy.max_retry_after_ms));
    }
    let at = now_ms.saturating_add(delay);
    if at > first_attempt_ms.saturating_add(policy.disable_after_ms) {
        return Decision::GiveUp;
    }
    Decision::RetryAt(at)
}

/// Whether an endpoint that has failed continuously since `failing_since_ms` should be
/// disabled: true once at least [`Policy::disable_after_ms`] has passed.
///
/// The caller keeps `failing_since_ms` per endpoint: set it at the first failed attempt when it
/// is `None`, and reset it to `None` on any delivered attempt, so only an unbroken run of
/// failures counts. `None` never disables.
pub fn should_disable(failing_since_ms: Option<u64>, now_ms: u64, policy: &Policy) -> bool {
    failing_since_ms.is_some_and(|since| now_ms.saturating_sub(since) >= policy.disable_after_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// Jitter that leaves delays unchanged.
    const MID: u32 = 1 << 31;
    const NOW: u64 = 1_700_000_000_000;

    fn failed(status: u16) -> AttemptResult {
        AttemptResult::Status(status, None)
    }

    fn next(schedule: &Schedule, attempt: u32, result: &AttemptResult) -> Decision {
        next_attempt(schedule, &Policy::DEFAULT, attempt, NOW, NOW, result, MID)
    }

    #[test]
    fn standard_schedule_is_svix() {
        assert_eq!(
            Schedule::Standard.delays(),
            &[0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]
        );
        assert_eq!(Schedule::Standard.max_attempts(), 8);
        assert_eq!(Schedule::Standard.total_ms(), 99_305_000);
        assert_eq!(Schedule::default(), Schedule::Standard);
    }

    #[test]
    fn splitforms_like_schedule_ends_at_24_hours() {
        assert_eq!(
            Schedule::SplitformsLike.delays(),
            &[0, 30_000, 120_000, 600_000, 3_600_000, 21_600_000, 60_450_000]
        );
        assert_eq!(Schedule::SplitformsLike.max_attempts(), 7);
        assert_eq!(Schedule::SplitformsLike.total_ms(), 86_400_000);
    }

    #[test]
    fn quick_and_custom_schedules() {
        assert_eq!(Schedule::Quick.delays(), &[0, 1_000, 4_000]);
        assert_eq!(Schedule::Quick.max_attempts(), 3);
        let custom = Schedule::custom(vec![0, 1_000, 5_000]);
        assert_eq!(
            custom.as_ref().map(Schedule::delays),
            Ok(&[0, 1_000, 5_000][..])
        );
        assert_eq!(custom.map(|s| s.max_attempts()), Ok(3));
    }

    #[test]
    fn delay_before_is_one_based() {
        assert_eq!(Schedule::Quick.delay_before(0), None);
        assert_eq!(Schedule::Quick.delay_before(1), Some(0));
        assert_eq!(Schedule::Quick.delay_before(3), Some(4_000));
        assert_eq!(Schedule::Quick.delay_before(4), None);
        assert_eq!(Schedule::Quick.delay_before(u32::MAX), None);
    }

    #[test]
    fn custom_schedule_validation() {
        assert_eq!(Schedule::custom(vec![]), Err(ScheduleError::Empty));
        assert_eq!(
            Schedule::custom(vec![0; 51]),
            Err(ScheduleError::TooManyAttempts)
        );
        assert!(Schedule::custom(vec![0; 50]).is_ok());
        assert!(Schedule::custom(vec![0, MAX_CUSTOM_DELAY_MS]).is_ok());
        assert_eq!(
            Schedule::custom(vec![0, 604_800_001]),
            Err(ScheduleError::DelayTooLong)
        );
        assert_eq!(
            Schedule::Custom(vec![]).validate(),
            Err(ScheduleError::Empty)
        );
        assert_eq!(Schedule::Standard.validate(), Ok(()));
        assert_eq!(Schedule::SplitformsLike.validate(), Ok(()));
        assert_eq!(Schedule::Quick.validate(), Ok(()));
    }

    #[test]
    fn schedule_errors_describe_themselves() {
        let errors = [
            ScheduleError::Empty,
            ScheduleError::TooManyAttempts,
            ScheduleError::DelayTooLong,
        ];
        let codes = errors.map(ScheduleError::code);
        assert_eq!(
            codes,
            [
                "schedule_empty",
                "schedule_too_many_attempts",
                "schedule_delay_too_long"
            ]
        );
        for error in errors {
            assert_eq!(alloc::format!("{error}"), error.message());
            let _: &dyn core::error::Error = &error;
        }
    }

    #[test]
    fn schedule_json_reads_naturally() {
        let read = |text: &str| serde_json::from_str::<Schedule>(text).ok();
        assert_eq!(read(r#""standard""#), Some(Schedule::Standard));
        assert_eq!(read(r#""splitforms_like""#), Some(Schedule::SplitformsLike));
        assert_eq!(read(r#""quick""#), Some(Schedule::Quick));
        assert_eq!(
            read(r#"{"custom": [0, 1000, 5000]}"#),
            Some(Schedule::Custom(vec![0, 1_000, 5_000]))
        );
        assert_eq!(read(r#"{"custom": []}"#), None);
        assert_eq!(read(r#"{"custom": [0, 604800001]}"#), None);
        assert_eq!(read(r#""splitforms""#), Some(Schedule::SplitformsLike));
        assert_eq!(read("[0, 1000]"), Some(Schedule::Custom(vec![0, 1_000])));
        assert_eq!(read("[]"), None);
        assert_eq!(read("[-1]"), None);
        assert_eq!(read("[0.5]"), None);
        assert_eq!(read(&serde_json::to_string(&vec![0u64; 51]).unwrap()), None);
        assert_eq!(read(r#"{"custom": [1], "other": 1}"#), None);
        assert_eq!(read(r#""Standard""#), None);
        assert_eq!(read("5"), None);
        // One written form: names as the API documents them, custom lists as plain arrays.
        let written = serde_json::to_string(&Schedule::Custom(vec![0, 1_000])).ok();
        assert_eq!(written.as_deref(), Some("[0,1000]"));
        let written = serde_json::to_string(&Schedule::SplitformsLike).ok();
        assert_eq!(written.as_deref(), Some(r#""splitforms""#));
        for schedule in [
            Schedule::Standard,
            Schedule::SplitformsLike,
            Schedule::Quick,
            Schedule::Custom(vec![5]),
        ] {
            let text = serde_json::to_string(&schedule).unwrap();
            assert_eq!(read(&text), Some(schedule));
        }
        let err = alloc::format!("{}", serde_json::from_str::<Schedule>("[]").unwrap_err());
        assert!(err.contains("at least one attempt"), "{err}");
    }

    #[test]
    fn policy_json_fields_are_optional() {
        let policy = serde_json::from_str::<Policy>(r#"{"min_throttle_ms": 30000}"#).ok();
        assert_eq!(
            policy,
            Some(Policy {
                min_throttle_ms: 30_000,
                ..Policy::DEFAULT
            })
        );
        assert_eq!(
            serde_json::from_str::<Policy>("{}").ok(),
            Some(Policy::default())
        );
        assert_eq!(Policy::DEFAULT.min_throttle_ms, 60_000);
        assert_eq!(Policy::DEFAULT.max_retry_after_ms, 3_600_000);
        assert_eq!(Policy::DEFAULT.disable_after_ms, 432_000_000);
    }

    #[test]
    fn jitter_bounds() {
        assert_eq!(jittered(10_000, 0), 8_000);
        assert_eq!(jittered(10_000, u32::MAX), 12_000);
        assert_eq!(jittered(10_000, MID), 10_000);
        assert_eq!(jittered(10_000, u32::MAX / 2), 9_999);
        assert_eq!(jittered(0, 0), 0);
        assert_eq!(jittered(0, MID), 0);
        assert_eq!(jittered(0, u32::MAX), 0);
        assert_eq!(jittered(1, 0), 0);
        assert_eq!(jittered(u64::MAX, u32::MAX), u64::MAX);
        assert_eq!(jittered(u64::MAX, 0), u64::MAX / 5 * 4);
        let mut last = 0;
        for jitter in (0..=u32::MAX).step_by(65_537) {
            let value = jittered(36_000_000, jitter);
            assert!((28_800_000..=43_200_000).contains(&value));
            assert!(value >= last);
            last = value;
        }
    }

    #[test]
    fn retry_after_delta_seconds() {
        assert_eq!(parse_retry_after("120", NOW), Some(120_000));
        assert_eq!(parse_retry_after("0", NOW), Some(0));
        assert_eq!(parse_retry_after(" \t5 ", NOW), Some(5_000));
        assert_eq!(parse_retry_after("007", NOW), Some(7_000));
        assert_eq!(
            parse_retry_after("18446744073709551", NOW),
            Some(18_446_744_073_709_551_000)
        );
        assert_eq!(parse_retry_after("18446744073709552", NOW), Some(u64::MAX));
        assert_eq!(
            parse_retry_after("99999999999999999999999999", NOW),
            Some(u64::MAX)
        );
    }

    #[test]
    fn retry_after_http_date() {
        // The RFC 9110 example is Unix time 784111777.
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(
            parse_retry_after(date, 784_111_777_000 - 90_000),
            Some(90_000)
        );
        assert_eq!(parse_retry_after(date, 784_111_777_000), Some(0));
        assert_eq!(parse_retry_after(date, NOW), Some(0));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:01 GMT", 0),
            Some(1_000)
        );
        assert_eq!(
            parse_retry_after("Wed, 31 Dec 1969 23:59:59 GMT", 0),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Mon, 01 Jan 0001 00:00:00 GMT", 0),
            Some(0)
        );
        // 2023-11-14T22:13:20Z is NOW; one hour later:
        assert_eq!(
            parse_retry_after("Tue, 14 Nov 2023 23:13:20 GMT", NOW),
            Some(3_600_000)
        );
        assert_eq!(
            parse_retry_after("Thu, 29 Feb 2024 00:00:00 GMT", 1_709_164_800_000),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Thu, 29 Feb 2024 00:00:10 GMT", 1_709_164_800_000),
            Some(10_000)
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:60 GMT", 0),
            Some(253_402_300_800_000)
        );
    }

    #[test]
    fn retry_after_garbage() {
        for value in [
            "",
            "   ",
            "-1",
            "+5",
            "1.5",
            "5s",
            "1e3",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 gmt",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Wed, 29 Feb 2023 00:00:00 GMT",
            "Mon, 29 Feb 1900 00:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 19x4 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMTX",
            "Sun, 06 Nov 1994 08:49:37 GM\u{e9}",
        ] {
            let trimmed_ok = value == "Sun, 06 Nov 1994 08:49:37 GMT ";
            assert_eq!(
                parse_retry_after(value, NOW).is_some(),
                trimmed_ok,
                "{value:?}"
            );
        }
    }

    #[test]
    fn classifies_results() {
        let cases = [
            (200, Outcome::Delivered),
            (204, Outcome::Delivered),
            (299, Outcome::Delivered),
            (100, Outcome::Failed),
            (301, Outcome::Failed),
            (400, Outcome::Failed),
            (404, Outcome::Failed),
            (408, Outcome::Throttled),
            (410, Outcome::Gone),
            (429, Outcome::Throttled),
            (500, Outcome::Failed),
            (502, Outcome::Throttled),
            (503, Outcome::Throttled),
            (504, Outcome::Throttled),
            (0, Outcome::Failed),
            (999, Outcome::Failed),
        ];
        for (status, outcome) in cases {
            assert_eq!(classify(&failed(status)), outcome, "{status}");
            assert_eq!(
                classify(&AttemptResult::Status(status, Some(1_000))),
                outcome
            );
        }
        assert_eq!(
            classify(&AttemptResult::NetworkError),
            Outcome::NetworkError
        );
        assert_eq!(classify(&AttemptResult::Timeout), Outcome::Timeout);
        let codes = [
            Outcome::Delivered,
            Outcome::Gone,
            Outcome::Throttled,
            Outcome::Failed,
            Outcome::NetworkError,
            Outcome::Timeout,
        ]
        .map(Outcome::code);
        assert_eq!(
            codes,
            [
                "delivered",
                "gone",
                "throttled",
                "failed",
                "network_error",
                "timeout"
            ]
        );
    }

    #[test]
    fn retries_follow_the_schedule_then_give_up() {
        let schedule = Schedule::Standard;
        let expected = [
            5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
        ];
        for (attempt, delay) in (1u32..).zip(expected) {
            assert_eq!(
                next(&schedule, attempt, &failed(500)),
                Decision::RetryAt(NOW + delay)
            );
            assert_eq!(
                next(&schedule, attempt, &AttemptResult::Timeout),
                Decision::RetryAt(NOW + delay)
            );
        }
        assert_eq!(next(&schedule, 8, &failed(500)), Decision::GiveUp);
        assert_eq!(
            next(&schedule, 9, &AttemptResult::NetworkError),
            Decision::GiveUp
        );
        assert_eq!(next(&schedule, u32::MAX, &failed(500)), Decision::GiveUp);
        assert_eq!(
            next(&Schedule::Quick, 2, &failed(500)),
            Decision::RetryAt(NOW + 4_000)
        );
        assert_eq!(next(&Schedule::Quick, 3, &failed(500)), Decision::GiveUp);
        assert_eq!(
            next(&Schedule::SplitformsLike, 6, &failed(500)),
            Decision::RetryAt(NOW + 60_450_000)
        );
        assert_eq!(
            next(&Schedule::SplitformsLike, 7, &failed(500)),
            Decision::GiveUp
        );
        // Attempt 0 counts as the first.
        assert_eq!(
            next(&schedule, 0, &failed(500)),
            Decision::RetryAt(NOW + 5_000)
        );
        // An unchecked empty schedule gives up instead of panicking.
        assert_eq!(
            next(&Schedule::Custom(vec![]), 1, &failed(500)),
            Decision::GiveUp
        );
    }

    #[test]
    fn retries_are_jittered() {
        let at = |jitter| {
            next_attempt(
                &Schedule::Standard,
                &Policy::DEFAULT,
                3,
                NOW,
                NOW,
                &failed(500),
                jitter,
            )
        };
        assert_eq!(at(0), Decision::RetryAt(NOW + 1_440_000));
        assert_eq!(at(u32::MAX), Decision::RetryAt(NOW + 2_160_000));
    }

    #[test]
    fn success_and_gone_stop_at_any_attempt() {
        for attempt in [1, 3, 8, 9] {
            assert_eq!(
                next(&Schedule::Standard, attempt, &failed(200)),
                Decision::Done
            );
            assert_eq!(
                next(&Schedule::Standard, attempt, &failed(204)),
                Decision::Done
            );
            assert_eq!(
                next(
                    &Schedule::Standard,
                    attempt,
                    &AttemptResult::Status(410, Some(5_000))
                ),
                Decision::DisableEndpoint
            );
        }
    }

    #[test]
    fn throttling_has_a_floor() {
        for status in [408, 429, 502, 503, 504] {
            assert_eq!(
                next(&Schedule::Standard, 1, &failed(status)),
                Decision::RetryAt(NOW + 60_000)
            );
            assert_eq!(
                next(&Schedule::Quick, 2, &failed(status)),
                Decision::RetryAt(NOW + 60_000)
            );
            // Later delays already exceed the floor.
            assert_eq!(
                next(&Schedule::Standard, 2, &failed(status)),
                Decision::RetryAt(NOW + 300_000)
            );
        }
        let high = next_attempt(
            &Schedule::Standard,
            &Policy::DEFAULT,
            1,
            NOW,
            NOW,
            &failed(429),
            u32::MAX,
        );
        assert_eq!(high, Decision::RetryAt(NOW + 60_000));
        // Plain failures get no floor.
        assert_eq!(
            next(&Schedule::Standard, 1, &failed(500)),
            Decision::RetryAt(NOW + 5_000)
        );
        // The schedule still ends.
        assert_eq!(next(&Schedule::Quick, 3, &failed(429)), Decision::GiveUp);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let with = |status, retry_after_ms| AttemptResult::Status(status, Some(retry_after_ms));
        assert_eq!(
            next(&Schedule::Standard, 1, &with(503, 120_000)),
            Decision::RetryAt(NOW + 120_000)
        );
        assert_eq!(
            next(&Schedule::Standard, 1, &with(429, 10_000)),
            Decision::RetryAt(NOW + 60_000)
        );
        assert_eq!(
            next(&Schedule::Standard, 2, &with(503, 120_000)),
            Decision::RetryAt(NOW + 300_000)
        );
        assert_eq!(
            next(&Schedule::Standard, 1, &with(500, 20_000)),
            Decision::RetryAt(NOW + 20_000)
        );
        assert_eq!(
            next(&Schedule::Standard, 1, &with(429, 36_000_000)),
            Decision::RetryAt(NOW + 3_600_000)
        );
        assert_eq!(
            next(&Schedule::Standard, 1, &with(429, u64::MAX)),
            Decision::RetryAt(NOW + 3_600_000)
        );
        assert_eq!(
            next(&Schedule::Standard, 1, &with(503, 0)),
            Decision::RetryAt(NOW + 60_000)
        );
        // Above the cap, the schedule still wins when longer.
        assert_eq!(
            next(&Schedule::Standard, 6, &with(503, 36_000_000)),
            Decision::RetryAt(NOW + 36_000_000)
        );
        let parsed = parse_retry_after("Tue, 14 Nov 2023 22:43:20 GMT", NOW);
        let result = AttemptResult::Status(503, parsed);
        assert_eq!(
            next(&Schedule::Standard, 1, &result),
            Decision::RetryAt(NOW + 1_800_000)
        );
    }

    #[test]
    fn retries_never_outlive_the_disable_window() {
        let policy = Policy::DEFAULT;
        let first = NOW - policy.disable_after_ms;
        let late = next_attempt(
            &Schedule::Standard,
            &policy,
            2,
            first,
            NOW,
            &failed(500),
            MID,
        );
        assert_eq!(late, Decision::GiveUp);
        let edge = next_attempt(
            &Schedule::Standard,
            &policy,
            1,
            first + 5_000,
            NOW,
            &failed(500),
            MID,
        );
        assert_eq!(edge, Decision::RetryAt(NOW + 5_000));
        let endless = Policy {
            disable_after_ms: u64::MAX,
            ..policy
        };
        let late = next_attempt(&Schedule::Standard, &endless, 2, 0, NOW, &failed(500), MID);
        assert_eq!(late, Decision::RetryAt(NOW + 300_000));
    }

    #[test]
    fn retry_is_never_before_now() {
        let custom = Schedule::Custom(vec![0, 0]);
        assert_eq!(next(&custom, 1, &failed(500)), Decision::RetryAt(NOW));
        let endless = Policy {
            disable_after_ms: u64::MAX,
            ..Policy::DEFAULT
        };
        let at_end = next_attempt(
            &Schedule::Standard,
            &endless,
            1,
            0,
            u64::MAX,
            &failed(429),
            0,
        );
        assert_eq!(at_end, Decision::RetryAt(u64::MAX));
        // A first attempt "in the future" (caller clock skew) still schedules from now.
        let skewed = next_attempt(
            &Schedule::Quick,
            &Policy::DEFAULT,
            1,
            NOW + 10_000,
            NOW,
            &failed(500),
            MID,
        );
        assert_eq!(skewed, Decision::RetryAt(NOW + 1_000));
    }

    #[test]
    fn decision_codes() {
        let codes = [
            Decision::Done,
            Decision::DisableEndpoint,
            Decision::RetryAt(1),
            Decision::GiveUp,
        ]
        .map(Decision::code);
        assert_eq!(codes, ["done", "disable_endpoint", "retry", "give_up"]);
    }

    #[test]
    fn disables_after_continuous_failure() {
        let policy = Policy::DEFAULT;
        let since = NOW;
        let window = policy.disable_after_ms;
        assert!(!should_disable(None, NOW + window * 10, &policy));
        assert!(!should_disable(Some(since), since, &policy));
        assert!(!should_disable(Some(since), since + window - 1, &policy));
        assert!(should_disable(Some(since), since + window, &policy));
        assert!(should_disable(Some(since), since + window + 1, &policy));
        assert!(should_disable(Some(0), u64::MAX, &policy));
        // A clock that went backwards does not disable.
        assert!(!should_disable(Some(since), since - 1, &policy));
        let never = Policy {
            disable_after_ms: u64::MAX,
            ..policy
        };
        assert!(!should_disable(Some(0), u64::MAX - 1, &never));
        let custom = Policy {
            disable_after_ms: 60_000,
            ..policy
        };
        assert!(should_disable(Some(since), since + 60_000, &custom));
    }
}
