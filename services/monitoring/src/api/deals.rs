//! Deals: create, read, list, change, move through stages, close won or lost.

use std::collections::HashSet;

use lacak_proto::monitoring as pb;
use lacak_runtime::auth::CallContext;
use lacak_runtime::convert::{now, timestamp_from_proto};
use lacak_runtime::error::Violations;
use lacak_runtime::idempotency::write_once;
use lacak_runtime::names::parse_name;
use lacak_runtime::page::PageRequest;
use lacak_runtime::validate::mask_paths;
use sea_orm::TransactionTrait;
use tonic::Request;

use super::{MonitoringApi, caller, convert};
use crate::domain::rollup::Share;
use crate::error::{MonitoringError, MonitoringResult};
use crate::records;
use crate::store;
use crate::store::deals::DealFilter;

async fn visible_deal(
    api: &MonitoringApi,
    ctx: &lacak_runtime::CallContext,
    id: &str,
) -> MonitoringResult<store::entities::deal::Model> {
    let deal = store::deals::find(api.db()?, &ctx.principal.tenant, id).await?;
    let (_, visibility) = api.access(ctx).await?;
    if !visibility.sees_member(&deal.owner) {
        return Err(MonitoringError::not_found("deal", format!("deals/{id}")));
    }
    Ok(deal)
}

/// Everyone whose figures a deal in these states touches.
fn concerned<'a>(deals: impl IntoIterator<Item = &'a store::entities::deal::Model>) -> HashSet<String> {
    deals.into_iter().flat_map(store::deals::concerned).collect()
}

async fn respond(api: &MonitoringApi, deal: store::entities::deal::Model) -> MonitoringResult<pb::Deal> {
    Ok(convert::deal(store::deals::with_stages(api.db()?, deal).await?))
}

pub async fn create(
    api: &MonitoringApi,
    request: Request<pb::CreateDealRequest>,
) -> MonitoringResult<pb::CreateDealResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let db = api.db()?;
    let body = request.into_inner();
    let mut v = Violations::new();
    if body.deal.is_none() {
        v.add("deal", "is required");
    }
    let input = records::deal(&mut v, &body.deal.clone().unwrap_or_default(), "deal", false);
    v.finish()?;
    api.may_record_for(&ctx, &input.owner, "deal.owner").await?;
    credit_within_reach(api, &ctx, &input.credit).await?;
    let id = write_once(db, &tenant, "CreateDeal", &body.request_id, &body, async |txn| {
        Ok(store::deals::insert(txn, &tenant, &input, now()).await?.id)
    })
    .await?;
    let deal = store::deals::find(db, &tenant, &id).await?;
    api.feed.announce(&tenant, concerned([&deal]));
    Ok(pb::CreateDealResponse {
        deal: Some(respond(api, deal).await?),
    })
}

pub async fn get(api: &MonitoringApi, request: Request<pb::GetDealRequest>) -> MonitoringResult<pb::GetDealResponse> {
    let ctx = caller(&request)?;
    let id = parse_name(&request.get_ref().name, "deals", "name")?;
    let deal = visible_deal(api, &ctx, &id).await?;
    Ok(pb::GetDealResponse {
        deal: Some(respond(api, deal).await?),
    })
}

pub async fn list(
    api: &MonitoringApi,
    request: Request<pb::ListDealsRequest>,
) -> MonitoringResult<pb::ListDealsResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let body = request.into_inner();
    let owners = api.member_filter(&ctx, &body.owner, "owner").await?;
    let page = PageRequest::parse(
        body.page_size,
        &body.page_token,
        &[
            &tenant,
            "ListDeals",
            &body.owner,
            if body.open_only { "open" } else { "all" },
        ],
    )?;
    let db = api.db()?;
    let rows = store::deals::list(
        db,
        &tenant,
        &DealFilter {
            owners,
            open_only: body.open_only,
        },
        &page,
    )
    .await?;
    let (rows, next_page_token) = page.finish(rows, |d| d.id.clone());
    let records = store::deals::attach_stages(db, rows).await?;
    Ok(pb::ListDealsResponse {
        deals: records.into_iter().map(convert::deal).collect(),
        next_page_token,
    })
}

/// Every member credited in a deal exists and is one the caller may record for, as its owner must.
async fn credit_within_reach(api: &MonitoringApi, ctx: &CallContext, credit: &[Share]) -> MonitoringResult<()> {
    for (i, share) in credit.iter().enumerate() {
        api.may_record_for(ctx, &share.member, &format!("deal.credit[{i}].member"))
            .await?;
    }
    Ok(())
}

