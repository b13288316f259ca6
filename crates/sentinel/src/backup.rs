//! `sentinel backup PATH` and `sentinel restore PATH`: the SQLite database copied while the
//! server runs, and put back while it does not (see `sentinel_store::backup`).

use crate::cli::RestoreArgs;
use crate::config::{describe_database, Config};
use crate::server::open_store;
use anyhow::{bail, Context as _};
use sentinel_store::backup::{inspect_backup, restore_sqlite};
use std::path::Path;

/// `sentinel backup PATH`.
pub async fn backup(config: &Config, path: &Path) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let written = store.backup_into(path).await;
    store.close().await;
    written.with_context(|| format!("backing up {}", describe_database(config)))?;
    let summary = inspect_backup(path).await?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "Backed up {} to {} ({bytes} bytes, {} events, {} migrations).\n",
        describe_database(config),
        path.display(),
        summary.events,
        summary.migrations
    ))
}

/// `sentinel restore PATH [--force]`.
pub async fn restore(config: &Config, args: &RestoreArgs) -> anyhow::Result<String> {
    let options = config.store_options();
    let Some(file) = options.url.strip_prefix("sqlite://") else {
        bail!("PostgreSQL databases are restored with pg_restore or psql (see the README)");
    };
    let file = file.split('?').next().unwrap_or(file).to_owned();
    if config.uses_data_dir_database() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    if Path::new(&file).exists() && !args.force {
        bail!("{file} exists; stop the server and pass --force to replace it");
    }
    let summary = restore_sqlite(&options, &args.path)
        .await
        .with_context(|| format!("restoring {}", args.path.display()))?;
    Ok(format!(
        "Restored {} into {file} ({} events, {} migrations). Start the server to use it.\n",
        args.path.display(),
        summary.events,
        summary.migrations
    ))
}
