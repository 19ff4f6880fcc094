//! A member's or a group's figures drawn from the facts: each deal counted by the credit the
//! group holds in it (from the deal rollups, or from the deals), sales per currency, the pipeline
//! summed over the group's ledger rows.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use lacak_domain::Money;
use lacak_domain::kpi::{self, StageCohort};
use rust_decimal::Decimal;

use super::facts::PeriodFacts;
use super::{forecast_weight, kpi_error, money, stage_order};
use crate::domain::deal_rollup::{CohortSums, OutcomeKey, OutcomeSums, distinct_deals};
use crate::domain::pipeline::{PipelineAmounts, PipelineKey};
use crate::domain::rollup::Share;
use crate::domain::units::from_units;
use crate::error::{MonitoringResult, corrupt};
use crate::store::deal_rollups::DealRollupRows;
use crate::store::entities::customer;
use crate::store::kpis::SalesSums;

pub struct Figures {
    /// Sales in the asked currency (zero when every currency was asked).
    pub sales: SalesSums,
    /// Sales per currency.
    pub sales_by_currency: BTreeMap<String, SalesSums>,
    /// Units sold in every currency, in ten-thousandths.
    pub units: i64,
    /// Per currency, the credited amount and credited count of the deals won in the period.
    pub won_by_currency: BTreeMap<String, (Decimal, Decimal)>,
    /// Creation to final win of each deal won in the period in which the group holds credit, once.
    pub won_durations: Vec<Duration>,
    /// Deals won and lost in the period in which the group holds credit, each once.
    pub won_deals: u64,
    pub lost_deals: u64,
    /// Credited deals won and lost.
    pub won_count: Decimal,
    pub lost_count: Decimal,
    pub cohort: kpi::LeadCohort,
    pub leads_created: u64,
    /// Stage cohorts, one per stage of the sales pipeline.
    pub stage_cohorts: Vec<StageCohort>,
    /// The group's pipeline rows at the facts' pipeline time.
    pub pipeline: Vec<(PipelineKey, PipelineAmounts)>,
    pub new_customers: u64,
    pub retention: Option<Decimal>,
}

/// The share of a record the accepted members hold, as a fraction of one.
fn held(credit: &[Share], of: &dyn Fn(&str) -> bool) -> Decimal {
    kpi::credited_count(credit.iter().filter(|s| of(&s.member)).map(|s| s.percent).sum())
}

/// What the period's deals give a group: outcomes, time to close and stage cohorts.
#[derive(Clone)]
pub struct DealFigures {
    won_by_currency: BTreeMap<String, (Decimal, Decimal)>,
    won_durations: Vec<Duration>,
    won_deals: u64,
    lost_deals: u64,
    won_count: Decimal,
    lost_count: Decimal,
    stage_cohorts: Vec<StageCohort>,
}

impl PeriodFacts {
    /// The figures of the question's own members, which `of` must accept exactly: their deal
    /// figures are worked out once per kept answer ([`PeriodFacts::group_deals`]).
    pub fn group_figures(&self, of: &dyn Fn(&str) -> bool) -> MonitoringResult<Figures> {
        match (&self.deal_rollups, &self.group_deals) {
            (Some(rows), Some(memo)) => {
                let deals = memo.get_or_init(|| self.deals_from_rollups(rows, of)).clone();
                self.figures_with(of, deals)
            }
            _ => self.figures(of),
        }
    }

    /// The figures of the members `of` accepts.
    pub fn figures(&self, of: &dyn Fn(&str) -> bool) -> MonitoringResult<Figures> {
        let deals = match &self.deal_rollups {
            Some(rows) => self.deals_from_rollups(rows, of),
            None => self.deals_from_records(of)?,
        };
        self.figures_with(of, deals)
    }

