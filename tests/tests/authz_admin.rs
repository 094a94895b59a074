//! The authz administration API end to end, over HTTP against real Postgres, Kafka and the
//! registry: roles (inheritance, cycles, names), bindings with an ownership condition and a
//! validity period, tenant isolation, the listings, privilege escalation, and the decisions
//! reported for audit.

use std::time::Duration;

use plinth_domain_authz::{BuiltInRole, RoleRef, Scope};
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_services_authz::AuthzService;
use plinth_services_authz_api::{AuthzApi, NewBinding};
use plinth_tests::{PASSWORD, World};
use serde_json::{Value, json};
use uuid::Uuid;

/// Checks `permission` for `subject` (on `resource`) as `bearer`: `(allowed, reason)`.
async fn check(
    world: &World,
    bearer: &str,
    subject: Uuid,
    permission: &str,
    resource: Option<Value>,
) -> (bool, String) {
    let (status, body) = world
        .post_as(
            "/v1/authz/check",
            bearer,
            json!({"subject": subject, "permission": permission, "resource": resource}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (
        body["allowed"].as_bool().unwrap(),
        body["reason"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn roles_inherit_refuse_cycles_and_free_their_names() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    let (ada, _) = world.signed_in("ada@example.org").await;

    let (status, editors) = world
        .post_as(
            "/v1/authz/roles",
            &admin,
            json!({"name": "editors", "permissions": ["identity.user.read"]}),
        )
        .await;
    assert_eq!(status, 201, "{editors}");
    assert!(editors["consistency_token"].is_string(), "{editors}");
    let editors = editors["id"].as_str().unwrap().to_owned();
    let (_, moderators) = world
        .post_as(
            "/v1/authz/roles",
            &admin,
            json!({"name": "moderators", "permissions": ["identity.user.disable"]}),
        )
        .await;
    let moderators = moderators["id"].as_str().unwrap().to_owned();

    let (status, _) = world
        .post_as(
            &format!("/v1/authz/roles/{editors}/include"),
            &admin,
            json!({"role": moderators}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, cycle) = world
        .post_as(
            &format!("/v1/authz/roles/{moderators}/include"),
            &admin,
            json!({"role": editors}),
        )
        .await;
    assert_eq!(status, 409, "{cycle}");
    assert!(
        cycle["detail"].as_str().unwrap().contains("cycle"),
        "{cycle}"
    );

    let (status, _) = world
        .post_as(
            "/v1/authz/bindings",
            &admin,
            json!({"subject": ada, "role": editors}),
        )
        .await;
    assert_eq!(status, 201);
    let (allowed, reason) = check(&world, &admin, ada, "identity.user.disable", None).await;
    assert!(allowed, "{reason}");
    assert!(reason.contains("editors (through moderators)"), "{reason}");

    let (_, held) = world
        .get_as(&format!("/v1/authz/subjects/{ada}/permissions"), &admin)
        .await;
    let names: Vec<&str> = held["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["permission"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["identity.user.disable", "identity.user.read"],
        "{held}"
    );
    let (_, holders) = world
        .get_as(
            "/v1/authz/permissions/identity.user.disable/subjects",
            &admin,
        )
        .await;
    let subjects: Vec<&str> = holders["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject"].as_str().unwrap())
        .collect();
    assert!(subjects.contains(&ada.to_string().as_str()), "{holders}");

    // Excluding takes the inherited permission away; names are unique, and a rename frees one.
    world
        .post_as(
            &format!("/v1/authz/roles/{editors}/exclude"),
            &admin,
            json!({"role": moderators}),
        )
        .await;
    assert!(
        !check(&world, &admin, ada, "identity.user.disable", None)
            .await
            .0
    );
    let (status, _) = world
        .post_as("/v1/authz/roles", &admin, json!({"name": "editors"}))
        .await;
    assert_eq!(status, 409, "the name is taken");
    let (status, renamed, _) = world
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/authz/roles/{editors}"),
            &admin,
            None,
            Some(json!({"name": "writers"})),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    let (status, again) = world
        .post_as("/v1/authz/roles", &admin, json!({"name": "editors"}))
        .await;
    assert_eq!(status, 201, "a rename releases the old name: {again}");

    // The listing pages through custom roles, then the built-in ones.
    let (_, first) = world.get_as("/v1/authz/roles?limit=2", &admin).await;
    assert_eq!(first["roles"][0]["id"], editors, "{first}");
    assert_eq!(first["roles"][0]["name"], "writers", "{first}");
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = world
        .get_as(&format!("/v1/authz/roles?cursor={cursor}&limit=10"), &admin)
        .await;
    let ids: Vec<&str> = rest["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids[1..],
        ["admin", "member", "owner", "platform-admin"],
        "{rest}"
    );
    assert!(rest["next_cursor"].is_null());

    // Bad input is named; built-in roles do not change.
    let (status, bad) = world
        .post_as(
            "/v1/authz/roles",
            &admin,
            json!({"name": "Bad Name", "permissions": ["identity.user.read", "identity.user.fly"]}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "permissions[1]"], "{bad}");
    let (status, _) = world
        .post_as(
            "/v1/authz/roles/owner/grant",
            &admin,
            json!({"permissions": ["identity.user.read"]}),
        )
        .await;
    assert_eq!(status, 409);

    // Deleting a role ends what its bindings gave.
    let (status, _, _) = world
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/authz/roles/{editors}"),
            &admin,
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        !check(&world, &admin, ada, "identity.user.read", None)
            .await
            .0
    );
    let (status, _) = world
        .get_as(&format!("/v1/authz/roles/{editors}"), &admin)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn ownership_and_validity_periods_condition_a_binding() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    let (ada, ada_bearer) = world.signed_in("ada@example.org").await;
    let (_, authors) = world
        .post_as(
            "/v1/authz/roles",
            &admin,
            json!({"name": "authors", "permissions": ["identity.user.read"]}),
        )
        .await;
    let (status, bound) = world.post_as("/v1/authz/bindings",
        &admin,
        json!({"subject": ada, "role": authors["id"], "scope": {"type": "blog.post"}, "owner_only": true}),
    )
    .await;
    assert_eq!(status, 201, "{bound}");
    let post_of = |owner: Uuid| Some(json!({"type": "blog.post", "id": "42", "owner": owner}));
    let (allowed, reason) = check(&world, &admin, ada, "identity.user.read", post_of(ada)).await;
    assert!(allowed, "her own post: {reason}");
    let someone = Uuid::now_v7();
    assert!(
        !check(&world, &admin, ada, "identity.user.read", post_of(someone))
            .await
            .0
    );
    assert!(
        !check(&world, &admin, ada, "identity.user.read", None)
            .await
            .0,
        "nothing outside the scope"
    );

    // A binding that ends in a few seconds, and one that has not started.
    let until = chrono::Utc::now() + chrono::Duration::seconds(3);
    let (status, brief) = world
        .post_as(
            "/v1/authz/bindings",
            &admin,
            json!({"subject": ada, "role": "admin", "valid_until": until.to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 201, "{brief}");
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    world
        .post_as(
            "/v1/authz/bindings",
            &admin,
            json!({"subject": ada, "role": "owner", "valid_from": later.to_rfc3339()}),
        )
        .await;
    assert!(
        check(&world, &admin, ada, "identity.user.disable", None)
            .await
            .0
    );
    assert_eq!(world.get_as("/v1/users", &ada_bearer).await.0, 200);
    let wait = (until - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(200)).await;
    let (allowed, reason) = check(&world, &admin, ada, "identity.user.disable", None).await;
    assert!(!allowed, "{reason}");
    assert!(reason.contains("outside its validity period"), "{reason}");
    assert_eq!(
        world.get_as("/v1/users", &ada_bearer).await.0,
        403,
        "the guard too"
    );
    let (_, listed) = world
        .get_as(&format!("/v1/authz/subjects/{ada}/bindings"), &ada_bearer)
        .await;
    let active: Vec<bool> = listed["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["active"].as_bool().unwrap())
        .collect();
    assert_eq!(active, [true, false, false], "her own bindings: {listed}");

    let (status, bad) = world.post_as("/v1/authz/bindings",
        &admin,
        json!({"subject": ada, "role": "admin", "valid_from": later.to_rfc3339(), "valid_until": until.to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["errors"][0]["field"], "valid_until", "{bad}");
    let (status, bad) = world
        .post_as(
            "/v1/authz/bindings",
            &admin,
            json!({"subject": ada, "role": "editors", "valid_until": "tomorrow"}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["role", "valid_until"], "{bad}");
}

#[tokio::test]
async fn a_binding_in_one_tenant_grants_nothing_in_another() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    let (ada, ada_bearer) = world.signed_in("ada@example.org").await;
    // An owner in tenant acme, who signs in there.
    let acme = |request: reqwest::RequestBuilder| request.header("X-Tenant-Id", "acme");
    let registered: Value = acme(
        world
            .http
            .post(format!("{}/v1/auth/register", world.gateway_url)),
    )
    .json(&json!({"email": "wile@acme.test", "password": PASSWORD, "display_name": "Wile"}))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let wile: Uuid = registered["id"].as_str().unwrap().parse().unwrap();
    let login: Value = acme(
        world
            .http
            .post(format!("{}/v1/auth/login", world.gateway_url)),
    )
    .json(&json!({"email": "wile@acme.test", "password": PASSWORD}))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let wile_bearer = format!("Bearer {}", login["access_token"].as_str().unwrap());

    let authz = AuthzService::new(plinth_infra_event_store::sqlx_pool(&world.db.url, 2).unwrap());
    let in_acme = CommandMetadata::new(
        TenantId::parse("acme").unwrap(),
        Actor::Service("test".into()),
        Uuid::now_v7(),
    );
    let owner = |subject| NewBinding {
        subject,
        role: RoleRef::BuiltIn(BuiltInRole::Owner),
        scope: Scope::Tenant,
        owner_only: false,
        valid_from: None,
        valid_until: None,
    };
    let (_, wile_token) = authz.bind(owner(wile), &in_acme).await.unwrap();
    let (_, token) = authz.bind(owner(ada), &in_acme).await.unwrap();
    let token = token.to_string();
    // A token on any request makes the route guard wait for that grant.
    let in_acme_with = |token: String, request: reqwest::RequestBuilder| {
        request
            .header("Authorization", &wile_bearer)
            .header("X-Tenant-Id", "acme")
            .header("Consistency-Token", token)
    };
    let roles = in_acme_with(
        wile_token.to_string(),
        world
            .http
            .get(format!("{}/v1/authz/roles", world.gateway_url)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(roles.status(), 200);

    // In acme, ada is an owner...
    let answer = in_acme_with(
        token.clone(),
        world
            .http
            .post(format!("{}/v1/authz/check", world.gateway_url)),
    )
    .json(&json!({"subject": ada, "permission": "identity.user.disable"}))
    .send()
    .await
    .unwrap();
    let status = answer.status();
    let body: Value = answer.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowed"], true, "{body}");
    // ...and at home she holds nothing (the view has the grant: the check above waited for
    // it; a token of acme's write means nothing in another tenant).
    let home: Value = world
        .http
        .post(format!("{}/v1/authz/check", world.gateway_url))
        .header("Authorization", &admin)
        .json(&json!({"subject": ada, "permission": "identity.user.disable"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(home["allowed"], false, "{home}");
    assert!(
        home["reason"]
            .as_str()
            .unwrap()
            .contains("in tenant default"),
        "{home}"
    );
    assert_eq!(world.get_as("/v1/users", &ada_bearer).await.0, 403);
    let (_, listed) = world
        .get_as(&format!("/v1/authz/subjects/{ada}/bindings"), &admin)
        .await;
    assert_eq!(
        listed["bindings"],
        json!([]),
        "acme's bindings are not listed here"
    );
    // acme's owner sees acme's roles, not default's.
    world
        .post_as("/v1/authz/roles", &admin, json!({"name": "home-only"}))
        .await;
    let (_, roles, _) = world
        .send(
            reqwest::Method::GET,
            "/v1/authz/roles",
            &wile_bearer,
            Some("acme"),
            None,
        )
        .await;
    assert!(!roles.to_string().contains("home-only"), "{roles}");
}

#[tokio::test]
async fn only_a_platform_admin_hands_out_platform_admin_and_denials_are_reported() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    let (bob, bob_bearer) = world.signed_in("bob@example.org").await;
    let (ada, ada_bearer) = world.signed_in("ada@example.org").await;
    let (status, _) = world
        .post_as(
            "/v1/authz/bindings",
            &admin,
            json!({"subject": bob, "role": "owner"}),
        )
        .await;
    assert_eq!(status, 201);
    // An owner manages the tenant's access, but cannot make anyone platform administrator.
    let (status, refused) = world
        .post_as(
            "/v1/authz/bindings",
            &bob_bearer,
            json!({"subject": bob, "role": "platform-admin"}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("platform administrator"),
        "{refused}"
    );
    let (status, bound) = world
        .post_as(
            "/v1/authz/bindings",
            &bob_bearer,
            json!({"subject": ada, "role": "admin"}),
        )
        .await;
    assert_eq!(status, 201, "{bound}");
    // admin reads access but does not manage it.
    assert_eq!(world.get_as("/v1/authz/roles", &ada_bearer).await.0, 200);
    let before = world.count_events("AccessDecided").await;
    let (status, denied) = world
        .post_as("/v1/authz/roles", &ada_bearer, json!({"name": "mine"}))
        .await;
    assert_eq!(status, 403, "{denied}");
    // The denial (recorded in the background) and bob's allowed (sensitive) bindings are in
    // the store, for audit.
    plinth_tests::eventually(
        "the denial recorded",
        std::time::Duration::from_secs(10),
        || async { (world.count_events("AccessDecided").await > before).then_some(()) },
    )
    .await;
    let client = world.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT payload->'AccessDecided' FROM events
             WHERE aggregate_type = 'authz.decision'
               AND payload->'AccessDecided'->>'subject' = $1
               AND payload->'AccessDecided'->>'allowed' = 'false'",
            &[&ada.to_string()],
        )
        .await
        .unwrap();
    let decided: Value = row.get(0);
    assert_eq!(decided["permission"], "authz.role.manage", "{decided}");
    assert_eq!(decided["route"], "POST /v1/authz/roles", "{decided}");
    assert!(decided["source_ip"].as_str().is_some(), "{decided}");
    let allowed: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM events WHERE aggregate_type = 'authz.decision'
               AND payload->'AccessDecided'->>'subject' = $1
               AND payload->'AccessDecided'->>'allowed' = 'true'",
            &[&bob.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        allowed, 2,
        "both of bob's binding requests passed the guard, and the permission is sensitive"
    );
    let refused: String = client
        .query_one(
            "SELECT payload->'AccessDecided'->>'reason' FROM events
             WHERE aggregate_type = 'authz.decision'
               AND payload->'AccessDecided'->>'subject' = $1
               AND payload->'AccessDecided'->>'allowed' = 'false'",
            &[&bob.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        refused.contains("platform administrator"),
        "the service's refusal is a denial too: {refused}"
    );
    // Managing access stays with the built-in roles: no custom role may hold it.
    let (status, reserved) = world
        .post_as(
            "/v1/authz/roles",
            &bob_bearer,
            json!({"name": "helpdesk", "permissions": ["authz.binding.manage"]}),
        )
        .await;
    assert_eq!(status, 422, "{reserved}");
    assert_eq!(reserved["errors"][0]["field"], "permissions", "{reserved}");
    // The relay carries decisions on: a later write still reaches the view.
    let (status, body, token) = world
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/authz/bindings/{}", bound["id"].as_str().unwrap()),
            &bob_bearer,
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(token.is_some());
    assert_eq!(world.get_as("/v1/authz/roles", &ada_bearer).await.0, 403);
}
