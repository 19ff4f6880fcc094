//! Deals and their stage history: every move is a row, so time in stage and stage-to-stage
//! conversion can be read back exactly.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use lacak_runtime::names::new_id;
use lacak_runtime::page::PageRequest;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use rust_decimal::Decimal;

use super::deal_rollups::{self, DealView};
use super::entities::{customer, deal, deal_credit, deal_stage};
use super::{credit_from_stored, credit_to_json, is_duplicate};
use crate::domain::pipeline::{DealPosition, PipelineAmounts, PipelineKey, change, contribution};
use crate::domain::rollup::{Share, credit_or_owner};
use crate::error::{MonitoringError, MonitoringResult, corrupt};
use crate::records::{ClosureInput, DealInput, ReopeningInput};

/// A deal with its stage history, oldest first, and (when read for a set of members) the shares
/// those members hold in it.
#[derive(Debug, Clone)]
pub struct DealRecord {
    pub deal: deal::Model,
    pub stages: Vec<deal_stage::Model>,
    pub credit: Vec<Share>,
}

#[tracing::instrument(name = "db.find", skip_all, fields(otel.kind = "client"))]
pub async fn find<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> MonitoringResult<deal::Model> {
    deal::Entity::find_by_id((tenant.to_owned(), id.to_owned()))
        .one(db)
        .await?
        .ok_or_else(|| MonitoringError::not_found("deal", format!("deals/{id}")))
}

#[tracing::instrument(name = "db.find_external", skip_all, fields(otel.kind = "client"))]
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

#[tracing::instrument(name = "db.with_stages", skip_all, fields(otel.kind = "client"))]
pub async fn with_stages<C: ConnectionTrait>(db: &C, deal: deal::Model) -> MonitoringResult<DealRecord> {
    let mut records = attach_stages(db, vec![deal]).await?;
    Ok(records.remove(0))
}

/// The stage histories of `deals`, in one query per 500 deals.
#[tracing::instrument(name = "db.attach_stages", skip_all, fields(otel.kind = "client"))]
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
            credit: Vec::new(),
        })
        .collect())
}

/// The stage histories of credited deals, keeping the shares.
#[tracing::instrument(name = "db.attach_stages_credited", skip_all, fields(otel.kind = "client"))]
pub async fn attach_stages_credited<C: ConnectionTrait>(
    db: &C,
    deals: Vec<CreditedDeal>,
) -> MonitoringResult<Vec<DealRecord>> {
    let mut shares: HashMap<String, Vec<Share>> = HashMap::new();
    let mut models = Vec::with_capacity(deals.len());
    for credited in deals {
        shares.insert(credited.deal.id.clone(), credited.shares);
        models.push(credited.deal);
    }
    let mut records = attach_stages(db, models).await?;
    for record in &mut records {
        record.credit = shares.remove(&record.deal.id).unwrap_or_default();
    }
    Ok(records)
}

async fn append_stage<C: ConnectionTrait>(db: &C, deal: &deal::Model, mv: StageMove<'_>) -> MonitoringResult<()> {
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
            from_stage: mv.from.to_owned(),
            to_stage: mv.to.to_owned(),
            time: mv.time,
            reason: mv.reason.to_owned(),
            reopened_from: mv.reopened_from.to_owned(),
        }
        .into_active_model(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// One row of a deal's stage history.
struct StageMove<'a> {
    from: &'a str,
    to: &'a str,
    time: DateTime<Utc>,
    reason: &'a str,
    reopened_from: &'a str,
}

/// A deal's credit as stored: the shares given, or all of it to the owner. A damaged value is an
/// error naming the deal.
pub fn credit_of(deal: &deal::Model) -> MonitoringResult<Vec<Share>> {
    let shares = credit_from_stored(&deal.credit)
        .map_err(|error| corrupt(format_args!("deals {}/{} credit", deal.tenant, deal.id), error))?;
    Ok(credit_or_owner(&deal.owner, &shares))
}

/// Everyone whose figures a deal in this state touches: its owner and every member credited (its
/// owner alone when its split cannot be read; the read that needs the split reports it).
pub fn concerned(deal: &deal::Model) -> impl Iterator<Item = String> + use<> {
    let credited = credit_of(deal).into_iter().flatten().map(|share| share.member);
    std::iter::once(deal.owner.clone()).chain(credited)
}

