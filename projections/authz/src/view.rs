//! [`AuthzView`]: the [`Policy`] behind a lock, with the sequence applied for each role and
//! binding, so that a check carrying a consistency token can wait until the view has seen that
//! write (SpiceDB's `at_least_as_fresh`).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use plinth_projections_runtime::Envelope;
use tokio::sync::watch;
use tracing::warn;

use crate::{CheckRequest, Policy, Verdict};

/// Roles and bindings in memory, and how far each aggregate has been applied.
#[derive(Debug)]
pub struct AuthzView {
    state: RwLock<State>,
    /// Bumped after every applied event; waiters re-check on each bump.
    applied_count: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct State {
    policy: Policy,
    applied: HashMap<(String, String), i64>,
}

impl Default for AuthzView {
    fn default() -> Self {
        Self {
            state: RwLock::default(),
            applied_count: watch::channel(0).0,
        }
    }
}

impl AuthzView {
    /// Applies an event if it is the next one of its aggregate; a redelivered one (sequence
    /// already applied) is skipped, and one that skips ahead waits for the relay to publish
    /// its predecessor again. Returns whether it was applied.
    pub fn apply(&self, envelope: &Envelope) -> bool {
        let key = (
            envelope.aggregate_type.clone(),
            envelope.aggregate_id.clone(),
        );
        {
            let mut state = self
                .state
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let applied = state.applied.get(&key).copied().unwrap_or(0);
            if envelope.sequence != applied + 1 {
                if envelope.sequence > applied + 1 {
                    warn!(aggregate_id = %envelope.aggregate_id, sequence = envelope.sequence, applied, "An authz event arrived before its predecessor; waiting for it.");
                }
                return false;
            }
            state.policy.apply(&envelope.event);
            state.applied.insert(key, envelope.sequence);
        }
        self.applied_count.send_modify(|n| *n += 1);
        true
    }

    /// Decides `request` at `now`.
    pub fn decide(&self, request: &CheckRequest<'_>, now: DateTime<Utc>) -> Verdict {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .policy
            .decide(request, now)
    }

    /// Reads the policy as applied so far (the administration API's listings).
    pub fn read<R>(&self, f: impl FnOnce(&Policy) -> R) -> R {
        f(&self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .policy)
    }

    /// The last sequence applied for an aggregate (0: none).
    pub fn applied(&self, aggregate_type: &str, aggregate_id: &str) -> i64 {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .applied
            .get(&(aggregate_type.to_owned(), aggregate_id.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Waits until the aggregate is applied up to `sequence`, for at most `timeout`. Returns
    /// whether it got there.
    pub async fn wait_for(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: i64,
        timeout: Duration,
    ) -> bool {
        let mut changes = self.applied_count.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.applied(aggregate_type, aggregate_id) >= sequence {
                return true;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return false; },
                () = tokio::time::sleep_until(deadline) => {
                    return self.applied(aggregate_type, aggregate_id) >= sequence;
                }
            }
        }
    }

    /// How many bindings the view holds.
    pub fn bindings(&self) -> usize {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .policy
            .bindings()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_schemas::PublishedEvent;
    use plinth_schemas::authz::SubjectBoundV1;
    use uuid::Uuid;

    use super::*;

    fn bound(sequence: i64) -> Envelope {
        let at = Utc::now();
        Envelope {
            event_id: Uuid::now_v7(),
            aggregate_type: "authz.binding".into(),
            aggregate_id: "b1".into(),
            sequence,
            tenant_id: "acme".into(),
            traceparent: None,
            event: PublishedEvent::SubjectBound(SubjectBoundV1 {
                binding_id: Uuid::from_u128(1),
                tenant_id: "acme".into(),
                subject: Uuid::from_u128(7),
                role: "owner".into(),
                scope_resource_type: None,
                scope_resource_id: None,
                owner_only: false,
                valid_from: None,
                valid_until: None,
                at,
            }),
        }
    }

    #[test]
    fn events_apply_once_and_in_order() {
        let view = AuthzView::default();
        assert!(!view.apply(&bound(2)), "its predecessor first");
        assert!(view.apply(&bound(1)));
        assert!(!view.apply(&bound(1)), "a redelivery changes nothing");
        assert_eq!(view.applied("authz.binding", "b1"), 1);
        assert_eq!(view.bindings(), 1);
    }

    #[tokio::test]
    async fn a_wait_ends_when_the_write_is_applied_or_the_time_is_up() {
        let view = Arc::new(AuthzView::default());
        assert!(
            !view
                .wait_for("authz.binding", "b1", 1, Duration::from_millis(20))
                .await
        );
        let waiter = {
            let view = view.clone();
            tokio::spawn(async move {
                view.wait_for("authz.binding", "b1", 1, Duration::from_secs(10))
                    .await
            })
        };
        tokio::task::yield_now().await;
        view.apply(&bound(1));
        assert!(waiter.await.unwrap());
    }
}
