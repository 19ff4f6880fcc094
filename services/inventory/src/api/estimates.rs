//! Market estimates: what a product could sell, per region and segment, with source and date.

use lacak_proto::inventory as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::decimal_from_proto;
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use tonic::Request;

use super::costs::instant_or_now;
use super::{InventoryApi, convert, principal, require_writer, required_text, write_once};
use crate::domain::names::{new_id, product_sku, validate_label};
use crate::error::{InventoryError, InventoryResult};
use crate::store::entities::market_estimate;
use crate::store::{self, pricing::effective_key};

fn optional_label(violations: &mut Violations, value: &str, field: &str) -> String {
    if value.trim().is_empty() {
        String::new()
    } else {
        violations.take(validate_label(value, field)).unwrap_or_default()
    }
}

fn units(violations: &mut Violations, value: Option<&lacak_proto::common::Decimal>, field: &str) -> Option<Decimal> {
    let Some(value) = value else {
        violations.add(field, "is required");
        return None;
    };
    let units = violations.take(decimal_from_proto(value, &format!("{field}.value")))?;
    if units < Decimal::ZERO {
        violations.add(field, "must not be negative");
        return None;
    }
    Some(units)
}

pub async fn create(
    api: &InventoryApi,
    request: Request<pb::CreateMarketEstimateRequest>,
) -> InventoryResult<pb::CreateMarketEstimateResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let req = request.into_inner();
    let input = req.market_estimate.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.parent, "parent"));
    let region = optional_label(&mut violations, &input.region, "market_estimate.region");
    let segment = optional_label(&mut violations, &input.segment, "market_estimate.segment");
    let demand = units(
        &mut violations,
        input.addressable_demand.as_ref(),
        "market_estimate.addressable_demand",
    );
    let volume = units(
        &mut violations,
        input.expected_volume.as_ref(),
        "market_estimate.expected_volume",
    );
    if let (Some(demand), Some(volume)) = (demand, volume)
        && volume > demand
    {
        violations.add(
            "market_estimate.expected_volume",
            "cannot exceed the addressable demand",
        );
    }
    let source = required_text(&mut violations, &input.source, "market_estimate.source", 500);
    let estimate_time = instant_or_now(
        &mut violations,
        input.estimate_time.as_ref(),
        "market_estimate.estimate_time",
    );
    violations.finish()?;
    let (Some(sku), Some(demand), Some(volume)) = (sku, demand, volume) else {
        return Err(InventoryError::invalid("market_estimate", "is incomplete"));
    };
    let db = api.db()?;
    let tenant = &caller.tenant;
    store::catalogue::product(db, tenant, &sku).await?;
    let model = market_estimate::Model {
        tenant: tenant.clone(),
        sku: sku.clone(),
        id: new_id(),
        region,
        segment,
        addressable_demand: demand.normalize().to_string(),
        expected_volume: volume.normalize().to_string(),
        source,
        estimate_time,
        create_time: lacak_runtime::convert::now(),
    };
    let new_id = model.id.clone();
    let id = write_once(db, tenant, "CreateMarketEstimate", &req.request_id, &req, async |txn| {
        store::estimates::insert(txn, model).await?;
        Ok(new_id)
    })
    .await?;
    let created = store::estimates::estimate(db, tenant, &sku, &id).await?;
    Ok(pb::CreateMarketEstimateResponse {
        market_estimate: Some(convert::estimate(&created)),
    })
}

pub async fn list(
    api: &InventoryApi,
    request: Request<pb::ListMarketEstimatesRequest>,
) -> InventoryResult<pb::ListMarketEstimatesResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let sku = product_sku(&req.parent, "parent")?;
    let page = PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListMarketEstimates", &sku],
    )?;
    let db = api.db()?;
    store::catalogue::product(db, &caller.tenant, &sku).await?;
    let rows = store::estimates::list(db, &caller.tenant, &sku, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |e| effective_key(e.estimate_time, &e.id));
    Ok(pb::ListMarketEstimatesResponse {
        market_estimates: rows.iter().map(convert::estimate).collect(),
        next_page_token,
    })
}
