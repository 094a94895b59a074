//! What every Plinth consumer loop needs: batches of whatever is already fetched
//! ([`recv_batch`]), decoding that waits out an unreachable registry
//! ([`AvroCodec::decode_patiently`](crate::AvroCodec::decode_patiently)), and a group consumer
//! that never blocks a runtime thread when it is destroyed ([`OwnedConsumer`]).

use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::BorrowedMessage;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::{AvroCodec, Decoded, Error};

/// Waits for a message, then adds whatever else is already fetched (up to `max` in all), so a
/// burst is handled in one batch. `None` once `shutdown` is cancelled. Consumer errors are
/// logged and waited out.
pub async fn recv_batch<'a>(
    consumer: &'a StreamConsumer,
    max: usize,
    shutdown: &CancellationToken,
) -> Option<Vec<BorrowedMessage<'a>>> {
    let first = loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => return None,
            message = consumer.recv() => message,
        };
        match message {
            Ok(message) => break message,
            Err(e) => {
                warn!(error = %e, "Kafka consumer error.");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let mut batch = vec![first];
    while batch.len() < max {
        match tokio::time::timeout(Duration::from_millis(1), consumer.recv()).await {
            Ok(Ok(message)) => batch.push(message),
            _ => break,
        }
    }
    Some(batch)
}

impl AvroCodec {
    /// Decodes `bytes`, retrying with backoff while the registry cannot be reached: a consumer
    /// stalls rather than skipping an event. `Some(Err(reason))` for bytes that are not
    /// wire-format Avro (retrying will not help); `None` once `shutdown` is cancelled.
    pub async fn decode_patiently(
        &self,
        bytes: &[u8],
        shutdown: &CancellationToken,
    ) -> Option<Result<Decoded, String>> {
        let mut pause = Duration::from_millis(100);
        loop {
            match self.decode(bytes).await {
                Ok(decoded) => return Some(Ok(decoded)),
                Err(Error::NotAvro(reason)) => return Some(Err(reason)),
                Err(e) => {
                    warn!(error = %e, "Cannot decode through the registry; retrying.");
                    tokio::select! {
                        () = shutdown.cancelled() => return None,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

/// Owns a group consumer so that librdkafka's destroy never runs on a runtime thread: it can
/// block forever when a group member leaves while the broker is unreachable (rust-rdkafka issue
/// 509), and a runtime that drops the owning task at shutdown would block with it.
pub struct OwnedConsumer(Option<StreamConsumer>);

impl OwnedConsumer {
    pub fn new(consumer: StreamConsumer) -> Self {
        Self(Some(consumer))
    }

    /// Hands the consumer to a plain thread to unsubscribe and destroy.
    fn destroy_detached(&mut self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        let consumer = self.0.take()?;
        let (done, finished) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            consumer.unsubscribe();
            drop(consumer);
            let _ = done.send(());
        });
        Some(finished)
    }

    /// Leaves the group on a plain thread, waiting at most 5 s for it (a process does not wait
    /// for a stray thread at exit).
    pub async fn close(mut self) {
        if let Some(finished) = self.destroy_detached()
            && tokio::time::timeout(Duration::from_secs(5), finished)
                .await
                .is_err()
        {
            warn!("Kafka consumer did not close within 5 s; leaving it behind.");
        }
    }
}

impl std::ops::Deref for OwnedConsumer {
    type Target = StreamConsumer;

    fn deref(&self) -> &StreamConsumer {
        self.0
            .as_ref()
            .expect("the consumer is present until the owner is dropped")
    }
}

impl Drop for OwnedConsumer {
    fn drop(&mut self) {
        let _ = self.destroy_detached();
    }
}
