//! What a KPI read knows about one set of members and one period, read in a fixed number of
//! queries: sales from the rollups (every currency), the pipeline from its ledger at one instant,
//! the period's deal outcomes and stage cohorts from their rollups (or, when asked as of an
//! earlier instant or for a report that needs each deal, the period's deals themselves), leads and
//! customers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId};
use lacak_runtime::auth::CallContext;
use sea_orm::DatabaseConnection;

use super::Scope;
use super::cache::{Answer, PipelineRows, Question, ReadCache, SalesByMember};
use super::figures::DealFigures;
use crate::deps::Dependencies;
use crate::domain::rollup::{Dim, Grain, local_month};
use crate::domain::sales_pipeline::SalesPipeline;
use crate::error::{MonitoringError, MonitoringResult};
use crate::store;
use crate::store::deal_rollups::{DealRollupFilter, DealRollupRows};
use crate::store::deals::{CreditedDeal, DealRecord};
use crate::store::entities::{customer, lead};
use crate::store::kpis::RollupFilter;
use crate::store::pipeline::PipelineFilter;

/// A KPI question about a set of members.
#[derive(Debug, Clone)]
pub struct Reading<'a> {
    pub members: &'a [String],
    pub period: PeriodId,
    pub scope: Scope,
    /// One currency for the money figures, or empty for every currency.
    pub currency: &'a str,
    /// The pipeline's instant and the cohorts' cut-off, when earlier than the period's end and now.
    pub as_of: Option<DateTime<Utc>>,
    /// Read the period's deals one by one (`PeriodFacts::active`) rather than their rollups.
    pub deal_records: bool,
}

pub struct PeriodFacts {
    pub period: PeriodId,
    pub bounds: (DateTime<Utc>, DateTime<Utc>),
    /// When the figures were read.
    pub as_of: DateTime<Utc>,
    /// The pipeline's instant: the period's end, the asked `as_of` or now, whichever is first.
    pub pipeline_time: DateTime<Utc>,
    /// Cohorts (leads converted, stages reached) are followed up to here: `as_of` or now.
    pub follow_until: DateTime<Utc>,
    /// The currency asked; empty for every currency.
    pub currency: String,
    pub scope: Scope,
    pub calendar: FiscalCalendar,
    pub sales_pipeline: Arc<SalesPipeline>,
    /// Each member's sales in the scope, per currency.
    pub sales: Arc<SalesByMember>,
    /// The period's deal outcomes and stage cohorts from their rollups; `None` when the deals
    /// were read one by one.
    pub deal_rollups: Option<Arc<DealRollupRows>>,
    /// The question's members' deal figures from those rollups, worked out at most once per
    /// kept answer.
    pub group_deals: Option<Arc<OnceLock<DealFigures>>>,
    /// Deals whose final close lies in the period (read one by one).
    pub closed: Vec<CreditedDeal>,
    /// Deals that entered a stage or closed in the period, with their whole histories (read one
    /// by one): every deal that can be in one of the period's stage cohorts.
    pub active: Vec<DealRecord>,
    /// The pipeline at `pipeline_time`, by ledger key.
    pub pipeline: Arc<PipelineRows>,
    /// Leads created in the period.
    pub leads: Arc<Vec<lead::Model>>,
    /// Customers won by the members before the period's end.
    pub customers: Arc<Vec<customer::Model>>,
}

