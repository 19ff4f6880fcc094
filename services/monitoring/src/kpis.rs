//! KPIs of an owner, period and scope, composed from the rollups (sales) and the period's deals,
//! leads and customers, with every formula taken from `lacak_domain::kpi` (docs/KPIS.md).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use lacak_domain::kpi::{self, KpiError, PeriodProgress};
use lacak_domain::{FiscalCalendar, Money, PeriodId, SeasonalProfile};
use lacak_proto::common as cpb;
use lacak_proto::goals as gpb;
use lacak_proto::monitoring as pb;
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::{
    Measure, decimal_from_proto, decimal_to_proto, duration_to_proto, measure_from_proto, measure_to_proto,
    money_to_proto, timestamp_to_proto,
};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

use crate::deps::Dependencies;
use crate::domain::access::Owner;
use crate::domain::rollup::{Dim, Grain, local_month};
use crate::domain::units::from_units;
use crate::error::{MonitoringError, MonitoringResult};
use crate::store;
use crate::store::deals::DealRecord;
use crate::store::entities::{customer, deal, lead};
use crate::store::kpis::{RollupFilter, SalesSums};

/// A scope narrowed to one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    All,
    Product(String),
    Category(String),
    Region(String),
    Segment(String),
}

impl Scope {
    /// Reads a wire scope; more than one field set is refused (KPIs narrow by one dimension).
    pub fn from_proto(scope: Option<&cpb::Scope>, field: &str) -> MonitoringResult<Scope> {
        let Some(scope) = scope else { return Ok(Scope::All) };
        let set: Vec<Scope> = [
            (!scope.product.is_empty()).then(|| Scope::Product(scope.product.clone())),
            (!scope.product_category.is_empty())
                .then(|| Scope::Category(scope.product_category.trim_start_matches("categories/").to_owned())),
            (!scope.region.is_empty()).then(|| Scope::Region(scope.region.to_lowercase())),
            (!scope.segment.is_empty()).then(|| Scope::Segment(scope.segment.to_lowercase())),
        ]
        .into_iter()
        .flatten()
        .collect();
        match set.len() {
            0 => Ok(Scope::All),
            1 => Ok(set.into_iter().next().unwrap_or_default()),
            _ => Err(MonitoringError::invalid(
                field,
                "narrow by one of product, product_category, region or segment at a time",
            )),
        }
    }

    pub fn to_proto(&self) -> cpb::Scope {
        let mut scope = cpb::Scope::default();
        match self {
            Scope::All => {}
            Scope::Product(sku) => scope.product = sku.clone(),
            Scope::Category(id) => scope.product_category = format!("categories/{id}"),
            Scope::Region(region) => scope.region = region.clone(),
            Scope::Segment(segment) => scope.segment = segment.clone(),
        }
        scope
    }

    /// Whether a customer with this region and segment is in scope; product scopes keep all.
    fn keeps_customer(&self, region: &str, segment: &str) -> bool {
        match self {
            Scope::Region(r) => r == region,
            Scope::Segment(s) => s == segment,
            _ => true,
        }
    }

    fn narrows_customers(&self) -> bool {
        matches!(self, Scope::Region(_) | Scope::Segment(_))
    }
}

/// Everything a KPI read needs about one set of members and one period, read in a fixed number
/// of queries. Sales come from the rollups; records from the period's own rows.
pub struct PeriodFacts {
    pub period: PeriodId,
    pub bounds: (DateTime<Utc>, DateTime<Utc>),
    pub as_of: DateTime<Utc>,
    pub currency: String,
    pub scope: Scope,
    /// Each member's sales in the scope and currency.
    pub sales: HashMap<String, SalesSums>,
    /// Deals open at some moment of the period, with their stages.
    pub active: Vec<DealRecord>,
    /// Leads created in the period.
    pub leads: Vec<lead::Model>,
    /// Deals open now.
    pub open: Vec<deal::Model>,
    /// Customers won by the members before the period's end.
    pub customers: Vec<customer::Model>,
    pub calendar: FiscalCalendar,
}

