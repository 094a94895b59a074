//! The `Decision` aggregate: one access decision the gateway reports for audit — every
//! denial, and every decision on a permission its manifest marks `sensitive`. Each decision is
//! its own aggregate (a fresh id), written once and never changed.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AuthzServices;

/// What was decided, as the guard saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessDecided {
    pub decision_id: Uuid,
    pub tenant_id: TenantId,
    /// The user asking.
    pub subject: Uuid,
    pub permission: String,
    /// `blog.post`, when the check was about one resource.
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub allowed: bool,
    /// The role and binding that allowed it, or what was missing.
    pub reason: String,
    /// `DELETE /v1/authz/bindings/{id}`: the route that asked.
    pub route: Option<String>,
    /// The client's address, when the gateway knows it.
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// When it was decided; for a record of repeats, the last of them.
    pub at: DateTime<Utc>,
    /// How many identical decisions (same subject, permission, route and resource) this one
    /// stands for: 1, or more when repeated denials were gathered into one record.
    #[serde(default = "one")]
    pub repeated: u32,
    /// For gathered repeats: when the first of them was decided.
    #[serde(default)]
    pub first_at: Option<DateTime<Utc>>,
}

fn one() -> u32 {
    1
}

/// Record a decision (`at` is set by the aggregate's clock).
#[derive(Debug, Clone)]
pub struct RecordDecision(pub AccessDecided);

/// What happened: only that a decision was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecisionEvent {
    AccessDecided(AccessDecided),
}

impl DomainEvent for DecisionEvent {
    fn event_type(&self) -> String {
        "AccessDecided".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for DecisionEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

/// Why a decision was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("decision {0} is already recorded")]
    AlreadyRecorded(Uuid),
}

/// A recorded decision.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Decision {
    recorded: bool,
}

impl Aggregate for Decision {
    const TYPE: &'static str = "authz.decision";
    type Command = RecordDecision;
    type Event = DecisionEvent;
    type Error = DecisionError;
    type Services = AuthzServices;

    async fn handle(
        &mut self,
        RecordDecision(mut decided): Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if self.recorded {
            return Err(DecisionError::AlreadyRecorded(decided.decision_id));
        }
        decided.at = (services.clock)();
        sink.write(DecisionEvent::AccessDecided(decided), self)
            .await;
        Ok(())
    }

    fn apply(&mut self, _event: Self::Event) {
        self.recorded = true;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use cqrs_es::test::TestFramework;

    use super::*;

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn denial(at: DateTime<Utc>) -> AccessDecided {
        AccessDecided {
            decision_id: Uuid::from_u128(9),
            tenant_id: TenantId::default(),
            subject: Uuid::from_u128(7),
            permission: "authz.role.manage".into(),
            resource_type: None,
            resource_id: None,
            allowed: false,
            reason: "no binding grants authz.role.manage".into(),
            route: Some("POST /v1/authz/roles".into()),
            source_ip: None,
            user_agent: Some("curl/8".into()),
            at,
            repeated: 1,
            first_at: None,
        }
    }

    fn framework() -> TestFramework<Decision> {
        TestFramework::with(AuthzServices {
            clock: Arc::new(noon),
        })
    }

    #[tokio::test]
    async fn a_decision_is_recorded_once_at_the_aggregate_clock() {
        let sent = denial(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap());
        framework()
            .given_no_previous_events()
            .when_async(RecordDecision(sent))
            .await
            .then_expect_events(vec![DecisionEvent::AccessDecided(denial(noon()))]);
        framework()
            .given(vec![DecisionEvent::AccessDecided(denial(noon()))])
            .when_async(RecordDecision(denial(noon())))
            .await
            .then_expect_error(DecisionError::AlreadyRecorded(Uuid::from_u128(9)));
    }
}
