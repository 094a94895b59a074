//! The scheduler against the real stack: two workers share many jobs and run each once; a job
//! whose worker dies mid-run is run again once its lease is up; a job that keeps failing ends
//! visible as failed after its attempts; a recurring job's occurrences are scheduled once each.
//! The workers are two in-process `Worker`s on their own connection pools, with handlers the
//! test defines; a worker's task is aborted to make it die mid-run.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_infra_module::{JobError, JobHandler, JobRun, Jobs, NewJob, Recurring};
use plinth_services_scheduler::{JobsProjection, Worker, WorkerSettings};
use plinth_tests::{PlinthProcess, World, eventually};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Records each run in `job_runs`, then answers as `outcome` says.
struct Recording {
    pool: plinth_infra_postgres::Pool,
    worker: &'static str,
    outcome: fn(&JobRun) -> Result<(), JobError>,
    /// Sleeps this long before answering (a long run, to die in).
    hang: Option<Duration>,
    started: Option<Arc<tokio::sync::Notify>>,
}

#[async_trait]
impl JobHandler for Recording {
    async fn run(&self, job: &JobRun) -> Result<(), JobError> {
        if let Some(started) = &self.started {
            started.notify_one();
        }
        if let Some(hang) = self.hang {
            tokio::time::sleep(hang).await;
        }
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        client
            .execute(
                "INSERT INTO job_runs (job_id, worker, attempt) VALUES ($1, $2, $3)",
                &[&job.job_id, &self.worker, &job.attempt],
            )
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        (self.outcome)(job)
    }
}

struct Shop {
    world: World,
    _relay: PlinthProcess,
}

impl Shop {
    async fn open() -> Self {
        let world = World::start().await;
        let relay = world.spawn_relay();
        world.start_projector(Arc::new(JobsProjection));
        world
            .pool
            .get()
            .await
            .unwrap()
            .batch_execute("CREATE TABLE job_runs (job_id uuid NOT NULL, worker text NOT NULL, attempt integer NOT NULL)")
            .await
            .unwrap();
        Self {
            world,
            _relay: relay,
        }
    }

    fn handler(
        &self,
        worker: &'static str,
        outcome: fn(&JobRun) -> Result<(), JobError>,
    ) -> Recording {
        Recording {
            pool: self.world.pool.clone(),
            worker,
            outcome,
            hang: None,
            started: None,
        }
    }

    /// A worker running `kind` with `handler` (and `recurring`), until the returned token.
    fn worker(
        &self,
        id: &str,
        kind: &'static str,
        handler: Recording,
        recurring: Vec<Recurring>,
        lease: Duration,
    ) -> (CancellationToken, tokio::task::JoinHandle<()>) {
        let jobs = recurring.into_iter().fold(
            Jobs::default().handler(kind, Arc::new(handler)),
            Jobs::recurring,
        );
        let worker = Worker::new(
            plinth_infra_postgres::connect_pool(&self.world.db.url, 4).unwrap(),
            plinth_infra_event_store::sqlx_pool(&self.world.db.url, 4).unwrap(),
            vec![jobs],
            WorkerSettings {
                id: id.to_owned(),
                lease,
                poll: Duration::from_millis(100),
                batch: 5,
                backoff: Duration::from_millis(200),
            },
        )
        .unwrap();
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                worker.run(stop).await.unwrap();
            }
        });
        (stop, task)
    }

    async fn enqueue(&self, kind: &str, max_attempts: i32) -> Uuid {
        let kernel = self.world.stack().kernel(CancellationToken::new()).unwrap();
        kernel
            .scheduler
            .enqueue(
                NewJob {
                    kind: kind.to_owned(),
                    tenant: TenantId::default(),
                    payload: serde_json::json!({"n": 1}),
                    run_at: Utc::now(),
                    max_attempts,
                },
                &CommandMetadata::new(
                    TenantId::default(),
                    Actor::Service("test".into()),
                    Uuid::now_v7(),
                ),
            )
            .await
            .unwrap()
    }

    async fn scalar(&self, sql: &str) -> i64 {
        let client = self.world.pool.get().await.unwrap();
        client.query_one(sql, &[]).await.unwrap().get(0)
    }

    async fn until(&self, what: &str, sql: &'static str, wanted: i64) {
        eventually(what, Duration::from_secs(90), || async {
            let client = self.world.pool.get().await.ok()?;
            let n: i64 = client.query_one(sql, &[]).await.ok()?.get(0);
            (n == wanted).then_some(())
        })
        .await;
    }
}

#[tokio::test]
async fn two_workers_run_each_of_many_jobs_exactly_once() {
    let shop = Shop::open().await;
    let lease = Duration::from_secs(30);
    let (_a, _) = shop.worker(
        "a",
        "test.count",
        shop.handler("a", |_| Ok(())),
        vec![],
        lease,
    );
    let (_b, _) = shop.worker(
        "b",
        "test.count",
        shop.handler("b", |_| Ok(())),
        vec![],
        lease,
    );
    for _ in 0..40 {
        shop.enqueue("test.count", 3).await;
    }
    shop.until(
        "40 jobs done",
        "SELECT COUNT(*) FROM scheduler_jobs_v1 WHERE state = 'done'",
        40,
    )
    .await;
    assert_eq!(shop.scalar("SELECT COUNT(*) FROM job_runs").await, 40);
    assert_eq!(
        shop.scalar("SELECT COUNT(DISTINCT job_id) FROM job_runs")
            .await,
        40
    );
    assert_eq!(
        shop.world.count_events("JobSucceeded").await,
        40,
        "one success recorded per job"
    );
}

