//! Sessions: sign in, refresh, sign out, the caller's sessions, and the keys that verify
//! access tokens.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use plinth_domain_core::CommandMetadata;
use plinth_domain_identity::session::RevocationReason;
use plinth_domain_identity::{Email, PasswordPolicy, UserId};
use plinth_infra_edge::Path;
use plinth_infra_edge::{
    ApiError, Body, Caller, FieldError, FieldErrors, FromBody, Limits, NoContext, Problem,
    RequestMetadata, Views, rfc3339,
};
use plinth_projections_sessions::{NAME as SESSIONS_VIEW, SessionView};
use plinth_services_identity_api::{IdentityError, SignedIn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Identity, path_id, read_error};

/// `{email, password}`: a password longer than any the policy accepts is refused before it
/// reaches the hasher; the address is parsed by the handler (a malformed one cannot belong to
/// anyone: the same answer as a wrong password).
pub(crate) struct Credentials {
    email: String,
    password: String,
}

/// An e-mail address and a password.
#[derive(Deserialize, ToSchema)]
#[schema(as = Credentials)]
pub(crate) struct RawCredentials {
    #[schema(required = true, value_type = String, format = Email, example = "ada@example.org")]
    email: Option<String>,
    #[schema(required = true, value_type = String, format = Password, example = "correct horse battery")]
    password: Option<String>,
}

impl FromBody for Credentials {
    type Raw = RawCredentials;
    type Context = PasswordPolicy;
    fn from_body(raw: RawCredentials, policy: &PasswordPolicy) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let email = errors.present("email", raw.email);
        let password = errors.required("password", raw.password, |p| {
            policy.presented(&p).map(|()| p)
        });
        errors.finish(|| {
            Some(Self {
                email: email?,
                password: password?,
            })
        })
    }
}

/// The token response of login and refresh (the shape OAuth 2.0 clients know).
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenResponse {
    /// An EdDSA JWT; send it as `Authorization: Bearer <token>`.
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds the access token works.
    expires_in: u64,
    refresh_token: String,
    /// Seconds the refresh token works unless refreshed.
    refresh_expires_in: u64,
    session_id: Uuid,
}

impl Identity {
    /// Signs an access token for the session `signed_in` started or continued, in `tenant`.
    fn tokens_for(&self, signed_in: SignedIn, tenant: &str) -> Result<Response, ApiError> {
        let issued = self
            .tokens
            .issue(signed_in.user_id.0, tenant, signed_in.session_id)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let mut response = Json(TokenResponse {
            access_token: issued.token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            refresh_token: signed_in.refresh_token,
            refresh_expires_in: signed_in.refresh_expires_in,
            session_id: signed_in.session_id,
        })
        .into_response();
        // Tokens must not be cached (RFC 6749 §5.1).
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok(response)
    }
}

