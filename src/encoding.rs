//! Strict hex and base64: a signature that does not decode exactly is not a signature.

use alloc::string::String;
use alloc::vec::Vec;
use base64ct::{Base64, Encoding};

// Decoding comes from well-kept crates: `hex` (strict: odd lengths and stray characters fail) and
// `base64ct` (constant-time, so decoding a secret leaks nothing through timing, and strict: padding
// required, no whitespace, non-zero trailing bits refused); hex encoding from `hex` too.
//
// Base64 *encoding* stays hand-written (constant-time arithmetic, no table) because of the npm
// package's size goal (HMAC-only `.wasm` ≤ 16 KB gzipped), measured with `scripts/build-pkg` once
// ed25519 support was added: with `base64ct`'s encoder 38,040 B raw / 16,290 B gzip -9 (16,450 B
// with Node's zlib, over 16,384); with this one 36,818 / 15,953. (Before ed25519, with both codecs
// from the crates: 37,377 / 15,838; all hand-written: 33,178 / 14,747.) Verify speed at 1 KB was
// unchanged by either (`npm run bench`).

/// Encodes bytes as standard padded base64.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sextet_char(n >> 18));
        out.push(sextet_char(n >> 12));
        out.push(if chunk.len() > 1 {
            sextet_char(n >> 6)
        } else {
            '='
        });
        out.push(if chunk.len() > 2 { sextet_char(n) } else { '=' });
    }
    out
}

/// The base64 digit of the low six bits of `n`, by arithmetic rather than a table lookup, so the
/// time and memory accessed do not depend on the (possibly secret) value.
fn sextet_char(n: u32) -> char {
    let n = (n & 63) as i32;
    let mut c = n + i32::from(b'A');
    c += ((25 - n) >> 8) & 6; // 26..: 'a'..
    c -= ((51 - n) >> 8) & 75; // 52..: '0'..
    c -= ((61 - n) >> 8) & 15; // 62: '+'
    c += ((62 - n) >> 8) & 3; // 63: '/'
    char::from(c as u8)
}

/// Decodes standard padded base64, refusing anything non-canonical: missing or misplaced
/// padding, characters outside the alphabet, whitespace, or non-zero trailing bits.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    Base64::decode_vec(text).ok()
}

/// Decodes base64 that must hold exactly `N` bytes.
pub fn base64_decode_exact<const N: usize>(text: &str) -> Option<[u8; N]> {
    // Base64 of N bytes is always this long; checking first avoids decoding hostile input.
    if text.len() != N.div_ceil(3) * 4 {
        return None;
    }
    let mut out = [0u8; N];
    let decoded = Base64::decode(text, &mut out).ok()?.len();
    (decoded == N).then_some(out)
}

/// Encodes bytes as lowercase hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Decodes hex (either case) that must hold exactly `N` bytes; odd lengths and stray characters fail.
pub fn hex_decode_exact<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_strictness() {
        let bytes = [0x00, 0x7f, 0xab, 0xff];
        assert_eq!(hex_encode(&bytes), "007fabff");
        assert_eq!(hex_decode_exact::<4>("007FABff"), Some(bytes));
        assert_eq!(hex_decode_exact::<4>("007fabf"), None, "odd length");
        assert_eq!(hex_decode_exact::<4>("007fabfg"), None, "stray character");
        assert_eq!(hex_decode_exact::<4>("007fab"), None, "too short");
        assert_eq!(hex_decode_exact::<2>("+1ff"), None, "sign");
    }

    #[test]
    fn base64_round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..data.len() {
            let text = base64_encode(&data[..len]);
            assert_eq!(
                base64_decode(&text).as_deref(),
                Some(&data[..len]),
                "length {len}"
            );
        }
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(base64_encode(b"hi!?"), "aGkhPw==");
        assert_eq!(base64_decode("aGkhPw==").as_deref(), Some(&b"hi!?"[..]));
        assert_eq!(base64_decode("aGkhPw"), None, "missing padding");
        assert_eq!(base64_decode("aGkhPx=="), None, "trailing bits");
        assert_eq!(base64_decode("aGkh Pw=="), None, "whitespace");
        assert_eq!(base64_decode("aGk=Pw=="), None, "padding inside");
        assert_eq!(base64_decode("aG==="), None, "bad length");
        assert_eq!(base64_decode("a==="), None, "three pads");
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"h"), "aA==");
        assert_eq!(base64_encode(b"hi"), "aGk=");
        assert_eq!(base64_decode("aA==").as_deref(), Some(&b"h"[..]));
        assert_eq!(
            base64_decode("aB=="),
            None,
            "trailing bits under one pad pair"
        );
        assert_eq!(base64_decode("aGl="), None, "trailing bits under one pad");
        assert_eq!(base64_decode_exact::<4>("aGkhPw=="), Some(*b"hi!?"));
        assert_eq!(base64_decode_exact::<5>("aGkhPw=="), None);
    }
}

/// Formats an integer in decimal; `alloc::format!` would pull all of `core::fmt` into the wasm.
pub fn decimal(value: i64) -> String {
    let mut digits = [0u8; 20];
    let mut n = value.unsigned_abs();
    let mut len = 0;
    for slot in digits.iter_mut() {
        *slot = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(len + 1);
    if value < 0 {
        out.push('-');
    }
    digits
        .iter()
        .take(len)
        .rev()
        .for_each(|d| out.push(char::from(*d)));
    out
}

#[cfg(test)]
mod decimal_tests {
    use super::decimal;

    #[test]
    fn formats_extremes() {
        assert_eq!(decimal(0), "0");
        assert_eq!(decimal(1614265330), "1614265330");
        assert_eq!(decimal(-42), "-42");
        assert_eq!(decimal(i64::MIN), "-9223372036854775808");
        assert_eq!(decimal(i64::MAX), "9223372036854775807");
    }
}
