//! The `plinth` command's work, as a library so the end-to-end tests start components exactly
//! as operators do. [`Stack`] connects to Postgres, migrates, and runs any set of
//! [`Component`]s until a shutdown signal.

mod audit;
mod modules;
mod probes;
mod scaffold;
mod status;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use plinth_domain_core::{Actor, CommandMetadata, TenantId};
use plinth_domain_identity::{DisplayName, Email, UserId};
use plinth_domain_permissions::Registry;
use plinth_gateway::{AppState, Application, ReadinessProbe};
use plinth_infra_config::Settings;
use plinth_infra_module::{DynProjection, Kernel, Migrations, Module, Route};
use plinth_infra_postgres::{Pool, connect_pool, migrate};
use plinth_projections_runtime::Projector;
use plinth_schemas::Catalog;
use plinth_services_identity::{IdentityService, TokenService, TokenSettings};
use plinth_services_identity_api::Registration;
use plinth_services_notifications::{Sender, SenderSettings};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::info;

pub use audit::{
    Checkpoints, ReplaySummary, Source, parse_schema, parse_time, parse_until, replay_schema_name,
};
pub use modules::{KERNEL_MIGRATIONS, modules, modules_report};
pub use probes::{BrokerProbe, PostgresProbe, RegistryProbe};
pub use scaffold::{Scaffolded, new_module};
pub use status::Status;

/// A part of Plinth that `plinth serve` can run on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Component {
    /// The Confluent-compatible schema registry.
    SchemaRegistry,
    /// The relay from the event store to Kafka.
    Relay,
    /// The projectors of every registered module's read models.
    Projector,
    /// The HTTP gateway, with every registered module's routes (and their services)
    /// in-process.
    Gateway,
    /// The notification sender: mails what the notifications module's outbox queued.
    Notifier,
    /// The audit recorder: every domain event and decision into hash-chained trails, with
    /// signed checkpoints.
    Audit,
    /// A scheduler worker: runs the registered modules' jobs.
    Scheduler,
}

impl Component {
    /// Everything, as `plinth dev` runs it.
    pub fn all() -> [Self; 7] {
        [
            Self::SchemaRegistry,
            Self::Relay,
            Self::Projector,
            Self::Gateway,
            Self::Notifier,
            Self::Audit,
            Self::Scheduler,
        ]
    }
}

/// What `plinth dev` runs: everything, except the embedded schema registry when
/// `schema_registry.url` points somewhere other than where it would listen.
pub fn dev_components(settings: &Settings) -> Vec<Component> {
    let own_url = format!("http://{}", settings.schema_registry.listen);
    let serves_registry = settings.schema_registry.url.trim_end_matches('/') == own_url;
    Component::all()
        .into_iter()
        .filter(|c| *c != Component::SchemaRegistry || serves_registry)
        .collect()
}

/// Who may change the registry this process serves: the configured credentials. Without a
/// password, anyone who reaches it may, so it is served only on a loopback address.
fn registry_writers(
    settings: &plinth_infra_config::SchemaRegistrySettings,
) -> anyhow::Result<Option<plinth_infra_schema_registry::Writers>> {
    match &settings.password {
        Some(password) => Ok(Some(plinth_infra_schema_registry::Writers::new(
            &settings.username,
            password.expose(),
        ))),
        None if settings.listen.ip().is_loopback() => Ok(None),
        None => anyhow::bail!(
            "refusing to serve the schema registry on {} without schema_registry.password: anyone who reaches it could delete the schemas every consumer needs (set PLINTH_SCHEMA_REGISTRY_PASSWORD, or listen on a loopback address)",
            settings.listen
        ),
    }
}

/// Settings plus a connection pool: what every component needs.
#[derive(Clone)]
pub struct Stack {
    pub settings: Settings,
    pub pool: Pool,
    /// The registered modules.
    pub modules: Arc<[Arc<dyn Module>]>,
    /// Every published event type of the registered modules.
    pub catalog: Arc<Catalog>,
    /// The gateway's and the registered modules' permissions and routes.
    pub registry: Arc<Registry>,
    database_url: String,
}

impl Stack {
    /// Validates the database settings and builds the pool (connections open lazily), with
    /// the [`modules`] of this build.
    pub fn connect(settings: Settings) -> anyhow::Result<Self> {
        Self::with_modules(settings, modules())
    }

