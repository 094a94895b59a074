//! Registrations and deletions: each runs in one transaction holding the subject's row lock, so
//! concurrent writers to a subject are serialised and versions go 1, 2, 3 without gaps or twins.

use tracing::info;

use super::{Registered, SchemaRegistry};
use crate::canonical::AvroSchema;
use crate::compatibility::{self, Previous};
use crate::error::{Error, Result};
use crate::store;
use crate::version::VersionId;

impl SchemaRegistry {
    /// Registers `schema` under `subject`. A schema already registered under the subject (and not
    /// soft-deleted) returns its version; a schema known under another subject keeps its global
    /// id; otherwise the schema must pass the subject's compatibility level.
    #[tracing::instrument(skip(self, schema), fields(fingerprint = schema.fingerprint()))]
    pub(crate) async fn register(&self, subject: &str, schema: &AvroSchema) -> Result<Registered> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let subject_level = store::lock_subject(&tx, subject).await?;
        let versions = store::subject_versions(&tx, subject).await?;
        if let Some(id) = store::schema_id(&tx, schema).await?
            && let Some(existing) = versions
                .iter()
                .rev()
                .find(|row| !row.deleted && row.schema_id == id)
        {
            return Ok(Registered {
                id,
                version: existing.version,
            });
        }
        let level = match subject_level {
            Some(level) => level,
            None => store::global_compatibility(&tx).await?,
        };
        let live = versions
            .iter()
            .filter(|row| !row.deleted)
            .map(|row| Ok((row.version, AvroSchema::parse(&row.schema)?)))
            .collect::<Result<Vec<_>>>()?;
        let previous: Vec<Previous<'_>> = live
            .iter()
            .map(|(version, schema)| Previous {
                version: *version,
                schema,
            })
            .collect();
        let details = compatibility::check(level, schema, &previous);
        if !details.is_empty() {
            return Err(Error::IncompatibleSchema {
                subject: subject.to_owned(),
                details,
            });
        }
        let id = store::schema_id_or_insert(&tx, schema).await?;
        let version = versions.last().map_or(1, |row| row.version + 1);
        store::insert_version(&tx, subject, version, id).await?;
        tx.commit().await?;
        info!(subject, id, version, "Schema registered.");
        Ok(Registered { id, version })
    }

    /// Soft-deletes every version of `subject` (and its subject-level configuration), or with
    /// `permanent` removes a subject that was soft-deleted first. Returns the versions deleted.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn delete_subject(&self, subject: &str, permanent: bool) -> Result<Vec<i32>> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        store::lock_subject(&tx, subject).await?;
        let versions = store::subject_versions(&tx, subject).await?;
        if versions.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_owned()));
        }
        let deleted = if permanent {
            if versions.iter().any(|row| !row.deleted) {
                return Err(Error::SubjectNotSoftDeleted(subject.to_owned()));
            }
            store::delete_subject(&tx, subject).await?;
            versions.iter().map(|row| row.version).collect()
        } else {
            let live: Vec<i32> = versions
                .iter()
                .filter(|row| !row.deleted)
                .map(|row| row.version)
                .collect();
            if live.is_empty() {
                return Err(Error::SubjectSoftDeleted(subject.to_owned()));
            }
            store::soft_delete_subject(&tx, subject).await?;
            store::set_subject_compatibility(&tx, subject, None).await?;
            live
        };
        tx.commit().await?;
        info!(subject, permanent, versions = ?deleted, "Subject deleted.");
        Ok(deleted)
    }

    /// Soft-deletes one version, or with `permanent` removes a version soft-deleted first.
    /// `latest` is the newest version that is not soft-deleted.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn delete_version(
        &self,
        subject: &str,
        id: VersionId,
        permanent: bool,
    ) -> Result<i32> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        store::lock_subject(&tx, subject).await?;
        let versions = store::subject_versions(&tx, subject).await?;
        if versions.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_owned()));
        }
        let row = match id {
            VersionId::Latest => versions.iter().rev().find(|row| !row.deleted),
            VersionId::Number(number) => versions.iter().find(|row| row.version == number),
        }
        .ok_or_else(|| Error::VersionNotFound(id.to_string()))?;
        let version = row.version;
        if permanent {
            if !row.deleted {
                return Err(Error::VersionNotSoftDeleted {
                    subject: subject.to_owned(),
                    version,
                });
            }
            store::delete_version(&tx, subject, version).await?;
        } else {
            if row.deleted {
                return Err(Error::VersionSoftDeleted {
                    subject: subject.to_owned(),
                    version,
                });
            }
            store::soft_delete_version(&tx, subject, version).await?;
        }
        tx.commit().await?;
        info!(subject, version, permanent, "Schema version deleted.");
        Ok(version)
    }
}
