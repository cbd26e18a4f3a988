//! Every message between the front worker and the Durable Objects, as types.
//!
//! A [`Call`] is a request type with its answer type and the path it is posted to; the
//! [`rpc`](crate::rpc) module sends and serves them as JSON. Two messages carry bytes instead:
//! an [`IngestRequest`] (the submitted body, framed after its JSON context).
//!
//! One submission keeps one shape from ingest to delivery: the form's object stores it and hands
//! it on as a [`Job`] carrying an [`Event::SubmissionCreated`]; each endpoint's object turns the
//! event into payload bytes in its own shape, stores those bytes, and signs and sends exactly them.

use formhook::delivery::{DeliveryStatus, DisabledReason};
use formhook::event::{
    endpoint_disabled_payload, submission_deleted_payload, submission_payload, test_payload,
    EventType, Meta, PayloadShape, Submission,
};
use formhook::file_link::FileLinkKey;
use formhook::form::{Fields, FileInfo};
use formhook::redact::Redaction;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::settings::{EndpointFields, EndpointSettings, FormFields, FormSettings};
use crate::views::{
    AttemptView, DeliveryDetail, DeliveryView, EndpointView, Erasure, FormView, KeysView, Page,
    Released, Replayed, ReplayedFailed, Rotated, SubmissionView, TestSent,
};

/// A request to an object, its answer, and where it goes.
pub trait Call: Serialize + DeserializeOwned {
    /// What the object answers.
    type Answer: Serialize + DeserializeOwned;
    /// The path inside the object.
    const PATH: &'static str;
}

macro_rules! calls {
    ($($(#[$doc:meta])* $name:ident $body:tt => $answer:ty, $path:literal;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Serialize, Deserialize)]
            pub struct $name $body
            impl Call for $name {
                type Answer = $answer;
                const PATH: &'static str = $path;
            }
        )*
    };
}

/// Nothing to answer but success.
#[derive(Debug, Serialize, Deserialize)]
pub struct Done {}

/// A page request: at most `limit` items older than `cursor` (an id).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PageQuery {
    /// 1 to 200.
    pub limit: u32,
    /// The last id of the previous page.
    pub cursor: Option<String>,
}

/// What narrows a list of submissions (see [`ListSubmissions`]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SubmissionFilter {
    /// Text every submission listed holds in a field value or a file name (case-insensitive
    /// for ASCII letters).
    pub q: Option<String>,
    /// Received at or after this Unix ms.
    pub since_ms: Option<i64>,
    /// Received before this Unix ms.
    pub until_ms: Option<i64>,
}

/// What a form answers to [`RecoverForm`].
#[derive(Debug, Serialize, Deserialize)]
pub struct FormRecovered {
    /// Its endpoints, for the caller to poke in turn.
    pub endpoint_ids: Vec<String>,
    /// Outbox rows waiting.
    pub outbox: u64,
}

/// What an endpoint answers to [`Enqueue`].
#[derive(Debug, Serialize, Deserialize)]
pub struct Enqueued {
    /// New deliveries stored (jobs already seen, or not subscribed, are not).
    pub queued: u64,
}

/// What an endpoint answers to [`RecoverEndpoint`].
#[derive(Debug, Serialize, Deserialize)]
pub struct EndpointRecovered {
    /// Pending deliveries.
    pub pending: u64,
}

