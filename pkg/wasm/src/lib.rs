//! The formhook core for JavaScript. Adapters only: every rule lives in the `formhook` crate.
//!
//! The boundary is kept narrow and cheap: payloads cross as bytes (`&[u8]`, a memcpy), header
//! values as short strings, results as a small integer (0 = verified, else a
//! [`formhook::VerifyError`] id) so the hot path allocates no JS objects.
//!
//! Built twice: without features (HMAC schemes only, the small default `.wasm`) and with the
//! `ed25519` feature (also Standard Webhooks `v1a`), which only users of `whpk_`/`whsk_` keys load.

use formhook::{
    sign, verify, HmacKey, Key, Scheme, Secret, SecretError, SignatureHeaders, VerifyError,
};
use wasm_bindgen::prelude::*;

/// Id thrown for a scheme number with no scheme.
const UNKNOWN_SCHEME: u8 = 255;

fn scheme_by_id(id: u8) -> Result<Scheme, JsValue> {
    Scheme::ALL
        .get(usize::from(id))
        .copied()
        .ok_or_else(|| JsValue::from(UNKNOWN_SCHEME))
}

fn secret_error(e: SecretError) -> JsValue {
    JsValue::from(e.id())
}

/// The keys of one receiver or sender: a scheme and one or more secrets (several during rotation).
#[wasm_bindgen]
pub struct Keys {
    scheme: Scheme,
    keys: Vec<Key>,
}

#[wasm_bindgen]
impl Keys {
    /// Keys for scheme number `scheme` (its index in `Scheme::ALL`), starting empty.
    #[wasm_bindgen(constructor)]
    pub fn new(scheme: u8) -> Result<Keys, JsValue> {
        Ok(Keys {
            scheme: scheme_by_id(scheme)?,
            keys: Vec::new(),
        })
    }

    /// Adds a secret as the provider shows it, turned into a key by the scheme's rule
    /// (`whpk_`/`whsk_` ed25519 keys for Standard Webhooks in the ed25519 build).
    /// Throws a secret error id.
    pub fn add(&mut self, secret: &str) -> Result<(), JsValue> {
        self.keys
            .push(self.scheme.parse_key(secret).map_err(secret_error)?);
        Ok(())
    }

    /// Adds raw key bytes, used as they are.
    #[wasm_bindgen(js_name = addRaw)]
    pub fn add_raw(&mut self, key: &[u8]) -> Result<(), JsValue> {
        self.keys
            .push(HmacKey::new(key).map_err(secret_error)?.into());
        Ok(())
    }

    /// Verifies; returns 0 when valid, else the error id.
    pub fn verify(
        &self,
        payload: &[u8],
        id: Option<String>,
        timestamp: Option<String>,
        signature: Option<String>,
        now: f64,
        tolerance: f64,
    ) -> u8 {
        let headers = SignatureHeaders {
            id: id.as_deref(),
            timestamp: timestamp.as_deref(),
            signature: signature.as_deref(),
        };
        // `as` saturates from f64, and NaN becomes 0: both then fail the timestamp check.
        match verify(
            self.scheme,
            &self.keys,
            &headers,
            payload,
            now as i64,
            tolerance as u64,
        ) {
            Ok(()) => 0,
            Err(e) => e.id(),
        }
    }

    /// The signature header's value for this message. Throws a secret error id when a key is a
    /// public key, which cannot sign.
    pub fn sign(&self, msg_id: &str, timestamp: f64, payload: &[u8]) -> Result<String, JsValue> {
        if self.keys.iter().any(is_public) {
            return Err(secret_error(SecretError::PublicKeyCannotSign));
        }
        Ok(sign(
            self.scheme,
            &self.keys,
            msg_id,
            timestamp as i64,
            payload,
        ))
    }
}

#[cfg(feature = "ed25519")]
fn is_public(key: &Key) -> bool {
    matches!(key, Key::Ed25519Public(_))
}

#[cfg(not(feature = "ed25519"))]
fn is_public(_: &Key) -> bool {
    false
}

/// One line per scheme, in id order: `name id-header timestamp-header signature-header`, then
/// the alternate names read when those are absent (`alt-id alt-timestamp alt-signature`); `-` for
/// none.
#[wasm_bindgen(js_name = schemeTable)]
pub fn scheme_table() -> String {
    let mut table = String::new();
    for scheme in Scheme::ALL {
        let names = scheme.header_names();
        let alternate = scheme.alternate_header_names();
        for field in [
            scheme.name(),
            names.id.unwrap_or("-"),
            names.timestamp.unwrap_or("-"),
            names.signature,
            alternate.and_then(|a| a.id).unwrap_or("-"),
            alternate.and_then(|a| a.timestamp).unwrap_or("-"),
            alternate.map_or("-", |a| a.signature),
        ] {
            table.push_str(field);
            table.push(' ');
        }
        table.pop();
        table.push('\n');
    }
    table
}

/// `code\tmessage` for an error id returned by [`Keys::verify`] or thrown by the other calls.
#[wasm_bindgen(js_name = errorInfo)]
pub fn error_info(id: u8) -> String {
    let (code, message) = match (VerifyError::from_id(id), SecretError::from_id(id)) {
        (Some(e), _) => (e.code(), e.message()),
        (None, Some(e)) => (e.code(), e.message()),
        (None, None) => ("unknown_scheme", "unknown signature scheme"),
    };
    let mut out = String::from(code);
    out.push('\t');
    out.push_str(message);
    out
}

/// A new `whsec_` secret from caller-supplied random bytes (24–64).
#[wasm_bindgen(js_name = generateSecret)]
pub fn generate_secret(random: &[u8]) -> Result<String, JsValue> {
    Secret::generate(random)
        .map(|s| s.to_whsec())
        .map_err(secret_error)
}

/// A new ed25519 key pair from 32 caller-supplied random bytes: `whsk_…` and `whpk_…`, separated
/// by a newline.
#[cfg(feature = "ed25519")]
#[wasm_bindgen(js_name = generateKeyPair)]
pub fn generate_key_pair(random: &[u8]) -> Result<String, JsValue> {
    let key = formhook::ed25519::SigningKey::generate(random).map_err(secret_error)?;
    let mut out = key.to_whsk();
    out.push('\n');
    out.push_str(&key.public_key().to_whpk());
    Ok(out)
}
