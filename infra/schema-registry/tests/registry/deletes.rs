//! Soft and permanent deletes follow Confluent's rules: a permanent delete only removes what was
//! soft-deleted first.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Registry, assert_error, user};

const EMAIL: &str = r#",{"name":"email","type":"string","default":""}"#;

#[tokio::test]
async fn a_subject_is_soft_deleted_before_it_can_be_permanently_deleted() {
    let registry = Registry::start().await;
    let id = registry.register("users-value", &user("")).await;
    registry.register("users-value", &user(EMAIL)).await;

    assert_error(
        &registry
            .delete("/subjects/users-value?permanent=true")
            .await,
        404,
        40405,
    );
    let (status, deleted) = registry.delete("/subjects/users-value").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted, json!([1, 2]));
    assert_error(&registry.delete("/subjects/users-value").await, 404, 40404);
    assert_error(
        &registry.get("/subjects/users-value/versions").await,
        404,
        40401,
    );
    assert_eq!(
        registry
            .get("/subjects/users-value/versions?deleted=true")
            .await
            .1,
        json!([1, 2])
    );
    let (status, soft) = registry
        .get("/subjects/users-value/versions/1?deleted=true")
        .await;
    assert_eq!(status, StatusCode::OK, "{soft}");
    // A soft-deleted schema stays readable by id: consumers still decode old messages.
    assert_eq!(
        registry.get(&format!("/schemas/ids/{id}")).await.0,
        StatusCode::OK
    );

    let (status, deleted) = registry
        .delete("/subjects/users-value?permanent=true")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted, json!([1, 2]));
    assert_error(&registry.delete("/subjects/users-value").await, 404, 40401);
    assert_error(
        &registry.get(&format!("/schemas/ids/{id}")).await,
        404,
        40403,
    );
    assert_eq!(registry.get("/subjects?deleted=true").await.1, json!([]));
}

#[tokio::test]
async fn a_version_is_soft_deleted_before_it_can_be_permanently_deleted() {
    let registry = Registry::start().await;
    registry.register("users-value", &user("")).await;
    registry.register("users-value", &user(EMAIL)).await;

    assert_error(
        &registry
            .delete("/subjects/users-value/versions/1?permanent=true")
            .await,
        404,
        40407,
    );
    let (status, deleted) = registry.delete("/subjects/users-value/versions/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted, json!(1));
    assert_error(
        &registry.delete("/subjects/users-value/versions/1").await,
        404,
        40406,
    );
    assert_error(
        &registry.get("/subjects/users-value/versions/1").await,
        404,
        40402,
    );
    assert_eq!(
        registry.get("/subjects/users-value/versions").await.1,
        json!([2])
    );

    let (status, deleted) = registry
        .delete("/subjects/users-value/versions/1?permanent=true")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted, json!(1));
    assert_error(
        &registry.delete("/subjects/users-value/versions/1").await,
        404,
        40402,
    );
    assert_eq!(
        registry
            .get("/subjects/users-value/versions?deleted=true")
            .await
            .1,
        json!([2])
    );
    assert_error(
        &registry.delete("/subjects/users-value/versions/x").await,
        422,
        42202,
    );
    assert_error(
        &registry.delete("/subjects/nobody/versions/1").await,
        404,
        40401,
    );
}

#[tokio::test]
async fn deleting_latest_deletes_the_newest_live_version() {
    let registry = Registry::start().await;
    registry.register("users-value", &user("")).await;
    registry.register("users-value", &user(EMAIL)).await;
    assert_eq!(
        registry
            .delete("/subjects/users-value/versions/latest")
            .await
            .1,
        json!(2)
    );
    assert_eq!(
        registry
            .delete("/subjects/users-value/versions/latest")
            .await
            .1,
        json!(1)
    );
    assert_error(
        &registry
            .delete("/subjects/users-value/versions/latest")
            .await,
        404,
        40402,
    );
}

#[tokio::test]
async fn registering_a_soft_deleted_schema_again_makes_a_new_version_with_the_same_id() {
    let registry = Registry::start().await;
    let id = registry.register("users-value", &user("")).await;
    registry.delete("/subjects/users-value").await;
    let again = registry.register("users-value", &user("")).await;
    assert_eq!(again, id);
    assert_eq!(
        registry.get("/subjects/users-value/versions").await.1,
        json!([2])
    );
    let (_, found) = registry
        .post("/subjects/users-value", json!({ "schema": user("") }))
        .await;
    assert_eq!(found["version"], 2);
}

#[tokio::test]
async fn soft_deleting_a_subject_removes_its_compatibility_level() {
    let registry = Registry::start().await;
    registry.register("users-value", &user("")).await;
    registry.set_compatibility("users-value", "NONE").await;
    registry.delete("/subjects/users-value").await;
    assert_error(&registry.get("/config/users-value").await, 404, 40408);
}

#[tokio::test]
async fn ids_stay_stable_and_are_not_reused_after_a_permanent_delete() {
    let registry = Registry::start().await;
    let first = registry.register("a-value", &user("")).await;
    registry.delete("/subjects/a-value").await;
    registry.delete("/subjects/a-value?permanent=true").await;
    let other = registry.register("b-value", r#""string""#).await;
    assert_ne!(other, first);
    assert_eq!(registry.register("a-value", &user("")).await, first);
    assert_eq!(
        registry.get("/subjects/a-value/versions").await.1,
        json!([1])
    );
}
