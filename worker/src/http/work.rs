//! `GET /api/forms/{form_id}/work`: the work counters of a form's object and of each of its
//! endpoints' objects (see [`crate::work`]), for the benchmark to turn into a cost per
//! submission.

use futures_util::future::join_all;
use worker::{Env, Response};

use crate::error::ApiResult;
use crate::protocol::{GetForm, ReadWork};
use crate::rpc;
use crate::work::{EndpointWork, WorkCounts, WorkView};

/// The counters of the form `form_id` and its endpoints.
pub async fn form_work(env: &Env, form_id: &str) -> ApiResult<Response> {
    let form_stub = super::admin::form_stub(env, form_id)?;
    let form = rpc::call(&form_stub, &GetForm {}).await?;
    let form_work = rpc::call(&form_stub, &ReadWork {}).await?;
    let endpoints = join_all(form.endpoint_ids.iter().map(|id| async move {
        let stub = rpc::endpoint(env, id)?;
        let work = rpc::call(&stub, &ReadWork {}).await?;
        ApiResult::Ok(EndpointWork {
            id: id.clone(),
            work,
        })
    }))
    .await
    .into_iter()
    .collect::<ApiResult<Vec<_>>>()?;
    let shards = join_all((1..form.shards).map(|shard| async move {
        rpc::call(&rpc::form_shard(env, form_id, shard)?, &ReadWork {}).await
    }))
    .await
    .into_iter()
    .collect::<ApiResult<Vec<_>>>()?;
    let total = endpoints
        .iter()
        .map(|e| e.work)
        .chain(shards.iter().copied())
        .fold(form_work, WorkCounts::plus);
    Ok(Response::from_json(&WorkView {
        form: form_work,
        endpoints,
        shards,
        total,
    })?)
}
