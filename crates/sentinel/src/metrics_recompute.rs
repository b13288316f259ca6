//! `sentinel metrics recompute --repo OWNER/NAME --from DATE --to DATE`: rewrites a
//! repository's metrics rows for a range of local days under the same fenced lock the daily
//! job takes, so it never races a running job.

use crate::cli::MetricsRecomputeArgs;
use crate::commands::resolve_org;
use crate::server::open_store;
use anyhow::{bail, Context as _};
use sentinel_core::clock::SharedClock;
use sentinel_core::metrics::NaiveDate;
use sentinel_jobs::metrics::{recompute as recompute_rows, RunOutcome};
use sentinel_store::Store;

/// Opens the store, recomputes, and says what it wrote.
pub async fn recompute(
    config: &crate::config::Config,
    clock: &SharedClock,
    args: &MetricsRecomputeArgs,
) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let result = recompute_in(&store, clock, args).await;
    store.close().await;
    result
}

fn date(text: &str, flag: &str) -> anyhow::Result<NaiveDate> {
    text.parse()
        .with_context(|| format!("{flag} {text:?} is not a date (YYYY-MM-DD)"))
}

/// [`recompute`] on an open store.
pub async fn recompute_in(
    store: &Store,
    clock: &SharedClock,
    args: &MetricsRecomputeArgs,
) -> anyhow::Result<String> {
    let (from, to) = (date(&args.from, "--from")?, date(&args.to, "--to")?);
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let org = resolve_org(store, args.org.as_deref()).await?;
    let repo = store
        .get_repository_by_full_name(&org.id, &args.repo)
        .await?
        .with_context(|| format!("{} watches no repository {}", org.slug, args.repo))?;
    let settings = store.get_metrics_settings(&org.id).await?;
    let now = || clock.now_ms();
    match recompute_rows(store, &org.id, &repo.id, &settings, (from, to), now).await? {
        Some(RunOutcome::Completed { written }) => Ok(format!(
            "{}: {written} metrics rows recomputed for {from} to {to} ({})\n",
            repo.full_name, settings.time_zone
        )),
        Some(RunOutcome::LostLock { written }) => bail!(
            "another run took over {} after {written} rows; run the command again",
            repo.full_name
        ),
        None => bail!(
            "the metrics of {} are being computed by another run; try again in a few minutes",
            repo.full_name
        ),
    }
}
