//! Accounts: registration, e-mail verification, password reset and change.

use axum::extract::State;
use axum::response::{AppendHeaders, IntoResponse};
use http::{StatusCode, header};
use plinth_domain_identity::{DisplayName, Email, PasswordPolicy, UserId};
use plinth_infra_edge::{
    ApiError, Body, Caller, FieldError, FieldErrors, FromBody, Limits, NoContext, Problem,
    RequestMetadata, Views, WithToken, Written,
};
use plinth_projections_users::NAME as USERS_VIEW;
use plinth_services_identity_api::Registration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Identity;

/// `{email, password, display_name}`: the password checked against the policy (and the address).
pub(crate) struct NewAccount(Registration);

/// A new account.
#[derive(Deserialize, ToSchema)]
#[schema(as = Registration)]
pub(crate) struct RawAccount {
    /// Its e-mail address, unique in the tenant; a verification mail is sent to it.
    #[schema(required = true, value_type = String, format = Email, example = "ada@example.org")]
    email: Option<String>,
    /// 12 to 128 characters (as configured), not containing the address.
    #[schema(required = true, value_type = String, format = Password, example = "correct horse battery")]
    password: Option<String>,
    #[schema(required = true, value_type = String, example = "Ada Lovelace")]
    display_name: Option<String>,
}

impl FromBody for NewAccount {
    type Raw = RawAccount;
    type Context = PasswordPolicy;
    fn from_body(raw: RawAccount, policy: &PasswordPolicy) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let email = errors.required("email", raw.email, |e| Email::parse(&e));
        let password = errors.required("password", raw.password, |p| {
            policy.parse(&p, email.as_ref())
        });
        let display_name =
            errors.required("display_name", raw.display_name, |d| DisplayName::parse(&d));
        errors.finish(|| {
            Some(Self(Registration {
                email: email?,
                password: password?,
                display_name: display_name?,
            }))
        })
    }
}

/// A new account's id.
#[derive(Serialize, ToSchema)]
#[schema(as = Registered)]
pub(crate) struct Created {
    #[schema(value_type = uuid::Uuid)]
    id: UserId,
}

