use std::time::Duration;

use plinth_infra_config::KafkaSettings;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::metadata::Metadata;
use rdkafka::producer::FutureProducer;
use rdkafka::types::RDKafkaErrorCode;

use crate::{Error, Result};

fn base(settings: &KafkaSettings) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.brokers)
        .set("socket.keepalive.enable", "true")
        .set("reconnect.backoff.max.ms", "2000");
    config
}

/// An idempotent producer that waits for every in-sync replica (`acks=all`), so a message the
/// broker acknowledged is durable, and its own retries neither duplicate nor reorder within a
/// partition. A message that times out can still leave a gap before later ones; with
/// `enable.gapless.guarantee` that is a fatal error, after which the relay replaces the producer
/// and publishes the batch again (consumers then see an aggregate's later events twice, and
/// apply each once, in sequence order).
pub fn producer(settings: &KafkaSettings) -> Result<FutureProducer> {
    Ok(base(settings)
        .set("enable.idempotence", "true")
        .set("enable.gapless.guarantee", "true")
        .set("acks", "all")
        .set("max.in.flight.requests.per.connection", "5")
        .set("linger.ms", "5")
        .set("socket.nagle.disable", "true")
        .set(
            "message.timeout.ms",
            settings.message_timeout_ms.to_string(),
        )
        .set("partitioner", "murmur2_random")
        .create()?)
}

/// A consumer in `group` that stores no offsets by itself: callers store an offset once the
/// message's effect is durable, and the periodic commit sends what was stored.
pub fn consumer(settings: &KafkaSettings, group: &str) -> Result<StreamConsumer> {
    Ok(base(settings)
        .set("group.id", group)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "500")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", settings.fetch_wait_max_ms.to_string())
        .set(
            "session.timeout.ms",
            settings.session_timeout_ms.to_string(),
        )
        .set(
            "heartbeat.interval.ms",
            (settings.session_timeout_ms / 3).max(100).to_string(),
        )
        .create()?)
}

/// Creates the topics that do not exist yet, with the configured partitions and replication.
pub async fn ensure_topics(settings: &KafkaSettings, topics: &[String]) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = base(settings).create()?;
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            NewTopic::new(
                t,
                settings.partitions,
                TopicReplication::Fixed(settings.replication_factor),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin.create_topics(&new, &options).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(Error::CreateTopic {
                    topic,
                    reason: code.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Cluster metadata, to check that the brokers answer (readiness) within `timeout`.
pub fn fetch_metadata(settings: &KafkaSettings, timeout: Duration) -> Result<Metadata> {
    let consumer: BaseConsumer = base(settings).create()?;
    Ok(consumer.fetch_metadata(None, timeout)?)
}
