//! Typed configuration: defaults, then `sentinel.toml`, then `SENTINEL__SECTION__KEY`
//! environment variables, then command-line flags; each layer overrides the one before.
//!
//! Unknown keys are errors (a typo must not silently fall back to a default), and every
//! error names the key. Secrets are [`SecretString`]s: they print as `[REDACTED]`.

use secrecy::{ExposeSecret, SecretString};
use sentinel_store::StoreOptions;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file read from the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "sentinel.toml";
/// The prefix of configuration environment variables: `SENTINEL__SERVER__LISTEN=…`.
pub const ENV_PREFIX: &str = "SENTINEL";
const ENV_SEPARATOR: &str = "__";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// All of Sentinel's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite database (and later artifacts) live when no database URL is set.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub auth: AuthConfig,
    pub bootstrap: BootstrapConfig,
    pub retention: RetentionConfig,
    pub github: GithubConfig,
    pub artifacts: ArtifactsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("sentinel-data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            auth: AuthConfig::default(),
            bootstrap: BootstrapConfig::default(),
            retention: RetentionConfig::default(),
            github: GithubConfig::default(),
            artifacts: ArtifactsConfig::default(),
        }
    }
}

/// Where the autopsy's artifacts are stored: `[artifacts.s3]` names an S3-compatible
/// bucket; otherwise a folder, `path` or `<data_dir>/artifacts`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArtifactsConfig {
    pub path: Option<PathBuf>,
    pub s3: Option<sentinel_agents::S3Config>,
}

impl Config {
    /// The artifact store the configuration names.
    pub fn artifact_store(&self) -> sentinel_agents::ArtifactStoreConfig {
        match (&self.artifacts.s3, &self.artifacts.path) {
            (Some(s3), _) => sentinel_agents::ArtifactStoreConfig::S3(s3.clone()),
            (None, Some(path)) => sentinel_agents::ArtifactStoreConfig::Local(path.clone()),
            (None, None) => {
                sentinel_agents::ArtifactStoreConfig::Local(self.data_dir.join("artifacts"))
            }
        }
    }
}

/// How long stored data is kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Days an event is kept; a daily job deletes older ones (incidents keep their counts).
    pub event_days: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self { event_days: 90 }
    }
}

/// The GitHub side: the webhook secret deliveries are signed with, and the App that reads
/// commits through the REST API when a repository has no local clone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GithubConfig {
    /// The webhook secret set on the App (or repository hook). Without one every delivery
    /// is refused with 401.
    pub webhook_secret: Option<SecretString>,
    /// The secret being rotated away from, accepted too until it is removed.
    pub previous_webhook_secret: Option<SecretString>,
    /// The App's id; with `private_key_path`, commits are read through the REST API.
    pub app_id: Option<u64>,
    /// The App's private key, as GitHub's PEM download.
    pub private_key_path: Option<PathBuf>,
    /// The REST API's base (GitHub Enterprise Server, or a stand-in).
    pub api_url: String,
}

impl Default for GithubConfig {
    fn default() -> Self {
        Self {
            webhook_secret: None,
            previous_webhook_secret: None,
            app_id: None,
            private_key_path: None,
            api_url: "https://api.github.com".to_string(),
        }
    }
}

impl GithubConfig {
    /// The secrets deliveries may be signed with, newest first.
    pub fn webhook_secrets(&self) -> Vec<Vec<u8>> {
        [&self.webhook_secret, &self.previous_webhook_secret]
            .into_iter()
            .flatten()
            .map(|secret| secret.expose_secret().as_bytes().to_vec())
            .collect()
    }
}

/// Which parts of Sentinel a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ProcessRole {
    /// HTTP: ingest, API, dashboard.
    Web,
    /// Background jobs.
    Worker,
    /// Both (the default; one process is a whole installation).
    All,
}

impl ProcessRole {
    pub fn serves_http(self) -> bool {
        matches!(self, ProcessRole::Web | ProcessRole::All)
    }

