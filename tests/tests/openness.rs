//! The kernel is open: a module no kernel crate knows — the notes module below, defined only in
//! this test — is registered into a test stack and gets its events published to Kafka as
//! Confluent Avro, its events recorded in the audit trail, its projection fed, and its route
//! guarded as its manifest declares, with no kernel code naming it.

use std::sync::Arc;
use std::time::Duration;

use apache_avro::types::Value;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use plinth_domain_core::{Actor, CommandMetadata, TenantId, UniqueClaim, UniqueClaims};
use plinth_domain_permissions::{Access, Permission, PermissionInfo, RouteInfo};
use plinth_infra_edge::ApiError;
use plinth_infra_event_store::CommandBus;
use plinth_infra_kafka::AvroCodec;
use plinth_infra_module::{
    DynProjection, Envelope, EventSet, Http, Kernel, Manifest, Migration, Migrations, Module,
    ModuleError, Projection, Statement,
};
use plinth_schemas::{DecodeEvent, EventSchema, Fields, event_schema};
use plinth_tests::{World, eventually, read_topic};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

// --- The notes module: domain, events and schema, projection, registration. ---

#[derive(Debug, Clone)]
struct WriteNote {
    text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum NoteEvent {
    NoteWritten {
        note_id: Uuid,
        tenant_id: String,
        text: String,
        at: DateTime<Utc>,
    },
}

impl DomainEvent for NoteEvent {
    fn event_type(&self) -> String {
        "NoteWritten".to_owned()
    }
    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl UniqueClaims for NoteEvent {
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a note is written once")]
struct AlreadyWritten;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Note {
    written: bool,
}

impl Aggregate for Note {
    const TYPE: &'static str = "notes.note";
    type Command = WriteNote;
    type Event = NoteEvent;
    type Error = AlreadyWritten;
    type Services = (Uuid, String);

    async fn handle(
        &mut self,
        command: WriteNote,
        (note_id, tenant): &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), AlreadyWritten> {
        if self.written {
            return Err(AlreadyWritten);
        }
        let event = NoteEvent::NoteWritten {
            note_id: *note_id,
            tenant_id: tenant.clone(),
            text: command.text,
            at: Utc::now(),
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, _event: NoteEvent) {
        self.written = true;
    }
}

static SCHEMAS: [EventSchema; 1] = [event_schema!(
    "notes.note",
    "NoteWritten",
    "plinth.notes.NoteWritten",
    "avro/notes/NoteWritten.avsc"
)];

static EVENTS: EventSet = EventSet {
    module: "notes",
    schemas: &SCHEMAS,
    encode: |schema, payload| {
        let NoteEvent::NoteWritten {
            note_id,
            tenant_id,
            text,
            at,
        } = plinth_schemas::payload(schema.event_type, payload)?;
        Ok(plinth_schemas::record(vec![
            ("note_id", Value::Uuid(note_id)),
            ("tenant_id", Value::String(tenant_id)),
            ("text", Value::String(text)),
            ("at", plinth_schemas::micros(at)),
        ]))
    },
};

/// The notes module's events as a consumer decodes them.
#[derive(Debug, Clone, PartialEq)]
enum PublishedNote {
    Written { note_id: Uuid, text: String },
}

impl DecodeEvent for PublishedNote {
    fn decode(record_name: &str, value: Value) -> plinth_schemas::Result<Self> {
        let Some(schema) = EVENTS.schema_for_record(record_name) else {
            return Err(plinth_schemas::Error::UnknownRecord(record_name.to_owned()));
        };
        let f = Fields::new(schema.record_name, value)?;
        Ok(Self::Written {
            note_id: f.uuid("note_id")?,
            text: f.string("text")?,
        })
    }
}

struct NotesProjection;

impl Projection for NotesProjection {
    type Event = PublishedNote;

    fn name(&self) -> &'static str {
        "notes_v1"
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &["notes.note"]
    }
    fn migrations(&self) -> Migrations {
        Migrations {
            component: "projection_notes",
            steps: &[Migration {
                version: 1,
                name: "notes_v1",
                sql: "CREATE TABLE notes_v1 (note_id uuid PRIMARY KEY, text text NOT NULL)",
            }],
        }
    }
    fn reduce(&self, envelope: &Envelope<PublishedNote>) -> Vec<Statement> {
        let PublishedNote::Written { note_id, text } = &envelope.event;
        vec![Statement {
            sql: "INSERT INTO notes_v1 (note_id, text) VALUES ($1, $2)",
            params: vec![Box::new(*note_id), Box::new(text.clone())],
        }]
    }
}

struct NotesModule;

/// What `module.toml` would declare, written out (a module in a folder of its own has its
/// build script generate it): one permission, and one route needing it.
const NOTE_READ: Permission = Permission::declared("notes.note.read", false);

static MANIFEST: Manifest = Manifest {
    name: "notes",
    version: "1",
    permissions: &[PermissionInfo {
        permission: NOTE_READ,
        description: "Read notes.",
    }],
    routes: &[RouteInfo {
        module: "notes",
        method: "GET",
        path: "/v1/notes/{id}",
        access: Access::Permission(NOTE_READ),
        owner_param: None,
        resource: None,
        credentials: false,
    }],
    jobs: &[],
};

/// The route's operation.
#[derive(utoipa::OpenApi)]
#[openapi(paths(read_note))]
struct NotesDocument;

/// `GET /v1/notes/{id}` → `{text}` or 404.
#[utoipa::path(
    get,
    path = "/v1/notes/{id}",
    tag = "notes",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "The note.", body = Object))
)]
async fn read_note(
    State(pool): State<plinth_infra_postgres::Pool>,
    Path(id): Path<Uuid>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let client = pool
        .get()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let row = client
        .query_opt("SELECT text FROM notes_v1 WHERE note_id = $1", &[&id])
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?
        .ok_or_else(|| ApiError::NotFound(format!("no note {id}")))?;
    Ok(Json(serde_json::json!({ "text": row.get::<_, String>(0) })))
}