/// Reads the facts of `reading.members` for `reading.period`, from `cache` when the tenant has
/// not changed since the same question was read.
pub async fn gather(
    db: &DatabaseConnection,
    reader: &DatabaseConnection,
    cache: &ReadCache,
    deps: &Dependencies,
    caller: &CallContext,
    calendar: FiscalCalendar,
    reading: Reading<'_>,
) -> MonitoringResult<PeriodFacts> {
    let tenant = caller.principal.tenant.as_str();
    let members = reading.members;
    let (start, end) = calendar
        .bounds(&reading.period)
        .map_err(|e| MonitoringError::invalid("period", e.to_string()))?;
    let now = lacak_runtime::convert::now();
    let follow_until = reading.as_of.map_or(now, |at| at.min(now));
    let pipeline_time = follow_until.min(end);
    let scope = reading.scope;
    // Sales and pipeline are read in every currency even when one is asked: units and open deal
    // counts count every currency's records, and the money figures pick their currency themselves.
    let filter = rollup_filter(deps, caller, &calendar, members, (start, end), &scope, "").await?;
    let pipeline_filter = PipelineFilter {
        members: members.to_vec(),
        region: match &scope {
            Scope::Region(region) => Some(region.clone()),
            _ => None,
        },
        segment: match &scope {
            Scope::Segment(segment) => Some(segment.clone()),
            _ => None,
        },
    };
    // The rollups hold what is known now: a read that follows cohorts to an earlier instant, or
    // needs each deal, reads the deals, and is not kept.
    let by_rollups = !reading.deal_records && reading.as_of.is_none_or(|at| at >= now);
    let question = Question {
        tenant: tenant.to_owned(),
        members: members.to_vec(),
        period: reading.period,
        scope: scope.clone(),
        skus: filter.values.clone(),
        calendar,
    };
    // `read_now`: the pipeline this call read itself, on a miss.
    let (answer, active, read_now) = match by_rollups.then(|| cache.get(&question)).flatten() {
        Some(answer) => (answer, Vec::new(), None),
        None => {
            let stamp = cache.stamp(tenant);
            let (sales_pipeline, built) = tokio::try_join!(
                store::pipeline::sales_pipeline(reader, tenant),
                store::deal_rollups::basis(reader, tenant),
            )?;
            if by_rollups {
                let basis = store::deal_rollups::Basis {
                    time_zone: calendar.time_zone,
                    stages: sales_pipeline.stages.iter().map(|s| s.stage.clone()).collect(),
                };
                store::deal_rollups::ensure_built(db, tenant, built.as_ref(), &basis).await?;
            }
            let deal_filter = DealRollupFilter {
                members: members.to_vec(),
                start: filter.start,
                end: filter.end,
                region: pipeline_filter.region.clone(),
                segment: pipeline_filter.segment.clone(),
                cohorts: true,
            };
            // Independent reads, side by side on the read pool (SQLite's read-only connections
            // in WAL, or PostgreSQL's pool).
            let (sales, (deal_rollups, active), pipeline, leads, customers) = tokio::try_join!(
                store::kpis::by_member_and_currency(reader, tenant, &filter),
                async {
                    if by_rollups {
                        let rows = store::deal_rollups::read(reader, tenant, &deal_filter).await?;
                        return Ok((rows, Vec::new()));
                    }
                    let active = store::deals::active_between(reader, tenant, members, start, end).await?;
                    let active = store::deals::attach_stages_credited(reader, active).await?;
                    Ok::<_, MonitoringError>((DealRollupRows::default(), active))
                },
                store::pipeline::at(reader, tenant, &pipeline_filter, pipeline_time),
                store::leads::created_between(reader, tenant, members, start, end),
                customers_won(reader, tenant, members, end),
            )?;
            let pipeline = Arc::new(pipeline);
            let answer = Arc::new(Answer {
                sales_pipeline: Arc::new(sales_pipeline),
                sales: Arc::new(sales),
                deal_rollups: Arc::new(deal_rollups),
                group_deals: Arc::default(),
                leads: Arc::new(leads),
                customers: Arc::new(customers),
                // The pipeline now moves with the clock (a deal dated ahead): only a past
                // instant's is kept.
                pipeline: (pipeline_time < now).then(|| (pipeline_time, pipeline.clone())),
            });
            if by_rollups {
                cache.keep(question, stamp, answer.clone());
            }
            (answer, active, Some(pipeline))
        }
    };
    let pipeline = match (read_now, &answer.pipeline) {
        (Some(rows), _) => rows,
        (None, Some((at, rows))) if *at == pipeline_time => rows.clone(),
        (None, _) => Arc::new(store::pipeline::at(reader, tenant, &pipeline_filter, pipeline_time).await?),
    };
    let mut active = active;
    let (mut leads, mut customers) = (answer.leads.clone(), answer.customers.clone());
    if scope.narrows_customers() {
        // Deals are placed where their customer was when they last changed; leads by their customer now.
        active.retain(|d| scope.keeps_customer(&d.deal.region, &d.deal.segment));
        let ids: HashSet<String> = leads
            .iter()
            .map(|l| l.customer.clone())
            .filter(|id| !id.is_empty())
            .collect();
        let dims: HashMap<String, (String, String)> = store::customers::many(reader, tenant, ids.into_iter().collect())
            .await?
            .into_iter()
            .map(|c| (c.id, (c.region, c.segment)))
            .collect();
        leads = Arc::new(
            leads
                .iter()
                .filter(|l| dims.get(&l.customer).is_some_and(|(r, s)| scope.keeps_customer(r, s)))
                .cloned()
                .collect(),
        );
        customers = Arc::new(
            customers
                .iter()
                .filter(|c| scope.keeps_customer(&c.region, &c.segment))
                .cloned()
                .collect(),
        );
    }
    // The deals closed in the period are among those that moved in it.
    let closed = active
        .iter()
        .filter(|r| !r.deal.outcome.is_empty() && r.deal.close_time.is_some_and(|t| t >= start && t < end))
        .map(|r| CreditedDeal {
            deal: r.deal.clone(),
            shares: r.credit.clone(),
        })
        .collect();
    Ok(PeriodFacts {
        period: reading.period,
        bounds: (start, end),
        as_of: now,
        pipeline_time,
        follow_until,
        currency: reading.currency.to_owned(),
        scope,
        calendar,
        sales_pipeline: answer.sales_pipeline.clone(),
        sales: answer.sales.clone(),
        deal_rollups: by_rollups.then(|| answer.deal_rollups.clone()),
        group_deals: by_rollups.then(|| answer.group_deals.clone()),
        closed,
        active,
        pipeline,
        leads,
        customers,
    })
}

