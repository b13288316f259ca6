//! The command line: `sentinel serve`, `migrate`, `user create`, `project create`,
//! `apikey create`, `repo add`, `repo scan`, `github claim`, `backup`, `restore`.

use crate::config::{LogFormat, Overrides, ProcessRole, Sources};
use clap::{Args, Parser, Subcommand};
use sentinel_core::role::Role;
use std::path::PathBuf;

/// Sentinel turns production errors into fixes: a self-hosted error tracker that speaks
/// the Sentry SDK protocol.
///
/// Configuration comes from defaults, then `sentinel.toml` (in the working directory, or
/// --config), then SENTINEL__SECTION__KEY environment variables (e.g.
/// SENTINEL__SERVER__LISTEN=0.0.0.0:8080), then the flags below.
#[derive(Debug, Parser)]
#[command(name = "sentinel", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read configuration from this TOML file (it must exist).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Database URL: postgres://user:pass@host/db or sqlite://path; default is SQLite in the
    /// data directory.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Directory for the SQLite database (default ./sentinel-data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: ingest, API and dashboard (web), background jobs (worker), or both.
    ///
    /// The first start on an empty database creates an organization, an admin with a
    /// generated password and a service, and prints the password and the DSN once.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage projects (services): each has a DSN that SDKs send events to.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Manage API keys for the /api/v1 JSON API.
    #[command(subcommand)]
    Apikey(ApiKeyCommand),
    /// Manage the repositories whose commits are attributed (human or AI) and tiered by risk.
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Manage the GitHub App's installations.
    #[command(subcommand)]
    Github(GithubCommand),
    /// Link services to the repositories their stack frames come from.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Read a log file once, from its start: its error lines become events of the service,
    /// grouped as the running tailer would group them (no offset is stored).
    Tail(TailArgs),
    /// Engineering metrics: AI share, review time, verification tax, high-risk files.
    #[command(subcommand)]
    Metrics(MetricsCommand),
    /// Write a consistent copy of the SQLite database to PATH while the server runs
    /// (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
    /// Put a backup made by `sentinel backup` in place of the SQLite database. Stop the
    /// server first; an older backup is migrated when the server next starts.
    Restore(RestoreArgs),
    /// Measure: load generators against a real server started for the purpose.
    Bench(crate::bench::BenchArgs),
    /// Populate a server with realistic demo traffic, or a database with a large history.
    Demo(crate::demo::DemoArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write; it must not exist.
    pub path: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `sentinel backup`.
    pub path: PathBuf,
    /// Replace a database that already exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Which parts to run; any number of each can share one PostgreSQL database.
    #[arg(long, value_enum, value_name = "ROLE")]
    pub role: Option<ProcessRole>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (or add an existing one to an organization).
    Create(UserCreateArgs),
}

#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// The user's e-mail (stored lower case).
    #[arg(long)]
    pub email: String,
    /// The password; generated and printed once when absent.
    #[arg(long, env = "SENTINEL_USER_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
    /// Role in the organization: owner, admin, member or viewer.
    #[arg(long, default_value = "member", value_parser = parse_role)]
    pub role: Role,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project and print its DSN.
    Create(ProjectCreateArgs),
}

#[derive(Debug, Args)]
pub struct ProjectCreateArgs {
    /// The project's name, unique in its organization.
    pub name: String,
    /// The SDK platform, e.g. python or node (informational).
    #[arg(long, default_value = "")]
    pub platform: String,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print it once.
    Create(ApiKeyCreateArgs),
}

#[derive(Debug, Args)]
pub struct ApiKeyCreateArgs {
    /// What the key may do: owner, admin, member or viewer.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// A name to tell the key apart.
    #[arg(long, default_value = "cli")]
    pub name: String,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
    /// Expire the key after this many days.
    #[arg(long, value_name = "DAYS")]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Add a repository, or set the local clone of one already added.
    Add(RepoAddArgs),
    /// Attribute a local clone's history without GitHub: one commit event and one
    /// attribution per file for each commit. A second run adds only the new commits.
    Scan(RepoScanArgs),
}

