//! The Blog's HTTP handlers, written with `plinth-infra-edge` like the kernel's: each route is
//! mounted by the gateway under the guard `module.toml` declares; the resolvers tell the guard
//! who owns the post or comment a route acts on (from the event store, so a post is its
//! author's from the moment it is written).

mod comments;
mod errors;
pub(crate) mod jobs;
mod posts;

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use http::Method;
use http::StatusCode;
use plinth_domain_core::{TenantId, UniqueClaims};
use plinth_infra_edge::{ApiError, FieldError, RequestMetadata, Written};
use plinth_infra_event_store::{CommandBus, CommandError};
use plinth_infra_module::{Http, Kernel, ModuleError, ResolveResource, ResolvedResource, Schedule};
use plinth_infra_postgres::Pool;
use uuid::Uuid;

use crate::domain::{Comment, Post};

/// What every handler uses.
#[derive(Clone)]
pub(crate) struct Blog {
    pub(crate) posts: Arc<CommandBus<Post>>,
    pub(crate) comments: Arc<CommandBus<Comment>>,
    pub(crate) read: Pool,
    /// Where publishing at a time is enqueued.
    pub(crate) scheduler: Arc<dyn Schedule>,
}

/// The Blog's state, on pools of the kernel's database.
pub(crate) fn blog(kernel: &Kernel) -> Result<Blog, ModuleError> {
    let fail = |e: &dyn std::fmt::Display| ModuleError {
        module: "blog",
        reason: e.to_string(),
    };
    let events =
        plinth_infra_event_store::sqlx_pool(&kernel.database_url, kernel.max_connections())
            .map_err(|e| fail(&e))?;
    let read = plinth_infra_postgres::connect_pool(
        &kernel.database_url,
        kernel.max_connections() as usize,
    )
    .map_err(|e| fail(&e))?;
    Ok(Blog {
        posts: Arc::new(CommandBus::new(events.clone(), ())),
        comments: Arc::new(CommandBus::new(events, ())),
        read,
        scheduler: kernel.scheduler.clone(),
    })
}

/// The routes' operations, from the handlers' types.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    posts::create,
    posts::list,
    posts::read,
    posts::edit,
    posts::remove,
    posts::publish,
    posts::unpublish,
    comments::list,
    comments::add,
    comments::edit,
    comments::remove,
))]
struct BlogDocument;

/// The handlers and resolvers, and their documentation.
pub(crate) fn http(kernel: &Kernel) -> Result<Http, ModuleError> {
    use utoipa::OpenApi;
    let blog = blog(kernel)?;
    Ok(Http::default()
        .documented(BlogDocument::openapi())
        .route(Method::POST, "/v1/blog/posts", posts::create, blog.clone())
        .route(Method::GET, "/v1/blog/posts", posts::list, blog.clone())
        .route(
            Method::GET,
            "/v1/blog/posts/{id}",
            posts::read,
            blog.clone(),
        )
        .route(
            Method::PATCH,
            "/v1/blog/posts/{id}",
            posts::edit,
            blog.clone(),
        )
        .route(
            Method::DELETE,
            "/v1/blog/posts/{id}",
            posts::remove,
            blog.clone(),
        )
        .route(
            Method::POST,
            "/v1/blog/posts/{id}/publish",
            posts::publish,
            blog.clone(),
        )
        .route(
            Method::POST,
            "/v1/blog/posts/{id}/unpublish",
            posts::unpublish,
            blog.clone(),
        )
        .route(
            Method::GET,
            "/v1/blog/posts/{id}/comments",
            comments::list,
            blog.clone(),
        )
        .route(
            Method::POST,
            "/v1/blog/posts/{id}/comments",
            comments::add,
            blog.clone(),
        )
        .route(
            Method::PATCH,
            "/v1/blog/comments/{id}",
            comments::edit,
            blog.clone(),
        )
        .route(
            Method::DELETE,
            "/v1/blog/comments/{id}",
            comments::remove,
            blog.clone(),
        )
        .resource("blog.post", Arc::new(Owners(blog.posts.clone())))
        .resource("blog.comment", Arc::new(Owners(blog.comments))))
}

