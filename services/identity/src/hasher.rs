use std::sync::Arc;

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
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

impl Argon2Hasher {
    /// Whether `password` matches `hash`, computed on the blocking pool like hashing. A hash that
    /// cannot be parsed matches nothing.
    pub async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, HashingError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashingError(e.to_string()))?;
        let (clear, phc) = (password.to_owned(), hash.0.clone());
        tokio::task::spawn_blocking(move || {
            let Ok(parsed) = argon2::password_hash::PasswordHash::new(&phc) else {
                return false;
            };
            Argon2::default()
                .verify_password(clear.as_bytes(), &parsed)
                .is_ok()
        })
        .await
        .map_err(|e| HashingError(e.to_string()))
    }

    /// Spends the time of one verification and answers `false`: logins for unknown addresses
    /// take as long as wrong passwords, so timing does not reveal which addresses exist.
    pub async fn verify_nothing(&self, password: &str) -> Result<bool, HashingError> {
        static DECOY: std::sync::LazyLock<Option<PasswordHash>> = std::sync::LazyLock::new(|| {
            Argon2Hasher::hash_blocking("decoy password for timing").ok()
        });
        let decoy = tokio::task::spawn_blocking(|| DECOY.clone())
            .await
            .map_err(|e| HashingError(e.to_string()))?;
        if let Some(decoy) = decoy {
            let _ = self.verify(password, &decoy).await?;
        }
        Ok(false)
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
        assert!(hasher.verify("correct horse battery", &a).await.unwrap());
        assert!(!hasher.verify("correct horse batterY", &a).await.unwrap());
        assert!(
            !hasher
                .verify("correct horse battery", &PasswordHash("garbage".into()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify_nothing("correct horse battery")
                .await
                .unwrap()
        );
    }
}