/// Reads the facts of `members` for `period`.
#[allow(clippy::too_many_arguments)]
pub async fn gather(
    db: &DatabaseConnection,
    deps: &Dependencies,
    caller: &CallContext,
    calendar: FiscalCalendar,
    members: &[String],
    period: PeriodId,
    scope: Scope,
    currency: &str,
) -> MonitoringResult<PeriodFacts> {
    let tenant = caller.principal.tenant.as_str();
    let bounds = calendar
        .bounds(&period)
        .map_err(|e| MonitoringError::invalid("period", e.to_string()))?;
    let filter = rollup_filter(deps, caller, &calendar, members, bounds, &scope, currency).await?;
    // Independent reads, concurrent where the pool has connections for them (PostgreSQL).
    let (sales, active, mut leads, mut open, mut customers) = tokio::try_join!(
        store::kpis::by_member(db, tenant, &filter),
        async {
            let active = store::deals::active_between(db, tenant, members, bounds.0, bounds.1).await?;
            store::deals::attach_stages(db, active).await
        },
        store::leads::created_between(db, tenant, members, bounds.0, bounds.1),
        store::deals::open(db, tenant, members),
        customers_won(db, tenant, members, bounds.1),
    )?;
    let mut active = active;
    if scope.narrows_customers() {
        let ids: HashSet<String> = active
            .iter()
            .map(|d| d.deal.customer.clone())
            .chain(open.iter().map(|d| d.customer.clone()))
            .chain(leads.iter().map(|l| l.customer.clone()))
            .filter(|id| !id.is_empty())
            .collect();
        let dims: HashMap<String, (String, String)> = store::customers::many(db, tenant, ids.into_iter().collect())
            .await?
            .into_iter()
            .map(|c| (c.id, (c.region, c.segment)))
            .collect();
        let keeps = |id: &str| dims.get(id).is_some_and(|(r, s)| scope.keeps_customer(r, s));
        active.retain(|d| keeps(&d.deal.customer));
        open.retain(|d| keeps(&d.customer));
        leads.retain(|l| keeps(&l.customer));
        customers.retain(|c| scope.keeps_customer(&c.region, &c.segment));
    }
    Ok(PeriodFacts {
        period,
        bounds,
        as_of: lacak_runtime::convert::now(),
        currency: currency.to_owned(),
        scope,
        sales,
        active,
        leads,
        open,
        customers,
        calendar,
    })
}

/// The rollup rows of a scope: category scopes read their products' rows.
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

fn kpi_error(error: KpiError) -> MonitoringError {
    match error {
        KpiError::CurrencyMismatch { left, right } => MonitoringError::precondition(
            "CURRENCY_MISMATCH",
            format!("amounts in {left} and {right} are never summed; ask for one currency"),
        ),
        other => MonitoringError::precondition("KPI_UNDEFINED", other.to_string()),
    }
}

/// An amount in `currency`.
pub(crate) fn money(currency: &str, amount: Decimal) -> Money {
    Money {
        currency: currency.to_owned(),
        amount,
    }
}

/// The weight of a forecast category in the weighted pipeline, in percent.
pub fn forecast_weight(category: &str) -> Decimal {
    match category {
        "closed" => Decimal::ONE_HUNDRED,
        "commit" => Decimal::from(90),
        "best_case" => Decimal::from(50),
        "pipeline" => Decimal::from(10),
        _ => Decimal::ZERO,
    }
}

