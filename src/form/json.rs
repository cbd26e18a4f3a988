//! `application/json` bodies holding one object.

use super::field::{check_key, check_name};
use super::{FormData, FormError, Limits};
use serde_json::Value;

/// Parses an `application/json` body, which must be one object; its members become the fields,
/// values kept as sent (numbers, booleans, nested arrays/objects), in the order sent.
///
/// Depth counts the top-level object as 1, so `{"a":{"b":[1]}}` has depth 3. Keys at every
/// depth are checked against [`Limits::max_name_bytes`] and the forbidden names; top-level keys
/// must not be empty and count toward [`Limits::max_fields`]; top-level string values toward
/// [`Limits::max_value_bytes`]. A key repeated in one object keeps its first position and last
/// value (serde_json's behaviour). Nesting past serde_json's own limit of 128 is
/// [`FormError::MalformedJson`] when [`Limits::max_depth`] is higher than that.
///
/// # Errors
///
/// [`FormError::BodyTooLarge`], [`FormError::JsonTooDeep`], [`FormError::MalformedJson`]
/// (which includes invalid UTF-8), [`FormError::JsonNotObject`], [`FormError::TooManyFields`],
/// [`FormError::EmptyFieldName`], [`FormError::NameTooLong`], [`FormError::ForbiddenKey`] and
/// [`FormError::ValueTooLong`].
pub fn parse_json(body: &[u8], limits: &Limits) -> Result<FormData, FormError> {
    if body.len() > limits.max_body_bytes {
        return Err(FormError::BodyTooLarge);
    }
    if nesting_depth_exceeds(body, limits.max_depth) {
        return Err(FormError::JsonTooDeep);
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| FormError::MalformedJson)?;
    let Value::Object(fields) = value else {
        return Err(FormError::JsonNotObject);
    };
    if limits.max_depth == 0 {
        return Err(FormError::JsonTooDeep);
    }
    if fields.len() > limits.max_fields {
        return Err(FormError::TooManyFields);
    }
    for (name, value) in &fields {
        check_name(name, limits)?;
        if let Value::String(s) = value {
            if s.len() > limits.max_value_bytes {
                return Err(FormError::ValueTooLong);
            }
        }
        check_nested(value, 2, limits)?;
    }
    Ok(FormData {
        fields,
        files: alloc::vec::Vec::new(),
        charset: super::Charset::UTF_8,
    })
}

