//! Runs `tests/vectors/signatures.json` against the core (the Node tests read the same file).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use formhook::{sign, verify, HmacKey, Scheme, SignatureHeaders, DEFAULT_TOLERANCE_SECS};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let text = include_str!("vectors/signatures.json");
    let doc: Value = serde_json::from_str(text).expect("vector file is JSON");
    doc["tests"].as_array().expect("tests array").clone()
}

fn payload(case: &Value) -> Vec<u8> {
    match (case.get("payload"), case.get("payloadHex")) {
        (Some(text), _) => text.as_str().expect("payload text").as_bytes().to_vec(),
        (None, Some(hex)) => {
            let hex = hex.as_str().expect("payload hex");
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect()
        }
        _ => panic!("case has no payload"),
    }
}

fn header<'a>(case: &'a Value, name: Option<&str>) -> Option<&'a str> {
    case["headers"].get(name?)?.as_str()
}

#[test]
fn every_vector_verifies_as_expected() {
    let cases = vectors();
    assert!(cases.len() >= 50, "vector file lost cases");
    for case in &cases {
        let id = &case["tcId"];
        let scheme =
            Scheme::from_name(case["scheme"].as_str().expect("scheme")).expect("known scheme");
        let names = scheme.header_names();
        let secrets: Vec<&str> = case["secrets"]
            .as_array()
            .expect("secrets")
            .iter()
            .map(|s| s.as_str().expect("secret"))
            .collect();
        let keys: Result<Vec<HmacKey>, _> = secrets.iter().map(|s| scheme.key(s)).collect();
        let expected_error = case.get("error").and_then(Value::as_str);
        let keys = match keys {
            Ok(keys) => keys,
            Err(e) => {
                assert_eq!(Some(e.code()), expected_error, "case {id}: key error");
                continue;
            }
        };
        let headers = SignatureHeaders {
            id: header(case, names.id),
            timestamp: header(case, names.timestamp),
            signature: header(case, Some(names.signature)),
        };
        let now = case.get("now").and_then(Value::as_i64).unwrap_or(0);
        let body = payload(case);
        let result = verify(scheme, &keys, &headers, &body, now, DEFAULT_TOLERANCE_SECS);
        match case["result"].as_str() {
            Some("valid") => assert_eq!(result, Ok(()), "case {id}: {}", case["comment"]),
            Some("invalid") => assert_eq!(
                result.map_err(|e| e.code()),
                Err(expected_error.expect("invalid case names its error")),
                "case {id}: {}",
                case["comment"]
            ),
            other => panic!("case {id}: result {other:?}"),
        }
        if let Some(signing) = case.get("sign") {
            let msg_id = signing["msgId"].as_str().unwrap_or("");
            let ts = signing["timestamp"].as_i64().unwrap_or(0);
            let produced = sign(scheme, &keys, msg_id, ts, &body);
            assert_eq!(
                Some(produced.as_str()),
                headers.signature,
                "case {id}: signing reproduces the header"
            );
        }
    }
}

#[test]
fn every_scheme_has_a_signing_vector() {
    let cases = vectors();
    for scheme in Scheme::ALL {
        assert!(
            cases
                .iter()
                .any(|c| c["scheme"] == scheme.name() && c.get("sign").is_some()),
            "no signing vector for {}",
            scheme.name()
        );
    }
}

#[test]
fn sign_then_verify_round_trips_for_every_scheme() {
    let key = HmacKey::new(b"round-trip key").unwrap();
    let body = b"\x00\xffbinary and text";
    for scheme in Scheme::ALL {
        let names = scheme.header_names();
        let sig = sign(
            scheme,
            std::slice::from_ref(&key),
            "msg_1",
            1_700_000_000,
            body,
        );
        let headers = SignatureHeaders {
            id: names.id.map(|_| "msg_1"),
            timestamp: names.timestamp.map(|_| "1700000000"),
            signature: Some(&sig),
        };
        assert_eq!(
            verify(
                scheme,
                std::slice::from_ref(&key),
                &headers,
                body,
                1_700_000_100,
                300
            ),
            Ok(()),
            "{}",
            scheme.name()
        );
        let other = HmacKey::new(b"another key").unwrap();
        assert_eq!(
            verify(scheme, &[other], &headers, body, 1_700_000_100, 300),
            Err(formhook::VerifyError::NoMatchingSignature),
            "{}",
            scheme.name()
        );
    }
}
