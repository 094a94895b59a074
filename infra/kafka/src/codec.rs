use apache_avro::types::Value;
use plinth_infra_config::SchemaRegistrySettings;
use plinth_schemas::AvroEvent;
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::{
    SchemaType, SubjectNameStrategy, SuppliedSchema,
};

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::{Error, Result};

/// Encodes and decodes event values in the Confluent wire format (magic byte 0, 4-byte schema
/// id, Avro body), registering each schema under `<topic>-<record full name>`
/// (TopicRecordNameStrategy) on first use and caching ids.
pub struct AvroCodec {
    encoder: AvroEncoder,
    decoder: AvroDecoder,
}

/// A decoded message value: the writer's record full name and the Avro value.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub record_name: String,
    pub value: Value,
}

impl AvroCodec {
    /// A codec talking to the registry `registry.url` names, with its writers' credentials
    /// when `registry.password` is set (registering a schema needs them).
    pub fn new(registry: &SchemaRegistrySettings) -> Result<Self> {
        let settings = || {
            let mut builder = SrSettings::new_builder(registry.url.clone());
            builder
                .no_proxy()
                .set_timeout(std::time::Duration::from_secs(10));
            if let Some(password) = &registry.password {
                builder.set_basic_authorization(&registry.username, Some(password.expose()));
            }
            builder.build().map_err(|e| Error::Registry(e.to_string()))
        };
        Ok(Self {
            encoder: AvroEncoder::new(settings()?),
            decoder: AvroDecoder::new(settings()?),
        })
    }

    /// Encodes `event` for `topic`, registering its schema if the registry does not have it.
    pub async fn encode(&self, topic: &str, event: &AvroEvent) -> Result<Vec<u8>> {
        let strategy = SubjectNameStrategy::TopicRecordNameStrategyWithSchema(
            topic.to_owned(),
            SuppliedSchema::new(
                Some(event.schema.record_name.to_owned()),
                SchemaType::Avro,
                event.schema.avsc.to_owned(),
            ),
        );
        match self
            .encoder
            .encode_value(event.value.clone(), &strategy)
            .await
        {
            Ok(bytes) => Ok(bytes),
            Err(e) => {
                // The converter caches failures; forget them so the next attempt asks again.
                self.encoder.remove_errors_from_cache();
                let refused = !e.retriable
                    && ["status 409", "status 422"]
                        .iter()
                        .any(|status| e.error.contains(status));
                Err(if refused {
                    Error::SchemaRefused(e.to_string())
                } else {
                    Error::Registry(e.to_string())
                })
            }
        }
    }

    /// Decodes a wire-format value, fetching the writer's schema by id from the registry.
    pub async fn decode(&self, bytes: &[u8]) -> Result<Decoded> {
        if bytes.len() < 5 || bytes[0] != 0 {
            return Err(Error::NotAvro(format!(
                "{} bytes, first byte {:?}",
                bytes.len(),
                bytes.first()
            )));
        }
        match self.decoder.decode(Some(bytes)).await {
            Ok(result) => Ok(Decoded {
                record_name: result.name.map(|n| n.fullname(None)).unwrap_or_default(),
                value: result.value,
            }),
            Err(e) => {
                self.decoder.remove_errors_from_cache();
                Err(Error::Registry(e.to_string()))
            }
        }
    }
}

impl AvroCodec {
    /// Decodes `bytes`, retrying with backoff while the registry cannot be reached: a consumer
    /// stalls rather than skipping an event. `Some(Err(reason))` for bytes that are not
    /// wire-format Avro (retrying will not help); `None` once `shutdown` is cancelled.
    pub async fn decode_patiently(
        &self,
        bytes: &[u8],
        shutdown: &CancellationToken,
    ) -> Option<Result<Decoded, String>> {
        let mut pause = Duration::from_millis(100);
        loop {
            match self.decode(bytes).await {
                Ok(decoded) => return Some(Ok(decoded)),
                Err(Error::NotAvro(reason)) => return Some(Err(reason)),
                Err(e) => {
                    warn!(error = %e, "Cannot decode through the registry; retrying.");
                    tokio::select! {
                        () = shutdown.cancelled() => return None,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
