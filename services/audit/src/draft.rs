//! What the recorder makes of one source event: a [`RecordDraft`]. Pure, so every mapping is
//! unit-tested.

use chrono::{DateTime, Utc};
use plinth_domain_audit::{Outcome, RecordDraft};
use serde_json::Value;
use uuid::Uuid;

/// A consumed event: its headers and its published value as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceEvent {
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub event_type: String,
    pub tenant_id: String,
    /// Its position in the event store.
    pub position: i64,
    pub actor: Option<String>,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    pub recorded_at: DateTime<Utc>,
    /// The published Avro value, as JSON.
    pub value: Value,
}

/// The event type of the access decisions the gateway reports.
const ACCESS_DECIDED: &str = "AccessDecided";
/// Events that record a failure rather than something done.
const FAILURES: [&str; 1] = ["LoginFailed"];

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The audit record a source event becomes.
pub fn draft(source: &SourceEvent) -> RecordDraft {
    let decision = source.event_type == ACCESS_DECIDED;
    let (actor, target_type, target_id, outcome) = if decision {
        let allowed = source.value.get("allowed").and_then(Value::as_bool) == Some(true);
        let (target_type, target_id) = match (
            text(&source.value, "resource_type"),
            text(&source.value, "resource_id"),
            text(&source.value, "route"),
        ) {
            (Some(kind), Some(id), _) => (kind, id),
            (_, _, Some(route)) => ("route".to_owned(), route),
            _ => (
                "permission".to_owned(),
                text(&source.value, "permission").unwrap_or_default(),
            ),
        };
        let actor = text(&source.value, "subject").map(|s| format!("user:{s}"));
        let outcome = if allowed {
            Outcome::Allowed
        } else {
            Outcome::Denied
        };
        (actor, target_type, target_id, outcome)
    } else {
        let outcome = if FAILURES.contains(&source.event_type.as_str()) {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        (
            None,
            source.aggregate_type.clone(),
            source.aggregate_id.clone(),
            outcome,
        )
    };
    RecordDraft {
        at: source.recorded_at,
        actor: actor
            .or_else(|| source.actor.clone())
            .unwrap_or_else(|| "anonymous".to_owned()),
        action: source.event_type.clone(),
        target_type,
        target_id,
        outcome,
        source_ip: text(&source.value, "source_ip"),
        user_agent: text(&source.value, "user_agent"),
        correlation_id: source.correlation_id.clone(),
        causation_id: source.causation_id.clone(),
        source_event_id: source.event_id,
        source_position: source.position,
        details: source.value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn source(event_type: &str, aggregate_type: &str, value: Value) -> SourceEvent {
        SourceEvent {
            event_id: Uuid::from_u128(1),
            aggregate_type: aggregate_type.into(),
            aggregate_id: "agg-1".into(),
            event_type: event_type.into(),
            tenant_id: "default".into(),
            position: 17,
            actor: Some("user:42".into()),
            correlation_id: Some("corr".into()),
            causation_id: Some("cause".into()),
            recorded_at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(),
            value,
        }
    }

    #[test]
    fn a_domain_event_targets_its_aggregate_on_behalf_of_its_actor() {
        let d = draft(&source(
            "RoleCreated",
            "authz.role",
            json!({"name": "editors", "permissions": ["blog.post.edit"]}),
        ));
        assert_eq!(
            (
                d.actor.as_str(),
                d.action.as_str(),
                d.target_type.as_str(),
                d.target_id.as_str()
            ),
            ("user:42", "RoleCreated", "authz.role", "agg-1")
        );
        assert_eq!(d.outcome, Outcome::Success);
        assert_eq!(
            (d.source_event_id, d.source_position),
            (Uuid::from_u128(1), 17)
        );
        assert_eq!(d.correlation_id.as_deref(), Some("corr"));
        assert!(d.details.contains("blog.post.edit"));
    }

    #[test]
    fn a_failed_login_is_a_failure_and_a_system_event_without_actor_is_anonymous() {
        let mut failed = source("LoginFailed", "identity.user", json!({}));
        failed.actor = None;
        let d = draft(&failed);
        assert_eq!(
            (d.outcome, d.actor.as_str()),
            (Outcome::Failure, "anonymous")
        );
    }

    #[test]
    fn a_decision_targets_its_resource_or_route_and_carries_the_client() {
        let denied = json!({
            "subject": "00000000-0000-0000-0000-000000000007",
            "permission": "authz.role.manage", "allowed": false,
            "route": "POST /v1/authz/roles", "source_ip": "10.0.0.1", "user_agent": "curl/8",
            "resource_type": null, "resource_id": null
        });
        let d = draft(&source("AccessDecided", "authz.decision", denied));
        assert_eq!(d.outcome, Outcome::Denied);
        assert_eq!(d.actor, "user:00000000-0000-0000-0000-000000000007");
        assert_eq!(
            (d.target_type.as_str(), d.target_id.as_str()),
            ("route", "POST /v1/authz/roles")
        );
        assert_eq!(
            (d.source_ip.as_deref(), d.user_agent.as_deref()),
            (Some("10.0.0.1"), Some("curl/8"))
        );
        let allowed = json!({
            "subject": "00000000-0000-0000-0000-000000000007",
            "permission": "blog.post.edit", "allowed": true,
            "resource_type": "blog.post", "resource_id": "42", "route": null
        });
        let d = draft(&source("AccessDecided", "authz.decision", allowed));
        assert_eq!(d.outcome, Outcome::Allowed);
        assert_eq!(
            (d.target_type.as_str(), d.target_id.as_str()),
            ("blog.post", "42")
        );
    }
}
