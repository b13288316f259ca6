//! The append-only code-event feed of a repository. Inserts are idempotent through a dedup
//! key (one `commit` event per sha however many pushes carry it; one event per delivery and
//! pull request otherwise), so a job that applies a delivery twice adds nothing the second
//! time. The feed reads newest first with a keyset cursor over (occurred_at, id).

use super::cursor::{self, ListError};
use super::rows::{parse_json, to_json};
use super::AI_CONFIDENCE_THRESHOLD;
use crate::db::{read, tx};
use crate::incidents::{value_rows, Page};
use crate::{Store, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::code::{CodeEvent, CodeEventDetails, CodeEventKind};
use sentinel_core::id::{CodeEventId, OrgId, RepositoryId};

/// A code event to insert, with the delivery it came from.
#[derive(Debug, Clone)]
pub struct NewCodeEvent {
    pub event: CodeEvent,
    pub delivery_id: Option<String>,
}

impl NewCodeEvent {
    pub fn new(event: CodeEvent, delivery_id: Option<String>) -> Self {
        Self { event, delivery_id }
    }

    /// What makes two inserts the same event. A commit is one event per sha; anything else is
    /// one per delivery (or, from a source without deliveries, per time and actor), pull
    /// request and sha.
    pub fn dedup_key(&self) -> String {
        let kind = self.event.kind();
        if let CodeEventDetails::Commit(commit) = &self.event.details {
            return format!("commit:{}", commit.sha);
        }
        let origin = match &self.delivery_id {
            Some(id) => id.clone(),
            None => format!("{}@{}", self.event.actor, self.event.occurred_at),
        };
        let extra = match &self.event.details {
            CodeEventDetails::Deploy(deploy) => {
                format!("{}:{}", deploy.deployment_id, deploy.environment)
            }
            CodeEventDetails::Review(review) => {
                format!("{}:{}", review.reviewer_login, review.submitted_at)
            }
            CodeEventDetails::BranchDeleted { branch, .. } => branch.clone(),
            CodeEventDetails::Incident { incident_id, .. } => incident_id.clone(),
            _ => String::new(),
        };
        format!(
            "{kind}:{origin}:{}:{}:{extra}",
            self.event
                .pr_number()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            self.event.sha().unwrap_or("")
        )
    }
}

/// A stored code event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCodeEvent {
    pub id: CodeEventId,
    pub repository_id: RepositoryId,
    pub kind: CodeEventKind,
    pub event: CodeEvent,
    pub delivery_id: Option<String>,
    pub received_at: Millis,
}

/// The feed's filters; `None` is "any".
#[derive(Debug, Clone, Default)]
pub struct CodeEventFilter {
    pub kind: Option<CodeEventKind>,
    /// The actor: a GitHub login or a git e-mail.
    pub author: Option<String>,
    /// `Some(true)`: only events about a commit attributed as AI; `Some(false)`: only about
    /// commits attributed as human.
    pub ai: Option<bool>,
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: String,
    repository_id: String,
    kind: String,
    occurred_at: i64,
    actor: String,
    delivery_id: Option<String>,
    details: String,
    received_at: i64,
}

impl TryFrom<EventRow> for StoredCodeEvent {
    type Error = crate::StoreError;

    fn try_from(row: EventRow) -> StoreResult<Self> {
        let details: CodeEventDetails =
            parse_json(&format!("code event {} details", row.id), &row.details)?;
        let kind = row
            .kind
            .parse()
            .map_err(|e| crate::StoreError::Corrupt(format!("code event {}: {e}", row.id)))?;
        Ok(Self {
            id: CodeEventId::from_string(row.id),
            repository_id: RepositoryId::from_string(row.repository_id),
            kind,
            event: CodeEvent {
                occurred_at: row.occurred_at,
                actor: row.actor,
                details,
            },
            delivery_id: row.delivery_id,
            received_at: row.received_at,
        })
    }
}

pub(super) const COLUMNS: &str =
    "id, repository_id, kind, occurred_at, actor, delivery_id, details, received_at";
const FEED_TAG: &str = "e";
/// Values per row of `insert_code_events`, and rows per statement (well under both
/// backends' limit on bound values).
const EVENT_VALUES: usize = 13;
const EVENTS_PER_STATEMENT: usize = 500;

