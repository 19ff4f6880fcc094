//! Deals and their stage history: every move is a row, so time in stage and stage-to-stage
//! conversion can be read back exactly.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lacak_runtime::names::new_id;
use lacak_runtime::page::PageRequest;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::{deal, deal_stage};
use super::{credit_to_json, is_duplicate};
use crate::error::{MonitoringError, MonitoringResult};
use crate::records::{ClosureInput, DealInput};

/// A deal with its stage history, oldest first.
#[derive(Debug, Clone)]
pub struct DealRecord {
    pub deal: deal::Model,
    pub stages: Vec<deal_stage::Model>,
}

pub async fn find<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> MonitoringResult<deal::Model> {
    deal::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| MonitoringError::not_found("deal", format!("deals/{id}")))
}

pub async fn find_external<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    external_id: &str,
) -> MonitoringResult<Option<deal::Model>> {
    Ok(deal::Entity::find()
        .filter(deal::Column::Tenant.eq(tenant))
        .filter(deal::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}

pub async fn with_stages<C: ConnectionTrait>(db: &C, deal: deal::Model) -> MonitoringResult<DealRecord> {
    let mut records = attach_stages(db, vec![deal]).await?;
    Ok(records.remove(0))
}

/// The stage histories of `deals`, in one query per 500 deals.
pub async fn attach_stages<C: ConnectionTrait>(db: &C, deals: Vec<deal::Model>) -> MonitoringResult<Vec<DealRecord>> {
    let Some(tenant) = deals.first().map(|d| d.tenant.clone()) else {
        return Ok(Vec::new());
    };
    let mut by_deal: HashMap<String, Vec<deal_stage::Model>> = HashMap::new();
    for chunk in deals.chunks(500) {
        let rows = deal_stage::Entity::find()
            .filter(deal_stage::Column::Tenant.eq(tenant.as_str()))
            .filter(deal_stage::Column::DealId.is_in(chunk.iter().map(|d| d.id.clone())))
            .order_by_asc(deal_stage::Column::DealId)
            .order_by_asc(deal_stage::Column::Seq)
            .all(db)
            .await?;
        for row in rows {
            by_deal.entry(row.deal_id.clone()).or_default().push(row);
        }
    }
    Ok(deals
        .into_iter()
        .map(|deal| DealRecord {
            stages: by_deal.remove(&deal.id).unwrap_or_default(),
            deal,
        })
        .collect())
}

async fn append_stage<C: ConnectionTrait>(
    db: &C,
    deal: &deal::Model,
    from: &str,
    to: &str,
    time: DateTime<Utc>,
) -> MonitoringResult<()> {
    let next: Option<i32> = deal_stage::Entity::find()
        .select_only()
        .column_as(Expr::col(deal_stage::Column::Seq).max(), "seq")
        .filter(deal_stage::Column::Tenant.eq(deal.tenant.as_str()))
        .filter(deal_stage::Column::DealId.eq(deal.id.as_str()))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten()
        .map(|seq| seq + 1);
    deal_stage::Entity::insert(
        deal_stage::Model {
            tenant: deal.tenant.clone(),
            deal_id: deal.id.clone(),
            seq: next.unwrap_or(0),
            from_stage: from.to_owned(),
            to_stage: to.to_owned(),
            time,
        }
        .into_active_model(),
    )
    .exec(db)
    .await?;
    Ok(())
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    input: &DealInput,
    now: DateTime<Utc>,
) -> MonitoringResult<deal::Model> {
    let id = input.id.clone().unwrap_or_else(new_id);
    let create_time = input.create_time.unwrap_or(now);
    let model = deal::Model {
        tenant: tenant.to_owned(),
        id: id.clone(),
        owner: input.owner.clone(),
        customer: input.customer.clone(),
        currency: input.currency.clone(),
        amount: input.amount.normalize().to_string(),
        expected_close_time: input.expected_close_time,
        stage: input.stage.clone(),
        forecast_category: input.forecast_category.to_owned(),
        outcome: String::new(),
        outcome_reason: String::new(),
        close_time: None,
        credit: credit_to_json(&input.credit),
        lead: input.lead.clone(),
        external_id: input.external_id.clone(),
        create_time,
        update_time: now,
    };
    match deal::Entity::insert(model.clone().into_active_model()).exec(db).await {
        Ok(_) => {}
        Err(error) if is_duplicate(&error) => {
            return Err(MonitoringError::AlreadyExists {
                what: "deal",
                name: format!("deals/{id}"),
            });
        }
        Err(error) => return Err(error.into()),
    }
    append_stage(db, &model, "", &input.stage, create_time).await?;
    Ok(model)
}

/// Changes the given fields of a deal.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    current: deal::Model,
    input: &DealInput,
    paths: &[String],
    now: DateTime<Utc>,
) -> MonitoringResult<deal::Model> {
    let mut active = current.into_active_model();
    for path in paths {
        match path.as_str() {
            "amount" => {
                active.amount = Set(input.amount.normalize().to_string());
                active.currency = Set(input.currency.clone());
            }
            "expected_close_time" => active.expected_close_time = Set(input.expected_close_time),
            "forecast_category" => active.forecast_category = Set(input.forecast_category.to_owned()),
            "credit" => active.credit = Set(credit_to_json(&input.credit)),
            "owner" => active.owner = Set(input.owner.clone()),
            "customer" => active.customer = Set(input.customer.clone()),
            _ => {}
        }
    }
    active.update_time = Set(now);
    Ok(active.update(db).await?)
}

/// Moves an open deal to `stage` at `time`, recording the transition. Moving to the stage it is
/// in changes nothing.
pub async fn move_stage<C: ConnectionTrait>(
    db: &C,
    current: deal::Model,
    stage: &str,
    time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> MonitoringResult<deal::Model> {
    if !current.outcome.is_empty() {
        return Err(MonitoringError::precondition(
            "DEAL_CLOSED",
            format!(
                "deals/{} is closed ({}); a closed deal does not move",
                current.id, current.outcome
            ),
        ));
    }
    if current.stage == stage {
        return Ok(current);
    }
    if time < current.create_time {
        return Err(MonitoringError::invalid(
            "time",
            "must not be before the deal was created",
        ));
    }
    append_stage(db, &current, &current.stage, stage, time).await?;
    let mut active = current.into_active_model();
    active.stage = Set(stage.to_owned());
    active.update_time = Set(now);
    Ok(active.update(db).await?)
}

/// Closes a deal won or lost. Closing it again the same way changes nothing; the other way is refused.
pub async fn close<C: ConnectionTrait>(
    db: &C,
    current: deal::Model,
    closure: &ClosureInput,
    now: DateTime<Utc>,
) -> MonitoringResult<deal::Model> {
    let outcome = if closure.won { "won" } else { "lost" };
    if current.outcome == outcome {
        return Ok(current);
    }
    if !current.outcome.is_empty() {
        return Err(MonitoringError::precondition(
            "DEAL_CLOSED",
            format!("deals/{} was already {}", current.id, current.outcome),
        ));
    }
    let time = closure.time.unwrap_or(now);
    if time < current.create_time {
        return Err(MonitoringError::invalid(
            "time",
            "must not be before the deal was created",
        ));
    }
    let mut active = current.into_active_model();
    active.outcome = Set(outcome.to_owned());
    active.outcome_reason = Set(closure.reason.clone());
    active.close_time = Set(Some(time));
    active.forecast_category = Set(if closure.won { "closed" } else { "omitted" }.to_owned());
    active.update_time = Set(now);
    Ok(active.update(db).await?)
}

/// Ingestion: the deal with the event's external id takes the event's values (a new stage is a
/// recorded move), or is created.
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    input: &DealInput,
    now: DateTime<Utc>,
) -> MonitoringResult<deal::Model> {
    let existing = match &input.external_id {
        Some(external) => find_external(db, tenant, external).await?,
        None => None,
    };
    match existing {
        Some(current) => {
            let stage_time = Ord::max(input.create_time.unwrap_or(now), current.create_time);
            let paths: Vec<String> = [
                "amount",
                "expected_close_time",
                "forecast_category",
                "credit",
                "owner",
                "customer",
            ]
            .map(str::to_owned)
            .into();
            let updated = update(db, current, input, &paths, now).await?;
            if updated.stage != input.stage && updated.outcome.is_empty() {
                move_stage(db, updated, &input.stage, stage_time, now).await
            } else {
                Ok(updated)
            }
        }
        None => insert(db, tenant, input, now).await,
    }
}

/// Filters of a deal list.
pub struct DealFilter {
    pub owners: Option<Vec<String>>,
    pub open_only: bool,
}

pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    filter: &DealFilter,
    page: &PageRequest,
) -> MonitoringResult<Vec<deal::Model>> {
    let mut query = deal::Entity::find().filter(deal::Column::Tenant.eq(tenant));
    if let Some(owners) = &filter.owners {
        query = query.filter(deal::Column::Owner.is_in(owners.iter().cloned()));
    }
    if filter.open_only {
        query = query.filter(deal::Column::Outcome.eq(""));
    }
    if let Some(after) = &page.after {
        query = query.filter(deal::Column::Id.gt(after.as_str()));
    }
    Ok(query
        .order_by_asc(deal::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// Deals of `owners` that were open at some moment of `[start, end)`: created before the end and
/// not closed before the start. These make a period's funnel; closed ones its win rate and cycle.
pub async fn active_between<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    owners: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> MonitoringResult<Vec<deal::Model>> {
    let mut deals = Vec::new();
    for chunk in owners.chunks(500) {
        deals.extend(
            deal::Entity::find()
                .filter(deal::Column::Tenant.eq(tenant))
                .filter(deal::Column::Owner.is_in(chunk.iter().cloned()))
                .filter(deal::Column::CreateTime.lt(end))
                .filter(
                    Condition::any()
                        .add(deal::Column::CloseTime.is_null())
                        .add(deal::Column::CloseTime.gte(start)),
                )
                .all(db)
                .await?,
        );
    }
    Ok(deals)
}

/// Open deals of `owners` now.
pub async fn open<C: ConnectionTrait>(db: &C, tenant: &str, owners: &[String]) -> MonitoringResult<Vec<deal::Model>> {
    let mut deals = Vec::new();
    for chunk in owners.chunks(500) {
        deals.extend(
            deal::Entity::find()
                .filter(deal::Column::Tenant.eq(tenant))
                .filter(deal::Column::Owner.is_in(chunk.iter().cloned()))
                .filter(deal::Column::Outcome.eq(""))
                .all(db)
                .await?,
        );
    }
    Ok(deals)
}

/// Whether any deal of the tenant has this id (for checking references).
pub async fn exists<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> MonitoringResult<bool> {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(deal::Entity)
        .and_where(Expr::col(deal::Column::Tenant).eq(tenant))
        .and_where(Expr::col(deal::Column::Id).eq(id))
        .to_owned();
    Ok(db.query_one(&query).await?.is_some())
}
