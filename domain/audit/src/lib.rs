//! The audit domain. An [`AuditRecord`] says who did what to which target, with what outcome,
//! and which source event told us. Each tenant has one [`Trail`] aggregate whose events are its
//! records, in order: record `n` carries the hash of record `n - 1`, and its own hash covers its
//! canonical bytes ([`AuditRecord::canonical_bytes`]), so the trail is a SHA-256 chain.
//! A [`Checkpoint`] (tenant, position, head hash, time) is signed with Ed25519 and kept by the
//! tenant's [`CheckpointLog`]. The [`Verifier`] recomputes a chain and checks the checkpoints
//! with only the public key, reporting the first broken link of each tenant.
//!
//! Start with `record.rs` (what is hashed, and how), then `verify.rs`.

mod checkpoint;
mod record;
mod trail;
mod verify;

pub use checkpoint::{
    Checkpoint, CheckpointError, CheckpointEvent, CheckpointLog, RecordCheckpoint, key_id,
};
pub use record::{AuditRecord, GENESIS_HASH, Outcome, OutcomeError, RecordDraft, timestamp};
pub use trail::{AppendRecords, Trail, TrailError, TrailEvent};
pub use verify::{Finding, Problem, Report, Verifier};
