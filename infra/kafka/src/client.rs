use std::time::Duration;

use plinth_infra_config::KafkaSettings;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::metadata::Metadata;
use rdkafka::producer::FutureProducer;
use rdkafka::types::RDKafkaErrorCode;

use crate::{Error, Result};

/// What every client shares: the brokers, how to reach them, and how to authenticate.
fn base(settings: &KafkaSettings) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.brokers)
        .set("socket.keepalive.enable", "true")
        .set("reconnect.backoff.max.ms", "2000")
        .set("security.protocol", &settings.security_protocol);
    if settings.sasl() {
        config
            .set("sasl.mechanism", &settings.sasl_mechanism)
            .set("sasl.username", &settings.sasl_username);
        if let Some(password) = &settings.sasl_password {
            config.set("sasl.password", password.expose());
        }
    }
    if !settings.ssl_ca_location.is_empty() {
        config.set("ssl.ca.location", &settings.ssl_ca_location);
    }
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
/// message's effect is durable, and the periodic commit sends what was stored. (Group members
/// that follow a subscription are [`GroupConsumer`](crate::GroupConsumer)s; this is for readers
/// that assign partitions themselves.)
pub fn consumer(settings: &KafkaSettings, group: &str) -> Result<StreamConsumer> {
    Ok(consumer_config(settings, group).create()?)
}

/// The configuration of a consumer in `group`. `max.poll.interval.ms` is also the rebalance
/// timeout a member announces: how long a join may wait for the group's other members.
pub(crate) fn consumer_config(settings: &KafkaSettings, group: &str) -> ClientConfig {
    let mut config = base(settings);
    config
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
        .set(
            "max.poll.interval.ms",
            settings.max_poll_interval_ms.to_string(),
        );
    config
}

/// The configuration Plinth's topics are created with: an event topic is the log every consumer
/// may read from the start, so it is kept for ever by default (`retention.ms` -1, no size
/// limit). `cleanup.policy` is left to the broker's default (`delete` on Kafka, where -1 means
/// for ever): tansu 0.6 compares -1 as a number, so with an explicit `delete` policy it would
/// drop every record at its next maintenance.
pub fn topic_config(settings: &KafkaSettings) -> Vec<(&'static str, String)> {
    vec![
        ("retention.ms", settings.topic_retention_ms.to_string()),
        ("retention.bytes", "-1".to_owned()),
    ]
}

/// Creates the topics that do not exist yet, with the configured partitions, replication and
/// [`topic_config`]; warns about an existing topic that keeps events for less long.
pub async fn ensure_topics(settings: &KafkaSettings, topics: &[String]) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = base(settings).create()?;
    let config = topic_config(settings);
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            config.iter().fold(
                NewTopic::new(
                    t,
                    settings.partitions,
                    TopicReplication::Fixed(settings.replication_factor),
                ),
                |topic, (key, value)| topic.set(key, value),
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
    for (topic, retention) in retention(settings, topics).await? {
        if retention.is_some_and(|ms| ms != settings.topic_retention_ms) {
            tracing::warn!(
                topic,
                retention_ms = retention,
                configured = settings.topic_retention_ms,
                "A topic keeps events for less long than Plinth expects: consumers that read it from the start (the authz view, audit verify --source kafka) will miss what expired. Set its retention.ms."
            );
        }
    }
    Ok(())
}

/// [`ensure_topics`], retried every second while the brokers cannot be reached (logging why),
/// until it succeeds (true) or `shutdown` is cancelled (false, at once, whatever is in flight).
pub async fn ensure_topics_until(
    settings: &KafkaSettings,
    topics: &[String],
    shutdown: &tokio_util::sync::CancellationToken,
) -> bool {
    loop {
        let attempt = tokio::select! {
            () = shutdown.cancelled() => return false,
            attempt = ensure_topics(settings, topics) => attempt,
        };
        match attempt {
            Ok(()) => return true,
            Err(e) => {
                tracing::warn!(topics = ?topics, error = %e, "Cannot create topics yet; the broker may be down. Retrying.");
                tokio::select! {
                    () = shutdown.cancelled() => return false,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

/// Each topic's `retention.ms`, as the brokers describe it (`None`: not reported).
pub async fn retention(
    settings: &KafkaSettings,
    topics: &[String],
) -> Result<Vec<(String, Option<i64>)>> {
    let admin: AdminClient<DefaultClientContext> = base(settings).create()?;
    let resources: Vec<ResourceSpecifier<'_>> = topics
        .iter()
        .map(|t| ResourceSpecifier::Topic(t.as_str()))
        .collect();
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(10)));
    let described = admin.describe_configs(&resources, &options).await?;
    Ok(topics
        .iter()
        .zip(described)
        .map(|(topic, result)| {
            let ms = result.ok().and_then(|resource| {
                resource
                    .get("retention.ms")
                    .and_then(|e| e.value.as_deref()?.parse().ok())
            });
            (topic.clone(), ms)
        })
        .collect())
}

/// Cluster metadata, to check that the brokers answer (readiness) within `timeout`.
/// A client kept for asking the brokers for their metadata again and again (a readiness
/// probe), instead of a new connection each time.
pub struct MetadataClient(BaseConsumer);

impl MetadataClient {
    /// A client of the configured brokers (it connects when first asked).
    pub fn new(settings: &KafkaSettings) -> Result<Self> {
        Ok(Self(base(settings).create()?))
    }

    /// The brokers' metadata, within `timeout`.
    pub fn fetch(&self, timeout: Duration) -> Result<Metadata> {
        Ok(self.0.fetch_metadata(None, timeout)?)
    }

    /// Every partition of `topics` with its low and high watermark (the first offset still
    /// held, and the offset the next message will get), each question within `timeout`.
    /// Blocking: call it off the async workers.
    pub fn watermarks(&self, topics: &[String], timeout: Duration) -> Result<Vec<Watermarks>> {
        let metadata = self.fetch(timeout)?;
        let mut found = Vec::new();
        for topic in metadata
            .topics()
            .iter()
            .filter(|t| topics.iter().any(|n| n == t.name()))
        {
            for partition in topic.partitions() {
                let (low, high) = self
                    .0
                    .fetch_watermarks(topic.name(), partition.id(), timeout)?;
                found.push(Watermarks {
                    topic: topic.name().to_owned(),
                    partition: partition.id(),
                    low,
                    high,
                });
            }
        }
        Ok(found)
    }
}

/// A partition's offsets, as [`MetadataClient::watermarks`] found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermarks {
    pub topic: String,
    pub partition: i32,
    pub low: i64,
    pub high: i64,
}

pub fn fetch_metadata(settings: &KafkaSettings, timeout: Duration) -> Result<Metadata> {
    let consumer: BaseConsumer = base(settings).create()?;
    Ok(consumer.fetch_metadata(None, timeout)?)
}
