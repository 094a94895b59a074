//! `/v1/blog/posts`: write, list, read, edit, publish, unpublish and delete posts.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use http::StatusCode;
use plinth_domain_core::TenantId;
use plinth_infra_edge::{
    ApiError, Body, Caller, Checks, Consistency, ConsistencyHeader, FieldError, FieldErrors,
    FromBody, NoContext, Problem, RequestMetadata, ResourceRef, Subject, WithToken, Written,
};
use plinth_infra_edge::{Path, Query};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Blog, Id, cursor, errors, id, page};
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

/// A new draft.
#[derive(Deserialize, ToSchema)]
#[schema(as = NewPost)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPost {
    /// 1 to 200 characters.
    #[schema(required = true, value_type = String, example = "Notes on the Analytical Engine")]
    title: Option<String>,
    /// At most 100,000 characters.
    #[schema(required = true, value_type = String, example = "It weaves algebraic patterns.")]
    body: Option<String>,
    /// At most 10 tags, each 1 to 40 lower-case letters, digits and `-`.
    #[schema(value_type = Vec<String>, example = json!(["engines"]))]
    tags: Option<Vec<String>>,
}

/// A change of a post: at least one of its fields.
#[derive(Deserialize, ToSchema)]
#[schema(as = PostEdit)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPostEdit {
    #[schema(value_type = String, example = "Notes, revised")]
    title: Option<String>,
    #[schema(value_type = String)]
    body: Option<String>,
    #[schema(value_type = Vec<String>)]
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
    type Raw = RawPostEdit;
    type Context = NoContext;
    fn from_body(raw: RawPostEdit, _: &NoContext) -> Result<Self, Vec<FieldError>> {
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
#[utoipa::path(
    post,
    path = "/v1/blog/posts",
    operation_id = "create_post",
    tag = "blog",
    summary = "Write a draft",
    request_body = RawPost,
    responses((status = 201, description = "The caller's draft.", body = WithToken<Id>,
        headers(("Consistency-Token" = String, description = "Read the draft with it."))))
)]
pub(crate) async fn create(
    State(blog): State<Blog>,
    caller: Caller,
    RequestMetadata(metadata): RequestMetadata,
    Body(post): Body<NewPost>,
) -> Result<Written<Id>, ApiError> {
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
#[utoipa::path(
    get,
    path = "/v1/blog/posts/{id}",
    tag = "blog",
    summary = "Read a post",
    params(("id" = String, Path, description = "The post's id (a UUID)."), ConsistencyHeader),
    responses(
        (status = 200, description = "The post.", body = PostView),
        (status = 404, description = "No such post the caller may see (drafts are their author's and editors').", content_type = "application/problem+json", body = Problem),
    )
)]
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
#[utoipa::path(
    get,
    path = "/v1/blog/posts",
    operation_id = "list_posts",
    tag = "blog",
    summary = "List posts, newest first",
    params(
        ("author" = Option<uuid::Uuid>, Query, description = "Only this author's."),
        ("tag" = Option<String>, Query, description = "Only posts with this tag."),
        ("status" = Option<String>, Query, description = "published or draft."),
        ("limit" = Option<u8>, Query, minimum = 1, maximum = 100, description = "1 to 100; 20 if absent."),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page."),
        ConsistencyHeader,
    ),
    responses((status = 200, description = "Published posts, the caller's drafts, and every draft for a holder of blog.post.read.", body = PostPage))
)]
pub(crate) async fn list(
    State(blog): State<Blog>,
    caller: Option<Caller>,
    checks: Checks,
    consistency: Consistency,
    metadata: RequestMetadata,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<PostPage>, ApiError> {
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
    Ok(Json(PostPage {
        posts,
        next_cursor: next.flatten(),
    }))
}

/// A page of posts, newest first.
#[derive(serde::Serialize, ToSchema)]
pub(crate) struct PostPage {
    posts: Vec<PostView>,
    /// Where the next page starts; `null` on the last one.
    next_cursor: Option<String>,
}

/// Runs `command` on post `id` → 200 `{id, consistency_token}`.
async fn change(
    blog: &Blog,
    metadata: RequestMetadata,
    post: &str,
    command: PostCommand,
) -> Result<Written<Id>, ApiError> {
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
#[utoipa::path(
    patch,
    path = "/v1/blog/posts/{id}",
    operation_id = "edit_post",
    tag = "blog",
    summary = "Edit a post",
    params(("id" = String, Path, description = "The post's id (a UUID).")),
    request_body = RawPostEdit,
    responses(
        (status = 200, description = "Edited.", body = WithToken<Id>),
        (status = 409, description = "The post was changed concurrently; retry.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn edit(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(post): Path<String>,
    Body(edit): Body<PostEdit>,
) -> Result<Written<Id>, ApiError> {
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

/// When to publish.
#[derive(Deserialize, ToSchema)]
#[schema(as = PublishAt)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPublishAt {
    /// An RFC 3339 instant; in the future, the post is published then.
    #[schema(required = true, value_type = chrono::DateTime<chrono::Utc>)]
    at: Option<String>,
}

/// Publishing scheduled.
#[derive(serde::Serialize, ToSchema)]
pub(crate) struct Scheduled {
    /// The post.
    id: Uuid,
    /// The scheduler's job that publishes it.
    job_id: Uuid,
    publish_at: DateTime<Utc>,
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
#[utoipa::path(
    post,
    path = "/v1/blog/posts/{id}/publish",
    tag = "blog",
    summary = "Publish a post, now or at a time",
    params(("id" = String, Path, description = "The post's id (a UUID).")),
    request_body(content = Option<RawPublishAt>, description = "Nothing to publish now; `{at}` to publish at a time."),
    responses(
        (status = 200, description = "Published now.", body = WithToken<Id>),
        (status = 202, description = "To be published at `at`, by the scheduler.", body = Scheduled),
        (status = 409, description = "The post is published already.", content_type = "application/problem+json", body = Problem),
    )
)]
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
            .enqueue(job, &metadata.0)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let body = Scheduled {
            id,
            job_id,
            publish_at: at,
        };
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
#[utoipa::path(
    post,
    path = "/v1/blog/posts/{id}/unpublish",
    tag = "blog",
    summary = "Unpublish a post",
    params(("id" = String, Path, description = "The post's id (a UUID).")),
    responses(
        (status = 200, description = "A draft again.", body = WithToken<Id>),
        (status = 409, description = "The post is a draft.", content_type = "application/problem+json", body = Problem),
    )
)]
pub(crate) async fn unpublish(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(post): Path<String>,
) -> Result<Written<Id>, ApiError> {
    let command = PostCommand::Unpublish {
        tenant_id: caller.tenant.clone(),
        at: Utc::now(),
    };
    change(&blog, metadata, &post, command).await
}

/// `DELETE /v1/blog/posts/{id}` → 200; the post answers 404 from then on.
#[utoipa::path(
    delete,
    path = "/v1/blog/posts/{id}",
    operation_id = "delete_post",
    tag = "blog",
    summary = "Delete a post",
    params(("id" = String, Path, description = "The post's id (a UUID).")),
    responses(
        (status = 200, description = "Deleted: the post answers 404 from now on.", body = WithToken<Id>),
    )
)]
pub(crate) async fn remove(
    State(blog): State<Blog>,
    caller: Caller,
    metadata: RequestMetadata,
    Path(post): Path<String>,
) -> Result<Written<Id>, ApiError> {
    let command = PostCommand::Delete {
        tenant_id: caller.tenant.clone(),
        at: Utc::now(),
    };
    change(&blog, metadata, &post, command).await
}
