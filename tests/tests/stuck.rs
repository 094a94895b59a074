//! Nothing sits silently behind: an event that cannot be published is parked and everything
//! else flows; a message lost on its way through Kafka is published again when a projection
//! waits for it; a transaction that holds the relay back is named; `plinth status` shows it all.

use std::time::Duration;

use plinth_tests::{World, eventually, read_topic, seed};
use serde_json::json;
use uuid::Uuid;

/// Appends a stored event as postgres-es would, in its own transaction; returns its id and its
/// place in the global order (transaction id as text, position).
async fn append(
    world: &World,
    user: Uuid,
    sequence: i64,
    event_type: &str,
    payload: serde_json::Value,
) -> (Uuid, String, i64) {
    let (_, metadata) = seed::user_registered(user);
    let row = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             VALUES ('identity.user', $1, $2, $3, '1', $4::text::json, $5::text::json)
             RETURNING event_id, transaction_id::text, position",
            &[&user.to_string(), &sequence, &event_type, &payload.to_string(), &metadata],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

fn renamed(user: Uuid, name: &str) -> serde_json::Value {
    json!({"DisplayNameChanged": {"user_id": user, "tenant_id": "default", "display_name": name, "at": "2026-12-01T12:00:00Z"}})
}

async fn applied(world: &World, user: Uuid) -> i64 {
    plinth_projections_runtime::applied_sequence(
        &world.pool.get().await.unwrap(),
        "users_v1",
        "identity.user",
        &user.to_string(),
    )
    .await
    .unwrap()
    .unwrap_or(0)
}

async fn registered_in_store(world: &World) -> Uuid {
    let user = Uuid::now_v7();
    seed::insert(&world.pool.get().await.unwrap(), user, 1).await;
    user
}

#[tokio::test]
async fn an_event_that_cannot_be_published_is_parked_with_its_aggregate_and_everything_else_flows()
{
    let world = World::start().await;
    let _audit = world.start_audit();
    let _relay = world.spawn_relay();
    // Ada's second event has no published schema; Grace's second does not match its schema.
    let ada = registered_in_store(&world).await;
    let (levitated, _, _) = append(
        &world,
        ada,
        2,
        "UserLevitated",
        json!({"UserLevitated": {}}),
    )
    .await;
    append(
        &world,
        ada,
        3,
        "DisplayNameChanged",
        renamed(ada, "Ada Lovelace"),
    )
    .await;
    let grace = registered_in_store(&world).await;
    let (broken, _, _) = append(
        &world,
        grace,
        2,
        "DisplayNameChanged",
        json!({"DisplayNameChanged": {"user_id": grace}}),
    )
    .await;
    let alan = registered_in_store(&world).await;

    eventually("the others published", Duration::from_secs(60), || async {
        (applied(&world, alan).await == 1 && applied(&world, ada).await == 1).then_some(())
    })
    .await;
    let (code, out, _) = world.plinth(&["status"]).await;
    assert_eq!(code, 1, "something is stuck: {out}");
    assert!(out.contains("Parked events: 3"), "{out}");
    assert!(
        out.contains(&format!(
            "PARKED {levitated} identity.user/{ada} #2 UserLevitated: no published schema"
        )),
        "{out}"
    );
    assert!(
        out.contains("waits for an earlier parked event of its aggregate"),
        "{out}"
    );
    assert_eq!(
        applied(&world, ada).await,
        1,
        "nothing of Ada's past the parked event"
    );

    // Ada's: withheld, so her later event follows, and the topic says what was withheld.
    let (code, out, err) = world
        .plinth(&["relay", "withhold", "--event", &levitated.to_string()])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    eventually(
        "Ada's later event applied",
        Duration::from_secs(30),
        || async { (applied(&world, ada).await == 3).then_some(()) },
    )
    .await;
    let records = read_topic(
        &world.settings.kafka.brokers,
        &world.topic("identity.user"),
        world.settings.kafka.partitions,
        5,
        Duration::from_secs(30),
    )
    .await;
    let withheld = records
        .iter()
        .find(|r| r.headers["event_type"] == "Withheld")
        .expect("a Withheld record on the topic");
    assert_eq!(withheld.headers["event_id"], levitated.to_string());
    assert_eq!(withheld.headers["sequence"], "2");

    // Grace's: repaired in the store, then retried.
    world
        .pool
        .get()
        .await
        .unwrap()
        .execute(
            "UPDATE events SET payload = $2::text::json WHERE event_id = $1",
            &[&broken, &renamed(grace, "Grace Hopper").to_string()],
        )
        .await
        .unwrap();
    let (code, _, err) = world.plinth(&["relay", "retry"]).await;
    assert_eq!(code, 0, "{err}");
    eventually(
        "Grace's repaired event applied",
        Duration::from_secs(30),
        || async { (applied(&world, grace).await == 2).then_some(()) },
    )
    .await;
    let (code, out, _) = world.plinth(&["status"]).await;
    assert!(out.contains("Parked events: 0"), "{out}");
    assert_eq!(code, 0, "{out}");
}

#[tokio::test]
async fn a_message_lost_on_its_way_is_published_again_when_a_projection_waits_for_it() {
    let world = World::start().await;
    let relay = world.spawn_relay();
    let ada = registered_in_store(&world).await;
    eventually("Ada in the directory", Duration::from_secs(60), || async {
        (applied(&world, ada).await == 1).then_some(())
    })
    .await;
    relay.kill();
    // Event 2 goes "through Kafka and is lost": the relay's checkpoint is moved past it, as if
    // it had been acknowledged and then dropped. Event 3 follows.
    let (_, transaction, position) =
        append(&world, ada, 2, "DisplayNameChanged", renamed(ada, "Ada")).await;
    append(
        &world,
        ada,
        3,
        "DisplayNameChanged",
        renamed(ada, "Ada Lovelace"),
    )
    .await;
    world
        .pool
        .get()
        .await
        .unwrap()
        .execute(
            "UPDATE relay_checkpoints SET transaction_id = $1::text::xid8, position = $2",
            &[&transaction, &position],
        )
        .await
        .unwrap();
    let relay = world.spawn_relay();
    eventually("the projection healed", Duration::from_secs(60), || async {
        (applied(&world, ada).await == 3).then_some(())
    })
    .await;
    let log = std::fs::read_to_string(&relay.log).unwrap();
    assert!(
        log.contains("Published an aggregate's events again, as a consumer asked."),
        "{log}"
    );
    let name: String = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT display_name FROM users_v1 WHERE user_id = $1",
            &[&ada],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "Ada Lovelace");
    eventually("the stall cleared", Duration::from_secs(30), || async {
        let stalls: i64 = world
            .pool
            .get()
            .await
            .unwrap()
            .query_one("SELECT count(*) FROM projection_stalls", &[])
            .await
            .unwrap()
            .get(0);
        (stalls == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_transaction_holding_the_relay_back_is_named_by_the_relay_and_by_status() {
    let world = World::start().await;
    let relay = world.spawn_relay();
    let holder = world.pool.get().await.unwrap();
    holder
        .batch_execute(
            "SET application_name = 'forgotten-migration'; BEGIN; SELECT pg_current_xact_id();",
        )
        .await
        .unwrap();
    let ada = registered_in_store(&world).await;
    eventually(
        "the relay to name the blocker",
        Duration::from_secs(30),
        || async {
            let log = std::fs::read_to_string(&relay.log).ok()?;
            (log.contains("The relay is held back") && log.contains("forgotten-migration"))
                .then_some(())
        },
    )
    .await;
    let (status, out) = eventually(
        "status to call it stuck",
        Duration::from_secs(30),
        || async {
            let (code, out, _) = world.plinth(&["status"]).await;
            (code == 1).then_some((code, out))
        },
    )
    .await;
    assert_eq!(status, 1);
    assert!(
        out.contains("HELD BACK") && out.contains("forgotten-migration"),
        "{out}"
    );
    holder.batch_execute("ROLLBACK").await.unwrap();
    eventually(
        "published once the transaction ends",
        Duration::from_secs(30),
        || async { (applied(&world, ada).await == 1).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn an_event_whose_schema_the_registry_refuses_is_parked_and_the_rest_flows() {
    let world = World::start().await;
    // Someone registered an incompatible schema under the subject Plinth's renames use.
    let subject = format!(
        "{}-plinth.identity.DisplayNameChanged",
        world.topic("identity.user")
    );
    let foreign = json!({"type": "record", "name": "DisplayNameChanged", "namespace": "plinth.identity",
        "fields": [{"name": "x", "type": "int"}]});
    let registered = world
        .http
        .post(format!(
            "{}/subjects/{subject}/versions",
            world.settings.schema_registry.url
        ))
        .header("content-type", "application/vnd.schemaregistry.v1+json")
        .json(&json!({"schema": foreign.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 200);
    let _relay = world.spawn_relay();
    let ada = registered_in_store(&world).await;
    let (renamed_id, _, _) = append(
        &world,
        ada,
        2,
        "DisplayNameChanged",
        renamed(ada, "Ada Lovelace"),
    )
    .await;
    let grace = registered_in_store(&world).await;
    eventually(
        "Grace published past the refused event",
        Duration::from_secs(60),
        || async { (applied(&world, grace).await == 1).then_some(()) },
    )
    .await;
    let (code, out, _) = world.plinth(&["status"]).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "PARKED {renamed_id} identity.user/{ada} #2 DisplayNameChanged"
        )) && out.contains("409"),
        "{out}"
    );
    assert_eq!(applied(&world, ada).await, 1);
}
