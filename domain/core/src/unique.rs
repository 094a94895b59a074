use serde::{Deserialize, Serialize};

/// A value that must be unique across aggregates (an e-mail address within a tenant, say).
/// An event that claims one is committed only if no other aggregate holds the same
/// `(scope, key)`; the event store enforces it in the commit's transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniqueClaim {
    pub scope: String,
    pub key: String,
}

/// Implemented by event types whose events claim unique values.
pub trait UniqueClaims {
    /// The claims this event makes; most events make none.
    fn unique_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }

    /// The claims this event gives up (a renamed role's old name); released before the
    /// commit's own claims are made, and only if this aggregate holds them.
    fn released_claims(&self) -> Vec<UniqueClaim> {
        Vec::new()
    }
}
