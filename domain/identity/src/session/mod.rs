//! The `Session` aggregate: one login's refresh-token family. Each refresh rotates the token;
//! presenting a token that was already rotated means it leaked, and the service then revokes
//! the whole session (token-family reuse detection, as OAuth 2.0 Security BCP §4.14 asks).

mod events;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use plinth_domain_core::TenantId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use events::{
    RefreshSession, RevocationReason, RevokeSession, SessionCommand, SessionEvent,
    SessionRefreshed, SessionRevoked, SessionStarted, StartSession,
};

use crate::services::Clock;
use crate::{TokenHash, UserId};

/// A session. `None` means "not started".
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Session {
    started: Option<Started>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Started {
    session_id: Uuid,
    user_id: UserId,
    tenant_id: TenantId,
    current: TokenHash,
    /// Every refresh token already rotated away.
    rotated: Vec<TokenHash>,
    started_at: DateTime<Utc>,
    /// The last login or refresh: the idle timeout counts from it.
    last_used: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked: bool,
}

/// Why a session command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session already exists")]
    AlreadyStarted,
    #[error("no such session")]
    NotStarted,
    #[error("the session has ended")]
    Revoked,
    #[error("the session has expired")]
    Expired,
    #[error("the refresh token was already used")]
    TokenReused,
    #[error("the refresh token is not valid for this session")]
    InvalidToken,
}

/// What the `Session` aggregate's command handler may call.
#[derive(Clone)]
pub struct SessionServices {
    pub clock: Arc<dyn Clock>,
    /// A session not refreshed for this long can no longer be refreshed.
    pub idle_timeout: chrono::Duration,
}

impl std::fmt::Debug for SessionServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionServices")
    }
}

impl Aggregate for Session {
    const TYPE: &'static str = "identity.session";
    type Command = SessionCommand;
    type Event = SessionEvent;
    type Error = SessionError;
    type Services = SessionServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let at = services.clock.now();
        let event = match (command, &self.started) {
            (SessionCommand::Start(_), Some(_)) => return Err(SessionError::AlreadyStarted),
            (SessionCommand::Start(cmd), None) => SessionEvent::SessionStarted(SessionStarted {
                session_id: cmd.session_id,
                user_id: cmd.user_id,
                tenant_id: cmd.tenant_id,
                refresh_token: cmd.refresh_token,
                expires_at: cmd.expires_at,
                at,
            }),
            (_, None) => return Err(SessionError::NotStarted),
            (SessionCommand::Refresh(cmd), Some(s)) => {
                if s.revoked {
                    return Err(SessionError::Revoked);
                }
                if s.rotated.contains(&cmd.presented) {
                    return Err(SessionError::TokenReused);
                }
                if s.current != cmd.presented {
                    return Err(SessionError::InvalidToken);
                }
                if at >= s.expires_at || at >= s.last_used + services.idle_timeout {
                    return Err(SessionError::Expired);
                }
                SessionEvent::SessionRefreshed(SessionRefreshed {
                    session_id: s.session_id,
                    user_id: s.user_id,
                    tenant_id: s.tenant_id.clone(),
                    refresh_token: cmd.next,
                    at,
                })
            }
            (SessionCommand::Revoke(_), Some(s)) if s.revoked => return Ok(()),
            (SessionCommand::Revoke(cmd), Some(s)) => {
                SessionEvent::SessionRevoked(SessionRevoked {
                    session_id: s.session_id,
                    user_id: s.user_id,
                    tenant_id: s.tenant_id.clone(),
                    reason: cmd.reason,
                    at,
                })
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            SessionEvent::SessionStarted(e) => {
                self.started = Some(Started {
                    session_id: e.session_id,
                    user_id: e.user_id,
                    tenant_id: e.tenant_id,
                    current: e.refresh_token,
                    rotated: Vec::new(),
                    started_at: e.at,
                    last_used: e.at,
                    expires_at: e.expires_at,
                    revoked: false,
                });
            }
            SessionEvent::SessionRefreshed(e) => {
                if let Some(s) = &mut self.started {
                    let old = std::mem::replace(&mut s.current, e.refresh_token);
                    s.rotated.push(old);
                    s.last_used = e.at;
                }
            }
            SessionEvent::SessionRevoked(_) => {
                if let Some(s) = &mut self.started {
                    s.revoked = true;
                }
            }
        }
    }
}

impl Session {
    /// The user and tenant the session belongs to, once started.
    pub fn owner(&self) -> Option<(UserId, &TenantId)> {
        self.started.as_ref().map(|s| (s.user_id, &s.tenant_id))
    }

    /// When the session started, once started.
    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started.as_ref().map(|s| s.started_at)
    }

    /// When the session ends at the latest, once started.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.started.as_ref().map(|s| s.expires_at)
    }

    /// The last login or refresh, once started.
    pub fn last_used(&self) -> Option<DateTime<Utc>> {
        self.started.as_ref().map(|s| s.last_used)
    }

    /// Whether the session has been revoked.
    pub fn revoked(&self) -> bool {
        self.started.as_ref().is_some_and(|s| s.revoked)
    }
}

#[cfg(test)]
mod tests;
