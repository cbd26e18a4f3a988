//! The character encoding a form was sent in, named by WHATWG Encoding Standard labels.

use super::FormError;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use encoding_rs::Encoding;

/// A character encoding of the WHATWG Encoding Standard (UTF-8, windows-1252, Shift_JIS, …)
/// in which a browser sent a form's names and values.
///
/// Browsers submit a form in its page's encoding (or its `accept-charset`), so a form on a
/// windows-1252 or Shift_JIS page sends bytes in that encoding. [`Charset::UTF_8`] is the
/// default.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Charset(&'static Encoding);

impl Charset {
    /// UTF-8, what every modern page and script sends.
    pub const UTF_8: Self = Self(encoding_rs::UTF_8);

    /// The encoding a label names (`"utf-8"`, `"latin1"`, `"Shift_JIS"`, `"sjis"`, …), matched
    /// as the WHATWG Encoding Standard does: case-insensitively, surrounding whitespace ignored.
    ///
    /// UTF-16 labels give UTF-8, as browsers submit forms of UTF-16 pages in UTF-8 (the
    /// standard's "output encoding"). `None` for unknown labels and for those of the
    /// "replacement" encoding (`iso-2022-kr`, `hz-gb-2312`, …), which decode nothing.
    #[must_use]
    pub fn from_label(label: &str) -> Option<Self> {
        Encoding::for_label_no_replacement(label.as_bytes()).map(|e| Self(e.output_encoding()))
    }

    /// The encoding's canonical name (`"UTF-8"`, `"windows-1252"`, `"Shift_JIS"`), the value a
    /// browser puts in a `_charset_` field.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Decodes `bytes` strictly: a byte sequence the encoding does not define is an error,
    /// never a replacement character.
    pub(crate) fn decode(self, bytes: Vec<u8>) -> Result<String, FormError> {
        if self == Self::UTF_8 {
            return String::from_utf8(bytes).map_err(|_| FormError::InvalidUtf8);
        }
        self.0
            .decode_without_bom_handling_and_without_replacement(&bytes)
            .map(alloc::borrow::Cow::into_owned)
            .ok_or(FormError::InvalidEncoding)
    }
}

impl Default for Charset {
    fn default() -> Self {
        Self::UTF_8
    }
}

impl fmt::Debug for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for (label, name) in [
            ("utf-8", "UTF-8"),
            (" UTF8\t", "UTF-8"),
            ("unicode-1-1-utf-8", "UTF-8"),
            ("latin1", "windows-1252"),
            ("ISO-8859-1", "windows-1252"),
            ("us-ascii", "windows-1252"),
            ("windows-1252", "windows-1252"),
            ("Shift_JIS", "Shift_JIS"),
            ("sjis", "Shift_JIS"),
            ("euc-jp", "EUC-JP"),
            ("gbk", "GBK"),
            ("koi8-r", "KOI8-R"),
            ("utf-16le", "UTF-8"),
            ("utf-16", "UTF-8"),
        ] {
            assert_eq!(
                Charset::from_label(label).map(Charset::name),
                Some(name),
                "{label}"
            );
        }
        for label in ["", "utf-7", "iso-2022-kr", "hz-gb-2312", "replacement", "x"] {
            assert_eq!(Charset::from_label(label), None, "{label}");
        }
        assert_eq!(Charset::default(), Charset::UTF_8);
        assert_eq!(alloc::format!("{:?}", Charset::UTF_8), "UTF-8");
    }

    #[test]
    fn strict_decoding() {
        let latin = Charset::from_label("windows-1252").unwrap_or_default();
        let decode = |charset: Charset, bytes: &[u8]| charset.decode(bytes.to_vec());
        assert_eq!(decode(latin, b"caf\xe9 \x80"), Ok(String::from("café €")));
        let sjis = Charset::from_label("shift_jis").unwrap_or_default();
        // 表 is 0x95 0x5C: its second byte is an ASCII backslash.
        assert_eq!(decode(sjis, b"\x95\x5c\x83\x5c"), Ok(String::from("表ソ")));
        assert_eq!(decode(sjis, b"\x95"), Err(FormError::InvalidEncoding));
        assert_eq!(decode(Charset::UTF_8, b"\xe9"), Err(FormError::InvalidUtf8));
        assert_eq!(
            decode(Charset::UTF_8, "é".as_bytes()),
            Ok(String::from("é"))
        );
    }
}
