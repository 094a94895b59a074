//! Reads the audit topics back from Kafka, from the beginning to where they end now, for
//! `plinth audit verify --source kafka`: what a downstream copy of the trail would hold.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use plinth_domain_audit::{AuditRecord, Report, Verifier};
use plinth_infra_config::Settings;
use plinth_infra_kafka::rdkafka::consumer::{Consumer, StreamConsumer};
use plinth_infra_kafka::rdkafka::{Message, Offset, TopicPartitionList};
use plinth_infra_kafka::{AvroCodec, Decoded};
use plinth_schemas::DecodeEvent;
use plinth_schemas::audit::AuditEvent;

use crate::{AuditError, Result};

/// How long to wait for the next message of a topic that has not reached its end.
const STALL: Duration = Duration::from_secs(30);

/// Every event on `aggregate_type`'s topic up to its current end, decoded, in partition order.
async fn read_topic(
    settings: &Settings,
    codec: &AvroCodec,
    aggregate_type: &str,
    mut each: impl FnMut(std::result::Result<AuditEvent, String>),
) -> Result<u64> {
    let topic = plinth_schemas::topic_name(&settings.kafka.topic_prefix, aggregate_type);
    plinth_infra_kafka::ensure_topics(&settings.kafka, std::slice::from_ref(&topic)).await?;
    let group = format!(
        "{}audit-verify.{}",
        settings.projector.group_prefix,
        uuid::Uuid::now_v7()
    );
    let consumer: StreamConsumer = plinth_infra_kafka::consumer(&settings.kafka, &group)?;
    let metadata = plinth_infra_kafka::fetch_metadata(&settings.kafka, Duration::from_secs(10))?;
    let mut ends: HashMap<i32, i64> = HashMap::new();
    let mut assignment = TopicPartitionList::new();
    for partition in metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic)
        .flat_map(plinth_infra_kafka::rdkafka::metadata::MetadataTopic::partitions)
    {
        let (low, high) =
            consumer.fetch_watermarks(&topic, partition.id(), Duration::from_secs(10))?;
        if high > low {
            ends.insert(partition.id(), high);
            assignment.add_partition_offset(&topic, partition.id(), Offset::Beginning)?;
        }
    }
    if ends.is_empty() {
        return Ok(0);
    }
    consumer.assign(&assignment)?;
    let mut read = 0;
    while !ends.is_empty() {
        let message = tokio::time::timeout(STALL, consumer.recv())
            .await
            .map_err(|_| AuditError::Unreadable {
                what: format!("topic {topic}"),
                reason: format!("no message for {} s before its end", STALL.as_secs()),
            })??;
        let partition = message.partition();
        let offset = message.offset();
        let decoded = match codec.decode(message.payload().unwrap_or_default()).await {
            Ok(Decoded { record_name, value }) => {
                AuditEvent::decode(&record_name, value).map_err(|e| e.to_string())
            }
            Err(plinth_infra_kafka::Error::NotAvro(reason)) => Err(reason),
            Err(e) => return Err(e.into()),
        };
        each(decoded);
        read += 1;
        if ends.get(&partition).is_some_and(|end| offset + 1 >= *end) {
            ends.remove(&partition);
        }
    }
    Ok(read)
}

/// Feeds a verifier in trail order although the topic may repeat records (the relay publishes
/// at least once) or carry one before its predecessor (a retried batch).
#[derive(Default)]
struct InOrder {
    next: HashMap<String, i64>,
    early: HashMap<String, BTreeMap<i64, AuditRecord>>,
}

impl InOrder {
    fn push(&mut self, verifier: &mut Verifier, record: AuditRecord) {
        let tenant = record.tenant_id.clone();
        let next = self.next.entry(tenant.clone()).or_insert(1);
        if record.position < *next {
            return;
        }
        if record.position > *next {
            self.early
                .entry(tenant)
                .or_default()
                .insert(record.position, record);
            return;
        }
        verifier.record(&tenant, &record);
        *next += 1;
        let early = self.early.entry(tenant.clone()).or_default();
        while let Some(record) = early.remove(next) {
            verifier.record(&tenant, &record);
            *next += 1;
        }
    }

    /// Records still waiting for a predecessor that never came: the verifier reports the gap.
    fn finish(self, verifier: &mut Verifier) {
        for (tenant, early) in self.early {
            for record in early.into_values() {
                verifier.record(&tenant, &record);
            }
        }
    }
}

/// Every checkpoint on the checkpoint topic, as its tenant and either the checkpoint or why
/// it is unreadable.
pub async fn checkpoints(settings: &Settings) -> Result<Vec<crate::CheckpointCopy>> {
    let codec = AvroCodec::new(&settings.schema_registry)?;
    let mut found = Vec::new();
    read_topic(settings, &codec, "audit.checkpoint", |event| match event {
        Ok(AuditEvent::CheckpointSigned(checkpoint)) => {
            found.push((checkpoint.tenant_id.clone(), Ok(checkpoint)));
        }
        Ok(_) => {}
        Err(reason) => found.push(("(unknown tenant)".to_owned(), Err(reason))),
    })
    .await?;
    Ok(found)
}

/// Verifies the trails as the topics carry them, against `key` and the checkpoints on the
/// checkpoint topic plus `more` (from another copy).
pub async fn verify(
    settings: &Settings,
    key: VerifyingKey,
    more: Vec<crate::CheckpointCopy>,
    progress: &dyn Fn(u64),
) -> Result<Report> {
    let codec = AvroCodec::new(&settings.schema_registry)?;
    let mut verifier = Verifier::new(key);
    verifier.checkpoints(checkpoints(settings).await?.into_iter().chain(more));
    let mut order = InOrder::default();
    let mut read = 0;
    read_topic(settings, &codec, "audit.trail", |event| {
        match event {
            Ok(AuditEvent::RecordAppended(record)) => order.push(&mut verifier, record),
            Ok(_) => {}
            Err(reason) => verifier.unreadable("(unknown tenant)", reason),
        }
        read += 1;
        if read % 1000 == 0 {
            progress(read);
        }
    })
    .await?;
    progress(read);
    order.finish(&mut verifier);
    Ok(verifier.finish())
}
