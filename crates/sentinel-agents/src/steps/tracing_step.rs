//! Tracing: the suspect commit (`find_suspect`), the frames mapped to repository files
//! through the code mappings, and snapshots of the code around the frames that matter —
//! from the SDK's context lines, else from the clone at the revision read. What could not be
//! done (no repository or clone, a frame that maps nowhere, a file over the size limit) is
//! listed and fails the step; the input built so far is kept for the steps after it.

use super::{StepCx, StepOutcome};
use crate::input::input_from_event;
use crate::locate::revision_for;
use crate::suspect::{find_suspect, raise_ai_alert};
use crate::SuspectOutcome;
use sentinel_core::autopsy::{
    detect_repo_hints, AutopsyInput, FileSnapshot, RepoHints, SnapshotSource, SuspectSummary,
};
use sentinel_core::code::mapping::{resolve_frame_path, PathMapping, RepoFiles};
use sentinel_core::workflow::ArtifactKind;
use sentinel_git::{FileAt, Repo};
use sentinel_jobs::JobError;
use sentinel_store::autopsy::NewFileSnapshot;
use sentinel_store::StoreError;
use serde_json::json;

/// The in-app frames nearest the top that get a snapshot.
const SNAPSHOT_FRAMES: usize = 3;
/// Lines each side of the frame's line in a repository snapshot.
const SNAPSHOT_RADIUS: u32 = 7;
/// The largest manifest (`package.json`, `pyproject.toml`…) read for the repository hints.
const MANIFEST_BYTES: u64 = 256 * 1024;

/// Where the repository side was read.
struct Clone {
    path: String,
    revision_hint: Option<String>,
    branch: String,
    release: Option<String>,
    mappings: Vec<PathMapping>,
}

/// What the clone added to the input.
#[derive(Default)]
struct Traced {
    revision: Option<String>,
    /// In-app frames that map to no file of the tree.
    unmapped: Vec<String>,
    problems: Vec<String>,
    /// The test framework and test files found in the tree.
    hints: RepoHints,
}

