//! Relay failover with real processes: two `plinth serve relay` processes, one leading and one
//! standing by, while events are committed steadily. A leader killed (SIGKILL) is replaced
//! within 5 s; a leader frozen (SIGSTOP: its connection stays open and its kernel still answers
//! keepalives) is replaced once its heartbeat is 5 s overdue, and stands by when it wakes. Every
//! committed event reaches Kafka either way.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use plinth_tests::{PlinthProcess, World, eventually, free_addr, read_topic, seed};
use tokio::task::JoinHandle;
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
        .timeout(Duration::from_secs(2))
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

/// Two relays and a writer committing one event per transaction every 20 ms.
struct Scene {
    world: World,
    http: reqwest::Client,
    addresses: [SocketAddr; 2],
    relays: Vec<PlinthProcess>,
    stop: Arc<AtomicBool>,
    writer: JoinHandle<usize>,
}

impl Scene {
    async fn start() -> Self {
        let world = World::start().await;
        let addresses = [free_addr(), free_addr()];
        let relays = addresses
            .iter()
            .enumerate()
            .map(|(i, at)| {
                world.spawn_serve(
                    "relay",
                    &format!("relay-{i}"),
                    "info,plinth_infra_relay=debug",
                    |s| s.telemetry.listen = Some(*at),
                )
            })
            .collect();
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
        Self {
            world,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            addresses,
            relays,
            stop,
            writer,
        }
    }

    /// Which relay leads, once exactly one does and it has published.
    async fn leader(&self) -> usize {
        let leader = eventually("one relay to lead", Duration::from_secs(60), || async {
            let a = leads(&self.http, self.addresses[0]).await?;
            let b = leads(&self.http, self.addresses[1]).await?;
            match (a, b) {
                (true, false) => Some(0),
                (false, true) => Some(1),
                (true, true) => panic!("both relays lead"),
                (false, false) => None,
            }
        })
        .await;
        eventually("the leader to publish", Duration::from_secs(60), || async {
            (checkpoint(&self.world).await > 0).then_some(())
        })
        .await;
        leader
    }

    /// How long after `since` the relay `standby` reported leading, and the checkpoint moved
    /// past `published`.
    async fn taken_over(
        &self,
        standby: usize,
        since: Instant,
        published: i64,
    ) -> (Duration, Duration) {
        let led = eventually("the standby to lead", Duration::from_secs(30), || async {
            leads(&self.http, self.addresses[standby])
                .await
                .unwrap_or(false)
                .then(|| since.elapsed())
        })
        .await;
        let publishing = eventually(
            "the standby to publish",
            Duration::from_secs(30),
            || async { (checkpoint(&self.world).await > published).then(|| since.elapsed()) },
        )
        .await;
        (led, publishing)
    }

    /// Stops the writer; checks that every committed event was published and reached Kafka.
    async fn nothing_lost(self) {
        self.stop.store(true, Ordering::SeqCst);
        let written = self.writer.await.unwrap();
        let world = &self.world;
        eventually(
            "everything to be published",
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
                (checkpoint(world).await >= stored).then_some(())
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
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_relay_leader_is_replaced_by_its_standby_within_five_seconds_and_nothing_is_lost()
{
    let mut scene = Scene::start().await;
    let leader = scene.leader().await;
    let standby = 1 - leader;

    scene.relays.remove(leader).kill();
    let killed = Instant::now();
    let published_by_the_dead = checkpoint(&scene.world).await;
    let (led, published) = scene
        .taken_over(standby, killed, published_by_the_dead)
        .await;
    println!(
        "relay failover after a kill: the standby led after {led:?} and published after {published:?}"
    );
    assert!(
        published <= Duration::from_secs(5),
        "the standby published {published:?} after the leader's death"
    );
    scene.nothing_lost().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_relay_leader_is_replaced_and_stands_by_when_it_wakes() {
    let scene = Scene::start().await;
    let leader = scene.leader().await;
    let standby = 1 - leader;

    scene.relays[leader].signal("STOP");
    let frozen = Instant::now();
    let published_by_the_frozen = checkpoint(&scene.world).await;
    let (led, published) = scene
        .taken_over(standby, frozen, published_by_the_frozen)
        .await;
    println!(
        "relay failover after a freeze: the standby led after {led:?} and published after {published:?}"
    );
    // 5 s without a heartbeat, then at most a second until a standby looks and another until
    // it takes the freed lock.
    assert!(
        published <= Duration::from_secs(10),
        "the standby published {published:?} after the leader froze"
    );

    // The old leader wakes to a session that was ended: it stands by.
    scene.relays[leader].signal("CONT");
    eventually(
        "the woken relay to stand by",
        Duration::from_secs(30),
        || async {
            (leads(&scene.http, scene.addresses[leader]).await == Some(false)).then_some(())
        },
    )
    .await;
    assert_eq!(
        leads(&scene.http, scene.addresses[standby]).await,
        Some(true),
        "the standby still leads"
    );
    scene.nothing_lost().await;
}