calls! {
    /// Creates a form's object (`409 form_exists` if it has settings already).
    InitForm { pub settings: FormSettings } => FormView, "/form/init";
    /// The form.
    GetForm {} => FormView, "/form/get";
    /// Changes a form's settings.
    PatchForm { pub fields: FormFields } => FormView, "/form/patch";
    /// Erases everything of a form: its submissions and files, its endpoints' queues and logs,
    /// its registry entry. Recorded first, finished from the alarm if interrupted.
    DeleteForm {} => Erasure, "/form/delete";
    /// Erases one submission: its row and files, the payload copies in every endpoint's queue,
    /// its pending deliveries. Recorded first, finished from the alarm if interrupted.
    DeleteSubmission { pub id: String } => Erasure, "/form/submissions/delete";
    /// Adds an endpoint id to a form.
    AddEndpoint { pub endpoint_id: String } => Done, "/form/endpoints/add";
    /// Removes an endpoint id (and its outbox rows) from a form.
    RemoveEndpoint { pub endpoint_id: String } => Done, "/form/endpoints/remove";
    /// A page of submissions; only spam (`Some(true)`) or only not spam (`Some(false)`); `filter`
    /// narrows it further (search text, time window).
    ListSubmissions { pub page: PageQuery, pub spam: Option<bool>, #[serde(default)] pub filter: SubmissionFilter } => Page<SubmissionView>, "/form/submissions/list";
    /// The field names of the submissions a filter selects, in first-seen order (CSV columns).
    SubmissionColumns { pub spam: Option<bool>, pub filter: SubmissionFilter } => Vec<String>, "/form/submissions/columns";
    /// Marks a submission as not spam and hands it to every endpoint.
    MarkNotSpam { pub id: String } => Released, "/form/submissions/not-spam";
    /// One submission.
    GetSubmission { pub id: String } => SubmissionView, "/form/submissions/get";
    /// Hands a submission's event to one or every endpoint again (same `webhook-id`).
    ReplaySubmission { pub id: String, pub endpoint_id: Option<String> } => Replayed, "/form/submissions/replay";
    /// One of the form's endpoints was disabled: tell the others.
    EndpointDisabled { pub endpoint_id: String, pub reason: DisabledReason } => Done, "/form/endpoint-disabled";
    /// Re-arm pending work after a restart.
    RecoverForm {} => FormRecovered, "/form/recover";

    /// Creates an endpoint's object with `secret` as its HMAC secret (made when absent; ed25519
    /// keys are always made inside the object); answers with the HMAC secret, once.
    InitEndpoint { pub settings: EndpointSettings, pub secret: Option<String> } => EndpointView, "/endpoint/init";
    /// The endpoint.
    GetEndpoint {} => EndpointView, "/endpoint/get";
    /// Changes an endpoint's settings (the URL is checked by the caller).
    PatchEndpoint { pub fields: EndpointFields } => EndpointView, "/endpoint/patch";
    /// Deletes the endpoint and its log.
    DeleteEndpoint {} => Done, "/endpoint/delete";
    /// Adds a new secret; older ones sign on for the grace period.
    RotateSecret { pub grace_period_seconds: Option<u64>, pub secret: Option<String> } => Rotated, "/endpoint/rotate";
    /// Sends an `endpoint.test` event.
    SendTest {} => TestSent, "/endpoint/test";
    /// Stores a delivery per job (idempotent on each job's key).
    Enqueue { pub jobs: Vec<Job> } => Enqueued, "/endpoint/enqueue";
    /// A page of deliveries (only those of one submission, with `submission_id`).
    ListDeliveries { pub page: PageQuery, pub status: Option<DeliveryStatus>, #[serde(default)] pub submission_id: Option<String> } => Page<DeliveryView>, "/endpoint/deliveries/list";
    /// Attempts a pending delivery now (`409` when it is not pending, an attempt is in flight or
    /// the endpoint is disabled).
    RetryDelivery { pub id: String } => DeliveryView, "/endpoint/deliveries/retry";
    /// Sends a delivered, failed or skipped delivery again (same payload and `webhook-id`).
    ResendDelivery { pub id: String } => DeliveryView, "/endpoint/deliveries/resend";
    /// Sends every failed delivery again.
    ReplayFailed {} => ReplayedFailed, "/endpoint/deliveries/replay-failed";
    /// One delivery with its payload and attempts.
    GetDelivery { pub id: String } => DeliveryDetail, "/endpoint/deliveries/get";
    /// A page of attempts.
    ListAttempts { pub page: PageQuery } => Page<AttemptView>, "/endpoint/attempts/list";
    /// Re-arm pending work after a restart.
    RecoverEndpoint {} => EndpointRecovered, "/endpoint/recover";
    /// Removes the payload copies and answer excerpts of a submission's deliveries, cancels its
    /// pending ones, refuses it from now on, and queues `notice` (a `form.submission.deleted`
    /// job) if the endpoint takes it. Idempotent.
    EraseSubmission { pub submission_id: String, pub notice: Option<Job> } => Done, "/endpoint/erase";
    /// The form's retention (`None`: keep): stored, applied now and by the endpoint's alarm.
    Retain { pub retention_ms: Option<u64> } => Done, "/endpoint/retain";
    /// The live ed25519 public keys (`GET /keys/{endpoint_id}`).
    PublicKeys {} => KeysView, "/endpoint/keys";
    /// Runs one sending lane (the endpoint's alarm calls its own object once per lane when its
    /// window needs more connections than one invocation holds).
    RunLane {} => Done, "/endpoint/lane";

    /// Reserves a form id (`409 form_exists` if taken).
    ClaimForm { pub id: String, pub created_ms: i64 } => Done, "/registry/claim";
    /// Frees a form id.
    ReleaseForm { pub id: String } => Done, "/registry/release";
    /// Every form id, oldest first.
    ListForms {} => Vec<String>, "/registry/list";
    /// Whether a form id is taken.
    HasForm { pub id: String } => bool, "/registry/has";
    /// Lists endpoints (`complete`: every endpoint is listed now, from the recovery sweep).
    IndexEndpoints { pub entries: Vec<EndpointEntry>, pub complete: bool } => Done, "/registry/endpoints/add";
    /// Unlists an endpoint.
    UnlistEndpoint { pub id: String } => Done, "/registry/endpoints/remove";
    /// Whether an endpoint may exist: it is listed, or not every endpoint is listed yet.
    MayHaveEndpoint { pub id: String } => bool, "/registry/endpoints/has";

    /// The object's work counters (any object; not itself counted).
    ReadWork {} => crate::work::WorkCounts, "/work";
    /// Shard 0 of a form: copy the settings and endpoint list to the other shards.
    SyncShards {} => Done, "/form/shards/sync";
    /// A form's shard `k > 0`: take these settings and endpoints (from shard 0).
    TakeShard { pub settings: FormSettings, pub endpoint_ids: Vec<String> } => Done, "/form/shards/take";
}

/// The submission event's content: what the form stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SubmissionEvent {
    /// `sub_…`.
    pub id: String,
    /// The form id.
    pub form_id: String,
    /// The form's name.
    pub form_name: String,
    /// When it was received, Unix ms.
    pub created_ms: i64,
    /// The fields.
    pub data: Fields,
    /// The files (descriptions; bytes are in R2).
    pub files: Vec<FileInfo>,
    /// Request facts.
    pub meta: Meta,
    /// The worker's public origin its file links start with; `None` when the bytes of its files
    /// are not stored (the event's `url`s are then `null`).
    #[serde(default)]
    pub file_origin: Option<String>,
}

/// What file links in a payload are signed with, valid for how long from when.
#[derive(Clone, Copy, Debug)]
pub struct FileLinks<'a> {
    /// The worker's link key (`None`: no links, `url: null`).
    pub key: Option<&'a FileLinkKey>,
    /// Now, Unix seconds.
    pub now_secs: u64,
    /// The endpoint's `file_url_ttl`.
    pub ttl_secs: u64,
}

