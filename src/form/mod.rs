//! Form bodies: `application/x-www-form-urlencoded`, `application/json` (an object) and
//! `multipart/form-data`, parsed into one ordered [`FormData`] under explicit [`Limits`].

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;
use header::{parse_params, Quoting};

mod charset;
mod error;
mod field;
mod header;
mod json;
mod multipart;
mod urlencoded;

pub use charset::Charset;
pub use error::FormError;
pub use json::parse_json;
pub use multipart::{is_valid_boundary, parse_multipart};
pub use urlencoded::parse_urlencoded;

/// Field names in submission order, each mapped to a JSON value.
///
/// urlencoded and multipart fields are strings; a key sent more than once becomes an array of
/// strings in the order sent. JSON bodies keep their values as sent (numbers, booleans, nested).
pub type Fields = serde_json::Map<String, serde_json::Value>;

/// The field a browser fills with the name of the charset it sent the form in (HTML standard).
pub(crate) const CHARSET_FIELD: &str = "_charset_";

/// A parsed submission body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormData {
    /// The non-file fields.
    pub fields: Fields,
    /// Uploaded files (multipart only), in the order sent; empty file inputs are not listed.
    pub files: Vec<FileInfo>,
    /// The charset names and text values were decoded from (always UTF-8 for JSON), so a
    /// consumer can tell how the bytes were read.
    pub charset: Charset,
}

/// What is known about one uploaded file; the bytes stay in the request body at [`FileInfo::range`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileInfo {
    /// The form field the file was sent under.
    pub field: String,
    /// The client's file name as sent (the HTML standard's `%22`, `%0D`, `%0A` escapes
    /// decoded), possibly with directory parts (old browsers send `C:\…\file.png`): use
    /// [`FileInfo::base_name`] to name a stored file.
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

impl FileInfo {
    /// The file name without directory parts: what follows the last `/` or `\`, as browsers
    /// themselves only ever send a base name. A name ending in a separator gives `""`.
    #[must_use]
    pub fn base_name(&self) -> &str {
        self.filename
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&self.filename)
    }
}

/// Bounds applied while parsing (every one has a distinct error), and the charset of the form's
/// page.
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
    /// Longest uploaded file name, in bytes of UTF-8.
    pub max_filename_bytes: usize,
    /// Deepest nesting of arrays/objects in a JSON body.
    pub max_depth: usize,
    /// The charset of the page the form is on, used when the submission names none (by a
    /// `_charset_` field or a `charset` parameter). Browsers send a form in its page's charset.
    pub default_charset: Charset,
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
            // 255 characters (the common file-system limit) of up to 4 bytes each.
            max_filename_bytes: 1024,
            max_depth: 16,
            default_charset: Charset::UTF_8,
        }
    }
}

