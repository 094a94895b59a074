//! Consumes every registered module's topics and appends each event, once, to its tenant's trail.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use plinth_domain_audit::{AppendRecords, RecordDraft, Trail};
use plinth_infra_config::Settings;
use plinth_infra_event_store::{CommandBus, CommandError};
use plinth_infra_kafka::rdkafka::Message;
use plinth_infra_kafka::rdkafka::message::OwnedMessage;
use plinth_infra_kafka::{AvroCodec, GroupConsumer, headers};
use plinth_schemas::Catalog;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};
use uuid::Uuid;

use crate::checkpointer::Checkpointer;
use crate::draft::{SourceEvent, draft};
use crate::{AuditError, Result};

/// At most this many messages are recorded per round.
const MAX_BATCH: usize = 500;
/// Appends lost to a concurrent writer are retried this many times before the round fails.
const MAX_ROUNDS: u32 = 5;

/// Every aggregate type of `catalog` except the audit service's own.
pub fn audited_aggregate_types(catalog: &Catalog) -> Vec<&'static str> {
    catalog
        .aggregate_types()
        .into_iter()
        .filter(|t| !t.starts_with("audit."))
        .collect()
}

/// Records every domain event in its tenant's trail.
pub struct Recorder {
    pool: sqlx::PgPool,
    /// The event store through tokio-postgres, for the sweeper's reads.
    read: plinth_infra_postgres::Pool,
    bus: CommandBus<Trail>,
    settings: Settings,
    checkpointer: Arc<Checkpointer>,
    /// The topics recorded: every registered module's but audit's own.
    aggregate_types: Vec<&'static str>,
}

impl Recorder {
    pub fn new(
        pool: sqlx::PgPool,
        read: plinth_infra_postgres::Pool,
        settings: Settings,
        checkpointer: Arc<Checkpointer>,
        catalog: &Catalog,
    ) -> Self {
        Self {
            aggregate_types: audited_aggregate_types(catalog),
            read,
            bus: CommandBus::with_snapshots(pool.clone(), (), 200).with_max_attempts(1),
            pool,
            settings,
            checkpointer,
        }
    }

    /// Appends the events not recorded yet, each to its tenant's trail in the given order, and
    /// returns how many were appended. A source event already in a trail is skipped, and an
    /// append that races another recorder is retried after skipping again, so each source
    /// event is recorded exactly once.
    pub async fn record(&self, sources: &[SourceEvent]) -> Result<usize> {
        let ids: Vec<String> = sources.iter().map(|s| s.event_id.to_string()).collect();
        let mut round = 0;
        loop {
            round += 1;
            let recorded: HashSet<String> =
                sqlx::query_scalar(include_str!("../sql/recorded_sources.sql"))
                    .bind(&ids)
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .collect();
            let mut seen = HashSet::new();
            let mut tenants: Vec<(String, Vec<RecordDraft>)> = Vec::new();
            for source in sources {
                let id = source.event_id.to_string();
                if recorded.contains(&id) || !seen.insert(id) {
                    continue;
                }
                if let Some((_, drafts)) = tenants.iter_mut().find(|(t, _)| *t == source.tenant_id)
                {
                    drafts.push(draft(source));
                } else {
                    tenants.push((source.tenant_id.clone(), vec![draft(source)]));
                }
            }
            let mut appended = 0;
            let mut raced = false;
            for (tenant, drafts) in tenants {
                let count = drafts.len();
                match self.append(&tenant, drafts).await {
                    Ok(head) => {
                        appended += count;
                        // Recording goes on when a checkpoint cannot be signed (logged).
                        if let Err(e) = self.checkpointer.appended(&tenant, head).await {
                            warn!(tenant, error = %e, "No audit checkpoint signed.");
                        }
                    }
                    Err(AuditError::Raced) if round < MAX_ROUNDS => {
                        debug!(tenant, "Trail append raced another writer; retrying.");
                        raced = true;
                    }
                    Err(e) => return Err(e),
                }
            }
            if !raced {
                return Ok(appended);
            }
        }
    }

    async fn append(&self, tenant: &str, drafts: Vec<RecordDraft>) -> Result<i64> {
        let metadata = crate::service_metadata(tenant)?;
        let command = AppendRecords {
            tenant_id: tenant.to_owned(),
            drafts,
        };
        match self.bus.execute(tenant, command, &metadata).await {
            Ok(committed) => Ok(committed.sequence),
            Err(CommandError::Conflict) => Err(AuditError::Raced),
            Err(e) => Err(AuditError::Store(e.to_string())),
        }
    }

