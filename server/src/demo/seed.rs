//! Creates the demo tenant, its administrator and its nodes, once; safe to run at every start.

use super::model::{DISTRICTS, NODES};
use crate::auth::password;
use crate::storage::entities::{districts, memberships, nodes, tenants, users};
use anyhow::Context;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use shared::Role;
use std::collections::HashMap;

/// Slug of the demo tenant.
pub const DEMO_TENANT: &str = "demo";

/// What the seeder found or created.
pub struct DemoTenant {
    /// Tenant id.
    pub tenant_id: i64,
    /// Node id per external id.
    pub node_ids: HashMap<&'static str, i64>,
}

/// Ensures the demo tenant, its admin (`email` / `password` on first creation) and its nodes exist.
pub async fn ensure(
    db: &DatabaseConnection,
    email: &str,
    password_clear: &str,
) -> anyhow::Result<DemoTenant> {
    let now = Utc::now();
    let tenant = match tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(DEMO_TENANT))
        .one(db)
        .await?
    {
        Some(t) => t,
        None => {
            tenants::ActiveModel {
                slug: Set(DEMO_TENANT.into()),
                name: Set("Roccavina Demo · Cagliari".into()),
                time_zone: Set("Europe/Rome".into()),
                raw_retention_days: Set(90),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let email = shared::validate::email(email).context("DEMO_ADMIN_EMAIL is not a valid email")?;
    let user = match users::Entity::find()
        .filter(users::Column::Email.eq(&email))
        .one(db)
        .await?
    {
        Some(u) => u,
        None => {
            let phc = password::hash(password_clear).map_err(|e| anyhow::anyhow!("{e}"))?;
            users::ActiveModel {
                email: Set(email.clone()),
                display_name: Set("Demo administrator".into()),
                password_hash: Set(users::PasswordHash(phc)),
                disabled: Set(false),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    if memberships::Entity::find_by_id((user.id, tenant.id))
        .one(db)
        .await?
        .is_none()
    {
        memberships::ActiveModel {
            user_id: Set(user.id),
            tenant_id: Set(tenant.id),
            role: Set(Role::Admin.as_str().into()),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    let mut district_ids: HashMap<&str, i64> = districts::Entity::find()
        .filter(districts::Column::TenantId.eq(tenant.id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|d| {
            let known = DISTRICTS.iter().find(|k| k.name == d.name)?;
            Some((known.name, d.id))
        })
        .collect();
    for d in DISTRICTS {
        if !district_ids.contains_key(d.name) {
            let row = districts::ActiveModel {
                tenant_id: Set(tenant.id),
                name: Set(d.name.into()),
                mains_length_km: Set(Some(d.mains_length_km)),
                service_connections: Set(Some(d.service_connections)),
                customer_pipe_km: Set(Some(d.customer_pipe_km)),
                avg_pressure_bar: Set(Some(d.avg_pressure_bar)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            district_ids.insert(d.name, row.id);
        }
    }
    let existing: HashMap<String, i64> = nodes::Entity::find()
        .filter(nodes::Column::TenantId.eq(tenant.id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.external_id, n.id))
        .collect();
    let mut node_ids = HashMap::new();
    for n in NODES {
        let id = match existing.get(n.external_id) {
            Some(id) => *id,
            None => {
                nodes::ActiveModel {
                    tenant_id: Set(tenant.id),
                    external_id: Set(n.external_id.into()),
                    name: Set(n.name.into()),
                    kind: Set(n.kind.as_str().into()),
                    district_id: Set(district_ids.get(n.district).copied()),
                    metadata: Set(None),
                    latitude: Set(Some(n.lat)),
                    longitude: Set(Some(n.lon)),
                    elevation: Set(Some(n.elevation)),
                    active: Set(true),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        node_ids.insert(n.external_id, id);
    }
    Ok(DemoTenant {
        tenant_id: tenant.id,
        node_ids,
    })
}
