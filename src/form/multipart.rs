//! `multipart/form-data` bodies (RFC 7578 over RFC 2046).

use super::field::{check_name, push_value};
use super::header::{parse_params, split_type};
use super::{FileInfo, FormData, FormError, Limits};
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;
use sha2::{Digest, Sha256};

/// Content type of a file part that has no `Content-Type` header.
const DEFAULT_FILE_TYPE: &str = "application/octet-stream";

/// Whether `boundary` is valid per RFC 2046: 1 to 70 `bchars`, not ending in a space.
#[must_use]
pub fn is_valid_boundary(boundary: &str) -> bool {
    let bytes = boundary.as_bytes();
    (1..=70).contains(&bytes.len())
        && !bytes.ends_with(b" ")
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b))
}

/// Parses a `multipart/form-data` body delimited by `boundary` (the content type's parameter,
/// without the leading `--`).
///
/// A preamble before the first delimiter and an epilogue after the closing `--boundary--` are
/// ignored. Each part needs a `Content-Disposition: form-data; name=…` header; parts with a
/// `filename` parameter (even empty) are files, described by a [`FileInfo`] whose
/// [`range`](FileInfo::range) points into `body`; other parts are UTF-8 text fields, a name sent
/// more than once becoming an array of its values in order. Header names are case-insensitive;
/// `filename*` is ignored. Every part counts toward [`Limits::max_fields`]. Runs in time linear
/// in the body length.
///
/// # Errors
///
/// [`FormError::BodyTooLarge`], [`FormError::InvalidBoundary`], the `Multipart*` variants for
/// framing and header problems, [`FormError::TooManyFields`], [`FormError::TooManyFiles`],
/// [`FormError::FileTooLarge`], [`FormError::EmptyFieldName`], [`FormError::NameTooLong`],
/// [`FormError::ForbiddenKey`], [`FormError::ValueTooLong`] and [`FormError::InvalidUtf8`].
pub fn parse_multipart(
    body: &[u8],
    boundary: &str,
    limits: &Limits,
) -> Result<FormData, FormError> {
    if body.len() > limits.max_body_bytes {
        return Err(FormError::BodyTooLarge);
    }
    if !is_valid_boundary(boundary) {
        return Err(FormError::InvalidBoundary);
    }
    // `delimiter` is CRLF "--" boundary; `delimiter[2..]` is the dash-boundary.
    let mut delimiter = Vec::with_capacity(boundary.len() + 4);
    delimiter.extend_from_slice(b"\r\n--");
    delimiter.extend_from_slice(boundary.as_bytes());
    let dash_boundary = delimiter.get(2..).unwrap_or_default();

    let mut pos = if body.starts_with(dash_boundary) {
        dash_boundary.len()
    } else {
        let at = find(body, 0, &delimiter).ok_or(FormError::MultipartNoDelimiter)?;
        at + delimiter.len()
    };

    let mut form = FormData::default();
    let mut parts: usize = 0;
    loop {
        // `pos` is just past a boundary: `--` closes, else transport padding then CRLF.
        let rest = body.get(pos..).unwrap_or_default();
        if rest.starts_with(b"--") {
            return Ok(form);
        }
        let padding = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let after_padding = rest.get(padding..).unwrap_or_default();
        if after_padding.starts_with(b"\r\n") {
            pos += padding + 2;
        } else if after_padding.is_empty()
            || after_padding == b"\r"
            || (padding == 0 && after_padding == b"-")
        {
            // Nothing, or a truncated `--`/CRLF, left: the body was cut short.
            return Err(FormError::MultipartUnexpectedEnd);
        } else {
            return Err(FormError::MultipartMalformedDelimiter);
        }

        let end = find(body, pos, &delimiter).ok_or(FormError::MultipartUnexpectedEnd)?;
        parts = parts.saturating_add(1);
        if parts > limits.max_fields {
            return Err(FormError::TooManyFields);
        }
        add_part(&mut form, body, pos..end, limits)?;
        pos = end + delimiter.len();
    }
}

/// Position of the first `needle` in `haystack` at or after `from`. Linear: each candidate
/// position costs at most `needle.len()` comparisons, and needles here are at most 74 bytes.
fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut at = from;
    loop {
        let rest = haystack.get(at..)?;
        at += rest.iter().position(|&b| b == first)?;
        if haystack.get(at..)?.starts_with(needle) {
            return Some(at);
        }
        at += 1;
    }
}

