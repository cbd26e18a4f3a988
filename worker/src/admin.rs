//! The admin API under `/api`: bearer-token auth, then routing to the object that owns the data.

use formhook::ingest::is_valid_form_id;
use futures_util::future::join_all;
use serde_json::{json, Value};
use worker::{Env, Method, Request, Response, Result, Stub};

use crate::config::{EndpointConfig, FormConfig};
use crate::util::{
    call, call_json, finish, json_response, new_id, now_ms, read_json, ApiError, ApiResult,
};

/// Handles `/api/...` (except the OpenAPI document, which is public).
pub async fn handle(req: Request, env: &Env) -> Result<Response> {
    let mut resp = finish(route(req, env).await)?;
    resp.headers_mut().set("cache-control", "no-store")?;
    if resp.status_code() == 401 {
        resp.headers_mut()
            .set("www-authenticate", "Bearer realm=\"formhook admin\"")?;
    }
    Ok(resp)
}

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
    let given = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let token = given
        .strip_prefix("Bearer ")
        .or_else(|| given.strip_prefix("bearer "))
        .unwrap_or("")
        .trim();
    if token.is_empty() {
        return Err(ApiError::new(401, "unauthorized", "missing bearer token"));
    }
    if !formhook::mac::secret_eq(token.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::new(401, "unauthorized", "invalid bearer token"));
    }
    Ok(())
}

fn form_stub(env: &Env, form_id: &str) -> ApiResult<Stub> {
    if !is_valid_form_id(form_id) {
        return Err(ApiError::new(404, "form_not_found", "no form with this id"));
    }
    Ok(env
        .durable_object("FORMS")?
        .id_from_name(form_id)?
        .get_stub()?)
}

fn registry(env: &Env) -> ApiResult<Stub> {
    Ok(env
        .durable_object("REGISTRY")?
        .id_from_name("global")?
        .get_stub()?)
}

/// The endpoint's object, once the form confirms the endpoint is one of its own.
async fn endpoint_stub(env: &Env, form_id: &str, endpoint_id: &str) -> ApiResult<Stub> {
    let ids = call_json(&form_stub(env, form_id)?, Method::Get, "/endpoints", None).await?;
    let known = ids
        .as_array()
        .is_some_and(|ids| ids.iter().any(|id| id == endpoint_id));
    if !known {
        return Err(ApiError::new(
            404,
            "endpoint_not_found",
            "no endpoint with this id on this form",
        ));
    }
    Ok(env
        .durable_object("ENDPOINTS")?
        .id_from_name(endpoint_id)?
        .get_stub()?)
}

fn query_string(req: &Request) -> String {
    req.url()
        .ok()
        .and_then(|u| u.query().map(|q| format!("?{q}")))
        .unwrap_or_default()
}

fn pass(value: Value, status: u16) -> ApiResult {
    Ok(json_response(status, &value)?)
}

/// Forwards to an object and passes its answer through (status, type, body) as a fresh,
/// mutable response.
async fn forward(stub: &Stub, method: Method, path: &str, body: Option<&Value>) -> ApiResult {
    let mut inner = call(stub, method, path, body).await?;
    let status = inner.status_code();
    let bytes = inner.bytes().await?;
    let mut resp = if status == 204 {
        Response::empty()?
    } else {
        Response::from_bytes(bytes)?
    }
    .with_status(status);
    for name in ["content-type", "content-disposition"] {
        if let Some(value) = inner.headers().get(name)? {
            resp.headers_mut().set(name, &value)?;
        }
    }
    Ok(resp)
}

