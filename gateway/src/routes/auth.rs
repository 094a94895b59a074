use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use plinth_domain_identity::session::RevocationReason;
use plinth_domain_identity::{DisplayName, Email};
use plinth_services_identity::{IdentityError, Registration, SignedIn};
use serde_json::json;

use crate::json::JsonObject;
use plinth_infra_edge::CONSISTENCY_TOKEN_HEADER;
use plinth_infra_edge::{Caller, RequestMetadata};

use crate::consistency::wait_for_view;
use crate::{ApiError, AppState};
use plinth_projections_users::NAME as USERS_VIEW;

/// `POST /v1/auth/register {email, password, display_name}` → 201 `{id, consistency_token}`.
pub(crate) async fn register(
    State(state): State<AppState>,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let email = body.parsed("email", Email::parse, &mut errors);
    let password = body.parsed(
        "password",
        |p| state.password_policy.parse(p, email.as_ref()),
        &mut errors,
    );
    let display_name = body.parsed("display_name", DisplayName::parse, &mut errors);
    let (Some(email), Some(password), Some(display_name)) = (email, password, display_name) else {
        return Err(ApiError::Validation(errors));
    };
    let registered = state
        .identity
        .register(
            Registration {
                email,
                display_name,
                password,
            },
            metadata,
        )
        .await
        .map_err(identity_error)?;
    let token = registered.token.to_string();
    let location = format!("/v1/users/{}", registered.user_id);
    let mut response = (
        StatusCode::CREATED,
        Json(json!({ "id": registered.user_id.to_string(), "consistency_token": token })),
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&token) {
        headers.insert(CONSISTENCY_TOKEN_HEADER, v);
    }
    Ok(response)
}

/// Refuses a presented password (to compare with a stored hash) longer than any the policy
/// accepts, before it reaches the hasher.
fn presented(state: &AppState, field: &str, password: &str) -> Result<(), ApiError> {
    state.password_policy.presented(password).map_err(|e| {
        ApiError::Validation(vec![plinth_infra_edge::FieldError::new(
            field,
            e.to_string(),
        )])
    })
}

/// Maps an identity service error to its HTTP problem.
pub(crate) fn identity_error(e: IdentityError) -> ApiError {
    match e {
        IdentityError::EmailTaken
        | IdentityError::Conflict
        | IdentityError::AlreadyExists
        | IdentityError::AdministratorExists => ApiError::Conflict(e.to_string()),
        IdentityError::InvalidCredentials => ApiError::InvalidCredentials,
        IdentityError::Disabled => ApiError::AccountDisabled,
        IdentityError::InvalidToken => ApiError::InvalidToken,
        IdentityError::NotFound => ApiError::NotFound(e.to_string()),
        IdentityError::WeakPassword(reason) => {
            ApiError::Validation(vec![plinth_infra_edge::FieldError::new(
                "new_password",
                reason.to_string(),
            )])
        }
        IdentityError::Locked { until } => ApiError::Locked {
            retry_after: (until - chrono::Utc::now()).num_seconds(),
        },
        IdentityError::Unavailable(internal) => ApiError::Unavailable(internal),
        IdentityError::Internal(internal) => ApiError::Internal(internal),
    }
}

/// The token response of login and refresh (the shape OAuth 2.0 clients know).
fn token_response(
    state: &AppState,
    signed_in: &SignedIn,
    tenant: &str,
) -> Result<Response, ApiError> {
    let issued = state
        .tokens
        .issue(signed_in.user_id.0, tenant, signed_in.session_id)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = Json(json!({
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "refresh_token": signed_in.refresh_token,
        "refresh_expires_in": signed_in.refresh_expires_in,
        "session_id": signed_in.session_id,
    }))
    .into_response();
    // Tokens must not be cached (RFC 6749 §5.1).
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /v1/auth/login {email, password}` → `{access_token, refresh_token, token_type,
/// expires_in, …}`.
pub(crate) async fn login(
    State(state): State<AppState>,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let email = body.required_str("email", &mut errors);
    let password = body.required_str("password", &mut errors);
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::Validation(errors));
    };
    presented(&state, "password", password)?;
    // A malformed address cannot belong to anyone: the same answer as a wrong password.
    let email = Email::parse(email).map_err(|_| ApiError::InvalidCredentials)?;
    let tenant = metadata.tenant_id.clone();
    let signed_in = state
        .identity
        .login(email, password.to_owned(), metadata)
        .await
        .map_err(identity_error)?;
    token_response(&state, &signed_in, tenant.as_str())
}

