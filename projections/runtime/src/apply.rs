use plinth_infra_postgres::Pool;
use tokio_postgres::types::ToSql;

use crate::{Envelope, Error, Projection};

/// Where a message sits in Kafka.
pub(crate) struct Offset<'a> {
    pub(crate) topic: &'a str,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
}

/// What applying one message did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Applied,
    /// The offset was applied before (a redelivery).
    SeenOffset,
    /// The aggregate's sequence was applied before (the relay published the event twice).
    SeenSequence,
    /// No statement for it, but the offset moved on.
    Ignored,
}

/// Applies one message in one transaction: offset check, sequence check, the reducer's
/// statements, the new sequence and the new offset.
pub(crate) async fn apply(
    pool: &Pool,
    projection: &dyn Projection,
    at: &Offset<'_>,
    envelope: Option<&Envelope>,
) -> Result<Outcome, Error> {
    let mut client = pool.get().await.map_err(plinth_infra_postgres::Error::from)?;
    let tx = client.transaction().await?;
    let name = projection.name();
    tx.execute(include_str!("../sql/init_offset.sql"), &[&name, &at.topic, &at.partition]).await?;
    let next: i64 = tx.query_one(include_str!("../sql/lock_offset.sql"), &[&name, &at.topic, &at.partition]).await?.get(0);
    if at.offset < next {
        return Ok(Outcome::SeenOffset);
    }
    let outcome = match envelope {
        None => Outcome::Ignored,
        Some(envelope) => {
            let key: [&(dyn ToSql + Sync); 3] = [&name, &envelope.aggregate_type, &envelope.aggregate_id];
            let applied: Option<i64> = tx.query_opt(include_str!("../sql/lock_progress.sql"), &key).await?.map(|r| r.get(0));
            if applied.is_some_and(|s| envelope.sequence <= s) {
                Outcome::SeenSequence
            } else {
                for statement in projection.reduce(envelope) {
                    let params: Vec<&(dyn ToSql + Sync)> = statement.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
                    tx.execute(statement.sql, &params).await?;
                }
                tx.execute(
                    include_str!("../sql/save_progress.sql"),
                    &[&name, &envelope.aggregate_type, &envelope.aggregate_id, &envelope.sequence],
                )
                .await?;
                Outcome::Applied
            }
        }
    };
    tx.execute(include_str!("../sql/save_offset.sql"), &[&name, &at.topic, &at.partition, &(at.offset + 1)]).await?;
    tx.commit().await?;
    Ok(outcome)
}