async fn route(mut req: Request, env: &Env) -> ApiResult {
    authorize(&req, env)?;
    let path = req.path();
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .skip(1)
        .map(str::to_string)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.method();
    let q = query_string(&req);
    match (method, segs.as_slice()) {
        (Method::Get, ["forms"]) => list_forms(env).await,
        (Method::Post, ["forms"]) => create_form(&mut req, env).await,
        (Method::Get, ["forms", f]) => {
            let stub = form_stub(env, f)?;
            let mut form = call_json(&stub, Method::Get, "/config", None).await?;
            form["endpoint_ids"] = call_json(&stub, Method::Get, "/endpoints", None).await?;
            pass(form, 200)
        }
        (Method::Patch, ["forms", f]) => {
            let body = read_json(&mut req).await?;
            forward(&form_stub(env, f)?, Method::Patch, "/config", Some(&body)).await
        }
        (Method::Delete, ["forms", f]) => delete_form(env, f).await,
        (Method::Get, ["forms", f, "endpoints"]) => list_endpoints(env, f).await,
        (Method::Post, ["forms", f, "endpoints"]) => create_endpoint(&mut req, env, f).await,
        (Method::Delete, ["forms", f, "endpoints", e]) => {
            let stub = endpoint_stub(env, f, e).await?;
            call_json(
                &form_stub(env, f)?,
                Method::Delete,
                &format!("/endpoints/{e}"),
                None,
            )
            .await?;
            forward(&stub, Method::Delete, "/config", None).await
        }
        // Everything else about one endpoint lives in its object: map the route to its path.
        (m, ["forms", f, "endpoints", e, rest @ ..]) => {
            let (method, inner, body) = match (m, rest) {
                (Method::Get, []) => (Method::Get, "/config".to_string(), None),
                (Method::Patch, []) => {
                    let body = read_json(&mut req).await?;
                    if let Some(url) = body.get("url").and_then(Value::as_str) {
                        crate::ssrf::check(env, url)
                            .map_err(|m| ApiError::new(422, "url_not_allowed", m))?;
                    }
                    (Method::Patch, "/config".to_string(), Some(body))
                }
                (Method::Post, [action @ ("enable" | "disable")]) => (
                    Method::Patch,
                    "/config".to_string(),
                    Some(json!({"enabled": *action == "enable"})),
                ),
                (Method::Post, ["rotate-secret"]) => (
                    Method::Post,
                    "/rotate-secret".to_string(),
                    Some(read_json(&mut req).await?),
                ),
                (Method::Post, ["test"]) => (Method::Post, "/test".to_string(), None),
                (Method::Get, ["deliveries"]) => (Method::Get, format!("/deliveries{q}"), None),
                (Method::Get, ["deliveries", d]) => (Method::Get, format!("/deliveries/{d}"), None),
                (Method::Get, ["attempts"]) => (Method::Get, format!("/attempts{q}"), None),
                (_, []) => return Err(not_allowed()),
                _ => return Err(ApiError::new(404, "not_found", "no such API route")),
            };
            forward(
                &endpoint_stub(env, f, e).await?,
                method,
                &inner,
                body.as_ref(),
            )
            .await
        }
        // Submissions live in the form's object.
        (m, ["forms", f, "submissions", rest @ ..]) => {
            let (method, inner, body) = match (m, rest) {
                (Method::Get, []) => (Method::Get, format!("/submissions{q}"), None),
                (Method::Get, [s]) => (Method::Get, format!("/submissions/{s}"), None),
                (Method::Get, [s, "files", i]) => {
                    (Method::Get, format!("/submissions/{s}/files/{i}"), None)
                }
                (Method::Post, [s, "replay"]) => (
                    Method::Post,
                    format!("/submissions/{s}/replay"),
                    Some(read_json(&mut req).await?),
                ),
                _ => return Err(ApiError::new(404, "not_found", "no such API route")),
            };
            forward(&form_stub(env, f)?, method, &inner, body.as_ref()).await
        }
        (_, ["forms"] | ["forms", _] | ["forms", _, "endpoints"]) => Err(not_allowed()),
        _ => Err(ApiError::new(404, "not_found", "no such API route")),
    }
}

fn not_allowed() -> ApiError {
    ApiError::new(
        405,
        "method_not_allowed",
        "method not allowed on this resource",
    )
}

