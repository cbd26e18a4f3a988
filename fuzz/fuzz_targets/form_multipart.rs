//! multipart bodies: the first line is the boundary, the rest the body. Never panic; file
//! ranges always lie inside the body and match the reported size; empty file inputs are never
//! listed and the file limit holds.
#![no_main]
use formhook::form::{parse_multipart, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let (boundary, rest) = data.split_at(split);
    let body = rest.get(1..).unwrap_or_default();
    let Ok(boundary) = core::str::from_utf8(boundary) else { return };
    let limits = Limits::default();
    if let Ok(form) = parse_multipart(body, boundary, &limits) {
        assert!(form.files.len() <= limits.max_files);
        for file in &form.files {
            assert!(file.range.end <= body.len());
            assert_eq!(file.size as usize, file.range.len());
            assert!(!(file.filename.is_empty() && file.size == 0));
            assert!(file.filename.len() <= limits.max_filename_bytes);
        }
    }
});
