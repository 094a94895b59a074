//! What `/readyz` checks: Postgres, the brokers and the schema registry answer.

use std::time::Duration;

use async_trait::async_trait;
use plinth_gateway::ReadinessProbe;
use plinth_infra_config::KafkaSettings;
use plinth_infra_postgres::Pool;

/// Postgres answers a query.
pub struct PostgresProbe(pub Pool);

#[async_trait]
impl ReadinessProbe for PostgresProbe {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), String> {
        let client = self.0.get().await.map_err(|e| e.to_string())?;
        client
            .query_one("SELECT 1", &[])
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// The Kafka brokers answer a metadata request, on one client kept for it.
pub struct BrokerProbe(std::sync::Arc<plinth_infra_kafka::MetadataClient>);

impl BrokerProbe {
    pub fn new(settings: &KafkaSettings) -> anyhow::Result<Self> {
        Ok(Self(std::sync::Arc::new(
            plinth_infra_kafka::MetadataClient::new(settings)?,
        )))
    }
}

#[async_trait]
impl ReadinessProbe for BrokerProbe {
    fn name(&self) -> &'static str {
        "broker"
    }

    async fn check(&self) -> Result<(), String> {
        let client = self.0.clone();
        tokio::task::spawn_blocking(move || client.fetch(Duration::from_secs(2)))
            .await
            .map_err(|e| e.to_string())?
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

/// The schema registry answers `GET /subjects`.
pub struct RegistryProbe {
    url: String,
    client: reqwest::Client,
}

impl RegistryProbe {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .no_proxy()
            .build()?;
        Ok(Self {
            url: format!("{}/subjects", url.trim_end_matches('/')),
            client,
        })
    }
}

#[async_trait]
impl ReadinessProbe for RegistryProbe {
    fn name(&self) -> &'static str {
        "schema_registry"
    }

    async fn check(&self) -> Result<(), String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("answered {}", response.status()))
        }
    }
}
