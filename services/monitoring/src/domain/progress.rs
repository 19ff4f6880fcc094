//! A period read before it is over: how much of it has elapsed, what its figures project to, which
//! trend buckets are partial, and a moving average that never takes a partial bucket for a whole one.

use chrono::{DateTime, Utc};
use lacak_domain::SeasonalProfile;
use lacak_domain::kpi::moving_average;
use rust_decimal::{Decimal, RoundingStrategy};

/// The places of a percentage, as every KPI quotient has.
const PERCENT_SCALE: u32 = 9;

/// The elapsed part of a period in time: `(as_of − start) / (end − start) × 100`, 0 before the
/// period starts and 100 once it is over, rounded half away from zero to 9 places.
pub fn elapsed_percent((start, end): (DateTime<Utc>, DateTime<Utc>), as_of: DateTime<Utc>) -> Decimal {
    if as_of >= end {
        return Decimal::ONE_HUNDRED;
    }
    if as_of <= start {
        return Decimal::ZERO;
    }
    // Microseconds: a year is about 3·10¹³ of them, far inside an i64 and a decimal.
    let (Some(done), Some(whole)) = ((as_of - start).num_microseconds(), (end - start).num_microseconds()) else {
        return Decimal::ZERO;
    };
    (Decimal::from(done) * Decimal::ONE_HUNDRED / Decimal::from(whole))
        .round_dp_with_strategy(PERCENT_SCALE, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// Whether a bucket ending at `bucket_end` was not yet over at `as_of`. A bucket reaching past the
/// period's end is over when the period is: what lies beyond it is not the period's.
pub fn is_partial(bucket_end: DateTime<Utc>, period_end: DateTime<Utc>, as_of: DateTime<Utc>) -> bool {
    bucket_end.min(period_end) > as_of
}

/// The trailing moving average of `kpi::moving_average`, unset for any entry whose window holds a
/// partial bucket: a month to date is not a month, and averaging it as one would show a fall that
/// is only the calendar. Only the last bucket of a trend can be partial, so in practice this leaves
/// that one entry unset and every other as `moving_average` has it.
pub fn whole_bucket_average(values: &[Decimal], partial: &[bool], window: usize) -> Vec<Option<Decimal>> {
    let window = window.max(1);
    moving_average(values, window)
        .into_iter()
        .enumerate()
        .map(|(i, average)| {
            let first = (i + 1).saturating_sub(window);
            let touches_partial = partial.get(first..=i).is_some_and(|span| span.contains(&true));
            average.filter(|_| !touches_partial)
        })
        .collect()
}

/// A quota's seasonal profile over `months`: its weights when they form one, else an even split
/// (as KPI projections read quotas).
pub fn profile_or_even(weights: &[Decimal], months: usize) -> Option<SeasonalProfile> {
    SeasonalProfile::new(weights.to_vec(), months)
        .or_else(|_| SeasonalProfile::even(months))
        .ok()
}

/// A team's projection: the sum of its members', a member whose plan expects nothing yet (no
/// projection of their own) counted at their actual, which they have already sold. Unset when no
/// member has a projection: nothing of the period has elapsed.
pub fn team_projection(members: impl IntoIterator<Item = (Decimal, Option<Decimal>)>) -> Option<Decimal> {
    let mut any = false;
    let mut total = Decimal::ZERO;
    for (actual, projection) in members {
        any |= projection.is_some();
        total += projection.unwrap_or(actual);
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// FY2026-Q1 of a calendar-year tenant in UTC: 31 + 28 + 31 = 90 days.
    fn q1() -> (DateTime<Utc>, DateTime<Utc>) {
        (at("2026-01-01T00:00:00Z"), at("2026-04-01T00:00:00Z"))
    }

    #[test]
    fn elapsed_is_the_share_of_the_periods_time() {
        // 15 February: 31 + 14 = 45 of 90 days.
        assert_eq!(elapsed_percent(q1(), at("2026-02-15T00:00:00Z")), dec("50"));
        // 1 March 12:00: 59.5 of 90 days = 66.111111111%.
        assert_eq!(elapsed_percent(q1(), at("2026-03-01T12:00:00Z")), dec("66.111111111"));
        assert_eq!(elapsed_percent(q1(), at("2025-12-31T00:00:00Z")), dec("0"));
        assert_eq!(elapsed_percent(q1(), at("2026-01-01T00:00:00Z")), dec("0"));
        assert_eq!(elapsed_percent(q1(), at("2026-04-01T00:00:00Z")), dec("100"));
        assert_eq!(elapsed_percent(q1(), at("2027-01-01T00:00:00Z")), dec("100"));
    }

    #[test]
    fn a_bucket_is_partial_until_it_or_the_period_is_over() {
        let (_, end) = q1();
        let february_end = at("2026-03-01T00:00:00Z");
        assert!(is_partial(february_end, end, at("2026-02-15T00:00:00Z")));
        assert!(!is_partial(february_end, end, february_end));
        // The week of 30 March runs to 6 April, but the quarter stops on 1 April.
        assert!(is_partial(at("2026-04-06T00:00:00Z"), end, at("2026-03-31T00:00:00Z")));
        assert!(!is_partial(at("2026-04-06T00:00:00Z"), end, at("2026-04-02T00:00:00Z")));
    }

    #[test]
    fn the_partial_bucket_has_no_moving_average() {
        let values = [dec("1000"), dec("1200"), dec("300")];
        let averages = whole_bucket_average(&values, &[false, false, true], 2);
        // (1000 + 1200) / 2 = 1100; the month to date 300 would have made (1200 + 300) / 2 = 750.
        assert_eq!(averages, [None, Some(dec("1100")), None]);
        // Once the month is over, it averages like any other: (1200 + 300) / 2.
        let over = whole_bucket_average(&values, &[false, false, false], 2);
        assert_eq!(over[2], Some(dec("750")));
        // A window of one: every whole bucket is its own average.
        assert_eq!(
            whole_bucket_average(&values, &[false, false, true], 1),
            [Some(dec("1000")), Some(dec("1200")), None]
        );
    }

    #[test]
    fn a_quota_profile_or_an_even_split() {
        let weights = [dec("20"), dec("30"), dec("50")];
        assert_eq!(profile_or_even(&weights, 3).unwrap().weights(), weights);
        assert!(profile_or_even(&[], 3).unwrap().is_even());
        assert!(profile_or_even(&weights, 12).unwrap().is_even());
    }

    #[test]
    fn a_team_projects_the_sum_of_its_members() {
        // 2,000 + 900 + ana's own 50 sold where her plan expected nothing yet.
        let members = [
            (dec("1000"), Some(dec("2000"))),
            (dec("450"), Some(dec("900"))),
            (dec("50"), None),
        ];
        assert_eq!(team_projection(members), Some(dec("2950")));
        assert_eq!(team_projection([(dec("0"), None), (dec("0"), None)]), None);
    }
}
