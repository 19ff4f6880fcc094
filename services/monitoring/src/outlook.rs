//! A tracking report's outlook on a period in progress: how far into it the figures were read, and
//! each member's and the team's revenue projected to its end beside what they have sold.

use chrono::{DateTime, Utc};
use lacak_domain::kpi::{self, PeriodProgress};
use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{decimal_to_proto, money_to_proto};
use rust_decimal::Decimal;

use crate::domain::progress::{elapsed_percent, profile_or_even, team_projection};
use crate::error::{MonitoringError, MonitoringResult};
use crate::kpis::{PeriodFacts, money};

/// A member's revenue target for the period and the seasonal profile it is planned by.
#[derive(Debug, Clone, PartialEq)]
pub struct RevenueTarget {
    pub amount: Decimal,
    /// The quota's monthly weights; empty for an even split.
    pub weights: Vec<Decimal>,
}

/// How far into its period a report was read.
pub struct Outlook {
    pub as_of: DateTime<Utc>,
    pub elapsed_percent: Decimal,
    progress: PeriodProgress,
    months: usize,
}

fn undefined(error: kpi::KpiError) -> MonitoringError {
    MonitoringError::precondition("KPI_UNDEFINED", error.to_string())
}

impl Outlook {
    pub fn of(facts: &PeriodFacts) -> MonitoringResult<Outlook> {
        Ok(Outlook {
            as_of: facts.as_of,
            elapsed_percent: elapsed_percent(facts.bounds, facts.as_of),
            progress: PeriodProgress::at(&facts.calendar, &facts.period, facts.as_of).map_err(undefined)?,
            months: facts.period.months().len(),
        })
    }

    /// Revenue `actual` so far projected to the period's end by the seasonal run-rate
    /// (`kpi::projected_total`) under the target's profile, an even split without a target: the
    /// projection KPIs give a revenue quota. `None` while the plan expects nothing yet.
    pub fn projection(&self, actual: Decimal, target: Option<&RevenueTarget>) -> MonitoringResult<Option<Decimal>> {
        let weights = target.map_or(&[][..], |t| t.weights.as_slice());
        let Some(profile) = profile_or_even(weights, self.months) else {
            return Ok(None);
        };
        kpi::projected_total(actual, &profile, &self.progress).map_err(undefined)
    }
}

/// One member's revenue figures, as the team line sums them.
pub struct MemberRevenue {
    pub actual: Decimal,
    pub target: Option<Decimal>,
    pub projection: Option<Decimal>,
}

/// The team's line: Σ targets of the members who have one, Σ revenue of all, Σ projections
/// (`domain::progress::team_projection`), and attainments of those sums.
pub fn team_performance(members: &[MemberRevenue], currency: &str) -> pb::TeamPerformance {
    let actual: Decimal = members.iter().map(|m| m.actual).sum();
    let targets: Vec<Decimal> = members.iter().filter_map(|m| m.target).collect();
    let target = (!targets.is_empty()).then(|| targets.iter().sum::<Decimal>());
    let projection = team_projection(members.iter().map(|m| (m.actual, m.projection)));
    let of_target = |value: Decimal| target.and_then(|t| kpi::attainment_percent(value, t));
    let amount = |value: Decimal| money_to_proto(&money(currency, value));
    pb::TeamPerformance {
        target: target.map(amount),
        actual: Some(amount(actual)),
        variance: target.map(|t| amount(kpi::variance(actual, t))),
        attainment_percent: of_target(actual).map(decimal_to_proto),
        projection: projection.map(amount),
        projected_attainment_percent: projection.and_then(of_target).map(decimal_to_proto),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lacak_runtime::convert::{decimal_from_proto, money_from_proto};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn member(actual: &str, target: Option<&str>, projection: Option<&str>) -> MemberRevenue {
        MemberRevenue {
            actual: dec(actual),
            target: target.map(dec),
            projection: projection.map(dec),
        }
    }

    #[test]
    fn the_team_line_sums_its_members() {
        let team = team_performance(
            &[
                member("1000", Some("3000"), Some("2000")),
                member("500", Some("1000"), Some("1000")),
                // No target: counts in the actual and the projection only.
                member("300", None, Some("600")),
            ],
            "IDR",
        );
        let amount =
            |m: &Option<lacak_proto::common::Money>| money_from_proto(m.as_ref().unwrap(), "m").unwrap().amount;
        let percent = |d: &Option<lacak_proto::common::Decimal>| decimal_from_proto(d.as_ref().unwrap(), "d").unwrap();
        // 3,000 + 1,000; 1,000 + 500 + 300; 1,800 − 4,000.
        assert_eq!(amount(&team.target), dec("4000"));
        assert_eq!(amount(&team.actual), dec("1800"));
        assert_eq!(amount(&team.variance), dec("-2200"));
        // 1,800 / 4,000 = 45%; (2,000 + 1,000 + 600) / 4,000 = 90%.
        assert_eq!(percent(&team.attainment_percent), dec("45"));
        assert_eq!(amount(&team.projection), dec("3600"));
        assert_eq!(percent(&team.projected_attainment_percent), dec("90"));
    }

    #[test]
    fn a_team_without_targets_or_time_elapsed_leaves_them_unset() {
        let team = team_performance(&[member("0", None, None)], "IDR");
        assert!(team.target.is_none() && team.attainment_percent.is_none());
        assert!(team.projection.is_none() && team.projected_attainment_percent.is_none());
        assert!(team.actual.is_some());
    }
}
