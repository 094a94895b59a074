//! What every HTTP handler of Plinth is written with, the kernel modules' and any feature
//! module's alike, so that all routes share one way of being written:
//!
//! - [`ApiError`] (`problem.rs`): every failure mapped once to `application/problem+json`;
//! - [`Body`] (`body.rs`): a typed JSON body, every bad field named in one 422;
//! - [`Caller`] and [`RequestMetadata`] (`caller.rs`): the caller the gateway's guard verified
//!   and the request's tenant, correlation and trace, read from the request's extensions;
//! - [`Consistency`], [`Views`] and [`Written`] (`consistency.rs`): read-your-writes;
//! - [`Checks`] (`authorize.rs`): a permission check beyond the route's guard, and recording a
//!   refusal it leads to;
//! - [`Path`] and [`Query`] (`params.rs`): parameters, refused as problems too;
//! - [`Limits`] (`limits.rs`): the per-account rate limit a handler spends from.
//!
//! It also names the ports the edge stands on, each implemented by a module and handed to the
//! gateway through the module contract or by the composition root: [`Authenticate`] (identity:
//! an access token to its caller), [`Check`] and [`Authorize`] (authz: decisions, how current
//! they are, and their audit records) and [`Freshness`] (the read models' progress).
//!
//! Nothing here assumes the handler runs in the gateway's process: the gateway fills the
//! extensions, and a module process would fill them from the verified caller it is sent.

mod authorize;
mod body;
mod caller;
mod consistency;
mod instant;
mod limits;
mod params;
mod problem;

pub use authorize::{AccessRecord, Authorize, Check, Checks, Decision, ResourceRef, Subject};
pub use body::{Body, FieldErrors, FromBody, NoContext};
pub use caller::{Authenticate, Caller, RequestMetadata};
pub use consistency::{
    CONSISTENCY_TOKEN_HEADER, Consistency, ConsistencyHeader, Freshness, Views, WithToken, Written,
};
pub use instant::rfc3339;
pub use limits::{Limit, Limits};
pub use params::{Path, Query};
pub use problem::{
    ApiError, FieldError, InternalError, PROBLEM_JSON, Problem, log_internal_errors,
};
