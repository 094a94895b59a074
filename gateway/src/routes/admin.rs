//! User administration: list and search, disable and enable. The route guards check the
//! permissions their manifest declares (`identity.user.read`, `identity.user.disable`).

use axum::Json;
use axum::extract::{Path, Query, State};
use http::StatusCode;
use plinth_domain_identity::UserId;
use plinth_projections_users::NAME as USERS_VIEW;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::consistency::wait_for_view;
use crate::routes::auth::identity_error;
use crate::routes::users::UserBody;
use crate::{ApiError, AppState};
use plinth_infra_edge::FieldError;
use plinth_infra_edge::{Caller, RequestMetadata};

/// `?q=&limit=&cursor=` of the user listing.
#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

const DEFAULT_LIMIT: u16 = 50;
const MAX_LIMIT: u16 = 200;

/// `GET /v1/users?q=&limit=&cursor=` → `{users, next_cursor}`: the tenant's users in creation
/// order; `q` matches e-mail or display name (case-insensitive substring).
pub(crate) async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
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
    let client = state
        .read_pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let page =
        plinth_projections_users::list_users(&client, caller.tenant.as_str(), search, after, limit)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let users: Vec<UserBody> = page.users.into_iter().map(UserBody::from).collect();
    Ok(Json(json!({
        "users": users,
        "next_cursor": page.next,
    })))
}

/// `POST /v1/users/{id}/disable` → 204: the user cannot log in and their sessions stop
/// working (answers once the users view knows). 403 when the user holds a permission the
/// caller does not (an owner, for an admin) or is a platform administrator and the caller is not.
pub(crate) async fn disable(
    state: State<AppState>,
    caller: Caller,
    metadata: RequestMetadata,
    id: Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(state, caller, metadata, id, true).await
}

/// `POST /v1/users/{id}/enable` → 204. Sessions from before the disable stay ended.
pub(crate) async fn enable(
    state: State<AppState>,
    caller: Caller,
    metadata: RequestMetadata,
    id: Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(state, caller, metadata, id, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(id): Path<String>,
    disabled: bool,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("id", "must be a UUID")]))?;
    if disabled && id == caller.user_id {
        return Err(ApiError::Conflict(
            "administrators cannot disable themselves".into(),
        ));
    }
    // No one takes access away from an account that holds more than they do (an admin from an
    // owner, an owner from a platform administrator).
    let now = chrono::Utc::now();
    if let Err(reason) = state
        .authz_view
        .read(|policy| policy.may_administer(caller.tenant.as_str(), caller.user_id, id, now))
    {
        let denied = plinth_domain_authz::AccessDecided {
            decision_id: Uuid::now_v7(),
            tenant_id: caller.tenant.clone(),
            subject: caller.user_id,
            permission: plinth_services_identity::permissions::USER_DISABLE
                .as_str()
                .to_owned(),
            resource_type: Some("identity.user".into()),
            resource_id: Some(id.to_string()),
            allowed: false,
            reason: reason.clone(),
            route: None,
            source_ip: None,
            user_agent: None,
            at: now,
            repeated: 1,
            first_at: None,
        };
        state.denials.record(denied, caller.acting(metadata));
        return Err(ApiError::Forbidden(reason));
    }
    let token = state
        .identity
        .set_disabled(UserId(id), disabled, caller.acting(metadata.clone()))
        .await
        .map_err(|e| match e {
            plinth_services_identity::IdentityError::NotFound => {
                ApiError::NotFound(format!("no user {id}"))
            }
            other => identity_error(other),
        })?;
    wait_for_view(&state, USERS_VIEW, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
