//! `Retry-After` values: never panic.
#![no_main]
use formhook::retry::parse_retry_after;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        let _ = parse_retry_after(text, 1_700_000_000_000);
    }
});
