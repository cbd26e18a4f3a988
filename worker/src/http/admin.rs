//! The admin API under `/api`: bearer-token auth, request bodies read into typed fields, then
//! the call to the object that owns the data.

use formhook::delivery::DeliveryStatus;
use formhook::ingest::is_valid_form_id;
use futures_util::future::join_all;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Context, Env, Method, Request, Response, Result, Stub};

use crate::error::{ApiError, ApiResult};
use crate::http::body;
use crate::log::{emit, LogLine};
use crate::platform::{new_id, now_ms};
use crate::protocol::{
    AddEndpoint, ClaimForm, DeleteEndpoint, DeleteForm, DeleteSubmission, EndpointEntry,
    GetDelivery, GetEndpoint, GetForm, GetSubmission, IndexEndpoints, InitEndpoint, InitForm,
    ListAttempts, ListDeliveries, ListForms, ListSubmissions, MarkNotSpam, MayHaveEndpoint,
    PageQuery, PatchEndpoint, PatchForm, PublicKeys, ReleaseForm, RemoveEndpoint, ReplayFailed,
    ReplaySubmission, ResendDelivery, RetryDelivery, RotateSecret, SendTest, SubmissionFilter,
    UnlistEndpoint,
};
use crate::rpc;
use crate::settings::{EndpointFields, EndpointSettings, FormFields, FormSettings};
use crate::views::{Erasure, FormView, List};

/// Handles `/api/...` (except the OpenAPI document, which is public).
pub async fn handle(req: Request, env: &Env, ctx: &Context) -> Result<Response> {
    let mut resp = match route(req, env, ctx).await {
        Ok(resp) => resp,
        Err(err) => {
            emit(&LogLine::Refused {
                route: "admin",
                form_id: None,
                status: err.status,
                code: &err.code,
            });
            Response::from_json(&err.body())?.with_status(err.status)
        }
    };
    resp.headers_mut().set("cache-control", "no-store")?;
    if resp.status_code() == 401 {
        resp.headers_mut()
            .set("www-authenticate", "Bearer realm=\"formhook admin\"")?;
    }
    Ok(resp)
}

/// The shortest `ADMIN_TOKEN` the admin API runs with: a short token can be guessed.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;

fn authorize(req: &Request, env: &Env) -> ApiResult<()> {
    let expected = env
        .secret("ADMIN_TOKEN")
        .map(|s| s.to_string())
        .or_else(|_| env.var("ADMIN_TOKEN").map(|v| v.to_string()))
        .unwrap_or_default();
    if expected.is_empty() {
        return Err(ApiError::new(
            503,
            "admin_disabled",
            "the admin API is disabled: set the ADMIN_TOKEN secret",
        ));
    }
    // Checked before the caller's token is looked at, so a guess learns nothing.
    if expected.chars().count() < MIN_ADMIN_TOKEN_CHARS {
        return Err(ApiError::new(
            503,
            "admin_token_weak",
            "the admin API is disabled: ADMIN_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 32`)",
        ));
    }
    let given = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    // The scheme name is case-insensitive (RFC 7235).
    let token = given
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim());
    if token.is_empty() {
        return Err(ApiError::new(401, "unauthorized", "missing bearer token"));
    }
    if !formhook::mac::secret_eq(token.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::new(401, "unauthorized", "invalid bearer token"));
    }
    Ok(())
}

/// Reads a JSON body into `T`: bad JSON is `400 invalid_json`, a field of the wrong type or an
/// unknown field `422 invalid_field` naming it. An empty body reads as `{}`.
/// A body over 1 MB is `413 body_too_large`, refused while it streams in.
pub async fn read_body<T: DeserializeOwned>(req: &mut Request, ctx: &Context) -> ApiResult<T> {
    let bytes = body::read_limited(req, body::MAX_ADMIN_BODY_BYTES, ctx).await?;
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => {
                ApiError::field(&path, strip_position(&inner))
            }
            serde_json::error::Category::Data => {
                ApiError::new(422, "invalid_field", strip_position(&inner))
            }
            _ => invalid_json(&inner),
        }
    })?;
    deserializer.end().map_err(|e| invalid_json(&e))?;
    Ok(value)
}

fn invalid_json(err: &serde_json::Error) -> ApiError {
    ApiError::new(
        400,
        "invalid_json",
        format!("request body is not valid JSON: {err}"),
    )
}

