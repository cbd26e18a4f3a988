//! Runs `tests/vectors/file_links.json` (computed with Python's `hmac`) against the core's
//! `file_link` module: each signature must verify, or fail with the case's error code, and the
//! core must sign every valid case to the same hex.

use formhook::file_link::{sign, verify, FileLinkKey};
use serde_json::Value;

#[test]
fn file_link_vectors() {
    let doc: Value =
        serde_json::from_str(include_str!("vectors/file_links.json")).expect("vector file is JSON");
    let key = FileLinkKey::new(doc["key"].as_str().expect("key").as_bytes()).expect("key fits");
    let tests = doc["tests"].as_array().expect("tests");
    assert!(tests.len() >= 10);
    for case in tests {
        let id = &case["tcId"];
        let path = case["path"].as_str().expect("path");
        let exp = case["exp"].as_str();
        let sig = case["sig"].as_str();
        let now = case["now"].as_u64().expect("now");
        let got = verify(&key, path, exp, sig, now);
        match case["result"].as_str() {
            Some("valid") => {
                assert_eq!(got, Ok(()), "case {id}");
                let exp: u64 = exp.expect("exp").parse().expect("exp number");
                assert_eq!(
                    sign(&key, path, exp),
                    sig.expect("sig").to_ascii_lowercase(),
                    "case {id}"
                );
            }
            _ => assert_eq!(
                got.map_err(|e| e.code()),
                Err(case["error"].as_str().expect("error")),
                "case {id}"
            ),
        }
    }
}
