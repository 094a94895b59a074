use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use plinth_infra_config::Settings;

/// A `plinth` process (`plinth serve relay`, `plinth dev`) configured for a world; killed
/// (SIGKILL) when dropped. Its output goes to [`PlinthProcess::log`].
pub struct PlinthProcess {
    child: Child,
    pub log: PathBuf,
}

pub(crate) fn plinth_bin() -> PathBuf {
    std::env::var_os("PLINTH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/plinth"),
        PathBuf::from,
    )
}

/// The environment that configures a `plinth` process exactly as `settings` (no config files).
pub(crate) fn settings_env(settings: &Settings, database_url: &str) -> Vec<(&'static str, String)> {
    let telemetry = [
        settings
            .telemetry
            .listen
            .map(|listen| ("PLINTH_TELEMETRY_LISTEN", listen.to_string())),
        settings
            .telemetry
            .otlp_endpoint
            .clone()
            .map(|endpoint| ("PLINTH_TELEMETRY_OTLP_ENDPOINT", endpoint)),
        settings
            .schema_registry
            .password
            .as_ref()
            .map(|password| ("PLINTH_SCHEMA_REGISTRY_PASSWORD", password.expose().clone())),
        settings
            .kafka
            .sasl_password
            .as_ref()
            .map(|password| ("PLINTH_KAFKA_SASL_PASSWORD", password.expose().clone())),
    ];
    let mut env = vec![
        ("PLINTH_CONFIG_DIR", "/nonexistent-plinth-config".into()),
        ("PLINTH_DATABASE_URL", database_url.to_owned()),
        ("PLINTH_KAFKA_BROKERS", settings.kafka.brokers.clone()),
        (
            "PLINTH_KAFKA_SECURITY_PROTOCOL",
            settings.kafka.security_protocol.clone(),
        ),
        (
            "PLINTH_KAFKA_SASL_MECHANISM",
            settings.kafka.sasl_mechanism.clone(),
        ),
        (
            "PLINTH_KAFKA_SASL_USERNAME",
            settings.kafka.sasl_username.clone(),
        ),
        (
            "PLINTH_KAFKA_TOPIC_PREFIX",
            settings.kafka.topic_prefix.clone(),
        ),
        (
            "PLINTH_KAFKA_MESSAGE_TIMEOUT_MS",
            settings.kafka.message_timeout_ms.to_string(),
        ),
        (
            "PLINTH_PROJECTOR_GROUP_PREFIX",
            settings.projector.group_prefix.clone(),
        ),
        (
            "PLINTH_SCHEMA_REGISTRY_URL",
            settings.schema_registry.url.clone(),
        ),
        (
            "PLINTH_SCHEMA_REGISTRY_LISTEN",
            settings.schema_registry.listen.to_string(),
        ),
        ("PLINTH_GATEWAY_LISTEN", settings.gateway.listen.to_string()),
        (
            "PLINTH_GATEWAY_CONSISTENCY_WAIT_MS",
            settings.gateway.consistency_wait_ms.to_string(),
        ),
        (
            "PLINTH_RELAY_BATCH_SIZE",
            settings.relay.batch_size.to_string(),
        ),
        (
            "PLINTH_AUDIT_SIGNING_KEY_PATH",
            settings.audit.signing_key_path.clone(),
        ),
        (
            "PLINTH_AUDIT_CHECKPOINT_EVERY_RECORDS",
            settings.audit.checkpoint_every_records.to_string(),
        ),
        (
            "PLINTH_AUDIT_CHECKPOINT_INTERVAL_SECS",
            settings.audit.checkpoint_interval_secs.to_string(),
        ),
        (
            "PLINTH_GATEWAY_RATE_CREDENTIALS_PER_MINUTE",
            settings.gateway.rate_credentials_per_minute.to_string(),
        ),
        (
            "PLINTH_GATEWAY_RATE_REQUESTS_PER_SECOND",
            settings.gateway.rate_requests_per_second.to_string(),
        ),
        (
            "PLINTH_SCHEDULER_LEASE_MS",
            settings.scheduler.lease_ms.to_string(),
        ),
        (
            "PLINTH_SCHEDULER_POLL_MS",
            settings.scheduler.poll_ms.to_string(),
        ),
        ("PLINTH_MAIL_URL", settings.mail.url.expose().clone()),
        (
            "PLINTH_SCHEMA_REGISTRY_USERNAME",
            settings.schema_registry.username.clone(),
        ),
    ];
    env.extend(telemetry.into_iter().flatten());
    env
}

impl PlinthProcess {
    /// Runs `plinth <args>` configured by `settings`, logging at `log_filter` into a file named
    /// after `name`.
    pub(crate) fn spawn(
        args: &[&str],
        settings: &Settings,
        database_url: &str,
        name: &str,
        log_filter: &str,
    ) -> Self {
        let bin = plinth_bin();
        assert!(
            bin.exists(),
            "{} is missing: run the tests with `make test`, which builds it",
            bin.display()
        );
        let log =
            std::env::temp_dir().join(format!("plinth-{name}-{}log", settings.kafka.topic_prefix));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(bin)
            .args(args)
            .envs(settings_env(settings, database_url))
            .env("RUST_LOG", log_filter)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn plinth {}: {e}", args.join(" ")));
        Self { child, log }
    }

    /// SIGKILL: no chance to flush or save anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the process to exit; returns how long it took.
    pub fn terminate(mut self) -> Duration {
        let started = std::time::Instant::now();
        self.signal("TERM");
        let _ = self.child.wait();
        started.elapsed()
    }

    /// Sends the signal named `name` (`STOP`, `CONT`, …).
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{name} failed");
    }

    /// Whether the process has exited (with its status).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for PlinthProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private tansu broker (for tests that stop and restart it), with its SQLite file in a
/// temporary folder, on a fixed port across restarts.
pub struct Broker {
    child: Option<Child>,
    dir: PathBuf,
    pub port: u16,
    /// Whether clients must authenticate (SASL/SCRAM).
    authentication: bool,
}

impl Broker {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("plinth-broker-{port}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut broker = Self {
            child: None,
            dir,
            port,
            authentication: false,
        };
        broker.restart();
        broker
    }

    /// A broker that admits only `user` with `password` (SASL SCRAM-SHA-512). tansu refuses to
    /// create users once it requires authentication, so the user is created first.
    pub fn start_authenticated(user: &str, password: &str) -> Self {
        let mut broker = Self::start();
        let created = Command::new(crate::env("PLINTH_TANSU_BIN"))
            .args(["user", "create", "--broker"])
            .arg(format!("tcp://127.0.0.1:{}", broker.port))
            .args([user, password])
            .output()
            .expect("run tansu user create");
        assert!(
            created.status.success(),
            "tansu user create: {}",
            String::from_utf8_lossy(&created.stderr)
        );
        broker.authentication = true;
        broker.restart();
        broker
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the broker (SIGKILL).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        let bin = crate::env("PLINTH_TANSU_BIN");
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let child = Command::new(bin)
            .current_dir(&self.dir)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "sqlite://tansu.db",
            ])
            .args(self.authentication.then_some("--authentication"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tansu");
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                // As infra/scripts/lib.sh does for every broker it starts.
                let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../infra/scripts/tansu_index.py");
                let indexed = Command::new("python3")
                    .arg(script)
                    .arg(self.dir.join("tansu.db"))
                    .status()
                    .expect("run python3");
                assert!(indexed.success(), "cannot index the private broker's store");
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the private broker did not open port {}", self.port);
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
