//! `application/x-www-form-urlencoded` bodies.

use super::field::{check_name, push_value};
use super::{FormData, FormError, Limits};
use alloc::string::String;
use alloc::vec::Vec;

/// Parses an `application/x-www-form-urlencoded` body.
///
/// Pairs are separated by `&`; empty pairs are skipped and a pair without `=` is a name with an
/// empty value. `+` decodes to a space and `%XX` escapes are decoded strictly (a bad or truncated
/// escape is an error), then names and values must be valid UTF-8. Names are kept as sent
/// (`tags[]` stays `tags[]`); a name sent more than once becomes an array of its values in order.
///
/// # Errors
///
/// [`FormError::BodyTooLarge`], [`FormError::TooManyFields`] (counted per pair, repeats
/// included), [`FormError::EmptyFieldName`], [`FormError::NameTooLong`],
/// [`FormError::ForbiddenKey`], [`FormError::ValueTooLong`],
/// [`FormError::MalformedPercentEncoding`] and [`FormError::InvalidUtf8`].
pub fn parse_urlencoded(body: &[u8], limits: &Limits) -> Result<FormData, FormError> {
    if body.len() > limits.max_body_bytes {
        return Err(FormError::BodyTooLarge);
    }
    let mut form = FormData::default();
    let mut count: usize = 0;
    for pair in body.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        count = count.saturating_add(1);
        if count > limits.max_fields {
            return Err(FormError::TooManyFields);
        }
        let (raw_name, raw_value) = match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (
                pair.get(..eq).unwrap_or_default(),
                pair.get(eq + 1..).unwrap_or_default(),
            ),
            None => (pair, &[][..]),
        };
        let name = decode(raw_name)?;
        check_name(&name, limits)?;
        let value = decode(raw_value)?;
        if value.len() > limits.max_value_bytes {
            return Err(FormError::ValueTooLong);
        }
        push_value(&mut form.fields, name, value);
    }
    Ok(form)
}

