//! The registry's Postgres statements, one `.sql` file each under `src/sql/`. Functions take any
//! client or transaction; the rules (what a delete may do, which versions a check sees) live in
//! `registry`.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use crate::canonical::{AVRO, AvroSchema};
use crate::compatibility::CompatibilityLevel;
use crate::error::Result;

/// One version of a subject with its schema.
#[derive(Debug, Clone)]
pub(crate) struct VersionRow {
    pub(crate) version: i32,
    pub(crate) schema_id: i32,
    pub(crate) deleted: bool,
    pub(crate) schema: String,
}

/// A subject and whether it has a version that is not soft-deleted.
#[derive(Debug, Clone)]
pub(crate) struct SubjectRow {
    pub(crate) subject: String,
    pub(crate) live: bool,
}

/// One subject-version pair that uses a schema.
#[derive(Debug, Clone)]
pub(crate) struct UsageRow {
    pub(crate) subject: String,
    pub(crate) version: i32,
    pub(crate) deleted: bool,
}

async fn query(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query(&statement, params).await?)
}

async fn execute(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.execute(&statement, params).await?)
}

/// The id of `schema`, if it was ever registered.
pub(crate) async fn schema_id(
    client: &impl GenericClient,
    schema: &AvroSchema,
) -> Result<Option<i32>> {
    let rows = query(
        client,
        include_str!("sql/schema_id_by_fingerprint.sql"),
        &[&schema.fingerprint()],
    )
    .await?;
    Ok(rows.first().map(|row| row.get(0)))
}

/// The id of `schema`, given a new one if it was never registered. Safe against concurrent
/// registrations of the same schema: the unique fingerprint makes the loser wait and reuse the id.
pub(crate) async fn schema_id_or_insert(
    client: &impl GenericClient,
    schema: &AvroSchema,
) -> Result<i32> {
    if let Some(id) = schema_id(client, schema).await? {
        return Ok(id);
    }
    let inserted = query(
        client,
        include_str!("sql/insert_schema.sql"),
        &[&AVRO, &schema.canonical(), &schema.fingerprint()],
    )
    .await?;
    if let Some(row) = inserted.first() {
        return Ok(row.get(0));
    }
    // Another transaction inserted it first and has committed: its row is visible now.
    let statement = client
        .prepare_cached(include_str!("sql/schema_id_by_fingerprint.sql"))
        .await?;
    let row = client
        .query_one(&statement, &[&schema.fingerprint()])
        .await?;
    Ok(row.get(0))
}

/// Creates the subject's row when missing and locks it until the transaction ends; returns the
/// subject-level compatibility level.
pub(crate) async fn lock_subject(
    client: &impl GenericClient,
    subject: &str,
) -> Result<Option<CompatibilityLevel>> {
    execute(client, include_str!("sql/ensure_subject.sql"), &[&subject]).await?;
    let rows = query(client, include_str!("sql/lock_subject.sql"), &[&subject]).await?;
    level_of(rows.first())
}

/// Every version of a subject, soft-deleted ones included, oldest first.
pub(crate) async fn subject_versions(
    client: &impl GenericClient,
    subject: &str,
) -> Result<Vec<VersionRow>> {
    let rows = query(
        client,
        include_str!("sql/subject_versions.sql"),
        &[&subject],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|row| VersionRow {
            version: row.get(0),
            schema_id: row.get(1),
            deleted: row.get(2),
            schema: row.get(3),
        })
        .collect())
}

pub(crate) async fn insert_version(
    client: &impl GenericClient,
    subject: &str,
    version: i32,
    schema_id: i32,
) -> Result<()> {
    execute(
        client,
        include_str!("sql/insert_version.sql"),
        &[&subject, &version, &schema_id],
    )
    .await?;
    Ok(())
}

pub(crate) async fn soft_delete_version(
    client: &impl GenericClient,
    subject: &str,
    version: i32,
) -> Result<()> {
    execute(
        client,
        include_str!("sql/soft_delete_version.sql"),
        &[&subject, &version],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete_version(
    client: &impl GenericClient,
    subject: &str,
    version: i32,
) -> Result<()> {
    execute(
        client,
        include_str!("sql/delete_version.sql"),
        &[&subject, &version],
    )
    .await?;
    Ok(())
}

pub(crate) async fn soft_delete_subject(client: &impl GenericClient, subject: &str) -> Result<()> {
    execute(
        client,
        include_str!("sql/soft_delete_subject.sql"),
        &[&subject],
    )
    .await?;
    Ok(())
}

pub(crate) async fn delete_subject(client: &impl GenericClient, subject: &str) -> Result<()> {
    execute(client, include_str!("sql/delete_subject.sql"), &[&subject]).await?;
    Ok(())
}

/// Every subject that has versions, soft-deleted or not, by name.
pub(crate) async fn subjects(client: &impl GenericClient) -> Result<Vec<SubjectRow>> {
    let rows = query(client, include_str!("sql/subjects.sql"), &[]).await?;
    Ok(rows
        .iter()
        .map(|row| SubjectRow {
            subject: row.get(0),
            live: row.get(1),
        })
        .collect())
}

/// The schema with this id, while some version still uses it.
pub(crate) async fn schema_by_id(client: &impl GenericClient, id: i32) -> Result<Option<String>> {
    let rows = query(client, include_str!("sql/schema_by_id.sql"), &[&id]).await?;
    Ok(rows.first().map(|row| row.get(0)))
}

/// The subject-version pairs that use the schema with this id.
pub(crate) async fn schema_usages(client: &impl GenericClient, id: i32) -> Result<Vec<UsageRow>> {
    let rows = query(client, include_str!("sql/schema_versions.sql"), &[&id]).await?;
    Ok(rows
        .iter()
        .map(|row| UsageRow {
            subject: row.get(0),
            version: row.get(1),
            deleted: row.get(2),
        })
        .collect())
}

pub(crate) async fn global_compatibility(
    client: &impl GenericClient,
) -> Result<CompatibilityLevel> {
    let rows = query(client, include_str!("sql/global_compatibility.sql"), &[]).await?;
    Ok(level_of(rows.first())?.unwrap_or_default())
}

pub(crate) async fn set_global_compatibility(
    client: &impl GenericClient,
    level: CompatibilityLevel,
) -> Result<()> {
    execute(
        client,
        include_str!("sql/set_global_compatibility.sql"),
        &[&level.as_str()],
    )
    .await?;
    Ok(())
}

/// The subject-level compatibility level, if one is configured.
pub(crate) async fn subject_compatibility(
    client: &impl GenericClient,
    subject: &str,
) -> Result<Option<CompatibilityLevel>> {
    let rows = query(
        client,
        include_str!("sql/subject_compatibility.sql"),
        &[&subject],
    )
    .await?;
    level_of(rows.first())
}

/// Sets (or with `None` removes) the subject-level compatibility level.
pub(crate) async fn set_subject_compatibility(
    client: &impl GenericClient,
    subject: &str,
    level: Option<CompatibilityLevel>,
) -> Result<()> {
    let level = level.map(CompatibilityLevel::as_str);
    execute(
        client,
        include_str!("sql/set_subject_compatibility.sql"),
        &[&subject, &level],
    )
    .await?;
    Ok(())
}

fn level_of(row: Option<&tokio_postgres::Row>) -> Result<Option<CompatibilityLevel>> {
    row.and_then(|row| row.get::<_, Option<String>>(0))
        .map(|name| CompatibilityLevel::parse(&name))
        .transpose()
}
