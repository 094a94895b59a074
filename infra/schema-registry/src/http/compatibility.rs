//! `/compatibility/...`: would this schema be accepted, without registering it.

use axum::extract::State;
use serde::Serialize;

use super::SchemaRequest;
use super::reply::{Body, Params, Reply, Segments};
use crate::error::Result;
use crate::registry::SchemaRegistry;
use crate::version::VersionId;

/// `{"is_compatible": …}`, with `messages` when `verbose=true`.
#[derive(Debug, Serialize)]
pub(super) struct CompatibilityBody {
    is_compatible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<Vec<String>>,
}

/// `POST /compatibility/subjects/{subject}/versions/{version}`: against one version (`latest`:
/// the newest).
#[tracing::instrument(skip_all, fields(subject = %subject, version = %version))]
pub(super) async fn against_version(
    State(registry): State<SchemaRegistry>,
    Segments((subject, version)): Segments<(String, String)>,
    params: Params,
    Body(request): Body<SchemaRequest>,
) -> Result<Reply<CompatibilityBody>> {
    let id = VersionId::parse(&version)?;
    test(&registry, &subject, Some(id), &params, request).await
}

/// `POST /compatibility/subjects/{subject}/versions`: against the versions the subject's level
/// checks (the latest, or all for the transitive levels).
#[tracing::instrument(skip_all, fields(subject = %subject))]
pub(super) async fn against_all(
    State(registry): State<SchemaRegistry>,
    Segments(subject): Segments<String>,
    params: Params,
    Body(request): Body<SchemaRequest>,
) -> Result<Reply<CompatibilityBody>> {
    test(&registry, &subject, None, &params, request).await
}

async fn test(
    registry: &SchemaRegistry,
    subject: &str,
    version: Option<VersionId>,
    params: &Params,
    request: SchemaRequest,
) -> Result<Reply<CompatibilityBody>> {
    let schema = request.into_schema()?;
    let messages = registry
        .test_compatibility(subject, version, &schema)
        .await?;
    Ok(Reply(CompatibilityBody {
        is_compatible: messages.is_empty(),
        messages: params.flag("verbose").then_some(messages),
    }))
}
