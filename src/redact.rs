//! Per-endpoint redaction: which of a submission's fields and files one endpoint receives.
//!
//! A [`Redaction`] is checked once, when an endpoint's settings are saved, and applied to every
//! submission event built for that endpoint ([`Redaction::apply`]), so the payload that is
//! signed, sent and kept in the endpoint's log is already the redacted one.
//!
//! - `include` (when given): only fields with these names are kept.
//! - `exclude`: fields with these names are dropped.
//! - Both given: `include` first, then `exclude` (a name in both is dropped).
//! - Files are fields too: a file sent under a field name that is not kept is dropped;
//!   [`FileList::None`] drops every file entry.
//! - Names match exactly (case-sensitive), as the form sent them (`tags[]` is not `tags`).
//! - The event's request facts (`meta`) are never touched: they are not form fields.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::form::{Fields, FileInfo};

/// Most names in `include` or `exclude`.
pub const MAX_NAMES: usize = 200;
/// Longest field name in `include` or `exclude`, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// Whether file entries are delivered; serialized as its settings name.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FileList {
    /// Every kept file is listed (with its link, where the deployment serves files). The default.
    #[default]
    Url,
    /// No file entries at all.
    None,
}

impl FileList {
    /// Both modes.
    pub const ALL: [Self; 2] = [Self::Url, Self::None];

    /// The settings name: `url` or `none`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Url => "url",
            Self::None => "none",
        }
    }

    /// The inverse of [`FileList::as_str`] (exact match); `None` otherwise.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "url" => Some(Self::Url),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Why a redaction setting was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedactionError {
    /// `include` or `exclude` lists more than [`MAX_NAMES`] names.
    TooManyNames,
    /// A name is empty (no form field has an empty name).
    EmptyName,
    /// A name is longer than [`MAX_NAME_BYTES`].
    NameTooLong,
    /// `include` is an empty list: nothing would ever be delivered (use `files: none` and an
    /// `include` naming the fields wanted, or drop the endpoint).
    EmptyInclude,
}

impl RedactionError {
    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooManyNames => "redaction_too_many_names",
            Self::EmptyName => "redaction_empty_name",
            Self::NameTooLong => "redaction_name_too_long",
            Self::EmptyInclude => "redaction_empty_include",
        }
    }

    /// A sentence for people.
    pub const fn message(self) -> &'static str {
        match self {
            Self::TooManyNames => "at most 200 field names",
            Self::EmptyName => "a field name cannot be empty",
            Self::NameTooLong => "a field name is at most 256 bytes",
            Self::EmptyInclude => {
                "include lists no field: nothing would be delivered (leave it out to keep every field)"
            }
        }
    }
}

impl fmt::Display for RedactionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for RedactionError {}

/// What one endpoint receives of each submission. The default keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redaction {
    include: Option<Vec<String>>,
    exclude: Vec<String>,
    files: FileList,
}

fn check_names(names: &[String]) -> Result<(), RedactionError> {
    if names.len() > MAX_NAMES {
        return Err(RedactionError::TooManyNames);
    }
    for name in names {
        if name.is_empty() {
            return Err(RedactionError::EmptyName);
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(RedactionError::NameTooLong);
        }
    }
    Ok(())
}

impl Redaction {
    /// A checked redaction (see the module docs for what each part does).
    pub fn new(
        include: Option<Vec<String>>,
        exclude: Vec<String>,
        files: FileList,
    ) -> Result<Self, RedactionError> {
        if let Some(names) = &include {
            if names.is_empty() {
                return Err(RedactionError::EmptyInclude);
            }
            check_names(names)?;
        }
        check_names(&exclude)?;
        Ok(Self {
            include,
            exclude,
            files,
        })
    }

    /// The names kept, when limited.
    pub fn include(&self) -> Option<&[String]> {
        self.include.as_deref()
    }

    /// The names dropped.
    pub fn exclude(&self) -> &[String] {
        &self.exclude
    }

    /// Whether file entries are delivered.
    pub const fn files(&self) -> FileList {
        self.files
    }

    /// Whether this redaction removes nothing.
    pub fn keeps_everything(&self) -> bool {
        self.include.is_none() && self.exclude.is_empty() && self.files == FileList::Url
    }

