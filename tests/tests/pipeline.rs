//! The vertical slice over HTTP: register → Postgres → relay → Kafka (Avro) → projector → read.

use std::time::Duration;

use futures::future::join_all;
use plinth_infra_kafka::{AvroCodec, headers};
use plinth_schemas::DecodeEvent;
use plinth_schemas::identity::IdentityEvent;
use plinth_tests::{World, read_topic};
use serde_json::Value;

#[tokio::test]
async fn a_registered_user_reads_back_with_its_token_and_is_published_as_confluent_avro() {
    let world = World::start().await;
    let _relay = world.spawn_relay();

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = world
        .http
        .post(format!("{}/v1/auth/register", world.gateway_url))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({ "email": "Grace@Example.org", "password": "correct horse battery", "display_name": "Grace Hopper" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    let token = body["consistency_token"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/users/{id}"));

    let read = world
        .http
        .get(format!("{}{location}", world.gateway_url))
        .header("Consistency-Token", &token)
        .header("Authorization", world.bearer(&id))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let user: Value = read.json().await.unwrap();
    assert_eq!(user["id"], id.as_str());
    assert_eq!(user["email"], "grace@example.org");
    assert_eq!(user["display_name"], "Grace Hopper");
    assert_eq!(user["version"], 1);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));

    // A downstream team's view: a plain consumer and the registry, nothing of Plinth's.
    let topic = world.topic("identity.user");
    let records = read_topic(
        &world.settings.kafka.brokers,
        &topic,
        world.settings.kafka.partitions,
        1,
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record.key, id);
    assert_eq!(record.value[0], 0, "Confluent magic byte");
    let schema_id = u32::from_be_bytes(record.value[1..5].try_into().unwrap());
    let subject: Value = world
        .http
        .get(format!(
            "{}/subjects/{topic}-plinth.identity.UserRegistered/versions/latest",
            world.settings.schema_registry.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        subject["id"], schema_id,
        "the wire format names the registered schema"
    );
    for name in [
        headers::EVENT_ID,
        headers::AGGREGATE_TYPE,
        headers::AGGREGATE_ID,
        headers::SEQUENCE,
        headers::POSITION,
        headers::EVENT_TYPE,
        headers::TENANT_ID,
        headers::CORRELATION_ID,
        headers::CAUSATION_ID,
    ] {
        assert!(
            record.headers.contains_key(name),
            "header {name} missing: {:?}",
            record.headers
        );
    }
    assert_eq!(record.headers[headers::SEQUENCE], "1");
    assert_eq!(record.headers[headers::TENANT_ID], "default");
    assert_eq!(record.headers[headers::EVENT_TYPE], "UserRegistered");
    assert!(
        record.headers[headers::TRACEPARENT].starts_with(&format!("00-{trace_id}-")),
        "the caller's trace continues through Kafka: {:?}",
        record.headers.get(headers::TRACEPARENT)
    );

    let decoded = AvroCodec::new(&world.settings.schema_registry)
        .unwrap()
        .decode(&record.value)
        .await
        .unwrap();
    assert_eq!(decoded.record_name, "plinth.identity.UserRegistered");
    let IdentityEvent::UserRegistered(event) =
        IdentityEvent::decode(&decoded.record_name, decoded.value).unwrap()
    else {
        panic!("not a registration");
    };
    assert_eq!(event.user_id.to_string(), id);
    assert_eq!(event.email, "grace@example.org");
    assert!(
        !String::from_utf8_lossy(&record.value).contains("argon2"),
        "password hashes are never published"
    );
}

#[tokio::test]
async fn concurrent_registrations_with_one_email_get_one_201_and_the_rest_409() {
    let world = World::start().await;
    let responses = join_all((0..8).map(|i| {
        world.register(
            if i % 2 == 0 {
                "same@example.org"
            } else {
                "SAME@example.org"
            },
            "Twin",
        )
    }))
    .await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![201, 409, 409, 409, 409, 409, 409, 409]);
    let conflict = responses.into_iter().find(|r| r.status() == 409).unwrap();
    assert_eq!(
        conflict.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = conflict.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("e-mail address already exists"),
        "{problem}"
    );
}

#[tokio::test]
async fn the_same_email_registers_once_per_tenant() {
    let world = World::start().await;
    for tenant in ["acme", "globex"] {
        let response = world
            .http
            .post(format!("{}/v1/auth/register", world.gateway_url))
            .header("X-Tenant-Id", tenant)
            .json(&serde_json::json!({ "email": "ada@example.org", "password": "correct horse battery", "display_name": "Ada" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "tenant {tenant}");
    }
}

#[tokio::test]
async fn a_token_is_refused_in_another_tenant() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let body: Value = world
        .register("ada@example.org", "Ada")
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap();
    let url = format!("{}/v1/users/{id}", world.gateway_url);
    let token = body["consistency_token"].as_str().unwrap();
    let own = world
        .http
        .get(&url)
        .header("Consistency-Token", token)
        .header("Authorization", world.bearer(id))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let other = world
        .http
        .get(&url)
        .header("X-Tenant-Id", "globex")
        .header("Authorization", world.bearer(id))
        .send()
        .await
        .unwrap();
    let body = problem(other, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("another tenant"));
    let anonymous = world.http.get(&url).send().await.unwrap();
    assert!(anonymous.headers().contains_key("www-authenticate"));
    problem(anonymous, 401).await;
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().unwrap().starts_with("https://"));
    body
}

#[tokio::test]
async fn bad_requests_get_problem_details_that_say_what_is_wrong() {
    let world = World::start().await;
    let url = format!("{}/v1/auth/register", world.gateway_url);
    let post = |body: &'static str, content_type: &'static str| {
        world
            .http
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let invalid = problem(
        post(
            r#"{"email":"not-an-address","password":"short","display_name":""}"#,
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    let fields: Vec<&str> = invalid["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "display_name"]);
    assert!(
        invalid["detail"]
            .as_str()
            .unwrap()
            .contains("password must have at least 12 characters")
    );

    let missing = problem(
        post(r#"{"email":"a@example.org"}"#, "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(
        missing["errors"][0],
        serde_json::json!({"field": "password", "message": "is required"})
    );

    let mistyped = problem(
        post(
            r#"{"email":1,"password":"correct horse battery","display_name":"A"}"#,
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(
        mistyped["errors"][0],
        serde_json::json!({"field": "email", "message": "must be a string"})
    );

    let malformed = problem(
        post(r#"{"email": "#, "application/json").await.unwrap(),
        400,
    )
    .await;
    assert!(
        malformed["detail"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    problem(post("[1,2]", "application/json").await.unwrap(), 400).await;
    problem(
        post(r#"{"email":"a@example.org"}"#, "text/plain")
            .await
            .unwrap(),
        415,
    )
    .await;

    let unknown = problem(
        world
            .http
            .get(format!("{}/v2/nothing", world.gateway_url))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(unknown["detail"].as_str().unwrap().contains("/v2/nothing"));
    problem(world.http.delete(&url).send().await.unwrap(), 405).await;

    let someone_id = uuid::Uuid::now_v7();
    let someone = world.bearer(&someone_id.to_string());
    let not_a_uuid = problem(
        world
            .http
            .delete(format!("{}/v1/auth/sessions/42", world.gateway_url))
            .header("Authorization", &someone)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(not_a_uuid["errors"][0]["field"], "id");
    let bad_token = world
        .http
        .get(format!("{}/v1/users/{someone_id}", world.gateway_url))
        .header("Consistency-Token", "garbage")
        .header("Authorization", &someone)
        .send()
        .await
        .unwrap();
    problem(bad_token, 400).await;
    let bad_tenant = world
        .http
        .get(format!("{}/v1/users/{someone_id}", world.gateway_url))
        .header("X-Tenant-Id", "Not A Tenant")
        .header("Authorization", &someone)
        .send()
        .await
        .unwrap();
    problem(bad_tenant, 400).await;
}

#[tokio::test]
async fn a_read_whose_write_has_not_reached_the_view_answers_503_with_retry_after() {
    let brokers = plinth_tests::env("PLINTH_KAFKA_BROKERS");
    let world = World::start_configured(&brokers, |s| s.gateway.consistency_wait_ms = 500).await;
    // No relay runs, so the write never reaches the view.
    let body: Value = world
        .register("late@example.org", "Late")
        .await
        .json()
        .await
        .unwrap();
    let response = world.read_registered(&body).await;
    assert_eq!(response.headers()["retry-after"], "1");
    problem(response, 503).await;
}

#[tokio::test]
async fn health_is_always_ok_and_readiness_names_what_is_down() {
    let world = World::start().await;
    let health = world
        .http
        .get(format!("{}/healthz", world.gateway_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready: Value = world.get_json("/readyz").await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["checks"]["broker"], "ok");

    let down = World::start_on("127.0.0.1:1").await;
    let response = down
        .http
        .get(format!("{}/readyz", down.gateway_url))
        .send()
        .await
        .unwrap();
    let body = problem(response, 503).await;
    assert!(
        body["detail"].as_str().unwrap().contains("broker"),
        "{body}"
    );
    assert_eq!(body["checks"]["postgres"], "ok");
    assert_eq!(body["checks"]["broker"], "unreachable");
    assert!(
        !body.to_string().contains("127.0.0.1:1"),
        "no internals in the answer: {body}"
    );
}

#[tokio::test]
async fn the_documented_python_consumer_reads_a_registration() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let body: Value = world
        .register("docs@example.org", "Docs Reader")
        .await
        .json()
        .await
        .unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/consume_users.py");
    let output = tokio::process::Command::new(plinth_tests::env("PLINTH_PYTHON"))
        .arg(script)
        .args([
            &world.settings.kafka.brokers,
            &world.settings.schema_registry.url,
            &world.topic("identity.user"),
            "1",
            "60",
        ])
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let event: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(event["key"], body["id"]);
    assert_eq!(event["value"]["email"], "docs@example.org");
    assert_eq!(event["value"]["display_name"], "Docs Reader");
    assert_eq!(event["headers"]["event_type"], "UserRegistered");
}

#[tokio::test]
async fn weak_passwords_are_refused_naming_the_rule_they_break() {
    let world = World::start().await;
    for (password, rule) in [
        ("1qaz2wsx3edc", "too common"),
        ("grace.hopper-1906!", "e-mail address's name part"),
        ("eleven char", "at least 12 characters"),
    ] {
        let response = world
            .http
            .post(format!("{}/v1/auth/register", world.gateway_url))
            .json(&serde_json::json!({ "email": "Grace.Hopper@example.org", "password": password, "display_name": "Grace" }))
            .send()
            .await
            .unwrap();
        let body = problem(response, 422).await;
        assert_eq!(body["errors"][0]["field"], "password", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(rule),
            "{password}: {body}"
        );
    }
}