async fn list_forms(env: &Env) -> ApiResult {
    let ids = call_json(&registry(env)?, Method::Get, "/forms", None).await?;
    let ids: Vec<String> = serde_json::from_value(ids).unwrap_or_default();
    let mut forms = Vec::new();
    for chunk in ids.chunks(6) {
        let mut calls = Vec::new();
        for id in chunk {
            let stub = form_stub(env, id)?;
            calls.push(async move {
                let mut form = call_json(&stub, Method::Get, "/config", None).await?;
                form["endpoint_ids"] = call_json(&stub, Method::Get, "/endpoints", None).await?;
                Ok::<Value, ApiError>(form)
            });
        }
        forms.extend(join_all(calls).await.into_iter().flatten());
    }
    pass(json!({"data": forms}), 200)
}

async fn create_form(req: &mut Request, env: &Env) -> ApiResult {
    let body = read_json(req).await?;
    let id = match body.get("id") {
        None | Some(Value::Null) => new_id("frm")?,
        Some(Value::String(id)) if is_valid_form_id(id) => id.clone(),
        Some(_) => {
            return Err(ApiError::field(
                "id",
                "must be 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit",
            ))
        }
    };
    let now = now_ms();
    let mut config = FormConfig::new(&id, now);
    config.apply(&body, true)?;
    call_json(
        &registry(env)?,
        Method::Post,
        "/claim",
        Some(&json!({"id": id, "created_ms": now})),
    )
    .await?;
    let stub = form_stub(env, &id)?;
    let value = serde_json::to_value(&config).map_err(ApiError::internal)?;
    match call_json(&stub, Method::Post, "/init", Some(&value)).await {
        Ok(mut form) => {
            form["endpoint_ids"] = json!([]);
            pass(form, 201)
        }
        Err(err) => {
            let _ = call_json(
                &registry(env)?,
                Method::Post,
                "/release",
                Some(&json!({"id": id})),
            )
            .await;
            Err(err)
        }
    }
}

async fn delete_form(env: &Env, form_id: &str) -> ApiResult {
    let stub = form_stub(env, form_id)?;
    let removed = call_json(&stub, Method::Delete, "/config", None).await?;
    let endpoint_ns = env.durable_object("ENDPOINTS")?;
    if let Some(ids) = removed["endpoint_ids"].as_array() {
        for id in ids.iter().filter_map(Value::as_str) {
            let endpoint = endpoint_ns.id_from_name(id)?.get_stub()?;
            let _ = call(&endpoint, Method::Delete, "/config", None).await;
        }
    }
    call_json(
        &registry(env)?,
        Method::Post,
        "/release",
        Some(&json!({"id": form_id})),
    )
    .await?;
    Ok(Response::empty()?.with_status(204))
}

async fn list_endpoints(env: &Env, form_id: &str) -> ApiResult {
    let ids = call_json(&form_stub(env, form_id)?, Method::Get, "/endpoints", None).await?;
    let ids: Vec<String> = serde_json::from_value(ids).unwrap_or_default();
    let namespace = env.durable_object("ENDPOINTS")?;
    let mut endpoints = Vec::new();
    for chunk in ids.chunks(6) {
        let mut calls = Vec::new();
        for id in chunk {
            let stub = namespace.id_from_name(id)?.get_stub()?;
            calls.push(async move { call_json(&stub, Method::Get, "/config", None).await });
        }
        endpoints.extend(join_all(calls).await.into_iter().flatten());
    }
    pass(json!({"data": endpoints}), 200)
}

async fn create_endpoint(req: &mut Request, env: &Env, form_id: &str) -> ApiResult {
    let form = form_stub(env, form_id)?;
    call_json(&form, Method::Get, "/config", None).await?;
    let body = read_json(req).await?;
    let id = new_id("ep")?;
    let mut config = EndpointConfig::new(&id, form_id, now_ms());
    config.apply(&body, true)?;
    crate::ssrf::check(env, &config.url).map_err(|m| ApiError::new(422, "url_not_allowed", m))?;
    let secret = match body.get("secret") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(_) => return Err(ApiError::field("secret", "must be a string")),
    };
    let stub = env
        .durable_object("ENDPOINTS")?
        .id_from_name(&id)?
        .get_stub()?;
    let init = json!({"config": config, "secret": secret});
    let created = call_json(&stub, Method::Post, "/init", Some(&init)).await?;
    call_json(&form, Method::Post, &format!("/endpoints/{id}"), None).await?;
    pass(created, 201)
}
