//! Access that must end when it is taken away: disabled accounts, sessions from before a cut,
//! administrators acting above their rank, revoked bindings and rotated keys.

use std::time::Duration;

use plinth_tests::{World, eventually};
use serde_json::json;

async fn set_disabled(world: &World, admin: &str, user: uuid::Uuid, disabled: bool) -> u16 {
    let action = if disabled { "disable" } else { "enable" };
    world
        .post_as(&format!("/v1/users/{user}/{action}"), admin, json!({}))
        .await
        .0
}

/// A world whose gateway waits at most 1.5 s for its view, with a platform administrator
/// (root) who bound Alice to `owner`.
struct AliceTheOwner {
    world: World,
    _relay: plinth_tests::PlinthProcess,
    /// Root's `Authorization` value.
    root: String,
    alice: uuid::Uuid,
    /// Alice's `Authorization` value.
    alice_bearer: String,
    /// Her binding's id.
    binding: String,
}

async fn alice_the_owner() -> AliceTheOwner {
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.gateway.consistency_wait_ms = 1500;
    })
    .await;
    let relay = world.spawn_relay();
    let root = world.bootstrap_admin("root@example.org").await;
    let (alice, alice_bearer) = world.signed_in("alice@example.org").await;
    let (status, bound) = world
        .post_as(
            "/v1/authz/bindings",
            &root,
            json!({"subject": alice, "role": "owner"}),
        )
        .await;
    assert_eq!(status, 201, "{bound}");
    assert_eq!(bound["enforced"], true);
    let binding = bound["id"].as_str().unwrap().to_owned();
    AliceTheOwner {
        world,
        _relay: relay,
        root,
        alice,
        alice_bearer,
        binding,
    }
}

#[tokio::test]
async fn a_session_the_views_have_not_seen_does_not_outlive_a_disable_in_its_second() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    let ada = world.registered("ada@example.org", "Ada").await;
    for _ in 0..20 {
        assert_eq!(set_disabled(&world, &admin, ada, true).await, 204);
        // A token of a session the sessions view has never seen, issued right after the
        // disable: most often in the same second as the cut.
        let token = world.bearer(&ada.to_string());
        let cut: chrono::DateTime<chrono::Utc> = world
            .pool
            .get()
            .await
            .unwrap()
            .query_one(
                "SELECT sessions_not_before FROM users_v1 WHERE user_id = $1",
                &[&ada],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(set_disabled(&world, &admin, ada, false).await, 204);
        let iat = world
            .tokens
            .verify(token.trim_start_matches("Bearer "))
            .await
            .unwrap()
            .iat;
        if iat != cut.timestamp() {
            continue;
        }
        let me = world
            .http
            .get(format!("{}/v1/users/me", world.gateway_url))
            .header("Authorization", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            me.status(),
            401,
            "a session that may have started before the disable does not survive the enable"
        );
        return;
    }
    panic!("no token was ever issued in the second of a disable");
}

#[tokio::test]
async fn an_admin_cannot_disable_an_owner_nor_an_owner_the_platform_administrator() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let root = world.bootstrap_admin("root@example.org").await;
    let root_id: uuid::Uuid = world
        .tokens
        .verify(root.trim_start_matches("Bearer "))
        .await
        .unwrap()
        .sub
        .parse()
        .unwrap();
    let (admin_id, admin) = world.signed_in("admin@example.org").await;
    let (owner_id, owner) = world.signed_in("owner@example.org").await;
    let (member_id, _) = world.signed_in("member@example.org").await;
    for (subject, role) in [(admin_id, "admin"), (owner_id, "owner")] {
        let (status, body) = world
            .post_as(
                "/v1/authz/bindings",
                &root,
                json!({"subject": subject, "role": role}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(set_disabled(&world, &admin, member_id, true).await, 204);
    let (status, problem) = world
        .post_as(&format!("/v1/users/{owner_id}/disable"), &admin, json!({}))
        .await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("authz."),
        "{problem}"
    );
    let (status, problem) = world
        .post_as(&format!("/v1/users/{root_id}/disable"), &owner, json!({}))
        .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(set_disabled(&world, &owner, admin_id, true).await, 204);
    assert_eq!(set_disabled(&world, &root, owner_id, true).await, 204);
}

#[tokio::test]
async fn a_revocation_the_guards_cannot_enforce_yet_is_not_answered_as_done_and_fails_closed() {
    let AliceTheOwner {
        world,
        _relay,
        root,
        alice,
        alice_bearer,
        binding,
    } = alice_the_owner().await;

    // A writer transaction left open anywhere holds the relay back: nothing committed after it
    // is published, so no gateway's view can see the revocation.
    let holder = world.pool.get().await.unwrap();
    holder
        .batch_execute("BEGIN; SELECT pg_current_xact_id();")
        .await
        .unwrap();
    let (status, unbound, token) = world
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/authz/bindings/{binding}"),
            &root,
            None,
            None,
        )
        .await;
    assert_eq!(status, 202, "committed, not enforced yet: {unbound}");
    assert_eq!(unbound["enforced"], false);
    assert!(token.is_some());
    // The unbound owner cannot bind herself again meanwhile: managing bindings is sensitive,
    // decided only on a view that has every committed authz write.
    let (status, problem) = world
        .post_as(
            "/v1/authz/bindings",
            &alice_bearer,
            json!({"subject": alice, "role": "owner"}),
        )
        .await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(
        problem["type"],
        "https://plinth.dev/problems/authz-not-current"
    );

    holder.batch_execute("ROLLBACK").await.unwrap();
    let (status, problem) = world
        .post_as(
            "/v1/authz/bindings",
            &alice_bearer,
            json!({"subject": alice, "role": "owner"}),
        )
        .await;
    assert_eq!(
        status, 403,
        "once published, the revocation holds: {problem}"
    );
}