/// `POST /v1/auth/refresh {refresh_token}` → a new token pair; the old refresh token is spent.
/// Presenting a spent one ends the whole session.
pub(crate) async fn refresh(
    State(state): State<AppState>,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let Some(token) = body.required_str("refresh_token", &mut errors) else {
        return Err(ApiError::Validation(errors));
    };
    let tenant = metadata.tenant_id.clone();
    let signed_in = state
        .identity
        .refresh(token, metadata)
        .await
        .map_err(identity_error)?;
    token_response(&state, &signed_in, tenant.as_str())
}

/// `POST /v1/auth/logout` → 204: ends the caller's session. Answers once the session view
/// knows, so the access token stops working at once.
pub(crate) async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
) -> Result<StatusCode, ApiError> {
    crate::routes::sessions::end_session(
        &state,
        &caller,
        caller.session_id,
        RevocationReason::Logout,
        metadata,
    )
    .await
}

/// `POST /v1/auth/verify-email {token}` → 204 once the address is verified.
pub(crate) async fn verify_email(
    State(state): State<AppState>,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<StatusCode, ApiError> {
    let mut errors = Vec::new();
    let Some(token) = body.required_str("token", &mut errors) else {
        return Err(ApiError::Validation(errors));
    };
    state
        .identity
        .verify_email(token, metadata)
        .await
        .map_err(identity_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/auth/password-reset {email}` → 202, whether or not the address has an account.
pub(crate) async fn request_password_reset(
    State(state): State<AppState>,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let email = body.parsed("email", Email::parse, &mut errors);
    let Some(email) = email else {
        return Err(ApiError::Validation(errors));
    };
    state
        .identity
        .request_password_reset(email, metadata)
        .await
        .map_err(identity_error)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "detail": "If an account uses this address, a reset e-mail is on its way."
        })),
    )
        .into_response())
}

/// `POST /v1/auth/password-reset/complete {token, new_password}` → 204; every session of the
/// account ends.
pub(crate) async fn complete_password_reset(
    State(state): State<AppState>,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<StatusCode, ApiError> {
    let mut errors = Vec::new();
    let token = body.required_str("token", &mut errors);
    let new = body.required_str("new_password", &mut errors);
    let (Some(token), Some(new)) = (token, new) else {
        return Err(ApiError::Validation(errors));
    };
    let written = state
        .identity
        .reset_password(token, new.to_owned(), state.password_policy, metadata)
        .await
        .map_err(identity_error)?;
    // The account's earlier sessions are refused from the next request on.
    wait_for_view(&state, USERS_VIEW, &written).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /.well-known/jwks.json`: the public keys that verify access tokens.
pub(crate) async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = Json(state.tokens.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// `POST /v1/auth/password {current_password, new_password}` → 204, once every other session
/// of the user is refused. A wrong current password is a 401 and counts as a failed login (so
/// the lockout applies: 423 while locked); a new one that breaks the policy a 422 naming the
/// rule.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    body: JsonObject,
) -> Result<StatusCode, ApiError> {
    let mut errors = Vec::new();
    let current = body.required_str("current_password", &mut errors);
    let new = body.required_str("new_password", &mut errors);
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::Validation(errors));
    };
    presented(&state, "current_password", current)?;
    let metadata = caller.acting(metadata);
    let written = state
        .identity
        .change_password(
            plinth_domain_identity::UserId(caller.user_id),
            caller.session_id,
            current.to_owned(),
            new.to_owned(),
            state.password_policy,
            metadata,
        )
        .await
        .map_err(identity_error)?;
    // The user's other sessions are refused from the next request on.
    wait_for_view(&state, USERS_VIEW, &written).await?;
    Ok(StatusCode::NO_CONTENT)
}
