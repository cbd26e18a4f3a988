//! What the core leaves to its callers: the clock, randomness, and ids made from both.

use worker::Date;

use crate::error::{ApiError, ApiResult};

/// The current Unix time in milliseconds.
pub fn now_ms() -> i64 {
    i64::try_from(Date::now().as_millis()).unwrap_or(i64::MAX)
}

/// The current Unix time in milliseconds, unsigned (the core's clock type).
pub fn now_u64() -> u64 {
    u64::try_from(now_ms()).unwrap_or(0)
}

/// Fills `buf` from the platform's CSPRNG (`crypto.getRandomValues`).
pub fn random_bytes(buf: &mut [u8]) -> ApiResult<()> {
    getrandom::fill(buf).map_err(|e| ApiError::internal(format!("random: {e}")))
}

/// A uniform random `u32`, for retry jitter.
pub fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // A failed CSPRNG only loses jitter, never a delivery: fall back to "no jitter".
    if random_bytes(&mut b).is_err() {
        return 1 << 31;
    }
    u32::from_le_bytes(b)
}

/// A new `whsec_` secret from 24 random bytes.
pub fn new_hmac_secret() -> ApiResult<String> {
    let mut bytes = [0u8; 24];
    random_bytes(&mut bytes)?;
    Ok(formhook::Secret::generate(&bytes)
        .map_err(ApiError::internal)?
        .to_whsec())
}

/// A new ed25519 signing key (`whsk_`, the 32-byte seed) from 32 random bytes.
pub fn new_signing_key() -> ApiResult<String> {
    let mut seed = [0u8; 32];
    random_bytes(&mut seed)?;
    Ok(formhook::ed25519::SigningKey::generate(&seed)
        .map_err(ApiError::internal)?
        .to_whsk())
}

const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A time-ordered id, `<prefix>_` + 10 chars of milliseconds + 16 random chars (ULID layout,
/// lowercase Crockford base32), so ids sort by creation time and serve as cursors.
pub fn new_id(prefix: &str) -> ApiResult<String> {
    let mut random = [0u8; 10];
    random_bytes(&mut random)?;
    Ok(id_from(prefix, now_u64(), random))
}

fn id_from(prefix: &str, ms: u64, random: [u8; 10]) -> String {
    let mut out = String::with_capacity(prefix.len() + 27);
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
    let bits = random
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    for i in (0..16).rev() {
        out.push(digit(bits >> (i * 5)));
    }
    out
}

/// The id of something named `name` (a job's idempotency key), the same every time: `at_ms`
/// as the time part, and the first 80 bits of SHA-256 of `name` in place of randomness. Storing
/// a job under its derived id stores it once without an index of its key.
pub fn derived_id(prefix: &str, at_ms: u64, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let mut bits = [0u8; 10];
    for (out, byte) in bits.iter_mut().zip(digest.iter()) {
        *out = *byte;
    }
    id_from(prefix, at_ms, bits)
}

/// The milliseconds in an id of [`new_id`]'s layout (`None` when `id` is not one).
pub fn id_time(id: &str) -> Option<u64> {
    let (_, rest) = id.split_once('_')?;
    if rest.len() != 26 {
        return None;
    }
    rest.bytes().take(10).try_fold(0u64, |acc, c| {
        let digit = CROCKFORD.iter().position(|d| *d == c)?;
        Some((acc << 5) | digit as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::{derived_id, id_from, id_time};

    #[test]
    fn derived_ids_are_stable_and_carry_the_time() {
        let a = derived_id("dlv", 1_700_000_000_000, "ep\nsub:x");
        assert_eq!(a, derived_id("dlv", 1_700_000_000_000, "ep\nsub:x"));
        assert_ne!(a, derived_id("dlv", 1_700_000_000_000, "ep\nsub:y"));
        assert_eq!(id_time(&a), Some(1_700_000_000_000));
        assert_eq!(a.len(), "dlv_".len() + 26);
    }

    #[test]
    fn id_time_reads_only_ids_of_the_layout() {
        let id = id_from("sub", 1_764_470_000_123, [7; 10]);
        assert_eq!(id_time(&id), Some(1_764_470_000_123));
        for bad in [
            "sub",
            "sub_",
            "sub_0123",
            "sub_0123456789abcdefghjkmnpqrstv",
            "sub_I123456789abcdefghjkmnpqrs",
        ] {
            assert_eq!(id_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_sort_by_time() {
        let a = id_from("sub", 1_700_000_000_000, [255; 10]);
        let b = id_from("sub", 1_700_000_000_001, [0; 10]);
        assert!(a < b, "{a} < {b}");
        assert_eq!(a.len(), "sub_".len() + 26);
        assert!(a.starts_with("sub_"));
    }
}
