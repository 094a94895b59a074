use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

use crate::layers::{apply_env, merge, to_table};
use crate::{Env, Error, Result, Secret};

/// Everything a Plinth process can be configured with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub kafka: KafkaSettings,
    pub schema_registry: SchemaRegistrySettings,
    pub gateway: GatewaySettings,
    pub relay: RelaySettings,
    pub projector: ProjectorSettings,
    pub identity: IdentitySettings,
    pub audit: AuditSettings,
    pub scheduler: SchedulerSettings,
    pub mail: MailSettings,
    pub telemetry: TelemetrySettings,
}

/// Where the notification worker sends mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://user:pass@host:port`, `smtp+starttls://…`, `smtps://…`, or `mailbox:<dir>` (the
    /// development mailbox: one `.eml` file per message). A secret: it may hold a password.
    pub url: Secret<String>,
    /// The sender, as `Name <address>`.
    pub from: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://` URL. No default: `make run` provides one.
    pub url: Option<Secret<String>>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaSettings {
    /// Bootstrap servers, comma separated.
    pub brokers: String,
    /// Prefix of every topic name.
    pub topic_prefix: String,
    /// Partitions of topics Plinth creates.
    pub partitions: i32,
    pub replication_factor: i32,
    /// How long a fetch may wait for data. Kafka answers as soon as data arrives; tansu only
    /// when it expires, so this is also tansu's added latency, and each fetch costs it CPU
    /// (docs/local-infrastructure.md).
    pub fetch_wait_max_ms: u32,
    /// Consumer group session timeout (≤ 6000 keeps group joins quick on tansu).
    pub session_timeout_ms: u32,
    /// How long a consumer may take between polls before it leaves its group; also the
    /// rebalance timeout, so how long a join may wait for members that died.
    pub max_poll_interval_ms: u32,
    /// Producer delivery timeout: how long the relay waits for an acknowledgement.
    pub message_timeout_ms: u32,
    /// `retention.ms` of the topics Plinth creates; -1 (the default): events are kept for ever,
    /// as the authz view and `plinth audit verify --source kafka` read topics from the start.
    pub topic_retention_ms: i64,
    /// How clients talk to the brokers: `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`
    /// (librdkafka's `security.protocol`).
    pub security_protocol: String,
    /// With a `sasl_*` protocol: `SCRAM-SHA-512`, `SCRAM-SHA-256` or `PLAIN`.
    pub sasl_mechanism: String,
    /// With a `sasl_*` protocol: the user Plinth's clients authenticate as.
    pub sasl_username: String,
    /// With a `sasl_*` protocol: that user's password.
    pub sasl_password: Option<Secret<String>>,
    /// With an `ssl` protocol: the CA certificates (a PEM file) the brokers' certificates are
    /// checked against; empty: the system's.
    pub ssl_ca_location: String,
}

