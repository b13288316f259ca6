//! The installation access tokens the client holds, one per installation.
//!
//! A token is used until five minutes before GitHub's `expires_at`, so a request never starts
//! with a token that may lapse in flight. Each installation has its own async lock, held while
//! a token is fetched: concurrent callers that find no usable token wait for the one refresh
//! instead of each exchanging a JWT. A token GitHub refused (401) is forgotten, but only if it
//! is still the cached one, so a caller holding an old token does not throw away a newer one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use secrecy::{ExposeSecret, SecretString};
use sentinel_core::clock::{Millis, SharedClock};

use super::error::GithubError;

/// How long before its expiry a token stops being used.
pub const REFRESH_MARGIN_MS: Millis = 5 * 60_000;

/// An installation access token and when GitHub says it expires.
#[derive(Clone)]
pub(crate) struct InstallationToken {
    pub secret: SecretString,
    pub expires_at_ms: Millis,
}

type Slot = Arc<tokio::sync::Mutex<Option<InstallationToken>>>;

/// Cached installation tokens, keyed by installation id.
#[derive(Default)]
pub(crate) struct InstallationTokens {
    slots: Mutex<HashMap<u64, Slot>>,
}

impl InstallationTokens {
    fn slot(&self, installation_id: u64) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.entry(installation_id).or_default().clone()
    }

    /// The cached token while it has more than the margin left, else the one `fetch` gets.
    pub async fn get<F, Fut>(
        &self,
        installation_id: u64,
        clock: &SharedClock,
        fetch: F,
    ) -> Result<SecretString, GithubError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<InstallationToken, GithubError>>,
    {
        let slot = self.slot(installation_id);
        let mut cached = slot.lock().await;
        // Read the time only once the lock is held: a caller may have waited for a refresh.
        let now_ms = clock.now_ms();
        if let Some(token) = cached.as_ref() {
            if now_ms < token.expires_at_ms - REFRESH_MARGIN_MS {
                return Ok(token.secret.clone());
            }
        }
        let fresh = fetch().await?;
        tracing::debug!(
            installation_id,
            expires_at_ms = fresh.expires_at_ms,
            "fetched a GitHub installation token"
        );
        let secret = fresh.secret.clone();
        *cached = Some(fresh);
        Ok(secret)
    }

    /// Drops the cached token if it is still `refused`.
    pub async fn forget(&self, installation_id: u64, refused: &SecretString) {
        let slot = self.slot(installation_id);
        let mut cached = slot.lock().await;
        let is_refused = cached
            .as_ref()
            .is_some_and(|t| t.secret.expose_secret() == refused.expose_secret());
        if is_refused {
            *cached = None;
        }
    }
}
