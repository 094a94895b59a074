//! `/v1/blog/posts`: write, list, read, edit, publish, unpublish and delete posts.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use http::StatusCode;
use plinth_domain_core::TenantId;
use plinth_infra_edge::{
    ApiError, Body, Caller, Checks, Consistency, FieldError, FieldErrors, FromBody, NoContext,
    RequestMetadata, ResourceRef, Subject, Written,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Blog, cursor, errors, id, page};
use crate::domain::{PostCommand, Tags, Text, Title};
use crate::permissions::POST_READ;
use plinth_infra_module::{NewJob, Projection};

use crate::projection::{BlogProjection, NAME as BLOG_VIEW};
use crate::queries::{PostFilter, PostView, get_post, list_posts};

/// `{title, body, tags?}`.
pub(crate) struct NewPost {
    title: Title,
    body: Text,
    tags: Tags,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPost {
    title: Option<String>,
    body: Option<String>,
    tags: Option<Vec<String>>,
}

impl FromBody for NewPost {
    type Raw = RawPost;
    type Context = NoContext;
    fn from_body(raw: RawPost, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let title = errors.required("title", raw.title, |t| Title::parse(&t));
        let body = errors.required("body", raw.body, |b| Text::parse(&b, Text::POST_MAX));
        let tags = errors.parsed("tags", raw.tags.unwrap_or_default(), |t| Tags::parse(&t));
        errors.finish(|| {
            Some(Self {
                title: title?,
                body: body?,
                tags: tags?,
            })
        })
    }
}

/// `{title?, body?, tags?}`: at least one.
pub(crate) struct PostEdit {
    title: Option<Title>,
    body: Option<Text>,
    tags: Option<Tags>,
}

impl FromBody for PostEdit {
    type Raw = RawPost;
    type Context = NoContext;
    fn from_body(raw: RawPost, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        if raw.title.is_none() && raw.body.is_none() && raw.tags.is_none() {
            errors.push("body", "give at least one of title, body and tags");
        }
        let title = raw
            .title
            .map(|t| errors.parsed("title", t, |t| Title::parse(&t)));
        let body = raw
            .body
            .map(|b| errors.parsed("body", b, |b| Text::parse(&b, Text::POST_MAX)));
        let tags = raw
            .tags
            .map(|t| errors.parsed("tags", t, |t| Tags::parse(&t)));
        errors.finish(|| {
            Some(Self {
                title: title.map_or(Some(None), |t| t.map(Some))?,
                body: body.map_or(Some(None), |b| b.map(Some))?,
                tags: tags.map_or(Some(None), |t| t.map(Some))?,
            })
        })
    }
}

/// `POST /v1/blog/posts {title, body, tags?}` → 201 `{id, consistency_token}`: a draft of
/// the caller's.
pub(crate) async fn create(
    State(blog): State<Blog>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Body(post): Body<NewPost>,
) -> Result<Written<Value>, ApiError> {
    let post_id = Uuid::now_v7();
    let command = PostCommand::Create {
        post_id,
        tenant_id: caller.tenant.clone(),
        author: caller.user_id,
        title: post.title,
        body: post.body,
        tags: post.tags,
        at: Utc::now(),
    };
    let metadata = RequestMetadata(metadata);
    super::run(
        &blog.posts,
        post_id,
        command,
        metadata,
        StatusCode::CREATED,
        errors::post,
    )
    .await
}

/// Whether `caller` may see `post`: published, theirs, or they may read drafts.
async fn visible(post: &PostView, caller: Option<&Caller>, checks: &Checks) -> bool {
    if post.is_published() {
        return true;
    }
    let Some(caller) = caller else {
        return false;
    };
    if caller.user_id == post.author {
        return true;
    }
    let id = post.id.to_string();
    checks
        .check(
            Subject {
                user_id: caller.user_id,
                tenant: &caller.tenant,
            },
            POST_READ,
            Some(ResourceRef {
                resource_type: "blog.post",
                id: &id,
                owner: Some(post.author),
            }),
        )
        .await
        .allowed
}

/// The post `id` as `caller` may see it, once the view reflects the request's token.
pub(crate) async fn visible_post(
    blog: &Blog,
    tenant: &TenantId,
    id: Uuid,
    caller: Option<&Caller>,
    checks: &Checks,
) -> Result<PostView, ApiError> {
    let client = blog.read.get().await.map_err(errors::read)?;
    let post = get_post(&client, tenant.as_str(), id)
        .await
        .map_err(errors::read)?;
    match post {
        Some(post) if visible(&post, caller, checks).await => Ok(post),
        _ => Err(ApiError::NotFound(format!("no post {id}"))),
    }
}

/// `GET /v1/blog/posts/{id}` → the post: published ones to anyone, drafts to their author and
/// to holders of `blog.post.read` (404 to anyone else); honours `Consistency-Token`.
pub(crate) async fn read(
    State(blog): State<Blog>,
    caller: Option<Caller>,
    checks: Checks,
    consistency: Consistency,
    metadata: RequestMetadata,
    Path(post): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    let post = id(&post, "post")?;
    let tenant = metadata.tenant();
    consistency
        .wait_for(tenant, BLOG_VIEW, BlogProjection.aggregate_types())
        .await?;
    visible_post(&blog, tenant, post, caller.as_ref(), &checks)
        .await
        .map(Json)
}

/// `GET /v1/blog/posts?author=&tag=&status=published|draft&limit=&cursor=` → `{posts,
/// next_cursor}`, newest first: published posts, the caller's drafts, and every draft for a
/// holder of `blog.post.read`.
pub(crate) async fn list(
    State(blog): State<Blog>,
    caller: Option<Caller>,
    checks: Checks,
    consistency: Consistency,
    metadata: RequestMetadata,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let tenant = metadata.tenant();
    let (limit, after) = page(
        query.get("limit").map(String::as_str),
        query.get("cursor").map(String::as_str),
    )?;
    let mut errors = FieldErrors::default();
    let author = query.get("author").and_then(|a| {
        errors.parsed("author", a, |a| {
            Uuid::try_parse(a).map_err(|_| "must be a UUID")
        })
    });
    let published = query.get("status").and_then(|s| {
        errors.parsed("status", s.as_str(), |s| match s {
            "published" => Ok(true),
            "draft" => Ok(false),
            _ => Err("must be published or draft"),
        })
    });
    if let Some(unknown) = query
        .keys()
        .find(|k| !["author", "tag", "status", "limit", "cursor"].contains(&k.as_str()))
    {
        errors.push(unknown, "is not a filter of this listing");
    }
    errors.finish(|| Some(())).map_err(ApiError::Validation)?;
    consistency
        .wait_for(tenant, BLOG_VIEW, BlogProjection.aggregate_types())
        .await?;
    let all_drafts = match &caller {
        Some(caller) => {
            checks
                .check(
                    Subject {
                        user_id: caller.user_id,
                        tenant: &caller.tenant,
                    },
                    POST_READ,
                    None,
                )
                .await
                .allowed
        }
        None => false,
    };
    let filter = PostFilter {
        author,
        tag: query.get("tag").cloned(),
        published,
        viewer: caller.as_ref().map(|c| c.user_id),
        all_drafts,
    };
    let client = blog.read.get().await.map_err(errors::read)?;
    let mut posts = list_posts(&client, tenant.as_str(), &filter, after, limit + 1)
        .await
        .map_err(errors::read)?;
    let next = (posts.len() as i64 > limit).then(|| {
        posts.truncate(limit as usize);
        posts.last().map(|p| cursor(p.created_at, p.id))
    });
    Ok(Json(
        json!({ "posts": posts, "next_cursor": next.flatten() }),
    ))
}

/// Runs `command` on post `id` → 200 `{id, consistency_token}`.
async fn change(
    blog: &Blog,
    metadata: RequestMetadata,
    post: &str,
    command: PostCommand,
) -> Result<Written<Value>, ApiError> {
    let post = id(post, "post")?;
    super::run(
        &blog.posts,
        post,
        command,
        metadata,
        StatusCode::OK,
        errors::post,
    )
    .await
}

/// `PATCH /v1/blog/posts/{id} {title?, body?, tags?}` → 200 `{id, consistency_token}`.
pub(crate) async fn edit(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(post): Path<String>,
    Body(edit): Body<PostEdit>,
) -> Result<Written<Value>, ApiError> {
    let command = PostCommand::Edit {
        tenant_id: caller.tenant.clone(),
        title: edit.title,
        body: edit.body,
        tags: edit.tags,
        at: Utc::now(),
    };
    change(&blog, metadata, &post, command).await
}

/// `{at}`: when to publish.
pub(crate) struct PublishAt(DateTime<Utc>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPublishAt {
    at: Option<String>,
}

impl FromBody for PublishAt {
    type Raw = RawPublishAt;
    type Context = NoContext;
    fn from_body(raw: RawPublishAt, _: &NoContext) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let at = errors.required("at", raw.at, |at| {
            DateTime::parse_from_rfc3339(&at)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| "must be an RFC 3339 time, like 2026-12-24T18:00:00Z")
        });
        errors.finish(|| at.map(Self))
    }
}

