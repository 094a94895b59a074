use std::collections::HashMap;

use plinth_infra_postgres::Pool;
use tokio_postgres::types::ToSql;
use tracing::warn;

use plinth_infra_module::{DynProjection, Reduced};

use crate::{Delivery, Error, Payload};

/// One consumed message.
pub(crate) struct Consumed {
    pub(crate) topic: String,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    /// `None` for a message that is not a Plinth event.
    pub(crate) delivery: Option<Delivery>,
}

/// What applying a batch did, for logs and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) applied: usize,
    /// Events whose sequence was applied before (redelivered or published twice).
    pub(crate) duplicates: usize,
    /// Events that arrived before their predecessor, or could not be read: their aggregate
    /// stalls (recorded in `projection_stalls`) until the relay publishes it again.
    pub(crate) stalled: usize,
}

/// Applies a batch in one transaction. An aggregate's event `n` is applied only right after
/// `n - 1`: a lower sequence is a duplicate; a higher one arrived early, and an unreadable one
/// cannot be applied: both stall the aggregate (recorded, so the projector asks the relay for
/// it again) until event `n` comes readable. An event type this projection's contract does not
/// know counts as applied. Each partition's next offset is stored in the same transaction.
pub(crate) async fn apply(
    pool: &Pool,
    projection: &dyn DynProjection,
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
    // Each applied event's span, in the trace of the request that caused it: closed once the
    // batch is committed.
    let mut spans = Vec::new();
    for message in batch {
        next_offsets.insert(
            (message.topic.as_str(), message.partition),
            message.offset + 1,
        );
        let Some(delivery) = &message.delivery else {
            continue;
        };
        let aggregate = (
            delivery.aggregate_type.as_str(),
            delivery.aggregate_id.as_str(),
        );
        let applied = if let Some(applied) = applied_sequences.get(&aggregate) {
            *applied
        } else {
            let key: [&(dyn ToSql + Sync); 3] =
                [&name, &delivery.aggregate_type, &delivery.aggregate_id];
            let row = tx
                .query_opt(include_str!("../sql/lock_progress.sql"), &key)
                .await?;
            row.map_or(0, |r| r.get(0))
        };
        applied_sequences.insert(aggregate, applied);
        if delivery.sequence <= applied {
            outcome.duplicates += 1;
            continue;
        }
        let reduced = if delivery.sequence > applied + 1 {
            Err(format!(
                "event {} never arrived; event {} did",
                applied + 1,
                delivery.sequence
            ))
        } else {
            match &delivery.payload {
                Payload::Unreadable(reason) => Err(reason.clone()),
                Payload::Event(envelope) => match projection.reduce_record(envelope) {
                    Reduced::Statements(statements) => Ok(statements),
                    Reduced::Unknown(_) => Ok(Vec::new()),
                    Reduced::Unreadable(reason) => Err(reason),
                },
            }
            .map_err(|reason| format!("event {} cannot be read: {reason}", delivery.sequence))
        };
        let statements = match reduced {
            Ok(statements) => statements,
            Err(reason) => {
                warn!(
                    projection = name,
                    aggregate_type = delivery.aggregate_type,
                    aggregate_id = delivery.aggregate_id,
                    applied,
                    reason,
                    "An aggregate stalls; the relay will be asked to publish it again."
                );
                tx.execute(
                    include_str!("../sql/save_stall.sql"),
                    &[
                        &name,
                        &delivery.aggregate_type,
                        &delivery.aggregate_id,
                        &(applied + 1),
                        &delivery.sequence,
                        &reason,
                    ],
                )
                .await?;
                outcome.stalled += 1;
                continue;
            }
        };
        for statement in statements {
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
                &delivery.aggregate_type,
                &delivery.aggregate_id,
                &delivery.sequence,
            ],
        )
        .await?;
        applied_sequences.insert(aggregate, delivery.sequence);
        outcome.applied += 1;
        spans.extend(apply_span(name, delivery));
    }
    for ((topic, partition), next) in &next_offsets {
        tx.execute(
            include_str!("../sql/save_offset.sql"),
            &[&name, topic, partition, next],
        )
        .await?;
    }
    tx.commit().await?;
    drop(spans);
    Ok(outcome)
}

/// The span of `projection` applying `delivery`, when a traced request caused its event.
fn apply_span(projection: &str, delivery: &Delivery) -> Option<tracing::Span> {
    let Payload::Event(envelope) = &delivery.payload else {
        return None;
    };
    let traceparent = envelope.traceparent.as_ref()?;
    let span = tracing::info_span!(
        "projection.apply",
        otel.name = %format!("{projection} apply"),
        otel.kind = "consumer",
        projection,
        event_id = %envelope.event_id,
        aggregate_type = %delivery.aggregate_type,
        sequence = delivery.sequence,
    );
    plinth_infra_telemetry::attach_traceparent(&span, traceparent);
    Some(span)
}
