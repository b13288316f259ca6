//! GitHub App installations. An installation arrives with an `installation` webhook before
//! any organization knows about it; it belongs to nobody (`org_id` NULL) until an
//! organization claims it. Deciding that the only organization of a single-tenant server
//! takes an unclaimed installation is the caller's business: this module finds and claims.

use crate::db::{read, tx, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::clock::Millis;
use sentinel_core::id::OrgId;

/// An installation of the GitHub App on an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubInstallation {
    /// GitHub's installation id.
    pub github_id: i64,
    pub account_login: String,
    /// `User` or `Organization`.
    pub account_type: String,
    /// The organization that claimed it; `None` until then.
    pub org_id: Option<OrgId>,
    pub suspended: bool,
    /// Uninstalled on GitHub; kept so later deliveries about it are recognised.
    pub deleted: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub claimed_at: Option<Millis>,
}

/// What an `installation` webhook says about an installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationUpsert {
    pub github_id: i64,
    pub account_login: String,
    pub account_type: String,
    pub suspended: bool,
}

/// Why an installation could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimInstallationError {
    #[error("no such installation")]
    NotFound,
    #[error("installation already claimed by another organization")]
    ClaimedByAnother,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(sqlx::FromRow)]
struct InstallationRow {
    github_id: i64,
    account_login: String,
    account_type: String,
    org_id: Option<String>,
    suspended: bool,
    deleted: bool,
    created_at: i64,
    updated_at: i64,
    claimed_at: Option<i64>,
}

impl From<InstallationRow> for GithubInstallation {
    fn from(row: InstallationRow) -> Self {
        Self {
            github_id: row.github_id,
            account_login: row.account_login,
            account_type: row.account_type,
            org_id: row.org_id.map(OrgId::from_string),
            suspended: row.suspended,
            deleted: row.deleted,
            created_at: row.created_at,
            updated_at: row.updated_at,
            claimed_at: row.claimed_at,
        }
    }
}

const COLUMNS: &str = "github_id, account_login, account_type, org_id, suspended, deleted, \
     created_at, updated_at, claimed_at";

impl Store {
    /// Records an installation as a webhook describes it. A re-created or unsuspended
    /// installation is live again; its claim is kept.
    pub async fn upsert_installation(
        &self,
        installation: &InstallationUpsert,
        now: Millis,
    ) -> StoreResult<GithubInstallation> {
        let row: InstallationRow = write!(self, |pool| {
            sqlx::query_as(&format!(
                "INSERT INTO github_installations (github_id, account_login, account_type, \
                 suspended, deleted, created_at, updated_at) VALUES ($1, $2, $3, $4, FALSE, $5, $5) \
                 ON CONFLICT (github_id) DO UPDATE SET account_login = excluded.account_login, \
                 account_type = excluded.account_type, suspended = excluded.suspended, \
                 deleted = FALSE, updated_at = excluded.updated_at RETURNING {COLUMNS}"
            ))
            .bind(installation.github_id)
            .bind(&installation.account_login)
            .bind(&installation.account_type)
            .bind(installation.suspended)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        Ok(row.into())
    }

    /// An installation by GitHub's id, whoever owns it. Not scoped: a webhook names the
    /// installation, and this is how its organization is found.
    pub async fn find_installation(
        &self,
        github_id: i64,
    ) -> StoreResult<Option<GithubInstallation>> {
        let row: Option<InstallationRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM github_installations WHERE github_id = $1"
            ))
            .bind(github_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(Into::into))
    }

    /// Live installations no organization has claimed yet, oldest first.
    pub async fn list_unclaimed_installations(&self) -> StoreResult<Vec<GithubInstallation>> {
        let rows: Vec<InstallationRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM github_installations \
                 WHERE org_id IS NULL AND deleted = FALSE ORDER BY created_at, github_id"
            ))
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The organization's installations.
    pub async fn list_installations(&self, org: &OrgId) -> StoreResult<Vec<GithubInstallation>> {
        let rows: Vec<InstallationRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM github_installations WHERE org_id = $1 ORDER BY github_id"
            ))
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Gives an unclaimed installation to `org`. Claiming one's own installation again is a
    /// no-op that keeps the first `claimed_at`; another organization's is refused.
    pub async fn claim_installation(
        &self,
        github_id: i64,
        org: &OrgId,
        now: Millis,
    ) -> Result<GithubInstallation, ClaimInstallationError> {
        let row: Option<InstallationRow> = write!(self, |pool| {
            sqlx::query_as(&format!(
                "UPDATE github_installations SET org_id = $1, \
                 claimed_at = COALESCE(claimed_at, $2), updated_at = $2 \
                 WHERE github_id = $3 AND (org_id IS NULL OR org_id = $1) RETURNING {COLUMNS}"
            ))
            .bind(org.as_str())
            .bind(now)
            .bind(github_id)
            .fetch_optional(pool)
            .await
            .map_err(StoreError::from)?
        });
        match row {
            Some(row) => Ok(row.into()),
            None => match self.find_installation(github_id).await? {
                Some(_) => Err(ClaimInstallationError::ClaimedByAnother),
                None => Err(ClaimInstallationError::NotFound),
            },
        }
    }

    /// Marks an installation uninstalled and detaches its repositories (they and their
    /// history stay; they are simply no longer reachable through GitHub). `false` when the
    /// installation is unknown.
    pub async fn remove_installation(&self, github_id: i64, now: Millis) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let found = tx!(&mut tx, |conn| {
            let found = sqlx::query(
                "UPDATE github_installations SET deleted = TRUE, updated_at = $1 \
                 WHERE github_id = $2",
            )
            .bind(now)
            .bind(github_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
                > 0;
            sqlx::query(
                "UPDATE repositories SET installation_id = NULL, updated_at = $1 \
                 WHERE installation_id = $2",
            )
            .bind(now)
            .bind(github_id)
            .execute(&mut *conn)
            .await?;
            found
        });
        tx.commit().await?;
        Ok(found)
    }
}
