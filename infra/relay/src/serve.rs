//! Between batches the relay serves what others asked of it: operators' requests about parked
//! events (`plinth relay retry | withhold`) and consumers' requests to publish an aggregate's
//! events again (a message they never received or could not read).

use std::collections::BTreeSet;

use chrono::Utc;
use plinth_infra_event_store::{read_aggregate, read_positions};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::Error;
use crate::parking::{self, ParkAction, ParkedEvent};
use crate::publish::{AggregateKey, Outgoing, PublishError, Publisher};

/// Republish requests served per round, and events per request.
const REQUESTS_PER_ROUND: i64 = 100;
const EVENTS_PER_REQUEST: i64 = 1000;

impl Publisher<'_> {
    /// Serves the parked events operators asked about, then the republish requests.
    pub(crate) async fn serve(&mut self, shutdown: &CancellationToken) -> Result<(), Error> {
        if !self.held.is_empty() {
            self.serve_parked().await?;
        }
        if !shutdown.is_cancelled() {
            self.serve_republish().await?;
        }
        Ok(())
    }

    async fn serve_parked(&mut self) -> Result<(), Error> {
        let client = self
            .pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        let all = parking::parked(&client).await?;
        let asked: BTreeSet<AggregateKey> = all
            .iter()
            .filter(|p| p.action.is_some())
            .map(|p| (p.aggregate_type.clone(), p.aggregate_id.clone()))
            .collect();
        for key in asked {
            let rows: Vec<&ParkedEvent> = all
                .iter()
                .filter(|p| p.aggregate_type == key.0 && p.aggregate_id == key.1)
                .collect();
            let positions: Vec<i64> = rows.iter().map(|p| p.position).collect();
            let events = read_positions(&client, &positions).await?;
            let mut outgoing: Vec<Outgoing<'_>> = Vec::new();
            let mut done = Vec::new();
            for row in &rows {
                let Some(event) = events.iter().find(|e| e.cursor.position == row.position) else {
                    continue;
                };
                let message = if row.action == Some(ParkAction::Withhold) {
                    let withheld = plinth_schemas::withheld(&plinth_schemas::Withheld {
                        event_id: event.event_id,
                        aggregate_type: event.aggregate_type.clone(),
                        aggregate_id: event.aggregate_id.clone(),
                        sequence: event.sequence,
                        event_type: event.event_type.clone(),
                        reason: row.reason.clone(),
                        at: Utc::now(),
                    })
                    .map_err(|e| PublishError::Registry(e.to_string()))?;
                    self.framed(event, &withheld, "Withheld".into()).await
                } else {
                    self.encode(event).await
                };
                match message {
                    Ok(message) => {
                        outgoing.push(message);
                        done.push(row.position);
                    }
                    Err(PublishError::Mapping { reason, .. }) => {
                        warn!(event_id = %row.event_id, reason, "A parked event still cannot be published.");
                        parking::still_parked(&client, row.position, &reason).await?;
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if let Err(e) = self.produce(&outgoing).await {
                drop(outgoing);
                self.renew_producer().await?;
                return Err(e.into());
            }
            parking::unpark(&client, &done).await?;
            if done.len() == rows.len() {
                self.held.remove(&key);
            }
            info!(
                aggregate_type = key.0,
                aggregate_id = key.1,
                published = done.len(),
                still_parked = rows.len() - done.len(),
                "Parked events published, as an operator asked."
            );
        }
        Ok(())
    }

    async fn serve_republish(&mut self) -> Result<(), Error> {
        let client = self
            .pool
            .get()
            .await
            .map_err(plinth_infra_postgres::Error::from)?;
        let requests = parking::republish_requests(&client, REQUESTS_PER_ROUND).await?;
        if requests.is_empty() {
            return Ok(());
        }
        let parked = parking::parked(&client).await?;
        for request in requests {
            // Never past a parked event: its aggregate's later events wait behind it.
            let first_parked = parked
                .iter()
                .filter(|p| {
                    p.aggregate_type == request.aggregate_type
                        && p.aggregate_id == request.aggregate_id
                })
                .map(|p| p.sequence)
                .min();
            let events = read_aggregate(
                &client,
                &request.aggregate_type,
                &request.aggregate_id,
                request.from_sequence,
                EVENTS_PER_REQUEST,
            )
            .await?;
            let mut outgoing = Vec::with_capacity(events.len());
            let page_full = events.len() as i64 == EVENTS_PER_REQUEST;
            for event in events
                .iter()
                .filter(|e| first_parked.is_none_or(|first| e.sequence < first))
            {
                match self.encode(event).await {
                    Ok(message) => outgoing.push(message),
                    Err(PublishError::Mapping { .. }) => break,
                    Err(e) => return Err(e.into()),
                }
            }
            if let Err(e) = self.produce(&outgoing).await {
                drop(outgoing);
                self.renew_producer().await?;
                return Err(e.into());
            }
            // A whole page: the rest of the aggregate comes in the next rounds.
            match events.last() {
                Some(last)
                    if page_full && first_parked.is_none_or(|first| last.sequence < first) =>
                {
                    parking::advance(&client, &request, last.sequence + 1).await?;
                }
                _ => parking::served(&client, &request).await?,
            }
            info!(
                aggregate_type = request.aggregate_type,
                aggregate_id = request.aggregate_id,
                from_sequence = request.from_sequence,
                events = outgoing.len(),
                requested_by = request.requested_by,
                "Published an aggregate's events again, as a consumer asked."
            );
        }
        Ok(())
    }
}
