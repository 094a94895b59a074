//! The global order under a transaction held open. In a binary of its own: the xmin horizon is
//! cluster-wide, so while this test holds its transaction open no other test's commits are
//! readable either.

mod common;

use common::{INSERT, migrated, read_all};
use plinth_infra_event_store::Cursor;

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
    // Another transaction anywhere on the cluster may still hold the horizon back a moment.
    let mut read = read_all(&pool, Cursor::default()).await;
    for _ in 0..200 {
        if read.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        read = read_all(&pool, Cursor::default()).await;
    }
    assert_eq!(
        read,
        vec![("slow".to_owned(), 1), ("fast".to_owned(), 1)],
        "commit order by transaction, not insert position, and nothing skipped"
    );
}
