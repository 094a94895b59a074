//! The test harness for Plinth's end-to-end scenarios: each [`World`] is a fresh database, its
//! own topic prefix and consumer groups on the shared test broker, the schema registry, the
//! users projector and the gateway in-process, and the relay as a real `plinth serve relay`
//! process that a test may kill. [`DevStack`] runs the whole of `plinth dev` as a process
//! instead, for crash tests. `make test` provides Postgres, the broker and the binary.

mod dev;
mod http;
mod kafka;
mod process;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use plinth_gateway::Application;
use plinth_infra_config::Settings;
use plinth_infra_module::{DynProjection, Module};
use plinth_infra_postgres::Pool;
use plinth_infra_postgres::testing::TestDatabase;
use plinth_projections_runtime::Projector;
use rand::Rng;
use tokio_util::sync::CancellationToken;

pub use dev::DevStack;
pub use kafka::{KafkaRecord, read_topic};
pub use process::{Broker, PlinthProcess};

/// The password [`World::register`] gives every account.
pub const PASSWORD: &str = "correct horse battery";

/// One isolated Plinth for one test.
pub struct World {
    pub db: TestDatabase,
    pub pool: Pool,
    pub settings: Settings,
    pub gateway_url: String,
    pub http: reqwest::Client,
    /// A token service on the world's signing keys, to mint access tokens as the identity
    /// module does (and to rotate keys as another process would).
    pub tokens: Arc<plinth_services_identity::TokenService>,
    /// The development mailbox the notification worker writes to (see
    /// [`World::start_notifications`]).
    pub mailbox: std::path::PathBuf,
    stack: plinth_cli::Stack,
    shutdown: CancellationToken,
}

impl World {
    /// A world on the shared test broker.
    pub async fn start() -> Self {
        Self::start_on(&env("PLINTH_KAFKA_BROKERS")).await
    }

    /// A world whose components use `brokers`.
    pub async fn start_on(brokers: &str) -> Self {
        Self::start_configured(brokers, |_| {}).await
    }

    /// A world on `brokers` whose settings `configure` adjusts first.
    pub async fn start_configured(brokers: &str, configure: impl FnOnce(&mut Settings)) -> Self {
        Self::start_full(brokers, configure, plinth_cli::modules()).await
    }

    /// A world on the shared test broker whose stack registers `modules` instead of the
    /// build's (a test adding a module of its own). Its relay runs in-process
    /// ([`World::start_relay`]): the `plinth` binary knows only the build's modules.
    pub async fn start_with_modules(modules: Vec<Arc<dyn Module>>) -> Self {
        Self::start_full(&env("PLINTH_KAFKA_BROKERS"), |_| {}, modules).await
    }

    async fn start_full(
        brokers: &str,
        configure: impl FnOnce(&mut Settings),
        modules: Vec<Arc<dyn Module>>,
    ) -> Self {
        init_telemetry();
        let db = TestDatabase::create().await;
        let tag: u32 = rand::thread_rng().r#gen();
        let mut settings = Settings::default();
        settings.database.url = Some(plinth_infra_config::Secret::new(db.url.clone()));
        settings.database.max_connections = 10;
        settings.kafka.brokers = brokers.to_owned();
        settings.kafka.topic_prefix = format!("test-{tag:08x}.");
        settings.kafka.message_timeout_ms = 15_000;
        settings.projector.group_prefix = format!("test-{tag:08x}.projector.");
        // Generous: a relay process starting and a consumer group joining take seconds on 2 cores.
        settings.gateway.consistency_wait_ms = 20_000;
        // Scenarios sign many users in from one address; tests/limits.rs turns the limits on.
        settings.gateway.rate_credentials_per_minute = 0;
        settings.gateway.rate_requests_per_second = 0;
        let mailbox = std::env::temp_dir().join(format!("plinth-mail-{tag:08x}"));
        settings.mail.url =
            plinth_infra_config::Secret::new(format!("mailbox:{}", mailbox.display()));
        settings.audit.signing_key_path = std::env::temp_dir()
            .join(format!("plinth-audit-{tag:08x}.pem"))
            .display()
            .to_string();
        configure(&mut settings);
        let stack = plinth_cli::Stack::with_modules(settings.clone(), modules).expect("stack");
        stack.migrate().await.expect("migrations");
        let shutdown = CancellationToken::new();

        let registry = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        settings.schema_registry.url = format!("http://{}", registry.local_addr().unwrap());
        let writers = settings.schema_registry.password.as_ref().map(|password| {
            plinth_infra_schema_registry::Writers::new(
                &settings.schema_registry.username,
                password.expose(),
            )
        });
        let app = plinth_infra_schema_registry::router(
            plinth_infra_schema_registry::SchemaRegistry::new(stack.pool.clone()),
            writers,
        );
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(registry, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });

