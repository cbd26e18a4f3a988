//! One outbound delivery attempt: build the signed request, send it with a deadline, keep a
//! bounded excerpt of the answer. Redirects are not followed.

use std::time::Duration;

use formhook::retry::{parse_retry_after, AttemptResult};
use formhook::{sign, HmacKey, Scheme};
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

/// Bytes of a response body kept in the delivery log.
pub const RESPONSE_EXCERPT_BYTES: usize = 4096;

/// The `User-Agent` of every delivery.
pub const USER_AGENT: &str = concat!("formhook/", env!("CARGO_PKG_VERSION"));

/// What to send.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub scheme: Scheme,
    pub keys: &'a [HmacKey],
    pub message_id: &'a str,
    pub event_type: &'a str,
    pub attempt_id: &'a str,
    pub attempt: u32,
    pub payload: &'a [u8],
    pub custom_headers: &'a Map<String, Value>,
    pub timeout_ms: u64,
    pub now_ms: i64,
}

/// What came back.
pub struct Received {
    pub result: AttemptResult,
    pub status: Option<u16>,
    pub excerpt: String,
    pub error: Option<String>,
}

/// The request headers of one attempt, in order.
pub fn headers_for(out: &Outgoing<'_>) -> Vec<(String, String)> {
    let timestamp = out.now_ms.div_euclid(1000);
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("user-agent".to_string(), USER_AGENT.to_string()),
        ("webhook-id".to_string(), out.message_id.to_string()),
        ("webhook-timestamp".to_string(), timestamp.to_string()),
    ];
    let signature = sign(out.scheme, out.keys, out.message_id, timestamp, out.payload);
    let names = out.scheme.header_names();
    if let Some(ts_header) = names.timestamp {
        if ts_header != "webhook-timestamp" {
            headers.push((ts_header.to_string(), timestamp.to_string()));
        }
    }
    headers.push((names.signature.to_string(), signature));
    headers.push(("x-formhook-event".to_string(), out.event_type.to_string()));
    headers.push((
        "x-formhook-delivery".to_string(),
        out.attempt_id.to_string(),
    ));
    headers.push(("x-formhook-attempt".to_string(), out.attempt.to_string()));
    for (name, value) in out.custom_headers {
        if let Some(value) = value.as_str() {
            headers.push((name.clone(), value.to_string()));
        }
    }
    headers
}

/// Sends one attempt. Never fails: every failure is a [`Received`] with an error.
pub async fn send(out: &Outgoing<'_>) -> Received {
    match try_send(out).await {
        Ok(received) => received,
        Err(err) => Received {
            result: AttemptResult::NetworkError,
            status: None,
            excerpt: String::new(),
            error: Some(err.to_string()),
        },
    }
}

async fn try_send(out: &Outgoing<'_>) -> worker::Result<Received> {
    let headers = Headers::new();
    for (name, value) in headers_for(out) {
        headers.set(&name, &value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(js_sys::Uint8Array::from(out.payload).into()));
    let request = Request::new_with_init(out.url, &init)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let now_ms = u64::try_from(out.now_ms).unwrap_or(0);
    let exchange = async {
        let mut resp = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = resp.status_code();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .ok()
            .flatten()
            .and_then(|v| parse_retry_after(&v, now_ms));
        let mut body = Vec::new();
        if let Ok(mut stream) = resp.stream() {
            while let Some(chunk) = stream.next().await {
                let Ok(chunk) = chunk else { break };
                let room = RESPONSE_EXCERPT_BYTES - body.len();
                body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
                if body.len() >= RESPONSE_EXCERPT_BYTES {
                    break;
                }
            }
        }
        Ok::<_, worker::Error>((status, retry_after, body))
    };
    let deadline = Delay::from(Duration::from_millis(out.timeout_ms));
    futures_util::pin_mut!(exchange);
    match select(exchange, deadline).await {
        Either::Left((Ok((status, retry_after, body)), _)) => Ok(Received {
            result: AttemptResult::Status(status, retry_after),
            status: Some(status),
            excerpt: String::from_utf8_lossy(&body).into_owned(),
            error: None,
        }),
        Either::Left((Err(err), _)) => Ok(Received {
            result: AttemptResult::NetworkError,
            status: None,
            excerpt: String::new(),
            error: Some(format!("network error: {err}")),
        }),
        Either::Right(((), _)) => {
            controller.abort();
            Ok(Received {
                result: AttemptResult::Timeout,
                status: None,
                excerpt: String::new(),
                error: Some(format!("no response within {} ms", out.timeout_ms)),
            })
        }
    }
}
