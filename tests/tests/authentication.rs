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
    let user = world.registered("ada@example.org", "Ada").await;
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

    // Another process rotates (as `plinth keys rotate` does): the gateway's identity module
    // picks the rotation up from the identity.signing_key topic.
    let _relay = world.spawn_relay();
    let new_kid = world.tokens.rotate().await.unwrap();
    let keys = eventually(
        "both keys to be published",
        Duration::from_secs(30),
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