/// What a part's headers say.
struct PartHeaders {
    /// The `name` disposition parameter.
    name: String,
    /// The `filename` disposition parameter, when present.
    filename: Option<String>,
    /// The `Content-Type` header, when present and not empty.
    content_type: Option<String>,
}

/// Parses one part (`range` of `body`, between the CRLF ending its boundary line and the CRLF
/// starting the next delimiter) and adds it to `form`.
fn add_part(
    form: &mut FormData,
    body: &[u8],
    range: Range<usize>,
    limits: &Limits,
) -> Result<(), FormError> {
    let part = body.get(range.clone()).unwrap_or_default();
    let (header_bytes, content_start) = if part.starts_with(b"\r\n") {
        (&[][..], range.start + 2)
    } else {
        let end = find(part, 0, b"\r\n\r\n").ok_or(FormError::MultipartHeadersUnterminated)?;
        (part.get(..end).unwrap_or_default(), range.start + end + 4)
    };
    let headers = parse_headers(header_bytes)?;
    check_name(&headers.name, limits)?;
    let content_range = content_start..range.end;
    let content = body.get(content_range.clone()).unwrap_or_default();

    match headers.filename {
        Some(filename) => {
            if form.files.len() >= limits.max_files {
                return Err(FormError::TooManyFiles);
            }
            if content.len() > limits.max_file_bytes {
                return Err(FormError::FileTooLarge);
            }
            form.files.push(FileInfo {
                field: headers.name,
                filename,
                content_type: headers
                    .content_type
                    .unwrap_or_else(|| String::from(DEFAULT_FILE_TYPE)),
                size: u64::try_from(content.len()).unwrap_or(u64::MAX),
                sha256: sha256_hex(content),
                range: content_range,
            });
        }
        None => {
            if content.len() > limits.max_value_bytes {
                return Err(FormError::ValueTooLong);
            }
            let value = String::from_utf8(content.to_vec()).map_err(|_| FormError::InvalidUtf8)?;
            push_value(&mut form.fields, headers.name, value);
        }
    }
    Ok(())
}

/// Parses the header lines of a part (without the blank line ending them).
fn parse_headers(bytes: &[u8]) -> Result<PartHeaders, FormError> {
    let mut disposition: Option<&str> = None;
    let mut content_type: Option<&str> = None;
    if !bytes.is_empty() {
        let text = core::str::from_utf8(bytes).map_err(|_| FormError::InvalidUtf8)?;
        for line in text.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                return Err(FormError::MultipartFoldedHeader);
            }
            // A NUL in the disposition (the field name) is refused as in urlencoded and JSON.
            let is_disposition = line
                .get(..20)
                .is_some_and(|head| head.eq_ignore_ascii_case("content-disposition:"));
            if is_disposition && line.contains('\0') {
                return Err(FormError::NulInName);
            }
            if line.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(FormError::MultipartMalformedHeader);
            }
            let (name, value) = line
                .split_once(':')
                .ok_or(FormError::MultipartMalformedHeader)?;
            let is_token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            if name.is_empty() || !name.bytes().all(is_token) {
                return Err(FormError::MultipartMalformedHeader);
            }
            let value = value.trim_matches([' ', '\t']);
            let slot = if name.eq_ignore_ascii_case("content-disposition") {
                &mut disposition
            } else if name.eq_ignore_ascii_case("content-type") {
                &mut content_type
            } else {
                continue;
            };
            if slot.replace(value).is_some() {
                return Err(FormError::MultipartDuplicateHeader);
            }
        }
    }

    let disposition = disposition.ok_or(FormError::MultipartMissingDisposition)?;
    let (kind, params) = split_type(disposition);
    if !kind.eq_ignore_ascii_case("form-data") {
        return Err(FormError::MultipartNotFormData);
    }
    let mut name = None;
    let mut filename = None;
    for (key, value) in parse_params(params, FormError::MultipartMalformedHeader)? {
        let slot = if key.eq_ignore_ascii_case("name") {
            &mut name
        } else if key.eq_ignore_ascii_case("filename") {
            &mut filename
        } else {
            continue;
        };
        if slot.replace(value).is_some() {
            return Err(FormError::MultipartDuplicateHeader);
        }
    }
    Ok(PartHeaders {
        name: name.ok_or(FormError::MultipartMissingName)?,
        filename,
        content_type: content_type.filter(|t| !t.is_empty()).map(String::from),
    })
}

