//! The `sentinel` binary's library half: command line, configuration, start-up, shutdown.
//!
//! `main.rs` only parses arguments and calls [`run`]; tests start whole servers through
//! [`server::start`] in-process or run the built binary.

pub mod backup;
pub mod bench;
pub mod bootstrap;
pub mod cli;
pub mod code_mappings;
pub mod commands;
pub mod config;
pub mod demo;
pub mod logging;
pub mod metrics_recompute;
pub mod repositories;
pub mod scan;
pub mod server;
pub mod tail;
pub mod worker;

use cli::{
    ApiKeyCommand, Cli, Command, GithubCommand, MetricsCommand, ProjectCommand, RepoCommand,
    ServiceCommand, UserCommand,
};
use config::Config;
use sentinel_core::clock::{SharedClock, SystemClock};
use std::io::Write as _;
use std::sync::Arc;

/// Runs one command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.sources())?;
    logging::init(config.log.format, &config.log.level);
    let clock: SharedClock = Arc::new(SystemClock);
    let output = match &cli.command {
        Command::Serve(_) => return serve(config, clock).await,
        Command::Bench(args) => return bench::run(args).await,
        Command::Tail(args) => tail::tail(&config, &clock, args).await?,
        Command::Demo(args) => demo::run(args, &config).await?,
        Command::Migrate => commands::migrate(&config).await?,
        Command::Backup(args) => backup::backup(&config, &args.path).await?,
        Command::Restore(args) => backup::restore(&config, args).await?,
        Command::User(UserCommand::Create(args)) => {
            commands::create_user(&config, &clock, args).await?
        }
        Command::Project(ProjectCommand::Create(args)) => {
            commands::create_project(&config, &clock, args).await?
        }
        Command::Apikey(ApiKeyCommand::Create(args)) => {
            commands::create_api_key(&config, &clock, args).await?
        }
        Command::Repo(RepoCommand::Add(args)) => repositories::add(&config, &clock, args).await?,
        Command::Repo(RepoCommand::Scan(args)) => scan::scan(&config, &clock, args).await?,
        Command::Github(GithubCommand::Claim(args)) => {
            repositories::claim(&config, &clock, args).await?
        }
        Command::Service(ServiceCommand::Map(args)) => {
            code_mappings::map(&config, &clock, args).await?
        }
        Command::Metrics(MetricsCommand::Recompute(args)) => {
            metrics_recompute::recompute(&config, &clock, args).await?
        }
    };
    print_now(&output);
    Ok(())
}

async fn serve(config: Config, clock: SharedClock) -> anyhow::Result<()> {
    let running = server::start(config, clock).await?;
    if let Some(bootstrap) = &running.bootstrap {
        // Printed, never logged: the password exists nowhere else.
        print_now(&bootstrap.announcement());
    }
    running.run_until_signal().await
}

/// Writes to stdout and flushes, so a reader on a pipe sees it at once.
fn print_now(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
