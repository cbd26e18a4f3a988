//! Form bodies: `application/x-www-form-urlencoded`, `application/json` (an object) and
//! `multipart/form-data`, parsed into one ordered [`FormData`] under explicit [`Limits`].

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

mod error;
mod field;
mod header;
mod json;
mod multipart;
mod urlencoded;

pub use error::FormError;
pub use json::parse_json;
pub use multipart::{is_valid_boundary, parse_multipart};
pub use urlencoded::parse_urlencoded;

/// Field names in submission order, each mapped to a JSON value.
///
/// urlencoded and multipart fields are strings; a key sent more than once becomes an array of
/// strings in the order sent. JSON bodies keep their values as sent (numbers, booleans, nested).
pub type Fields = serde_json::Map<String, serde_json::Value>;

/// A parsed submission body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormData {
    /// The non-file fields.
    pub fields: Fields,
    /// Uploaded files (multipart only), in the order sent.
    pub files: Vec<FileInfo>,
}

/// What is known about one uploaded file; the bytes stay in the request body at [`FileInfo::range`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileInfo {
    /// The form field the file was sent under.
    pub field: String,
    /// The client's file name (as sent, possibly empty).
    pub filename: String,
    /// The part's `Content-Type`, `application/octet-stream` when absent.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file bytes, lowercase hex.
    pub sha256: String,
    /// Where the file bytes lie in the parsed body, so a caller can store them without a copy.
    #[serde(skip)]
    pub range: Range<usize>,
}

/// Bounds applied while parsing; every one has a distinct error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted body, in bytes.
    pub max_body_bytes: usize,
    /// Most fields (files included) in one body.
    pub max_fields: usize,
    /// Longest field name, in bytes.
    pub max_name_bytes: usize,
    /// Longest field value, in bytes (files excluded).
    pub max_value_bytes: usize,
    /// Most files in one multipart body.
    pub max_files: usize,
    /// Largest single file, in bytes.
    pub max_file_bytes: usize,
    /// Deepest nesting of arrays/objects in a JSON body.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_fields: 1000,
            max_name_bytes: 256,
            max_value_bytes: 64 * 1024,
            max_files: 10,
            max_file_bytes: 1024 * 1024,
            max_depth: 16,
        }
    }
}

/// Parses `body` according to its `Content-Type` header value.
///
/// The media type is matched case-insensitively, ignoring parameters:
/// `application/x-www-form-urlencoded` goes to [`parse_urlencoded`], `application/json` and
/// `application/*+json` to [`parse_json`], `multipart/form-data` to [`parse_multipart`] with its
/// `boundary` parameter (quoted or not). `charset` is ignored: bodies are read as UTF-8.
/// [`Limits::max_body_bytes`] is checked before anything else.
///
/// # Errors
///
/// [`FormError::BodyTooLarge`], [`FormError::MissingContentType`] (empty header),
/// [`FormError::UnsupportedContentType`], [`FormError::MissingBoundary`],
/// [`FormError::InvalidBoundary`] (also for an unparsable or repeated `boundary` parameter), and
/// whatever the chosen parser returns.
pub fn parse(content_type: &str, body: &[u8], limits: &Limits) -> Result<FormData, FormError> {
    if body.len() > limits.max_body_bytes {
        return Err(FormError::BodyTooLarge);
    }
    let (media_type, params) = header::split_type(content_type);
    if media_type.is_empty() {
        return Err(FormError::MissingContentType);
    }
    if media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        parse_urlencoded(body, limits)
    } else if is_json_media_type(media_type) {
        parse_json(body, limits)
    } else if media_type.eq_ignore_ascii_case("multipart/form-data") {
        let mut boundary = None;
        for (name, value) in header::parse_params(params, FormError::InvalidBoundary)? {
            if name.eq_ignore_ascii_case("boundary") && boundary.replace(value).is_some() {
                return Err(FormError::InvalidBoundary);
            }
        }
        let boundary = boundary.ok_or(FormError::MissingBoundary)?;
        parse_multipart(body, &boundary, limits)
    } else {
        Err(FormError::UnsupportedContentType)
    }
}

