//! Leads: record, read, list, change.

use lacak_proto::monitoring as pb;
use lacak_runtime::convert::now;
use lacak_runtime::error::Violations;
use lacak_runtime::idempotency::write_once;
use lacak_runtime::names::parse_name;
use lacak_runtime::page::PageRequest;
use lacak_runtime::validate::mask_paths;
use tonic::Request;

use super::{MonitoringApi, caller, convert};
use crate::error::{MonitoringError, MonitoringResult};
use crate::records;
use crate::store;
use crate::store::leads::LeadFilter;

pub async fn create(
    api: &MonitoringApi,
    request: Request<pb::CreateLeadRequest>,
) -> MonitoringResult<pb::CreateLeadResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let db = api.db()?;
    let body = request.into_inner();
    let mut v = Violations::new();
    if body.lead.is_none() {
        v.add("lead", "is required");
    }
    let input = records::lead(&mut v, &body.lead.clone().unwrap_or_default(), "lead");
    v.finish()?;
    api.may_record_for(&ctx, &input.owner, "lead.owner").await?;
    let id = write_once(db, &tenant, "CreateLead", &body.request_id, &body, async |txn| {
        Ok(store::leads::insert(txn, &tenant, &input, now()).await?.id)
    })
    .await?;
    let lead = store::leads::get(db, &tenant, &id).await?;
    api.feed.announce(&tenant, [lead.owner.clone()].into());
    Ok(pb::CreateLeadResponse {
        lead: Some(convert::lead(lead)),
    })
}

pub async fn get(api: &MonitoringApi, request: Request<pb::GetLeadRequest>) -> MonitoringResult<pb::GetLeadResponse> {
    let ctx = caller(&request)?;
    let id = parse_name(&request.get_ref().name, "leads", "name")?;
    let lead = store::leads::get(api.db()?, &ctx.principal.tenant, &id).await?;
    let (_, visibility) = api.access(&ctx).await?;
    if !visibility.sees_member(&lead.owner) {
        return Err(MonitoringError::not_found("lead", format!("leads/{id}")));
    }
    Ok(pb::GetLeadResponse {
        lead: Some(convert::lead(lead)),
    })
}

pub async fn list(
    api: &MonitoringApi,
    request: Request<pb::ListLeadsRequest>,
) -> MonitoringResult<pb::ListLeadsResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let body = request.into_inner();
    let status = pb::LeadStatus::try_from(body.status).unwrap_or(pb::LeadStatus::Unspecified);
    let owners = api.member_filter(&ctx, &body.owner, "owner").await?;
    let page = PageRequest::parse(
        body.page_size,
        &body.page_token,
        &[&tenant, "ListLeads", &body.owner, &body.status.to_string()],
    )?;
    let filter = LeadFilter {
        owners,
        status: records::lead_status_word(status),
    };
    let rows = store::leads::list(api.db()?, &tenant, &filter, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |l| l.id.clone());
    Ok(pb::ListLeadsResponse {
        leads: rows.into_iter().map(convert::lead).collect(),
        next_page_token,
    })
}

pub async fn update(
    api: &MonitoringApi,
    request: Request<pb::UpdateLeadRequest>,
) -> MonitoringResult<pb::UpdateLeadResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let db = api.db()?;
    let body = request.into_inner();
    let paths = mask_paths(
        body.update_mask.as_ref(),
        &["owner", "customer", "status", "deal", "source"],
    )?;
    let lead = body.lead.unwrap_or_default();
    let id = parse_name(&lead.name, "leads", "lead.name")?;
    let current = store::leads::get(db, &tenant, &id).await?;
    // Fields left out of the mask keep their stored values, so the checks see the lead as it will be.
    let mut merged = convert::lead(current.clone());
    for path in &paths {
        match path.as_str() {
            "owner" => merged.owner = lead.owner.clone(),
            "customer" => merged.customer = lead.customer.clone(),
            "status" => merged.status = lead.status,
            "deal" => merged.deal = lead.deal.clone(),
            "source" => merged.source = lead.source.clone(),
            _ => {}
        }
    }
    if paths.iter().any(|p| p == "deal") && !lead.deal.is_empty() && !paths.iter().any(|p| p == "status") {
        merged.status = pb::LeadStatus::Converted as i32;
    }
    let mut v = Violations::new();
    let input = records::lead(&mut v, &merged, "lead");
    v.finish()?;
    api.may_record_for(&ctx, &current.owner, "lead.owner").await?;
    if input.owner != current.owner {
        api.may_record_for(&ctx, &input.owner, "lead.owner").await?;
    }
    if !input.deal.is_empty() && !store::deals::exists(db, &tenant, &input.deal).await? {
        return Err(MonitoringError::invalid(
            "lead.deal",
            format!("deals/{} does not exist", input.deal),
        ));
    }
    let updated = store::leads::update(db, current, &input, &paths, now()).await?;
    api.feed.announce(&tenant, [updated.owner.clone()].into());
    Ok(pb::UpdateLeadResponse {
        lead: Some(convert::lead(updated)),
    })
}