    /// Whether a field (or a file's field) named `name` is delivered.
    pub fn keeps(&self, name: &str) -> bool {
        let included = self
            .include
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name));
        included && !self.exclude.iter().any(|n| n == name)
    }

    /// The fields and files this endpoint receives, in their original order.
    pub fn apply(&self, data: &Fields, files: &[FileInfo]) -> (Fields, Vec<FileInfo>) {
        let kept_data = data
            .iter()
            .filter(|(name, _)| self.keeps(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let kept_files = match self.files {
            FileList::None => Vec::new(),
            FileList::Url => files
                .iter()
                .filter(|file| self.keeps(&file.field))
                .cloned()
                .collect(),
        };
        (kept_data, kept_files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use serde_json::{json, Value};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    fn data() -> Fields {
        match json!({"name": "Ada", "email": "ada@example.com", "phone": "555", "tags": ["a", "b"]})
        {
            Value::Object(map) => map,
            _ => Fields::new(),
        }
    }

    fn file(field: &str) -> FileInfo {
        FileInfo {
            field: field.to_string(),
            filename: "x.pdf".to_string(),
            content_type: "application/pdf".to_string(),
            size: 1,
            sha256: "00".repeat(32),
            range: 0..1,
        }
    }

    fn kept(r: &Redaction) -> (Vec<String>, Vec<String>) {
        let (d, f) = r.apply(&data(), &[file("cv"), file("passport"), file("cv")]);
        (
            d.keys().cloned().collect(),
            f.into_iter().map(|f| f.field).collect(),
        )
    }

    #[test]
    fn the_default_keeps_everything_in_order() {
        let r = Redaction::default();
        assert!(r.keeps_everything());
        assert_eq!(
            kept(&r),
            (
                names(&["name", "email", "phone", "tags"]),
                names(&["cv", "passport", "cv"])
            )
        );
    }

    #[test]
    fn include_keeps_only_named_fields_and_files() {
        let r = Redaction::new(Some(names(&["email", "cv"])), vec![], FileList::Url).unwrap();
        assert_eq!(kept(&r), (names(&["email"]), names(&["cv", "cv"])));
        let (d, _) = r.apply(&data(), &[]);
        assert_eq!(d.get("email"), Some(&json!("ada@example.com")));
    }

    #[test]
    fn exclude_drops_named_fields_and_files() {
        let r = Redaction::new(None, names(&["phone", "passport"]), FileList::Url).unwrap();
        assert_eq!(
            kept(&r),
            (names(&["name", "email", "tags"]), names(&["cv", "cv"]))
        );
    }

    #[test]
    fn include_then_exclude_when_both_are_given() {
        let r = Redaction::new(
            Some(names(&["name", "email", "cv"])),
            names(&["email"]),
            FileList::Url,
        )
        .unwrap();
        assert_eq!(kept(&r), (names(&["name"]), names(&["cv", "cv"])));
    }

    #[test]
    fn files_none_drops_every_file_but_no_field() {
        let r = Redaction::new(None, vec![], FileList::None).unwrap();
        assert!(!r.keeps_everything());
        assert_eq!(
            kept(&r),
            (names(&["name", "email", "phone", "tags"]), vec![])
        );
    }

    #[test]
    fn names_match_exactly() {
        let r = Redaction::new(None, names(&["Email", "tag"]), FileList::Url).unwrap();
        assert_eq!(kept(&r).0, names(&["name", "email", "phone", "tags"]));
    }

    #[test]
    fn bad_settings_are_refused_with_their_code() {
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        let many: Vec<String> = (0..=MAX_NAMES).map(|i| i.to_string()).collect();
        let cases = [
            (
                Redaction::new(Some(vec![]), vec![], FileList::Url),
                "redaction_empty_include",
            ),
            (
                Redaction::new(None, names(&[""]), FileList::Url),
                "redaction_empty_name",
            ),
            (
                Redaction::new(Some(vec![long]), vec![], FileList::Url),
                "redaction_name_too_long",
            ),
            (
                Redaction::new(None, many, FileList::Url),
                "redaction_too_many_names",
            ),
        ];
        for (result, code) in cases {
            assert_eq!(result.map_err(RedactionError::code), Err(code));
        }
        assert!(Redaction::new(None, vec!["x".repeat(MAX_NAME_BYTES)], FileList::Url).is_ok());
    }

    #[test]
    fn file_list_names_round_trip() {
        for mode in FileList::ALL {
            assert_eq!(FileList::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(FileList::parse("URL"), None);
        assert_eq!(
            serde_json::to_value(FileList::None).ok(),
            Some(json!("none"))
        );
    }
}
