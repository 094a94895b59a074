//! Kafka plumbing shared by the relay, the projectors and the tests: client settings tuned for
//! the configured broker ([`producer`], [`consumer`]), topic creation ([`ensure_topics`]), the
//! header names every published event carries ([`headers`]), the Confluent wire-format Avro
//! codec backed by the schema registry ([`AvroCodec`]), and the pieces of every consumer loop
//! ([`GroupConsumer`], which rejoins when stranded, and [`AvroCodec::decode_patiently`]).

mod client;
mod codec;
mod group;
pub mod headers;

pub use client::{
    MetadataClient, Watermarks, consumer, ensure_topics, ensure_topics_until, fetch_metadata,
    producer, retention, topic_config,
};
pub use codec::{AvroCodec, Decoded};
pub use group::GroupConsumer;
pub use rdkafka;

/// What can go wrong with Kafka or the registry.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kafka client error: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("cannot create topic {topic}: {reason}")]
    CreateTopic { topic: String, reason: String },
    #[error("schema registry: {0}")]
    Registry(String),
    /// The registry refused the schema for good (incompatible with the subject's earlier
    /// versions, or invalid): asking again will not help.
    #[error("the schema registry refuses the schema: {0}")]
    SchemaRefused(String),
    #[error("not a Confluent wire-format Avro message: {0}")]
    NotAvro(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
