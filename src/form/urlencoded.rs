//! `application/x-www-form-urlencoded` bodies.

use super::field::{check_name, push_value};
use super::{Charset, FormData, FormError, Limits, CHARSET_FIELD};
use alloc::vec::Vec;

/// Parses an `application/x-www-form-urlencoded` body.
///
/// Pairs are separated by `&`; empty pairs are skipped and a pair without `=` is a name with an
/// empty value. `+` decodes to a space and `%XX` escapes to their byte; a `%` not followed by
/// two hexadecimal digits is kept as it is (as the WHATWG URL standard does). The bytes are then
/// decoded in the form's charset: the value of a `_charset_` field when the body has one (the
/// first), else [`Limits::default_charset`]; the result records it in [`FormData::charset`].
/// Names are kept as sent (`tags[]` stays `tags[]`); a name sent more than once becomes an array
/// of its values in order.
///
/// # Errors
///
/// [`FormError::BodyTooLarge`], [`FormError::TooManyFields`] (counted per pair, repeats
/// included, before anything is decoded), [`FormError::EmptyFieldName`] (`=x`: browsers never send a nameless field),
/// [`FormError::NameTooLong`], [`FormError::ForbiddenKey`], [`FormError::ValueTooLong`],
/// [`FormError::UnknownCharset`], and [`FormError::InvalidUtf8`] or
/// [`FormError::InvalidEncoding`] for bytes the charset does not define.
pub fn parse_urlencoded(body: &[u8], limits: &Limits) -> Result<FormData, FormError> {
    if body.len() > limits.max_body_bytes {
        return Err(FormError::BodyTooLarge);
    }
    // One split into at most `max_fields + 1` pairs; the charset is known before decoding.
    let raw: Vec<(&[u8], &[u8])> = pairs(body)
        .take(limits.max_fields.saturating_add(1))
        .collect();
    if raw.len() > limits.max_fields {
        return Err(FormError::TooManyFields);
    }
    let charset = match raw.iter().find(|(name, _)| is_charset_field(name)) {
        Some((_, value)) => core::str::from_utf8(&percent_decode(value))
            .ok()
            .and_then(Charset::from_label)
            .ok_or(FormError::UnknownCharset)?,
        None => limits.default_charset,
    };
    let mut form = FormData {
        charset,
        ..FormData::default()
    };
    for (raw_name, raw_value) in raw {
        let name = charset.decode(percent_decode(raw_name))?;
        check_name(&name, limits)?;
        let value = charset.decode(percent_decode(raw_value))?;
        if value.len() > limits.max_value_bytes {
            return Err(FormError::ValueTooLong);
        }
        push_value(&mut form.fields, name, value);
    }
    Ok(form)
}

/// The body's non-empty `&`-separated pairs, split at their first `=`, still encoded.
fn pairs(body: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (
                pair.get(..eq).unwrap_or_default(),
                pair.get(eq + 1..).unwrap_or_default(),
            ),
            None => (pair, &[][..]),
        })
}

/// Whether an encoded name is `_charset_` (browsers send it as is; a client may escape it).
fn is_charset_field(raw_name: &[u8]) -> bool {
    raw_name == CHARSET_FIELD.as_bytes()
        || (raw_name.contains(&b'%') && percent_decode(raw_name) == CHARSET_FIELD.as_bytes())
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

/// Decodes `+` to a space and `%XX` to its byte; any other `%` stays as it is (WHATWG URL).
fn percent_decode(raw: &[u8]) -> Vec<u8> {
    // `contains` on bytes is a memchr: most names and values have nothing to decode.
    if !raw.contains(&b'%') && !raw.contains(&b'+') {
        return raw.to_vec();
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        i += 1;
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = raw.get(i).copied().and_then(hex_digit);
                let lo = raw.get(i + 1).copied().and_then(hex_digit);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => {
                        out.push(hi << 4 | lo);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
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
    fn invalid_percent_sequences_stay_literal() {
        assert_eq!(
            fields("a=%&b=%4&c=%G1&d=%1G&%zz=1&e=100%&f=%%41&g=%4%41"),
            Ok(
                json!({"a": "%", "b": "%4", "c": "%G1", "d": "%1G", "%zz": "1", "e": "100%", "f": "%A", "g": "%4A"})
            )
        );
    }

    #[test]
    fn charset_field_picks_the_encoding() {
        let limits = Limits::default();
        // windows-1252 é is 0xE9; the _charset_ field may come anywhere.
        let form = parse_urlencoded(b"name=Ren%E9&_charset_=windows-1252", &limits);
        assert_eq!(
            form.as_ref().map(|f| (
                serde_json::Value::Object(f.fields.clone()),
                f.charset.name()
            )),
            Ok((
                json!({"name": "René", "_charset_": "windows-1252"}),
                "windows-1252"
            ))
        );
        let form = parse_urlencoded(b"%5Fcharset%5F=sjis&_charset_=utf-8&n=%95%5C", &limits);
        assert_eq!(form.map(|f| f.fields["n"].clone()), Ok(json!("表")));
        // The form's own charset applies when the body names none.
        let limits = Limits {
            default_charset: Charset::from_label("latin1").unwrap_or_default(),
            ..Limits::default()
        };
        let form = parse_urlencoded(b"n=%E9", &limits);
        assert_eq!(
            form.map(|f| (f.fields["n"].clone(), f.charset)),
            Ok((json!("é"), limits.default_charset))
        );
        let form = parse_urlencoded(b"n=%C3%A9&_charset_=UTF-8", &limits);
        assert_eq!(form.map(|f| f.fields["n"].clone()), Ok(json!("é")));
        assert_eq!(
            fields("_charset_=utf-7&a=1"),
            Err(FormError::UnknownCharset)
        );
        assert_eq!(fields("_charset_&a=1"), Err(FormError::UnknownCharset));
        assert_eq!(
            fields("_charset_=shift_jis&a=%95"),
            Err(FormError::InvalidEncoding)
        );
        assert_eq!(fields("a=1").map(|_| ()), Ok(()));
        assert_eq!(
            parse_urlencoded(b"a=1", &Limits::default()).map(|f| f.charset),
            Ok(Charset::UTF_8)
        );
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
