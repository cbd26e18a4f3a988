//! Why a form body was refused.

use core::fmt;

/// Why a form body was refused; each variant has a stable [`code`](FormError::code), a
/// human [`message`](FormError::message) and an [`http_status`](FormError::http_status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormError {
    /// The body is larger than [`Limits::max_body_bytes`](super::Limits::max_body_bytes).
    BodyTooLarge,
    /// The body has more fields (files included) than [`Limits::max_fields`](super::Limits::max_fields).
    TooManyFields,
    /// The body has more files than [`Limits::max_files`](super::Limits::max_files).
    TooManyFiles,
    /// A field name is longer than [`Limits::max_name_bytes`](super::Limits::max_name_bytes).
    NameTooLong,
    /// A field value is longer than [`Limits::max_value_bytes`](super::Limits::max_value_bytes).
    ValueTooLong,
    /// An uploaded file is larger than [`Limits::max_file_bytes`](super::Limits::max_file_bytes).
    FileTooLarge,
    /// No content type was given.
    MissingContentType,
    /// The content type is not one of the supported form encodings.
    UnsupportedContentType,
    /// A `multipart/form-data` content type has no `boundary` parameter.
    MissingBoundary,
    /// The multipart boundary is empty, longer than 70 characters or uses characters RFC 2046 forbids.
    InvalidBoundary,
    /// A field name or text value is not valid UTF-8.
    InvalidUtf8,
    /// A field name, file name or text value is not valid in the legacy charset it was sent in.
    InvalidEncoding,
    /// A `_charset_` field or a `charset` parameter names no encoding of the WHATWG Encoding Standard.
    UnknownCharset,
    /// An uploaded file's name is longer than [`Limits::max_filename_bytes`](super::Limits::max_filename_bytes).
    FilenameTooLong,
    /// The JSON body is not valid JSON.
    MalformedJson,
    /// The JSON body is valid JSON but not an object.
    JsonNotObject,
    /// The JSON body nests arrays/objects deeper than [`Limits::max_depth`](super::Limits::max_depth).
    JsonTooDeep,
    /// A key is or contains `__proto__`, `constructor` or `prototype`.
    ForbiddenKey,
    /// A field name is empty.
    EmptyFieldName,
    /// The multipart body never contains its boundary delimiter.
    MultipartNoDelimiter,
    /// The multipart body's first boundary is not at the start of a line, so where the first
    /// part begins is unclear.
    MultipartMisplacedDelimiter,
    /// A multipart boundary delimiter is followed by something other than a line break or `--`.
    MultipartMalformedDelimiter,
    /// The multipart body ended before its closing boundary.
    MultipartUnexpectedEnd,
    /// A multipart part's headers are not followed by an empty line.
    MultipartHeadersUnterminated,
    /// A multipart part header line starts with a space or tab (obsolete line folding).
    MultipartFoldedHeader,
    /// A multipart part header line is not a well-formed `Name: value` line.
    MultipartMalformedHeader,
    /// A multipart part repeats a header or a `Content-Disposition` parameter.
    MultipartDuplicateHeader,
    /// A multipart part has no `Content-Disposition` header.
    MultipartMissingDisposition,
    /// A multipart part's disposition is not `form-data`.
    MultipartNotFormData,
    /// A multipart part's `Content-Disposition` has no `name` parameter.
    MultipartMissingName,
    /// A field name (in multipart: the disposition line) contains a NUL character, which many
    /// consumers (C strings, PostgreSQL text) cannot hold; refused alike in every body type.
    NulInName,
}

