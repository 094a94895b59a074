//! Access tokens at the gateway: a valid token reads the caller's profile; every forgery in the
//! usual set is refused with 401 and `WWW-Authenticate`; a token is valid only in its tenant;
//! keys are published as a JWKS and rotate without invalidating live tokens.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use plinth_tests::{World, eventually};
use serde_json::{Value, json};
use uuid::Uuid;

/// Registers a user and waits until the directory has it; returns its id.
async fn registered_user(world: &World) -> Uuid {
    let body: Value = world
        .register("ada@example.org", "Ada")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(world.read_registered(&body).await.status(), 200);
    Uuid::parse_str(body["id"].as_str().unwrap()).unwrap()
}

async fn me(world: &World, token: &str, tenant: Option<&str>) -> reqwest::Response {
    let mut request = world
        .http
        .get(format!("{}/v1/users/me", world.gateway_url))
        .bearer_auth(token);
    if let Some(tenant) = tenant {
        request = request.header("X-Tenant-Id", tenant);
    }
    request.send().await.unwrap()
}

async fn assert_refused(world: &World, token: &str, what: &str) {
    let response = me(world, token, None).await;
    assert_eq!(response.status(), 401, "{what} was accepted");
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{what}: {challenge}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["detail"], "a valid access token is required",
        "{what}: no reason leaks"
    );
}

/// The active key's id and PKCS#8 private key, read as an attacker with database access would.
async fn active_key(world: &World) -> (String, Vec<u8>) {
    let row = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT kid, private_key FROM identity_signing_keys WHERE retired_at IS NULL",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

fn claims(user: Uuid, overrides: &Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": user.to_string(), "tenant": "default", "sid": Uuid::now_v7().to_string(),
        "iat": now, "nbf": now, "exp": now + 600,
        "iss": "http://127.0.0.1:8080", "aud": "plinth", "jti": Uuid::now_v7().to_string(),
    });
    for (k, v) in overrides.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

fn sign_ed(kid: &str, der: &[u8], claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der)).unwrap()
}

