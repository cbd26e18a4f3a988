//! An axum server that receives formhook deliveries: one `Verifier` built at start-up, one call
//! per request on the raw body and the `HeaderMap`.
//!
//! `WEBHOOK_SECRET=whsec_… ADDR=127.0.0.1:3000 cargo run -p formhook-axum-receiver`; it prints
//! the address it listens on (`ADDR` may use port 0).
use std::{sync::Arc, time::SystemTime};

use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use formhook::{Scheme, Verifier};

async fn webhook(
    State(verifier): State<Arc<Verifier>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    match verifier.verify(&headers, &body, now) {
        // `body` is the verified payload: parse it and act on it here; `webhook-id` is the dedupe key.
        Ok(()) => (
            StatusCode::OK,
            format!(r#"{{"ok":true,"bytes":{}}}"#, body.len()),
        ),
        Err(error) => (
            StatusCode::UNAUTHORIZED,
            format!(r#"{{"error":"{}"}}"#, error.code()),
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("WEBHOOK_SECRET")?;
    let verifier = Arc::new(Verifier::new(Scheme::StandardWebhooks, &[secret])?);
    let app = Router::new()
        .route("/webhooks", post(webhook))
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind(
        std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into()),
    )
    .await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
