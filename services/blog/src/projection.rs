//! The Blog's read model (`blog_v1`): posts with their comment counts, and comments, fed from
//! `blog.post` and `blog.comment` like any downstream team's view. A pure reducer.

use plinth_infra_module::{Envelope, Migration, Migrations, Projection, Statement};

use crate::events::BlogEvent;

/// The projection's name, as recorded with its offsets and progress.
pub const NAME: &str = "blog_v1";

/// Its tables.
pub(crate) const MIGRATIONS: Migrations = Migrations {
    component: "projection_blog",
    steps: &[
        Migration {
            version: 1,
            name: "blog_v1",
            sql: include_str!("../migrations/0001_blog_v1.sql"),
        },
        Migration {
            version: 2,
            name: "post_tombstones",
            sql: include_str!("../migrations/0002_post_tombstones.sql"),
        },
    ],
};

/// The reducer.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlogProjection;

impl Projection for BlogProjection {
    type Event = BlogEvent;

    fn name(&self) -> &'static str {
        NAME
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["blog.post", "blog.comment"]
    }

    fn migrations(&self) -> Migrations {
        MIGRATIONS
    }

    fn reduce(&self, envelope: &Envelope<BlogEvent>) -> Vec<Statement> {
        // A post's comment count is recounted, not incremented: comments and posts are on two
        // topics, ordered per aggregate only, so a comment may be applied before its post.
        let recount = |post_id: uuid::Uuid| Statement {
            sql: include_str!("../sql/count_comments.sql"),
            params: vec![Box::new(post_id)],
        };
        let statement = match &envelope.event {
            BlogEvent::PostCreated(e) => Statement {
                sql: include_str!("../sql/insert_post.sql"),
                params: vec![
                    Box::new(e.post_id),
                    Box::new(e.tenant_id.clone()),
                    Box::new(e.author.unwrap_or_default()),
                    Box::new(e.title.clone()),
                    Box::new(e.body.clone()),
                    Box::new(e.tags.clone()),
                    Box::new(e.at),
                ],
            },
            BlogEvent::PostEdited(e) => Statement {
                sql: include_str!("../sql/edit_post.sql"),
                params: vec![
                    Box::new(e.post_id),
                    Box::new(e.title.clone()),
                    Box::new(e.body.clone()),
                    Box::new(e.tags.clone()),
                    Box::new(e.at),
                ],
            },
            BlogEvent::PostPublished(e) | BlogEvent::PostUnpublished(e) => Statement {
                sql: include_str!("../sql/publish_post.sql"),
                params: vec![
                    Box::new(e.post_id),
                    Box::new(matches!(envelope.event, BlogEvent::PostPublished(_))),
                    Box::new(e.at),
                ],
            },
            BlogEvent::PostDeleted(e) => Statement {
                sql: include_str!("../sql/delete_post.sql"),
                params: vec![Box::new(e.post_id)],
            },
            BlogEvent::CommentAdded(e) => {
                let insert = Statement {
                    sql: include_str!("../sql/insert_comment.sql"),
                    params: vec![
                        Box::new(e.comment_id),
                        Box::new(e.post_id),
                        Box::new(e.tenant_id.clone()),
                        Box::new(e.author.unwrap_or_default()),
                        Box::new(e.body.clone().unwrap_or_default()),
                        Box::new(e.at),
                    ],
                };
                return vec![insert, recount(e.post_id)];
            }
            BlogEvent::CommentEdited(e) => Statement {
                sql: include_str!("../sql/edit_comment.sql"),
                params: vec![
                    Box::new(e.comment_id),
                    Box::new(e.body.clone().unwrap_or_default()),
                    Box::new(e.at),
                ],
            },
            BlogEvent::CommentDeleted(e) => {
                let delete = Statement {
                    sql: include_str!("../sql/delete_comment.sql"),
                    params: vec![Box::new(e.comment_id)],
                };
                return vec![delete, recount(e.post_id)];
            }
        };
        vec![statement]
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::events::{CommentV1, PostFactV1};

    fn envelope(event: BlogEvent) -> Envelope<BlogEvent> {
        Envelope {
            event_id: Uuid::now_v7(),
            aggregate_type: "blog.comment".into(),
            aggregate_id: "c".into(),
            sequence: 1,
            tenant_id: "default".into(),
            traceparent: None,
            event,
        }
    }

    #[test]
    fn a_comment_counts_on_its_post_and_a_deleted_post_takes_its_comments() {
        let added = BlogProjection.reduce(&envelope(BlogEvent::CommentAdded(CommentV1 {
            comment_id: Uuid::from_u128(2),
            post_id: Uuid::from_u128(1),
            tenant_id: "default".into(),
            author: Some(Uuid::from_u128(7)),
            body: Some("Nice.".into()),
            at: Utc::now(),
        })));
        assert!(
            added[0].sql.contains("NOT EXISTS"),
            "dropped for a deleted post"
        );
        assert!(
            added[1].sql.contains("SELECT count(*)"),
            "recounted, not incremented"
        );
        let deleted = BlogProjection.reduce(&envelope(BlogEvent::PostDeleted(PostFactV1 {
            post_id: Uuid::from_u128(1),
            tenant_id: "default".into(),
            at: Utc::now(),
        })));
        assert!(deleted[0].sql.contains("DELETE FROM blog_comments_v1"));
        assert!(
            deleted[0].sql.contains("deleted = true"),
            "a tombstone stays"
        );
    }
}
