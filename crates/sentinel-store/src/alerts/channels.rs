//! Notification channels per organization: slack, pagerduty, email or webhook, each with its
//! typed configuration (secrets included), kept as a `kind` column and the config as JSON.

use super::{json_text, parse_json};
use crate::db::{read, write};
use crate::{Store, StoreError, StoreResult};
use sentinel_core::channel::ChannelConfig;
use sentinel_core::clock::Millis;
use sentinel_core::id::{ChannelId, OrgId};

/// A stored channel. `config` holds secrets: never serve it as is.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub id: ChannelId,
    pub org_id: OrgId,
    pub name: String,
    pub config: ChannelConfig,
    pub enabled: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Channel {
    /// The channel's kind (`slack`, `pagerduty`, `email`, `webhook`).
    pub fn kind(&self) -> &'static str {
        self.config.kind()
    }
}

#[derive(Debug, Clone)]
pub struct NewChannel {
    pub name: String,
    pub config: ChannelConfig,
    pub enabled: bool,
}

/// A partial change; `None` leaves a field as it is. A new config must keep the kind.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub config: Option<ChannelConfig>,
    pub enabled: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: String,
    org_id: String,
    name: String,
    kind: String,
    config: String,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ChannelRow> for Channel {
    type Error = StoreError;

    fn try_from(row: ChannelRow) -> Result<Self, StoreError> {
        let config = parse_json("channel", &row.id, &row.config)?;
        let config = ChannelConfig::from_parts(&row.kind, config)
            .map_err(|e| StoreError::Corrupt(format!("channel {}: {e}", row.id)))?;
        Ok(Self {
            config,
            id: ChannelId::from_string(row.id),
            org_id: OrgId::from_string(row.org_id),
            name: row.name,
            enabled: row.enabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str = "id, org_id, name, kind, config, enabled, created_at, updated_at";

impl Store {
    pub async fn create_channel(
        &self,
        org: &OrgId,
        new: &NewChannel,
        now: Millis,
    ) -> StoreResult<Channel> {
        let channel = Channel {
            id: ChannelId::generate(),
            org_id: org.clone(),
            name: new.name.clone(),
            config: new.config.clone(),
            enabled: new.enabled,
            created_at: now,
            updated_at: now,
        };
        write!(self, |pool| {
            sqlx::query(&format!(
                "INSERT INTO notification_channels ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(channel.id.as_str())
            .bind(org.as_str())
            .bind(&channel.name)
            .bind(channel.kind())
            .bind(json_text(&channel.config.config_value()))
            .bind(channel.enabled)
            .bind(now)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(channel)
    }

    pub async fn list_channels(&self, org: &OrgId) -> StoreResult<Vec<Channel>> {
        let rows: Vec<ChannelRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM notification_channels WHERE org_id = $1 ORDER BY created_at, id"
            ))
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Channel::try_from).collect()
    }

    pub async fn get_channel(&self, org: &OrgId, id: &ChannelId) -> StoreResult<Option<Channel>> {
        let row: Option<ChannelRow> = read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM notification_channels WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.as_str())
            .bind(id.as_str())
            .fetch_optional(pool)
            .await?
        });
        row.map(Channel::try_from).transpose()
    }

    /// Applies `patch`; `None` when the channel does not exist in `org`.
    pub async fn update_channel(
        &self,
        org: &OrgId,
        id: &ChannelId,
        patch: &ChannelPatch,
        now: Millis,
    ) -> StoreResult<Option<Channel>> {
        let Some(mut channel) = self.get_channel(org, id).await? else {
            return Ok(None);
        };
        if let Some(name) = &patch.name {
            channel.name = name.clone();
        }
        if let Some(config) = &patch.config {
            if config.kind() != channel.kind() {
                return Err(StoreError::Conflict(format!(
                    "channel {id} is {}, not {}",
                    channel.kind(),
                    config.kind()
                )));
            }
            channel.config = config.clone();
        }
        if let Some(enabled) = patch.enabled {
            channel.enabled = enabled;
        }
        channel.updated_at = now;
        write!(self, |pool| {
            sqlx::query(
                "UPDATE notification_channels SET name = $1, config = $2, enabled = $3, \
                 updated_at = $4 WHERE org_id = $5 AND id = $6",
            )
            .bind(&channel.name)
            .bind(json_text(&channel.config.config_value()))
            .bind(channel.enabled)
            .bind(now)
            .bind(org.as_str())
            .bind(id.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(Some(channel))
    }

    /// `false` when there was no such channel in `org`.
    pub async fn delete_channel(&self, org: &OrgId, id: &ChannelId) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query("DELETE FROM notification_channels WHERE org_id = $1 AND id = $2")
                .bind(org.as_str())
                .bind(id.as_str())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }
}
