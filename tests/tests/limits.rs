//! Rate limits at the edge: credential routes per client address (and per account, in the
//! handler), every other request per token; over a limit, 429 problem+json with `Retry-After`,
//! and nobody else's budget is spent.

use plinth_tests::World;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn login(world: &World, email: &str) -> reqwest::Response {
    world
        .http
        .post(format!("{}/v1/auth/login", world.gateway_url))
        .json(&json!({ "email": email, "password": "not the password" }))
        .send()
        .await
        .unwrap()
}

async fn assert_limited(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "https://plinth.dev/problems/too-many-requests"
    );
}

#[tokio::test]
async fn credential_routes_are_limited_per_address_and_other_routes_per_token() {
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.gateway.rate_credentials_per_minute = 3;
        s.gateway.rate_requests_per_second = 2;
    })
    .await;
    for n in 0..3 {
        let refused = login(&world, &format!("guess{n}@example.org")).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    // The fourth credential request from this address, whatever account it names.
    assert_limited(login(&world, "another@example.org").await).await;

    // Per token: a burst of twice the rate, then 429; another token has its own budget.
    let ada = world.bearer(&uuid::Uuid::now_v7().to_string());
    let grace = world.bearer(&uuid::Uuid::now_v7().to_string());
    let me = |bearer: String| {
        let world = &world;
        async move {
            world
                .http
                .get(format!("{}/v1/users/me", world.gateway_url))
                .header("Authorization", bearer)
                .send()
                .await
                .unwrap()
        }
    };
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(me(ada.clone()).await.status());
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let limited = statuses
        .iter()
        .position(|s| *s == StatusCode::TOO_MANY_REQUESTS)
        .unwrap();
    assert!(limited >= 4, "a burst of 4 first: {statuses:?}");
    assert_ne!(me(grace).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_limited(me(ada).await).await;
}
