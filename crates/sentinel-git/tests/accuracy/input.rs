//! From a captured envelope to the autopsy's input, as the workflow's tracing step builds
//! it: the raised exception, frames top first mapped to repository files by longest suffix
//! against the tree at the release, snapshots from the repository (else the SDK's context
//! lines), repository hints from the tree, and the suspect commit by blame at the release.

use sentinel_core::attribution::{attribute, AttributionContext, RiskRules};
use sentinel_core::autopsy::{
    detect_language, detect_repo_hints, AutopsyInput, FileSnapshot, SnapshotSource, SuspectSummary,
    TracedFrame,
};
use sentinel_core::event::{Event, Frame};
use sentinel_git::{FileAt, Repo};

/// Lines of the repository file kept on each side of the frame's line.
const WINDOW: u32 = 40;
const MAX_FILE: u64 = 1 << 20;

pub fn parse_event(envelope: &[u8]) -> Event {
    let batch = sentinel_ingest::read_envelope(envelope, 0).unwrap();
    batch.events.into_iter().next().unwrap()
}

/// The repository file that `path` ends with, the longest such.
pub fn map_path(path: &str, files: &[String]) -> Option<String> {
    files
        .iter()
        .filter(|f| path == f.as_str() || path.ends_with(&format!("/{f}")))
        .max_by_key(|f| f.len())
        .cloned()
}

fn snapshot(repo: &Repo, rev: &str, repo_path: &str, frame: &Frame) -> Option<FileSnapshot> {
    let line = frame.lineno?;
    if let FileAt::Text(text) = repo.file_at(rev, repo_path, MAX_FILE).unwrap() {
        let all: Vec<&str> = text.lines().collect();
        let first = line.saturating_sub(WINDOW).max(1);
        let last = (line + WINDOW).min(all.len() as u32);
        if line as usize <= all.len() {
            return Some(FileSnapshot {
                path: repo_path.to_string(),
                first_line: first,
                lines: all[first as usize - 1..last as usize]
                    .iter()
                    .map(|l| l.to_string())
                    .collect(),
                focus_line: line,
                source: SnapshotSource::Repository,
            });
        }
    }
    let context = frame.context_line.clone()?;
    let mut lines = frame.pre_context.clone();
    lines.push(context);
    lines.extend(frame.post_context.iter().cloned());
    Some(FileSnapshot {
        path: repo_path.to_string(),
        first_line: line.checked_sub(frame.pre_context.len() as u32)?,
        lines,
        focus_line: line,
        source: SnapshotSource::SdkContext,
    })
}

/// The autopsy input for `event` against the clone at `release`.
pub fn build(event: &Event, repo: &Repo, release: &str) -> AutopsyInput {
    let files = repo.files_at(release).unwrap();
    let exception = event.exceptions.last().unwrap();
    let frames: Vec<TracedFrame> = exception
        .frames
        .iter()
        .rev()
        .map(|f| {
            let frame_path = f
                .abs_path
                .clone()
                .or_else(|| f.filename.clone())
                .unwrap_or_default();
            let repo_path = map_path(&frame_path, &files);
            let snapshot = repo_path
                .as_deref()
                .and_then(|p| snapshot(repo, release, p, f));
            TracedFrame {
                frame_path,
                in_app: f.in_app.unwrap_or(false) && repo_path.is_some(),
                repo_path,
                function: f.function.clone(),
                line: f.lineno,
                snapshot,
                vars: f.vars.clone(),
            }
        })
        .collect();
    let repo_hints = detect_repo_hints(&files, |p| match repo.file_at(release, p, MAX_FILE) {
        Ok(FileAt::Text(text)) => Some(text),
        _ => None,
    });
    let mut input = AutopsyInput {
        language: detect_language(&event.platform, &frames),
        exception_type: exception.ty.clone(),
        exception_message: exception.value.clone().unwrap_or_default(),
        handled: exception
            .mechanism
            .as_ref()
            .and_then(|m| m.handled)
            .unwrap_or(true),
        mechanism: exception.mechanism.as_ref().map(|m| m.ty.clone()),
        frames,
        http_status: None,
        route: event.transaction.clone(),
        suspect: None,
        repo: repo_hints,
    };
    input.suspect = suspect(repo, release, &input);
    input
}

/// The commit that last changed the top-most in-app frame's line, at the release.
pub fn suspect_sha(repo: &Repo, release: &str, input: &AutopsyInput) -> Option<String> {
    let frame = input.frames.iter().find(|f| f.in_app && f.line.is_some())?;
    let blamed = repo
        .blame_line(release, frame.repo_path.as_deref()?, frame.line?)
        .unwrap()?;
    Some(blamed.sha)
}

fn suspect(repo: &Repo, release: &str, input: &AutopsyInput) -> Option<SuspectSummary> {
    let sha = suspect_sha(repo, release, input)?;
    let commit = repo.commit(&sha).unwrap();
    let attribution = attribute(
        &commit,
        &AttributionContext::default(),
        &RiskRules::default(),
    );
    Some(SuspectSummary {
        sha,
        author: format!(
            "{} <{}>",
            commit.author.person.name, commit.author.person.email
        ),
        summary: commit.message.lines().next().unwrap_or("").to_string(),
        ai_tool: attribution.tool.map(|t| t.as_str().to_string()),
        ai_confidence: Some(attribution.ai_confidence),
        diff: None,
    })
}
