//! Following topics in memory: a process that holds a whole view in memory (the authz view, the
//! access-token keys) reads every partition of its topics from the beginning, by assignment —
//! no consumer group to join or leave, no offsets committed — and hands each event to a
//! callback.

use std::time::Duration;

use plinth_infra_config::Settings;
use plinth_infra_kafka::AvroCodec;
use plinth_infra_kafka::rdkafka::consumer::Consumer;
use plinth_infra_kafka::rdkafka::{Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{Delivery, Error, read_delivery};

/// Calls `apply` with every Plinth event of the topics of `aggregate_types`, from the first,
/// until `shutdown`. Waits (retrying) for the broker and the registry rather than failing.
pub async fn follow(
    settings: &Settings,
    aggregate_types: &[&str],
    shutdown: CancellationToken,
    mut apply: impl FnMut(Delivery),
) -> Result<(), Error> {
    let topics: Vec<String> = aggregate_types
        .iter()
        .map(|t| plinth_schemas::topic_name(&settings.kafka.topic_prefix, t))
        .collect();
    if !plinth_infra_kafka::ensure_topics_until(&settings.kafka, &topics, &shutdown).await {
        return Ok(());
    }
    let assignment = loop {
        // Reading metadata blocks (for at most 5 s): off the runtime's threads.
        let (kafka, wanted) = (settings.kafka.clone(), topics.clone());
        let attempt = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            attempt = tokio::task::spawn_blocking(move || assignment(&kafka, &wanted)) => {
                attempt.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            }
        };
        match attempt {
            Ok(list) => break list,
            Err(e) => {
                warn!(topics = ?topics, error = %e, "Cannot reach the topics to follow yet; retrying.");
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    let codec = AvroCodec::new(&settings.schema_registry)?;
    // A group id is required by the client, though no group is joined.
    let group = format!(
        "{}follow.{}",
        settings.projector.group_prefix,
        uuid::Uuid::now_v7()
    );
    let consumer = plinth_infra_kafka::consumer(&settings.kafka, &group)?;
    consumer
        .assign(&assignment)
        .map_err(plinth_infra_kafka::Error::from)?;
    info!(topics = ?topics, "Following topics.");
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => break,
            message = consumer.recv() => message,
        };
        match message {
            Ok(message) => match read_delivery(&codec, &message, &shutdown).await {
                None => break,
                Some(Ok(delivery)) => apply(delivery),
                Some(Err(e)) => warn!(error = %e, "Skipping a message that is not a Plinth event."),
            },
            Err(e) => {
                warn!(error = %e, "Kafka consumer error while following topics.");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    Ok(())
}

/// Every partition of `topics`, from the beginning.
fn assignment(
    kafka: &plinth_infra_config::KafkaSettings,
    topics: &[String],
) -> Result<TopicPartitionList, plinth_infra_kafka::Error> {
    let metadata = plinth_infra_kafka::fetch_metadata(kafka, Duration::from_secs(5))?;
    let mut list = TopicPartitionList::new();
    for topic in metadata.topics() {
        if topics.iter().any(|t| t == topic.name()) {
            for partition in topic.partitions() {
                list.add_partition_offset(topic.name(), partition.id(), Offset::Beginning)?;
            }
        }
    }
    Ok(list)
}
