//! `make bench`: access-token verify cost; registration throughput through the service next to
//! a raw INSERT of the same shape on the same database; login throughput next to the argon2id
//! verify rate; and commit → Kafka latency at a fixed rate. Prints tables.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_domain_identity::services::{BoxFuture, HashingError, PasswordHasher, SystemClock};
use plinth_domain_identity::{
    DisplayName, Email, Password, PasswordHash, PasswordPolicy, RegisterUser, User, UserCommand,
    UserId, UserServices,
};
use plinth_infra_event_store::{CommandBus, sqlx_pool};
use plinth_infra_kafka::rdkafka::config::ClientConfig;
use plinth_infra_kafka::rdkafka::consumer::{BaseConsumer, Consumer};
use plinth_infra_kafka::rdkafka::{Message, Offset, TopicPartitionList};
use plinth_services_identity::{Argon2Hasher, IdentityService};
use plinth_services_identity_api::{IdentityApi, Registration};
use plinth_tests::{World, seed};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const SECONDS: u64 = 5;

/// Runs `writers` loops for `SECONDS`, each calling `op`; returns operations per second.
async fn throughput<F, Fut>(writers: usize, op: F) -> f64
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let counts = join_all((0..writers).map(|w| {
        let op = op.clone();
        tokio::spawn(async move {
            let mut n = 0_usize;
            while Instant::now() < deadline {
                op(w * 1_000_000 + n).await;
                n += 1;
            }
            n
        })
    }))
    .await;
    counts.into_iter().map(Result::unwrap).sum::<usize>() as f64 / SECONDS as f64
}

struct NoHash;
impl PasswordHasher for NoHash {
    fn hash<'a>(&'a self, _: &'a Password) -> BoxFuture<'a, Result<PasswordHash, HashingError>> {
        Box::pin(async { Ok(PasswordHash("$bench$".into())) })
    }
}

fn registration(i: usize) -> Registration {
    Registration {
        email: Email::parse(&format!("u{i}-{}@example.org", Uuid::now_v7().simple())).unwrap(),
        display_name: DisplayName::parse("Bench").unwrap(),
        password: PasswordPolicy::default()
            .parse("correct horse battery", None)
            .unwrap(),
    }
}

fn metadata() -> CommandMetadata {
    CommandMetadata::new(TenantId::default(), Actor::Anonymous, Uuid::now_v7())
}

/// Logins over HTTP (argon2id verify, `LoginSucceeded` and `SessionStarted` appended, an
/// access token signed) next to the bare argon2id verify rate measured in the same run.
async fn login_throughput(world: &World, hasher: &Argon2Hasher) {
    const USERS: usize = 16;
    for u in 0..USERS {
        let response = world
            .register(&format!("login{u}@example.org"), "Bench")
            .await;
        assert_eq!(response.status(), 201);
    }
    let hash = hasher
        .hash(
            &PasswordPolicy::default()
                .parse(plinth_tests::PASSWORD, None)
                .unwrap(),
        )
        .await
        .unwrap();
    println!("\n## Login throughput ({SECONDS} s per cell, HTTP through the gateway)\n");
    println!("| clients | logins/s | argon2id verifies/s | ratio |");
    println!("|---|---|---|---|");
    for clients in [1, USERS] {
        let (http, url) = (world.http.clone(), world.gateway_url.clone());
        let logins = throughput(clients, move |i| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                // One user per client: attempts on one account serialise by design.
                let email = format!("login{}@example.org", i / 1_000_000);
                let response = http
                    .post(format!("{url}/v1/auth/login"))
                    .json(
                        &serde_json::json!({ "email": email, "password": plinth_tests::PASSWORD }),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
            }
        })
        .await;
        let (h, hash) = (hasher.clone(), hash.clone());
        let verifies = throughput(clients, move |_| {
            let (h, hash) = (h.clone(), hash.clone());
            async move {
                assert!(h.verify(plinth_tests::PASSWORD, &hash).await.unwrap());
            }
        })
        .await;
        println!(
            "| {clients} | {logins:.1} | {verifies:.1} | {:.2} |",
            logins / verifies
        );
    }
}

/// Verify cost per access token for the candidate algorithms, and token sizes.
fn jwt_verify_costs() {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    const ROUNDS: u32 = 2_000;
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "sub": Uuid::now_v7().to_string(), "tenant": "default", "sid": Uuid::now_v7().to_string(),
        "iat": now, "nbf": now, "exp": now + 900, "iss": "https://id.example", "aud": "plinth", "jti": Uuid::now_v7().to_string(),
    });
    let ed = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let ed_der = ed.to_pkcs8_der().unwrap();
    let ec = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let ec_der = ec.to_pkcs8_der().unwrap();
    let ec_public = ec.public_key().to_encoded_point(false);
    let cases = [
        (
            "EdDSA (Ed25519)",
            Algorithm::EdDSA,
            EncodingKey::from_ed_der(ed_der.as_bytes()),
            DecodingKey::from_ed_der(ed.verifying_key().as_bytes()),
        ),
        (
            "ES256 (P-256)",
            Algorithm::ES256,
            EncodingKey::from_ec_der(ec_der.as_bytes()),
            DecodingKey::from_ec_der(ec_public.as_bytes()),
        ),
    ];
    println!("\n## Access-token verification ({ROUNDS} verifications each)\n");
    println!("| algorithm | µs per verify | token bytes |");
    println!("|---|---|---|");
    for (name, algorithm, encoding, decoding) in cases {
        let token = jsonwebtoken::encode(&Header::new(algorithm), &claims, &encoding).unwrap();
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&["https://id.example"]);
        validation.set_audience(&["plinth"]);
        let started = Instant::now();
        for _ in 0..ROUNDS {
            jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap();
        }
        let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS);
        println!("| {name} | {micros:.1} | {} |", token.len());
    }
}

