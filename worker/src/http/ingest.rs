//! `POST /f/{form_id}`: hands the raw body to the form's object, which parses and stores it, then
//! answers the way the client asked: JSON for scripts, a `303` redirect for HTML form posts.

use formhook::event::Meta;
use formhook::ingest::{is_valid_form_id, origin_allowed, wants_json};
use worker::{Env, Method, Request, Response, Result};

use crate::error::{ApiError, ApiResult};
use crate::http::pages;
use crate::log::{emit, LogLine};
use crate::protocol::{GetForm, IngestAnswer, IngestContext, IngestRequest, INGEST_PATH};
use crate::rpc;
use crate::settings::MAX_BODY_BYTES_LIMIT;
use crate::views::{Accepted, CaptchaWidget};

/// Handles every method on `/f/{form_id}`.
pub async fn handle(mut req: Request, env: &Env, form_id: &str) -> Result<Response> {
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
        Method::Post => submit(&mut req, env, form_id, origin.clone()).await,
        Method::Options => return preflight(env, form_id, origin.as_deref()).await,
        _ => Err(ApiError::new(
            405,
            "method_not_allowed",
            "submit forms with POST",
        )),
    };
    match result {
        Ok(answer) => accepted(&answer, json_mode, form_id, origin.as_deref()),
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
    let too_large = || ApiError::new(413, "body_too_large", "request body is larger than allowed");
    let declared = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES_LIMIT) {
        return Err(too_large());
    }
    let context = IngestContext {
        content_type: header("content-type").unwrap_or_default(),
        origin,
        meta: Meta {
            ip: header("cf-connecting-ip")
                .or_else(|| header("x-real-ip"))
                .or_else(|| Some("unknown".into())),
            country: req.cf().and_then(|cf| cf.country()),
            user_agent: header("user-agent"),
            referer: header("referer"),
            captcha: None,
        },
    };
    let body = req.bytes().await?;
    if body.len() as u64 > MAX_BODY_BYTES_LIMIT {
        return Err(too_large());
    }
    let framed = IngestRequest { context, body }.encode()?;
    let stub = rpc::form(env, form_id)?;
    rpc::answer_of(rpc::post_bytes(&stub, INGEST_PATH, framed, "application/octet-stream").await?)
        .await
}

fn accepted(
    answer: &IngestAnswer,
    json_mode: bool,
    form_id: &str,
    origin: Option<&str>,
) -> Result<Response> {
    let mut resp = if json_mode {
        Response::from_json(&Accepted {
            ok: true,
            id: answer.id.clone(),
            spam: answer.spam,
        })?
        .with_status(201)
    } else {
        let location = answer
            .redirect_url
            .clone()
            .unwrap_or_else(|| format!("/thanks?form={form_id}"));
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
    let form = match async { rpc::call(&rpc::form(env, form_id)?, &GetForm {}).await }.await {
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
        if !is_valid_form_id(form_id) {
            return Err(ApiError::form_not_found());
        }
        let form = rpc::call(&rpc::form(env, form_id)?, &GetForm {}).await?;
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