        let stack = stack.with_settings(settings.clone());
        let (state, routes) = stack.gateway_state(shutdown.clone()).await.unwrap();
        let tokens = Arc::new(stack.token_service().await.unwrap());
        let serving = stack.serving();
        let gateway = Application::build(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            state,
            routes,
            serving,
        )
        .await
        .unwrap();
        let gateway_url = format!("http://127.0.0.1:{}", gateway.port());
        tokio::spawn(gateway.run_until_stopped(shutdown.clone()));

        let world = Self {
            db,
            pool: stack.pool.clone(),
            settings,
            gateway_url,
            // Idle connections are dropped before the gateway's idle limit closes them.
            http: reqwest::Client::builder()
                .no_proxy()
                .pool_idle_timeout(Duration::from_secs(5))
                .build()
                .unwrap(),
            tokens,
            mailbox,
            stack,
            shutdown,
        };
        world.start_projector(Arc::new(plinth_projections_users::UsersProjection));
        world.start_projector(Arc::new(plinth_projections_sessions::SessionsProjection));
        world
    }

    /// Runs the notification worker (outbox projector and sender) in-process, mailing into
    /// [`World::mailbox`].
    pub fn start_notifications(&self) {
        self.start_projector(Arc::new(plinth_services_notifications::OutboxProjection));
        let sender = self.stack.notification_sender().unwrap();
        tokio::spawn(sender.run(self.shutdown.clone()));
    }

    /// Waits for a mail to `to` whose subject contains `subject`, and returns the token in it
    /// (the line after the one announcing it), as a user would copy it from their inbox.
    pub async fn mailed_token(&self, to: &str, subject: &str) -> String {
        let dir = self.mailbox.clone();
        eventually(
            &format!("a mail to {to} about {subject:?}"),
            Duration::from_secs(60),
            || {
                let dir = dir.clone();
                async move {
                    let mails = plinth_infra_mail::read_mailbox(&dir).ok()?;
                    let mail = mails
                        .iter()
                        .rev()
                        .find(|m| m.to == to && m.subject.contains(subject))?;
                    let mut lines = mail.text.lines();
                    lines.find(|l| l.trim_end().ends_with("token:"))?;
                    lines
                        .map(str::trim)
                        .find(|l| !l.is_empty())
                        .map(str::to_owned)
                }
            },
        )
        .await
    }

    /// Makes `email` the default tenant's bootstrap administrator (registering them with
    /// [`PASSWORD`], bound to `platform-admin`), logs in, and waits until the authz view lets
    /// them list users; returns their `Authorization` header value.
    pub async fn bootstrap_admin(&self, email: &str) -> String {
        self.stack
            .bootstrap_administrator(
                plinth_domain_core::TenantId::default(),
                email,
                "Admin",
                PASSWORD,
            )
            .await
            .unwrap();
        let bearer = format!(
            "Bearer {}",
            self.login(email).await["access_token"].as_str().unwrap()
        );
        eventually(
            "the administrator's permissions in the authz view",
            Duration::from_secs(60),
            || async {
                let listing = self
                    .http
                    .get(format!("{}/v1/users", self.gateway_url))
                    .header("Authorization", &bearer)
                    .send()
                    .await
                    .ok()?;
                (listing.status() == 200).then_some(())
            },
        )
        .await;
        bearer
    }

    /// Bootstraps an administrator through the CLI's code path, as `plinth admin bootstrap`.
    pub async fn try_bootstrap_admin(
        &self,
        email: &str,
        password: &str,
    ) -> anyhow::Result<(plinth_domain_identity::UserId, bool)> {
        self.stack
            .bootstrap_administrator(
                plinth_domain_core::TenantId::default(),
                email,
                "Admin",
                password,
            )
            .await
    }

    /// How many mails in the mailbox went to `to`.
    pub fn mails_to(&self, to: &str) -> usize {
        plinth_infra_mail::read_mailbox(&self.mailbox)
            .map_or(0, |mails| mails.iter().filter(|m| m.to == to).count())
    }

    /// An access token for `user_id` of the default tenant, signed by the gateway's key (as if
    /// the user had logged in; the session is one the views have not seen).
    pub fn bearer(&self, user_id: &str) -> String {
        let user = uuid::Uuid::parse_str(user_id).unwrap();
        let issued = self
            .tokens
            .issue(user, "default", uuid::Uuid::now_v7())
            .unwrap();
        format!("Bearer {}", issued.token)
    }

    /// Logs in with the password [`World::register`] uses; returns the token response.
    pub async fn login(&self, email: &str) -> serde_json::Value {
        let response = self
            .http
            .post(format!("{}/v1/auth/login", self.gateway_url))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login of {email}");
        response.json().await.unwrap()
    }

    /// Runs another projection in-process until the world ends.
    pub fn start_projector(&self, projection: Arc<dyn DynProjection>) {
        let projector =
            Projector::new(self.pool.clone(), self.settings.clone(), projection).unwrap();
        tokio::spawn(projector.run(self.shutdown.clone()));
    }

    /// Runs the audit recorder (and its checkpointer) in-process until the returned token is
    /// cancelled or the world ends. The audit read model is started with [`World::start_projector`].
    pub fn start_audit(&self) -> CancellationToken {
        self.start_audit_in(&self.settings.projector.group_prefix)
    }

    /// [`World::start_audit`] with the recorder's consumer group under `group_prefix`: a new
    /// prefix re-reads every topic from the beginning.
    pub fn start_audit_in(&self, group_prefix: &str) -> CancellationToken {
        let stop = self.shutdown.child_token();
        let mut settings = self.settings.clone();
        group_prefix.clone_into(&mut settings.projector.group_prefix);
        let recorder = self
            .stack
            .clone()
            .with_settings(settings)
            .audit_recorder()
            .unwrap();
        tokio::spawn(recorder.run(stop.clone()));
        stop
    }

    /// The components as `plinth` builds them, for this world.
    pub fn stack(&self) -> &plinth_cli::Stack {
        &self.stack
    }

    /// Runs the `plinth` binary with `args` against this world; returns its exit code, standard
    /// output and standard error.
    pub async fn plinth(&self, args: &[&str]) -> (i32, String, String) {
        run_plinth(args, &self.settings, &self.db.url).await
    }

    /// Runs the relay in-process, on this world's catalog, until the world ends.
    pub fn start_relay(&self) {
        let relay = self.stack.relay().unwrap();
        tokio::spawn(relay.run(self.shutdown.clone()));
    }

    /// Starts `plinth serve relay` for this world.
    pub fn spawn_relay(&self) -> PlinthProcess {
        self.spawn_serve("relay", "relay", "info,plinth_infra_relay=debug", |_| {})
    }

    /// Starts `plinth serve scheduler` for this world, logging into a file named after `name`.
    pub fn spawn_scheduler(&self, name: &str) -> PlinthProcess {
        self.spawn_serve(
            "scheduler",
            name,
            "info,plinth_services_scheduler=debug",
            |_| {},
        )
    }

    /// Starts `plinth serve <component>` for this world, with its settings adjusted by
    /// `configure`, logging at `log_filter` into a file named after `name`.
    pub fn spawn_serve(
        &self,
        component: &str,
        name: &str,
        log_filter: &str,
        configure: impl FnOnce(&mut Settings),
    ) -> PlinthProcess {
        let mut settings = self.settings.clone();
        configure(&mut settings);
        PlinthProcess::spawn(
            &["serve", component],
            &settings,
            &self.db.url,
            name,
            log_filter,
        )
    }

    /// The topic of an aggregate type in this world.
    pub fn topic(&self, aggregate_type: &str) -> String {
        plinth_schemas::topic_name(&self.settings.kafka.topic_prefix, aggregate_type)
    }

    /// GETs the user a registration answered with (`{id, consistency_token}`) as that user,
    /// carrying its consistency token.
    pub async fn read_registered(&self, registration: &serde_json::Value) -> reqwest::Response {
        let id = registration["id"].as_str().unwrap();
        self.http
            .get(format!(
                "{}/v1/users/{}",
                self.gateway_url,
                registration["id"].as_str().unwrap()
            ))
            .header(
                "Consistency-Token",
                registration["consistency_token"].as_str().unwrap(),
            )
            .header("Authorization", self.bearer(id))
            .send()
            .await
            .unwrap()
    }

    /// GETs a gateway path and parses the JSON body, whatever the status.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.http
            .get(format!("{}{path}", self.gateway_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Registers `email` (with [`PASSWORD`]) and waits until the directory has the user;
    /// returns the user's id.
    pub async fn registered(&self, email: &str, display_name: &str) -> uuid::Uuid {
        let body: serde_json::Value = self
            .register(email, display_name)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            self.read_registered(&body).await.status(),
            200,
            "{email} in the directory"
        );
        uuid::Uuid::parse_str(body["id"].as_str().unwrap()).unwrap()
    }

    /// How many events of `event_type` the store holds.
    pub async fn count_events(&self, event_type: &str) -> i64 {
        self.pool
            .get()
            .await
            .unwrap()
            .query_one(
                "SELECT COUNT(*) FROM events WHERE event_type = $1",
                &[&event_type],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// POSTs a registration and returns the response.
    pub async fn register(&self, email: &str, display_name: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/auth/register", self.gateway_url))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD, "display_name": display_name }))
            .send()
            .await
            .unwrap()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let _ = std::fs::remove_dir_all(&self.mailbox);
        let _ = std::fs::remove_file(&self.settings.audit.signing_key_path);
    }
}

/// Runs the `plinth` binary with `args`, configured by `settings`, to its end; returns its exit
/// code, standard output and standard error.
pub async fn run_plinth(
    args: &[&str],
    settings: &Settings,
    database_url: &str,
) -> (i32, String, String) {
    let output = tokio::process::Command::new(process::plinth_bin())
        .args(args)
        .envs(process::settings_env(settings, database_url))
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run plinth");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Installs tracing with OpenTelemetry once per test process, so trace context flows as in the
/// binaries (only warnings are printed).
fn init_telemetry() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let settings = plinth_infra_config::TelemetrySettings {
            log_filter: "warn".into(),
            ..Default::default()
        };
        std::mem::forget(plinth_infra_telemetry::init(&settings));
    });
}

