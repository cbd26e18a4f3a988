//! `POST /f/{form_id}`: hands the raw body to the form's object, which parses and stores it, then
//! answers the way the client asked: JSON for scripts, a `303` redirect for HTML form posts.

use formhook::event::Meta;
use formhook::ingest::{
    is_delivery_loop, is_valid_form_id, meta_header, origin_allowed, wants_json,
};
use formhook::rate::{client_key, RateLimited};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::thread::LocalKey;
use worker::{Context, Env, Method, Request, Response, Result};

use crate::error::{ApiError, ApiResult};
use crate::http::{body, pages};
use crate::log::{emit, LogLine};
use crate::platform::{now_ms, now_u64};
use crate::protocol::{GetForm, HasForm, IngestAnswer, IngestContext, IngestRequest, INGEST_PATH};
use crate::rpc;
use crate::settings::MAX_BODY_BYTES_LIMIT;
use crate::views::{Accepted, CaptchaWidget, FormView};

/// How long this isolate trusts a form's body limit it has read (a limit changed by `PATCH` is
/// enforced exactly by the form's object anyway; this one only keeps memory bounded).
const LIMIT_CACHE_MS: i64 = 10_000;
/// Forms whose limit this isolate remembers at once.
const LIMIT_CACHE_ENTRIES: usize = 1_000;
/// How long this isolate trusts that a form id exists (a deleted form's object answers 404
/// itself; this only keeps unknown ids away from the objects).
const KNOWN_CACHE_MS: i64 = 600_000;
/// How long this isolate remembers that the registry does not list an id, so a page posting to a
/// mistyped form id does not ask the registry on every post (a form made meanwhile waits this
/// long in an isolate that cached its id as unknown).
const UNKNOWN_CACHE_MS: i64 = 10_000;

/// A client of one form: (form id, client key as the core's `rate::client_key` makes it).
type FormClient = (String, String);

thread_local! {
    /// Form id → (body limit, when read).
    static BODY_LIMITS: RefCell<HashMap<String, (u64, i64)>> = RefCell::new(HashMap::new());
    /// Each form's `shards`, read with its body limit (same cache life).
    static SHARDS: RefCell<HashMap<String, u32>> = RefCell::new(HashMap::new());
    /// Form id → when the registry last said it exists.
    static KNOWN: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
    /// Form id → when the registry last said it does not (kept apart from `KNOWN`, so a flood of
    /// random ids, which fills and clears this map, never pushes out the forms that exist).
    static UNKNOWN: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
    /// (Form id, client key) → when the client's budget refills (Unix ms) and the limit, for
    /// clients the form's object refused with `429 rate_limited`. Until then this isolate
    /// refuses their posts itself, before reading the body: the object's refusal came after the
    /// whole body was read and copied to it (locally, a refused 29 MB post cost about 80 ms more
    /// workerd CPU than one refused from its Content-Length). A limit raised by `PATCH` is seen
    /// once the refusal ends (a minute at most).
    static REFUSED: RefCell<HashMap<FormClient, (u64, Option<u64>)>> = RefCell::new(HashMap::new());
}

/// Puts `value` in one of this isolate's caches, emptying the cache first when it is full, so its
/// memory stays bounded whatever ids clients send.
fn remember<K: Eq + Hash, V>(cache: &'static LocalKey<RefCell<HashMap<K, V>>>, key: K, value: V) {
    cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= LIMIT_CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, value);
    });
}

/// Whether `cache` noted `key` less than `ttl_ms` before `now`.
fn noted_within(
    cache: &'static LocalKey<RefCell<HashMap<String, i64>>>,
    key: &str,
    ttl_ms: i64,
    now: i64,
) -> bool {
    cache.with(|cache| {
        cache
            .borrow()
            .get(key)
            .is_some_and(|at| now.saturating_sub(*at) < ttl_ms)
    })
}

