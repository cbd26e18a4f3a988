//! The Durable Objects: each holds its storage schema and answers the [`Call`](crate::protocol::Call)s
//! addressed to it.

pub mod endpoint_queue;
pub mod form_store;
pub mod registry;
pub mod wakeup;

use worker::{Request, Response, State};

use crate::error::{ApiError, ApiResult};
use crate::log::{emit, LogLine};
use crate::protocol::{Call, ReadWork};
use crate::rpc::error_response;
use crate::work::Work;

/// Counts a request to an object, unless it reads the counters: then answers it with them.
pub fn count_request(work: &Work, req: &Request) -> Option<worker::Result<Response>> {
    if req.path() == ReadWork::PATH {
        return Some(Response::from_json(&work.counts()));
    }
    work.request();
    None
}

/// Renders a handler's result for the caller; platform failures are logged first.
pub fn finish(
    object: &str,
    req: &Request,
    result: ApiResult<Response>,
) -> worker::Result<Response> {
    match result {
        Ok(resp) => Ok(resp),
        Err(err) => {
            log_failure(object, &req.path(), &err);
            error_response(&err)
        }
    }
}

/// Logs a platform failure (5xx) of an object.
pub fn log_failure(object: &str, operation: &str, err: &ApiError) {
    if err.status >= 500 {
        emit(&LogLine::StorageError {
            object,
            operation,
            error: &err.message,
        });
    }
}

/// How an alarm run ends: `Ok` as is; on failure the error is logged and the alarm re-armed a
/// second later before the runtime is told, so pending work never waits for a restart.
pub async fn finish_alarm(
    object: &str,
    state: &State,
    result: ApiResult<()>,
) -> worker::Result<Response> {
    let Err(err) = result else {
        return Response::ok("ok");
    };
    log_failure(object, "alarm", &err);
    if let Err(rearm) = state.storage().set_alarm(1000).await {
        log_failure(object, "alarm_rearm", &ApiError::from(rearm));
    }
    Err(worker::Error::RustError(err.message))
}
