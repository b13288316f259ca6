//! `sentinel demo`: make a fresh installation look lived-in.
//!
//! Without `--seed` it sends realistic traffic through the real HTTP endpoints of a running
//! server (errors that group and some that do not, several services when an API key allows
//! creating them, a regression, a failing cron monitor), so a new user sees a populated
//! dashboard within a minute. With `--seed` it writes a large synthetic history straight
//! into a database through the store's batch write path, for benchmarks.

mod payloads;
pub mod seed;
mod traffic;

use crate::config::Config;
use clap::Args;

/// The arguments of `sentinel demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The server's base URL, for the JSON API.
    #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
    pub url: String,
    /// The DSN to send events to (printed by the server's first start).
    #[arg(long, value_name = "DSN")]
    pub dsn: Option<String>,
    /// An admin API key: lets the demo create more services and resolve an incident so that
    /// it can regress.
    #[arg(
        long,
        env = "SENTINEL_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,
    /// Instead of sending traffic, fill the configured database (e.g. --data-dir) directly.
    #[arg(long)]
    pub seed: bool,
    /// With --seed: how many incidents.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub incidents: u64,
    /// With --seed: how many events, spread over the incidents and the last 14 days.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub events: u64,
}

/// Runs `sentinel demo` and returns what to print.
pub async fn run(args: &DemoArgs, config: &Config) -> anyhow::Result<String> {
    if args.seed {
        let store = crate::server::open_store(config).await?;
        let now = sentinel_core::clock::Clock::now_ms(&sentinel_core::clock::SystemClock);
        let report = seed::seed(
            &store,
            now,
            &seed::SeedOptions {
                incidents: args.incidents,
                events: args.events,
            },
        )
        .await?;
        store.close().await;
        return Ok(report.summary());
    }
    let dsn = args.dsn.as_deref().ok_or_else(|| {
        anyhow::anyhow!("pass --dsn (the DSN printed when the server first started)")
    })?;
    traffic::run(&args.url, dsn, args.api_key.as_deref()).await
}