#[tokio::test]
async fn a_key_rotated_by_another_process_is_picked_up_and_a_retired_key_stops_verifying() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    world.registered("ada@example.org", "Ada").await;
    let kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let access = |body: serde_json::Value| body["access_token"].as_str().unwrap().to_owned();
    let old_token = access(world.login("ada@example.org").await);
    let old_kid = kid(&old_token);
    let me = |token: String| {
        world
            .http
            .get(format!("{}/v1/users/me", world.gateway_url))
            .bearer_auth(token)
            .send()
    };

    let rotate = || world.plinth(&["keys", "rotate"]);
    let (code, out, err) = rotate().await;
    assert_eq!(code, 0, "{out}{err}");
    let new_kid = out.trim().rsplit(' ').next().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    // The running gateway signs with the new key within seconds.
    eventually(
        "tokens signed with the rotated key",
        Duration::from_secs(15),
        || async {
            let token = access(world.login("ada@example.org").await);
            (kid(&token) == new_kid).then_some(())
        },
    )
    .await;
    assert_eq!(
        me(old_token.clone()).await.unwrap().status(),
        200,
        "the retired key verifies the tokens it signed until they expire"
    );

    // Once the retired key's time is over, the gateway drops it at its next reload (here, the
    // next rotation's): its tokens are refused.
    world
        .pool
        .get()
        .await
        .unwrap()
        .execute(
            "UPDATE identity_signing_keys SET verify_until = now() - interval '1 second' WHERE kid = $1",
            &[&old_kid],
        )
        .await
        .unwrap();
    let (code, _, err) = rotate().await;
    assert_eq!(code, 0, "{err}");
    eventually(
        "the expired key dropped",
        Duration::from_secs(15),
        || async { (me(old_token.clone()).await.unwrap().status() == 401).then_some(()) },
    )
    .await;
    let jwks: serde_json::Value = world.get_json("/.well-known/jwks.json").await;
    assert!(
        !jwks.to_string().contains(&old_kid),
        "no longer published: {jwks}"
    );
}

#[tokio::test]
async fn a_sensitive_permission_waits_only_for_what_its_decision_reads() {
    let AliceTheOwner {
        world,
        _relay,
        root,
        alice,
        alice_bearer,
        binding,
    } = alice_the_owner().await;
    let binding = binding.as_str();
    // Alice's binding gets an event that cannot be published: it is parked, so no view will
    // ever apply it until an operator acts.
    let (_, metadata) = plinth_tests::seed::user_registered(alice);
    world
        .pool
        .get()
        .await
        .unwrap()
        .execute(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             VALUES ('authz.binding', $1, 2, 'SubjectLevitated', '1', '{\"SubjectLevitated\": {}}', $2::text::json)",
            &[&binding, &metadata],
        )
        .await
        .unwrap();
    eventually("the event parked", Duration::from_secs(30), || async {
        let (code, out, _) = world.plinth(&["status"]).await;
        (code == 1 && out.contains("SubjectLevitated")).then_some(())
    })
    .await;
    // Her sensitive requests fail closed; everybody else's go on.
    let (status, problem) = world
        .post_as("/v1/authz/roles", &alice_bearer, json!({"name": "helpers"}))
        .await;
    assert_eq!(status, 503, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains(binding),
        "names what it waits for: {problem}"
    );
    let (status, created) = world
        .post_as("/v1/authz/roles", &root, json!({"name": "helpers"}))
        .await;
    assert_eq!(status, 201, "{created}");
}
