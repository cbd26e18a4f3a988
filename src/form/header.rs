//! `type; name=value; name="quoted value"` header values (Content-Type, Content-Disposition).

use super::FormError;
use alloc::vec::Vec;

/// Whitespace allowed around header tokens.
fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `bytes` without leading and trailing spaces and tabs.
pub(crate) fn trim_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_ows(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_ows(b))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// `bytes` without leading spaces and tabs.
fn trim_start_ows(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_ows(b))
        .unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Splits a header value into its leading type (trimmed) and the parameter text after the first `;`.
pub(crate) fn split_type(value: &[u8]) -> (&[u8], &[u8]) {
    match value.iter().position(|&b| b == b';') {
        Some(semi) => (
            trim_ows(value.get(..semi).unwrap_or_default()),
            value.get(semi + 1..).unwrap_or_default(),
        ),
        None => (trim_ows(value), &[]),
    }
}

/// How a backslash inside a quoted parameter value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quoting {
    /// As browsers write multipart names and filenames (HTML standard): a backslash is an
    /// ordinary byte and the first `"` closes the value (browsers send `"` as `%22`), so
    /// `name="ends\"` is `ends\`.
    Literal,
    /// As HTTP quoted strings (RFC 9110) and Go's multipart writer: `\"` is a quote and `\\`
    /// a backslash; any other backslash is kept.
    Escapes,
}

/// One parameter: its name as sent and its value, unquoted but otherwise raw.
pub(crate) type Param<'a> = (&'a [u8], Vec<u8>);

/// Parses `name=value` parameters separated by `;` into raw bytes. Values are tokens or quoted
/// strings read per `quoting`. Parameters without `=` are skipped. Anything else malformed
/// returns `malformed`.
pub(crate) fn parse_params(
    mut rest: &[u8],
    quoting: Quoting,
    malformed: FormError,
) -> Result<Vec<Param<'_>>, FormError> {
    let mut params = Vec::new();
    loop {
        rest = trim_start_ows(rest);
        let Some(&first) = rest.first() else {
            return Ok(params);
        };
        if first == b';' {
            rest = rest.get(1..).unwrap_or_default();
            continue;
        }
        let name_end = rest
            .iter()
            .position(|&b| b == b'=' || b == b';')
            .unwrap_or(rest.len());
        let name = trim_ows(rest.get(..name_end).unwrap_or_default());
        let after_name = rest.get(name_end..).unwrap_or_default();
        let Some(after_eq) = after_name.strip_prefix(b"=") else {
            // A parameter without a value: ignored.
            rest = after_name;
            continue;
        };
        if name.is_empty() {
            return Err(malformed);
        }
        let after_eq = trim_start_ows(after_eq);
        let (value, after_value) = if let Some(quoted) = after_eq.strip_prefix(b"\"") {
            unquote(quoted, quoting).ok_or(malformed)?
        } else {
            let end = after_eq
                .iter()
                .position(|&b| b == b';')
                .unwrap_or(after_eq.len());
            let token = trim_ows(after_eq.get(..end).unwrap_or_default());
            if token.contains(&b'"') {
                return Err(malformed);
            }
            (token.to_vec(), after_eq.get(end..).unwrap_or_default())
        };
        let after_value = trim_start_ows(after_value);
        if !(after_value.is_empty() || after_value.starts_with(b";")) {
            return Err(malformed);
        }
        params.push((name, value));
        rest = after_value;
    }
}

/// Reads a quoted string whose opening quote was already consumed; returns the value and what
/// follows the closing quote, or `None` when the closing quote is missing.
fn unquote(s: &[u8], quoting: Quoting) -> Option<(Vec<u8>, &[u8])> {
    let mut value = Vec::new();
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'"' => return Some((value, s.get(i + 1..)?)),
            b'\\' if quoting == Quoting::Escapes => match s.get(i + 1) {
                Some(&next @ (b'"' | b'\\')) => {
                    value.push(next);
                    i += 1;
                }
                _ => value.push(b'\\'),
            },
            _ => value.push(b),
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const BAD: FormError = FormError::MultipartMalformedHeader;

    fn owned<'a>(pairs: &[(&'a str, &str)]) -> Vec<Param<'a>> {
        pairs
            .iter()
            .map(|&(n, v)| (n.as_bytes(), v.as_bytes().to_vec()))
            .collect()
    }

    fn escapes(s: &str) -> Result<Vec<Param<'_>>, FormError> {
        parse_params(s.as_bytes(), Quoting::Escapes, BAD)
    }

    fn literal(s: &str) -> Result<Vec<Param<'_>>, FormError> {
        parse_params(s.as_bytes(), Quoting::Literal, BAD)
    }

    #[test]
    fn splits_type() {
        assert_eq!(
            split_type(b" form-data ; name=a"),
            (&b"form-data"[..], &b" name=a"[..])
        );
        assert_eq!(
            split_type(b"application/json"),
            (&b"application/json"[..], &b""[..])
        );
        assert_eq!(trim_ows(b" \t "), b"");
    }

    #[test]
    fn tokens_and_quoted() {
        assert_eq!(
            escapes(r#" name="a b"; filename=c.txt ;x="q\"u\\o\te;" ;; flag"#),
            Ok(owned(&[
                ("name", "a b"),
                ("filename", "c.txt"),
                ("x", r#"q"u\o\te;"#)
            ]))
        );
        assert_eq!(escapes(""), Ok(vec![]));
        assert_eq!(escapes(r#"name="""#), Ok(owned(&[("name", "")])));
        assert_eq!(escapes("name=é"), Ok(owned(&[("name", "é")])));
    }

    #[test]
    fn browser_backslashes_are_literal() {
        assert_eq!(
            literal(r#"name="ends\"; filename="two\\back\""#),
            Ok(owned(&[("name", r"ends\"), ("filename", r"two\\back\")]))
        );
        // The same header read with escapes does not parse.
        assert_eq!(escapes(r#"name="ends\"; filename="x""#), Err(BAD));
        // Go's writer escapes a quote: only the escaping reading parses it.
        assert_eq!(literal(r#"name="a\"b""#), Err(BAD));
        assert_eq!(escapes(r#"name="a\"b""#), Ok(owned(&[("name", r#"a"b"#)])));
    }

    #[test]
    fn malformed() {
        for quoting in [Quoting::Literal, Quoting::Escapes] {
            for bad in [r#"name="open"#, r#"name="a"b"#, r#"name=a"b"#, "=a"] {
                assert_eq!(
                    parse_params(bad.as_bytes(), quoting, BAD),
                    Err(BAD),
                    "{bad}"
                );
            }
        }
        assert_eq!(escapes(r#"name="a\"#), Err(BAD));
    }
}
