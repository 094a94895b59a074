//! The relay against the real stack: late commits, crashes, re-publishing, and a stopped broker.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use plinth_infra_module::{Envelope, Migration, Migrations, Projection, Statement};
use plinth_schemas::identity::IdentityEvent;
use plinth_tests::{Broker, KafkaRecord, World, eventually, read_topic, seed};
use rand::Rng;
use serde_json::Value;
use uuid::Uuid;

/// Event ids of the users topic's events in the relay's order: (transaction, position).
async fn store_order(world: &World) -> Vec<String> {
    let client = world.pool.get().await.unwrap();
    client
        .query(
            "SELECT event_id::text FROM events WHERE aggregate_type = 'identity.user' ORDER BY transaction_id, position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn all_records(world: &World, at_least: usize) -> Vec<KafkaRecord> {
    let topic = world.topic("identity.user");
    read_topic(
        &world.settings.kafka.brokers,
        &topic,
        world.settings.kafka.partitions,
        at_least,
        Duration::from_secs(60),
    )
    .await
}

/// Asserts per partition that messages follow the relay's order, and per aggregate that
/// sequences only grow.
fn assert_relay_order(records: &[KafkaRecord], order: &[String]) {
    let rank: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut by_partition: HashMap<i32, Vec<&KafkaRecord>> = HashMap::new();
    for record in records {
        by_partition
            .entry(record.partition)
            .or_default()
            .push(record);
    }
    for (partition, mut messages) in by_partition {
        messages.sort_by_key(|m| m.offset);
        let ranks: Vec<usize> = messages
            .iter()
            .map(|m| rank[m.headers["event_id"].as_str()])
            .collect();
        assert!(
            ranks.windows(2).all(|w| w[0] < w[1]),
            "partition {partition} is out of the relay's order: {ranks:?}"
        );
        let mut last: HashMap<&str, i64> = HashMap::new();
        for m in messages {
            let sequence: i64 = m.headers["sequence"].parse().unwrap();
            let previous = last.insert(m.key.as_str(), sequence).unwrap_or(0);
            assert!(
                sequence > previous,
                "aggregate {} went from {previous} to {sequence}",
                m.key
            );
        }
    }
}

#[tokio::test]
async fn events_committed_out_of_order_are_all_published_once_in_the_relays_order() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let (marker, early, late, later) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );

    // First prove the relay is publishing: a marker event reaches Kafka.
    seed::insert(&world.pool.get().await.unwrap(), marker, 1).await;
    assert_eq!(
        all_records(&world, 1).await.len(),
        1,
        "the marker is published"
    );

    // The oldest transaction writes first and commits last.
    let mut slow = world.pool.get().await.unwrap();
    let slow_tx = slow.transaction().await.unwrap();
    seed::insert(&slow_tx, early, 1).await;
    for id in [late, later] {
        seed::insert(&world.pool.get().await.unwrap(), id, 1).await;
    }
    let while_open = all_records(&world, 1).await;
    assert_eq!(
        while_open.len(),
        1,
        "nothing may pass a transaction still open: {while_open:?}"
    );
    slow_tx.commit().await.unwrap();

    // Then many writers: each aggregate's events in their own transactions, held open for
    // random times, so commits keep landing out of their start order.
    let writers = (0..8).map(|_| {
        let pool = world.pool.clone();
        tokio::spawn(async move {
            let id = Uuid::now_v7();
            for sequence in 1..=20_i64 {
                let mut client = pool.get().await.unwrap();
                let tx = client.transaction().await.unwrap();
                seed::insert(&tx, id, sequence).await;
                let hold = rand::thread_rng().gen_range(0..25);
                tokio::time::sleep(Duration::from_millis(hold)).await;
                tx.commit().await.unwrap();
            }
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }

    let order = store_order(&world).await;
    assert_eq!(order.len(), 4 + 8 * 20);
    let records = all_records(&world, order.len()).await;
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r.headers["event_id"].as_str())
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), order.len(), "every event exactly once");
    assert_eq!(unique.len(), order.len());
    let first_after_marker = &records
        .iter()
        .find(|r| r.key == early.to_string())
        .unwrap()
        .headers["event_id"];
    assert_eq!(
        &order[1], first_after_marker,
        "the late commit of the oldest transaction comes first"
    );
    assert_relay_order(&records, &order);
}

/// Events seeded for the crash scenario.
const EVENTS: usize = 2000;

/// Counts every application, with no uniqueness to hide a second one.
struct CountingProjection;

impl Projection for CountingProjection {
    type Event = IdentityEvent;

    fn name(&self) -> &'static str {
        "applications_v1"
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &["identity.user"]
    }
    fn migrations(&self) -> Migrations {
        Migrations {
            component: "applications",
            steps: &[Migration {
                version: 1,
                name: "applications",
                sql: "CREATE TABLE applications (event_id uuid NOT NULL, aggregate_id text NOT NULL, sequence bigint NOT NULL)",
            }],
        }
    }
    fn reduce(&self, envelope: &Envelope<IdentityEvent>) -> Vec<Statement> {
        vec![Statement {
            sql: "INSERT INTO applications (event_id, aggregate_id, sequence) VALUES ($1, $2, $3)",
            params: vec![
                Box::new(envelope.event_id),
                Box::new(envelope.aggregate_id.clone()),
                Box::new(envelope.sequence),
            ],
        }]
    }
}

