//! urlencoded bodies: never panic; what parses never has a key with a prototype-polluting
//! segment (`__proto__`, `constructor`, `prototype` between `.`, `[` and `]`).
#![no_main]
use formhook::form::{parse_urlencoded, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(form) = parse_urlencoded(data, &Limits::default()) {
        for key in form.fields.keys() {
            assert!(!key.is_empty());
            assert!(key
                .split(['.', '[', ']'])
                .all(|segment| !matches!(segment, "__proto__" | "constructor" | "prototype")));
        }
    }
});
