//! [`AuthzView`]: the [`Policy`] behind a lock, with the sequence applied for each role and
//! binding, so that a check carrying a consistency token can wait until the view has seen that
//! write (SpiceDB's `at_least_as_fresh`) — or every write of a subject's bindings and roles, for
//! a sensitive check (SpiceDB's `fully_consistent`, scoped to what the decision reads). It
//! also notes the aggregates stalled on an event that never came, to be asked for again.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use plinth_domain_core::ConsistencyToken;
use plinth_infra_module::{Envelope, Read};
use plinth_projections_runtime::{Delivery, Payload};
use plinth_schemas::authz::AuthzEvent;
use tokio::sync::watch;
use tracing::{error, warn};

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
    /// Aggregates an event arrived early for, or could not be read: since when they wait.
    stalled: HashMap<(String, String), std::time::Instant>,
}

impl Default for AuthzView {
    /// A view whose built-in roles are listed as granting nothing (see [`AuthzView::new`]).
    fn default() -> Self {
        Self {
            state: RwLock::default(),
            applied_count: watch::channel(0).0,
        }
    }
}

impl AuthzView {
    /// An empty view whose built-in roles are listed as granting `declared`: every permission
    /// of the registered modules.
    pub fn new(declared: impl IntoIterator<Item = &'static str>) -> Self {
        let view = Self::default();
        view.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .policy = Policy::new(declared);
        view
    }

    /// Applies an event if it is the next one of its aggregate; a redelivered one (sequence
    /// already applied) is skipped, and one that skips ahead waits for the relay to publish
    /// its predecessor again. An event type this contract does not know counts as applied;
    /// an unreadable one is not applied (its aggregate waits for a readable copy). Returns
    /// whether it was applied.
    pub fn apply(&self, delivery: &Delivery) -> bool {
        let read = delivery.read::<AuthzEvent>();
        let event = match &read {
            Read::Event(envelope) => Ok(Some(&envelope.event)),
            Read::Unknown(_) => Ok(None),
            Read::Unreadable(reason) => Err(reason.as_str()),
        };
        self.apply_in_order(delivery, event)
    }

    /// [`apply`](Self::apply) for an event already decoded.
    pub fn apply_event(&self, envelope: &Envelope<AuthzEvent>) -> bool {
        let delivery = Delivery {
            event_id: envelope.event_id,
            aggregate_type: envelope.aggregate_type.clone(),
            aggregate_id: envelope.aggregate_id.clone(),
            sequence: envelope.sequence,
            tenant_id: envelope.tenant_id.clone(),
            payload: Payload::Unreadable(String::new()),
        };
        self.apply_in_order(&delivery, Ok(Some(&envelope.event)))
    }

