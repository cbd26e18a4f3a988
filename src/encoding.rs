//! Strict hex and base64: a signature that does not decode exactly is not a signature.

use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;

/// Standard alphabet, padding required and canonical, no trailing bits.
const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Encodes bytes as standard padded base64.
pub fn base64_encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// Decodes standard padded base64, refusing anything non-canonical.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
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
    fn base64_is_strict() {
        assert_eq!(base64_encode(b"hi!?"), "aGkhPw==");
        assert_eq!(base64_decode("aGkhPw==").as_deref(), Some(&b"hi!?"[..]));
        assert_eq!(base64_decode("aGkhPw"), None, "missing padding");
        assert_eq!(base64_decode("aGkhPx=="), None, "trailing bits");
        assert_eq!(base64_decode("aGkh Pw=="), None, "whitespace");
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
