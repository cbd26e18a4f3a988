//! The admin API's side of sharded forms (`shards` > 1): settings and endpoint changes are
//! copied from the form's object to the other shards, submission listings merge every shard's
//! page, and deleting the form deletes every shard.

use futures_util::future::join_all;
use worker::{Env, Stub};

use crate::error::ApiResult;
use crate::protocol::{
    DeleteForm, GetForm, GetSubmission, ListSubmissions, PageQuery, SubmissionFilter, SyncShards,
};
use crate::rpc;
use crate::views::{Page, SubmissionView};

/// The form's shard count (1 for a form that never raised it).
pub async fn count(env: &Env, form_id: &str) -> ApiResult<u32> {
    Ok(rpc::call(&rpc::form(env, form_id)?, &GetForm {})
        .await?
        .shards)
}

/// Copies the form's settings and endpoints to its other shards, if it has any.
pub async fn sync(env: &Env, form_id: &str, shards: u32) -> ApiResult<()> {
    if shards > 1 {
        rpc::call(&rpc::form(env, form_id)?, &SyncShards {}).await?;
    }
    Ok(())
}

/// A page of submissions from every shard, newest first: each shard's page below the cursor,
/// merged by id (ids sort by creation time across objects, so the cursor works unchanged).
pub async fn list(
    env: &Env,
    form_id: &str,
    shards: u32,
    page: PageQuery,
    spam: Option<bool>,
    filter: SubmissionFilter,
) -> ApiResult<Page<SubmissionView>> {
    let limit = page.limit as usize;
    let calls = (0..shards).map(|shard| {
        let call = ListSubmissions {
            page: page.clone(),
            spam,
            filter: filter.clone(),
        };
        async move { rpc::call(&rpc::form_shard(env, form_id, shard)?, &call).await }
    });
    let mut more = false;
    let mut all = Vec::new();
    for result in join_all(calls).await {
        match result {
            Ok(shard_page) => {
                more |= shard_page.next_cursor.is_some();
                all.extend(shard_page.data);
            }
            // A shard that never took a submission has no form yet.
            Err(err) if err.status == 404 => {}
            Err(err) => return Err(err),
        }
    }
    all.sort_by(|a, b| b.id.cmp(&a.id));
    more |= all.len() > limit;
    all.truncate(limit);
    let next_cursor = if more {
        all.last().map(|s| s.id.clone())
    } else {
        None
    };
    Ok(Page {
        data: all,
        next_cursor,
    })
}

/// The object holding submission `id`: the form's own (`first`) unless the form is sharded
/// and another shard has it.
pub async fn holder(env: &Env, form_id: &str, id: &str, first: Stub) -> ApiResult<Stub> {
    let shards = count(env, form_id).await?;
    if shards <= 1 {
        return Ok(first);
    }
    let calls = (0..shards).map(|shard| async move {
        let stub = rpc::form_shard(env, form_id, shard)?;
        let call = GetSubmission { id: id.to_string() };
        rpc::call(&stub, &call).await.map(|_| stub)
    });
    Ok(join_all(calls)
        .await
        .into_iter()
        .find_map(Result::ok)
        .unwrap_or(first))
}

/// Deletes shards `1..shards` (the caller deletes the form's own object).
pub async fn delete_others(env: &Env, form_id: &str, shards: u32) {
    let calls = (1..shards).map(|shard| async move {
        rpc::call(&rpc::form_shard(env, form_id, shard)?, &DeleteForm {}).await
    });
    for result in join_all(calls).await {
        if let Err(err) = result {
            if err.status != 404 {
                crate::objects::log_failure("front", "delete_shard", &err);
            }
        }
    }
}
