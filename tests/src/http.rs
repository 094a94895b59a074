//! JSON over HTTP against a world's gateway, as a signed-in client.

use serde_json::Value;
use uuid::Uuid;

use crate::World;

impl World {
    /// Sends a JSON request as `bearer` (in `tenant`, if given); returns status, body (`null`
    /// when it is not JSON) and the `Consistency-Token` header.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: &str,
        tenant: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value, Option<String>) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.gateway_url))
            .header("Authorization", bearer);
        if let Some(tenant) = tenant {
            request = request.header("X-Tenant-Id", tenant);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let token = response
            .headers()
            .get("consistency-token")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, token)
    }

    /// POSTs `body` as `bearer`: status and body.
    pub async fn post_as(&self, path: &str, bearer: &str, body: Value) -> (u16, Value) {
        let (status, body, _) = self
            .send(reqwest::Method::POST, path, bearer, None, Some(body))
            .await;
        (status, body)
    }

    /// GETs as `bearer`: status and body.
    pub async fn get_as(&self, path: &str, bearer: &str) -> (u16, Value) {
        let (status, body, _) = self
            .send(reqwest::Method::GET, path, bearer, None, None)
            .await;
        (status, body)
    }

    /// Registers `email` (waiting for the directory) and logs in: the id and the
    /// `Authorization` header value.
    pub async fn signed_in(&self, email: &str) -> (Uuid, String) {
        let id = self.registered(email, "Someone").await;
        let bearer = format!(
            "Bearer {}",
            self.login(email).await["access_token"].as_str().unwrap()
        );
        (id, bearer)
    }
}
