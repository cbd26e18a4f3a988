//! The one error type of the worker's handlers: an HTTP status, a stable code and a message,
//! rendered as `{"error":{"code","message"}}`.

use serde::{Deserialize, Serialize};

/// An error answered to a client (or passed from an object to the front worker unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Stable identifier.
    pub code: String,
    /// Human explanation.
    pub message: String,
    /// Seconds a client should wait before retrying (`Retry-After`), where that applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// A captcha provider's error codes (and ours), where the error is a captcha refusal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
    /// The limit a `413` or `429` refers to (bytes, or submissions per minute), so a page can
    /// say it in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// A handler's outcome.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after_secs: None,
            error_codes: Vec::new(),
            limit: None,
        }
    }

    /// The error with the limit it refers to (see [`ApiError::limit`]).
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// A 422 naming the field at fault.
    pub fn field(field: &str, message: impl core::fmt::Display) -> Self {
        Self::new(422, "invalid_field", format!("{field}: {message}"))
    }

    /// A 500 for a platform failure (storage, subrequest).
    pub fn internal(err: impl core::fmt::Display) -> Self {
        Self::new(500, "internal_error", format!("internal error: {err}"))
    }

    /// `404 not_found` for a route that does not exist.
    pub fn no_route() -> Self {
        Self::new(404, "not_found", "no such route")
    }

    /// `405 method_not_allowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "method_not_allowed",
            "method not allowed on this resource",
        )
    }

    /// `404 form_not_found`.
    pub fn form_not_found() -> Self {
        Self::new(404, "form_not_found", "no form with this id")
    }

    /// `404 endpoint_not_found`.
    pub fn endpoint_not_found() -> Self {
        Self::new(
            404,
            "endpoint_not_found",
            "no endpoint with this id on this form",
        )
    }
}

impl From<worker::Error> for ApiError {
    fn from(err: worker::Error) -> Self {
        Self::internal(err)
    }
}

impl From<formhook::form::FormError> for ApiError {
    fn from(err: formhook::form::FormError) -> Self {
        Self::new(err.http_status(), err.code(), err.message())
    }
}

impl From<formhook::captcha::Refusal> for ApiError {
    fn from(refusal: formhook::captcha::Refusal) -> Self {
        Self {
            status: refusal.status,
            code: refusal.code.to_string(),
            message: refusal.message,
            retry_after_secs: refusal.retry_after_secs,
            error_codes: refusal.error_codes,
            limit: None,
        }
    }
}

/// The JSON body of an error.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// `{code, message}`.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// Stable identifier, e.g. `invalid_field`.
    pub code: String,
    /// Human explanation.
    pub message: String,
    /// Captcha refusals only: the provider's error codes (e.g. `timeout-or-duplicate`), then
    /// ours (`hostname-mismatch`, `action-mismatch`, `score-too-low`, `siteverify-timeout`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<String>,
}

impl ApiError {
    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.clone(),
                message: self.message.clone(),
                error_codes: self.error_codes.clone(),
            },
        }
    }
}
