//! The team's sales tracking report, and its CSV and Excel exports.

use std::collections::HashSet;

use lacak_domain::PeriodId;
use lacak_proto::monitoring as pb;
use lacak_runtime::CallContext;
use lacak_runtime::convert::{decimal_to_proto, now, timestamp_to_proto};
use lacak_runtime::names::parse_name;
use tonic::Request;

use super::{MonitoringApi, caller, period_and_currency};
use crate::domain::access::Owner;
use crate::error::{MonitoringError, MonitoringResult};
use crate::kpis::{self, Scope};
use crate::outlook::Outlook;
use crate::report;
use crate::store;
use crate::trend;

/// Buckets of the trend's moving average when none is asked for.
const DEFAULT_WINDOW: usize = 3;

fn checked(team: &str, period: &str, currency: &str) -> MonitoringResult<(String, PeriodId)> {
    let mut v = lacak_runtime::Violations::new();
    let team = v.take(parse_name(team, "teams", "team"));
    let period = period_and_currency(&mut v, period, currency);
    v.finish()?;
    match (team, period) {
        (Some(team), Some(period)) => Ok((team, period)),
        _ => Err(MonitoringError::invalid("team", "is invalid")),
    }
}

/// Builds the report of a team the caller may see.
pub async fn build(
    api: &MonitoringApi,
    ctx: &CallContext,
    team: &str,
    period: PeriodId,
    currency: &str,
    granularity: pb::Granularity,
    window: usize,
) -> MonitoringResult<(pb::TrackingReport, String)> {
    let owner = Owner::Team(team.to_owned());
    let org = api.see_owner(ctx, &owner).await?;
    let db = api.db()?;
    let members = org.members_of(&owner);
    let calendar = *api.deps.calendar(ctx).await?;
    let period_name = period.to_string();
    let (facts, quotas) = tokio::try_join!(
        kpis::gather(
            db,
            api.reader()?,
            &api.read_cache,
            &api.deps,
            ctx,
            calendar,
            kpis::Reading {
                members: &members,
                period,
                scope: Scope::All,
                currency,
                as_of: None,
                // Weak points test each deal's time in stage; the trend dates each win.
                deal_records: true,
            },
        ),
        api.deps.quotas(ctx, "", &period_name),
    )?;
    let targets = report::revenue_targets(&quotas, currency);
    // Each member's figures, read once for the table and the weak points.
    let by_member = members
        .iter()
        .map(|member| Ok((member.clone(), facts.figures(&|m| m == member)?)))
        .collect::<MonitoringResult<Vec<_>>>()?;
    let outlook = Outlook::of(&facts)?;
    let (table, team_performance) = report::member_table(&org, &by_member, currency, &targets, &outlook)?;

    let set: HashSet<&str> = members.iter().map(String::as_str).collect();
    let monthly = kpis::rollup_filter(&api.deps, ctx, &calendar, &members, facts.bounds, &Scope::All, currency).await?;
    let filter = match granularity {
        pb::Granularity::Day | pb::Granularity::Week => trend::daily(&monthly, &facts),
        _ => monthly,
    };
    let tenant = ctx.principal.tenant.as_str();
    let (buckets, baseline) = tokio::try_join!(store::kpis::by_bucket(db, tenant, &filter), async {
        let deals =
            store::deals::active_between(db, tenant, &members, report::baseline_start(&facts), facts.bounds.0).await?;
        store::deals::attach_stages_credited(db, deals).await
    })?;
    let by_day = trend::as_days(&filter, buckets);
    let trend = trend::trend(&facts, &set, &by_day, granularity, window);
    let team_figures = facts.figures(&|m| set.contains(m))?;
    let weak_points = report::weak_points(&org, &by_member, &facts, &team_figures, &baseline)?;
    let display = org.teams.get(team).map(|t| t.display_name.clone()).unwrap_or_default();
    Ok((
        pb::TrackingReport {
            team: owner.name(),
            period: period.to_string(),
            members: table,
            trend,
            weak_points,
            generate_time: Some(timestamp_to_proto(now())),
            as_of: Some(timestamp_to_proto(outlook.as_of)),
            elapsed_percent: Some(decimal_to_proto(outlook.elapsed_percent)),
            team_performance: Some(team_performance),
        },
        if display.is_empty() { team.to_owned() } else { display },
    ))
}

pub async fn get(
    api: &MonitoringApi,
    request: Request<pb::GetTrackingReportRequest>,
) -> MonitoringResult<pb::GetTrackingReportResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let (team, period) = checked(&body.team, &body.period, &body.currency_code)?;
    if body.moving_average_window < 0 || body.moving_average_window > 366 {
        return Err(MonitoringError::invalid(
            "moving_average_window",
            "must be within 0..=366",
        ));
    }
    let window = if body.moving_average_window == 0 {
        DEFAULT_WINDOW
    } else {
        body.moving_average_window as usize
    };
    let granularity = pb::Granularity::try_from(body.granularity).unwrap_or(pb::Granularity::Month);
    let (report, _) = build(api, &ctx, &team, period, &body.currency_code, granularity, window).await?;
    Ok(pb::GetTrackingReportResponse { report: Some(report) })
}

pub async fn export(
    api: &MonitoringApi,
    request: Request<pb::ExportTrackingReportRequest>,
) -> MonitoringResult<pb::ExportTrackingReportResponse> {
    let ctx = caller(&request)?;
    let body = request.into_inner();
    let (team, period) = checked(&body.team, &body.period, &body.currency_code)?;
    let format = pb::ExportFormat::try_from(body.format).unwrap_or(pb::ExportFormat::Unspecified);
    if format == pb::ExportFormat::Unspecified {
        return Err(MonitoringError::invalid(
            "format",
            "is required: EXPORT_FORMAT_CSV or EXPORT_FORMAT_XLSX",
        ));
    }
    let (report, display) = build(
        api,
        &ctx,
        &team,
        period,
        &body.currency_code,
        pb::Granularity::Month,
        DEFAULT_WINDOW,
    )
    .await?;
    let base = format!("tracking-{team}-{period}");
    let (file_name, content_type, content) = match format {
        pb::ExportFormat::Xlsx => (
            format!("{base}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            crate::export::report_xlsx(&report, &display).map_err(|e| {
                MonitoringError::precondition("EXPORT_FAILED", format!("the workbook could not be written: {e}"))
            })?,
        ),
        _ => (format!("{base}.csv"), "text/csv", crate::export::report_csv(&report)),
    };
    Ok(pb::ExportTrackingReportResponse {
        file_name,
        content_type: content_type.to_owned(),
        content,
        generate_time: report.generate_time,
    })
}
