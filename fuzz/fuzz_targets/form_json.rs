//! JSON bodies: never panic (deep nesting included); only objects parse.
#![no_main]
use formhook::form::{parse_json, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_json(data, &Limits::default());
});
