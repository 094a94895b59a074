//! [`GroupConsumer`]: a consumer-group member that does not sit silently without partitions.
//!
//! A member whose session was lost (a broker too busy to answer heartbeats, a process stopped
//! for a while) is revoked and rejoins by itself; but a join that never completes — the
//! coordinator still waiting for members that died — leaves it idle with nothing assigned, for
//! as long as the group's rebalance timeout (`max.poll.interval.ms`). The member logs every
//! assignment and revocation, and when it has waited for an assignment longer than a join
//! should take (twice the session timeout, and at least 15 s) it says so and joins again as a
//! new member. An empty assignment counts as waiting too: after a member is killed, tansu's
//! coordinator may hand a new member nothing while it still counts the dead one, and never
//! rebalance once the dead one's session ends (seen in the crash test: the audit recorder sat
//! with no partition for good). The price is that a member of a group with more members than
//! partitions (a misconfiguration for Plinth, whose topics have several partitions) joins again
//! every so often. Messages are handed out owned, so the consumer can be replaced between
//! batches.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plinth_infra_config::KafkaSettings;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::Result;

/// How often a member with nothing to read checks that it is still in its group.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// What the member knows of its place in the group.
#[derive(Debug)]
struct Membership {
    /// Since when it has waited for an assignment (since it subscribed, was revoked, or was
    /// assigned nothing); `None` once partitions came.
    waiting_since: Option<Instant>,
}

/// Reports the group's rebalances.
struct Context {
    group: String,
    membership: Arc<Mutex<Membership>>,
}

impl ClientContext for Context {
    fn error(&self, error: KafkaError, reason: &str) {
        warn!(group = self.group, %error, reason, "Kafka consumer error.");
    }
}

impl ConsumerContext for Context {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let mut membership = self
            .membership
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match rebalance {
            Rebalance::Assign(partitions) if partitions.count() == 0 => {
                membership.waiting_since = Some(Instant::now());
                warn!(
                    group = self.group,
                    "Assigned no partitions: the group has more members than partitions, or its coordinator still counts a member that died; joining again unless partitions come."
                );
            }
            Rebalance::Assign(partitions) => {
                membership.waiting_since = None;
                info!(
                    group = self.group,
                    partitions = partitions.count(),
                    "Partitions assigned."
                );
            }
            Rebalance::Revoke(partitions) => {
                membership.waiting_since = Some(Instant::now());
                info!(
                    group = self.group,
                    partitions = partitions.count(),
                    "Partitions revoked; rejoining the group."
                );
            }
            Rebalance::Error(error) => {
                warn!(group = self.group, %error, "Rebalance failed.");
            }
        }
    }
}

/// A member of a consumer group subscribed to some topics, storing no offsets by itself:
/// callers store each message's offset once its effect is durable ([`GroupConsumer::done`]).
pub struct GroupConsumer {
    settings: KafkaSettings,
    group: String,
    topics: Vec<String>,
    consumer: Option<StreamConsumer<Context>>,
    membership: Arc<Mutex<Membership>>,
    /// How long a member may hold nothing before it joins again.
    patience: Duration,
}

impl GroupConsumer {
    /// Joins `group` and subscribes to `topics`.
    pub fn join(settings: &KafkaSettings, group: &str, topics: &[String]) -> Result<Self> {
        let mut member = Self {
            settings: settings.clone(),
            group: group.to_owned(),
            topics: topics.to_vec(),
            consumer: None,
            membership: Arc::new(Mutex::new(Membership {
                waiting_since: Some(Instant::now()),
            })),
            patience: (Duration::from_millis(u64::from(settings.session_timeout_ms)) * 2)
                .max(Duration::from_secs(15)),
        };
        member.subscribe()?;
        Ok(member)
    }

