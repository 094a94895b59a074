use std::sync::Arc;
use std::time::Duration;

use plinth_infra_config::Settings;
use plinth_infra_kafka::rdkafka::Message;
use plinth_infra_kafka::rdkafka::message::OwnedMessage;
use plinth_infra_kafka::{AvroCodec, Decoded, GroupConsumer};
use plinth_infra_postgres::Pool;
use plinth_schemas::AvroRecord;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::apply::{Consumed, apply};
use crate::envelope::EnvelopeHeaders;
use crate::envelope::{Delivery, EnvelopeError, Payload};
use plinth_infra_module::DynProjection;

use crate::Error;

/// At most this many messages are applied in one transaction.
const MAX_BATCH: usize = 500;

/// Runs one [`Projection`] from Kafka into Postgres.
pub struct Projector {
    pool: Pool,
    settings: Settings,
    codec: AvroCodec,
    projection: Arc<dyn DynProjection>,
}

impl Projector {
    pub fn new(
        pool: Pool,
        settings: Settings,
        projection: Arc<dyn DynProjection>,
    ) -> Result<Self, Error> {
        let codec = AvroCodec::new(&settings.schema_registry)?;
        Ok(Self {
            pool,
            settings,
            codec,
            projection,
        })
    }

    fn topics(&self) -> Vec<String> {
        self.projection
            .aggregate_types()
            .iter()
            .map(|t| plinth_schemas::topic_name(&self.settings.kafka.topic_prefix, t))
            .collect()
    }

    /// Consumes until `shutdown` is cancelled. Failures to reach Postgres or the registry are
    /// retried in place: the projection stalls rather than skipping an event.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), Error> {
        let name = self.projection.name();
        let topics = self.topics();
        if !plinth_infra_kafka::ensure_topics_until(&self.settings.kafka, &topics, &shutdown).await
        {
            return Ok(());
        }
        let group = format!("{}{}", self.settings.projector.group_prefix, name);
        let mut consumer = GroupConsumer::join(&self.settings.kafka, &group, &topics)?;
        info!(projection = name, group = %group, topics = ?topics, "Projector started.");
        let healing = tokio::spawn(crate::stalls::heal(
            self.pool.clone(),
            name,
            shutdown.clone(),
        ));
        let measuring = tokio::spawn(crate::lag::record_lag(
            self.pool.clone(),
            self.settings.kafka.clone(),
            name,
            topics.clone(),
            shutdown.clone(),
        ));
        // Whatever else is already fetched joins the batch (one transaction for all).
        while let Some(batch) = consumer.recv_batch(MAX_BATCH, &shutdown).await {
            if self.handle(&batch, &shutdown).await {
                consumer.done(&batch);
            }
        }
        healing.abort();
        measuring.abort();
        consumer.close().await;
        info!(projection = name, "Projector stopped.");
        Ok(())
    }

    /// Applies a batch, retrying until it is applied; false if `shutdown` came first.
    async fn handle(&self, messages: &[OwnedMessage], shutdown: &CancellationToken) -> bool {
        let name = self.projection.name();
        let mut batch = Vec::with_capacity(messages.len());
        for message in messages {
            let delivery = match read_delivery(&self.codec, message, shutdown).await {
                None => return false,
                Some(Ok(delivery)) => Some(delivery),
                Some(Err(e)) => {
                    error!(projection = name, error = %e, "Skipping a message that is not a Plinth event.");
                    None
                }
            };
            batch.push(Consumed {
                topic: message.topic().to_owned(),
                partition: message.partition(),
                offset: message.offset(),
                delivery,
            });
        }
        if shutdown.is_cancelled() {
            return false;
        }
        let mut pause = Duration::from_millis(100);
        loop {
            match apply(&self.pool, self.projection.as_ref(), &batch).await {
                Ok(outcome) => {
                    crate::lag::record_applied(name, messages, outcome.applied);
                    debug!(
                        projection = name,
                        messages = batch.len(),
                        ?outcome,
                        "Batch applied."
                    );
                    return true;
                }
                Err(e) => {
                    warn!(projection = name, error = %e, "Cannot apply the batch; retrying.");
                    tokio::select! {
                        () = shutdown.cancelled() => return false,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

/// A consumed message as a Plinth event: its headers, and its value decoded through the
/// registry (retried while the registry is unreachable). `None` once `shutdown` is cancelled;
/// `Err` for a message without the headers of a Plinth event.
pub async fn read_delivery(
    codec: &AvroCodec,
    message: &impl Message,
    shutdown: &CancellationToken,
) -> Option<Result<Delivery, EnvelopeError>> {
    let headers = match EnvelopeHeaders::parse(message) {
        Ok(headers) => headers,
        Err(e) => return Some(Err(e)),
    };
    let decoded = codec
        .decode_patiently(message.payload().unwrap_or_default(), shutdown)
        .await?;
    Some(Ok(headers.into_delivery(|headers| match decoded {
        Err(reason) => Payload::Unreadable(format!("not Confluent-framed Avro: {reason}")),
        Ok(Decoded { record_name, value }) => {
            Payload::Event(Box::new(headers.into_envelope(AvroRecord {
                name: record_name,
                value,
            })))
        }
    })))
}
