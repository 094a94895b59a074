//! Every route of every module manifest, called as its manifest says it may and may not be:
//! a permission route refuses a signed-in user without the permission (403) and lets a holder
//! through; an authenticated route refuses the anonymous (401); a public route asks nothing.

use plinth_domain_permissions::Access;
use plinth_tests::World;

/// Sends `method path` with `bearer` (if any); `{id}` becomes `param`, `{permission}` a
/// declared permission.
async fn call(world: &World, method: &str, path: &str, param: &str, bearer: Option<&str>) -> u16 {
    let path = path
        .replace("{id}", param)
        .replace("{permission}", "identity.user.read");
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = world
        .http
        .request(method, format!("{}{path}", world.gateway_url))
        .json(&serde_json::json!({}));
    if let Some(bearer) = bearer {
        request = request.header("Authorization", bearer);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn every_declared_route_is_guarded_as_its_manifest_says() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let admin = world.bootstrap_admin("root@example.org").await;
    let ada = world.registered("ada@example.org", "Ada").await;
    let member = format!(
        "Bearer {}",
        world.login("ada@example.org").await["access_token"]
            .as_str()
            .unwrap()
    );
    let someone_else = uuid::Uuid::now_v7().to_string();
    let mut checked = 0;
    let routes: Vec<_> = world.stack().registry.routes().collect();
    for route in &routes {
        let (method, path) = (route.method, route.path);
        match route.access {
            Access::Public => {
                let status = call(&world, method, path, &someone_else, None).await;
                assert!(
                    status != 401 && status != 403,
                    "{method} {path} is public but answered {status}"
                );
            }
            Access::Authenticated => {
                let status = call(&world, method, path, &someone_else, None).await;
                assert_eq!(status, 401, "{method} {path} without a token");
            }
            Access::Permission(permission) => {
                let anonymous = call(&world, method, path, &someone_else, None).await;
                assert_eq!(anonymous, 401, "{method} {path} without a token");
                let denied = call(&world, method, path, &someone_else, Some(&member)).await;
                assert_eq!(denied, 403, "{method} {path} without {permission}");
                let allowed = call(&world, method, path, &someone_else, Some(&admin)).await;
                assert!(
                    allowed != 401 && allowed != 403,
                    "{method} {path} with {permission} answered {allowed}"
                );
                if route.owner_param.is_some() {
                    let own = call(&world, method, path, &ada.to_string(), Some(&member)).await;
                    assert!(
                        own != 401 && own != 403,
                        "{method} {path} on the caller themself answered {own}"
                    );
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, routes.len());
    assert!(
        checked >= 35,
        "every route of the gateway, identity and authz manifests"
    );
}
