//! `plinth audit verify | export | at | replay` against real trails in a real Postgres: the
//! tampering suite (each kind of tampering caught at its position, with a non-zero exit), the
//! export round trip, and "what could U do at T?" for a role bound then unbound.

use chrono::Utc;
use plinth_domain_audit::{AuditRecord, Checkpoint, CheckpointLog, RecordCheckpoint};
use plinth_domain_authz::{RoleName, RoleRef, Scope};
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_infra_event_store::CommandBus;
use plinth_services_audit::draft::SourceEvent;
use plinth_services_authz::AuthzService;
use plinth_services_authz_api::{AuthzApi, NewBinding};
use plinth_tests::World;
use serde_json::json;
use uuid::Uuid;

/// `count` synthetic source events of `tenant`, with awkward text in their details.
fn sources(tenant: &str, count: i64) -> Vec<SourceEvent> {
    (1..=count)
        .map(|n| SourceEvent {
            event_id: Uuid::now_v7(),
            aggregate_type: "identity.user".into(),
            // Cells a spreadsheet would run as formulas.
            aggregate_id: match n % 4 {
                1 => "=HYPERLINK(\"http://evil.example\",\"click\")".to_owned(),
                2 => format!("+cmd|' /C calc'!A{n}"),
                3 => format!("@SUM({n})"),
                _ => format!("-{n}+1"),
            },
            event_type: if n % 3 == 0 {
                "LoginFailed"
            } else {
                "LoginSucceeded"
            }
            .into(),
            tenant_id: tenant.into(),
            position: n,
            actor: Some(format!("user:{n}")),
            correlation_id: Some(Uuid::now_v7().to_string()),
            causation_id: None,
            recorded_at: Utc::now(),
            value: json!({ "n": n, "note": "a, \"quoted\"\nline; ünïcödé" }),
        })
        .collect()
}

fn metadata(tenant: &str) -> CommandMetadata {
    CommandMetadata::new(
        TenantId::parse(tenant).unwrap(),
        Actor::Service("test".into()),
        Uuid::now_v7(),
    )
}

async fn sql(world: &World, statement: &str) -> u64 {
    world
        .pool
        .get()
        .await
        .unwrap()
        .execute(statement, &[])
        .await
        .unwrap()
}

/// Records `count` events for each tenant through the recorder, four at a time (so with a
/// checkpoint every 4 records, at 4, 8, …), then records them all again: nothing is added.
async fn trails(world: &World, tenants: &[&str], count: i64) {
    let recorder = world.stack().audit_recorder().unwrap();
    for tenant in tenants {
        let events = sources(tenant, count);
        for chunk in events.chunks(4) {
            assert_eq!(recorder.record(chunk).await.unwrap(), chunk.len());
        }
        assert_eq!(
            recorder.record(&events).await.unwrap(),
            0,
            "recorded once only"
        );
    }
}

fn four_per_checkpoint(settings: &mut plinth_infra_config::Settings) {
    settings.audit.checkpoint_every_records = 4;
}

