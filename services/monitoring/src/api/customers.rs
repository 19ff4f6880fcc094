//! Customers: create, read, list, change.

use std::collections::HashSet;

use lacak_proto::monitoring as pb;
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::now;
use lacak_runtime::error::Violations;
use lacak_runtime::idempotency::write_once;
use lacak_runtime::names::parse_name;
use lacak_runtime::page::PageRequest;
use lacak_runtime::validate::mask_paths;
use tonic::Request;

use super::{MonitoringApi, caller, convert, principal, require_customer_writer};
use crate::domain::access::Owner;
use crate::error::{MonitoringError, MonitoringResult};
use crate::records;
use crate::store;

pub async fn create(
    api: &MonitoringApi,
    request: Request<pb::CreateCustomerRequest>,
) -> MonitoringResult<pb::CreateCustomerResponse> {
    let ctx = caller(&request)?;
    let caller = &ctx.principal;
    require_customer_writer(caller)?;
    let db = api.db()?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let mut input = records::customer(&mut v, &body.customer.clone().unwrap_or_default(), "customer");
    if let Some(id) = records::requested_id(&mut v, &body.customer_id, "customer_id") {
        input.id = Some(id);
    }
    if body.customer.is_none() {
        v.add("customer", "is required");
    }
    v.finish()?;
    if !input.owner.is_empty() {
        api.may_record_for(&ctx, &input.owner, "customer.owner").await?;
    }
    let id = write_once(
        db,
        &caller.tenant,
        "CreateCustomer",
        &body.request_id,
        &body,
        async |txn| Ok(store::customers::insert(txn, &caller.tenant, &input, now()).await?.id),
    )
    .await?;
    // New customers and retention count customers: anyone's figures may have changed.
    api.feed.announce(&caller.tenant, HashSet::new());
    let customer = store::customers::get(db, &caller.tenant, &id).await?;
    Ok(pb::CreateCustomerResponse {
        customer: Some(convert::customer(customer)),
    })
}

pub async fn get(
    api: &MonitoringApi,
    request: Request<pb::GetCustomerRequest>,
) -> MonitoringResult<pb::GetCustomerResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "customers", "name")?;
    let customer = store::customers::get(api.db()?, &caller.tenant, &id).await?;
    Ok(pb::GetCustomerResponse {
        customer: Some(convert::customer(customer)),
    })
}

pub async fn list(
    api: &MonitoringApi,
    request: Request<pb::ListCustomersRequest>,
) -> MonitoringResult<pb::ListCustomersResponse> {
    let caller = principal(&request)?;
    let body = request.into_inner();
    let page = PageRequest::parse(
        body.page_size,
        &body.page_token,
        &[&caller.tenant, "ListCustomers", &body.segment, &body.region],
    )?;
    let rows = store::customers::list(api.db()?, &caller.tenant, &body.segment, &body.region, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |c| c.id.clone());
    Ok(pb::ListCustomersResponse {
        customers: rows.into_iter().map(convert::customer).collect(),
        next_page_token,
    })
}

pub async fn update(
    api: &MonitoringApi,
    request: Request<pb::UpdateCustomerRequest>,
) -> MonitoringResult<pb::UpdateCustomerResponse> {
    let ctx = caller(&request)?;
    let caller = &ctx.principal;
    require_customer_writer(caller)?;
    let db = api.db()?;
    let body = request.into_inner();
    let paths = mask_paths(
        body.update_mask.as_ref(),
        &[
            "display_name",
            "segment",
            "region",
            "churn_time",
            "acquire_time",
            "owner",
        ],
    )?;
    let customer = body.customer.unwrap_or_default();
    let id = parse_name(&customer.name, "customers", "customer.name")?;
    let mut v = Violations::new();
    let input = records::customer(&mut v, &customer, "customer");
    // Only the fields being changed must be valid.
    let relevant: Violations = v
        .iter()
        .filter(|violation| paths.iter().any(|p| violation.field == format!("customer.{p}")))
        .collect();
    relevant.finish()?;
    let current = store::customers::get(db, &caller.tenant, &id).await?;
    if paths.iter().any(|p| p == "owner") {
        may_change_owner(api, &ctx, &current.owner, &input.owner).await?;
    }
    let updated = store::customers::update(db, current, &input, &paths, now()).await?;
    api.feed.announce(&caller.tenant, HashSet::new());
    Ok(pb::UpdateCustomerResponse {
        customer: Some(convert::customer(updated)),
    })
}

/// An account changes hands only between members the caller may write for: a manager may neither
/// give a customer to, nor take one from, a member outside their teams. A former owner goals no
/// longer knows holds nothing back.
async fn may_change_owner(api: &MonitoringApi, ctx: &CallContext, from: &str, to: &str) -> MonitoringResult<()> {
    let from = Owner::Member(from.to_owned());
    let (org, visibility) = api.access(ctx).await?;
    if org.knows(&from) && !visibility.sees(&from) {
        return Err(MonitoringError::denied(format!(
            "{} owns this customer and is not among the members you may see",
            from.name()
        )));
    }
    if !to.is_empty() {
        api.may_record_for(ctx, to, "customer.owner").await?;
    }
    Ok(())
}
