//! The `Comment` aggregate (`blog.comment`): added to a published post, edited by its author,
//! deleted by its author or a moderator (the route's guard decides who).

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::values::Text;

#[derive(Debug, Clone)]
pub enum CommentCommand {
    Add {
        comment_id: Uuid,
        post_id: Uuid,
        tenant_id: TenantId,
        author: Uuid,
        body: Text,
        at: DateTime<Utc>,
    },
    Edit {
        tenant_id: TenantId,
        body: Text,
        at: DateTime<Utc>,
    },
    Delete {
        tenant_id: TenantId,
        at: DateTime<Utc>,
    },
}

/// A comment was added to a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentAdded {
    pub comment_id: Uuid,
    pub post_id: Uuid,
    pub tenant_id: TenantId,
    pub author: Uuid,
    pub body: Text,
    pub at: DateTime<Utc>,
}

/// A comment's text after an edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentEdited {
    pub comment_id: Uuid,
    pub post_id: Uuid,
    pub tenant_id: TenantId,
    pub body: Text,
    pub at: DateTime<Utc>,
}

/// A comment is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentDeleted {
    pub comment_id: Uuid,
    pub post_id: Uuid,
    pub tenant_id: TenantId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommentEvent {
    CommentAdded(CommentAdded),
    CommentEdited(CommentEdited),
    CommentDeleted(CommentDeleted),
}

impl DomainEvent for CommentEvent {
    fn event_type(&self) -> String {
        match self {
            Self::CommentAdded(_) => "CommentAdded",
            Self::CommentEdited(_) => "CommentEdited",
            Self::CommentDeleted(_) => "CommentDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for CommentEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("the comment exists already")]
    Exists,
    #[error("no such comment")]
    NotFound,
}

/// A comment as its events leave it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    state: Option<CommentAdded>,
    deleted: bool,
}

impl Comment {
    /// Who wrote it, unless there is no such comment.
    pub fn author(&self) -> Option<Uuid> {
        self.live().map(|c| c.author)
    }

    /// The tenant it belongs to, unless there is no such comment.
    pub fn tenant(&self) -> Option<&TenantId> {
        self.live().map(|c| &c.tenant_id)
    }

    /// The post it is on, unless there is no such comment.
    pub fn post(&self) -> Option<Uuid> {
        self.live().map(|c| c.post_id)
    }

    fn live(&self) -> Option<&CommentAdded> {
        self.state.as_ref().filter(|_| !self.deleted)
    }
}

impl Aggregate for Comment {
    const TYPE: &'static str = "blog.comment";
    type Command = CommentCommand;
    type Event = CommentEvent;
    type Error = CommentError;
    type Services = ();

    async fn handle(
        &mut self,
        command: CommentCommand,
        (): &(),
        sink: &EventSink<Self>,
    ) -> Result<(), CommentError> {
        let event = match command {
            CommentCommand::Add {
                comment_id,
                post_id,
                tenant_id,
                author,
                body,
                at,
            } => {
                if self.state.is_some() {
                    return Err(CommentError::Exists);
                }
                CommentEvent::CommentAdded(CommentAdded {
                    comment_id,
                    post_id,
                    tenant_id,
                    author,
                    body,
                    at,
                })
            }
            CommentCommand::Edit {
                tenant_id,
                body,
                at,
            } => {
                let live = self
                    .live()
                    .filter(|c| c.tenant_id == tenant_id)
                    .ok_or(CommentError::NotFound)?;
                if live.body == body {
                    return Ok(());
                }
                CommentEvent::CommentEdited(CommentEdited {
                    comment_id: live.comment_id,
                    post_id: live.post_id,
                    tenant_id: live.tenant_id.clone(),
                    body,
                    at,
                })
            }
            CommentCommand::Delete { tenant_id, at } => {
                let live = self
                    .live()
                    .filter(|c| c.tenant_id == tenant_id)
                    .ok_or(CommentError::NotFound)?;
                CommentEvent::CommentDeleted(CommentDeleted {
                    comment_id: live.comment_id,
                    post_id: live.post_id,
                    tenant_id: live.tenant_id.clone(),
                    at,
                })
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: CommentEvent) {
        match event {
            CommentEvent::CommentAdded(added) => self.state = Some(added),
            CommentEvent::CommentEdited(edited) => {
                if let Some(live) = &mut self.state {
                    live.body = edited.body;
                }
            }
            CommentEvent::CommentDeleted(_) => self.deleted = true,
        }
    }
}
