use std::time::Duration;

use plinth_domain_core::metadata_keys;
use plinth_infra_config::Settings;
use plinth_infra_event_store::{Cursor, StoredEvent, read_committed_after};
use plinth_infra_kafka::rdkafka::message::{Header, OwnedHeaders};
use plinth_infra_kafka::rdkafka::producer::{FutureProducer, FutureRecord};
use plinth_infra_kafka::{AvroCodec, headers};
use plinth_infra_postgres::Pool;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::Error;
use crate::leader::Leadership;

/// A batch could not be published; it will be retried from the checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("event {event_id} ({aggregate_type}/{event_type}) has no published schema: {reason}")]
    Mapping {
        event_id: String,
        aggregate_type: String,
        event_type: String,
        reason: String,
    },
    #[error("registry: {0}")]
    Registry(String),
    #[error("Kafka did not acknowledge event {event_id}: {reason}")]
    Delivery { event_id: String, reason: String },
}

pub(crate) struct Publisher<'a> {
    pub(crate) pool: &'a Pool,
    /// Replaced after a failed batch: an idempotent producer whose messages timed out may be
    /// left in a state the broker keeps refusing.
    pub(crate) producer: FutureProducer,
    pub(crate) codec: &'a AvroCodec,
    pub(crate) settings: &'a Settings,
    pub(crate) name: &'a str,
}