impl SubmissionEvent {
    /// The link to each file, by position (`None` for all when the bytes are not stored or the
    /// worker has no link key).
    pub fn file_urls(&self, links: FileLinks<'_>) -> Vec<Option<String>> {
        let (Some(origin), Some(key)) = (&self.file_origin, links.key) else {
            return Vec::new();
        };
        (0..self.files.len())
            .map(|index| {
                Some(crate::files::link(
                    key,
                    origin,
                    (&self.form_id, &self.id, index),
                    links.now_secs,
                    links.ttl_secs,
                ))
            })
            .collect()
    }
}

/// An endpoint was disabled.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DisabledEvent {
    /// Which.
    pub endpoint_id: String,
    /// Its form.
    pub form_id: String,
    /// Why.
    pub reason: DisabledReason,
    /// When, Unix ms.
    pub at_ms: i64,
}

/// What happened, with everything a payload is built from.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// `form.submission.created` (boxed: a submission with its meta is much larger than the
    /// other events).
    SubmissionCreated(Box<SubmissionEvent>),
    /// `endpoint.disabled`.
    EndpointDisabled(DisabledEvent),
    /// `endpoint.test`.
    EndpointTest {
        /// The endpoint tested.
        endpoint_id: String,
        /// Its form.
        form_id: String,
        /// When, Unix ms.
        at_ms: i64,
    },
    /// `form.submission.deleted`: ids only.
    SubmissionDeleted {
        /// The erased submission.
        submission_id: String,
        /// Its form.
        form_id: String,
        /// When, Unix ms.
        at_ms: i64,
    },
}

