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

#[cfg(test)]
mod tests {
    use super::id_from;

    #[test]
    fn ids_sort_by_time() {
        let a = id_from("sub", 1_700_000_000_000, [255; 10]);
        let b = id_from("sub", 1_700_000_000_001, [0; 10]);
        assert!(a < b, "{a} < {b}");
        assert_eq!(a.len(), "sub_".len() + 26);
        assert!(a.starts_with("sub_"));
    }
}
