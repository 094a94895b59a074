//! The OpenAPI 3.1 document the gateway serves at `/openapi.json`, and as a page at `/docs`:
//! every registered module's operations, documented by the module from its handlers' own types
//! (`Http::documented`), merged, then completed from the manifests — the bearer security of
//! every guarded route, and the problems any route may answer by the guard's or the edge's
//! doing — so that what the document says of authentication and errors is what the guards do.
//! A declared route that is not documented, or a documented one nobody declares, stops the
//! gateway at start.

use plinth_domain_permissions::{Access, Registry, RouteInfo};
use plinth_infra_edge::{PROBLEM_JSON, Problem};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder,
};

use crate::RouteError;

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

/// The document of `fragments` (each module's, and the gateway's own), checked against and
/// completed from the routes `registry` declares.
pub(crate) fn document(
    registry: &Registry,
    fragments: impl IntoIterator<Item = OpenApi>,
) -> Result<OpenApi, RouteError> {
    let mut document = OpenApi::new(
        InfoBuilder::new()
            .title("Plinth")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(
                "Identity, authorization, audit and every registered module's routes. Errors are \
                 application/problem+json. Writes answer with a consistency token; a read that sends \
                 it back in the Consistency-Token header reads that write.",
            ))
            .build(),
        utoipa::openapi::Paths::new(),
    );
    for fragment in fragments {
        clash(&document, &fragment)?;
        document.merge(fragment);
    }
    let components = document.components.take().unwrap_or_default();
    let components = ComponentsBuilder::from(components)
        .schema_from::<Problem>()
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from POST /v1/auth/login or /v1/auth/refresh.",
                    ))
                    .build(),
            ),
        )
        .build();
    document.components = Some(components);

    let mut operation_ids = std::collections::HashMap::new();
    for route in registry.routes() {
        let operation = operation(&mut document, route.method, route.path).ok_or_else(|| {
            RouteError::Undocumented {
                module: route.module.to_owned(),
                method: route.method.to_owned(),
                path: route.path.to_owned(),
            }
        })?;
        complete(operation, route);
        // Operation ids are unique across the document: each module's carry its name.
        let id = format!(
            "{}_{}",
            route.module,
            operation.operation_id.as_deref().unwrap_or_default()
        );
        if let Some(other) = operation_ids.insert(id.clone(), route) {
            return Err(RouteError::DuplicateOperation {
                id,
                first: format!("{} {}", other.method, other.path),
                second: format!("{} {}", route.method, route.path),
            });
        }
        operation.operation_id = Some(id);
    }
    for (path, item) in &document.paths.paths {
        for method in methods(item) {
            if registry.route(method, path).is_none() {
                return Err(RouteError::Undeclared {
                    method: method.to_owned(),
                    path: path.clone(),
                });
            }
        }
    }
    Ok(document)
}

/// Refuses a fragment that names a schema the document already has as something else (two
/// modules' `Created`, say): one would silently stand for the other.
fn clash(document: &OpenApi, fragment: &OpenApi) -> Result<(), RouteError> {
    let (Some(ours), Some(theirs)) = (&document.components, &fragment.components) else {
        return Ok(());
    };
    match theirs
        .schemas
        .iter()
        .find(|(name, schema)| ours.schemas.get(*name).is_some_and(|o| o != *schema))
    {
        Some((name, _)) => Err(RouteError::SchemaClash { name: name.clone() }),
        None => Ok(()),
    }
}

/// The methods `item` documents, upper case.
fn methods(item: &utoipa::openapi::PathItem) -> Vec<&'static str> {
    [
        ("GET", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("DELETE", item.delete.is_some()),
        ("PATCH", item.patch.is_some()),
        ("HEAD", item.head.is_some()),
        ("OPTIONS", item.options.is_some()),
        ("TRACE", item.trace.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, documented)| documented.then_some(method))
    .collect()
}

/// The documented operation for `method` on `path`, if any.
fn operation<'a>(document: &'a mut OpenApi, method: &str, path: &str) -> Option<&'a mut Operation> {
    let item = document.paths.paths.get_mut(path)?;
    match method {
        "GET" => item.get.as_mut(),
        "PUT" => item.put.as_mut(),
        "POST" => item.post.as_mut(),
        "DELETE" => item.delete.as_mut(),
        "PATCH" => item.patch.as_mut(),
        _ => None,
    }
}

/// What the guards and the edge add to every operation of `route`: its security, and the
/// problems they may answer with, besides those its module documents.
fn complete(operation: &mut Operation, route: &RouteInfo) {
    operation.security = Some(match route.access {
        // Anyone; a caller who sends a valid token is known to the handler.
        Access::Public => vec![
            SecurityRequirement::default(),
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
        ],
        Access::Authenticated | Access::Permission(_) => {
            vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]
        }
    });
    let takes_input = operation.request_body.is_some()
        || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut problems = vec![
        (
            "400",
            "A malformed body, or a bad X-Tenant-Id or Consistency-Token header.",
        ),
        (
            "503",
            "A dependency is down, or a view or the authorization view has not caught up in time; retry after Retry-After.",
        ),
    ];
    if route.access != Access::Public {
        problems.push(("401", "No valid access token, or its session has ended."));
    }
    if let Access::Permission(permission) = route.access {
        problems.push((
            "403",
            if permission.is_sensitive() {
                "The caller lacks the permission (the refusal is recorded for audit)."
            } else {
                "The caller lacks the permission."
            },
        ));
    }
    if route.resource.is_some() {
        problems.push(("404", "No such resource in the caller's tenant."));
    }
    if operation.request_body.is_some() {
        problems.push((
            "413",
            "The body is larger than the gateway reads (gateway.body_limit_bytes).",
        ));
        problems.push(("415", "The body is not application/json."));
    }
    if takes_input {
        problems.push((
            "422",
            "Invalid fields or parameters; each is named in `errors`.",
        ));
    }
    for (status, description) in problems {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description));
    }
}

/// A problem response described as `description`.
fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}