    /// Consumes the domain topics until `shutdown`. Nothing is skipped: when Postgres or the
    /// registry is unreachable, recording stalls and retries (the topics keep the events).
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let topics: Vec<String> = self
            .aggregate_types
            .iter()
            .map(|t| plinth_schemas::topic_name(&self.settings.kafka.topic_prefix, t))
            .collect();
        if !plinth_infra_kafka::ensure_topics_until(&self.settings.kafka, &topics, &shutdown).await
        {
            return Ok(());
        }
        while let Err(e) = self.checkpointer.load().await {
            warn!(error = %e, "Cannot read the trails yet; retrying.");
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        let codec = AvroCodec::new(&self.settings.schema_registry)?;
        let group = format!("{}audit", self.settings.projector.group_prefix);
        let mut consumer = GroupConsumer::join(&self.settings.kafka, &group, &topics)?;
        info!(group = %group, topics = ?topics, "Audit recorder started.");
        let checkpoints = {
            let checkpointer = Arc::clone(&self.checkpointer);
            let stop = shutdown.clone();
            tokio::spawn(async move { checkpointer.run(stop).await })
        };
        let sweeping = tokio::spawn(crate::sweeper::sweep(
            self.pool.clone(),
            self.read.clone(),
            shutdown.clone(),
        ));
        while let Some(batch) = consumer.recv_batch(MAX_BATCH, &shutdown).await {
            if !self.handle(&codec, &batch, &shutdown).await {
                break;
            }
            consumer.done(&batch);
        }
        checkpoints.abort();
        sweeping.abort();
        consumer.close().await;
        info!("Audit recorder stopped.");
        Ok(())
    }

    /// Records a batch, retrying until it is recorded; false if `shutdown` came first.
    async fn handle(
        &self,
        codec: &AvroCodec,
        messages: &[OwnedMessage],
        shutdown: &CancellationToken,
    ) -> bool {
        let mut sources = Vec::with_capacity(messages.len());
        // Each event's span, in the trace of the request that caused it: closed once recorded.
        let mut spans = Vec::new();
        for message in messages {
            match source_event(codec, message, shutdown).await {
                Some(source) => {
                    spans.extend(record_span(message, &source));
                    sources.push(source);
                }
                None if shutdown.is_cancelled() => return false,
                None => {}
            }
        }
        let mut pause = Duration::from_millis(100);
        loop {
            match self.record(&sources).await {
                Ok(appended) => {
                    debug!(messages = messages.len(), appended, "Audit batch recorded.");
                    drop(spans);
                    break;
                }
                Err(e) => {
                    warn!(error = %e, "Cannot record the audit batch; retrying.");
                    tokio::select! {
                        () = shutdown.cancelled() => return false,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
        true
    }
}

/// The span recording `source` in its tenant's trail, continuing the trace its message carries.
fn record_span(message: &impl Message, source: &SourceEvent) -> Option<tracing::Span> {
    let traceparent = headers::value(message, headers::TRACEPARENT)?;
    let span = tracing::info_span!(
        "audit.record",
        otel.name = "audit record",
        otel.kind = "consumer",
        event_id = %source.event_id,
        tenant = %source.tenant_id,
    );
    plinth_infra_telemetry::attach_traceparent(&span, &traceparent);
    Some(span)
}

/// Reads a consumed message as a source event, retrying while the registry is unreachable.
/// `None` for a message that is not a Plinth event (logged), or at shutdown.
async fn source_event(
    codec: &AvroCodec,
    message: &impl Message,
    shutdown: &CancellationToken,
) -> Option<SourceEvent> {
    let required = |name: &str| headers::value(message, name);
    let parsed = (|| {
        Some((
            Uuid::parse_str(&required(headers::EVENT_ID)?).ok()?,
            required(headers::AGGREGATE_TYPE)?,
            required(headers::AGGREGATE_ID)?,
            required(headers::EVENT_TYPE)?,
            required(headers::TENANT_ID)?,
            required(headers::POSITION)?.parse::<i64>().ok()?,
            DateTime::parse_from_rfc3339(&required(headers::RECORDED_AT)?)
                .ok()?
                .with_timezone(&Utc),
        ))
    })();
    let Some((event_id, aggregate_type, aggregate_id, event_type, tenant_id, position, at)) =
        parsed
    else {
        error!(
            topic = message.topic(),
            partition = message.partition(),
            offset = message.offset(),
            "Skipping a message without the headers of a Plinth event."
        );
        return None;
    };
    let payload = message.payload().unwrap_or_default();
    let decoded = match codec.decode_patiently(payload, shutdown).await? {
        Ok(decoded) => decoded,
        Err(reason) => {
            error!(%event_id, reason, "Skipping a message that is not Avro.");
            return None;
        }
    };
    let value = serde_json::Value::try_from(decoded.value).unwrap_or_else(|e| {
        warn!(%event_id, error = %e, "Event value has no JSON form; recording it without details.");
        serde_json::Value::Null
    });
    Some(SourceEvent {
        event_id,
        aggregate_type,
        aggregate_id,
        event_type,
        tenant_id,
        position,
        actor: headers::value(message, headers::ACTOR),
        correlation_id: headers::value(message, headers::CORRELATION_ID),
        causation_id: headers::value(message, headers::CAUSATION_ID),
        recorded_at: at,
        value,
    })
}