/// `application/json` or a structured `application/<subtype>+json`, case-insensitively.
fn is_json_media_type(media_type: &str) -> bool {
    let lower = media_type.to_ascii_lowercase();
    lower == "application/json"
        || lower
            .strip_prefix("application/")
            .and_then(|subtype| subtype.strip_suffix("+json"))
            .is_some_and(|name| !name.is_empty() && !name.contains(['/', ' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use serde_json::json;

    fn fields(content_type: &str, body: &str) -> Result<serde_json::Value, FormError> {
        parse(content_type, body.as_bytes(), &Limits::default())
            .map(|f| serde_json::Value::Object(f.fields))
    }

    #[test]
    fn dispatch() {
        let want = Ok(json!({"a": "1"}));
        assert_eq!(fields("application/x-www-form-urlencoded", "a=1"), want);
        assert_eq!(
            fields("Application/X-WWW-Form-URLEncoded; charset=UTF-8", "a=1"),
            want
        );
        assert_eq!(fields("application/json", r#"{"a":"1"}"#), want);
        assert_eq!(
            fields(" APPLICATION/JSON ;charset=utf-8", r#"{"a":"1"}"#),
            want
        );
        assert_eq!(fields("application/vnd.api+json", r#"{"a":"1"}"#), want);
        let part = "--xy z\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--xy z--";
        assert_eq!(fields("multipart/form-data; boundary=\"xy z\"", part), want);
        let part = "--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--xyz--";
        assert_eq!(
            fields("Multipart/Form-Data; charset=utf-8; BOUNDARY=xyz", part),
            want
        );
        assert_eq!(fields("multipart/form-data;boundary=xyz;", part), want);
    }

    #[test]
    fn content_type_errors() {
        assert_eq!(fields("", "a=1"), Err(FormError::MissingContentType));
        assert_eq!(
            fields("  ; charset=utf-8", "a=1"),
            Err(FormError::MissingContentType)
        );
        assert_eq!(
            fields("text/plain", "a=1"),
            Err(FormError::UnsupportedContentType)
        );
        assert_eq!(
            fields("application/+json", "{}"),
            Err(FormError::UnsupportedContentType)
        );
        assert_eq!(
            fields("application/x-www-form-urlencodedx", "a=1"),
            Err(FormError::UnsupportedContentType)
        );
        assert_eq!(
            fields("multipart/mixed; boundary=b", "--b--"),
            Err(FormError::UnsupportedContentType)
        );
        assert_eq!(
            fields("multipart/form-data", "--b--"),
            Err(FormError::MissingBoundary)
        );
        assert_eq!(
            fields("multipart/form-data; charset=utf-8", "--b--"),
            Err(FormError::MissingBoundary)
        );
        assert_eq!(
            fields("multipart/form-data; boundary=", "--b--"),
            Err(FormError::InvalidBoundary)
        );
        assert_eq!(
            fields("multipart/form-data; boundary=\"\"", "--b--"),
            Err(FormError::InvalidBoundary)
        );
        assert_eq!(
            fields("multipart/form-data; boundary=\"b", "--b--"),
            Err(FormError::InvalidBoundary)
        );
        assert_eq!(
            fields("multipart/form-data; boundary=b; boundary=c", "--b--"),
            Err(FormError::InvalidBoundary)
        );
        let long = format!("multipart/form-data; boundary={}", "b".repeat(71));
        assert_eq!(fields(&long, "--b--"), Err(FormError::InvalidBoundary));
        assert_eq!(
            fields("multipart/form-data; boundary=a{b", "--a{b--"),
            Err(FormError::InvalidBoundary)
        );
    }

    #[test]
    fn body_limit_checked_first() {
        let limits = Limits {
            max_body_bytes: 3,
            ..Limits::default()
        };
        assert!(parse("application/x-www-form-urlencoded", b"a=1", &limits).is_ok());
        assert_eq!(
            parse("application/x-www-form-urlencoded", b"a=12", &limits),
            Err(FormError::BodyTooLarge)
        );
        assert_eq!(
            parse("text/plain", b"a=12", &limits),
            Err(FormError::BodyTooLarge)
        );
        assert_eq!(parse("", b"abcd", &limits), Err(FormError::BodyTooLarge));
        assert_eq!(
            parse("text/plain", b"", &limits),
            Err(FormError::UnsupportedContentType)
        );
    }

    #[test]
    fn multipart_files_through_parse() {
        let body = "--b\r\nContent-Disposition: form-data; name=up; filename=\"abc.txt\"\r\n\r\nabc\r\n--b--";
        let form = parse(
            "multipart/form-data; boundary=b",
            body.as_bytes(),
            &Limits::default(),
        );
        let file = form.ok().and_then(|f| f.files.first().cloned());
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            file.as_ref().map(|f| (
                f.field.as_str(),
                f.filename.as_str(),
                f.size,
                f.sha256.as_str()
            )),
            Some(("up", "abc.txt", 3, sha))
        );
        assert_eq!(file.and_then(|f| body.get(f.range)), Some("abc"));
    }
}

#[cfg(test)]
mod nul_in_names {
    use super::{parse, FormError, Limits};

    #[test]
    fn a_nul_in_a_field_name_is_refused_alike_in_every_body_type() {
        let limits = Limits::default();
        let bodies: [(&str, &[u8]); 4] = [
            ("application/x-www-form-urlencoded", b"a%00b=1"),
            ("application/json", b"{\"a\\u0000b\":1}"),
            ("application/json", b"{\"a\":{\"b\\u0000\":1}}"),
            (
                "multipart/form-data; boundary=b",
                b"--b\r\nContent-Disposition: form-data; name=\"a\x00b\"\r\n\r\n1\r\n--b--",
            ),
        ];
        for (content_type, body) in bodies {
            assert_eq!(
                parse(content_type, body, &limits).map(|_| ()),
                Err(FormError::NulInName),
                "{content_type}"
            );
        }
        // A NUL in a value is data, not a name.
        assert!(parse("application/x-www-form-urlencoded", b"a=%00", &limits).is_ok());
    }
}