impl Event {
    /// Its type.
    pub const fn event_type(&self) -> EventType {
        match self {
            Self::SubmissionCreated(_) => EventType::SubmissionCreated,
            Self::EndpointDisabled(_) => EventType::EndpointDisabled,
            Self::EndpointTest { .. } => EventType::EndpointTest,
            Self::SubmissionDeleted { .. } => EventType::SubmissionDeleted,
        }
    }

    /// The submission it is about, if any.
    pub fn submission_id(&self) -> Option<&str> {
        match self {
            Self::SubmissionCreated(s) => Some(&s.id),
            Self::SubmissionDeleted { submission_id, .. } => Some(submission_id),
            _ => None,
        }
    }

    /// The payload bytes in `shape`, with only what `redaction` keeps of a submission and a
    /// signed link to each stored file kept (endpoint and deletion events always use the
    /// canonical envelope and carry no form data).
    pub fn payload(
        &self,
        message_id: &str,
        shape: PayloadShape,
        redaction: &Redaction,
        links: FileLinks<'_>,
    ) -> Vec<u8> {
        match self {
            Self::SubmissionCreated(s) => {
                let urls = s.file_urls(links);
                let (data, files) = redaction.apply(&s.data, &s.files);
                // The links of the files kept, by their original position.
                let kept_urls: Vec<Option<String>> = if files.is_empty() {
                    Vec::new()
                } else {
                    s.files
                        .iter()
                        .zip(urls)
                        .filter(|(file, _)| redaction.keeps(&file.field))
                        .map(|(_, url)| url)
                        .collect()
                };
                submission_payload(
                    message_id,
                    EventType::SubmissionCreated,
                    &Submission {
                        id: &s.id,
                        form_id: &s.form_id,
                        form_name: &s.form_name,
                        created_at_ms: s.created_ms,
                        data: &data,
                        files: &files,
                        file_urls: &kept_urls,
                        meta: &s.meta,
                    },
                    shape,
                )
            }
            Self::SubmissionDeleted {
                submission_id,
                form_id,
                at_ms,
            } => submission_deleted_payload(message_id, form_id, submission_id, *at_ms),
            Self::EndpointDisabled(d) => endpoint_disabled_payload(
                message_id,
                &d.endpoint_id,
                &d.form_id,
                &d.reason.describe(),
                d.at_ms,
            ),
            Self::EndpointTest {
                endpoint_id,
                form_id,
                at_ms,
            } => test_payload(message_id, endpoint_id, form_id, *at_ms),
        }
    }
}

/// An endpoint and its form, as the registry lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointEntry {
    /// `ep_…`.
    pub id: String,
    /// Its form.
    pub form_id: String,
}

/// One event for one endpoint's queue.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// Idempotency key: a job seen twice is stored once.
    pub key: String,
    /// The event id (`webhook-id`), stable across retries and replays.
    pub message_id: String,
    /// Sent by a replay.
    pub replay: bool,
    /// The event.
    pub event: Event,
}

/// Request facts the front worker passes with a submitted body.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IngestContext {
    /// The request's `Content-Type`.
    pub content_type: String,
    /// The request's `Origin`.
    pub origin: Option<String>,
    /// Client IP, country, user agent, referer.
    pub meta: Meta,
    /// The worker's public origin (`PUBLIC_URL`, else the request URL's), for file links.
    #[serde(default)]
    pub public_origin: Option<String>,
}

