//! Time-ordered ids: `<prefix>_` + 10 characters of Unix milliseconds + 16 characters of 80 other
//! bits (the ULID layout, lowercase Crockford base32), so ids sort by time and serve as cursors.
//! The caller brings the clock and the bits: random for a new thing ([`from_parts`]), or a hash
//! of its name when the same thing must always get the same id ([`derived`]).
//!
//! ```
//! let id = formhook::id::from_parts("sub", 1_700_000_000_000, [7; 10]);
//! assert_eq!(formhook::id::time_of(&id), Some(1_700_000_000_000));
//! let a = formhook::id::derived("dlv", 1_700_000_000_000, "ep_1\nsub:x");
//! assert_eq!(a, formhook::id::derived("dlv", 1_700_000_000_000, "ep_1\nsub:x"));
//! ```

use alloc::string::String;
use sha2::{Digest, Sha256};

const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters after the `_`: 10 of time, 16 of the other bits.
const BODY_CHARS: usize = 26;

/// The id of time `ms` and the 80 bits `bits` (random bytes for a new thing).
pub fn from_parts(prefix: &str, ms: u64, bits: [u8; 10]) -> String {
    let mut out = String::with_capacity(prefix.len() + 1 + BODY_CHARS);
    out.push_str(prefix);
    out.push('_');
    let digit = |value: u128| {
        char::from(
            CROCKFORD
                .get((value & 31) as usize)
                .copied()
                .unwrap_or(b'0'),
        )
    };
    for i in (0..10).rev() {
        out.push(digit(u128::from(ms >> (i * 5))));
    }
    let bits = bits
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    for i in (0..16).rev() {
        out.push(digit(bits >> (i * 5)));
    }
    out
}

/// The id of something named `name` (a job's idempotency key), the same every time: `at_ms` as
/// the time part, and the first 80 bits of SHA-256 of `name` in place of randomness. Storing a
/// job under its derived id stores it once without an index of its key.
pub fn derived(prefix: &str, at_ms: u64, name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let mut bits = [0u8; 10];
    for (out, byte) in bits.iter_mut().zip(digest.iter()) {
        *out = *byte;
    }
    from_parts(prefix, at_ms, bits)
}

/// The milliseconds in an id of this layout (`None` when `id` is not one).
pub fn time_of(id: &str) -> Option<u64> {
    let (_, rest) = id.split_once('_')?;
    if rest.len() != BODY_CHARS {
        return None;
    }
    rest.bytes().take(10).try_fold(0u64, |acc, c| {
        let digit = CROCKFORD.iter().position(|d| *d == c)?;
        Some((acc << 5) | digit as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::{derived, from_parts, time_of};

    #[test]
    fn ids_sort_by_time() {
        let a = from_parts("sub", 1_700_000_000_000, [255; 10]);
        let b = from_parts("sub", 1_700_000_000_001, [0; 10]);
        assert!(a < b, "{a} < {b}");
        assert_eq!(a.len(), "sub_".len() + 26);
        assert!(a.starts_with("sub_"));
    }

    #[test]
    fn derived_ids_are_stable_and_carry_the_time() {
        let a = derived("dlv", 1_700_000_000_000, "ep\nsub:x");
        assert_eq!(a, derived("dlv", 1_700_000_000_000, "ep\nsub:x"));
        assert_ne!(a, derived("dlv", 1_700_000_000_000, "ep\nsub:y"));
        assert_eq!(time_of(&a), Some(1_700_000_000_000));
        assert_eq!(a.len(), "dlv_".len() + 26);
    }

    #[test]
    fn time_of_reads_only_ids_of_the_layout() {
        let id = from_parts("sub", 1_764_470_000_123, [7; 10]);
        assert_eq!(time_of(&id), Some(1_764_470_000_123));
        for bad in [
            "sub",
            "sub_",
            "sub_0123",
            "sub_0123456789abcdefghjkmnpqrstv",
            "sub_I123456789abcdefghjkmnpqrs",
        ] {
            assert_eq!(time_of(bad), None, "{bad}");
        }
    }
}
