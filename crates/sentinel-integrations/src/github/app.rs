//! The GitHub App Sentinel acts as: its id, its private key (parsed once, when the App is
//! configured) and the REST API base it talks to.
//!
//! The API base is configurable so a GitHub Enterprise Server (`https://host/api/v3`) or a
//! test stand-in on 127.0.0.1 can take the place of `https://api.github.com`.

use secrecy::SecretString;
use sentinel_core::clock::Millis;
use url::Url;

use super::app_jwt::{AppJwtSigner, JwtError};

/// GitHub's public REST API.
pub const DEFAULT_API_BASE: &str = "https://api.github.com";

/// A GitHub App that cannot be set up as configured. Never includes the key.
#[derive(Debug, thiserror::Error)]
pub enum AppConfigError {
    #[error(transparent)]
    Key(#[from] JwtError),
    #[error("GitHub API base {url:?} is not usable: {reason}")]
    ApiBase { url: String, reason: String },
}

/// A GitHub App: signs its own JWTs and knows where its API lives.
#[derive(Debug)]
pub struct GithubApp {
    app_id: u64,
    signer: AppJwtSigner,
    api_base: Url,
}

impl GithubApp {
    /// An App on `https://api.github.com`. The key is GitHub's PEM download (PKCS#1) or PKCS#8.
    pub fn new(app_id: u64, private_key_pem: &SecretString) -> Result<Self, AppConfigError> {
        Self::with_api_base(app_id, private_key_pem, DEFAULT_API_BASE)
    }

    /// An App whose REST API lives at `api_base` (Enterprise Server, or a test stand-in).
    pub fn with_api_base(
        app_id: u64,
        private_key_pem: &SecretString,
        api_base: &str,
    ) -> Result<Self, AppConfigError> {
        let invalid = |reason: String| AppConfigError::ApiBase {
            url: api_base.to_owned(),
            reason,
        };
        let api_base = Url::parse(api_base).map_err(|e| invalid(e.to_string()))?;
        if !matches!(api_base.scheme(), "http" | "https") || api_base.cannot_be_a_base() {
            return Err(invalid("not an http(s) base URL".to_owned()));
        }
        Ok(Self {
            app_id,
            signer: AppJwtSigner::from_pem(app_id, private_key_pem)?,
            api_base,
        })
    }

    pub fn app_id(&self) -> u64 {
        self.app_id
    }

    pub fn api_base(&self) -> &Url {
        &self.api_base
    }

    /// A fresh App JWT for the App-level endpoints (the installation-token exchange).
    pub(crate) fn jwt(&self, now_ms: Millis) -> Result<SecretString, JwtError> {
        self.signer.sign(now_ms)
    }
}
