//! `type; name=value; name="quoted value"` header values (Content-Type, Content-Disposition).

use super::FormError;
use alloc::string::String;
use alloc::vec::Vec;

/// Whitespace allowed around header tokens.
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits a header value into its leading type (trimmed) and the parameter text after the first `;`.
pub(crate) fn split_type(value: &str) -> (&str, &str) {
    match value.split_once(';') {
        Some((kind, params)) => (kind.trim_matches(is_ows), params),
        None => (value.trim_matches(is_ows), ""),
    }
}

/// Parses `name=value` parameters separated by `;`. Values are tokens or quoted strings in which
/// `\"` and `\\` are escapes (any other backslash is kept, as browsers do not escape it).
/// Parameters without `=` are skipped. Anything else malformed returns `malformed`.
pub(crate) fn parse_params(
    mut rest: &str,
    malformed: FormError,
) -> Result<Vec<(&str, String)>, FormError> {
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(is_ows);
        if rest.is_empty() {
            return Ok(params);
        }
        if let Some(after) = rest.strip_prefix(';') {
            rest = after;
            continue;
        }
        let name_end = rest.find(['=', ';']).unwrap_or(rest.len());
        let (name, after_name) = rest.split_at_checked(name_end).ok_or(malformed)?;
        let Some(after_eq) = after_name.strip_prefix('=') else {
            // A parameter without a value: ignored.
            rest = after_name;
            continue;
        };
        let name = name.trim_matches(is_ows);
        if name.is_empty() {
            return Err(malformed);
        }
        let after_eq = after_eq.trim_start_matches(is_ows);
        let (value, after_value) = if let Some(quoted) = after_eq.strip_prefix('"') {
            unquote(quoted).ok_or(malformed)?
        } else {
            let end = after_eq.find(';').unwrap_or(after_eq.len());
            let (token, tail) = after_eq.split_at_checked(end).ok_or(malformed)?;
            let token = token.trim_end_matches(is_ows);
            if token.contains('"') {
                return Err(malformed);
            }
            (String::from(token), tail)
        };
        let after_value = after_value.trim_start_matches(is_ows);
        if !(after_value.is_empty() || after_value.starts_with(';')) {
            return Err(malformed);
        }
        params.push((name, value));
        rest = after_value;
    }
}

/// Reads a quoted string whose opening quote was already consumed; returns the value and what
/// follows the closing quote, or `None` when the closing quote is missing.
fn unquote(s: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, s.get(i + 1..)?)),
            '\\' => match s.get(i + 1..)?.chars().next() {
                Some(next @ ('"' | '\\')) => {
                    value.push(next);
                    chars.next();
                }
                _ => value.push('\\'),
            },
            _ => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const BAD: FormError = FormError::MultipartMalformedHeader;

    fn owned<'a>(pairs: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
        pairs.iter().map(|&(n, v)| (n, String::from(v))).collect()
    }

    #[test]
    fn splits_type() {
        assert_eq!(split_type(" form-data ; name=a"), ("form-data", " name=a"));
        assert_eq!(split_type("application/json"), ("application/json", ""));
    }

    #[test]
    fn tokens_and_quoted() {
        assert_eq!(
            parse_params(
                r#" name="a b"; filename=c.txt ;x="q\"u\\o\te;" ;; flag"#,
                BAD
            ),
            Ok(owned(&[
                ("name", "a b"),
                ("filename", "c.txt"),
                ("x", r#"q"u\o\te;"#)
            ]))
        );
        assert_eq!(parse_params("", BAD), Ok(vec![]));
        assert_eq!(parse_params(r#"name="""#, BAD), Ok(owned(&[("name", "")])));
        assert_eq!(parse_params("name=é", BAD), Ok(owned(&[("name", "é")])));
    }

    #[test]
    fn malformed() {
        assert_eq!(parse_params(r#"name="open"#, BAD), Err(BAD));
        assert_eq!(parse_params(r#"name="a\"#, BAD), Err(BAD));
        assert_eq!(parse_params(r#"name="a"b"#, BAD), Err(BAD));
        assert_eq!(parse_params(r#"name=a"b"#, BAD), Err(BAD));
        assert_eq!(parse_params("=a", BAD), Err(BAD));
    }
}
