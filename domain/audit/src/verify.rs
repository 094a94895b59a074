//! Recomputes trails and checks checkpoints, holding only the public key. Feed every
//! checkpoint first ([`Verifier::checkpoint`]), then each tenant's records in trail order
//! ([`Verifier::record`]; tenants may interleave), then [`Verifier::finish`].

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::VerifyingKey;

use crate::checkpoint::{Checkpoint, key_id};
use crate::record::{AuditRecord, GENESIS_HASH};

/// What is wrong at one place of a trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The record here is not the next one: one was deleted, or records were moved.
    Position { expected: i64, found: i64 },
    /// The record sits in another tenant's trail.
    Tenant { found: String },
    /// The record's link to its predecessor does not match the predecessor's hash.
    PrevHash { expected: String, found: String },
    /// The record's contents do not hash to the hash it carries: it was altered.
    Hash { expected: String, found: String },
    /// The stored record cannot be read as a record at all.
    Unreadable { reason: String },
    /// A stored checkpoint cannot be read as a checkpoint at all.
    UnreadableCheckpoint { reason: String },
    /// A checkpoint's signature does not verify with the public key.
    Signature {
        key_id: String,
        expected_key_id: String,
    },
    /// The record at a checkpoint's position is not the one the checkpoint signed.
    Checkpoint { expected: String, found: String },
    /// The trail ends before a signed checkpoint's position: its tail was removed.
    Truncated {
        ends_at: i64,
        checkpoint_position: i64,
        head_hash: String,
    },
}

/// The first broken link of one tenant's trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub tenant_id: String,
    pub position: i64,
    pub problem: Problem,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tenant {}, position {}: ", self.tenant_id, self.position)?;
        match &self.problem {
            Problem::Position { expected, found } => write!(
                f,
                "expected record {expected}, found record {found} (a record was deleted or records were moved)"
            ),
            Problem::Unreadable { reason } => {
                write!(f, "the record cannot be read ({reason}): it was altered")
            }
            Problem::UnreadableCheckpoint { reason } => {
                write!(f, "a checkpoint cannot be read ({reason}): it was altered")
            }
            Problem::Tenant { found } => {
                write!(f, "the record belongs to tenant {found}, not to this trail")
            }
            Problem::PrevHash { expected, found } => write!(
                f,
                "the link to the previous record is broken: expected prev_hash {expected}, found {found}"
            ),
            Problem::Hash { expected, found } => write!(
                f,
                "the record was altered: its contents hash to {expected}, but it carries {found}"
            ),
            Problem::Signature {
                key_id,
                expected_key_id,
            } => write!(
                f,
                "the checkpoint's signature does not verify with the public key {expected_key_id} (it names key {key_id}): forged or altered"
            ),
            Problem::Checkpoint { expected, found } => write!(
                f,
                "a signed checkpoint says the record here hashes to {expected}, found {found}"
            ),
            Problem::Truncated {
                ends_at,
                checkpoint_position,
                head_hash,
            } => write!(
                f,
                "the trail ends at position {ends_at}, but a signed checkpoint covers position {checkpoint_position} (head hash {head_hash}): records were removed from its tail"
            ),
        }
    }
}

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub tenants: usize,
    pub records: u64,
    /// Checkpoints whose signature verified.
    pub checkpoints: usize,
    /// The first broken link of each broken trail, and every bad checkpoint signature.
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

#[derive(Default)]
struct TenantTrail {
    position: i64,
    head: Option<String>,
    /// Valid checkpoints, by position.
    checkpoints: Vec<Checkpoint>,
    next_checkpoint: usize,
    broken: bool,
}

/// Checks trails against their hashes and signed checkpoints.
pub struct Verifier {
    key: VerifyingKey,
    trails: BTreeMap<String, TenantTrail>,
    report: Report,
}

impl Verifier {
    pub fn new(key: VerifyingKey) -> Self {
        Self {
            key,
            trails: BTreeMap::new(),
            report: Report::default(),
        }
    }

    /// Checks a checkpoint's signature; a valid one is then held against its trail. The same
    /// checkpoint given twice (from two copies) counts once.
    pub fn checkpoint(&mut self, checkpoint: Checkpoint) {
        if !checkpoint.is_signed_by(&self.key) {
            self.report.findings.push(Finding {
                tenant_id: checkpoint.tenant_id.clone(),
                position: checkpoint.position,
                problem: Problem::Signature {
                    key_id: checkpoint.key_id,
                    expected_key_id: key_id(&self.key),
                },
            });
            return;
        }
        let trail = self.trails.entry(checkpoint.tenant_id.clone()).or_default();
        if trail.checkpoints.contains(&checkpoint) {
            // The same checkpoint from another copy (the database and the topic).
            return;
        }
        self.report.checkpoints += 1;
        let at = trail
            .checkpoints
            .partition_point(|c| c.position <= checkpoint.position);
        trail.checkpoints.insert(at, checkpoint);
    }

