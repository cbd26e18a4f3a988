//! The OpenAPI 3.1 document of the HTTP API, generated from the same types the worker reads and
//! writes (settings fields, views, errors), so it cannot drift from what the API accepts.
//! `scripts/openapi` writes it to `worker/openapi.json`; a test fails when the committed file
//! differs from what the types produce.

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::error::ErrorBody;
use crate::http::admin::{ReplayFields, RotateFields};
use crate::settings::{EndpointFields, FormFields};
use crate::views::{
    Accepted, AttemptView, CaptchaWidget, DeliveryDetail, DeliveryView, EndpointView, Erasure,
    FormView, Health, KeysView, List, Page, Released, Replayed, ReplayedFailed, Rotated,
    SubmissionView, TestSent,
};

struct Operation {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    request: Option<Schema>,
    status: u16,
    response: Option<Schema>,
    query: &'static [(&'static str, &'static str)],
    errors: &'static [(u16, &'static str)],
}

const PAGE_QUERY: &[(&str, &str)] = &[
    ("limit", "1 to 200 (default 50)"),
    ("cursor", "the last id of the previous page"),
];
const DELIVERY_QUERY: &[(&str, &str)] = &[
    ("limit", "1 to 200 (default 50)"),
    ("cursor", "the last id of the previous page"),
    ("status", "pending, delivered, failed or skipped"),
    ("submission_id", "only the deliveries of this submission"),
];
const SUBMISSION_QUERY: &[(&str, &str)] = &[
    ("limit", "1 to 200 (default 50)"),
    ("cursor", "the last id of the previous page"),
    ("spam", "true: only spam; false: only not spam"),
    ("q", "text a field value or file name holds (case-insensitive for ASCII letters; at most 200 bytes)"),
    ("since", "received at or after: RFC 3339, a date (midnight UTC) or Unix ms"),
    ("until", "received before: RFC 3339, a date (midnight UTC) or Unix ms"),
    ("format", "csv: the CSV export (as GET /api/forms/{form_id}/submissions.csv)"),
];
const EXPORT_QUERY: &[(&str, &str)] = &[
    ("spam", "true: only spam; false: only not spam"),
    ("q", "text a field value or file name holds (case-insensitive for ASCII letters; at most 200 bytes)"),
    ("since", "received at or after: RFC 3339, a date (midnight UTC) or Unix ms"),
    ("until", "received before: RFC 3339, a date (midnight UTC) or Unix ms"),
];
const BODY_ERRORS: &[(u16, &str)] = &[
    (400, "invalid_json"),
    (422, "invalid_field, reserved_header, url_not_allowed"),
];
const NOT_FOUND: &[(u16, &str)] = &[(404, "form_not_found, endpoint_not_found, …")];

