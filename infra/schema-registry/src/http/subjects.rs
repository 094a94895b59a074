//! `/subjects/...`: register, look up, list, read and delete versions of a subject.

use axum::extract::State;
use serde::Serialize;

use super::SchemaRequest;
use super::reply::{Body, Params, RawSchema, Reply, Segments};
use crate::error::Result;
use crate::registry::{SchemaRegistry, SubjectVersion};
use crate::version::VersionId;

/// A subject's version as Confluent shows it; `schemaType` is omitted for AVRO and
/// `references` when empty, as Confluent does.
#[derive(Debug, Serialize)]
pub(super) struct VersionBody {
    subject: String,
    version: i32,
    id: i32,
    schema: String,
}

impl From<SubjectVersion> for VersionBody {
    fn from(version: SubjectVersion) -> Self {
        Self {
            subject: version.subject,
            version: version.version,
            id: version.id,
            schema: version.schema,
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct RegisteredBody {
    id: i32,
}

/// `GET /subjects`
pub(super) async fn list(
    State(registry): State<SchemaRegistry>,
    params: Params,
) -> Result<Reply<Vec<String>>> {
    let subjects = registry
        .subjects(params.deleted(), params.get("subjectPrefix"))
        .await?;
    Ok(Reply(params.page(subjects)))
}

/// `POST /subjects/{subject}/versions`
#[tracing::instrument(skip_all, fields(subject = %subject))]
pub(super) async fn register(
    State(registry): State<SchemaRegistry>,
    Segments(subject): Segments<String>,
    Body(request): Body<SchemaRequest>,
) -> Result<Reply<RegisteredBody>> {
    let schema = request.into_schema()?;
    let registered = registry.register(&subject, &schema).await?;
    tracing::debug!(
        id = registered.id,
        version = registered.version,
        "Registration answered."
    );
    Ok(Reply(RegisteredBody { id: registered.id }))
}

/// `POST /subjects/{subject}`: which version of the subject has this schema.
#[tracing::instrument(skip_all, fields(subject = %subject))]
pub(super) async fn lookup(
    State(registry): State<SchemaRegistry>,
    Segments(subject): Segments<String>,
    params: Params,
    Body(request): Body<SchemaRequest>,
) -> Result<Reply<VersionBody>> {
    let schema = request.into_schema()?;
    let found = registry
        .lookup(&subject, &schema, params.flag("deleted"))
        .await?;
    Ok(Reply(found.into()))
}

/// `DELETE /subjects/{subject}`: soft, or with `permanent=true` hard.
#[tracing::instrument(skip_all, fields(subject = %subject))]
pub(super) async fn delete(
    State(registry): State<SchemaRegistry>,
    Segments(subject): Segments<String>,
    params: Params,
) -> Result<Reply<Vec<i32>>> {
    let deleted = registry
        .delete_subject(&subject, params.flag("permanent"))
        .await?;
    Ok(Reply(deleted))
}

/// `GET /subjects/{subject}/versions`
pub(super) async fn versions(
    State(registry): State<SchemaRegistry>,
    Segments(subject): Segments<String>,
    params: Params,
) -> Result<Reply<Vec<i32>>> {
    let versions = registry.versions(&subject, params.deleted()).await?;
    Ok(Reply(params.page(versions)))
}

/// `GET /subjects/{subject}/versions/{version}`
pub(super) async fn version(
    State(registry): State<SchemaRegistry>,
    Segments((subject, version)): Segments<(String, String)>,
    params: Params,
) -> Result<Reply<VersionBody>> {
    let id = VersionId::parse(&version)?;
    let found = registry
        .version(&subject, id, params.flag("deleted"))
        .await?;
    Ok(Reply(found.into()))
}

/// `GET /subjects/{subject}/versions/{version}/schema`: the schema text alone.
pub(super) async fn version_schema(
    State(registry): State<SchemaRegistry>,
    Segments((subject, version)): Segments<(String, String)>,
    params: Params,
) -> Result<RawSchema> {
    let id = VersionId::parse(&version)?;
    let found = registry
        .version(&subject, id, params.flag("deleted"))
        .await?;
    Ok(RawSchema(found.schema))
}

/// `GET /subjects/{subject}/versions/{version}/referencedby`: schema references are not
/// supported, so no schema refers to another.
pub(super) async fn referenced_by(
    State(registry): State<SchemaRegistry>,
    Segments((subject, version)): Segments<(String, String)>,
) -> Result<Reply<Vec<i32>>> {
    let id = VersionId::parse(&version)?;
    registry.version(&subject, id, false).await?;
    Ok(Reply(Vec::new()))
}

/// `DELETE /subjects/{subject}/versions/{version}`: soft, or with `permanent=true` hard.
#[tracing::instrument(skip_all, fields(subject = %subject, version = %version))]
pub(super) async fn delete_version(
    State(registry): State<SchemaRegistry>,
    Segments((subject, version)): Segments<(String, String)>,
    params: Params,
) -> Result<Reply<i32>> {
    let id = VersionId::parse(&version)?;
    let deleted = registry
        .delete_version(&subject, id, params.flag("permanent"))
        .await?;
    Ok(Reply(deleted))
}