/// `POST /v1/blog/posts/{id}/publish` → 200, published now; 409 when it is published
/// already. With `{at}` in the future → 202 `{id, job_id}`: the scheduler publishes it then
/// (once, however many workers run).
pub(crate) async fn publish(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(post): Path<String>,
    at: Option<Body<PublishAt>>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    if let Some(Body(PublishAt(at))) = at
        && at > Utc::now()
    {
        let id = id(&post, "post")?;
        let job = NewJob {
            kind: crate::job_kinds::PUBLISH.to_owned(),
            tenant: caller.tenant.clone(),
            payload: json!({ "post_id": id }),
            run_at: at,
            max_attempts: 5,
        };
        let job_id = blog
            .scheduler
            .enqueue(job, &caller.acting(metadata.0))
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let body = json!({ "id": id, "job_id": job_id, "publish_at": at });
        return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
    }
    let command = PostCommand::Publish {
        tenant_id: caller.tenant.clone(),
        at: Utc::now(),
    };
    change(&blog, metadata, &post, command)
        .await
        .map(IntoResponse::into_response)
}

/// `POST /v1/blog/posts/{id}/unpublish` → 200; 409 for a draft.
pub(crate) async fn unpublish(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(post): Path<String>,
) -> Result<Written<Value>, ApiError> {
    let command = PostCommand::Unpublish {
        tenant_id: caller.tenant.clone(),
        at: Utc::now(),
    };
    change(&blog, metadata, &post, command).await
}

/// `DELETE /v1/blog/posts/{id}` → 200; the post answers 404 from then on.
pub(crate) async fn remove(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(post): Path<String>,
) -> Result<Written<Value>, ApiError> {
    let command = PostCommand::Delete {
        tenant_id: caller.tenant.clone(),
        at: Utc::now(),
    };
    change(&blog, metadata, &post, command).await
}
