//! The SSRF guard: never panic; nothing it accepts without an allowlist is a forbidden address.
#![no_main]
use formhook::destination::{check_url, is_forbidden_ip, Allowlist};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = core::str::from_utf8(data) else { return };
    if let Ok(dest) = check_url(url, &Allowlist::default()) {
        assert!(!dest.is_allowlisted);
        if let Some(ip) = dest.ip {
            assert!(!is_forbidden_ip(ip), "{url} -> {ip}");
        }
    }
    if let Some((list, url)) = url.split_once('\n') {
        if let Ok(allow) = Allowlist::parse(list) {
            let _ = check_url(url, &allow);
        }
    }
});