#[tokio::test]
async fn a_job_whose_worker_dies_mid_run_is_run_again_after_its_lease() {
    let shop = Shop::open().await;
    let started = Arc::new(tokio::sync::Notify::new());
    let hanging = Recording {
        hang: Some(Duration::from_secs(600)),
        started: Some(started.clone()),
        ..shop.handler("doomed", |_| Ok(()))
    };
    let lease = Duration::from_secs(2);
    let (_doomed, task) = shop.worker("doomed", "test.slow", hanging, vec![], lease);
    let job = shop.enqueue("test.slow", 3).await;
    tokio::time::timeout(Duration::from_secs(60), started.notified())
        .await
        .expect("the doomed worker starts the job");
    task.abort();
    let (_rescuer, _) = shop.worker(
        "rescuer",
        "test.slow",
        shop.handler("rescuer", |_| Ok(())),
        vec![],
        lease,
    );
    shop.until(
        "the job done by the rescuer",
        "SELECT COUNT(*) FROM scheduler_jobs_v1 WHERE state = 'done'",
        1,
    )
    .await;
    let client = shop.world.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT worker, attempt FROM job_runs WHERE job_id = $1",
            &[&job],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "rescuer");
    assert_eq!(
        row.get::<_, i32>(1),
        2,
        "the second attempt, after the lease ran out"
    );
}

#[tokio::test]
async fn a_job_that_keeps_failing_ends_failed_after_its_attempts() {
    let shop = Shop::open().await;
    let failing = shop.handler("a", |_| Err(JobError::Retry("the shelf is full".into())));
    let (_a, _) = shop.worker("a", "test.fail", failing, vec![], Duration::from_secs(30));
    let job = shop.enqueue("test.fail", 3).await;
    shop.until(
        "the job failed",
        "SELECT COUNT(*) FROM scheduler_jobs_v1 WHERE state = 'failed'",
        1,
    )
    .await;
    let client = shop.world.pool.get().await.unwrap();
    let row = client
        .query_one(
            "SELECT attempts, last_error FROM scheduler_jobs_v1 WHERE job_id = $1",
            &[&job],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 3);
    assert_eq!(row.get::<_, String>(1), "the shelf is full");
    assert_eq!(shop.scalar("SELECT COUNT(*) FROM job_runs").await, 3);
    assert_eq!(shop.world.count_events("JobRetried").await, 2);
    assert_eq!(shop.world.count_events("JobFailed").await, 1);
    // A permanent failure fails at once.
    let doomed = shop.handler("b", |_| Err(JobError::Fail("no such shelf".into())));
    let (_b, _) = shop.worker("b", "test.doomed", doomed, vec![], Duration::from_secs(30));
    shop.enqueue("test.doomed", 5).await;
    shop.until(
        "the doomed job failed",
        "SELECT COUNT(*) FROM scheduler_jobs_v1 WHERE state = 'failed'",
        2,
    )
    .await;
    assert_eq!(
        shop.world.count_events("JobRetried").await,
        2,
        "not retried"
    );
}

#[tokio::test]
async fn a_recurring_job_is_scheduled_once_per_occurrence_by_any_number_of_workers() {
    let shop = Shop::open().await;
    let tick = || Recurring {
        name: "test.tick",
        kind: "test.tick",
        cron: "* * * * * *",
        tenant: TenantId::default(),
        payload: serde_json::json!({}),
    };
    let lease = Duration::from_secs(30);
    let (a, _) = shop.worker(
        "a",
        "test.tick",
        shop.handler("a", |_| Ok(())),
        vec![tick()],
        lease,
    );
    let (b, _) = shop.worker(
        "b",
        "test.tick",
        shop.handler("b", |_| Ok(())),
        vec![tick()],
        lease,
    );
    eventually("three occurrences run", Duration::from_secs(60), || async {
        let client = shop.world.pool.get().await.ok()?;
        let n: i64 = client
            .query_one("SELECT COUNT(*) FROM job_runs", &[])
            .await
            .ok()?
            .get(0);
        (n >= 3).then_some(())
    })
    .await;
    a.cancel();
    b.cancel();
    assert_eq!(
        shop.scalar("SELECT COUNT(*) FROM job_runs").await,
        shop.scalar("SELECT COUNT(DISTINCT job_id) FROM job_runs")
            .await,
        "no occurrence ran twice"
    );
    assert_eq!(
        shop.world.count_events("JobScheduled").await,
        shop.scalar("SELECT COUNT(*) FROM scheduler_jobs_v1").await,
        "one job per occurrence"
    );
}