/// `POST /v1/auth/register {email, password, display_name}` → 201 `{id, consistency_token}`
/// with its `Location`.
#[utoipa::path(
    post,
    path = "/v1/auth/register",
    tag = "identity",
    summary = "Register an account",
    request_body = RawAccount,
    responses(
        (status = 201, description = "Registered; a verification mail is on its way.", body = WithToken<Created>,
            headers(("Location" = String, description = "The user's URL."), ("Consistency-Token" = String, description = "Read the new user with it."))),
        (status = 409, description = "An account with this address exists in the tenant.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn register(
    State(identity): State<Identity>,
    RequestMetadata(metadata): RequestMetadata,
    limits: Limits,
    Body(NewAccount(registration)): Body<NewAccount>,
) -> Result<impl IntoResponse, ApiError> {
    limits.account(registration.email.as_str())?;
    let registered = identity.service.register(registration, metadata).await?;
    let location = format!("/v1/users/{}", registered.user_id);
    Ok((
        AppendHeaders([(header::LOCATION, location)]),
        Written {
            status: StatusCode::CREATED,
            token: registered.token,
            body: Created {
                id: registered.user_id,
            },
        },
    ))
}

/// `{token}`: a mailed single-use token.
pub(crate) struct MailedToken(String);

/// A mailed token.
#[derive(Deserialize, ToSchema)]
#[schema(as = MailedToken)]
pub(crate) struct RawMailedToken {
    /// The token from the mail.
    #[schema(required = true, value_type = String, example = "01a2522d4553751200000000.c2VjcmV0")]
    token: Option<String>,
}

impl FromBody for MailedToken {
    type Raw = RawMailedToken;
    type Context = NoContext;
    fn from_body(raw: RawMailedToken, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let token = errors.present("token", raw.token);
        errors.finish(|| token.map(Self))
    }
}

/// `POST /v1/auth/verify-email {token}` → 204 once the address is verified.
#[utoipa::path(
    post,
    path = "/v1/auth/verify-email",
    tag = "identity",
    summary = "Verify an e-mail address",
    request_body = RawMailedToken,
    responses(
        (status = 204, description = "The address is verified."),
        (status = 400, description = "The token is invalid, expired or used.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn verify_email(
    State(identity): State<Identity>,
    RequestMetadata(metadata): RequestMetadata,
    Body(MailedToken(token)): Body<MailedToken>,
) -> Result<StatusCode, ApiError> {
    identity.service.verify_email(&token, metadata).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{email}`.
pub(crate) struct ResetRequest(Email);

/// Whose password to reset.
#[derive(Deserialize, ToSchema)]
#[schema(as = ResetRequest)]
pub(crate) struct RawResetRequest {
    #[schema(required = true, value_type = String, format = Email, example = "ada@example.org")]
    email: Option<String>,
}

impl FromBody for ResetRequest {
    type Raw = RawResetRequest;
    type Context = NoContext;
    fn from_body(raw: RawResetRequest, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let email = errors.required("email", raw.email, |e| Email::parse(&e));
        errors.finish(|| email.map(Self))
    }
}

/// What a reset request answers, whatever the address.
#[derive(Serialize, ToSchema)]
#[schema(as = ResetRequested)]
pub(crate) struct ResetRequested {
    detail: &'static str,
}

/// `POST /v1/auth/password-reset {email}` → 202, whether or not the address has an account.
#[utoipa::path(
    post,
    path = "/v1/auth/password-reset",
    tag = "identity",
    summary = "Ask for a password-reset mail",
    request_body = RawResetRequest,
    responses((status = 202, description = "The same answer whether or not the address has an account.", body = ResetRequested))
)]
pub(crate) async fn request_password_reset(
    State(identity): State<Identity>,
    RequestMetadata(metadata): RequestMetadata,
    limits: Limits,
    Body(ResetRequest(email)): Body<ResetRequest>,
) -> Result<impl IntoResponse, ApiError> {
    limits.account(email.as_str())?;
    identity
        .service
        .request_password_reset(email, metadata)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ResetRequested {
            detail: "If an account uses this address, a reset e-mail is on its way.",
        }),
    ))
}

/// `{token, new_password}`: the new password is checked by the service, once the token is.
pub(crate) struct Reset {
    token: String,
    new_password: String,
}

/// A reset: the mailed token and the new password.
#[derive(Deserialize, ToSchema)]
#[schema(as = PasswordReset)]
pub(crate) struct RawReset {
    #[schema(required = true, value_type = String, example = "01a2522d4553751200000000.c2VjcmV0")]
    token: Option<String>,
    #[schema(required = true, value_type = String, format = Password, example = "a new horse battery")]
    new_password: Option<String>,
}

impl FromBody for Reset {
    type Raw = RawReset;
    type Context = NoContext;
    fn from_body(raw: RawReset, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let token = errors.present("token", raw.token);
        let new_password = errors.present("new_password", raw.new_password);
        errors.finish(|| {
            Some(Self {
                token: token?,
                new_password: new_password?,
            })
        })
    }
}

/// `POST /v1/auth/password-reset/complete {token, new_password}` → 204; every session of the
/// account ends (refused from the next request on: it answers once the users view knows).
#[utoipa::path(
    post,
    path = "/v1/auth/password-reset/complete",
    tag = "identity",
    summary = "Reset a password with a mailed token",
    request_body = RawReset,
    responses(
        (status = 204, description = "The password is replaced; every session of the account has ended."),
        (status = 400, description = "The token is invalid, expired or used.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn complete_password_reset(
    State(identity): State<Identity>,
    RequestMetadata(metadata): RequestMetadata,
    views: Views,
    Body(reset): Body<Reset>,
) -> Result<StatusCode, ApiError> {
    let written = identity
        .service
        .reset_password(
            &reset.token,
            reset.new_password,
            identity.password_policy,
            metadata,
        )
        .await?;
    views.0.applied(&written, USERS_VIEW).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{current_password, new_password}`: a current password longer than any the policy accepts
/// is refused before it reaches the hasher.
pub(crate) struct PasswordChange {
    current: String,
    new: String,
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[schema(as = PasswordChange)]
pub(crate) struct RawPasswordChange {
    #[schema(required = true, value_type = String, format = Password, example = "correct horse battery")]
    current_password: Option<String>,
    #[schema(required = true, value_type = String, format = Password, example = "a new horse battery")]
    new_password: Option<String>,
}

impl FromBody for PasswordChange {
    type Raw = RawPasswordChange;
    type Context = PasswordPolicy;
    fn from_body(raw: RawPasswordChange, policy: &PasswordPolicy) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let current = errors.required("current_password", raw.current_password, |p| {
            policy.presented(&p).map(|()| p)
        });
        let new = errors.present("new_password", raw.new_password);
        errors.finish(|| {
            Some(Self {
                current: current?,
                new: new?,
            })
        })
    }
}

/// `POST /v1/auth/password {current_password, new_password}` → 204, once every other session
/// of the user is refused. A wrong current password is a 401 and counts as a failed login (so
/// the lockout applies: 423 while locked); a new one that breaks the policy a 422 naming the
/// rule.
#[utoipa::path(
    post,
    path = "/v1/auth/password",
    tag = "identity",
    summary = "Change the caller's password",
    request_body = RawPasswordChange,
    responses(
        (status = 204, description = "Changed; every other session of the user has ended."),
        (status = 401, description = "No valid access token, or the current password is wrong (counted as a failed login).", content_type = "application/problem+json", body = Problem),
        (status = 423, description = "Locked after too many failed logins; see Retry-After.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn change_password(
    State(identity): State<Identity>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    views: Views,
    Body(change): Body<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let written = identity
        .service
        .change_password(
            UserId(caller.user_id),
            caller.session_id,
            change.current,
            change.new,
            identity.password_policy,
            metadata,
        )
        .await?;
    views.0.applied(&written, USERS_VIEW).await?;
    Ok(StatusCode::NO_CONTENT)
}
