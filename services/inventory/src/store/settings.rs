//! The tenant's inventory settings: defaults until an admin changes them.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel};

use super::entities::settings;
use crate::error::InventoryResult;

/// The margin percentage under which items are flagged, unless the tenant sets another.
pub const DEFAULT_MARGIN_THRESHOLD: &str = "10";

#[tracing::instrument(name = "db.settings", skip_all, fields(otel.kind = "client"))]
pub async fn settings<C: ConnectionTrait>(db: &C, tenant: &str) -> InventoryResult<settings::Model> {
    Ok(settings::Entity::find_by_id(tenant.to_owned())
        .one(db)
        .await?
        .unwrap_or_else(|| settings::Model {
            tenant: tenant.to_owned(),
            reps_see_costs: false,
            margin_threshold_percent: DEFAULT_MARGIN_THRESHOLD.to_owned(),
            allow_backorders: false,
            update_time: DateTime::<Utc>::UNIX_EPOCH,
        }))
}

#[tracing::instrument(name = "db.save", skip_all, fields(otel.kind = "client"))]
pub async fn save<C: ConnectionTrait>(db: &C, model: settings::Model) -> InventoryResult<settings::Model> {
    let exists = settings::Entity::find_by_id(model.tenant.clone())
        .one(db)
        .await?
        .is_some();
    let active = model.clone().into_active_model().reset_all();
    if exists {
        active.update(db).await?;
    } else {
        active.insert(db).await?;
    }
    Ok(model)
}
