//! Relay failover with real processes: two `plinth serve relay` processes, one leading and one
//! standing by. Killing the leader (SIGKILL) while events are committed steadily hands the lead
//! to the standby within 5 s, and every committed event still reaches Kafka.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use plinth_tests::{World, eventually, free_addr, read_topic, seed};
use uuid::Uuid;

/// How far the relays' checkpoint has published.
async fn checkpoint(world: &World) -> i64 {
    world
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT COALESCE(MAX(position), 0) FROM relay_checkpoints",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// The `plinth_relay_leader` gauge the relay listening on `at` reports, if it answers.
async fn leads(http: &reqwest::Client, at: SocketAddr) -> Option<bool> {
    let text = http
        .get(format!("http://{at}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix("plinth_relay_leader "))?;
    Some(value.trim() == "1")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_relay_leader_is_replaced_by_its_standby_within_five_seconds_and_nothing_is_lost()
{
    let world = World::start().await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let addresses = [free_addr(), free_addr()];
    let mut relays: Vec<Option<_>> = addresses
        .iter()
        .enumerate()
        .map(|(i, at)| {
            Some(world.spawn_serve(
                "relay",
                &format!("relay-{i}"),
                "info,plinth_infra_relay=debug",
                |s| s.telemetry.listen = Some(*at),
            ))
        })
        .collect();

    // Commits, one event per transaction, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (pool, stop) = (world.pool.clone(), stop.clone());
        tokio::spawn(async move {
            let client = pool.get().await.unwrap();
            let insert = client.prepare(seed::INSERT).await.unwrap();
            let mut written = 0_usize;
            while !stop.load(Ordering::SeqCst) {
                let id = Uuid::now_v7();
                let (payload, metadata) = seed::user_registered(id);
                client
                    .execute(&insert, &[&id.to_string(), &1_i64, &payload, &metadata])
                    .await
                    .unwrap();
                written += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            written
        })
    };

    // Exactly one leads, and publishes.
    let leader = eventually("one relay to lead", Duration::from_secs(60), || async {
        let a = leads(&http, addresses[0]).await?;
        let b = leads(&http, addresses[1]).await?;
        match (a, b) {
            (true, false) => Some(0),
            (false, true) => Some(1),
            (true, true) => panic!("both relays lead"),
            (false, false) => None,
        }
    })
    .await;
    let standby = 1 - leader;
    eventually("the leader to publish", Duration::from_secs(60), || async {
        (checkpoint(&world).await > 0).then_some(())
    })
    .await;

    relays[leader].take().unwrap().kill();
    let killed = Instant::now();
    let published_by_the_dead = checkpoint(&world).await;
    let took_lead = eventually(
        "the standby to take the lead",
        Duration::from_secs(30),
        || async {
            leads(&http, addresses[standby])
                .await
                .unwrap_or(false)
                .then(|| killed.elapsed())
        },
    )
    .await;
    let published = eventually(
        "the standby to publish",
        Duration::from_secs(30),
        || async { (checkpoint(&world).await > published_by_the_dead).then(|| killed.elapsed()) },
    )
    .await;
    println!(
        "relay failover: the standby led after {took_lead:?} and published after {published:?}"
    );
    assert!(
        published <= Duration::from_secs(5),
        "the standby published {published:?} after the leader's death"
    );

    // Every committed event, before, during and after the failover, reached Kafka.
    stop.store(true, Ordering::SeqCst);
    let written = writer.await.unwrap();
    eventually(
        "the standby to publish everything",
        Duration::from_secs(60),
        || async {
            let stored: i64 = world
                .pool
                .get()
                .await
                .unwrap()
                .query_one("SELECT MAX(position) FROM events", &[])
                .await
                .unwrap()
                .get(0);
            (checkpoint(&world).await >= stored).then_some(())
        },
    )
    .await;
    let records = read_topic(
        &world.settings.kafka.brokers,
        &world.topic("identity.user"),
        world.settings.kafka.partitions,
        written,
        Duration::from_secs(60),
    )
    .await;
    let published: HashSet<&str> = records
        .iter()
        .map(|r| r.headers["event_id"].as_str())
        .collect();
    assert_eq!(
        published.len(),
        written,
        "every committed event reached Kafka"
    );
    assert!(relays[standby].is_some(), "the standby is still running");
}