/// `POST /v1/auth/login {email, password}` → `{access_token, refresh_token, token_type,
/// expires_in, …}`.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "identity",
    summary = "Sign in",
    request_body = RawCredentials,
    responses(
        (status = 200, description = "Signed in: a new session.", body = TokenResponse),
        (status = 401, description = "Invalid e-mail address or password (the same answer for both).", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "The right password for a disabled account.", content_type = "application/problem+json", body = Problem),
        (status = 423, description = "Locked after too many failed logins; see Retry-After.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn login(
    State(identity): State<Identity>,
    RequestMetadata(metadata): RequestMetadata,
    limits: Limits,
    Body(credentials): Body<Credentials>,
) -> Result<Response, ApiError> {
    limits.account(credentials.email.trim())?;
    let email = Email::parse(&credentials.email).map_err(|_| ApiError::InvalidCredentials)?;
    let tenant = metadata.tenant_id.clone();
    let signed_in = identity
        .service
        .login(email, credentials.password, metadata)
        .await?;
    identity.tokens_for(signed_in, tenant.as_str())
}

/// `{refresh_token}`.
pub(crate) struct RefreshToken(String);

/// A refresh token.
#[derive(Deserialize, ToSchema)]
#[schema(as = RefreshRequest)]
pub(crate) struct RawRefreshToken {
    #[schema(required = true, value_type = String)]
    refresh_token: Option<String>,
}

impl FromBody for RefreshToken {
    type Raw = RawRefreshToken;
    type Context = NoContext;
    fn from_body(raw: RawRefreshToken, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let token = errors.present("refresh_token", raw.refresh_token);
        errors.finish(|| token.map(Self))
    }
}

/// `POST /v1/auth/refresh {refresh_token}` → a new token pair; the old refresh token is spent.
/// Presenting a spent one ends the whole session.
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "identity",
    summary = "Refresh a session",
    request_body = RawRefreshToken,
    responses(
        (status = 200, description = "A new token pair; the refresh token presented is spent.", body = TokenResponse),
        (status = 400, description = "The refresh token is invalid, expired or spent (a spent one ends its whole session).", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn refresh(
    State(identity): State<Identity>,
    RequestMetadata(metadata): RequestMetadata,
    Body(RefreshToken(token)): Body<RefreshToken>,
) -> Result<Response, ApiError> {
    let tenant = metadata.tenant_id.clone();
    let signed_in = identity.service.refresh(&token, metadata).await?;
    identity.tokens_for(signed_in, tenant.as_str())
}

/// `POST /v1/auth/logout` → 204: ends the caller's session. Answers once the session view
/// knows, so the access token stops working at once.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "identity",
    summary = "Sign out",
    responses((status = 204, description = "The session has ended; its tokens stop working."))
)]
pub(crate) async fn logout(
    State(identity): State<Identity>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    views: Views,
) -> Result<StatusCode, ApiError> {
    let session = caller.session_id;
    end(
        &identity,
        &caller,
        session,
        RevocationReason::Logout,
        metadata,
        &views,
    )
    .await
}

/// One of the caller's sessions.
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionBody {
    id: Uuid,
    /// The session of the access token asking.
    current: bool,
    started_at: String,
    last_refreshed_at: Option<String>,
    expires_at: String,
    idle_expires_at: String,
}

/// The caller's sessions that still work.
#[derive(Serialize, ToSchema)]
pub(crate) struct Sessions {
    sessions: Vec<SessionBody>,
}

/// `GET /v1/auth/sessions` → `{sessions: [...]}`: the caller's sessions that still work.
#[utoipa::path(
    get,
    path = "/v1/auth/sessions",
    operation_id = "list_sessions",
    tag = "identity",
    summary = "List the caller's sessions",
    responses((status = 200, description = "The caller's sessions that still work.", body = Sessions))
)]
pub(crate) async fn list(
    State(identity): State<Identity>,
    caller: Caller,
) -> Result<Json<Sessions>, ApiError> {
    let client = identity.read().await?;
    let sessions = plinth_projections_sessions::list_sessions(
        &client,
        caller.tenant.as_str(),
        caller.user_id,
        identity.session_idle,
    )
    .await
    .map_err(read_error)?;
    let idle = chrono::TimeDelta::from_std(identity.session_idle).unwrap_or(chrono::TimeDelta::MAX);
    let body = |s: SessionView| SessionBody {
        id: s.id,
        current: s.id == caller.session_id,
        started_at: rfc3339(s.started_at),
        last_refreshed_at: s.last_refreshed_at.map(rfc3339),
        expires_at: rfc3339(s.expires_at),
        idle_expires_at: rfc3339(s.last_refreshed_at.unwrap_or(s.started_at) + idle),
    };
    Ok(Json(Sessions {
        sessions: sessions.into_iter().map(body).collect(),
    }))
}

/// `DELETE /v1/auth/sessions/{id}` → 204: ends one of the caller's sessions (another
/// user's is "not found").
#[utoipa::path(
    delete,
    path = "/v1/auth/sessions/{id}",
    tag = "identity",
    summary = "End one of the caller's sessions",
    params(("id" = String, Path, description = "The session's id (a UUID).")),
    responses(
        (status = 204, description = "The session has ended; its tokens stop working."),
        (status = 404, description = "No such session of the caller's.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn revoke(
    State(identity): State<Identity>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    views: Views,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let session = path_id(&id)?;
    end(
        &identity,
        &caller,
        session,
        RevocationReason::Revoked,
        metadata,
        &views,
    )
    .await
}

/// Ends `session` of the caller and waits until the session view knows, so that its access
/// tokens are refused from the next request on.
async fn end(
    identity: &Identity,
    caller: &Caller,
    session: Uuid,
    reason: RevocationReason,
    metadata: CommandMetadata,
    views: &Views,
) -> Result<StatusCode, ApiError> {
    let token = identity
        .service
        .revoke_session(UserId(caller.user_id), session, reason, metadata)
        .await
        .map_err(|e| match e {
            IdentityError::NotFound => ApiError::NotFound(format!("no session {session}")),
            other => other.into(),
        })?;
    views.0.applied(&token, SESSIONS_VIEW).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /.well-known/jwks.json`: the public keys that verify access tokens.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "identity",
    summary = "The keys that verify access tokens",
    responses((status = 200, description = "A JSON Web Key Set (Ed25519 keys, `OKP`).", body = Object))
)]
pub(crate) async fn jwks(State(identity): State<Identity>) -> Response {
    let mut response = Json(identity.tokens.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