/// What a deal adds to the pipeline in the state `deal` describes.
fn pipeline_rows(deal: &deal::Model, credit: &[Share]) -> MonitoringResult<BTreeMap<PipelineKey, PipelineAmounts>> {
    let amount: Decimal = deal
        .amount
        .parse()
        .map_err(|_| corrupt(format_args!("deals {}/{} amount", deal.tenant, deal.id), &deal.amount))?;
    contribution(&DealPosition {
        open: deal.outcome.is_empty(),
        credit,
        currency: &deal.currency,
        amount,
        stage: &deal.stage,
        category: &deal.forecast_category,
        region: &deal.region,
        segment: &deal.segment,
    })
    .map_err(|error| MonitoringError::invalid("deal.amount", error.to_string()))
}

/// Writes a deal's new state: the row, who holds credit in it, the change it makes to the
/// pipeline ledger at `at` (or at its latest earlier change, if `at` is before it, so the ledger
/// never books a deal's changes out of order), the change it makes to the deal rollups (while the
/// tenant's are kept), and its stage move, if it `moved`. Inserts when there is no `before`.
async fn save<C: ConnectionTrait>(
    db: &C,
    before: Option<&deal::Model>,
    mut after: deal::Model,
    at: DateTime<Utc>,
    moved: Option<StageMove<'_>>,
) -> MonitoringResult<deal::Model> {
    (after.region, after.segment) = if after.customer.is_empty() {
        (String::new(), String::new())
    } else {
        match customer::Entity::find_by_id((after.tenant.clone(), after.customer.clone()))
            .one(db)
            .await?
        {
            Some(c) => (c.region, c.segment),
            None => (String::new(), String::new()),
        }
    };
    let at = before
        .and_then(|b| b.pipeline_time)
        .map_or(at, |latest| Ord::max(at, latest));
    let after_credit = credit_of(&after)?;
    let before_credit = before.map(credit_of).transpose()?;
    let (before_rows, credit_changed) = match (before, &before_credit) {
        (Some(before), Some(credit)) => (pipeline_rows(before, credit)?, *credit != after_credit),
        _ => (BTreeMap::new(), true),
    };
    let changes: BTreeMap<(PipelineKey, DateTime<Utc>), PipelineAmounts> =
        change(&before_rows, &pipeline_rows(&after, &after_credit)?)
            .into_iter()
            .map(|(key, delta)| ((key, at), delta))
            .collect();
    if !changes.is_empty() {
        after.pipeline_time = Some(at);
        super::pipeline::book(db, &after.tenant, &changes).await?;
    }
    if credit_changed {
        deal_credit::Entity::delete_many()
            .filter(deal_credit::Column::Tenant.eq(after.tenant.as_str()))
            .filter(deal_credit::Column::DealId.eq(after.id.as_str()))
            .exec(db)
            .await?;
        deal_credit::Entity::insert_many(after_credit.iter().map(|share| {
            deal_credit::Model {
                tenant: after.tenant.clone(),
                deal_id: after.id.clone(),
                member: share.member.clone(),
                percent: share.percent.normalize().to_string(),
            }
            .into_active_model()
        }))
        .exec(db)
        .await?;
    }
    if let Some(basis) = deal_rollups::kept(db, &after.tenant).await? {
        let history: Vec<(String, DateTime<Utc>)> = match before {
            Some(before) => with_stages(db, before.clone())
                .await?
                .stages
                .into_iter()
                .map(|s| (s.to_stage, s.time))
                .collect(),
            None => Vec::new(),
        };
        let mut entries = history.clone();
        entries.extend(moved.as_ref().map(|m| (m.to.to_owned(), m.time)));
        let before_view = match (before, &before_credit) {
            (Some(deal), Some(credit)) => Some(DealView {
                deal,
                credit,
                entries: &history,
            }),
            _ => None,
        };
        let after_view = DealView {
            deal: &after,
            credit: &after_credit,
            entries: &entries,
        };
        deal_rollups::record(db, &after.tenant, &basis, before_view.as_ref(), &after_view).await?;
    }
    let saved = if before.is_some() {
        after.into_active_model().reset_all().update(db).await?
    } else {
        match deal::Entity::insert(after.clone().into_active_model()).exec(db).await {
            Ok(_) => after,
            Err(error) if is_duplicate(&error) => {
                return Err(MonitoringError::AlreadyExists {
                    what: "deal",
                    name: format!("deals/{}", after.id),
                });
            }
            Err(error) => return Err(error.into()),
        }
    };
    if let Some(moved) = moved {
        append_stage(db, &saved, moved).await?;
    }
    Ok(saved)
}

