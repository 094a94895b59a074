//! The batch loop: read the global order after the checkpoint, map each event to its published
//! schema (parking those that cannot be mapped, with their aggregates' later events), produce
//! the rest and wait for every acknowledgement, then record the parked events and move the
//! checkpoint in one transaction. Between batches it serves operators' and consumers' requests
//! (`serve.rs`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use plinth_domain_core::metadata_keys;
use plinth_infra_config::Settings;
use plinth_infra_event_store::{Cursor, StoredEvent, read_committed_after};
use plinth_infra_kafka::rdkafka::message::{Header, OwnedHeaders};
use plinth_infra_kafka::rdkafka::producer::{FutureProducer, FutureRecord};
use plinth_infra_kafka::{AvroCodec, headers};
use plinth_infra_postgres::Pool;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, info_span, warn};

use crate::leader::Leadership;
use crate::{Error, parking};

/// A batch could not be published; it will be retried from the checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The event cannot be published as it is: no published schema, a payload that does not map
    /// to it, or a schema the registry refuses. It is parked, not retried.
    #[error(
        "event {event_id} ({aggregate_type}/{event_type}) cannot be published as it is: {reason}"
    )]
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

/// An aggregate, by type and id.
pub(crate) type AggregateKey = (String, String);

/// One message ready to produce: the event it carries (or stands in for), its topic, its
/// Confluent-framed value, and the event type its headers name.
pub(crate) struct Outgoing<'a> {
    pub(crate) event: &'a StoredEvent,
    pub(crate) topic: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) event_type: String,
}

pub(crate) struct Publisher<'a> {
    pub(crate) pool: &'a Pool,
    /// Replaced after a failed batch: an idempotent producer whose messages timed out may be
    /// left in a state the broker keeps refusing.
    pub(crate) producer: FutureProducer,
    pub(crate) codec: &'a AvroCodec,
    pub(crate) catalog: &'a plinth_schemas::Catalog,
    pub(crate) settings: &'a Settings,
    pub(crate) name: &'a str,
    /// Aggregates with a parked event: their later events are parked too.
    pub(crate) held: HashSet<AggregateKey>,
}

/// How often requests are served while batches keep coming.
const SERVE_EVERY: Duration = Duration::from_secs(1);
/// How often the parked events are reported while there are any.
const REPORT_PARKED_EVERY: Duration = Duration::from_secs(60);