/// Stages in funnel order: by the mean position at which deals enter them, then by name.
pub fn stage_order(histories: &[Vec<String>]) -> Vec<String> {
    let mut positions: HashMap<&str, (usize, usize)> = HashMap::new();
    for history in histories {
        for (i, stage) in history.iter().enumerate() {
            let entry = positions.entry(stage.as_str()).or_insert((0, 0));
            entry.0 += i;
            entry.1 += 1;
        }
    }
    let mut stages: Vec<(&str, f64)> = positions
        .into_iter()
        .map(|(stage, (sum, count))| (stage, sum as f64 / count as f64))
        .collect();
    stages.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0)));
    stages.into_iter().map(|(stage, _)| stage.to_owned()).collect()
}

/// A member's (or a group's) figures drawn from the facts.
pub struct Figures {
    pub sales: SalesSums,
    pub won: Vec<(DateTime<Utc>, DateTime<Utc>, Decimal)>,
    pub lost: u64,
    pub cohort: kpi::LeadCohort,
    pub leads_created: u64,
    pub stage_conversions: Vec<pb::StageConversion>,
    pub open_amounts: Vec<(Money, Decimal)>,
    pub new_customers: u64,
    pub retention: Option<Decimal>,
}

impl PeriodFacts {
    /// The figures of the members `of` accepts.
    pub fn figures(&self, of: &dyn Fn(&str) -> bool) -> MonitoringResult<Figures> {
        let (start, end) = self.bounds;
        let mut sales = SalesSums::default();
        for (member, sums) in &self.sales {
            if of(member) {
                sales.add(sums);
            }
        }
        let mut won = Vec::new();
        let mut lost = 0;
        let mut histories: Vec<Vec<String>> = Vec::new();
        let mut stage_times: HashMap<String, Vec<Duration>> = HashMap::new();
        for record in self.active.iter().filter(|r| of(&r.deal.owner)) {
            let deal = &record.deal;
            if let Some(closed) = deal.close_time
                && closed >= start
                && closed < end
            {
                match deal.outcome.as_str() {
                    "won" if deal.currency == self.currency => {
                        let amount = deal.amount.parse().unwrap_or_default();
                        won.push((deal.create_time, closed, amount));
                    }
                    "won" => won.push((deal.create_time, closed, Decimal::ZERO)),
                    "lost" => lost += 1,
                    _ => {}
                }
            }
            histories.push(record.stages.iter().map(|s| s.to_stage.clone()).collect());
            for pair in record.stages.windows(2) {
                stage_times
                    .entry(pair[0].to_stage.clone())
                    .or_default()
                    .push(pair[1].time - pair[0].time);
            }
        }
        let order = stage_order(&histories);
        let stage_conversions = kpi::stage_conversion(&order, &histories)
            .into_iter()
            .map(|c| pb::StageConversion {
                from_stage: order[c.from].clone(),
                to_stage: order[c.from + 1].clone(),
                entered: c.reached as i64,
                advanced: c.advanced as i64,
                conversion_percent: c.rate.map(decimal_to_proto),
                average_time_in_stage: stage_times
                    .get(&order[c.from])
                    .and_then(|times| kpi::duration_stats(times))
                    .map(|stats| duration_to_proto(stats.average)),
            })
            .collect();
        let leads: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = self
            .leads
            .iter()
            .filter(|l| of(&l.owner))
            .map(|l| (l.create_time, l.convert_time))
            .collect();
        let cohort = kpi::lead_cohort(&leads, self.bounds, self.as_of).map_err(kpi_error)?;
        let open_amounts = self
            .open
            .iter()
            .filter(|d| of(&d.owner) && d.currency == self.currency)
            .map(|d| {
                (
                    money(&d.currency, d.amount.parse().unwrap_or_default()),
                    forecast_weight(&d.forecast_category),
                )
            })
            .collect();
        let mine: Vec<&customer::Model> = self.customers.iter().filter(|c| of(&c.acquired_by)).collect();
        let new_customers = kpi::new_customers(mine.iter().filter_map(|c| c.acquire_time), self.bounds);
        // Customers active at `at`: acquired before it and not churned by then. Retention keeps
        // those active at the start that are still active at the period's end (or now, if sooner).
        let active_at = |at: DateTime<Utc>| -> Vec<&str> {
            mine.iter()
                .filter(|c| c.acquire_time.is_some_and(|a| a < at) && c.churn_time.is_none_or(|ch| ch >= at))
                .map(|c| c.id.as_str())
                .collect()
        };
        let retention = kpi::retention_rate(active_at(start), active_at(end.min(self.as_of).max(start)));
        Ok(Figures {
            sales,
            leads_created: cohort.leads,
            cohort,
            won,
            lost,
            stage_conversions,
            open_amounts,
            new_customers,
            retention,
        })
    }
}

