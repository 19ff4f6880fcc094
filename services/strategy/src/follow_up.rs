//! The follow-up of an applied recommendation: once its window has passed, the affected KPI of
//! the adjusted member, product, segment or region before and after, against the comparable ones
//! that were not adjusted (`domain::verify`), kept once computed.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use lacak_domain::{FiscalCalendar, PeriodId};
use lacak_proto::monitoring as mpb;
use lacak_runtime::auth::CallContext;
use sea_orm::DatabaseConnection;

use crate::deps::{Dependencies, Org};
use crate::domain::model::{Kind, Verification};
use crate::domain::verify::{self, Unit, Windows, window_mean};
use crate::error::StrategyResult;
use crate::history::Series;
use crate::store::{self, Stored};

/// Where a follow-up stands.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowUp {
    /// Not yet due.
    Pending {
        kpi: String,
        due: DateTime<Utc>,
        months: u32,
    },
    Done {
        due: DateTime<Utc>,
        verification: Verification,
    },
}

/// The KPI a recommendation is judged by.
pub fn kpi_of(rec: &Stored) -> String {
    match rec.kind {
        Kind::CoachStage => rec
            .evidence
            .first()
            .map(|e| e.kpi.clone())
            .unwrap_or_else(|| "monthly_revenue".into()),
        Kind::RetireProduct => "monthly_gross_margin".into(),
        _ => "monthly_revenue".into(),
    }
}

/// Reads the follow-up, computing and keeping it when it is due and not yet computed.
#[allow(clippy::too_many_arguments)]
pub async fn follow_up(
    db: &DatabaseConnection,
    deps: &Dependencies,
    ctx: &CallContext,
    calendar: &FiscalCalendar,
    org: &Org,
    rec: &Stored,
    months: u32,
    now: DateTime<Utc>,
) -> StrategyResult<Option<FollowUp>> {
    let Some(applied) = rec.row.apply_time else {
        return Ok(None);
    };
    let windows = verify::windows(calendar, applied, months);
    if let Some(verification) = &rec.verification {
        return Ok(Some(FollowUp::Done {
            due: windows.due,
            verification: verification.clone(),
        }));
    }
    let kpi = kpi_of(rec);
    if now < windows.due {
        return Ok(Some(FollowUp::Pending {
            kpi,
            due: windows.due,
            months,
        }));
    }
    let excluded: HashSet<String> = store::applied_subjects(
        db,
        &ctx.principal.tenant,
        &[rec.kind],
        windows
            .before
            .first()
            .or(windows.after.first())
            .and_then(|first| calendar.bounds(first).ok())
            .map(|b| b.0)
            .unwrap_or(applied),
        windows.due,
    )
    .await?
    .into_iter()
    .collect();
    let units = units(deps, ctx, org, rec, &kpi, &windows).await?;
    let (treated, controls): (Vec<Unit>, Vec<Unit>) = units.into_iter().partition(|u| u.name == rec.row.subject);
    let treated = treated.into_iter().next().unwrap_or(Unit {
        name: rec.row.subject.clone(),
        before: None,
        after: None,
    });
    let controls: Vec<Unit> = controls.into_iter().filter(|u| !excluded.contains(&u.name)).collect();
    let verification = verify::judge(&kpi, months, &treated, &controls, now);
    store::record_verification(db, &ctx.principal.tenant, &rec.row.id, &verification).await?;
    // The first computation kept wins a race; answer what is stored.
    let kept = store::get(db, &ctx.principal.tenant, &rec.row.id)
        .await?
        .and_then(|r| r.verification)
        .unwrap_or(verification);
    Ok(Some(FollowUp::Done {
        due: windows.due,
        verification: kept,
    }))
}