#[tokio::test]
async fn verify_catches_each_kind_of_tampering_at_its_position_and_passes_an_untouched_trail() {
    let world = World::start_configured(
        &plinth_tests::env("PLINTH_KAFKA_BROKERS"),
        four_per_checkpoint,
    )
    .await;
    let tenants = [
        "clean",
        "altered",
        "deleted",
        "swapped",
        "truncated",
        "rehashed",
        "forged",
    ];
    trails(&world, &tenants, 10).await;

    let (code, out, err) = world.plinth(&["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Read 70 records of 7 trails and 14 valid checkpoints"),
        "{out}"
    );
    assert!(
        out.contains("OK: every trail and checkpoint verifies."),
        "{out}"
    );

    let trail =
        |tenant: &str| format!("aggregate_type = 'audit.trail' AND aggregate_id = '{tenant}'");
    // An edited field.
    sql(&world, &format!(
        "UPDATE events SET payload = jsonb_set(payload::jsonb, '{{RecordAppended,outcome}}', '\"success\"')::json WHERE {} AND sequence = 3",
        trail("altered")
    )).await;
    // A deleted record.
    sql(
        &world,
        &format!(
            "DELETE FROM events WHERE {} AND sequence = 5",
            trail("deleted")
        ),
    )
    .await;
    // Two records swapped (their places in the trail exchanged).
    for (from, to) in [(2, 1000), (7, 2), (1000, 7)] {
        sql(
            &world,
            &format!(
                "UPDATE events SET sequence = {to} WHERE {} AND sequence = {from}",
                trail("swapped")
            ),
        )
        .await;
    }
    // The tail removed behind the checkpoint at 8.
    sql(
        &world,
        &format!(
            "DELETE FROM events WHERE {} AND sequence > 6",
            trail("truncated")
        ),
    )
    .await;
    // An edited record whose hash was recomputed: the next link breaks.
    let client = world.pool.get().await.unwrap();
    let row = client
        .query_one(
            &format!(
                "SELECT payload FROM events WHERE {} AND sequence = 6",
                trail("rehashed")
            ),
            &[],
        )
        .await
        .unwrap();
    let payload: serde_json::Value = row.get(0);
    let mut record: AuditRecord =
        serde_json::from_value(payload["RecordAppended"].clone()).unwrap();
    record.actor = "user:mallory".into();
    record.hash = record.computed_hash();
    let forged_payload = json!({ "RecordAppended": record });
    client
        .execute(
            &format!(
                "UPDATE events SET payload = $1 WHERE {} AND sequence = 6",
                trail("rehashed")
            ),
            &[&forged_payload],
        )
        .await
        .unwrap();
    // A checkpoint signed with another key.
    let head: String = client
        .query_one(&format!("SELECT payload -> 'RecordAppended' ->> 'hash' FROM events WHERE {} AND sequence = 10", trail("forged")), &[])
        .await
        .unwrap()
        .get(0);
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let forged = Checkpoint::sign("forged", 10, &head, Utc::now(), &other_key);
    CommandBus::<CheckpointLog>::new(
        plinth_infra_event_store::sqlx_pool(&world.db.url, 1).unwrap(),
        (),
    )
    .execute("forged", RecordCheckpoint(forged), &metadata("forged"))
    .await
    .unwrap();

    let (code, out, err) = world.plinth(&["audit", "verify", "--source", "db"]).await;
    assert_eq!(code, 1, "tampering exits 1: {out}{err}");
    let broken: Vec<&str> = out.lines().filter(|l| l.starts_with("BROKEN: ")).collect();
    assert_eq!(
        broken.len(),
        6,
        "one finding per tampered trail, none for clean: {out}"
    );
    let expect = [
        ("altered", 3, "the record was altered"),
        ("deleted", 5, "expected record 5, found record 6"),
        ("forged", 10, "signature does not verify"),
        ("rehashed", 7, "link to the previous record is broken"),
        ("swapped", 2, "expected record 2, found record 7"),
        (
            "truncated",
            7,
            "the trail ends at position 6, but a signed checkpoint covers position 8",
        ),
    ];
    for ((tenant, position, text), line) in expect.iter().zip(&broken) {
        assert!(
            line.starts_with(&format!("BROKEN: tenant {tenant}, position {position}: "))
                && line.contains(text),
            "expected {tenant} at {position} ({text}), got: {line}"
        );
    }
    assert!(!out.contains("tenant clean"), "{out}");

    // The recorder goes on, but the checkpointer will not sign over the rewritten tail: its
    // records no longer chain from the checkpoint it signed at 8.
    let recorder = world.stack().audit_recorder().unwrap();
    assert_eq!(recorder.record(&sources("truncated", 4)).await.unwrap(), 4);
    let signed: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE aggregate_type = 'audit.checkpoint' AND aggregate_id = 'truncated'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(signed, 2, "no checkpoint over the tampered trail");

    // The honest key alone decides: with another public key every checkpoint is forged.
    let other = std::env::temp_dir().join(format!("plinth-other-{}.pub", Uuid::now_v7()));
    std::fs::write(
        &other,
        plinth_services_audit::public_key_pem(&other_key.verifying_key()),
    )
    .unwrap();
    let (code, out, _) = world
        .plinth(&["audit", "verify", "--public-key", other.to_str().unwrap()])
        .await;
    std::fs::remove_file(&other).unwrap();
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "BROKEN: tenant clean, position 4: the checkpoint's signature does not verify"
        ),
        "{out}"
    );
}