/// serde_json's message without " at line 1 column 12".
fn strip_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_string(),
        None => text,
    }
}

/// An endpoint URL may lead neither where the SSRF rules forbid (`422 url_not_allowed`) nor
/// back to this worker (`422 url_is_this_worker`: its deliveries would post into its own forms).
fn check_destination(req: &Request, env: &Env, url: &str) -> ApiResult<()> {
    let own = req.url()?;
    if formhook::destination::is_same_service(url, own.as_str()) {
        return Err(ApiError::new(
            422,
            "url_is_this_worker",
            format!("{url} leads back to this worker; deliveries to it would loop"),
        ));
    }
    crate::ssrf::check(env, url).map_err(|m| ApiError::new(422, "url_not_allowed", m))
}

pub(crate) fn form_stub(env: &Env, form_id: &str) -> ApiResult<Stub> {
    if !is_valid_form_id(form_id) {
        return Err(ApiError::form_not_found());
    }
    rpc::form(env, form_id)
}

/// The endpoint's object, once the form confirms the endpoint is one of its own.
async fn endpoint_stub(env: &Env, form_id: &str, endpoint_id: &str) -> ApiResult<Stub> {
    let form = rpc::call(&form_stub(env, form_id)?, &GetForm {}).await?;
    if !form.endpoint_ids.iter().any(|id| id == endpoint_id) {
        return Err(ApiError::endpoint_not_found());
    }
    rpc::endpoint(env, endpoint_id)
}

/// A JSON answer with a status.
fn json<T: Serialize>(status: u16, value: &T) -> ApiResult<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

fn no_content() -> ApiResult<Response> {
    Ok(Response::empty()?.with_status(204))
}

/// `limit` (1..=200, default 50) and `cursor` from the query.
fn page_query(req: &Request) -> ApiResult<(PageQuery, std::collections::HashMap<String, String>)> {
    let query: std::collections::HashMap<String, String> =
        req.url()?.query_pairs().into_owned().collect();
    let limit = match query.get("limit") {
        None => 50,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ApiError::field("limit", "must be an integer from 1 to 200"))?,
    };
    let cursor = query.get("cursor").cloned();
    Ok((PageQuery { limit, cursor }, query))
}

/// `spam`, `q`, `since` and `until` of a submission list or export; the times are RFC 3339
/// (a date alone is midnight UTC) or Unix milliseconds.
fn submission_query(
    query: &std::collections::HashMap<String, String>,
) -> ApiResult<(Option<bool>, SubmissionFilter)> {
    let spam = match query.get("spam").map(String::as_str) {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(ApiError::field("spam", "must be true or false")),
    };
    let time = |name: &str| -> ApiResult<Option<i64>> {
        match query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .or_else(|| formhook::time::parse_rfc3339_millis(v))
                .map(Some)
                .ok_or_else(|| {
                    ApiError::field(
                        name,
                        "must be an RFC 3339 time, a date or Unix milliseconds",
                    )
                }),
        }
    };
    let q = query.get("q").map(|q| q.trim().to_string());
    if q.as_ref().is_some_and(|q| q.len() > 200) {
        return Err(ApiError::field("q", "must be at most 200 bytes"));
    }
    let filter = SubmissionFilter {
        q: q.filter(|q| !q.is_empty()),
        since_ms: time("since")?,
        until_ms: time("until")?,
    };
    Ok((spam, filter))
}

/// The body of `rotate-secret`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateFields {
    /// Seconds the older secrets keep signing (default 86400, at most 2592000).
    pub grace_period_seconds: Option<u64>,
    /// The new secret (generated when absent); shown once.
    pub secret: Option<String>,
}

/// The body of a replay.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayFields {
    /// One endpoint of the form; all of them when absent.
    pub endpoint_id: Option<String>,
}

