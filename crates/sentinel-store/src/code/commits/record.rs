//! Recording attributions a batch at a time: a handful of multi-row statements per batch
//! (commits upserted, overrides looked up, old file rows removed, new file rows inserted)
//! instead of several statements per commit and file. On PostgreSQL every statement is a
//! round trip, so this is what lets a whole history's scan keep up with git.

use super::{i64_of, subject_of};
use crate::code::rows::to_json;
use crate::code::AI_CONFIDENCE_THRESHOLD;
use crate::db::{tx, Backend};
use crate::incidents::value_rows;
use crate::{StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;
use sentinel_core::code::{Commit, CommitAttribution};
use sentinel_core::id::{OrgId, RepositoryId};
use std::collections::HashMap;

/// Values per commit row (see [`upsert_commits`]).
const COMMIT_VALUES: usize = 23;
/// Values per file row (see [`insert_files`]).
const FILE_VALUES: usize = 18;
/// Rows per statement: well under both backends' limit on bound values (SQLite 32,766,
/// PostgreSQL 65,535) however many columns. Only statements of exactly this many rows are
/// kept prepared: the last one of a batch has any length, and keeping one prepared
/// statement per length (hundreds of bound values each) grew a scan's memory by tens of MB.
const COMMITS_PER_STATEMENT: usize = 250;
const FILES_PER_STATEMENT: usize = 500;
const SHAS_PER_STATEMENT: usize = 1_000;

/// A person's verdict kept over an automatic attribution: confidence, who, tool.
type Verdict = (f64, String, Option<String>);

/// Records `batch` inside `tx`. A commit listed twice is recorded once, as last listed.
pub(super) async fn record_batch(
    tx: &mut Tx,
    org: &OrgId,
    repository: &RepositoryId,
    batch: &[(&Commit, &CommitAttribution)],
    now: Millis,
) -> StoreResult<()> {
    let mut last_of: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    for (index, (commit, attribution)) in batch.iter().enumerate() {
        if attribution.sha != commit.sha {
            return Err(StoreError::Corrupt(format!(
                "attribution of {} recorded for commit {}",
                attribution.sha, commit.sha
            )));
        }
        last_of.insert(commit.sha.as_str(), index);
    }
    let unique: Vec<(&Commit, &CommitAttribution)> = batch
        .iter()
        .enumerate()
        .filter(|(index, (commit, _))| last_of.get(commit.sha.as_str()) == Some(index))
        .map(|(_, pair)| *pair)
        .collect();
    for chunk in unique.chunks(COMMITS_PER_STATEMENT) {
        upsert_commits(tx, org, repository, chunk, now).await?;
    }
    let shas: Vec<&str> = unique.iter().map(|(c, _)| c.sha.as_str()).collect();
    let mut verdicts = HashMap::new();
    for chunk in shas.chunks(SHAS_PER_STATEMENT) {
        verdicts.extend(verdicts_and_clear_files(tx, repository, chunk).await?);
    }
    // The same path twice in one attribution: the first one stands (and one statement may
    // not touch a row twice).
    let mut seen = std::collections::HashSet::new();
    let files: Vec<FileRow<'_>> = unique
        .iter()
        .flat_map(|(commit, attribution)| {
            let verdict = verdicts.get(commit.sha.as_str());
            attribution.files.iter().map(move |file| FileRow {
                commit,
                file,
                verdict,
            })
        })
        .filter(|row| seen.insert((row.commit.sha.as_str(), row.file.path.as_str())))
        .collect();
    for chunk in files.chunks(FILES_PER_STATEMENT) {
        insert_files(tx, org, repository, chunk, now).await?;
    }
    // Metrics rows already computed over these commits' days are out of date.
    let authored = unique.iter().map(|(commit, _)| commit.author.at_ms);
    if let (Some(from), Some(to)) = (authored.clone().min(), authored.max()) {
        crate::metrics::mark_stale_in(tx, repository, from, to, now).await?;
    }
    Ok(())
}

/// Creates or completes the commit rows; a commit's manual override survives.
async fn upsert_commits(
    tx: &mut Tx,
    org: &OrgId,
    repository: &RepositoryId,
    chunk: &[(&Commit, &CommitAttribution)],
    now: Millis,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO commits (repository_id, sha, org_id, author_name, author_email, \
         authored_at, author_offset, committer_name, committer_email, committed_at, \
         committer_offset, subject, parents, is_merge, lines_added, lines_deleted, \
         ai_lines_added, status, ai_confidence, method, tool, signals, attributed_at) \
         VALUES {} \
         ON CONFLICT (repository_id, sha) DO UPDATE SET author_name = excluded.author_name, \
         author_email = excluded.author_email, authored_at = excluded.authored_at, \
         author_offset = excluded.author_offset, committer_name = excluded.committer_name, \
         committer_email = excluded.committer_email, committed_at = excluded.committed_at, \
         committer_offset = excluded.committer_offset, subject = excluded.subject, \
         parents = excluded.parents, is_merge = excluded.is_merge, \
         lines_added = excluded.lines_added, lines_deleted = excluded.lines_deleted, \
         status = 'attributed', unavailable_reason = NULL, signals = excluded.signals, \
         attributed_at = excluded.attributed_at, \
         ai_lines_added = CASE WHEN commits.overridden_by IS NULL \
            THEN excluded.ai_lines_added ELSE commits.ai_lines_added END, \
         ai_confidence = CASE WHEN commits.overridden_by IS NULL \
            THEN excluded.ai_confidence ELSE commits.ai_confidence END, \
         method = CASE WHEN commits.overridden_by IS NULL \
            THEN excluded.method ELSE commits.method END, \
         tool = CASE WHEN commits.overridden_by IS NULL \
            THEN excluded.tool ELSE commits.tool END",
        value_rows(tx.backend(), chunk.len(), COMMIT_VALUES)
    );
    let mut rows = Vec::with_capacity(chunk.len());
    for (commit, attribution) in chunk {
        let ai_lines: u64 = attribution
            .files
            .iter()
            .filter(|f| f.ai_confidence >= AI_CONFIDENCE_THRESHOLD)
            .map(|f| u64::from(f.lines_added))
            .sum();
        rows.push((
            to_json("commit parents", &commit.parents)?,
            to_json("commit signals", &attribution.signals)?,
            subject_of(&commit.message),
            i64_of(ai_lines),
        ));
    }
    let persistent = chunk.len() == COMMITS_PER_STATEMENT;
    tx!(tx, |conn| {
        let mut query = sqlx::query(&sql).persistent(persistent);
        for ((commit, attribution), (parents, signals, subject, ai_lines)) in chunk.iter().zip(rows)
        {
            query = query
                .bind(repository.as_str())
                .bind(commit.sha.as_str())
                .bind(org.as_str())
                .bind(commit.author.person.name.as_str())
                .bind(commit.author.person.email.as_str())
                .bind(commit.author.at_ms)
                .bind(i64::from(commit.author.utc_offset_minutes))
                .bind(commit.committer.person.name.as_str())
                .bind(commit.committer.person.email.as_str())
                .bind(commit.committer.at_ms)
                .bind(i64::from(commit.committer.utc_offset_minutes))
                .bind(subject)
                .bind(parents)
                .bind(commit.is_merge())
                .bind(i64_of(commit.lines_added()))
                .bind(i64_of(commit.lines_deleted()))
                .bind(ai_lines)
                .bind("attributed")
                .bind(attribution.ai_confidence)
                .bind(attribution.method.as_str())
                .bind(attribution.tool.map(|t| t.as_str()))
                .bind(signals)
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    });
    Ok(())
}

/// The overrides of these commits, by sha, after removing their old file rows.
async fn verdicts_and_clear_files(
    tx: &mut Tx,
    repository: &RepositoryId,
    shas: &[&str],
) -> StoreResult<HashMap<String, Verdict>> {
    let in_list = match tx.backend() {
        Backend::Postgres => "= ANY($2)",
        Backend::Sqlite => "IN (SELECT value FROM json_each($2))",
    };
    let select = format!(
        "SELECT sha, ai_confidence, overridden_by, tool FROM commits \
         WHERE repository_id = $1 AND overridden_by IS NOT NULL AND sha {in_list}"
    );
    // An overridden commit's file rows keep the person's verdict and the risk assessed with
    // it; `insert_files` refreshes only what was read from the commit.
    let delete = format!(
        "DELETE FROM code_attribution WHERE repository_id = $1 AND sha {in_list} \
         AND sha NOT IN (SELECT sha FROM commits WHERE repository_id = $1 \
         AND overridden_by IS NOT NULL)"
    );
    let rows: Vec<(String, f64, String, Option<String>)> = match tx {
        Tx::Postgres(t) => {
            let rows = sqlx::query_as(&select)
                .bind(repository.as_str())
                .bind(shas)
                .fetch_all(&mut **t)
                .await?;
            sqlx::query(&delete)
                .bind(repository.as_str())
                .bind(shas)
                .execute(&mut **t)
                .await?;
            rows
        }
        Tx::Sqlite(t) => {
            let list = to_json("commit shas", &shas)?;
            let rows = sqlx::query_as(&select)
                .bind(repository.as_str())
                .bind(&list)
                .fetch_all(&mut **t)
                .await?;
            sqlx::query(&delete)
                .bind(repository.as_str())
                .bind(&list)
                .execute(&mut **t)
                .await?;
            rows
        }
    };
    Ok(rows
        .into_iter()
        .map(|(sha, confidence, by, tool)| (sha, (confidence, by, tool)))
        .collect())
}

/// One file's row to insert, with its commit's override if it has one.
struct FileRow<'a> {
    commit: &'a Commit,
    file: &'a sentinel_core::code::FileAttribution,
    verdict: Option<&'a Verdict>,
}

