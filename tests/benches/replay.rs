//! `make bench`: replay speed. A trail of audit records is written through the recorder, then
//! rebuilt from the event store into fresh tables twice in the same run: as `plinth audit
//! replay` does it (1000 events per transaction) and as a per-event upsert baseline (one
//! transaction per event, as a projector applying events one by one). Prints a table.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use plinth_infra_module::DynProjection;
use plinth_projections_runtime::{Rebuild, StoreReader};
use plinth_services_audit::draft::SourceEvent;
use plinth_tests::World;
use serde_json::json;
use uuid::Uuid;

const TENANTS: usize = 4;
const RECORDS: usize = 20_000;

async fn replay(world: &World, per_event: bool) -> (u64, f64) {
    let schema = format!("bench_{}", Uuid::now_v7().simple());
    let projections: Vec<Arc<dyn DynProjection>> =
        vec![Arc::new(plinth_projections_audit::AuditProjection)];
    let rebuild = Rebuild::create(
        &world.db.url,
        &schema,
        &[plinth_projections_audit::MIGRATIONS],
        projections,
    )
    .await
    .unwrap();
    let mut reader = StoreReader::new(
        world.pool.clone(),
        world.stack().catalog.clone(),
        None,
        1000,
    );
    let started = Instant::now();
    let mut applied = 0;
    while let Some(batch) = reader.next_batch().await.unwrap() {
        rebuild.apply(&batch, per_event).await.unwrap();
        applied += batch.len() as u64;
    }
    (applied, started.elapsed().as_secs_f64())
}

/// Reading the store and mapping each event through its schema, applying nothing.
async fn read_only(world: &World) -> (u64, f64) {
    let mut reader = StoreReader::new(
        world.pool.clone(),
        world.stack().catalog.clone(),
        None,
        1000,
    );
    let started = Instant::now();
    let mut read = 0;
    while let Some(batch) = reader.next_batch().await.unwrap() {
        read += batch.len() as u64;
    }
    (read, started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let world = World::start().await;
    let recorder = world.stack().audit_recorder().unwrap();
    let written = Instant::now();
    for chunk in 0..RECORDS / 500 {
        let sources: Vec<SourceEvent> = (0..500)
            .map(|i| SourceEvent {
                event_id: Uuid::now_v7(),
                aggregate_type: "identity.user".into(),
                aggregate_id: Uuid::now_v7().to_string(),
                event_type: "LoginSucceeded".into(),
                tenant_id: format!("tenant-{}", (chunk * 500 + i) % TENANTS),
                position: (chunk * 500 + i) as i64,
                actor: Some(format!("user:{}", Uuid::now_v7())),
                correlation_id: Some(Uuid::now_v7().to_string()),
                causation_id: None,
                recorded_at: Utc::now(),
                value: json!({ "user_id": Uuid::now_v7(), "tenant_id": "t", "at": 0 }),
            })
            .collect();
        recorder.record(&sources).await.unwrap();
    }
    let record_rate = RECORDS as f64 / written.elapsed().as_secs_f64();

    let (read, reading) = read_only(&world).await;
    let (events, batched) = replay(&world, false).await;
    assert_eq!(read, events);
    let (baseline_events, per_event) = replay(&world, true).await;
    assert_eq!(events, baseline_events);
    println!();
    println!("## Replay from the event store into fresh tables ({events} stored events)");
    println!();
    println!("| how | seconds | events/s |");
    println!("|---|---|---|");
    println!(
        "| recording (recorder, 500 per append) | {:.2} | {record_rate:.0} |",
        RECORDS as f64 / record_rate
    );
    println!(
        "| reading and mapping only (no writes) | {reading:.2} | {:.0} |",
        events as f64 / reading
    );
    println!(
        "| `plinth audit replay` (1000 events per transaction) | {batched:.2} | {:.0} |",
        events as f64 / batched
    );
    println!(
        "| per-event upsert baseline (1 transaction per event) | {per_event:.2} | {:.0} |",
        events as f64 / per_event
    );
    println!();
    println!(
        "Replay is {:.1}× the per-event baseline.",
        per_event / batched
    );
}
