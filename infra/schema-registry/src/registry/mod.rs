//! [`SchemaRegistry`]: the registry's operations over its Postgres store, in the terms of
//! Confluent's API (subjects, versions, global ids, soft and permanent deletes, compatibility).
//! The HTTP layer in `http` only translates requests and answers.

mod config;
mod read;
mod write;

use plinth_infra_postgres::Pool;

use crate::error::{Error, Result};
use crate::store::VersionRow;
use crate::version::VersionId;

/// A Confluent-compatible schema registry stored in Postgres. Cheap to clone: clones share the
/// connection pool. Serve it over HTTP with [`crate::router`].
#[derive(Clone)]
pub struct SchemaRegistry {
    pool: Pool,
}

impl std::fmt::Debug for SchemaRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistry")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl SchemaRegistry {
    /// A registry on `pool`, whose database has [`crate::MIGRATIONS`] applied.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

/// Which versions or subjects a listing includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deleted {
    /// Only what is not soft-deleted (the default).
    Exclude,
    /// Soft-deleted ones too (`?deleted=true`).
    Include,
    /// Only soft-deleted ones (`?deletedOnly=true`).
    Only,
}

impl Deleted {
    fn keeps(self, deleted: bool) -> bool {
        match self {
            Self::Exclude => !deleted,
            Self::Include => true,
            Self::Only => deleted,
        }
    }
}

/// One version of a subject, as the API shows it.
#[derive(Debug, Clone)]
pub(crate) struct SubjectVersion {
    pub(crate) subject: String,
    pub(crate) version: i32,
    pub(crate) id: i32,
    pub(crate) schema: String,
}

/// The outcome of a registration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Registered {
    pub(crate) id: i32,
    pub(crate) version: i32,
}

/// The version `id` names among `versions` (oldest first), seeing soft-deleted versions only
/// when `include_deleted`. Missing: subject not found when nothing is visible, else version not
/// found — Confluent's rule.
fn pick<'a>(
    versions: &'a [VersionRow],
    subject: &str,
    id: VersionId,
    include_deleted: bool,
) -> Result<&'a VersionRow> {
    let mut visible = versions
        .iter()
        .filter(|row| include_deleted || !row.deleted);
    let found = match id {
        VersionId::Latest => visible.clone().next_back(),
        VersionId::Number(number) => visible.clone().find(|row| row.version == number),
    };
    match found {
        Some(row) => Ok(row),
        None if visible.next().is_none() => Err(Error::SubjectNotFound(subject.to_owned())),
        None => Err(Error::VersionNotFound(id.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(version: i32, deleted: bool) -> VersionRow {
        VersionRow {
            version,
            schema_id: version,
            deleted,
            schema: String::new(),
        }
    }

    #[test]
    fn latest_is_the_newest_version_that_is_not_soft_deleted() {
        let rows = [row(1, false), row(2, false), row(3, true)];
        assert_eq!(
            pick(&rows, "s", VersionId::Latest, false).unwrap().version,
            2
        );
        assert_eq!(
            pick(&rows, "s", VersionId::Latest, true).unwrap().version,
            3
        );
    }

    #[test]
    fn a_soft_deleted_version_is_not_found_unless_deleted_ones_are_asked_for() {
        let rows = [row(1, true), row(2, false)];
        assert!(matches!(
            pick(&rows, "s", VersionId::Number(1), false),
            Err(Error::VersionNotFound(_))
        ));
        assert_eq!(
            pick(&rows, "s", VersionId::Number(1), true)
                .unwrap()
                .version,
            1
        );
    }

    #[test]
    fn a_subject_whose_versions_are_all_soft_deleted_is_not_found() {
        let rows = [row(1, true)];
        assert!(matches!(
            pick(&rows, "s", VersionId::Latest, false),
            Err(Error::SubjectNotFound(_))
        ));
        assert!(matches!(
            pick(&[], "s", VersionId::Number(1), true),
            Err(Error::SubjectNotFound(_))
        ));
    }
}
