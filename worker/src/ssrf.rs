//! The SSRF guard around every endpoint URL, at save time and before each attempt: the core's
//! `destination` rules with the `SSRF_ALLOWLIST` variable.

use formhook::destination::{check_url, Allowlist};
use worker::Env;

/// `Ok` if deliveries may go to `url`; otherwise why not.
pub fn check(env: &Env, url: &str) -> Result<(), String> {
    let list = env
        .var("SSRF_ALLOWLIST")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let allow = Allowlist::parse(&list).map_err(|e| format!("SSRF_ALLOWLIST: {}", e.message()))?;
    check_url(url, &allow)
        .map(|_| ())
        .map_err(|e| format!("{url} is not allowed: {}", e.message()))
}
