//! The gateway's edge behaviour, through `router` with `oneshot` (no socket): tenant
//! resolution, typed bodies and problem documents, authentication once per request, and the
//! guards deciding with the ports. The ports are stand-ins that answer what each test needs and
//! remember what they were asked; the real identity and authz modules are covered end to end
//! in `tests/`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Json;
use axum::body::Body as HttpBody;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use plinth_domain_core::{CommandMetadata, ConsistencyToken, TenantId};
use plinth_domain_permissions::{
    Access, Manifest, Permission, PermissionInfo, Registry, RouteInfo,
};
use plinth_gateway::{AppState, router};
use plinth_infra_edge::{
    AccessRecord, ApiError, Authenticate, Authorize, Body, Caller, Check, Decision, FieldError,
    FieldErrors, Freshness, FromBody, Limits, NoContext, RequestMetadata, ResourceRef, Subject,
};
use plinth_infra_module::Http;
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

const NOTE_READ: Permission = Permission::declared("probe.note.read", false);

static PROBE: Manifest = Manifest {
    name: "probe",
    version: "1",
    permissions: &[PermissionInfo {
        permission: NOTE_READ,
        description: "Read notes.",
    }],
    routes: &[
        RouteInfo {
            module: "probe",
            method: "POST",
            path: "/v1/echo",
            access: Access::Public,
            owner_param: None,
            resource: None,
            credentials: false,
        },
        RouteInfo {
            module: "probe",
            method: "GET",
            path: "/v1/whoami",
            access: Access::Authenticated,
            owner_param: None,
            resource: None,
            credentials: false,
        },
        RouteInfo {
            module: "probe",
            method: "GET",
            path: "/v1/notes",
            access: Access::Permission(NOTE_READ),
            owner_param: None,
            resource: None,
            credentials: false,
        },
    ],
    jobs: &[],
};

/// `{name, age}`: a name of at most 5 characters, an age from 0 to 150.
struct Echo {
    name: String,
    age: u8,
}

#[derive(Deserialize)]
struct RawEcho {
    name: Option<String>,
    age: Option<i64>,
}

impl FromBody for Echo {
    type Raw = RawEcho;
    type Context = NoContext;
    fn from_body(raw: RawEcho, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let name = errors.required("name", raw.name, |n| {
            if n.chars().count() <= 5 {
                Ok(n)
            } else {
                Err("must be at most 5 characters")
            }
        });
        let age = errors.required("age", raw.age, |a| {
            u8::try_from(a)
                .ok()
                .filter(|a| *a <= 150)
                .ok_or("must be from 0 to 150")
        });
        errors.finish(|| {
            Some(Self {
                name: name?,
                age: age?,
            })
        })
    }
}

/// Spends the named account's credential budget, as a sign-in handler does.
async fn echo(
    RequestMetadata(metadata): RequestMetadata,
    limits: Limits,
    Body(echo): Body<Echo>,
) -> Result<Json<Value>, ApiError> {
    limits.account(&echo.name)?;
    Ok(Json(
        json!({ "tenant": metadata.tenant_id.as_str(), "name": echo.name, "age": echo.age }),
    ))
}

async fn whoami(caller: Caller, RequestMetadata(metadata): RequestMetadata) -> Json<Value> {
    Json(json!({
        "user": caller.user_id,
        "tenant": caller.tenant.as_str(),
        "acting_tenant": metadata.tenant_id.as_str(),
    }))
}

async fn notes() -> Json<Value> {
    Json(json!({ "notes": [] }))
}

/// Accepts `Bearer <user uuid>@<tenant>`, counting how often it is asked.
#[derive(Default)]
struct Tokens {
    asked: Mutex<u32>,
}

#[async_trait]
impl Authenticate for Tokens {
    async fn authenticate(&self, token: &str) -> Result<Caller, ApiError> {
        *self.asked.lock().unwrap() += 1;
        let (user, tenant) = token
            .split_once('@')
            .ok_or_else(|| ApiError::Unauthorized("not a stand-in token".into()))?;
        Ok(Caller {
            user_id: Uuid::try_parse(user)
                .map_err(|_| ApiError::Unauthorized("not a user id".into()))?,
            tenant: TenantId::parse(tenant).unwrap(),
            session_id: Uuid::nil(),
        })
    }
}

/// Allows `probe.note.read` to `reader` alone, remembering every denial.
struct Policy {
    reader: Uuid,
    denied: Mutex<Vec<AccessRecord>>,
}

