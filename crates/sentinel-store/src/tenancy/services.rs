//! Services: what Sentry calls a project. Each has a global `number` (the project id in DSNs
//! and ingest URLs) and the settings that decide which of its incidents alert.
//!
//! Settings are read from the database on every use, so a change takes effect without a
//! restart.

use crate::db::{read, tx, write};
use crate::{Store, StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_core::incident::ErrorClassFilter;

/// A service and its alerting settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub org_id: OrgId,
    /// The project id in DSNs (`…/1`) and ingest URLs (`/api/1/envelope/`). Unique across
    /// all organizations.
    pub number: i64,
    pub name: String,
    pub platform: String,
    pub enabled: bool,
    /// The error classes that alert and get autopsies.
    pub error_class_filter: ErrorClassFilter,
    /// How many events an incident needs before it counts as detected.
    pub min_occurrences: i64,
    pub created_at: Millis,
}

/// What it takes to create a service. Settings start at their defaults: enabled, every
/// class but `client_4xx`, one occurrence.
#[derive(Debug, Clone)]
pub struct NewService {
    pub name: String,
    pub platform: String,
}

/// A partial change of a service's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ServicePatch {
    pub enabled: Option<bool>,
    pub min_occurrences: Option<i64>,
    pub error_class_filter: Option<ErrorClassFilter>,
}

#[derive(sqlx::FromRow)]
struct ServiceRow {
    id: String,
    org_id: String,
    number: i64,
    name: String,
    platform: String,
    enabled: bool,
    error_class_filter: String,
    min_occurrences: i64,
    created_at: i64,
}

impl TryFrom<ServiceRow> for Service {
    type Error = StoreError;

    fn try_from(row: ServiceRow) -> Result<Self, Self::Error> {
        let error_class_filter = ErrorClassFilter::from_csv(&row.error_class_filter)
            .map_err(|err| StoreError::Corrupt(format!("service {}: {err}", row.id)))?;
        Ok(Self {
            id: ServiceId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            number: row.number,
            name: row.name,
            platform: row.platform,
            enabled: row.enabled,
            error_class_filter,
            min_occurrences: row.min_occurrences,
            created_at: row.created_at,
        })
    }
}

const SERVICE_COLUMNS: &str =
    "id, org_id, number, name, platform, enabled, error_class_filter, min_occurrences, created_at";

/// How often to retry when two writers pick the same next number at once. PostgreSQL
/// writers queue on [`NUMBER_LOCK`] first, so this is a last resort.
const NUMBER_ATTEMPTS: usize = 5;

/// The transaction-scoped PostgreSQL advisory lock that serialises number assignment.
/// (SQLite needs none: `BEGIN IMMEDIATE` already admits one writer at a time.)
const NUMBER_LOCK: i64 = 0x5e47_0001;

/// Inserts a service with the next free number inside a transaction.
pub(super) async fn insert_service(
    tx: &mut Tx,
    org: &OrgId,
    new: &NewService,
    now: Millis,
) -> StoreResult<Service> {
    let is_postgres = tx.backend() == crate::Backend::Postgres;
    let service = tx!(tx, |conn| {
        if is_postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(NUMBER_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        let number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM services")
            .fetch_one(&mut *conn)
            .await?;
        let service = Service {
            id: ServiceId::generate(),
            org_id: org.clone(),
            number,
            name: new.name.clone(),
            platform: new.platform.clone(),
            enabled: true,
            error_class_filter: ErrorClassFilter::default(),
            min_occurrences: 1,
            created_at: now,
        };
        sqlx::query(
            "INSERT INTO services (id, org_id, number, name, platform, enabled, \
             error_class_filter, min_occurrences, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(service.id.as_str())
        .bind(org.as_str())
        .bind(number)
        .bind(&service.name)
        .bind(&service.platform)
        .bind(service.enabled)
        .bind(service.error_class_filter.to_csv())
        .bind(service.min_occurrences)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        service
    });
    Ok(service)
}

impl Store {
    /// Creates a service with the next global number. A name already used in this
    /// organization is a [`StoreError::Conflict`].
    pub async fn create_service(
        &self,
        org: &OrgId,
        new: &NewService,
        now: Millis,
    ) -> StoreResult<Service> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut tx = self.begin().await?;
            match insert_service(&mut tx, org, new, now).await {
                Ok(service) => {
                    tx.commit().await?;
                    return Ok(service);
                }
                Err(StoreError::Conflict(message)) => {
                    drop(tx);
                    // Either the name is taken (final) or a concurrent writer took the
                    // number we picked (try again with the next one).
                    if attempt >= NUMBER_ATTEMPTS
                        || self.find_service_by_name(org, &new.name).await?.is_some()
                    {
                        return Err(StoreError::Conflict(message));
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// A service of this organization.
    pub async fn get_service(&self, org: &OrgId, id: &ServiceId) -> StoreResult<Option<Service>> {
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = $1 AND org_id = $2");
        let row: Option<ServiceRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(id.as_str())
                .bind(org.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(Service::try_from).transpose()
    }

    /// The service with this project number, in whichever organization owns it. Not scoped:
    /// ingest finds the organization this way (and must then check the DSN key belongs to
    /// the same service).
    pub async fn get_service_by_number(&self, number: i64) -> StoreResult<Option<Service>> {
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM services WHERE number = $1");
        let row: Option<ServiceRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(number)
                .fetch_optional(pool)
                .await?
        });
        row.map(Service::try_from).transpose()
    }

    pub async fn find_service_by_name(
        &self,
        org: &OrgId,
        name: &str,
    ) -> StoreResult<Option<Service>> {
        let sql = format!("SELECT {SERVICE_COLUMNS} FROM services WHERE org_id = $1 AND name = $2");
        let row: Option<ServiceRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(org.as_str())
                .bind(name)
                .fetch_optional(pool)
                .await?
        });
        row.map(Service::try_from).transpose()
    }

    /// The organization's services by number.
    pub async fn list_services(&self, org: &OrgId) -> StoreResult<Vec<Service>> {
        let sql =
            format!("SELECT {SERVICE_COLUMNS} FROM services WHERE org_id = $1 ORDER BY number");
        let rows: Vec<ServiceRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(org.as_str())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(Service::try_from).collect()
    }

    /// Applies a settings change and returns the service as it now is; `None` when the
    /// service does not exist in this organization.
    pub async fn update_service_settings(
        &self,
        org: &OrgId,
        id: &ServiceId,
        patch: &ServicePatch,
    ) -> StoreResult<Option<Service>> {
        let sql = format!(
            "UPDATE services SET enabled = COALESCE($1, enabled), \
             min_occurrences = COALESCE($2, min_occurrences), \
             error_class_filter = COALESCE($3, error_class_filter) \
             WHERE id = $4 AND org_id = $5 RETURNING {SERVICE_COLUMNS}"
        );
        let filter = patch.error_class_filter.as_ref().map(|f| f.to_csv());
        let row: Option<ServiceRow> = write!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(patch.enabled)
                .bind(patch.min_occurrences)
                .bind(filter.as_deref())
                .bind(id.as_str())
                .bind(org.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(Service::try_from).transpose()
    }
}

impl From<Service> for sentinel_core::ingest::ServiceTarget {
    fn from(service: Service) -> Self {
        Self {
            org_id: service.org_id,
            service_id: service.id,
            service_number: service.number,
            service_name: service.name,
            enabled: service.enabled,
            error_class_filter: service.error_class_filter,
            min_occurrences: service.min_occurrences,
        }
    }
}
