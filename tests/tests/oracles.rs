//! Inputs an attacker or a careless client sends to learn something or to make Plinth work for
//! nothing: undeliverable addresses, forged tokens, made-up consistency tokens, endless denials,
//! floods of reset requests, oversized passwords, and spreadsheet formulas in exported cells.

use std::time::Duration;

use plinth_tests::{World, eventually};
use serde_json::json;

#[tokio::test]
async fn an_address_the_mailer_cannot_send_to_is_refused_at_registration() {
    let world = World::start().await;
    for address in [
        "a;b@example.org",
        "(ada)@example.org",
        "a\"b@example.org",
        "a,b@example.org",
    ] {
        let response = world
            .http
            .post(format!("{}/v1/auth/register", world.gateway_url))
            .json(
                &json!({"email": address, "password": plinth_tests::PASSWORD, "display_name": "X"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{address}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "email", "{problem}");
    }
    assert_eq!(world.count_events("UserRegistered").await, 0);
}

#[tokio::test]
async fn an_undeliverable_mail_is_retried_with_backoff_a_bounded_number_of_times() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.mail.url = plinth_infra_config::Secret::new(format!("smtp://127.0.0.1:{closed}"));
    })
    .await;
    let _relay = world.spawn_relay();
    world.start_notifications();
    world.registered("ada@example.org", "Ada").await;
    let client = world.pool.get().await.unwrap();
    let row = "SELECT attempts, last_error, next_attempt_at > now() AS later, leased_until IS NULL AS released, failed_at IS NOT NULL AS failed FROM notification_outbox";
    // The failure is recorded: the lease is released and the next attempt put off.
    eventually(
        "the first failure recorded",
        Duration::from_secs(60),
        || async {
            let r = client.query_opt(row, &[]).await.unwrap()?;
            let error: Option<String> = r.get("last_error");
            (error.is_some() && r.get::<_, bool>("later") && r.get::<_, bool>("released"))
                .then_some(())
        },
    )
    .await;
    // Every further attempt, made due at once instead of waiting out the backoff, fails too,
    // until the sender gives up for good.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let r = client.query_one(row, &[]).await.unwrap();
        if r.get::<_, bool>("failed") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sender never gave up"
        );
        client
            .execute(
                "UPDATE notification_outbox SET next_attempt_at = now() WHERE failed_at IS NULL AND leased_until IS NULL",
                &[],
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let attempts: i32 = client.query_one(row, &[]).await.unwrap().get("attempts");
    assert_eq!(attempts, plinth_services_notifications::MAX_ATTEMPTS);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again: i32 = client.query_one(row, &[]).await.unwrap().get("attempts");
    assert_eq!(again, attempts, "a mail given up on is not tried again");
    assert_eq!(
        world.count_events("EmailVerificationIssued").await,
        i64::from(attempts),
        "one token per attempt, and no more"
    );
}

