//! Checks and insertion shared by the three parsers.

use super::{Fields, FormError, Limits};
use alloc::string::String;
use alloc::vec;
use serde_json::Value;

/// Names that pollute JavaScript prototypes when a consumer assigns them as object keys.
const FORBIDDEN: [&str; 3] = ["__proto__", "constructor", "prototype"];

/// Whether `key`, split on `.`, `[` and `]`, has a segment that is a forbidden name
/// (`__proto__`, `constructor.prototype.toString`, `a[__proto__]`, …).
pub(crate) fn is_forbidden_key(key: &str) -> bool {
    key.split(['.', '[', ']'])
        .any(|segment| FORBIDDEN.contains(&segment))
}

/// Length and forbidden-name checks that apply to every key, at any depth.
pub(crate) fn check_key(key: &str, limits: &Limits) -> Result<(), FormError> {
    if key.len() > limits.max_name_bytes {
        return Err(FormError::NameTooLong);
    }
    if is_forbidden_key(key) {
        return Err(FormError::ForbiddenKey);
    }
    if key.contains('\0') {
        return Err(FormError::NulInName);
    }
    Ok(())
}

/// Checks a top-level field name: not empty, then [`check_key`].
pub(crate) fn check_name(name: &str, limits: &Limits) -> Result<(), FormError> {
    if name.is_empty() {
        return Err(FormError::EmptyFieldName);
    }
    check_key(name, limits)
}

/// Adds a string value; a name seen before turns into an array of its values in order,
/// keeping the position of its first occurrence.
pub(crate) fn push_value(fields: &mut Fields, name: String, value: String) {
    let value = Value::String(value);
    match fields.get_mut(name.as_str()) {
        Some(Value::Array(values)) => values.push(value),
        Some(slot) => {
            let first = core::mem::take(slot);
            *slot = Value::Array(vec![first, value]);
        }
        None => {
            fields.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn forbidden_segments() {
        for key in [
            "__proto__",
            "constructor",
            "prototype",
            "__proto__.toString",
            "constructor.prototype.toString",
            "a[__proto__]",
            "a[b][constructor]",
            "x.prototype",
            "[__proto__]",
        ] {
            assert!(is_forbidden_key(key), "{key}");
        }
        for key in [
            "proto",
            "__proto",
            "constructors",
            "a[b]",
            "my_prototype",
            "Constructor",
            "",
        ] {
            assert!(!is_forbidden_key(key), "{key}");
        }
    }

    #[test]
    fn name_checks() {
        let limits = Limits {
            max_name_bytes: 3,
            ..Limits::default()
        };
        assert_eq!(check_name("", &limits), Err(FormError::EmptyFieldName));
        assert_eq!(check_name("abc", &limits), Ok(()));
        assert_eq!(check_name("abcd", &limits), Err(FormError::NameTooLong));
        assert_eq!(check_key("", &limits), Ok(()));
        let limits = Limits::default();
        assert_eq!(
            check_name("a[__proto__]", &limits),
            Err(FormError::ForbiddenKey)
        );
    }

    #[test]
    fn repeats_become_arrays_in_place() {
        let mut fields = Fields::new();
        push_value(&mut fields, "a".to_string(), "1".to_string());
        push_value(&mut fields, "b".to_string(), "2".to_string());
        push_value(&mut fields, "a".to_string(), "3".to_string());
        push_value(&mut fields, "a".to_string(), "4".to_string());
        let got = serde_json::to_string(&fields).ok();
        assert_eq!(got.as_deref(), Some(r#"{"a":["1","3","4"],"b":"2"}"#));
    }
}