#[derive(Debug, Args)]
pub struct RepoAddArgs {
    /// The GitHub repository, e.g. acme/shop.
    #[arg(value_name = "OWNER/NAME")]
    pub full_name: String,
    /// A local clone of it: commits are then read from there instead of from GitHub.
    #[arg(long, value_name = "PATH")]
    pub clone: Option<PathBuf>,
    /// The command that runs one test file in the clone, `{test}` standing for its path
    /// (e.g. "python3 -m pytest -q {test}"): the autopsy runs its regression test with it
    /// before and after its patch. Split on spaces; "" removes it.
    #[arg(long, value_name = "COMMAND")]
    pub test_command: Option<String>,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

#[derive(Debug, Args)]
pub struct RepoScanArgs {
    /// The local clone (a work tree or a bare repository).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Read only the commits not reachable from this revision (default: the whole history).
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// The repository's OWNER/NAME (default: read from the clone's `origin` remote).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Recompute a repository's metrics rows for a range of days (and the weeks and months
    /// overlapping it), in the organization's time zone. Running it twice gives the same rows.
    Recompute(MetricsRecomputeArgs),
}

#[derive(Debug, Args)]
pub struct MetricsRecomputeArgs {
    /// The repository, e.g. acme/shop.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: String,
    /// The first local day, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// The last local day, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Map a service's stack frames to a repository: without roots it only links them (frames
    /// are then read as repository paths, else matched by suffix against the tree).
    Map(ServiceMapArgs),
}

#[derive(Debug, Args)]
pub struct ServiceMapArgs {
    /// The service (project), by name or id.
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The repository, as added with `sentinel repo add`.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: String,
    /// The prefix of the paths in stack frames, e.g. /srv/app/.
    #[arg(long, value_name = "PATH", default_value = "")]
    pub stack_root: String,
    /// Where that prefix lives in the repository, e.g. backend/.
    #[arg(long, value_name = "PATH", default_value = "")]
    pub source_root: String,
    /// The branch to read when a release names no commit (default: the repository's).
    #[arg(long)]
    pub branch: Option<String>,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// The file (an absolute or relative path; wildcards in the file name read each match).
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The service (project) the errors belong to, by name or id.
    #[arg(long, value_name = "NAME")]
    pub service: String,
    /// How the lines are written: `json_lines` or `text` (tracebacks below a header line).
    #[arg(long, default_value = "json_lines")]
    pub format: String,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum GithubCommand {
    /// Give an installation of the GitHub App (as its webhook stored it) to an organization.
    Claim(GithubClaimArgs),
}

#[derive(Debug, Args)]
pub struct GithubClaimArgs {
    /// GitHub's installation id (in the App's installation URL).
    #[arg(value_name = "INSTALLATION_ID", value_parser = clap::value_parser!(i64).range(1..))]
    pub installation_id: i64,
    /// The organization's slug (default: the only organization).
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse::<Role>().map_err(|err| err.to_string())
}

impl Cli {
    /// Where the configuration comes from, given these arguments.
    pub fn sources(&self) -> Sources {
        let role = match &self.command {
            Command::Serve(args) => args.role,
            _ => None,
        };
        Sources {
            file: self.global.config.clone(),
            working_dir: None,
            env: None,
            overrides: Overrides {
                database_url: self.global.database_url.clone(),
                listen: self.global.listen.clone(),
                data_dir: self.global.data_dir.clone(),
                log_format: self.global.log_format,
                role,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "sentinel",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "/tmp/x",
            "--role",
            "web",
        ])
        .map_err(|e| e.to_string());
        let Ok(cli) = cli else {
            panic!("{cli:?}");
        };
        let sources = cli.sources();
        assert_eq!(sources.overrides.listen.as_deref(), Some("127.0.0.1:0"));
        assert_eq!(sources.overrides.role, Some(ProcessRole::Web));
    }

    #[test]
    fn roles_are_checked_while_parsing() {
        assert!(Cli::try_parse_from(["sentinel", "apikey", "create", "--role", "root"]).is_err());
        assert!(Cli::try_parse_from(["sentinel", "apikey", "create", "--role", "viewer"]).is_ok());
    }

    #[test]
    fn installation_ids_are_positive_numbers() {
        for bad in ["0", "-3", "abc"] {
            assert!(
                Cli::try_parse_from(["sentinel", "github", "claim", bad]).is_err(),
                "{bad} accepted"
            );
        }
        let cli = Cli::try_parse_from(["sentinel", "github", "claim", "42", "--org", "acme"]);
        assert!(matches!(
            cli.map(|c| c.command),
            Ok(Command::Github(GithubCommand::Claim(GithubClaimArgs {
                installation_id: 42,
                ..
            })))
        ));
    }

    #[test]
    fn repo_scan_takes_the_servers_database_flags() {
        let cli = Cli::try_parse_from([
            "sentinel",
            "repo",
            "scan",
            "/src/shop",
            "--since",
            "v1.0",
            "--database-url",
            "postgres://db/sentinel",
        ])
        .map_err(|e| e.to_string());
        let Ok(cli) = cli else {
            panic!("{cli:?}");
        };
        assert_eq!(
            cli.sources().overrides.database_url.as_deref(),
            Some("postgres://db/sentinel")
        );
        let Command::Repo(RepoCommand::Scan(args)) = cli.command else {
            panic!("not a scan");
        };
        assert_eq!(args.since.as_deref(), Some("v1.0"));
    }
}
