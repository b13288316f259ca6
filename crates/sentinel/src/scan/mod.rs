//! `sentinel repo scan PATH`: attributes a local clone's history with no GitHub at all.
//!
//! 1. The clone names the repository (its `origin`, or `--repo`); the organization's
//!    repository is created if needed and records the clone's path.
//! 2. One cheap `git log` without patches lists the range (the whole history, or what is not
//!    reachable from `--since`). Commits the store has settled are dropped from it, so a
//!    second run reads the patches of the new commits only.
//! 3. What attribution needs besides the commit (the same author's previous commit, the
//!    pull request of the sha) is loaded once for the whole range; then one `git log -p`
//!    streams the new commits through attribution into batched store writes (see
//!    [`pipeline`]). Each commit gets one `commit` event in the feed and one attribution
//!    row per file, as the attribution job would record it; merge commits are recorded
//!    without being scored.

mod pipeline;
mod progress;

pub use progress::ProgressDisplay;

use crate::cli::RepoScanArgs;
use crate::commands::resolve_org;
use crate::repositories::{inspect_clone, watch, Watched};
use crate::server::open_store;
use anyhow::Context as _;
use pipeline::Scorer;
use progress::Progress;
use sentinel_core::attribution::AuthorDates;
use sentinel_core::clock::SharedClock;
use sentinel_core::code::parse_full_name;
use sentinel_git::{CommitSummary, LogOptions, Repo};
use sentinel_store::Store;
use std::path::Path;
use std::time::{Duration, Instant};

/// What a scan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    pub full_name: String,
    pub clone_path: String,
    /// The repository was created by this scan.
    pub created: bool,
    /// Commits in the scanned range.
    pub in_range: u64,
    /// Of those, already settled in the store before the scan (skipped unread).
    pub known: u64,
    /// Commits read, attributed and recorded by this scan.
    pub recorded: u64,
    /// Of those, attributed as AI-written (confidence ≥ 0.5).
    pub ai: u64,
    /// Of those, merge commits (recorded, not scored).
    pub merges: u64,
    pub elapsed: Duration,
}

impl ScanReport {
    /// The line printed at the end.
    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            self.recorded as f64 / seconds
        } else {
            0.0
        };
        let created = if self.created {
            " (new repository)"
        } else {
            ""
        };
        format!(
            "Scanned {}{created} from {}: {} commits in range, {} new read and recorded \
             ({} AI-attributed, {} merges not scored), {} already known; {:.1} s, \
             {:.0} commits/s.\n",
            self.full_name,
            self.clone_path,
            self.in_range,
            self.recorded,
            self.ai,
            self.merges,
            self.known,
            seconds,
            rate
        )
    }
}

/// `sentinel repo scan PATH [--since REV] [--repo OWNER/NAME]`.
pub async fn scan(
    config: &crate::config::Config,
    clock: &SharedClock,
    args: &RepoScanArgs,
) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let result = scan_in(&store, clock, args, ProgressDisplay::Terminal).await;
    store.close().await;
    Ok(result?.summary())
}

/// What git says about the clone before anything is read.
struct Clone {
    repo: Repo,
    full_name: String,
    branch: Option<String>,
    /// `HEAD`, fixed at the start so the listing and the walk see the same history.
    options: LogOptions,
}

fn open_clone(path: &Path, wanted: Option<&str>) -> anyhow::Result<Clone> {
    let repo = Repo::open(path)?;
    let full_name = match wanted {
        Some(name) => parse_full_name(name)?,
        None => {
            let origin = repo.origin_full_name()?.with_context(|| {
                format!(
                    "cannot tell which repository {} is: its origin remote names no OWNER/NAME; \
                     pass --repo OWNER/NAME",
                    path.display()
                )
            })?;
            parse_full_name(&origin)
                .with_context(|| format!("the origin remote of {}", path.display()))?
        }
    };
    let branch = repo.current_branch()?;
    let options = LogOptions {
        rev: repo.head_sha()?,
        ..LogOptions::default()
    };
    Ok(Clone {
        repo,
        full_name,
        branch,
        options,
    })
}

