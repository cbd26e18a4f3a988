//! Runs `tests/vectors/ed25519.json` (Standard Webhooks `v1a`, computed with node:crypto's Ed25519)
//! against the core; the Node tests read the same file.
#![cfg(feature = "ed25519")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use formhook::ed25519::{PublicKey, SigningKey};
use formhook::{sign, verify, Key, Scheme, SignatureHeaders, DEFAULT_TOLERANCE_SECS};
use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(include_str!("vectors/ed25519.json")).expect("vector file is JSON")
}

#[test]
fn every_vector_verifies_as_expected() {
    let doc = document();
    let cases = doc["tests"].as_array().expect("tests array");
    assert!(cases.len() >= 25, "vector file lost cases");
    let mut signed = 0;
    for case in cases {
        let id = &case["tcId"];
        let scheme = Scheme::from_name(case["scheme"].as_str().unwrap()).unwrap();
        let keys: Result<Vec<Key>, _> = case["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| scheme.parse_key(s.as_str().unwrap()))
            .collect();
        let expected_error = case.get("error").and_then(Value::as_str);
        let keys = match keys {
            Ok(keys) => keys,
            Err(e) => {
                assert_eq!(Some(e.code()), expected_error, "case {id}: key error");
                continue;
            }
        };
        let h = &case["headers"];
        let headers = SignatureHeaders {
            id: h["webhook-id"].as_str(),
            timestamp: h["webhook-timestamp"].as_str(),
            signature: h["webhook-signature"].as_str(),
        };
        let body = case["payload"].as_str().unwrap().as_bytes();
        let now = case["now"].as_i64().unwrap();
        let result = verify(scheme, &keys, &headers, body, now, DEFAULT_TOLERANCE_SECS);
        match case["result"].as_str() {
            Some("valid") => assert_eq!(result, Ok(()), "case {id}: {}", case["comment"]),
            _ => assert_eq!(
                result.map_err(|e| e.code()),
                Err(expected_error.expect("invalid case names its error")),
                "case {id}: {}",
                case["comment"]
            ),
        }
        if let Some(signing) = case.get("sign") {
            let produced = sign(
                scheme,
                &keys,
                signing["msgId"].as_str().unwrap(),
                signing["timestamp"].as_i64().unwrap(),
                body,
            );
            assert_eq!(
                Some(produced.as_str()),
                headers.signature,
                "case {id}: signing"
            );
            signed += 1;
        }
    }
    assert!(signed >= 3, "signing vectors lost");
}

#[test]
fn keys_round_trip_to_the_vector_texts() {
    let doc = document();
    let a = &doc["keys"]["A"];
    let from_seed = SigningKey::parse(a["whsk32"].as_str().unwrap()).unwrap();
    let from_pair = SigningKey::parse(a["whsk64"].as_str().unwrap()).unwrap();
    assert_eq!(from_seed, from_pair);
    assert_eq!(from_seed.to_whsk(), a["whsk64"].as_str().unwrap());
    let public = PublicKey::parse(a["whpk"].as_str().unwrap()).unwrap();
    assert_eq!(from_seed.public_key(), public);
    assert_eq!(public.to_whpk(), a["whpk"].as_str().unwrap());
}

#[test]
fn public_keys_cannot_sign_and_ed25519_keys_serve_only_standard_webhooks() {
    let doc = document();
    let public = Scheme::StandardWebhooks
        .parse_key(doc["keys"]["A"]["whpk"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        sign(
            Scheme::StandardWebhooks,
            std::slice::from_ref(&public),
            "m",
            1,
            b"x"
        ),
        ""
    );
    // For the other schemes a whpk_ text is just an HMAC secret, as those providers define keys.
    assert!(matches!(
        Scheme::GitHub.parse_key(doc["keys"]["A"]["whpk"].as_str().unwrap()),
        Ok(Key::Hmac(_))
    ));
    let headers = SignatureHeaders {
        signature: Some("sha256=00"),
        ..SignatureHeaders::default()
    };
    assert_eq!(
        verify(Scheme::GitHub, &[public], &headers, b"x", 0, 300).map_err(|e| e.code()),
        Err("no_secret")
    );
}

#[test]
fn debug_never_shows_secret_key_material() {
    let doc = document();
    let a = &doc["keys"]["A"];
    for text in [a["whsk32"].as_str().unwrap(), a["whsk64"].as_str().unwrap()] {
        let key = Scheme::StandardWebhooks.parse_key(text).unwrap();
        let shown = format!("{key:?} {:?}", SigningKey::parse(text).unwrap());
        assert!(shown.contains("REDACTED"), "{shown}");
        // Neither the base64 text nor the seed's hex shows.
        let seed = &text[5..25];
        assert!(!shown.contains(seed), "{shown}");
    }
    let hmac = Scheme::StandardWebhooks
        .parse_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .unwrap();
    assert!(!format!("{hmac:?}").contains("MfKQ9r8G"));
}
