//! `plinth dev` killed with SIGKILL under load, then started again, as an operator would: every
//! acknowledged write must reach every view and the audit trail exactly once, soon after the
//! restart, and the trail must verify.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use plinth_services_identity::{TokenService, TokenSettings};
use plinth_tests::{Broker, DevStack, PASSWORD, eventually};
use tokio::sync::Mutex;
use uuid::Uuid;

/// What the clients were told succeeded.
#[derive(Default)]
struct Acknowledged {
    users: Vec<Uuid>,
    /// Users whose rename to "Renamed <user>" was acknowledged.
    renamed: Vec<Uuid>,
}

/// One client: registers users and renames each, until `stop`. Failures (the process being
/// down) are retried; only answers count.
async fn client(
    http: reqwest::Client,
    gateway: String,
    tokens: Arc<TokenService>,
    n: usize,
    acked: Arc<Mutex<Acknowledged>>,
    registered: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) {
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let email = format!("c{n}-{i}-{}@example.org", Uuid::now_v7().simple());
        let response = http
            .post(format!("{gateway}/v1/auth/register"))
            .json(
                &serde_json::json!({"email": email, "password": PASSWORD, "display_name": "Fresh"}),
            )
            .send()
            .await;
        let Ok(response) = response else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if response.status() != 201 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let Ok(body) = response.json::<serde_json::Value>().await else {
            continue;
        };
        let id = Uuid::parse_str(body["id"].as_str().unwrap()).unwrap();
        acked.lock().await.users.push(id);
        registered.fetch_add(1, Ordering::SeqCst);
        let bearer = tokens.issue(id, "default", Uuid::now_v7()).unwrap().token;
        let renamed = http
            .patch(format!("{gateway}/v1/users/me"))
            .bearer_auth(bearer)
            .json(&serde_json::json!({"display_name": format!("Renamed {id}")}))
            .send()
            .await;
        if renamed.is_ok_and(|r| r.status() == 200) {
            acked.lock().await.renamed.push(id);
        }
    }
}

async fn wait_for_count(count: &AtomicUsize, at_least: usize, timeout: Duration) {
    eventually(
        &format!("{at_least} acknowledged registrations"),
        timeout,
        || async { (count.load(Ordering::SeqCst) >= at_least).then_some(()) },
    )
    .await;
}

