//! Whether an applied adjustment worked: the affected KPI of the adjusted unit before and after
//! the month of the change, against comparable units that were not adjusted.

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId, PeriodKind};
use lacak_forecast::{MIN_CONTROL_UNITS, difference_in_differences};
use rust_decimal::Decimal;

use super::model::{Verdict, Verification};
use super::recommend::{decimal, float};

/// The months compared and when the comparison can be made.
#[derive(Debug, Clone, PartialEq)]
pub struct Windows {
    /// The `n` months before the month of the change.
    pub before: Vec<PeriodId>,
    /// The `n` months after it.
    pub after: Vec<PeriodId>,
    /// The end of the last month after: the verdict is due then.
    pub due: DateTime<Utc>,
}

/// The windows around a change applied at `applied`; the month of the change itself is left out,
/// as it mixes both regimes.
pub fn windows(calendar: &FiscalCalendar, applied: DateTime<Utc>, months: u32) -> Windows {
    let month = calendar.period_containing(applied, PeriodKind::Month);
    let mut before = Vec::new();
    let mut at = month;
    for _ in 0..months {
        match at.previous() {
            Some(previous) => {
                before.push(previous);
                at = previous;
            }
            None => break,
        }
    }
    before.reverse();
    let mut after = Vec::new();
    let mut at = month;
    for _ in 0..months {
        match at.next() {
            Some(next) => {
                after.push(next);
                at = next;
            }
            None => break,
        }
    }
    let due = after
        .last()
        .and_then(|last| calendar.bounds(last).ok())
        .map(|(_, end)| end)
        .unwrap_or(applied);
    Windows { before, after, due }
}

/// One unit's KPI over the window before and the window after; `None` where it is undefined
/// (e.g. a conversion rate with nothing to convert).
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The verification of `treated` against `controls` for `kpi`.
pub fn judge(kpi: &str, window_months: u32, treated: &Unit, controls: &[Unit], now: DateTime<Utc>) -> Verification {
    let paired: Vec<&Unit> = controls
        .iter()
        .filter(|unit| unit.before.is_some() && unit.after.is_some())
        .collect();
    let control_before: Vec<f64> = paired.iter().filter_map(|u| u.before).collect();
    let control_after: Vec<f64> = paired.iter().filter_map(|u| u.after).collect();
    let base = Verification {
        kpi: kpi.to_owned(),
        window_months,
        treated_before: treated.before.map(|v| decimal(v).round_dp(4)),
        treated_after: treated.after.map(|v| decimal(v).round_dp(4)),
        control_before: mean(&control_before).map(|v| decimal(v).round_dp(4)),
        control_after: mean(&control_after).map(|v| decimal(v).round_dp(4)),
        effect: None,
        p_value: None,
        verdict: Verdict::Inconclusive,
        control_units: paired.iter().map(|u| u.name.clone()).collect(),
        explanation: String::new(),
        compute_time: now,
    };
    let (Some(before), Some(after)) = (treated.before, treated.after) else {
        return Verification {
            explanation: format!("{kpi} of the adjusted unit is undefined in a window: nothing to compare"),
            ..base
        };
    };
    let Some(result) = difference_in_differences(&[before], &[after], &control_before, &control_after) else {
        return Verification {
            explanation: format!("no comparison unit has {kpi} in both windows"),
            ..base
        };
    };
    let verdict = match result.verdict {
        lacak_forecast::Verdict::Effective => Verdict::Effective,
        lacak_forecast::Verdict::Harmful => Verdict::Harmful,
        lacak_forecast::Verdict::NoEffect => Verdict::NoEffect,
        lacak_forecast::Verdict::Inconclusive => Verdict::Inconclusive,
    };
    let p = result.p_value.map(|p| decimal(p).round_dp(6));
    let explanation = match verdict {
        Verdict::Inconclusive if result.control_units < MIN_CONTROL_UNITS => format!(
            "{} comparison units; at least {MIN_CONTROL_UNITS} are needed to judge",
            result.control_units
        ),
        Verdict::Inconclusive => "the spread of the comparison group leaves no test".to_owned(),
        _ => format!(
            "{kpi} moved by {:.2} while the {} comparison units moved by {:.2}: an effect of {:.2} (p = {})",
            result.treated_change,
            result.control_units,
            result.control_change,
            result.effect,
            p.map(|p| p.normalize().to_string()).unwrap_or_else(|| "n/a".into()),
        ),
    };
    Verification {
        effect: Some(decimal(result.effect).round_dp(4)),
        p_value: p,
        verdict,
        explanation,
        ..base
    }
}

/// The mean of monthly values, for a window of revenue or margin.
pub fn window_mean(values: &[Decimal]) -> Option<f64> {
    mean(&values.iter().copied().map(float).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn unit(name: &str, before: f64, after: f64) -> Unit {
        Unit {
            name: name.into(),
            before: Some(before),
            after: Some(after),
        }
    }

    #[test]
    fn windows_leave_out_the_month_of_the_change_and_fall_due_after_the_last() {
        let calendar = FiscalCalendar::default();
        let applied = Utc.with_ymd_and_hms(2026, 6, 15, 12, 0, 0).unwrap();
        let w = windows(&calendar, applied, 3);
        let labels = |v: &[PeriodId]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(labels(&w.before), ["FY2026-M03", "FY2026-M04", "FY2026-M05"]);
        assert_eq!(labels(&w.after), ["FY2026-M07", "FY2026-M08", "FY2026-M09"]);
        assert_eq!(w.due, Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap());
    }

    #[test]
    fn a_lift_far_beyond_the_controls_is_effective_and_a_drop_harmful() {
        let controls: Vec<Unit> = (0..6)
            .map(|i| unit(&format!("c{i}"), 100.0, 100.0 + [1.0, -2.0, 3.0, 0.0, -1.0, 2.0][i]))
            .collect();
        let now = Utc::now();
        let up = judge("revenue", 3, &unit("t", 100.0, 160.0), &controls, now);
        assert_eq!(up.verdict, Verdict::Effective, "{}", up.explanation);
        assert!(up.effect.unwrap() > Decimal::from(55));
        let down = judge("revenue", 3, &unit("t", 100.0, 40.0), &controls, now);
        assert_eq!(down.verdict, Verdict::Harmful);
        let same = judge("revenue", 3, &unit("t", 100.0, 101.0), &controls, now);
        assert_eq!(same.verdict, Verdict::NoEffect);
        assert_eq!(same.control_units.len(), 6);
    }

    #[test]
    fn too_few_controls_or_an_undefined_kpi_is_inconclusive() {
        let now = Utc::now();
        let few: Vec<Unit> = (0..3).map(|i| unit(&format!("c{i}"), 10.0, 10.0 + i as f64)).collect();
        let v = judge("revenue", 3, &unit("t", 10.0, 90.0), &few, now);
        assert_eq!(v.verdict, Verdict::Inconclusive);
        assert!(v.explanation.contains("at least 5"), "{}", v.explanation);
        let undefined = Unit {
            name: "t".into(),
            before: None,
            after: Some(1.0),
        };
        let v = judge("stage_conversion:x", 3, &undefined, &few, now);
        assert_eq!(v.verdict, Verdict::Inconclusive);
        assert!(v.effect.is_none());
    }
}