/// Parses `body` according to its `Content-Type` header value.
///
/// The media type is matched case-insensitively: `application/x-www-form-urlencoded` goes to
/// [`parse_urlencoded`], `application/json` and `application/*+json` to [`parse_json`],
/// `multipart/form-data` to [`parse_multipart`] with its `boundary` parameter (quoted or not).
/// A `charset` parameter on a urlencoded or multipart type overrides
/// [`Limits::default_charset`] (a `_charset_` field in the body still takes precedence); JSON
/// is always UTF-8. [`Limits::max_body_bytes`] is checked before anything else.
///
/// # Errors
///
/// [`FormError::BodyTooLarge`], [`FormError::MissingContentType`] (empty header),
/// [`FormError::UnsupportedContentType`] (also for unparsable urlencoded parameters),
/// [`FormError::MissingBoundary`], [`FormError::InvalidBoundary`] (also for unparsable
/// multipart parameters or a repeated `boundary`), [`FormError::UnknownCharset`], and whatever
/// the chosen parser returns.
pub fn parse(content_type: &str, body: &[u8], limits: &Limits) -> Result<FormData, FormError> {
    if body.len() > limits.max_body_bytes {
        return Err(FormError::BodyTooLarge);
    }
    let (media_type, params) = header::split_type(content_type.as_bytes());
    if media_type.is_empty() {
        return Err(FormError::MissingContentType);
    }
    if media_type.eq_ignore_ascii_case(b"application/x-www-form-urlencoded") {
        let params = parse_params(params, Quoting::Escapes, FormError::UnsupportedContentType)?;
        parse_urlencoded(body, &with_charset_param(&params, limits)?)
    } else if is_json_media_type(media_type) {
        parse_json(body, limits)
    } else if media_type.eq_ignore_ascii_case(b"multipart/form-data") {
        let params = parse_params(params, Quoting::Escapes, FormError::InvalidBoundary)?;
        let mut boundary = None;
        for (name, value) in &params {
            if name.eq_ignore_ascii_case(b"boundary") && boundary.replace(value).is_some() {
                return Err(FormError::InvalidBoundary);
            }
        }
        let boundary = boundary.ok_or(FormError::MissingBoundary)?;
        let boundary = core::str::from_utf8(boundary).map_err(|_| FormError::InvalidBoundary)?;
        parse_multipart(body, boundary, &with_charset_param(&params, limits)?)
    } else {
        Err(FormError::UnsupportedContentType)
    }
}

/// `limits` with the content type's first `charset` parameter, when it has one, as the default.
fn with_charset_param(params: &[header::Param<'_>], limits: &Limits) -> Result<Limits, FormError> {
    let Some((_, label)) = params
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(b"charset"))
    else {
        return Ok(*limits);
    };
    let charset = core::str::from_utf8(label)
        .ok()
        .and_then(Charset::from_label)
        .ok_or(FormError::UnknownCharset)?;
    Ok(Limits {
        default_charset: charset,
        ..*limits
    })
}

/// `application/json` or a structured `application/<subtype>+json`, case-insensitively.
fn is_json_media_type(media_type: &[u8]) -> bool {
    let lower = media_type.to_ascii_lowercase();
    lower == b"application/json"
        || lower
            .strip_prefix(b"application/")
            .and_then(|subtype| subtype.strip_suffix(b"+json"))
            .is_some_and(|name| !name.is_empty() && !name.iter().any(|b| b"/ \t".contains(b)))
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
    fn charset_parameter() {
        let latin = |ct: &str, body: &[u8]| {
            parse(ct, body, &Limits::default())
                .map(|f| (serde_json::Value::Object(f.fields), f.charset.name()))
        };
        assert_eq!(
            latin(
                "application/x-www-form-urlencoded; charset=ISO-8859-1",
                b"a=%E9"
            ),
            Ok((json!({"a": "é"}), "windows-1252"))
        );
        // A `_charset_` field names what the browser really used.
        assert_eq!(
            latin(
                "application/x-www-form-urlencoded; charset=latin1",
                b"a=%C3%A9&_charset_=UTF-8"
            ),
            Ok((json!({"a": "é", "_charset_": "UTF-8"}), "UTF-8"))
        );
        let part = b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\xe9\r\n--b--";
        assert_eq!(
            latin(
                "multipart/form-data; boundary=b; charset=\"windows-1252\"",
                part
            ),
            Ok((json!({"a": "é"}), "windows-1252"))
        );
        // JSON is UTF-8 whatever the parameter says.
        assert_eq!(
            latin(
                "application/json; charset=latin1",
                r#"{"a":"é"}"#.as_bytes()
            ),
            Ok((json!({"a": "é"}), "UTF-8"))
        );
        assert_eq!(
            latin("application/x-www-form-urlencoded; charset=nope", b"a=1"),
            Err(FormError::UnknownCharset)
        );
        assert_eq!(
            latin("application/x-www-form-urlencoded; charset=\"x", b"a=1"),
            Err(FormError::UnsupportedContentType)
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