    fn subscribe(&mut self) -> Result<()> {
        *self
            .membership
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Membership {
            waiting_since: Some(Instant::now()),
        };
        let context = Context {
            group: self.group.clone(),
            membership: Arc::clone(&self.membership),
        };
        let consumer: StreamConsumer<Context> =
            crate::client::consumer_config(&self.settings, &self.group)
                .create_with_context(context)?;
        let topics: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&topics)?;
        self.consumer = Some(consumer);
        Ok(())
    }

    fn consumer(&self) -> &StreamConsumer<Context> {
        self.consumer
            .as_ref()
            .expect("a consumer is present between rejoins")
    }

    /// How long the member has waited for an assignment, if that is longer than a join takes.
    fn stranded(&self) -> Option<Duration> {
        self.membership
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .waiting_since
            .map(|since| since.elapsed())
            .filter(|waited| *waited >= self.patience)
    }

    /// Leaves the group (on a plain thread: librdkafka's destroy can block while the broker is
    /// unreachable, rust-rdkafka issue 509) and joins again as a new member.
    async fn rejoin(&mut self) -> Result<()> {
        if let Some(old) = self.consumer.take() {
            detach(old).await;
        }
        self.subscribe()
    }

    /// Waits for a message, then adds whatever else is already fetched (up to `max` in all),
    /// so a burst is handled in one batch. `None` once `shutdown` is cancelled. Consumer errors
    /// are logged and waited out; a member stranded without partitions joins again.
    pub async fn recv_batch(
        &mut self,
        max: usize,
        shutdown: &CancellationToken,
    ) -> Option<Vec<OwnedMessage>> {
        enum Next {
            Stop,
            Message(OwnedMessage),
            Failed(KafkaError),
            Check,
        }
        let first = loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => Next::Stop,
                message = self.consumer().recv() => match message {
                    Ok(message) => Next::Message(message.detach()),
                    Err(e) => Next::Failed(e),
                },
                () = tokio::time::sleep(CHECK_EVERY) => Next::Check,
            };
            match next {
                Next::Stop => return None,
                Next::Message(message) => break message,
                Next::Failed(e) => {
                    warn!(group = self.group, error = %e, "Kafka consumer error.");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Next::Check => {
                    if let Some(idle) = self.stranded() {
                        warn!(
                            group = self.group,
                            idle_secs = idle.as_secs(),
                            "This consumer has waited too long for its group to assign it partitions (the join may wait for members that died); joining again as a new member."
                        );
                        if let Err(e) = self.rejoin().await {
                            warn!(group = self.group, error = %e, "Cannot join the group again yet; retrying.");
                        }
                    }
                }
            }
        };
        let mut batch = vec![first];
        while batch.len() < max {
            match tokio::time::timeout(Duration::from_millis(1), self.consumer().recv()).await {
                Ok(Ok(message)) => batch.push(message.detach()),
                _ => break,
            }
        }
        Some(batch)
    }

    /// Marks `messages` done: their offsets are committed with the next periodic commit.
    pub fn done(&self, messages: &[OwnedMessage]) {
        let mut offsets = TopicPartitionList::new();
        for message in messages {
            let _ = offsets.add_partition_offset(
                message.topic(),
                message.partition(),
                Offset::Offset(message.offset() + 1),
            );
        }
        if let Err(e) = self.consumer().store_offsets(&offsets) {
            warn!(group = self.group, error = %e, "Cannot store consumer offsets (they only save work).");
        }
    }

    /// Leaves the group, waiting at most 5 s for it.
    pub async fn close(mut self) {
        if let Some(consumer) = self.consumer.take() {
            detach(consumer).await;
        }
    }
}

impl Drop for GroupConsumer {
    fn drop(&mut self) {
        if let Some(consumer) = self.consumer.take() {
            std::thread::spawn(move || {
                consumer.unsubscribe();
                drop(consumer);
            });
        }
    }
}

/// Unsubscribes and destroys `consumer` on a plain thread, waiting at most 5 s for it (a
/// process does not wait for a stray thread at exit).
async fn detach(consumer: StreamConsumer<Context>) {
    let (done, finished) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        consumer.unsubscribe();
        drop(consumer);
        let _ = done.send(());
    });
    if tokio::time::timeout(Duration::from_secs(5), finished)
        .await
        .is_err()
    {
        warn!("Kafka consumer did not close within 5 s; leaving it behind.");
    }
}
