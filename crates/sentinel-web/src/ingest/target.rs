//! Who an ingest request is for: DSN key → organization and service, with their settings.
//!
//! This lookup runs on every ingest request, so answers are cached for a few seconds. That
//! bounds how long a revoked key or a changed service setting (class filter, minimum
//! occurrences) takes to apply — without a restart — while keeping the database out of the
//! hot path. Unknown keys are cached too, so a flood of bad keys does not reach the database.
//! Per-key rate limits are token buckets kept here as well. OTLP exports name their service
//! (`service.name`); those names are resolved within the key's organization and cached the
//! same way.

use sentinel_core::clock::{Millis, SharedClock};
use sentinel_core::id::{OrgId, ServiceKeyId};
use sentinel_core::rate::{Admission, TokenBucket};
use sentinel_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a resolved key stays cached.
const CACHE_TTL_MS: Millis = 5_000;
/// Entries kept before the cache is swept.
const CACHE_MAX_ENTRIES: usize = 10_000;

pub use sentinel_core::ingest::ServiceTarget;

/// Everything ingest needs to know about the DSN key a request came with.
#[derive(Debug, Clone)]
pub struct IngestTarget {
    pub key_id: ServiceKeyId,
    pub public_key: String,
    pub revoked: bool,
    pub rate_limit_per_minute: Option<i64>,
    pub service: ServiceTarget,
}

/// A cached answer: when it was fetched, and the target (`None`: no such key).
type CachedTarget = (Millis, Option<Arc<IngestTarget>>);
/// A cached service of an organization by name (`None`: no such service).
type CachedService = (Millis, Option<Arc<ServiceTarget>>);

/// Resolves keys with a short-lived cache and applies per-key rate limits.
pub struct TargetResolver {
    store: Store,
    clock: SharedClock,
    cache: Mutex<HashMap<String, CachedTarget>>,
    services: Mutex<HashMap<(OrgId, String), CachedService>>,
    buckets: Mutex<HashMap<String, TokenBucket>>,
}

impl TargetResolver {
    pub fn new(store: Store, clock: SharedClock) -> Self {
        Self {
            store,
            clock,
            cache: Mutex::new(HashMap::new()),
            services: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The target of a public key, or `None` when no such key exists.
    pub async fn resolve(&self, public_key: &str) -> Result<Option<Arc<IngestTarget>>, StoreError> {
        let now = self.clock.now_ms();
        if let Some(hit) = self.cached(public_key, now) {
            return Ok(hit);
        }
        let found = self.load(public_key).await?.map(Arc::new);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX_ENTRIES {
                cache.retain(|_, (at, _)| now - *at < CACHE_TTL_MS);
            }
            cache.insert(public_key.to_string(), (now, found.clone()));
        }
        Ok(found)
    }

    fn cached(&self, public_key: &str, now: Millis) -> Option<Option<Arc<IngestTarget>>> {
        let cache = self.cache.lock().ok()?;
        let (at, target) = cache.get(public_key)?;
        (now - at < CACHE_TTL_MS).then(|| target.clone())
    }

    async fn load(&self, public_key: &str) -> Result<Option<IngestTarget>, StoreError> {
        let Some(key) = self.store.find_service_key(public_key).await? else {
            return Ok(None);
        };
        let Some(service) = self.store.get_service(&key.org_id, &key.service_id).await? else {
            return Ok(None);
        };
        Ok(Some(IngestTarget {
            key_id: key.id,
            public_key: public_key.to_string(),
            revoked: key.revoked,
            rate_limit_per_minute: key.rate_limit_per_minute,
            service: ServiceTarget::from(service),
        }))
    }

    /// The service named `name` in `org`, or `None` when it has none of that name.
    pub async fn resolve_service(
        &self,
        org: &OrgId,
        name: &str,
    ) -> Result<Option<Arc<ServiceTarget>>, StoreError> {
        let now = self.clock.now_ms();
        let key = (org.clone(), name.to_string());
        let hit = self.services.lock().ok().and_then(|cache| {
            let (at, service) = cache.get(&key)?;
            (now - at < CACHE_TTL_MS).then(|| service.clone())
        });
        if let Some(hit) = hit {
            return Ok(hit);
        }
        let found = self
            .store
            .find_service_by_name(org, name)
            .await?
            .map(|service| Arc::new(ServiceTarget::from(service)));
        if let Ok(mut cache) = self.services.lock() {
            if cache.len() >= CACHE_MAX_ENTRIES {
                cache.retain(|_, (at, _)| now - *at < CACHE_TTL_MS);
            }
            cache.insert(key, (now, found.clone()));
        }
        Ok(found)
    }

    /// Takes `n` events from the key's rate limit, if it has one.
    pub fn admit(&self, target: &IngestTarget, n: u32) -> Admission {
        let Some(limit) = target.rate_limit_per_minute.filter(|l| *l > 0) else {
            return Admission::Admitted;
        };
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let now = self.clock.now_ms();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Admission::Admitted;
        };
        let bucket = buckets
            .entry(target.public_key.clone())
            .or_insert_with(|| TokenBucket::per_minute(limit, now));
        if !bucket.has_limit(limit) {
            *bucket = TokenBucket::per_minute(limit, now);
        }
        bucket.take(n, now)
    }
}
