//! The REST API over HTTP: registration, lookups, listings, schemas by id, configuration and
//! the error answers.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Registry, assert_error, user};

#[tokio::test]
async fn registering_the_same_schema_twice_returns_the_same_id_and_no_new_version() {
    let registry = Registry::start().await;
    let first = registry.register("users-value", &user("")).await;
    let second = registry.register("users-value", &user("")).await;
    assert_eq!(first, second);
    assert_eq!(
        registry.get("/subjects/users-value/versions").await.1,
        json!([1])
    );
}

#[tokio::test]
async fn differently_spelled_texts_of_one_schema_share_one_id() {
    let registry = Registry::start().await;
    let compact = registry.register("a-value", &user("")).await;
    let spelled_out = registry
        .register(
            "a-value",
            r#"{ "name": "User", "namespace": "plinth.test", "type": "record",
                 "fields": [ { "type": {"type": "string"}, "name": "id" } ] }"#,
        )
        .await;
    assert_eq!(compact, spelled_out);
}

#[tokio::test]
async fn a_schema_registered_under_two_subjects_keeps_one_global_id() {
    let registry = Registry::start().await;
    let a = registry.register("a-value", &user("")).await;
    let b = registry.register("b-value", &user("")).await;
    let other = registry.register("c-value", r#""string""#).await;
    assert_eq!(a, b);
    assert_ne!(a, other);
    let (status, pairs) = registry.get(&format!("/schemas/ids/{a}/versions")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        pairs,
        json!([{"subject": "a-value", "version": 1}, {"subject": "b-value", "version": 1}])
    );
    let (_, subjects) = registry.get(&format!("/schemas/ids/{a}/subjects")).await;
    assert_eq!(subjects, json!(["a-value", "b-value"]));
}

#[tokio::test]
async fn lookup_answers_the_subject_version_id_and_schema_of_a_registered_schema() {
    let registry = Registry::start().await;
    let id = registry.register("users-value", &user("")).await;
    let (status, found) = registry
        .post("/subjects/users-value", json!({ "schema": user("") }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["subject"], "users-value");
    assert_eq!(found["id"], id);
    assert_eq!(found["version"], 1);
    assert!(
        found["schema"]
            .as_str()
            .is_some_and(|s| s.contains("\"User\""))
    );
    assert!(
        found.get("schemaType").is_none(),
        "AVRO is implied: {found}"
    );

    let unknown_subject = registry
        .post("/subjects/nobody-value", json!({ "schema": user("") }))
        .await;
    assert_error(&unknown_subject, 404, 40401);
    let unknown_schema = registry
        .post("/subjects/users-value", json!({ "schema": r#""long""# }))
        .await;
    assert_error(&unknown_schema, 404, 40403);
}

#[tokio::test]
async fn versions_count_from_one_and_latest_is_the_newest() {
    let registry = Registry::start().await;
    let v1 = registry.register("users-value", &user("")).await;
    let extra = r#",{"name":"email","type":"string","default":""}"#;
    let v2 = registry.register("users-value", &user(extra)).await;
    assert_eq!(
        registry.get("/subjects/users-value/versions").await.1,
        json!([1, 2])
    );

    let (status, first) = registry.get("/subjects/users-value/versions/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["subject"], "users-value");
    assert_eq!(first["version"], 1);
    assert_eq!(first["id"], v1);
    assert!(
        first.get("schemaType").is_none(),
        "AVRO is implied: {first}"
    );
    for latest in ["latest", "-1"] {
        let (_, newest) = registry
            .get(&format!("/subjects/users-value/versions/{latest}"))
            .await;
        assert_eq!(newest["version"], 2);
        assert_eq!(newest["id"], v2);
    }
    let (status, raw) = registry
        .get("/subjects/users-value/versions/1/schema")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(raw["name"], "User");
    assert_eq!(raw["fields"][0]["name"], "id");
    assert_eq!(
        registry
            .get("/subjects/users-value/versions/1/referencedby")
            .await
            .1,
        json!([])
    );

    assert_error(
        &registry.get("/subjects/users-value/versions/3").await,
        404,
        40402,
    );
    assert_error(
        &registry.get("/subjects/nobody/versions/1").await,
        404,
        40401,
    );
    assert_error(&registry.get("/subjects/nobody/versions").await, 404, 40401);
    assert_error(
        &registry.get("/subjects/users-value/versions/0").await,
        422,
        42202,
    );
    assert_error(
        &registry.get("/subjects/users-value/versions/one").await,
        422,
        42202,
    );
}

#[tokio::test]
async fn schemas_by_id_answer_the_schema_and_its_raw_text() {
    let registry = Registry::start().await;
    let id = registry.register("users-value", &user("")).await;
    let (status, body) = registry.get(&format!("/schemas/ids/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let text = body["schema"].as_str().expect("a schema string");
    assert_eq!(
        body.as_object().map(serde_json::Map::len),
        Some(1),
        "{body}"
    );
    let (_, raw) = registry.get(&format!("/schemas/ids/{id}/schema")).await;
    assert_eq!(
        raw,
        serde_json::from_str::<serde_json::Value>(text).unwrap()
    );
    assert_error(&registry.get("/schemas/ids/999").await, 404, 40403);
    assert_error(&registry.get("/schemas/ids/999/versions").await, 404, 40403);
    assert_eq!(registry.get("/schemas/types").await.1, json!(["AVRO"]));
}

#[tokio::test]
async fn subjects_are_listed_by_name_and_soft_deleted_ones_only_on_request() {
    let registry = Registry::start().await;
    registry.register("b-value", &user("")).await;
    registry.register("a-value", &user("")).await;
    registry.register("gone-value", &user("")).await;
    registry.delete("/subjects/gone-value").await;
    assert_eq!(
        registry.get("/subjects").await.1,
        json!(["a-value", "b-value"])
    );
    assert_eq!(
        registry.get("/subjects?deleted=true").await.1,
        json!(["a-value", "b-value", "gone-value"])
    );
    assert_eq!(
        registry.get("/subjects?deletedOnly=true").await.1,
        json!(["gone-value"])
    );
    assert_eq!(
        registry.get("/subjects?subjectPrefix=b").await.1,
        json!(["b-value"])
    );
}

#[tokio::test]
async fn the_global_level_is_backward_until_changed() {
    let registry = Registry::start().await;
    assert_eq!(
        registry.get("/config").await.1,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    let (status, body) = registry
        .put("/config", json!({"compatibility": "FULL"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"compatibility": "FULL"}));
    assert_eq!(
        registry.get("/config").await.1,
        json!({"compatibilityLevel": "FULL"})
    );
    assert_eq!(
        registry.delete("/config").await.1,
        json!({"compatibilityLevel": "FULL"})
    );
    assert_eq!(
        registry.get("/config").await.1,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    assert_error(
        &registry
            .put("/config", json!({"compatibility": "SIDEWAYS"}))
            .await,
        422,
        42203,
    );
}

#[tokio::test]
async fn a_subject_level_overrides_the_global_one_until_deleted() {
    let registry = Registry::start().await;
    registry.register("users-value", &user("")).await;
    assert_error(&registry.get("/config/users-value").await, 404, 40408);
    assert_eq!(
        registry
            .get("/config/users-value?defaultToGlobal=true")
            .await
            .1,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    let (status, body) = registry
        .put("/config/users-value", json!({"compatibility": "none"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"compatibility": "NONE"}));
    assert_eq!(
        registry.get("/config/users-value").await.1,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        registry.delete("/config/users-value").await.1,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_error(&registry.get("/config/users-value").await, 404, 40408);
    assert_error(&registry.delete("/config/nobody").await, 404, 40401);
}

#[tokio::test]
async fn invalid_requests_answer_confluent_error_codes() {
    let registry = Registry::start().await;
    let invalid = registry
        .post(
            "/subjects/s/versions",
            json!({"schema": "{\"type\": \"record\"}"}),
        )
        .await;
    assert_error(&invalid, 422, 42201);
    let not_json = registry
        .post("/subjects/s/versions", json!({"schema": "{not json"}))
        .await;
    assert_error(&not_json, 422, 42201);
    let protobuf = registry
        .post(
            "/subjects/s/versions",
            json!({"schema": "syntax = \"proto3\";", "schemaType": "PROTOBUF"}),
        )
        .await;
    assert_error(&protobuf, 422, 42201);
    assert!(protobuf.1["message"].as_str().unwrap().contains("PROTOBUF"));
    let references = registry
        .post(
            "/subjects/s/versions",
            json!({"schema": user(""), "references": [{"name": "x", "subject": "y", "version": 1}]}),
        )
        .await;
    assert_error(&references, 422, 42201);
    assert!(
        references.1["message"]
            .as_str()
            .unwrap()
            .contains("references are not supported")
    );
    let empty_references = registry
        .post(
            "/subjects/s/versions",
            json!({"schema": user(""), "schemaType": "AVRO", "references": []}),
        )
        .await;
    assert_eq!(empty_references.0, StatusCode::OK);
}

#[tokio::test]
async fn unknown_endpoints_and_the_associations_endpoint_answer_404() {
    let registry = Registry::start().await;
    let unknown = registry.get("/no/such/endpoint").await;
    assert_error(&unknown, 404, 404);
    assert_eq!(unknown.1["message"], "HTTP 404 Not Found");
    let associations = registry
        .get("/associations/resources/-/orders?resourceType=topic&associationType=value")
        .await;
    assert_error(&associations, 404, 404);
    assert_error(&registry.get("/schemas/ids/not-a-number").await, 404, 404);
    assert_error(
        &registry
            .call(reqwest::Method::PATCH, "/subjects", None)
            .await,
        405,
        405,
    );
}

#[tokio::test]
async fn request_bodies_are_accepted_under_the_content_types_clients_use() {
    let registry = Registry::start().await;
    let body = json!({ "schema": user("") }).to_string();
    for content_type in [
        Some("application/vnd.schemaregistry.v1+json"),
        Some("application/json; charset=utf-8"),
        Some("application/octet-stream"),
        None,
    ] {
        let mut request = registry
            .http()
            .post(format!("{}/subjects/s/versions", registry.url))
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{content_type:?}");
    }
    let rejected = registry
        .http()
        .post(format!("{}/subjects/s/versions", registry.url))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let malformed = registry
        .http()
        .post(format!("{}/subjects/s/versions", registry.url))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = malformed.json().await.unwrap();
    assert_eq!(body["error_code"], 400);
}

#[tokio::test]
async fn the_root_mode_and_types_endpoints_answer_like_confluent() {
    let registry = Registry::start().await;
    assert_eq!(registry.get("/").await.1, json!({}));
    assert_eq!(registry.get("/mode").await.1, json!({"mode": "READWRITE"}));
    assert_eq!(
        registry.get("/mode/s?defaultToGlobal=true").await.1,
        json!({"mode": "READWRITE"})
    );
    assert_error(&registry.get("/mode/s").await, 404, 40409);
    assert_error(
        &registry.put("/mode", json!({"mode": "READONLY"})).await,
        422,
        42204,
    );
}

#[tokio::test]
async fn subjects_with_slashes_are_addressed_percent_encoded() {
    let registry = Registry::start().await;
    let id = registry.register("team%2Forders-value", &user("")).await;
    assert_eq!(
        registry.get("/subjects").await.1,
        json!(["team/orders-value"])
    );
    let (status, version) = registry
        .get("/subjects/team%2Forders-value/versions/1")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version["subject"], "team/orders-value");
    assert_eq!(version["id"], id);
}
