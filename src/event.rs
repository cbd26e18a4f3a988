//! Event payloads as compact JSON, one example per [`PayloadShape`]; keys appear in exactly this order.
//! - Canonical: `{"type":"form.submission.created","id":"evt_1","created_at":"2026-11-24T06:00:00.123Z","form":{"id":"f_1","name":"Contact"},"submission":{"id":"s_1","data":{"email":"a@b.co"},"files":[],"meta":{"ip":null,"country":null,"user_agent":null,"referer":null}}}`
//! - Flat: `{"event":"form.submission.created","form_id":"f_1","submission_id":"s_1","created_at":"2026-11-24T06:00:00.123Z","data":{"email":"a@b.co"},"files":[],"meta":{"ip":null,"country":null,"user_agent":null,"referer":null}}`
//! - Answers: `{"event":"form.response.completed","formId":"f_1","formTitle":"Contact","responseId":"s_1","answers":[{"question":"email","answer":"a@b.co"}],"timestamp":"2026-11-24T06:00:00.123Z"}`
//! - Endpoint events, [`test_payload`] and [`endpoint_disabled_payload`]: `{"type":"endpoint.test","id":"evt_2","created_at":"…","data":{"endpoint_id":"ep_1","form_id":"f_1"}}`
//! - An erased submission, [`submission_deleted_payload`] (ids only): `{"type":"form.submission.deleted","id":"evt_3","created_at":"…","data":{"form_id":"f_1","submission_id":"s_1"}}`

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::captcha::Verdict;
use crate::form::{Fields, FileInfo};
use crate::time::rfc3339_millis;

/// What happened; the string form is the payload's `type` (or `event`) value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// A form submission was received: `form.submission.created`.
    #[serde(rename = "form.submission.created")]
    SubmissionCreated,
    /// A test delivery requested for an endpoint: `endpoint.test`.
    #[serde(rename = "endpoint.test")]
    EndpointTest,
    /// An endpoint was disabled (e.g. after repeated failures): `endpoint.disabled`.
    #[serde(rename = "endpoint.disabled")]
    EndpointDisabled,
    /// A submission was erased on request: `form.submission.deleted`. Carries ids only.
    #[serde(rename = "form.submission.deleted")]
    SubmissionDeleted,
}

impl EventType {
    /// Every event type.
    pub const ALL: [Self; 4] = [
        Self::SubmissionCreated,
        Self::EndpointTest,
        Self::EndpointDisabled,
        Self::SubmissionDeleted,
    ];

    /// The wire name, e.g. `form.submission.created`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SubmissionCreated => "form.submission.created",
            Self::EndpointTest => "endpoint.test",
            Self::EndpointDisabled => "endpoint.disabled",
            Self::SubmissionDeleted => "form.submission.deleted",
        }
    }

    /// The inverse of [`EventType::as_str`] (exact, case-sensitive match); `None` otherwise.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "form.submission.created" => Some(Self::SubmissionCreated),
            "endpoint.test" => Some(Self::EndpointTest),
            "endpoint.disabled" => Some(Self::EndpointDisabled),
            "form.submission.deleted" => Some(Self::SubmissionDeleted),
            _ => None,
        }
    }
}

/// Which JSON layout a submission payload uses (see the module docs for one example each).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadShape {
    /// formhook's own layout: `{type, id, created_at, form, submission}`. The default.
    #[default]
    Canonical,
    /// One level, as splitforms sends: `{event, form_id, submission_id, created_at, data, files, meta}`.
    Flat,
    /// A list of question/answer pairs, as GudForm sends:
    /// `{event, formId, formTitle, responseId, answers, timestamp}`.
    Answers,
}

impl PayloadShape {
    /// Every shape.
    pub const ALL: [Self; 3] = [Self::Canonical, Self::Flat, Self::Answers];

    /// The config name: `canonical`, `flat` or `answers` (same as the serde form).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Canonical => "canonical",
            Self::Flat => "flat",
            Self::Answers => "answers",
        }
    }

    /// The inverse of [`PayloadShape::as_str`] (exact, case-sensitive match); `None` otherwise.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "canonical" => Some(Self::Canonical),
            "flat" => Some(Self::Flat),
            "answers" => Some(Self::Answers),
            _ => None,
        }
    }
}

