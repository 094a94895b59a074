use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::{Error, Result};

/// Builds a pool of at most `max_size` connections to `url` (a `postgres://` URL or key=value
/// string). Connections are opened lazily; call `pool.get()` to check reachability.
pub fn connect_pool(url: &str, max_size: usize) -> Result<Pool> {
    let config = tokio_postgres::Config::from_str(url).map_err(Error::InvalidUrl)?;
    let manager = Manager::from_config(
        config,
        NoTls,
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
