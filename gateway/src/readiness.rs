use async_trait::async_trait;
use plinth_infra_postgres::Pool;

/// A dependency `/readyz` checks.
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// The name reported (`postgres`, `broker`, `schema_registry`).
    fn name(&self) -> &'static str;
    /// `Err` says why the dependency is not usable.
    async fn check(&self) -> Result<(), String>;
}

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