impl Store {
    /// Appends events to a repository's feed in one transaction. Events already there (by
    /// dedup key) are skipped; the ids of the new ones are returned, in input order. Many
    /// events go in a few multi-row statements.
    pub async fn insert_code_events(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        events: &[NewCodeEvent],
        now: Millis,
    ) -> StoreResult<Vec<CodeEventId>> {
        let ids: Vec<CodeEventId> = events.iter().map(|_| CodeEventId::generate()).collect();
        let mut rows = Vec::with_capacity(events.len());
        for new in events {
            rows.push((
                to_json("code event details", &new.event.details)?,
                new.dedup_key(),
            ));
        }
        let mut tx = self.begin().await?;
        let mut returned = std::collections::HashSet::new();
        for (number, chunk) in events.chunks(EVENTS_PER_STATEMENT).enumerate() {
            let start = number * EVENTS_PER_STATEMENT;
            let sql = format!(
                "INSERT INTO code_events (id, org_id, repository_id, kind, occurred_at, actor, \
                 sha, pr_number, environment, delivery_id, dedup_key, details, received_at) \
                 VALUES {} ON CONFLICT (repository_id, dedup_key) DO NOTHING RETURNING id",
                value_rows(tx.backend(), chunk.len(), EVENT_VALUES)
            );
            // Only full-size statements are kept prepared (see `code::commits::record`).
            let persistent = chunk.len() == EVENTS_PER_STATEMENT;
            let inserted: Vec<String> = tx!(&mut tx, |conn| {
                let mut query = sqlx::query_scalar::<_, String>(&sql).persistent(persistent);
                for (offset, new) in chunk.iter().enumerate() {
                    let (details, dedup_key) = &rows[start + offset];
                    let environment = match &new.event.details {
                        CodeEventDetails::Deploy(deploy) => Some(deploy.environment.as_str()),
                        _ => None,
                    };
                    query = query
                        .bind(ids[start + offset].as_str())
                        .bind(org.as_str())
                        .bind(repository.as_str())
                        .bind(new.event.kind().as_str())
                        .bind(new.event.occurred_at)
                        .bind(new.event.actor.as_str())
                        .bind(new.event.sha())
                        .bind(new.event.pr_number().and_then(|n| i64::try_from(n).ok()))
                        .bind(environment)
                        .bind(new.delivery_id.as_deref())
                        .bind(dedup_key.as_str())
                        .bind(details.as_str())
                        .bind(now);
                }
                query.fetch_all(&mut *conn).await?
            });
            returned.extend(inserted);
        }
        tx.commit().await?;
        Ok(ids
            .into_iter()
            .filter(|id| returned.contains(id.as_str()))
            .collect())
    }

    /// One event of the organization's feeds.
    pub async fn get_code_event(
        &self,
        org: &OrgId,
        id: &CodeEventId,
    ) -> StoreResult<Option<StoredCodeEvent>> {
        let row: Option<EventRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM code_events WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(StoredCodeEvent::try_from).transpose()
    }

    /// A repository's feed, newest first, a page at a time.
    pub async fn list_code_events(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        filter: &CodeEventFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<StoredCodeEvent>, ListError> {
        let after = cursor.map(|c| cursor::decode(FEED_TAG, c)).transpose()?;
        let limit = limit.clamp(1, super::MAX_CODE_PAGE);
        // Fixed placeholders: $1 org, $2 repository, $3/$4 the cursor, $5 kind, $6 author.
        let mut sql = format!(
            "SELECT {COLUMNS} FROM code_events e WHERE e.org_id = $1 AND e.repository_id = $2 \
             AND ($3 IS NULL OR e.occurred_at < $3 OR (e.occurred_at = $3 AND e.id < $4)) \
             AND ($5 IS NULL OR e.kind = $5) AND ($6 IS NULL OR e.actor = $6)"
        );
        if let Some(ai) = filter.ai {
            let comparison = if ai { ">=" } else { "<" };
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM commits c WHERE c.repository_id = e.repository_id \
                 AND c.sha = e.sha AND c.ai_confidence {comparison} {AI_CONFIDENCE_THRESHOLD})"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY e.occurred_at DESC, e.id DESC LIMIT {}",
            limit + 1
        ));
        let (after_at, after_id) = match &after {
            Some((at, id)) => (Some(*at), Some(id.as_str())),
            None => (None, None),
        };
        let kind = filter.kind.map(CodeEventKind::as_str);
        let rows: Vec<EventRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(org.as_str())
                .bind(repository.as_str())
                .bind(after_at)
                .bind(after_id)
                .bind(kind)
                .bind(filter.author.as_deref())
                .fetch_all(pool)
                .await
                .map_err(crate::StoreError::from)?
        });
        let mut items = rows
            .into_iter()
            .map(StoredCodeEvent::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|last| cursor::encode(FEED_TAG, last.event.occurred_at, last.id.as_str()))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// The latest deploy of `environment` that happened before `before`: where the commits a
    /// new deploy ships start.
    pub async fn previous_deploy(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        environment: &str,
        before: Millis,
    ) -> StoreResult<Option<StoredCodeEvent>> {
        let row: Option<EventRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM code_events WHERE org_id = $1 AND repository_id = $2 \
                 AND kind = 'deploy' AND environment = $3 AND occurred_at < $4 \
                 ORDER BY occurred_at DESC, id DESC LIMIT 1"
            ))
            .bind(org.as_str())
            .bind(repository.as_str())
            .bind(environment)
            .bind(before)
            .fetch_optional(pool)
            .await?
        });
        row.map(StoredCodeEvent::try_from).transpose()
    }

    /// The latest pull-request event whose head is `sha`: the pull request a pushed commit
    /// belongs to, once its webhook has arrived.
    pub async fn latest_pull_request_for_sha(
        &self,
        org: &OrgId,
        repository: &RepositoryId,
        sha: &str,
    ) -> StoreResult<Option<StoredCodeEvent>> {
        let row: Option<EventRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM code_events WHERE org_id = $1 AND repository_id = $2 \
                 AND kind IN ('pr_opened', 'pr_updated', 'pr_merged', 'pr_closed') AND sha = $3 \
                 ORDER BY occurred_at DESC, id DESC LIMIT 1"
            ))
            .bind(org.as_str())
            .bind(repository.as_str())
            .bind(sha)
            .fetch_optional(pool)
            .await?
        });
        row.map(StoredCodeEvent::try_from).transpose()
    }
}
