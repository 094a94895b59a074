//! Rate limits at the edge (GCRA, `governor`): a route its manifest marks `credentials`
//! (sign-in, registration, password reset, verification) is limited per client address, and
//! its handler limits it per account through the `Limit` port; every other request is limited
//! per token, or per client address when it sends none. A request over a limit is answered 429
//! with `Retry-After`, before anything else is done for it.

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use http::request::Parts;
use plinth_domain_permissions::RouteInfo;
use plinth_infra_edge::{ApiError, Limit};
use tokio_util::sync::CancellationToken;

use crate::context::bearer;

/// What is limited, and how hard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Credential requests per client address, and per account, each minute (bursts of as
    /// many); `0`: unlimited.
    pub credentials_per_minute: u32,
    /// Requests per token, or per client address without one, each second (bursts of twice as
    /// many); `0`: unlimited.
    pub requests_per_second: u32,
}

type Limiter = DefaultKeyedRateLimiter<String>;

/// The gateway's limiters.
pub struct Limits {
    credentials: Option<Arc<Limiter>>,
    requests: Option<Limiter>,
}

impl Limits {
    /// Limiters for `limits`; what they remember of idle keys is dropped every minute until
    /// `shutdown`.
    pub fn start(limits: RateLimits, shutdown: CancellationToken) -> Arc<Self> {
        let credentials = NonZeroU32::new(limits.credentials_per_minute)
            .map(|n| Arc::new(Limiter::keyed(Quota::per_minute(n))));
        let requests = NonZeroU32::new(limits.requests_per_second).map(|n| {
            let burst = n.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            Limiter::keyed(Quota::per_second(n).allow_burst(burst))
        });
        let this = Arc::new(Self {
            credentials,
            requests,
        });
        let keeper = Arc::clone(&this);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = every.tick() => {
                        if let Some(l) = &keeper.credentials { l.retain_recent(); }
                        if let Some(l) = &keeper.requests { l.retain_recent(); }
                    }
                }
            }
        });
        this
    }

    /// Admits the request `parts` to `route`, or says how long to wait.
    pub(crate) fn admit(&self, parts: &Parts, route: &RouteInfo) -> Result<(), ApiError> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        if route.credentials
            && let Some(limiter) = &self.credentials
        {
            spend(limiter, &format!("address {address}"))?;
        }
        if let Some(limiter) = &self.requests {
            let key = match bearer(parts) {
                Some(token) => {
                    let mut hasher = std::hash::DefaultHasher::new();
                    token.hash(&mut hasher);
                    format!("token {:x}", hasher.finish())
                }
                None => format!("address {address}"),
            };
            spend(limiter, &key)?;
        }
        Ok(())
    }

    /// The per-account limit handlers spend from, if credentials are limited.
    pub(crate) fn accounts(&self) -> Option<Arc<dyn Limit>> {
        self.credentials
            .clone()
            .map(|limiter| Arc::new(Accounts(limiter)) as Arc<dyn Limit>)
    }
}

/// Spends one request of `key` from `limiter`: 429 with how long to wait when none is left.
fn spend(limiter: &Limiter, key: &String) -> Result<(), ApiError> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::TooManyRequests {
            retry_after: wait.as_secs().max(1),
        }
    })
}

/// Credential requests per account (keyed apart from addresses).
struct Accounts(Arc<Limiter>);

impl Limit for Accounts {
    fn admit(&self, key: &str) -> Result<(), ApiError> {
        spend(&self.0, &format!("account {}", key.to_lowercase()))
    }
}
