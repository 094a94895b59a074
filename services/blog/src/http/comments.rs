//! Comments: listed under their post, added to published posts, edited and deleted by id.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use http::StatusCode;
use plinth_infra_edge::{
    ApiError, Body, Caller, Checks, Consistency, FieldError, FieldErrors, FromBody, NoContext,
    RequestMetadata, Written,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::posts::visible_post;
use super::{Blog, cursor, errors, id, page};
use crate::domain::{CommentCommand, Text};
use plinth_infra_module::Projection;

use crate::projection::{BlogProjection, NAME as BLOG_VIEW};
use crate::queries::list_comments;

/// `{body}`.
pub(crate) struct CommentBody(Text);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawComment {
    body: Option<String>,
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
pub(crate) async fn list(
    State(blog): State<Blog>,
    caller: Option<Caller>,
    checks: Checks,
    consistency: Consistency,
    metadata: RequestMetadata,
    Path(post): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(
        json!({ "comments": comments, "next_cursor": next.flatten() }),
    ))
}

/// `POST /v1/blog/posts/{id}/comments {body}` → 201 `{id, consistency_token}`; 404 unless
/// the post is published.
pub(crate) async fn add(
    State(blog): State<Blog>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Path(post): Path<String>,
    Body(CommentBody(body)): Body<CommentBody>,
) -> Result<Written<Value>, ApiError> {
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
) -> Result<Written<Value>, ApiError> {
    let comment = id(comment, "comment")?;
    let (bus, refused) = (&blog.comments, errors::comment);
    super::run(bus, comment, command, metadata, StatusCode::OK, refused).await
}

/// `PATCH /v1/blog/comments/{id} {body}` → 200.
pub(crate) async fn edit(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(comment): Path<String>,
    Body(CommentBody(body)): Body<CommentBody>,
) -> Result<Written<Value>, ApiError> {
    let command = CommentCommand::Edit {
        tenant_id: caller.tenant.clone(),
        body,
        at: Utc::now(),
    };
    change(&blog, metadata, &comment, command).await
}

/// `DELETE /v1/blog/comments/{id}` → 200.
pub(crate) async fn remove(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(comment): Path<String>,
) -> Result<Written<Value>, ApiError> {
    let command = CommentCommand::Delete {
        tenant_id: caller.tenant.clone(),
        at: Utc::now(),
    };
    change(&blog, metadata, &comment, command).await
}
