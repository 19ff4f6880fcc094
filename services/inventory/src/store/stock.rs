//! The stock ledger and the levels it yields. A movement and the level it leaves are written in
//! one transaction, with the level's row locked, so concurrent sales never oversell.

use chrono::{DateTime, Utc};
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::{stock_level, stock_movement};
use crate::domain::stock::{MovementKind, StockError, level_after};
use crate::error::{InventoryError, InventoryResult};

/// One movement to record.
pub struct NewMovement<'a> {
    pub tenant: &'a str,
    pub sku: &'a str,
    pub id: String,
    pub location: String,
    pub kind: MovementKind,
    pub quantity: Decimal,
    pub reference: String,
    pub time: DateTime<Utc>,
    pub recorded_by: String,
    pub allow_backorders: bool,
}

/// Appends a movement and moves the level; call inside a transaction.
#[tracing::instrument(name = "db.record", skip_all, fields(otel.kind = "client"))]
pub async fn record<C: ConnectionTrait>(db: &C, movement: NewMovement<'_>) -> InventoryResult<stock_movement::Model> {
    let now = lacak_runtime::convert::now();
    let key = (
        movement.tenant.to_owned(),
        movement.sku.to_owned(),
        movement.location.clone(),
    );
    // Make sure the level row exists, then lock it for the rest of the transaction.
    stock_level::Entity::insert(
        stock_level::Model {
            tenant: key.0.clone(),
            sku: key.1.clone(),
            location: key.2.clone(),
            quantity: "0".to_owned(),
            update_time: now,
        }
        .into_active_model(),
    )
    .on_conflict_do_nothing_on([
        stock_level::Column::Tenant,
        stock_level::Column::Sku,
        stock_level::Column::Location,
    ])
    .exec_without_returning(db)
    .await?;
    let level = stock_level::Entity::find_by_id(key.clone())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::not_found("stock level", format!("products/{}", movement.sku)))?;
    let current: Decimal = lacak_runtime::error::stored_decimal(
        &level.quantity,
        "stock_levels",
        "quantity",
        format!("{}/{}/{}", key.0, key.1, key.2),
    )?;
    let after =
        level_after(current, movement.kind, movement.quantity, movement.allow_backorders).map_err(|e| match e {
            StockError::Insufficient { available, wanted } => InventoryError::precondition(
                "INSUFFICIENT_STOCK",
                format!(
                    "{} of products/{} at {} available, {} wanted; backorders are off",
                    available.normalize(),
                    movement.sku,
                    movement.location,
                    wanted.normalize()
                ),
            ),
        })?;
    stock_level::ActiveModel {
        quantity: sea_orm::Set(after.normalize().to_string()),
        update_time: sea_orm::Set(now),
        ..level.into_active_model()
    }
    .update(db)
    .await?;
    let row = stock_movement::Model {
        tenant: key.0,
        sku: key.1,
        id: movement.id,
        location: key.2,
        kind: movement.kind.as_str().to_owned(),
        quantity: movement.quantity.normalize().to_string(),
        level_after: after.normalize().to_string(),
        reference: movement.reference,
        time: movement.time,
        recorded_by: movement.recorded_by,
    };
    row.clone().into_active_model().insert(db).await?;
    Ok(row)
}

#[tracing::instrument(name = "db.movement", skip_all, fields(otel.kind = "client"))]
pub async fn movement<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    id: &str,
) -> InventoryResult<stock_movement::Model> {
    stock_movement::Entity::find_by_id((tenant.to_owned(), sku.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::not_found("stock movement", format!("products/{sku}/stockMovements/{id}")))
}

/// A page of a product's ledger, in the order recorded.
#[tracing::instrument(name = "db.movements", skip_all, fields(otel.kind = "client"))]
pub async fn movements<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    location: Option<&str>,
    page: &PageRequest,
) -> InventoryResult<Vec<stock_movement::Model>> {
    let mut query = stock_movement::Entity::find()
        .filter(stock_movement::Column::Tenant.eq(tenant))
        .filter(stock_movement::Column::Sku.eq(sku));
    if let Some(location) = location {
        query = query.filter(stock_movement::Column::Location.eq(location));
    }
    if let Some(after) = &page.after {
        query = query.filter(stock_movement::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(stock_movement::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

#[tracing::instrument(name = "db.level", skip_all, fields(otel.kind = "client"))]
pub async fn level<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: &str,
    location: &str,
) -> InventoryResult<Option<stock_level::Model>> {
    Ok(
        stock_level::Entity::find_by_id((tenant.to_owned(), sku.to_owned(), location.to_owned()))
            .one(db)
            .await?,
    )
}

/// A page of levels by product and location; the page key is "sku|location".
#[tracing::instrument(name = "db.levels", skip_all, fields(otel.kind = "client"))]
pub async fn levels<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    sku: Option<&str>,
    location: Option<&str>,
    page: &PageRequest,
) -> InventoryResult<Vec<stock_level::Model>> {
    let mut query = stock_level::Entity::find().filter(stock_level::Column::Tenant.eq(tenant));
    if let Some(sku) = sku {
        query = query.filter(stock_level::Column::Sku.eq(sku));
    }
    if let Some(location) = location {
        query = query.filter(stock_level::Column::Location.eq(location));
    }
    if let Some((sku, location)) = page.after.as_deref().and_then(|k| k.split_once('|')) {
        query = query.filter(
            Condition::any().add(stock_level::Column::Sku.gt(sku)).add(
                Condition::all()
                    .add(stock_level::Column::Sku.eq(sku))
                    .add(stock_level::Column::Location.gt(location)),
            ),
        );
    }
    Ok(query
        .order_by_asc(stock_level::Column::Sku)
        .order_by_asc(stock_level::Column::Location)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;

    use super::*;

    /// A level whose stored quantity does not read as a number stops the movement and names its
    /// row; it is never taken as zero (which would let a sale through on stock that may not exist).
    #[tokio::test]
    async fn a_damaged_level_stops_the_movement_naming_its_row() {
        let db = lacak_runtime::db::connect("sqlite::memory:").await.unwrap();
        crate::Migrator::up(&db, None).await.unwrap();
        let now = lacak_runtime::convert::now();
        stock_level::Entity::insert(
            stock_level::Model {
                tenant: "acme".into(),
                sku: "LAP-1".into(),
                location: "main".into(),
                quantity: "12,5".into(),
                update_time: now,
            }
            .into_active_model(),
        )
        .exec_without_returning(&db)
        .await
        .unwrap();
        let movement = NewMovement {
            tenant: "acme",
            sku: "LAP-1",
            id: "m1".into(),
            location: "main".into(),
            kind: MovementKind::Sold,
            quantity: Decimal::ONE,
            reference: String::new(),
            time: now,
            recorded_by: "admin".into(),
            allow_backorders: true,
        };
        let error = record(&db, movement).await.unwrap_err();
        let status = tonic::Status::from(error);
        assert_eq!(status.code(), tonic::Code::Internal);
        assert!(
            status.message().contains("stock_levels.quantity of acme/LAP-1/main"),
            "{}",
            status.message()
        );
    }
}
