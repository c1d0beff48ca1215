//! Tenant-scoped transactions: the second wall between tenants.
//!
//! The first wall is the application: every query names the caller's tenant. The second,
//! on PostgreSQL, is row-level security (migration 000015): a transaction begun here
//! switches to the role `roccavina_tenant` and sets the tenant, so the database itself
//! returns and accepts only that tenant's rows, whatever the query says. Request handlers
//! that read or change one tenant's data run their queries through [`begin`].
//!
//! Writes of readings (REST ingest, imports, the simulator) stay on the login role: their
//! fast path is `COPY … FROM STDIN` into `readings`, which PostgreSQL refuses on a table whose
//! row-level security applies to the current role. They take the tenant from the
//! authenticated caller and resolve node ids within it (`ingest`), and never read rows back.
//!
//! SQLite has no row-level security; there [`begin`] is a plain transaction.

use migrations::{TENANT_ROLE, TENANT_SETTING};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait,
};

/// Begins a transaction that sees only `tenant_id`'s rows. Where the role is missing (the
/// database user could not create it) the transaction only carries the setting, and the
/// application's own checks are the one wall; [`enforced`] tells which.
pub async fn begin(db: &DatabaseConnection, tenant_id: i64) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "SELECT set_config('{TENANT_SETTING}', $1, true), \
                 CASE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TENANT_ROLE}') \
                      THEN NULL \
                      WHEN pg_has_role(current_user, '{TENANT_ROLE}', 'MEMBER') \
                      THEN set_config('role', '{TENANT_ROLE}', true) END"
            ),
            [tenant_id.to_string().into()],
        ))
        .await?;
    }
    Ok(txn)
}

/// [`begin`] for request handlers: a failure is an internal error (logged in full, opaque to
/// the caller).
pub async fn open(
    db: &DatabaseConnection,
    tenant_id: i64,
) -> Result<DatabaseTransaction, shared::AppError> {
    use crate::error::OrInternal;
    begin(db, tenant_id)
        .await
        .or_internal("opening a tenant scope")
}

/// [`begin`] for a transaction that will write: on SQLite it takes the write lock first
/// (see [`super::begin_write`]); keep the guard until the transaction ends.
pub async fn begin_write(
    db: &DatabaseConnection,
    tenant_id: i64,
) -> Result<(super::WriterGuard, DatabaseTransaction), DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        return super::begin_write(db).await;
    }
    Ok((None, begin(db, tenant_id).await?))
}

/// Does the database enforce tenant scopes (PostgreSQL with the role usable)?
pub async fn enforced(db: &DatabaseConnection) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let row = db
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM pg_roles \
                     WHERE rolname = '{TENANT_ROLE}') THEN false \
                 ELSE pg_has_role(current_user, '{TENANT_ROLE}', 'MEMBER') \
                 AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n \
                     ON n.oid = c.relnamespace \
                     WHERE c.relname = 'readings' AND n.nspname = current_schema() \
                     AND c.relrowsecurity) END AS enforced"
            ),
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<bool>("", "enforced")?,
        None => false,
    })
}