pub(super) async fn run(cx: &StepCx) -> Result<StepOutcome, JobError> {
    let incident_id = &cx.workflow.incident_id;
    let incident = match cx.store.get_incident(&cx.org, incident_id).await {
        Ok(incident) => incident,
        Err(StoreError::NotFound) => return Ok(StepOutcome::failed("the incident is gone")),
        Err(err) => return Err(err.into()),
    };
    let Some(stored) = cx.store.latest_event(&cx.org, incident_id).await? else {
        return Ok(StepOutcome::failed("the incident has no stored event"));
    };
    let event = stored
        .event()
        .map_err(|e| JobError::permanent(format!("stored event: {e}")))?;
    let mut input = input_from_event(&event);
    let mut problems = Vec::new();

    let now = cx.now();
    let suspect = match find_suspect(&cx.store, &cx.deps, &cx.org, incident_id, now).await? {
        SuspectOutcome::Found(suspect) => {
            raise_ai_alert(&cx.store, &cx.org, incident_id, &suspect, now).await?;
            Some(*suspect)
        }
        SuspectOutcome::NotFound(why) => {
            problems.push(format!("no suspect commit: {why}"));
            None
        }
    };
    if let Some(found) = &suspect {
        let commit = cx
            .store
            .get_commit(&cx.org, &found.repository_id, &found.sha)
            .await?;
        input.suspect = Some(SuspectSummary {
            sha: found.sha.clone(),
            author: found.author_name.clone().unwrap_or_default(),
            summary: commit.and_then(|c| c.subject).unwrap_or_default(),
            ai_tool: found.tool.clone(),
            ai_confidence: found.ai_confidence,
            diff: None,
        });
    }

    // The repository: the suspect's, else the first linked one with a clone.
    let mappings = cx
        .store
        .list_code_mappings(&cx.org, &incident.service_id)
        .await?;
    let mut clone = None;
    for mapping in &mappings {
        if suspect
            .as_ref()
            .is_some_and(|s| s.repository_id != mapping.repository_id)
        {
            continue;
        }
        let Some(repository) = cx
            .store
            .get_repository(&cx.org, &mapping.repository_id)
            .await?
        else {
            continue;
        };
        let Some(path) = repository.clone_path.clone() else {
            continue;
        };
        clone = Some(Clone {
            path,
            revision_hint: suspect.as_ref().map(|s| s.revision.clone()),
            branch: mapping
                .branch
                .clone()
                .unwrap_or_else(|| repository.default_branch.clone()),
            release: incident.release.clone().or(event.release.clone()),
            mappings: mappings
                .iter()
                .filter(|m| m.repository_id == repository.id)
                .map(|m| m.path_mapping())
                .collect(),
        });
        break;
    }
    let traced = match clone {
        Some(clone) => {
            let max = cx.deps.max_file_bytes;
            let frames = std::mem::take(&mut input.frames);
            let (frames, traced) =
                tokio::task::spawn_blocking(move || trace_in_clone(clone, frames, max))
                    .await
                    .map_err(|e| JobError::retry(format!("reading the clone: {e}")))?;
            input.frames = frames;
            traced
        }
        None => Traced {
            problems: vec!["no linked repository has a local clone".into()],
            ..Traced::default()
        },
    };
    input.repo = traced.hints;
    problems.extend(traced.problems);
    let unmapped = traced.unmapped;

    let snapshots = store_snapshots(cx, &input).await?;
    let metadata = json!({
        "input": input,
        "suspect": suspect.as_ref().map(|s| json!({"sha": s.sha, "reason": s.reason})),
        "revision": traced.revision,
        "repository": repository_of(&suspect, &mappings),
        "snapshots": snapshots,
        "unmapped": unmapped,
        "problems": problems,
    });
    if problems.is_empty() {
        Ok(StepOutcome::Done(metadata))
    } else {
        Ok(StepOutcome::Failed {
            reason: problems.join("; "),
            metadata,
        })
    }
}

/// The repository read: the fix step finds its clone through it.
fn repository_of(
    suspect: &Option<sentinel_store::code::IncidentSuspect>,
    mappings: &[sentinel_store::code::CodeMapping],
) -> Option<String> {
    suspect
        .as_ref()
        .map(|s| s.repository_id.as_str().to_owned())
        .or_else(|| {
            mappings
                .first()
                .map(|m| m.repository_id.as_str().to_owned())
        })
}