    /// Applies `event` (`None`: a record this contract does not know; `Err`: unreadable) as
    /// `delivery`'s aggregate's next event.
    fn apply_in_order(
        &self,
        delivery: &Delivery,
        event: Result<Option<&AuthzEvent>, &str>,
    ) -> bool {
        let key = (
            delivery.aggregate_type.clone(),
            delivery.aggregate_id.clone(),
        );
        {
            let mut state = self
                .state
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let applied = state.applied.get(&key).copied().unwrap_or(0);
            if delivery.sequence != applied + 1 {
                if delivery.sequence > applied + 1 {
                    warn!(aggregate_id = %delivery.aggregate_id, sequence = delivery.sequence, applied, "An authz event arrived before its predecessor; waiting for it.");
                    state
                        .stalled
                        .entry(key)
                        .or_insert_with(std::time::Instant::now);
                }
                return false;
            }
            match event {
                Ok(Some(event)) => state.policy.apply(event),
                Ok(None) => {}
                Err(reason) => {
                    error!(aggregate_id = %delivery.aggregate_id, sequence = delivery.sequence, event_id = %delivery.event_id, reason, "An authz event cannot be read; its role or binding is not updated until a readable copy arrives.");
                    state
                        .stalled
                        .entry(key)
                        .or_insert_with(std::time::Instant::now);
                    return false;
                }
            }
            state.stalled.remove(&key);
            state.applied.insert(key, delivery.sequence);
        }
        self.applied_count.send_modify(|n| *n += 1);
        metrics::counter!("plinth_authz_view_events_applied_total").increment(1);
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

    /// Waits until the view has applied the write `token` names, for at most `timeout`.
    /// Returns whether it got there (and records the wait, as view `authz`).
    pub async fn wait_for(&self, token: &ConsistencyToken, timeout: Duration) -> bool {
        let started = std::time::Instant::now();
        let caught_up = self.wait_until_applied(token, timeout).await;
        plinth_projections_runtime::record_wait("authz", started.elapsed(), caught_up);
        caught_up
    }

    async fn wait_until_applied(&self, token: &ConsistencyToken, timeout: Duration) -> bool {
        let (aggregate_type, aggregate_id) = (&token.aggregate_type, &token.aggregate_id);
        let mut changes = self.applied_count.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.applied(aggregate_type, aggregate_id) >= token.sequence {
                return true;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return false; },
                () = tokio::time::sleep_until(deadline) => {
                    return self.applied(aggregate_type, aggregate_id) >= token.sequence;
                }
            }
        }
    }

    /// The aggregates that have waited at least `for_at_least` for an event that never
    /// came (or came unreadable): type, id, and the sequence they wait for. The feeder asks the
    /// relay to publish them again.
    pub fn stalled(&self, for_at_least: Duration) -> Vec<(String, String, i64)> {
        let state = self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut stalled: Vec<(String, String, i64)> = state
            .stalled
            .iter()
            .filter(|(_, since)| since.elapsed() >= for_at_least)
            .map(|((t, id), _)| {
                let applied = state
                    .applied
                    .get(&(t.clone(), id.clone()))
                    .copied()
                    .unwrap_or(0);
                (t.clone(), id.clone(), applied + 1)
            })
            .collect();
        stalled.sort();
        stalled
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

    use plinth_schemas::AvroRecord;
    use plinth_schemas::authz::SubjectBoundV1;
    use uuid::Uuid;

    use super::*;

    fn bound(sequence: i64) -> Envelope<AuthzEvent> {
        let at = Utc::now();
        Envelope {
            event_id: Uuid::now_v7(),
            aggregate_type: "authz.binding".into(),
            aggregate_id: "b1".into(),
            sequence,
            tenant_id: "acme".into(),
            traceparent: None,
            event: AuthzEvent::SubjectBound(SubjectBoundV1 {
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
        assert!(!view.apply_event(&bound(2)), "its predecessor first");
        assert!(view.apply_event(&bound(1)));
        assert!(!view.apply_event(&bound(1)), "a redelivery changes nothing");
        assert_eq!(view.applied("authz.binding", "b1"), 1);
        assert_eq!(view.bindings(), 1);
    }

    fn binding_b1() -> ConsistencyToken {
        ConsistencyToken {
            aggregate_type: "authz.binding".into(),
            aggregate_id: "b1".into(),
            sequence: 1,
        }
    }

    #[tokio::test]
    async fn a_wait_ends_when_the_write_is_applied_or_the_time_is_up() {
        let view = Arc::new(AuthzView::default());
        assert!(
            !view
                .wait_for(&binding_b1(), Duration::from_millis(20))
                .await
        );
        let waiter = {
            let view = view.clone();
            tokio::spawn(async move { view.wait_for(&binding_b1(), Duration::from_secs(10)).await })
        };
        tokio::task::yield_now().await;
        view.apply_event(&bound(1));
        assert!(waiter.await.unwrap());
    }

    #[test]
    fn unknown_events_count_and_unreadable_ones_hold_their_aggregate_as_stalled() {
        let view = AuthzView::default();
        assert!(view.apply_event(&bound(1)));
        let unknown = Delivery::from(bound(2).with(AvroRecord {
            name: "plinth.authz.SomethingNew".into(),
            value: apache_avro::types::Value::Null,
        }));
        assert!(
            view.apply(&unknown),
            "a newer producer's event type still counts"
        );
        let unreadable = Delivery {
            payload: Payload::Unreadable("not Avro".into()),
            ..Delivery::from(bound(3).with(AvroRecord {
                name: "plinth.authz.SubjectBound".into(),
                value: apache_avro::types::Value::Null,
            }))
        };
        assert!(!view.apply(&unreadable));
        assert_eq!(view.applied("authz.binding", "b1"), 2);
        assert_eq!(
            view.stalled(Duration::ZERO),
            vec![("authz.binding".to_owned(), "b1".to_owned(), 3)]
        );
        assert!(!view.apply_event(&bound(5)), "early");
        assert_eq!(view.stalled(Duration::ZERO)[0].2, 3, "still waits for 3");
        assert!(view.apply_event(&bound(3)), "a readable copy of event 3");
        assert!(view.stalled(Duration::ZERO).is_empty());
    }
}
