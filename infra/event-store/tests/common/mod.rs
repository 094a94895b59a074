//! Helpers shared by the event store's integration tests.

use plinth_infra_event_store::{Cursor, MIGRATIONS, read_committed_after};
use plinth_infra_postgres::testing::TestDatabase;
use plinth_infra_postgres::{Pool, connect_pool, migrate};

/// A fresh database with the event store's tables.
pub(crate) async fn migrated() -> (TestDatabase, Pool) {
    let db = TestDatabase::create().await;
    let pool = connect_pool(&db.url, 8).unwrap();
    migrate(&mut pool.get().await.unwrap(), &MIGRATIONS)
        .await
        .unwrap();
    (db, pool)
}

/// An event row as postgres-es writes it; `$1` aggregate id, `$2` sequence.
pub(crate) const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                      VALUES ('t', $1, $2, 'Happened', '1', '{}', '{}')";

/// (aggregate id, sequence) of every readable event after `after`, in global order.
pub(crate) async fn read_all(pool: &Pool, after: Cursor) -> Vec<(String, i64)> {
    let client = pool.get().await.unwrap();
    read_committed_after(&client, after, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.aggregate_id, e.sequence))
        .collect()
}
