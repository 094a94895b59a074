//! [`DevStack`]: a whole Plinth as operators run it, `plinth dev` as a real process on its own
//! database, topics, consumer groups and ports, which a test may kill (SIGKILL) and restart.

use std::time::Duration;

use plinth_infra_config::Settings;
use plinth_infra_postgres::Pool;
use plinth_infra_postgres::testing::TestDatabase;
use rand::Rng;

use crate::free_addr;
use crate::process::PlinthProcess;

/// `plinth dev` for one test.
pub struct DevStack {
    pub db: TestDatabase,
    pub pool: Pool,
    pub settings: Settings,
    pub gateway_url: String,
    pub http: reqwest::Client,
    process: Option<PlinthProcess>,
    mailbox: std::path::PathBuf,
}

impl DevStack {
    /// A fresh database and names, and `plinth dev` started on them against `brokers` (not
    /// waited for: see [`DevStack::wait_ready`]).
    pub async fn start(brokers: &str) -> Self {
        Self::start_configured(brokers, |_| {}).await
    }

    /// [`DevStack::start`] with the settings adjusted by `configure` first.
    pub async fn start_configured(brokers: &str, configure: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDatabase::create().await;
        let tag: u32 = rand::thread_rng().r#gen();
        let mut settings = Settings::default();
        settings.database.url = Some(plinth_infra_config::Secret::new(db.url.clone()));
        brokers.clone_into(&mut settings.kafka.brokers);
        settings.kafka.topic_prefix = format!("test-{tag:08x}.");
        settings.projector.group_prefix = format!("test-{tag:08x}.projector.");
        settings.schema_registry.listen = free_addr();
        settings.schema_registry.url = format!("http://{}", settings.schema_registry.listen);
        settings.gateway.listen = free_addr();
        // A load of sign-ins from one address: the limits are tests/limits.rs's subject.
        settings.gateway.rate_credentials_per_minute = 0;
        settings.gateway.rate_requests_per_second = 0;
        let mailbox = std::env::temp_dir().join(format!("plinth-mail-{tag:08x}"));
        settings.mail.url =
            plinth_infra_config::Secret::new(format!("mailbox:{}", mailbox.display()));
        settings.audit.signing_key_path = std::env::temp_dir()
            .join(format!("plinth-audit-{tag:08x}.pem"))
            .display()
            .to_string();
        settings.audit.checkpoint_every_records = 100;
        settings.audit.checkpoint_interval_secs = 1;
        configure(&mut settings);
        let pool = plinth_infra_postgres::connect_pool(&db.url, 4).unwrap();
        let mut stack = Self {
            gateway_url: format!("http://{}", settings.gateway.listen),
            db,
            pool,
            settings,
            http: reqwest::Client::builder()
                .no_proxy()
                // Below the gateway's idle limit (`gateway.header_read_timeout_ms`), as any client
                // should be: a connection the gateway closed is never reused (after a freeze too).
                .pool_idle_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            process: None,
            mailbox,
        };
        stack.restart();
        stack
    }

    /// Starts `plinth dev` (again, after [`DevStack::kill`]), on the same data.
    pub fn restart(&mut self) {
        assert!(self.process.is_none(), "plinth dev is already running");
        self.process = Some(PlinthProcess::spawn(
            &["dev"],
            &self.settings,
            &self.db.url,
            "dev",
            "info,plinth_infra_relay=debug",
        ));
    }

    /// SIGKILL: no shutdown, nothing flushed.
    pub fn kill(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
    }

    /// Freezes the process (SIGSTOP) for `pause`, then lets it go on (SIGCONT): its consumer
    /// group sessions run out meanwhile, as under a broker too busy to answer heartbeats.
    pub async fn freeze(&self, pause: Duration) {
        let process = self.process.as_ref().expect("plinth dev is running");
        process.signal("STOP");
        tokio::time::sleep(pause).await;
        process.signal("CONT");
    }

    /// Where `plinth dev` writes its log.
    pub fn log(&self) -> Option<&std::path::Path> {
        self.process.as_ref().map(|p| p.log.as_path())
    }

    /// Waits until `/readyz` answers 200, for at most `timeout`.
    pub async fn wait_ready(&mut self, timeout: Duration) {
        self.wait_for("/readyz", timeout).await;
    }

    /// Waits until `/healthz` answers 200 (the gateway serves, whatever else is down).
    pub async fn wait_live(&mut self, timeout: Duration) {
        self.wait_for("/healthz", timeout).await;
    }

    /// SIGTERM: returns how long `plinth dev` took to stop.
    pub fn terminate(&mut self) -> Duration {
        self.process
            .take()
            .expect("plinth dev is running")
            .terminate()
    }

    async fn wait_for(&mut self, path: &str, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.process.as_mut().and_then(PlinthProcess::exited) {
                panic!("plinth dev exited ({status}); see {:?}", self.log());
            }
            let ready = self
                .http
                .get(format!("{}{path}", self.gateway_url))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "plinth dev did not answer {path} within {timeout:?}; see {:?}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A registration of `email` with [`crate::PASSWORD`], ready to send (or to add headers to).
    pub fn registration(&self, email: &str, display_name: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/v1/auth/register", self.gateway_url))
            .json(&serde_json::json!({
                "email": email,
                "password": crate::PASSWORD,
                "display_name": display_name,
            }))
    }

    /// Runs `plinth <args>` against this stack to its end.
    pub async fn plinth(&self, args: &[&str]) -> (i32, String, String) {
        crate::run_plinth(args, &self.settings, &self.db.url).await
    }

    /// The single number a query answers.
    pub async fn scalar(&self, sql: &str) -> i64 {
        self.pool
            .get()
            .await
            .unwrap()
            .query_one(sql, &[])
            .await
            .unwrap()
            .get(0)
    }
}

impl Drop for DevStack {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.mailbox);
        let _ = std::fs::remove_file(&self.settings.audit.signing_key_path);
    }
}
