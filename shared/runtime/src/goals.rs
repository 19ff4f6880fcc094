//! What the services that call goals all read from it: the tenant's fiscal calendar and its
//! organisation. Each caller keeps its own view of them (caches, indexes); the reading is here.

use crate::client::Traced;
use lacak_domain::{FiscalCalendar, FiscalYearNaming};
use lacak_proto::goals as gpb;
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use tonic::Status;

use crate::auth::CallContext;
use crate::client::{Outgoing, all_pages, retry_idempotent};

/// The caller's tenant's fiscal calendar; a calendar goals answers but this build cannot read
/// (an unknown time zone or year naming) is INTERNAL.
pub async fn fiscal_calendar(
    goals: &GoalsServiceClient<Traced>,
    outgoing: &Outgoing,
    caller: &CallContext,
    attempts: u32,
) -> Result<FiscalCalendar, Status> {
    let response = retry_idempotent(attempts, || async {
        let request = outgoing.request(caller, gpb::GetFiscalCalendarRequest {})?;
        goals.clone().get_fiscal_calendar(request).await
    })
    .await?
    .into_inner();
    calendar_from_proto(&response.fiscal_calendar.unwrap_or_default()).map_err(Status::internal)
}

/// The domain calendar goals' answer describes. Unset fields read as goals' defaults (January,
/// UTC, years named by their end) so an older goals still answers; a value set but unknown here
/// is refused rather than guessed, since every period would silently shift.
fn calendar_from_proto(calendar: &gpb::FiscalCalendar) -> Result<FiscalCalendar, String> {
    let start_month = u32::try_from(calendar.start_month).unwrap_or(1).max(1);
    let time_zone = if calendar.time_zone.is_empty() {
        "UTC"
    } else {
        &calendar.time_zone
    };
    let year_naming = match gpb::FiscalYearNaming::try_from(calendar.year_naming) {
        Ok(gpb::FiscalYearNaming::Unspecified | gpb::FiscalYearNaming::EndingYear) => FiscalYearNaming::EndingYear,
        Ok(gpb::FiscalYearNaming::StartingYear) => FiscalYearNaming::StartingYear,
        Err(_) => {
            return Err(format!(
                "goals answered an unknown fiscal year naming {}",
                calendar.year_naming
            ));
        }
    };
    let calendar = FiscalCalendar::new(start_month, time_zone).map_err(|error| error.to_string())?;
    Ok(calendar.with_year_naming(year_naming))
}

/// Every team and every member of the caller's tenant.
pub async fn organisation(
    goals: &GoalsServiceClient<Traced>,
    outgoing: &Outgoing,
    caller: &CallContext,
    attempts: u32,
) -> Result<(Vec<gpb::Team>, Vec<gpb::Member>), Status> {
    let teams = all_pages(attempts, |page_token| async move {
        let request = outgoing.request(
            caller,
            gpb::ListTeamsRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            },
        )?;
        let page = goals.clone().list_teams(request).await?.into_inner();
        Ok((page.teams, page.next_page_token))
    })
    .await?;
    let members = all_pages(attempts, |page_token| async move {
        let request = outgoing.request(
            caller,
            gpb::ListMembersRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            },
        )?;
        let page = goals.clone().list_members(request).await?.into_inner();
        Ok((page.members, page.next_page_token))
    })
    .await?;
    Ok((teams, members))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(start_month: i32, time_zone: &str, year_naming: i32) -> gpb::FiscalCalendar {
        gpb::FiscalCalendar {
            start_month,
            time_zone: time_zone.into(),
            year_naming,
            ..Default::default()
        }
    }

    #[test]
    fn the_naming_goals_answers_is_the_naming_periods_follow() {
        let starting = gpb::FiscalYearNaming::StartingYear as i32;
        let calendar = calendar_from_proto(&answered(4, "Asia/Jakarta", starting)).unwrap();
        assert_eq!(calendar.year_naming, FiscalYearNaming::StartingYear);
        // Named by its start, FY2026 opens at midnight of 1 April 2026 in Jakarta, 17:00 UTC the day before.
        let (start, _) = calendar.bounds(&"FY2026".parse().unwrap()).unwrap();
        assert_eq!(start.to_rfc3339(), "2026-03-31T17:00:00+00:00");
        for ending in [gpb::FiscalYearNaming::Unspecified, gpb::FiscalYearNaming::EndingYear] {
            let calendar = calendar_from_proto(&answered(4, "UTC", ending as i32)).unwrap();
            assert_eq!(calendar.year_naming, FiscalYearNaming::EndingYear);
        }
    }

    #[test]
    fn an_empty_answer_is_goals_default_and_unknown_values_are_refused() {
        assert_eq!(calendar_from_proto(&answered(0, "", 0)), Ok(FiscalCalendar::default()));
        assert!(calendar_from_proto(&answered(4, "UTC", 9)).is_err());
        assert!(calendar_from_proto(&answered(4, "Mars/Olympus", 0)).is_err());
    }
}
