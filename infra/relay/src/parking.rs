//! What the relay sets aside, and what consumers and operators ask of it.
//!
//! - **Parked events** (`relay_parked`): an event that cannot be mapped to its published schema
//!   is parked, with every later event of its aggregate (so no consumer sees a gap), and the
//!   relay goes on publishing everything else. `plinth relay parked` lists them;
//!   `plinth relay retry` publishes them again once mapping works (after a fix), and
//!   `plinth relay withhold` publishes a `plinth.Withheld` record in one event's place so its
//!   aggregate's later events can follow.
//! - **Republish requests** (`relay_republish`): a consumer that waits for an event it never
//!   received (or could not read) asks for its aggregate's events from that sequence on.

use chrono::{DateTime, Utc};
use plinth_infra_postgres::GenericClient;
use uuid::Uuid;

/// What an operator asked for a parked event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParkAction {
    /// Try mapping and publishing it (and its aggregate's later events) again.
    Retry,
    /// Publish a `plinth.Withheld` record in its place, then its aggregate's later events.
    Withhold,
}

impl ParkAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Withhold => "withhold",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "retry" => Some(Self::Retry),
            "withhold" => Some(Self::Withhold),
            _ => None,
        }
    }
}

/// One parked event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedEvent {
    pub position: i64,
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub reason: String,
    pub parked_at: DateTime<Utc>,
    pub action: Option<ParkAction>,
}

/// Every parked event, by aggregate and sequence.
pub async fn parked(
    client: &impl GenericClient,
) -> Result<Vec<ParkedEvent>, tokio_postgres::Error> {
    let rows = client.query(include_str!("../sql/parked.sql"), &[]).await?;
    Ok(rows
        .iter()
        .map(|r| ParkedEvent {
            position: r.get("position"),
            event_id: r.get("event_id"),
            aggregate_type: r.get("aggregate_type"),
            aggregate_id: r.get("aggregate_id"),
            sequence: r.get("sequence"),
            event_type: r.get("event_type"),
            reason: r.get("reason"),
            parked_at: r.get("parked_at"),
            action: r
                .get::<_, Option<String>>("action")
                .as_deref()
                .and_then(ParkAction::parse),
        })
        .collect())
}

/// Asks the relay to `action` the parked event `event` (`retry` with `None`: every parked
/// event). Returns how many events the request covers; the relay carries it out within a
/// second or so.
pub async fn request(
    client: &impl GenericClient,
    action: ParkAction,
    event: Option<Uuid>,
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "UPDATE relay_parked SET action = $1, requested_at = now()
             WHERE $2::uuid IS NULL OR event_id = $2",
            &[&action.as_str(), &event],
        )
        .await
}

/// Asks the relay to publish the events of an aggregate again from `from_sequence` on, on
/// behalf of `requested_by` (a projection that waits for that event, say).
pub async fn request_republish(
    client: &impl GenericClient,
    aggregate_type: &str,
    aggregate_id: &str,
    from_sequence: i64,
    requested_by: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            include_str!("../sql/request_republish.sql"),
            &[
                &aggregate_type,
                &aggregate_id,
                &from_sequence,
                &requested_by,
            ],
        )
        .await?;
    Ok(())
}

/// How far the relay has published the global order (`None`: nothing yet).
pub async fn published_up_to(
    client: &impl GenericClient,
) -> Result<Option<plinth_infra_event_store::Cursor>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT transaction_id::text, position FROM relay_checkpoints ORDER BY transaction_id DESC, position DESC LIMIT 1",
            &[],
        )
        .await?;
    Ok(row.and_then(|r| {
        Some(plinth_infra_event_store::Cursor {
            transaction_id: r.get::<_, String>(0).parse().ok()?,
            position: r.get(1),
        })
    }))
}

/// How many republish requests wait.
pub async fn republish_waiting(client: &impl GenericClient) -> Result<i64, tokio_postgres::Error> {
    Ok(client
        .query_one("SELECT count(*) FROM relay_republish", &[])
        .await?
        .get(0))
}

/// A republish request.
#[derive(Debug, Clone)]
pub(crate) struct Republish {
    pub(crate) aggregate_type: String,
    pub(crate) aggregate_id: String,
    pub(crate) from_sequence: i64,
    pub(crate) requested_by: String,
}

pub(crate) async fn republish_requests(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<Republish>, tokio_postgres::Error> {
    let rows = client
        .query(include_str!("../sql/take_republish.sql"), &[&limit])
        .await?;
    Ok(rows
        .iter()
        .map(|r| Republish {
            aggregate_type: r.get("aggregate_type"),
            aggregate_id: r.get("aggregate_id"),
            from_sequence: r.get("from_sequence"),
            requested_by: r.get("requested_by"),
        })
        .collect())
}

/// Moves a request on to `next` (a page of the aggregate was published; more remain), unless
/// it was renewed for an earlier sequence meanwhile.
pub(crate) async fn advance(
    client: &impl GenericClient,
    request: &Republish,
    next: i64,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "UPDATE relay_republish SET from_sequence = $4
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND from_sequence >= $3",
            &[
                &request.aggregate_type,
                &request.aggregate_id,
                &request.from_sequence,
                &next,
            ],
        )
        .await?;
    Ok(())
}

/// Deletes a served request, unless it was renewed for an earlier sequence meanwhile.
pub(crate) async fn served(
    client: &impl GenericClient,
    request: &Republish,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "DELETE FROM relay_republish WHERE aggregate_type = $1 AND aggregate_id = $2 AND from_sequence >= $3",
            &[&request.aggregate_type, &request.aggregate_id, &request.from_sequence],
        )
        .await?;
    Ok(())
}

/// Parks an event.
pub(crate) async fn park(
    client: &impl GenericClient,
    event: &plinth_infra_event_store::StoredEvent,
    reason: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            include_str!("../sql/park.sql"),
            &[
                &event.cursor.position,
                &event.event_id,
                &event.aggregate_type,
                &event.aggregate_id,
                &event.sequence,
                &event.event_type,
                &reason,
            ],
        )
        .await?;
    Ok(())
}

/// Removes published events from the parked ones.
pub(crate) async fn unpark(
    client: &impl GenericClient,
    positions: &[i64],
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "DELETE FROM relay_parked WHERE position = ANY($1)",
            &[&positions],
        )
        .await?;
    Ok(())
}

/// Records that an operator's request could not be carried out for the parked event at
/// `position`, and why; the requests on its aggregate's later events lapse with it (they wait
/// behind it).
pub(crate) async fn still_parked(
    client: &impl GenericClient,
    position: i64,
    reason: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "UPDATE relay_parked SET reason = $2 WHERE position = $1",
            &[&position, &reason],
        )
        .await?;
    client
        .execute(
            "UPDATE relay_parked p SET action = NULL, requested_at = NULL
             FROM relay_parked head
             WHERE head.position = $1
               AND p.aggregate_type = head.aggregate_type AND p.aggregate_id = head.aggregate_id",
            &[&position],
        )
        .await?;
    Ok(())
}
