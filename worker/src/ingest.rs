//! `POST /f/{form_id}`: hands the raw body to the form's object, which parses and stores it, then
//! answers the way the client asked: JSON for scripts, a `303` redirect for HTML form posts.

use formhook::ingest::{is_valid_form_id, wants_json};
use serde_json::{json, Value};
use worker::{Env, Headers, Method, Request, RequestInit, Response, Result};

use crate::config::MAX_BODY_BYTES_LIMIT;
use crate::pages;
use crate::util::{json_response, ApiError};

/// Handles every method on `/f/{form_id}`.
pub async fn handle(mut req: Request, env: &Env, form_id: &str) -> Result<Response> {
    let incoming = req.headers().clone();
    let header = |name: &str| incoming.get(name).ok().flatten();
    let origin = header("origin");
    let json_mode = wants_json(
        header("accept").as_deref(),
        header("content-type").as_deref(),
        header("sec-fetch-mode").as_deref(),
    );
    let answer = |err: ApiError| respond_error(&err, json_mode, origin.as_deref());
    if !is_valid_form_id(form_id) {
        return answer(ApiError::new(404, "form_not_found", "no form with this id"));
    }
    match req.method() {
        Method::Post => {}
        Method::Options => return preflight(env, form_id, origin.as_deref()).await,
        _ => {
            let mut resp = answer(ApiError::new(
                405,
                "method_not_allowed",
                "submit forms with POST",
            ))?;
            resp.headers_mut().set("allow", "POST, OPTIONS")?;
            return Ok(resp);
        }
    }
    let declared = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES_LIMIT) {
        return answer(ApiError::new(
            413,
            "body_too_large",
            "request body is larger than allowed",
        ));
    }
    let body = req.bytes().await?;
    if body.len() as u64 > MAX_BODY_BYTES_LIMIT {
        return answer(ApiError::new(
            413,
            "body_too_large",
            "request body is larger than allowed",
        ));
    }

    let forwarded = Headers::new();
    let copy = [
        ("x-fh-content-type", header("content-type")),
        ("x-fh-origin", origin.clone()),
        ("x-fh-user-agent", header("user-agent")),
        ("x-fh-referer", header("referer")),
        (
            "x-fh-ip",
            header("cf-connecting-ip")
                .or_else(|| header("x-real-ip"))
                .or_else(|| Some("unknown".into())),
        ),
        ("x-fh-country", req.cf().and_then(|cf| cf.country())),
    ];
    for (name, value) in copy {
        if let Some(value) = value {
            forwarded.set(name, &value)?;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(forwarded)
        .with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    let inner = Request::new_with_init("https://internal/ingest", &init)?;
    let stub = env
        .durable_object("FORMS")?
        .id_from_name(form_id)?
        .get_stub()?;
    let mut stored = stub.fetch_with_request(inner).await?;
    let status = stored.status_code();
    let value: Value = stored.json().await.unwrap_or(Value::Null);
    if status != 201 {
        let err = ApiError::new(
            status,
            value["error"]["code"].as_str().unwrap_or("internal_error"),
            value["error"]["message"]
                .as_str()
                .unwrap_or("the submission could not be stored"),
        );
        let mut resp = respond_error(&err, json_mode, origin.as_deref())?;
        if err.code == "rate_limited" {
            // Limits count per calendar minute: the budget refills at the next one.
            let wait = 60 - (crate::util::now_ms() / 1000) % 60;
            resp.headers_mut().set("retry-after", &wait.to_string())?;
        }
        return Ok(resp);
    }
    let mut resp = if json_mode {
        json_response(
            201,
            &json!({"ok": true, "id": value["id"], "spam": value["spam"]}),
        )?
    } else {
        let location = value["redirect_url"]
            .as_str()
            .map_or_else(|| format!("/thanks?form={form_id}"), str::to_string);
        let mut resp = Response::empty()?.with_status(303);
        resp.headers_mut().set("location", &location)?;
        resp
    };
    cors(&mut resp, origin.as_deref())?;
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

fn respond_error(err: &ApiError, json_mode: bool, origin: Option<&str>) -> Result<Response> {
    let mut resp = if json_mode {
        json_response(
            err.status,
            &json!({"ok": false, "error": {"code": err.code, "message": err.message}}),
        )?
    } else {
        pages::error_page(err)?
    };
    if err.code != "origin_not_allowed" {
        cors(&mut resp, origin)?;
    }
    Ok(resp)
}

async fn preflight(env: &Env, form_id: &str, origin: Option<&str>) -> Result<Response> {
    let stub = env
        .durable_object("FORMS")?
        .id_from_name(form_id)?
        .get_stub()?;
    let config = match crate::util::call_json(&stub, Method::Get, "/config", None).await {
        Ok(config) => config,
        Err(err) => return err.response(),
    };
    let allowed: Vec<String> =
        serde_json::from_value(config["allowed_origins"].clone()).unwrap_or_default();
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
        if formhook::ingest::origin_allowed(origin, &allowed) {
            headers.set("access-control-allow-origin", origin)?;
        }
    }
    Ok(resp)
}