/// A local address nothing listens on now, for a process to bind.
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A required environment variable, with a message saying how tests get it.
pub fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the tests with `make test`"))
}

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Appends `UserRegistered` events straight to the event store, as postgres-es would, for
/// scenarios that need many events or control over transactions.
pub mod seed {
    use uuid::Uuid;

    /// The INSERT postgres-es issues; `$1` aggregate id, `$2` sequence, `$3` payload, `$4` metadata.
    pub const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
        VALUES ('identity.user', $1, $2, 'UserRegistered', '1', $3::text::json, $4::text::json)";

    /// Appends `UserRegistered` number `sequence` of user `id` through `client` (a connection
    /// or an open transaction).
    pub async fn insert(
        client: &impl plinth_infra_postgres::GenericClient,
        id: Uuid,
        sequence: i64,
    ) {
        let (payload, metadata) = user_registered(id);
        client
            .execute(INSERT, &[&id.to_string(), &sequence, &payload, &metadata])
            .await
            .unwrap();
    }

    /// A stored `UserRegistered` payload and metadata for `user_id` (as JSON text).
    pub fn user_registered(user_id: Uuid) -> (String, String) {
        let payload = serde_json::json!({ "UserRegistered": {
            "user_id": user_id,
            "tenant_id": "default",
            "email": format!("{}@example.org", user_id.simple()),
            "display_name": "Seeded",
            "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            "registered_at": "2026-11-24T12:00:00Z",
        }});
        let metadata = serde_json::json!({
            "tenant_id": "default",
            "actor": "service:seed",
            "correlation_id": Uuid::now_v7(),
            "causation_id": Uuid::now_v7(),
        });
        (payload.to_string(), metadata.to_string())
    }
}
