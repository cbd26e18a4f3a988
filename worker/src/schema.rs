//! JSON Schemas and serde forms for the core's types the admin API carries, built from the
//! core's own lists (schemes, event types, payload shapes), so the OpenAPI document and the
//! dashboard never keep a copy of their own.

use formhook::event::{EventType, PayloadShape};
use formhook::retry::{MAX_CUSTOM_ATTEMPTS, MAX_CUSTOM_DELAY_MS};
use formhook::Scheme;
use schemars::{json_schema, Schema, SchemaGenerator};

/// Every event type.
pub const EVENT_TYPES: [EventType; 4] = EventType::ALL;

fn scheme_names() -> Vec<&'static str> {
    Scheme::ALL.iter().map(|s| s.name()).collect()
}

/// A scheme by name (also `standard`, `svix`, `splitforms`).
pub fn scheme(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": scheme_names(),
        "description": "signature scheme; `standard` and `svix` are read as `standard-webhooks`, `splitforms` as `hex`",
    })
}

/// [`scheme`], for an optional field.
pub fn scheme_opt(generator: &mut SchemaGenerator) -> Schema {
    scheme(generator)
}

/// `"*"` or an event type.
pub fn event_selector() -> Schema {
    let mut names: Vec<&str> = vec!["*"];
    names.extend(EVENT_TYPES.iter().map(|e| e.as_str()));
    json_schema!({"type": "string", "enum": names})
}

/// An event type.
pub fn event_type(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = EVENT_TYPES.iter().map(|e| e.as_str()).collect();
    json_schema!({"type": "string", "enum": names})
}

/// A payload shape.
pub fn payload_shape(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = PayloadShape::ALL.iter().map(|p| p.as_str()).collect();
    json_schema!({"type": "string", "enum": names})
}

/// Whether an endpoint's payloads list files.
pub fn file_list(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = formhook::redact::FileList::ALL
        .iter()
        .map(|f| f.as_str())
        .collect();
    json_schema!({"type": "string", "enum": names})
}

/// A captcha provider.
pub fn captcha_provider(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = formhook::captcha::Provider::ALL
        .iter()
        .map(|p| p.name())
        .collect();
    json_schema!({"type": "string", "enum": names})
}

/// What a form does when siteverify gives no judgement.
pub fn on_error(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = formhook::captcha::OnError::ALL
        .iter()
        .map(|o| o.name())
        .collect();
    json_schema!({"type": "string", "enum": names})
}

/// Why a submission is spam.
pub fn spam_reason(_: &mut SchemaGenerator) -> Schema {
    let mut names: Vec<serde_json::Value> = formhook::ingest::SpamReason::ALL
        .iter()
        .map(|r| r.as_str().into())
        .collect();
    names.push(serde_json::Value::Null);
    json_schema!({"type": ["string", "null"], "enum": names})
}

/// A retry schedule: a built-in's name or a list of delays.
pub fn schedule(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "oneOf": [
            {"type": "string", "enum": ["standard", "splitforms", "quick"]},
            {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": MAX_CUSTOM_DELAY_MS},
                "minItems": 1,
                "maxItems": MAX_CUSTOM_ATTEMPTS,
                "description": "delay in milliseconds before each attempt, counted from the end of the previous one",
            },
        ],
    })
}

/// [`schedule`], for an optional field.
pub fn schedule_opt(generator: &mut SchemaGenerator) -> Schema {
    schedule(generator)
}

/// A delivery status.
pub fn delivery_status(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = formhook::delivery::DeliveryStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    json_schema!({"type": "string", "enum": names})
}

/// How an endpoint signs.
pub fn signing(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = formhook::delivery::Signing::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    json_schema!({"type": "string", "enum": names})
}

/// An attempt outcome.
pub fn outcome(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "string", "enum": ["delivered", "gone", "throttled", "failed", "network_error", "timeout"]})
}

/// Serde for a [`Scheme`] as its name.
pub mod scheme_name {
    use formhook::Scheme;
    use serde::{de, Deserialize, Deserializer, Serializer};

    /// Writes the scheme's name.
    pub fn serialize<S: Serializer>(scheme: &Scheme, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(scheme.name())
    }

    /// Reads a scheme by name or alias.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Scheme, D::Error> {
        let name = String::deserialize(deserializer)?;
        Scheme::from_name(&name).ok_or_else(|| {
            de::Error::custom(format!(
                "unknown scheme {name:?}: must be one of {}",
                super::scheme_names().join(", ")
            ))
        })
    }
}

/// Serde for an optional [`Scheme`] (absent or a name).
pub mod scheme_name_opt {
    use formhook::Scheme;
    use serde::{Deserializer, Serializer};

    /// Writes the scheme's name (the field is skipped when absent).
    pub fn serialize<S: Serializer>(
        scheme: &Option<Scheme>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match scheme {
            Some(scheme) => super::scheme_name::serialize(scheme, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a scheme by name or alias.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Scheme>, D::Error> {
        super::scheme_name::deserialize(deserializer).map(Some)
    }
}
