//! Promotions: a discount for a while on a product, a category or everything, with stated stacking.

use lacak_proto::inventory as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{decimal_from_proto, money_from_proto, timestamp_from_proto};
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;
use tonic::Request;

use super::costs::instant_or_now;
use super::{
    InventoryApi, convert, mask_paths, principal, require_writer, require_writer_or_applier, required_text, write_once,
};
use crate::domain::names::{new_id, parse_name, product_sku};
use crate::error::{InventoryError, InventoryResult};
use crate::store::entities::promotion;
use crate::store::{self};

/// The scope of a promotion: ("product" | "category" | "all", reference).
fn scope(violations: &mut Violations, scope: Option<&pb::promotion::Scope>) -> Option<(&'static str, String)> {
    match scope {
        Some(pb::promotion::Scope::Product(name)) => violations
            .take(product_sku(name, "promotion.product"))
            .map(|sku| ("product", sku)),
        Some(pb::promotion::Scope::Category(name)) => violations
            .take(parse_name(name, "categories", "promotion.category"))
            .map(|id| ("category", id)),
        Some(pb::promotion::Scope::AllProducts(true)) => Some(("all", String::new())),
        Some(pb::promotion::Scope::AllProducts(false)) | None => {
            violations.add(
                "promotion.scope",
                "is required: set `product`, `category` or `all_products: true`",
            );
            None
        }
    }
}

/// The discount: (percent, amount currency, amount), exactly one of percent and amount set.
fn discount(
    violations: &mut Violations,
    discount: Option<&pb::promotion::Discount>,
) -> Option<(String, String, String)> {
    match discount {
        Some(pb::promotion::Discount::PercentOff(value)) => {
            let percent = violations.take(decimal_from_proto(value, "promotion.percent_off.value"))?;
            if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
                violations.add("promotion.percent_off", "must be above 0 and at most 100");
                return None;
            }
            Some((percent.normalize().to_string(), String::new(), String::new()))
        }
        Some(pb::promotion::Discount::AmountOff(money)) => {
            let money = violations.take(money_from_proto(money, "promotion.amount_off"))?;
            if money.amount <= Decimal::ZERO {
                violations.add("promotion.amount_off", "must be above zero");
                return None;
            }
            Some((String::new(), money.currency, money.amount.normalize().to_string()))
        }
        None => {
            violations.add("promotion.discount", "is required: set `percent_off` or `amount_off`");
            None
        }
    }
}

async fn require_scope(db: &DatabaseConnection, tenant: &str, kind: &str, reference: &str) -> InventoryResult<()> {
    match kind {
        "product" => store::catalogue::product(db, tenant, reference).await.map(|_| ()),
        "category" => store::catalogue::category(db, tenant, reference).await.map(|_| ()),
        _ => Ok(()),
    }
}

pub async fn create(
    api: &InventoryApi,
    request: Request<pb::CreatePromotionRequest>,
) -> InventoryResult<pb::CreatePromotionResponse> {
    let caller = principal(&request)?;
    require_writer_or_applier(&request, &caller)?;
    let req = request.into_inner();
    let input = req.promotion.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let display_name = required_text(&mut violations, &input.display_name, "promotion.display_name", 200);
    let discount = discount(&mut violations, input.discount.as_ref());
    let scope = scope(&mut violations, input.scope.as_ref());
    let start = match &input.start_time {
        Some(t) => violations.take(timestamp_from_proto(t, "promotion.start_time")),
        None => {
            violations.add("promotion.start_time", "is required");
            None
        }
    };
    let end = match &input.end_time {
        Some(t) => violations.take(timestamp_from_proto(t, "promotion.end_time")),
        None => {
            violations.add("promotion.end_time", "is required");
            None
        }
    };
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        violations.add("promotion.end_time", "must be after start_time");
    }
    let stacking = match pb::Stacking::try_from(input.stacking) {
        Ok(pb::Stacking::Exclusive) => Some("exclusive"),
        Ok(pb::Stacking::Stackable) => Some("stackable"),
        _ => {
            violations.add(
                "promotion.stacking",
                "is required: STACKING_EXCLUSIVE or STACKING_STACKABLE",
            );
            None
        }
    };
    violations.finish()?;
    let (
        Some((percent, amount_currency, amount)),
        Some((scope_kind, scope_ref)),
        Some(start),
        Some(end),
        Some(stacking),
    ) = (discount, scope, start, end, stacking)
    else {
        return Err(InventoryError::invalid("promotion", "is incomplete"));
    };
    let db = api.db()?;
    let tenant = &caller.tenant;
    require_scope(db, tenant, scope_kind, &scope_ref).await?;
    let model = promotion::Model {
        tenant: tenant.clone(),
        id: new_id(),
        display_name,
        percent_off: percent,
        amount_currency,
        amount_off: amount,
        scope_kind: scope_kind.to_owned(),
        scope_ref,
        start_time: start,
        end_time: end,
        stacking: stacking.to_owned(),
        create_time: lacak_runtime::convert::now(),
    };
    let new_id = model.id.clone();
    let id = write_once(db, tenant, "CreatePromotion", &req.request_id, &req, async |txn| {
        store::pricing::insert_promotion(txn, model).await?;
        Ok(new_id)
    })
    .await?;
    let created = store::pricing::promotion(db, tenant, &id).await?;
    Ok(pb::CreatePromotionResponse {
        promotion: Some(convert::promotion(&created)),
    })
}

