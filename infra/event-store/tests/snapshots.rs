//! Snapshots taken at commit boundaries: commits of several events that straddle the snapshot
//! interval must load back exactly as a full replay does (an audit trail once forked here).

use chrono::Utc;
use plinth_domain_audit::{AppendRecords, AuditRecord, GENESIS_HASH, Outcome, RecordDraft, Trail};
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_infra_event_store::{CommandBus, MIGRATIONS, sqlx_pool};
use plinth_infra_postgres::testing::TestDatabase;
use plinth_infra_postgres::{Pool, connect_pool, migrate};
use uuid::Uuid;

async fn migrated() -> (TestDatabase, Pool) {
    let db = TestDatabase::create().await;
    let pool = connect_pool(&db.url, 4).unwrap();
    migrate(&mut pool.get().await.unwrap(), &MIGRATIONS)
        .await
        .unwrap();
    (db, pool)
}

fn draft(n: u32) -> RecordDraft {
    RecordDraft {
        at: Utc::now(),
        actor: "service:test".into(),
        action: "Happened".into(),
        target_type: "test.thing".into(),
        target_id: n.to_string(),
        outcome: Outcome::Success,
        source_ip: None,
        user_agent: None,
        correlation_id: None,
        causation_id: None,
        source_event_id: Uuid::now_v7(),
        source_position: i64::from(n),
        details: "{}".into(),
    }
}

fn metadata() -> CommandMetadata {
    CommandMetadata::new(
        TenantId::default(),
        Actor::Service("test".into()),
        Uuid::now_v7(),
    )
}

#[tokio::test]
async fn appends_that_straddle_the_snapshot_interval_keep_the_trail_one_chain() {
    let (db, pool) = migrated().await;
    let events = sqlx_pool(&db.url, 4).unwrap();
    // Every 10 records, appended 7, then 6, then 25 at a time: commits cross the boundaries at
    // 10, 20, … in the middle, and one commit crosses two of them at once.
    let bus = CommandBus::<Trail>::with_snapshots(events.clone(), (), 10);
    let replaying = CommandBus::<Trail>::new(events, ());
    let tenant = TenantId::default().to_string();
    let mut next = 1;
    for size in [7, 6, 7, 25, 3, 9, 1, 12] {
        let drafts = (next..next + size).map(draft).collect();
        next += size;
        let committed = bus
            .execute(
                &tenant,
                AppendRecords {
                    tenant_id: tenant.clone(),
                    drafts,
                },
                &metadata(),
            )
            .await
            .unwrap();
        assert_eq!(committed.sequence, i64::from(next - 1));
        let loaded = bus.load(&tenant).await.unwrap();
        let replayed = replaying.load(&tenant).await.unwrap();
        assert_eq!(loaded, replayed, "after {} records", next - 1);
        assert_eq!(loaded.position(), i64::from(next - 1));
    }
    let snapshots: i64 = pool
        .get()
        .await
        .unwrap()
        .query_one("SELECT count(*) FROM aggregate_snapshots", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(snapshots, 1, "one snapshot row per aggregate");
    // Every stored record is at its own sequence and links to the one before.
    let rows = pool
        .get()
        .await
        .unwrap()
        .query(
            "SELECT sequence, payload::text FROM events WHERE aggregate_type = 'audit.trail' ORDER BY sequence",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 70);
    let mut prev = GENESIS_HASH.to_owned();
    for row in rows {
        let sequence: i64 = row.get(0);
        let payload: serde_json::Value = serde_json::from_str(row.get(1)).unwrap();
        let record: AuditRecord =
            serde_json::from_value(payload["RecordAppended"].clone()).unwrap();
        assert_eq!(record.position, sequence);
        assert_eq!(
            record.prev_hash, prev,
            "record {sequence} links to the one before"
        );
        assert_eq!(record.computed_hash(), record.hash);
        prev = record.hash;
    }
}

#[tokio::test]
async fn an_unreadable_snapshot_falls_back_to_every_event() {
    let (db, pool) = migrated().await;
    let events = sqlx_pool(&db.url, 4).unwrap();
    let bus = CommandBus::<Trail>::with_snapshots(events, (), 5);
    let tenant = TenantId::default().to_string();
    bus.execute(
        &tenant,
        AppendRecords {
            tenant_id: tenant.clone(),
            drafts: (1..=8).map(draft).collect(),
        },
        &metadata(),
    )
    .await
    .unwrap();
    pool.get()
        .await
        .unwrap()
        .execute(
            "UPDATE aggregate_snapshots SET payload = '{\"not\": \"a trail\"}'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(bus.load(&tenant).await.unwrap().position(), 8);
}

/// An aggregate whose state counts what it applied: a state applied twice shows.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Tally {
    events: u64,
    sum: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Added(u64);

impl cqrs_es::DomainEvent for Added {
    fn event_type(&self) -> String {
        "Added".into()
    }
    fn event_version(&self) -> String {
        "1".into()
    }
}

impl plinth_domain_core::UniqueClaims for Added {}

#[derive(Debug, thiserror::Error)]
#[error("never")]
struct Never;

impl cqrs_es::Aggregate for Tally {
    const TYPE: &'static str = "test.tally";
    type Command = Vec<u64>;
    type Event = Added;
    type Error = Never;
    type Services = ();

    async fn handle(
        &mut self,
        command: Vec<u64>,
        (): &(),
        sink: &cqrs_es::event_sink::EventSink<Self>,
    ) -> Result<(), Never> {
        for n in command {
            sink.write(Added(n), self).await;
        }
        Ok(())
    }

    fn apply(&mut self, Added(n): Added) {
        self.events += 1;
        self.sum += n;
    }
}

#[tokio::test]
async fn a_snapshot_holds_each_event_of_its_commit_applied_once() {
    let (db, _pool) = migrated().await;
    let events = sqlx_pool(&db.url, 4).unwrap();
    let bus = CommandBus::<Tally>::with_snapshots(events.clone(), (), 4);
    let replaying = CommandBus::<Tally>::new(events, ());
    for round in 0..5_u64 {
        bus.execute("t", vec![round, round + 1, round + 2], &metadata())
            .await
            .unwrap();
        let loaded = bus.load("t").await.unwrap();
        assert_eq!(
            loaded,
            replaying.load("t").await.unwrap(),
            "after round {round}"
        );
        assert_eq!(loaded.events, 3 * (round + 1));
    }
}
