//! Per-client submission limits: a count per client per calendar minute, and the `Retry-After`
//! a refused client is told, from the same clock.
//!
//! Clients are keyed so one person cannot sidestep the limit by changing addresses they control:
//! an IPv6 client by its /64 (one home or device network), an IPv4-mapped IPv6 address as the
//! IPv4 address it is.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use core::fmt;
use core::net::{IpAddr, Ipv6Addr};

/// Clients remembered at once; past this, windows from earlier minutes are forgotten first.
pub const MAX_TRACKED_CLIENTS: usize = 10_000;

const MINUTE_MS: u64 = 60_000;

/// The key a client is counted under: its IPv4 address, its IPv6 /64 (`2001:db8:1:2::/64`),
/// or, for text that is not an address, the text itself.
pub fn client_key(ip: &str) -> String {
    let text = ip.trim().trim_start_matches('[').trim_end_matches(']');
    match text.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                let mut key = prefix.to_string();
                key.push_str("/64");
                key
            }
        },
        Err(_) => text.to_string(),
    }
}

/// A refused submission: the client's budget for this minute is spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimited {
    /// Seconds until the next minute, when the budget refills (at least 1).
    pub retry_after_secs: u64,
}

impl RateLimited {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        "rate_limited"
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "too many submissions from this address; retry in {} s",
            self.retry_after_secs
        )
    }
}

impl core::error::Error for RateLimited {}

impl RateLimited {
    /// When the refused client's budget refills, in Unix ms, for a refusal made at `now_ms`
    /// (`Retry-After` is rounded up to whole seconds, so this is at most a second late). A front
    /// that remembers it can refuse the client's next posts itself, before reading their bodies.
    pub const fn refills_at_ms(self, now_ms: u64) -> u64 {
        now_ms.saturating_add(self.retry_after_secs.saturating_mul(1000))
    }

    /// The refusal still standing at `now_ms` for a client whose budget refills at
    /// `refills_at_ms` (from [`RateLimited::refills_at_ms`]); `None` once it has refilled.
    pub fn still_standing(refills_at_ms: u64, now_ms: u64) -> Option<Self> {
        (now_ms < refills_at_ms).then(|| Self {
            retry_after_secs: (refills_at_ms - now_ms).div_ceil(1000).max(1),
        })
    }
}

/// Counts submissions per client key per calendar minute.
#[derive(Clone, Debug, Default)]
pub struct RateLimiter {
    windows: BTreeMap<String, (u64, u32)>,
}

impl RateLimiter {
    /// An empty limiter.
    pub const fn new() -> Self {
        Self {
            windows: BTreeMap::new(),
        }
    }

    /// Counts one submission from `ip` at `now_ms` against `per_minute` (0: no limit; an empty
    /// `ip`, unknown, is not limited). Refused submissions are not counted.
    pub fn admit(&mut self, ip: &str, per_minute: u32, now_ms: u64) -> Result<(), RateLimited> {
        if per_minute == 0 || ip.is_empty() {
            return Ok(());
        }
        let minute = now_ms / MINUTE_MS;
        if self.windows.len() >= MAX_TRACKED_CLIENTS {
            self.windows.retain(|_, (m, _)| *m == minute);
        }
        let window = self.windows.entry(client_key(ip)).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= per_minute {
            let refill = (minute + 1) * MINUTE_MS;
            return Err(RateLimited {
                retry_after_secs: (refill - now_ms).div_ceil(1000).max(1),
            });
        }
        window.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE_START: u64 = 1_700_000_040_000; // a multiple of 60 000

    #[test]
    fn a_remembered_refusal_stands_until_the_budget_refills() {
        let mut limiter = RateLimiter::new();
        let now = MINUTE_START + 45_500;
        assert!(limiter.admit("203.0.113.7", 1, now).is_ok());
        let refused = limiter.admit("203.0.113.7", 1, now).unwrap_err();
        assert_eq!(refused.retry_after_secs, 15);
        let refills = refused.refills_at_ms(now);
        assert_eq!(refills, MINUTE_START + 60_500);
        assert_eq!(
            RateLimited::still_standing(refills, now + 1),
            Some(RateLimited {
                retry_after_secs: 15
            })
        );
        assert_eq!(
            RateLimited::still_standing(refills, refills - 1),
            Some(RateLimited {
                retry_after_secs: 1
            })
        );
        assert_eq!(RateLimited::still_standing(refills, refills), None);
        // The limiter itself has refilled by then: the front never refuses what it would admit
        // for longer than the rounding of Retry-After.
        assert!(limiter.admit("203.0.113.7", 1, refills).is_ok());
        assert_eq!(RateLimited::still_standing(0, u64::MAX), None);
        assert_eq!(
            RateLimited {
                retry_after_secs: u64::MAX
            }
            .refills_at_ms(1),
            u64::MAX
        );
    }

    #[test]
    fn keys() {
        assert_eq!(client_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(client_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(client_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            client_key("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(client_key("[2001:db8:1:3::1]"), "2001:db8:1:3::/64");
        assert_eq!(client_key("unknown"), "unknown");
    }

    #[test]
    fn the_budget_refills_at_the_next_minute_and_retry_after_says_when() {
        assert_eq!(MINUTE_START % MINUTE_MS, 0);
        let mut limiter = RateLimiter::new();
        for _ in 0..3 {
            assert_eq!(
                limiter.admit("198.51.100.1", 3, MINUTE_START + 1_000),
                Ok(())
            );
        }
        assert_eq!(
            limiter.admit("198.51.100.1", 3, MINUTE_START + 15_500),
            Err(RateLimited {
                retry_after_secs: 45
            })
        );
        assert_eq!(
            limiter.admit("198.51.100.1", 3, MINUTE_START + 59_999),
            Err(RateLimited {
                retry_after_secs: 1
            })
        );
        assert_eq!(
            limiter.admit("198.51.100.1", 3, MINUTE_START + 60_000),
            Ok(())
        );
        // Another client has its own budget.
        assert_eq!(
            limiter.admit("198.51.100.2", 3, MINUTE_START + 1_000),
            Ok(())
        );
    }

    #[test]
    fn one_ipv6_network_shares_one_budget() {
        let mut limiter = RateLimiter::new();
        let mut admitted = 0;
        for host in 1..=8 {
            let ip = alloc::format!("2001:db8:1:2::{host}");
            if limiter.admit(&ip, 3, MINUTE_START).is_ok() {
                admitted += 1;
            }
        }
        assert_eq!(admitted, 3);
        assert!(limiter.admit("2001:db8:1:3::1", 3, MINUTE_START).is_ok());
    }

    #[test]
    fn no_limit_and_unknown_clients_pass() {
        let mut limiter = RateLimiter::new();
        for _ in 0..100 {
            assert!(limiter.admit("198.51.100.1", 0, MINUTE_START).is_ok());
            assert!(limiter.admit("", 1, MINUTE_START).is_ok());
        }
    }

    #[test]
    fn memory_stays_bounded() {
        let mut limiter = RateLimiter::new();
        for i in 0..(MAX_TRACKED_CLIENTS as u32 + 5) {
            let ip = alloc::format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            limiter
                .admit(&ip, 5, MINUTE_START + u64::from(i / 5_000) * MINUTE_MS)
                .unwrap();
        }
        assert!(limiter.windows.len() <= MAX_TRACKED_CLIENTS);
    }
}
