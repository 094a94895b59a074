use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres_rustls::MakeRustlsConnect;
use tracing::warn;

use crate::{Error, Result};

/// How long any of Plinth's connections may sit idle inside a transaction before Postgres ends
/// it. An open writer transaction holds back the relay for everyone (the global order waits
/// for it), so none of Plinth's may linger; none should idle at all.
pub const IDLE_IN_TRANSACTION_TIMEOUT_MS: u32 = 30_000;

/// The server settings every Plinth connection starts with, after the URL's own `options`.
fn session_options(config: &mut tokio_postgres::Config, extra: &str) {
    let mut options = config.get_options().unwrap_or_default().to_owned();
    for option in [
        format!("-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"),
        extra.to_owned(),
    ] {
        if !option.is_empty() {
            if !options.is_empty() {
                options.push(' ');
            }
            options.push_str(&option);
        }
    }
    config.options(options);
}

/// Builds a pool of at most `max_size` connections to `url` (a `postgres://` URL or key=value
/// string). Connections are opened lazily; call `pool.get()` to check reachability. TLS follows
/// the URL's `sslmode` (`disable`, `prefer` — the default — or `require`), verifying the server
/// against the system's root certificates. Every connection ends a transaction left idle for
/// [`IDLE_IN_TRANSACTION_TIMEOUT_MS`].
pub fn connect_pool(url: &str, max_size: usize) -> Result<Pool> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(Error::InvalidUrl)?;
    session_options(&mut config, "");
    pool(config, max_size)
}

fn pool(config: tokio_postgres::Config, max_size: usize) -> Result<Pool> {
    let manager = Manager::from_config(
        config,
        tls(),
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| Error::Pool(deadpool_postgres::CreatePoolError::Build(e)))
}

/// A pool like [`connect_pool`] whose connections read and write `schema` first (their
/// `search_path`): unqualified table names then mean that schema's tables, so the same SQL and
/// migrations build a second copy of a read model (`plinth audit replay`).
pub fn connect_pool_in_schema(url: &str, max_size: usize, schema: &str) -> Result<Pool> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(Error::InvalidUrl)?;
    session_options(&mut config, &format!("-c search_path={schema}"));
    pool(config, max_size)
}

/// The TLS connector for every Postgres connection Plinth opens: rustls with the `ring`
/// provider and the system's root certificates (loaded once).
pub fn tls() -> MakeRustlsConnect {
    static CONFIG: LazyLock<rustls::ClientConfig> = LazyLock::new(|| {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        if !native.errors.is_empty() {
            warn!(
                errors = native.errors.len(),
                "Some system root certificates could not be loaded."
            );
        }
        roots.add_parsable_certificates(native.certs);
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports rustls' default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
    });
    MakeRustlsConnect::new(CONFIG.clone())
}