#[tokio::test]
async fn a_forged_reset_token_gets_the_same_answer_whoever_it_names_and_whatever_the_password() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let ada = world.registered("ada@example.org", "Ada").await;
    let forged = |user: uuid::Uuid| {
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(user.as_bytes()),
            "A".repeat(43)
        )
    };
    let mut answers = Vec::new();
    for (user, password) in [
        (ada, "password"),                     // breaks the policy
        (ada, "ada-lovelace rules the world"), // holds the e-mail's name
        (ada, "a perfectly fine passphrase"),
        (uuid::Uuid::now_v7(), "password"), // nobody
    ] {
        let response = world
            .http
            .post(format!(
                "{}/v1/auth/password-reset/complete",
                world.gateway_url
            ))
            .json(&json!({"token": forged(user), "new_password": password}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        answers.push((status, body));
    }
    for (status, body) in &answers {
        assert_eq!(*status, 400, "{body}");
        assert_eq!(body, &answers[0].1);
    }
}

#[tokio::test]
async fn a_consistency_token_counts_only_for_writes_committed_in_the_callers_tenant() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let registered: serde_json::Value = world
        .register("ada@example.org", "Ada")
        .await
        .json()
        .await
        .unwrap();
    let ada = registered["id"].as_str().unwrap().to_owned();
    let read = |token: String| {
        world
            .http
            .get(format!("{}/v1/users/me", world.gateway_url))
            .header("Authorization", world.bearer(&ada))
            .header("Consistency-Token", token)
            .send()
    };
    let genuine = registered["consistency_token"].as_str().unwrap().to_owned();
    assert_eq!(read(genuine.clone()).await.unwrap().status(), 200);

    // Ahead of the store: it could never be waited out, so it is refused at once rather than
    // polled for the whole consistency wait.
    let ahead = plinth_domain_core::ConsistencyToken {
        sequence: 1_000_000,
        ..genuine.parse().unwrap()
    };
    // Another tenant's write: waiting on it would time that tenant's progress.
    let acme: serde_json::Value = world
        .http
        .post(format!("{}/v1/auth/register", world.gateway_url))
        .header("X-Tenant-Id", "acme")
        .json(&json!({"email": "eve@example.org", "password": plinth_tests::PASSWORD, "display_name": "Eve"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let foreign = acme["consistency_token"].as_str().unwrap().to_owned();
    let mut problems = Vec::new();
    for token in [ahead.to_string(), foreign] {
        let response = read(token).await.unwrap();
        assert_eq!(response.status(), 400);
        problems.push(response.json::<serde_json::Value>().await.unwrap());
    }
    assert_eq!(
        problems[0], problems[1],
        "the same answer whatever the token names"
    );
    assert!(
        problems[0]["detail"]
            .as_str()
            .unwrap()
            .contains("no write committed in this tenant"),
        "{}",
        problems[0]
    );
}

#[tokio::test]
async fn a_password_longer_than_the_maximum_is_refused_before_it_is_hashed() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.registered("ada@example.org", "Ada").await;
    let huge = "x".repeat(100_000);
    let login = world
        .http
        .post(format!("{}/v1/auth/login", world.gateway_url))
        .json(&json!({"email": "ada@example.org", "password": huge}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 422);
    let problem: serde_json::Value = login.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "password", "{problem}");
    assert_eq!(
        world.count_events("LoginFailed").await,
        0,
        "not checked against the account at all"
    );
    let register = world
        .http
        .post(format!("{}/v1/auth/register", world.gateway_url))
        .json(&json!({"email": "eve@example.org", "password": "y".repeat(129), "display_name": "Eve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 422);
}

#[tokio::test]
async fn hammering_a_forbidden_route_is_audited_in_full_as_a_few_records_with_counts() {
    const TRIES: i64 = 60;
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.gateway.denial_window_ms = 1000;
    })
    .await;
    let _relay = world.spawn_relay();
    let _audit = world.start_audit();
    let (member, bearer) = world.signed_in("mallory@example.org").await;
    for _ in 0..TRIES {
        assert_eq!(world.get_as("/v1/users", &bearer).await.0, 403);
    }
    let client = world.pool.get().await.unwrap();
    let stored = "SELECT count(*), coalesce(sum(coalesce((payload->'AccessDecided'->>'repeated')::bigint, 1)), 0)::bigint
        FROM events WHERE aggregate_type = 'authz.decision' AND payload->'AccessDecided'->>'subject' = $1";
    let subject = member.to_string();
    let (records, denials) = eventually(
        "every denial counted in the store",
        Duration::from_secs(30),
        || async {
            let row = client.query_one(stored, &[&subject]).await.unwrap();
            let (records, denials): (i64, i64) = (row.get(0), row.get(1));
            (denials == TRIES).then_some((records, denials))
        },
    )
    .await;
    assert!(
        records <= 3,
        "{denials} denials in {records} records: repeats are gathered, not written one by one"
    );
    // And the audit trail holds them all, with their counts.
    let trail = "SELECT (payload->'RecordAppended'->>'details')::json->>'repeated'
        FROM events WHERE aggregate_type = 'audit.trail'
          AND payload->'RecordAppended'->>'action' = 'AccessDecided'
          AND payload->'RecordAppended'->>'actor' = $1";
    let actor = format!("user:{member}");
    eventually(
        "every denial in the audit trail",
        Duration::from_secs(30),
        || async {
            let counted: i64 = client
                .query(trail, &[&actor])
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    r.get::<_, Option<String>>(0)
                        .map_or(1, |n| n.parse::<i64>().unwrap())
                })
                .sum();
            (counted == TRIES).then_some(())
        },
    )
    .await;
}
