//! Re-arming pending work: every form re-arms its outbox and every endpoint its retries. Runs on
//! the first request of an isolate (the local launcher's readiness probe is one) and on cron.

use futures_util::future::join_all;
use serde_json::Value;
use worker::{Env, Method};

use crate::util::{call_json, ApiResult};

/// Objects poked at once (the runtime allows six simultaneous subrequests per invocation).
const PARALLEL: usize = 6;

/// Asks every form and endpoint to re-arm its alarm if it has pending work.
pub async fn sweep(env: &Env) -> ApiResult<()> {
    let registry = env
        .durable_object("REGISTRY")?
        .id_from_name("global")?
        .get_stub()?;
    let forms = call_json(&registry, Method::Get, "/forms", None).await?;
    let form_ids: Vec<String> = serde_json::from_value(forms).unwrap_or_default();
    let form_ns = env.durable_object("FORMS")?;
    let endpoint_ns = env.durable_object("ENDPOINTS")?;
    let mut endpoint_ids = Vec::new();
    for chunk in form_ids.chunks(PARALLEL) {
        let mut calls = Vec::new();
        for id in chunk {
            let stub = form_ns.id_from_name(id)?.get_stub()?;
            calls.push(async move { call_json(&stub, Method::Post, "/recover", None).await });
        }
        for answer in join_all(calls).await.into_iter().flatten() {
            if let Some(Value::Array(ids)) = answer.get("endpoint_ids") {
                endpoint_ids.extend(ids.iter().filter_map(|v| v.as_str().map(str::to_string)));
            }
        }
    }
    for chunk in endpoint_ids.chunks(PARALLEL) {
        let mut calls = Vec::new();
        for id in chunk {
            let stub = endpoint_ns.id_from_name(id)?.get_stub()?;
            calls.push(async move { call_json(&stub, Method::Post, "/recover", None).await });
        }
        join_all(calls).await;
    }
    Ok(())
}
