//! `plinth status` and `plinth relay …`: what is stuck and why, and the operator's levers.
//! Status reads the relay's backlog and parked events, the projections' stalled aggregates and
//! the events missing from the audit trail, and exits 1 when anything is stuck.

use std::fmt::Write;

use anyhow::Context;
use chrono::Utc;
use plinth_infra_relay::parking::{ParkAction, ParkedEvent};
use plinth_infra_relay::status::Backlog;
use plinth_projections_runtime::Stall;
use uuid::Uuid;

use crate::Stack;

/// A stall younger than this is still being healed, not stuck.
const STUCK_AFTER_SECS: i64 = 10;

/// Everything `plinth status` reports.
#[derive(Debug)]
pub struct Status {
    pub backlog: Backlog,
    pub parked: Vec<ParkedEvent>,
    pub republish_waiting: i64,
    pub stalls: Vec<Stall>,
    pub unrecorded: i64,
}

impl Status {
    /// Whether something is stuck: parked events, a lasting stall, events missing from the
    /// audit trail, or publishing held back for more than a few seconds.
    pub fn is_stuck(&self) -> bool {
        let now = Utc::now();
        !self.parked.is_empty()
            || self
                .stalls
                .iter()
                .any(|s| (now - s.first_seen).num_seconds() >= STUCK_AFTER_SECS)
            || self.unrecorded > 0
            || (self.backlog.held_back > 0
                && self
                    .backlog
                    .oldest_secs
                    .is_some_and(|s| s >= STUCK_AFTER_SECS as f64))
    }

    /// The report, as `plinth status` prints it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let b = &self.backlog;
        let _ = writeln!(
            out,
            "Relay: published up to position {}; {} committed events wait{}.",
            b.published
                .map_or_else(|| "none".to_owned(), |c| c.position.to_string()),
            b.waiting,
            b.oldest_secs
                .map(|s| format!(" (the oldest for {s:.1} s)"))
                .unwrap_or_default()
        );
        if b.held_back > 0 {
            let _ = writeln!(
                out,
                "  HELD BACK: {} of them wait behind a running transaction: {}",
                b.held_back,
                b.blocker
                    .as_ref()
                    .map_or_else(|| "(not found)".to_owned(), ToString::to_string)
            );
        }
        let _ = writeln!(out, "Parked events: {}", self.parked.len());
        for p in &self.parked {
            let _ = writeln!(
                out,
                "  PARKED {} {}/{} #{} {}: {}{}",
                p.event_id,
                p.aggregate_type,
                p.aggregate_id,
                p.sequence,
                p.event_type,
                p.reason,
                match p.action {
                    Some(ParkAction::Retry) => " (retry asked)",
                    Some(ParkAction::Withhold) => " (withhold asked)",
                    None => "",
                }
            );
        }
        let _ = writeln!(
            out,
            "Republish requests waiting: {}",
            self.republish_waiting
        );
        let _ = writeln!(out, "Stalled aggregates: {}", self.stalls.len());
        for s in &self.stalls {
            let _ = writeln!(
                out,
                "  STALLED {} on {}/{}: waits for #{} (saw #{}) since {} — {}",
                s.projection,
                s.aggregate_type,
                s.aggregate_id,
                s.waiting_for,
                s.seen_sequence,
                s.first_seen.to_rfc3339(),
                s.reason
            );
        }
        let _ = writeln!(
            out,
            "Events published over 30 s ago and missing from the audit trail: {}",
            self.unrecorded
        );
        out
    }
}

impl Stack {
    /// What is stuck, and why.
    pub async fn status(&self) -> anyhow::Result<Status> {
        self.migrate().await?;
        let client = self.pool.get().await.context("connecting to Postgres")?;
        Ok(Status {
            backlog: plinth_infra_relay::status::backlog(&client)
                .await
                .context("reading the relay's backlog")?,
            parked: plinth_infra_relay::parking::parked(&client)
                .await
                .context("reading the parked events")?,
            republish_waiting: plinth_infra_relay::parking::republish_waiting(&client).await?,
            stalls: plinth_projections_runtime::stalls(&client)
                .await
                .context("reading the stalled aggregates")?,
            unrecorded: plinth_services_audit::unrecorded(&client)
                .await
                .context("counting events missing from the audit trail")?,
        })
    }

    /// Asks the relay to `action` the parked event `event` (every parked event, for a retry
    /// without one); returns how many events the request covers.
    pub async fn ask_relay(&self, action: ParkAction, event: Option<Uuid>) -> anyhow::Result<u64> {
        self.migrate().await?;
        let client = self.pool.get().await.context("connecting to Postgres")?;
        if action == ParkAction::Withhold
            && let Some(event) = event
        {
            let parked = plinth_infra_relay::parking::parked(&client).await?;
            if let Some(named) = parked.iter().find(|p| p.event_id == event)
                && let Some(first) = parked.iter().find(|p| {
                    p.aggregate_type == named.aggregate_type && p.aggregate_id == named.aggregate_id
                })
                && first.event_id != event
            {
                anyhow::bail!(
                    "{event} waits behind {} (#{} of {}/{}): withhold or retry that one first",
                    first.event_id,
                    first.sequence,
                    first.aggregate_type,
                    first.aggregate_id
                );
            }
        }
        plinth_infra_relay::parking::request(&client, action, event)
            .await
            .context("recording the request")
    }
}
