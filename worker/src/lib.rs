//! The formhook edge worker: form ingest at `/f/{form_id}`, the admin API under `/api`, file
//! links under `/files` (bytes in R2), the dashboard and playground from static assets. Storage
//! and delivery live in three Durable Objects (`objects`): `FormStore` (one per form),
//! `EndpointQueue` (one per endpoint) and `Registry` (the list of forms), which talk in the
//! typed messages of `protocol`. Every
//! decision is the core's (`formhook`); this crate converts between it and the Workers runtime.

#[cfg(not(target_arch = "wasm32"))]
pub mod api_doc;
mod captcha;
mod error;
mod files;
mod http;
mod log;
mod objects;
mod outbound;
mod platform;
mod protocol;
mod recovery;
mod rpc;
mod schema;
mod settings;
mod ssrf;
mod storage;
mod views;
mod work;

use std::sync::atomic::{AtomicBool, Ordering};

use worker::{
    event, Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

use crate::error::ApiError;

/// Set once this isolate has asked every object to re-arm pending work.
static RECOVERY_STARTED: AtomicBool = AtomicBool::new(false);

/// The OpenAPI document, generated from the types by `scripts/openapi`.
const OPENAPI: &str = include_str!("../openapi.json");

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    // The first request after a (re)start re-arms every pending delivery, so no work waits on
    // an alarm that an older runtime may have lost.
    if !RECOVERY_STARTED.swap(true, Ordering::SeqCst) {
        let env2 = env.clone();
        ctx.wait_until(async move {
            if let Err(err) = recovery::sweep(&env2).await {
                objects::log_failure("front", "recovery", &err);
            }
        });
    }
    let path = req.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["health"] => Response::from_json(&views::Health {
            ok: true,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }),
        ["f", form_id] | ["f", form_id, ""] => {
            let form_id = (*form_id).to_string();
            http::ingest::handle(req, &env, &ctx, &form_id).await
        }
        ["f", form_id, "captcha"] if req.method() == Method::Get => {
            http::ingest::captcha_widget(&env, form_id).await
        }
        ["thanks"] => http::pages::thanks(&req),
        ["files", form_id, submission_id, index] if req.method() == Method::Get => {
            http::files::handle(&req, &env, form_id, submission_id, index).await
        }
        ["keys", endpoint_id] if req.method() == Method::Get => {
            http::admin::public_keys(&env, endpoint_id).await
        }
        ["api", "openapi.json"] if req.method() == Method::Get => {
            let mut resp = Response::ok(OPENAPI)?;
            resp.headers_mut().set("content-type", "application/json")?;
            Ok(resp)
        }
        ["api", ..] => http::admin::handle(req, &env, &ctx).await,
        // Pages and their assets: every response gets the page security headers.
        _ => http::pages::with_asset_headers(
            &path,
            match env.assets("ASSETS") {
                Ok(assets) => assets.fetch_request(req).await?,
                Err(_) => {
                    let err = ApiError::new(404, "not_found", "no such page");
                    Response::from_json(&err.body())?.with_status(404)
                }
            },
        ),
    }
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // Deployed, a cron trigger calls this every few minutes as a safety net for alarms.
    if let Err(err) = recovery::sweep(&env).await {
        objects::log_failure("front", "recovery", &err);
    }
}
