//! What can be asked of a session, and what happened to one.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use plinth_domain_core::{TenantId, UniqueClaim, UniqueClaims};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{TokenHash, UserId};

/// What can be asked of a session.
#[derive(Debug, Clone)]
pub enum SessionCommand {
    Start(StartSession),
    Refresh(RefreshSession),
    Revoke(RevokeSession),
}

/// Open a session after a successful login, with its first refresh token (as a hash).
#[derive(Debug, Clone)]
pub struct StartSession {
    pub session_id: Uuid,
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub refresh_token: TokenHash,
    pub expires_at: DateTime<Utc>,
}

/// Exchange the presented refresh token for `next` (rotation).
#[derive(Debug, Clone)]
pub struct RefreshSession {
    pub presented: TokenHash,
    pub next: TokenHash,
}

/// End the session. Ending an ended session changes nothing.
#[derive(Debug, Clone, Copy)]
pub struct RevokeSession {
    pub reason: RevocationReason,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// The user logged out.
    Logout,
    /// The user (or an administrator) revoked it from the session list.
    Revoked,
    /// A refresh token was used after it had been rotated: it may have been stolen, so the
    /// whole token family is ended.
    RefreshTokenReused,
}

impl RevocationReason {
    /// The published name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Revoked => "revoked",
            Self::RefreshTokenReused => "refresh_token_reused",
        }
    }
}

/// What happened to a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionEvent {
    SessionStarted(SessionStarted),
    SessionRefreshed(SessionRefreshed),
    SessionRevoked(SessionRevoked),
}

/// A login opened a session; only the refresh token's hash is kept (and never published).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStarted {
    pub session_id: Uuid,
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub refresh_token: TokenHash,
    pub expires_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// The refresh token was rotated: `refresh_token` (a hash) replaces the one presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRefreshed {
    pub session_id: Uuid,
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub refresh_token: TokenHash,
    pub at: DateTime<Utc>,
}

/// The session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRevoked {
    pub session_id: Uuid,
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub reason: RevocationReason,
    pub at: DateTime<Utc>,
}

impl DomainEvent for SessionEvent {
    fn event_type(&self) -> String {
        match self {
            Self::SessionStarted(_) => "SessionStarted",
            Self::SessionRefreshed(_) => "SessionRefreshed",
            Self::SessionRevoked(_) => "SessionRevoked",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for SessionEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}
