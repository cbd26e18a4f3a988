//! Structured log lines: one JSON object per line, for every failed attempt, storage error and
//! refused request. They carry ids and codes only — never a secret, a token or a payload.

use serde::Serialize;

/// One log line.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LogLine<'a> {
    /// A delivery attempt that did not deliver.
    AttemptFailed {
        /// The endpoint.
        endpoint_id: &'a str,
        /// The delivery.
        delivery_id: &'a str,
        /// The event id.
        message_id: &'a str,
        /// 1 for the first.
        attempt: u32,
        /// The outcome code (`failed`, `timeout`, …).
        outcome: &'a str,
        /// HTTP status, when one came.
        status: Option<u16>,
        /// `retry`, `give_up` or `disable_endpoint`.
        decision: &'a str,
    },
    /// An endpoint was disabled by its health rules.
    EndpointDisabled {
        /// The endpoint.
        endpoint_id: &'a str,
        /// Why (`gone`, `failing`).
        reason: &'a str,
    },
    /// Storage (or another platform call) failed.
    StorageError {
        /// Which object kind.
        object: &'a str,
        /// What it was doing.
        operation: &'a str,
        /// The platform's message.
        error: &'a str,
    },
    /// A form's siteverify call gave no judgement (the secret and the token are never logged).
    CaptchaUnavailable {
        /// The form.
        form_id: &'a str,
        /// `turnstile`, `hcaptcha` or `recaptcha`.
        provider: &'a str,
        /// Why (`siteverify-timeout`, `siteverify-server-error`, …).
        reason: &'a str,
        /// What the form does: `reject` or `accept_as_spam`.
        on_error: &'a str,
    },
    /// A request answered with an error status.
    Refused {
        /// The route (`ingest`, `admin`).
        route: &'a str,
        /// The form, when known.
        form_id: Option<&'a str>,
        /// HTTP status.
        status: u16,
        /// The error code.
        code: &'a str,
    },
    /// The sweep removed the files of an upload whose submission was never committed.
    OrphansSwept {
        /// The form.
        form_id: &'a str,
        /// The submission id the upload would have had.
        submission_id: &'a str,
        /// R2 objects deleted.
        objects: usize,
    },
}

/// Writes one line to the worker's log.
pub fn emit(line: &LogLine<'_>) {
    if let Ok(text) = serde_json::to_string(line) {
        worker::console_log!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_flat_json_with_an_event_name() {
        let text = serde_json::to_string(&LogLine::Refused {
            route: "ingest",
            form_id: Some("contact"),
            status: 429,
            code: "rate_limited",
        })
        .unwrap();
        assert_eq!(
            text,
            r#"{"event":"refused","route":"ingest","form_id":"contact","status":429,"code":"rate_limited"}"#
        );
    }
}
