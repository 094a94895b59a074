//! Feeds an [`AuthzView`] from Kafka. Every process holds the whole view, so the feeder reads
//! every partition of the authz topics from the beginning, by assignment (no consumer group to
//! join or leave, no offsets committed).

use std::sync::Arc;
use std::time::Duration;

use plinth_infra_config::Settings;
use plinth_infra_kafka::AvroCodec;
use plinth_infra_kafka::rdkafka::consumer::Consumer;
use plinth_infra_kafka::rdkafka::{Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::AuthzView;

/// The aggregate types whose topics feed the view.
pub const AGGREGATE_TYPES: [&str; 2] = ["authz.role", "authz.binding"];

/// Why the feeder could not start.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Kafka(#[from] plinth_infra_kafka::Error),
    #[error("Kafka: {0}")]
    Client(#[from] plinth_infra_kafka::rdkafka::error::KafkaError),
}

/// Applies the authz topics to `view` until `shutdown`. Waits (retrying) for the broker and
/// the registry rather than failing: until then, the view denies what it does not know.
pub async fn feed(
    view: Arc<AuthzView>,
    settings: Settings,
    shutdown: CancellationToken,
) -> Result<(), FeedError> {
    let topics: Vec<String> = AGGREGATE_TYPES
        .iter()
        .map(|t| plinth_schemas::topic_name(&settings.kafka.topic_prefix, t))
        .collect();
    let assignment = loop {
        match assignment(&settings, &topics).await {
            Ok(list) => break list,
            Err(e) => {
                warn!(error = %e, "The authz view cannot reach its topics yet; retrying.");
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    let codec = AvroCodec::new(&settings.schema_registry.url)?;
    let group = format!(
        "{}authz-view.{}",
        settings.projector.group_prefix,
        uuid::Uuid::now_v7()
    );
    let consumer = plinth_infra_kafka::consumer(&settings.kafka, &group)?;
    consumer.assign(&assignment)?;
    info!(topics = ?topics, "Authz view following its topics.");
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => break,
            message = consumer.recv() => message,
        };
        match message {
            Ok(message) => {
                match plinth_projections_runtime::read_delivery(&codec, &message, &shutdown).await {
                    None => break,
                    Some(Ok(delivery)) => {
                        view.apply(&delivery);
                    }
                    Some(Err(e)) => {
                        warn!(error = %e, "Skipping a message that is not a Plinth event.");
                    }
                }
            }
            Err(e) => {
                warn!(error = %e, "Kafka consumer error in the authz view.");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    Ok(())
}

/// Every partition of `topics`, from the beginning (creating the topics first).
async fn assignment(
    settings: &Settings,
    topics: &[String],
) -> Result<TopicPartitionList, plinth_infra_kafka::Error> {
    plinth_infra_kafka::ensure_topics(&settings.kafka, topics).await?;
    let metadata = plinth_infra_kafka::fetch_metadata(&settings.kafka, Duration::from_secs(5))?;
    let mut list = TopicPartitionList::new();
    for topic in metadata.topics() {
        if topics.iter().any(|t| t == topic.name()) {
            for partition in topic.partitions() {
                list.add_partition_offset(topic.name(), partition.id(), Offset::Beginning)
                    .map_err(plinth_infra_kafka::Error::from)?;
            }
        }
    }
    Ok(list)
}
