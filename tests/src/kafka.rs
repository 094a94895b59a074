use std::collections::HashMap;
use std::time::{Duration, Instant};

use plinth_infra_kafka::rdkafka::config::ClientConfig;
use plinth_infra_kafka::rdkafka::consumer::{BaseConsumer, Consumer};
use plinth_infra_kafka::rdkafka::message::Headers;
use plinth_infra_kafka::rdkafka::{Message, Offset, TopicPartitionList};

/// One message as a plain consumer sees it.
#[derive(Debug, Clone)]
pub struct KafkaRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: String,
    pub value: Vec<u8>,
    pub headers: HashMap<String, String>,
}

/// Reads `topic` from the beginning of each of its `partitions` with a plain consumer (no group)
/// until `at_least` messages arrived and one more second brought nothing new, or `timeout`.
pub async fn read_topic(
    brokers: &str,
    topic: &str,
    partitions: i32,
    at_least: usize,
    timeout: Duration,
) -> Vec<KafkaRecord> {
    let (brokers, topic) = (brokers.to_owned(), topic.to_owned());
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .set("group.id", format!("reader-{}", uuid::Uuid::now_v7()))
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "10")
            .create()
            .unwrap();
        let mut assignment = TopicPartitionList::new();
        for partition in 0..partitions {
            assignment
                .add_partition_offset(&topic, partition, Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&assignment).unwrap();
        let deadline = Instant::now() + timeout;
        let mut records = Vec::new();
        let mut quiet_since = Instant::now();
        while Instant::now() < deadline {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    quiet_since = Instant::now();
                    let headers = m
                        .headers()
                        .map(|h| {
                            h.iter()
                                .filter_map(|h| {
                                    Some((
                                        h.key.to_owned(),
                                        String::from_utf8_lossy(h.value?).into_owned(),
                                    ))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    records.push(KafkaRecord {
                        partition: m.partition(),
                        offset: m.offset(),
                        key: String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                        value: m.payload().unwrap_or_default().to_vec(),
                        headers,
                    });
                }
                Some(Err(_)) | None => {
                    if records.len() >= at_least && quiet_since.elapsed() > Duration::from_secs(1) {
                        break;
                    }
                }
            }
        }
        records
    })
    .await
    .unwrap()
}
