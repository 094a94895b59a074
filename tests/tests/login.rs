//! Login, the lockout, profile rename and password change, end to end over HTTP.

use std::time::Duration;

use plinth_tests::World;
use serde_json::{Value, json};

async fn me(world: &World, token: &str) -> reqwest::Response {
    world
        .http
        .get(format!("{}/v1/users/me", world.gateway_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn login(world: &World, email: &str, password: &str) -> reqwest::Response {
    world
        .http
        .post(format!("{}/v1/auth/login", world.gateway_url))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

/// Registers Ada, waits for the directory, logs in, and returns the access token.
async fn signed_in(world: &World) -> String {
    world.registered("ada@example.org", "Ada").await;
    let body: Value = login(world, "ada@example.org", "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn logging_in_returns_a_bearer_token_for_the_users_own_profile() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let user = world.registered("ada@example.org", "Ada").await;
    let response = login(&world, "ADA@example.org", "correct horse battery").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let profile: Value = me(&world, body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["id"], user.to_string());
    assert_eq!(world.count_events("LoginSucceeded").await, 1);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.registered("ada@example.org", "Ada").await;
    let mut answers = Vec::new();
    for (email, password) in [
        ("ada@example.org", "not the password"),
        ("nobody@example.org", "correct horse battery"),
        ("not-an-address", "x"),
    ] {
        let response = login(&world, email, password).await;
        assert_eq!(response.status(), 401, "{email}");
        let body: Value = response.json().await.unwrap();
        answers.push(body["detail"].as_str().unwrap().to_owned());
    }
    assert!(
        answers
            .iter()
            .all(|a| a == "invalid e-mail address or password"),
        "{answers:?}"
    );
    assert_eq!(
        world.count_events("LoginFailed").await,
        1,
        "only the existing user's attempt is recorded"
    );
}

#[tokio::test]
async fn twenty_concurrent_wrong_passwords_lock_the_account_after_exactly_five() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.registered("ada@example.org", "Ada").await;
    let attempts = futures::future::join_all(
        (0..20).map(|_| login(&world, "ada@example.org", "wrong password!")),
    )
    .await;
    let mut statuses: Vec<u16> = attempts.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [vec![401; 5], vec![423; 15]].concat());
    assert_eq!(world.count_events("LoginFailed").await, 5);
    assert_eq!(world.count_events("AccountLocked").await, 1);

    let locked = login(&world, "ada@example.org", "correct horse battery").await;
    assert_eq!(
        locked.status(),
        423,
        "even the right password waits for the lock to end"
    );
    let retry_after: i64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(world.count_events("LoginSucceeded").await, 0);
}

#[tokio::test]
async fn a_signed_in_user_renames_themself_and_reads_the_change_back() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let token = signed_in(&world).await;
    let patch = |body: Value| {
        world
            .http
            .patch(format!("{}/v1/users/me", world.gateway_url))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };

    let renamed = patch(json!({ "display_name": "  Countess of Lovelace " }))
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let renamed: Value = renamed.json().await.unwrap();
    assert_eq!(renamed["display_name"], "Countess of Lovelace");
    let profile: Value = world
        .http
        .get(format!("{}/v1/users/me", world.gateway_url))
        .bearer_auth(&token)
        .header(
            "Consistency-Token",
            renamed["consistency_token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        profile["display_name"], "Countess of Lovelace",
        "read-your-writes through Kafka"
    );

    let invalid = patch(json!({ "display_name": " " })).await.unwrap();
    assert_eq!(invalid.status(), 422);
    let anonymous = world
        .http
        .patch(format!("{}/v1/users/me", world.gateway_url))
        .json(&json!({ "display_name": "X" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_replaces_it() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let token = signed_in(&world).await;
    let change = |current: &str, new: &str| {
        world
            .http
            .post(format!("{}/v1/auth/password", world.gateway_url))
            .bearer_auth(&token)
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
    };

    assert_eq!(
        change("not my password", "a brand new passphrase")
            .await
            .unwrap()
            .status(),
        401
    );
    let weak = change("correct horse battery", "1qaz2wsx3edc")
        .await
        .unwrap();
    assert_eq!(weak.status(), 422);
    let weak: Value = weak.json().await.unwrap();
    assert_eq!(weak["errors"][0]["field"], "new_password");
    assert_eq!(
        change("correct horse battery", "a brand new passphrase")
            .await
            .unwrap()
            .status(),
        204
    );

    assert_eq!(
        login(&world, "ada@example.org", "correct horse battery")
            .await
            .status(),
        401,
        "the old password is gone"
    );
    assert_eq!(
        login(&world, "ada@example.org", "a brand new passphrase")
            .await
            .status(),
        200
    );
    assert_eq!(world.count_events("PasswordChanged").await, 1);

    let topic = world.topic("identity.user");
    let stored: i64 = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT COUNT(*) FROM events WHERE aggregate_type = 'identity.user'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let records = plinth_tests::read_topic(
        &world.settings.kafka.brokers,
        &topic,
        world.settings.kafka.partitions,
        stored as usize,
        Duration::from_secs(30),
    )
    .await;
    let changed = records
        .iter()
        .find(|r| r.headers["event_type"] == "PasswordChanged")
        .expect("published");
    assert!(
        !String::from_utf8_lossy(&changed.value).contains("argon2"),
        "the new hash is not published"
    );
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_and_wrong_guesses_lock_the_account() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.registered("ada@example.org", "Ada").await;
    let sign_in = || async {
        let body: Value = login(&world, "ada@example.org", "correct horse battery")
            .await
            .json()
            .await
            .unwrap();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    };
    let (thief_access, thief_refresh) = sign_in().await;
    let (own_access, _) = sign_in().await;
    let change = |token: &str, current: &str| {
        world
            .http
            .post(format!("{}/v1/auth/password", world.gateway_url))
            .bearer_auth(token)
            .json(&json!({ "current_password": current, "new_password": "a brand new passphrase" }))
            .send()
    };
    assert_eq!(
        change(&own_access, "correct horse battery")
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        me(&world, &own_access).await.status(),
        200,
        "the changing session goes on"
    );
    assert_eq!(
        me(&world, &thief_access).await.status(),
        401,
        "every other session ends at once"
    );
    let refreshed = world
        .http
        .post(format!("{}/v1/auth/refresh", world.gateway_url))
        .json(&json!({ "refresh_token": thief_refresh }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 400, "and cannot be refreshed");

    // A stolen access token cannot guess the password: wrong guesses count as failed logins.
    for _ in 0..5 {
        assert_eq!(
            change(&own_access, "a wrong guess!!")
                .await
                .unwrap()
                .status(),
            401
        );
    }
    assert_eq!(world.count_events("LoginFailed").await, 5);
    assert_eq!(world.count_events("AccountLocked").await, 1);
    let locked = change(&own_access, "a brand new passphrase").await.unwrap();
    assert_eq!(locked.status(), 423, "locked, even with the right password");
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(
        login(&world, "ada@example.org", "a brand new passphrase")
            .await
            .status(),
        423
    );
}