#[async_trait]
impl Check for Policy {
    async fn check(
        &self,
        subject: Subject<'_>,
        _: Permission,
        _: Option<ResourceRef<'_>>,
    ) -> Decision {
        let allowed = subject.user_id == self.reader;
        Decision {
            allowed,
            reason: if allowed { "reader" } else { "no binding" }.into(),
        }
    }
    fn may_administer(&self, _: &TenantId, _: Uuid, _: Uuid) -> Result<(), String> {
        Ok(())
    }
    fn record_denial(&self, decision: AccessRecord, _: CommandMetadata) {
        self.denied.lock().unwrap().push(decision);
    }
}

#[async_trait]
impl Authorize for Policy {
    fn decides_on(&self, _: &ConsistencyToken) -> bool {
        false
    }
    async fn wait_for(&self, _: &ConsistencyToken, _: Duration) -> bool {
        true
    }
    async fn current_for(&self, _: Uuid, _: Duration) -> Result<(), ApiError> {
        Ok(())
    }
    async fn record(&self, _: AccessRecord, _: &CommandMetadata) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Every write is applied at once.
struct Fresh;

#[async_trait]
impl Freshness for Fresh {
    async fn committed(&self, _: &ConsistencyToken, _: &TenantId) -> Result<(), ApiError> {
        Ok(())
    }
    async fn applied(&self, _: &ConsistencyToken, _: &str) -> Result<(), ApiError> {
        Ok(())
    }
}

struct Edge {
    tokens: Arc<Tokens>,
    policy: Arc<Policy>,
    reader: Uuid,
}

impl Edge {
    fn new() -> Self {
        let reader = Uuid::now_v7();
        Self {
            tokens: Arc::default(),
            policy: Arc::new(Policy {
                reader,
                denied: Mutex::default(),
            }),
            reader,
        }
    }

    async fn state(&self) -> AppState {
        AppState {
            registry: Arc::new(Registry::new([&plinth_gateway::MANIFEST, &PROBE]).unwrap()),
            resources: Arc::default(),
            authenticator: self.tokens.clone(),
            authorizer: self.policy.clone(),
            freshness: Arc::new(Fresh),
            readiness: plinth_gateway::Readiness::start(
                vec![],
                Duration::from_secs(60),
                tokio_util::sync::CancellationToken::new(),
            )
            .await,
            consistency_wait: Duration::from_millis(10),
            request_timeout: Duration::from_secs(5),
            base_domain: Some("plinth.test".into()),
            openapi: Arc::new("{}".into()),
            docs: plinth_gateway::docs_page(),
            body_limit: 64,
            cors_origins: vec!["https://app.example.com".into()],
            limits: plinth_gateway::Limits::start(
                plinth_gateway::RateLimits {
                    credentials_per_minute: 0,
                    requests_per_second: 0,
                },
                tokio_util::sync::CancellationToken::new(),
            ),
        }
    }

