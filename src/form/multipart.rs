//! `multipart/form-data` bodies (RFC 7578 over RFC 2046), as browsers send them.

use super::field::{check_name, push_value};
use super::header::{parse_params, split_type, trim_ows, Quoting};
use super::{Charset, FileInfo, FormData, FormError, Limits, CHARSET_FIELD};
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
/// ignored; the first delimiter must start a line (after CRLF or a bare LF, or at the start).
/// Each part needs a `Content-Disposition: form-data; name=…` header; parts with a `filename`
/// (or, failing that, an RFC 8187 `filename*`) parameter are files, described by a
/// [`FileInfo`] whose [`range`](FileInfo::range) points into `body`; other parts are text
/// fields, a name sent more than once becoming an array of its values in order. Header names
/// are case-insensitive.
///
/// Browsers' quirks are read as browsers mean them: a backslash in a quoted name or filename is
/// an ordinary character (`name="ends\"` is `ends\`), falling back to `\"`/`\\` escapes
/// (Go's writer) only when the header does not parse otherwise; `%22`, `%0D` and `%0A` in names
/// and filenames are `"`, CR and LF. Names, filenames and values are decoded in the form's
/// charset: a `_charset_` field's value, else [`Limits::default_charset`] (a text part's own
/// `Content-Type` charset wins for its value); [`FormData::charset`] records it. A file part
/// with an empty filename and no bytes (an `<input type=file>` left empty) is left out and
/// counts toward no limit; every other part counts toward [`Limits::max_fields`]. Runs in time
/// linear in the body length.
///
/// # Errors
///
/// [`FormError::BodyTooLarge`], [`FormError::InvalidBoundary`], the `Multipart*` variants for
/// framing and header problems, [`FormError::TooManyFields`], [`FormError::TooManyFiles`],
/// [`FormError::FileTooLarge`], [`FormError::FilenameTooLong`], [`FormError::EmptyFieldName`],
/// [`FormError::NameTooLong`], [`FormError::ForbiddenKey`], [`FormError::ValueTooLong`],
/// [`FormError::UnknownCharset`], [`FormError::InvalidUtf8`] and [`FormError::InvalidEncoding`].
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

    // The first dash-boundary must start a line: one inside the preamble's text would hide
    // where the first part begins, and skipping past it could drop that part.
    let first = find(body, 0, dash_boundary).ok_or(FormError::MultipartNoDelimiter)?;
    if first > 0 && body.get(first - 1) != Some(&b'\n') {
        return Err(FormError::MultipartMisplacedDelimiter);
    }
    let mut pos = first + dash_boundary.len();

    let mut parts: Vec<RawPart> = Vec::new();
    loop {
        // `pos` is just past a boundary: `--` closes, else transport padding then CRLF.
        let rest = body.get(pos..).unwrap_or_default();
        if rest.starts_with(b"--") {
            break;
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
        let part = read_part(body, pos..end)?;
        pos = end + delimiter.len();
        if part.is_empty_file_input() {
            continue;
        }
        if parts.len() >= limits.max_fields {
            return Err(FormError::TooManyFields);
        }
        parts.push(part);
    }
    decode_parts(parts, body, limits)
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

/// A file part's name, still in the sender's bytes or already decoded.
enum Filename {
    /// The `filename` parameter, escapes decoded, in the form's charset.
    Raw(Vec<u8>),
    /// Decoded from an RFC 8187 `filename*` parameter, which names its own charset.
    Decoded(String),
}

/// One part as framed and read from its headers, before names and text are decoded.
struct RawPart {
    /// The `name` disposition parameter, escapes decoded, in the form's charset.
    name: Vec<u8>,
    /// Present for file parts.
    filename: Option<Filename>,
    /// The `Content-Type` header, when present and not empty.
    content_type: Option<String>,
    /// The charset a text part's own `Content-Type` names.
    charset: Option<Charset>,
    /// Where the part's content lies in the body.
    content: Range<usize>,
}

impl RawPart {
    /// An `<input type=file>` left empty: browsers send `filename=""` with no bytes.
    fn is_empty_file_input(&self) -> bool {
        let empty_name = match &self.filename {
            Some(Filename::Raw(raw)) => raw.is_empty(),
            Some(Filename::Decoded(name)) => name.is_empty(),
            None => false,
        };
        empty_name && self.content.is_empty()
    }
}

/// Frames one part (`range` of `body`, between the CRLF ending its boundary line and the CRLF
/// starting the next delimiter) and reads its headers.
fn read_part(body: &[u8], range: Range<usize>) -> Result<RawPart, FormError> {
    let part = body.get(range.clone()).unwrap_or_default();
    let (header_bytes, content_start) = if part.starts_with(b"\r\n") {
        (&[][..], range.start + 2)
    } else {
        let end = find(part, 0, b"\r\n\r\n").ok_or(FormError::MultipartHeadersUnterminated)?;
        (part.get(..end).unwrap_or_default(), range.start + end + 4)
    };
    let (disposition, content_type) = split_headers(header_bytes)?;
    let disposition = disposition.ok_or(FormError::MultipartMissingDisposition)?;
    let (kind, params) = split_type(disposition);
    if !kind.eq_ignore_ascii_case(b"form-data") {
        return Err(FormError::MultipartNotFormData);
    }
    // Browsers' literal backslashes first; escapes only when that reading fails.
    let params = parse_params(
        params,
        Quoting::Literal,
        FormError::MultipartMalformedHeader,
    )
    .or_else(|first| {
        parse_params(
            params,
            Quoting::Escapes,
            FormError::MultipartMalformedHeader,
        )
        .map_err(|_| first)
    })?;
    let (mut name, mut filename, mut ext_filename) = (None, None, None);
    for (key, value) in params {
        let slot = if key.eq_ignore_ascii_case(b"name") {
            &mut name
        } else if key.eq_ignore_ascii_case(b"filename") {
            &mut filename
        } else if key.eq_ignore_ascii_case(b"filename*") {
            &mut ext_filename
        } else {
            continue;
        };
        if slot.replace(value).is_some() {
            return Err(FormError::MultipartDuplicateHeader);
        }
    }
    let name = unescape_html(name.ok_or(FormError::MultipartMissingName)?);
    let filename = match (filename, ext_filename) {
        (Some(raw), _) => Some(Filename::Raw(unescape_html(raw))),
        (None, Some(ext)) => Some(Filename::Decoded(decode_ext_value(&ext)?)),
        (None, None) => None,
    };
    let content_type = content_type
        .filter(|t| !t.is_empty())
        .map(|t| String::from_utf8(t.to_vec()).map_err(|_| FormError::InvalidUtf8))
        .transpose()?;
    let charset = match (&filename, &content_type) {
        (None, Some(content_type)) => part_charset(content_type)?,
        _ => None,
    };
    Ok(RawPart {
        name,
        filename,
        content_type,
        charset,
        content: content_start..range.end,
    })
}

/// A part's `Content-Disposition` and `Content-Type` values, when present.
type PartHeaders<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// Splits a part's header lines (without the blank line ending them) and returns the
/// `Content-Disposition` and `Content-Type` values; other headers are checked and skipped.
fn split_headers(bytes: &[u8]) -> Result<PartHeaders<'_>, FormError> {
    let mut disposition: Option<&[u8]> = None;
    let mut content_type: Option<&[u8]> = None;
    if bytes.is_empty() {
        return Ok((None, None));
    }
    let mut rest = bytes;
    loop {
        let (line, next) = match find(rest, 0, b"\r\n") {
            Some(at) => (
                rest.get(..at).unwrap_or_default(),
                rest.get(at + 2..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            return Err(FormError::MultipartFoldedHeader);
        }
        // A NUL in the disposition (the field name) is refused as in urlencoded and JSON.
        let is_disposition = line
            .get(..20)
            .is_some_and(|head| head.eq_ignore_ascii_case(b"content-disposition:"));
        if is_disposition && line.contains(&0) {
            return Err(FormError::NulInName);
        }
        // Bytes of 0x80 and above may appear in values: names in the form's charset.
        if line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(FormError::MultipartMalformedHeader);
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(FormError::MultipartMalformedHeader)?;
        let name = line.get(..colon).unwrap_or_default();
        let value = trim_ows(line.get(colon + 1..).unwrap_or_default());
        let is_token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
        if name.is_empty() || !name.iter().all(is_token) {
            return Err(FormError::MultipartMalformedHeader);
        }
        let slot = if name.eq_ignore_ascii_case(b"content-disposition") {
            Some(&mut disposition)
        } else if name.eq_ignore_ascii_case(b"content-type") {
            Some(&mut content_type)
        } else {
            None
        };
        if let Some(slot) = slot {
            if slot.replace(value).is_some() {
                return Err(FormError::MultipartDuplicateHeader);
            }
        }
        if next.is_empty() && line.len() == rest.len() {
            return Ok((disposition, content_type));
        }
        rest = next;
    }
}

/// The charset a text part's `Content-Type` names, if any.
fn part_charset(content_type: &str) -> Result<Option<Charset>, FormError> {
    let (_, params) = split_type(content_type.as_bytes());
    let params = parse_params(
        params,
        Quoting::Escapes,
        FormError::MultipartMalformedHeader,
    )?;
    params
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(b"charset"))
        .map(|(_, label)| {
            core::str::from_utf8(label)
                .ok()
                .and_then(Charset::from_label)
                .ok_or(FormError::UnknownCharset)
        })
        .transpose()
}

/// Decodes the HTML standard's escapes in multipart names and filenames: `%22` is `"`, `%0D`
/// CR and `%0A` LF (hex digits in either case). Any other `%` is kept.
fn unescape_html(raw: Vec<u8>) -> Vec<u8> {
    if !raw.contains(&b'%') {
        return raw;
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        let escaped = match (
            b,
            raw.get(i + 1),
            raw.get(i + 2).map(u8::to_ascii_uppercase),
        ) {
            (b'%', Some(b'2'), Some(b'2')) => Some(b'"'),
            (b'%', Some(b'0'), Some(b'D')) => Some(b'\r'),
            (b'%', Some(b'0'), Some(b'A')) => Some(b'\n'),
            _ => None,
        };
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes an RFC 8187 `ext-value` (`charset'language'percent-encoded`), as in `filename*`.
fn decode_ext_value(value: &[u8]) -> Result<String, FormError> {
    let mut fields = value.splitn(3, |&b| b == b'\'');
    let (Some(label), Some(_language), Some(encoded)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(FormError::MultipartMalformedHeader);
    };
    let charset = core::str::from_utf8(label)
        .ok()
        .and_then(Charset::from_label)
        .ok_or(FormError::UnknownCharset)?;
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while let Some(&b) = encoded.get(i) {
        let hex = encoded
            .get(i + 1..i + 3)
            .and_then(|h| core::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(byte)) => {
                bytes.push(byte);
                i += 3;
            }
            (b'%', None) => return Err(FormError::MultipartMalformedHeader),
            _ => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    charset.decode(bytes)
}

/// Picks the form's charset, then decodes and checks every part in order.
fn decode_parts(parts: Vec<RawPart>, body: &[u8], limits: &Limits) -> Result<FormData, FormError> {
    let charset_part = parts
        .iter()
        .find(|p| p.filename.is_none() && p.name == CHARSET_FIELD.as_bytes());
    let charset = match charset_part {
        Some(part) => body
            .get(part.content.clone())
            .and_then(|label| core::str::from_utf8(label).ok())
            .and_then(Charset::from_label)
            .ok_or(FormError::UnknownCharset)?,
        None => limits.default_charset,
    };
    let mut form = FormData {
        charset,
        ..FormData::default()
    };
    for part in parts {
        let name = charset.decode(part.name)?;
        check_name(&name, limits)?;
        let content = body.get(part.content.clone()).unwrap_or_default();
        match part.filename {
            Some(filename) => {
                let filename = match filename {
                    Filename::Raw(raw) => charset.decode(raw)?,
                    Filename::Decoded(decoded) => decoded,
                };
                if filename.len() > limits.max_filename_bytes {
                    return Err(FormError::FilenameTooLong);
                }
                if form.files.len() >= limits.max_files {
                    return Err(FormError::TooManyFiles);
                }
                if content.len() > limits.max_file_bytes {
                    return Err(FormError::FileTooLarge);
                }
                form.files.push(FileInfo {
                    field: name,
                    filename,
                    content_type: part
                        .content_type
                        .unwrap_or_else(|| String::from(DEFAULT_FILE_TYPE)),
                    size: u64::try_from(content.len()).unwrap_or(u64::MAX),
                    sha256: sha256_hex(content),
                    range: part.content,
                });
            }
            None => {
                if content.len() > limits.max_value_bytes {
                    return Err(FormError::ValueTooLong);
                }
                let value = part.charset.unwrap_or(charset).decode(content.to_vec())?;
                push_value(&mut form.fields, name, value);
            }
        }
    }
    Ok(form)
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

    fn values(body: &[u8]) -> Result<serde_json::Value, FormError> {
        parse(body).map(|f| serde_json::Value::Object(f.fields))
    }

    fn files(body: &[u8]) -> Result<Vec<(String, String, u64)>, FormError> {
        parse(body).map(|f| {
            f.files
                .into_iter()
                .map(|f| (f.field, f.filename, f.size))
                .collect()
        })
    }

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
        // The empty file input (`filename=""`, no bytes) is left out.
        assert_eq!(
            form.files,
            vec![FileInfo {
                field: "doc".into(),
                filename: "a \"q\".txt".into(),
                content_type: "text/plain".into(),
                size: 3,
                sha256: ABC_SHA256.into(),
                range: abc..abc + 3,
            }]
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

    #[test]
    fn browser_names_and_filenames() {
        // Chromium: backslashes as typed, `"` CR LF as %22 %0D %0A.
        let body = b"--b\r\nContent-Disposition: form-data; name=\"ends\\\"\r\n\r\n1\r\n\
            --b\r\nContent-Disposition: form-data; name=\"two\\\\back\"\r\n\r\n2\r\n\
            --b\r\nContent-Disposition: form-data; name=\"quote%22x\"\r\n\r\n3\r\n\
            --b\r\nContent-Disposition: form-data; name=\"line%0D%0Abreak%0d%0a\"\r\n\r\n4\r\n\
            --b\r\nContent-Disposition: form-data; name=\"pct%41%2\"\r\n\r\n5\r\n\
            --b\r\nContent-Disposition: form-data; name=\"up\\\"; filename=\"q%22.txt\\\"\r\n\r\nx\r\n\
            --b--";
        assert_eq!(
            values(body),
            Ok(
                json!({"ends\\": "1", "two\\\\back": "2", "quote\"x": "3", "line\r\nbreak\r\n": "4", "pct%41%2": "5"})
            )
        );
        assert_eq!(
            files(body),
            Ok(vec![("up\\".into(), "q\".txt\\".into(), 1)])
        );
    }

    #[test]
    fn go_escapes_when_literal_reading_fails() {
        // Go's mime/multipart writer: `"` as \" and `\` as \\.
        let body = b"--b\r\nContent-Disposition: form-data; name=\"a\\\"b\"; filename=\"c\\\\d\\\".txt\"\r\n\r\nx\r\n--b--";
        assert_eq!(
            files(body),
            Ok(vec![("a\"b".into(), "c\\d\".txt".into(), 1)])
        );
        // Ambiguous `\\` reads as a browser wrote it: two backslashes.
        let body = b"--b\r\nContent-Disposition: form-data; name=\"a\\\\\"\r\n\r\nx\r\n--b--";
        assert_eq!(values(body), Ok(json!({"a\\\\": "x"})));
    }

    #[test]
    fn extended_filename() {
        let part = |params: &str| {
            format!("--b\r\nContent-Disposition: form-data; name=f; {params}\r\n\r\nx\r\n--b--")
        };
        let run = |params: &str| files(part(params).as_bytes());
        assert_eq!(
            run("filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt"),
            Ok(vec![("f".into(), "naïve €.txt".into(), 1)])
        );
        assert_eq!(
            run("filename*=iso-8859-1'en'caf%E9"),
            Ok(vec![("f".into(), "café".into(), 1)])
        );
        // `filename` wins when both are sent.
        assert_eq!(
            run("filename=plain.txt; filename*=UTF-8''other.txt"),
            Ok(vec![("f".into(), "plain.txt".into(), 1)])
        );
        assert_eq!(
            run("filename*=UTF-8'x"),
            Err(FormError::MultipartMalformedHeader)
        );
        assert_eq!(
            run("filename*=UTF-8''a%G0"),
            Err(FormError::MultipartMalformedHeader)
        );
        assert_eq!(run("filename*=utf-7''a"), Err(FormError::UnknownCharset));
        assert_eq!(run("filename*=UTF-8''%FF"), Err(FormError::InvalidUtf8));
        assert_eq!(
            run("filename*=UTF-8''a; filename*=UTF-8''b"),
            Err(FormError::MultipartDuplicateHeader)
        );
    }

    #[test]
    fn empty_file_inputs_are_left_out_and_uncounted() {
        let empty = |name: &str| {
            format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n")
        };
        let mut body: String = (0..11).map(|i| empty(&format!("f{i}"))).collect();
        body.push_str(&text_part("a", "1"));
        body.push_str(
            "--b\r\nContent-Disposition: form-data; name=up; filename=\"\"\r\n\r\nbytes\r\n",
        );
        body.push_str(
            "--b\r\nContent-Disposition: form-data; name=up; filename=\"e.txt\"\r\n\r\n\r\n",
        );
        body.push_str("--b--");
        let limits = Limits {
            max_files: 2,
            max_fields: 3,
            ..Limits::default()
        };
        let form = parse_multipart(body.as_bytes(), "b", &limits);
        let got = form.map(|f| {
            (
                serde_json::Value::Object(f.fields),
                f.files
                    .into_iter()
                    .map(|f| (f.filename, f.size))
                    .collect::<Vec<_>>(),
            )
        });
        // A nameless file with bytes and a named empty file are real files.
        assert_eq!(
            got,
            Ok((
                json!({"a": "1"}),
                vec![(String::new(), 5), ("e.txt".into(), 0)]
            ))
        );
    }

    #[test]
    fn first_delimiter_must_start_a_line() {
        let part = |name: &str| text_part(name, "v");
        // A bare LF before the first boundary: the whole body is read.
        let body = format!("junk\n{}{}--b--", part("first"), part("second"));
        assert_eq!(
            values(body.as_bytes()),
            Ok(json!({"first": "v", "second": "v"}))
        );
        let body = format!("junk\r\n{}--b--", part("first"));
        assert_eq!(values(body.as_bytes()), Ok(json!({"first": "v"})));
        // The boundary inside the preamble's text: refused rather than guessed.
        for preamble in ["junk", "junk\r", "x\r\n x"] {
            let body = format!("{preamble}{}{}--b--", part("first"), part("second"));
            assert_eq!(
                err(&body),
                Some(FormError::MultipartMisplacedDelimiter),
                "{preamble:?}"
            );
        }
    }

    #[test]
    fn legacy_charsets() {
        // windows-1252 names, filenames and values, chosen by the `_charset_` field.
        let body = b"--b\r\nContent-Disposition: form-data; name=\"caf\xe9\"\r\n\r\nna\xefve\r\n\
            --b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"r\xe9sum\xe9.txt\"\r\n\r\nx\r\n\
            --b\r\nContent-Disposition: form-data; name=\"_charset_\"\r\n\r\nwindows-1252\r\n--b--";
        let form = parse(body);
        assert_eq!(form.as_ref().map(|f| f.charset.name()), Ok("windows-1252"));
        assert_eq!(
            values(body),
            Ok(json!({"café": "naïve", "_charset_": "windows-1252"}))
        );
        assert_eq!(files(body), Ok(vec![("f".into(), "résumé.txt".into(), 1)]));
        // Shift_JIS: 表 ends in 0x5C right before the closing quote.
        let body =
            b"--b\r\nContent-Disposition: form-data; name=\"\x95\x5c\"\r\n\r\n\x83\x5c\r\n--b--";
        let limits = Limits {
            default_charset: Charset::from_label("sjis").unwrap_or_default(),
            ..Limits::default()
        };
        let form = parse_multipart(body, "b", &limits)
            .map(|f| (serde_json::Value::Object(f.fields), f.charset.name()));
        assert_eq!(form, Ok((json!({"表": "ソ"}), "Shift_JIS")));
        assert_eq!(parse(body).err(), Some(FormError::InvalidUtf8));
        // A text part's own charset wins for its value.
        let body = b"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Type: text/plain; charset=latin1\r\n\r\n\xe9\r\n--b--";
        assert_eq!(values(body), Ok(json!({"a": "é"})));
        let bad = [
            (&b"--b\r\nContent-Disposition: form-data; name=_charset_\r\n\r\nutf-7\r\n--b--"[..], FormError::UnknownCharset),
            (b"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Type: text/plain; charset=nope\r\n\r\nx\r\n--b--", FormError::UnknownCharset),
            (b"--b\r\nContent-Disposition: form-data; name=_charset_\r\n\r\nshift_jis\r\n--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\x95\r\n--b--", FormError::InvalidEncoding),
        ];
        for (body, want) in bad {
            assert_eq!(parse(body).err(), Some(want));
        }
    }

    #[test]
    fn filename_limits_and_base_name() {
        let limits = Limits {
            max_filename_bytes: 5,
            ..Limits::default()
        };
        let body = |name: &str| {
            format!("--b\r\nContent-Disposition: form-data; name=f; filename=\"{name}\"\r\n\r\nx\r\n--b--")
        };
        assert!(parse_multipart(body("abcde").as_bytes(), "b", &limits).is_ok());
        assert_eq!(
            parse_multipart(body("abcdé").as_bytes(), "b", &limits).err(),
            Some(FormError::FilenameTooLong)
        );
        let form = parse(body(r"C:\Users\ada\cv.pdf").as_bytes());
        let file = form.ok().and_then(|f| f.files.into_iter().next());
        assert_eq!(
            file.as_ref().map(|f| (f.filename.as_str(), f.base_name())),
            Some((r"C:\Users\ada\cv.pdf", "cv.pdf"))
        );
        let form = parse(body("../../etc/x").as_bytes());
        assert_eq!(
            form.ok()
                .and_then(|f| f.files.first().map(|f| String::from(f.base_name())))
                .as_deref(),
            Some("x")
        );
        let form = parse(body("dir/").as_bytes());
        assert_eq!(
            form.ok()
                .and_then(|f| f.files.first().map(|f| String::from(f.base_name())))
                .as_deref(),
            Some("")
        );
    }
}