impl KafkaSettings {
    /// Whether clients authenticate with SASL.
    pub fn sasl(&self) -> bool {
        self.security_protocol.starts_with("sasl_")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchemaRegistrySettings {
    /// Where clients reach the registry.
    pub url: String,
    /// Where `plinth schema-registry` / `plinth dev` serve it.
    pub listen: SocketAddr,
    /// With `password`, the credentials (HTTP basic) every change to the registry needs:
    /// Plinth's clients send them, and the registry Plinth serves requires them. Reads never
    /// need them.
    pub username: String,
    /// None: anyone may change the registry, which Plinth serves only on a loopback address.
    pub password: Option<Secret<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    pub listen: SocketAddr,
    /// The gateway's public base URL (printed by `make run`; used by clients).
    pub url: String,
    pub request_timeout_ms: u64,
    /// How long a read carrying a consistency token waits for the view before answering 503.
    pub consistency_wait_ms: u64,
    /// Repeated denials of one subject on one route within this window are recorded as one
    /// audit record with their count (the first one is recorded at once).
    pub denial_window_ms: u64,
    /// With `example.com`, a request to `acme.example.com` acts in tenant `acme`. Empty: the
    /// tenant comes from `X-Tenant-Id` or the token only.
    pub base_domain: String,
    /// How often `/readyz`'s checks of the dependencies are refreshed (it answers from the
    /// last ones).
    pub readiness_refresh_ms: u64,
    /// The largest request body read (bytes); a larger one is refused with 413.
    pub body_limit_bytes: u64,
    /// Browser origins allowed to call the API (CORS), comma separated (`https://app.example.com`,
    /// or `*` for any); empty: no cross-origin calls (the default).
    pub cors_origins: String,
    /// Requests to a credential route (sign-in, registration, reset, verification) per client
    /// address, and per account, each minute; 0: unlimited.
    pub rate_credentials_per_minute: u32,
    /// Requests per token, or per client address without one, each second (bursts of twice
    /// as many); 0: unlimited.
    pub rate_requests_per_second: u32,
    /// The most connections held at once; one more is closed as soon as it is accepted.
    pub max_connections: u32,
    /// A client that has not sent a request's headers within this long is disconnected.
    pub header_read_timeout_ms: u64,
}

/// How scheduler workers run jobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerSettings {
    /// How long a claimed job is its worker's: a run must end within it, and a job whose
    /// worker died runs again once it is up.
    pub lease_ms: u64,
    /// How often a worker looks at the queue when there was nothing to do.
    pub poll_ms: u64,
    /// At most this many jobs are claimed at a time.
    pub batch: i64,
    /// The wait before a failed job's second attempt; it doubles with each further one.
    pub backoff_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelaySettings {
    pub batch_size: i64,
    /// Polling fallback when no notification arrives.
    pub poll_interval_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectorSettings {
    /// Consumer group prefix; each projection joins `<group_prefix><projection name>`.
    pub group_prefix: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentitySettings {
    /// How many argon2id hashes may run at once (each takes 19 MiB and a core for ~50 ms).
    pub password_hash_concurrency: usize,
    /// How many may wait for one; past that, a sign-in or registration is refused at once with
    /// 503 and `Retry-After` instead of waiting out the request timeout.
    pub password_hash_queue: usize,
    /// Shortest password accepted (characters).
    pub password_min_length: usize,
    /// Longest password accepted or checked (characters): anything longer is refused before
    /// hashing, at registration, login and password change alike.
    pub password_max_length: usize,
    /// `iss` of the access tokens this deployment signs.
    pub token_issuer: String,
    /// `aud` of the access tokens, required on every token the gateway accepts.
    pub token_audience: String,
    /// Access-token lifetime.
    pub access_token_ttl_secs: u64,
    /// Failed logins in a row that lock an account.
    pub lockout_max_failures: u32,
    /// How long a lockout lasts.
    pub lockout_minutes: u32,
    /// A session's absolute lifetime; its refresh tokens stop working after it.
    pub session_ttl_secs: u64,
    /// A session not refreshed for this long ends (its refresh token stops working).
    pub session_idle_secs: u64,
    /// How long an e-mail verification token works.
    pub email_verification_ttl_secs: u64,
    /// How long a password-reset token works.
    pub password_reset_ttl_secs: u64,
}

/// The audit trail's checkpoints and the key that signs them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// A tenant's trail is checkpointed after this many new records…
    pub checkpoint_every_records: u32,
    /// …or this long after its first record not yet covered by a checkpoint.
    pub checkpoint_interval_secs: u64,
    /// The Ed25519 signing key (PKCS#8 PEM). Created, readable by its owner only, when missing.
    /// Keep it away from the database: whoever holds it can sign a rewritten trail.
    pub signing_key_path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `RUST_LOG`-style filter.
    pub log_filter: String,
    /// `text` or `json`.
    pub log_format: String,
    /// OTLP/HTTP traces endpoint (`http://127.0.0.1:4318/v1/traces`); none = no export.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
    /// Where the process answers `GET /healthz`, `/readyz` and `/metrics` on a listener of
    /// its own (a gateway also answers them on its own address); none = no listener of its own.
    pub listen: Option<SocketAddr>,
}

impl Settings {
    /// Defaults, then every `*.toml` in `config_dir` (if it exists) in name order, then `env`.
    pub fn load(config_dir: &Path, env: &impl Env) -> Result<Self> {
        let mut merged = to_table(&Self::default());
        if config_dir.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(config_dir)
                .map_err(|source| Error::Read {
                    path: config_dir.into(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for path in files {
                let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?;
                let table: Table = text.parse().map_err(|e: toml::de::Error| Error::Parse {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                merge(&mut merged, table);
            }
        }
        apply_env(&mut merged, env)?;
        let settings: Self = serde_path_to_error::deserialize(Value::Table(merged)).map_err(
            |e: serde_path_to_error::Error<toml::de::Error>| {
                Error::Invalid(format!("{}: {}", e.path(), e.inner().message()))
            },
        )?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values that are well-typed but unusable.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.kafka.brokers.trim().is_empty() {
            problems.push("kafka.brokers is empty (PLINTH_KAFKA_BROKERS)".to_owned());
        }
        if self.kafka.partitions < 1 {
            problems.push("kafka.partitions must be at least 1".to_owned());
        }
        if self.kafka.max_poll_interval_ms < self.kafka.session_timeout_ms {
            problems.push(
                "kafka.max_poll_interval_ms must be at least kafka.session_timeout_ms".to_owned(),
            );
        }
        if self.kafka.topic_retention_ms < -1 || self.kafka.topic_retention_ms == 0 {
            problems.push(
                "kafka.topic_retention_ms must be -1 (for ever) or a positive number of milliseconds"
                    .to_owned(),
            );
        }
        if !["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"]
            .contains(&self.kafka.security_protocol.as_str())
        {
            problems.push(format!(
                "kafka.security_protocol must be plaintext, ssl, sasl_plaintext or sasl_ssl, not {:?}",
                self.kafka.security_protocol
            ));
        }
        if self.kafka.sasl() {
            if !["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
                .contains(&self.kafka.sasl_mechanism.as_str())
            {
                problems.push(format!(
                    "kafka.sasl_mechanism must be SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN, not {:?}",
                    self.kafka.sasl_mechanism
                ));
            }
            if self.kafka.sasl_username.is_empty() || self.kafka.sasl_password.is_none() {
                problems.push(format!(
                    "kafka.security_protocol {} needs kafka.sasl_username and kafka.sasl_password (PLINTH_KAFKA_SASL_USERNAME, PLINTH_KAFKA_SASL_PASSWORD)",
                    self.kafka.security_protocol
                ));
            }
        }
        if !(self.schema_registry.url.starts_with("http://")
            || self.schema_registry.url.starts_with("https://"))
        {
            problems.push(format!(
                "schema_registry.url must be an http(s) URL, not {:?}",
                self.schema_registry.url
            ));
        }
        if self.relay.batch_size < 1 {
            problems.push("relay.batch_size must be at least 1".to_owned());
        }
        if !(8..=128).contains(&self.identity.password_min_length) {
            problems.push("identity.password_min_length must be between 8 and 128".to_owned());
        }
        if !(self.identity.password_min_length..=4096).contains(&self.identity.password_max_length)
        {
            problems.push(
                "identity.password_max_length must be between identity.password_min_length and 4096"
                    .to_owned(),
            );
        }
        if !(60..=86_400).contains(&self.identity.access_token_ttl_secs) {
            problems.push("identity.access_token_ttl_secs must be between 60 and 86400".to_owned());
        }
        if self.identity.lockout_max_failures < 1 || self.identity.lockout_minutes < 1 {
            problems.push(
                "identity.lockout_max_failures and identity.lockout_minutes must be at least 1"
                    .to_owned(),
            );
        }
        if self.identity.session_idle_secs <= self.identity.access_token_ttl_secs
            || self.identity.session_ttl_secs < self.identity.session_idle_secs
        {
            problems.push(
                "identity.session_idle_secs must exceed identity.access_token_ttl_secs (clients refresh when their access token expires), and identity.session_ttl_secs must be at least identity.session_idle_secs"
                    .to_owned(),
            );
        }
        if !(60..=7 * 86_400).contains(&self.identity.email_verification_ttl_secs)
            || !(60..=86_400).contains(&self.identity.password_reset_ttl_secs)
        {
            problems.push(
                "identity.email_verification_ttl_secs must be between 60 and 604800 and identity.password_reset_ttl_secs between 60 and 86400".to_owned(),
            );
        }
        if self
            .gateway
            .base_domain
            .trim_start_matches('.')
            .contains(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        {
            problems.push(format!(
                "gateway.base_domain must be a domain name like example.com, not {:?}",
                self.gateway.base_domain
            ));
        }
        if self.audit.checkpoint_every_records < 1
            || !(1..=86_400).contains(&self.audit.checkpoint_interval_secs)
        {
            problems.push(
                "audit.checkpoint_every_records must be at least 1 and audit.checkpoint_interval_secs between 1 and 86400".to_owned(),
            );
        }
        if self.audit.signing_key_path.trim().is_empty() {
            problems
                .push("audit.signing_key_path is empty (PLINTH_AUDIT_SIGNING_KEY_PATH)".to_owned());
        }
        if self.identity.password_hash_concurrency < 1 {
            problems.push("identity.password_hash_concurrency must be at least 1".to_owned());
        }
        if !(100..=3_600_000).contains(&self.gateway.denial_window_ms) {
            problems.push("gateway.denial_window_ms must be between 100 and 3600000".to_owned());
        }
        if !(100..=600_000).contains(&self.gateway.readiness_refresh_ms)
            || !(1_024..=1_073_741_824).contains(&self.gateway.body_limit_bytes)
        {
            problems.push(
                "gateway.readiness_refresh_ms must be between 100 and 600000, gateway.body_limit_bytes between 1024 and 1073741824".to_owned(),
            );
        }
        if let Some(bad) = self
            .gateway
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty() && *o != "*")
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/'))
        {
            problems.push(format!(
                "gateway.cors_origins holds {bad:?}: give origins like https://app.example.com (no path), or *"
            ));
        }
        if !(1..=1_000_000).contains(&self.gateway.max_connections)
            || !(100..=300_000).contains(&self.gateway.header_read_timeout_ms)
        {
            problems.push(
                "gateway.max_connections must be between 1 and 1000000, gateway.header_read_timeout_ms between 100 and 300000".to_owned(),
            );
        }
        if self.gateway.consistency_wait_ms >= self.gateway.request_timeout_ms {
            problems.push(
                "gateway.consistency_wait_ms must be below gateway.request_timeout_ms".to_owned(),
            );
        }
        if !matches!(self.telemetry.log_format.as_str(), "text" | "json") {
            problems.push(format!(
                "telemetry.log_format must be `text` or `json`, not {:?}",
                self.telemetry.log_format
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(problems.join("; ")))
        }
    }

    /// The database URL, or an error naming how to set it.
    pub fn database_url(&self) -> Result<&str> {
        self.database
            .url
            .as_ref()
            .map(|s| s.expose().as_str())
            .ok_or_else(|| Error::Invalid("database.url is not set: set PLINTH_DATABASE_URL or [database] url in config/*.toml".into()))
    }
}

mod defaults;
#[cfg(test)]
mod tests;
