//! The delivery lifecycle as pure code: what one attempt sends, what its result does to the
//! delivery and the endpoint, and which secrets sign at a given time.
//!
//! - [`headers`]: the request headers of one attempt, and the names custom headers may never set
//!   (derived from the schemes, so a new scheme reserves its headers by existing).
//! - [`health`]: an endpoint's health (enabled, failing since, why disabled) and the status a
//!   delivery takes after each attempt, from the retry policy's [`Decision`](crate::retry::Decision).
//! - [`replay`]: a replay supersedes a pending delivery of the same event (one delivery, not
//!   two), and what a superseded delivery's in-flight attempt may still change.
//! - [`secrets`]: an endpoint's signing secrets, rotation with a grace period, the live set at
//!   `now`.
//! - [`window`]: how many attempts of an endpoint run at once, and which start next (parallel
//!   up to a limit, or FIFO: one at a time in queue order).
//!
//! Every function takes the clock as an argument; nothing here reads time or does I/O.

pub mod headers;
pub mod health;
pub mod replay;
pub mod secrets;
pub mod window;

pub use headers::{
    attempt_headers, is_reserved_header, Attempt, AttemptError, CustomHeaders, HeaderError,
};
pub use health::{AttemptVerdict, DeliveryStatus, DisabledReason, EndpointHealth};
pub use secrets::{
    check_signing_secret, min_key_bytes, PublishedKey, SecretKind, SecretSet, Signing,
    SigningSecret, WeakSecret,
};
pub use window::{Pending, Plan, Window, WindowError};