    /// Starts `trail_id`'s check after `position`, whose record hashes to `head` (a point
    /// already verified, such as the last checkpoint this signer made).
    pub fn resume(&mut self, trail_id: &str, position: i64, head: String) {
        let trail = self.trails.entry(trail_id.to_owned()).or_default();
        trail.position = position;
        trail.head = Some(head);
    }

    /// Checks the next record of `trail_id`'s trail.
    pub fn record(&mut self, trail_id: &str, record: &AuditRecord) {
        self.report.records += 1;
        let trail = self.trails.entry(trail_id.to_owned()).or_default();
        if trail.broken {
            return;
        }
        let expected_position = trail.position + 1;
        let problem = if record.position != expected_position {
            Some(Problem::Position {
                expected: expected_position,
                found: record.position,
            })
        } else if record.tenant_id != trail_id {
            Some(Problem::Tenant {
                found: record.tenant_id.clone(),
            })
        } else if record.prev_hash != trail.head.as_deref().unwrap_or(GENESIS_HASH) {
            Some(Problem::PrevHash {
                expected: trail
                    .head
                    .clone()
                    .unwrap_or_else(|| GENESIS_HASH.to_owned()),
                found: record.prev_hash.clone(),
            })
        } else {
            let computed = record.computed_hash();
            if computed == record.hash {
                None
            } else {
                Some(Problem::Hash {
                    expected: computed,
                    found: record.hash.clone(),
                })
            }
        };
        let problem = problem.or_else(|| {
            let mut mismatch = None;
            while let Some(checkpoint) = trail.checkpoints.get(trail.next_checkpoint)
                && checkpoint.position <= record.position
            {
                if checkpoint.position == record.position && checkpoint.head_hash != record.hash {
                    mismatch = Some(Problem::Checkpoint {
                        expected: checkpoint.head_hash.clone(),
                        found: record.hash.clone(),
                    });
                }
                trail.next_checkpoint += 1;
            }
            mismatch
        });
        if let Some(problem) = problem {
            trail.broken = true;
            self.report.findings.push(Finding {
                tenant_id: trail_id.to_owned(),
                position: expected_position,
                problem,
            });
            return;
        }
        trail.position = record.position;
        trail.head = Some(record.hash.clone());
    }

    /// Notes that the next stored record of `trail_id` could not be read.
    pub fn unreadable(&mut self, trail_id: &str, reason: String) {
        self.report.records += 1;
        let trail = self.trails.entry(trail_id.to_owned()).or_default();
        if trail.broken {
            return;
        }
        trail.broken = true;
        self.report.findings.push(Finding {
            tenant_id: trail_id.to_owned(),
            position: trail.position + 1,
            problem: Problem::Unreadable { reason },
        });
    }

    /// Checks checkpoints as read from a copy: each either read, or the reason it could not be
    /// (reported at position 0 of its trail).
    pub fn checkpoints(
        &mut self,
        read: impl IntoIterator<Item = (String, Result<Checkpoint, String>)>,
    ) {
        for (trail_id, checkpoint) in read {
            match checkpoint {
                Ok(checkpoint) => self.checkpoint(checkpoint),
                Err(reason) => self.unreadable_checkpoint(&trail_id, reason),
            }
        }
    }

    fn unreadable_checkpoint(&mut self, trail_id: &str, reason: String) {
        self.report.findings.push(Finding {
            tenant_id: trail_id.to_owned(),
            position: 0,
            problem: Problem::UnreadableCheckpoint { reason },
        });
    }

    /// Ends the run: a valid checkpoint beyond a trail's end means its tail was removed.
    pub fn finish(mut self) -> Report {
        for (tenant, trail) in &self.trails {
            if trail.broken {
                continue;
            }
            if let Some(checkpoint) = trail.checkpoints.last()
                && checkpoint.position > trail.position
            {
                self.report.findings.push(Finding {
                    tenant_id: tenant.clone(),
                    position: trail.position + 1,
                    problem: Problem::Truncated {
                        ends_at: trail.position,
                        checkpoint_position: checkpoint.position,
                        head_hash: checkpoint.head_hash.clone(),
                    },
                });
            }
        }
        self.report.tenants = self.trails.len();
        self.report
            .findings
            .sort_by(|a, b| (&a.tenant_id, a.position).cmp(&(&b.tenant_id, b.position)));
        self.report
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use ed25519_dalek::SigningKey;

    use super::*;
    use crate::record::tests::draft;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn trail(n: u128) -> Vec<AuditRecord> {
        let mut head = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|i| {
                let record = draft(i).chain("default", i as i64, &head);
                head.clone_from(&record.hash);
                record
            })
            .collect()
    }

    fn verify(records: &[AuditRecord], checkpoints: &[Checkpoint]) -> Report {
        let mut verifier = Verifier::new(key().verifying_key());
        for checkpoint in checkpoints {
            verifier.checkpoint(checkpoint.clone());
        }
        for record in records {
            verifier.record("default", record);
        }
        verifier.finish()
    }

