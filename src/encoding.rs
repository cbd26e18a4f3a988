//! Strict hex and base64: a signature that does not decode exactly is not a signature.

use alloc::string::String;
use alloc::vec::Vec;
const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Written here rather than taken from the `base64` crate: this is all the core needs, and the
// crate's general engine costs ~2 KB of wasm.

/// Encodes bytes as standard padded base64.
pub fn base64_encode(bytes: &[u8]) -> String {
    let sextet = |n: u32| {
        char::from(
            BASE64_ALPHABET
                .get((n & 63) as usize)
                .copied()
                .unwrap_or(b'A'),
        )
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sextet(n >> 18));
        out.push(sextet(n >> 12));
        out.push(if chunk.len() > 1 { sextet(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(n) } else { '=' });
    }
    out
}

fn base64_value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes standard padded base64, refusing anything non-canonical: missing or misplaced
/// padding, characters outside the alphabet, whitespace, or non-zero trailing bits.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let input = text.as_bytes();
    if input.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let quads = input.chunks_exact(4);
    let last = quads.len().saturating_sub(1);
    for (index, quad) in quads.enumerate() {
        let pad = quad.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && index != last) {
            return None;
        }
        let mut n = 0u32;
        for c in quad.iter().take(4 - pad) {
            n = (n << 6) | base64_value(*c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Canonical form: the bits the padding hides must be zero.
        let kept = 3 - pad;
        if bytes.iter().skip(kept).any(|b| *b != 0) {
            return None;
        }
        out.extend(bytes.iter().take(kept));
    }
    Some(out)
}

/// Decodes base64 that must hold exactly `N` bytes.
pub fn base64_decode_exact<const N: usize>(text: &str) -> Option<[u8; N]> {
    // Base64 of N bytes is always this long; checking first avoids decoding hostile input.
    if text.len() != N.div_ceil(3) * 4 {
        return None;
    }
    base64_decode(text)?.try_into().ok()
}

/// Encodes bytes as lowercase hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    let digit = |nibble: u8| {
        char::from(if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        })
    };
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(digit(byte >> 4));
        out.push(digit(byte & 0x0f));
    }
    out
}

/// Decodes hex (either case) that must hold exactly `N` bytes; odd lengths and stray characters fail.
pub fn hex_decode_exact<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (hex_value(*pair.first()?)?, hex_value(*pair.get(1)?)?);
        *byte = (high << 4) | low;
    }
    Some(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
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
