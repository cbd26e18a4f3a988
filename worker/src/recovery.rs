//! Re-arming pending work: every form re-arms its outbox and every endpoint its retries. Runs on
//! the first request of an isolate (the local launcher's readiness probe is one) and on cron.

use futures_util::future::join_all;
use worker::Env;

use crate::error::ApiResult;
use crate::objects::log_failure;
use crate::protocol::{EndpointEntry, IndexEndpoints, ListForms, RecoverEndpoint, RecoverForm};
use crate::rpc;

/// Objects poked at once (the runtime allows six simultaneous subrequests per invocation).
const PARALLEL: usize = 6;

/// Asks every form and endpoint to re-arm its alarm if it has pending work.
pub async fn sweep(env: &Env) -> ApiResult<()> {
    let form_ids = rpc::call(&rpc::registry(env)?, &ListForms {}).await?;
    let mut entries = Vec::new();
    let mut every_form_answered = true;
    for chunk in form_ids.chunks(PARALLEL) {
        let calls = chunk.iter().map(|id| async move {
            let answer = async { rpc::call(&rpc::form(env, id)?, &RecoverForm {}).await }.await;
            (id, answer)
        });
        for (form_id, answer) in join_all(calls).await {
            match answer {
                Ok(recovered) => {
                    entries.extend(recovered.endpoint_ids.into_iter().map(|id| EndpointEntry {
                        id,
                        form_id: form_id.clone(),
                    }));
                }
                // A listed id whose form was never made: it has no endpoints.
                Err(err) if err.status == 404 => {}
                Err(err) => {
                    every_form_answered = false;
                    log_failure("front", "recover_form", &err);
                }
            }
        }
    }
    // Endpoints made before the registry listed them are listed now; once every form answered,
    // the list is complete and public routes refuse unlisted ids.
    let index = IndexEndpoints {
        entries: entries.clone(),
        complete: every_form_answered,
    };
    if let Err(err) = async { rpc::call(&rpc::registry(env)?, &index).await }.await {
        log_failure("front", "index_endpoints", &err);
    }
    for chunk in entries.chunks(PARALLEL) {
        let calls = chunk.iter().map(|entry| async move {
            rpc::call(&rpc::endpoint(env, &entry.id)?, &RecoverEndpoint {}).await
        });
        for answer in join_all(calls).await {
            if let Err(err) = answer {
                log_failure("front", "recover_endpoint", &err);
            }
        }
    }
    Ok(())
}
