//! The REST API, route by route as Confluent's Schema Registry exposes it. Handlers translate
//! between HTTP and [`SchemaRegistry`]; every failure answers through [`Error`]'s one mapping.

pub(crate) mod access;
mod compatibility;
mod config;
pub(crate) mod reply;
mod schemas;
mod subjects;

use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodRouter, delete, get, post, put};
use serde::Deserialize;

use crate::canonical::{AVRO, AvroSchema};
use crate::error::{Error, Result};
use crate::registry::SchemaRegistry;
pub use access::Writers;
use reply::Reply;

/// The full REST API of the registry, ready to serve (`axum::serve`) or to nest. With
/// `writers`, every change needs their credentials (see [`Writers`]); without, anyone may
/// change it.
pub fn router(registry: SchemaRegistry, writers: Option<Writers>) -> Router {
    let writers = writers.map(Arc::new);
    let change = |route: MethodRouter<SchemaRegistry>| {
        route.route_layer(axum::middleware::from_fn_with_state(
            writers.clone(),
            access::require,
        ))
    };
    Router::new()
        .route("/", get(root))
        .route("/subjects", get(subjects::list))
        .route(
            "/subjects/{subject}",
            post(subjects::lookup).merge(change(delete(subjects::delete))),
        )
        .route(
            "/subjects/{subject}/versions",
            get(subjects::versions).merge(change(post(subjects::register))),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(subjects::version).merge(change(delete(subjects::delete_version))),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(subjects::version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(subjects::referenced_by),
        )
        .route("/schemas/types", get(schemas::types))
        .route("/schemas/ids/{id}", get(schemas::by_id))
        .route("/schemas/ids/{id}/schema", get(schemas::raw_by_id))
        .route("/schemas/ids/{id}/versions", get(schemas::versions))
        .route("/schemas/ids/{id}/subjects", get(schemas::subjects))
        .route(
            "/config",
            get(config::global).merge(change(put(config::set_global).delete(config::reset_global))),
        )
        .route(
            "/config/{subject}",
            get(config::subject).merge(change(
                put(config::set_subject).delete(config::delete_subject),
            )),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility::against_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility::against_version),
        )
        .route(
            "/mode",
            get(config::global_mode).merge(change(put(config::set_global_mode))),
        )
        .route("/mode/{subject}", get(config::subject_mode))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(registry)
}

/// `GET /`: Confluent answers an empty object.
async fn root() -> Reply<serde_json::Map<String, serde_json::Value>> {
    Reply(serde_json::Map::new())
}

async fn not_found() -> Error {
    Error::EndpointNotFound
}

async fn method_not_allowed() -> Error {
    Error::MethodNotAllowed
}

/// The body of register, lookup and compatibility requests.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaRequest {
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<serde_json::Value>>,
}

impl SchemaRequest {
    /// The AVRO schema the request carries: other types and references are not supported.
    fn into_schema(self) -> Result<AvroSchema> {
        if let Some(schema_type) = self.schema_type
            && !schema_type.eq_ignore_ascii_case(AVRO)
        {
            return Err(Error::InvalidSchema(format!(
                "schema type {schema_type} is not supported; this registry supports AVRO only"
            )));
        }
        if self
            .references
            .is_some_and(|references| !references.is_empty())
        {
            return Err(Error::InvalidSchema(
                "schema references are not supported".to_owned(),
            ));
        }
        AvroSchema::parse(self.schema.as_deref().unwrap_or_default())
    }
}