/// Request facts recorded with a submission. Unknown values are `None` and serialize as `null`;
/// all four keys are always present, in this order: `ip`, `country`, `user_agent`, `referer`.
/// A fifth, `captcha` (a [`Verdict`]), follows only when the form checks a captcha, so the
/// payloads of forms without one are unchanged. Missing keys deserialize as `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Meta {
    /// Client IP address as text.
    pub ip: Option<String>,
    /// Client country, as given by the edge (typically ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The `Referer` header.
    pub referer: Option<String>,
    /// The captcha check's verdict, when the form checks one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captcha: Option<Verdict>,
    /// The charset the form was decoded from (its WHATWG name), when it was not UTF-8: a receiver
    /// sees that a legacy page's bytes were read as, say, `windows-1252`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
}

/// One stored submission, borrowed, as input to [`submission_payload`].
#[derive(Clone, Copy, Debug)]
pub struct Submission<'a> {
    /// Submission id.
    pub id: &'a str,
    /// Id of the form submitted to.
    pub form_id: &'a str,
    /// Human-readable form name.
    pub form_name: &'a str,
    /// When the submission was received, Unix milliseconds.
    pub created_at_ms: i64,
    /// Non-file fields in submission order.
    pub data: &'a Fields,
    /// Uploaded files in the order sent.
    pub files: &'a [FileInfo],
    /// A download link for each file, by position in `files` (`None`, or a missing entry, for a
    /// file whose bytes are not stored): the event's `url`.
    pub file_urls: &'a [Option<String>],
    /// Request facts.
    pub meta: &'a Meta,
}

/// Builds the compact JSON payload for a submission event in the given shape.
///
/// Key order is fixed (as listed on each [`PayloadShape`] variant and in the module docs); `data`
/// keeps submission order, repeated keys are arrays, each file is
/// `{field, filename, name, content_type, size, sha256, url}` (`filename` as sent, `name` its
/// [base name](FileInfo::base_name), `url` from [`Submission::file_urls`] or `null`) and `meta`
/// always has all four keys.
/// `created_at`/`timestamp` is [`rfc3339_millis`] of `sub.created_at_ms`.
///
/// - Canonical uses `event_id` as `id`; Flat and Answers carry no event id (matching those
///   services), so deliver it in headers (e.g. `webhook-id`).
/// - Answers: `event` is `form.response.completed` for [`EventType::SubmissionCreated`], else
///   [`EventType::as_str`]. Answers list every `data` field in order (`answer` is the value as
///   stored: string, array for repeated keys, or any JSON value), then one answer per file field
///   in order of first appearance, whose `answer` is
///   `{filename, name, content_type, size, sha256, url}`,
///   or an array of those when several files share the field.
///
/// Infallible: every serialized value is a string, integer, `Option<String>` or
/// `serde_json::Value` under string keys, none of which can make `serde_json` fail; should that
/// ever change, the result is `{}` rather than a panic.
pub fn submission_payload(
    event_id: &str,
    event_type: EventType,
    sub: &Submission<'_>,
    shape: PayloadShape,
) -> Vec<u8> {
    let created_at = rfc3339_millis(sub.created_at_ms);
    let files: Vec<FileEntry<'_>> = sub
        .files
        .iter()
        .enumerate()
        .map(|(i, info)| FileEntry::of(info, sub.file_urls.get(i).and_then(Option::as_deref)))
        .collect();
    match shape {
        PayloadShape::Canonical => to_json(&CanonicalSubmission {
            kind: event_type.as_str(),
            id: event_id,
            created_at: &created_at,
            form: FormRef {
                id: sub.form_id,
                name: sub.form_name,
            },
            submission: SubmissionBody {
                id: sub.id,
                data: sub.data,
                files: &files,
                meta: sub.meta,
            },
        }),
        PayloadShape::Flat => to_json(&FlatSubmission {
            event: event_type.as_str(),
            form_id: sub.form_id,
            submission_id: sub.id,
            created_at: &created_at,
            data: sub.data,
            files: &files,
            meta: sub.meta,
        }),
        PayloadShape::Answers => to_json(&AnswersSubmission {
            event: match event_type {
                EventType::SubmissionCreated => "form.response.completed",
                other => other.as_str(),
            },
            form_id: sub.form_id,
            form_title: sub.form_name,
            response_id: sub.id,
            answers: answers(sub.data, &files),
            timestamp: &created_at,
        }),
    }
}

