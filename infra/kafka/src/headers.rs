//! Header names on every event Plinth publishes. Values are UTF-8 strings; [`value`] reads one.

use rdkafka::Message;
use rdkafka::message::Headers;

/// The header `name` of `message`, as text (`None` when absent or null).
pub fn value(message: &impl Message, name: &str) -> Option<String> {
    message
        .headers()?
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// The event's UUID v7, stable across re-publishing: deduplicate on it.
pub const EVENT_ID: &str = "event_id";
/// The aggregate type (`identity.user`).
pub const AGGREGATE_TYPE: &str = "aggregate_type";
/// The aggregate id (also the message key).
pub const AGGREGATE_ID: &str = "aggregate_id";
/// The event's sequence within its aggregate (1, 2, …).
pub const SEQUENCE: &str = "sequence";
/// The event's position in the store (unique, assigned at insert).
pub const POSITION: &str = "position";
/// The domain event type (`UserRegistered`).
pub const EVENT_TYPE: &str = "event_type";
pub const EVENT_VERSION: &str = "event_version";
pub const TENANT_ID: &str = "tenant_id";
pub const ACTOR: &str = "actor";
pub const CORRELATION_ID: &str = "correlation_id";
pub const CAUSATION_ID: &str = "causation_id";
/// W3C trace context of the request that caused the event.
pub const TRACEPARENT: &str = "traceparent";
/// When the event was stored (RFC 3339).
pub const RECORDED_AT: &str = "recorded_at";
