//! Customers: created, changed, and upserted by external id from ingestion.

use chrono::{DateTime, Utc};
use lacak_runtime::names::new_id;
use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::entities::customer;
use super::is_duplicate;
use crate::domain::acquisition::{credit_after_edit, sale_acquirer, sale_acquires};
use crate::domain::rollup::Share;
use crate::error::{MonitoringError, MonitoringResult};
use crate::records::CustomerInput;

#[tracing::instrument(name = "db.get", skip_all, fields(otel.kind = "client"))]
pub async fn get<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> MonitoringResult<customer::Model> {
    customer::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| MonitoringError::not_found("customer", format!("customers/{id}")))
}

#[tracing::instrument(name = "db.find_external", skip_all, fields(otel.kind = "client"))]
pub async fn find_external<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    external_id: &str,
) -> MonitoringResult<Option<customer::Model>> {
    Ok(customer::Entity::find()
        .filter(customer::Column::Tenant.eq(tenant))
        .filter(customer::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}

/// The customers among `ids`, for a batch of sales.
#[tracing::instrument(name = "db.many", skip_all, fields(otel.kind = "client"))]
pub async fn many<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    ids: Vec<String>,
) -> MonitoringResult<Vec<customer::Model>> {
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        found.extend(
            customer::Entity::find()
                .filter(customer::Column::Tenant.eq(tenant))
                .filter(customer::Column::Id.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

#[tracing::instrument(name = "db.insert", skip_all, fields(otel.kind = "client"))]
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    input: &CustomerInput,
    now: DateTime<Utc>,
) -> MonitoringResult<customer::Model> {
    let id = input.id.clone().unwrap_or_else(new_id);
    let model = customer::Model {
        tenant: tenant.to_owned(),
        id: id.clone(),
        display_name: input.display_name.clone(),
        segment: input.segment.clone(),
        region: input.region.clone(),
        acquire_time: input.acquire_time,
        acquired_by: credit_after_edit(None, input.acquire_time, "", &input.owner),
        churn_time: input.churn_time,
        external_id: input.external_id.clone(),
        create_time: now,
        update_time: now,
        owner: input.owner.clone(),
    };
    match customer::Entity::insert(model.clone().into_active_model())
        .exec(db)
        .await
    {
        Ok(_) => Ok(model),
        Err(error) if is_duplicate(&error) => Err(MonitoringError::AlreadyExists {
            what: "customer",
            name: match &input.external_id {
                Some(external) if input.id.is_none() => format!("external id {external}"),
                _ => format!("customers/{id}"),
            },
        }),
        Err(error) => Err(error.into()),
    }
}

/// Changes the given fields of a stored customer.
#[tracing::instrument(name = "db.update", skip_all, fields(otel.kind = "client"))]
pub async fn update<C: ConnectionTrait>(
    db: &C,
    current: customer::Model,
    input: &CustomerInput,
    paths: &[String],
    now: DateTime<Utc>,
) -> MonitoringResult<customer::Model> {
    let changes = |field: &str| paths.iter().any(|p| p == field);
    // The credit is settled against the owner after this change, so an acquisition and its owner
    // sent together credit that owner.
    let owner = if changes("owner") { &input.owner } else { &current.owner };
    let acquire_time = if changes("acquire_time") {
        input.acquire_time
    } else {
        current.acquire_time
    };
    let acquired_by = credit_after_edit(current.acquire_time, acquire_time, &current.acquired_by, owner);
    let mut active = current.clone().into_active_model();
    for path in paths {
        match path.as_str() {
            "display_name" => active.display_name = Set(input.display_name.clone()),
            "segment" => active.segment = Set(input.segment.clone()),
            "region" => active.region = Set(input.region.clone()),
            "churn_time" => active.churn_time = Set(input.churn_time),
            "acquire_time" => active.acquire_time = Set(input.acquire_time),
            "owner" => active.owner = Set(input.owner.clone()),
            _ => {}
        }
    }
    if acquired_by != current.acquired_by {
        active.acquired_by = Set(acquired_by);
    }
    active.update_time = Set(now);
    Ok(active.update(db).await?)
}

/// Ingestion: the customer with the event's external id (or name) takes the event's values, or is created.
#[tracing::instrument(name = "db.upsert", skip_all, fields(otel.kind = "client"))]
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    input: &CustomerInput,
    now: DateTime<Utc>,
) -> MonitoringResult<customer::Model> {
    let existing = match (&input.external_id, &input.id) {
        (Some(external), _) => find_external(db, tenant, external).await?,
        (None, Some(id)) => {
            customer::Entity::find_by_id((tenant.to_owned(), id.clone()))
                .one(db)
                .await?
        }
        (None, None) => None,
    };
    match existing {
        Some(current) => {
            let mut paths = vec!["display_name".to_owned(), "segment".to_owned(), "region".to_owned()];
            if input.churn_time.is_some() {
                paths.push("churn_time".to_owned());
            }
            if input.acquire_time.is_some() {
                paths.push("acquire_time".to_owned());
            }
            if !input.owner.is_empty() {
                paths.push("owner".to_owned());
            }
            update(db, current, input, &paths, now).await
        }
        None => insert(db, tenant, input, now).await,
    }
}

/// A sale booked at `time` with `credit` (`sale_owner`'s when not split): when it is the customer's
/// first (or earliest) purchase it acquires the customer, credited to the owner or else the largest
/// share. `current` is kept in step for the batch's next sales.
#[tracing::instrument(name = "db.acquire_by_sale", skip_all, fields(otel.kind = "client"))]
pub async fn acquire_by_sale<C: ConnectionTrait>(
    db: &C,
    current: &mut customer::Model,
    credit: &[Share],
    sale_owner: &str,
    time: DateTime<Utc>,
) -> MonitoringResult<()> {
    if !sale_acquires(current.acquire_time, time) {
        return Ok(());
    }
    let mut active = current.clone().into_active_model();
    current.acquire_time = Some(time);
    current.acquired_by = sale_acquirer(&current.owner, credit, sale_owner);
    active.acquire_time = Set(current.acquire_time);
    active.acquired_by = Set(current.acquired_by.clone());
    active.update(db).await?;
    Ok(())
}

#[tracing::instrument(name = "db.list", skip_all, fields(otel.kind = "client"))]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    segment: &str,
    region: &str,
    page: &PageRequest,
) -> MonitoringResult<Vec<customer::Model>> {
    let mut query = customer::Entity::find().filter(customer::Column::Tenant.eq(tenant));
    if !segment.is_empty() {
        query = query.filter(customer::Column::Segment.eq(segment.to_lowercase()));
    }
    if !region.is_empty() {
        query = query.filter(customer::Column::Region.eq(region.to_lowercase()));
    }
    if let Some(after) = &page.after {
        query = query.filter(customer::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(customer::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}