/// Builds the `endpoint.disabled` event, canonical envelope:
/// `{"type":"endpoint.disabled","id":event_id,"created_at":…,"data":{"endpoint_id","form_id","reason"}}`.
///
/// `created_at` is [`rfc3339_millis`] of `at_ms`. Infallible (see [`submission_payload`]).
pub fn endpoint_disabled_payload(
    event_id: &str,
    endpoint_id: &str,
    form_id: &str,
    reason: &str,
    at_ms: i64,
) -> Vec<u8> {
    envelope(
        EventType::EndpointDisabled,
        event_id,
        at_ms,
        DisabledData {
            endpoint_id,
            form_id,
            reason,
        },
    )
}

/// Builds the `endpoint.test` event, canonical envelope:
/// `{"type":"endpoint.test","id":event_id,"created_at":…,"data":{"endpoint_id","form_id"}}`.
///
/// Arguments in the same order as [`endpoint_disabled_payload`].
/// `created_at` is [`rfc3339_millis`] of `at_ms`. Infallible (see [`submission_payload`]).
pub fn test_payload(event_id: &str, endpoint_id: &str, form_id: &str, at_ms: i64) -> Vec<u8> {
    envelope(
        EventType::EndpointTest,
        event_id,
        at_ms,
        TestData {
            endpoint_id,
            form_id,
        },
    )
}

/// Builds the `form.submission.deleted` event, canonical envelope, ids only (the submission's
/// data is gone; this tells a receiver to erase its own copy):
/// `{"type":"form.submission.deleted","id":event_id,"created_at":…,"data":{"form_id","submission_id"}}`.
///
/// `created_at` is [`rfc3339_millis`] of `at_ms`. Infallible (see [`submission_payload`]).
pub fn submission_deleted_payload(
    event_id: &str,
    form_id: &str,
    submission_id: &str,
    at_ms: i64,
) -> Vec<u8> {
    envelope(
        EventType::SubmissionDeleted,
        event_id,
        at_ms,
        DeletedData {
            form_id,
            submission_id,
        },
    )
}

/// Serializes compactly; `{}` on the (unreachable for this module's types) error path.
fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

fn answers<'a>(data: &'a Fields, files: &[FileEntry<'a>]) -> Vec<Answer<'a>> {
    let mut out: Vec<Answer<'a>> = data
        .iter()
        .map(|(question, value)| Answer {
            question,
            answer: AnswerValue::Value(value),
        })
        .collect();
    // Group files by field, in order of first appearance.
    let mut groups: Vec<(&'a str, Vec<FileAnswer<'a>>)> = Vec::new();
    for file in files {
        let entry = FileAnswer::from(file);
        match groups.iter_mut().find(|(field, _)| *field == file.field) {
            Some((_, list)) => list.push(entry),
            None => groups.push((file.field, alloc::vec![entry])),
        }
    }
    out.extend(groups.into_iter().map(|(question, list)| Answer {
        question,
        answer: match <[FileAnswer<'a>; 1]>::try_from(list) {
            Ok([only]) => AnswerValue::File(only),
            Err(several) => AnswerValue::Files(several),
        },
    }));
    out
}

#[derive(Serialize)]
struct CanonicalSubmission<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
    created_at: &'a str,
    form: FormRef<'a>,
    submission: SubmissionBody<'a>,
}

#[derive(Serialize)]
struct FormRef<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct SubmissionBody<'a> {
    id: &'a str,
    data: &'a Fields,
    files: &'a [FileEntry<'a>],
    meta: &'a Meta,
}

#[derive(Serialize)]
struct FlatSubmission<'a> {
    event: &'a str,
    form_id: &'a str,
    submission_id: &'a str,
    created_at: &'a str,
    data: &'a Fields,
    files: &'a [FileEntry<'a>],
    meta: &'a Meta,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnswersSubmission<'a> {
    event: &'a str,
    form_id: &'a str,
    form_title: &'a str,
    response_id: &'a str,
    answers: Vec<Answer<'a>>,
    timestamp: &'a str,
}