/// A linear pre-scan, before any allocation, for `[`/`{` nested deeper than `max_depth`
/// outside strings.
fn nesting_depth_exceeds(body: &[u8], max_depth: usize) -> bool {
    let mut depth: usize = 0;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth = depth.saturating_add(1);
                if depth > max_depth {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Checks keys inside `value`, whose arrays/objects (if any) sit at nesting level `depth`.
fn check_nested(value: &Value, depth: usize, limits: &Limits) -> Result<(), FormError> {
    let too_deep = depth > limits.max_depth;
    match value {
        Value::Array(items) => {
            if too_deep {
                return Err(FormError::JsonTooDeep);
            }
            items
                .iter()
                .try_for_each(|item| check_nested(item, depth.saturating_add(1), limits))
        }
        Value::Object(members) => {
            if too_deep {
                return Err(FormError::JsonTooDeep);
            }
            members.iter().try_for_each(|(key, item)| {
                check_key(key, limits)?;
                check_nested(item, depth.saturating_add(1), limits)
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde_json::json;

    fn fields(body: &str, limits: &Limits) -> Result<Value, FormError> {
        parse_json(body.as_bytes(), limits).map(|f| {
            assert!(f.files.is_empty());
            Value::Object(f.fields)
        })
    }

    fn default(body: &str) -> Result<Value, FormError> {
        fields(body, &Limits::default())
    }

    #[test]
    fn keeps_values_and_order() {
        let body = r#"{"z":1,"a":"x","n":null,"b":true,"arr":[1,"2",{"k":3.5}],"o":{"y":1,"x":2}}"#;
        let got = default(body);
        assert_eq!(
            got,
            serde_json::from_str::<Value>(body).map_err(|_| FormError::MalformedJson)
        );
        let form = parse_json(body.as_bytes(), &Limits::default()).unwrap_or_default();
        let keys: Vec<&String> = form.fields.keys().collect();
        assert_eq!(keys, ["z", "a", "n", "b", "arr", "o"]);
        let inner: Vec<&String> = form
            .fields
            .get("o")
            .and_then(Value::as_object)
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(inner, ["y", "x"]);
        assert_eq!(default(" {} "), Ok(json!({})));
    }

    #[test]
    fn not_object_and_malformed() {
        for body in ["[]", "1", "\"s\"", "null", "true"] {
            assert_eq!(default(body), Err(FormError::JsonNotObject), "{body}");
        }
        for body in ["", "{", "{\"a\":}", "{\"a\":1}x", "{'a':1}", "\u{feff}{}"] {
            assert_eq!(default(body), Err(FormError::MalformedJson), "{body}");
        }
        assert_eq!(
            parse_json(b"{\"a\":\"\xff\"}", &Limits::default()),
            Err(FormError::MalformedJson)
        );
    }

    #[test]
    fn depth() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(fields(r#"{"a":{"b":[1]}}"#, &limits).is_ok());
        assert_eq!(
            fields(r#"{"a":{"b":[[1]]}}"#, &limits),
            Err(FormError::JsonTooDeep)
        );
        assert_eq!(
            fields(r#"{"a":[{"b":{}}]}"#, &limits),
            Err(FormError::JsonTooDeep)
        );
        // Brackets inside strings do not count.
        assert!(fields(r#"{"a":"[[[[[[{{{{\"[[["}"#, &limits).is_ok());
        let limits = Limits {
            max_depth: 1,
            ..Limits::default()
        };
        assert!(fields(r#"{"a":1}"#, &limits).is_ok());
        assert_eq!(fields(r#"{"a":[]}"#, &limits), Err(FormError::JsonTooDeep));
        let limits = Limits {
            max_depth: 0,
            ..Limits::default()
        };
        assert_eq!(fields("{}", &limits), Err(FormError::JsonTooDeep));
        // Very deep input is refused before parsing, without recursion.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(default(&deep), Err(FormError::JsonTooDeep));
        // Past serde_json's own limit with a generous max_depth: an error, not a stack overflow.
        let limits = Limits {
            max_depth: usize::MAX,
            ..Limits::default()
        };
        assert_eq!(fields(&deep, &limits), Err(FormError::MalformedJson));
    }

    #[test]
    fn check_nested_depth_directly() {
        // The walk enforces depth on its own too.
        let limits = Limits {
            max_depth: 2,
            ..Limits::default()
        };
        assert_eq!(
            check_nested(&json!([[1]]), 2, &limits),
            Err(FormError::JsonTooDeep)
        );
        assert_eq!(check_nested(&json!([1]), 2, &limits), Ok(()));
    }

    #[test]
    fn forbidden_keys_anywhere() {
        for body in [
            r#"{"__proto__":{"x":1}}"#,
            r#"{"a":{"constructor":{"prototype":{}}}}"#,
            r#"{"a":[{"b":1},{"prototype":1}]}"#,
            r#"{"__proto__.toString":1}"#,
            r#"{"constructor.prototype.toString":1}"#,
            r#"{"a":{"b[__proto__]":1}}"#,
        ] {
            assert_eq!(default(body), Err(FormError::ForbiddenKey), "{body}");
        }
        assert_eq!(
            default(r#"{"a":"__proto__"}"#),
            Ok(json!({"a": "__proto__"}))
        );
    }

    #[test]
    fn limits() {
        let limits = Limits {
            max_fields: 2,
            max_name_bytes: 3,
            max_value_bytes: 3,
            ..Limits::default()
        };
        assert!(fields(r#"{"abc":"abc","b":[ "long string in array" ]}"#, &limits).is_ok());
        assert_eq!(
            fields(r#"{"a":1,"b":2,"c":3}"#, &limits),
            Err(FormError::TooManyFields)
        );
        assert_eq!(
            fields(r#"{"abcd":1}"#, &limits),
            Err(FormError::NameTooLong)
        );
        assert_eq!(
            fields(r#"{"a":{"abcd":1}}"#, &limits),
            Err(FormError::NameTooLong)
        );
        assert_eq!(
            fields(r#"{"a":"abcd"}"#, &limits),
            Err(FormError::ValueTooLong)
        );
        assert_eq!(fields(r#"{"":1}"#, &limits), Err(FormError::EmptyFieldName));
        assert!(fields(r#"{"a":{"":1}}"#, &limits).is_ok());
        let limits = Limits {
            max_body_bytes: 7,
            ..Limits::default()
        };
        assert!(fields(r#"{"a":1}"#, &limits).is_ok());
        assert_eq!(fields(r#"{"a":12}"#, &limits), Err(FormError::BodyTooLarge));
    }

    #[test]
    fn ten_thousand_fields() {
        let members: Vec<String> = (0..10_000).map(|i| format!("\"f{i}\":{i}")).collect();
        let body = format!("{{{}}}", members.join(","));
        let limits = Limits {
            max_body_bytes: usize::MAX,
            ..Limits::default()
        };
        assert_eq!(fields(&body, &limits), Err(FormError::TooManyFields));
        let limits = Limits {
            max_fields: 10_000,
            ..limits
        };
        let got = parse_json(body.as_bytes(), &limits).map(|f| f.fields.len());
        assert_eq!(got, Ok(10_000));
    }
}
