pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod authz;
pub(crate) mod health;
pub(crate) mod sessions;
pub(crate) mod users;

use axum::http::{Method, Uri};

use crate::ApiError;

pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}
