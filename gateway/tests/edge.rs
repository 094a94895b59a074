//! The gateway's edge behaviour, through `router` with `oneshot` (no socket): parsing, problem
//! documents and the mapping of service errors. The identity service is replaced by a stand-in
//! that answers what each test needs; everything it would store is covered end to end in
//! `tests/`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use plinth_domain_core::CommandMetadata;
use plinth_domain_core::ConsistencyToken;
use plinth_domain_identity::session::RevocationReason;
use plinth_domain_identity::{PasswordPolicy, UserId};
use plinth_gateway::{AppState, router};
use plinth_services_identity::{
    IdentityApi, IdentityError, Registered, Registration, SignedIn, TokenService, TokenSettings,
};
use serde_json::Value;
use tower::ServiceExt;

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

    async fn change_display_name(
        &self,
        _: UserId,
        _: plinth_domain_identity::DisplayName,
        _: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        Err(IdentityError::NotFound)
    }

    async fn change_password(
        &self,
        _: UserId,
        _: uuid::Uuid,
        _: String,
        _: String,
        _: PasswordPolicy,
        _: CommandMetadata,
    ) -> Result<ConsistencyToken, IdentityError> {
        Err(IdentityError::NotFound)
    }

    async fn login(
        &self,
        _: plinth_domain_identity::Email,
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
        _: uuid::Uuid,
        _: RevocationReason,
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
        _: plinth_domain_identity::Email,
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

/// Signing keys live in Postgres, so these tests get a fresh database for them.
async fn tokens() -> Arc<TokenService> {
    let db = plinth_infra_postgres::testing::TestDatabase::create().await;
    let pool = plinth_infra_postgres::connect_pool(&db.url, 2).unwrap();
    plinth_infra_postgres::migrate(
        &mut pool.get().await.unwrap(),
        &plinth_services_identity::tokens::MIGRATIONS,
    )
    .await
    .unwrap();
    let settings = TokenSettings {
        issuer: "https://id.test".into(),
        audience: "plinth".into(),
        access_ttl: Duration::from_secs(900),
    };
    Arc::new(TokenService::start(pool, settings, None).await.unwrap())
}

async fn state(identity: Arc<StandIn>) -> AppState {
    // Never connected either: no request here reaches the authz service.
    let authz: Arc<dyn plinth_services_authz::AuthzApi> =
        Arc::new(plinth_services_authz::AuthzService::new(
            sqlx::PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap(),
        ));
    AppState {
        denials: plinth_gateway::Denials::start(
            authz.clone(),
            Duration::from_secs(10),
            tokio_util::sync::CancellationToken::new(),
        ),
        authz,
        registry: Arc::new(
            plinth_domain_permissions::Registry::new([
                &plinth_gateway::MANIFEST,
                &plinth_services_identity::MANIFEST,
                &plinth_services_authz::MANIFEST,
                &plinth_services_audit::MANIFEST,
            ])
            .unwrap(),
        ),
        resources: Arc::default(),
        authorizer: Arc::new(plinth_gateway::ViewAuthorizer(Arc::default())),
        authz_view: Arc::default(),
        tokens: tokens().await,
        identity,
        // Never connected: these requests do not reach the read models.
        read_pool: plinth_infra_postgres::connect_pool("postgres://nobody@127.0.0.1:1/none", 1)
            .unwrap(),
        probes: Arc::new(vec![]),
        consistency_wait: Duration::from_millis(10),
        request_timeout: Duration::from_secs(5),
        password_policy: PasswordPolicy::default(),
        session_idle: Duration::from_secs(1800),
        base_domain: Some("plinth.test".into()),
    }
}

fn stand_in(outcome: fn(UserId) -> Result<Registered, IdentityError>) -> Arc<StandIn> {
    Arc::new(StandIn {
        outcome,
        seen: Mutex::default(),
    })
}

async fn send(
    identity: Arc<StandIn>,
    request: Request<Body>,
) -> (StatusCode, http::HeaderMap, Value) {
    let response = router(state(identity).await, Vec::new())
        .unwrap()
        .oneshot(request)
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn register(body: &str) -> Request<Body> {
    Request::post("/v1/auth/register")
        .header("content-type", "application/json")
        .header("x-tenant-id", "acme")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn a_valid_registration_is_parsed_at_the_edge_and_answered_201_with_location_and_token() {
    let identity = stand_in(registered);
    let (status, headers, body) =
        send(identity.clone(), register(r#"{"email":" Ada@Example.ORG ","password":"correct horse battery","display_name":" Ada "}"#)).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = body["id"].as_str().unwrap();
    assert_eq!(headers["location"], format!("/v1/users/{id}").as_str());
    assert_eq!(
        headers["consistency-token"],
        body["consistency_token"].as_str().unwrap()
    );
    let seen = identity.seen.lock().unwrap();
    let (registration, metadata) = &seen[0];
    assert_eq!(registration.email.as_str(), "ada@example.org");
    assert_eq!(registration.display_name.as_str(), "Ada");
    assert_eq!(metadata.tenant_id.as_str(), "acme");
    assert_eq!(
        metadata.correlation_id, metadata.causation_id,
        "a request starts a causal chain"
    );
}

#[tokio::test]
async fn a_taken_email_is_a_409_problem_and_a_store_outage_a_503_that_hides_its_cause() {
    let (status, headers, body) = send(
        stand_in(|_| Err(IdentityError::EmailTaken)),
        register(
            r#"{"email":"a@example.org","password":"correct horse battery","display_name":"A"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["type"], "https://plinth.dev/problems/conflict");

    let (status, headers, body) = send(
        stand_in(|_| {
            Err(IdentityError::Unavailable(
                "connection refused at 10.0.0.7:5432".into(),
            ))
        }),
        register(
            r#"{"email":"a@example.org","password":"correct horse battery","display_name":"A"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "1");
    assert!(
        !body.to_string().contains("10.0.0.7"),
        "internal details stay in the logs: {body}"
    );
}

#[tokio::test]
async fn invalid_input_never_reaches_the_service() {
    let identity = stand_in(registered);
    let (status, _, body) = send(
        identity.clone(),
        register(r#"{"email":"x","password":"p","display_name":"d"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
    let (status, _, _) = send(identity.clone(), register("{")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(identity.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let (status, headers, body) = send(
        stand_in(registered),
        Request::get("/nowhere").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], 404);
    assert_eq!(body["detail"], "no route for /nowhere");
}

fn register_at(host: &str) -> Request<Body> {
    Request::post("/v1/auth/register")
        .header("content-type", "application/json")
        .header("host", host)
        .body(Body::from(
            r#"{"email":"a@example.org","password":"correct horse battery","display_name":"A"}"#,
        ))
        .unwrap()
}

#[tokio::test]
async fn the_tenant_comes_from_the_subdomain_of_the_base_domain() {
    let identity = stand_in(registered);
    let (status, _, _) = send(identity.clone(), register_at("globex.plinth.test:8080")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = send(identity.clone(), register_at("plinth.test")).await;
    assert_eq!(status, StatusCode::CREATED);
    let tenants: Vec<String> = identity
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, m)| m.tenant_id.to_string())
        .collect();
    assert_eq!(tenants, ["globex", "default"]);
    let (status, _, body) = send(identity.clone(), register_at("a.b.plinth.test")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("<tenant>.plinth.test")
    );
}

#[tokio::test]
async fn token_and_reset_errors_are_problems_that_reveal_nothing() {
    let identity = stand_in(registered);
    let post = |path: &str, body: &str| {
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let (status, _, body) = send(
        identity.clone(),
        post("/v1/auth/verify-email", r#"{"token":"nope"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "https://plinth.dev/problems/invalid-token");
    let (status, _, body) = send(
        identity.clone(),
        post("/v1/auth/password-reset", r#"{"email":"who@example.org"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, _, body) = send(identity, post("/v1/auth/refresh", "{}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "refresh_token");
}

#[tokio::test]
async fn a_tenant_header_that_contradicts_the_subdomain_is_refused() {
    let identity = stand_in(registered);
    let mut request = register_at("globex.plinth.test");
    request
        .headers_mut()
        .insert("x-tenant-id", http::HeaderValue::from_static("acme"));
    let (status, _, body) = send(identity.clone(), request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("acme"));
    assert!(identity.seen.lock().unwrap().is_empty());
}
