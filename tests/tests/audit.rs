//! The audit service end to end: identity and authz events and the gateway's access decisions
//! flow through the relay and Kafka into per-tenant trails, exactly once even when a consumer
//! re-reads every topic, without secrets; the trail is searchable over HTTP, checkpointed,
//! and verifies from Postgres and from Kafka.

use std::time::Duration;

use plinth_tests::{PASSWORD, World, eventually};
use serde_json::{Value, json};

async fn scalar(world: &World, query: &str) -> i64 {
    world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(query, &[])
        .await
        .unwrap()
        .get(0)
}

/// Source events the trail should hold: every stored event but the audit service's own.
const SOURCES: &str = "SELECT count(*) FROM events WHERE aggregate_type NOT LIKE 'audit.%'";
const RECORDS: &str = "SELECT count(*) FROM events WHERE aggregate_type = 'audit.trail'";

async fn all_recorded(world: &World) -> i64 {
    eventually(
        "every source event recorded",
        Duration::from_secs(60),
        || async {
            let (sources, records) = (scalar(world, SOURCES).await, scalar(world, RECORDS).await);
            (sources > 0 && sources == records).then_some(records)
        },
    )
    .await
}

async fn get(world: &World, bearer: &str, path: &str) -> (u16, Value) {
    let response = world
        .http
        .get(format!("{}{path}", world.gateway_url))
        .header("Authorization", bearer)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_event_and_decision_is_recorded_once_searchable_checkpointed_and_verifiable() {
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.audit.checkpoint_every_records = 1000;
        s.audit.checkpoint_interval_secs = 1;
    })
    .await;
    let _relay = world.spawn_relay();
    let recorder = world.start_audit();
    world.start_projector(std::sync::Arc::new(
        plinth_projections_audit::AuditProjection,
    ));
    let admin = world.bootstrap_admin("root@example.org").await;
    let ada = world.registered("ada@example.org", "Ada").await;
    for _ in 0..5 {
        let response = world
            .http
            .post(format!("{}/v1/auth/login", world.gateway_url))
            .json(&json!({ "email": "ada@example.org", "password": "not the password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    // Rotated as another process would (`plinth keys rotate`): the gateway verifies tokens of
    // the new key once it has reloaded its keys.
    let kid = world.tokens.rotate().await.unwrap();
    eventually(
        "the gateway to verify tokens of the rotated key",
        Duration::from_secs(30),
        || async {
            let me = world
                .http
                .get(format!("{}/v1/users/me", world.gateway_url))
                .header("Authorization", world.bearer(&ada.to_string()))
                .send()
                .await
                .ok()?;
            (me.status() != 401).then_some(())
        },
    )
    .await;
    let bob = world.registered("bob@example.org", "Bob").await;
    let bob_bearer = format!(
        "Bearer {}",
        world.login("bob@example.org").await["access_token"]
            .as_str()
            .unwrap()
    );
    // A member may not read the trail: the denial itself is recorded.
    let (status, problem) = get(&world, &bob_bearer, "/v1/audit/records").await;
    assert_eq!(status, 403, "{problem}");
    let recorded = all_recorded(&world).await;

    // The consumer restarts under a new group: it re-reads every topic from the start.
    recorder.cancel();
    world.registered("carol@example.org", "Carol").await;
    let again = world.start_audit_in(&format!("{}again.", world.settings.projector.group_prefix));
    let after = all_recorded(&world).await;
    assert!(after > recorded, "carol's registration is recorded too");
    assert_eq!(
        scalar(
            &world,
            "SELECT count(DISTINCT payload -> 'RecordAppended' ->> 'source_event_id') FROM events WHERE aggregate_type = 'audit.trail'"
        )
        .await,
        after,
        "no source event twice"
    );
    assert_eq!(
        scalar(
            &world,
            &format!("SELECT count(*) FROM events WHERE aggregate_type = 'audit.trail' AND (payload::text LIKE '%argon2%' OR payload::text LIKE '%{PASSWORD}%' OR payload::text LIKE '%not the password%' OR payload::text LIKE '%token_hash%')")
        )
        .await,
        0,
        "no secrets in the trail"
    );

    // Search over HTTP, once the read model has the trail. Reading it is sensitive, so every
    // read adds a record of its own: look at the first `after` records only.
    let page = eventually(
        "the audit view has every record",
        Duration::from_secs(60),
        || async {
            let (status, page) = get(&world, &admin, "/v1/audit/records?limit=500").await;
            (status == 200 && page["records"].as_array().map(Vec::len) >= Some(after as usize))
                .then_some(page)
        },
    )
    .await;
    let positions: Vec<i64> = page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["position"].as_i64().unwrap())
        .filter(|p| *p <= after)
        .collect();
    assert_eq!(
        positions,
        (1..=after).rev().collect::<Vec<_>>(),
        "newest first"
    );

    let (_, failed) = get(&world, &admin, "/v1/audit/records?action=LoginFailed").await;
    let failed = failed["records"].as_array().unwrap().clone();
    assert_eq!(failed.len(), 5);
    assert!(failed.iter().all(|r| r["outcome"] == "failure"
        && r["target_type"] == "identity.user"
        && r["target_id"] == ada.to_string()));
    let (_, locked) = get(&world, &admin, "/v1/audit/records?action=AccountLocked").await;
    assert_eq!(locked["records"].as_array().unwrap().len(), 1, "{locked}");

    let (_, rotations) = get(&world, &admin, "/v1/audit/records?action=SigningKeyRotated").await;
    let rotations = rotations["records"].as_array().unwrap().clone();
    assert_eq!(
        rotations.len(),
        2,
        "the first key and the rotation: {rotations:?}"
    );
    assert_eq!(rotations[0]["target_type"], "identity.signing_key");
    assert_eq!(rotations[0]["actor"], "service:identity");
    assert!(rotations[0]["details"].as_str().unwrap().contains(&kid));

    let bob_actor = format!("user:{bob}");
    let (_, denied) = get(
        &world,
        &admin,
        &format!("/v1/audit/records?outcome=denied&actor={bob_actor}"),
    )
    .await;
    let denied = &denied["records"].as_array().unwrap()[0];
    assert_eq!(denied["action"], "AccessDecided");
    assert_eq!(denied["target_type"], "route");
    assert_eq!(denied["target_id"], "GET /v1/audit/records");
    assert_eq!(denied["source_ip"], "127.0.0.1");
    assert!(
        denied["details"]
            .as_str()
            .unwrap()
            .contains("audit.record.read")
    );

    // Cursor paging walks the same records (starting below the reads' own records).
    let mut walked = Vec::new();
    let mut cursor = (after + 1).to_string();
    loop {
        let (status, page) = get(
            &world,
            &admin,
            &format!("/v1/audit/records?limit=7&cursor={cursor}"),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        walked.extend(
            page["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["position"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(walked, positions);

    let (status, problem) = get(&world, &admin, "/v1/audit/records?outcome=maybe&colour=red").await;
    assert_eq!(status, 422, "{problem}");
    let text = problem.to_string();
    assert!(
        text.contains("outcome") && text.contains("colour"),
        "{problem}"
    );

    // Checkpoints: signed within a second of the last record, listed, and the trail verifies.
    let checkpoints = eventually(
        "a checkpoint covers the trail",
        Duration::from_secs(30),
        || async {
            let (_, page) = get(&world, &admin, "/v1/audit/checkpoints").await;
            let newest = page["checkpoints"].as_array()?.first()?.clone();
            (newest["position"].as_i64() >= Some(after)).then_some(page)
        },
    )
    .await;
    assert_eq!(checkpoints["checkpoints"][0]["tenant_id"], "default");
    for source in ["db", "kafka"] {
        let (code, out, err) = world.plinth(&["audit", "verify", "--source", source]).await;
        assert_eq!(code, 0, "{source}: {out}{err}");
        assert!(
            out.contains("OK: every trail and checkpoint verifies."),
            "{source}: {out}"
        );
    }

    // Checkpoints deleted from the database, then the trail cut short: the copies on the
    // checkpoint topic still cover the removed records.
    again.cancel();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = world.pool.get().await.unwrap();
    client
        .batch_execute(
            "DELETE FROM events WHERE aggregate_type = 'audit.checkpoint'; \
             DELETE FROM events WHERE aggregate_type = 'audit.trail' AND sequence > 2",
        )
        .await
        .unwrap();
    let (code, out, _) = world
        .plinth(&["audit", "verify", "--checkpoints", "db"])
        .await;
    assert_eq!(code, 0, "the database alone no longer shows it: {out}");
    let (code, out, err) = world.plinth(&["audit", "verify"]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("BROKEN: tenant default, position 3: the trail ends at position 2, but a signed checkpoint covers position"),
        "{out}"
    );
}
