//! The fiscal calendar and the periods it cuts: everyone reads, admins change it.

use lacak_domain::{FiscalCalendar, FiscalYearNaming, PeriodId, PeriodKind};
use lacak_proto::goals as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::timestamp_from_proto;
use tonic::Request;

use super::{GoalsApi, convert, principal};
use crate::error::{GoalsError, GoalsResult};
use crate::store;

pub async fn get(
    api: &GoalsApi,
    request: Request<pb::GetFiscalCalendarRequest>,
) -> GoalsResult<pb::GetFiscalCalendarResponse> {
    let caller = principal(&request)?;
    let row = store::calendar::row(api.db()?, &caller.tenant).await?;
    let year_naming = store::calendar::year_naming(&row)?;
    Ok(pb::GetFiscalCalendarResponse {
        fiscal_calendar: Some(convert::fiscal_calendar(&row, year_naming)),
    })
}

pub async fn update(
    api: &GoalsApi,
    request: Request<pb::UpdateFiscalCalendarRequest>,
) -> GoalsResult<pb::UpdateFiscalCalendarResponse> {
    let caller = principal(&request)?;
    if !caller.is_admin() {
        return Err(GoalsError::denied("only admins change the fiscal calendar"));
    }
    let req = request.into_inner();
    let input = req.fiscal_calendar.unwrap_or_default();
    let paths: Vec<String> = req.update_mask.map(|m| m.paths).unwrap_or_default();
    let all = paths.is_empty();
    let db = api.db()?;
    let current = store::calendar::row(db, &caller.tenant).await?;
    let mut violations = Violations::new();
    if let Some(unknown) = paths
        .iter()
        .find(|p| !["start_month", "time_zone", "year_naming"].contains(&p.as_str()))
    {
        violations.add(
            "update_mask",
            format!("{unknown:?} cannot be changed; allowed: start_month, time_zone, year_naming"),
        );
    }
    let start_month = if all || paths.iter().any(|p| p == "start_month") {
        input.start_month
    } else {
        current.start_month
    };
    let time_zone = if all || paths.iter().any(|p| p == "time_zone") {
        input.time_zone.trim().to_owned()
    } else {
        current.time_zone.clone()
    };
    if !(1..=12).contains(&start_month) {
        violations.add(
            "fiscal_calendar.start_month",
            "must be a month number, 1 (January) to 12 (December)",
        );
    }
    if time_zone.parse::<chrono_tz::Tz>().is_err() {
        violations.add(
            "fiscal_calendar.time_zone",
            format!("{time_zone:?} is not an IANA time zone such as \"Europe/Berlin\""),
        );
    }
    let named = paths.iter().any(|p| p == "year_naming");
    // Without a mask, unspecified keeps the naming: clients that predate the field never send it.
    let keep_naming = !named && (!all || input.year_naming == pb::FiscalYearNaming::Unspecified as i32);
    let year_naming = if keep_naming {
        store::calendar::year_naming(&current)?
    } else {
        convert::year_naming_from_proto(input.year_naming).unwrap_or_else(|| {
            violations.add(
                "fiscal_calendar.year_naming",
                format!("{} is not a FiscalYearNaming value", input.year_naming),
            );
            FiscalYearNaming::default()
        })
    };
    violations.finish()?;
    let saved = store::calendar::save(db, &caller.tenant, start_month as u32, &time_zone, year_naming).await?;
    Ok(pb::UpdateFiscalCalendarResponse {
        fiscal_calendar: Some(convert::fiscal_calendar(&saved, year_naming)),
    })
}

fn period_or_invalid(
    calendar: &FiscalCalendar,
    id: &PeriodId,
    field: &str,
) -> GoalsResult<lacak_proto::common::Period> {
    convert::period(calendar, id).map_err(|e| GoalsError::invalid(field, e.to_string()))
}

pub async fn list_periods(
    api: &GoalsApi,
    request: Request<pb::ListPeriodsRequest>,
) -> GoalsResult<pb::ListPeriodsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let year = format!("FY{:04}", req.fiscal_year)
        .parse::<PeriodId>()
        .map_err(|_| GoalsError::invalid("fiscal_year", "must be a year within 1000..=9999"))?;
    let kind = convert::period_kind_from_proto(req.kind);
    let calendar = store::calendar::calendar(api.db()?, &caller.tenant).await?;
    let mut ids = Vec::new();
    if kind.is_none_or(|k| k == PeriodKind::Year) {
        ids.push(year);
    }
    if kind.is_none_or(|k| k == PeriodKind::Quarter) {
        ids.extend(year.quarters());
    }
    if kind.is_none_or(|k| k == PeriodKind::Month) {
        ids.extend(year.months());
    }
    let periods = ids
        .iter()
        .map(|id| period_or_invalid(&calendar, id, "fiscal_year"))
        .collect::<GoalsResult<Vec<_>>>()?;
    Ok(pb::ListPeriodsResponse { periods })
}

pub async fn get_period(api: &GoalsApi, request: Request<pb::GetPeriodRequest>) -> GoalsResult<pb::GetPeriodResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let calendar = store::calendar::calendar(api.db()?, &caller.tenant).await?;
    let id = if req.id.is_empty() {
        let kind = convert::period_kind_from_proto(req.kind)
            .ok_or_else(|| GoalsError::invalid("kind", "is required when `id` is empty"))?;
        let instant = match &req.time {
            Some(time) => timestamp_from_proto(time, "time")?,
            None => lacak_runtime::convert::now(),
        };
        calendar.period_containing(instant, kind)
    } else {
        convert::parse_period(&req.id, "id")?
    };
    Ok(pb::GetPeriodResponse {
        period: Some(period_or_invalid(&calendar, &id, "id")?),
    })
}