/// The settings of a form that exists. An id the registry does not list is refused
/// before its object is reached: reaching an object gives it storage (locally, a SQLite file of
/// its own), so a client trying random ids would fill the disk.
async fn public_form(env: &Env, form_id: &str) -> ApiResult<FormView> {
    if !is_valid_form_id(form_id) {
        return Err(ApiError::form_not_found());
    }
    let now = now_ms();
    let known = noted_within(&KNOWN, form_id, KNOWN_CACHE_MS, now);
    if !known && noted_within(&UNKNOWN, form_id, UNKNOWN_CACHE_MS, now) {
        return Err(ApiError::form_not_found());
    }
    if !known {
        let exists = rpc::call(
            &rpc::registry(env)?,
            &HasForm {
                id: form_id.to_string(),
            },
        )
        .await?;
        if !exists {
            remember(&UNKNOWN, form_id.to_string(), now);
            return Err(ApiError::form_not_found());
        }
        remember(&KNOWN, form_id.to_string(), now);
    }
    rpc::call(&rpc::form(env, form_id)?, &GetForm {}).await
}

/// Handles every method on `/f/{form_id}`.
pub async fn handle(mut req: Request, env: &Env, ctx: &Context, form_id: &str) -> Result<Response> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .ok()
            .flatten()
            .filter(|v| !v.is_empty())
    };
    let origin = header("origin");
    let referer = header("referer");
    let json_mode = wants_json(
        header("accept").as_deref(),
        header("content-type").as_deref(),
        header("sec-fetch-mode").as_deref(),
    );
    let result = match req.method() {
        _ if !is_valid_form_id(form_id) => Err(ApiError::form_not_found()),
        Method::Post if is_loop(&req) => Err(ApiError::new(
            508,
            "delivery_loop",
            "this request is a formhook delivery; posting it into a form would loop",
        )),
        Method::Post => submit(&mut req, env, ctx, form_id, origin.clone()).await,
        Method::Options => return preflight(env, form_id, origin.as_deref()).await,
        _ => Err(ApiError::new(
            405,
            "method_not_allowed",
            "submit forms with POST",
        )),
    };
    match result {
        Ok(answer) => accepted(
            &answer,
            json_mode,
            form_id,
            origin.as_deref(),
            referer.as_deref(),
        ),
        Err(err) => {
            emit(&LogLine::Refused {
                route: "ingest",
                form_id: Some(form_id),
                status: err.status,
                code: &err.code,
            });
            respond_error(&err, json_mode, origin.as_deref(), referer.as_deref())
        }
    }
}

async fn submit(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    form_id: &str,
    origin: Option<String>,
) -> ApiResult<IngestAnswer> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .ok()
            .flatten()
            .filter(|v| !v.is_empty())
    };
    // The form's own limit, known before the first byte is read (unknown forms end here).
    let limit = body_limit(env, form_id).await?;
    // What a submission keeps of a header is capped: headers are outside the body limit.
    let kept = |name: &str| header(name).map(|v| meta_header(&v).to_string());
    let context = IngestContext {
        content_type: header("content-type").unwrap_or_default(),
        origin,
        meta: Meta {
            ip: Some(
                kept("cf-connecting-ip")
                    .filter(|_| trusts_client_ip(env))
                    .unwrap_or_else(|| "unknown".into()),
            ),
            country: req.cf().and_then(|cf| cf.country()),
            user_agent: kept("user-agent"),
            referer: kept("referer"),
            captcha: None,
            charset: None,
        },
        public_origin: crate::http::files::public_origin(env, req),
    };
    // A client the form's object refused lately is refused here, before its body is read.
    let client = (
        form_id.to_string(),
        client_key(context.meta.ip.as_deref().unwrap_or_default()),
    );
    if let Some(refusal) = standing_refusal(&client) {
        return Err(refusal);
    }
    let body = body::read_limited(req, limit, ctx).await?;
    let framed = IngestRequest { context, body }.encode()?;
    let answer = send(env, form_id, framed).await;
    if let Err(err) = &answer {
        remember_refusal(client, err);
    }
    answer
}