/// The value of one hexadecimal digit.
fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `+` and `%XX`, then checks UTF-8.
fn decode(raw: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().copied().and_then(hex_digit);
                let lo = bytes.next().copied().and_then(hex_digit);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(FormError::MalformedPercentEncoding),
                }
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).map_err(|_| FormError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use serde_json::json;

    fn fields(body: &str) -> Result<serde_json::Value, FormError> {
        parse_urlencoded(body.as_bytes(), &Limits::default()).map(|f| {
            assert!(f.files.is_empty());
            serde_json::Value::Object(f.fields)
        })
    }

    #[test]
    fn basic_and_order() {
        let got = fields("z=1&a=hello+world&m=%C3%A9t%c3%a9&empty=&flag");
        assert_eq!(
            got,
            Ok(json!({"z": "1", "a": "hello world", "m": "été", "empty": "", "flag": ""}))
        );
        let keys: Vec<String> = match got {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        assert_eq!(keys, ["z", "a", "m", "empty", "flag"]);
    }

    #[test]
    fn empty_pairs_and_body() {
        assert_eq!(fields("a=1&&b=2&"), Ok(json!({"a": "1", "b": "2"})));
        assert_eq!(fields(""), Ok(json!({})));
        assert_eq!(fields("&&&"), Ok(json!({})));
    }

    #[test]
    fn repeats_become_arrays() {
        assert_eq!(
            fields("tags[]=a&x=1&tags[]=b&tags[]=c&y=2&y=3"),
            Ok(json!({"tags[]": ["a", "b", "c"], "x": "1", "y": ["2", "3"]}))
        );
        assert_eq!(
            fields("a=1=2&b==&c=%3D"),
            Ok(json!({"a": "1=2", "b": "=", "c": "="}))
        );
        assert_eq!(fields("a%20b=c%2Bd"), Ok(json!({"a b": "c+d"})));
    }

    #[test]
    fn percent_errors() {
        for bad in ["a=%", "a=%4", "a=%G1", "a=%1G", "%zz=1", "a=100%", "a=%%41"] {
            assert_eq!(
                fields(bad),
                Err(FormError::MalformedPercentEncoding),
                "{bad}"
            );
        }
    }

    #[test]
    fn utf8_errors() {
        assert_eq!(fields("a=%FF"), Err(FormError::InvalidUtf8));
        assert_eq!(fields("%C3=1"), Err(FormError::InvalidUtf8));
        assert_eq!(
            parse_urlencoded(b"a=\xff", &Limits::default()),
            Err(FormError::InvalidUtf8)
        );
    }

    #[test]
    fn names() {
        assert_eq!(fields("=1"), Err(FormError::EmptyFieldName));
        assert_eq!(fields("a=1&=2"), Err(FormError::EmptyFieldName));
        assert_eq!(fields("__proto__.toString=1"), Err(FormError::ForbiddenKey));
        assert_eq!(
            fields("constructor.prototype.toString=1"),
            Err(FormError::ForbiddenKey)
        );
        assert_eq!(
            fields("constructor%2Eprototype=1"),
            Err(FormError::ForbiddenKey)
        );
        assert_eq!(fields("a[prototype]"), Err(FormError::ForbiddenKey));
        assert_eq!(fields("ok=__proto__"), Ok(json!({"ok": "__proto__"})));
    }

    #[test]
    fn qs_breaker() {
        assert_eq!(
            fields("a[__proto__]=b&a[__proto__]&a[length]=100000000"),
            Err(FormError::ForbiddenKey)
        );
        assert_eq!(
            fields("a[length]=100000000"),
            Ok(json!({"a[length]": "100000000"}))
        );
    }

    #[test]
    fn size_limits() {
        let limits = Limits {
            max_name_bytes: 3,
            max_value_bytes: 4,
            ..Limits::default()
        };
        assert!(parse_urlencoded(b"abc=abcd", &limits).is_ok());
        assert_eq!(
            parse_urlencoded(b"abcd=1", &limits),
            Err(FormError::NameTooLong)
        );
        assert_eq!(
            parse_urlencoded(b"a=abcde", &limits),
            Err(FormError::ValueTooLong)
        );
        // Limits apply to decoded bytes.
        assert!(parse_urlencoded(b"%41%41%41=%41%41%41%41", &limits).is_ok());
        let limits = Limits {
            max_body_bytes: 3,
            ..Limits::default()
        };
        assert!(parse_urlencoded(b"a=1", &limits).is_ok());
        assert_eq!(
            parse_urlencoded(b"a=12", &limits),
            Err(FormError::BodyTooLarge)
        );
    }

    #[test]
    fn ten_thousand_fields() {
        let distinct: Vec<String> = (0..10_000).map(|i| format!("f{i}=v")).collect();
        let distinct = distinct.join("&");
        let repeated = ["a=1"; 10_000].join("&");
        let limits = Limits {
            max_body_bytes: usize::MAX,
            ..Limits::default()
        };
        assert_eq!(
            parse_urlencoded(distinct.as_bytes(), &limits),
            Err(FormError::TooManyFields)
        );
        assert_eq!(
            parse_urlencoded(repeated.as_bytes(), &limits),
            Err(FormError::TooManyFields)
        );
        let limits = Limits {
            max_fields: 10_000,
            ..limits
        };
        let form = parse_urlencoded(distinct.as_bytes(), &limits);
        assert_eq!(form.map(|f| f.fields.len()), Ok(10_000));
        let form = parse_urlencoded(repeated.as_bytes(), &limits);
        let len = form
            .ok()
            .and_then(|f| f.fields.get("a").and_then(|v| v.as_array()).map(Vec::len));
        assert_eq!(len, Some(10_000));
        let limits = Limits {
            max_fields: 9_999,
            ..limits
        };
        assert_eq!(
            parse_urlencoded(repeated.as_bytes(), &limits),
            Err(FormError::TooManyFields)
        );
    }
}
