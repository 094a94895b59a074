//! Sessions end to end: refresh-token rotation with reuse detection, logout, listing and
//! revoking one's sessions, each over HTTP against the real stack.

use std::time::Duration;

use plinth_tests::{World, eventually};
use serde_json::{Value, json};

async fn refresh(world: &World, token: &str) -> reqwest::Response {
    world
        .http
        .post(format!("{}/v1/auth/refresh", world.gateway_url))
        .json(&json!({ "refresh_token": token }))
        .send()
        .await
        .unwrap()
}

async fn me_status(world: &World, access_token: &str) -> u16 {
    world
        .http
        .get(format!("{}/v1/users/me", world.gateway_url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn str_of<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {body}"))
}

#[tokio::test]
async fn refresh_rotates_the_token_and_reusing_a_rotated_one_ends_the_session() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.registered("ada@example.org", "Ada").await;
    let first = world.login("ada@example.org").await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["refresh_expires_in"], 1800, "the idle timeout");

    let response = refresh(&world, str_of(&first, "refresh_token")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["session_id"], first["session_id"], "same session");
    assert_eq!(
        me_status(&world, str_of(&second, "access_token")).await,
        200
    );

    // The first refresh token was spent: presenting it again means it leaked.
    let reused = refresh(&world, str_of(&first, "refresh_token")).await;
    assert_eq!(reused.status(), 400);
    let problem: Value = reused.json().await.unwrap();
    assert_eq!(problem["type"], "https://plinth.dev/problems/invalid-token");
    // The whole family is gone: the current refresh token too, and the access tokens.
    assert_eq!(
        refresh(&world, str_of(&second, "refresh_token"))
            .await
            .status(),
        400
    );
    eventually(
        "the session's access token to be refused",
        Duration::from_secs(30),
        || async {
            (me_status(&world, str_of(&second, "access_token")).await == 401).then_some(())
        },
    )
    .await;
    let reason: String = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT payload->'SessionRevoked'->>'reason' FROM events WHERE event_type = 'SessionRevoked'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(reason, "refresh_token_reused");
    // A fresh login starts a new, working session.
    let again = world.login("ada@example.org").await;
    assert_ne!(again["session_id"], first["session_id"]);
    assert_eq!(me_status(&world, str_of(&again, "access_token")).await, 200);
}

#[tokio::test]
async fn garbage_and_other_tenants_refresh_tokens_are_refused() {
    let world = World::start().await;
    // No relay: login reads the event store, not the view.
    assert_eq!(world.register("ada@example.org", "Ada").await.status(), 201);
    let signed_in = world.login("ada@example.org").await;
    assert_eq!(refresh(&world, "not-a-token").await.status(), 400);
    let elsewhere = world
        .http
        .post(format!("{}/v1/auth/refresh", world.gateway_url))
        .header("X-Tenant-Id", "globex")
        .json(&json!({ "refresh_token": str_of(&signed_in, "refresh_token") }))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 400);
    // Neither attempt spent the token.
    assert_eq!(
        refresh(&world, str_of(&signed_in, "refresh_token"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn logout_and_revocation_take_effect_on_the_next_request() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.registered("ada@example.org", "Ada").await;
    let laptop = world.login("ada@example.org").await;
    let phone = world.login("ada@example.org").await;
    let laptop_token = str_of(&laptop, "access_token");
    let phone_token = str_of(&phone, "access_token");

    let sessions: Value = eventually("both sessions listed", Duration::from_secs(30), || async {
        let body: Value = world
            .http
            .get(format!("{}/v1/auth/sessions", world.gateway_url))
            .bearer_auth(laptop_token)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (body["sessions"].as_array()?.len() == 2).then_some(body)
    })
    .await;
    let listed = sessions["sessions"].as_array().unwrap();
    let current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], laptop["session_id"]);

    // The laptop ends the phone's session: the phone's token stops working at once.
    let revoke = world
        .http
        .delete(format!(
            "{}/v1/auth/sessions/{}",
            world.gateway_url,
            str_of(&phone, "session_id")
        ))
        .bearer_auth(laptop_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(me_status(&world, phone_token).await, 401);
    assert_eq!(
        refresh(&world, str_of(&phone, "refresh_token"))
            .await
            .status(),
        400
    );
    assert_eq!(me_status(&world, laptop_token).await, 200);

    // Someone else's session is not found, whoever asks.
    world.registered("eve@example.org", "Eve").await;
    let eve = world.login("eve@example.org").await;
    let foreign = world
        .http
        .delete(format!(
            "{}/v1/auth/sessions/{}",
            world.gateway_url,
            str_of(&laptop, "session_id")
        ))
        .bearer_auth(str_of(&eve, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);

    let logout = world
        .http
        .post(format!("{}/v1/auth/logout", world.gateway_url))
        .bearer_auth(laptop_token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(me_status(&world, laptop_token).await, 401);
    assert_eq!(
        refresh(&world, str_of(&laptop, "refresh_token"))
            .await
            .status(),
        400
    );
}
