//! Who may change the registry. With [`Writers`] configured, registering a schema, deleting a
//! subject or version and changing the configuration or mode need HTTP basic credentials
//! (`401` with a `Basic` challenge otherwise), as Confluent's registry with basic
//! authentication does; reading, looking a schema up and checking compatibility never do, so
//! any consumer can decode the topics.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The credentials a change must carry.
pub struct Writers {
    /// SHA-256 of `username:password`: compared in constant time, never kept in the clear.
    digest: [u8; 32],
}

impl Writers {
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            digest: Sha256::digest(format!("{username}:{password}")).into(),
        }
    }

    /// Whether an `Authorization` header value carries these credentials.
    fn admit(&self, authorization: &str) -> bool {
        let Some(encoded) = authorization
            .strip_prefix("Basic ")
            .or_else(|| authorization.strip_prefix("basic "))
        else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let presented: [u8; 32] = Sha256::digest(decoded).into();
        presented
            .iter()
            .zip(self.digest.iter())
            .fold(0_u8, |difference, (a, b)| difference | (a ^ b))
            == 0
    }
}

/// Lets a change through only with the writers' credentials (any change, when none are set).
pub(crate) async fn require(
    State(writers): State<Option<Arc<Writers>>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(writers) = writers {
        let admitted = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| writers.admit(value));
        if !admitted {
            return Error::Unauthorized.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(credentials: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        )
    }

    #[test]
    fn only_the_configured_credentials_are_admitted() {
        let writers = Writers::new("plinth", "s3cret");
        assert!(writers.admit(&basic("plinth:s3cret")));
        for wrong in [
            basic("plinth:s3cre"),
            basic("plinth:s3cret "),
            basic("other:s3cret"),
            basic("plinth"),
            "Bearer s3cret".to_owned(),
            "Basic not-base64!".to_owned(),
            String::new(),
        ] {
            assert!(!writers.admit(&wrong), "{wrong}");
        }
    }
}
