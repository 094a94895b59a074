use std::collections::HashMap;

use plinth_infra_postgres::Pool;
use tokio_postgres::types::ToSql;

use crate::{Envelope, Error, Projection};

/// One consumed message: where it sits in Kafka and, if it is an event this projection's
/// contract knows, its envelope.
pub(crate) struct Consumed {
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    pub(crate) envelope: Option<Envelope>,
}

/// What applying a batch did, for logs and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) applied: usize,
    /// Offsets applied before (redeliveries).
    pub(crate) seen_offsets: usize,
    /// Sequences applied before (the relay published the event twice).
    pub(crate) seen_sequences: usize,
}

/// Applies a batch in one transaction. For each message, in order: skip it if its offset was
/// applied, skip its statements if its aggregate's sequence was applied, else run the reducer's
/// statements and record the sequence; then record each partition's next offset.
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
    let mut sequences: HashMap<(&str, &str), Option<i64>> = HashMap::new();
    let mut outcome = Outcome::default();
    for message in batch {
        let key = (message.topic.as_str(), message.partition);
        let next = if let Some(next) = next_offsets.get(&key) {
            *next
        } else {
            {
                tx.execute(
                    include_str!("../sql/init_offset.sql"),
                    &[&name, &message.topic, &message.partition],
                )
                .await?;
                let row = tx
                    .query_one(
                        include_str!("../sql/lock_offset.sql"),
                        &[&name, &message.topic, &message.partition],
                    )
                    .await?;
                row.get(0)
            }
        };
        if message.offset < next {
            outcome.seen_offsets += 1;
            next_offsets.insert(key, next);
            continue;
        }
        next_offsets.insert(key, message.offset + 1);
        let Some(envelope) = &message.envelope else {
            continue;
        };
        let aggregate = (
            envelope.aggregate_type.as_str(),
            envelope.aggregate_id.as_str(),
        );
        let applied = if let Some(applied) = sequences.get(&aggregate) {
            *applied
        } else {
            {
                let key: [&(dyn ToSql + Sync); 3] =
                    [&name, &envelope.aggregate_type, &envelope.aggregate_id];
                tx.query_opt(include_str!("../sql/lock_progress.sql"), &key)
                    .await?
                    .map(|r| r.get(0))
            }
        };
        if applied.is_some_and(|s| envelope.sequence <= s) {
            outcome.seen_sequences += 1;
            sequences.insert(aggregate, applied);
            continue;
        }
        for statement in projection.reduce(envelope) {
            let params: Vec<&(dyn ToSql + Sync)> = statement
                .params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            tx.execute(statement.sql, &params).await?;
        }
        tx.execute(
            include_str!("../sql/save_progress.sql"),
            &[
                &name,
                &envelope.aggregate_type,
                &envelope.aggregate_id,
                &envelope.sequence,
            ],
        )
        .await?;
        sequences.insert(aggregate, Some(envelope.sequence));
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