#[derive(Serialize)]
struct Answer<'a> {
    question: &'a str,
    answer: AnswerValue<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum AnswerValue<'a> {
    Value(&'a Value),
    File(FileAnswer<'a>),
    Files(Vec<FileAnswer<'a>>),
}

/// A file as events list it.
#[derive(Serialize)]
struct FileEntry<'a> {
    field: &'a str,
    filename: &'a str,
    name: &'a str,
    content_type: &'a str,
    size: u64,
    sha256: &'a str,
    url: Option<&'a str>,
}

impl<'a> FileEntry<'a> {
    fn of(info: &'a FileInfo, url: Option<&'a str>) -> Self {
        Self {
            field: &info.field,
            filename: &info.filename,
            name: info.base_name(),
            content_type: &info.content_type,
            size: info.size,
            sha256: &info.sha256,
            url,
        }
    }
}

#[derive(Serialize)]
struct FileAnswer<'a> {
    filename: &'a str,
    name: &'a str,
    content_type: &'a str,
    size: u64,
    sha256: &'a str,
    url: Option<&'a str>,
}

impl<'a> From<&FileEntry<'a>> for FileAnswer<'a> {
    fn from(f: &FileEntry<'a>) -> Self {
        Self {
            filename: f.filename,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            url: f.url,
        }
    }
}

/// The canonical envelope of an event without form data, as JSON bytes.
fn envelope<D: Serialize>(kind: EventType, event_id: &str, at_ms: i64, data: D) -> Vec<u8> {
    to_json(&Envelope {
        kind: kind.as_str(),
        id: event_id,
        created_at: &rfc3339_millis(at_ms),
        data,
    })
}

#[derive(Serialize)]
struct Envelope<'a, D> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
    created_at: &'a str,
    data: D,
}

#[derive(Serialize)]
struct DisabledData<'a> {
    endpoint_id: &'a str,
    form_id: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct DeletedData<'a> {
    form_id: &'a str,
    submission_id: &'a str,
}