/// Waits (at most `within`) until every view of `plinth dev` has applied every stored event of
/// its topics.
async fn views_caught_up(stack: &DevStack, within: Duration) {
    let views: [(&str, &[&str]); 4] = [
        ("users_v1", &["identity.user"]),
        ("sessions_v1", &["identity.session"]),
        ("notification_outbox", &["identity.user"]),
        ("audit_v1", &["audit.trail", "audit.checkpoint"]),
    ];
    let client = stack.pool.get().await.unwrap();
    eventually(
        "every view caught up with the event store",
        within,
        || async {
            for (projection, types) in views {
                let types: Vec<String> = types.iter().map(|t| (*t).to_owned()).collect();
                let behind: i64 = client
                    .query_one(BEHIND, &[&types, &projection])
                    .await
                    .unwrap()
                    .get(0);
                if behind > 0 {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
}

/// Aggregates whose last stored sequence `projection` has not applied (none once it caught up).
const BEHIND: &str = "SELECT count(*) FROM (
        SELECT aggregate_type, aggregate_id, max(sequence) AS sequence FROM events
        WHERE aggregate_type = ANY($1) GROUP BY 1, 2) e
    LEFT JOIN projection_progress p ON p.projection = $2
        AND p.aggregate_type = e.aggregate_type AND p.aggregate_id = e.aggregate_id
    WHERE p.sequence IS DISTINCT FROM e.sequence";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_kill_under_load_every_acknowledged_write_reaches_every_view_and_the_trail_once() {
    // A broker of its own: the shared one carries every other test's topics, and how tansu
    // copes with that is measured elsewhere (docs/local-infrastructure.md).
    let broker = Broker::start();
    let mut stack = DevStack::start(&broker.brokers()).await;
    stack.wait_ready(Duration::from_secs(120)).await;
    let tokens = Arc::new(
        TokenService::start(
            stack.pool.clone(),
            TokenSettings {
                issuer: stack.settings.identity.token_issuer.clone(),
                audience: stack.settings.identity.token_audience.clone(),
                access_ttl: Duration::from_secs(900),
            },
            None,
        )
        .await
        .unwrap(),
    );
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let registered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|n| {
            tokio::spawn(client(
                stack.http.clone(),
                stack.gateway_url.clone(),
                tokens.clone(),
                n,
                acked.clone(),
                registered.clone(),
                stop.clone(),
            ))
        })
        .collect();
    wait_for_count(&registered, 100, Duration::from_secs(180)).await;
    stack.kill();
    stack.restart();
    let at_kill = registered.load(Ordering::SeqCst);
    wait_for_count(&registered, at_kill + 100, Duration::from_secs(240)).await;
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().await;
    println!(
        "{} registrations and {} renames acknowledged, {at_kill} before the kill",
        acked.users.len(),
        acked.renamed.len()
    );

    // Within 30 s of the load stopping, every view has applied every stored event once.
    views_caught_up(&stack, Duration::from_secs(30)).await;
    let client = stack.pool.get().await.unwrap();
    // Every stored domain event is in the trail exactly once (a unique index forbids twice).
    // When it is not, say which are missing and what `plinth status` makes of it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let missing = client
            .query(
                "SELECT e.aggregate_type, e.aggregate_id, e.sequence FROM events e
                 WHERE e.aggregate_type NOT LIKE 'audit.%' AND NOT EXISTS (
                     SELECT 1 FROM events a WHERE a.aggregate_type = 'audit.trail'
                     AND a.payload -> 'RecordAppended' ->> 'source_event_id' = e.event_id::text)
                 ORDER BY e.position LIMIT 20",
                &[],
            )
            .await
            .unwrap();
        if missing.is_empty() {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            let missing: Vec<String> = missing
                .iter()
                .map(|r| {
                    format!(
                        "{} {} #{}",
                        r.get::<_, String>(0),
                        r.get::<_, String>(1),
                        r.get::<_, i64>(2)
                    )
                })
                .collect();
            let (_, out, err) = stack.plinth(&["status"]).await;
            panic!(
                "timed out after 30 s waiting for every domain event in the audit trail; missing (first 20): {}\nplinth status:\n{out}{err}",
                missing.join(", ")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every acknowledged user is in the directory once, with every acknowledged rename.
    for id in &acked.users {
        let row = client
            .query_opt(
                "SELECT display_name FROM users_v1 WHERE user_id = $1",
                &[id],
            )
            .await
            .unwrap();
        let name: String = row.unwrap_or_else(|| panic!("user {id} missing")).get(0);
        if acked.renamed.contains(id) {
            assert_eq!(name, format!("Renamed {id}"), "rename of {id}");
        }
    }
    let (code, out, err) = stack.plinth(&["audit", "verify"]).await;
    assert_eq!(code, 0, "audit verify: {out}{err}");
    let (code, out, err) = stack.plinth(&["status"]).await;
    assert_eq!(code, 0, "nothing stuck: {out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn consumers_that_lost_their_group_sessions_rejoin_and_catch_up() {
    let broker = Broker::start();
    let mut stack = DevStack::start(&broker.brokers()).await;
    stack.wait_ready(Duration::from_secs(120)).await;
    let register = |n: usize| {
        stack
            .registration(
                &format!("u{n}-{}@example.org", Uuid::now_v7().simple()),
                "Someone",
            )
            .send()
    };
    for n in 0..20 {
        assert_eq!(register(n).await.unwrap().status(), 201);
    }
    // Frozen past every consumer's session timeout: the broker drops them from their groups.
    stack.freeze(Duration::from_secs(15)).await;
    for n in 20..40 {
        assert_eq!(register(n).await.unwrap().status(), 201);
    }
    views_caught_up(&stack, Duration::from_secs(45)).await;
    let users = stack.scalar("SELECT count(*) FROM users_v1").await;
    assert_eq!(users, 40);
}

#[tokio::test]
async fn plinth_dev_stops_within_seconds_while_the_broker_is_down() {
    let mut broker = Broker::start();
    let mut stack = DevStack::start(&broker.brokers()).await;
    stack.wait_ready(Duration::from_secs(120)).await;
    broker.stop();
    // Everything that talks to the broker is now retrying: admin calls, producers, consumers.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let took = stack.terminate();
    println!("plinth dev stopped in {took:?} with the broker down");
    assert!(
        took < Duration::from_secs(10),
        "stopping took {took:?}: no component may wait out its broker timeouts"
    );
    // And started while the broker is down, its admin calls still in flight.
    stack.restart();
    stack.wait_live(Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let took = stack.terminate();
    println!("plinth dev, started with the broker down, stopped in {took:?}");
    assert!(took < Duration::from_secs(10), "stopping took {took:?}");
}