    /// [`connect`](Self::connect) with another set of modules (a test registering its own).
    pub fn with_modules(settings: Settings, modules: Vec<Arc<dyn Module>>) -> anyhow::Result<Self> {
        let database_url = settings.database_url()?.to_owned();
        let pool = connect_pool(&database_url, settings.database.max_connections as usize)?;
        let catalog = Catalog::new(modules.iter().filter_map(|m| m.events()))
            .context("assembling the registered modules' events")?;
        let mut components = std::collections::HashSet::new();
        for module in &modules {
            let projections = module.projections();
            let tables = module
                .migrations()
                .into_iter()
                .chain(projections.iter().map(|p| p.migrations()));
            for migrations in tables {
                if KERNEL_MIGRATIONS
                    .iter()
                    .any(|k| k.component == migrations.component)
                    || !components.insert(migrations.component)
                {
                    anyhow::bail!(
                        "migration component {} of module {} is taken (each component's migrations are numbered on their own)",
                        migrations.component,
                        module.manifest().name
                    );
                }
            }
        }
        let registry = Registry::new(
            std::iter::once(&plinth_gateway::MANIFEST).chain(modules.iter().map(|m| m.manifest())),
        )
        .context("assembling the registered modules' manifests")?;
        Ok(Self {
            settings,
            pool,
            modules: modules.into(),
            catalog: Arc::new(catalog),
            registry: Arc::new(registry),
            database_url,
        })
    }

    /// Every migration, in the order applied: the kernel's, then each module's own tables
    /// and its projections' tables, in registration order.
    pub fn migrations(&self) -> Vec<Migrations> {
        KERNEL_MIGRATIONS
            .into_iter()
            .chain(self.modules.iter().flat_map(|m| {
                let projections = m.projections().into_iter().map(|p| p.migrations());
                m.migrations().into_iter().chain(projections)
            }))
            .collect()
    }

