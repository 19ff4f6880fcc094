//! An owner's quotas of the quarter and year containing a KPI period, read for that period with
//! `domain::quota_share`, and what each attainment says about its quota's own period.

use std::collections::HashMap;

use lacak_domain::PeriodId;
use lacak_proto::common as cpb;
use lacak_proto::goals as gpb;
use lacak_proto::monitoring as pb;
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::{decimal_from_proto, decimal_to_proto, measure_from_proto, measure_to_proto};
use rust_decimal::Decimal;

use crate::deps::Dependencies;
use crate::domain::quota_share::{QuotaPlan, enclosing_periods, quota_share};
use crate::error::{MonitoringError, MonitoringResult};

/// A quota of a longer period, and the same quota as it stands for the KPIs' period.
pub struct WiderQuota {
    pub original: gpb::Quota,
    /// Period, target, profile and monthly targets narrowed to the KPIs' period; name, owner,
    /// metric and scope the original's, so KPIs read it like a quota of that period.
    pub narrowed: gpb::Quota,
}

/// The quotas of `owner` whose period strictly contains `period`, each narrowed to it. The
/// periods are listed concurrently: at most two calls (a month's quarter and year).
pub async fn enclosing(
    deps: &Dependencies,
    caller: &CallContext,
    owner: &str,
    period: &PeriodId,
) -> MonitoringResult<Vec<WiderQuota>> {
    let lists = futures::future::try_join_all(
        enclosing_periods(period)
            .into_iter()
            .map(|wider| async move { deps.quotas(caller, owner, &wider.to_string()).await }),
    )
    .await?;
    lists
        .into_iter()
        .flatten()
        .map(|original| {
            let narrowed = narrow(&original, period)?;
            Ok(WiderQuota { original, narrowed })
        })
        .collect()
}

/// A quota goals sent that cannot be read is an error, never a quota quietly left out.
fn unreadable(quota: &gpb::Quota, why: impl std::fmt::Display) -> MonitoringError {
    MonitoringError::precondition(
        "QUOTA_UNREADABLE",
        format!(
            "{} of {} cannot be read for a part of it: {why}",
            quota.name, quota.period
        ),
    )
}

/// `quota` as it stands for `period`, a month or quarter inside its own.
fn narrow(quota: &gpb::Quota, period: &PeriodId) -> MonitoringResult<gpb::Quota> {
    let own: PeriodId = quota.period.parse().map_err(|e| unreadable(quota, e))?;
    let target = measure_from_proto(quota.target.as_ref(), "target").map_err(|v| unreadable(quota, v.description))?;
    let monthly = quota
        .monthly_targets
        .iter()
        .map(|m| {
            let month: PeriodId = m.period.parse().map_err(|e| unreadable(quota, e))?;
            let amount =
                measure_from_proto(m.target.as_ref(), "target").map_err(|v| unreadable(quota, v.description))?;
            Ok((month, amount.amount()))
        })
        .collect::<MonitoringResult<Vec<_>>>()?;
    let weights = quota
        .seasonal_profile
        .iter()
        .map(|w| decimal_from_proto(w, "seasonal_profile").map_err(|v| unreadable(quota, v.description)))
        .collect::<MonitoringResult<Vec<Decimal>>>()?;
    let metric = gpb::Metric::try_from(quota.metric).unwrap_or(gpb::Metric::Unspecified);
    let plan = QuotaPlan {
        period: own,
        is_rate: matches!(
            metric,
            gpb::Metric::CustomerRetentionRate | gpb::Metric::LeadConversionRate
        ),
        target: target.amount(),
        monthly_targets: &monthly,
        weights: &weights,
    };
    let share = quota_share(&plan, period).map_err(|e| unreadable(quota, e))?;
    let months = period.months();
    Ok(gpb::Quota {
        period: period.to_string(),
        target: Some(measure_to_proto(&target.with_amount(share.target))),
        // An even split stays empty, as goals writes it, so KPIs split it exactly.
        seasonal_profile: if share.profile.is_even() {
            Vec::new()
        } else {
            share.profile.weights().iter().copied().map(decimal_to_proto).collect()
        },
        monthly_targets: quota
            .monthly_targets
            .iter()
            .filter(|m| months.iter().any(|month| month.to_string() == m.period))
            .cloned()
            .collect(),
        ..quota.clone()
    })
}

/// Says of each attainment which period its quota is for and its target there: the KPIs' own
/// quotas are for the KPIs' period; a wider quota's attainment names its original period and target.
pub fn label(attainments: &mut [pb::Attainment], quotas: &[gpb::Quota], wider: &[WiderQuota]) {
    // A narrowed quota shares its original's name: the original, listed last, wins.
    let own: HashMap<&str, (&String, &Option<cpb::Measure>)> = quotas
        .iter()
        .chain(wider.iter().map(|w| &w.original))
        .map(|q| (q.name.as_str(), (&q.period, &q.target)))
        .collect();
    for attainment in attainments {
        if let Some((period, target)) = own.get(attainment.quota.as_str()) {
            attainment.quota_period = (*period).clone();
            attainment.quota_target = (*target).clone();
        }
    }
}
