//! The formhook edge worker: form ingest at `/f/{form_id}`, the admin API under `/api`, the
//! dashboard and playground from static assets. Storage and delivery live in three Durable
//! Objects: [`form_do::FormStore`] (one per form), [`endpoint_do::EndpointQueue`] (one per
//! endpoint) and [`registry_do::Registry`] (the list of forms). Every decision is the core's
//! (`formhook`); this crate converts between it and the Workers runtime.

mod admin;
mod config;
mod delivery;
mod endpoint_do;
mod form_do;
mod ingest;
mod pages;
mod recovery;
mod registry_do;
mod ssrf;
mod util;

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use worker::{
    event, Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

use crate::util::json_response;

/// Set once this isolate has asked every object to re-arm pending work.
static RECOVERY_STARTED: AtomicBool = AtomicBool::new(false);

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    // The first request after a (re)start re-arms every pending delivery, so no work waits on
    // an alarm that an older runtime may have lost.
    if !RECOVERY_STARTED.swap(true, Ordering::SeqCst) {
        let env2 = env.clone();
        ctx.wait_until(async move {
            let _ = recovery::sweep(&env2).await;
        });
    }
    let path = req.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["health"] => json_response(
            200,
            &json!({"ok": true, "version": env!("CARGO_PKG_VERSION")}),
        ),
        ["f", form_id] | ["f", form_id, ""] => {
            let form_id = (*form_id).to_string();
            ingest::handle(req, &env, &form_id).await
        }
        ["thanks"] => pages::thanks(&req),
        ["api", "openapi.json"] if req.method() == Method::Get => {
            let mut resp = Response::ok(include_str!("openapi.json"))?;
            resp.headers_mut().set("content-type", "application/json")?;
            Ok(resp)
        }
        ["api", ..] => admin::handle(req, &env).await,
        _ => match env.assets("ASSETS") {
            Ok(assets) => assets.fetch_request(req).await,
            Err(_) => util::ApiError::new(404, "not_found", "no such page").response(),
        },
    }
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // Deployed, a cron trigger calls this every few minutes as a safety net for alarms.
    let _ = recovery::sweep(&env).await;
}
