//! What every setting is when nothing configures it.

use super::{
    AuditSettings, DatabaseSettings, GatewaySettings, IdentitySettings, KafkaSettings,
    MailSettings, ProjectorSettings, RelaySettings, SchedulerSettings, SchemaRegistrySettings,
    TelemetrySettings,
};
use crate::Secret;

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("mailbox:.plinth/mail".to_owned()),
            from: "Plinth <no-reply@localhost>".into(),
        }
    }
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            checkpoint_every_records: 1000,
            checkpoint_interval_secs: 60,
            signing_key_path: ".plinth/keys/audit-signing.pem".into(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 16,
        }
    }
}

impl Default for KafkaSettings {
    fn default() -> Self {
        Self {
            brokers: "127.0.0.1:9092".into(),
            topic_prefix: "plinth.".into(),
            partitions: 3,
            replication_factor: 1,
            fetch_wait_max_ms: 100,
            session_timeout_ms: 6000,
            max_poll_interval_ms: 30_000,
            message_timeout_ms: 30_000,
            topic_retention_ms: -1,
            security_protocol: "plaintext".into(),
            sasl_mechanism: "SCRAM-SHA-512".into(),
            sasl_username: String::new(),
            sasl_password: None,
            ssl_ca_location: String::new(),
        }
    }
}

impl Default for SchemaRegistrySettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8081".into(),
            listen: ([127, 0, 0, 1], 8081).into(),
            username: "plinth".into(),
            password: None,
        }
    }
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            listen: ([127, 0, 0, 1], 8080).into(),
            url: "http://127.0.0.1:8080".into(),
            request_timeout_ms: 30_000,
            consistency_wait_ms: 5_000,
            denial_window_ms: 10_000,
            base_domain: String::new(),
            readiness_refresh_ms: 2_000,
            body_limit_bytes: 1_048_576,
            cors_origins: String::new(),
            rate_credentials_per_minute: 30,
            rate_requests_per_second: 50,
            max_connections: 1024,
            header_read_timeout_ms: 10_000,
        }
    }
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch_size: 500,
            poll_interval_ms: 500,
        }
    }
}

impl Default for ProjectorSettings {
    fn default() -> Self {
        Self {
            group_prefix: "plinth.projector.".into(),
        }
    }
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            password_hash_concurrency: 2,
            password_hash_queue: 64,
            password_min_length: 12,
            password_max_length: 128,
            token_issuer: "http://127.0.0.1:8080".into(),
            token_audience: "plinth".into(),
            access_token_ttl_secs: 900,
            lockout_max_failures: 5,
            lockout_minutes: 15,
            session_ttl_secs: 12 * 3600,
            session_idle_secs: 30 * 60,
            email_verification_ttl_secs: 24 * 3600,
            password_reset_ttl_secs: 3600,
        }
    }
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            log_filter: "info".into(),
            log_format: "text".into(),
            otlp_endpoint: None,
            service_name: "plinth".into(),
            listen: None,
        }
    }
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            lease_ms: 60_000,
            poll_ms: 500,
            batch: 10,
            backoff_ms: 5_000,
        }
    }
}
