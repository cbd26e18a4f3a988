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

/// A time-ordered id, `<prefix>_` + 10 chars of milliseconds + 16 random chars (the core's
/// `formhook::id` layout), so ids sort by creation time and serve as cursors.
pub fn new_id(prefix: &str) -> ApiResult<String> {
    let mut random = [0u8; 10];
    random_bytes(&mut random)?;
    Ok(formhook::id::from_parts(prefix, now_u64(), random))
}
