//! A registry served on a real socket against a fresh, migrated database, and a small HTTP
//! client for it.

use plinth_infra_postgres::testing::TestDatabase;
use plinth_infra_schema_registry::{MIGRATIONS, SchemaRegistry, Writers, router};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running registry. The server task ends with the test's runtime.
pub(crate) struct Registry {
    pub(crate) url: String,
    http: reqwest::Client,
    /// The `Authorization` header every call sends, if any.
    authorization: Option<String>,
}

impl Registry {
    /// A registry anyone may change.
    pub(crate) async fn start() -> Self {
        Self::start_with(None).await
    }

    /// A registry only `writers` may change.
    pub(crate) async fn start_with(writers: Option<Writers>) -> Self {
        let database = TestDatabase::create().await;
        let pool = plinth_infra_postgres::connect_pool(&database.url, 24)
            .expect("the test database URL is valid");
        let mut connection = pool.get().await.expect("the test database is reachable");
        plinth_infra_postgres::migrate(&mut connection, &MIGRATIONS)
            .await
            .expect("the migrations apply");
        drop(connection);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port is free");
        let address = listener.local_addr().expect("the listener has an address");
        tokio::spawn(async move {
            axum::serve(listener, router(SchemaRegistry::new(pool), writers))
                .await
                .expect("the registry serves");
        });
        Self {
            url: format!("http://{address}"),
            http: reqwest::Client::new(),
            authorization: None,
        }
    }

    /// The same registry, called with HTTP basic `credentials` (`user:password`).
    pub(crate) fn as_user(&self, credentials: &str) -> Self {
        use base64::Engine;
        Self {
            url: self.url.clone(),
            http: self.http.clone(),
            authorization: Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )),
        }
    }

    /// Sends a request (JSON body, Confluent's content type) and returns the status and the JSON
    /// answer, checking that every answer has the registry's content type.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("the registry answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            content_type, "application/vnd.schemaregistry.v1+json",
            "{method} {path}"
        );
        let text = response.text().await.expect("the answer has a body");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} answered non-JSON {text:?}: {e}"));
        (status, value)
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Registers `schema` under `subject`, expecting success; returns the id.
    pub(crate) async fn register(&self, subject: &str, schema: &str) -> i64 {
        let (status, body) = self
            .post(
                &format!("/subjects/{subject}/versions"),
                json!({ "schema": schema }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_i64().expect("the answer has an id")
    }

    /// Sets a subject's compatibility level, expecting success.
    pub(crate) async fn set_compatibility(&self, subject: &str, level: &str) {
        let (status, body) = self
            .put(
                &format!("/config/{subject}"),
                json!({ "compatibility": level }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The raw HTTP client, for requests `call` does not make.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// Asserts a Confluent error answer: the status, the error code and a non-empty message.
pub(crate) fn assert_error(answer: &(StatusCode, Value), status: u16, error_code: i64) {
    let (actual, body) = answer;
    assert_eq!(actual.as_u16(), status, "{body}");
    assert_eq!(body["error_code"].as_i64(), Some(error_code), "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(
        body.as_object().map(serde_json::Map::len),
        Some(2),
        "only error_code and message: {body}"
    );
}

/// A `User` record schema with an `id` field and `extra` fields (a JSON fragment starting with
/// a comma, or empty).
pub(crate) fn user(extra: &str) -> String {
    format!(
        r#"{{"type":"record","name":"User","namespace":"plinth.test","fields":[{{"name":"id","type":"string"}}{extra}]}}"#
    )
}
