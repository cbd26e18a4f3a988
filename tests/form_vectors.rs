//! Runs `tests/vectors/forms.json` through the form parser: raw submissions captured from
//! Chromium by `tests/vectors/capture/capture.mjs` must give exactly the fields and files the
//! browser's form held and say which charset they were read in; hand-written cases must parse
//! or be refused with their error code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use formhook::encoding::base64_decode;
use formhook::form::{parse, Charset, FormError, Limits};
use serde_json::{json, Value};

fn cases() -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(include_str!("vectors/forms.json")).expect("vector file is JSON");
    doc["cases"].as_array().expect("cases array").clone()
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("case {}: {field} is a string", case["tcId"]))
}

/// The per-form charset setting the case needs, as the worker would pass it.
fn limits(case: &Value) -> Limits {
    let default_charset = match case["form_charset"].as_str() {
        Some(label) => Charset::from_label(label).expect("known label"),
        None => Charset::UTF_8,
    };
    Limits {
        default_charset,
        ..Limits::default()
    }
}

#[test]
fn every_capture_parses_to_what_the_form_held() {
    let cases = cases();
    let captured = cases.iter().filter(|c| c["source"] == "chromium").count();
    assert!(captured >= 9, "vector file lost captures");
    assert!(
        cases.len() >= captured + 9,
        "vector file lost hand-written cases"
    );
    for case in &cases {
        let id = text(case, "id");
        let body = base64_decode(text(case, "body_base64")).expect("base64 body");
        let got = parse(text(case, "content_type"), &body, &limits(case));
        if text(case, "result") == "invalid" {
            assert_eq!(
                got.err().map(FormError::code),
                Some(text(case, "error")),
                "{id}"
            );
            continue;
        }
        let form = got.unwrap_or_else(|e| panic!("{id}: refused with {}", e.code()));
        assert_eq!(Value::Object(form.fields), case["fields"], "{id}: fields");
        if let Some(charset) = case["charset"].as_str() {
            assert_eq!(form.charset.name(), charset, "{id}: charset");
        }
        let files: Vec<Value> = form
            .files
            .iter()
            .map(|f| {
                assert_eq!(
                    f.range.len() as u64,
                    f.size,
                    "{id}: range matches the size"
                );
                json!({"field": f.field, "filename": f.filename, "content_type": f.content_type, "size": f.size, "sha256": f.sha256})
            })
            .collect();
        assert_eq!(Value::Array(files), case["files"], "{id}: files");
    }
}

#[test]
fn legacy_bytes_without_their_charset_are_refused_not_garbled() {
    let mut checked = 0;
    for case in cases().iter().filter(|c| c["form_charset"].is_string()) {
        let body = base64_decode(text(case, "body_base64")).expect("base64 body");
        let got = parse(text(case, "content_type"), &body, &Limits::default());
        assert_eq!(got.err(), Some(FormError::InvalidUtf8), "{}", case["id"]);
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn captures_cover_the_browser_quirks() {
    let bodies: Vec<Vec<u8>> = cases()
        .iter()
        .filter(|c| c["source"] == "chromium")
        .map(|c| base64_decode(text(c, "body_base64")).expect("base64 body"))
        .collect();
    let any = |needle: &[u8]| {
        bodies
            .iter()
            .any(|b| b.windows(needle.len()).any(|w| w == needle))
    };
    // What the parser has to read right: if Chromium stops sending these, the vectors no
    // longer test them.
    assert!(any(b"name=\"ends\\\"\r\n"), "a name ending in a backslash");
    assert!(any(b"name=\"quote%22x\""), "%22 in a name");
    assert!(any(b"filename=\"new%0Aline.txt\""), "%0A in a filename");
    assert!(
        any(b"name=\"\x95\x5c\""),
        "Shift_JIS 0x5C before the closing quote"
    );
    assert!(any(b"filename=\"\"\r\n"), "an empty file input");
}
