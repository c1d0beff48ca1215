//! Row-level security on PostgreSQL: the second wall between tenants.
//!
//! Every table with a `tenant_id` column (and `tenants` itself, by `id`) gets row-level
//! security with one policy for the role [`TENANT_ROLE`]: a row is visible, and may be
//! written, only when its tenant is the one the transaction set in `roccavina.tenant_id`.
//! Request handlers that read or change one tenant's data run their queries in a
//! transaction that switches to that role and sets the tenant (`server::storage::
//! tenant_scope`), so a query that forgot its `WHERE tenant_id = …` still sees one tenant.
//! With no tenant set the role sees nothing: the wall fails closed.
//!
//! The application's own login role owns the tables (it runs the migrations), so jobs,
//! imports and sign-in, which work across tenants or before one is known, are not affected.
//! Where the database user may not create roles, the migration leaves a notice and changes
//! nothing; the server says so at start-up, and the application's checks remain.
//! SQLite has no row-level security: this migration does nothing there.
//!
//! A later migration that creates a tenant table calls [`protect_tenant_tables`] again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The role a tenant-scoped transaction switches to (`NOLOGIN`, one per cluster).
pub const TENANT_ROLE: &str = "roccavina_tenant";

/// The setting a tenant-scoped transaction puts its tenant id in.
pub const TENANT_SETTING: &str = "roccavina.tenant_id";

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Creates [`TENANT_ROLE`] when missing and puts every tenant table of the current schema
/// behind its policy. Idempotent; does nothing on SQLite.
pub async fn protect_tenant_tables<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let tenant = format!("nullif(current_setting('{TENANT_SETTING}', true), '')::bigint");
    db.execute_unprepared(&format!(
        r#"DO $rls$
DECLARE
    t record;
    tenant text := $expr${tenant}$expr$;
BEGIN
    BEGIN
        CREATE ROLE {TENANT_ROLE} NOLOGIN;
    EXCEPTION
        WHEN duplicate_object OR unique_violation THEN NULL;
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'row-level security not set up: % may not create roles', current_user;
            RETURN;
    END;
    IF NOT pg_has_role(current_user, '{TENANT_ROLE}', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT {TENANT_ROLE} TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'row-level security not set up: % may not use {TENANT_ROLE}', current_user;
            RETURN;
        END;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {TENANT_ROLE}', current_schema());
    EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO {TENANT_ROLE}', current_schema());
    FOR t IN
        SELECT c.relname, a.attname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND NOT a.attisdropped
        WHERE n.nspname = current_schema()
          AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition
          AND (a.attname = 'tenant_id' OR (c.relname = 'tenants' AND a.attname = 'id'))
          AND c.relname NOT LIKE 'seaql%'
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO {TENANT_ROLE}', t.relname);
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('DROP POLICY IF EXISTS tenant_rows ON %I', t.relname);
        EXECUTE format(
            'CREATE POLICY tenant_rows ON %I TO {TENANT_ROLE} USING (%I = %s) WITH CHECK (%I = %s)',
            t.relname, t.attname, tenant, t.attname, tenant);
    END LOOP;
END
$rls$"#
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        protect_tenant_tables(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        // The role stays: other databases of the cluster may use it.
        db.execute_unprepared(&format!(
            r#"DO $rls$
DECLARE t record;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relrowsecurity
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_rows ON %I', t.relname);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t.relname);
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TENANT_ROLE}') THEN
            EXECUTE format('REVOKE ALL ON %I FROM {TENANT_ROLE}', t.relname);
        END IF;
    END LOOP;
END
$rls$"#
        ))
        .await?;
        Ok(())
    }
}