    fn figures_with(&self, of: &dyn Fn(&str) -> bool, deals: DealFigures) -> MonitoringResult<Figures> {
        let mut sales_by_currency: BTreeMap<String, SalesSums> = BTreeMap::new();
        for (member, by_currency) in self.sales.iter() {
            if of(member) {
                for (currency, sums) in by_currency {
                    sales_by_currency.entry(currency.clone()).or_default().add(sums);
                }
            }
        }
        let units = sales_by_currency.values().map(|s| s.units).sum();
        let sales = sales_by_currency.get(&self.currency).copied().unwrap_or_default();

        let leads: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = self
            .leads
            .iter()
            .filter(|l| of(&l.owner))
            .map(|l| (l.create_time, l.convert_time))
            .collect();
        let cohort = kpi::lead_cohort(&leads, self.bounds, self.follow_until).map_err(kpi_error)?;
        let pipeline = self
            .pipeline
            .iter()
            .filter(|(key, _)| of(&key.member))
            .cloned()
            .collect();
        let (start, end) = self.bounds;
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
            sales_by_currency,
            units,
            won_by_currency: deals.won_by_currency,
            won_durations: deals.won_durations,
            won_deals: deals.won_deals,
            lost_deals: deals.lost_deals,
            won_count: deals.won_count,
            lost_count: deals.lost_count,
            leads_created: cohort.leads,
            cohort,
            stage_cohorts: deals.stage_cohorts,
            pipeline,
            new_customers,
            retention,
        })
    }

    /// Deal figures summed from the rollup rows of the accepted members; each deal's time to close
    /// once, whatever number of the members hold credit in it.
    fn deals_from_rollups(&self, rows: &DealRollupRows, of: &dyn Fn(&str) -> bool) -> DealFigures {
        let outcomes: Vec<&(OutcomeKey, OutcomeSums)> = rows.outcomes.iter().filter(|(k, _)| of(&k.member)).collect();
        let mut won_by_currency: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let (mut won, mut lost) = (0, 0);
        for (key, sums) in &outcomes {
            if sums.won != 0 || sums.won_amount != 0 {
                let entry = won_by_currency.entry(key.currency.clone()).or_default();
                entry.0 += sums.won_amount;
                entry.1 += sums.won;
            }
            won += sums.won;
            lost += sums.lost;
        }
        let mut distinct = distinct_deals(outcomes.iter().map(|(_, sums)| sums));
        // Sorted once, so the median of a kept answer's times costs little each time it is asked.
        distinct.won_durations.sort_unstable();
        let mut cohorts: HashMap<&str, CohortSums> = HashMap::new();
        for (key, sums) in rows.cohorts.iter().filter(|(k, _)| of(&k.member)) {
            cohorts.entry(key.stage.as_str()).or_default().add(*sums);
        }
        let stage_cohorts = self
            .sales_pipeline
            .stages
            .iter()
            .enumerate()
            .map(|(k, stage)| {
                let sums = cohorts.get(stage.stage.as_str()).copied().unwrap_or_default();
                StageCohort::new(
                    k,
                    from_units(sums.entered),
                    from_units(sums.advanced),
                    from_units(sums.advance_seconds),
                )
            })
            .collect();
        DealFigures {
            won_by_currency: won_by_currency
                .into_iter()
                .map(|(currency, (amount, count))| (currency, (from_units(amount), from_units(count))))
                .collect(),
            won_deals: distinct.won_durations.len() as u64,
            lost_deals: distinct.lost,
            won_durations: distinct.won_durations.into_iter().map(Duration::nanoseconds).collect(),
            won_count: from_units(won),
            lost_count: from_units(lost),
            stage_cohorts,
        }
    }

    /// Deal figures from the period's deals, each counted by the credit the group holds in it.
    fn deals_from_records(&self, of: &dyn Fn(&str) -> bool) -> MonitoringResult<DealFigures> {
        let mut out = DealFigures {
            won_by_currency: BTreeMap::new(),
            won_durations: Vec::new(),
            won_deals: 0,
            lost_deals: 0,
            won_count: Decimal::ZERO,
            lost_count: Decimal::ZERO,
            stage_cohorts: self.stage_cohorts(of),
        };
        for credited in &self.closed {
            let share = held(&credited.shares, of);
            if share.is_zero() {
                continue;
            }
            let deal = &credited.deal;
            let Some(closed) = deal.close_time else { continue };
            match deal.outcome.as_str() {
                "won" => {
                    let amount: Decimal = deal
                        .amount
                        .parse()
                        .map_err(|_| corrupt(format_args!("deals {}/{} amount", deal.tenant, deal.id), &deal.amount))?;
                    out.won_count += share;
                    out.won_deals += 1;
                    out.won_durations.push(closed - deal.create_time);
                    let entry = out.won_by_currency.entry(deal.currency.clone()).or_default();
                    entry.0 += amount * share;
                    entry.1 += share;
                }
                "lost" => {
                    out.lost_deals += 1;
                    out.lost_count += share;
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Stages in funnel order: the sales pipeline's, then any other stage the histories hold, by
    /// where deals enter it on average.
    pub fn funnel_order(&self, histories: impl IntoIterator<Item = Vec<String>>) -> Vec<String> {
        let histories: Vec<Vec<String>> = histories.into_iter().collect();
        let mut order: Vec<String> = self.sales_pipeline.stages.iter().map(|s| s.stage.clone()).collect();
        order.extend(
            stage_order(&histories)
                .into_iter()
                .filter(|stage| self.sales_pipeline.position(stage).is_none()),
        );
        order
    }

    /// Stage cohorts of the period for the group, followed to `follow_until`.
    fn stage_cohorts(&self, of: &dyn Fn(&str) -> bool) -> Vec<StageCohort> {
        let deals: Vec<kpi::CohortDeal> = self
            .active
            .iter()
            .filter_map(|record| {
                let share = held(&record.credit, of);
                (!share.is_zero()).then(|| kpi::CohortDeal {
                    share,
                    entries: record
                        .stages
                        .iter()
                        .map(|s| (self.sales_pipeline.position(&s.to_stage), s.time))
                        .collect(),
                    won_at: record.deal.close_time.filter(|_| record.deal.outcome == "won"),
                })
            })
            .collect();
        kpi::stage_cohorts(self.sales_pipeline.stages.len(), &deals, self.bounds, self.follow_until)
    }
}

impl Figures {
    /// Revenue in the asked currency.
    pub fn revenue(&self) -> Decimal {
        from_units(self.sales.revenue)
    }

    /// Credited win rate.
    pub fn win_rate(&self) -> Option<Decimal> {
        kpi::credited_win_rate(self.won_count, self.lost_count)
    }

    /// Creation to final win, each won deal the group holds credit in once, unweighted.
    pub fn time_to_close(&self) -> Option<kpi::DurationStats> {
        kpi::duration_stats(&self.won_durations)
    }

    /// Credited won amount in `currency` and the credited count of those deals.
    pub fn won_in(&self, currency: &str) -> (Decimal, Decimal) {
        self.won_by_currency.get(currency).copied().unwrap_or_default()
    }

    /// The credit-weighted mean of the full amounts of the deals won in `currency`.
    pub fn average_deal_size(&self, currency: &str) -> Option<Money> {
        let (amount, count) = self.won_in(currency);
        kpi::credited_average(amount, count).map(|average| money(currency, average))
    }

    /// Credited open deals, in every currency.
    pub fn open_count(&self) -> Decimal {
        from_units(self.pipeline.iter().map(|(_, a)| a.count).sum())
    }

    /// Credited open deals in one currency.
    pub fn open_count_in(&self, currency: &str) -> Decimal {
        from_units(
            self.pipeline
                .iter()
                .filter(|(k, _)| k.currency == currency)
                .map(|(_, a)| a.count)
                .sum(),
        )
    }

    /// Open pipeline in `currency`, and weighted by forecast category and by stage probability.
    pub fn pipeline_in(
        &self,
        currency: &str,
        probability: &dyn Fn(&str) -> Option<Decimal>,
    ) -> MonitoringResult<(Money, Money, Money)> {
        let rows: Vec<(Money, Decimal, Decimal)> = self
            .pipeline
            .iter()
            .filter(|(key, _)| key.currency == currency)
            .map(|(key, amounts)| {
                (
                    money(currency, from_units(amounts.amount)),
                    forecast_weight(&key.category),
                    probability(&key.stage).unwrap_or_default(),
                )
            })
            .collect();
        let open = kpi::open_pipeline(currency, rows.iter().map(|r| &r.0)).map_err(kpi_error)?;
        let by_category = kpi::weighted_pipeline(currency, rows.iter().map(|r| (&r.0, r.1))).map_err(kpi_error)?;
        let by_stage = kpi::weighted_pipeline(currency, rows.iter().map(|r| (&r.0, r.2))).map_err(kpi_error)?;
        Ok((open, by_category, by_stage))
    }
}
