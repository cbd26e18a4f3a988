//! Runs `tests/vectors/ssrf.json` against the SSRF guard (the worker's JavaScript tests read the
//! same file).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use formhook::destination::{check_url, Allowlist, DestinationError};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = include_str!("vectors/ssrf.json");
    let doc: Value = serde_json::from_str(text).expect("vector file is JSON");
    doc["tests"].as_array().expect("tests array").clone()
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("case {}: {field} is a string", case["tcId"]))
}

#[test]
fn every_vector_checks_as_expected() {
    let cases = vectors();
    assert!(cases.len() >= 60, "vector file lost cases");
    let mut ids = BTreeSet::new();
    for case in &cases {
        let id = &case["tcId"];
        assert!(
            ids.insert(id.as_u64().expect("numeric tcId")),
            "duplicate tcId {id}"
        );
        let comment = text(case, "comment");
        let result = Allowlist::parse(text(case, "allowlist"))
            .and_then(|allow| check_url(text(case, "url"), &allow));
        if case["ok"].as_bool().expect("ok is a boolean") {
            let destination = result.unwrap_or_else(|e| panic!("case {id} ({comment}): {e:?}"));
            assert_eq!(destination.host, text(case, "host"), "case {id}: {comment}");
            assert_eq!(
                u64::from(destination.port),
                case["port"].as_u64().expect("port"),
                "case {id}: {comment}"
            );
            if let Some(scheme) = case.get("scheme") {
                assert_eq!(
                    Some(destination.scheme.as_str()),
                    scheme.as_str(),
                    "case {id}"
                );
            }
            let allowlisted = case.get("allowlisted").and_then(Value::as_bool);
            assert_eq!(
                destination.is_allowlisted,
                allowlisted.unwrap_or(false),
                "case {id}: {comment}"
            );
        } else {
            assert_eq!(
                result.map_err(DestinationError::code),
                Err(text(case, "error")),
                "case {id}: {comment}"
            );
        }
    }
}

#[test]
fn vectors_cover_every_error_code() {
    let cases = vectors();
    let seen: BTreeSet<&str> = cases
        .iter()
        .filter_map(|case| case.get("error").and_then(Value::as_str))
        .collect();
    for error in DestinationError::ALL {
        assert!(
            seen.contains(error.code()),
            "no vector for {}",
            error.code()
        );
    }
}
