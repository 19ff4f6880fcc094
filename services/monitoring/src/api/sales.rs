//! Sales: record one (through the same exactly-once path as batches), read, list.

use lacak_proto::monitoring as pb;
use lacak_runtime::convert::{now, timestamp_from_proto};
use lacak_runtime::error::Violations;
use lacak_runtime::names::parse_name;
use lacak_runtime::page::PageRequest;
use tonic::Request;

use super::{MonitoringApi, caller, convert};
use crate::error::{MonitoringError, MonitoringResult};
use crate::ingest::{self, Batch, Event};
use crate::records;
use crate::store;
use crate::store::sales::SaleFilter;

/// Renames violations of a one-event batch from `events[0].…` to the request's own fields.
fn as_request_fields(error: MonitoringError) -> MonitoringError {
    match error {
        MonitoringError::Invalid(violations) => MonitoringError::Invalid(
            violations
                .iter()
                .map(|v| {
                    lacak_runtime::FieldViolation::new(v.field.trim_start_matches("events[0]."), v.description.clone())
                })
                .collect::<Vec<_>>()
                .iter()
                .collect(),
        ),
        other => other,
    }
}

pub async fn record(
    api: &MonitoringApi,
    request: Request<pb::RecordSaleRequest>,
) -> MonitoringResult<pb::RecordSaleResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let body = request.into_inner();
    let mut v = Violations::new();
    if body.sale.is_none() {
        v.add("sale", "is required");
    }
    let input = records::sale(&mut v, &body.sale.unwrap_or_default(), "sale");
    v.finish()?;
    api.may_record_for(&ctx, &input.owner, "sale.owner").await?;
    for (i, share) in input.credit.iter().enumerate() {
        api.may_record_for(&ctx, &share.member, &format!("sale.credit[{i}].member"))
            .await?;
    }
    let db = api.db()?;
    let external_id = input.external_id.clone();
    let batch = Batch {
        events: vec![(format!("sale:{external_id}"), Event::Sale(input))],
    };
    let applied = ingest::apply(db, &api.deps, &ctx, &batch, now())
        .await
        .map_err(as_request_fields)?;
    if applied.applied > 0 {
        api.feed.announce(&tenant, applied.members);
    }
    let sale = store::sales::find_external(db, &tenant, &external_id)
        .await?
        .ok_or_else(|| MonitoringError::not_found("sale", format!("external id {external_id}")))?;
    Ok(pb::RecordSaleResponse {
        sale: Some(convert::sale(sale)),
    })
}

pub async fn get(api: &MonitoringApi, request: Request<pb::GetSaleRequest>) -> MonitoringResult<pb::GetSaleResponse> {
    let ctx = caller(&request)?;
    let id = parse_name(&request.get_ref().name, "sales", "name")?;
    let sale = store::sales::get(api.db()?, &ctx.principal.tenant, &id).await?;
    let (_, visibility) = api.access(&ctx).await?;
    let credited = sale.members.trim_matches(',').split(',');
    if !credited.into_iter().any(|member| visibility.sees_member(member)) {
        return Err(MonitoringError::not_found("sale", format!("sales/{id}")));
    }
    Ok(pb::GetSaleResponse {
        sale: Some(convert::sale(sale)),
    })
}

pub async fn list(
    api: &MonitoringApi,
    request: Request<pb::ListSalesRequest>,
) -> MonitoringResult<pb::ListSalesResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let body = request.into_inner();
    let mut v = Violations::new();
    let start = body
        .start_time
        .as_ref()
        .and_then(|t| v.take(timestamp_from_proto(t, "start_time")));
    let end = body
        .end_time
        .as_ref()
        .and_then(|t| v.take(timestamp_from_proto(t, "end_time")));
    v.finish()?;
    let members = api.member_filter(&ctx, &body.member, "member").await?;
    let page = PageRequest::parse(
        body.page_size,
        &body.page_token,
        &[
            &tenant,
            "ListSales",
            &body.member,
            &start.map(|t| t.to_rfc3339()).unwrap_or_default(),
            &end.map(|t| t.to_rfc3339()).unwrap_or_default(),
            if body.awaiting_cost_only { "awaiting" } else { "all" },
        ],
    )?;
    let filter = SaleFilter {
        members,
        start,
        end,
        awaiting_cost_only: body.awaiting_cost_only,
    };
    let rows = store::sales::list(api.db()?, &tenant, &filter, &page).await?;
    let (rows, next_page_token) = page.finish(rows, store::sales::page_key);
    Ok(pb::ListSalesResponse {
        sales: rows.into_iter().map(convert::sale).collect(),
        next_page_token,
    })
}
