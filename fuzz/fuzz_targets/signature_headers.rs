//! Every scheme's signature header parser and verifier: the input is split on `\n` into
//! signature header, id, timestamp and payload. Never panic; a header we signed always verifies,
//! with a key set mixing HMAC keys and an ed25519 key (`v1a` for Standard Webhooks).
#![no_main]
use formhook::ed25519::SigningKey;
use formhook::{sign, verify, HmacKey, Key, Scheme, SignatureHeaders};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == b'\n');
    let signature = parts.next().and_then(|p| core::str::from_utf8(p).ok());
    let id = parts.next().and_then(|p| core::str::from_utf8(p).ok());
    let timestamp = parts.next().and_then(|p| core::str::from_utf8(p).ok());
    let payload = parts.next().unwrap_or_default();
    let (Ok(one), Ok(two), Ok(ed)) = (
        HmacKey::new(b"fuzz key one"),
        HmacKey::new(b"fuzz key two"),
        SigningKey::generate(&[7; 32]),
    ) else {
        return;
    };
    let keys = [Key::from(one), Key::from(two), Key::from(ed)];
    let now = 1_700_000_000;
    for scheme in Scheme::ALL {
        let headers = SignatureHeaders { id, timestamp, signature };
        let _ = verify(scheme, &keys, &headers, payload, now, 300);
        // Round trip with the fuzzed id and payload.
        let id = id.filter(|s| !s.is_empty()).unwrap_or("msg_1");
        let signed = sign(scheme, &keys, id, now, payload);
        let ts = now.to_string();
        let (sig_header, ts_header) = if scheme == Scheme::Stripe { (signed.as_str(), None) } else { (signed.as_str(), Some(ts.as_str())) };
        let headers = SignatureHeaders { id: Some(id), timestamp: ts_header, signature: Some(sig_header) };
        assert_eq!(verify(scheme, &keys, &headers, payload, now, 300), Ok(()), "{scheme:?}");
        if scheme == Scheme::StandardWebhooks {
            // The v1a entry alone verifies with the ed25519 key alone.
            let v1a = signed.split(' ').find(|e| e.starts_with("v1a,")).unwrap_or_default();
            let headers = SignatureHeaders { signature: Some(v1a), ..headers };
            assert_eq!(verify(scheme, &keys[2..], &headers, payload, now, 300), Ok(()), "v1a");
        }
    }
});