    pub fn runs_jobs(self) -> bool {
        matches!(self, ProcessRole::Worker | ProcessRole::All)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProcessRole::Web => "web",
            ProcessRole::Worker => "worker",
            ProcessRole::All => "all",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The URL people and SDKs reach this server at (behind a proxy, the proxy's). Derived
    /// from the listen address when absent.
    pub public_url: Option<String>,
    pub role: ProcessRole,
    /// How long shutdown waits for requests in flight and running jobs.
    pub shutdown_timeout_secs: u64,
    /// 32 random bytes, base64 (`openssl rand -base64 32`): seals organizations' model
    /// provider API keys at rest. Without it no provider key can be saved.
    pub secret_key: Option<SecretString>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            role: ProcessRole::All,
            shutdown_timeout_secs: 30,
            secret_key: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://…` or `sqlite://…`; SQLite in the data directory when absent. May carry a
    /// password, hence secret.
    pub url: Option<SecretString>,
    /// PostgreSQL only: the schema to use (`search_path`).
    pub schema: Option<String>,
    pub max_connections: u32,
    /// How long a SQLite write waits for another process's lock.
    pub busy_timeout_ms: u64,
    /// How long to wait for a connection before calling the database unavailable.
    pub acquire_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            schema: None,
            max_connections: 8,
            busy_timeout_ms: 5_000,
            acquire_timeout_ms: 5_000,
        }
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `sentinel=debug,sqlx=warn`; `RUST_LOG` wins.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// How long a dashboard login lasts.
    pub session_ttl_hours: u64,
    /// Mark the session cookie `Secure` (browsers accept it on http://localhost too).
    pub secure_cookies: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_ttl_hours: 14 * 24,
            secure_cookies: true,
        }
    }
}

/// What the first start creates in an empty database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BootstrapConfig {
    pub org_slug: String,
    pub org_name: String,
    pub admin_email: String,
    pub service_name: String,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            org_slug: "default".to_string(),
            org_name: "Default".to_string(),
            admin_email: "admin@sentinel.local".to_string(),
            service_name: "default".to_string(),
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub role: Option<ProcessRole>,
}

/// Where configuration comes from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// An explicit file (`--config`), which must exist; otherwise `sentinel.toml` in
    /// `working_dir` is read if present.
    pub file: Option<PathBuf>,
    /// Where to look for `sentinel.toml`; the process's working directory when `None`.
    pub working_dir: Option<PathBuf>,
    /// The environment; the process's own when `None` (tests pass their own).
    pub env: Option<HashMap<String, String>>,
    pub overrides: Overrides,
}