async fn route(mut req: Request, env: &Env, ctx: &Context) -> ApiResult<Response> {
    authorize(&req, env)?;
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').skip(1).collect();
    let method = req.method();
    match (method, segments.as_slice()) {
        (Method::Get, ["forms"]) => list_forms(env).await,
        (Method::Post, ["forms"]) => create_form(&mut req, env, ctx).await,
        (Method::Get, ["forms", f]) => {
            json(200, &rpc::call(&form_stub(env, f)?, &GetForm {}).await?)
        }
        (Method::Patch, ["forms", f]) => {
            let fields: FormFields = read_body(&mut req, ctx).await?;
            let form = rpc::call(&form_stub(env, f)?, &PatchForm { fields }).await?;
            crate::http::shards::sync(env, f, form.shards).await?;
            json(200, &form)
        }
        (Method::Delete, ["forms", f]) => delete_form(env, f).await,
        (Method::Get, ["forms", f, "endpoints"]) => list_endpoints(env, f).await,
        (Method::Post, ["forms", f, "endpoints"]) => create_endpoint(&mut req, env, ctx, f).await,
        (m, ["forms", f, "endpoints", e, rest @ ..]) => {
            endpoint_route(&mut req, env, ctx, m, f, e, rest).await
        }
        (Method::Get, ["forms", f, "submissions.csv"]) => {
            let (_, query) = page_query(&req)?;
            let (spam, filter) = submission_query(&query)?;
            form_stub(env, f)?;
            crate::http::export::submissions_csv(env, f, spam, filter).await
        }
        (Method::Get, ["forms", f, "work"]) => crate::http::work::form_work(env, f).await,
        (m, ["forms", f, "submissions", rest @ ..]) => {
            submission_route(&mut req, env, ctx, m, f, rest).await
        }
        (_, ["forms"] | ["forms", _] | ["forms", _, "endpoints"]) => {
            Err(ApiError::method_not_allowed())
        }
        _ => Err(ApiError::new(404, "not_found", "no such API route")),
    }
}

async fn endpoint_route(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    method: Method,
    form_id: &str,
    endpoint_id: &str,
    rest: &[&str],
) -> ApiResult<Response> {
    let stub = endpoint_stub(env, form_id, endpoint_id).await?;
    match (method, rest) {
        (Method::Get, []) => json(200, &rpc::call(&stub, &GetEndpoint {}).await?),
        (Method::Patch, []) => {
            let fields: EndpointFields = read_body(req, ctx).await?;
            if let Some(url) = &fields.url {
                check_destination(req, env, url)?;
            }
            json(200, &rpc::call(&stub, &PatchEndpoint { fields }).await?)
        }
        (Method::Delete, []) => {
            rpc::call(
                &form_stub(env, form_id)?,
                &RemoveEndpoint {
                    endpoint_id: endpoint_id.to_string(),
                },
            )
            .await?;
            let shards = crate::http::shards::count(env, form_id).await?;
            crate::http::shards::sync(env, form_id, shards).await?;
            rpc::call(&stub, &DeleteEndpoint {}).await?;
            // Best effort: a listed id whose object is gone only answers 404 from that object.
            let unlist = UnlistEndpoint {
                id: endpoint_id.to_string(),
            };
            if let Err(err) = async { rpc::call(&rpc::registry(env)?, &unlist).await }.await {
                crate::objects::log_failure("front", "unlist_endpoint", &err);
            }
            no_content()
        }
        (Method::Post, [action @ ("enable" | "disable")]) => {
            let fields = EndpointFields {
                enabled: Some(*action == "enable"),
                ..EndpointFields::default()
            };
            json(200, &rpc::call(&stub, &PatchEndpoint { fields }).await?)
        }
        (Method::Post, ["rotate-secret"]) => {
            let fields: RotateFields = read_body(req, ctx).await?;
            let call = RotateSecret {
                grace_period_seconds: fields.grace_period_seconds,
                secret: fields.secret,
            };
            json(200, &rpc::call(&stub, &call).await?)
        }
        (Method::Post, ["test"]) => json(202, &rpc::call(&stub, &SendTest {}).await?),
        (Method::Get, ["deliveries"]) => {
            let (page, query) = page_query(req)?;
            let status = match query.get("status") {
                None => None,
                Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
                    ApiError::field("status", "must be pending, delivered, failed or skipped")
                })?),
            };
            let submission_id = query.get("submission_id").cloned();
            let call = ListDeliveries {
                page,
                status,
                submission_id,
            };
            json(200, &rpc::call(&stub, &call).await?)
        }
        (Method::Post, ["deliveries", d, "retry"]) => {
            let call = RetryDelivery {
                id: (*d).to_string(),
            };
            json(200, &rpc::call(&stub, &call).await?)
        }
        (Method::Post, ["deliveries", d, "resend"]) => {
            let call = ResendDelivery {
                id: (*d).to_string(),
            };
            json(200, &rpc::call(&stub, &call).await?)
        }
        (Method::Post, ["replay-failed"]) => json(200, &rpc::call(&stub, &ReplayFailed {}).await?),
        (Method::Get, ["deliveries", d]) => json(
            200,
            &rpc::call(
                &stub,
                &GetDelivery {
                    id: (*d).to_string(),
                },
            )
            .await?,
        ),
        (Method::Get, ["attempts"]) => {
            let (page, _) = page_query(req)?;
            json(200, &rpc::call(&stub, &ListAttempts { page }).await?)
        }
        (
            _,
            []
            | ["enable" | "disable" | "rotate-secret" | "test" | "deliveries" | "attempts"
            | "replay-failed"]
            | ["deliveries", _, "retry" | "resend"],
        ) => Err(ApiError::method_not_allowed()),
        _ => Err(ApiError::new(404, "not_found", "no such API route")),
    }
}

