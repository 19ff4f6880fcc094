//! How an action plan is doing: each quota's projected attainment with its interval, combined.

use rust_decimal::Decimal;

/// One quota of the plan, projected to its period's end.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaOutlook {
    pub quota: String,
    pub metric: String,
    pub target: Decimal,
    pub actual: Decimal,
    /// Projected value at period end, with an interval (equal bounds when none is known).
    pub point: Decimal,
    pub lower: Decimal,
    pub upper: Decimal,
}

impl QuotaOutlook {
    fn attainment(&self, value: Decimal) -> Option<Decimal> {
        (self.target > Decimal::ZERO).then(|| value / self.target * Decimal::ONE_HUNDRED)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    OnTrack,
    AtRisk,
    OffTrack,
}

/// The plan's projected attainment: the mean over its quotas of projected ÷ target, in percent,
/// with the interval's bounds averaged the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct Outlook {
    pub status: Status,
    pub point: Decimal,
    pub lower: Decimal,
    pub upper: Decimal,
}

/// `None` when no quota has a positive target.
pub fn outlook(quotas: &[QuotaOutlook]) -> Option<Outlook> {
    let rows: Vec<(Decimal, Decimal, Decimal)> = quotas
        .iter()
        .filter_map(|q| Some((q.attainment(q.point)?, q.attainment(q.lower)?, q.attainment(q.upper)?)))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let n = Decimal::from(rows.len() as u64);
    let point = rows.iter().map(|r| r.0).sum::<Decimal>() / n;
    let lower = rows.iter().map(|r| r.1).sum::<Decimal>() / n;
    let upper = rows.iter().map(|r| r.2).sum::<Decimal>() / n;
    Some(Outlook {
        status: status(point, upper),
        point: point.round_dp(2),
        lower: lower.round_dp(2),
        upper: upper.round_dp(2),
    })
}

/// On track when the point reaches 100%; at risk when only the interval's top does; else off.
pub fn status(point: Decimal, upper: Decimal) -> Status {
    if point >= Decimal::ONE_HUNDRED {
        Status::OnTrack
    } else if upper >= Decimal::ONE_HUNDRED {
        Status::AtRisk
    } else {
        Status::OffTrack
    }
}

/// The first month from which the cumulative actual stayed below the cumulative plan, as an index
/// into `actuals` (whose months have closed); `None` when it is not behind now.
pub fn behind_since(actuals: &[Decimal], planned: &[Decimal]) -> Option<usize> {
    let (mut actual, mut plan) = (Decimal::ZERO, Decimal::ZERO);
    let mut since = None;
    for (i, (a, p)) in actuals.iter().zip(planned).enumerate() {
        actual += a;
        plan += p;
        if actual < plan {
            since.get_or_insert(i);
        } else {
            since = None;
        }
    }
    since
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(target: i64, point: i64, lower: i64, upper: i64) -> QuotaOutlook {
        QuotaOutlook {
            quota: "quotas/q".into(),
            metric: "revenue".into(),
            target: target.into(),
            actual: Decimal::ZERO,
            point: point.into(),
            lower: lower.into(),
            upper: upper.into(),
        }
    }

    #[test]
    fn status_follows_the_point_then_the_interval_top() {
        assert_eq!(outlook(&[q(100, 110, 90, 130)]).unwrap().status, Status::OnTrack);
        assert_eq!(outlook(&[q(100, 90, 70, 105)]).unwrap().status, Status::AtRisk);
        assert_eq!(outlook(&[q(100, 80, 60, 95)]).unwrap().status, Status::OffTrack);
        let both = outlook(&[q(100, 120, 100, 140), q(200, 100, 80, 120)]).unwrap();
        assert_eq!(both.point, Decimal::from(85));
        assert_eq!(both.status, Status::AtRisk);
        assert!(outlook(&[q(0, 1, 1, 1)]).is_none());
    }

    #[test]
    fn behind_since_is_the_start_of_the_current_shortfall() {
        let d = |v: &[i64]| v.iter().map(|&x| Decimal::from(x)).collect::<Vec<_>>();
        assert_eq!(behind_since(&d(&[10, 5, 5]), &d(&[10, 10, 10])), Some(1));
        assert_eq!(behind_since(&d(&[5, 20, 1]), &d(&[10, 10, 10])), Some(2));
        assert_eq!(behind_since(&d(&[10, 10]), &d(&[10, 10])), None);
    }
}
