//! The identity handlers over a stand-in service that answers what each test needs: parsing
//! at the edge, and the one mapping of the service's errors to problems. Everything the real
//! service stores is covered end to end in `tests/`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use plinth_domain_core::{Actor, CommandMetadata, ConsistencyToken, TenantId};
use plinth_domain_identity::session::RevocationReason;
use plinth_domain_identity::{DisplayName, Email, PasswordPolicy, UserId};
use plinth_infra_edge::RequestMetadata;
use plinth_services_identity_api::{
    IdentityApi, IdentityError, Registered, Registration, SignedIn,
};
use serde_json::Value;
use tower::ServiceExt;
use uuid::Uuid;

use super::Identity;
use crate::{TokenService, TokenSettings};

/// Answers every registration with `outcome`, remembering what it was asked.
struct StandIn {
    outcome: fn(UserId) -> Result<Registered, IdentityError>,
    seen: Mutex<Vec<(Registration, CommandMetadata)>>,
}

#[async_trait]
impl IdentityApi for StandIn {
    async fn register(
        &self,
        registration: Registration,
        metadata: CommandMetadata,
    ) -> Result<Registered, IdentityError> {
        self.seen.lock().unwrap().push((registration, metadata));
        (self.outcome)(UserId::new())
    }

    async fn login(
        &self,
        _: Email,
        _: String,
        _: CommandMetadata,
    ) -> Result<SignedIn, IdentityError> {
        Err(IdentityError::InvalidCredentials)
    }

    async fn refresh(&self, _: &str, _: CommandMetadata) -> Result<SignedIn, IdentityError> {
        Err(IdentityError::InvalidToken)
    }

    async fn revoke_session(
        &self,
        _: UserId,
        _: Uuid,
        _: RevocationReason,
        _: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        Err(IdentityError::NotFound)
    }

    async fn change_display_name(
        &self,
        _: UserId,
        _: DisplayName,
        _: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        Err(IdentityError::NotFound)
    }

    async fn change_password(
        &self,
        _: UserId,
        _: Uuid,
        _: String,
        _: String,
        _: PasswordPolicy,
        _: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        Err(IdentityError::NotFound)
    }

    async fn verify_email(
        &self,
        _: &str,
        _: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        Err(IdentityError::InvalidToken)
    }

    async fn request_password_reset(
        &self,
        _: Email,
        _: CommandMetadata,
    ) -> Result<(), IdentityError> {
        Ok(())
    }

    async fn reset_password(
        &self,
        _: &str,
        _: String,
        _: PasswordPolicy,
        _: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        Err(IdentityError::InvalidToken)
    }

    async fn set_disabled(
        &self,
        _: UserId,
        _: bool,
        _: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        Err(IdentityError::NotFound)
    }
}

#[expect(clippy::unnecessary_wraps, reason = "it is a `StandIn::outcome`")]
fn registered(user_id: UserId) -> Result<Registered, IdentityError> {
    let token = ConsistencyToken {
        aggregate_type: "identity.user".into(),
        aggregate_id: user_id.to_string(),
        sequence: 1,
    };
    Ok(Registered { user_id, token })
}

fn stand_in(outcome: fn(UserId) -> Result<Registered, IdentityError>) -> Arc<StandIn> {
    Arc::new(StandIn {
        outcome,
        seen: Mutex::default(),
    })
}

/// The public routes as the gateway serves them: every request names tenant `acme`.
async fn routes(service: Arc<StandIn>) -> Router {
    // Signing keys live in Postgres, so these tests get a fresh database for them.
    let db = plinth_infra_postgres::testing::TestDatabase::create().await;
    let read = plinth_infra_postgres::connect_pool(&db.url, 2).unwrap();
    plinth_infra_postgres::migrate(&mut read.get().await.unwrap(), &crate::tokens::MIGRATIONS)
        .await
        .unwrap();
    let settings = TokenSettings {
        issuer: "https://id.test".into(),
        audience: "plinth".into(),
        access_ttl: Duration::from_secs(900),
    };
    let identity = Identity {
        service,
        tokens: Arc::new(
            TokenService::start(read.clone(), settings, None)
                .await
                .unwrap(),
        ),
        read,
        password_policy: PasswordPolicy::default(),
        session_idle: Duration::from_secs(1800),
    };
    let router =
        super::routes(&identity)
            .routes
            .into_iter()
            .fold(Router::new(), |router, route| {
                let path = route.path;
                router.route(path, route.into_handler())
            });
    router.layer(axum::middleware::from_fn(
        |mut request: axum::extract::Request, next: axum::middleware::Next| async move {
            let tenant = TenantId::parse("acme").unwrap();
            let metadata = CommandMetadata::new(tenant, Actor::Anonymous, Uuid::now_v7());
            request.extensions_mut().insert(RequestMetadata(metadata));
            next.run(request).await
        },
    ))
}

async fn send(
    service: Arc<StandIn>,
    request: Request<Body>,
) -> (StatusCode, http::HeaderMap, Value) {
    let response = routes(service).await.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn post(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn a_valid_registration_is_parsed_at_the_edge_and_answered_201_with_location_and_token() {
    let service = stand_in(registered);
    let (status, headers, body) = send(
        service.clone(),
        post(
            "/v1/auth/register",
            r#"{"email":" Ada@Example.ORG ","password":"correct horse battery","display_name":" Ada "}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap();
    assert_eq!(headers["location"], format!("/v1/users/{id}").as_str());
    assert_eq!(
        headers["consistency-token"],
        body["consistency_token"].as_str().unwrap()
    );
    let seen = service.seen.lock().unwrap();
    let (registration, metadata) = &seen[0];
    assert_eq!(registration.email.as_str(), "ada@example.org");
    assert_eq!(registration.display_name.as_str(), "Ada");
    assert_eq!(metadata.tenant_id.as_str(), "acme");
}

#[tokio::test]
async fn a_taken_email_is_a_409_problem_and_a_store_outage_a_503_that_hides_its_cause() {
    let register = || {
        post(
            "/v1/auth/register",
            r#"{"email":"a@example.org","password":"correct horse battery","display_name":"A"}"#,
        )
    };
    let (status, headers, body) =
        send(stand_in(|_| Err(IdentityError::EmailTaken)), register()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["type"], "https://plinth.dev/problems/conflict");

    let outage = stand_in(|_| {
        Err(IdentityError::Unavailable(
            "connection refused at 10.0.0.7:5432".into(),
        ))
    });
    let (status, headers, body) = send(outage, register()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "1");
    assert!(
        !body.to_string().contains("10.0.0.7"),
        "internal details stay in the logs: {body}"
    );
}

#[tokio::test]
async fn invalid_input_never_reaches_the_service() {
    let service = stand_in(registered);
    let (status, _, body) = send(
        service.clone(),
        post(
            "/v1/auth/register",
            r#"{"email":"x","password":"p","display_name":"d"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"], "{body}");
    let (status, _, _) = send(service.clone(), post("/v1/auth/register", "{")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(service.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn token_and_reset_errors_are_problems_that_reveal_nothing() {
    let service = stand_in(registered);
    let (status, _, body) = send(
        service.clone(),
        post("/v1/auth/verify-email", r#"{"token":"nope"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "https://plinth.dev/problems/invalid-token");
    let (status, _, body) = send(
        service.clone(),
        post("/v1/auth/password-reset", r#"{"email":"who@example.org"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, _, body) = send(service, post("/v1/auth/refresh", "{}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "refresh_token");
}
