//! Uploaded files in R2 (binding `FILES`): where each one is kept, how it is written, listed,
//! deleted and served, and the signed links events carry to it.
//!
//! Keys are `{form_id}/{submission_id}/{file_index}`, `file_index` being the file's 0-based
//! position in the event's file list, so everything of a submission (or a form) lies under one
//! prefix and is deleted by listing that prefix. The link format and its checks are the core's
//! (`formhook::file_link`); this module only converts.

use formhook::file_link::{expires_at, signed_query, FileLinkKey};
use std::collections::HashMap;
use worker::{Bucket, Env, HttpMetadata, Response};

use crate::error::{ApiError, ApiResult};

/// The R2 binding in `wrangler.toml`.
const BINDING: &str = "FILES";
/// The secret that signs file links.
const LINK_KEY_VAR: &str = "FILE_LINK_KEY";
/// Keys deleted per R2 call (the API takes at most 1000).
const DELETE_BATCH: usize = 1000;

/// The R2 key of the file at `index` of a submission.
pub fn key(form_id: &str, submission_id: &str, index: usize) -> String {
    format!("{form_id}/{submission_id}/{index}")
}

/// The prefix of every file of a submission.
pub fn submission_prefix(form_id: &str, submission_id: &str) -> String {
    format!("{form_id}/{submission_id}/")
}

/// The prefix of every file of a form.
pub fn form_prefix(form_id: &str) -> String {
    format!("{form_id}/")
}

/// The path a signed link downloads a file at: `/files/{key}`.
pub fn link_path(form_id: &str, submission_id: &str, index: usize) -> String {
    format!("/files/{}", key(form_id, submission_id, index))
}

/// The bucket.
pub fn bucket(env: &Env) -> ApiResult<Bucket> {
    env.bucket(BINDING)
        .map_err(|e| ApiError::internal(format!("R2 binding {BINDING}: {e}")))
}

/// The link-signing key (`FILE_LINK_KEY`), or `None` when the worker has none: events then
/// carry `url: null` and `/files/…` answers `404 file_links_off`.
pub fn link_key(env: &Env) -> Option<FileLinkKey> {
    let text = env
        .secret(LINK_KEY_VAR)
        .map(|v| v.to_string())
        .or_else(|_| env.var(LINK_KEY_VAR).map(|v| v.to_string()))
        .ok()?;
    FileLinkKey::new(text.as_bytes()).ok()
}

/// The absolute link to a file, valid `ttl_secs` from `now_secs`.
pub fn link(
    key: &FileLinkKey,
    origin: &str,
    (form_id, submission_id, index): (&str, &str, usize),
    now_secs: u64,
    ttl_secs: u64,
) -> String {
    let path = link_path(form_id, submission_id, index);
    let query = signed_query(key, &path, expires_at(now_secs, ttl_secs));
    format!("{}{path}?{query}", origin.trim_end_matches('/'))
}

/// The custom metadata entry that holds a file's name (what a download is called).
const NAME_METADATA: &str = "name";

/// Writes one file with its content type and name (which a link's download needs, having no
/// submission at hand).
pub async fn put(
    bucket: &Bucket,
    key: &str,
    bytes: Vec<u8>,
    content_type: &str,
    name: &str,
) -> ApiResult<()> {
    bucket
        .put(key, bytes)
        .http_metadata(HttpMetadata {
            content_type: Some(content_type.to_string()),
            ..HttpMetadata::default()
        })
        .custom_metadata(HashMap::from([(
            NAME_METADATA.to_string(),
            name.to_string(),
        )]))
        .execute()
        .await
        .map(|_| ())
        .map_err(|e| store_failed(&e))
}

