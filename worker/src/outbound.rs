//! One outbound delivery attempt: `POST` the signed bytes with a deadline, keep a bounded excerpt
//! of the answer, follow no redirect. It decides nothing: the core reads the result.

use std::time::Duration;

use formhook::retry::{parse_retry_after, AttemptResult};
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

/// Bytes of a response body kept in the delivery log.
pub const RESPONSE_EXCERPT_BYTES: usize = 4096;

/// The `User-Agent` of every delivery.
pub const USER_AGENT: &str = concat!("formhook/", env!("CARGO_PKG_VERSION"));

/// What came back.
pub struct Received {
    /// For the core's retry decision.
    pub result: AttemptResult,
    /// The HTTP status, when one came.
    pub status: Option<u16>,
    /// The first [`RESPONSE_EXCERPT_BYTES`] of the body, as text.
    pub excerpt: String,
    /// Why it failed without a status.
    pub error: Option<String>,
}

impl Received {
    /// A failure before or without a response.
    pub fn failure(result: AttemptResult, error: String) -> Self {
        Self {
            result,
            status: None,
            excerpt: String::new(),
            error: Some(error),
        }
    }
}

/// Sends one attempt. Never fails: every failure is a [`Received`] with an error.
pub async fn send(
    url: &str,
    headers: &[(String, String)],
    payload: &[u8],
    timeout_ms: u64,
    now_ms: u64,
) -> Received {
    match try_send(url, headers, payload, timeout_ms, now_ms).await {
        Ok(received) => received,
        Err(err) => Received::failure(AttemptResult::NetworkError, err.to_string()),
    }
}

async fn try_send(
    url: &str,
    headers: &[(String, String)],
    payload: &[u8],
    timeout_ms: u64,
    now_ms: u64,
) -> worker::Result<Received> {
    let request_headers = Headers::new();
    for (name, value) in headers {
        request_headers.append(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(request_headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(js_sys::Uint8Array::from(payload).into()));
    let request = Request::new_with_init(url, &init)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let mut resp = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = resp.status_code();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|v| parse_retry_after(&v, now_ms));
        // A short, unencoded answer of known length is read in one call; anything else is
        // streamed and cut at the excerpt's size, so a receiver cannot make the worker read a
        // huge body (a compressed one is decoded while read: its length says nothing).
        let answer_headers = resp.headers();
        let encoded = answer_headers
            .get("content-encoding")
            .ok()
            .flatten()
            .is_some_and(|v| !v.trim().eq_ignore_ascii_case("identity"));
        let known_short = !encoded
            && answer_headers
                .get("content-length")
                .ok()
                .flatten()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .is_some_and(|len| len <= RESPONSE_EXCERPT_BYTES);
        let mut body = Vec::new();
        if known_short {
            body = resp.bytes().await?;
            body.truncate(RESPONSE_EXCERPT_BYTES);
        } else if let Ok(mut stream) = resp.stream() {
            while let Some(Ok(chunk)) = stream.next().await {
                let room = RESPONSE_EXCERPT_BYTES - body.len();
                body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
                if body.len() >= RESPONSE_EXCERPT_BYTES {
                    break;
                }
            }
        }
        Ok::<_, worker::Error>((status, retry_after, body))
    };
    let deadline = Delay::from(Duration::from_millis(timeout_ms));
    futures_util::pin_mut!(exchange);
    Ok(match select(exchange, deadline).await {
        Either::Left((Ok((status, retry_after, body)), _)) => Received {
            result: AttemptResult::Status(status, retry_after),
            status: Some(status),
            excerpt: String::from_utf8_lossy(&body).into_owned(),
            error: None,
        },
        Either::Left((Err(err), _)) => {
            Received::failure(AttemptResult::NetworkError, format!("network error: {err}"))
        }
        Either::Right(((), _)) => {
            controller.abort();
            Received::failure(
                AttemptResult::Timeout,
                format!("no response within {timeout_ms} ms"),
            )
        }
    })
}
