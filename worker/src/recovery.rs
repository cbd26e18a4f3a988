//! Re-arming pending work: every form re-arms its outbox and every endpoint its retries. Runs on
//! the first request of an isolate (the local launcher's readiness probe is one) and on cron.

use futures_util::future::join_all;
use worker::Env;

use crate::error::ApiResult;
use crate::objects::log_failure;
use crate::protocol::{ListForms, RecoverEndpoint, RecoverForm};
use crate::rpc;

/// Objects poked at once (the runtime allows six simultaneous subrequests per invocation).
const PARALLEL: usize = 6;

/// Asks every form and endpoint to re-arm its alarm if it has pending work.
pub async fn sweep(env: &Env) -> ApiResult<()> {
    let form_ids = rpc::call(&rpc::registry(env)?, &ListForms {}).await?;
    let mut endpoint_ids = Vec::new();
    for chunk in form_ids.chunks(PARALLEL) {
        let calls = chunk
            .iter()
            .map(|id| async move { rpc::call(&rpc::form(env, id)?, &RecoverForm {}).await });
        for answer in join_all(calls).await {
            match answer {
                Ok(recovered) => endpoint_ids.extend(recovered.endpoint_ids),
                Err(err) => log_failure("front", "recover_form", &err),
            }
        }
    }
    for chunk in endpoint_ids.chunks(PARALLEL) {
        let calls = chunk.iter().map(|id| async move {
            rpc::call(&rpc::endpoint(env, id)?, &RecoverEndpoint {}).await
        });
        for answer in join_all(calls).await {
            if let Err(err) = answer {
                log_failure("front", "recover_endpoint", &err);
            }
        }
    }
    Ok(())
}
