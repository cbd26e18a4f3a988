//! The content-type dispatcher: the first line is the Content-Type header, the rest the body.
#![no_main]
use formhook::form::{parse, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (content_type, rest) = data.split_at(split);
    let Ok(content_type) = core::str::from_utf8(content_type) else { return };
    let limits = Limits { max_body_bytes: 64 * 1024, max_fields: 200, ..Limits::default() };
    let _ = parse(content_type, rest.get(1..).unwrap_or_default(), &limits);
});