/// What a form answers to an ingest.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IngestAnswer {
    /// `sub_…`.
    pub id: String,
    /// Stored as spam.
    pub spam: bool,
    /// Where an HTML post goes next.
    pub redirect_url: Option<String>,
}

/// The path an [`IngestRequest`] is posted to.
pub const INGEST_PATH: &str = "/form/ingest";

/// A submitted body and its context, framed as `u32 (big-endian) length ‖ context JSON ‖ body`,
/// so the body travels as bytes (no JSON escaping, no base64).
#[derive(Debug)]
pub struct IngestRequest {
    /// Request facts.
    pub context: IngestContext,
    /// The body as received.
    pub body: Vec<u8>,
}

impl IngestRequest {
    /// The framed bytes.
    pub fn encode(&self) -> ApiResult<Vec<u8>> {
        let context = serde_json::to_vec(&self.context).map_err(ApiError::internal)?;
        let len = u32::try_from(context.len()).map_err(ApiError::internal)?;
        let mut out = Vec::with_capacity(4 + context.len() + self.body.len());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&context);
        out.extend_from_slice(&self.body);
        Ok(out)
    }

    /// Reads framed bytes.
    pub fn decode(mut framed: Vec<u8>) -> ApiResult<Self> {
        let bad = || ApiError::internal("malformed ingest frame");
        let len_bytes: [u8; 4] = framed
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        let end = 4 + u32::from_be_bytes(len_bytes) as usize;
        let context = serde_json::from_slice(framed.get(4..end).ok_or_else(bad)?)
            .map_err(ApiError::internal)?;
        // Drop the header in place: the body (up to the form's limit) is never copied.
        framed.drain(..end);
        Ok(Self {
            context,
            body: framed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No link key: files carry `url: null`.
    const NO_LINKS: FileLinks<'static> = FileLinks {
        key: None,
        now_secs: 0,
        ttl_secs: 0,
    };

    #[test]
    fn an_ingest_frame_round_trips_any_bytes() {
        let request = IngestRequest {
            context: IngestContext {
                content_type: "multipart/form-data; boundary=x".into(),
                origin: Some("https://example.com".into()),
                meta: Meta {
                    ip: Some("2001:db8::1".into()),
                    ..Meta::default()
                },
                public_origin: Some("https://forms.example".into()),
            },
            body: vec![0, 255, 10, 13, b'"'],
        };
        let decoded = IngestRequest::decode(request.encode().unwrap()).unwrap();
        assert_eq!(decoded.body, request.body);
        assert_eq!(decoded.context.content_type, request.context.content_type);
        assert_eq!(decoded.context.meta, request.context.meta);
        assert_eq!(decoded.context.public_origin, request.context.public_origin);
        assert!(IngestRequest::decode(vec![0, 0, 0, 9, b'{']).is_err());
        assert!(IngestRequest::decode(vec![0, 0]).is_err());
    }

    #[test]
    fn payloads_carry_only_what_the_redaction_keeps() {
        let mut data = Fields::new();
        data.insert("email".into(), "a@b.co".into());
        data.insert("note".into(), "private".into());
        let event = Event::SubmissionCreated(Box::new(SubmissionEvent {
            id: "sub_1".into(),
            form_id: "f".into(),
            form_name: "F".into(),
            created_ms: 0,
            data,
            files: vec![FileInfo {
                field: "cv".into(),
                filename: "cv.pdf".into(),
                content_type: "application/pdf".into(),
                size: 1,
                sha256: "00".repeat(32),
                range: 0..1,
            }],
            meta: Meta {
                ip: Some("192.0.2.1".into()),
                ..Meta::default()
            },
            file_origin: None,
        }));
        let redaction =
            Redaction::new(None, vec!["note".into()], formhook::redact::FileList::None).unwrap();
        for shape in PayloadShape::ALL {
            let text =
                String::from_utf8(event.payload("msg_1", shape, &redaction, NO_LINKS)).unwrap();
            assert!(
                text.contains("a@b.co") && !text.contains("private"),
                "{text}"
            );
            assert!(!text.contains("cv.pdf"), "{text}");
        }
        let canonical: serde_json::Value = serde_json::from_slice(&event.payload(
            "msg_1",
            PayloadShape::Canonical,
            &redaction,
            NO_LINKS,
        ))
        .unwrap();
        assert_eq!(canonical["submission"]["meta"]["ip"], "192.0.2.1");
        let deleted = Event::SubmissionDeleted {
            submission_id: "sub_1".into(),
            form_id: "f".into(),
            at_ms: 0,
        };
        assert_eq!(deleted.submission_id(), Some("sub_1"));
        let value: serde_json::Value = serde_json::from_slice(&deleted.payload(
            "msg_2",
            PayloadShape::Answers,
            &Redaction::default(),
            NO_LINKS,
        ))
        .unwrap();
        assert_eq!(value["type"], "form.submission.deleted");
        assert_eq!(
            value["data"],
            serde_json::json!({"form_id": "f", "submission_id": "sub_1"})
        );
    }

    #[test]
    fn a_job_keeps_its_event_typed() {
        let job = Job {
            key: "sub:s".into(),
            message_id: "msg_1".into(),
            replay: false,
            event: Event::EndpointDisabled(DisabledEvent {
                endpoint_id: "ep_1".into(),
                form_id: "f".into(),
                reason: DisabledReason::Gone,
                at_ms: 0,
            }),
        };
        let text = serde_json::to_string(&job).unwrap();
        let back: Job = serde_json::from_str(&text).unwrap();
        assert_eq!(back.event.event_type(), EventType::EndpointDisabled);
        let links = FileLinks {
            key: None,
            now_secs: 0,
            ttl_secs: 0,
        };
        let payload = back
            .event
            .payload("msg_1", PayloadShape::Flat, &Redaction::default(), links);
        let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(value["data"]["reason"], "the receiver answered 410 Gone");
    }

    fn submission(file_origin: Option<&str>) -> Event {
        let file = |name: &str| FileInfo {
            field: "cv".into(),
            filename: name.into(),
            content_type: "text/plain".into(),
            size: 1,
            sha256: "ab".repeat(32),
            range: 0..1,
        };
        Event::SubmissionCreated(Box::new(SubmissionEvent {
            id: "sub_1".into(),
            form_id: "f".into(),
            form_name: "F".into(),
            created_ms: 0,
            data: Fields::new(),
            files: vec![file("a.txt"), file("b.txt")],
            meta: Meta::default(),
            file_origin: file_origin.map(str::to_string),
        }))
    }

    #[test]
    fn stored_files_get_a_signed_link_each_and_others_none() {
        let key = FileLinkKey::new(b"0123456789abcdef0123456789abcdef").unwrap();
        let links = FileLinks {
            key: Some(&key),
            now_secs: 1_000,
            ttl_secs: 60,
        };
        let payload = submission(Some("https://forms.example")).payload(
            "msg_1",
            PayloadShape::Canonical,
            &Redaction::default(),
            links,
        );
        let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        let files = value["submission"]["files"].as_array().unwrap();
        for (index, file) in files.iter().enumerate() {
            let url = file["url"].as_str().unwrap();
            let rest = url.strip_prefix("https://forms.example").unwrap();
            let (path, query) = rest.split_once('?').unwrap();
            assert_eq!(path, format!("/files/f/sub_1/{index}"));
            let (exp, sig) = query.split_once("&sig=").unwrap();
            assert_eq!(exp, "exp=1060");
            assert_eq!(
                formhook::file_link::verify(&key, path, Some("1060"), Some(sig), 1_059),
                Ok(())
            );
        }
        // Not stored (or no key): every url is null.
        for (origin, key) in [(None, Some(&key)), (Some("https://forms.example"), None)] {
            let payload = submission(origin).payload(
                "msg_1",
                PayloadShape::Flat,
                &Redaction::default(),
                FileLinks {
                    key,
                    now_secs: 1_000,
                    ttl_secs: 60,
                },
            );
            let value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(value["files"][0]["url"], serde_json::Value::Null);
            assert_eq!(value["files"][1]["name"], "b.txt");
        }
    }
}
