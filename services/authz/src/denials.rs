//! Denials recorded for audit without letting a client turn every forbidden request into a
//! database write. The first denial of a subject on a route (and resource, and permission) is
//! recorded at once, in the background; its repeats within the window are counted, and at the
//! window's end the count is recorded as one `AccessDecided` with `repeated` (and `first_at`).
//! So every denial is in the audit trail, as at most two records per key and window.
//!
//! A crash loses the repeats counted since the last window, not the first denial of any key
//! (unless the process dies within the instant it takes to write it). At most [`MAX_KEYS`]
//! keys are tracked; past that, a subject's further denials are gathered under one key per
//! subject (route `*`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use plinth_domain_authz::AccessDecided;
use plinth_domain_core::CommandMetadata;
use plinth_services_authz_api::AuthzApi;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error};
use uuid::Uuid;

/// Distinct keys tracked at once.
const MAX_KEYS: usize = 10_000;
/// Records waiting to be written; beyond, a first denial is counted as a repeat instead.
const QUEUE: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    tenant: String,
    subject: Uuid,
    permission: String,
    route: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
}

impl Key {
    /// The key of a denial: who was denied what, where.
    fn of(decided: &AccessDecided) -> Self {
        Self {
            tenant: decided.tenant_id.to_string(),
            subject: decided.subject,
            permission: decided.permission.clone(),
            route: decided.route.clone(),
            resource_type: decided.resource_type.clone(),
            resource_id: decided.resource_id.clone(),
        }
    }
}

struct Pending {
    opened: Instant,
    /// The first denial of the window: what a record of its repeats says.
    first: AccessDecided,
    metadata: CommandMetadata,
    repeats: u32,
    first_repeat: Option<DateTime<Utc>>,
    last_repeat: Option<DateTime<Utc>>,
}

/// Gathers denials and writes them through the authz service.
pub struct Denials {
    window: Duration,
    pending: Mutex<HashMap<Key, Pending>>,
    queue: mpsc::Sender<(AccessDecided, CommandMetadata)>,
}

impl Denials {
    /// Starts the writer and the window flusher (they end with `shutdown`, after a last flush).
    pub fn start(
        authz: Arc<dyn AuthzApi>,
        window: Duration,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let (queue, mut records) = mpsc::channel::<(AccessDecided, CommandMetadata)>(QUEUE);
        let denials = Arc::new(Self {
            window: window.max(Duration::from_millis(10)),
            pending: Mutex::default(),
            queue,
        });
        tokio::spawn(async move {
            while let Some((decided, metadata)) = records.recv().await {
                if let Err(e) = authz.record_decision(decided, &metadata).await {
                    error!(error = %e, "A denial could not be recorded for audit.");
                }
            }
        });
        let flusher = Arc::clone(&denials);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(flusher.window / 2);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = tick.tick() => flusher.flush(false),
                }
            }
            flusher.flush(true);
        });
        denials
    }

    /// Records `decided` (a denial): at once if it is the first of its key in this window,
    /// else as a repeat.
    pub fn record(&self, decided: AccessDecided, metadata: CommandMetadata) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut key = Key::of(&decided);
        if pending.len() >= MAX_KEYS && !pending.contains_key(&key) {
            key = Key {
                permission: "*".into(),
                route: Some("*".into()),
                resource_type: None,
                resource_id: None,
                ..key
            };
        }
        if let Some(open) = pending.get_mut(&key) {
            open.repeats += 1;
            open.first_repeat.get_or_insert(decided.at);
            open.last_repeat = Some(decided.at);
            return;
        }
        let queued = self
            .queue
            .try_send((decided.clone(), metadata.clone()))
            .is_ok();
        pending.insert(
            key,
            Pending {
                opened: Instant::now(),
                repeats: u32::from(!queued),
                first_repeat: (!queued).then_some(decided.at),
                last_repeat: (!queued).then_some(decided.at),
                first: decided,
                metadata,
            },
        );
    }

    /// Writes the count of every window that has ended (every window, when `all`).
    fn flush(&self, all: bool) {
        let ended: Vec<Pending> = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let keys: Vec<Key> = pending
                .iter()
                .filter(|(_, p)| all || p.opened.elapsed() >= self.window)
                .map(|(k, _)| k.clone())
                .collect();
            keys.iter().filter_map(|k| pending.remove(k)).collect()
        };
        let mut unsent = Vec::new();
        for window in ended.into_iter().filter(|p| p.repeats > 0) {
            debug!(subject = %window.first.subject, repeats = window.repeats, "Repeated denials gathered into one record.");
            let record = AccessDecided {
                decision_id: Uuid::now_v7(),
                repeated: window.repeats,
                first_at: window.first_repeat,
                at: window.last_repeat.unwrap_or(window.first.at),
                ..window.first.clone()
            };
            // A full queue (the store is slow or down) keeps the count for the next flush.
            if self
                .queue
                .try_send((record, window.metadata.clone()))
                .is_err()
            {
                unsent.push(window);
            }
        }
        if !unsent.is_empty() {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for window in unsent {
                let key = Key::of(&window.first);
                match pending.get_mut(&key) {
                    // A new window opened meanwhile: it takes the older counts too.
                    Some(open) => {
                        open.repeats += window.repeats;
                        open.first_repeat = window
                            .first_repeat
                            .min(open.first_repeat)
                            .or(window.first_repeat);
                    }
                    None => {
                        pending.insert(key, window);
                    }
                }
            }
        }
    }
}