impl Publisher<'_> {
    /// Publishes batch after batch while leadership holds.
    pub(crate) async fn run(
        mut self,
        leadership: &Leadership,
        shutdown: &CancellationToken,
    ) -> Result<(), Error> {
        let mut cursor = self.load_checkpoint().await?;
        info!(
            transaction_id = cursor.transaction_id,
            position = cursor.position,
            "Relay resumes after checkpoint."
        );
        let poll = Duration::from_millis(self.settings.relay.poll_interval_ms);
        let mut backoff = Duration::from_millis(100);
        while !shutdown.is_cancelled() && !leadership.is_lost() {
            let batch = {
                let client = self
                    .pool
                    .get()
                    .await
                    .map_err(plinth_infra_postgres::Error::from)?;
                read_committed_after(&client, cursor, self.settings.relay.batch_size).await?
            };
            if batch.is_empty() {
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = leadership.wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                }
                continue;
            }
            match self.publish(&batch).await {
                // Another relay may lead now: its checkpoint, not ours, is the truth.
                Ok(()) if leadership.is_lost() => break,
                Ok(()) => {
                    let last = batch.last().map_or(cursor, |e| e.cursor);
                    self.save_checkpoint(last).await?;
                    debug!(
                        events = batch.len(),
                        position = last.position,
                        "Batch published."
                    );
                    cursor = last;
                    backoff = Duration::from_millis(100);
                }
                Err(e) => {
                    warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Batch not published; events wait in Postgres.");
                    if matches!(e, PublishError::Delivery { .. }) {
                        let fresh = plinth_infra_kafka::producer(&self.settings.kafka)?;
                        flush(std::mem::replace(&mut self.producer, fresh)).await;
                    }
                    tokio::select! {
                        () = shutdown.cancelled() => {}
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        flush(self.producer).await;
        Ok(())
    }

    /// Produces every event of the batch in order, then waits for every acknowledgement.
    async fn publish(&self, batch: &[StoredEvent]) -> Result<(), PublishError> {
        let mut encoded = Vec::with_capacity(batch.len());
        for event in batch {
            let topic = plinth_schemas::topic_name(
                &self.settings.kafka.topic_prefix,
                &event.aggregate_type,
            );
            let avro =
                plinth_schemas::encode(&event.aggregate_type, &event.event_type, &event.payload)
                    .map_err(|e| PublishError::Mapping {
                        event_id: event.event_id.to_string(),
                        aggregate_type: event.aggregate_type.clone(),
                        event_type: event.event_type.clone(),
                        reason: e.to_string(),
                    })?;
            let bytes = self
                .codec
                .encode(&topic, &avro)
                .await
                .map_err(|e| PublishError::Registry(e.to_string()))?;
            encoded.push((topic, bytes));
        }
        let mut deliveries = Vec::with_capacity(batch.len());
        for (event, (topic, bytes)) in batch.iter().zip(&encoded) {
            let record = FutureRecord::to(topic)
                .key(&event.aggregate_id)
                .payload(bytes)
                .headers(event_headers(event));
            let delivery =
                self.producer
                    .send_result(record)
                    .map_err(|(e, _)| PublishError::Delivery {
                        event_id: event.event_id.to_string(),
                        reason: e.to_string(),
                    })?;
            deliveries.push((event, delivery));
        }
        for (event, delivery) in deliveries {
            let failed = |reason: String| PublishError::Delivery {
                event_id: event.event_id.to_string(),
                reason,
            };
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => return Err(failed(e.to_string())),
                Err(_) => return Err(failed("the producer was dropped".into())),
            }
        }
        Ok(())
    }

    async fn load_checkpoint(&self) -> Result<Cursor, Error> {
        let client = self
            .pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        let row = client
            .query_opt(include_str!("../sql/load_checkpoint.sql"), &[&self.name])
            .await?;
        let Some(row) = row else {
            return Ok(Cursor::default());
        };
        let transaction_id: String = row.get(0);
        Ok(Cursor {
            transaction_id: transaction_id
                .parse()
                .map_err(|_| Error::Checkpoint(transaction_id.clone()))?,
            position: row.get(1),
        })
    }

    async fn save_checkpoint(&self, cursor: Cursor) -> Result<(), Error> {
        let client = self
            .pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        client
            .execute(
                include_str!("../sql/save_checkpoint.sql"),
                &[
                    &self.name,
                    &cursor.transaction_id.to_string(),
                    &cursor.position,
                ],
            )
            .await?;
        Ok(())
    }
}

fn event_headers(event: &StoredEvent) -> OwnedHeaders {
    let meta = |key: &str| event.metadata.get(key).map(String::as_str);
    let fields = [
        (headers::EVENT_ID, Some(event.event_id.to_string())),
        (headers::AGGREGATE_TYPE, Some(event.aggregate_type.clone())),
        (headers::AGGREGATE_ID, Some(event.aggregate_id.clone())),
        (headers::SEQUENCE, Some(event.sequence.to_string())),
        (headers::POSITION, Some(event.cursor.position.to_string())),
        (headers::EVENT_TYPE, Some(event.event_type.clone())),
        (headers::EVENT_VERSION, Some(event.event_version.clone())),
        (headers::RECORDED_AT, Some(event.recorded_at.to_rfc3339())),
        (
            headers::TENANT_ID,
            meta(metadata_keys::TENANT_ID).map(str::to_owned),
        ),
        (
            headers::ACTOR,
            meta(metadata_keys::ACTOR).map(str::to_owned),
        ),
        (
            headers::CORRELATION_ID,
            meta(metadata_keys::CORRELATION_ID).map(str::to_owned),
        ),
        (
            headers::CAUSATION_ID,
            meta(metadata_keys::CAUSATION_ID).map(str::to_owned),
        ),
        (
            headers::TRACEPARENT,
            meta(metadata_keys::TRACEPARENT).map(str::to_owned),
        ),
    ];
    fields
        .into_iter()
        .fold(OwnedHeaders::new(), |acc, (key, value)| match value {
            Some(value) => acc.insert(Header {
                key,
                value: Some(&value),
            }),
            None => acc,
        })
}

/// Gives queued messages a bounded chance to go out, on a plain thread so that a stuck
/// librdkafka cannot hold up shutdown.
async fn flush(producer: FutureProducer) {
    use plinth_infra_kafka::rdkafka::producer::Producer;
    let (done, flushed) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = producer.flush(Duration::from_secs(5));
        drop(producer);
        let _ = done.send(());
    });
    let _ = tokio::time::timeout(Duration::from_secs(6), flushed).await;
}