/// Hands a framed post to the form's object (or one of its shards) and returns its answer.
async fn send(env: &Env, form_id: &str, framed: Vec<u8>) -> ApiResult<IngestAnswer> {
    // A sharded form: any of its objects, at random.
    let shards = SHARDS.with(|s| s.borrow().get(form_id).copied().unwrap_or(1));
    let shard = if shards > 1 {
        crate::platform::random_u32() % shards
    } else {
        0
    };
    if shard > 0 {
        let stub = rpc::form_shard(env, form_id, shard)?;
        let sent = post_bytes_to(&stub, framed.clone()).await;
        // A shard that has not received the form's settings yet: the form's own object.
        if !matches!(&sent, Err(err) if err.status == 404) {
            return sent;
        }
    }
    post_bytes_to(&rpc::form(env, form_id)?, framed).await
}

/// The `429 rate_limited` still standing for `client` (form id, client key), if the form's
/// object refused it lately.
fn standing_refusal(client: &FormClient) -> Option<ApiError> {
    let (refills_at, limit) = REFUSED.with(|refused| refused.borrow().get(client).copied())?;
    let Some(refusal) = RateLimited::still_standing(refills_at, now_u64()) else {
        REFUSED.with(|refused| refused.borrow_mut().remove(client));
        return None;
    };
    let mut err = ApiError::new(429, refusal.code(), refusal.to_string());
    if let Some(limit) = limit {
        err = err.with_limit(limit);
    }
    err.retry_after_secs = Some(refusal.retry_after_secs);
    Some(err)
}

/// Remembers a `429 rate_limited` of the form's object until the client's budget refills.
fn remember_refusal(client: FormClient, err: &ApiError) {
    let Some(retry_after_secs) = err.retry_after_secs.filter(|_| err.code == "rate_limited") else {
        return;
    };
    let refills_at = RateLimited { retry_after_secs }.refills_at_ms(now_u64());
    remember(&REFUSED, client, (refills_at, err.limit));
}

async fn post_bytes_to(stub: &worker::Stub, framed: Vec<u8>) -> ApiResult<IngestAnswer> {
    rpc::answer_of(rpc::post_bytes(stub, INGEST_PATH, framed, "application/octet-stream").await?)
        .await
}

/// Whether `CF-Connecting-IP` names the client: deployed, Cloudflare sets it itself
/// (`TRUST_CLIENT_IP = "true"` in wrangler.toml); locally any client can send it, so the
/// launcher passes `"false"` unless told otherwise, and every client counts as one (`unknown`).
fn trusts_client_ip(env: &Env) -> bool {
    env.var("TRUST_CLIENT_IP")
        .map(|v| v.to_string() == "true")
        .unwrap_or(false)
}

/// Whether the post carries formhook's own delivery headers (see the core's rule).
fn is_loop(req: &Request) -> bool {
    let headers = req.headers();
    let user_agent = headers.get("user-agent").ok().flatten();
    is_delivery_loop(
        |name| headers.has(name).unwrap_or(false),
        user_agent.as_deref(),
    )
}

/// The form's `max_body_bytes`, from this isolate's short cache or the form's object.
async fn body_limit(env: &Env, form_id: &str) -> ApiResult<u64> {
    let now = now_ms();
    let cached = BODY_LIMITS.with(|cache| {
        cache
            .borrow()
            .get(form_id)
            .filter(|(_, at)| now.saturating_sub(*at) < LIMIT_CACHE_MS)
            .map(|(limit, _)| *limit)
    });
    if let Some(limit) = cached {
        return Ok(limit);
    }
    let form = public_form(env, form_id).await?;
    let limit = form.max_body_bytes.min(MAX_BODY_BYTES_LIMIT);
    remember(&SHARDS, form_id.to_string(), form.shards);
    remember(&BODY_LIMITS, form_id.to_string(), (limit, now));
    Ok(limit)
}