#[tokio::test]
async fn a_valid_token_reads_the_callers_own_profile() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let user = registered_user(&world).await;
    let token = world.tokens.issue(user, "default", Uuid::now_v7()).unwrap();
    assert_eq!(token.expires_in, 900);
    let response = me(&world, &token.token, None).await;
    assert_eq!(response.status(), 200);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["id"], user.to_string());
    assert_eq!(profile["email"], "ada@example.org");

    // The same claims signed with the real key by hand are accepted too: the test signer agrees.
    let (kid, der) = active_key(&world).await;
    assert_eq!(
        me(
            &world,
            &sign_ed(&kid, &der, &claims(user, &json!({}))),
            None
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_all_refused() {
    let world = World::start().await;
    let user = Uuid::now_v7();
    let (kid, der) = active_key(&world).await;
    let valid = sign_ed(&kid, &der, &claims(user, &json!({})));
    let [header, payload, signature]: [&str; 3] =
        valid.split('.').collect::<Vec<_>>().try_into().unwrap();

    let none_header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    assert_refused(&world, &format!("{none_header}.{payload}."), "alg none").await;

    let jwks: Value = world.get_json("/.well-known/jwks.json").await;
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let public = URL_SAFE_NO_PAD.decode(&x).unwrap();
    for secret in [public.as_slice(), x.as_bytes()] {
        let mut hs = Header::new(Algorithm::HS256);
        hs.kid = Some(kid.clone());
        let forged = jsonwebtoken::encode(
            &hs,
            &claims(user, &json!({})),
            &EncodingKey::from_secret(secret),
        )
        .unwrap();
        assert_refused(&world, &forged, "HS256 keyed with the public key").await;
    }

    let stranger = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let stranger_der = stranger.to_pkcs8_der().unwrap();
    assert_refused(
        &world,
        &sign_ed(&kid, stranger_der.as_bytes(), &claims(user, &json!({}))),
        "another key, same kid",
    )
    .await;
    assert_refused(
        &world,
        &sign_ed("no-such-kid", &der, &claims(user, &json!({}))),
        "unknown kid",
    )
    .await;

    let past = chrono::Utc::now().timestamp() - 3600;
    assert_refused(
        &world,
        &sign_ed(
            &kid,
            &der,
            &claims(
                user,
                &json!({"exp": past, "iat": past - 600, "nbf": past - 600}),
            ),
        ),
        "expired",
    )
    .await;
    let future = chrono::Utc::now().timestamp() + 3600;
    assert_refused(
        &world,
        &sign_ed(
            &kid,
            &der,
            &claims(user, &json!({"nbf": future, "exp": future + 600})),
        ),
        "not yet valid",
    )
    .await;
    assert_refused(
        &world,
        &sign_ed(&kid, &der, &claims(user, &json!({"aud": "someone-else"}))),
        "wrong audience",
    )
    .await;
    assert_refused(
        &world,
        &sign_ed(
            &kid,
            &der,
            &claims(user, &json!({"iss": "https://evil.example"})),
        ),
        "wrong issuer",
    )
    .await;

    let tampered_payload = URL_SAFE_NO_PAD.encode(claims(Uuid::now_v7(), &json!({})).to_string());
    assert_refused(
        &world,
        &format!("{header}.{tampered_payload}.{signature}"),
        "tampered claims",
    )
    .await;
    assert_refused(&world, "not.a.token", "garbage").await;

    let missing = world
        .http
        .get(format!("{}/v1/users/me", world.gateway_url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert!(missing.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn a_token_is_valid_only_in_its_own_tenant() {
    let world = World::start().await;
    let token = world
        .tokens
        .issue(Uuid::now_v7(), "acme", Uuid::now_v7())
        .unwrap()
        .token;
    let elsewhere = me(&world, &token, Some("globex")).await;
    assert_eq!(elsewhere.status(), 403);
    let body: Value = elsewhere.json().await.unwrap();
    assert_eq!(body["detail"], "the access token belongs to another tenant");
    // In its own tenant it authenticates (the user is simply not in the directory).
    assert_eq!(me(&world, &token, Some("acme")).await.status(), 404);
}

#[tokio::test]
async fn rotated_keys_are_published_and_old_tokens_keep_working_until_they_expire() {
    let world = World::start().await;
    let jwks = || async {
        let body: Value = world.get_json("/.well-known/jwks.json").await;
        body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let first = jwks().await;
    assert_eq!(first.len(), 1);
    let old_token = world
        .tokens
        .issue(Uuid::now_v7(), "default", Uuid::now_v7())
        .unwrap()
        .token;

    let new_kid = world.tokens.rotate().await.unwrap();
    let keys = eventually(
        "both keys to be published",
        Duration::from_secs(5),
        || async {
            let keys = jwks().await;
            (keys.len() == 2).then_some(keys)
        },
    )
    .await;
    assert!(
        keys.contains(&new_kid) && keys.contains(&first[0]),
        "{keys:?}"
    );
    let new_token = world
        .tokens
        .issue(Uuid::now_v7(), "default", Uuid::now_v7())
        .unwrap()
        .token;
    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref(),
        Some(new_kid.as_str())
    );
    for token in [old_token, new_token] {
        assert_eq!(
            me(&world, &token, None).await.status(),
            404,
            "authenticated; the user is just not in the directory"
        );
    }
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
    registered_user(world).await;
    let body: Value = login(world, "ada@example.org", "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn count_events(world: &World, event_type: &str) -> i64 {
    world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT COUNT(*) FROM events WHERE event_type = $1",
            &[&event_type],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn logging_in_returns_a_bearer_token_for_the_users_own_profile() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let user = registered_user(&world).await;
    let response = login(&world, "ADA@example.org", "correct horse battery").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let profile: Value = me(&world, body["access_token"].as_str().unwrap(), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["id"], user.to_string());
    assert_eq!(count_events(&world, "LoginSucceeded").await, 1);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    registered_user(&world).await;
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
        count_events(&world, "LoginFailed").await,
        1,
        "only the existing user's attempt is recorded"
    );
}

#[tokio::test]
async fn twenty_concurrent_wrong_passwords_lock_the_account_after_exactly_five() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    registered_user(&world).await;
    let attempts = futures::future::join_all(
        (0..20).map(|_| login(&world, "ada@example.org", "wrong password!")),
    )
    .await;
    let mut statuses: Vec<u16> = attempts.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [vec![401; 5], vec![423; 15]].concat());
    assert_eq!(count_events(&world, "LoginFailed").await, 5);
    assert_eq!(count_events(&world, "AccountLocked").await, 1);

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
    assert_eq!(count_events(&world, "LoginSucceeded").await, 0);
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
    assert_eq!(count_events(&world, "PasswordChanged").await, 1);

    let topic = world.topic("identity.user");
    let stored: i64 = world
        .pool
        .get()
        .await
        .unwrap()
        .query_one("SELECT COUNT(*) FROM events", &[])
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