async fn submission_route(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    method: Method,
    form_id: &str,
    rest: &[&str],
) -> ApiResult<Response> {
    let stub = form_stub(env, form_id)?;
    // A sharded form's submission lives in one of its objects.
    let stub = match rest.first() {
        Some(id) => crate::http::shards::holder(env, form_id, id, stub).await?,
        None => stub,
    };
    match (method, rest) {
        (Method::Get, []) => {
            let (page, query) = page_query(req)?;
            let (spam, filter) = submission_query(&query)?;
            if query.get("format").map(String::as_str) == Some("csv") {
                return crate::http::export::submissions_csv(env, form_id, spam, filter).await;
            }
            let shards = crate::http::shards::count(env, form_id).await?;
            if shards > 1 {
                return json(
                    200,
                    &crate::http::shards::list(env, form_id, shards, page, spam, filter).await?,
                );
            }
            let call = ListSubmissions { page, spam, filter };
            json(200, &rpc::call(&stub, &call).await?)
        }
        (Method::Post, [s, "not-spam"]) => json(
            200,
            &rpc::call(
                &stub,
                &MarkNotSpam {
                    id: (*s).to_string(),
                },
            )
            .await?,
        ),
        (Method::Get, [s]) => json(
            200,
            &rpc::call(
                &stub,
                &GetSubmission {
                    id: (*s).to_string(),
                },
            )
            .await?,
        ),
        (Method::Get, [s, "files", i]) => {
            // The submission says which files it has and whether their bytes are stored; the
            // bytes come from R2.
            let submission = rpc::call(
                &stub,
                &GetSubmission {
                    id: (*s).to_string(),
                },
            )
            .await?;
            let index: usize = i.parse().map_err(|_| crate::files::not_found())?;
            let file = submission
                .files
                .get(index)
                .filter(|f| f.stored)
                .ok_or_else(crate::files::not_found)?;
            crate::files::serve(
                &crate::files::bucket(env)?,
                &crate::files::key(form_id, &submission.id, index),
                Some(&file.name),
                Some(&file.content_type),
            )
            .await
        }
        (Method::Delete, [s]) => erased(
            &rpc::call(
                &stub,
                &DeleteSubmission {
                    id: (*s).to_string(),
                },
            )
            .await?,
        ),
        (Method::Post, [s, "replay"]) => {
            let fields: ReplayFields = read_body(req, ctx).await?;
            let call = ReplaySubmission {
                id: (*s).to_string(),
                endpoint_id: fields.endpoint_id,
            };
            json(202, &rpc::call(&stub, &call).await?)
        }
        _ => Err(ApiError::new(404, "not_found", "no such API route")),
    }
}

async fn list_forms(env: &Env) -> ApiResult<Response> {
    let ids = rpc::call(&rpc::registry(env)?, &ListForms {}).await?;
    let mut forms: Vec<FormView> = Vec::new();
    for chunk in ids.chunks(6) {
        let calls = chunk
            .iter()
            .map(|id| async move { rpc::call(&form_stub(env, id)?, &GetForm {}).await });
        forms.extend(join_all(calls).await.into_iter().flatten());
    }
    json(200, &List { data: forms })
}

async fn create_form(req: &mut Request, env: &Env, ctx: &Context) -> ApiResult<Response> {
    let fields: FormFields = read_body(req, ctx).await?;
    let now = now_ms();
    let settings = FormSettings::create(fields, new_id("frm")?, now)?;
    let registry = rpc::registry(env)?;
    rpc::call(
        &registry,
        &ClaimForm {
            id: settings.id.clone(),
            created_ms: now,
        },
    )
    .await?;
    let id = settings.id.clone();
    match rpc::call(&form_stub(env, &id)?, &InitForm { settings }).await {
        Ok(form) => json(201, &form),
        Err(err) => {
            // Best effort: a claimed id without a form is only a name kept in the list.
            let _ = rpc::call(&registry, &ReleaseForm { id }).await;
            Err(err)
        }
    }
}