/// Every comparable unit's KPI in both windows, the treated one among them.
async fn units(
    deps: &Dependencies,
    ctx: &CallContext,
    org: &Org,
    rec: &Stored,
    kpi: &str,
    windows: &Windows,
) -> StrategyResult<Vec<Unit>> {
    let team = &rec.row.team;
    let subject = &rec.row.subject;
    if subject.starts_with("members/") && kpi != "monthly_revenue" {
        let members = org.members_of(team.trim_start_matches("teams/"));
        let mut units = Vec::new();
        for member in members {
            let owner = format!("members/{member}");
            let before = funnel_rate(deps, ctx, &owner, kpi, &windows.before, &rec.row.currency).await?;
            let after = funnel_rate(deps, ctx, &owner, kpi, &windows.after, &rec.row.currency).await?;
            units.push(Unit {
                name: owner,
                before,
                after,
            });
        }
        return Ok(units);
    }
    let dimension = match subject.split('/').next() {
        Some("members") => mpb::SeriesDimension::Member,
        Some("products") => mpb::SeriesDimension::Product,
        Some("segments") => mpb::SeriesDimension::Segment,
        _ => mpb::SeriesDimension::Region,
    };
    let (Some(first), Some(last)) = (windows.before.first(), windows.after.last()) else {
        return Ok(Vec::new());
    };
    let series = deps
        .series(
            ctx,
            team,
            dimension,
            &first.to_string(),
            &last.to_string(),
            &rec.row.currency,
        )
        .await?;
    let margin = kpi == "monthly_gross_margin";
    let mut units: Vec<Unit> = series
        .into_iter()
        .map(Series::from_proto)
        .map(|s| {
            let of = |periods: &[PeriodId]| {
                if margin {
                    s.margin_of(periods)
                } else {
                    s.revenue_of(periods)
                }
            };
            Unit {
                name: s.subject.clone(),
                before: window_mean(&of(&windows.before)),
                after: window_mean(&of(&windows.after)),
            }
        })
        .collect();
    // Members of the team without sales still compare (at zero).
    if dimension == mpb::SeriesDimension::Member {
        for member in org.members_of(team.trim_start_matches("teams/")) {
            let name = format!("members/{member}");
            if !units.iter().any(|u| u.name == name) {
                units.push(Unit {
                    name,
                    before: Some(0.0),
                    after: Some(0.0),
                });
            }
        }
    }
    Ok(units)
}

/// A funnel KPI over a window of months: the counts of each month summed, then the rate (or, for
/// time in stage, the mean days weighted by deals).
async fn funnel_rate(
    deps: &Dependencies,
    ctx: &CallContext,
    owner: &str,
    kpi: &str,
    months: &[PeriodId],
    currency: &str,
) -> StrategyResult<Option<f64>> {
    let (mut numerator, mut denominator) = (0.0, 0.0);
    let (kind, stage) = kpi.split_once(':').unwrap_or((kpi, ""));
    for month in months {
        let kpis = deps.kpis(ctx, owner, &month.to_string(), currency).await?;
        match kind {
            "stage_conversion" | "time_in_stage" => {
                if let Some(s) = kpis.stage_conversions.iter().find(|s| s.from_stage == stage) {
                    if kind == "stage_conversion" {
                        numerator += s.advanced as f64;
                    } else {
                        let days = s
                            .average_time_in_stage
                            .as_ref()
                            .map(|d| d.seconds as f64 / 86_400.0)
                            .unwrap_or(0.0);
                        numerator += days * s.entered as f64;
                    }
                    denominator += s.entered as f64;
                }
            }
            "lead_conversion_percent" => {
                if let Some(cohort) = &kpis.lead_cohort {
                    numerator += cohort.converted as f64;
                    denominator += cohort.leads as f64;
                }
            }
            _ => {
                let count = |d: &Option<lacak_proto::common::Decimal>| {
                    d.as_ref().and_then(|d| d.value.parse::<f64>().ok()).unwrap_or(0.0)
                };
                let (won, lost) = (count(&kpis.won_deal_count), count(&kpis.lost_deal_count));
                numerator += won;
                denominator += won + lost;
            }
        }
    }
    let scale = if kind == "time_in_stage" { 1.0 } else { 100.0 };
    Ok((denominator > 0.0).then(|| numerator / denominator * scale))
}
