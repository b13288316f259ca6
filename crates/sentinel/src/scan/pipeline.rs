//! The scan's two halves, running at once: a thread reads commits from git and attributes
//! them, while the async side writes them to the store a batch at a time. git, attribution
//! and the database each keep a core busy instead of waiting on one another.

use super::progress::Progress;
use sentinel_core::attribution::{AuthorDates, RiskRules};
use sentinel_core::clock::SharedClock;
use sentinel_core::code::{
    CodeEvent, CodeEventDetails, Commit, CommitAttribution, CommitRef, PullRequestDetails,
};
use sentinel_core::id::{OrgId, RepositoryId};
use sentinel_git::{CommitStream, GitError};
use sentinel_jobs::code::attribute_in_context;
use sentinel_store::code::{NewCodeEvent, AI_CONFIDENCE_THRESHOLD};
use sentinel_store::Store;
use std::collections::HashMap;
use tokio::sync::mpsc;

/// Commits per batch: one store transaction each. Big enough that per-transaction costs
/// vanish, small enough that a server sharing a SQLite database waits only briefly.
const BATCH_COMMITS: usize = 500;
/// A batch also ends at this many files (an import commit can touch thousands).
const BATCH_FILES: usize = 5_000;
/// Batches scored ahead of the writer; bounds memory.
const BATCHES_AHEAD: usize = 2;

/// Everything attribution reads besides the commit, looked up once for the whole scan.
pub(crate) struct Scorer {
    pub rules: RiskRules,
    /// The store's author dates and those of every commit in the scanned range.
    pub author_dates: AuthorDates,
    /// The latest pull request of each head sha the store knows.
    pub pull_requests: HashMap<String, PullRequestDetails>,
    /// The branch recorded on the commit events (the clone's current branch).
    pub branch: Option<String>,
}

impl Scorer {
    /// The commit's attribution and feed event, exactly as the attribution job would record
    /// them with everything already stored.
    fn score(&self, mut commit: Commit) -> (Commit, CommitAttribution, NewCodeEvent) {
        let previous = self
            .author_dates
            .previous(&commit.author.person.email, commit.author.at_ms);
        let attribution = attribute_in_context(
            &commit,
            &self.rules,
            previous,
            self.pull_requests.get(&commit.sha),
        );
        let event = commit_event(&commit, self.branch.clone());
        // Only the code-style signal reads the added lines' text, and it has run; the store
        // keeps the counts. Dropping the text keeps queued batches small.
        for file in &mut commit.files {
            file.added_lines = Vec::new();
        }
        (commit, attribution, event)
    }
}

/// The `commit` event of the feed for a commit read from a clone.
fn commit_event(commit: &Commit, branch: Option<String>) -> NewCodeEvent {
    let event = CodeEvent {
        occurred_at: commit.author.at_ms,
        actor: commit.author.person.email.clone(),
        details: CodeEventDetails::Commit(CommitRef {
            sha: commit.sha.clone(),
            branch,
            distinct: true,
            forced: false,
            message: commit.message.clone(),
            author: commit.author.clone(),
            committer: commit.committer.person.clone(),
            url: None,
        }),
    };
    NewCodeEvent::new(event, None)
}

/// Scored commits written in one go.
#[derive(Default)]
pub(crate) struct Batch {
    commits: Vec<Commit>,
    attributions: Vec<CommitAttribution>,
    events: Vec<NewCodeEvent>,
    files: usize,
}

impl Batch {
    fn push(&mut self, (commit, attribution, event): (Commit, CommitAttribution, NewCodeEvent)) {
        self.files += commit.files.len();
        self.commits.push(commit);
        self.attributions.push(attribution);
        self.events.push(event);
    }

    fn is_full(&self) -> bool {
        self.commits.len() >= BATCH_COMMITS || self.files >= BATCH_FILES
    }

    fn is_empty(&self) -> bool {
        self.commits.is_empty()
    }
}

/// The channel between the two halves.
pub(crate) fn channel() -> (mpsc::Sender<Batch>, mpsc::Receiver<Batch>) {
    mpsc::channel(BATCHES_AHEAD)
}

/// Reads every commit of `stream`, scores it and sends it on in batches. Runs on a thread
/// of its own (the stream blocks on git). Stops early, without error, when the writer has
/// stopped (its error is the one to report).
pub(crate) fn read_and_score(
    stream: CommitStream,
    scorer: &Scorer,
    sender: &mpsc::Sender<Batch>,
) -> Result<(), GitError> {
    let mut batch = Batch::default();
    for commit in stream {
        batch.push(scorer.score(commit?));
        if batch.is_full() && sender.blocking_send(std::mem::take(&mut batch)).is_err() {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = sender.blocking_send(batch);
    }
    Ok(())
}

/// What the writer recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Written {
    pub commits: u64,
    pub ai: u64,
    pub merges: u64,
}

/// Writes batches until the reader is done: each batch's feed events, then its commits with
/// their per-file attributions. Events go first so that a scan stopped in between leaves
/// the commits unsettled, and the next run records them (the events are idempotent).
pub(crate) async fn write_batches(
    store: &Store,
    org: &OrgId,
    repository: &RepositoryId,
    clock: &SharedClock,
    mut receiver: mpsc::Receiver<Batch>,
    progress: &Progress,
) -> anyhow::Result<Written> {
    let mut written = Written::default();
    while let Some(batch) = receiver.recv().await {
        let now = clock.now_ms();
        store
            .insert_code_events(org, repository, &batch.events, now)
            .await?;
        let pairs: Vec<(&Commit, &CommitAttribution)> =
            batch.commits.iter().zip(&batch.attributions).collect();
        store
            .record_attributions(org, repository, &pairs, now)
            .await?;
        let commits = batch.commits.len() as u64;
        written.commits += commits;
        written.merges += batch.commits.iter().filter(|c| c.is_merge()).count() as u64;
        written.ai += batch
            .attributions
            .iter()
            .filter(|a| a.ai_confidence >= AI_CONFIDENCE_THRESHOLD)
            .count() as u64;
        progress.advance(commits, written.ai);
    }
    Ok(written)
}
