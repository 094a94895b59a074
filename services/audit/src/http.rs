//! `GET /v1/audit/records` and `GET /v1/audit/checkpoints`: the caller's tenant's audit trail
//! and signed checkpoints, newest first, from the audit read model; written with
//! `plinth-infra-edge` like every module's handlers.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use http::Method;
use plinth_domain_audit::{AuditRecord, Checkpoint, Outcome};
use plinth_infra_edge::Query;
use plinth_infra_edge::{ApiError, Caller, FieldError};
use plinth_infra_module::Http;
use plinth_infra_postgres::Pool;
use plinth_projections_audit::RecordSearch;
use serde::Serialize;

/// The routes' operations, from the handlers' types.
#[derive(utoipa::OpenApi)]
#[openapi(paths(records, checkpoints))]
struct AuditDocument;

/// The handlers over the audit read model at `read`, and their documentation.
pub(crate) fn routes(read: &Pool) -> Http {
    use utoipa::OpenApi;
    Http::default()
        .documented(AuditDocument::openapi())
        .route(Method::GET, "/v1/audit/records", records, read.clone())
        .route(
            Method::GET,
            "/v1/audit/checkpoints",
            checkpoints,
            read.clone(),
        )
}

/// A read-model failure.
fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("the audit read model: {e}"))
}

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;
const RECORD_FILTERS: [&str; 9] = [
    "actor",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "since",
    "until",
    "limit",
    "cursor",
];

/// Parses the query, naming every bad or unknown parameter.
struct Params<'a> {
    query: &'a HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl<'a> Params<'a> {
    fn new(query: &'a HashMap<String, String>, known: &[&str]) -> Self {
        let mut unknown: Vec<&String> = query
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        let errors = unknown
            .into_iter()
            .map(|k| FieldError::new(k, format!("is not a parameter; use {}", known.join(", "))))
            .collect();
        Self { query, errors }
    }

    fn text(&self, name: &str) -> Option<String> {
        self.query.get(name).filter(|v| !v.is_empty()).cloned()
    }

    fn parsed<T>(
        &mut self,
        name: &str,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text = self.text(name)?;
        let value = parse(&text);
        if value.is_none() {
            self.errors.push(FieldError::new(name, expected));
        }
        value
    }

    fn time(&mut self, name: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        self.parsed(
            name,
            "must be an RFC 3339 instant (2026-11-24T12:00:00Z)",
            |t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .ok()
                    .map(|at| at.with_timezone(&chrono::Utc))
            },
        )
    }

    fn limit(&mut self) -> i64 {
        self.parsed(
            "limit",
            &format!("must be a whole number from 1 to {MAX_LIMIT}"),
            |t| t.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)),
        )
        .unwrap_or(DEFAULT_LIMIT)
    }

    fn cursor(&mut self) -> Option<i64> {
        self.parsed(
            "cursor",
            "must be the next_cursor of a previous page",
            |t| t.parse().ok().filter(|n: &i64| *n > 0),
        )
    }

    fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// A page of records, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Records {
    /// Each record: its tenant, position, hash and the previous record's, the actor, action,
    /// target, outcome and details (docs/audit.md).
    #[schema(value_type = Vec<Object>)]
    records: Vec<AuditRecord>,
    next_cursor: Option<String>,
}

/// `GET /v1/audit/records?actor=&action=&target_type=&target_id=&outcome=&since=&until=&limit=&cursor=`
#[utoipa::path(
    get,
    path = "/v1/audit/records",
    tag = "audit",
    summary = "Search the tenant's audit trail",
    params(
        ("actor" = Option<String>, Query, description = "Who acted (a user id, a service name)."),
        ("action" = Option<String>, Query, description = "The event type (`LoginFailed`)."),
        ("target_type" = Option<String>, Query, description = "The aggregate type acted on (`identity.user`)."),
        ("target_id" = Option<String>, Query),
        ("outcome" = Option<String>, Query, description = "success, failure, allowed or denied."),
        ("since" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Not before this instant (RFC 3339)."),
        ("until" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Not after this instant (RFC 3339; later than since)."),
        ("limit" = Option<u16>, Query, minimum = 1, maximum = 500, description = "1 to 500; 50 if absent."),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page."),
    ),
    responses((status = 200, description = "A page of records, newest first.", body = Records))
)]
pub(crate) async fn records(
    State(read): State<Pool>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Records>, ApiError> {
    let mut params = Params::new(&query, &RECORD_FILTERS);
    let outcome = params.parsed(
        "outcome",
        "must be one of success, failure, allowed, denied",
        |t| t.parse::<Outcome>().ok(),
    );
    let search = RecordSearch {
        tenant: caller.tenant.as_str().to_owned(),
        actor: params.text("actor"),
        action: params.text("action"),
        target_type: params.text("target_type"),
        target_id: params.text("target_id"),
        outcome,
        since: params.time("since"),
        until: params.time("until"),
        before: params.cursor(),
        limit: params.limit(),
    };
    params.finish()?;
    if let (Some(since), Some(until)) = (search.since, search.until)
        && until <= since
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "until",
            "must be later than since",
        )]));
    }
    let client = read.get().await.map_err(unavailable)?;
    let page = plinth_projections_audit::list_records(&client, &search)
        .await
        .map_err(unavailable)?;
    Ok(Json(Records {
        records: page.records,
        next_cursor: page.next.map(|n| n.to_string()),
    }))
}

/// A page of signed checkpoints, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Checkpoints {
    /// Each checkpoint: the trail's position and head hash, signed (docs/audit.md).
    #[schema(value_type = Vec<Object>)]
    checkpoints: Vec<Checkpoint>,
    next_cursor: Option<String>,
}

/// `GET /v1/audit/checkpoints?limit=&cursor=`
#[utoipa::path(
    get,
    path = "/v1/audit/checkpoints",
    tag = "audit",
    summary = "The tenant's signed checkpoints",
    params(
        ("limit" = Option<u16>, Query, minimum = 1, maximum = 500, description = "1 to 500; 50 if absent."),
        ("cursor" = Option<String>, Query, description = "The next_cursor of the previous page."),
    ),
    responses((status = 200, description = "A page of signed checkpoints, newest first.", body = Checkpoints))
)]
pub(crate) async fn checkpoints(
    State(read): State<Pool>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Checkpoints>, ApiError> {
    let mut params = Params::new(&query, &["limit", "cursor"]);
    let before = params.cursor();
    let limit = params.limit();
    params.finish()?;
    let client = read.get().await.map_err(unavailable)?;
    let page =
        plinth_projections_audit::list_checkpoints(&client, caller.tenant.as_str(), before, limit)
            .await
            .map_err(unavailable)?;
    Ok(Json(Checkpoints {
        checkpoints: page.checkpoints,
        next_cursor: page.next.map(|n| n.to_string()),
    }))
}
