//! Effective-dated cost breakdowns and list prices: history kept, the one in force at any instant readable.

use chrono::{DateTime, Utc};
use lacak_domain::validate_currency_code;
use lacak_proto::inventory as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{decimal_from_proto, money_from_proto, timestamp_from_proto};
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use tonic::Request;

use super::{InventoryApi, convert, principal, require_cost_reader, require_writer, write_once};
use crate::domain::names::{new_id, product_sku};
use crate::error::{InventoryError, InventoryResult};
use crate::store::entities::{cost_breakdown, price};
use crate::store::{self, pricing::effective_key};

/// An optional instant; now when unset.
pub(super) fn instant_or_now(
    violations: &mut Violations,
    time: Option<&prost_types::Timestamp>,
    field: &str,
) -> DateTime<Utc> {
    time.and_then(|t| violations.take(timestamp_from_proto(t, field)))
        .unwrap_or_else(Utc::now)
}

/// A rate in percent within 0..=100; zero when unset.
fn rate(violations: &mut Violations, value: Option<&lacak_proto::common::Decimal>, field: &str) -> Decimal {
    let Some(value) = value else {
        return Decimal::ZERO;
    };
    match violations.take(decimal_from_proto(value, &format!("{field}.value"))) {
        Some(rate) if (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&rate) => rate,
        Some(_) => {
            violations.add(field, "must be a percentage within 0..=100");
            Decimal::ZERO
        }
        None => Decimal::ZERO,
    }
}

pub(super) fn currency(violations: &mut Violations, code: &str, field: &str) -> String {
    let code = code.trim().to_owned();
    if let Err(e) = validate_currency_code(&code) {
        violations.add(field, e.to_string());
    }
    code
}

pub async fn create_cost(
    api: &InventoryApi,
    request: Request<pb::CreateCostBreakdownRequest>,
) -> InventoryResult<pb::CreateCostBreakdownResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let req = request.into_inner();
    let input = req.cost_breakdown.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.parent, "parent"));
    let parts = [
        ("sourcing", &input.sourcing),
        ("materials", &input.materials),
        ("labour", &input.labour),
        ("shipping", &input.shipping),
        ("other", &input.other),
    ];
    let mut currency: Option<String> = None;
    let mut amounts = [Decimal::ZERO; 5];
    for (index, (part, money)) in parts.iter().enumerate() {
        let Some(money) = money else { continue };
        let field = format!("cost_breakdown.{part}");
        let Some(money) = violations.take(money_from_proto(money, &field)) else {
            continue;
        };
        if money.amount < Decimal::ZERO {
            violations.add(&field, "must not be negative");
        }
        match &currency {
            None => currency = Some(money.currency.clone()),
            Some(first) if *first != money.currency => violations.add(
                format!("{field}.currency_code"),
                format!("every component must be in {first}; amounts in different currencies are never added"),
            ),
            Some(_) => {}
        }
        amounts[index] = money.amount;
    }
    if parts.iter().all(|(_, m)| m.is_none()) {
        violations.add(
            "cost_breakdown",
            "give at least one component: sourcing, materials, labour, shipping or other",
        );
    }
    let tax = rate(
        &mut violations,
        input.tax_rate_percent.as_ref(),
        "cost_breakdown.tax_rate_percent",
    );
    let fee = rate(
        &mut violations,
        input.fee_rate_percent.as_ref(),
        "cost_breakdown.fee_rate_percent",
    );
    let effective = instant_or_now(
        &mut violations,
        input.effective_time.as_ref(),
        "cost_breakdown.effective_time",
    );
    violations.finish()?;
    let (Some(sku), Some(currency)) = (sku, currency) else {
        return Err(InventoryError::invalid("cost_breakdown", "is incomplete"));
    };
    let db = api.db()?;
    let tenant = &caller.tenant;
    store::catalogue::product(db, tenant, &sku).await?;
    let text = |d: Decimal| d.normalize().to_string();
    let model = cost_breakdown::Model {
        tenant: tenant.clone(),
        sku: sku.clone(),
        id: new_id(),
        currency,
        sourcing: text(amounts[0]),
        materials: text(amounts[1]),
        labour: text(amounts[2]),
        shipping: text(amounts[3]),
        other: text(amounts[4]),
        unit_cost: text(amounts.iter().copied().sum()),
        tax_rate_percent: text(tax),
        fee_rate_percent: text(fee),
        effective_time: effective,
        recorded_by: caller.subject.clone(),
        create_time: lacak_runtime::convert::now(),
    };
    let new_id = model.id.clone();
    let id = write_once(db, tenant, "CreateCostBreakdown", &req.request_id, &req, async |txn| {
        store::pricing::insert_cost(txn, model).await?;
        Ok(new_id)
    })
    .await?;
    let created = store::pricing::cost(db, tenant, &sku, &id).await?;
    Ok(pb::CreateCostBreakdownResponse {
        cost_breakdown: Some(convert::cost(&created)),
    })
}

