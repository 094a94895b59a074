//! User administration: list and search, disable and enable. The route guards check the
//! permissions `module.toml` declares (`identity.user.read`, `identity.user.disable`).

use axum::Json;
use axum::extract::State;
use http::StatusCode;
use plinth_domain_core::CommandMetadata;
use plinth_domain_identity::UserId;
use plinth_infra_edge::{ApiError, Caller, Checks, FieldError, Problem, RequestMetadata, Views};
use plinth_infra_edge::{Path, Query};
use plinth_projections_users::NAME as USERS_VIEW;
use plinth_services_identity_api::IdentityError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::users::UserBody;
use super::{Identity, path_id, read_error};
use crate::permissions::USER_DISABLE;

/// `?q=&limit=&cursor=` of the user listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Matches e-mail addresses and display names (case-insensitive substring, at most 256
    /// characters).
    q: Option<String>,
    /// 1 to 200; 50 if absent.
    #[param(value_type = Option<u16>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

const DEFAULT_LIMIT: u16 = 50;
const MAX_LIMIT: u16 = 200;

/// A page of users.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserPage {
    users: Vec<UserBody>,
    /// Where the next page starts; `null` on the last one.
    next_cursor: Option<Uuid>,
}

/// `GET /v1/users?q=&limit=&cursor=` → `{users, next_cursor}`: the tenant's users in creation
/// order; `q` matches e-mail or display name (case-insensitive substring).
#[utoipa::path(
    get,
    path = "/v1/users",
    operation_id = "list_users",
    tag = "identity",
    summary = "List and search the tenant's users",
    params(ListQuery),
    responses((status = 200, description = "A page of users, in creation order.", body = UserPage))
)]
pub(crate) async fn list(
    State(identity): State<Identity>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<UserPage>, ApiError> {
    let mut errors = Vec::new();
    let limit = match query.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<u16>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                ));
                DEFAULT_LIMIT
            }
        },
    };
    let after = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(text) => Uuid::parse_str(text).map_or_else(
            |_| {
                errors.push(FieldError::new(
                    "cursor",
                    "must be the next_cursor of a previous page",
                ));
                None
            },
            Some,
        ),
    };
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if search.is_some_and(|q| q.chars().count() > 256) {
        errors.push(FieldError::new("q", "must be at most 256 characters"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let client = identity.read().await?;
    let page =
        plinth_projections_users::list_users(&client, caller.tenant.as_str(), search, after, limit)
            .await
            .map_err(read_error)?;
    Ok(Json(UserPage {
        users: page.users.into_iter().map(UserBody::from).collect(),
        next_cursor: page.next,
    }))
}

/// `POST /v1/users/{id}/disable` → 204: the user cannot log in and their sessions stop
/// working (answers once the users view knows). 403 when the user holds a permission the
/// caller does not (an owner, for an admin) or is a platform administrator and the caller is not.
#[utoipa::path(
    post,
    path = "/v1/users/{id}/disable",
    tag = "identity",
    summary = "Disable a user",
    params(("id" = String, Path, description = "The user's id (a UUID).")),
    responses(
        (status = 204, description = "Disabled: the user cannot sign in, and their sessions have ended."),
        (status = 403, description = "The caller lacks identity.user.disable, or the user holds more than the caller (recorded for audit).", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such user in the tenant.", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Administrators cannot disable themselves.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn disable(
    State(identity): State<Identity>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    checks: Checks,
    views: Views,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(&identity, caller, metadata, &checks, &views, &id, true).await
}

/// `POST /v1/users/{id}/enable` → 204. Sessions from before the disable stay ended.
#[utoipa::path(
    post,
    path = "/v1/users/{id}/enable",
    tag = "identity",
    summary = "Enable a user",
    params(("id" = String, Path, description = "The user's id (a UUID).")),
    responses(
        (status = 204, description = "Enabled; sessions from before the disable stay ended."),
        (status = 403, description = "The caller lacks identity.user.disable, or the user holds more than the caller (recorded for audit).", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such user in the tenant.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn enable(
    State(identity): State<Identity>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    checks: Checks,
    views: Views,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(&identity, caller, metadata, &checks, &views, &id, false).await
}

async fn set_disabled(
    identity: &Identity,
    caller: Caller,
    metadata: CommandMetadata,
    checks: &Checks,
    views: &Views,
    id: &str,
    disabled: bool,
) -> Result<StatusCode, ApiError> {
    let id = path_id(id)?;
    if disabled && id == caller.user_id {
        return Err(ApiError::Conflict(
            "administrators cannot disable themselves".into(),
        ));
    }
    // No one takes access away from an account that holds more than they do (an admin from an
    // owner, an owner from a platform administrator).
    if let Err(reason) = checks.may_administer(&caller, id) {
        let user = Some(("identity.user".into(), id.to_string()));
        checks.deny(&caller, USER_DISABLE, user, &reason, metadata);
        return Err(ApiError::Forbidden(reason));
    }
    let token = identity
        .service
        .set_disabled(UserId(id), disabled, metadata)
        .await
        .map_err(|e| match e {
            IdentityError::NotFound => ApiError::NotFound(format!("no user {id}")),
            other => other.into(),
        })?;
    views.0.applied(&token, USERS_VIEW).await?;
    Ok(StatusCode::NO_CONTENT)
}