/// The answer to a stored post: `201` JSON for scripts; for an HTML post a `303` to the form's
/// redirect URL, or to the built-in thank-you page with the page the form was posted from
/// (`referer`, an http(s) URL) as `back`, its "Back to the form" link.
fn accepted(
    answer: &IngestAnswer,
    json_mode: bool,
    form_id: &str,
    origin: Option<&str>,
    referer: Option<&str>,
) -> Result<Response> {
    let mut resp = if json_mode {
        Response::from_json(&Accepted {
            ok: true,
            id: answer.id.clone(),
            spam: answer.spam,
        })?
        .with_status(201)
    } else {
        let location = match &answer.redirect_url {
            Some(url) => url.clone(),
            None => {
                let mut thanks = worker::Url::parse("http://formhook.invalid/thanks")?;
                thanks.query_pairs_mut().append_pair("form", form_id);
                if let Some(back) = referer.and_then(pages::back_url) {
                    thanks.query_pairs_mut().append_pair("back", back);
                }
                format!("/thanks?{}", thanks.query().unwrap_or_default())
            }
        };
        let mut resp = Response::empty()?.with_status(303);
        resp.headers_mut().set("location", &location)?;
        resp
    };
    cors(&mut resp, origin)?;
    Ok(resp)
}

/// Echoes an origin the form's object has accepted.
fn cors(resp: &mut Response, origin: Option<&str>) -> Result<()> {
    if let Some(origin) = origin {
        resp.headers_mut()
            .set("access-control-allow-origin", origin)?;
        resp.headers_mut().append("vary", "Origin")?;
    }
    Ok(())
}

/// The error as JSON `{ok:false, error}` for scripts or an HTML page for form posts, with
/// `Retry-After` where the error says when to come back.
fn respond_error(
    err: &ApiError,
    json_mode: bool,
    origin: Option<&str>,
    referer: Option<&str>,
) -> Result<Response> {
    let mut resp = if json_mode {
        #[derive(serde::Serialize)]
        struct Refused<'a> {
            ok: bool,
            #[serde(flatten)]
            body: &'a crate::error::ErrorBody,
        }
        Response::from_json(&Refused {
            ok: false,
            body: &err.body(),
        })?
        .with_status(err.status)
    } else {
        pages::error_page(err, referer)?
    };
    if err.status == 405 {
        resp.headers_mut().set("allow", "POST, OPTIONS")?;
    }
    if let Some(wait) = err.retry_after_secs {
        resp.headers_mut().set("retry-after", &wait.to_string())?;
    }
    if err.code != "origin_not_allowed" {
        cors(&mut resp, origin)?;
    }
    Ok(resp)
}

async fn preflight(env: &Env, form_id: &str, origin: Option<&str>) -> Result<Response> {
    let form = match public_form(env, form_id).await {
        Ok(form) => form,
        Err(err) => return respond_error(&err, true, None, None),
    };
    let mut resp = Response::empty()?.with_status(204);
    let headers = resp.headers_mut();
    headers.set("access-control-allow-methods", "POST, OPTIONS")?;
    headers.set(
        "access-control-allow-headers",
        "content-type, accept, x-requested-with",
    )?;
    headers.set("access-control-max-age", "86400")?;
    headers.set("vary", "Origin")?;
    if let Some(origin) = origin {
        if origin_allowed(origin, &form.allowed_origins) {
            headers.set("access-control-allow-origin", origin)?;
        }
    }
    Ok(resp)
}

/// `GET /f/{form_id}/captcha`: what a page needs to render the form's captcha widget (provider,
/// site key, script); `404 captcha_not_set` when the form has none. Public and cacheable for a
/// minute: site keys are meant to be embedded in pages, and the secret is never part of it.
pub async fn captcha_widget(env: &Env, form_id: &str) -> Result<Response> {
    let result = async {
        let form = public_form(env, form_id).await?;
        form.captcha
            .as_ref()
            .map(CaptchaWidget::of)
            .ok_or_else(|| ApiError::new(404, "captcha_not_set", "this form checks no captcha"))
    }
    .await;
    let mut resp = match result {
        Ok(widget) => Response::from_json(&widget)?,
        Err(err) => Response::from_json(&err.body())?.with_status(err.status),
    };
    resp.headers_mut()
        .set("cache-control", "public, max-age=60")?;
    resp.headers_mut().set("access-control-allow-origin", "*")?;
    Ok(resp)
}
