//! With writers configured, every change needs their credentials and nothing else does: a
//! consumer decodes without any, a stranger can neither register, delete nor reconfigure.

use plinth_infra_schema_registry::Writers;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Registry, assert_error, user};

#[tokio::test]
async fn only_the_writers_change_the_registry_and_anyone_reads_it() {
    let anyone = Registry::start_with(Some(Writers::new("plinth", "s3cret"))).await;
    let writer = anyone.as_user("plinth:s3cret");
    let id = writer.register("users-value", &user("")).await;

    // Reads, lookups and compatibility checks are open.
    let (status, _) = anyone.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = anyone.get("/subjects").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = anyone
        .post("/subjects/users-value", json!({ "schema": user("") }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = anyone
        .post(
            "/compatibility/subjects/users-value/versions/latest",
            json!({ "schema": user("") }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Every change is refused without the credentials, or with wrong ones.
    let changes = [
        (
            Method::POST,
            "/subjects/users-value/versions",
            Some(json!({ "schema": user(r#",{"name":"x","type":"string","default":""}"#) })),
        ),
        (Method::DELETE, "/subjects/users-value", None),
        (Method::DELETE, "/subjects/users-value/versions/1", None),
        (
            Method::PUT,
            "/config",
            Some(json!({ "compatibility": "NONE" })),
        ),
        (Method::DELETE, "/config", None),
        (
            Method::PUT,
            "/config/users-value",
            Some(json!({ "compatibility": "NONE" })),
        ),
        (Method::DELETE, "/config/users-value", None),
        (Method::PUT, "/mode", Some(json!({ "mode": "READWRITE" }))),
    ];
    for caller in [
        &anyone,
        &anyone.as_user("plinth:guess"),
        &anyone.as_user("admin:s3cret"),
    ] {
        for (method, path, body) in &changes {
            let answer = caller.call(method.clone(), path, body.clone()).await;
            assert_error(&answer, 401, 401);
        }
    }
    let challenged = anyone
        .http()
        .delete(format!("{}/subjects/users-value", anyone.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        challenged.headers()["www-authenticate"],
        "Basic realm=\"plinth-schema-registry\""
    );
    let (status, versions) = anyone.get("/subjects/users-value/versions").await;
    assert_eq!(
        (status, versions),
        (StatusCode::OK, json!([1])),
        "nothing changed"
    );

    // The writers can.
    let (status, _) = writer
        .put("/config/users-value", json!({ "compatibility": "NONE" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, deleted) = writer.delete("/subjects/users-value").await;
    assert_eq!((status, deleted), (StatusCode::OK, json!([1])));
}
