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
    endpoint_disabled_payload, submission_payload, test_payload, EventType, Meta, PayloadShape,
    Submission,
};
use formhook::file_link::FileLinkKey;
use formhook::form::{Fields, FileInfo};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::settings::{EndpointFields, EndpointSettings, FormFields, FormSettings};
use crate::views::{
    AttemptView, DeliveryDetail, DeliveryView, EndpointView, FormView, KeysView, Page, Released,
    Replayed, Rotated, SubmissionView, TestSent,
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

/// What a form answers to [`DeleteForm`].
#[derive(Debug, Serialize, Deserialize)]
pub struct FormDeleted {
    /// Its endpoints, for the caller to delete.
    pub endpoint_ids: Vec<String>,
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
    /// Deletes everything of a form.
    DeleteForm {} => FormDeleted, "/form/delete";
    /// Adds an endpoint id to a form.
    AddEndpoint { pub endpoint_id: String } => Done, "/form/endpoints/add";
    /// Removes an endpoint id (and its outbox rows) from a form.
    RemoveEndpoint { pub endpoint_id: String } => Done, "/form/endpoints/remove";
    /// A page of submissions; only spam (`Some(true)`) or only not spam (`Some(false)`).
    ListSubmissions { pub page: PageQuery, pub spam: Option<bool> } => Page<SubmissionView>, "/form/submissions/list";
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
    /// A page of deliveries.
    ListDeliveries { pub page: PageQuery, pub status: Option<DeliveryStatus> } => Page<DeliveryView>, "/endpoint/deliveries/list";
    /// One delivery with its payload and attempts.
    GetDelivery { pub id: String } => DeliveryDetail, "/endpoint/deliveries/get";
    /// A page of attempts.
    ListAttempts { pub page: PageQuery } => Page<AttemptView>, "/endpoint/attempts/list";
    /// Re-arm pending work after a restart.
    RecoverEndpoint {} => EndpointRecovered, "/endpoint/recover";
    /// The live ed25519 public keys (`GET /keys/{endpoint_id}`).
    PublicKeys {} => KeysView, "/endpoint/keys";

    /// Reserves a form id (`409 form_exists` if taken).
    ClaimForm { pub id: String, pub created_ms: i64 } => Done, "/registry/claim";
    /// Frees a form id.
    ReleaseForm { pub id: String } => Done, "/registry/release";
    /// Every form id, oldest first.
    ListForms {} => Vec<String>, "/registry/list";
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
}

impl Event {
    /// Its type.
    pub const fn event_type(&self) -> EventType {
        match self {
            Self::SubmissionCreated(_) => EventType::SubmissionCreated,
            Self::EndpointDisabled(_) => EventType::EndpointDisabled,
            Self::EndpointTest { .. } => EventType::EndpointTest,
        }
    }

    /// The submission it is about, if any.
    pub fn submission_id(&self) -> Option<&str> {
        match self {
            Self::SubmissionCreated(s) => Some(&s.id),
            _ => None,
        }
    }

    /// The payload bytes in `shape` (endpoint events always use the canonical envelope), with
    /// a signed link to each stored file.
    pub fn payload(&self, message_id: &str, shape: PayloadShape, links: FileLinks<'_>) -> Vec<u8> {
        match self {
            Self::SubmissionCreated(s) => submission_payload(
                message_id,
                EventType::SubmissionCreated,
                &Submission {
                    id: &s.id,
                    form_id: &s.form_id,
                    form_name: &s.form_name,
                    created_at_ms: s.created_ms,
                    data: &s.data,
                    files: &s.files,
                    file_urls: &s.file_urls(links),
                    meta: &s.meta,
                },
                shape,
            ),
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
        let payload = back.event.payload("msg_1", PayloadShape::Flat, links);
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