impl Figures {
    pub fn revenue(&self) -> Decimal {
        from_units(self.sales.revenue)
    }

    pub fn win_rate(&self) -> Option<Decimal> {
        kpi::win_rate(self.won.len() as u64, self.lost)
    }

    pub fn time_to_close(&self) -> Option<kpi::DurationStats> {
        let pairs: Vec<(DateTime<Utc>, DateTime<Utc>)> = self.won.iter().map(|(c, w, _)| (*c, *w)).collect();
        kpi::time_to_close(&pairs).ok().flatten()
    }

    pub fn average_deal_size(&self, currency: &str) -> Option<Money> {
        let amounts: Vec<Money> = self.won.iter().map(|(_, _, a)| money(currency, *a)).collect();
        kpi::average_deal_size(&amounts).ok().flatten()
    }
}

/// The KPIs of `owner` over `facts`, with its quotas' attainments.
pub fn compose(
    owner: &Owner,
    members: &[String],
    facts: &PeriodFacts,
    quotas: &[gpb::Quota],
    quota_actuals: &HashMap<String, Decimal>,
) -> MonitoringResult<pb::Kpis> {
    let set: HashSet<&str> = members.iter().map(String::as_str).collect();
    let figures = facts.figures(&|member| set.contains(member))?;
    let currency = facts.currency.as_str();
    let revenue = money(currency, figures.revenue());
    let costed = money(currency, from_units(figures.sales.costed_revenue));
    let margin = kpi::gross_margin(&costed, &money(currency, from_units(figures.sales.cost))).map_err(kpi_error)?;
    let margin_percent = kpi::gross_margin_percent(&costed, &margin).map_err(kpi_error)?;
    let win_rate = figures.win_rate();
    let average_deal = figures.average_deal_size(currency);
    let cycle = figures.time_to_close();
    let open_money: Vec<Money> = figures.open_amounts.iter().map(|(m, _)| m.clone()).collect();
    let open_pipeline = kpi::open_pipeline(currency, &open_money).map_err(kpi_error)?;
    let weighted =
        kpi::weighted_pipeline(currency, figures.open_amounts.iter().map(|(m, w)| (m, *w))).map_err(kpi_error)?;
    let velocity = match (win_rate, &average_deal, &cycle) {
        (Some(rate), Some(size), Some(cycle)) => {
            kpi::sales_velocity(figures.open_amounts.len() as u64, rate, size, cycle.average).map_err(kpi_error)?
        }
        _ => None,
    };
    let revenue_quota = quotas.iter().find(|q| {
        q.metric == gpb::Metric::Revenue as i32
            && measure_from_proto(q.target.as_ref(), "target").is_ok_and(|m| m.currency() == Some(currency))
    });
    let coverage = match revenue_quota.and_then(|q| measure_from_proto(q.target.as_ref(), "target").ok()) {
        Some(Measure::Money(target)) => kpi::pipeline_coverage(&open_pipeline, &target, &revenue).map_err(kpi_error)?,
        _ => None,
    };
    let attainments = quotas
        .iter()
        .filter_map(|quota| attainment(quota, facts, &figures, quota_actuals).transpose())
        .collect::<MonitoringResult<Vec<_>>>()?;
    Ok(pb::Kpis {
        owner: owner.name(),
        period: facts.period.to_string(),
        scope: Some(facts.scope.to_proto()),
        read_time: Some(timestamp_to_proto(facts.as_of)),
        revenue: Some(money_to_proto(&revenue)),
        units_sold: Some(decimal_to_proto(from_units(figures.sales.units))),
        gross_margin: Some(money_to_proto(&margin)),
        gross_margin_percent: margin_percent.map(decimal_to_proto),
        deals_won: figures.won.len() as i64,
        deals_lost: figures.lost as i64,
        win_rate_percent: win_rate.map(decimal_to_proto),
        average_deal_size: average_deal.as_ref().map(money_to_proto),
        leads_created: figures.leads_created as i64,
        lead_cohort: Some(pb::LeadCohort {
            leads: figures.cohort.leads as i64,
            converted: figures.cohort.converted as i64,
            conversion_percent: figures.cohort.conversion_rate.map(decimal_to_proto),
            average_time_to_convert: figures.cohort.time_to_convert.map(|s| duration_to_proto(s.average)),
            median_time_to_convert: figures.cohort.time_to_convert.map(|s| duration_to_proto(s.median)),
        }),
        stage_conversions: figures.stage_conversions.clone(),
        average_time_to_close: cycle.map(|s| duration_to_proto(s.average)),
        median_time_to_close: cycle.map(|s| duration_to_proto(s.median)),
        sales_velocity_per_day: velocity.as_ref().map(money_to_proto),
        open_pipeline: Some(money_to_proto(&open_pipeline)),
        weighted_pipeline: Some(money_to_proto(&weighted)),
        pipeline_coverage: coverage.map(decimal_to_proto),
        new_customers: figures.new_customers as i64,
        retention_percent: figures.retention.map(decimal_to_proto),
        churn_percent: figures.retention.map(|r| decimal_to_proto(Decimal::ONE_HUNDRED - r)),
        attainments,
    })
}