pub async fn update(
    api: &MonitoringApi,
    request: Request<pb::UpdateDealRequest>,
) -> MonitoringResult<pb::UpdateDealResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let body = request.into_inner();
    let paths = mask_paths(
        body.update_mask.as_ref(),
        &[
            "amount",
            "expected_close_time",
            "forecast_category",
            "credit",
            "owner",
            "customer",
        ],
    )?;
    let deal = body.deal.unwrap_or_default();
    let id = parse_name(&deal.name, "deals", "deal.name")?;
    let current = visible_deal(api, &ctx, &id).await?;
    let mut merged = convert::deal(store::deals::with_stages(api.db()?, current.clone()).await?);
    for path in &paths {
        match path.as_str() {
            "amount" => merged.amount = deal.amount.clone(),
            "expected_close_time" => merged.expected_close_time = deal.expected_close_time,
            "forecast_category" => merged.forecast_category = deal.forecast_category,
            "credit" => merged.credit = deal.credit.clone(),
            "owner" => merged.owner = deal.owner.clone(),
            "customer" => merged.customer = deal.customer.clone(),
            _ => {}
        }
    }
    let mut v = Violations::new();
    let input = records::deal(&mut v, &merged, "deal", false);
    v.finish()?;
    api.may_record_for(&ctx, &current.owner, "deal.owner").await?;
    if input.owner != current.owner {
        api.may_record_for(&ctx, &input.owner, "deal.owner").await?;
    }
    if paths.iter().any(|p| p == "credit") {
        credit_within_reach(api, &ctx, &input.credit).await?;
    }
    let before = concerned([&current]);
    let updated = store::deals::update(api.db()?, current, &input, &paths, now()).await?;
    api.feed
        .announce(&tenant, before.into_iter().chain(concerned([&updated])).collect());
    Ok(pb::UpdateDealResponse {
        deal: Some(respond(api, updated).await?),
    })
}

pub async fn move_stage(
    api: &MonitoringApi,
    request: Request<pb::MoveDealStageRequest>,
) -> MonitoringResult<pb::MoveDealStageResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let body = request.into_inner();
    let id = parse_name(&body.name, "deals", "name")?;
    let mut v = Violations::new();
    let stage = body.stage.trim().to_lowercase();
    if stage.is_empty() || stage.chars().count() > 200 {
        v.add("stage", "is required: 1-200 characters");
    }
    let time = body.time.as_ref().and_then(|t| v.take(timestamp_from_proto(t, "time")));
    v.finish()?;
    let current = visible_deal(api, &ctx, &id).await?;
    api.may_record_for(&ctx, &current.owner, "name").await?;
    let db = api.db()?;
    write_once(db, &tenant, "MoveDealStage", &body.request_id, &body, async |txn| {
        let current = store::deals::find(txn, &tenant, &id).await?;
        let at = time.unwrap_or_else(now);
        Ok(store::deals::move_stage(txn, current, &stage, at, now()).await?.id)
    })
    .await?;
    let deal = store::deals::find(db, &tenant, &id).await?;
    api.feed.announce(&tenant, concerned([&deal]));
    Ok(pb::MoveDealStageResponse {
        deal: Some(respond(api, deal).await?),
    })
}

pub async fn close(
    api: &MonitoringApi,
    request: Request<pb::CloseDealRequest>,
) -> MonitoringResult<pb::CloseDealResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let body = request.into_inner();
    let id = parse_name(&body.name, "deals", "name")?;
    let mut v = Violations::new();
    let closure = records::closure(&mut v, body.outcome, &body.reason, body.time.as_ref(), "");
    v.finish()?;
    let current = visible_deal(api, &ctx, &id).await?;
    api.may_record_for(&ctx, &current.owner, "name").await?;
    let db = api.db()?;
    let txn = db.begin().await?;
    let current = store::deals::find(&txn, &tenant, &id).await?;
    let closed = store::deals::close(&txn, current, &closure, now()).await?;
    txn.commit().await?;
    api.feed.announce(&tenant, concerned([&closed]));
    Ok(pb::CloseDealResponse {
        deal: Some(respond(api, closed).await?),
    })
}

pub async fn reopen(
    api: &MonitoringApi,
    request: Request<pb::ReopenDealRequest>,
) -> MonitoringResult<pb::ReopenDealResponse> {
    let ctx = caller(&request)?;
    let tenant = ctx.principal.tenant.clone();
    let body = request.into_inner();
    let mut v = Violations::new();
    let id = v.take(parse_name(&body.name, "deals", "name"));
    let reopening = records::reopening(&mut v, &body.stage, &body.reason, body.time.as_ref(), "");
    v.finish()?;
    let id = id.unwrap_or_default();
    let current = visible_deal(api, &ctx, &id).await?;
    api.may_record_for(&ctx, &current.owner, "name").await?;
    let db = api.db()?;
    write_once(db, &tenant, "ReopenDeal", &body.request_id, &body, async |txn| {
        let current = store::deals::find(txn, &tenant, &id).await?;
        Ok(store::deals::reopen(txn, current, &reopening, now()).await?.id)
    })
    .await?;
    let deal = store::deals::find(db, &tenant, &id).await?;
    api.feed.announce(&tenant, concerned([&deal]));
    Ok(pb::ReopenDealResponse {
        deal: Some(respond(api, deal).await?),
    })
}