pub async fn list_costs(
    api: &InventoryApi,
    request: Request<pb::ListCostBreakdownsRequest>,
) -> InventoryResult<pb::ListCostBreakdownsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let sku = product_sku(&req.parent, "parent")?;
    let page = PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListCostBreakdowns", &sku],
    )?;
    let db = api.db()?;
    require_cost_reader(db, &caller).await?;
    store::catalogue::product(db, &caller.tenant, &sku).await?;
    let rows = store::pricing::list_costs(db, &caller.tenant, &sku, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |c| effective_key(c.effective_time, &c.id));
    Ok(pb::ListCostBreakdownsResponse {
        cost_breakdowns: rows.iter().map(convert::cost).collect(),
        next_page_token,
    })
}

pub async fn cost_as_of(
    api: &InventoryApi,
    request: Request<pb::GetCostAsOfRequest>,
) -> InventoryResult<pb::GetCostAsOfResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.product, "product"));
    let at = instant_or_now(&mut violations, req.time.as_ref(), "time");
    violations.finish()?;
    let sku = sku.ok_or_else(|| InventoryError::invalid("product", "is invalid"))?;
    let db = api.db()?;
    require_cost_reader(db, &caller).await?;
    store::catalogue::product(db, &caller.tenant, &sku).await?;
    let cost = store::pricing::cost_as_of(db, &caller.tenant, &sku, at)
        .await?
        .ok_or_else(|| InventoryError::not_found("cost breakdown", format!("products/{sku} at {at}")))?;
    Ok(pb::GetCostAsOfResponse {
        cost_breakdown: Some(convert::cost(&cost)),
    })
}

pub async fn create_price(
    api: &InventoryApi,
    request: Request<pb::CreatePriceRequest>,
) -> InventoryResult<pb::CreatePriceResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let req = request.into_inner();
    let input = req.price.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.parent, "parent"));
    let list_price = match &input.list_price {
        Some(money) => violations.take(money_from_proto(money, "price.list_price")),
        None => {
            violations.add("price.list_price", "is required");
            None
        }
    };
    if list_price.as_ref().is_some_and(|m| m.amount < Decimal::ZERO) {
        violations.add("price.list_price", "must not be negative");
    }
    let effective = instant_or_now(&mut violations, input.effective_time.as_ref(), "price.effective_time");
    violations.finish()?;
    let (Some(sku), Some(list_price)) = (sku, list_price) else {
        return Err(InventoryError::invalid("price", "is incomplete"));
    };
    let db = api.db()?;
    let tenant = &caller.tenant;
    store::catalogue::product(db, tenant, &sku).await?;
    let model = price::Model {
        tenant: tenant.clone(),
        sku: sku.clone(),
        id: new_id(),
        currency: list_price.currency,
        list_price: list_price.amount.normalize().to_string(),
        effective_time: effective,
        create_time: lacak_runtime::convert::now(),
    };
    let new_id = model.id.clone();
    let id = write_once(db, tenant, "CreatePrice", &req.request_id, &req, async |txn| {
        store::pricing::insert_price(txn, model).await?;
        Ok(new_id)
    })
    .await?;
    let created = store::pricing::price(db, tenant, &sku, &id).await?;
    Ok(pb::CreatePriceResponse {
        price: Some(convert::price(&created)),
    })
}

pub async fn list_prices(
    api: &InventoryApi,
    request: Request<pb::ListPricesRequest>,
) -> InventoryResult<pb::ListPricesResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.parent, "parent"));
    let currency_filter = if req.currency_code.is_empty() {
        None
    } else {
        Some(currency(&mut violations, &req.currency_code, "currency_code"))
    };
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListPrices", &req.parent, &req.currency_code],
    ));
    violations.finish()?;
    let (Some(sku), Some(page)) = (sku, page) else {
        return Err(InventoryError::invalid("parent", "is invalid"));
    };
    let db = api.db()?;
    store::catalogue::product(db, &caller.tenant, &sku).await?;
    let rows = store::pricing::list_prices(db, &caller.tenant, &sku, currency_filter.as_deref(), &page).await?;
    let (rows, next_page_token) = page.finish(rows, |p| effective_key(p.effective_time, &p.id));
    Ok(pb::ListPricesResponse {
        prices: rows.iter().map(convert::price).collect(),
        next_page_token,
    })
}

pub async fn price_as_of(
    api: &InventoryApi,
    request: Request<pb::GetPriceAsOfRequest>,
) -> InventoryResult<pb::GetPriceAsOfResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.product, "product"));
    let code = currency(&mut violations, &req.currency_code, "currency_code");
    let at = instant_or_now(&mut violations, req.time.as_ref(), "time");
    violations.finish()?;
    let sku = sku.ok_or_else(|| InventoryError::invalid("product", "is invalid"))?;
    let db = api.db()?;
    store::catalogue::product(db, &caller.tenant, &sku).await?;
    let price = store::pricing::price_as_of(db, &caller.tenant, &sku, &code, at)
        .await?
        .ok_or_else(|| InventoryError::not_found("price", format!("products/{sku} in {code} at {at}")))?;
    Ok(pb::GetPriceAsOfResponse {
        price: Some(convert::price(&price)),
    })
}
