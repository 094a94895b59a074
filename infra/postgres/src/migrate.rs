use deadpool_postgres::GenericClient;
use tracing::info;

use plinth_infra_module::{Migration, Migrations};

use crate::{Error, Result};

/// Serialises concurrent migrators (several processes starting at once) on one advisory lock.
const MIGRATION_LOCK: i64 = 0x706c_696e_7468_0001;

/// Applies the migrations of `migrations` that this database has not seen yet, each in its own
/// transaction together with its bookkeeping row. Safe to call from many processes at once.
pub async fn migrate(
    client: &mut deadpool_postgres::Object,
    migrations: &Migrations,
) -> Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let exists: bool = tx
        .query_one("SELECT to_regclass('plinth_migrations') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        tx.batch_execute(include_str!("../sql/create_migrations_table.sql"))
            .await?;
    }
    let applied: Vec<i32> = tx
        .query(
            include_str!("../sql/applied_versions.sql"),
            &[&migrations.component],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for step in migrations.steps {
        if applied.contains(&step.version) {
            continue;
        }
        apply(&tx, migrations.component, step).await?;
        info!(
            component = migrations.component,
            version = step.version,
            name = step.name,
            "Migration applied."
        );
    }
    tx.commit().await?;
    Ok(())
}

async fn apply(
    client: &impl GenericClient,
    component: &'static str,
    step: &Migration,
) -> Result<()> {
    let wrap = |source| Error::Migration {
        component,
        version: step.version,
        name: step.name,
        source,
    };
    client.batch_execute(step.sql).await.map_err(wrap)?;
    client
        .execute(
            include_str!("../sql/record_migration.sql"),
            &[&component, &step.version, &step.name],
        )
        .await
        .map_err(wrap)?;
    Ok(())
}
