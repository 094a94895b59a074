//! Sends the queued mails: lease, issue the token, send, mark. Rows are leased by one short
//! statement so no transaction stays open while a mail server is slow (an open transaction
//! would hold back the relay's snapshot horizon).

use std::sync::Arc;
use std::time::Duration;

use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_domain_identity::UserId;
use plinth_infra_mail::Notifier;
use plinth_infra_postgres::Pool;
use plinth_services_identity::{IdentityService, MailPurpose};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};
use uuid::Uuid;

use crate::{RESET_PASSWORD, VERIFY_EMAIL, compose};

/// How the sender paces itself.
#[derive(Debug, Clone, Copy)]
pub struct SenderSettings {
    /// How often to look for due mail when there was none.
    pub poll_every: Duration,
    /// How long a leased row stays with this sender before another may take it.
    pub lease: Duration,
    /// Mails leased at once; each is sent within the lease.
    pub batch: i64,
}

/// Attempts before a mail is given up (with backoff, about 8½ minutes of trying).
pub const MAX_ATTEMPTS: i32 = 10;

impl Default for SenderSettings {
    fn default() -> Self {
        Self {
            poll_every: Duration::from_millis(200),
            // One SMTP exchange may take up to 30 s per command; one mail per lease keeps the
            // lease far longer than the send.
            lease: Duration::from_secs(120),
            batch: 1,
        }
    }
}

/// Delivers the outbox.
pub struct Sender {
    pool: Pool,
    identity: Arc<IdentityService>,
    notifier: Arc<dyn Notifier>,
    settings: SenderSettings,
}

struct Due {
    event_id: Uuid,
    kind: String,
    user_id: Uuid,
    tenant_id: String,
    attempts: i32,
}

/// The outbox could not be read or written.
#[derive(Debug, thiserror::Error)]
enum StoreError {
    #[error("no database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
}

/// Why one mail was not sent this time.
#[derive(Debug, thiserror::Error)]
enum SendError {
    #[error("{0}")]
    Identity(#[from] plinth_services_identity_api::IdentityError),
    #[error("{0}")]
    Mail(#[from] plinth_infra_mail::Error),
    #[error("unknown mail kind {0:?}")]
    UnknownKind(String),
    #[error("invalid tenant {0:?}")]
    Tenant(String),
}

impl SendError {
    /// Whether trying again cannot help.
    fn is_permanent(&self) -> bool {
        match self {
            Self::Mail(e) => !e.is_retryable(),
            Self::UnknownKind(_) | Self::Tenant(_) => true,
            // The store may come back; attempts are capped anyway.
            Self::Identity(_) => false,
        }
    }
}

impl Sender {
    pub fn new(
        pool: Pool,
        identity: Arc<IdentityService>,
        notifier: Arc<dyn Notifier>,
        settings: SenderSettings,
    ) -> Self {
        Self {
            pool,
            identity,
            notifier,
            settings,
        }
    }

    /// Sends until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        info!(notifier = ?self.notifier, "Notification sender started.");
        loop {
            let sent = match self.round().await {
                Ok(n) => n,
                Err(e) => {
                    warn!(error = %e, "Cannot read the notification outbox; retrying.");
                    0
                }
            };
            if sent == 0 {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(self.settings.poll_every) => {}
                }
            } else if shutdown.is_cancelled() {
                break;
            }
        }
        info!("Notification sender stopped.");
    }

    /// Leases and handles one batch; returns how many rows it handled.
    async fn round(&self) -> Result<usize, StoreError> {
        let lease = Uuid::now_v7();
        let due = self.lease(lease).await?;
        for row in &due {
            match self.deliver(row).await {
                Ok(sent) => {
                    self.mark_sent(row.event_id, lease).await?;
                    debug!(event_id = %row.event_id, kind = row.kind, sent, "Notification handled.");
                }
                Err(e) if e.is_permanent() || row.attempts >= MAX_ATTEMPTS => {
                    error!(event_id = %row.event_id, kind = row.kind, attempts = row.attempts, error = %e, "Giving up on a notification.");
                    self.mark_failed(row.event_id, lease, &e.to_string(), None)
                        .await?;
                }
                Err(e) => {
                    let backoff = backoff(row.attempts);
                    warn!(event_id = %row.event_id, kind = row.kind, attempts = row.attempts, retry_in_secs = backoff, error = %e, "Cannot send a notification; will retry.");
                    self.mark_failed(row.event_id, lease, &e.to_string(), Some(backoff))
                        .await?;
                }
            }
        }
        Ok(due.len())
    }

    async fn lease(&self, lease: Uuid) -> Result<Vec<Due>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                include_str!("../sql/lease.sql"),
                &[
                    &self.settings.batch,
                    &self.settings.lease.as_secs_f64(),
                    &lease,
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Due {
                event_id: r.get("event_id"),
                kind: r.get("kind"),
                user_id: r.get("user_id"),
                tenant_id: r.get("tenant_id"),
                attempts: r.get("attempts"),
            })
            .collect())
    }

    /// Issues the token and sends the mail; `false` when there was nothing to send.
    async fn deliver(&self, row: &Due) -> Result<bool, SendError> {
        let purpose = match row.kind.as_str() {
            VERIFY_EMAIL => MailPurpose::VerifyEmail,
            RESET_PASSWORD => MailPurpose::ResetPassword,
            other => return Err(SendError::UnknownKind(other.to_owned())),
        };
        let tenant = TenantId::parse(&row.tenant_id)
            .map_err(|_| SendError::Tenant(row.tenant_id.clone()))?;
        // The causing event's id correlates the token's event with it.
        let metadata =
            CommandMetadata::new(tenant, Actor::Service("notifications".into()), row.event_id);
        let Some(token) = self
            .identity
            .issue_mail_token(UserId(row.user_id), purpose, &metadata)
            .await?
        else {
            return Ok(false);
        };
        let message = compose::message(row.event_id.to_string(), purpose, &token);
        self.notifier.send(&message).await?;
        info!(event_id = %row.event_id, user_id = %row.user_id, kind = row.kind, "Notification sent.");
        Ok(true)
    }

    async fn mark_sent(&self, event_id: Uuid, lease: Uuid) -> Result<(), StoreError> {
        let client = self.client().await?;
        let marked = client
            .execute(include_str!("../sql/mark_sent.sql"), &[&event_id, &lease])
            .await?;
        if marked == 0 {
            warn!(event_id = %event_id, "The lease ran out before the mail was marked sent; another sender may send it again.");
        }
        Ok(())
    }

    /// Records a failure: retry in `retry_in_secs`, or (`None`) give up for good.
    async fn mark_failed(
        &self,
        event_id: Uuid,
        lease: Uuid,
        error: &str,
        retry_in_secs: Option<f64>,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                include_str!("../sql/mark_failed.sql"),
                &[&event_id, &lease, &retry_in_secs, &error],
            )
            .await?;
        Ok(())
    }

    async fn client(&self) -> Result<plinth_infra_postgres::Connection, StoreError> {
        Ok(self.pool.get().await?)
    }
}

/// Seconds until the next attempt: 1, 2, 4, … capped at 5 minutes.
fn backoff(attempts: i32) -> f64 {
    let exponent = attempts.clamp(1, 10) - 1;
    f64::from(2_i32.pow(exponent.unsigned_abs())).min(300.0)
}