/// Maps the frames to the tree at the revision and reads snapshots of the top in-app frames
/// the SDK sent no context for.
fn trace_in_clone(
    clone: Clone,
    mut frames: Vec<sentinel_core::autopsy::TracedFrame>,
    max_bytes: u64,
) -> (Vec<sentinel_core::autopsy::TracedFrame>, Traced) {
    let mut traced = Traced::default();
    let repo = match Repo::open(&clone.path) {
        Ok(repo) => repo,
        Err(err) => {
            traced
                .problems
                .push(format!("the clone cannot be read: {err}"));
            return (frames, traced);
        }
    };
    let revision = match clone
        .revision_hint
        .clone()
        .map(Ok)
        .unwrap_or_else(|| revision_for(&repo, clone.release.as_deref(), &clone.branch))
    {
        Ok(revision) => revision,
        Err(err) => {
            traced.problems.push(format!("no revision to read: {err}"));
            return (frames, traced);
        }
    };
    let files = match repo.files_at(&revision) {
        Ok(files) => {
            traced.hints = detect_repo_hints(&files, |path| {
                match repo.file_at(&revision, path, MANIFEST_BYTES) {
                    Ok(FileAt::Text(text)) => Some(text),
                    _ => None,
                }
            });
            RepoFiles::new(files)
        }
        Err(err) => {
            traced
                .problems
                .push(format!("the tree cannot be listed: {err}"));
            return (frames, traced);
        }
    };
    let mut snapshots_taken = 0;
    let mut mapped = 0;
    for frame in frames.iter_mut().filter(|f| f.in_app) {
        let Some(path) = resolve_frame_path(&frame.frame_path, &clone.mappings, &files) else {
            // Interpreter and generated frames map nowhere; only none mapping is a failure.
            traced.unmapped.push(frame.frame_path.clone());
            continue;
        };
        mapped += 1;
        frame.repo_path = Some(path.clone());
        if let Some(snapshot) = frame.snapshot.as_mut() {
            snapshot.path = path;
            snapshots_taken += 1;
            continue;
        }
        if snapshots_taken >= SNAPSHOT_FRAMES {
            continue;
        }
        let Some(line) = frame.line.filter(|l| *l > 0) else {
            continue;
        };
        match repo.file_at(&revision, &path, max_bytes) {
            Ok(FileAt::Text(text)) => {
                frame.snapshot = Some(window(&path, &text, line));
                snapshots_taken += 1;
            }
            Ok(FileAt::TooLarge { size }) => traced.problems.push(format!(
                "{path} is {size} bytes, over the {max_bytes}-byte snapshot limit"
            )),
            Ok(FileAt::Missing) => traced
                .problems
                .push(format!("{path} is not in the tree at {revision}")),
            Err(err) => traced.problems.push(format!("{path}: {err}")),
        }
    }
    if mapped == 0 {
        traced.problems.push(format!(
            "none of {} in-app frames maps to a file of the repository ({})",
            traced.unmapped.len(),
            traced.unmapped.join(", ")
        ));
    } else {
        // Once the repository is known, code outside it is not the application's: an SDK
        // that marks no frame in-app leaves the runtime's own frames in-app otherwise.
        for frame in frames
            .iter_mut()
            .filter(|f| f.in_app && f.repo_path.is_none())
        {
            frame.in_app = false;
        }
    }
    traced.revision = Some(revision);
    (frames, traced)
}

fn window(path: &str, text: &str, line: u32) -> FileSnapshot {
    let first_line = line.saturating_sub(SNAPSHOT_RADIUS).max(1);
    let lines = text
        .lines()
        .skip(first_line as usize - 1)
        .take((line - first_line + SNAPSHOT_RADIUS + 1) as usize)
        .map(str::to_owned)
        .collect();
    FileSnapshot {
        path: path.to_owned(),
        first_line,
        lines,
        focus_line: line,
        source: SnapshotSource::Repository,
    }
}

/// The snapshots as `file_snapshots` rows and `file_snapshot` artifacts; their artifact ids.
async fn store_snapshots(cx: &StepCx, input: &AutopsyInput) -> Result<Vec<String>, JobError> {
    let rows: Vec<NewFileSnapshot> = input
        .frames
        .iter()
        .filter_map(|f| f.snapshot.as_ref())
        .map(|s| NewFileSnapshot {
            workflow_id: cx.workflow.id.clone(),
            incident_id: cx.workflow.incident_id.clone(),
            path: s.path.clone(),
            first_line: i64::from(s.first_line),
            focus_line: i64::from(s.focus_line),
            source: match s.source {
                SnapshotSource::SdkContext => "sdk_context".into(),
                SnapshotSource::Repository => "repository".into(),
            },
            content: s.lines.join("\n"),
        })
        .collect();
    cx.store
        .replace_file_snapshots(&cx.org, &cx.workflow.id, &rows, cx.now())
        .await?;
    let mut ids = Vec::new();
    for row in &rows {
        let text = format!("{}:{}\n{}\n", row.path, row.focus_line, row.content);
        ids.push(
            cx.artifact(ArtifactKind::FileSnapshot, "txt", text.into_bytes())
                .await?
                .id
                .into_string(),
        );
    }
    Ok(ids)
}
