//! Organizations, users, members, sessions, API keys, services and DSN keys.
//!
//! Every method on tenant-owned rows takes the [`OrgId`](sentinel_core::id::OrgId) it acts
//! for and filters by it. Four lookups are deliberately not scoped, because they are how the
//! organization is found in the first place: an API key by the hash of its secret, a session
//! by the hash of its cookie, a DSN key by its public key, and a service by its number (the
//! project id in ingest URLs). Users are global too: one person may belong to several
//! organizations.

mod api_keys;
mod bootstrap;
mod organizations;
mod service_keys;
mod services;
mod sessions;

pub use api_keys::{ApiKeyRecord, NewApiKey};
pub use bootstrap::{Bootstrapped, NewBootstrap};
pub use organizations::{Member, Membership, NewOrganization, NewUser, Organization, User};
pub use service_keys::{ServiceKey, ServiceKeyRecord};
pub use services::{NewService, Service, ServicePatch};
pub use sessions::{NewSession, SessionRecord};

use crate::StoreError;
use sentinel_core::role::Role;

/// Reads a role written by this crate; anything else means the row was tampered with.
fn parse_role(text: &str) -> Result<Role, StoreError> {
    text.parse()
        .map_err(|err: sentinel_core::role::UnknownRole| StoreError::Corrupt(err.to_string()))
}