/// Lowercase hex SHA-256.
fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;
    use serde_json::json;

    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn parse(body: &[u8]) -> Result<FormData, FormError> {
        parse_multipart(body, "b", &Limits::default())
    }

    fn err(body: &str) -> Option<FormError> {
        parse(body.as_bytes()).err()
    }

    fn text_part(name: &str, value: &str) -> String {
        format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    }

    #[test]
    fn sha256_vectors() {
        assert_eq!(sha256_hex(b"abc"), ABC_SHA256);
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn boundary_validation() {
        assert!(is_valid_boundary("b"));
        assert!(is_valid_boundary("----WebKitFormBoundary7MA4YWxkTrZu0gW"));
        assert!(is_valid_boundary("a b'()+_,-./:=?"));
        assert!(is_valid_boundary(&"x".repeat(70)));
        assert!(!is_valid_boundary(&"x".repeat(71)));
        assert!(!is_valid_boundary(""));
        assert!(!is_valid_boundary("ab "));
        assert!(!is_valid_boundary("a;b"));
        assert!(!is_valid_boundary("a\"b"));
        assert!(!is_valid_boundary("é"));
        assert_eq!(
            parse_multipart(b"--a b\r\n", "a\r\nb", &Limits::default()),
            Err(FormError::InvalidBoundary)
        );
    }

    #[test]
    fn fields_and_files() {
        let body = b"preamble\r\n--b\r\n\
            content-disposition: form-data; name=\"title\"\r\n\r\n\
            Hello\r\nworld\r\n\
            --b\r\n\
            Content-Disposition: form-data; name=\"doc\"; filename=\"a \\\"q\\\".txt\"\r\n\
            Content-Type: text/plain\r\n\r\n\
            abc\r\n\
            --b  \r\n\
            CONTENT-DISPOSITION: FORM-DATA; NAME=tag\r\n\r\n\
            x\r\n\
            --b\r\n\
            Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n\r\n\
            \r\n\
            --b\r\n\
            Content-Disposition: form-data; name=tag\r\n\r\n\
            y\r\n\
            --b--\r\nepilogue --b garbage";
        let form = parse(body);
        assert!(form.is_ok(), "{form:?}");
        let form = form.unwrap_or_default();
        assert_eq!(
            serde_json::Value::Object(form.fields.clone()),
            json!({"title": "Hello\r\nworld", "tag": ["x", "y"]})
        );
        let abc = find(body, 0, b"abc").unwrap_or(0);
        let empty = find(body, 0, b"filename=\"\"\r\n\r\n").map_or(0, |at| at + 15);
        assert_eq!(body.get(empty..empty + 4), Some(&b"\r\n--"[..]));
        assert_eq!(
            form.files,
            vec![
                FileInfo {
                    field: "doc".into(),
                    filename: "a \"q\".txt".into(),
                    content_type: "text/plain".into(),
                    size: 3,
                    sha256: ABC_SHA256.into(),
                    range: abc..abc + 3,
                },
                FileInfo {
                    field: "empty".into(),
                    filename: String::new(),
                    content_type: DEFAULT_FILE_TYPE.into(),
                    size: 0,
                    sha256: EMPTY_SHA256.into(),
                    range: empty..empty,
                },
            ]
        );
        assert_eq!(body.get(abc..abc + 3), Some(&b"abc"[..]));
    }

    #[test]
    fn binary_file_content_is_not_utf8_checked() {
        let body = b"--b\r\nContent-Disposition: form-data; name=f; filename=x.bin\r\n\r\n\xff\x00\r\r\n-\r\n--b--";
        let form = parse(body);
        assert_eq!(form.as_ref().map(|f| f.files.len()), Ok(1));
        let size = form.ok().and_then(|f| f.files.first().map(|f| f.size));
        assert_eq!(size, Some(6));
    }

    #[test]
    fn lookalike_delimiters_inside_content() {
        // `--b` not preceded by CRLF, and `\r\n-b`, are content.
        let body = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx--b\r\n-b\n--b\r\n--b--";
        let form = parse(body.as_bytes()).map(|f| serde_json::Value::Object(f.fields));
        assert_eq!(form, Ok(json!({"a": "x--b\r\n-b\n--b"})));
    }

    #[test]
    fn no_parts() {
        assert_eq!(parse(b"--b--").map(|f| f.fields.len()), Ok(0));
        assert_eq!(parse(b"--b--\r\n").map(|f| f.files.len()), Ok(0));
    }

    #[test]
    fn framing_errors() {
        assert_eq!(err(""), Some(FormError::MultipartNoDelimiter));
        assert_eq!(
            err("no delimiter here"),
            Some(FormError::MultipartNoDelimiter)
        );
        assert_eq!(err("--c\r\n"), Some(FormError::MultipartNoDelimiter));
        // Truncated closing boundary.
        let part = text_part("a", "1");
        for tail in ["--b-", "--b", "--b\r", "--b ", "--", "-"] {
            let body = format!("{part}{tail}");
            assert_eq!(
                err(&body),
                Some(FormError::MultipartUnexpectedEnd),
                "{body:?}"
            );
        }
        assert_eq!(err("--b"), Some(FormError::MultipartUnexpectedEnd));
        assert_eq!(err("--b-"), Some(FormError::MultipartUnexpectedEnd));
        assert_eq!(err("--b\r\n"), Some(FormError::MultipartUnexpectedEnd));
        assert_eq!(err(&part), Some(FormError::MultipartUnexpectedEnd));
        // A boundary followed by other bytes.
        assert_eq!(
            err("--bx\r\n"),
            Some(FormError::MultipartMalformedDelimiter)
        );
        assert_eq!(err("--b-x"), Some(FormError::MultipartMalformedDelimiter));
        assert_eq!(err("--b --"), Some(FormError::MultipartMalformedDelimiter));
        assert_eq!(err("--b -"), Some(FormError::MultipartMalformedDelimiter));
        assert_eq!(err("--b\n"), Some(FormError::MultipartMalformedDelimiter));
        let body = format!("{part}--bc\r\n--b--");
        assert_eq!(err(&body), Some(FormError::MultipartMalformedDelimiter));
    }

    #[test]
    fn header_errors() {
        let cases: [(&str, FormError); 14] = [
            // Headers directly followed by the closing boundary.
            ("--b\r\nContent-Disposition: form-data; name=a\r\n--b--", FormError::MultipartHeadersUnterminated),
            ("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n--b--", FormError::MultipartHeadersUnterminated),
            ("--b\r\n--b--", FormError::MultipartUnexpectedEnd),
            ("--b\r\n\r\nvalue\r\n--b--", FormError::MultipartMissingDisposition),
            ("--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--", FormError::MultipartMissingDisposition),
            // Folded header lines.
            ("--b\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nv\r\n--b--", FormError::MultipartFoldedHeader),
            ("--b\r\nContent-Disposition: form-data; name=a\r\n\tX: y\r\n\r\nv\r\n--b--", FormError::MultipartFoldedHeader),
            ("--b\r\n Content-Disposition: form-data; name=a\r\n\r\nv\r\n--b--", FormError::MultipartFoldedHeader),
            ("--b\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--b--", FormError::MultipartNotFormData),
            ("--b\r\nContent-Disposition: form-data; filename=x\r\n\r\nv\r\n--b--", FormError::MultipartMissingName),
            ("--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nv\r\n--b--", FormError::MultipartDuplicateHeader),
            (
                "--b\r\nContent-Disposition: form-data; name=a\r\ncontent-disposition: form-data; name=b\r\n\r\nv\r\n--b--",
                FormError::MultipartDuplicateHeader,
            ),
            ("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--b--", FormError::MultipartMalformedHeader),
            ("--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--b--", FormError::EmptyFieldName),
        ];
        for (body, want) in cases {
            assert_eq!(err(body), Some(want), "{body:?}");
        }
        for bad_line in [
            "no colon",
            ": v",
            "Bad Name: v",
            "X: a\nb",
            "X: a\rb",
            "X: \0",
        ] {
            let body = format!(
                "--b\r\nContent-Disposition: form-data; name=a\r\n{bad_line}\r\n\r\nv\r\n--b--"
            );
            assert_eq!(
                err(&body),
                Some(FormError::MultipartMalformedHeader),
                "{bad_line:?}"
            );
        }
        let body = b"--b\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nv\r\n--b--";
        assert_eq!(parse(body).err(), Some(FormError::InvalidUtf8));
    }

    #[test]
    fn field_errors() {
        assert_eq!(
            err(&format!("{}--b--", text_part("__proto__.toString", "1"))),
            Some(FormError::ForbiddenKey)
        );
        assert_eq!(
            err(&format!(
                "{}--b--",
                text_part("constructor.prototype.toString", "1")
            )),
            Some(FormError::ForbiddenKey)
        );
        let body = b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\xc3\r\n--b--";
        assert_eq!(parse(body).err(), Some(FormError::InvalidUtf8));
        let limits = Limits {
            max_value_bytes: 2,
            max_name_bytes: 2,
            ..Limits::default()
        };
        let run = |body: String| parse_multipart(body.as_bytes(), "b", &limits).err();
        assert_eq!(run(format!("{}--b--", text_part("ab", "12"))), None);
        assert_eq!(
            run(format!("{}--b--", text_part("ab", "123"))),
            Some(FormError::ValueTooLong)
        );
        assert_eq!(
            run(format!("{}--b--", text_part("abc", "1"))),
            Some(FormError::NameTooLong)
        );
    }

    fn file_part(name: &str, content: &str) -> String {
        format!(
            "--b\r\nContent-Disposition: form-data; name={name}; filename=f\r\n\r\n{content}\r\n"
        )
    }

    #[test]
    fn file_limits() {
        let limits = Limits {
            max_files: 2,
            max_file_bytes: 3,
            max_value_bytes: 1,
            ..Limits::default()
        };
        let run =
            |body: String| parse_multipart(body.as_bytes(), "b", &limits).map(|f| f.files.len());
        let two = format!("{}{}--b--", file_part("a", "abc"), file_part("a", ""));
        assert_eq!(run(two), Ok(2));
        let three = format!(
            "{}{}{}--b--",
            file_part("a", "1"),
            file_part("b", "2"),
            file_part("c", "3")
        );
        assert_eq!(run(three), Err(FormError::TooManyFiles));
        assert_eq!(
            run(format!("{}--b--", file_part("a", "abcd"))),
            Err(FormError::FileTooLarge)
        );
    }

    #[test]
    fn ten_thousand_parts() {
        let mut body: String = (0..10_000)
            .map(|i| text_part("f", &format!("{i}")))
            .collect();
        body.push_str("--b--");
        let limits = Limits {
            max_body_bytes: usize::MAX,
            ..Limits::default()
        };
        assert_eq!(
            parse_multipart(body.as_bytes(), "b", &limits).err(),
            Some(FormError::TooManyFields)
        );
        let limits = Limits {
            max_fields: 10_000,
            ..limits
        };
        let form = parse_multipart(body.as_bytes(), "b", &limits);
        let len = form
            .ok()
            .and_then(|f| f.fields.get("f").and_then(|v| v.as_array()).map(Vec::len));
        assert_eq!(len, Some(10_000));
    }

    #[test]
    fn near_miss_delimiters_stay_linear() {
        // Content full of `\r\n--` prefixes of a long boundary: each candidate is rejected after a
        // bounded comparison, so this finishes quickly.
        let boundary = "x".repeat(70);
        let near = format!("\r\n--{}", "x".repeat(69));
        let content = near.repeat(10_000);
        let body = format!("--{boundary}\r\nContent-Disposition: form-data; name=a; filename=f\r\n\r\n{content}\r\n--{boundary}--");
        let limits = Limits {
            max_body_bytes: usize::MAX,
            max_file_bytes: usize::MAX,
            ..Limits::default()
        };
        let size = parse_multipart(body.as_bytes(), &boundary, &limits)
            .ok()
            .and_then(|f| f.files.first().map(|f| f.size));
        assert_eq!(size, u64::try_from(content.len()).ok());
    }

    #[test]
    fn body_limit() {
        let body = format!("{}--b--", text_part("a", "1"));
        let limits = Limits {
            max_body_bytes: body.len(),
            ..Limits::default()
        };
        assert!(parse_multipart(body.as_bytes(), "b", &limits).is_ok());
        let limits = Limits {
            max_body_bytes: body.len() - 1,
            ..Limits::default()
        };
        assert_eq!(
            parse_multipart(body.as_bytes(), "b", &limits),
            Err(FormError::BodyTooLarge)
        );
    }
}
