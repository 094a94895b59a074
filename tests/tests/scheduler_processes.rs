//! The scheduler as operators run it: `plinth serve scheduler` processes running the Blog's
//! `blog.publish` jobs (the handler is in the binary, as every registered module's is). A
//! process killed with SIGKILL while one of its jobs is mid-run — held inside the job's command
//! by the post's next event, which the test has inserted and not committed — leaves the job to
//! the others once its lease is up; and two processes share many jobs and run each once.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_infra_event_store::CommandBus;
use plinth_infra_module::NewJob;
use plinth_services_blog::domain::{Post, PostCommand, Tags, Text, Title};
use plinth_services_scheduler::JobsProjection;
use plinth_tests::{World, eventually};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Jobs besides the one whose worker is killed.
const JOBS: usize = 24;

fn metadata() -> CommandMetadata {
    CommandMetadata::new(
        TenantId::default(),
        Actor::Service("scheduler process test".into()),
        Uuid::now_v7(),
    )
}

/// A draft, written straight to the event store.
async fn draft(posts: &CommandBus<Post>) -> Uuid {
    let post_id = Uuid::now_v7();
    let command = PostCommand::Create {
        post_id,
        tenant_id: TenantId::default(),
        author: Uuid::now_v7(),
        title: Title::parse("Later").unwrap(),
        body: Text::parse("Soon.", Text::POST_MAX).unwrap(),
        tags: Tags::parse::<&str>(&[]).unwrap(),
        at: Utc::now(),
    };
    posts
        .execute(&post_id.to_string(), command, &metadata())
        .await
        .unwrap();
    post_id
}

/// Enqueues publishing `post` at `run_at`; the job's id.
async fn publish(world: &World, post: Uuid, run_at: chrono::DateTime<Utc>) -> Uuid {
    let kernel = world.stack().kernel(CancellationToken::new()).unwrap();
    kernel
        .scheduler
        .enqueue(
            NewJob {
                kind: plinth_services_blog::job_kinds::PUBLISH.to_owned(),
                tenant: TenantId::default(),
                payload: serde_json::json!({ "post_id": post }),
                run_at,
                max_attempts: 3,
            },
            &metadata(),
        )
        .await
        .unwrap()
}

async fn scalar(
    world: &World,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> i64 {
    let client = world.pool.get().await.unwrap();
    client.query_one(sql, params).await.unwrap().get(0)
}

#[tokio::test]
async fn scheduler_processes_run_each_job_once_and_take_over_a_killed_ones_jobs() {
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.scheduler.lease_ms = 3_000;
        s.scheduler.poll_ms = 100;
    })
    .await;
    let _relay = world.spawn_relay();
    world.start_projector(Arc::new(JobsProjection));
    let posts: CommandBus<Post> = CommandBus::new(
        plinth_infra_event_store::sqlx_pool(&world.db.url, 2).unwrap(),
        (),
    );

    // The doomed run: once the job is queued (the queue is a read model: the relay must
    // publish it first, and an open transaction would hold the relay back), the post's next
    // event is taken by an open transaction, so publishing it waits inside its command.
    let doomed_post = draft(&posts).await;
    let doomed_job = publish(&world, doomed_post, Utc::now() + Duration::from_secs(10)).await;
    eventually("the doomed job queued", Duration::from_secs(60), || async {
        let client = world.pool.get().await.ok()?;
        let queued: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM scheduler_jobs_v1 WHERE job_id = $1 AND state = 'pending'",
                &[&doomed_job],
            )
            .await
            .ok()?
            .get(0);
        (queued == 1).then_some(())
    })
    .await;
    let blocker = world.pool.get().await.unwrap();
    blocker.batch_execute("BEGIN").await.unwrap();
    blocker
        .execute(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
             SELECT aggregate_type, aggregate_id, sequence + 1, event_type, event_version, payload, metadata
             FROM events WHERE aggregate_type = 'blog.post' AND aggregate_id = $1
             ORDER BY sequence DESC LIMIT 1",
            &[&doomed_post.to_string()],
        )
        .await
        .unwrap();
    let blocker_pid: i32 = blocker
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let doomed = world.spawn_scheduler("scheduler-doomed");
    eventually(
        "the doomed worker's run to wait on the post's next event",
        Duration::from_secs(60),
        || async {
            let client = world.pool.get().await.ok()?;
            let waiting: i64 = client
                .query_one(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                    &[&blocker_pid],
                )
                .await
                .ok()?
                .get(0);
            (waiting > 0).then_some(())
        },
    )
    .await;
    doomed.kill();
    blocker.batch_execute("ROLLBACK").await.unwrap();

    // Two processes take over: the doomed job once its lease is up, and many more besides.
    let _a = world.spawn_scheduler("scheduler-a");
    let _b = world.spawn_scheduler("scheduler-b");
    let mut jobs = vec![doomed_job];
    let mut drafts = vec![doomed_post];
    for _ in 0..JOBS {
        let post = draft(&posts).await;
        drafts.push(post);
        jobs.push(publish(&world, post, Utc::now()).await);
    }
    eventually("every job done", Duration::from_secs(120), || async {
        let client = world.pool.get().await.ok()?;
        let done: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM scheduler_jobs_v1 WHERE job_id = ANY($1) AND state = 'done'",
                &[&jobs],
            )
            .await
            .ok()?
            .get(0);
        (done == jobs.len() as i64).then_some(())
    })
    .await;

    let ids: Vec<String> = jobs.iter().map(Uuid::to_string).collect();
    assert_eq!(
        scalar(
            &world,
            "SELECT COUNT(*) FROM events WHERE aggregate_type = 'scheduler.job' AND aggregate_id = ANY($1) AND event_type = 'JobSucceeded'",
            &[&ids],
        )
        .await,
        jobs.len() as i64,
        "one success recorded per job"
    );
    let posts: Vec<String> = drafts.iter().map(Uuid::to_string).collect();
    assert_eq!(
        scalar(
            &world,
            "SELECT COUNT(*) FROM events WHERE aggregate_type = 'blog.post' AND aggregate_id = ANY($1) AND event_type = 'PostPublished'",
            &[&posts],
        )
        .await,
        posts.len() as i64,
        "each post published once"
    );
    assert_eq!(
        scalar(
            &world,
            "SELECT (payload -> 'JobSucceeded' ->> 'attempt')::bigint FROM events WHERE aggregate_type = 'scheduler.job' AND aggregate_id = $1 AND event_type = 'JobSucceeded'",
            &[&doomed_job.to_string()],
        )
        .await,
        2,
        "the killed worker's job ran again, as its second attempt, after the lease"
    );
}