impl Publisher<'_> {
    /// Publishes batch after batch while leadership holds.
    pub(crate) async fn run(
        mut self,
        leadership: &Leadership,
        shutdown: &CancellationToken,
    ) -> Result<(), Error> {
        let mut cursor = self.load_checkpoint().await?;
        self.load_held().await?;
        info!(
            transaction_id = cursor.transaction_id,
            position = cursor.position,
            parked_aggregates = self.held.len(),
            "Relay resumes after checkpoint."
        );
        let poll = Duration::from_millis(self.settings.relay.poll_interval_ms);
        let mut backoff = Duration::from_millis(100);
        let mut served: Option<Instant> = None;
        let mut reported: Option<Instant> = None;
        let mut watch = crate::holdback::Watch::default();
        while !shutdown.is_cancelled() && !leadership.is_lost() {
            if served.is_none_or(|at| at.elapsed() >= SERVE_EVERY) {
                if let Err(e) = self.serve(shutdown).await {
                    warn!(error = %e, "Cannot serve the relay's requests now; retrying.");
                }
                served = Some(Instant::now());
            }
            if !self.held.is_empty()
                && reported.is_none_or(|at| at.elapsed() >= REPORT_PARKED_EVERY)
            {
                warn!(
                    aggregates = self.held.len(),
                    "Events are parked: they and their aggregates' later events are not published. Run `plinth relay parked`."
                );
                reported = Some(Instant::now());
            }
            let batch = {
                let client = self
                    .pool
                    .get()
                    .await
                    .map_err(plinth_infra_postgres::Error::from)?;
                let batch =
                    read_committed_after(&client, cursor, self.settings.relay.batch_size).await?;
                watch.observe(&client, cursor, batch.is_empty()).await;
                batch
            };
            if batch.is_empty() {
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = leadership.wake.notified() => {}
                    () = tokio::time::sleep(poll) => {}
                }
                continue;
            }
            // Nothing here waits out a broker timeout at shutdown: what was not acknowledged is
            // published again from the checkpoint by the next leader.
            let published = tokio::select! {
                () = shutdown.cancelled() => break,
                published = async {
                    let (outgoing, parked) = self.sort(&batch).await?;
                    self.produce(&outgoing).await?;
                    Ok::<_, PublishError>((parked, outgoing.len()))
                } => published,
            };
            match published {
                // Another relay may lead now: its checkpoint, not ours, is the truth.
                Ok(_) if leadership.is_lost() => break,
                Ok((parked, produced)) => {
                    let last = batch.last().map_or(cursor, |e| e.cursor);
                    self.save(&parked, last).await?;
                    debug!(
                        events = produced,
                        parked = parked.len(),
                        position = last.position,
                        "Batch published."
                    );
                    cursor = last;
                    backoff = Duration::from_millis(100);
                }
                Err(e) => {
                    warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Batch not published; events wait in Postgres.");
                    if matches!(e, PublishError::Delivery { .. }) {
                        self.renew_producer().await?;
                    }
                    // Parking is only recorded with a published batch: start from the table.
                    self.load_held().await?;
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

    pub(crate) async fn renew_producer(&mut self) -> Result<(), Error> {
        let fresh = plinth_infra_kafka::producer(&self.settings.kafka)?;
        flush(std::mem::replace(&mut self.producer, fresh)).await;
        Ok(())
    }

    /// Maps the batch: the messages to produce, and the events to park (with why). An event
    /// of an aggregate already held is parked behind its predecessor.
    async fn sort<'b>(
        &mut self,
        batch: &'b [StoredEvent],
    ) -> Result<(Vec<Outgoing<'b>>, Vec<(&'b StoredEvent, String)>), PublishError> {
        let mut outgoing = Vec::with_capacity(batch.len());
        let mut parked = Vec::new();
        for event in batch {
            let key = (event.aggregate_type.clone(), event.aggregate_id.clone());
            if self.held.contains(&key) {
                parked.push((
                    event,
                    "waits for an earlier parked event of its aggregate".to_owned(),
                ));
                continue;
            }
            match self.encode(event).await {
                Ok(message) => outgoing.push(message),
                Err(PublishError::Mapping { reason, .. }) => {
                    error!(
                        event_id = %event.event_id,
                        aggregate_type = event.aggregate_type,
                        aggregate_id = event.aggregate_id,
                        sequence = event.sequence,
                        event_type = event.event_type,
                        reason,
                        "An event cannot be mapped to its published schema: it is parked, with its aggregate's later events, and everything else goes on. See `plinth relay parked`."
                    );
                    self.held.insert(key);
                    parked.push((event, reason));
                }
                Err(e) => return Err(e),
            }
        }
        Ok((outgoing, parked))
    }

    /// The message for `event`, encoded through the registry.
    pub(crate) async fn encode<'b>(
        &self,
        event: &'b StoredEvent,
    ) -> Result<Outgoing<'b>, PublishError> {
        let avro = self
            .catalog
            .encode(&event.aggregate_type, &event.event_type, &event.payload)
            .map_err(|e| PublishError::Mapping {
                event_id: event.event_id.to_string(),
                aggregate_type: event.aggregate_type.clone(),
                event_type: event.event_type.clone(),
                reason: e.to_string(),
            })?;
        self.framed(event, &avro, event.event_type.clone()).await
    }

    /// `avro` framed for `event`'s topic.
    pub(crate) async fn framed<'b>(
        &self,
        event: &'b StoredEvent,
        avro: &plinth_schemas::AvroEvent,
        event_type: String,
    ) -> Result<Outgoing<'b>, PublishError> {
        let topic =
            plinth_schemas::topic_name(&self.settings.kafka.topic_prefix, &event.aggregate_type);
        let bytes = self.codec.encode(&topic, avro).await.map_err(|e| match e {
            // Refused for good: the event cannot be published as it is, like an unmapped one.
            plinth_infra_kafka::Error::SchemaRefused(reason) => PublishError::Mapping {
                event_id: event.event_id.to_string(),
                aggregate_type: event.aggregate_type.clone(),
                event_type: event.event_type.clone(),
                reason,
            },
            other => PublishError::Registry(other.to_string()),
        })?;
        Ok(Outgoing {
            event,
            topic,
            bytes,
            event_type,
        })
    }

    /// Produces every message in order, then waits for every acknowledgement; records how long
    /// that took (`plinth_relay_publish_seconds`) and the events published
    /// (`plinth_relay_published_events_total`). An event caused by a traced request is
    /// published in a span of that trace, from producing to the acknowledgement, and its
    /// message carries that span as its `traceparent`.
    pub(crate) async fn produce(&self, outgoing: &[Outgoing<'_>]) -> Result<(), PublishError> {
        let started = Instant::now();
        let mut deliveries = Vec::with_capacity(outgoing.len());
        for message in outgoing {
            let span = publish_span(message);
            let traceparent = span
                .as_ref()
                .and_then(|span| span.in_scope(plinth_infra_telemetry::current_traceparent));
            let record = FutureRecord::to(&message.topic)
                .key(&message.event.aggregate_id)
                .payload(&message.bytes)
                .headers(event_headers(
                    message.event,
                    &message.event_type,
                    traceparent,
                ));
            let delivery =
                self.producer
                    .send_result(record)
                    .map_err(|(e, _)| PublishError::Delivery {
                        event_id: message.event.event_id.to_string(),
                        reason: e.to_string(),
                    })?;
            deliveries.push((message.event, delivery, span));
        }
        for (event, delivery, _span) in deliveries {
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
        metrics::histogram!("plinth_relay_publish_seconds").record(started.elapsed().as_secs_f64());
        metrics::counter!("plinth_relay_published_events_total").increment(outgoing.len() as u64);
        Ok(())
    }

    async fn load_held(&mut self) -> Result<(), Error> {
        let client = self
            .pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        self.held = parking::parked(&client)
            .await?
            .into_iter()
            .map(|p| (p.aggregate_type, p.aggregate_id))
            .collect();
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

    /// Records the parked events and moves the checkpoint, in one transaction.
    async fn save(&self, parked: &[(&StoredEvent, String)], cursor: Cursor) -> Result<(), Error> {
        let mut client = self
            .pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        let tx = client.transaction().await?;
        for (event, reason) in parked {
            parking::park(&tx, event, reason).await?;
        }
        tx.execute(
            include_str!("../sql/save_checkpoint.sql"),
            &[
                &self.name,
                &cursor.transaction_id.to_string(),
                &cursor.position,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The span publishing `message`, in the trace of the request that caused its event (none for
/// an event no traced request caused).
fn publish_span(message: &Outgoing<'_>) -> Option<tracing::Span> {
    let traceparent = message.event.metadata.get(metadata_keys::TRACEPARENT)?;
    let span = info_span!(
        "relay.publish",
        otel.name = %format!("{} publish", message.topic),
        otel.kind = "producer",
        event_id = %message.event.event_id,
        event_type = %message.event_type,
        topic = %message.topic,
    );
    plinth_infra_telemetry::attach_traceparent(&span, traceparent);
    Some(span)
}

/// The message's headers; `traceparent` is the span publishing it, or the request's when
/// publishing is not traced.
fn event_headers(
    event: &StoredEvent,
    event_type: &str,
    traceparent: Option<String>,
) -> OwnedHeaders {
    let meta = |key: &str| event.metadata.get(key).map(String::as_str);
    let fields = [
        (headers::EVENT_ID, Some(event.event_id.to_string())),
        (headers::AGGREGATE_TYPE, Some(event.aggregate_type.clone())),
        (headers::AGGREGATE_ID, Some(event.aggregate_id.clone())),
        (headers::SEQUENCE, Some(event.sequence.to_string())),
        (headers::POSITION, Some(event.cursor.position.to_string())),
        (headers::EVENT_TYPE, Some(event_type.to_owned())),
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
            traceparent.or_else(|| meta(metadata_keys::TRACEPARENT).map(str::to_owned)),
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

/// Gives queued messages a short chance to go out (none is needed: the checkpoint never moved
/// past them), on a plain thread so that a stuck librdkafka cannot hold up shutdown.
async fn flush(producer: FutureProducer) {
    use plinth_infra_kafka::rdkafka::producer::Producer;
    let (done, flushed) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = producer.flush(Duration::from_secs(1));
        drop(producer);
        let _ = done.send(());
    });
    let _ = tokio::time::timeout(Duration::from_secs(2), flushed).await;
}
