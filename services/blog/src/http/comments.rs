//! Comments: listed under their post, added to published posts, edited and deleted by id.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use http::StatusCode;
use plinth_infra_edge::{
    ApiError, Body, Caller, Checks, Consistency, ConsistencyHeader, FieldError, FieldErrors,
    FromBody, NoContext, Problem, RequestMetadata, WithToken, Written,
};
use plinth_infra_edge::{Path, Query};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::posts::visible_post;
use super::{Blog, Id, cursor, errors, id, page};
use crate::domain::{CommentCommand, Text};
use plinth_infra_module::Projection;

use crate::projection::{BlogProjection, NAME as BLOG_VIEW};
use crate::queries::{CommentView, list_comments};

/// `{body}`.
pub(crate) struct CommentBody(Text);

/// A comment's text.
#[derive(Deserialize, ToSchema)]
#[schema(as = CommentText)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawComment {
    /// At most 10,000 characters.
    #[schema(required = true, value_type = String, example = "A fine engine.")]
    body: Option<String>,
}

/// A page of comments, oldest first.
#[derive(serde::Serialize, ToSchema)]
pub(crate) struct CommentPage {
    comments: Vec<CommentView>,
    /// Where the next page starts; `null` on the last one.
    next_cursor: Option<String>,
}

impl FromBody for CommentBody {
    type Raw = RawComment;
    type Context = NoContext;
    fn from_body(raw: RawComment, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let body = errors.required("body", raw.body, |b| Text::parse(&b, Text::COMMENT_MAX));
        errors.finish(|| body.map(Self))
    }
}

/// `GET /v1/blog/posts/{id}/comments?limit=&cursor=` → `{comments, next_cursor}`, oldest
/// first, for a post the caller may see.
#[utoipa::path(
    get,
    path = "/v1/blog/posts/{id}/comments",
    operation_id = "list_comments",
    tag = "blog",
    summary = "List a post's comments, oldest first",
    params(
        ("id" = String, Path, description = "The post's id (a UUID)."),
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 100, description = "1 to 100; 20 if absent."),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page."),
        ConsistencyHeader,
    ),
    responses(
        (status = 200, description = "A page of comments.", body = CommentPage),
        (status = 404, description = "No such post the caller may see.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn list(
    State(blog): State<Blog>,
    caller: Option<Caller>,
    checks: Checks,
    consistency: Consistency,
    metadata: RequestMetadata,
    Path(post): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<CommentPage>, ApiError> {
    let post = id(&post, "post")?;
    let tenant = metadata.tenant();
    let (limit, after) = page(
        query.get("limit").map(String::as_str),
        query.get("cursor").map(String::as_str),
    )?;
    consistency
        .wait_for(tenant, BLOG_VIEW, BlogProjection.aggregate_types())
        .await?;
    visible_post(&blog, tenant, post, caller.as_ref(), &checks).await?;
    let client = blog.read.get().await.map_err(errors::read)?;
    let mut comments = list_comments(&client, tenant.as_str(), post, after, limit + 1)
        .await
        .map_err(errors::read)?;
    let next = (comments.len() as i64 > limit).then(|| {
        comments.truncate(limit as usize);
        comments.last().map(|c| cursor(c.created_at, c.id))
    });
    Ok(Json(CommentPage {
        comments,
        next_cursor: next.flatten(),
    }))
}

/// `POST /v1/blog/posts/{id}/comments {body}` → 201 `{id, consistency_token}`; 404 unless
/// the post is published.
#[utoipa::path(
    post,
    path = "/v1/blog/posts/{id}/comments",
    operation_id = "add_comment",
    tag = "blog",
    summary = "Comment on a published post",
    params(("id" = String, Path, description = "The post's id (a UUID).")),
    request_body = RawComment,
    responses(
        (status = 201, description = "The caller's comment.", body = WithToken<Id>),
        (status = 404, description = "No such published post.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn add(
    State(blog): State<Blog>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(post): Path<String>,
    Body(CommentBody(body)): Body<CommentBody>,
) -> Result<Written<Id>, ApiError> {
    let post = id(&post, "post")?;
    let current = blog
        .posts
        .load(&post.to_string())
        .await
        .map_err(errors::post)?;
    if !current.is_published() || current.tenant() != Some(&caller.tenant) {
        return Err(ApiError::NotFound(format!("no published post {post}")));
    }
    let comment_id = Uuid::now_v7();
    let command = CommentCommand::Add {
        comment_id,
        post_id: post,
        tenant_id: caller.tenant.clone(),
        author: caller.user_id,
        body,
        at: Utc::now(),
    };
    let metadata = RequestMetadata(metadata);
    super::run(
        &blog.comments,
        comment_id,
        command,
        metadata,
        StatusCode::CREATED,
        errors::comment,
    )
    .await
}

/// Runs `command` on comment `id` → 200 `{id, consistency_token}`.
async fn change(
    blog: &Blog,
    metadata: RequestMetadata,
    comment: &str,
    command: CommentCommand,
) -> Result<Written<Id>, ApiError> {
    let comment = id(comment, "comment")?;
    let (bus, refused) = (&blog.comments, errors::comment);
    super::run(bus, comment, command, metadata, StatusCode::OK, refused).await
}

/// `PATCH /v1/blog/comments/{id} {body}` → 200.
#[utoipa::path(
    patch,
    path = "/v1/blog/comments/{id}",
    operation_id = "edit_comment",
    tag = "blog",
    summary = "Edit a comment",
    params(("id" = String, Path, description = "The comment's id (a UUID).")),
    request_body = RawComment,
    responses((status = 200, description = "Edited.", body = WithToken<Id>))
)]
pub(crate) async fn edit(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(comment): Path<String>,
    Body(CommentBody(body)): Body<CommentBody>,
) -> Result<Written<Id>, ApiError> {
    let command = CommentCommand::Edit {
        tenant_id: caller.tenant.clone(),
        body,
        at: Utc::now(),
    };
    change(&blog, metadata, &comment, command).await
}

/// `DELETE /v1/blog/comments/{id}` → 200.
#[utoipa::path(
    delete,
    path = "/v1/blog/comments/{id}",
    operation_id = "delete_comment",
    tag = "blog",
    summary = "Delete a comment (its author's, or a moderator's)",
    params(("id" = String, Path, description = "The comment's id (a UUID).")),
    responses((status = 200, description = "Deleted.", body = WithToken<Id>))
)]
pub(crate) async fn remove(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(comment): Path<String>,
) -> Result<Written<Id>, ApiError> {
    let command = CommentCommand::Delete {
        tenant_id: caller.tenant.clone(),
        at: Utc::now(),
    };
    change(&blog, metadata, &comment, command).await
}
