//! The public contract: `/openapi.json` documents exactly the routes the gateway serves — the
//! kernel modules', the Blog's and its own — with each route's security as its manifest guards
//! it, the problems it answers as problem+json, and the interactive page served from the
//! binary.

use std::collections::BTreeSet;

use plinth_domain_permissions::Access;
use plinth_tests::World;
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every (METHOD, path) the document has.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn the_document_and_the_router_agree_route_by_route() {
    let world = World::start().await;
    let document = world.get_json("/openapi.json").await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let registry = world.stack().registry.clone();
    let declared: BTreeSet<(String, String)> = registry
        .routes()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(documented(&document), declared);
    for module in ["identity", "authz", "audit", "blog", "gateway"] {
        assert!(
            registry.routes().any(|r| r.module == module),
            "{module} serves routes"
        );
    }

    // Each route's security is its guard's: bearer for every guarded route, optional on the
    // public ones (a valid token is handed to the handler there).
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for route in registry.routes() {
        let operation = &document["paths"][route.path][route.method.to_ascii_lowercase()];
        let security = operation["security"].as_array().unwrap();
        let anonymous = security.iter().any(|s| s.as_object().unwrap().is_empty());
        let bearer = security.iter().any(|s| s.get("bearer").is_some());
        assert!(bearer, "{} {}", route.method, route.path);
        assert_eq!(
            anonymous,
            route.access == Access::Public,
            "{} {}: {security:?}",
            route.method,
            route.path
        );
        let responses = operation["responses"].as_object().unwrap();
        if route.access != Access::Public {
            assert_eq!(
                responses["401"]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{} {}",
                route.method,
                route.path
            );
        }
        if matches!(route.access, Access::Permission(_)) {
            assert!(
                responses.contains_key("403"),
                "{} {}",
                route.method,
                route.path
            );
        }
        if operation.get("requestBody").is_some() {
            assert!(
                responses.contains_key("422") && responses.contains_key("415"),
                "{} {}",
                route.method,
                route.path
            );
        }
    }

    // Every documented operation is served: none falls through to the router's fallbacks.
    for (method, path) in documented(&document) {
        let concrete = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "00000000-0000-0000-0000-000000000000"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let response = world
            .http
            .request(
                method.parse().unwrap(),
                format!("{}{concrete}", world.gateway_url),
            )
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert_ne!(status, 405, "{method} {path} is not served: {body}");
        assert!(
            !body.contains("no route for"),
            "{method} {path} is not served: {body}"
        );
    }
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary() {
    let world = World::start().await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{}/docs", world.gateway_url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/docs/index.html");
    let index = http
        .get(format!("{}/docs/index.html", world.gateway_url))
        .send()
        .await
        .unwrap();
    assert_eq!(index.status(), 200);
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(index.text().await.unwrap().contains("swagger-ui"));
    let initializer = http
        .get(format!("{}/docs/swagger-initializer.js", world.gateway_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    let missing = http
        .get(format!("{}/docs/nothing.js", world.gateway_url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
}