/// Whether a quota is about the scope the facts were read for.
pub fn quota_in_scope(quota: &gpb::Quota, scope: &Scope) -> bool {
    Scope::from_proto(quota.scope.as_ref(), "scope").is_ok_and(|s| &s == scope)
}

/// The actual of a quota's metric from the figures; money metrics in another currency than the
/// facts' are looked up in `other_currency` (keyed by quota name), never converted.
fn attainment(
    quota: &gpb::Quota,
    facts: &PeriodFacts,
    figures: &Figures,
    other_currency: &HashMap<String, Decimal>,
) -> MonitoringResult<Option<pb::Attainment>> {
    if !quota_in_scope(quota, &facts.scope) {
        return Ok(None);
    }
    let Ok(target) = measure_from_proto(quota.target.as_ref(), "target") else {
        return Ok(None);
    };
    let metric = gpb::Metric::try_from(quota.metric).unwrap_or(gpb::Metric::Unspecified);
    let same_currency = target.currency().is_none_or(|c| c == facts.currency);
    let actual = match metric {
        gpb::Metric::Revenue if same_currency => figures.revenue(),
        gpb::Metric::GrossMargin if same_currency => from_units(figures.sales.costed_revenue - figures.sales.cost),
        gpb::Metric::Revenue | gpb::Metric::GrossMargin => other_currency.get(&quota.name).copied().unwrap_or_default(),
        gpb::Metric::UnitsSold => from_units(figures.sales.units),
        gpb::Metric::DealsWon => Decimal::from(figures.won.len() as u64),
        gpb::Metric::NewCustomers => Decimal::from(figures.new_customers),
        gpb::Metric::LeadsGenerated => Decimal::from(figures.leads_created),
        gpb::Metric::CustomerRetentionRate => figures.retention.unwrap_or_default(),
        gpb::Metric::LeadConversionRate => figures.cohort.conversion_rate.unwrap_or_default(),
        gpb::Metric::Unspecified => return Ok(None),
    };
    let is_rate = matches!(
        metric,
        gpb::Metric::CustomerRetentionRate | gpb::Metric::LeadConversionRate
    );
    let projection = if is_rate {
        Some(actual)
    } else {
        let months = facts.period.months().len();
        let weights: Vec<Decimal> = quota
            .seasonal_profile
            .iter()
            .filter_map(|w| decimal_from_proto(w, "seasonal_profile").ok())
            .collect();
        let profile = if weights.len() == months {
            SeasonalProfile::new(weights, months)
        } else {
            SeasonalProfile::even(months)
        };
        match profile {
            Ok(profile) => {
                let progress = PeriodProgress::at(&facts.calendar, &facts.period, facts.as_of).map_err(kpi_error)?;
                kpi::projected_total(actual, &profile, &progress).map_err(kpi_error)?
            }
            Err(_) => None,
        }
    };
    Ok(Some(pb::Attainment {
        metric: quota.metric,
        quota: quota.name.clone(),
        target: Some(measure_to_proto(&target)),
        actual: Some(measure_to_proto(&target.with_amount(actual))),
        variance: Some(measure_to_proto(
            &target.with_amount(kpi::variance(actual, target.amount())),
        )),
        attainment_percent: kpi::attainment_percent(actual, target.amount()).map(decimal_to_proto),
        projection: projection.map(|p| measure_to_proto(&target.with_amount(p))),
        // The quota's own period and target: `quota_periods::label` tells them.
        ..Default::default()
    }))
}