impl Config {
    /// Loads the layers in order and checks the result.
    pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
        let mut builder = config::Config::builder();
        match &sources.file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError::MissingFile(path.clone()));
                }
                builder = builder.add_source(
                    config::File::from(path.as_path())
                        .format(config::FileFormat::Toml)
                        .required(true),
                );
            }
            None => {
                let dir = sources.working_dir.clone().unwrap_or_default();
                let path = dir.join(DEFAULT_CONFIG_FILE);
                builder = builder.add_source(
                    config::File::from(path.as_path())
                        .format(config::FileFormat::Toml)
                        .required(false),
                );
            }
        }
        let env = config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator(ENV_SEPARATOR)
            .separator(ENV_SEPARATOR)
            .try_parsing(true)
            .source(sources.env.clone().map(|vars| vars.into_iter().collect()));
        builder = builder.add_source(env);
        let o = &sources.overrides;
        builder = builder
            .set_override_option("database.url", o.database_url.clone())
            .and_then(|b| b.set_override_option("server.listen", o.listen.clone()))
            .and_then(|b| {
                b.set_override_option(
                    "data_dir",
                    o.data_dir.as_ref().map(|d| d.display().to_string()),
                )
            })
            .and_then(|b| {
                b.set_override_option(
                    "log.format",
                    o.log_format.map(|f| format!("{f:?}").to_lowercase()),
                )
            })
            .and_then(|b| b.set_override_option("server.role", o.role.map(|r| r.as_str())))
            .map_err(|err| ConfigError::Invalid(err.to_string()))?;
        let config: Config = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|err| ConfigError::Invalid(err.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// A configuration from TOML text alone, over the defaults, checked as [`Config::load`]
    /// checks a file (for `sentinel config check`-style callers and the fuzzer).
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|err| ConfigError::Invalid(err.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, why: &str| Err(ConfigError::Invalid(format!("{key}: {why}")));
        if let Some(url) = &self.database.url {
            let url = url.expose_secret();
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres:")
                || url.starts_with("postgresql:"))
            {
                return invalid(
                    "database.url",
                    "expected postgres://… or sqlite://… (the value is not shown: it may hold a password)",
                );
            }
        }
        if self.database.max_connections == 0 {
            return invalid("database.max_connections", "must be at least 1");
        }
        if let Some(public_url) = &self.server.public_url {
            match url::Url::parse(public_url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => return invalid("server.public_url", "expected an http:// or https:// URL"),
            }
        }
        if self.retention.event_days == 0 {
            return invalid("retention.event_days", "must be at least 1");
        }
        if self.auth.session_ttl_hours == 0 {
            return invalid("auth.session_ttl_hours", "must be at least 1");
        }
        if self.bootstrap.org_slug.trim().is_empty() {
            return invalid("bootstrap.org_slug", "must not be empty");
        }
        Ok(())
    }

    /// How to open the store: the configured URL, or SQLite in the data directory.
    pub fn store_options(&self) -> StoreOptions {
        let mut options = match &self.database.url {
            Some(url) => StoreOptions::new(url.expose_secret()),
            None => StoreOptions::sqlite_in(&self.data_dir),
        };
        options.max_connections = self.database.max_connections;
        options.busy_timeout = Duration::from_millis(self.database.busy_timeout_ms);
        options.acquire_timeout = Duration::from_millis(self.database.acquire_timeout_ms);
        options.pg_schema = self.database.schema.clone();
        options
    }

    /// Whether the store is the SQLite file in the data directory.
    pub fn uses_data_dir_database(&self) -> bool {
        self.database.url.is_none()
    }

    /// The public URL, or one derived from the address actually bound.
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        if let Some(url) = &self.server.public_url {
            return url.trim_end_matches('/').to_string();
        }
        let host = if bound.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else if bound.is_ipv6() {
            format!("[{}]", bound.ip())
        } else {
            bound.ip().to_string()
        };
        format!("http://{host}:{}", bound.port())
    }
}

/// The database URL with any password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(unparseable URL)".to_string(),
    }
}