/// `204` once an erasure is complete; `202` with the [`Erasure`] when its object finishes it
/// later (from its alarm, also after a restart).
fn erased(erasure: &Erasure) -> ApiResult<Response> {
    if erasure.complete {
        no_content()
    } else {
        json(202, erasure)
    }
}

async fn delete_form(env: &Env, form_id: &str) -> ApiResult<Response> {
    // The form's object does the whole erasure (its files, its endpoints' queues and logs, its
    // registry entry) so that it can finish it after a crash; a sharded form's other objects
    // are erased after it.
    let shards = crate::http::shards::count(env, form_id).await?;
    let erasure = rpc::call(&form_stub(env, form_id)?, &DeleteForm {}).await?;
    crate::http::shards::delete_others(env, form_id, shards).await;
    erased(&erasure)
}

async fn list_endpoints(env: &Env, form_id: &str) -> ApiResult<Response> {
    let form = rpc::call(&form_stub(env, form_id)?, &GetForm {}).await?;
    let mut endpoints = Vec::new();
    for chunk in form.endpoint_ids.chunks(6) {
        let calls = chunk
            .iter()
            .map(|id| async move { rpc::call(&rpc::endpoint(env, id)?, &GetEndpoint {}).await });
        endpoints.extend(join_all(calls).await.into_iter().flatten());
    }
    json(200, &List { data: endpoints })
}

async fn create_endpoint(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    form_id: &str,
) -> ApiResult<Response> {
    let form = form_stub(env, form_id)?;
    rpc::call(&form, &GetForm {}).await?;
    let mut fields: EndpointFields = read_body(req, ctx).await?;
    let secret = fields.secret.take();
    let id = new_id("ep")?;
    let settings = EndpointSettings::create(fields, id.clone(), form_id.to_string(), now_ms())?;
    check_destination(req, env, &settings.url)?;
    if let Some(secret) = &secret {
        settings.check_hmac_secret(secret)?;
    }
    // The endpoint's object makes the keys it lacks: an ed25519 signing key never leaves it.
    let created = rpc::call(
        &rpc::endpoint(env, &id)?,
        &InitEndpoint { settings, secret },
    )
    .await?;
    rpc::call(
        &rpc::registry(env)?,
        &IndexEndpoints {
            entries: vec![EndpointEntry {
                id: id.clone(),
                form_id: form_id.to_string(),
            }],
            complete: false,
        },
    )
    .await?;
    rpc::call(&form, &AddEndpoint { endpoint_id: id }).await?;
    let shards = crate::http::shards::count(env, form_id).await?;
    crate::http::shards::sync(env, form_id, shards).await?;
    json(201, &created)
}

/// `GET /keys/{endpoint_id}`: the endpoint's live ed25519 public keys, for receivers to fetch.
/// Public: a public key is no secret.
pub async fn public_keys(env: &Env, endpoint_id: &str) -> Result<Response> {
    let well_formed = endpoint_id.strip_prefix("ep_").is_some_and(|rest| {
        rest.len() == 26
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    });
    let not_found = || ApiError::new(404, "endpoint_not_found", "no endpoint with this id");
    let answer = async {
        // An id the registry does not list never reaches an object (which would get storage).
        let call = MayHaveEndpoint {
            id: endpoint_id.to_string(),
        };
        if !well_formed || !rpc::call(&rpc::registry(env)?, &call).await? {
            return Err(not_found());
        }
        rpc::call(&rpc::endpoint(env, endpoint_id)?, &PublicKeys {}).await
    }
    .await;
    // Keys are cached for five minutes; a refusal is not (the endpoint may be made next).
    let (mut resp, cache) = match answer {
        Ok(keys) => (Response::from_json(&keys)?, "public, max-age=300"),
        Err(err) => (
            Response::from_json(&err.body())?.with_status(err.status),
            "no-store",
        ),
    };
    let headers = resp.headers_mut();
    headers.set("access-control-allow-origin", "*")?;
    headers.set("cache-control", cache)?;
    Ok(resp)
}
