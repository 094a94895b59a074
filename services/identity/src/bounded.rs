//! Work done after answering (so that the answer's timing reveals nothing), bounded: at most a
//! fixed number of such tasks run at once, and more are dropped with a warning rather than
//! queued without limit.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;

/// Spawns background tasks, at most `limit` at a time.
#[derive(Debug, Clone)]
pub(crate) struct BoundedTasks {
    permits: Arc<Semaphore>,
}

impl BoundedTasks {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit.max(1))),
        }
    }

    /// Runs `task` in the background, or returns false (running nothing) when `limit` tasks are
    /// running already.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> bool {
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            return false;
        };
        tokio::spawn(async move {
            task.await;
            drop(permit);
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_more_than_the_limit_run_at_once_and_a_finished_task_frees_its_place() {
        let tasks = BoundedTasks::new(2);
        let (release, released) = tokio::sync::watch::channel(false);
        for _ in 0..2 {
            let mut released = released.clone();
            assert!(tasks.spawn(async move {
                let _ = released.wait_for(|r| *r).await;
            }));
        }
        assert!(!tasks.spawn(async {}), "a third one is refused");
        release.send(true).unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while !tasks.spawn(async {}) {
            assert!(tokio::time::Instant::now() < deadline, "places never freed");
            tokio::task::yield_now().await;
        }
    }
}
