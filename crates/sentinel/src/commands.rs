//! The one-shot commands: `migrate`, `user create`, `project create`, `apikey create`.
//!
//! Each returns what it prints, so tests can check it without a process. Secrets (generated
//! passwords, API keys) are printed once and never logged.

use crate::cli::{ApiKeyCreateArgs, ProjectCreateArgs, UserCreateArgs};
use crate::config::{describe_database, Config};
use crate::server::open_store;
use anyhow::{bail, Context as _};
use sentinel_core::clock::SharedClock;
use sentinel_store::tenancy::{NewApiKey, NewService, NewUser, Organization};
use sentinel_store::{Store, StoreError};
use sentinel_web::api::services::build_dsn;
use sentinel_web::auth::{password, tokens};

/// `sentinel migrate`.
pub async fn migrate(config: &Config) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let readiness = store.check_ready().await?;
    store.close().await;
    Ok(format!(
        "Database {} is up to date ({} migrations applied).\n",
        describe_database(config),
        readiness.migrations_applied
    ))
}

/// `sentinel user create`.
pub async fn create_user(
    config: &Config,
    clock: &SharedClock,
    args: &UserCreateArgs,
) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let result = create_user_in(&store, clock, args).await;
    store.close().await;
    result
}

async fn create_user_in(
    store: &Store,
    clock: &SharedClock,
    args: &UserCreateArgs,
) -> anyhow::Result<String> {
    let org = resolve_org(store, args.org.as_deref()).await?;
    let now = clock.now_ms();
    let mut out = String::new();
    let user = match store.find_user_by_email(&args.email).await? {
        Some(user) => {
            if args.password.is_some() {
                bail!(
                    "user {} already exists; its password was left unchanged",
                    user.email
                );
            }
            out.push_str(&format!("User {} already exists.\n", user.email));
            user
        }
        None => {
            let (password, generated) = match &args.password {
                Some(p) if p.len() >= 8 => (p.clone(), false),
                Some(_) => bail!("the password must have at least 8 characters"),
                None => (password::generate_password(), true),
            };
            let to_hash = password.clone();
            let hash = tokio::task::spawn_blocking(move || password::hash_password(&to_hash))
                .await
                .context("hashing the password")??;
            let user = store
                .create_user(
                    &NewUser {
                        email: args.email.clone(),
                        name: String::new(),
                        password_hash: hash,
                    },
                    now,
                )
                .await?;
            out.push_str(&format!("Created user {}.\n", user.email));
            if generated {
                out.push_str(&format!("Password: {password}\n"));
            }
            user
        }
    };
    match store.add_member(&org.id, &user.id, args.role, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            bail!("{} is already a member of {}", user.email, org.slug)
        }
        Err(other) => return Err(other.into()),
    }
    out.push_str(&format!(
        "Added {} to {} as {}.\n",
        user.email, org.slug, args.role
    ));
    Ok(out)
}

/// `sentinel project create NAME`.
pub async fn create_project(
    config: &Config,
    clock: &SharedClock,
    args: &ProjectCreateArgs,
) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let result = async {
        let org = resolve_org(&store, args.org.as_deref()).await?;
        let name = args.name.trim();
        if name.is_empty() {
            bail!("the project name must not be empty");
        }
        let now = clock.now_ms();
        let service = match store
            .create_service(
                &org.id,
                &NewService {
                    name: name.to_string(),
                    platform: args.platform.clone(),
                },
                now,
            )
            .await
        {
            Ok(service) => service,
            Err(StoreError::Conflict(_)) => {
                bail!("a project named {name:?} already exists in {}", org.slug)
            }
            Err(other) => return Err(other.into()),
        };
        let key = store
            .create_service_key(
                &org.id,
                &service.id,
                &tokens::generate_dsn_public_key(),
                None,
                now,
            )
            .await?;
        let public_url = config.public_url_for(config.server.listen);
        Ok(format!(
            "Created project {} (number {}) in {}.\nDSN: {}\n",
            service.name,
            service.number,
            org.slug,
            build_dsn(&public_url, &key.public_key, service.number)
        ))
    }
    .await;
    store.close().await;
    result
}

/// `sentinel apikey create`.
pub async fn create_api_key(
    config: &Config,
    clock: &SharedClock,
    args: &ApiKeyCreateArgs,
) -> anyhow::Result<String> {
    let store = open_store(config).await?;
    let result = async {
        let org = resolve_org(&store, args.org.as_deref()).await?;
        let now = clock.now_ms();
        let expires_at = args
            .expires_in_days
            .map(|days| now + i64::from(days) * 24 * 60 * 60 * 1000);
        let generated = tokens::generate_api_key();
        let record = store
            .create_api_key(
                &org.id,
                &NewApiKey {
                    name: args.name.clone(),
                    prefix: generated.prefix,
                    secret_hash: generated.secret_hash,
                    role: args.role,
                    scopes: Vec::new(),
                    expires_at,
                    created_by: None,
                },
                now,
            )
            .await?;
        tracing::info!(api_key = %record.id, org = %org.id, role = %record.role, "API key created");
        Ok(format!(
            "Created API key {} ({}) for {} with the {} role. It is shown only once:\n{}\n",
            record.name, record.prefix, org.slug, record.role, generated.secret
        ))
    }
    .await;
    store.close().await;
    result
}

/// The organization a command acts on: the named one, or the only one there is.
pub(crate) async fn resolve_org(store: &Store, slug: Option<&str>) -> anyhow::Result<Organization> {
    if let Some(slug) = slug {
        return store
            .get_organization_by_slug(slug)
            .await?
            .with_context(|| format!("no organization with the slug {slug:?}"));
    }
    let mut orgs = store.list_organizations().await?;
    match orgs.len() {
        0 => bail!("there is no organization yet: run `sentinel serve` once to create one"),
        1 => Ok(orgs.remove(0)),
        _ => bail!(
            "there are several organizations ({}); choose one with --org SLUG",
            orgs.iter()
                .map(|o| o.slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
