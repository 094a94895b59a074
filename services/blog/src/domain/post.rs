//! The `Post` aggregate (`blog.post`): a draft is created, edited, published now, unpublished,
//! and deleted for good (a tombstone: every later command is refused as if it never existed).

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::values::{Tags, Text, Title};

/// What can be asked of a post.
#[derive(Debug, Clone)]
pub enum PostCommand {
    Create {
        post_id: Uuid,
        tenant_id: TenantId,
        author: Uuid,
        title: Title,
        body: Text,
        tags: Tags,
        at: DateTime<Utc>,
    },
    /// Changes what is given; an edit that changes nothing records nothing.
    Edit {
        tenant_id: TenantId,
        title: Option<Title>,
        body: Option<Text>,
        tags: Option<Tags>,
        at: DateTime<Utc>,
    },
    Publish {
        tenant_id: TenantId,
        at: DateTime<Utc>,
    },
    Unpublish {
        tenant_id: TenantId,
        at: DateTime<Utc>,
    },
    Delete {
        tenant_id: TenantId,
        at: DateTime<Utc>,
    },
}

impl PostCommand {
    /// The tenant the command is given in: a post of another tenant is no such post.
    fn tenant(&self) -> &TenantId {
        match self {
            Self::Create { tenant_id, .. }
            | Self::Edit { tenant_id, .. }
            | Self::Publish { tenant_id, .. }
            | Self::Unpublish { tenant_id, .. }
            | Self::Delete { tenant_id, .. } => tenant_id,
        }
    }
}

/// A post was written as a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostCreated {
    pub post_id: Uuid,
    pub tenant_id: TenantId,
    pub author: Uuid,
    pub title: Title,
    pub body: Text,
    pub tags: Tags,
    pub at: DateTime<Utc>,
}

/// A post's title, body and tags, as they are after an edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostEdited {
    pub post_id: Uuid,
    pub tenant_id: TenantId,
    pub title: Title,
    pub body: Text,
    pub tags: Tags,
    pub at: DateTime<Utc>,
}

/// Something happened to a post, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostFact {
    pub post_id: Uuid,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostEvent {
    PostCreated(PostCreated),
    PostEdited(PostEdited),
    PostPublished(PostFact),
    PostUnpublished(PostFact),
    /// The tombstone: the post is gone.
    PostDeleted(PostFact),
}

impl DomainEvent for PostEvent {
    fn event_type(&self) -> String {
        match self {
            Self::PostCreated(_) => "PostCreated",
            Self::PostEdited(_) => "PostEdited",
            Self::PostPublished(_) => "PostPublished",
            Self::PostUnpublished(_) => "PostUnpublished",
            Self::PostDeleted(_) => "PostDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for PostEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

/// Why a post command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    #[error("the post exists already")]
    Exists,
    #[error("no such post")]
    NotFound,
    #[error("the post is published already")]
    AlreadyPublished,
    #[error("the post is not published")]
    NotPublished,
}

/// A post as its events leave it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    state: Option<Live>,
    deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Live {
    post_id: Uuid,
    tenant_id: TenantId,
    author: Uuid,
    title: Title,
    body: Text,
    tags: Tags,
    published: bool,
}

impl Post {
    /// Who wrote it, unless there is no such post (never created, or deleted).
    pub fn author(&self) -> Option<Uuid> {
        self.live().map(|l| l.author)
    }

    /// Whether it is published (a deleted or unknown post is not).
    pub fn is_published(&self) -> bool {
        self.live().is_some_and(|l| l.published)
    }

    /// The tenant it belongs to, unless there is no such post.
    pub fn tenant(&self) -> Option<&TenantId> {
        self.live().map(|l| &l.tenant_id)
    }

    fn live(&self) -> Option<&Live> {
        self.state.as_ref().filter(|_| !self.deleted)
    }
}

impl Aggregate for Post {
    const TYPE: &'static str = "blog.post";
    type Command = PostCommand;
    type Event = PostEvent;
    type Error = PostError;
    type Services = ();

    async fn handle(
        &mut self,
        command: PostCommand,
        (): &(),
        sink: &EventSink<Self>,
    ) -> Result<(), PostError> {
        if let PostCommand::Create {
            post_id,
            tenant_id,
            author,
            title,
            body,
            tags,
            at,
        } = command
        {
            if self.state.is_some() {
                return Err(PostError::Exists);
            }
            let created = PostCreated {
                post_id,
                tenant_id,
                author,
                title,
                body,
                tags,
                at,
            };
            sink.write(PostEvent::PostCreated(created), self).await;
            return Ok(());
        }
        let live = self
            .live()
            .filter(|live| live.tenant_id == *command.tenant())
            .ok_or(PostError::NotFound)?
            .clone();
        let fact = |at| PostFact {
            post_id: live.post_id,
            tenant_id: live.tenant_id.clone(),
            at,
        };
        let event = match command {
            PostCommand::Create { .. } => unreachable!("handled above"),
            PostCommand::Edit {
                title,
                body,
                tags,
                at,
                ..
            } => {
                let edited = PostEdited {
                    post_id: live.post_id,
                    tenant_id: live.tenant_id.clone(),
                    title: title.unwrap_or_else(|| live.title.clone()),
                    body: body.unwrap_or_else(|| live.body.clone()),
                    tags: tags.unwrap_or_else(|| live.tags.clone()),
                    at,
                };
                if (&edited.title, &edited.body, &edited.tags)
                    == (&live.title, &live.body, &live.tags)
                {
                    return Ok(());
                }
                PostEvent::PostEdited(edited)
            }
            PostCommand::Publish { at, .. } => {
                if live.published {
                    return Err(PostError::AlreadyPublished);
                }
                PostEvent::PostPublished(fact(at))
            }
            PostCommand::Unpublish { at, .. } => {
                if !live.published {
                    return Err(PostError::NotPublished);
                }
                PostEvent::PostUnpublished(fact(at))
            }
            PostCommand::Delete { at, .. } => PostEvent::PostDeleted(fact(at)),
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: PostEvent) {
        match event {
            PostEvent::PostCreated(e) => {
                self.state = Some(Live {
                    post_id: e.post_id,
                    tenant_id: e.tenant_id,
                    author: e.author,
                    title: e.title,
                    body: e.body,
                    tags: e.tags,
                    published: false,
                });
            }
            PostEvent::PostEdited(e) => {
                if let Some(live) = &mut self.state {
                    live.title = e.title;
                    live.body = e.body;
                    live.tags = e.tags;
                }
            }
            PostEvent::PostPublished(_) => {
                if let Some(live) = &mut self.state {
                    live.published = true;
                }
            }
            PostEvent::PostUnpublished(_) => {
                if let Some(live) = &mut self.state {
                    live.published = false;
                }
            }
            PostEvent::PostDeleted(_) => self.deleted = true,
        }
    }
}
