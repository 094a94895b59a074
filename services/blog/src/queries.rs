//! What the Blog's handlers read from its read model.

use chrono::{DateTime, Utc};
use plinth_infra_postgres::GenericClient;
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

/// A post as read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Post)]
pub(crate) struct PostView {
    pub(crate) id: Uuid,
    pub(crate) author: Uuid,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) tags: Vec<String>,
    /// `draft` or `published`.
    pub(crate) status: &'static str,
    pub(crate) published_at: Option<DateTime<Utc>>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) comment_count: i32,
}

impl PostView {
    pub(crate) fn is_published(&self) -> bool {
        self.status == "published"
    }

    fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("post_id"),
            author: row.get("author"),
            title: row.get("title"),
            body: row.get("body"),
            tags: row.get("tags"),
            status: if row.get("published") {
                "published"
            } else {
                "draft"
            },
            published_at: row.get("published_at"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            comment_count: row.get("comment_count"),
        }
    }
}

/// A comment as read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Comment)]
pub(crate) struct CommentView {
    pub(crate) id: Uuid,
    pub(crate) author: Uuid,
    pub(crate) body: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

/// Which posts a listing asks for, and who asks.
#[derive(Debug, Clone, Default)]
pub(crate) struct PostFilter {
    pub(crate) author: Option<Uuid>,
    pub(crate) tag: Option<String>,
    /// `Some(true)`: published only; `Some(false)`: drafts only.
    pub(crate) published: Option<bool>,
    /// The caller, whose own drafts are visible.
    pub(crate) viewer: Option<Uuid>,
    /// Whether every draft is visible (the caller may read drafts).
    pub(crate) all_drafts: bool,
}

/// The post `id` of `tenant`, whatever its status.
pub(crate) async fn get_post(
    client: &impl GenericClient,
    tenant: &str,
    id: Uuid,
) -> Result<Option<PostView>, tokio_postgres::Error> {
    let row = client
        .query_opt(include_str!("../sql/get_post.sql"), &[&tenant, &id])
        .await?;
    Ok(row.as_ref().map(PostView::from_row))
}

/// Up to `limit` posts newest first, after `(created_at, id)`.
pub(crate) async fn list_posts(
    client: &impl GenericClient,
    tenant: &str,
    filter: &PostFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<PostView>, tokio_postgres::Error> {
    let (after_at, after_id) = after.unzip();
    let rows = client
        .query(
            include_str!("../sql/list_posts.sql"),
            &[
                &tenant,
                &filter.author,
                &filter.tag,
                &filter.viewer,
                &filter.all_drafts,
                &filter.published,
                &after_at,
                &after_id,
                &limit,
            ],
        )
        .await?;
    Ok(rows.iter().map(PostView::from_row).collect())
}

/// Up to `limit` comments of a post, oldest first, after `(created_at, id)`.
pub(crate) async fn list_comments(
    client: &impl GenericClient,
    tenant: &str,
    post: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<CommentView>, tokio_postgres::Error> {
    let (after_at, after_id) = after.unzip();
    let rows = client
        .query(
            include_str!("../sql/list_comments.sql"),
            &[&tenant, &post, &after_at, &after_id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| CommentView {
            id: row.get("comment_id"),
            author: row.get("author"),
            body: row.get("body"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        })
        .collect())
}