/// Deletes every object under `prefix`; answers how many.
pub async fn delete_prefix(bucket: &Bucket, prefix: &str) -> ApiResult<usize> {
    let mut deleted = 0;
    loop {
        // Always the first page: what was listed is deleted before listing again.
        let page = bucket
            .list()
            .prefix(prefix)
            .limit(DELETE_BATCH as u32)
            .execute()
            .await
            .map_err(|e| store_failed(&e))?;
        let keys: Vec<String> = page.objects().iter().map(|o| o.key()).collect();
        if keys.is_empty() {
            return Ok(deleted);
        }
        deleted += keys.len();
        bucket
            .delete_multiple(keys)
            .await
            .map_err(|e| store_failed(&e))?;
        if !page.truncated() {
            return Ok(deleted);
        }
    }
}

fn store_failed(err: &worker::Error) -> ApiError {
    ApiError::new(
        503,
        "file_store_failed",
        format!("the file store (R2) failed: {err}"),
    )
}

/// A stored file as a download that never renders on this origin (the dashboard keeps its
/// token here): `Content-Disposition: attachment`, `nosniff`, and a CSP that sandboxes it.
/// `404 file_not_found` when the object is gone (erased, expired or never stored).
pub async fn serve(
    bucket: &Bucket,
    key: &str,
    filename: Option<&str>,
    content_type: Option<&str>,
) -> ApiResult<Response> {
    let object = bucket
        .get(key)
        .execute()
        .await
        .map_err(|e| store_failed(&e))?
        .ok_or_else(not_found)?;
    let stored_type = object.http_metadata().content_type;
    let content_type = content_type
        .map(str::to_string)
        .or(stored_type)
        .unwrap_or_default();
    let size = object.size();
    let stored_name = object
        .custom_metadata()
        .ok()
        .and_then(|mut m| m.remove(NAME_METADATA));
    let body = object.body().ok_or_else(not_found)?.response_body()?;
    let mut resp = Response::from_body(body)?;
    let headers = resp.headers_mut();
    headers.set(
        "content-type",
        crate::http::pages::download_type(&content_type),
    )?;
    headers.set("content-length", &size.to_string())?;
    let name = filename
        .or(stored_name.as_deref())
        .unwrap_or_else(|| key.rsplit('/').next().unwrap_or("file"));
    headers.set("content-disposition", &crate::http::pages::attachment(name))?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("content-security-policy", "default-src 'none'; sandbox")?;
    headers.set("cache-control", "private, no-store")?;
    Ok(resp)
}

/// `404 file_not_found`.
pub fn not_found() -> ApiError {
    ApiError::new(404, "file_not_found", "no stored file here")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_nest_under_their_submission_and_form() {
        let k = key("contact", "sub_01", 2);
        assert_eq!(k, "contact/sub_01/2");
        assert!(k.starts_with(&submission_prefix("contact", "sub_01")));
        assert!(k.starts_with(&form_prefix("contact")));
        // A form whose id extends another's never shares its prefix.
        assert!(!key("contact-2", "sub_01", 0).starts_with(&form_prefix("contact")));
        assert_eq!(link_path("contact", "sub_01", 2), "/files/contact/sub_01/2");
    }

    #[test]
    fn a_link_is_absolute_and_verifies_for_its_file_only() {
        let key = FileLinkKey::new(b"0123456789abcdef0123").unwrap();
        let url = link(&key, "https://forms.example/", ("f", "sub_1", 0), 100, 60);
        let (path, query) = url
            .strip_prefix("https://forms.example")
            .unwrap()
            .split_once('?')
            .unwrap();
        assert_eq!(path, "/files/f/sub_1/0");
        let (exp, sig) = query.split_once("&sig=").unwrap();
        let exp = exp.strip_prefix("exp=").unwrap();
        assert_eq!(exp, "160");
        let check = |path, now| formhook::file_link::verify(&key, path, Some(exp), Some(sig), now);
        assert_eq!(check(path, 159), Ok(()));
        assert!(check("/files/f/sub_1/1", 100).is_err());
        assert!(check(path, 160).is_err());
    }
}
