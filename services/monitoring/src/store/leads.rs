//! Leads: recorded, changed (owner, status, the deal they became), upserted from ingestion.

use chrono::{DateTime, Utc};
use lacak_runtime::names::new_id;
use lacak_runtime::page::PageRequest;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::entities::lead;
use super::is_duplicate;
use crate::error::{MonitoringError, MonitoringResult};
use crate::records::LeadInput;

#[tracing::instrument(name = "db.get", skip_all, fields(otel.kind = "client"))]
pub async fn get<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> MonitoringResult<lead::Model> {
    lead::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| MonitoringError::not_found("lead", format!("leads/{id}")))
}

#[tracing::instrument(name = "db.insert", skip_all, fields(otel.kind = "client"))]
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    input: &LeadInput,
    now: DateTime<Utc>,
) -> MonitoringResult<lead::Model> {
    let id = input.id.clone().unwrap_or_else(new_id);
    let create_time = input.create_time.unwrap_or(now);
    let model = lead::Model {
        tenant: tenant.to_owned(),
        id: id.clone(),
        source: input.source.clone(),
        owner: input.owner.clone(),
        customer: input.customer.clone(),
        status: input.status.to_owned(),
        deal: input.deal.clone(),
        create_time,
        convert_time: if input.status == "converted" {
            Some(input.convert_time.unwrap_or(now).max(create_time))
        } else {
            None
        },
        external_id: input.external_id.clone(),
        update_time: now,
    };
    match lead::Entity::insert(model.clone().into_active_model()).exec(db).await {
        Ok(_) => Ok(model),
        Err(error) if is_duplicate(&error) => Err(MonitoringError::AlreadyExists {
            what: "lead",
            name: format!("leads/{id}"),
        }),
        Err(error) => Err(error.into()),
    }
}

/// Changes the given fields; converting stamps the conversion time once.
#[tracing::instrument(name = "db.update", skip_all, fields(otel.kind = "client"))]
pub async fn update<C: ConnectionTrait>(
    db: &C,
    current: lead::Model,
    input: &LeadInput,
    paths: &[String],
    now: DateTime<Utc>,
) -> MonitoringResult<lead::Model> {
    let was_converted = current.convert_time;
    let create_time = current.create_time;
    let mut active = current.into_active_model();
    let mut status = None;
    for path in paths {
        match path.as_str() {
            "owner" => active.owner = Set(input.owner.clone()),
            "customer" => active.customer = Set(input.customer.clone()),
            "source" => active.source = Set(input.source.clone()),
            "status" => status = Some(input.status),
            "deal" => {
                active.deal = Set(input.deal.clone());
                if !input.deal.is_empty() {
                    status = Some("converted");
                }
            }
            _ => {}
        }
    }
    if let Some(status) = status {
        active.status = Set(status.to_owned());
        if status == "converted" {
            let converted = was_converted.unwrap_or_else(|| input.convert_time.unwrap_or(now).max(create_time));
            active.convert_time = Set(Some(converted));
        } else {
            active.convert_time = Set(None);
            active.deal = Set(String::new());
        }
    }
    active.update_time = Set(now);
    Ok(active.update(db).await?)
}

/// Ingestion: the lead with the event's external id (or name) takes the event's values, or is recorded.
#[tracing::instrument(name = "db.upsert", skip_all, fields(otel.kind = "client"))]
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    input: &LeadInput,
    now: DateTime<Utc>,
) -> MonitoringResult<lead::Model> {
    let existing = match (&input.external_id, &input.id) {
        (Some(external), _) => {
            lead::Entity::find()
                .filter(lead::Column::Tenant.eq(tenant))
                .filter(lead::Column::ExternalId.eq(external.as_str()))
                .one(db)
                .await?
        }
        (None, Some(id)) => {
            lead::Entity::find_by_id((tenant.to_owned(), id.clone()))
                .one(db)
                .await?
        }
        (None, None) => None,
    };
    match existing {
        Some(current) => {
            let paths: Vec<String> = ["owner", "customer", "source", "status", "deal"]
                .map(str::to_owned)
                .into();
            update(db, current, input, &paths, now).await
        }
        None => insert(db, tenant, input, now).await,
    }
}

/// Filters of a lead list.
pub struct LeadFilter {
    pub owners: Option<Vec<String>>,
    pub status: Option<&'static str>,
}

#[tracing::instrument(name = "db.list", skip_all, fields(otel.kind = "client"))]
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &LeadFilter,
    page: &PageRequest,
) -> MonitoringResult<Vec<lead::Model>> {
    let mut query = lead::Entity::find().filter(lead::Column::Tenant.eq(tenant));
    if let Some(owners) = &filter.owners {
        query = query.filter(lead::Column::Owner.is_in(owners.iter().cloned()));
    }
    if let Some(status) = filter.status {
        query = query.filter(lead::Column::Status.eq(status));
    }
    if let Some(after) = &page.after {
        query = query.filter(lead::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(lead::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Leads of `owners` created in `[start, end)`: a period's lead cohort.
#[tracing::instrument(name = "db.created_between", skip_all, fields(otel.kind = "client"))]
pub async fn created_between<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    owners: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> MonitoringResult<Vec<lead::Model>> {
    let mut leads = Vec::new();
    for chunk in owners.chunks(500) {
        leads.extend(
            lead::Entity::find()
                .filter(lead::Column::Tenant.eq(tenant))
                .filter(lead::Column::Owner.is_in(chunk.iter().cloned()))
                .filter(lead::Column::CreateTime.gte(start))
                .filter(lead::Column::CreateTime.lt(end))
                .all(db)
                .await?,
        );
    }
    Ok(leads)
}
