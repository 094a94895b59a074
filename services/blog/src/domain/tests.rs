use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use plinth_domain_core::TenantId;
use uuid::Uuid;

use super::*;

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

const POST: Uuid = Uuid::from_u128(1);
const ADA: Uuid = Uuid::from_u128(7);

fn created() -> PostEvent {
    PostEvent::PostCreated(PostCreated {
        post_id: POST,
        tenant_id: TenantId::default(),
        author: ADA,
        title: Title::parse("Hello").unwrap(),
        body: Text::parse("First post.", Text::POST_MAX).unwrap(),
        tags: Tags::parse(&["intro"]).unwrap(),
        at: noon(),
    })
}

fn fact() -> PostFact {
    PostFact {
        post_id: POST,
        tenant_id: TenantId::default(),
        at: noon(),
    }
}

fn posts() -> TestFramework<Post> {
    TestFramework::with(())
}

#[tokio::test]
async fn a_post_starts_as_a_draft_of_its_author() {
    let PostEvent::PostCreated(e) = created() else {
        unreachable!()
    };
    posts()
        .given_no_previous_events()
        .when_async(PostCommand::Create {
            post_id: e.post_id,
            tenant_id: e.tenant_id,
            author: e.author,
            title: e.title,
            body: e.body,
            tags: e.tags,
            at: e.at,
        })
        .await
        .then_expect_events(vec![created()]);
}

#[tokio::test]
async fn an_edit_keeps_what_it_does_not_change_and_an_empty_edit_records_nothing() {
    posts()
        .given(vec![created()])
        .when_async(PostCommand::Edit {
            tenant_id: TenantId::default(),
            title: Some(Title::parse("Hello again").unwrap()),
            body: None,
            tags: None,
            at: noon(),
        })
        .await
        .then_expect_events(vec![PostEvent::PostEdited(PostEdited {
            post_id: POST,
            tenant_id: TenantId::default(),
            title: Title::parse("Hello again").unwrap(),
            body: Text::parse("First post.", Text::POST_MAX).unwrap(),
            tags: Tags::parse(&["intro"]).unwrap(),
            at: noon(),
        })]);
    posts()
        .given(vec![created()])
        .when_async(PostCommand::Edit {
            tenant_id: TenantId::default(),
            title: Some(Title::parse("Hello").unwrap()),
            body: None,
            tags: None,
            at: noon(),
        })
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn publishing_twice_or_unpublishing_a_draft_is_refused() {
    posts()
        .given(vec![created()])
        .when_async(PostCommand::Publish {
            tenant_id: TenantId::default(),
            at: noon(),
        })
        .await
        .then_expect_events(vec![PostEvent::PostPublished(fact())]);
    posts()
        .given(vec![created(), PostEvent::PostPublished(fact())])
        .when_async(PostCommand::Publish {
            tenant_id: TenantId::default(),
            at: noon(),
        })
        .await
        .then_expect_error(PostError::AlreadyPublished);
    posts()
        .given(vec![created()])
        .when_async(PostCommand::Unpublish {
            tenant_id: TenantId::default(),
            at: noon(),
        })
        .await
        .then_expect_error(PostError::NotPublished);
}

#[tokio::test]
async fn a_deleted_post_is_gone_for_every_command() {
    posts()
        .given(vec![created()])
        .when_async(PostCommand::Delete {
            tenant_id: TenantId::default(),
            at: noon(),
        })
        .await
        .then_expect_events(vec![PostEvent::PostDeleted(fact())]);
    posts()
        .given(vec![created(), PostEvent::PostDeleted(fact())])
        .when_async(PostCommand::Publish {
            tenant_id: TenantId::default(),
            at: noon(),
        })
        .await
        .then_expect_error(PostError::NotFound);
    posts()
        .given(vec![created(), PostEvent::PostDeleted(fact())])
        .when_async(PostCommand::Delete {
            tenant_id: TenantId::default(),
            at: noon(),
        })
        .await
        .then_expect_error(PostError::NotFound);
}

#[tokio::test]
async fn a_post_of_another_tenant_is_no_such_post() {
    posts()
        .given(vec![created()])
        .when_async(PostCommand::Delete {
            tenant_id: TenantId::parse("globex").unwrap(),
            at: noon(),
        })
        .await
        .then_expect_error(PostError::NotFound);
}

#[tokio::test]
async fn a_comment_is_edited_and_deleted_once_it_exists() {
    let added = CommentAdded {
        comment_id: Uuid::from_u128(2),
        post_id: POST,
        tenant_id: TenantId::default(),
        author: ADA,
        body: Text::parse("Nice.", Text::COMMENT_MAX).unwrap(),
        at: noon(),
    };
    TestFramework::<Comment>::with(())
        .given_no_previous_events()
        .when_async(CommentCommand::Delete {
            tenant_id: TenantId::default(),
            at: noon(),
        })
        .await
        .then_expect_error(CommentError::NotFound);
    TestFramework::<Comment>::with(())
        .given(vec![CommentEvent::CommentAdded(added.clone())])
        .when_async(CommentCommand::Delete {
            tenant_id: TenantId::default(),
            at: noon(),
        })
        .await
        .then_expect_events(vec![CommentEvent::CommentDeleted(CommentDeleted {
            comment_id: added.comment_id,
            post_id: POST,
            tenant_id: TenantId::default(),
            at: noon(),
        })]);
}