#[tracing::instrument(name = "db.insert", skip_all, fields(otel.kind = "client"))]
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    input: &DealInput,
    now: DateTime<Utc>,
) -> MonitoringResult<deal::Model> {
    let id = input.id.clone().unwrap_or_else(new_id);
    let create_time = input.create_time.unwrap_or(now);
    if exists(db, tenant, &id).await? {
        return Err(MonitoringError::AlreadyExists {
            what: "deal",
            name: format!("deals/{id}"),
        });
    }
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
        region: String::new(),
        segment: String::new(),
        pipeline_time: None,
    };
    let creation = StageMove {
        from: "",
        to: &input.stage,
        time: create_time,
        reason: "",
        reopened_from: "",
    };
    save(db, None, model, create_time, Some(creation)).await
}

/// Changes the given fields of a deal; the pipeline changes now.
#[tracing::instrument(name = "db.update", skip_all, fields(otel.kind = "client"))]
pub async fn update<C: ConnectionTrait>(
    db: &C,
    current: deal::Model,
    input: &DealInput,
    paths: &[String],
    now: DateTime<Utc>,
) -> MonitoringResult<deal::Model> {
    let mut after = current.clone();
    for path in paths {
        match path.as_str() {
            "amount" => {
                after.amount = input.amount.normalize().to_string();
                after.currency = input.currency.clone();
            }
            "expected_close_time" => after.expected_close_time = input.expected_close_time,
            "forecast_category" if current.outcome.is_empty() => {
                after.forecast_category = input.forecast_category.to_owned();
            }
            "credit" => after.credit = credit_to_json(&input.credit),
            "owner" => after.owner = input.owner.clone(),
            "customer" => after.customer = input.customer.clone(),
            _ => {}
        }
    }
    after.update_time = now;
    save(db, Some(&current), after, now, None).await
}

/// Moves an open deal to `stage` at `time`, recording the transition. Moving to the stage it is
/// in changes nothing.
#[tracing::instrument(name = "db.move_stage", skip_all, fields(otel.kind = "client"))]
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
                "deals/{} is closed ({}); reopen it to move it",
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
    let mv = StageMove {
        from: &current.stage,
        to: stage,
        time,
        reason: "",
        reopened_from: "",
    };
    let mut after = current.clone();
    after.stage = stage.to_owned();
    after.update_time = now;
    save(db, Some(&current), after, time, Some(mv)).await
}

/// Closes a deal won or lost. Closing it again the same way changes nothing; the other way is refused.
#[tracing::instrument(name = "db.close", skip_all, fields(otel.kind = "client"))]
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
            format!("deals/{} was already {}; reopen it first", current.id, current.outcome),
        ));
    }
    let time = closure.time.unwrap_or(now);
    if time < current.create_time {
        return Err(MonitoringError::invalid(
            "time",
            "must not be before the deal was created",
        ));
    }
    let mut after = current.clone();
    after.outcome = outcome.to_owned();
    after.outcome_reason = closure.reason.clone();
    after.close_time = Some(time);
    after.forecast_category = if closure.won { "closed" } else { "omitted" }.to_owned();
    after.update_time = now;
    save(db, Some(&current), after, time, None).await
}

/// Moves a won or lost deal back to an open stage: its outcome and close time are cleared (so the
/// earlier outcome counts nowhere), the move is recorded with its reason, and it is back in the
/// pipeline, in the forecast category "pipeline".
#[tracing::instrument(name = "db.reopen", skip_all, fields(otel.kind = "client"))]
pub async fn reopen<C: ConnectionTrait>(
    db: &C,
    current: deal::Model,
    reopening: &ReopeningInput,
    now: DateTime<Utc>,
) -> MonitoringResult<deal::Model> {
    let Some(closed) = current.close_time.filter(|_| !current.outcome.is_empty()) else {
        return Err(MonitoringError::precondition(
            "DEAL_OPEN",
            format!("deals/{} is open; only a won or lost deal is reopened", current.id),
        ));
    };
    let time = reopening.time.unwrap_or(now);
    if time < closed {
        return Err(MonitoringError::invalid("time", "must not be before the deal closed"));
    }
    let stage = reopening.stage.clone().unwrap_or_else(|| current.stage.clone());
    let mv = StageMove {
        from: &current.stage,
        to: &stage,
        time,
        reason: &reopening.reason,
        reopened_from: &current.outcome,
    };
    let mut after = current.clone();
    after.stage = stage.clone();
    after.outcome = String::new();
    after.outcome_reason = String::new();
    after.close_time = None;
    after.forecast_category = "pipeline".to_owned();
    after.update_time = now;
    save(db, Some(&current), after, time, Some(mv)).await
}

