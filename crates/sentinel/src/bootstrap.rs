//! First start: an empty database gets an organization, an owner with a generated
//! password, and a service whose DSN is printed once.

use crate::config::Config;
use anyhow::Context as _;
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, ServiceId};
use sentinel_store::tenancy::{NewBootstrap, NewOrganization, NewService, NewUser};
use sentinel_store::Store;
use sentinel_web::api::services::build_dsn;
use sentinel_web::auth::{password, tokens};

/// What the first start created. The password exists nowhere else: show it once.
#[derive(Clone)]
pub struct Bootstrap {
    pub dsn: String,
    pub admin_email: String,
    pub admin_password: String,
    pub org_id: OrgId,
    pub service_id: ServiceId,
}

impl std::fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bootstrap")
            .field("dsn", &self.dsn)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &"[REDACTED]")
            .field("org_id", &self.org_id)
            .field("service_id", &self.service_id)
            .finish()
    }
}

impl Bootstrap {
    /// The lines printed on the first start. The DSN has a line of its own starting with
    /// `DSN: `, so scripts can pick it out.
    pub fn announcement(&self) -> String {
        format!(
            "Sentinel is set up. These are shown only once; keep them.\n\
             Admin e-mail: {}\n\
             Admin password: {}\n\
             DSN: {}\n",
            self.admin_email, self.admin_password, self.dsn
        )
    }
}

/// Sets up an empty installation; `None` when it already has an organization.
pub async fn run_if_empty(
    store: &Store,
    config: &Config,
    public_url: &str,
    now: Millis,
) -> anyhow::Result<Option<Bootstrap>> {
    if store.count_organizations().await? > 0 {
        return Ok(None);
    }
    let admin_password = password::generate_password();
    let to_hash = admin_password.clone();
    let password_hash = tokio::task::spawn_blocking(move || password::hash_password(&to_hash))
        .await
        .context("hashing the admin password")??;
    let spec = NewBootstrap {
        organization: NewOrganization {
            slug: config.bootstrap.org_slug.clone(),
            name: config.bootstrap.org_name.clone(),
        },
        admin: NewUser {
            email: config.bootstrap.admin_email.clone(),
            name: "Administrator".to_string(),
            password_hash,
        },
        service: NewService {
            name: config.bootstrap.service_name.clone(),
            platform: String::new(),
        },
        public_key: tokens::generate_dsn_public_key(),
    };
    let Some(created) = store.bootstrap_if_empty(&spec, now).await? else {
        return Ok(None);
    };
    tracing::info!(
        org = %created.organization.id,
        service = %created.service.id,
        admin = %created.admin.email,
        "first start: created the default organization, admin and service"
    );
    Ok(Some(Bootstrap {
        dsn: build_dsn(public_url, &created.key.public_key, created.service.number),
        admin_email: created.admin.email,
        admin_password,
        org_id: created.organization.id,
        service_id: created.service.id,
    }))
}
