//! The suspect step: which repository the incident's service maps to, which commit of it
//! the frames blame (see `locate`), and that commit's attribution — attributing it on the
//! spot when the code side never saw it — stored on the incident.

use crate::locate::{locate, revision_for, FrameRef, Located};
use crate::{AutopsyDeps, AutopsyPayload};
use sentinel_core::clock::Millis;
use sentinel_core::code::mapping::{frame_path, frames_top_first, PathMapping};
use sentinel_core::id::{IncidentId, OrgId};
use sentinel_jobs::code::{attribute_and_record, ReadCommit};
use sentinel_jobs::kinds::AI_ATTRIBUTED_KIND;
use sentinel_jobs::JobError;
use sentinel_store::code::{CommitStatus, IncidentSuspect, Repository};
use sentinel_store::jobs::NewJob;
use sentinel_store::{Store, StoreError};

/// What the search concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum SuspectOutcome {
    Found(Box<IncidentSuspect>),
    /// Nothing to blame, and why (no linked repository, no clone, no frame maps…).
    NotFound(String),
}

/// Enqueues the AI-attribution alert for an attributed suspect: the alert rules decide
/// whether it is AI enough to alert.
pub(crate) async fn raise_ai_alert(
    store: &Store,
    org: &OrgId,
    incident: &IncidentId,
    suspect: &IncidentSuspect,
    now: Millis,
) -> Result<(), JobError> {
    if suspect.ai_confidence.is_none() {
        return Ok(());
    }
    let job = NewJob::with_payload(
        AI_ATTRIBUTED_KIND,
        &AutopsyPayload {
            incident_id: incident.as_str().to_owned(),
            org_id: org.as_str().to_owned(),
        },
    )
    .map_err(|e| JobError::permanent(e.to_string()))?
    .org(org.clone())
    .dedup_key(format!("{AI_ATTRIBUTED_KIND}:{incident}:{}", suspect.sha));
    store.enqueue(&job, now).await?;
    Ok(())
}

/// Finds and records the incident's suspect commit.
pub async fn find_suspect(
    store: &Store,
    deps: &AutopsyDeps,
    org: &OrgId,
    incident_id: &IncidentId,
    now: Millis,
) -> Result<SuspectOutcome, JobError> {
    let incident = match store.get_incident(org, incident_id).await {
        Ok(incident) => incident,
        Err(StoreError::NotFound) => return Err(JobError::permanent("incident not found")),
        Err(err) => return Err(err.into()),
    };
    let mappings = store.list_code_mappings(org, &incident.service_id).await?;
    if mappings.is_empty() {
        return Ok(SuspectOutcome::NotFound(
            "the service is linked to no repository".into(),
        ));
    }
    let Some(stored) = store.latest_event(org, incident_id).await? else {
        return Ok(SuspectOutcome::NotFound(
            "the incident has no stored event".into(),
        ));
    };
    let event = stored
        .event()
        .map_err(|e| JobError::permanent(format!("stored event: {e}")))?;
    let frames: Vec<FrameRef> = frames_top_first(&event)
        .into_iter()
        .filter_map(|f| {
            frame_path(f).map(|path| FrameRef {
                path: path.to_owned(),
                line: f.lineno,
            })
        })
        .collect();
    if frames.is_empty() {
        return Ok(SuspectOutcome::NotFound(
            "the event has no in-app frames".into(),
        ));
    }
    let release = incident.release.clone().or(event.release.clone());

    // Each mapped repository in the order its first mapping was made.
    let mut reasons = Vec::new();
    let mut seen = Vec::new();
    for mapping in &mappings {
        if seen.contains(&mapping.repository_id) {
            continue;
        }
        seen.push(mapping.repository_id.clone());
        let Some(repository) = store.get_repository(org, &mapping.repository_id).await? else {
            continue;
        };
        let Some(clone) = repository.clone_path.clone() else {
            reasons.push(format!("{} has no local clone", repository.full_name));
            continue;
        };
        let path_mappings: Vec<PathMapping> = mappings
            .iter()
            .filter(|m| m.repository_id == repository.id)
            .map(|m| m.path_mapping())
            .collect();
        let branch = mapping
            .branch
            .clone()
            .unwrap_or_else(|| repository.default_branch.clone());
        let (frames, release) = (frames.clone(), release.clone());
        let first_seen = incident.first_seen;
        let searched = tokio::task::spawn_blocking(move || {
            let repo = sentinel_git::Repo::open(&clone)?;
            let revision = revision_for(&repo, release.as_deref(), &branch)?;
            locate(&repo, &revision, first_seen, &frames, &path_mappings)
        })
        .await
        .map_err(|e| JobError::retry(format!("searching the clone: {e}")))?;
        match searched {
            Ok(Ok(located)) => {
                let suspect =
                    with_attribution(store, deps, org, &repository, incident_id, located, now)
                        .await?;
                store.set_incident_suspect(org, &suspect).await?;
                return Ok(SuspectOutcome::Found(Box::new(suspect)));
            }
            Ok(Err(not)) => reasons.push(format!("{}: {not}", repository.full_name)),
            Err(err) => reasons.push(format!("{}: {err}", repository.full_name)),
        }
    }
    Ok(SuspectOutcome::NotFound(reasons.join("; ")))
}

/// The located commit with its attribution; attributed now when it was never scored.
async fn with_attribution(
    store: &Store,
    deps: &AutopsyDeps,
    org: &OrgId,
    repository: &Repository,
    incident_id: &IncidentId,
    located: Located,
    now: Millis,
) -> Result<IncidentSuspect, JobError> {
    let known = store.get_commit(org, &repository.id, &located.sha).await?;
    let attributed = known.filter(|c| c.status == CommitStatus::Attributed);
    let commit = match attributed {
        Some(commit) => Some(commit),
        None => match deps.reader.read(repository, &located.sha, now).await? {
            ReadCommit::Found(commit) => {
                attribute_and_record(store, org, repository, &commit, now).await?;
                store.get_commit(org, &repository.id, &located.sha).await?
            }
            ReadCommit::Unavailable(_) => None,
        },
    };
    Ok(IncidentSuspect {
        incident_id: incident_id.clone(),
        repository_id: repository.id.clone(),
        sha: located.sha,
        path: located.path,
        line: located.line.map(i64::from),
        revision: located.revision,
        reason: located.reason,
        author_name: commit.as_ref().and_then(|c| c.author_name.clone()),
        author_email: commit.as_ref().and_then(|c| c.author_email.clone()),
        authored_at: commit.as_ref().and_then(|c| c.authored_at),
        ai_confidence: commit.as_ref().and_then(|c| c.ai_confidence),
        method: commit
            .as_ref()
            .and_then(|c| c.method)
            .map(|m| m.as_str().to_owned()),
        tool: commit
            .as_ref()
            .and_then(|c| c.tool)
            .map(|t| t.as_str().to_owned()),
        found_at: now,
    })
}
