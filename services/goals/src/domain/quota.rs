//! Quota rules: what each metric measures, valid targets, and the split of a target over months.

use lacak_domain::{DistributionError, PeriodId, SeasonalProfile, distribute};
use lacak_runtime::FieldViolation;
use lacak_runtime::convert::Measure;
use rust_decimal::Decimal;

/// What a quota measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Revenue,
    UnitsSold,
    GrossMargin,
    DealsWon,
    NewCustomers,
    LeadsGenerated,
    CustomerRetentionRate,
    LeadConversionRate,
}

/// How a metric's values behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Amounts of money: additive, in one currency.
    Money,
    /// Counts: additive, never negative.
    Count,
    /// Percentages 0..=100: not additive, the same target every month.
    Rate,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::Revenue,
        Metric::UnitsSold,
        Metric::GrossMargin,
        Metric::DealsWon,
        Metric::NewCustomers,
        Metric::LeadsGenerated,
        Metric::CustomerRetentionRate,
        Metric::LeadConversionRate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Revenue => "revenue",
            Metric::UnitsSold => "units_sold",
            Metric::GrossMargin => "gross_margin",
            Metric::DealsWon => "deals_won",
            Metric::NewCustomers => "new_customers",
            Metric::LeadsGenerated => "leads_generated",
            Metric::CustomerRetentionRate => "customer_retention_rate",
            Metric::LeadConversionRate => "lead_conversion_rate",
        }
    }

    pub fn parse(text: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn kind(self) -> MetricKind {
        match self {
            Metric::Revenue | Metric::GrossMargin => MetricKind::Money,
            Metric::UnitsSold | Metric::DealsWon | Metric::NewCustomers | Metric::LeadsGenerated => MetricKind::Count,
            Metric::CustomerRetentionRate | Metric::LeadConversionRate => MetricKind::Rate,
        }
    }
}

/// Checks that a target fits its metric: money for money metrics, a count ≥ 0, a rate in 0..=100.
pub fn validate_target(metric: Metric, target: &Measure, field: &str) -> Result<(), FieldViolation> {
    match (metric.kind(), target) {
        (MetricKind::Money, Measure::Money(money)) if money.amount.is_sign_negative() && !money.amount.is_zero() => {
            Err(FieldViolation::new(field, "must not be negative"))
        }
        (MetricKind::Money, Measure::Money(_)) => Ok(()),
        (MetricKind::Money, Measure::Quantity(_)) => Err(FieldViolation::new(
            field,
            format!("{} is a money metric: set `money` with a currency", metric.as_str()),
        )),
        (_, Measure::Money(_)) => Err(FieldViolation::new(
            field,
            format!("{} is not a money metric: set `quantity`", metric.as_str()),
        )),
        (MetricKind::Count, Measure::Quantity(q)) if *q < Decimal::ZERO => {
            Err(FieldViolation::new(field, "a count must not be negative"))
        }
        (MetricKind::Rate, Measure::Quantity(q)) if *q < Decimal::ZERO || *q > Decimal::ONE_HUNDRED => {
            Err(FieldViolation::new(field, "a rate is a percentage within 0..=100"))
        }
        _ => Ok(()),
    }
}

/// The seasonal profile of a quota: the given weights, or an even split when none are given.
/// Rates are not split over months, so they take no profile.
pub fn seasonal_profile(
    metric: Metric,
    period: &PeriodId,
    weights: Vec<Decimal>,
    field: &str,
) -> Result<SeasonalProfile, FieldViolation> {
    let months = period.months().len();
    if metric.kind() == MetricKind::Rate && !weights.is_empty() {
        return Err(FieldViolation::new(
            field,
            "a rate is the same every month; leave the seasonal profile empty",
        ));
    }
    let profile = if weights.is_empty() {
        SeasonalProfile::even(months)
    } else {
        SeasonalProfile::new(weights, months)
    };
    profile.map_err(|e| FieldViolation::new(field, describe(&e)))
}

fn describe(error: &DistributionError) -> String {
    match error {
        DistributionError::WrongLength { expected, got } => {
            format!("needs one weight per month of the period: {expected}, not {got}")
        }
        DistributionError::Negative { index } => format!("weight {index} is negative"),
        DistributionError::BadSum { sum } => format!("weights must sum to exactly 100, not {sum}"),
        DistributionError::Empty => "the period has no months".to_owned(),
    }
}

/// Each month's target, in the order of the period's months. Money is split to the cent, counts
/// to whole units when the target is whole; the parts always add up to the target exactly.
pub fn monthly_targets(metric: Metric, target: Decimal, profile: &SeasonalProfile) -> Vec<Decimal> {
    match metric.kind() {
        MetricKind::Rate => vec![target; profile.months()],
        MetricKind::Money => distribute(target, profile, target.scale().max(2)),
        MetricKind::Count => {
            let scale = if target.fract().is_zero() {
                0
            } else {
                target.scale().max(2)
            };
            distribute(target, profile, scale)
        }
    }
}

/// Serialises a profile for storage: a JSON array of decimal strings, empty for an even split
/// (so it stays exact, and a rate, which is never split, keeps no weights).
pub fn profile_to_json(profile: &SeasonalProfile) -> String {
    if profile.is_even() {
        return "[]".to_owned();
    }
    let weights: Vec<String> = profile.weights().iter().map(|w| w.normalize().to_string()).collect();
    serde_json::to_string(&weights).unwrap_or_else(|_| "[]".to_owned())
}