    /// Every permission the registered modules declare, by name.
    pub fn declared(&self) -> Vec<&'static str> {
        self.registry
            .permissions()
            .map(|p| p.permission.as_str())
            .collect()
    }

    /// Every registered module's projections.
    pub fn projections(&self) -> Vec<Arc<dyn DynProjection>> {
        self.modules.iter().flat_map(|m| m.projections()).collect()
    }

    /// The same connections with other settings (tests learn ports only after binding).
    #[must_use]
    pub fn with_settings(self, settings: Settings) -> Self {
        Self { settings, ..self }
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let mut client = self.pool.get().await.context("connecting to Postgres")?;
        for migrations in &self.migrations() {
            migrate(&mut client, migrations).await?;
        }
        Ok(())
    }

    /// Migrates, then runs `components` until `shutdown` is cancelled or one of them fails.
    pub async fn run(
        &self,
        components: &[Component],
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        self.migrate().await?;
        let mut tasks = JoinSet::new();
        if let Some(listen) = self.settings.telemetry.listen {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding the process listener to {listen}"))?;
            let readiness = self.readiness(shutdown.clone()).await?;
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                axum::serve(listener, plinth_gateway::probes_router(readiness))
                    .with_graceful_shutdown(async move { shutdown.cancelled().await })
                    .await
                    .context("serving /healthz, /readyz and /metrics")
            });
            info!("Probes: http://{listen}/healthz, /readyz, /metrics");
        }
        for component in components {
            self.spawn(*component, &mut tasks, shutdown.clone()).await?;
        }
        self.print_addresses(components);
        let mut outcome = Ok(());
        while let Some(joined) = tasks.join_next().await {
            let result = joined.context("a component panicked").and_then(|r| r);
            if let Err(e) = result {
                outcome = Err(e);
                shutdown.cancel();
            }
        }
        outcome
    }

    async fn spawn(
        &self,
        component: Component,
        tasks: &mut JoinSet<anyhow::Result<()>>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let settings = self.settings.clone();
        match component {
            Component::SchemaRegistry => {
                let listener = tokio::net::TcpListener::bind(settings.schema_registry.listen)
                    .await
                    .with_context(|| {
                        format!(
                            "binding the schema registry to {}",
                            settings.schema_registry.listen
                        )
                    })?;
                let app = plinth_infra_schema_registry::router(
                    plinth_infra_schema_registry::SchemaRegistry::new(self.pool.clone()),
                    registry_writers(&settings.schema_registry)?,
                );
                tasks.spawn(async move {
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async move { shutdown.cancelled().await })
                        .await
                        .context("serving the schema registry")
                });
            }
            Component::Relay => {
                let relay = self.relay()?;
                tasks.spawn(async move { relay.run(shutdown).await.context("running the relay") });
            }
            Component::Projector => {
                for projection in self.projections() {
                    let name = projection.name();
                    let projector =
                        Projector::new(self.pool.clone(), settings.clone(), projection)?;
                    let shutdown = shutdown.clone();
                    tasks.spawn(async move {
                        projector
                            .run(shutdown)
                            .await
                            .with_context(|| format!("running the {name} projector"))
                    });
                }
            }
            Component::Notifier => {
                let sender = self.notification_sender()?;
                tasks.spawn(async move {
                    sender.run(shutdown).await;
                    Ok(())
                });
            }
            Component::Scheduler => {
                let worker = self.scheduler_worker(
                    plinth_services_scheduler::WorkerSettings::from(&settings.scheduler),
                    shutdown.clone(),
                )?;
                tasks.spawn(async move {
                    worker
                        .run(shutdown)
                        .await
                        .context("running the scheduler worker")
                });
            }
            Component::Audit => {
                let recorder = self.audit_recorder()?;
                tasks.spawn(async move {
                    recorder
                        .run(shutdown)
                        .await
                        .context("running the audit recorder")
                });
            }
            Component::Gateway => {
                let (state, routes) = self.gateway_state(shutdown.clone()).await?;
                let app =
                    Application::build(settings.gateway.listen, state, routes, self.serving())
                        .await
                        .with_context(|| {
                            format!("binding the gateway to {}", settings.gateway.listen)
                        })?;
                tasks.spawn(async move {
                    app.run_until_stopped(shutdown)
                        .await
                        .context("serving the gateway")
                });
            }
        }
        Ok(())
    }

    /// What `/readyz` answers from, in the gateway and on `telemetry.listen`: Postgres, the
    /// brokers and the schema registry, checked every `gateway.readiness_refresh_ms` until
    /// `shutdown`.
    async fn readiness(
        &self,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Arc<plinth_gateway::Readiness>> {
        let probes: Vec<Arc<dyn ReadinessProbe>> = vec![
            Arc::new(PostgresProbe(self.pool.clone())),
            Arc::new(BrokerProbe::new(&self.settings.kafka)?),
            Arc::new(RegistryProbe::new(&self.settings.schema_registry.url)?),
        ];
        Ok(plinth_gateway::Readiness::start(
            probes,
            Duration::from_millis(self.settings.gateway.readiness_refresh_ms),
            shutdown,
        )
        .await)
    }

    /// What the kernel hands the modules: the database, the configuration, every module's
    /// permissions, the scheduler to enqueue jobs with, and `shutdown` for what they start.
    pub fn kernel(&self, shutdown: CancellationToken) -> anyhow::Result<Kernel> {
        let events = plinth_infra_event_store::sqlx_pool(&self.database_url, 4)?;
        Ok(Kernel {
            database_url: self.database_url.clone(),
            settings: Arc::new(self.settings.clone()),
            registry: self.registry.clone(),
            scheduler: Arc::new(plinth_services_scheduler::Scheduler::new(events)),
            shutdown,
        })
    }

    /// A scheduler worker with every registered module's jobs. Refuses to start, naming the
    /// module, when a module handles (or schedules) a job kind its manifest does not declare,
    /// or declares one it does not handle.
    pub fn scheduler_worker(
        &self,
        settings: plinth_services_scheduler::WorkerSettings,
        shutdown: CancellationToken,
    ) -> anyhow::Result<plinth_services_scheduler::Worker> {
        let kernel = self.kernel(shutdown)?;
        let mut jobs = Vec::with_capacity(self.modules.len());
        for module in self.modules.iter() {
            let handled = module.jobs(&kernel)?;
            let manifest = module.manifest();
            let declared = |kind: &str| manifest.jobs.iter().any(|j| j.kind == kind);
            let kinds = handled.handlers.iter().map(|(kind, _)| *kind);
            if let Some(kind) = kinds
                .chain(handled.recurring.iter().map(|r| r.kind))
                .find(|kind| !declared(kind))
            {
                anyhow::bail!(
                    "module {} runs jobs of kind {kind}, which its manifest does not declare (add [[jobs]] kind = \"{kind}\" to its module.toml)",
                    manifest.name
                );
            }
            if let Some(job) = manifest
                .jobs
                .iter()
                .find(|j| !handled.handlers.iter().any(|(kind, _)| *kind == j.kind))
            {
                anyhow::bail!(
                    "module {} declares jobs of kind {} but hands the scheduler no handler for them",
                    manifest.name,
                    job.kind
                );
            }
            jobs.push(handled);
        }
        Ok(plinth_services_scheduler::Worker::new(
            self.pool.clone(),
            plinth_infra_event_store::sqlx_pool(&self.database_url, 4)?,
            jobs,
            settings,
        )?)
    }

    /// The relay, publishing the registered modules' events.
    pub fn relay(&self) -> anyhow::Result<plinth_infra_relay::Relay> {
        Ok(plinth_infra_relay::Relay::new(
            &self.database_url,
            self.pool.clone(),
            self.settings.clone(),
            self.catalog.clone(),
        )?)
    }

    /// The audit recorder and its checkpointer, on their own pool of the event store.
    pub fn audit_recorder(&self) -> anyhow::Result<plinth_services_audit::Recorder> {
        let event_pool = plinth_infra_event_store::sqlx_pool(&self.database_url, 4)?;
        let audit = &self.settings.audit;
        let checkpointer = plinth_services_audit::Checkpointer::new(
            event_pool.clone(),
            self.audit_signing_key()?,
            audit.checkpoint_every_records,
            Duration::from_secs(audit.checkpoint_interval_secs),
        );
        Ok(plinth_services_audit::Recorder::new(
            event_pool,
            self.pool.clone(),
            self.settings.clone(),
            Arc::new(checkpointer),
            &self.catalog,
        ))
    }

    /// The notification sender, with the configured mail transport.
    pub fn notification_sender(&self) -> anyhow::Result<Sender> {
        let mail = &self.settings.mail;
        let notifier = plinth_infra_mail::notifier_from_url(mail.url.expose(), &mail.from)
            .context("configuring mail (mail.url, mail.from)")?;
        Ok(Sender::new(
            self.pool.clone(),
            Arc::new(IdentityService::configured(
                &self.settings,
                &self.database_url,
            )?),
            notifier,
            SenderSettings::default(),
        ))
    }

    /// Makes the holder of `email` the tenant's first administrator, registering them with
    /// `password` when the address has no account (`plinth admin bootstrap`). Exactly once
    /// per tenant. Returns the user's id and whether the account was created now.
    pub async fn bootstrap_administrator(
        &self,
        tenant: TenantId,
        email: &str,
        display_name: &str,
        password: &str,
    ) -> anyhow::Result<(UserId, bool)> {
        self.migrate().await?;
        let email = Email::parse(email).context("--email")?;
        let display_name = DisplayName::parse(display_name).context("--display-name")?;
        let password = plinth_services_identity::password_policy(&self.settings.identity)
            .parse(password, Some(&email))
            .context("the administrator's password")?;
        let metadata = CommandMetadata::new(
            tenant,
            Actor::Service("plinth admin bootstrap".into()),
            uuid::Uuid::now_v7(),
        );
        let registration = Registration {
            email,
            display_name,
            password,
        };
        let (user, created) = IdentityService::configured(&self.settings, &self.database_url)?
            .bootstrap_administrator(registration, metadata.clone())
            .await
            .context("bootstrapping the administrator")?;
        let events = plinth_infra_event_store::sqlx_pool(&self.database_url, 2)?;
        plinth_services_authz::AuthzService::new(events)
            .bind_platform_admin(user.0, &metadata)
            .await
            .context("binding the administrator to platform-admin")?;
        Ok((user, created))
    }

    /// The gateway's state and the registered modules' routes: each module's handlers and
    /// resolvers, the authenticator and the authorizer the modules offer (exactly one of each),
    /// read models on this pool, and every probe. What the modules start (the authz view's
    /// feed, the signing keys' watcher) ends with `shutdown`.
    pub async fn gateway_state(
        &self,
        shutdown: CancellationToken,
    ) -> anyhow::Result<(AppState, Vec<Route>)> {
        // What the modules start ends at once if the gateway cannot be assembled.
        let started = shutdown.child_token();
        let assembled = self.assemble_gateway(self.kernel(started.clone())?).await;
        if assembled.is_err() {
            started.cancel();
        }
        assembled
    }

    async fn assemble_gateway(&self, kernel: Kernel) -> anyhow::Result<(AppState, Vec<Route>)> {
        let mut routes = Vec::new();
        let mut documents = Vec::new();
        let mut resources = std::collections::HashMap::new();
        let (mut authenticator, mut authorizer) = (None, None);
        for module in self.modules.iter() {
            let http = module.http(&kernel).await?;
            let name = module.manifest().name;
            routes.extend(http.routes);
            documents.push(http.openapi);
            for (resource_type, resolver) in http.resources {
                if !resource_type
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('.'))
                {
                    anyhow::bail!(
                        "module {name} resolves {resource_type}, which is not one of its resources"
                    );
                }
                if resources.insert(resource_type, resolver).is_some() {
                    anyhow::bail!("two resolvers for the resource type {resource_type}");
                }
            }
            if let Some(offered) = http.authenticator
                && authenticator.replace((name, offered)).is_some()
            {
                anyhow::bail!("module {name} offers a second authenticator");
            }
            if let Some(offered) = http.authorizer
                && authorizer.replace((name, offered)).is_some()
            {
                anyhow::bail!("module {name} offers a second authorizer");
            }
        }
        let (Some((_, authenticator)), Some((_, authorizer))) = (authenticator, authorizer) else {
            anyhow::bail!(
                "the gateway needs one registered module that authenticates (identity) and one that authorizes (authz)"
            );
        };
        let openapi = plinth_gateway::document(&self.registry, documents)?;
        let consistency_wait = Duration::from_millis(self.settings.gateway.consistency_wait_ms);
        let state = AppState {
            openapi: Arc::new(
                openapi
                    .to_json()
                    .context("serialising the OpenAPI document")?,
            ),
            docs: plinth_gateway::docs_page(),
            body_limit: usize::try_from(self.settings.gateway.body_limit_bytes)
                .unwrap_or(usize::MAX),
            cors_origins: self
                .settings
                .gateway
                .cors_origins
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
            limits: plinth_gateway::Limits::start(
                plinth_gateway::RateLimits {
                    credentials_per_minute: self.settings.gateway.rate_credentials_per_minute,
                    requests_per_second: self.settings.gateway.rate_requests_per_second,
                },
                kernel.shutdown.clone(),
            ),
            registry: self.registry.clone(),
            resources: Arc::new(resources),
            authenticator,
            authorizer,
            freshness: Arc::new(plinth_projections_runtime::ReadModels::new(
                self.pool.clone(),
                consistency_wait,
            )),
            readiness: self.readiness(kernel.shutdown.clone()).await?,
            consistency_wait,
            request_timeout: Duration::from_millis(self.settings.gateway.request_timeout_ms),
            base_domain: Some(self.settings.gateway.base_domain.trim_start_matches('.'))
                .filter(|d| !d.is_empty())
                .map(str::to_ascii_lowercase),
        };
        Ok((state, routes))
    }

    /// How the gateway holds its connections, from configuration.
    pub fn serving(&self) -> plinth_gateway::Serving {
        plinth_gateway::Serving {
            max_connections: self.settings.gateway.max_connections as usize,
            header_read_timeout: Duration::from_millis(
                self.settings.gateway.header_read_timeout_ms,
            ),
        }
    }

    /// A token service on the configured signing keys (`plinth keys rotate`, and tests that
    /// mint tokens as the identity module would).
    pub async fn token_service(&self) -> anyhow::Result<TokenService> {
        Ok(TokenService::start(
            self.pool.clone(),
            TokenSettings::from(&self.settings.identity),
            Some(plinth_infra_event_store::sqlx_pool(&self.database_url, 2)?),
        )
        .await?)
    }

    /// Makes a new signing key active (`plinth keys rotate`); returns its key id.
    pub async fn rotate_keys(&self) -> anyhow::Result<String> {
        self.migrate().await?;
        Ok(self.token_service().await?.rotate().await?)
    }

    fn print_addresses(&self, components: &[Component]) {
        let s = &self.settings;
        for component in components {
            match component {
                Component::Gateway => {
                    info!(url = %format!("http://{}", s.gateway.listen), "Gateway ready.");
                    info!(
                        docs = %format!("http://{}/docs", s.gateway.listen),
                        metrics = %format!("http://{}/metrics", s.gateway.listen),
                        "API documentation and metrics."
                    );
                }
                Component::SchemaRegistry => {
                    info!(url = %format!("http://{}", s.schema_registry.listen), "Schema registry ready.");
                }
                Component::Relay => {
                    info!(brokers = %s.kafka.brokers, topic_prefix = %s.kafka.topic_prefix, "Relay started.");
                }
                Component::Projector => info!(brokers = %s.kafka.brokers, "Projectors started."),
                Component::Notifier => info!(from = %s.mail.from, "Notification worker started."),
                Component::Scheduler => info!("Scheduler worker started."),
                Component::Audit => info!(
                    key = %s.audit.signing_key_path,
                    every = s.audit.checkpoint_every_records,
                    "Audit recorder started."
                ),
            }
        }
    }
}

/// A token cancelled on Ctrl-C or SIGTERM.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let terminate = async {
            if let Ok(mut signal) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                signal.recv().await;
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            () = terminate => {}
        }
        info!("Shutting down.");
        trigger.cancel();
    });
    token
}

/// A random password for a bootstrap administrator: 24 characters of base64url (144 bits).
pub fn random_password() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0_u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