/// The rollup rows of a scope: category scopes read their products' rows. An empty currency reads
/// every currency.
pub async fn rollup_filter(
    deps: &Dependencies,
    caller: &CallContext,
    calendar: &FiscalCalendar,
    members: &[String],
    bounds: (DateTime<Utc>, DateTime<Utc>),
    scope: &Scope,
    currency: &str,
) -> MonitoringResult<RollupFilter> {
    let (dim, values) = match scope {
        Scope::All => (Dim::All, Vec::new()),
        Scope::Product(sku) => (Dim::Product, vec![sku.clone()]),
        Scope::Category(category) => (Dim::Product, deps.skus_in_category(caller, category).await?),
        Scope::Region(region) => (Dim::Region, vec![region.clone()]),
        Scope::Segment(segment) => (Dim::Segment, vec![segment.clone()]),
    };
    // A fiscal period starts and ends at local month starts: its months are whole.
    Ok(RollupFilter {
        dim,
        values,
        currency: currency.to_owned(),
        members: members.to_vec(),
        grain: Grain::Month,
        start: local_month(bounds.0, calendar.time_zone),
        end: local_month(bounds.1, calendar.time_zone),
    })
}

async fn customers_won(
    db: &DatabaseConnection,
    tenant: &str,
    members: &[String],
    before: DateTime<Utc>,
) -> MonitoringResult<Vec<customer::Model>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut found = Vec::new();
    for chunk in members.chunks(500) {
        found.extend(
            customer::Entity::find()
                .filter(customer::Column::Tenant.eq(tenant))
                .filter(customer::Column::AcquiredBy.is_in(chunk.iter().cloned()))
                .filter(customer::Column::AcquireTime.lt(before))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}
