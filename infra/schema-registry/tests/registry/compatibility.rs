//! Compatibility levels applied to registrations and to the compatibility test endpoint.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Registry, assert_error, user};

const EMAIL_REQUIRED: &str = r#",{"name":"email","type":"string"}"#;
const EMAIL_DEFAULT: &str = r#",{"name":"email","type":"string","default":""}"#;

async fn try_register(
    registry: &Registry,
    subject: &str,
    schema: &str,
) -> (StatusCode, serde_json::Value) {
    registry
        .post(
            &format!("/subjects/{subject}/versions"),
            json!({ "schema": schema }),
        )
        .await
}

#[tokio::test]
async fn backward_rejects_a_new_field_without_default_and_accepts_one_with_a_default() {
    let registry = Registry::start().await;
    registry.register("users-value", &user("")).await;
    let rejected = try_register(&registry, "users-value", &user(EMAIL_REQUIRED)).await;
    assert_error(&rejected, 409, 409);
    let message = rejected.1["message"].as_str().unwrap();
    assert!(message.contains("incompatible"), "{message}");
    assert!(message.contains("email"), "{message}");
    assert!(
        message.contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{message}"
    );
    let accepted = try_register(&registry, "users-value", &user(EMAIL_DEFAULT)).await;
    assert_eq!(accepted.0, StatusCode::OK, "{}", accepted.1);
    assert_eq!(
        registry.get("/subjects/users-value/versions").await.1,
        json!([1, 2])
    );
}

#[tokio::test]
async fn forward_accepts_a_new_required_field_and_rejects_removing_one() {
    let registry = Registry::start().await;
    registry.set_compatibility("users-value", "FORWARD").await;
    registry
        .register("users-value", &user(EMAIL_REQUIRED))
        .await;
    let removed = try_register(&registry, "users-value", &user("")).await;
    assert_error(&removed, 409, 409);
    let added = format!(r#"{EMAIL_REQUIRED},{{"name":"age","type":"int"}}"#);
    let accepted = try_register(&registry, "users-value", &user(&added)).await;
    assert_eq!(accepted.0, StatusCode::OK, "{}", accepted.1);
}

#[tokio::test]
async fn full_needs_defaults_in_both_directions() {
    let registry = Registry::start().await;
    registry.set_compatibility("users-value", "FULL").await;
    registry.register("users-value", &user("")).await;
    assert_error(
        &try_register(&registry, "users-value", &user(EMAIL_REQUIRED)).await,
        409,
        409,
    );
    let accepted = try_register(&registry, "users-value", &user(EMAIL_DEFAULT)).await;
    assert_eq!(accepted.0, StatusCode::OK, "{}", accepted.1);
}

#[tokio::test]
async fn none_accepts_any_change() {
    let registry = Registry::start().await;
    registry.set_compatibility("users-value", "NONE").await;
    registry.register("users-value", &user("")).await;
    registry.register("users-value", r#""int""#).await;
    registry
        .register("users-value", &user(EMAIL_REQUIRED))
        .await;
    assert_eq!(
        registry.get("/subjects/users-value/versions").await.1,
        json!([1, 2, 3])
    );
}

#[tokio::test]
async fn transitive_levels_check_every_version_and_plain_levels_only_the_latest() {
    let registry = Registry::start().await;
    // v1 has a required string `email`, v2 drops it; v3 brings `email` back as an int with a
    // default: v3 reads v2's data, but not v1's.
    let v3 = user(r#",{"name":"email","type":"int","default":0}"#);
    for (subject, level, expected) in [
        ("plain-value", "BACKWARD", StatusCode::OK),
        (
            "transitive-value",
            "BACKWARD_TRANSITIVE",
            StatusCode::CONFLICT,
        ),
    ] {
        registry.set_compatibility(subject, level).await;
        registry.register(subject, &user(EMAIL_REQUIRED)).await;
        registry.register(subject, &user("")).await;
        let (status, body) = try_register(&registry, subject, &v3).await;
        assert_eq!(status, expected, "{level}: {body}");
    }
}

#[tokio::test]
async fn the_global_level_applies_to_subjects_without_their_own() {
    let registry = Registry::start().await;
    registry
        .put("/config", json!({"compatibility": "NONE"}))
        .await;
    registry.register("users-value", &user("")).await;
    let accepted = try_register(&registry, "users-value", &user(EMAIL_REQUIRED)).await;
    assert_eq!(accepted.0, StatusCode::OK, "{}", accepted.1);
    registry.set_compatibility("users-value", "BACKWARD").await;
    let extra = format!(r#"{EMAIL_REQUIRED},{{"name":"age","type":"int"}}"#);
    assert_error(
        &try_register(&registry, "users-value", &user(&extra)).await,
        409,
        409,
    );
}

#[tokio::test]
async fn the_compatibility_endpoint_answers_is_compatible_and_verbose_messages() {
    let registry = Registry::start().await;
    registry.register("users-value", &user("")).await;
    let path = "/compatibility/subjects/users-value/versions/latest";
    let (status, body) = registry
        .post(path, json!({ "schema": user(EMAIL_DEFAULT) }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"is_compatible": true}));
    let (_, body) = registry
        .post(path, json!({ "schema": user(EMAIL_REQUIRED) }))
        .await;
    assert_eq!(body, json!({"is_compatible": false}));
    let (_, body) = registry
        .post(
            &format!("{path}?verbose=true"),
            json!({ "schema": user(EMAIL_REQUIRED) }),
        )
        .await;
    assert_eq!(body["is_compatible"], false);
    let messages = body["messages"].as_array().expect("messages");
    assert!(
        messages
            .iter()
            .any(|m| m.as_str().unwrap().contains("email")),
        "{body}"
    );
    let (_, body) = registry
        .post(
            &format!("{path}?verbose=true"),
            json!({ "schema": user(EMAIL_DEFAULT) }),
        )
        .await;
    assert_eq!(body, json!({"is_compatible": true, "messages": []}));

    let (_, body) = registry
        .post(
            "/compatibility/subjects/users-value/versions/1",
            json!({ "schema": user(EMAIL_REQUIRED) }),
        )
        .await;
    assert_eq!(body, json!({"is_compatible": false}));
    let (_, body) = registry
        .post(
            "/compatibility/subjects/users-value/versions",
            json!({ "schema": user(EMAIL_DEFAULT) }),
        )
        .await;
    assert_eq!(body, json!({"is_compatible": true}));
    let (_, body) = registry
        .post(
            "/compatibility/subjects/new-value/versions/latest",
            json!({ "schema": user("") }),
        )
        .await;
    assert_eq!(body, json!({"is_compatible": true}));

    let missing_version = registry
        .post(
            "/compatibility/subjects/users-value/versions/9",
            json!({ "schema": user("") }),
        )
        .await;
    assert_error(&missing_version, 404, 40402);
    let missing_subject = registry
        .post(
            "/compatibility/subjects/nobody/versions/1",
            json!({ "schema": user("") }),
        )
        .await;
    assert_error(&missing_subject, 404, 40401);
    let invalid = registry
        .post(path, json!({ "schema": "{\"type\":\"nope\"}" }))
        .await;
    assert_error(&invalid, 422, 42201);
}
