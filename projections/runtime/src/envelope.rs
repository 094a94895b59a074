use plinth_infra_kafka::headers;
use plinth_infra_kafka::rdkafka::Message;
use plinth_infra_module::{Envelope, Read};
use plinth_schemas::{AvroRecord, DecodeEvent};
use uuid::Uuid;

/// A consumed Plinth event: which event of which aggregate it is, and what it says.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub tenant_id: String,
    pub payload: Payload,
}

/// What a consumed message holds.
#[derive(Debug, Clone)]
pub enum Payload {
    /// An Avro record, decoded through the registry; each consumer reads it as its own
    /// module's events ([`Envelope::read`]).
    Event(Box<Envelope>),
    /// A value that is not Confluent-framed Avro: an aggregate's events are not applied past
    /// it until a readable copy arrives.
    Unreadable(String),
}

impl Delivery {
    /// The delivery as one of `E`'s events.
    pub fn read<E: DecodeEvent>(&self) -> Read<E> {
        match &self.payload {
            Payload::Event(envelope) => envelope.read(),
            Payload::Unreadable(reason) => Read::Unreadable(reason.clone()),
        }
    }
}

impl From<Envelope> for Delivery {
    /// An event read some other way (from the store, in a replay) as if consumed.
    fn from(envelope: Envelope) -> Self {
        Self {
            event_id: envelope.event_id,
            aggregate_type: envelope.aggregate_type.clone(),
            aggregate_id: envelope.aggregate_id.clone(),
            sequence: envelope.sequence,
            tenant_id: envelope.tenant_id.clone(),
            payload: Payload::Event(Box::new(envelope)),
        }
    }
}

/// A message lacks what every Plinth event carries.
#[derive(Debug, thiserror::Error)]
#[error("message at {topic}/{partition}@{offset} is not a Plinth event: {reason}")]
pub struct EnvelopeError {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub reason: String,
}

/// The headers of a message, parsed.
pub(crate) struct EnvelopeHeaders {
    pub(crate) event_id: Uuid,
    pub(crate) aggregate_type: String,
    pub(crate) aggregate_id: String,
    pub(crate) sequence: i64,
    pub(crate) tenant_id: String,
    pub(crate) traceparent: Option<String>,
}

impl EnvelopeHeaders {
    pub(crate) fn parse(message: &impl Message) -> Result<Self, EnvelopeError> {
        let error = |reason: String| EnvelopeError {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            reason,
        };
        let header = |name: &str| headers::value(message, name);
        let required = |name: &'static str| {
            header(name).ok_or_else(|| error(format!("header `{name}` is missing")))
        };
        Ok(Self {
            event_id: Uuid::parse_str(&required(headers::EVENT_ID)?)
                .map_err(|e| error(format!("event_id: {e}")))?,
            aggregate_type: required(headers::AGGREGATE_TYPE)?,
            aggregate_id: required(headers::AGGREGATE_ID)?,
            sequence: required(headers::SEQUENCE)?
                .parse()
                .map_err(|e| error(format!("sequence: {e}")))?,
            tenant_id: required(headers::TENANT_ID)?,
            traceparent: header(headers::TRACEPARENT),
        })
    }

    /// The delivery these headers announce, with `payload` made from them.
    pub(crate) fn into_delivery(self, payload: impl FnOnce(Self) -> Payload) -> Delivery {
        let (event_id, aggregate_type, aggregate_id, sequence, tenant_id) = (
            self.event_id,
            self.aggregate_type.clone(),
            self.aggregate_id.clone(),
            self.sequence,
            self.tenant_id.clone(),
        );
        Delivery {
            event_id,
            aggregate_type,
            aggregate_id,
            sequence,
            tenant_id,
            payload: payload(self),
        }
    }

    pub(crate) fn into_envelope(self, event: AvroRecord) -> Envelope {
        Envelope {
            event_id: self.event_id,
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence: self.sequence,
            tenant_id: self.tenant_id,
            traceparent: self.traceparent,
            event,
        }
    }
}