#[derive(Serialize)]
struct TestData<'a> {
    endpoint_id: &'a str,
    form_id: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use serde_json::json;

    const AT: i64 = 1_795_500_000_123;
    const AT_TEXT: &str = "2026-11-24T06:00:00.123Z";

    fn file(field: &str, filename: &str, size: u64) -> FileInfo {
        FileInfo {
            field: field.to_string(),
            filename: filename.to_string(),
            content_type: "application/pdf".to_string(),
            size,
            sha256: "ab".repeat(32),
            range: 10..20,
        }
    }

    fn parse(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap_or(Value::Null)
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Data with insertion order that differs from alphabetical, a repeated key and a nested value.
    fn sample_data() -> Fields {
        let mut data = Fields::new();
        data.insert("zeta".into(), json!("last letter, first field"));
        data.insert("email".into(), json!("a@b.co"));
        data.insert("topics".into(), json!(["x", "y"]));
        data.insert("alpha".into(), json!({"n": 1, "ok": true}));
        data
    }

    fn meta_partial() -> Meta {
        Meta {
            ip: Some("203.0.113.7".into()),
            country: None,
            user_agent: Some("curl/8".into()),
            referer: None,
            captcha: None,
            charset: None,
        }
    }

    #[test]
    fn canonical_exact() {
        let data = sample_data();
        let files = vec![file("cv", "C:\\docs\\cv.pdf", 1234)];
        let urls = [Some(
            "https://forms.example/files/f_1/s_1/0?exp=1&sig=ab".to_string(),
        )];
        let meta = meta_partial();
        let sub = Submission {
            id: "s_1",
            form_id: "f_1",
            form_name: "Contact",
            created_at_ms: AT,
            data: &data,
            files: &files,
            file_urls: &urls,
            meta: &meta,
        };
        let bytes = submission_payload(
            "evt_1",
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Canonical,
        );
        let v = parse(&bytes);
        assert_eq!(
            v,
            json!({
                "type": "form.submission.created",
                "id": "evt_1",
                "created_at": AT_TEXT,
                "form": {"id": "f_1", "name": "Contact"},
                "submission": {
                    "id": "s_1",
                    "data": {
                        "zeta": "last letter, first field",
                        "email": "a@b.co",
                        "topics": ["x", "y"],
                        "alpha": {"n": 1, "ok": true}
                    },
                    "files": [{
                        "field": "cv",
                        "filename": "C:\\docs\\cv.pdf",
                        "name": "cv.pdf",
                        "content_type": "application/pdf",
                        "size": 1234,
                        "sha256": "ab".repeat(32),
                        "url": "https://forms.example/files/f_1/s_1/0?exp=1&sig=ab"
                    }],
                    "meta": {"ip": "203.0.113.7", "country": null, "user_agent": "curl/8", "referer": null}
                }
            })
        );
        // Map equality ignores order; check order explicitly.
        assert_eq!(keys(&v), ["type", "id", "created_at", "form", "submission"]);
        assert_eq!(keys(&v["form"]), ["id", "name"]);
        assert_eq!(keys(&v["submission"]), ["id", "data", "files", "meta"]);
        assert_eq!(
            keys(&v["submission"]["data"]),
            ["zeta", "email", "topics", "alpha"]
        );
        assert_eq!(keys(&v["submission"]["data"]["alpha"]), ["n", "ok"]);
        assert_eq!(
            keys(&v["submission"]["files"][0]),
            [
                "field",
                "filename",
                "name",
                "content_type",
                "size",
                "sha256",
                "url"
            ]
        );
        assert_eq!(
            keys(&v["submission"]["meta"]),
            ["ip", "country", "user_agent", "referer"]
        );
        // Compact: no whitespace outside strings.
        assert!(
            bytes.starts_with(br#"{"type":"form.submission.created","id":"evt_1","created_at":"#)
        );
        assert!(!bytes.contains(&b'\n'));
    }

    #[test]
    fn canonical_uses_given_event_type() {
        let data = Fields::new();
        let meta = Meta::default();
        let sub = Submission {
            id: "s",
            form_id: "f",
            form_name: "n",
            created_at_ms: 0,
            data: &data,
            files: &[],
            file_urls: &[],
            meta: &meta,
        };
        let v = parse(&submission_payload(
            "e",
            EventType::EndpointTest,
            &sub,
            PayloadShape::Canonical,
        ));
        assert_eq!(v["type"], "endpoint.test");
        assert_eq!(v["created_at"], "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn flat_exact() {
        let data = sample_data();
        let files = vec![file("cv", "cv.pdf", 1), file("cv", "cover.pdf", 2)];
        let meta = meta_partial();
        let sub = Submission {
            id: "s_1",
            form_id: "f_1",
            form_name: "Contact",
            created_at_ms: AT,
            data: &data,
            files: &files,
            file_urls: &[],
            meta: &meta,
        };
        let v = parse(&submission_payload(
            "evt_1",
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Flat,
        ));
        assert_eq!(
            v,
            json!({
                "event": "form.submission.created",
                "form_id": "f_1",
                "submission_id": "s_1",
                "created_at": AT_TEXT,
                "data": {
                    "zeta": "last letter, first field",
                    "email": "a@b.co",
                    "topics": ["x", "y"],
                    "alpha": {"n": 1, "ok": true}
                },
                "files": [
                    {"field": "cv", "filename": "cv.pdf", "name": "cv.pdf", "content_type": "application/pdf", "size": 1, "sha256": "ab".repeat(32), "url": null},
                    {"field": "cv", "filename": "cover.pdf", "name": "cover.pdf", "content_type": "application/pdf", "size": 2, "sha256": "ab".repeat(32), "url": null}
                ],
                "meta": {"ip": "203.0.113.7", "country": null, "user_agent": "curl/8", "referer": null}
            })
        );
        assert_eq!(
            keys(&v),
            [
                "event",
                "form_id",
                "submission_id",
                "created_at",
                "data",
                "files",
                "meta"
            ]
        );
        assert_eq!(keys(&v["data"]), ["zeta", "email", "topics", "alpha"]);
        assert_eq!(keys(&v["meta"]), ["ip", "country", "user_agent", "referer"]);
        assert!(v.get("id").is_none());
    }

    #[test]
    fn answers_exact() {
        let data = sample_data();
        let files = vec![
            file("cv", "cv.pdf", 1),
            file("photo", "me.png", 3),
            file("cv", "cover.pdf", 2),
        ];
        let meta = meta_partial();
        let sub = Submission {
            id: "s_1",
            form_id: "f_1",
            form_name: "Contact",
            created_at_ms: AT,
            data: &data,
            files: &files,
            file_urls: &[Some("u0".into()), Some("u1".into())],
            meta: &meta,
        };
        let v = parse(&submission_payload(
            "evt_1",
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Answers,
        ));
        let h = "ab".repeat(32);
        assert_eq!(
            v,
            json!({
                "event": "form.response.completed",
                "formId": "f_1",
                "formTitle": "Contact",
                "responseId": "s_1",
                "answers": [
                    {"question": "zeta", "answer": "last letter, first field"},
                    {"question": "email", "answer": "a@b.co"},
                    {"question": "topics", "answer": ["x", "y"]},
                    {"question": "alpha", "answer": {"n": 1, "ok": true}},
                    {"question": "cv", "answer": [
                        {"filename": "cv.pdf", "name": "cv.pdf", "content_type": "application/pdf", "size": 1, "sha256": h, "url": "u0"},
                        {"filename": "cover.pdf", "name": "cover.pdf", "content_type": "application/pdf", "size": 2, "sha256": h, "url": null}
                    ]},
                    {"question": "photo", "answer":
                        {"filename": "me.png", "name": "me.png", "content_type": "application/pdf", "size": 3, "sha256": h, "url": "u1"}
                    }
                ],
                "timestamp": AT_TEXT
            })
        );
        assert_eq!(
            keys(&v),
            [
                "event",
                "formId",
                "formTitle",
                "responseId",
                "answers",
                "timestamp"
            ]
        );
        let questions: Vec<&str> = v["answers"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x["question"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            questions,
            ["zeta", "email", "topics", "alpha", "cv", "photo"]
        );
        assert_eq!(keys(&v["answers"][0]), ["question", "answer"]);
        assert_eq!(
            keys(&v["answers"][5]["answer"]),
            ["filename", "name", "content_type", "size", "sha256", "url"]
        );
    }

    #[test]
    fn answers_event_name_for_other_types() {
        let data = Fields::new();
        let meta = Meta::default();
        let sub = Submission {
            id: "s",
            form_id: "f",
            form_name: "n",
            created_at_ms: 0,
            data: &data,
            files: &[],
            file_urls: &[],
            meta: &meta,
        };
        let v = parse(&submission_payload(
            "e",
            EventType::EndpointTest,
            &sub,
            PayloadShape::Answers,
        ));
        assert_eq!(v["event"], "endpoint.test");
    }

    #[test]
    fn empty_data_every_shape() {
        let data = Fields::new();
        let meta = Meta::default();
        let sub = Submission {
            id: "s",
            form_id: "f",
            form_name: "",
            created_at_ms: AT,
            data: &data,
            files: &[],
            file_urls: &[],
            meta: &meta,
        };
        let null_meta = json!({"ip": null, "country": null, "user_agent": null, "referer": null});
        let c = parse(&submission_payload(
            "e",
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Canonical,
        ));
        assert_eq!(
            c["submission"],
            json!({"id": "s", "data": {}, "files": [], "meta": null_meta})
        );
        assert_eq!(c["form"], json!({"id": "f", "name": ""}));
        let f = parse(&submission_payload(
            "e",
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Flat,
        ));
        assert_eq!(f["data"], json!({}));
        assert_eq!(f["files"], json!([]));
        assert_eq!(f["meta"], null_meta);
        let a = parse(&submission_payload(
            "e",
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Answers,
        ));
        assert_eq!(a["answers"], json!([]));
        assert_eq!(a["formTitle"], "");
    }

    #[test]
    fn escaping_round_trips_every_shape() {
        let tricky = "say \"hi\"\nline2\ttab \\ back / é ü 日本 🎉 \u{0001} </script>";
        let key = "na\"me\n🎉";
        let mut data = Fields::new();
        data.insert(key.into(), json!(tricky));
        let files = vec![FileInfo {
            field: "f\"ile".into(),
            filename: "résumé \"v2\"\n.pdf".into(),
            content_type: "application/pdf".into(),
            size: 0,
            sha256: String::new(),
            range: 0..0,
        }];
        let meta = Meta {
            ip: None,
            country: Some("DE".into()),
            user_agent: Some(tricky.into()),
            referer: Some("https://例え.jp/?q=\"x\"".into()),
            captcha: None,
            charset: None,
        };
        let sub = Submission {
            id: "s\"1",
            form_id: "f\n1",
            form_name: tricky,
            created_at_ms: -1,
            data: &data,
            files: &files,
            file_urls: &[],
            meta: &meta,
        };
        let c = parse(&submission_payload(
            tricky,
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Canonical,
        ));
        assert_eq!(c["id"], tricky);
        assert_eq!(c["created_at"], "1969-12-31T23:59:59.999Z");
        assert_eq!(c["form"], json!({"id": "f\n1", "name": tricky}));
        assert_eq!(c["submission"]["id"], "s\"1");
        assert_eq!(keys(&c["submission"]["data"]), [key]);
        assert_eq!(c["submission"]["data"][key], tricky);
        assert_eq!(c["submission"]["files"][0]["field"], "f\"ile");
        assert_eq!(
            c["submission"]["files"][0]["filename"],
            "résumé \"v2\"\n.pdf"
        );
        assert_eq!(
            c["submission"]["meta"],
            json!({"ip": null, "country": "DE", "user_agent": tricky, "referer": "https://例え.jp/?q=\"x\""})
        );

        let f = parse(&submission_payload(
            "e",
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Flat,
        ));
        assert_eq!(f["data"][key], tricky);
        assert_eq!(f["form_id"], "f\n1");
        assert_eq!(f["meta"]["user_agent"], tricky);

        let a = parse(&submission_payload(
            "e",
            EventType::SubmissionCreated,
            &sub,
            PayloadShape::Answers,
        ));
        assert_eq!(
            a["answers"],
            json!([
                {"question": key, "answer": tricky},
                {"question": "f\"ile", "answer": {"filename": "résumé \"v2\"\n.pdf", "name": "résumé \"v2\"\n.pdf", "content_type": "application/pdf", "size": 0, "sha256": "", "url": null}}
            ])
        );
        assert_eq!(a["formTitle"], tricky);
        assert_eq!(a["responseId"], "s\"1");
    }

    #[test]
    fn endpoint_disabled_exact() {
        let bytes = endpoint_disabled_payload("evt_9", "ep_1", "f_1", "410 Gone\n\"stop\"", AT);
        let v = parse(&bytes);
        assert_eq!(
            v,
            json!({
                "type": "endpoint.disabled",
                "id": "evt_9",
                "created_at": AT_TEXT,
                "data": {"endpoint_id": "ep_1", "form_id": "f_1", "reason": "410 Gone\n\"stop\""}
            })
        );
        assert_eq!(keys(&v), ["type", "id", "created_at", "data"]);
        assert_eq!(keys(&v["data"]), ["endpoint_id", "form_id", "reason"]);
    }

    #[test]
    fn test_payload_exact() {
        let bytes = test_payload("evt_2", "ep_1", "f_1", 0);
        assert_eq!(
            bytes,
            br#"{"type":"endpoint.test","id":"evt_2","created_at":"1970-01-01T00:00:00.000Z","data":{"endpoint_id":"ep_1","form_id":"f_1"}}"#
        );
    }

    #[test]
    fn submission_deleted_payload_carries_ids_only() {
        let bytes = submission_deleted_payload("msg_3", "f_1", "sub_1", 0);
        assert_eq!(
            bytes,
            br#"{"type":"form.submission.deleted","id":"msg_3","created_at":"1970-01-01T00:00:00.000Z","data":{"form_id":"f_1","submission_id":"sub_1"}}"#
        );
    }

    #[test]
    fn module_doc_examples_are_exact() {
        let mut data = Fields::new();
        data.insert("email".into(), json!("a@b.co"));
        let meta = Meta::default();
        let sub = Submission {
            id: "s_1",
            form_id: "f_1",
            form_name: "Contact",
            created_at_ms: AT,
            data: &data,
            files: &[],
            file_urls: &[],
            meta: &meta,
        };
        let ev = EventType::SubmissionCreated;
        assert_eq!(
            submission_payload("evt_1", ev, &sub, PayloadShape::Canonical),
            br#"{"type":"form.submission.created","id":"evt_1","created_at":"2026-11-24T06:00:00.123Z","form":{"id":"f_1","name":"Contact"},"submission":{"id":"s_1","data":{"email":"a@b.co"},"files":[],"meta":{"ip":null,"country":null,"user_agent":null,"referer":null}}}"#
        );
        assert_eq!(
            submission_payload("evt_1", ev, &sub, PayloadShape::Flat),
            br#"{"event":"form.submission.created","form_id":"f_1","submission_id":"s_1","created_at":"2026-11-24T06:00:00.123Z","data":{"email":"a@b.co"},"files":[],"meta":{"ip":null,"country":null,"user_agent":null,"referer":null}}"#
        );
        assert_eq!(
            submission_payload("evt_1", ev, &sub, PayloadShape::Answers),
            br#"{"event":"form.response.completed","formId":"f_1","formTitle":"Contact","responseId":"s_1","answers":[{"question":"email","answer":"a@b.co"}],"timestamp":"2026-11-24T06:00:00.123Z"}"#
        );
    }

    #[test]
    fn enums_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).ok(), Some(json!(t.as_str())));
            assert_eq!(
                serde_json::from_value::<EventType>(json!(t.as_str())).ok(),
                Some(t)
            );
        }
        assert_eq!(EventType::parse("form.response.completed"), None);
        for s in [
            PayloadShape::Canonical,
            PayloadShape::Flat,
            PayloadShape::Answers,
        ] {
            assert_eq!(PayloadShape::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).ok(), Some(json!(s.as_str())));
            assert_eq!(
                serde_json::from_value::<PayloadShape>(json!(s.as_str())).ok(),
                Some(s)
            );
        }
        assert_eq!(PayloadShape::default(), PayloadShape::Canonical);
        assert_eq!(PayloadShape::parse("Flat"), None);
        assert_eq!(PayloadShape::parse(""), None);
    }

    #[test]
    fn meta_serde() {
        let m = meta_partial();
        let text = serde_json::to_string(&m).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"ip":"203.0.113.7","country":null,"user_agent":"curl/8","referer":null}"#
        );
        assert_eq!(serde_json::from_str::<Meta>(&text).ok(), Some(m));
        assert_eq!(
            serde_json::from_str::<Meta>("{}").ok(),
            Some(Meta::default())
        );
        assert_eq!(
            serde_json::from_str::<Meta>(r#"{"country":"FR"}"#).ok(),
            Some(Meta {
                country: Some("FR".into()),
                ..Meta::default()
            })
        );
    }

    #[test]
    fn a_captcha_verdict_follows_the_four_request_facts() {
        let data = Fields::new();
        let without = meta_partial();
        let with = Meta {
            captcha: Some(Verdict {
                provider: crate::captcha::Provider::Recaptcha,
                success: true,
                hostname: Some("example.com".into()),
                action: Some("submit".into()),
                score: Some(0.9),
                error_codes: vec![],
            }),
            ..meta_partial()
        };
        let payload = |meta: &Meta, shape| {
            String::from_utf8(submission_payload(
                "evt_1",
                EventType::SubmissionCreated,
                &Submission {
                    id: "s_1",
                    form_id: "f_1",
                    form_name: "Contact",
                    created_at_ms: AT,
                    data: &data,
                    files: &[],
                    file_urls: &[],
                    meta,
                },
                shape,
            ))
            .unwrap_or_default()
        };
        // Without a verdict the bytes are those documented in the module docs.
        let plain = payload(&without, PayloadShape::Flat);
        assert!(
            plain.ends_with(r#""meta":{"ip":"203.0.113.7","country":null,"user_agent":"curl/8","referer":null}}"#),
            "{plain}"
        );
        let checked = payload(&with, PayloadShape::Canonical);
        assert!(
            checked.ends_with(r#""meta":{"ip":"203.0.113.7","country":null,"user_agent":"curl/8","referer":null,"captcha":{"provider":"recaptcha","success":true,"hostname":"example.com","action":"submit","score":0.9}}}}"#),
            "{checked}"
        );
        let back: Meta = serde_json::from_str(&serde_json::to_string(&with).unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(back, with);
    }
}