async fn scalar(world: &World, sql: &str) -> i64 {
    world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(sql, &[])
        .await
        .unwrap()
        .get(0)
}

/// Waits until the relay's checkpoint covers every stored event.
async fn relay_caught_up(world: &World) {
    eventually("the relay to publish every stored event", Duration::from_secs(60), || async {
        let behind = scalar(
            world,
            "SELECT COUNT(*) FROM events WHERE position > COALESCE((SELECT position FROM relay_checkpoints), 0)",
        )
        .await;
        (behind == 0).then_some(())
    })
    .await;
}

/// Waits until the counting projection has consumed `messages` messages in all.
async fn projection_consumed(world: &World, messages: usize) {
    eventually("the projection to consume every message", Duration::from_secs(60), || async {
        let consumed = scalar(world, "SELECT COALESCE(SUM(next_offset), 0)::bigint FROM projection_offsets WHERE projection = 'applications_v1'").await;
        (consumed as usize >= messages).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_relay_killed_mid_stream_loses_nothing_and_the_projection_applies_each_event_once() {
    let mut world = World::start().await;
    world.settings.relay.batch_size = 200;
    plinth_infra_postgres::migrate(
        &mut world.pool.get().await.unwrap(),
        &Projection::migrations(&CountingProjection),
    )
    .await
    .unwrap();
    world.start_projector(Arc::new(CountingProjection));

    {
        let mut client = world.pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let insert = tx.prepare(seed::INSERT).await.unwrap();
        for _ in 0..EVENTS {
            let id = Uuid::now_v7();
            let (payload, metadata) = seed::user_registered(id);
            tx.execute(&insert, &[&id.to_string(), &1_i64, &payload, &metadata])
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }

    let relay = world.spawn_relay();
    let at_kill = eventually(
        "the relay to publish its first batches",
        Duration::from_secs(60),
        || async {
            let published = scalar(
                &world,
                "SELECT COALESCE(MAX(position), 0) FROM relay_checkpoints",
            )
            .await;
            (published > 0).then_some(published)
        },
    )
    .await;
    relay.kill();
    let checkpoint = scalar(&world, "SELECT position FROM relay_checkpoints").await;
    assert!(
        (checkpoint as usize) < EVENTS,
        "the relay was killed mid-stream (checkpoint {checkpoint}, first seen {at_kill})"
    );

    let relay = world.spawn_relay();
    relay_caught_up(&world).await;
    let records = all_records(&world, EVENTS).await;
    let unique: HashSet<&str> = records
        .iter()
        .map(|r| r.headers["event_id"].as_str())
        .collect();
    assert_eq!(
        unique.len(),
        EVENTS,
        "every event reached Kafka after the restart"
    );
    projection_consumed(&world, records.len()).await;
    assert_eq!(
        scalar(&world, "SELECT COUNT(*) FROM applications").await,
        EVENTS as i64
    );
    assert_eq!(
        scalar(&world, "SELECT COUNT(DISTINCT event_id) FROM applications").await,
        EVENTS as i64
    );

    // A crash right before the checkpoint write: everything is published a second time.
    relay.kill();
    world
        .pool
        .get()
        .await
        .unwrap()
        .batch_execute("UPDATE relay_checkpoints SET transaction_id = '0', position = 0")
        .await
        .unwrap();
    let _relay = world.spawn_relay();
    relay_caught_up(&world).await;
    let republished = all_records(&world, records.len() + EVENTS).await;
    assert!(
        republished.len() >= records.len() + EVENTS,
        "the relay published everything again"
    );
    projection_consumed(&world, republished.len()).await;
    assert_eq!(
        scalar(&world, "SELECT COUNT(*) FROM applications").await,
        EVENTS as i64,
        "duplicates were absorbed"
    );
}

#[tokio::test]
async fn registrations_succeed_while_the_broker_is_down_and_reach_the_view_when_it_returns() {
    let mut broker = Broker::start();
    let world = World::start_on(&broker.brokers()).await;
    let _relay = world.spawn_relay();

    let before: Value = world
        .register("before@example.org", "Before")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(world.read_registered(&before).await.status(), 200);

    broker.stop();
    let response = world.register("during@example.org", "During").await;
    assert_eq!(response.status(), 201, "commands never wait for Kafka");
    let during: Value = response.json().await.unwrap();
    // /readyz answers from its last check, refreshed every gateway.readiness_refresh_ms.
    eventually(
        "/readyz to see the broker down",
        Duration::from_secs(15),
        || async {
            let readiness = world
                .http
                .get(format!("{}/readyz", world.gateway_url))
                .send()
                .await
                .ok()?;
            (readiness.status() == 503).then_some(())
        },
    )
    .await;

    broker.restart();
    eventually(
        "the user registered during the outage to reach the view",
        Duration::from_secs(90),
        || async { (world.read_registered(&during).await.status() == 200).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn plinth_creates_its_topics_to_keep_every_event() {
    let world = World::start().await;
    let topics: Vec<String> = ["identity.user", "authz.binding", "audit.checkpoint"]
        .iter()
        .map(|t| world.topic(t))
        .collect();
    plinth_infra_kafka::ensure_topics(&world.settings.kafka, &topics)
        .await
        .unwrap();
    let described = plinth_infra_kafka::retention(&world.settings.kafka, &topics)
        .await
        .unwrap();
    for (topic, retention) in described {
        assert_eq!(retention, Some(-1), "{topic} keeps its events for ever");
    }
}