/// [`scan`] on an open store.
pub async fn scan_in(
    store: &Store,
    clock: &SharedClock,
    args: &RepoScanArgs,
    display: ProgressDisplay,
) -> anyhow::Result<ScanReport> {
    let started = Instant::now();
    let facts = inspect_clone(&args.path).await?;
    let path = std::path::PathBuf::from(&facts.path);
    let wanted = args.repo.clone();
    let since = args.since.clone();
    let mut clone = tokio::task::spawn_blocking(move || open_clone(&path, wanted.as_deref()))
        .await
        .context("opening the clone")??;
    if let Some(since) = since {
        // Resolved now, so that a bad revision is refused before anything is written.
        let repo = clone.repo.clone();
        let sha = tokio::task::spawn_blocking(move || repo.resolve(&since))
            .await
            .context("resolving --since")??;
        clone.options.since = Some(sha);
    }
    let org = resolve_org(store, args.org.as_deref()).await?;
    let (repository, watched) = watch(
        store,
        &org.id,
        &clone.full_name,
        Some(&facts),
        clock.now_ms(),
    )
    .await?;
    let rules = repository
        .settings
        .risk_rules()
        .with_context(|| format!("the risk patterns of {}", repository.full_name))?;

    let in_range: Vec<CommitSummary> = if clone.options.rev.is_some() {
        let (repo, options) = (clone.repo.clone(), clone.options.clone());
        tokio::task::spawn_blocking(move || repo.log_summaries(&options))
            .await
            .context("listing the history")??
    } else {
        Vec::new()
    };
    let settled = store.settled_commit_shas(&org.id, &repository.id).await?;
    let new: Vec<String> = in_range
        .iter()
        .filter(|c| !settled.contains(&c.sha))
        .map(|c| c.sha.clone())
        .collect();
    drop(settled);
    let mut author_dates = AuthorDates::new();
    for (email, at) in store.commit_author_dates(&org.id, &repository.id).await? {
        author_dates.insert(&email, at);
    }
    for commit in &in_range {
        author_dates.insert(&commit.author_email, commit.authored_at);
    }
    let scorer = Scorer {
        rules,
        author_dates,
        pull_requests: store
            .latest_pull_requests_by_sha(&org.id, &repository.id)
            .await?,
        branch: clone.branch.clone(),
    };
    let in_range_count = in_range.len() as u64;
    let known = in_range_count - new.len() as u64;
    let walk_all = new.len() == in_range.len();
    drop(in_range);
    tracing::debug!(repository = %repository.full_name, in_range = in_range_count,
        new = new.len(), "scanning");

    let progress = Progress::new(display, new.len() as u64);
    let (sender, receiver) = pipeline::channel();
    let (repo, options) = (clone.repo.clone(), clone.options.clone());
    let reader = tokio::task::spawn_blocking(move || {
        let stream = if new.is_empty() {
            None
        } else if walk_all {
            Some(repo.log(options))
        } else {
            Some(repo.log_commits(&new, &options))
        };
        match stream {
            None => Ok(()),
            Some(stream) => pipeline::read_and_score(stream?, &scorer, &sender),
        }
    });
    let written =
        pipeline::write_batches(store, &org.id, &repository.id, clock, receiver, &progress).await;
    let read = reader.await.context("reading the history")?;
    progress.finish();
    let written = written?;
    read.with_context(|| format!("reading the history of {}", facts.path))?;
    let report = ScanReport {
        full_name: repository.full_name.clone(),
        clone_path: facts.path.clone(),
        created: watched == Watched::Created,
        in_range: in_range_count,
        known,
        recorded: written.commits,
        ai: written.ai,
        merges: written.merges,
        elapsed: started.elapsed(),
    };
    tracing::info!(repository = %report.full_name, recorded = report.recorded,
        ai = report.ai, known = report.known, "scan finished");
    Ok(report)
}
