use plinth_schemas::{AvroRecord, DecodeEvent};
use uuid::Uuid;

/// A published event with the headers a projection needs: `E` is the module's event type
/// ([`DecodeEvent`]), or the undecoded [`AvroRecord`] as the runtime reads it.
#[derive(Debug, Clone)]
pub struct Envelope<E = AvroRecord> {
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub tenant_id: String,
    pub traceparent: Option<String>,
    pub event: E,
}

impl<E> Envelope<E> {
    /// The same headers with another event.
    pub fn with<F>(&self, event: F) -> Envelope<F> {
        Envelope {
            event_id: self.event_id,
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
            sequence: self.sequence,
            tenant_id: self.tenant_id.clone(),
            traceparent: self.traceparent.clone(),
            event,
        }
    }
}

/// What a consumer makes of a record with its own event type.
#[derive(Debug, Clone)]
pub enum Read<E> {
    /// One of its events.
    Event(Envelope<E>),
    /// A record its contract version does not know (a newer producer's, or another module's):
    /// skipped on purpose, its sequence still counts as applied.
    Unknown(String),
    /// A record it knows whose value does not match: the aggregate's events are not applied
    /// past it until a readable copy arrives.
    Unreadable(String),
}

impl Envelope {
    /// The record as one of `E`'s events.
    pub fn read<E: DecodeEvent>(&self) -> Read<E> {
        match self.event.decode::<E>() {
            Ok(event) => Read::Event(self.with(event)),
            Err(plinth_schemas::Error::UnknownRecord(record)) => Read::Unknown(record),
            Err(e) => Read::Unreadable(e.to_string()),
        }
    }
}
