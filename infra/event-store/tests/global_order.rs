//! The global order under a transaction held open. In a binary of its own: the xmin horizon is
//! cluster-wide, so while this test holds its transaction open no other test's commits are
//! readable either.

use plinth_infra_event_store::{Cursor, MIGRATIONS, read_committed_after};
use plinth_infra_postgres::testing::TestDatabase;
use plinth_infra_postgres::{Pool, connect_pool, migrate};

async fn migrated() -> (TestDatabase, Pool) {
    let db = TestDatabase::create().await;
    let pool = connect_pool(&db.url, 8).unwrap();
    migrate(&mut pool.get().await.unwrap(), &MIGRATIONS)
        .await
        .unwrap();
    (db, pool)
}

const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                      VALUES ('t', $1, $2, 'Happened', '1', '{}', '{}')";

async fn read_all(pool: &Pool, after: Cursor) -> Vec<(String, i64)> {
    let client = pool.get().await.unwrap();
    read_committed_after(&client, after, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.aggregate_id, e.sequence))
        .collect()
}

#[tokio::test]
async fn an_event_committed_late_by_an_older_transaction_is_read_before_younger_ones_and_never_skipped()
 {
    let (_db, pool) = migrated().await;
    let mut slow = pool.get().await.unwrap();
    let mut fast = pool.get().await.unwrap();

    // The slow transaction writes first (older xid) and stays open.
    let slow_tx = slow.transaction().await.unwrap();
    slow_tx.execute(INSERT, &[&"slow", &1_i64]).await.unwrap();
    // A younger transaction commits in the meantime.
    let fast_tx = fast.transaction().await.unwrap();
    fast_tx.execute(INSERT, &[&"fast", &1_i64]).await.unwrap();
    fast_tx.commit().await.unwrap();

    // Nothing is readable yet: the committed event sits behind a running older transaction.
    assert_eq!(read_all(&pool, Cursor::default()).await, vec![]);

    slow_tx.commit().await.unwrap();
    assert_eq!(
        read_all(&pool, Cursor::default()).await,
        vec![("slow".to_owned(), 1), ("fast".to_owned(), 1)],
        "commit order by transaction, not insert position, and nothing skipped"
    );
}
