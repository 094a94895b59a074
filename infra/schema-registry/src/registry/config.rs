//! Compatibility configuration: the global level (BACKWARD unless changed) and optional
//! subject-level overrides.

use deadpool_postgres::GenericClient;
use tracing::info;

use super::SchemaRegistry;
use crate::compatibility::CompatibilityLevel;
use crate::error::{Error, Result};
use crate::store;

impl SchemaRegistry {
    pub(crate) async fn global_compatibility(&self) -> Result<CompatibilityLevel> {
        let client = self.pool.get().await?;
        store::global_compatibility(&client).await
    }

    pub(crate) async fn set_global_compatibility(&self, level: CompatibilityLevel) -> Result<()> {
        let client = self.pool.get().await?;
        store::set_global_compatibility(&client, level).await?;
        info!(level = level.as_str(), "Global compatibility level set.");
        Ok(())
    }

    /// Puts the global level back to the default (BACKWARD); returns the level it had.
    pub(crate) async fn reset_global_compatibility(&self) -> Result<CompatibilityLevel> {
        let previous = self.global_compatibility().await?;
        self.set_global_compatibility(CompatibilityLevel::default())
            .await?;
        Ok(previous)
    }

    /// The subject-level level, if the subject has one.
    pub(crate) async fn subject_compatibility(
        &self,
        subject: &str,
    ) -> Result<Option<CompatibilityLevel>> {
        let client = self.pool.get().await?;
        store::subject_compatibility(&client, subject).await
    }

    pub(crate) async fn set_subject_compatibility(
        &self,
        subject: &str,
        level: CompatibilityLevel,
    ) -> Result<()> {
        let client = self.pool.get().await?;
        store::set_subject_compatibility(&client, subject, Some(level)).await?;
        info!(
            subject,
            level = level.as_str(),
            "Subject compatibility level set."
        );
        Ok(())
    }

    /// Removes the subject-level level, so the global one applies; returns the level it had.
    /// A subject without versions and without a level is not found.
    pub(crate) async fn delete_subject_compatibility(
        &self,
        subject: &str,
    ) -> Result<Option<CompatibilityLevel>> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let previous = store::lock_subject(&tx, subject).await?;
        let has_versions = store::subject_versions(&tx, subject)
            .await?
            .iter()
            .any(|row| !row.deleted);
        if previous.is_none() && !has_versions {
            return Err(Error::SubjectNotFound(subject.to_owned()));
        }
        store::set_subject_compatibility(&tx, subject, None).await?;
        tx.commit().await?;
        info!(subject, "Subject compatibility level removed.");
        Ok(previous)
    }
}

/// The level that applies to `subject`: its own, else the global one.
pub(super) async fn effective_compatibility(
    client: &impl GenericClient,
    subject: &str,
) -> Result<CompatibilityLevel> {
    match store::subject_compatibility(client, subject).await? {
        Some(level) => Ok(level),
        None => store::global_compatibility(client).await,
    }
}
