use std::collections::HashMap;

use plinth_infra_postgres::Pool;
use tokio_postgres::types::ToSql;
use tracing::warn;

use crate::{Envelope, Error, Projection};

/// Which event of which aggregate a message carries (from its headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AggregatePosition {
    pub(crate) aggregate_type: String,
    pub(crate) aggregate_id: String,
    pub(crate) sequence: i64,
}

/// One consumed message.
pub(crate) struct Consumed {
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    /// `None` for a message that is not a Plinth event.
    pub(crate) position: Option<AggregatePosition>,
    /// `None` when this projection's contract does not know the event type: its sequence is
    /// still recorded, so the aggregate's later events are not taken for a gap.
    pub(crate) envelope: Option<Envelope>,
}

/// What applying a batch did, for logs and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) applied: usize,
    /// Events whose sequence was applied before (redelivered or published twice).
    pub(crate) duplicates: usize,
    /// Events that arrived before their predecessor; the relay publishes them again after it.
    pub(crate) early: usize,
}

/// Applies a batch in one transaction. An aggregate's event `n` is applied only right after
/// `n - 1`: a lower sequence is a duplicate, a higher one arrived early (a batch the relay
/// retried) and is applied when it comes again in order. Each partition's next offset is stored
/// in the same transaction.
pub(crate) async fn apply(
    pool: &Pool,
    projection: &dyn Projection,
    batch: &[Consumed],
) -> Result<Outcome, Error> {
    let mut client = pool
        .get()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    let tx = client.transaction().await?;
    let name = projection.name();
    let mut next_offsets: HashMap<(&str, i32), i64> = HashMap::new();
    let mut applied_sequences: HashMap<(&str, &str), i64> = HashMap::new();
    let mut outcome = Outcome::default();
    for message in batch {
        next_offsets.insert(
            (message.topic.as_str(), message.partition),
            message.offset + 1,
        );
        let Some(position) = &message.position else {
            continue;
        };
        let aggregate = (
            position.aggregate_type.as_str(),
            position.aggregate_id.as_str(),
        );
        let applied = if let Some(applied) = applied_sequences.get(&aggregate) {
            *applied
        } else {
            let key: [&(dyn ToSql + Sync); 3] =
                [&name, &position.aggregate_type, &position.aggregate_id];
            let row = tx
                .query_opt(include_str!("../sql/lock_progress.sql"), &key)
                .await?;
            row.map_or(0, |r| r.get(0))
        };
        if position.sequence <= applied {
            outcome.duplicates += 1;
            applied_sequences.insert(aggregate, applied);
            continue;
        }
        if position.sequence > applied + 1 {
            warn!(
                projection = name,
                aggregate_id = %position.aggregate_id,
                sequence = position.sequence,
                applied,
                "Event arrived before its predecessor; waiting for it to be published again."
            );
            outcome.early += 1;
            applied_sequences.insert(aggregate, applied);
            continue;
        }
        if let Some(envelope) = &message.envelope {
            for statement in projection.reduce(envelope) {
                let params: Vec<&(dyn ToSql + Sync)> = statement
                    .params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                tx.execute(statement.sql, &params).await?;
            }
        }
        tx.execute(
            include_str!("../sql/save_progress.sql"),
            &[
                &name,
                &position.aggregate_type,
                &position.aggregate_id,
                &position.sequence,
            ],
        )
        .await?;
        applied_sequences.insert(aggregate, position.sequence);
        outcome.applied += 1;
    }
    for ((topic, partition), next) in &next_offsets {
        tx.execute(
            include_str!("../sql/save_offset.sql"),
            &[&name, topic, partition, next],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}