    async fn send(&self, request: Request<HttpBody>) -> (StatusCode, http::HeaderMap, Value) {
        let state = self.state().await;
        let http = Http::default()
            .route(Method::POST, "/v1/echo", echo, ())
            .route(Method::GET, "/v1/whoami", whoami, ())
            .route(Method::GET, "/v1/notes", notes, ());
        let response = router(state, http.routes)
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
}

fn post() -> http::request::Builder {
    Request::post("/v1/echo").header("content-type", "application/json")
}

fn echo_request(body: &str) -> Request<HttpBody> {
    post().body(HttpBody::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn a_valid_body_is_parsed_at_the_edge_in_the_tenant_the_request_names() {
    let (status, _, body) = Edge::new()
        .send(
            post()
                .header("x-tenant-id", "acme")
                .body(HttpBody::from(r#"{"name":"Ada","age":36}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"tenant": "acme", "name": "Ada", "age": 36}));
}

#[tokio::test]
async fn every_bad_field_is_named_in_one_422_whatever_is_wrong_with_it() {
    let edge = Edge::new();
    // Mistyped, invalid and unknown at once: each named once.
    let (status, headers, body) = edge
        .send(echo_request(r#"{"name":"Adalovelace","age":"old"}"#))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(
        body["errors"],
        json!([
            {"field": "age", "message": "must be a whole number"},
            {"field": "name", "message": "must be at most 5 characters"},
        ]),
        "{body}"
    );
    let (status, _, body) = edge.send(echo_request("{}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"],
        json!([
            {"field": "name", "message": "is required"},
            {"field": "age", "message": "is required"},
        ])
    );
    let (status, _, body) = edge.send(echo_request(r#"{"name": "#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
    let (status, _, _) = edge.send(echo_request("[1]")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let text = Request::post("/v1/echo")
        .header("content-type", "text/plain")
        .body(HttpBody::from("{}"))
        .unwrap();
    assert_eq!(edge.send(text).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let edge = Edge::new();
    let (status, headers, body) = edge
        .send(Request::get("/nowhere").body(HttpBody::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["detail"], "no route for /nowhere");
    let (status, _, body) = edge
        .send(Request::delete("/v1/echo").body(HttpBody::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}

fn echo_at(host: &str) -> Request<HttpBody> {
    post()
        .header("host", host)
        .body(HttpBody::from(r#"{"name":"A","age":1}"#))
        .unwrap()
}

#[tokio::test]
async fn the_tenant_comes_from_the_subdomain_of_the_base_domain() {
    let edge = Edge::new();
    let (status, _, body) = edge.send(echo_at("globex.plinth.test:8080")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tenant"], "globex");
    let (_, _, body) = edge.send(echo_at("plinth.test")).await;
    assert_eq!(body["tenant"], "default");
    let (status, _, body) = edge.send(echo_at("a.b.plinth.test")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("<tenant>.plinth.test")
    );
    let mut contradicted = echo_at("globex.plinth.test");
    contradicted
        .headers_mut()
        .insert("x-tenant-id", http::HeaderValue::from_static("acme"));
    let (status, _, body) = edge.send(contradicted).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("acme"));
}

fn whoami_as(token: Option<&str>, tenant: Option<&str>) -> Request<HttpBody> {
    let mut request = Request::get("/v1/whoami");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(tenant) = tenant {
        request = request.header("x-tenant-id", tenant);
    }
    request.body(HttpBody::empty()).unwrap()
}

#[tokio::test]
async fn a_caller_is_authenticated_once_and_acts_in_their_own_tenant() {
    let edge = Edge::new();
    let (status, headers, _) = edge.send(whoami_as(None, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key("www-authenticate"));
    assert_eq!(*edge.tokens.asked.lock().unwrap(), 0);

    let user = Uuid::now_v7();
    let token = format!("{user}@acme");
    let (status, _, body) = edge.send(whoami_as(Some(&token), None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"user": user, "tenant": "acme", "acting_tenant": "acme"})
    );
    assert_eq!(
        *edge.tokens.asked.lock().unwrap(),
        1,
        "the guard's caller is the handler's"
    );

    let (status, _, body) = edge.send(whoami_as(Some(&token), Some("globex"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["detail"], "the access token belongs to another tenant");
}

#[tokio::test]
async fn a_permission_route_runs_for_holders_and_records_every_denial() {
    let edge = Edge::new();
    let notes_as = |user: Uuid| {
        Request::get("/v1/notes")
            .header("authorization", format!("Bearer {user}@acme"))
            .header("user-agent", "probe/1")
            .body(HttpBody::empty())
            .unwrap()
    };
    let (status, _, body) = edge.send(notes_as(edge.reader)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(edge.policy.denied.lock().unwrap().is_empty());

    let stranger = Uuid::now_v7();
    let (status, _, body) = edge.send(notes_as(stranger)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["detail"], "no binding");
    let denied = edge.policy.denied.lock().unwrap();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].subject, stranger);
    assert_eq!(denied[0].permission, NOTE_READ);
    assert_eq!(denied[0].route.as_deref(), Some("GET /v1/notes"));
    assert_eq!(denied[0].user_agent.as_deref(), Some("probe/1"));
}

static CLASHING: Manifest = Manifest {
    name: "clash",
    version: "1",
    permissions: &[],
    routes: &[
        RouteInfo {
            module: "clash",
            method: "GET",
            path: "/v1/items/{id}",
            access: Access::Public,
            owner_param: None,
            resource: None,
            credentials: false,
        },
        RouteInfo {
            module: "clash",
            method: "DELETE",
            path: "/v1/items/{item}",
            access: Access::Public,
            owner_param: None,
            resource: None,
            credentials: false,
        },
    ],
    jobs: &[],
};

#[tokio::test]
async fn paths_differing_only_in_parameter_names_stop_the_gateway_by_name() {
    let edge = Edge::new();
    let mut state = edge.state().await;
    state.registry = Arc::new(Registry::new([&plinth_gateway::MANIFEST, &CLASHING]).unwrap());
    let http = Http::default()
        .route(Method::GET, "/v1/items/{id}", notes, ())
        .route(Method::DELETE, "/v1/items/{item}", notes, ());
    let Err(error) = router(state, http.routes) else {
        panic!("the clash was served");
    };
    assert_eq!(
        error.to_string(),
        "route /v1/items/{item} conflicts with /v1/items/{id}: paths that differ only in their parameters' names cannot both be served"
    );
}

#[test]
fn two_modules_naming_different_schemas_alike_stop_the_gateway() {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ComponentsBuilder, OpenApiBuilder};
    let with = |kind: Type| {
        OpenApiBuilder::new()
            .components(Some(
                ComponentsBuilder::new()
                    .schema("Created", ObjectBuilder::new().schema_type(kind))
                    .build(),
            ))
            .build()
    };
    let registry = Registry::new([&plinth_gateway::MANIFEST]).unwrap();
    let Err(error) = plinth_gateway::document(&registry, [with(Type::Object), with(Type::String)])
    else {
        panic!("the clash was documented");
    };
    assert!(
        error
            .to_string()
            .starts_with("two modules document different schemas named Created"),
        "{error}"
    );
    // The same schema twice is one schema.
    assert!(plinth_gateway::document(&registry, [with(Type::Object), with(Type::Object)]).is_ok());
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    let edge = Edge::new();
    let name = "x".repeat(100);
    let (status, headers, body) = edge
        .send(echo_request(&format!(r#"{{"name":"{name}","age":1}}"#)))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(
        body["type"],
        "https://plinth.dev/problems/payload-too-large"
    );
}

#[tokio::test]
async fn only_configured_origins_may_call_from_a_browser() {
    let edge = Edge::new();
    let preflight = |origin: &str| {
        Request::options("/v1/echo")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,consistency-token",
            )
            .body(HttpBody::empty())
            .unwrap()
    };
    let (status, headers, _) = edge.send(preflight("https://app.example.com")).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("consistency-token"), "{allowed}");
    let (_, headers, _) = edge.send(preflight("https://evil.example.net")).await;
    assert!(!headers.contains_key("access-control-allow-origin"));

    let mut request = echo_request(r#"{"name":"A","age":1}"#);
    request.headers_mut().insert(
        "origin",
        http::HeaderValue::from_static("https://app.example.com"),
    );
    let (status, headers, _) = edge.send(request).await;
    assert_eq!(status, StatusCode::OK);
    let exposed = headers["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("consistency-token"), "{exposed}");
}

/// Counts its checks.
#[derive(Default)]
struct Counting(Mutex<u32>);

#[async_trait]
impl plinth_gateway::ReadinessProbe for Counting {
    fn name(&self) -> &'static str {
        "counted"
    }
    async fn check(&self) -> Result<(), String> {
        *self.0.lock().unwrap() += 1;
        Ok(())
    }
}

#[tokio::test]
async fn readiness_is_answered_from_the_last_background_check() {
    let edge = Edge::new();
    let probe = Arc::new(Counting::default());
    let mut state = edge.state().await;
    state.readiness = plinth_gateway::Readiness::start(
        vec![probe.clone()],
        Duration::from_secs(3600),
        tokio_util::sync::CancellationToken::new(),
    )
    .await;
    state.registry = Arc::new(Registry::new([&plinth_gateway::MANIFEST]).unwrap());
    let router = router(state, Vec::new()).unwrap();
    let mut ready = 0;
    for _ in 0..200 {
        let response = router
            .clone()
            .oneshot(Request::get("/readyz").body(HttpBody::empty()).unwrap())
            .await
            .unwrap();
        if response.status() == StatusCode::OK {
            ready += 1;
        } else {
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    assert!(ready > 0, "the first check came");
    assert_eq!(
        *probe.0.lock().unwrap(),
        1,
        "one check served every request"
    );
}

#[tokio::test]
async fn an_account_has_its_own_credential_budget() {
    let edge = Edge::new();
    let mut state = edge.state().await;
    state.limits = plinth_gateway::Limits::start(
        plinth_gateway::RateLimits {
            credentials_per_minute: 2,
            requests_per_second: 0,
        },
        tokio_util::sync::CancellationToken::new(),
    );
    let http = Http::default()
        .route(Method::POST, "/v1/echo", echo, ())
        .route(Method::GET, "/v1/whoami", whoami, ())
        .route(Method::GET, "/v1/notes", notes, ());
    let router = router(state, http.routes).unwrap();
    let send = |name: &str| {
        let request = echo_request(&format!(r#"{{"name":"{name}","age":1}}"#));
        let router = router.clone();
        async move { router.oneshot(request).await.unwrap().status() }
    };
    assert_eq!(send("Ada").await, StatusCode::OK);
    assert_eq!(send("ada").await, StatusCode::OK, "the same account");
    assert_eq!(send("ADA").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        send("Bob").await,
        StatusCode::OK,
        "another account's budget"
    );
}
