//! The schema registry on the shared infrastructure: with a password configured, Plinth's own
//! processes register their schemas with it and the whole pipeline flows, while a stranger can
//! neither delete nor reconfigure what every consumer needs; without one, Plinth will not serve
//! the registry beyond loopback.

use std::time::Duration;

use plinth_infra_config::Secret;
use plinth_tests::{World, eventually, free_addr};

const PASSWORD: &str = "a-long-registry-secret";

#[tokio::test(flavor = "multi_thread")]
async fn a_protected_registry_serves_the_pipeline_and_refuses_strangers_changes() {
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.schema_registry.password = Some(Secret::new(PASSWORD.to_owned()));
    })
    .await;
    // A relay process, configured like any other (through its environment), registers the
    // schemas it publishes with; the in-process projector decodes with them.
    let _relay = world.spawn_relay();
    world.registered("guarded@example.org", "Guarded").await;

    let registry = &world.settings.schema_registry.url;
    let subjects: Vec<String> = world
        .http
        .get(format!("{registry}/subjects"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subject = subjects
        .iter()
        .find(|s| s.ends_with("plinth.identity.UserRegistered"))
        .unwrap_or_else(|| panic!("the relay registered UserRegistered: {subjects:?}"));

    for (method, path) in [
        (reqwest::Method::DELETE, format!("/subjects/{subject}")),
        (reqwest::Method::PUT, "/config".to_owned()),
    ] {
        let refused = world
            .http
            .request(method.clone(), format!("{registry}{path}"))
            .basic_auth("plinth", Some("not-the-password"))
            .header("content-type", "application/json")
            .body(r#"{"compatibility":"NONE"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401, "{method} {path}");
    }
    let versions = world
        .http
        .get(format!("{registry}/subjects/{subject}/versions"))
        .send()
        .await
        .unwrap();
    assert_eq!(versions.status(), 200, "the subject is still there");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_registry_is_not_served_beyond_loopback_without_a_password() {
    let world = World::start().await;
    let mut registry = world.spawn_serve("schema-registry", "open-registry", "info", |s| {
        s.schema_registry.listen = format!("0.0.0.0:{}", free_addr().port()).parse().unwrap();
    });
    let status = eventually(
        "the registry to refuse to start",
        Duration::from_secs(30),
        || std::future::ready(registry.exited()),
    )
    .await;
    assert!(!status.success());
    let said = std::fs::read_to_string(&registry.log).unwrap();
    assert!(said.contains("without schema_registry.password"), "{said}");
}
