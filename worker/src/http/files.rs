//! `GET /files/{form_id}/{submission_id}/{index}?exp=…&sig=…`: a file through the signed,
//! expiring link its event carries, without the admin token. The core checks the link
//! (`formhook::file_link`); a refused link is `403` with its code (`link_malformed`,
//! `link_invalid`, `link_expired`).

use formhook::file_link::verify;
use std::collections::HashMap;
use worker::{Env, Request, Response, Result};

use crate::error::{ApiError, ApiResult};
use crate::files;
use crate::log::{emit, LogLine};
use crate::platform::now_u64;

/// Handles `GET /files/…`.
pub async fn handle(
    req: &Request,
    env: &Env,
    form_id: &str,
    submission_id: &str,
    index: &str,
) -> Result<Response> {
    match serve(req, env, form_id, submission_id, index).await {
        Ok(resp) => Ok(resp),
        Err(err) => {
            emit(&LogLine::Refused {
                route: "files",
                form_id: Some(form_id),
                status: err.status,
                code: &err.code,
            });
            let mut resp = Response::from_json(&err.body())?.with_status(err.status);
            resp.headers_mut().set("cache-control", "no-store")?;
            Ok(resp)
        }
    }
}

async fn serve(
    req: &Request,
    env: &Env,
    form_id: &str,
    submission_id: &str,
    index: &str,
) -> ApiResult<Response> {
    let key = files::link_key(env).ok_or_else(|| {
        ApiError::new(
            404,
            "file_links_off",
            "this worker has no FILE_LINK_KEY: file links are off",
        )
    })?;
    // The path signed is the canonical one rebuilt from its parts, so `/files//f/…` or a
    // non-canonical index never names a file another link was made for.
    let index: usize = index
        .parse()
        .ok()
        .filter(|i: &usize| i.to_string() == index)
        .ok_or_else(files::not_found)?;
    let path = files::link_path(form_id, submission_id, index);
    let query: HashMap<String, String> = req.url()?.query_pairs().into_owned().collect();
    verify(
        &key,
        &path,
        query.get("exp").map(String::as_str),
        query.get("sig").map(String::as_str),
        now_u64() / 1000,
    )
    .map_err(|err| ApiError::new(err.http_status(), err.code(), err.message()))?;
    let bucket = files::bucket(env)?;
    files::serve(
        &bucket,
        &files::key(form_id, submission_id, index),
        None,
        None,
    )
    .await
}

/// The worker's public origin, which file links start with: the `PUBLIC_URL` var when set
/// (behind a proxy or on a custom domain), else the origin of the request's URL.
pub fn public_origin(env: &Env, req: &Request) -> Option<String> {
    let configured = env
        .var("PUBLIC_URL")
        .map(|v| v.to_string().trim().trim_end_matches('/').to_string())
        .ok()
        .filter(|v| !v.is_empty());
    configured.or_else(|| req.url().ok().map(|u| u.origin().ascii_serialization()))
}
