//! A broker that requires authentication (tansu with SASL/SCRAM-SHA-512): `plinth dev`,
//! configured with the credentials, creates its topics, publishes and projects; a client with a
//! wrong password, or none, is kept out.

use std::time::Duration;

use plinth_infra_config::{KafkaSettings, Secret};
use plinth_tests::{Broker, DevStack, eventually};
use uuid::Uuid;

const USER: &str = "plinth";
const SECRET: &str = "a-long-broker-secret";

fn authenticated(kafka: &mut KafkaSettings, password: &str) {
    kafka.security_protocol = "sasl_plaintext".into();
    kafka.sasl_mechanism = "SCRAM-SHA-512".into();
    kafka.sasl_username = USER.into();
    kafka.sasl_password = Some(Secret::new(password.to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn plinth_runs_on_a_broker_that_requires_sasl_and_a_wrong_password_is_kept_out() {
    let broker = Broker::start_authenticated(USER, SECRET);
    let mut stack =
        DevStack::start_configured(&broker.brokers(), |s| authenticated(&mut s.kafka, SECRET))
            .await;
    // Ready: the broker answers the gateway's authenticated probe.
    stack.wait_ready(Duration::from_secs(120)).await;
    let email = format!("sasl-{}@example.org", Uuid::now_v7().simple());
    let registered = stack
        .registration(&email, "Authenticated")
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    // Published by the relay and consumed by the projector, both authenticated.
    eventually("the user in its view", Duration::from_secs(60), || async {
        (stack.scalar("SELECT count(*) FROM users_v1").await == 1).then_some(())
    })
    .await;

    // Without the password, or without SASL at all, nothing is read.
    let mut wrong = stack.settings.kafka.clone();
    authenticated(&mut wrong, "not-the-secret");
    let mut anonymous = stack.settings.kafka.clone();
    anonymous.security_protocol = "plaintext".into();
    for (who, kafka) in [("a wrong password", wrong), ("no SASL", anonymous)] {
        let refused = tokio::task::spawn_blocking(move || {
            plinth_infra_kafka::fetch_metadata(&kafka, Duration::from_secs(5))
        })
        .await
        .unwrap();
        assert!(refused.is_err(), "{who} read the brokers' metadata");
    }
    let right = stack.settings.kafka.clone();
    let admitted = tokio::task::spawn_blocking(move || {
        plinth_infra_kafka::fetch_metadata(&right, Duration::from_secs(5))
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        admitted
            .topics()
            .iter()
            .any(|t| t.name().ends_with("identity.user")),
        "the topics Plinth created"
    );
}