fn operations(g: &mut SchemaGenerator) -> Vec<Operation> {
    let mut ops = Vec::new();
    let mut op = |method,
                  path,
                  summary,
                  request: Option<Schema>,
                  status,
                  response: Option<Schema>,
                  query,
                  errors| {
        ops.push(Operation {
            method,
            path,
            summary,
            request,
            status,
            response,
            query,
            errors,
        });
    };
    let forms = "/api/forms";
    let form = "/api/forms/{form_id}";
    let endpoints = "/api/forms/{form_id}/endpoints";
    let endpoint = "/api/forms/{form_id}/endpoints/{endpoint_id}";
    op(
        "get",
        "/health",
        "Liveness; the first request after a start also re-arms pending work",
        None,
        200,
        Some(g.subschema_for::<Health>()),
        &[],
        &[],
    );
    op("post", "/f/{form_id}", "Submit a form (urlencoded, multipart or JSON). HTML posts get 303 to the redirect URL; scripts get 201 JSON", None, 201, Some(g.subschema_for::<Accepted>()), &[], &[(400, "the parser's code"), (403, "origin_not_allowed, captcha_required, captcha_failed (with error_codes)"), (404, "form_not_found"), (413, "body_too_large (max_body_bytes), fields_too_large, file_too_large (max_file_bytes)"), (415, "unsupported_content_type"), (429, "rate_limited, form_rate_limited (with Retry-After)"), (503, "captcha_unavailable (with Retry-After and error_codes), file_store_failed, upload_expired"), (507, "storage_quota_exceeded"), (508, "delivery_loop")]);
    op(
        "get",
        "/f/{form_id}/captcha",
        "What a page needs to render the form's captcha widget (public; never the secret)",
        None,
        200,
        Some(g.subschema_for::<CaptchaWidget>()),
        &[],
        &[(404, "form_not_found, captcha_not_set")],
    );
    op("get", "/files/{form_id}/{submission_id}/{index}", "Download an uploaded file through the signed, expiring link an event carries (no token; always an attachment with nosniff and a sandboxing CSP)", None, 200, None, &[("exp", "expiry, Unix seconds"), ("sig", "HMAC-SHA256 of the path and exp, hex")], &[(403, "link_malformed, link_invalid, link_expired"), (404, "file_not_found, file_links_off")]);
    op("get", "/keys/{endpoint_id}", "The endpoint's live ed25519 public keys (whpk_), for receivers verifying v1a signatures; public, no token", None, 200, Some(g.subschema_for::<KeysView>()), &[], &[(404, "endpoint_not_found")]);
    op(
        "get",
        forms,
        "List forms",
        None,
        200,
        Some(g.subschema_for::<List<FormView>>()),
        &[],
        &[],
    );
    op(
        "post",
        forms,
        "Create a form",
        Some(g.subschema_for::<FormFields>()),
        201,
        Some(g.subschema_for::<FormView>()),
        &[],
        &[
            (400, "invalid_json"),
            (409, "form_exists"),
            (422, "invalid_field"),
        ],
    );
    op(
        "get",
        form,
        "Get a form",
        None,
        200,
        Some(g.subschema_for::<FormView>()),
        &[],
        NOT_FOUND,
    );
    op(
        "patch",
        form,
        "Change a form's settings",
        Some(g.subschema_for::<FormFields>()),
        200,
        Some(g.subschema_for::<FormView>()),
        &[],
        BODY_ERRORS,
    );
    op(
        "delete",
        form,
        "Erase a form: its submissions, files, endpoints' queues and logs, registry entry (204 done; 202: recorded, finishing from the form's alarm)",
        None,
        204,
        None,
        &[],
        NOT_FOUND,
    );
    op(
        "get",
        endpoints,
        "List a form's endpoints",
        None,
        200,
        Some(g.subschema_for::<List<EndpointView>>()),
        &[],
        NOT_FOUND,
    );
    op(
        "post",
        endpoints,
        "Create an endpoint; the answer holds its secret, shown only now",
        Some(g.subschema_for::<EndpointFields>()),
        201,
        Some(g.subschema_for::<EndpointView>()),
        &[],
        BODY_ERRORS,
    );
    op(
        "get",
        endpoint,
        "Get an endpoint",
        None,
        200,
        Some(g.subschema_for::<EndpointView>()),
        &[],
        NOT_FOUND,
    );
    op(
        "patch",
        endpoint,
        "Change an endpoint's settings",
        Some(g.subschema_for::<EndpointFields>()),
        200,
        Some(g.subschema_for::<EndpointView>()),
        &[],
        BODY_ERRORS,
    );
    op(
        "delete",
        endpoint,
        "Delete an endpoint and its delivery log",
        None,
        204,
        None,
        &[],
        NOT_FOUND,
    );
    op(
        "post",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/enable",
        "Enable an endpoint (clears its failing run)",
        None,
        200,
        Some(g.subschema_for::<EndpointView>()),
        &[],
        NOT_FOUND,
    );
    op(
        "post",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/disable",
        "Disable an endpoint; new deliveries are logged as skipped",
        None,
        200,
        Some(g.subschema_for::<EndpointView>()),
        &[],
        NOT_FOUND,
    );
    op(
        "post",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/rotate-secret",
        "Add a new secret; older ones keep signing for the grace period",
        Some(g.subschema_for::<RotateFields>()),
        200,
        Some(g.subschema_for::<Rotated>()),
        &[],
        BODY_ERRORS,
    );
    op(
        "post",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/test",
        "Send an endpoint.test event",
        None,
        202,
        Some(g.subschema_for::<TestSent>()),
        &[],
        NOT_FOUND,
    );
    op(
        "get",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/deliveries",
        "List deliveries, newest first",
        None,
        200,
        Some(g.subschema_for::<Page<DeliveryView>>()),
        DELIVERY_QUERY,
        &[(422, "invalid_field")],
    );
    op(
        "get",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/deliveries/{delivery_id}",
        "A delivery with the exact body sent and its attempts",
        None,
        200,
        Some(g.subschema_for::<DeliveryDetail>()),
        &[],
        &[(404, "delivery_not_found")],
    );
    op(
        "post",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
        "Attempt a pending delivery now instead of at its scheduled time",
        None,
        200,
        Some(g.subschema_for::<DeliveryView>()),
        &[],
        &[
            (404, "delivery_not_found"),
            (
                409,
                "delivery_not_pending, attempt_in_flight, endpoint_disabled",
            ),
        ],
    );
    op(
        "post",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/deliveries/{delivery_id}/resend",
        "Send a delivered, failed or skipped delivery again (same payload and webhook-id; its attempt count goes on)",
        None,
        200,
        Some(g.subschema_for::<DeliveryView>()),
        &[],
        &[
            (404, "delivery_not_found"),
            (409, "delivery_pending, endpoint_disabled"),
        ],
    );
    op(
        "post",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/replay-failed",
        "Send every failed delivery of the endpoint again",
        None,
        200,
        Some(g.subschema_for::<ReplayedFailed>()),
        &[],
        &[(409, "endpoint_disabled")],
    );
    op(
        "get",
        "/api/forms/{form_id}/endpoints/{endpoint_id}/attempts",
        "List attempts, newest first",
        None,
        200,
        Some(g.subschema_for::<Page<AttemptView>>()),
        PAGE_QUERY,
        &[(422, "invalid_field")],
    );
    op(
        "get",
        "/api/forms/{form_id}/work",
        "Work counters of the form's object and its endpoints' objects (requests, SQL rows, alarms, calls, attempts) since each instance started",
        None,
        200,
        Some(g.subschema_for::<crate::work::WorkView>()),
        &[],
        NOT_FOUND,
    );
    op(
        "get",
        "/api/forms/{form_id}/submissions",
        "List submissions, newest first",
        None,
        200,
        Some(g.subschema_for::<Page<SubmissionView>>()),
        SUBMISSION_QUERY,
        &[(422, "invalid_field")],
    );
    op(
        "get",
        "/api/forms/{form_id}/submissions.csv",
        "Export submissions as CSV (text/csv, streamed, newest first): submission_id, received_at, spam, one column per field, files (names), ip, country, user_agent, referer; cells a spreadsheet would run as formulas start with '",
        None,
        200,
        None,
        EXPORT_QUERY,
        &[(422, "invalid_field")],
    );
    op(
        "get",
        "/api/forms/{form_id}/submissions/{submission_id}",
        "Get a submission",
        None,
        200,
        Some(g.subschema_for::<SubmissionView>()),
        &[],
        &[(404, "submission_not_found")],
    );
    op(
        "delete",
        "/api/forms/{form_id}/submissions/{submission_id}",
        "Erase a submission: its data, files, the payload copies in every endpoint's log; its pending deliveries are cancelled (204 done; 202: recorded, finishing from the form's alarm)",
        None,
        204,
        None,
        &[],
        &[(404, "form_not_found, submission_not_found")],
    );
    op(
        "get",
        "/api/forms/{form_id}/submissions/{submission_id}/files/{index}",
        "Download a stored file from R2 (always as an attachment with nosniff and a sandboxing CSP)",
        None,
        200,
        None,
        &[],
        &[(404, "submission_not_found, file_not_found"), (503, "file_store_failed")],
    );
    op(
        "post",
        "/api/forms/{form_id}/submissions/{submission_id}/replay",
        "Deliver a submission's event again (same webhook-id) to one or all endpoints",
        Some(g.subschema_for::<ReplayFields>()),
        202,
        Some(g.subschema_for::<Replayed>()),
        &[],
        &[(404, "submission_not_found, endpoint_not_found")],
    );
    op(
        "post",
        "/api/forms/{form_id}/submissions/{submission_id}/not-spam",
        "Mark a submission as not spam and deliver it (once per endpoint)",
        None,
        200,
        Some(g.subschema_for::<Released>()),
        &[],
        &[(404, "submission_not_found")],
    );
    ops
}

