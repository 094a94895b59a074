//! Account flows end to end: e-mail verification and password reset through the development
//! mailbox (the tests read tokens from the `.eml` files, as a user from their inbox), and
//! administration (bootstrap, list and search, disable and enable).

use std::time::Duration;

use plinth_tests::{PASSWORD, World, eventually};
use serde_json::{Value, json};

async fn post(world: &World, path: &str, body: &Value) -> reqwest::Response {
    world
        .http
        .post(format!("{}{path}", world.gateway_url))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get(world: &World, path: &str, bearer: &str) -> reqwest::Response {
    world
        .http
        .get(format!("{}{path}", world.gateway_url))
        .header("Authorization", bearer)
        .send()
        .await
        .unwrap()
}

async fn login_status(world: &World, email: &str, password: &str) -> u16 {
    post(
        world,
        "/v1/auth/login",
        &json!({ "email": email, "password": password }),
    )
    .await
    .status()
    .as_u16()
}

fn bearer(tokens: &Value) -> String {
    format!("Bearer {}", tokens["access_token"].as_str().unwrap())
}

#[tokio::test]
async fn a_new_address_is_verified_with_the_token_mailed_to_it_once() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.start_notifications();
    world.registered("ada@example.org", "Ada").await;
    let token = world.mailed_token("ada@example.org", "Verify").await;
    // The .eml file reads as it is: plain 7bit text with the token on its own line.
    let raw: String = std::fs::read_dir(&world.mailbox)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert!(raw.contains("Content-Transfer-Encoding: 7bit"), "{raw}");
    assert!(raw.lines().any(|line| line.trim_end() == token), "{raw}");

    let wrong = post(
        &world,
        "/v1/auth/verify-email",
        &json!({ "token": format!("{token}x") }),
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let verified = post(&world, "/v1/auth/verify-email", &json!({ "token": token })).await;
    assert_eq!(verified.status(), 204);
    let again = post(&world, "/v1/auth/verify-email", &json!({ "token": token })).await;
    assert_eq!(again.status(), 400, "tokens are single-use");

    let me = bearer(&world.login("ada@example.org").await);
    eventually(
        "the verified address in the profile",
        Duration::from_secs(30),
        || async {
            let profile: Value = get(&world, "/v1/users/me", &me).await.json().await.ok()?;
            (profile["email_verified"] == true).then_some(())
        },
    )
    .await;
    // The token is kept only as a hash, in the event store too.
    let stored: i64 = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT COUNT(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'",
            &[&token],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0);
    let sent: i64 = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT COUNT(*) FROM notification_outbox WHERE sent_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(sent, 1);
    assert_eq!(world.mails_to("ada@example.org"), 1, "one mail, sent once");
}

#[tokio::test]
async fn a_password_reset_never_reveals_whether_an_address_has_an_account() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.start_notifications();
    world.registered("ada@example.org", "Ada").await;
    let old_session = bearer(&world.login("ada@example.org").await);

    let known = post(
        &world,
        "/v1/auth/password-reset",
        &json!({ "email": "ada@example.org" }),
    )
    .await;
    let unknown = post(
        &world,
        "/v1/auth/password-reset",
        &json!({ "email": "nobody@example.org" }),
    )
    .await;
    assert_eq!(known.status(), 202);
    assert_eq!(unknown.status(), 202);
    let (known, unknown): (Value, Value) =
        (known.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(known, unknown, "the same answer either way");

    let token = world.mailed_token("ada@example.org", "Reset").await;
    assert_eq!(world.mails_to("nobody@example.org"), 0);
    let weak = post(
        &world,
        "/v1/auth/password-reset/complete",
        &json!({ "token": token, "new_password": "password" }),
    )
    .await;
    assert_eq!(weak.status(), 422);
    let done = post(
        &world,
        "/v1/auth/password-reset/complete",
        &json!({ "token": token, "new_password": "a brand new passphrase" }),
    )
    .await;
    assert_eq!(done.status(), 204);
    let reused = post(
        &world,
        "/v1/auth/password-reset/complete",
        &json!({ "token": token, "new_password": "yet another passphrase" }),
    )
    .await;
    assert_eq!(reused.status(), 400);

    assert_eq!(login_status(&world, "ada@example.org", PASSWORD).await, 401);
    assert_eq!(
        login_status(&world, "ada@example.org", "a brand new passphrase").await,
        200
    );
    // Sessions from before the reset end.
    eventually(
        "the old session to be refused",
        Duration::from_secs(30),
        || async {
            (get(&world, "/v1/users/me", &old_session).await.status() == 401).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn the_administrator_lists_users_and_a_disabled_user_loses_access() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    for (email, name) in [
        ("ada@example.org", "Ada Lovelace"),
        ("grace@example.org", "Grace Hopper"),
        ("alan@example.org", "Alan Turing"),
    ] {
        world.registered(email, name).await;
    }
    let ada_tokens = world.login("ada@example.org").await;
    let ada = bearer(&ada_tokens);

    // Pages of two, in creation order, then a search.
    let page: Value = get(&world, "/v1/users?limit=2", &admin)
        .await
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["root@example.org", "ada@example.org"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = get(
        &world,
        &format!("/v1/users?limit=2&cursor={cursor}"),
        &admin,
    )
    .await
    .json()
    .await
    .unwrap();
    let emails: Vec<&str> = rest["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["grace@example.org", "alan@example.org"]);
    assert!(rest["next_cursor"].is_null());
    let found: Value = get(&world, "/v1/users?q=HOPPER", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
    assert_eq!(found["users"][0]["email"], "grace@example.org");
    let bad = get(&world, "/v1/users?limit=0", &admin).await;
    assert_eq!(bad.status(), 422);

    // Only administrators administer.
    assert_eq!(get(&world, "/v1/users", &ada).await.status(), 403);
    let ada_id = page["users"][1]["id"].as_str().unwrap().to_owned();
    let by_ada = world
        .http
        .post(format!(
            "{}/v1/users/{}/disable",
            world.gateway_url,
            page["users"][0]["id"].as_str().unwrap()
        ))
        .header("Authorization", &ada)
        .send()
        .await
        .unwrap();
    assert_eq!(by_ada.status(), 403);

    let disable = world
        .http
        .post(format!("{}/v1/users/{ada_id}/disable", world.gateway_url))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(disable.status(), 204);
    assert_eq!(
        get(&world, "/v1/users/me", &ada).await.status(),
        401,
        "access ends at once"
    );
    let refused = post(
        &world,
        "/v1/auth/login",
        &json!({ "email": "ada@example.org", "password": PASSWORD }),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "https://plinth.dev/problems/account-disabled"
    );
    let refresh = post(
        &world,
        "/v1/auth/refresh",
        &json!({ "refresh_token": ada_tokens["refresh_token"] }),
    )
    .await;
    assert_eq!(refresh.status(), 400);

    let enable = world
        .http
        .post(format!("{}/v1/users/{ada_id}/enable", world.gateway_url))
        .header("Authorization", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 204);
    assert_eq!(login_status(&world, "ada@example.org", PASSWORD).await, 200);
    assert_eq!(
        get(&world, "/v1/users/me", &ada).await.status(),
        401,
        "old sessions stay ended"
    );
}

#[tokio::test]
async fn the_bootstrap_administrator_is_created_exactly_once() {
    let world = World::start().await;
    let (first, created) = world
        .try_bootstrap_admin("root@example.org", PASSWORD)
        .await
        .unwrap();
    assert!(created);
    let again = world
        .try_bootstrap_admin("root@example.org", PASSWORD)
        .await
        .unwrap_err();
    assert!(
        format!("{again:#}").contains("already has its bootstrap administrator"),
        "{again:#}"
    );
    let other = world
        .try_bootstrap_admin("other@example.org", PASSWORD)
        .await
        .unwrap_err();
    assert!(
        format!("{other:#}").contains("already has its bootstrap administrator"),
        "{other:#}"
    );
    assert_eq!(
        login_status(&world, "other@example.org", PASSWORD).await,
        401,
        "no account was left behind"
    );
    let admins: i64 = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT COUNT(*) FROM events WHERE event_type = 'AdministratorBootstrapped' AND aggregate_id = $1",
            &[&first.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(admins, 1);
}

#[tokio::test]
async fn an_existing_account_becomes_administrator_only_with_its_own_password() {
    let world = World::start().await;
    // Someone registered the operator's address first, with a password of their choosing.
    assert_eq!(
        world.register("ops@example.org", "Squatter").await.status(),
        201
    );
    let refused = world
        .try_bootstrap_admin("ops@example.org", "the operator's own passphrase")
        .await
        .unwrap_err();
    assert!(
        format!("{refused:#}").contains("invalid e-mail address or password"),
        "{refused:#}"
    );
    let (_, created) = world
        .try_bootstrap_admin("ops@example.org", PASSWORD)
        .await
        .unwrap();
    assert!(!created, "the account's owner promoted it");
}