/// A readable description of where the data lives, without secrets.
pub fn describe_database(config: &Config) -> String {
    match &config.database.url {
        Some(url) => redact_url(url.expose_secret()),
        None => Path::new(&config.data_dir)
            .join("sentinel.db")
            .display()
            .to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sources(dir: &Path, env: &[(&str, &str)], overrides: Overrides) -> Sources {
        Sources {
            file: None,
            working_dir: Some(dir.to_path_buf()),
            env: Some(
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            overrides,
        }
    }

    #[test]
    fn toml_text_is_read_and_checked_like_a_file() {
        let config = Config::from_toml("[server]\nlisten = \"127.0.0.1:9000\"\n").unwrap();
        assert_eq!(
            config.server.listen,
            SocketAddr::from(([127, 0, 0, 1], 9000))
        );
        for bad in [
            "[server]\nlisten = 3",
            "[nonsense]\n",
            "[database]\nmax_connections = 0",
            "[[",
        ] {
            assert!(
                matches!(Config::from_toml(bad), Err(ConfigError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn defaults_need_no_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::load(&sources(dir.path(), &[], Overrides::default())).unwrap();
        assert_eq!(
            config.server.listen,
            SocketAddr::from(([127, 0, 0, 1], 8080))
        );
        assert_eq!(config.server.role, ProcessRole::All);
        assert_eq!(config.data_dir, PathBuf::from("sentinel-data"));
        assert!(config.uses_data_dir_database());
        assert!(config
            .store_options()
            .url
            .ends_with("sentinel-data/sentinel.db"));
        assert_eq!(
            config.public_url_for(config.server.listen),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn file_then_environment_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(DEFAULT_CONFIG_FILE),
            "data_dir = \"from-file\"\n[server]\nlisten = \"127.0.0.1:1000\"\nrole = \"web\"\n\
             [database]\nmax_connections = 3\n[log]\nformat = \"json\"\n",
        )
        .unwrap();
        let file_only = Config::load(&sources(dir.path(), &[], Overrides::default())).unwrap();
        assert_eq!(file_only.server.listen.port(), 1000);
        assert_eq!(file_only.server.role, ProcessRole::Web);
        assert_eq!(file_only.database.max_connections, 3);
        assert_eq!(file_only.log.format, LogFormat::Json);

        let env = [
            ("SENTINEL__SERVER__LISTEN", "127.0.0.1:2000"),
            ("SENTINEL__DATABASE__MAX_CONNECTIONS", "5"),
            ("SENTINEL__DATA_DIR", "from-env"),
            // Not ours: one underscore after the prefix.
            ("SENTINEL_TEST_DATABASE_URL", "postgres://ignored"),
        ];
        let with_env = Config::load(&sources(dir.path(), &env, Overrides::default())).unwrap();
        assert_eq!(with_env.server.listen.port(), 2000);
        assert_eq!(with_env.database.max_connections, 5);
        assert_eq!(with_env.data_dir, PathBuf::from("from-env"));
        assert!(with_env.database.url.is_none());

        let flags = Overrides {
            listen: Some("127.0.0.1:3000".into()),
            data_dir: Some(PathBuf::from("from-flag")),
            database_url: Some("postgres://u:pa55word@db.example/sentinel".into()),
            log_format: Some(LogFormat::Text),
            role: Some(ProcessRole::Worker),
        };
        let with_flags = Config::load(&sources(dir.path(), &env, flags)).unwrap();
        assert_eq!(with_flags.server.listen.port(), 3000);
        assert_eq!(with_flags.data_dir, PathBuf::from("from-flag"));
        assert_eq!(with_flags.log.format, LogFormat::Text);
        assert_eq!(with_flags.server.role, ProcessRole::Worker);
        assert!(!with_flags.uses_data_dir_database());
        // The password is kept but never printed (field names such as `webhook_secret`
        // may appear in the output; the value may not).
        assert!(!format!("{with_flags:?}").contains("pa55word"));
        assert_eq!(
            describe_database(&with_flags),
            "postgres://u:***@db.example/sentinel"
        );
    }

    #[test]
    fn errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &str, &str); 4] = [
            ("SENTINEL__SERVER__PORT", "1", "port"),
            (
                "SENTINEL__AUTH__SESSION_TTL_HOURS",
                "0",
                "auth.session_ttl_hours",
            ),
            (
                "SENTINEL__SERVER__PUBLIC_URL",
                "ftp://x",
                "server.public_url",
            ),
            (
                "SENTINEL__DATABASE__MAX_CONNECTIONS",
                "lots",
                "database.max_connections",
            ),
        ];
        for (key, value, named) in cases {
            let err = Config::load(&sources(dir.path(), &[(key, value)], Overrides::default()))
                .unwrap_err()
                .to_string();
            assert!(err.contains(named), "{key}={value}: {err}");
        }
    }

    #[test]
    fn public_urls_follow_the_bound_address() {
        let config = Config::default();
        assert_eq!(
            config.public_url_for("0.0.0.0:9000".parse().unwrap()),
            "http://127.0.0.1:9000"
        );
        let mut behind_proxy = Config::default();
        behind_proxy.server.public_url = Some("https://errors.example.com/".into());
        assert_eq!(
            behind_proxy.public_url_for("0.0.0.0:9000".parse().unwrap()),
            "https://errors.example.com"
        );
    }
}
