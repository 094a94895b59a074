//! `/config` and `/mode`: compatibility levels, global and per subject, and the registry's mode
//! (always READWRITE: this registry has no import or read-only mode).

use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::reply::{Body, Params, Reply, Segments};
use crate::compatibility::CompatibilityLevel;
use crate::error::{Error, Result};
use crate::registry::SchemaRegistry;

/// `PUT /config` bodies: Confluent clients send `compatibility`, some `compatibilityLevel`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConfigRequest {
    #[serde(default)]
    compatibility: Option<String>,
    #[serde(default)]
    compatibility_level: Option<String>,
}

impl ConfigRequest {
    fn level(&self) -> Result<CompatibilityLevel> {
        let name = self
            .compatibility
            .as_deref()
            .or(self.compatibility_level.as_deref())
            .ok_or(Error::InvalidCompatibilityLevel)?;
        CompatibilityLevel::parse(name)
    }
}

/// What `PUT` answers.
#[derive(Debug, Serialize)]
pub(super) struct ConfigUpdate {
    compatibility: &'static str,
}

/// What `GET` and `DELETE` answer; `DELETE` of a subject without a level answers `{}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConfigBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    compatibility_level: Option<&'static str>,
}

impl From<Option<CompatibilityLevel>> for ConfigBody {
    fn from(level: Option<CompatibilityLevel>) -> Self {
        Self {
            compatibility_level: level.map(CompatibilityLevel::as_str),
        }
    }
}

/// `GET /config`
pub(super) async fn global(State(registry): State<SchemaRegistry>) -> Result<Reply<ConfigBody>> {
    Ok(Reply(Some(registry.global_compatibility().await?).into()))
}

/// `PUT /config`
#[tracing::instrument(skip_all)]
pub(super) async fn set_global(
    State(registry): State<SchemaRegistry>,
    Body(request): Body<ConfigRequest>,
) -> Result<Reply<ConfigUpdate>> {
    let level = request.level()?;
    registry.set_global_compatibility(level).await?;
    Ok(Reply(ConfigUpdate {
        compatibility: level.as_str(),
    }))
}

/// `DELETE /config`: back to the default level, answering the previous one.
#[tracing::instrument(skip_all)]
pub(super) async fn reset_global(
    State(registry): State<SchemaRegistry>,
) -> Result<Reply<ConfigBody>> {
    Ok(Reply(
        Some(registry.reset_global_compatibility().await?).into(),
    ))
}

/// `GET /config/{subject}`: 40408 without a subject-level level unless `defaultToGlobal=true`.
pub(super) async fn subject(
    State(registry): State<SchemaRegistry>,
    Segments(subject): Segments<String>,
    params: Params,
) -> Result<Reply<ConfigBody>> {
    let level = match registry.subject_compatibility(&subject).await? {
        Some(level) => level,
        None if params.flag("defaultToGlobal") => registry.global_compatibility().await?,
        None => return Err(Error::SubjectCompatibilityNotConfigured(subject)),
    };
    Ok(Reply(Some(level).into()))
}

/// `PUT /config/{subject}`
#[tracing::instrument(skip_all, fields(subject = %subject))]
pub(super) async fn set_subject(
    State(registry): State<SchemaRegistry>,
    Segments(subject): Segments<String>,
    Body(request): Body<ConfigRequest>,
) -> Result<Reply<ConfigUpdate>> {
    let level = request.level()?;
    registry.set_subject_compatibility(&subject, level).await?;
    Ok(Reply(ConfigUpdate {
        compatibility: level.as_str(),
    }))
}

/// `DELETE /config/{subject}`: the global level applies again; answers the removed level.
#[tracing::instrument(skip_all, fields(subject = %subject))]
pub(super) async fn delete_subject(
    State(registry): State<SchemaRegistry>,
    Segments(subject): Segments<String>,
) -> Result<Reply<ConfigBody>> {
    Ok(Reply(
        registry
            .delete_subject_compatibility(&subject)
            .await?
            .into(),
    ))
}

const READWRITE: &str = "READWRITE";

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ModeBody {
    mode: String,
}

/// `GET /mode`
pub(super) async fn global_mode() -> Reply<ModeBody> {
    Reply(ModeBody {
        mode: READWRITE.to_owned(),
    })
}

/// `PUT /mode`: only READWRITE is accepted.
pub(super) async fn set_global_mode(Body(request): Body<ModeBody>) -> Result<Reply<ModeBody>> {
    if request.mode.eq_ignore_ascii_case(READWRITE) {
        Ok(global_mode().await)
    } else {
        Err(Error::InvalidMode)
    }
}

/// `GET /mode/{subject}`: subjects have no mode of their own; `defaultToGlobal=true` answers the
/// global one.
pub(super) async fn subject_mode(
    Segments(subject): Segments<String>,
    params: Params,
) -> Result<Reply<ModeBody>> {
    if params.flag("defaultToGlobal") {
        Ok(global_mode().await)
    } else {
        Err(Error::SubjectModeNotConfigured(subject))
    }
}
