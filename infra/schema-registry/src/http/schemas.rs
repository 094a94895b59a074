//! `/schemas/...`: schemas by global id, and the supported schema types.

use axum::extract::State;
use serde::Serialize;

use super::reply::{Params, RawSchema, Reply, Segments};
use crate::canonical::AVRO;
use crate::error::{Error, Result};
use crate::registry::SchemaRegistry;

#[derive(Debug, Serialize)]
pub(super) struct SchemaBody {
    schema: String,
}

#[derive(Debug, Serialize)]
pub(super) struct SubjectVersionBody {
    subject: String,
    version: i32,
}

/// Ids in paths are 32-bit integers; anything else is an unknown endpoint, as in Confluent.
fn parse_id(segment: &str) -> Result<i32> {
    segment.parse().map_err(|_| Error::EndpointNotFound)
}

/// `GET /schemas/types`
pub(super) async fn types() -> Reply<[&'static str; 1]> {
    Reply([AVRO])
}

/// `GET /schemas/ids/{id}`: `{"schema": …}`, without `schemaType` for AVRO.
pub(super) async fn by_id(
    State(registry): State<SchemaRegistry>,
    Segments(id): Segments<String>,
) -> Result<Reply<SchemaBody>> {
    let schema = registry.schema(parse_id(&id)?).await?;
    Ok(Reply(SchemaBody { schema }))
}

/// `GET /schemas/ids/{id}/schema`: the schema text alone.
pub(super) async fn raw_by_id(
    State(registry): State<SchemaRegistry>,
    Segments(id): Segments<String>,
) -> Result<RawSchema> {
    Ok(RawSchema(registry.schema(parse_id(&id)?).await?))
}

/// `GET /schemas/ids/{id}/versions`: the subject-version pairs that use the schema.
pub(super) async fn versions(
    State(registry): State<SchemaRegistry>,
    Segments(id): Segments<String>,
    params: Params,
) -> Result<Reply<Vec<SubjectVersionBody>>> {
    let pairs = registry
        .schema_versions(parse_id(&id)?, params.flag("deleted"))
        .await?
        .into_iter()
        .filter(|(subject, _)| params.get("subject").is_none_or(|only| only == subject))
        .map(|(subject, version)| SubjectVersionBody { subject, version })
        .collect();
    Ok(Reply(params.page(pairs)))
}

/// `GET /schemas/ids/{id}/subjects`: the subjects that use the schema.
pub(super) async fn subjects(
    State(registry): State<SchemaRegistry>,
    Segments(id): Segments<String>,
    params: Params,
) -> Result<Reply<Vec<String>>> {
    let subjects = registry
        .schema_subjects(parse_id(&id)?, params.flag("deleted"))
        .await?
        .into_iter()
        .filter(|subject| params.get("subject").is_none_or(|only| only == subject))
        .collect();
    Ok(Reply(params.page(subjects)))
}