/// Reads a stored profile; a damaged one reads as empty rather than failing the whole request.
pub fn profile_from_json(text: &str) -> Vec<Decimal> {
    serde_json::from_str::<Vec<String>>(text)
        .unwrap_or_default()
        .iter()
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// Where a recorded change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSource {
    Manual,
    Review,
    StrategyRecommendation,
}

impl ChangeSource {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Manual => "manual",
            ChangeSource::Review => "review",
            ChangeSource::StrategyRecommendation => "strategy_recommendation",
        }
    }
}

/// Whether a recommendation's change, asked for again, is the change already recorded for it: the
/// target and stored profile it names (`None` when it leaves one alone) equal what was applied.
/// Decimals compare by value, so "120000" repeats "120000.00".
pub fn repeats_change(
    applied_target: &str,
    applied_profile_json: &str,
    target: Option<Decimal>,
    profile_json: Option<&str>,
) -> bool {
    let same_target = target.is_none_or(|t| applied_target.parse::<Decimal>().is_ok_and(|a| a == t));
    let same_profile = profile_json.is_none_or(|p| p == applied_profile_json);
    same_target && same_profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use lacak_domain::Money;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn an_even_quarter_of_money_splits_to_the_cent_and_adds_up() {
        let period: PeriodId = "FY2026-Q3".parse().unwrap();
        let profile = seasonal_profile(Metric::Revenue, &period, vec![], "p").unwrap();
        let months = monthly_targets(Metric::Revenue, dec("100000"), &profile);
        assert_eq!(months, [dec("33333.34"), dec("33333.33"), dec("33333.33")]);
    }

    #[test]
    fn a_given_profile_shapes_the_months() {
        let period: PeriodId = "FY2026-Q1".parse().unwrap();
        let weights = vec![dec("50"), dec("30"), dec("20")];
        let profile = seasonal_profile(Metric::UnitsSold, &period, weights, "p").unwrap();
        assert_eq!(
            monthly_targets(Metric::UnitsSold, dec("1000"), &profile),
            [dec("500"), dec("300"), dec("200")]
        );
    }

    #[test]
    fn rates_are_not_split_and_take_no_profile() {
        let period: PeriodId = "FY2026".parse().unwrap();
        let profile = seasonal_profile(Metric::LeadConversionRate, &period, vec![], "p").unwrap();
        assert_eq!(
            monthly_targets(Metric::LeadConversionRate, dec("25"), &profile),
            vec![dec("25"); 12]
        );
        assert!(seasonal_profile(Metric::LeadConversionRate, &period, vec![dec("100")], "p").is_err());
    }

    #[test]
    fn targets_must_fit_their_metric() {
        let usd = Measure::Money(Money::new("USD", dec("10")).unwrap());
        assert!(validate_target(Metric::Revenue, &usd, "t").is_ok());
        assert!(validate_target(Metric::DealsWon, &usd, "t").is_err());
        assert!(validate_target(Metric::Revenue, &Measure::Quantity(dec("10")), "t").is_err());
        assert!(validate_target(Metric::LeadConversionRate, &Measure::Quantity(dec("101")), "t").is_err());
        assert!(validate_target(Metric::DealsWon, &Measure::Quantity(dec("-1")), "t").is_err());
    }

    #[test]
    fn profiles_survive_storage_and_even_ones_stay_even() {
        let period: PeriodId = "FY2026-Q1".parse().unwrap();
        let shaped = seasonal_profile(Metric::Revenue, &period, vec![dec("50"), dec("30"), dec("20")], "p").unwrap();
        assert_eq!(profile_from_json(&profile_to_json(&shaped)), shaped.weights());
        let even = seasonal_profile(Metric::Revenue, &period, vec![], "p").unwrap();
        assert!(profile_from_json(&profile_to_json(&even)).is_empty());
        let rate = seasonal_profile(Metric::LeadConversionRate, &period, vec![], "p").unwrap();
        let stored = profile_from_json(&profile_to_json(&rate));
        assert!(seasonal_profile(Metric::LeadConversionRate, &period, stored, "p").is_ok());
    }

    #[test]
    fn a_repeated_change_is_told_from_a_different_one() {
        let shaped = r#"["50","30","20"]"#;
        assert!(repeats_change("120000", "[]", Some(dec("120000.00")), None));
        assert!(repeats_change("120000", shaped, None, Some(shaped)));
        assert!(repeats_change("120000", shaped, Some(dec("120000")), Some(shaped)));
        assert!(!repeats_change("120000", "[]", Some(dec("125000")), None));
        assert!(!repeats_change("120000", "[]", Some(dec("120000")), Some(shaped)));
    }

    proptest! {
        #[test]
        fn monthly_targets_always_add_up_to_the_target(cents in 0i64..10_000_000_000, metric in 0usize..6) {
            let metric = [Metric::Revenue, Metric::GrossMargin, Metric::UnitsSold, Metric::DealsWon,
                Metric::NewCustomers, Metric::LeadsGenerated][metric];
            let target = Decimal::new(cents, 2);
            let period: PeriodId = "FY2027".parse().unwrap();
            let profile = seasonal_profile(metric, &period, vec![], "p").unwrap();
            let months = monthly_targets(metric, target, &profile);
            prop_assert_eq!(months.len(), 12);
            prop_assert_eq!(months.iter().copied().sum::<Decimal>(), target);
        }
    }
}