fn parameters(op: &Operation) -> Vec<Value> {
    let mut params: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    params.extend(op.query.iter().map(|(name, description)| {
        json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}})
    }));
    params
}

/// The whole document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let error = generator.subschema_for::<ErrorBody>();
    let mut paths = Map::new();
    for op in operations(&mut generator) {
        let mut responses = Map::new();
        let ok = match &op.response {
            Some(schema) => {
                json!({"description": "OK", "content": {"application/json": {"schema": schema}}})
            }
            None => json!({"description": "OK"}),
        };
        responses.insert(op.status.to_string(), ok);
        let admin = op.path.starts_with("/api/");
        let auth_errors: &[(u16, &str)] = if admin {
            &[
                (401, "unauthorized"),
                (503, "admin_disabled, admin_token_weak"),
            ]
        } else {
            &[]
        };
        for (status, codes) in op.errors.iter().chain(auth_errors) {
            responses.insert(
                status.to_string(),
                json!({"description": format!("error: {codes}"), "content": {"application/json": {"schema": error}}}),
            );
        }
        let mut operation = Map::new();
        operation.insert("summary".into(), json!(op.summary));
        operation.insert("parameters".into(), json!(parameters(&op)));
        if let Some(request) = &op.request {
            operation.insert(
                "requestBody".into(),
                json!({"required": false, "content": {"application/json": {"schema": request}}}),
            );
        }
        operation.insert("responses".into(), Value::Object(responses));
        if admin {
            operation.insert("security".into(), json!([{"bearer": []}]));
        }
        if let Value::Object(entry) = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}))
        {
            entry.insert(op.method.to_string(), Value::Object(operation));
        }
    }
    // An erasure a crash or an unreachable endpoint interrupts is recorded and answered 202.
    let erasure = generator.subschema_for::<Erasure>();
    for path in [
        "/api/forms/{form_id}",
        "/api/forms/{form_id}/submissions/{submission_id}",
    ] {
        if let Some(Value::Object(responses)) = paths
            .get_mut(path)
            .and_then(|p| p.get_mut("delete"))
            .and_then(|d| d.get_mut("responses"))
        {
            responses.insert(
                "202".into(),
                json!({"description": "Recorded; the form's object finishes the erasure from its alarm (also after a restart)", "content": {"application/json": {"schema": erasure}}}),
            );
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "formhook worker",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Form ingest and the admin API of the formhook edge worker. Generated from the worker's types (scripts/openapi).",
        },
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    })
}

/// The document as committed: pretty JSON with a trailing newline.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_document_is_what_the_types_produce() {
        let committed = include_str!("../openapi.json");
        let generated = super::document_text();
        assert!(
            committed == generated,
            "worker/openapi.json is out of date: run scripts/openapi and commit the result"
        );
    }

    #[test]
    fn enums_come_from_the_core() {
        let doc = super::document();
        let schemas = &doc["components"]["schemas"];
        let text = schemas.to_string();
        for scheme in formhook::Scheme::ALL {
            assert!(
                text.contains(&format!("\"{}\"", scheme.name())),
                "{}",
                scheme.name()
            );
        }
        for event in formhook::event::EventType::ALL {
            assert!(
                text.contains(&format!("\"{}\"", event.as_str())),
                "{}",
                event.as_str()
            );
        }
        for provider in formhook::captcha::Provider::ALL {
            assert!(text.contains(&format!("\"{}\"", provider.name())));
        }
        for reason in formhook::ingest::SpamReason::ALL {
            assert!(text.contains(&format!("\"{}\"", reason.as_str())));
        }
        assert!(doc["paths"]["/api/forms/{form_id}/endpoints"]["post"]["requestBody"].is_object());
    }
}
