//! The check API end to end: bindings written through the authz service reach every gateway's
//! in-memory view through Kafka; a check carrying a write's consistency token sees that write,
//! grant or revoke, and the route guards follow the same view.

use plinth_domain_authz::{BuiltInRole, RoleRef, Scope};
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_services_authz::AuthzService;
use plinth_services_authz_api::{AuthzApi, NewBinding};
use plinth_tests::World;
use serde_json::{Value, json};
use uuid::Uuid;

async fn check(
    world: &World,
    bearer: &str,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = world
        .http
        .post(format!("{}/v1/authz/check", world.gateway_url))
        .header("Authorization", bearer)
        .json(body);
    if let Some(token) = token {
        request = request.header("Consistency-Token", token);
    }
    request.send().await.unwrap()
}

async fn list_users(world: &World, bearer: &str) -> u16 {
    world
        .http
        .get(format!("{}/v1/users", world.gateway_url))
        .header("Authorization", bearer)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn metadata() -> CommandMetadata {
    CommandMetadata::new(
        TenantId::default(),
        Actor::Service("test".into()),
        Uuid::now_v7(),
    )
}

#[tokio::test]
async fn a_grant_and_a_revoke_take_effect_for_the_next_check_carrying_their_token() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    let ada = world.registered("ada@example.org", "Ada").await;
    let ada_bearer = format!(
        "Bearer {}",
        world.login("ada@example.org").await["access_token"]
            .as_str()
            .unwrap()
    );
    assert_eq!(list_users(&world, &ada_bearer).await, 403);
    let authz = AuthzService::new(plinth_infra_event_store::sqlx_pool(&world.db.url, 2).unwrap());
    // Written through the service, not the gateway: nothing waits for the view but the check.
    let (binding, granted) = authz
        .bind(
            NewBinding {
                subject: ada,
                role: RoleRef::BuiltIn(BuiltInRole::Admin),
                scope: Scope::Tenant,
                owner_only: false,
                valid_from: None,
                valid_until: None,
            },
            &metadata(),
        )
        .await
        .unwrap();
    let granted = granted.to_string();

    let ask = |permission: &str| json!({ "subject": ada, "permission": permission });
    let answer: Value = check(
        &world,
        &admin,
        Some(&granted),
        &ask("identity.user.disable"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(answer["allowed"], true, "{answer}");
    assert!(
        answer["reason"].as_str().unwrap().contains("role admin"),
        "{answer}"
    );
    let manage: Value = check(&world, &admin, Some(&granted), &ask("authz.binding.manage"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        manage["allowed"], false,
        "admin does not manage access: {manage}"
    );
    assert_eq!(
        list_users(&world, &ada_bearer).await,
        200,
        "the guards see it too"
    );

    let revoked = authz
        .unbind(binding, &metadata())
        .await
        .unwrap()
        .to_string();
    let answer: Value = check(
        &world,
        &admin,
        Some(&revoked),
        &ask("identity.user.disable"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(answer["allowed"], false, "{answer}");
    assert_eq!(list_users(&world, &ada_bearer).await, 403);

    let batch: Value = world
        .http
        .post(format!("{}/v1/authz/check/batch", world.gateway_url))
        .header("Authorization", &admin)
        .json(&json!({ "checks": [ask("identity.user.read"), { "subject": Uuid::now_v7(), "permission": "identity.user.read" }] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{batch}");
    assert!(results.iter().all(|r| r["allowed"] == false), "{batch}");
}

#[tokio::test]
async fn malformed_checks_are_problems_naming_the_field() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    let unknown = check(
        &world,
        &admin,
        None,
        &json!({ "subject": Uuid::now_v7(), "permission": "identity.user.levitate" }),
    )
    .await;
    let status = unknown.status();
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "permission", "{body}");
    let other_tenant = check(
        &world,
        &admin,
        None,
        &json!({ "subject": Uuid::now_v7(), "permission": "identity.user.read", "tenant": "globex" }),
    )
    .await;
    assert_eq!(other_tenant.status(), 403);
    let wrong_token = check(
        &world,
        &admin,
        Some("MXxpZGVudGl0eS51c2VyfDF8eA"),
        &json!({ "subject": Uuid::now_v7(), "permission": "identity.user.read" }),
    )
    .await;
    assert_eq!(wrong_token.status(), 400);
    let bad_resource = check(
        &world,
        &admin,
        None,
        &json!({ "subject": Uuid::now_v7(), "permission": "identity.user.read", "resource": { "type": "blog.post" } }),
    )
    .await;
    assert_eq!(bad_resource.status(), 422);
    let body: Value = bad_resource.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "resource.id", "{body}");
}