async fn insert_files(
    tx: &mut Tx,
    org: &OrgId,
    repository: &RepositoryId,
    chunk: &[FileRow<'_>],
    now: Millis,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO code_attribution (repository_id, sha, path, org_id, authored_at, \
         ai_confidence, method, tool, signals, lines_added, lines_deleted, risk_tier, \
         risk_score, explanation, flagged, overridden_by, overridden_at, computed_at) \
         VALUES {} ON CONFLICT (repository_id, sha, path) DO UPDATE SET \
         authored_at = excluded.authored_at, signals = excluded.signals, \
         lines_added = excluded.lines_added, lines_deleted = excluded.lines_deleted, \
         computed_at = excluded.computed_at WHERE code_attribution.overridden_by IS NOT NULL",
        value_rows(tx.backend(), chunk.len(), FILE_VALUES)
    );
    let signals = chunk
        .iter()
        .map(|row| to_json("file signals", &row.file.signals))
        .collect::<StoreResult<Vec<_>>>()?;
    let persistent = chunk.len() == FILES_PER_STATEMENT;
    tx!(tx, |conn| {
        let mut query = sqlx::query(&sql).persistent(persistent);
        for (row, signals) in chunk.iter().zip(&signals) {
            let (confidence, method, tool, by) = match row.verdict {
                Some((confidence, by, tool)) => (
                    *confidence,
                    "manual_override",
                    tool.as_deref(),
                    Some(by.as_str()),
                ),
                None => (
                    row.file.ai_confidence,
                    row.file.method.as_str(),
                    row.file.tool.map(|t| t.as_str()),
                    None,
                ),
            };
            query = query
                .bind(repository.as_str())
                .bind(row.commit.sha.as_str())
                .bind(row.file.path.as_str())
                .bind(org.as_str())
                .bind(row.commit.author.at_ms)
                .bind(confidence)
                .bind(method)
                .bind(tool)
                .bind(signals.as_str())
                .bind(i64::from(row.file.lines_added))
                .bind(i64::from(row.file.lines_deleted))
                .bind(row.file.risk_tier.as_str())
                .bind(row.file.risk_score)
                .bind(row.file.explanation.as_str())
                .bind(row.file.flagged)
                .bind(by)
                .bind(by.map(|_| now))
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    });
    Ok(())
}
