//! `plinth audit …`: verify trails, replay read models, answer "what could U do at T?", export.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use indicatif::{ProgressBar, ProgressStyle};
use plinth_domain_audit::Report;
use plinth_projections_authz::AuthzView;
use plinth_projections_runtime::{Delivery, Rebuild, StoreReader, Until};
use plinth_services_audit::export::Format;
use plinth_services_audit::store::RecordFilter;
use uuid::Uuid;

use crate::Stack;

/// Where `verify` reads the trails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// The event store (the `events` table): the trail of record.
    Db,
    /// The audit topics: what downstream copies hold.
    Kafka,
}

/// Which copies of the checkpoints `verify` checks the trails against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Checkpoints {
    /// Those stored in the event store.
    Db,
    /// Those on the `audit.checkpoint` topic.
    Kafka,
    /// Both: deleting checkpoints from one copy hides nothing.
    Both,
}

/// A bar on stderr (drawn only on a terminal) counting towards `total`, if known.
fn progress(total: Option<u64>, what: &str) -> ProgressBar {
    let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
    let template = if total.is_some() {
        "{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)"
    } else {
        "{msg} {spinner} {pos} ({per_sec})"
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

impl Stack {
    /// The checkpoint signing key, created on first use.
    pub fn audit_signing_key(&self) -> anyhow::Result<ed25519_dalek::SigningKey> {
        let path = Path::new(&self.settings.audit.signing_key_path);
        let (key, created) = plinth_services_audit::load_or_create_signing_key(path)?;
        if created {
            tracing::warn!(
                path = %path.display(),
                key_id = %plinth_domain_audit::key_id(&key.verifying_key()),
                "Created the audit signing key; keep it safe and away from the database."
            );
        }
        Ok(key)
    }

    /// The public key to verify with: `--public-key` if given, else the configured key's.
    pub fn audit_public_key(&self, given: Option<&Path>) -> anyhow::Result<VerifyingKey> {
        if let Some(path) = given {
            return Ok(plinth_services_audit::read_public_key(path)?);
        }
        let path = Path::new(&self.settings.audit.signing_key_path);
        plinth_services_audit::read_public_key(path).with_context(|| {
            format!(
                "no --public-key given, and the configured signing key {} cannot be read",
                path.display()
            )
        })
    }

    /// Recomputes every trail from `source` and checks it and the `checkpoints` against `key`.
    pub async fn verify_audit(
        &self,
        source: Source,
        checkpoints: Checkpoints,
        key: VerifyingKey,
    ) -> anyhow::Result<Report> {
        let from_db = checkpoints != Checkpoints::Kafka;
        let from_kafka = checkpoints != Checkpoints::Db;
        let report = match source {
            Source::Db => {
                let total = plinth_services_audit::store::count_records(&self.pool, None)
                    .await
                    .context("counting audit records")?;
                let more = if from_kafka {
                    plinth_services_audit::kafka::checkpoints(&self.settings)
                        .await
                        .context("reading the checkpoints from Kafka")?
                } else {
                    Vec::new()
                };
                let bar = progress(Some(total), "verifying");
                let report =
                    plinth_services_audit::store::verify(&self.pool, key, from_db, more, &|n| {
                        bar.set_position(n);
                    })
                    .await;
                bar.finish_and_clear();
                report.context("reading the trails from Postgres")?
            }
            Source::Kafka => {
                let more = if from_db {
                    plinth_services_audit::store::checkpoints(&self.pool)
                        .await
                        .context("reading the checkpoints from Postgres")?
                } else {
                    Vec::new()
                };
                let bar = progress(None, "verifying");
                let report =
                    plinth_services_audit::kafka::verify(&self.settings, key, more, &|n| {
                        bar.set_position(n);
                    })
                    .await;
                bar.finish_and_clear();
                report.context("reading the audit topics from Kafka")?
            }
        };
        Ok(report)
    }

    /// Streams the records matching `filter` to `out`; returns how many.
    pub async fn export_audit(
        &self,
        filter: &RecordFilter,
        format: Format,
        out: impl Write,
    ) -> anyhow::Result<u64> {
        let total =
            plinth_services_audit::store::count_records(&self.pool, filter.tenant.as_deref())
                .await
                .context("counting audit records")?;
        let bar = progress(Some(total), "exporting");
        let written =
            plinth_services_audit::export::export(&self.pool, filter, format, out, &|n| {
                bar.set_position(n);
            })
            .await;
        bar.finish_and_clear();
        written.context("exporting audit records")
    }

    /// Rebuilds every registered module's read models into the fresh schema `schema`, and the
    /// authz view in memory, from the event store up to `until`.
    pub async fn replay(
        &self,
        schema: &str,
        until: Option<Until>,
        per_event: bool,
    ) -> anyhow::Result<ReplaySummary> {
        let projections = self.projections();
        let migrations: Vec<_> = projections.iter().map(|p| p.migrations()).collect();
        let rebuild = Rebuild::create(&self.database_url, schema, &migrations, projections)
            .await
            .with_context(|| format!("creating the tables in schema {schema}"))?;
        let view = AuthzView::default();
        let mut reader = StoreReader::new(self.pool.clone(), self.catalog.clone(), until, 1000);
        let bar = progress(None, "replaying");
        let started = Instant::now();
        let mut summary = ReplaySummary::default();
        while let Some(batch) = reader
            .next_batch()
            .await
            .context("reading the event store")?
        {
            for envelope in &batch {
                view.apply(&Delivery::from(envelope.clone()));
            }
            summary.statements += rebuild
                .apply(&batch, per_event)
                .await
                .context("applying events to the rebuilt tables")?;
            summary.applied += batch.len() as u64;
            bar.set_position(reader.read);
        }
        bar.finish_and_clear();
        summary.read = reader.read;
        summary.elapsed = started.elapsed();
        summary.bindings = view.bindings();
        Ok(summary)
    }

    /// The effective permissions of `subject` in `tenant` at `time`, from the authz events
    /// stored up to then: `(permission, through bindings, conditional)`.
    pub async fn permissions_at(
        &self,
        tenant: &str,
        subject: Uuid,
        time: DateTime<Utc>,
    ) -> anyhow::Result<Vec<(String, Vec<Uuid>, bool)>> {
        let view = AuthzView::new(self.declared());
        let mut reader = StoreReader::new(
            self.pool.clone(),
            self.catalog.clone(),
            Some(Until::Time(time)),
            1000,
        );
        while let Some(batch) = reader
            .next_batch()
            .await
            .context("reading the event store")?
        {
            for envelope in &batch {
                if plinth_projections_authz::AGGREGATE_TYPES
                    .contains(&envelope.aggregate_type.as_str())
                {
                    view.apply(&Delivery::from(envelope.clone()));
                }
            }
        }
        let held = view.read(|policy| {
            policy
                .effective_permissions(tenant, subject, time, None, usize::MAX)
                .items
        });
        Ok(held
            .into_iter()
            .map(|h| (h.permission, h.bindings, h.conditional))
            .collect())
    }
}

/// What a replay did.
#[derive(Debug, Default)]
pub struct ReplaySummary {
    /// Events read from the store.
    pub read: u64,
    /// Events up to `--until` handed to the read models.
    pub applied: u64,
    pub statements: u64,
    /// Bindings in the rebuilt authz view.
    pub bindings: usize,
    pub elapsed: Duration,
}

/// A schema name for a replay started now: `replay_20261124_120000`.
pub fn replay_schema_name() -> String {
    format!("replay_{}", Utc::now().format("%Y%m%d_%H%M%S"))
}

/// `--schema`: a new schema's name (lowercase letters, digits and `_`, not starting with a
/// digit, at most 63 characters).
pub fn parse_schema(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 63
        && !text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    valid.then(|| text.to_owned()).ok_or_else(|| {
        format!("{text:?} is not a schema name: use lowercase letters, digits and _")
    })
}

/// `--until`: an RFC 3339 time or an event-store position.
pub fn parse_until(text: &str) -> Result<Until, String> {
    if let Ok(position) = text.parse::<i64>() {
        return Ok(Until::Position(position));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| Until::Time(t.with_timezone(&Utc)))
        .map_err(|_| format!("{text:?} is neither an RFC 3339 time nor an event-store position"))
}

/// An RFC 3339 time argument.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is not an RFC 3339 time (2026-11-24T12:00:00Z)"))
}
