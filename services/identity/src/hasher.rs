use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use plinth_domain_identity::services::{BoxFuture, HashingError, PasswordHasher};
use plinth_domain_identity::{Password, PasswordHash};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), computed on tokio's blocking
/// pool with at most `concurrency` hashes at once, so a registration or login flood queues here
/// instead of stalling the async workers or exhausting memory; and at most `queue` waiting,
/// past which a request is shed at once ([`HashingError::Busy`]: 503 with `Retry-After`)
/// instead of piling up to the request timeout.
#[derive(Clone)]
pub struct Argon2Hasher {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
}

impl Argon2Hasher {
    pub const MEMORY_KIB: u32 = 19 * 1024;
    pub const ITERATIONS: u32 = 2;
    pub const PARALLELISM: u32 = 1;

    pub fn new(concurrency: usize, queue: usize) -> Self {
        metrics::gauge!("plinth_argon2_queue_depth").set(0.0);
        metrics::counter!("plinth_argon2_shed_total").increment(0);
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: Arc::default(),
            queue,
        }
    }

    /// A place to hash in: at once if one is free, else in the queue if it has room. Records
    /// the queue's depth (`plinth_argon2_queue_depth`), each wait
    /// (`plinth_argon2_wait_seconds`) and each request shed (`plinth_argon2_shed_total`).
    async fn slot(&self) -> Result<OwnedSemaphorePermit, HashingError> {
        let started = Instant::now();
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            metrics::histogram!("plinth_argon2_wait_seconds").record(0.0);
            return Ok(permit);
        }
        let queued = Queued::join(&self.waiting, self.queue).inspect_err(|_| {
            metrics::counter!("plinth_argon2_shed_total").increment(1);
        })?;
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| HashingError::Failed(e.to_string()));
        drop(queued);
        metrics::histogram!("plinth_argon2_wait_seconds").record(started.elapsed().as_secs_f64());
        permit
    }

    fn argon2() -> Result<Argon2<'static>, HashingError> {
        let params = Params::new(Self::MEMORY_KIB, Self::ITERATIONS, Self::PARALLELISM, None)
            .map_err(|e| HashingError::Failed(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes on the current thread (for the blocking pool and benchmarks).
    pub fn hash_blocking(password: &str) -> Result<PasswordHash, HashingError> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Self::argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| HashingError::Failed(e.to_string()))?;
        Ok(PasswordHash(hash.to_string()))
    }
}

impl Argon2Hasher {
    /// Whether `password` matches `hash`, computed on the blocking pool like hashing. A hash that
    /// cannot be parsed matches nothing.
    pub async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, HashingError> {
        let _permit = self.slot().await?;
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
        .map_err(|e| HashingError::Failed(e.to_string()))
    }

    /// Spends the time of one verification and answers `false`: logins for unknown addresses
    /// take as long as wrong passwords, so timing does not reveal which addresses exist.
    pub async fn verify_nothing(&self, password: &str) -> Result<bool, HashingError> {
        static DECOY: std::sync::LazyLock<Option<PasswordHash>> = std::sync::LazyLock::new(|| {
            Argon2Hasher::hash_blocking("decoy password for timing").ok()
        });
        let decoy = tokio::task::spawn_blocking(|| DECOY.clone())
            .await
            .map_err(|e| HashingError::Failed(e.to_string()))?;
        if let Some(decoy) = decoy {
            let _ = self.verify(password, &decoy).await?;
        }
        Ok(false)
    }
}

/// One place in the queue, given back when dropped.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    /// Joins the queue counted by `waiting`, unless `limit` wait already.
    fn join(waiting: &'a AtomicUsize, limit: usize) -> Result<Self, HashingError> {
        let ahead = waiting.fetch_add(1, Ordering::SeqCst);
        let place = Self(waiting);
        if ahead >= limit {
            return Err(HashingError::Busy);
        }
        metrics::gauge!("plinth_argon2_queue_depth").set((ahead + 1) as f64);
        Ok(place)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        let left = self.0.fetch_sub(1, Ordering::SeqCst) - 1;
        metrics::gauge!("plinth_argon2_queue_depth").set(left as f64);
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash<'a>(
        &'a self,
        password: &'a Password,
    ) -> BoxFuture<'a, Result<PasswordHash, HashingError>> {
        Box::pin(async move {
            let _permit = self.slot().await?;
            let clear = password.expose().to_owned();
            tokio::task::spawn_blocking(move || Self::hash_blocking(&clear))
                .await
                .map_err(|e| HashingError::Failed(e.to_string()))?
        })
    }
}

#[cfg(test)]
mod tests {
    use plinth_domain_identity::PasswordPolicy;

    use super::*;

    #[tokio::test]
    async fn a_full_queue_sheds_at_once_what_it_cannot_hold() {
        let hasher = Argon2Hasher::new(1, 1);
        let password = PasswordPolicy::default()
            .parse("correct horse battery", None)
            .unwrap();
        let (a, b, c) = tokio::join!(
            hasher.hash(&password),
            hasher.hash(&password),
            hasher.hash(&password)
        );
        let outcomes = [a, b, c];
        let busy = outcomes
            .iter()
            .filter(|o| matches!(o, Err(HashingError::Busy)))
            .count();
        assert_eq!(busy, 1, "one hashes, one waits, one is shed: {outcomes:?}");
        assert_eq!(
            hasher.waiting.load(Ordering::SeqCst),
            0,
            "every place given back"
        );
        assert!(hasher.hash(&password).await.is_ok(), "room again");
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_salted() {
        let hasher = Argon2Hasher::new(1, 4);
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
