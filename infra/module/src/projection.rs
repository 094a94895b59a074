use plinth_schemas::DecodeEvent;
use postgres_types::ToSql;

use crate::{Envelope, Migrations, Read};

/// One SQL statement a reducer asks for.
pub struct Statement {
    pub sql: &'static str,
    pub params: Vec<Box<dyn ToSql + Send + Sync>>,
}

impl std::fmt::Debug for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("sql", &self.sql)
            .field("params", &self.params)
            .finish()
    }
}

/// A read model.
pub trait Projection: Send + Sync + 'static {
    /// The published events it reads: its module's (or another module's) [`DecodeEvent`] enum.
    type Event: DecodeEvent;
    /// Unique, versioned name (`users_v1`): a new version is rebuilt by replay.
    fn name(&self) -> &'static str;
    /// The aggregate types whose topics feed it.
    fn aggregate_types(&self) -> &'static [&'static str];
    /// Its tables (a rebuild creates them afresh in a scratch schema).
    fn migrations(&self) -> Migrations;
    /// The statements that apply `envelope`; none for events it ignores. Must be pure.
    fn reduce(&self, envelope: &Envelope<Self::Event>) -> Vec<Statement>;
}

/// What a projection makes of a consumed record.
#[derive(Debug)]
pub enum Reduced {
    /// The statements that apply it (none for an event it ignores).
    Statements(Vec<Statement>),
    /// A record its events do not include: counts as applied.
    Unknown(String),
    /// A record it knows that does not match: its aggregate stalls.
    Unreadable(String),
}

/// A [`Projection`] of any event type, as the runtime holds it.
pub trait DynProjection: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn aggregate_types(&self) -> &'static [&'static str];
    fn migrations(&self) -> Migrations;
    /// Decodes the record as the projection's events and reduces it.
    fn reduce_record(&self, envelope: &Envelope) -> Reduced;
}

impl<P: Projection> DynProjection for P {
    fn name(&self) -> &'static str {
        Projection::name(self)
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        Projection::aggregate_types(self)
    }

    fn migrations(&self) -> Migrations {
        Projection::migrations(self)
    }

    fn reduce_record(&self, envelope: &Envelope) -> Reduced {
        match envelope.read::<P::Event>() {
            Read::Event(event) => Reduced::Statements(self.reduce(&event)),
            Read::Unknown(record) => Reduced::Unknown(record),
            Read::Unreadable(reason) => Reduced::Unreadable(reason),
        }
    }
}