/// Who wrote a post or a comment, read from the event store (so a post is its author's from
/// the moment it is written); nothing for one of another tenant.
struct Owners<A: Aggregate>(Arc<CommandBus<A>>);

/// What the resolver reads off an aggregate.
pub(crate) trait Authored {
    /// Its author and tenant, unless there is no such post or comment.
    fn authored(&self) -> Option<(Uuid, &TenantId)>;
}

impl Authored for Post {
    fn authored(&self) -> Option<(Uuid, &TenantId)> {
        self.author().zip(self.tenant())
    }
}

impl Authored for Comment {
    fn authored(&self) -> Option<(Uuid, &TenantId)> {
        self.author().zip(self.tenant())
    }
}

#[async_trait]
impl<A> ResolveResource for Owners<A>
where
    A: Aggregate + Authored + Send + Sync,
    A::Command: Clone,
    A::Event: UniqueClaims,
{
    async fn resolve(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<ResolvedResource>, String> {
        let Ok(id) = Uuid::try_parse(id) else {
            return Ok(None);
        };
        let found = self
            .0
            .load(&id.to_string())
            .await
            .map_err(|e| e.to_string())?;
        Ok(found
            .authored()
            .filter(|(_, of)| *of == tenant)
            .map(|(author, _)| ResolvedResource {
                owner: Some(author),
            }))
    }
}

/// What a write answers with (and its token).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = BlogWritten)]
pub(crate) struct Id {
    /// The post or comment written.
    id: Uuid,
}

/// Runs `command` on the aggregate `id` as the request's metadata says (the guard has made it
/// act as the caller) → `status` with `{id, consistency_token}`.
pub(crate) async fn run<A>(
    bus: &CommandBus<A>,
    id: Uuid,
    command: A::Command,
    metadata: RequestMetadata,
    status: StatusCode,
    refused: fn(CommandError<A::Error>) -> ApiError,
) -> Result<Written<Id>, ApiError>
where
    A: Aggregate,
    A::Command: Clone,
    A::Event: UniqueClaims,
{
    let committed = bus
        .execute(&id.to_string(), command, &metadata.0)
        .await
        .map_err(refused)?;
    Ok(Written {
        status,
        token: committed.token,
        body: Id { id },
    })
}

/// A path's id: a UUID, or a 404 naming what was not found.
pub(crate) fn id(text: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text).map_err(|_| ApiError::NotFound(format!("no such {what}")))
}

/// Where a page starts: after the item at this time with this id.
pub(crate) type After = Option<(DateTime<Utc>, Uuid)>;

/// Parses `?limit=` (1 to 100, default 20) and `?cursor=` (from a previous page).
pub(crate) fn page(limit: Option<&str>, cursor: Option<&str>) -> Result<(i64, After), ApiError> {
    let mut errors = Vec::new();
    let limit = match limit.map(str::parse::<i64>) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new(
                "limit",
                "must be a whole number from 1 to 100",
            ));
            0
        }
    };
    let after = match cursor {
        None => None,
        Some(text) => {
            let parsed = URL_SAFE_NO_PAD
                .decode(text)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .and_then(|raw| {
                    let (at, id) = raw.split_once('|')?;
                    Some((
                        DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
                        Uuid::try_parse(id).ok()?,
                    ))
                });
            if parsed.is_none() {
                errors.push(FieldError::new("cursor", "is not a cursor of this listing"));
            }
            parsed
        }
    };
    if errors.is_empty() {
        Ok((limit, after))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The cursor after an item at `(at, id)`.
pub(crate) fn cursor(at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", plinth_infra_edge::rfc3339(at)))
}