/// Sums of money quotas in another currency than the request's: revenue or margin in theirs.
pub async fn other_currency_actuals(
    db: &DatabaseConnection,
    deps: &Dependencies,
    caller: &CallContext,
    facts: &PeriodFacts,
    members: &[String],
    quotas: &[gpb::Quota],
) -> MonitoringResult<HashMap<String, Decimal>> {
    let mut out = HashMap::new();
    for quota in quotas {
        if !quota_in_scope(quota, &facts.scope) {
            continue;
        }
        let Ok(Measure::Money(target)) = measure_from_proto(quota.target.as_ref(), "target") else {
            continue;
        };
        if target.currency == facts.currency {
            continue;
        }
        let filter = rollup_filter(
            deps,
            caller,
            &facts.calendar,
            members,
            facts.bounds,
            &facts.scope,
            &target.currency,
        )
        .await?;
        let sums = store::kpis::total(db, &caller.principal.tenant, &filter).await?;
        let actual = if quota.metric == gpb::Metric::GrossMargin as i32 {
            from_units(sums.costed_revenue - sums.cost)
        } else {
            from_units(sums.revenue)
        };
        out.insert(quota.name.clone(), actual);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_ordered_by_where_deals_enter_them() {
        let histories = vec![
            vec!["qualify".to_string(), "propose".into(), "negotiate".into()],
            vec!["qualify".to_string(), "negotiate".into()],
            vec!["qualify".to_string()],
        ];
        assert_eq!(stage_order(&histories), ["qualify", "propose", "negotiate"]);
    }

    #[test]
    fn forecast_categories_weigh_the_pipeline() {
        assert_eq!(forecast_weight("commit"), Decimal::from(90));
        assert_eq!(forecast_weight("omitted"), Decimal::ZERO);
    }

    #[test]
    fn a_scope_narrows_by_one_dimension_at_a_time() {
        let both = cpb::Scope {
            region: "EMEA".into(),
            segment: "smb".into(),
            ..Default::default()
        };
        assert!(Scope::from_proto(Some(&both), "scope").is_err());
        let region = cpb::Scope {
            region: "EMEA".into(),
            ..Default::default()
        };
        assert_eq!(
            Scope::from_proto(Some(&region), "scope").unwrap(),
            Scope::Region("emea".into())
        );
    }
}
