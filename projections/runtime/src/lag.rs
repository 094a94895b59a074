//! How far behind a projection is, as metrics: per batch applied, the events applied
//! (`plinth_projection_applied_events_total`) and the age of the newest one (how long after
//! its commit it took effect: `plinth_projection_last_event_age_seconds`); and every few
//! seconds, the messages on its topics past the offsets it has stored with its read model
//! (`plinth_projection_lag_messages`). Each is labelled `projection`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use plinth_infra_config::KafkaSettings;
use plinth_infra_kafka::rdkafka::message::OwnedMessage;
use plinth_infra_kafka::{MetadataClient, Watermarks};
use plinth_infra_postgres::Pool;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::Error;

/// How often the lag in messages is measured.
const EVERY: Duration = Duration::from_secs(5);
/// The longest one question to the brokers may take.
const ASK_WITHIN: Duration = Duration::from_secs(5);

/// Records a batch `projection` has just applied (`applied` events of `messages`).
pub(crate) fn record_applied(projection: &'static str, messages: &[OwnedMessage], applied: usize) {
    metrics::counter!("plinth_projection_applied_events_total", "projection" => projection)
        .increment(applied as u64);
    let newest = messages
        .iter()
        .filter_map(|m| {
            plinth_infra_kafka::headers::value(m, plinth_infra_kafka::headers::RECORDED_AT)
        })
        .filter_map(|at| DateTime::parse_from_rfc3339(&at).ok())
        .max();
    if let Some(recorded) = newest {
        let age = (Utc::now() - recorded.with_timezone(&Utc)).as_seconds_f64();
        metrics::gauge!("plinth_projection_last_event_age_seconds", "projection" => projection)
            .set(age.max(0.0));
    }
}

/// Measures `projection`'s lag on `topics` every few seconds until `shutdown`.
pub(crate) async fn record_lag(
    pool: Pool,
    kafka: KafkaSettings,
    projection: &'static str,
    topics: Vec<String>,
    shutdown: CancellationToken,
) {
    let brokers = match MetadataClient::new(&kafka) {
        Ok(client) => Arc::new(client),
        Err(e) => {
            debug!(projection, error = %e, "Cannot measure the projection's lag.");
            return;
        }
    };
    loop {
        match lag(&pool, &brokers, projection, &topics).await {
            Ok(messages) => {
                metrics::gauge!("plinth_projection_lag_messages", "projection" => projection)
                    .set(messages as f64);
            }
            Err(e) => debug!(projection, error = %e, "Cannot measure the projection's lag now."),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Messages on `topics` that `projection` has not applied: per partition, its high watermark
/// past the next offset stored with the read model (or past the low watermark, when it has
/// stored none).
async fn lag(
    pool: &Pool,
    brokers: &Arc<MetadataClient>,
    projection: &str,
    topics: &[String],
) -> Result<i64, Error> {
    let ends: Vec<Watermarks> = {
        let (brokers, topics) = (Arc::clone(brokers), topics.to_vec());
        tokio::task::spawn_blocking(move || brokers.watermarks(&topics, ASK_WITHIN))
            .await
            .map_err(|e| Error::Measuring(e.to_string()))??
    };
    let client = pool
        .get()
        .await
        .map_err(plinth_infra_postgres::Error::from)?;
    let stored: HashMap<(String, i32), i64> = client
        .query(
            "SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = $1",
            &[&projection],
        )
        .await?
        .into_iter()
        .map(|row| ((row.get(0), row.get(1)), row.get(2)))
        .collect();
    Ok(ends
        .iter()
        .map(|end| {
            let next = stored
                .get(&(end.topic.clone(), end.partition))
                .copied()
                .unwrap_or(end.low)
                .max(end.low);
            (end.high - next).max(0)
        })
        .sum())
}
