//! Request bodies read as streams with a byte limit: a body is counted while it arrives and
//! refused the moment it passes the limit, so an oversized (or chunked, length-less) body is
//! never held whole in memory.

use futures_util::StreamExt;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_streams::readable::IntoStream;
use worker::{Context, Request};

use crate::error::{ApiError, ApiResult};

/// The admin API's largest request body: settings are small.
pub const MAX_ADMIN_BODY_BYTES: u64 = 1024 * 1024;

/// How much of a refused body is still read (and thrown away) after the answer left, so the
/// client reads its `413` instead of a reset connection; past this the stream is cancelled.
const MAX_DRAIN_BYTES: u64 = 256 * 1024 * 1024;

/// The most of a declared `Content-Length` reserved before the bytes arrive. A client can declare
/// the form's whole limit and then send nothing: every such request open at once held that much
/// wasm memory (which never shrinks) for as long as it stalled. Past this the buffer grows with
/// what arrives, towards the declared length.
const MAX_RESERVED_BYTES: usize = 64 * 1024;

/// The capacity a body buffer of `capacity` bytes grows to when it must hold `needed`: double,
/// as `Vec` would, but never past the declared length once that is enough (an honest body ends
/// in a buffer of exactly its size), and never less than `needed`.
fn grown_capacity(capacity: usize, needed: usize, declared: Option<usize>) -> usize {
    let doubled = capacity.saturating_mul(2).max(needed);
    match declared {
        Some(declared) if declared >= needed => doubled.min(declared),
        _ => doubled,
    }
}

/// `413 body_too_large`.
pub fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        413,
        "body_too_large",
        format!("request body is larger than allowed ({limit} bytes)"),
    )
    .with_limit(limit)
}

/// Reads the body, refusing it with `413 body_too_large` as soon as it is known to pass
/// `limit` bytes: from its `Content-Length` before reading, else while counting the stream.
/// The rest of a refused stream is drained after the answer (see [`MAX_DRAIN_BYTES`]), holding
/// one chunk at a time.
pub async fn read_limited(req: &mut Request, limit: u64, ctx: &Context) -> ApiResult<Vec<u8>> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let Some(raw) = req.inner().body() else {
        return Ok(Vec::new());
    };
    // Chunks stay JavaScript Uint8Arrays until they are known to fit: counting and draining
    // copy nothing into wasm memory, which never shrinks.
    let mut stream = wasm_streams::ReadableStream::from_raw(raw.unchecked_into()).into_stream();
    let declared = declared.and_then(|n| usize::try_from(n).ok());
    let reserved = declared.unwrap_or(0).min(MAX_RESERVED_BYTES);
    let mut body = Vec::with_capacity(reserved);
    while let Some(chunk) = stream.next().await {
        let chunk = Uint8Array::new(&chunk.map_err(read_error)?);
        let len = chunk.length() as usize;
        if (body.len() as u64).saturating_add(len as u64) > limit {
            drop(body);
            ctx.wait_until(drain(stream));
            return Err(too_large(limit));
        }
        let start = body.len();
        if start + len > body.capacity() {
            body.reserve_exact(grown_capacity(body.capacity(), start + len, declared) - start);
        }
        body.resize(start + len, 0);
        if let Some(tail) = body.get_mut(start..) {
            chunk.copy_to(tail);
        }
    }
    Ok(body)
}

fn read_error(err: JsValue) -> ApiError {
    ApiError::new(
        400,
        "body_read_failed",
        format!("the request body could not be read: {err:?}"),
    )
}

/// Reads and discards the rest of a refused body. Cancelling it at once instead would make
/// `wrangler dev`'s proxy answer `500 Network connection lost` rather than our `413`.
async fn drain(mut stream: IntoStream<'static>) {
    let mut seen: u64 = 0;
    while let Some(Ok(chunk)) = stream.next().await {
        seen = seen.saturating_add(u64::from(Uint8Array::new(&chunk).length()));
        if seen > MAX_DRAIN_BYTES {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_honest_body_ends_in_a_buffer_of_its_declared_size() {
        let declared = Some(30 * 1024 * 1024);
        let mut capacity = MAX_RESERVED_BYTES;
        let mut steps = 0;
        while capacity < 30 * 1024 * 1024 {
            capacity = grown_capacity(capacity, capacity + 64 * 1024, declared);
            steps += 1;
        }
        assert_eq!(capacity, 30 * 1024 * 1024);
        assert_eq!(steps, 9, "64 KB doubles to 16 MB, then the declared 30 MB");
    }

    #[test]
    fn growth_never_falls_short_of_what_arrived() {
        // More than declared (a lying client; the limit still applies) or nothing declared.
        assert_eq!(grown_capacity(1024, 5000, Some(2000)), 5000);
        assert_eq!(grown_capacity(1024, 1500, None), 2048);
        assert_eq!(grown_capacity(0, 10, None), 10);
        assert_eq!(grown_capacity(1024, 1500, Some(1800)), 1800);
    }
}