pub async fn get(
    api: &InventoryApi,
    request: Request<pb::GetPromotionRequest>,
) -> InventoryResult<pb::GetPromotionResponse> {
    let caller = principal(&request)?;
    let id = parse_name(&request.get_ref().name, "promotions", "name")?;
    let model = store::pricing::promotion(api.db()?, &caller.tenant, &id).await?;
    Ok(pb::GetPromotionResponse {
        promotion: Some(convert::promotion(&model)),
    })
}

pub async fn list(
    api: &InventoryApi,
    request: Request<pb::ListPromotionsRequest>,
) -> InventoryResult<pb::ListPromotionsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let active_at = req
        .active_at
        .as_ref()
        .and_then(|t| violations.take(timestamp_from_proto(t, "active_at")));
    let product = if req.product.is_empty() {
        None
    } else {
        violations.take(product_sku(&req.product, "product"))
    };
    let at = active_at.map(|t| t.to_rfc3339()).unwrap_or_default();
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListPromotions", &at, &req.product],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| InventoryError::invalid("page_token", "is invalid"))?;
    let db = api.db()?;
    let tenant = &caller.tenant;
    let rows = store::pricing::list_promotions(db, tenant, active_at, &page).await?;
    let (rows, next_page_token) = page.finish(rows, |p| p.id.clone());
    let rows = match product {
        None => rows,
        Some(sku) => {
            let product = store::catalogue::product(db, tenant, &sku).await?;
            let tree = store::catalogue::category_tree(db, tenant).await?;
            let lineage = product
                .category_id
                .as_deref()
                .map(|c| store::catalogue::ancestry(&tree, c))
                .unwrap_or_default();
            rows.into_iter()
                .filter(|p| super::profitability::applies_to(p, &sku, &lineage))
                .collect()
        }
    };
    Ok(pb::ListPromotionsResponse {
        promotions: rows.iter().map(convert::promotion).collect(),
        next_page_token,
    })
}

pub async fn update(
    api: &InventoryApi,
    request: Request<pb::UpdatePromotionRequest>,
) -> InventoryResult<pb::UpdatePromotionResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let req = request.into_inner();
    let input = req.promotion.unwrap_or_default();
    let id = parse_name(&input.name, "promotions", "promotion.name")?;
    let paths = mask_paths(req.update_mask.as_ref(), &["display_name", "start_time", "end_time"])?;
    let db = api.db()?;
    let mut model = store::pricing::promotion(db, &caller.tenant, &id).await?;
    let mut violations = Violations::new();
    for path in &paths {
        match path.as_str() {
            "display_name" => {
                model.display_name = required_text(&mut violations, &input.display_name, "promotion.display_name", 200)
            }
            "start_time" => {
                model.start_time = instant_or_now(&mut violations, input.start_time.as_ref(), "promotion.start_time")
            }
            "end_time" => {
                model.end_time = instant_or_now(&mut violations, input.end_time.as_ref(), "promotion.end_time")
            }
            _ => {}
        }
    }
    if model.end_time <= model.start_time {
        violations.add("promotion.end_time", "must be after start_time");
    }
    violations.finish()?;
    let saved = store::pricing::save_promotion(db, model).await?;
    Ok(pb::UpdatePromotionResponse {
        promotion: Some(convert::promotion(&saved)),
    })
}

pub async fn delete(
    api: &InventoryApi,
    request: Request<pb::DeletePromotionRequest>,
) -> InventoryResult<pb::DeletePromotionResponse> {
    let caller = principal(&request)?;
    require_writer(&caller)?;
    let id = parse_name(&request.get_ref().name, "promotions", "name")?;
    let db = api.db()?;
    store::pricing::promotion(db, &caller.tenant, &id).await?;
    store::pricing::delete_promotion(db, &caller.tenant, &id).await?;
    Ok(pb::DeletePromotionResponse {})
}
