use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use plinth_infra_config::Settings;

/// A `plinth serve relay` process; killed (SIGKILL) when dropped.
pub struct RelayProcess {
    child: Child,
    pub log: PathBuf,
}

pub(crate) fn plinth_bin() -> PathBuf {
    std::env::var_os("PLINTH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/plinth"),
        PathBuf::from,
    )
}

impl RelayProcess {
    pub(crate) fn spawn(settings: &Settings, database_url: &str) -> Self {
        let bin = plinth_bin();
        assert!(
            bin.exists(),
            "{} is missing: run the tests with `make test`, which builds it",
            bin.display()
        );
        let log =
            std::env::temp_dir().join(format!("plinth-relay-{}log", settings.kafka.topic_prefix));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(bin)
            .args(["serve", "relay"])
            .env("PLINTH_CONFIG_DIR", "/nonexistent-plinth-config")
            .env("PLINTH_DATABASE_URL", database_url)
            .env("PLINTH_KAFKA_BROKERS", &settings.kafka.brokers)
            .env("PLINTH_KAFKA_TOPIC_PREFIX", &settings.kafka.topic_prefix)
            .env(
                "PLINTH_KAFKA_MESSAGE_TIMEOUT_MS",
                settings.kafka.message_timeout_ms.to_string(),
            )
            .env("PLINTH_SCHEMA_REGISTRY_URL", &settings.schema_registry.url)
            .env(
                "PLINTH_RELAY_BATCH_SIZE",
                settings.relay.batch_size.to_string(),
            )
            .env("RUST_LOG", "info,plinth_infra_relay=debug")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("spawn plinth serve relay");
        Self { child, log }
    }

    /// SIGKILL: no chance to flush or save anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RelayProcess {
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
        };
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
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tansu");
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
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