#[tokio::main]
async fn main() {
    jwt_verify_costs();
    let world = World::start().await;
    let url = world.db.url.clone();
    println!("\n## Registration throughput ({SECONDS} s per cell, same database)\n");
    println!(
        "| writers | raw INSERT/s | command bus/s (no hash) | ratio | service/s (argon2id) | ratio | argon2id hashes/s |"
    );
    println!("|---|---|---|---|---|---|---|");
    let service = Arc::new(IdentityService::new(
        sqlx_pool(&url, 20).unwrap(),
        Argon2Hasher::new(2, 1024),
        plinth_domain_identity::LockoutPolicy::default(),
        plinth_services_identity::Lifetimes::default(),
    ));
    let bus = Arc::new(CommandBus::<User>::new(
        sqlx_pool(&url, 20).unwrap(),
        UserServices {
            hasher: Arc::new(NoHash),
            clock: Arc::new(SystemClock),
            lockout: plinth_domain_identity::LockoutPolicy::default(),
        },
    ));
    let hasher = Argon2Hasher::new(2, 1024);
    for writers in [1, 16] {
        let pool = world.pool.clone();
        let raw = throughput(writers, move |_| {
            let pool = pool.clone();
            async move {
                let id = Uuid::now_v7();
                seed::insert(&pool.get().await.unwrap(), id, 1).await;
            }
        })
        .await;
        let b = bus.clone();
        let through_bus = throughput(writers, move |i| {
            let b = b.clone();
            async move {
                let id = UserId::new();
                let r = registration(i);
                let command = UserCommand::Register(RegisterUser {
                    user_id: id,
                    tenant_id: TenantId::default(),
                    email: r.email,
                    display_name: r.display_name,
                    password: r.password,
                    administrator: false,
                });
                b.execute(&id.to_string(), command, &metadata())
                    .await
                    .unwrap();
            }
        })
        .await;
        let s = service.clone();
        let through_service = throughput(writers, move |i| {
            let s = s.clone();
            async move {
                s.register(registration(i), metadata()).await.unwrap();
            }
        })
        .await;
        let h = hasher.clone();
        let hashes = throughput(writers, move |_| {
            let h = h.clone();
            async move {
                h.hash(
                    &PasswordPolicy::default()
                        .parse("correct horse battery", None)
                        .unwrap(),
                )
                .await
                .unwrap();
            }
        })
        .await;
        println!(
            "| {writers} | {raw:.0} | {through_bus:.0} | {:.2} | {through_service:.1} | {:.3} | {hashes:.1} |",
            through_bus / raw,
            through_service / raw
        );
    }

    login_throughput(&world, &hasher).await;

    // A fresh world: the relay must not first work through the backlog written above.
    drop(world);
    let world = World::start().await;
    let url = world.db.url.clone();
    println!("\n## Commit → Kafka latency (relay in-process, plain consumer)\n");
    let relay = plinth_infra_relay::Relay::new(
        &url,
        world.pool.clone(),
        world.settings.clone(),
        world.stack().catalog.clone(),
    )
    .unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(relay.run(stop.clone()));
    let topic = world.topic("identity.user");
    let brokers = world.settings.kafka.brokers.clone();
    println!("| rate (events/s) | events | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    for rate in [20_u64, 100] {
        let events = (rate * SECONDS) as usize;
        let committed: Arc<std::sync::Mutex<HashMap<String, Instant>>> = Arc::default();
        let receiver = {
            let (brokers, topic, committed) = (brokers.clone(), topic.clone(), committed.clone());
            tokio::task::spawn_blocking(move || receive(&brokers, &topic, events, &committed))
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
        for _ in 0..events {
            ticker.tick().await;
            let id = Uuid::now_v7();
            seed::insert(&world.pool.get().await.unwrap(), id, 1).await;
            committed
                .lock()
                .unwrap()
                .insert(id.to_string(), Instant::now());
        }
        let mut latencies = receiver.await.unwrap();
        if latencies.is_empty() {
            println!("| {rate} | 0 | — | — | — |");
            continue;
        }
        latencies.sort_unstable();
        let pick = |q: f64| {
            latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)]
                .as_secs_f64()
                * 1000.0
        };
        println!(
            "| {rate} | {} | {:.1} | {:.1} | {:.1} |",
            latencies.len(),
            pick(0.5),
            pick(0.99),
            pick(1.0)
        );
    }
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Reads until `events` new keys arrived; returns each one's latency after its commit.
fn receive(
    brokers: &str,
    topic: &str,
    events: usize,
    committed: &std::sync::Mutex<HashMap<String, Instant>>,
) -> Vec<Duration> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("bench-{}", Uuid::now_v7()))
        .set("fetch.wait.max.ms", "10")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for partition in 0..3 {
        assignment
            .add_partition_offset(topic, partition, Offset::End)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut latencies = Vec::with_capacity(events);
    let deadline = Instant::now() + Duration::from_secs(SECONDS * 10 + 30);
    while latencies.len() < events && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            let now = Instant::now();
            let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
            if let Some(at) = committed.lock().unwrap().get(&key) {
                latencies.push(now.duration_since(*at));
            }
        }
    }
    latencies
}
