//! What the services that call goals all read from it: the tenant's fiscal calendar and its
//! organisation. Each caller keeps its own view of them (caches, indexes); the reading is here.

use lacak_domain::FiscalCalendar;
use lacak_proto::goals as gpb;
use lacak_proto::goals::goals_service_client::GoalsServiceClient;
use tonic::Status;
use tonic::transport::Channel;

use crate::auth::CallContext;
use crate::client::{Outgoing, all_pages, retry_idempotent};

/// The caller's tenant's fiscal calendar; a calendar goals answers but this build cannot read
/// (an unknown time zone) is INTERNAL.
pub async fn fiscal_calendar(
    goals: &GoalsServiceClient<Channel>,
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
    let calendar = response.fiscal_calendar.unwrap_or_default();
    let start_month = u32::try_from(calendar.start_month).unwrap_or(1).max(1);
    let time_zone = if calendar.time_zone.is_empty() {
        "UTC"
    } else {
        &calendar.time_zone
    };
    FiscalCalendar::new(start_month, time_zone).map_err(|error| Status::internal(error.to_string()))
}

/// Every team and every member of the caller's tenant.
pub async fn organisation(
    goals: &GoalsServiceClient<Channel>,
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
