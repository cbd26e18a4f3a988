//! Request bodies read as streams with a byte limit: a body is counted while it arrives and
//! refused the moment it passes the limit, so an oversized (or chunked, length-less) body is
//! never held whole in memory.

use futures_util::StreamExt;
use worker::{ByteStream, Context, Request};

use crate::error::{ApiError, ApiResult};

/// The admin API's largest request body: settings are small.
pub const MAX_ADMIN_BODY_BYTES: u64 = 1024 * 1024;

/// How much of a refused body is still read (and thrown away) after the answer left, so the
/// client reads its `413` instead of a reset connection; past this the stream is cancelled.
const MAX_DRAIN_BYTES: u64 = 256 * 1024 * 1024;

/// `413 body_too_large`.
pub fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        413,
        "body_too_large",
        format!("request body is larger than allowed ({limit} bytes)"),
    )
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
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream()?;
    let capacity = declared.unwrap_or(0).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if (body.len() as u64).saturating_add(chunk.len() as u64) > limit {
            drop(body);
            ctx.wait_until(drain(stream));
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads and discards the rest of a refused body. Cancelling it at once instead would make
/// `wrangler dev`'s proxy answer `500 Network connection lost` rather than our `413`.
async fn drain(mut stream: ByteStream) {
    let mut seen: u64 = 0;
    while let Some(Ok(chunk)) = stream.next().await {
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > MAX_DRAIN_BYTES {
            break;
        }
    }
}
