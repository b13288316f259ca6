//! Organizations, users and who is a member of what with which role.

use super::parse_role;
use crate::db::{read, tx, write};
use crate::{Store, StoreError, StoreResult, Tx};
use sentinel_core::clock::Millis;
use sentinel_core::id::{OrgId, UserId};
use sentinel_core::role::Role;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub plan: String,
    pub created_at: Millis,
}

/// What it takes to create an organization.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub slug: String,
    pub name: String,
}

/// A person who can log in. The password hash never leaves the store except for
/// verification by the auth layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    /// Always lower case.
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub created_at: Millis,
}

/// What it takes to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

/// One organization a user belongs to, with the user's role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub organization: Organization,
    pub role: Role,
}

/// One member of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: Millis,
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: String,
    slug: String,
    name: String,
    plan: String,
    created_at: i64,
}

impl From<OrgRow> for Organization {
    fn from(row: OrgRow) -> Self {
        Self {
            id: OrgId::from_string(row.id),
            slug: row.slug,
            name: row.name,
            plan: row.plan,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self {
            id: UserId::from_string(row.id),
            email: row.email,
            name: row.name,
            password_hash: row.password_hash,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    id: String,
    slug: String,
    name: String,
    plan: String,
    created_at: i64,
    role: String,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: String,
    email: String,
    name: String,
    role: String,
    created_at: i64,
}

const ORG_COLUMNS: &str = "id, slug, name, plan, created_at";
const USER_COLUMNS: &str = "id, email, name, password_hash, created_at";

/// Inserts an organization inside a transaction (also used by the first-start bootstrap).
pub(super) async fn insert_organization(
    tx: &mut Tx,
    new: &NewOrganization,
    now: Millis,
) -> StoreResult<Organization> {
    let org = Organization {
        id: OrgId::generate(),
        slug: new.slug.clone(),
        name: new.name.clone(),
        plan: "free".to_string(),
        created_at: now,
    };
    tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO organizations (id, slug, name, plan, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.id.as_str())
        .bind(&org.slug)
        .bind(&org.name)
        .bind(&org.plan)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(org)
}

/// Inserts a user inside a transaction, lower-casing the e-mail.
pub(super) async fn insert_user(tx: &mut Tx, new: &NewUser, now: Millis) -> StoreResult<User> {
    let user = User {
        id: UserId::generate(),
        email: normalize_email(&new.email),
        name: new.name.clone(),
        password_hash: new.password_hash.clone(),
        created_at: now,
    };
    tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user.id.as_str())
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(user)
}

/// Inserts a membership inside a transaction.
pub(super) async fn insert_member(
    tx: &mut Tx,
    org: &OrgId,
    user: &UserId,
    role: Role,
    now: Millis,
) -> StoreResult<()> {
    tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO organization_members (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(org.as_str())
        .bind(user.as_str())
        .bind(role.as_str())
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// E-mail addresses compare case-insensitively; storing them lower case makes the unique
/// index do the comparing.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    /// Creates an organization. A taken slug is a [`StoreError::Conflict`].
    pub async fn create_organization(
        &self,
        new: &NewOrganization,
        now: Millis,
    ) -> StoreResult<Organization> {
        let mut tx = self.begin().await?;
        let org = insert_organization(&mut tx, new, now).await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn get_organization(&self, org: &OrgId) -> StoreResult<Option<Organization>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1");
        let row: Option<OrgRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(org.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Organization::from))
    }

    pub async fn get_organization_by_slug(&self, slug: &str) -> StoreResult<Option<Organization>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE slug = $1");
        let row: Option<OrgRow> = read!(self, |pool| {
            sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await?
        });
        Ok(row.map(Organization::from))
    }

    /// Every organization, oldest first; for operators' tools, not for tenants.
    pub async fn list_organizations(&self) -> StoreResult<Vec<Organization>> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY created_at, id");
        let rows: Vec<OrgRow> = read!(self, |pool| sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows.into_iter().map(Organization::from).collect())
    }

    /// How many organizations exist; zero means the installation was never set up.
    pub async fn count_organizations(&self) -> StoreResult<i64> {
        let count: i64 = read!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }

    /// The organizations a user belongs to, oldest membership first.
    pub async fn list_organizations_for_user(&self, user: &UserId) -> StoreResult<Vec<Membership>> {
        let rows: Vec<MembershipRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT o.id, o.slug, o.name, o.plan, o.created_at, m.role \
                 FROM organization_members m JOIN organizations o ON o.id = m.org_id \
                 WHERE m.user_id = $1 ORDER BY m.created_at, o.id",
            )
            .bind(user.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(Membership {
                    role: parse_role(&row.role)?,
                    organization: Organization {
                        id: OrgId::from_string(row.id),
                        slug: row.slug,
                        name: row.name,
                        plan: row.plan,
                        created_at: row.created_at,
                    },
                })
            })
            .collect()
    }

    /// Creates a user; the e-mail is stored lower case. A taken e-mail is a
    /// [`StoreError::Conflict`].
    pub async fn create_user(&self, new: &NewUser, now: Millis) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        let user = insert_user(&mut tx, new, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Finds a user by e-mail, ignoring case.
    pub async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let email = normalize_email(email);
        let row: Option<UserRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(&email)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(User::from))
    }

    pub async fn get_user(&self, user: &UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(user.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(User::from))
    }

    /// Replaces a user's password hash. Returns whether the user exists.
    pub async fn set_user_password(&self, user: &UserId, password_hash: &str) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(user.as_str())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Makes a user a member of an organization. Already a member: [`StoreError::Conflict`];
    /// an unknown organization or user: [`StoreError::NotFound`].
    pub async fn add_member(
        &self,
        org: &OrgId,
        user: &UserId,
        role: Role,
        now: Millis,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_member(&mut tx, org, user, role, now)
            .await
            .map_err(foreign_key_as_not_found)?;
        tx.commit().await
    }

    /// The user's role in the organization, or `None` when not a member.
    pub async fn member_role(&self, org: &OrgId, user: &UserId) -> StoreResult<Option<Role>> {
        let role: Option<String> = read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT role FROM organization_members WHERE org_id = $1 AND user_id = $2",
            )
            .bind(org.as_str())
            .bind(user.as_str())
            .fetch_optional(pool)
            .await?
        });
        role.as_deref().map(parse_role).transpose()
    }

    /// The organization's members, in the order they joined.
    pub async fn list_members(&self, org: &OrgId) -> StoreResult<Vec<Member>> {
        let rows: Vec<MemberRow> = read!(self, |pool| {
            sqlx::query_as(
                "SELECT m.user_id, u.email, u.name, m.role, m.created_at \
                 FROM organization_members m JOIN users u ON u.id = m.user_id \
                 WHERE m.org_id = $1 ORDER BY m.created_at, m.user_id",
            )
            .bind(org.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(Member {
                    user_id: UserId::from_string(row.user_id),
                    email: row.email,
                    name: row.name,
                    role: parse_role(&row.role)?,
                    joined_at: row.created_at,
                })
            })
            .collect()
    }

    /// Changes a member's role. Returns whether the user is a member of this organization.
    pub async fn set_member_role(
        &self,
        org: &OrgId,
        user: &UserId,
        role: Role,
    ) -> StoreResult<bool> {
        let done = write!(self, |pool| {
            sqlx::query(
                "UPDATE organization_members SET role = $1 WHERE org_id = $2 AND user_id = $3",
            )
            .bind(role.as_str())
            .bind(org.as_str())
            .bind(user.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// Removes a member (and ends their sessions in this organization). Returns whether the
    /// user was a member.
    pub async fn remove_member(&self, org: &OrgId, user: &UserId) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let removed = tx!(&mut tx, |conn| {
            let done =
                sqlx::query("DELETE FROM organization_members WHERE org_id = $1 AND user_id = $2")
                    .bind(org.as_str())
                    .bind(user.as_str())
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
                .bind(org.as_str())
                .bind(user.as_str())
                .execute(&mut *conn)
                .await?;
            done
        });
        tx.commit().await?;
        Ok(removed > 0)
    }
}

/// A foreign key violation means a referenced row does not exist.
fn foreign_key_as_not_found(err: StoreError) -> StoreError {
    match &err {
        StoreError::Database(crate::DriverError::Sqlx(sqlx::Error::Database(db)))
            if db.is_foreign_key_violation() =>
        {
            StoreError::NotFound
        }
        _ => err,
    }
}