impl FormError {
    /// A stable snake_case identifier, suitable for API responses and logs.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::BodyTooLarge => "body_too_large",
            Self::TooManyFields => "too_many_fields",
            Self::TooManyFiles => "too_many_files",
            Self::NameTooLong => "field_name_too_long",
            Self::ValueTooLong => "field_value_too_long",
            Self::FileTooLarge => "file_too_large",
            Self::MissingContentType => "missing_content_type",
            Self::UnsupportedContentType => "unsupported_content_type",
            Self::MissingBoundary => "missing_boundary",
            Self::InvalidBoundary => "invalid_boundary",
            Self::InvalidUtf8 => "invalid_utf8",
            Self::InvalidEncoding => "invalid_encoding",
            Self::UnknownCharset => "unknown_charset",
            Self::FilenameTooLong => "filename_too_long",
            Self::MalformedJson => "malformed_json",
            Self::JsonNotObject => "json_not_object",
            Self::JsonTooDeep => "json_too_deep",
            Self::ForbiddenKey => "forbidden_key",
            Self::EmptyFieldName => "empty_field_name",
            Self::MultipartNoDelimiter => "multipart_no_delimiter",
            Self::MultipartMisplacedDelimiter => "multipart_misplaced_delimiter",
            Self::MultipartMalformedDelimiter => "multipart_malformed_delimiter",
            Self::MultipartUnexpectedEnd => "multipart_unexpected_end",
            Self::MultipartHeadersUnterminated => "multipart_headers_unterminated",
            Self::MultipartFoldedHeader => "multipart_folded_header",
            Self::MultipartMalformedHeader => "multipart_malformed_header",
            Self::MultipartDuplicateHeader => "multipart_duplicate_header",
            Self::MultipartMissingDisposition => "multipart_missing_disposition",
            Self::MultipartNotFormData => "multipart_not_form_data",
            Self::MultipartMissingName => "multipart_missing_name",
            Self::NulInName => "nul_in_name",
        }
    }

    /// A human-readable explanation.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::BodyTooLarge => "request body is larger than allowed",
            Self::TooManyFields => "form has more fields than allowed",
            Self::TooManyFiles => "form has more files than allowed",
            Self::NameTooLong => "a field name is longer than allowed",
            Self::ValueTooLong => "a field value is longer than allowed",
            Self::FileTooLarge => "an uploaded file is larger than allowed",
            Self::MissingContentType => "request has no content type",
            Self::UnsupportedContentType => {
                "content type is not application/x-www-form-urlencoded, application/json or multipart/form-data"
            }
            Self::MissingBoundary => "multipart content type has no boundary parameter",
            Self::InvalidBoundary => "multipart boundary is empty, longer than 70 characters or contains forbidden characters",
            Self::InvalidUtf8 => "a field name or value is not valid UTF-8",
            Self::InvalidEncoding => "a field name, file name or value is not valid in the form's charset",
            Self::UnknownCharset => "the form's charset is not a known encoding",
            Self::FilenameTooLong => "an uploaded file's name is longer than allowed",
            Self::MalformedJson => "request body is not valid JSON",
            Self::JsonNotObject => "JSON body is not an object",
            Self::JsonTooDeep => "JSON body is nested deeper than allowed",
            Self::ForbiddenKey => "a key uses a forbidden name (__proto__, constructor or prototype)",
            Self::EmptyFieldName => "a field name is empty",
            Self::MultipartNoDelimiter => "multipart body does not contain its boundary",
            Self::MultipartMisplacedDelimiter => "multipart body's first boundary is not at the start of a line",
            Self::MultipartMalformedDelimiter => "multipart boundary is followed by unexpected bytes",
            Self::MultipartUnexpectedEnd => "multipart body ended before its closing boundary",
            Self::MultipartHeadersUnterminated => "multipart part headers are not followed by an empty line",
            Self::MultipartFoldedHeader => "multipart part header line starts with whitespace (folded header)",
            Self::MultipartMalformedHeader => "multipart part header is malformed",
            Self::MultipartDuplicateHeader => "multipart part repeats a header or disposition parameter",
            Self::MultipartMissingDisposition => "multipart part has no Content-Disposition header",
            Self::MultipartNotFormData => "multipart part disposition is not form-data",
            Self::MultipartMissingName => "multipart part has no field name",
            Self::NulInName => "a field name (or a multipart file name) contains a NUL character",
        }
    }

    /// The HTTP status a server should answer with: 413 for body/file size limits, 415 for a
    /// missing or unsupported content type, 400 otherwise.
    #[must_use]
    pub const fn http_status(self) -> u16 {
        match self {
            Self::BodyTooLarge | Self::FileTooLarge => 413,
            Self::MissingContentType | Self::UnsupportedContentType => 415,
            _ => 400,
        }
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for FormError {}

#[cfg(test)]
mod tests {
    use super::FormError;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    const ALL: [FormError; 31] = [
        FormError::BodyTooLarge,
        FormError::TooManyFields,
        FormError::TooManyFiles,
        FormError::NameTooLong,
        FormError::ValueTooLong,
        FormError::FileTooLarge,
        FormError::MissingContentType,
        FormError::UnsupportedContentType,
        FormError::MissingBoundary,
        FormError::InvalidBoundary,
        FormError::InvalidUtf8,
        FormError::InvalidEncoding,
        FormError::UnknownCharset,
        FormError::FilenameTooLong,
        FormError::MalformedJson,
        FormError::JsonNotObject,
        FormError::JsonTooDeep,
        FormError::ForbiddenKey,
        FormError::EmptyFieldName,
        FormError::MultipartNoDelimiter,
        FormError::MultipartMisplacedDelimiter,
        FormError::MultipartMalformedDelimiter,
        FormError::MultipartUnexpectedEnd,
        FormError::MultipartHeadersUnterminated,
        FormError::MultipartFoldedHeader,
        FormError::MultipartMalformedHeader,
        FormError::MultipartDuplicateHeader,
        FormError::MultipartMissingDisposition,
        FormError::MultipartNotFormData,
        FormError::MultipartMissingName,
        FormError::NulInName,
    ];

    #[test]
    fn codes_are_unique_snake_case() {
        let mut codes: Vec<&str> = ALL.iter().map(|e| e.code()).collect();
        for code in &codes {
            assert!(!code.is_empty());
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
    }

    #[test]
    fn statuses() {
        assert_eq!(FormError::BodyTooLarge.http_status(), 413);
        assert_eq!(FormError::FileTooLarge.http_status(), 413);
        assert_eq!(FormError::UnsupportedContentType.http_status(), 415);
        assert_eq!(FormError::MissingContentType.http_status(), 415);
        assert_eq!(FormError::TooManyFields.http_status(), 400);
        assert_eq!(FormError::MultipartUnexpectedEnd.http_status(), 400);
        let n413 = ALL.iter().filter(|e| e.http_status() == 413).count();
        let n415 = ALL.iter().filter(|e| e.http_status() == 415).count();
        assert_eq!((n413, n415), (2, 2));
    }

    #[test]
    fn display_is_message() {
        for e in ALL {
            assert_eq!(e.to_string(), e.message());
            assert!(!e.message().is_empty());
        }
        assert_eq!(
            FormError::MultipartUnexpectedEnd.to_string(),
            "multipart body ended before its closing boundary"
        );
        let _: &dyn core::error::Error = &FormError::MalformedJson;
    }
}
