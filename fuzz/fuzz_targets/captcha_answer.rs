//! Siteverify answers: never panic; a passed verdict always says success and holds every
//! expectation; a failed one always says why.
#![no_main]
use formhook::captcha::{judge, Expectations, Judgement, Provider};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let hostnames = ["forms.example.com".to_string(), "*.example.net".to_string()];
    let expect = Expectations {
        hostnames: &hostnames,
        action: Some("submit"),
        min_score: Some(0.5),
    };
    let status = data.first().map_or(200, |b| 200 + u16::from(*b) * 2);
    for provider in Provider::ALL {
        match judge(provider, &expect, Ok((status, data))) {
            Judgement::Passed(v) => {
                assert!(v.success && v.error_codes.is_empty());
                assert_eq!(v.action.as_deref(), Some("submit"));
                assert!(v.score.is_some_and(|s| s >= 0.5));
                assert!(v.hostname.is_some());
            }
            Judgement::Failed(v) => assert!(!v.success && !v.error_codes.is_empty()),
            Judgement::Unavailable(_) => {}
        }
    }
});