#[async_trait::async_trait]
impl Module for NotesModule {
    fn manifest(&self) -> &'static Manifest {
        &MANIFEST
    }
    fn events(&self) -> Option<&'static EventSet> {
        Some(&EVENTS)
    }
    fn projections(&self) -> Vec<Arc<dyn DynProjection>> {
        vec![Arc::new(NotesProjection)]
    }
    async fn http(&self, kernel: &Kernel) -> Result<Http, ModuleError> {
        let pool = plinth_infra_postgres::connect_pool(&kernel.database_url, 2).map_err(|e| {
            ModuleError {
                module: "notes",
                reason: e.to_string(),
            }
        })?;
        Ok(Http::default()
            .documented(<NotesDocument as utoipa::OpenApi>::openapi())
            .route(http::Method::GET, "/v1/notes/{id}", read_note, pool))
    }
}

// --- The scenarios. ---

#[test]
fn the_notes_schema_is_locked_like_every_published_schema() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("avro");
    if let Err(problems) = plinth_schemas::check_published(&SCHEMAS, &dir) {
        panic!("{}", problems.join("\n"));
    }
}

#[tokio::test]
async fn a_module_only_the_tests_know_is_published_audited_and_projected() {
    let mut modules = plinth_cli::modules();
    modules.push(Arc::new(NotesModule));
    let world = World::start_with_modules(modules).await;
    world.start_projector(Arc::new(NotesProjection));
    world.start_projector(Arc::new(plinth_projections_audit::AuditProjection));
    world.start_audit();
    world.start_relay();

    let pool = plinth_infra_event_store::sqlx_pool(&world.db.url, 2).unwrap();
    let metadata = CommandMetadata::new(
        TenantId::default(),
        Actor::Service("openness test".into()),
        Uuid::now_v7(),
    );
    let mut notes = Vec::new();
    for text in ["first", "second", "third"] {
        let id = Uuid::now_v7();
        CommandBus::<Note>::new(pool.clone(), (id, "default".to_owned()))
            .execute(&id.to_string(), WriteNote { text: text.into() }, &metadata)
            .await
            .unwrap();
        notes.push((id, text));
    }

    let count = |sql: &'static str| {
        let pool = world.pool.clone();
        async move {
            let client = pool.get().await.ok()?;
            let n: i64 = client.query_one(sql, &[]).await.ok()?.get(0);
            (n == 3).then_some(())
        }
    };
    eventually("the notes projection fed", Duration::from_secs(60), || {
        count("SELECT COUNT(*) FROM notes_v1")
    })
    .await;
    eventually(
        "every note in the audit trail",
        Duration::from_secs(60),
        || count("SELECT COUNT(*) FROM audit_records_v1 WHERE action = 'NoteWritten' AND target_type = 'notes.note'"),
    )
    .await;

    let records = read_topic(
        &world.settings.kafka.brokers,
        &world.topic("notes.note"),
        world.settings.kafka.partitions,
        3,
        Duration::from_secs(30),
    )
    .await;
    let codec = AvroCodec::new(&world.settings.schema_registry).unwrap();
    let mut published = Vec::new();
    for record in &records {
        assert_eq!(record.value[0], 0, "Confluent wire format: magic byte 0");
        let decoded = codec.decode(&record.value).await.unwrap();
        assert_eq!(decoded.record_name, "plinth.notes.NoteWritten");
        published.push(PublishedNote::decode(&decoded.record_name, decoded.value).unwrap());
    }
    let expected: Vec<PublishedNote> = notes
        .iter()
        .map(|(id, text)| PublishedNote::Written {
            note_id: *id,
            text: (*text).to_owned(),
        })
        .collect();
    for note in &expected {
        assert!(published.contains(note), "{note:?} in {published:?}");
    }

    let (code, out, err) = world.plinth(&["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}\n{err}");

    // Its route, guarded as its manifest says.
    let path = format!("/v1/notes/{}", notes[0].0);
    let anonymous = world
        .http
        .get(format!("{}{path}", world.gateway_url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let (_, someone) = world.signed_in("someone@example.org").await;
    let (status, problem) = world.get_as(&path, &someone).await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("notes.note.read")
    );
    let root = world.bootstrap_admin("root@example.org").await;
    let (status, note) = world.get_as(&path, &root).await;
    assert_eq!(
        (status, note["text"].as_str()),
        (200, Some("first")),
        "{note}"
    );
}
