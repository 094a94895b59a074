//! Lookups and listings, and the compatibility test endpoint's check (which writes nothing).

use super::config::effective_compatibility;
use super::{Deleted, SchemaRegistry, SubjectVersion, pick};
use crate::canonical::AvroSchema;
use crate::compatibility::{self, Previous};
use crate::error::{Error, Result};
use crate::store::{self, VersionRow};
use crate::version::VersionId;

impl SchemaRegistry {
    /// The version of `subject` that has `schema` (the newest, if several do).
    #[tracing::instrument(skip(self, schema), fields(fingerprint = schema.fingerprint()))]
    pub(crate) async fn lookup(
        &self,
        subject: &str,
        schema: &AvroSchema,
        include_deleted: bool,
    ) -> Result<SubjectVersion> {
        let client = self.pool.get().await?;
        let versions = store::subject_versions(&client, subject).await?;
        let visible: Vec<&VersionRow> = versions
            .iter()
            .filter(|row| include_deleted || !row.deleted)
            .collect();
        if visible.is_empty() {
            return Err(Error::SubjectNotFound(subject.to_owned()));
        }
        let id = store::schema_id(&client, schema)
            .await?
            .ok_or(Error::SchemaNotFound)?;
        let row = visible
            .iter()
            .rev()
            .find(|row| row.schema_id == id)
            .ok_or(Error::SchemaNotFound)?;
        Ok(SubjectVersion {
            subject: subject.to_owned(),
            version: row.version,
            id,
            schema: row.schema.clone(),
        })
    }

    /// Subject names, sorted, optionally only those starting with `prefix`.
    pub(crate) async fn subjects(
        &self,
        deleted: Deleted,
        prefix: Option<&str>,
    ) -> Result<Vec<String>> {
        let client = self.pool.get().await?;
        Ok(store::subjects(&client)
            .await?
            .into_iter()
            .filter(|row| deleted.keeps(!row.live))
            .filter(|row| prefix.is_none_or(|prefix| row.subject.starts_with(prefix)))
            .map(|row| row.subject)
            .collect())
    }

    /// The version numbers of `subject`, oldest first.
    pub(crate) async fn versions(&self, subject: &str, deleted: Deleted) -> Result<Vec<i32>> {
        let client = self.pool.get().await?;
        let versions = store::subject_versions(&client, subject).await?;
        let include_deleted = deleted != Deleted::Exclude;
        if !versions.iter().any(|row| include_deleted || !row.deleted) {
            return Err(Error::SubjectNotFound(subject.to_owned()));
        }
        Ok(versions
            .iter()
            .filter(|row| deleted.keeps(row.deleted))
            .map(|row| row.version)
            .collect())
    }

    /// One version of `subject`.
    pub(crate) async fn version(
        &self,
        subject: &str,
        id: VersionId,
        include_deleted: bool,
    ) -> Result<SubjectVersion> {
        let client = self.pool.get().await?;
        let versions = store::subject_versions(&client, subject).await?;
        let row = pick(&versions, subject, id, include_deleted)?;
        Ok(SubjectVersion {
            subject: subject.to_owned(),
            version: row.version,
            id: row.schema_id,
            schema: row.schema.clone(),
        })
    }

    /// The schema with global id `id`, while some version (even soft-deleted) uses it.
    pub(crate) async fn schema(&self, id: i32) -> Result<String> {
        let client = self.pool.get().await?;
        store::schema_by_id(&client, id)
            .await?
            .ok_or(Error::SchemaIdNotFound(id))
    }

    /// The subject-version pairs that use the schema with global id `id`.
    pub(crate) async fn schema_versions(
        &self,
        id: i32,
        include_deleted: bool,
    ) -> Result<Vec<(String, i32)>> {
        let client = self.pool.get().await?;
        let usages = store::schema_usages(&client, id).await?;
        if usages.is_empty() {
            return Err(Error::SchemaIdNotFound(id));
        }
        Ok(usages
            .into_iter()
            .filter(|usage| include_deleted || !usage.deleted)
            .map(|usage| (usage.subject, usage.version))
            .collect())
    }

    /// The subjects that use the schema with global id `id`.
    pub(crate) async fn schema_subjects(
        &self,
        id: i32,
        include_deleted: bool,
    ) -> Result<Vec<String>> {
        let mut subjects: Vec<String> = self
            .schema_versions(id, include_deleted)
            .await?
            .into_iter()
            .map(|(subject, _)| subject)
            .collect();
        subjects.dedup();
        Ok(subjects)
    }

    /// Tests `schema` against `subject` under its compatibility level: against one version when
    /// `version` names a number, the latest for `latest`, and every version (as the level asks)
    /// when `version` is `None`. A subject without versions accepts anything, as for a first
    /// registration. Returns the reasons for an incompatibility (none when compatible).
    #[tracing::instrument(skip(self, schema), fields(fingerprint = schema.fingerprint()))]
    pub(crate) async fn test_compatibility(
        &self,
        subject: &str,
        version: Option<VersionId>,
        schema: &AvroSchema,
    ) -> Result<Vec<String>> {
        let client = self.pool.get().await?;
        let level = effective_compatibility(&client, subject).await?;
        let versions = store::subject_versions(&client, subject).await?;
        let live: Vec<_> = versions.iter().filter(|row| !row.deleted).collect();
        let against: Vec<_> = match version {
            None => live,
            Some(VersionId::Latest) => live.last().copied().into_iter().collect(),
            Some(id @ VersionId::Number(_)) => vec![pick(&versions, subject, id, false)?],
        };
        let parsed = against
            .iter()
            .map(|row| Ok((row.version, AvroSchema::parse(&row.schema)?)))
            .collect::<Result<Vec<_>>>()?;
        let previous: Vec<Previous<'_>> = parsed
            .iter()
            .map(|(version, schema)| Previous {
                version: *version,
                schema,
            })
            .collect();
        Ok(compatibility::check(level, schema, &previous))
    }
}