/// Ingestion: the deal with the event's external id takes the event's values (a new stage is a
/// recorded move, dated at the event's create time), or is created.
#[tracing::instrument(name = "db.upsert", skip_all, fields(otel.kind = "client"))]
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    input: &DealInput,
    now: DateTime<Utc>,
) -> MonitoringResult<Upserted> {
    let existing = match &input.external_id {
        Some(external) => find_external(db, tenant, external).await?,
        None => None,
    };
    let Some(current) = existing else {
        return Ok(Upserted {
            before: None,
            after: insert(db, tenant, input, now).await?,
        });
    };
    let before = Some(current.clone());
    let stage_time = Ord::max(input.create_time.unwrap_or(now), current.create_time);
    let moved = if current.stage != input.stage && current.outcome.is_empty() {
        move_stage(db, current, &input.stage, stage_time, now).await?
    } else {
        current
    };
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
    Ok(Upserted {
        before,
        after: update(db, moved, input, &paths, now).await?,
    })
}

/// A deal as an upsert found it (`None`: it was new) and as it left it.
pub struct Upserted {
    pub before: Option<deal::Model>,
    pub after: deal::Model,
}

/// Filters of a deal list.
pub struct DealFilter {
    pub owners: Option<Vec<String>>,
    pub open_only: bool,
}

#[tracing::instrument(name = "db.list", skip_all, fields(otel.kind = "client"))]
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

/// A deal with the shares the members asked about hold in it.
#[derive(Debug, Clone)]
pub struct CreditedDeal {
    pub deal: deal::Model,
    pub shares: Vec<Share>,
}

/// Of the deals `ids`, those in which `members` hold credit, with their shares.
async fn credited<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    members: &[String],
    ids: Vec<String>,
) -> MonitoringResult<Vec<CreditedDeal>> {
    let wanted: HashSet<&str> = members.iter().map(String::as_str).collect();
    let mut shares: HashMap<String, Vec<Share>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in deal_credit::Entity::find()
            .filter(deal_credit::Column::Tenant.eq(tenant))
            .filter(deal_credit::Column::DealId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            if !wanted.contains(row.member.as_str()) {
                continue;
            }
            let percent: Decimal = row.percent.parse().map_err(|_| {
                corrupt(
                    format_args!("deal_credits {tenant}/{}/{}", row.deal_id, row.member),
                    format_args!("percent {:?}", row.percent),
                )
            })?;
            shares.entry(row.deal_id).or_default().push(Share {
                member: row.member,
                percent,
            });
        }
    }
    let ids: Vec<String> = shares.keys().cloned().collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        for deal in deal::Entity::find()
            .filter(deal::Column::Tenant.eq(tenant))
            .filter(deal::Column::Id.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            let shares = shares.remove(&deal.id).unwrap_or_default();
            out.push(CreditedDeal { deal, shares });
        }
    }
    out.sort_by(|a, b| a.deal.id.cmp(&b.deal.id));
    Ok(out)
}

/// Ids of the deals whose final close lies in `[start, end)`.
async fn closed_ids<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> MonitoringResult<Vec<String>> {
    Ok(deal::Entity::find()
        .select_only()
        .column(deal::Column::Id)
        .filter(deal::Column::Tenant.eq(tenant))
        .filter(deal::Column::CloseTime.gte(start))
        .filter(deal::Column::CloseTime.lt(end))
        .filter(deal::Column::Outcome.ne(""))
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// Deals credited to `members` that moved in `[start, end)`: entered a stage or closed. These are
/// the period's stage activity, and every deal that can belong to one of its stage cohorts.
#[tracing::instrument(name = "db.active_between", skip_all, fields(otel.kind = "client"))]
pub async fn active_between<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    members: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> MonitoringResult<Vec<CreditedDeal>> {
    let moved: Vec<String> = deal_stage::Entity::find()
        .select_only()
        .column(deal_stage::Column::DealId)
        .distinct()
        .filter(deal_stage::Column::Tenant.eq(tenant))
        .filter(deal_stage::Column::Time.gte(start))
        .filter(deal_stage::Column::Time.lt(end))
        .into_tuple::<String>()
        .all(db)
        .await?;
    let mut ids: HashSet<String> = moved.into_iter().collect();
    ids.extend(closed_ids(db, tenant, start, end).await?);
    credited(db, tenant, members, ids.into_iter().collect()).await
}

/// Whether any deal of the tenant has this id (for checking references).
#[tracing::instrument(name = "db.exists", skip_all, fields(otel.kind = "client"))]
pub async fn exists<C: ConnectionTrait>(db: &C, tenant: &str, id: &str) -> MonitoringResult<bool> {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(deal::Entity)
        .and_where(Expr::col(deal::Column::Tenant).eq(tenant))
        .and_where(Expr::col(deal::Column::Id).eq(id))
        .to_owned();
    Ok(db.query_one(&query).await?.is_some())
}
