use std::sync::Arc;

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, Version};
use plinth_domain_identity::services::{BoxFuture, HashingError, PasswordHasher};
use plinth_domain_identity::{Password, PasswordHash};
use tokio::sync::Semaphore;

/// argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), computed on tokio's blocking
/// pool with at most `concurrency` hashes at once, so a registration or login flood queues here
/// instead of stalling the async workers or exhausting memory.
#[derive(Clone)]
pub struct Argon2Hasher {
    permits: Arc<Semaphore>,
}

impl Argon2Hasher {
    pub const MEMORY_KIB: u32 = 19 * 1024;
    pub const ITERATIONS: u32 = 2;
    pub const PARALLELISM: u32 = 1;

    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    fn argon2() -> Result<Argon2<'static>, HashingError> {
        let params = Params::new(Self::MEMORY_KIB, Self::ITERATIONS, Self::PARALLELISM, None)
            .map_err(|e| HashingError(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes on the current thread (for the blocking pool and benchmarks).
    pub fn hash_blocking(password: &str) -> Result<PasswordHash, HashingError> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Self::argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| HashingError(e.to_string()))?;
        Ok(PasswordHash(hash.to_string()))
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash<'a>(
        &'a self,
        password: &'a Password,
    ) -> BoxFuture<'a, Result<PasswordHash, HashingError>> {
        Box::pin(async move {
            let _permit = self
                .permits
                .acquire()
                .await
                .map_err(|e| HashingError(e.to_string()))?;
            let clear = password.expose().to_owned();
            tokio::task::spawn_blocking(move || Self::hash_blocking(&clear))
                .await
                .map_err(|e| HashingError(e.to_string()))?
        })
    }
}

#[cfg(test)]
mod tests {
    use plinth_domain_identity::PasswordPolicy;

    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_salted() {
        let hasher = Argon2Hasher::new(1);
        let password = PasswordPolicy::default()
            .parse("correct horse battery", None)
            .unwrap();
        let a = hasher.hash(&password).await.unwrap();
        let b = hasher.hash(&password).await.unwrap();
        assert!(
            a.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            a.0
        );
        assert_ne!(a, b, "each hash has its own salt");
        assert!(!a.0.contains("horse"));
    }
}
