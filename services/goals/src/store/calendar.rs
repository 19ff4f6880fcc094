//! The tenant's fiscal calendar: January in UTC, years named by their end, until an admin sets another.

use chrono::Utc;
use lacak_domain::{FiscalCalendar, FiscalYearNaming};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};

use super::entities::{fiscal_calendar, quota};
use crate::error::{GoalsError, GoalsResult};

/// The stored row, or the default one (never stored until changed).
#[tracing::instrument(name = "db.row", skip_all, fields(otel.kind = "client"))]
pub async fn row<C: ConnectionTrait>(db: &C, tenant: &str) -> GoalsResult<fiscal_calendar::Model> {
    Ok(fiscal_calendar::Entity::find_by_id(tenant.to_owned())
        .one(db)
        .await?
        .unwrap_or_else(|| fiscal_calendar::Model {
            tenant: tenant.to_owned(),
            start_month: 1,
            time_zone: "UTC".to_owned(),
            year_naming: FiscalYearNaming::default().as_str().to_owned(),
            update_time: chrono::DateTime::<Utc>::UNIX_EPOCH,
        }))
}

#[tracing::instrument(name = "db.calendar", skip_all, fields(otel.kind = "client"))]
pub async fn calendar<C: ConnectionTrait>(db: &C, tenant: &str) -> GoalsResult<FiscalCalendar> {
    let row = row(db, tenant).await?;
    let calendar = FiscalCalendar::new(row.start_month as u32, &row.time_zone).map_err(damaged)?;
    Ok(calendar.with_year_naming(year_naming(&row)?))
}

/// How the stored calendar names its years; text this build cannot read is damage, never a default.
pub fn year_naming(row: &fiscal_calendar::Model) -> GoalsResult<FiscalYearNaming> {
    row.year_naming.parse().map_err(damaged)
}

fn damaged(error: lacak_domain::CalendarError) -> GoalsError {
    GoalsError::precondition(
        "CALENDAR_DAMAGED",
        format!("the stored fiscal calendar is unusable: {error}"),
    )
}

/// Saves a new calendar, refused once quotas exist: their periods would silently move.
#[tracing::instrument(name = "db.save", skip_all, fields(otel.kind = "client"))]
pub async fn save<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    start_month: u32,
    time_zone: &str,
    year_naming: FiscalYearNaming,
) -> GoalsResult<fiscal_calendar::Model> {
    let quotas = quota::Entity::find()
        .filter(quota::Column::Tenant.eq(tenant))
        .count(db)
        .await?;
    if quotas > 0 {
        return Err(GoalsError::precondition(
            "QUOTAS_EXIST",
            format!("{quotas} quotas are set on the current calendar; it can no longer change"),
        ));
    }
    let model = fiscal_calendar::Model {
        tenant: tenant.to_owned(),
        start_month: start_month as i32,
        time_zone: time_zone.to_owned(),
        year_naming: year_naming.as_str().to_owned(),
        update_time: lacak_runtime::convert::now(),
    };
    let exists = fiscal_calendar::Entity::find_by_id(tenant.to_owned())
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