    fn checkpoint_at(records: &[AuditRecord], position: usize, key: &SigningKey) -> Checkpoint {
        let head = &records[position - 1];
        Checkpoint::sign("default", head.position, &head.hash, Utc::now(), key)
    }

    fn only(report: &Report) -> Finding {
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        report.findings[0].clone()
    }

    #[test]
    fn an_untouched_trail_verifies_clean() {
        let records = trail(6);
        let report = verify(&records, &[checkpoint_at(&records, 6, &key())]);
        assert!(report.is_clean(), "{:?}", report.findings);
        assert_eq!(
            (report.tenants, report.records, report.checkpoints),
            (1, 6, 1)
        );
    }

    #[test]
    fn an_altered_field_is_caught_at_its_record() {
        let mut records = trail(6);
        records[3].outcome = crate::Outcome::Success;
        let finding = only(&verify(&records, &[]));
        assert_eq!(finding.position, 4);
        assert!(matches!(finding.problem, Problem::Hash { .. }), "{finding}");
    }

    #[test]
    fn a_rehashed_alteration_breaks_the_next_link() {
        let mut records = trail(6);
        records[3].actor = "user:mallory".into();
        records[3].hash = records[3].computed_hash();
        let finding = only(&verify(&records, &[]));
        assert_eq!(finding.position, 5);
        assert_eq!(
            finding.problem,
            Problem::PrevHash {
                expected: records[3].hash.clone(),
                found: records[4].prev_hash.clone(),
            }
        );
    }

    #[test]
    fn a_deleted_record_and_swapped_records_are_caught_where_they_were() {
        let mut records = trail(6);
        records.remove(2);
        let finding = only(&verify(&records, &[]));
        assert_eq!(
            (finding.position, &finding.problem),
            (
                3,
                &Problem::Position {
                    expected: 3,
                    found: 4
                }
            )
        );
        let mut records = trail(6);
        records.swap(1, 4);
        let finding = only(&verify(&records, &[]));
        assert_eq!(
            (finding.position, &finding.problem),
            (
                2,
                &Problem::Position {
                    expected: 2,
                    found: 5
                }
            )
        );
    }

    #[test]
    fn a_truncated_tail_behind_a_checkpoint_is_caught() {
        let records = trail(6);
        let checkpoint = checkpoint_at(&records, 5, &key());
        let finding = only(&verify(&records[..3], &[checkpoint]));
        assert_eq!(finding.position, 4);
        assert!(
            matches!(
                finding.problem,
                Problem::Truncated {
                    ends_at: 3,
                    checkpoint_position: 5,
                    ..
                }
            ),
            "{finding}"
        );
        // The tail after the last checkpoint is not covered by any signature.
        let report = verify(&records[..5], &[checkpoint_at(&records, 5, &key())]);
        assert!(report.is_clean());
    }

    #[test]
    fn a_forged_checkpoint_and_a_rewritten_chain_are_caught() {
        let records = trail(6);
        let forged = checkpoint_at(&records, 6, &SigningKey::from_bytes(&[9; 32]));
        let finding = only(&verify(&records, &[forged]));
        assert_eq!(finding.position, 6);
        assert!(
            matches!(finding.problem, Problem::Signature { .. }),
            "{finding}"
        );

        let honest = checkpoint_at(&records, 4, &key());
        let mut rewritten = records[..3].to_vec();
        let mut head = records[2].hash.clone();
        for i in 4..=6 {
            let mut d = draft(i);
            d.actor = "user:mallory".into();
            let record = d.chain("default", i as i64, &head);
            head.clone_from(&record.hash);
            rewritten.push(record);
        }
        let finding = only(&verify(&rewritten, &[honest]));
        assert_eq!(finding.position, 4);
        assert!(
            matches!(finding.problem, Problem::Checkpoint { .. }),
            "{finding}"
        );
    }

    #[test]
    fn a_checkpoint_from_two_copies_counts_once_and_a_resumed_check_starts_mid_trail() {
        let records = trail(6);
        let checkpoint = checkpoint_at(&records, 4, &key());
        let report = verify(&records, &[checkpoint.clone(), checkpoint]);
        assert_eq!(report.checkpoints, 1);
        assert!(report.is_clean());

        let mut verifier = Verifier::new(key().verifying_key());
        verifier.resume("default", 3, records[2].hash.clone());
        for record in &records[3..] {
            verifier.record("default", record);
        }
        assert!(verifier.finish().is_clean());
        let mut verifier = Verifier::new(key().verifying_key());
        verifier.resume("default", 3, "f".repeat(64));
        verifier.record("default", &records[3]);
        let finding = only(&verifier.finish());
        assert!(
            matches!(finding.problem, Problem::PrevHash { .. }),
            "{finding}"
        );
    }
}
