//! Sending [`Call`]s to Durable Objects and answering them: JSON over the object's `fetch`, an
//! error travelling as an [`ApiError`] with its status, so the front passes codes on unchanged.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Headers, Method, Request, RequestInit, Response, Stub};

use crate::error::{ApiError, ApiResult};
use crate::protocol::Call;

/// The form's object (named by the form id).
pub fn form(env: &Env, form_id: &str) -> ApiResult<Stub> {
    Ok(env
        .durable_object("FORMS")?
        .id_from_name(form_id)?
        .get_stub()?)
}

/// One of a form's ingest objects: shard 0 is the form's own object (its settings, endpoint
/// list and admin calls); shard `k` is named `{form_id}#{k}`.
pub fn form_shard(env: &Env, form_id: &str, shard: u32) -> ApiResult<Stub> {
    if shard == 0 {
        return form(env, form_id);
    }
    Ok(env
        .durable_object("FORMS")?
        .id_from_name(&format!("{form_id}#{shard}"))?
        .get_stub()?)
}

/// The endpoint's object (named by the endpoint id).
pub fn endpoint(env: &Env, endpoint_id: &str) -> ApiResult<Stub> {
    Ok(env
        .durable_object("ENDPOINTS")?
        .id_from_name(endpoint_id)?
        .get_stub()?)
}

/// The one registry object.
pub fn registry(env: &Env) -> ApiResult<Stub> {
    Ok(env
        .durable_object("REGISTRY")?
        .id_from_name("global")?
        .get_stub()?)
}

/// Posts `body` to `path` in the object behind `stub`.
pub async fn post_bytes(
    stub: &Stub,
    path: &str,
    body: Vec<u8>,
    content_type: &str,
) -> ApiResult<Response> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    let request = Request::new_with_init(&format!("https://object{path}"), &init)?;
    Ok(stub.fetch_with_request(request).await?)
}

/// Reads an object's answer: the value on 2xx, else the error it carries.
pub async fn answer_of<T: DeserializeOwned>(mut resp: Response) -> ApiResult<T> {
    let status = resp.status_code();
    let bytes = resp.bytes().await?;
    if (200..300).contains(&status) {
        serde_json::from_slice(&bytes).map_err(ApiError::internal)
    } else {
        Err(
            serde_json::from_slice::<ApiError>(&bytes).unwrap_or_else(|_| {
                ApiError::new(
                    status,
                    "internal_error",
                    "the object failed without an answer",
                )
            }),
        )
    }
}

/// Sends a call and reads its answer.
pub async fn call<C: Call>(stub: &Stub, call: &C) -> ApiResult<C::Answer> {
    let body = serde_json::to_vec(call).map_err(ApiError::internal)?;
    answer_of(post_bytes(stub, C::PATH, body, "application/json").await?).await
}

/// Object side: reads a call from its request.
pub async fn read<C: Call>(req: &mut Request) -> ApiResult<C> {
    let bytes = req.bytes().await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::internal(format!("bad {} message: {e}", C::PATH)))
}

/// Object side: the answer to a call, or its error with the error's status.
pub fn reply<T: Serialize>(result: ApiResult<T>) -> ApiResult<Response> {
    let value = result?;
    Ok(Response::from_json(&value)?)
}

/// Object side: renders an error for the caller to read back (see [`answer_of`]).
pub fn error_response(err: &ApiError) -> worker::Result<Response> {
    Ok(Response::from_json(err)?.with_status(err.status))
}
