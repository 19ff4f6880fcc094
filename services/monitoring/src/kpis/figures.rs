//! A member's or a group's figures drawn from the facts: each deal counted by the credit the
//! group holds in it, sales per currency, the pipeline summed over the group's ledger rows.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use lacak_domain::Money;
use lacak_domain::kpi::{self, StageCohort};
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{decimal_to_proto, duration_to_proto};
use rust_decimal::Decimal;

use super::facts::PeriodFacts;
use super::{forecast_weight, kpi_error, money, stage_order};
use crate::domain::pipeline::{PipelineAmounts, PipelineKey};
use crate::domain::rollup::Share;
use crate::domain::units::from_units;
use crate::error::{MonitoringResult, corrupt};
use crate::store::entities::customer;
use crate::store::kpis::SalesSums;

/// A deal won in the period, with the group's share of it.
#[derive(Debug, Clone, PartialEq)]
pub struct WonDeal {
    pub created: DateTime<Utc>,
    pub closed: DateTime<Utc>,
    /// The group's credited share of the deal, 0..=1.
    pub share: Decimal,
    /// The deal's full amount.
    pub amount: Money,
}

pub struct Figures {
    /// Sales in the asked currency (zero when every currency was asked).
    pub sales: SalesSums,
    /// Sales per currency.
    pub sales_by_currency: BTreeMap<String, SalesSums>,
    /// Units sold in every currency, in ten-thousandths.
    pub units: i64,
    /// Deals won in the period in which the group holds credit, each once.
    pub won: Vec<WonDeal>,
    /// Deals lost in the period in which the group holds credit.
    pub lost: u64,
    /// Credited deals won and lost.
    pub won_count: Decimal,
    pub lost_count: Decimal,
    pub cohort: kpi::LeadCohort,
    pub leads_created: u64,
    /// The stage activity view.
    pub stage_conversions: Vec<pb::StageConversion>,
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

impl PeriodFacts {
    /// The figures of the members `of` accepts.
    pub fn figures(&self, of: &dyn Fn(&str) -> bool) -> MonitoringResult<Figures> {
        let mut sales_by_currency: BTreeMap<String, SalesSums> = BTreeMap::new();
        for (member, by_currency) in &self.sales {
            if of(member) {
                for (currency, sums) in by_currency {
                    sales_by_currency.entry(currency.clone()).or_default().add(sums);
                }
            }
        }
        let units = sales_by_currency.values().map(|s| s.units).sum();
        let sales = sales_by_currency.get(&self.currency).copied().unwrap_or_default();

        let (mut won, mut lost, mut won_count, mut lost_count) = (Vec::new(), 0, Decimal::ZERO, Decimal::ZERO);
        for credited in &self.closed {
            let share = held(&credited.shares, of);
            if share.is_zero() {
                continue;
            }
            let deal = &credited.deal;
            let Some(closed) = deal.close_time else { continue };
            match deal.outcome.as_str() {
                "won" => {
                    let amount = deal
                        .amount
                        .parse()
                        .map_err(|_| corrupt(format_args!("deals {}/{} amount", deal.tenant, deal.id), &deal.amount))?;
                    won_count += share;
                    won.push(WonDeal {
                        created: deal.create_time,
                        closed,
                        share,
                        amount: money(&deal.currency, amount),
                    });
                }
                "lost" => {
                    lost += 1;
                    lost_count += share;
                }
                _ => {}
            }
        }

        let stage_conversions = self.stage_activity(of);
        let stage_cohorts = self.stage_cohorts(of);

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
            won,
            lost,
            won_count,
            lost_count,
            leads_created: cohort.leads,
            cohort,
            stage_conversions,
            stage_cohorts,
            pipeline,
            new_customers,
            retention,
        })
    }

    /// Stage-to-stage conversion of the deals active in the period in which the group holds credit:
    /// the sales pipeline's stages in order, then any other stage by where deals enter it.
    fn stage_activity(&self, of: &dyn Fn(&str) -> bool) -> Vec<pb::StageConversion> {
        let mut histories: Vec<Vec<String>> = Vec::new();
        let mut stage_times: HashMap<String, Vec<Duration>> = HashMap::new();
        for record in self.active.iter().filter(|r| !held(&r.credit, of).is_zero()) {
            histories.push(record.stages.iter().map(|s| s.to_stage.clone()).collect());
            for pair in record.stages.windows(2) {
                stage_times
                    .entry(pair[0].to_stage.clone())
                    .or_default()
                    .push(pair[1].time - pair[0].time);
            }
        }
        let order = self.funnel_order(histories.iter().cloned());
        kpi::stage_conversion(&order, &histories)
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
            .collect()
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
        let pairs: Vec<(DateTime<Utc>, DateTime<Utc>)> = self.won.iter().map(|w| (w.created, w.closed)).collect();
        kpi::time_to_close(&pairs).ok().flatten()
    }

    /// Credited won amount in `currency` and the credited count of those deals.
    pub fn won_in(&self, currency: &str) -> (Decimal, Decimal) {
        self.won
            .iter()
            .filter(|w| w.amount.currency == currency)
            .fold((Decimal::ZERO, Decimal::ZERO), |(amount, count), w| {
                (amount + w.amount.amount * w.share, count + w.share)
            })
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
