#![no_std]
#![doc = include_str!("README.md")]
//!
//! ## In scope
//! - Signing and verifying webhooks: Standard Webhooks v1, GitHub, GudForm, plain hex, Typeform,
//!   Shopify, Stripe and Slack ([`signature`]), with secrets ([`secret`]); Standard Webhooks'
//!   asymmetric `v1a` with ed25519 keys (`ed25519`, the default `ed25519` feature); a receiver's
//!   one-call [`Verifier`] over `http::HeaderMap` (feature `http`) or `(name, value)` pairs
//!   ([`verifier`]).
//! - Parsing form bodies: urlencoded, JSON objects, multipart with files ([`form`]).
//! - Building event payloads in the canonical, flat and answers shapes ([`event`]); signed,
//!   expiring links to stored files ([`file_link`]).
//! - The retry and delivery policy as pure functions ([`retry`]); the delivery lifecycle:
//!   attempt headers, endpoint health, secret rotation ([`delivery`]).
//! - Per-client submission limits and the `Retry-After` they imply ([`rate`]); per-form
//!   ceilings across clients and storage quotas ([`quota`]).
//! - Ingest decisions: allowed origins, JSON or redirect answers, the honeypot, spam reasons,
//!   delivery loops ([`ingest`]); duplicate posts (a double-click) within a window
//!   ([`duplicate`]); captcha verdicts from Turnstile, hCaptcha and reCAPTCHA
//!   siteverify answers ([`captcha`]).
//! - Time-ordered ids from a passed-in time and bits, and ids derived from a name ([`id`]).
//! - Personal data: which fields and files each endpoint receives ([`redact`]); how long a
//!   form keeps submissions, as age arithmetic over a passed-in clock ([`retention`]).
//! - The SSRF guard for endpoint URLs: private addresses and internal names refused, with an
//!   allowlist ([`destination`]).
//!
//! ## Out of scope
//! - Sockets, HTTP clients and servers, storage: adapters (the npm package, the edge worker) do I/O.
//! - Clocks and randomness: callers pass `now` and random bytes.
//! - JSON parsing of verified payloads in JavaScript: `JSON.parse` is faster than any wasm parser.
#![cfg_attr(not(test), warn(clippy::indexing_slicing))]
extern crate alloc;

pub mod captcha;
pub mod delivery;
pub mod destination;
pub mod duplicate;
#[cfg(feature = "ed25519")]
pub mod ed25519;
pub mod encoding;
pub mod event;
pub mod file_link;
pub mod form;
pub mod id;
pub mod ingest;
pub mod mac;
pub mod quota;
pub mod rate;
pub mod redact;
pub mod retention;
pub mod retry;
pub mod secret;
pub mod signature;
pub mod time;
pub mod verifier;

pub use mac::HmacKey;
pub use secret::{Secret, SecretError};
pub use signature::{
    sign, verify, AsKey, Key, KeyRef, Scheme, SignatureHeaders, VerifyError, DEFAULT_TOLERANCE_SECS,
};
pub use verifier::{HeaderLookup, Verifier};
