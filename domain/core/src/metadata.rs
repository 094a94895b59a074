use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::TenantId;

/// Keys of the metadata map stored with every event (cqrs-es keeps metadata as strings).
pub mod metadata_keys {
    pub const TENANT_ID: &str = "tenant_id";
    pub const ACTOR: &str = "actor";
    pub const CORRELATION_ID: &str = "correlation_id";
    pub const CAUSATION_ID: &str = "causation_id";
    pub const TRACEPARENT: &str = "traceparent";
    pub const UNIQUE_CLAIMS: &str = "unique_claims";
    pub const UNIQUE_RELEASES: &str = "unique_releases";
}

/// Who caused a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Actor {
    /// A signed-in user.
    User(Uuid),
    /// A Plinth service or operator tool, by name.
    Service(String),
    /// Someone not signed in (self-registration, say).
    Anonymous,
}

/// Why a string is not an actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an actor is `user:<uuid>`, `service:<name>` or `anonymous`, not {0:?}")]
pub struct ActorError(String);

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => write!(f, "user:{id}"),
            Self::Service(name) => write!(f, "service:{name}"),
            Self::Anonymous => f.write_str("anonymous"),
        }
    }
}

impl FromStr for Actor {
    type Err = ActorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "anonymous" => Ok(Self::Anonymous),
            Some(("user", id)) => Uuid::parse_str(id)
                .map(Self::User)
                .map_err(|_| ActorError(s.to_owned())),
            Some(("service", name)) if !name.is_empty() => Ok(Self::Service(name.to_owned())),
            _ => Err(ActorError(s.to_owned())),
        }
    }
}

impl TryFrom<String> for Actor {
    type Error = ActorError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Actor> for String {
    fn from(value: Actor) -> Self {
        value.to_string()
    }
}

/// The context of one command, stored with each event it produces: the tenant, who acted, the
/// correlation id shared by everything one request caused, the id of what caused this command
/// (a request or an event), and the W3C `traceparent` so one trace spans HTTP, Kafka and projectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMetadata {
    pub tenant_id: TenantId,
    pub actor: Actor,
    pub correlation_id: Uuid,
    pub causation_id: Uuid,
    pub traceparent: Option<String>,
}

/// Why a stored metadata map could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("event metadata lacks `{0}`")]
    Missing(&'static str),
    #[error("event metadata has an invalid `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl CommandMetadata {
    /// Metadata for a command that starts a new causal chain (an incoming request).
    pub fn new(tenant_id: TenantId, actor: Actor, request_id: Uuid) -> Self {
        Self {
            tenant_id,
            actor,
            correlation_id: request_id,
            causation_id: request_id,
            traceparent: None,
        }
    }

    /// The same context with another actor (the signed-in user, once authenticated).
    #[must_use]
    pub fn with_actor(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    #[must_use]
    pub fn with_traceparent(mut self, traceparent: Option<String>) -> Self {
        self.traceparent = traceparent;
        self
    }

    /// The string map cqrs-es stores next to each event.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            (
                metadata_keys::TENANT_ID.to_owned(),
                self.tenant_id.to_string(),
            ),
            (metadata_keys::ACTOR.to_owned(), self.actor.to_string()),
            (
                metadata_keys::CORRELATION_ID.to_owned(),
                self.correlation_id.to_string(),
            ),
            (
                metadata_keys::CAUSATION_ID.to_owned(),
                self.causation_id.to_string(),
            ),
        ]);
        if let Some(tp) = &self.traceparent {
            map.insert(metadata_keys::TRACEPARENT.to_owned(), tp.clone());
        }
        map
    }

    /// Reads the map written by [`CommandMetadata::to_map`].
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, MetadataError> {
        let get = |key: &'static str| map.get(key).ok_or(MetadataError::Missing(key));
        let invalid = |key: &'static str| {
            move |e: &dyn fmt::Display| MetadataError::Invalid {
                key,
                reason: e.to_string(),
            }
        };
        let uuid = |key: &'static str| {
            get(key).and_then(|v| Uuid::parse_str(v).map_err(|e| invalid(key)(&e)))
        };
        Ok(Self {
            tenant_id: TenantId::parse(get(metadata_keys::TENANT_ID)?)
                .map_err(|e| invalid(metadata_keys::TENANT_ID)(&e))?,
            actor: get(metadata_keys::ACTOR)?
                .parse()
                .map_err(|e: ActorError| invalid(metadata_keys::ACTOR)(&e))?,
            correlation_id: uuid(metadata_keys::CORRELATION_ID)?,
            causation_id: uuid(metadata_keys::CAUSATION_ID)?,
            traceparent: map.get(metadata_keys::TRACEPARENT).cloned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip_through_their_string_form() {
        for actor in [
            Actor::User(Uuid::nil()),
            Actor::Service("relay".into()),
            Actor::Anonymous,
        ] {
            assert_eq!(actor.to_string().parse::<Actor>().unwrap(), actor);
        }
        assert!("user:not-a-uuid".parse::<Actor>().is_err());
        assert!("service:".parse::<Actor>().is_err());
    }

    #[test]
    fn metadata_round_trips_through_the_stored_map() {
        let meta = CommandMetadata::new(TenantId::default(), Actor::Anonymous, Uuid::now_v7())
            .with_traceparent(Some(
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into(),
            ));
        assert_eq!(CommandMetadata::from_map(&meta.to_map()).unwrap(), meta);
    }

    #[test]
    fn metadata_without_a_tenant_is_rejected_by_name() {
        let mut map =
            CommandMetadata::new(TenantId::default(), Actor::Anonymous, Uuid::nil()).to_map();
        map.remove(metadata_keys::TENANT_ID);
        assert_eq!(
            CommandMetadata::from_map(&map),
            Err(MetadataError::Missing("tenant_id"))
        );
    }
}