#[tokio::test]
async fn export_round_trips_every_record_as_jsonl_and_as_csv() {
    let world = World::start_configured(
        &plinth_tests::env("PLINTH_KAFKA_BROKERS"),
        four_per_checkpoint,
    )
    .await;
    trails(&world, &["acme", "globex"], 25).await;
    let mut stored: Vec<AuditRecord> = Vec::new();
    plinth_services_audit::store::scan_records(
        &world.pool,
        &plinth_services_audit::store::RecordFilter::default(),
        |_, r| {
            stored.push(r.unwrap());
            Ok(())
        },
    )
    .await
    .unwrap();
    assert_eq!(stored.len(), 50);

    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("audit.jsonl");
    let csv_path = dir.path().join("audit.csv");
    let (code, _, err) = world
        .plinth(&["audit", "export", "--output", jsonl.to_str().unwrap()])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Exported 50 records."), "{err}");
    let from_jsonl: Vec<AuditRecord> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(from_jsonl, stored);

    let (code, _, err) = world
        .plinth(&[
            "audit",
            "export",
            "--format",
            "csv",
            "--output",
            csv_path.to_str().unwrap(),
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        plinth_services_audit::export::CSV_COLUMNS
    );
    // No cell a spreadsheet would evaluate; a reader restores the value by dropping the quote
    // put before such a cell (docs/audit.md).
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell: {cell}"
            );
        }
    }
    assert!(rows.iter().any(|r| r[6].starts_with("'=HYPERLINK(")));
    let from_csv: Vec<AuditRecord> = rows
        .iter()
        .map(|row| {
            let restored: csv::StringRecord = row
                .iter()
                .map(plinth_services_audit::export::restore_cell)
                .collect();
            restored.deserialize(Some(&headers)).unwrap()
        })
        .collect();
    assert_eq!(from_csv, stored);
    for record in &from_csv {
        assert_eq!(
            record.computed_hash(),
            record.hash,
            "every exported field is hashed as stored"
        );
    }

    // Filters: one tenant, and a time window.
    let (code, out, _) = world
        .plinth(&["audit", "export", "--tenant", "globex"])
        .await;
    assert_eq!(code, 0);
    let globex: Vec<AuditRecord> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(globex.len(), 25);
    assert!(globex.iter().all(|r| r.tenant_id == "globex"));
    let window = (&stored[5].at, &stored[9].at);
    let (code, out, _) = world
        .plinth(&[
            "audit",
            "export",
            "--tenant",
            "acme",
            "--since",
            &window.0.to_rfc3339(),
            "--until",
            &window.1.to_rfc3339(),
        ])
        .await;
    assert_eq!(code, 0);
    let positions: Vec<i64> = out
        .lines()
        .map(|l| serde_json::from_str::<AuditRecord>(l).unwrap().position)
        .collect();
    assert_eq!(positions, (6..=10).collect::<Vec<_>>());
    let (code, _, err) = world
        .plinth(&["audit", "export", "--since", "yesterday"])
        .await;
    assert_eq!(code, 2, "bad arguments exit 2: {err}");
    assert!(err.contains("is not an RFC 3339 time"), "{err}");
}

#[tokio::test]
async fn point_in_time_replay_answers_what_a_subject_could_do_before_and_after_a_revoke() {
    let world = World::start().await;
    let _relay = world.spawn_relay();
    let authz = AuthzService::new(plinth_infra_event_store::sqlx_pool(&world.db.url, 2).unwrap());
    let ada = Uuid::now_v7();
    let permissions = [plinth_services_audit::permissions::RECORD_READ]
        .into_iter()
        .collect();
    let (role, _) = authz
        .create_role(
            RoleName::parse("auditors").unwrap(),
            permissions,
            &metadata("default"),
        )
        .await
        .unwrap();
    let before = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (binding, _) = authz
        .bind(
            NewBinding {
                subject: ada,
                role: RoleRef::Custom(role),
                scope: Scope::Tenant,
                owner_only: false,
                valid_from: None,
                valid_until: None,
            },
            &metadata("default"),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let granted = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    authz.unbind(binding, &metadata("default")).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let revoked = Utc::now();

    let at = |time: chrono::DateTime<Utc>| {
        let time = time.to_rfc3339();
        let subject = ada.to_string();
        let world = &world;
        async move {
            let (code, out, err) = world
                .plinth(&["audit", "at", "--time", &time, "--subject", &subject])
                .await;
            assert_eq!(code, 0, "{err}");
            out
        }
    };
    let then = at(granted).await;
    assert!(
        then.contains("audit.record.read") && then.contains(&binding.to_string()),
        "{then}"
    );
    let now = at(revoked).await;
    assert!(
        now.contains("(none)") && !now.contains("audit.record.read"),
        "{now}"
    );
    let earlier = at(before).await;
    assert!(earlier.contains("(none)"), "{earlier}");

    // The same moment, replayed into fresh tables.
    world.registered("early@example.org", "Early").await;
    let cut = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    world.registered("late@example.org", "Late").await;
    let schema = format!("replay_{}", Uuid::now_v7().simple());
    let (code, out, err) = world
        .plinth(&[
            "audit",
            "replay",
            "--until",
            &cut.to_rfc3339(),
            "--schema",
            &schema,
        ])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("into schema {schema}")), "{out}");
    let emails: Vec<String> = world
        .pool
        .get()
        .await
        .unwrap()
        .query(
            &format!("SELECT email FROM {schema}.users_v1 ORDER BY email"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(emails, ["early@example.org"]);
    let (code, _, err) = world.plinth(&["audit", "replay", "--until", "soon"]).await;
    assert_eq!(code, 2, "{err}");
}
