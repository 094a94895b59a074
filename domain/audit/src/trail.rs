//! The `Trail` aggregate: one per tenant (aggregate id = tenant id). Its events are the
//! tenant's audit records, so its sequence is the trail position, and the event store's
//! optimistic lock keeps two writers from both appending record `n`.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};

use crate::record::{AuditRecord, GENESIS_HASH, RecordDraft};

/// Append records, in this order, to the tenant's trail.
#[derive(Debug, Clone)]
pub struct AppendRecords {
    pub tenant_id: String,
    pub drafts: Vec<RecordDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrailEvent {
    RecordAppended(AuditRecord),
}

impl DomainEvent for TrailEvent {
    fn event_type(&self) -> String {
        "RecordAppended".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for TrailEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrailError {
    #[error("the trail of tenant {trail} cannot hold a record of tenant {record}")]
    WrongTenant { trail: String, record: String },
}

/// A tenant's trail: where it ends and the hash of its last record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    tenant_id: Option<String>,
    position: i64,
    head: String,
}

impl Default for Trail {
    fn default() -> Self {
        Self {
            tenant_id: None,
            position: 0,
            head: GENESIS_HASH.to_owned(),
        }
    }
}

impl Trail {
    /// The last record's position (0 for an empty trail).
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The last record's hash ([`GENESIS_HASH`] for an empty trail).
    pub fn head(&self) -> &str {
        &self.head
    }
}

impl Aggregate for Trail {
    const TYPE: &'static str = "audit.trail";
    type Command = AppendRecords;
    type Event = TrailEvent;
    type Error = TrailError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if let Some(trail) = &self.tenant_id
            && *trail != command.tenant_id
        {
            return Err(TrailError::WrongTenant {
                trail: trail.clone(),
                record: command.tenant_id,
            });
        }
        for draft in command.drafts {
            let record = draft.chain(&command.tenant_id, self.position + 1, &self.head);
            sink.write(TrailEvent::RecordAppended(record), self).await;
        }
        Ok(())
    }

    fn apply(&mut self, TrailEvent::RecordAppended(record): Self::Event) {
        self.tenant_id = Some(record.tenant_id);
        self.position = record.position;
        self.head = record.hash;
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::record::tests::draft;

    #[tokio::test]
    async fn records_are_numbered_from_one_and_each_links_to_the_one_before() {
        let first = draft(1).chain("default", 1, GENESIS_HASH);
        let second = draft(2).chain("default", 2, &first.hash);
        TestFramework::<Trail>::with(())
            .given_no_previous_events()
            .when_async(AppendRecords {
                tenant_id: "default".into(),
                drafts: vec![draft(1), draft(2)],
            })
            .await
            .then_expect_events(vec![
                TrailEvent::RecordAppended(first.clone()),
                TrailEvent::RecordAppended(second.clone()),
            ]);
        let third = draft(3).chain("default", 3, &second.hash);
        TestFramework::<Trail>::with(())
            .given(vec![
                TrailEvent::RecordAppended(first),
                TrailEvent::RecordAppended(second),
            ])
            .when_async(AppendRecords {
                tenant_id: "default".into(),
                drafts: vec![draft(3)],
            })
            .await
            .then_expect_events(vec![TrailEvent::RecordAppended(third)]);
    }

    #[tokio::test]
    async fn a_trail_holds_one_tenant_only() {
        TestFramework::<Trail>::with(())
            .given(vec![TrailEvent::RecordAppended(draft(1).chain(
                "default",
                1,
                GENESIS_HASH,
            ))])
            .when_async(AppendRecords {
                tenant_id: "acme".into(),
                drafts: vec![draft(2)],
            })
            .await
            .then_expect_error(TrailError::WrongTenant {
                trail: "default".into(),
                record: "acme".into(),
            });
    }
}
