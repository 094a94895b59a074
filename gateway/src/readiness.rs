use async_trait::async_trait;

/// A dependency `/readyz` checks.
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// The name reported (`postgres`, `broker`, `schema_registry`).
    fn name(&self) -> &'static str;
    /// `Err` says why the dependency is not usable.
    async fn check(&self) -> Result<(), String>;
}
