//! What sales earn: the profitability of one sale, the portfolio assessment, and batch valuations
//! for monitoring — every one valued with the cost and price in force at the sale's instant.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lacak_proto::inventory as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{decimal_from_proto, decimal_to_proto, money_from_proto, timestamp_to_proto};
use rust_decimal::Decimal;
use tonic::Request;

use super::costs::{currency, instant_or_now};
use super::{InventoryApi, convert, principal, require_cost_reader};
use crate::domain::names::{parse_name, product_sku};
use crate::domain::portfolio::{ItemFigures, assess};
use crate::domain::pricing::{
    ApplicablePromotion, CostTerms, Discount, Stacking, break_even_units, earnings, net_price,
};
use crate::error::{InventoryError, InventoryResult};
use crate::store::entities::{cost_breakdown, market_estimate, price, promotion};
use crate::store::{self};

/// Whether a promotion's scope covers a product whose category lineage (its category and every
/// category above it) is `lineage`.
pub(super) fn applies_to(promotion: &promotion::Model, sku: &str, lineage: &[String]) -> bool {
    match promotion.scope_kind.as_str() {
        "all" => true,
        "product" => promotion.scope_ref == sku,
        "category" => lineage.contains(&promotion.scope_ref),
        _ => false,
    }
}

fn running(promotion: &promotion::Model, at: DateTime<Utc>) -> bool {
    promotion.start_time <= at && at < promotion.end_time
}

/// The promotion as the pricing rules see it; `None` for a fixed amount in another currency.
fn applicable(promotion: &promotion::Model, currency: &str) -> Option<ApplicablePromotion> {
    let discount = if promotion.percent_off.is_empty() {
        if promotion.amount_currency != currency {
            return None;
        }
        Discount::Amount {
            currency: promotion.amount_currency.clone(),
            amount: convert::dec(&promotion.amount_off),
        }
    } else {
        Discount::Percent(convert::dec(&promotion.percent_off))
    };
    Some(ApplicablePromotion {
        id: promotion.id.clone(),
        discount,
        stacking: if promotion.stacking == "exclusive" {
            Stacking::Exclusive
        } else {
            Stacking::Stackable
        },
    })
}

/// What a sale is valued with.
struct Sale<'a> {
    sku: &'a str,
    at: DateTime<Utc>,
    currency: &'a str,
    quantity: Decimal,
    list_price: Decimal,
    cost: &'a cost_breakdown::Model,
    promotions: &'a [ApplicablePromotion],
    fixed_cost: Option<Decimal>,
}

fn value(sale: Sale<'_>) -> (pb::Profitability, Decimal, Option<Decimal>) {
    let net = net_price(sale.list_price, sale.promotions);
    let terms = CostTerms {
        unit_cost: convert::dec(&sale.cost.unit_cost),
        tax_rate_percent: convert::dec(&sale.cost.tax_rate_percent),
        fee_rate_percent: convert::dec(&sale.cost.fee_rate_percent),
    };
    let e = earnings(net.price, terms, sale.quantity);
    let money = |amount: Decimal| Some(convert::money(sale.currency, amount));
    let profitability = pb::Profitability {
        product: format!("products/{}", sale.sku),
        time: Some(timestamp_to_proto(sale.at)),
        quantity: Some(decimal_to_proto(sale.quantity)),
        list_price: money(sale.list_price),
        applied_promotions: net.applied.iter().map(|id| format!("promotions/{id}")).collect(),
        net_price: money(net.price),
        unit_cost: money(terms.unit_cost),
        cost_breakdown: format!("products/{}/costBreakdowns/{}", sale.sku, sale.cost.id),
        unit_gross_margin: money(e.unit_gross_margin),
        gross_margin_percent: e.gross_margin_percent.map(decimal_to_proto),
        unit_tax: money(e.unit_tax),
        unit_fees: money(e.unit_fees),
        unit_net_margin: money(e.unit_net_margin),
        net_margin_percent: e.net_margin_percent.map(decimal_to_proto),
        revenue: money(e.revenue),
        gross_margin: money(e.gross_margin),
        net_margin: money(e.net_margin),
        break_even_units: sale
            .fixed_cost
            .and_then(|fixed| break_even_units(fixed, e.unit_net_margin))
            .map(decimal_to_proto),
    };
    (profitability, e.unit_net_margin, e.net_margin_percent)
}

pub async fn get(
    api: &InventoryApi,
    request: Request<pb::GetProfitabilityRequest>,
) -> InventoryResult<pb::GetProfitabilityResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.product, "product"));
    let code = currency(&mut violations, &req.currency_code, "currency_code");
    let at = instant_or_now(&mut violations, req.time.as_ref(), "time");
    let quantity = match &req.quantity {
        None => Some(Decimal::ONE),
        Some(q) => violations.take(decimal_from_proto(q, "quantity.value")),
    };
    if quantity.is_some_and(|q| q <= Decimal::ZERO) {
        violations.add("quantity", "must be above zero");
    }
    let named: Vec<String> = req
        .promotions
        .iter()
        .enumerate()
        .filter_map(|(i, n)| violations.take(parse_name(n, "promotions", &format!("promotions[{i}]"))))
        .collect();
    let fixed_cost = req
        .fixed_cost
        .as_ref()
        .and_then(|m| violations.take(money_from_proto(m, "fixed_cost")));
    if let Some(fixed) = &fixed_cost {
        if fixed.currency != code {
            violations.add(
                "fixed_cost.currency_code",
                format!("must be the sale's currency, {code}"),
            );
        }
        if fixed.amount < Decimal::ZERO {
            violations.add("fixed_cost", "must not be negative");
        }
    }
    violations.finish()?;
    let (Some(sku), Some(quantity)) = (sku, quantity) else {
        return Err(InventoryError::invalid("product", "is invalid"));
    };

    let db = api.db()?;
    let tenant = &caller.tenant;
    require_cost_reader(db, &caller).await?;
    let product = store::catalogue::product(db, tenant, &sku).await?;
    let list = store::pricing::price_as_of(db, tenant, &sku, &code, at)
        .await?
        .ok_or_else(|| {
            InventoryError::precondition("NO_PRICE", format!("products/{sku} had no {code} list price at {at}"))
        })?;
    let cost = store::pricing::cost_as_of(db, tenant, &sku, at).await?.ok_or_else(|| {
        InventoryError::precondition("NO_COST", format!("products/{sku} had no cost breakdown at {at}"))
    })?;
    if cost.currency != code {
        return Err(InventoryError::precondition(
            "CURRENCY_MISMATCH",
            format!(
                "products/{sku} costs in {} but the sale is in {code}; no conversion is made",
                cost.currency
            ),
        ));
    }
    let tree = store::catalogue::category_tree(db, tenant).await?;
    let lineage = product
        .category_id
        .as_deref()
        .map(|c| store::catalogue::ancestry(&tree, c))
        .unwrap_or_default();
    let mut promotions: Vec<ApplicablePromotion> = Vec::new();
    for id in &named {
        let promotion = store::pricing::promotion(db, tenant, id).await?;
        let usable = applies_to(&promotion, &sku, &lineage) && running(&promotion, at);
        match applicable(&promotion, &code).filter(|_| usable) {
            Some(p) => promotions.push(p),
            None => {
                return Err(InventoryError::precondition(
                    "PROMOTION_NOT_APPLICABLE",
                    format!("promotions/{id} does not apply to products/{sku} in {code} at {at}"),
                ));
            }
        }
    }
    if req.apply_running_promotions {
        for promotion in store::pricing::running_at(db, tenant, at).await? {
            if applies_to(&promotion, &sku, &lineage)
                && !promotions.iter().any(|p| p.id == promotion.id)
                && let Some(p) = applicable(&promotion, &code)
            {
                promotions.push(p);
            }
        }
    }
    let (profitability, _, _) = value(Sale {
        sku: &sku,
        at,
        currency: &code,
        quantity,
        list_price: convert::dec(&list.list_price),
        cost: &cost,
        promotions: &promotions,
        fixed_cost: fixed_cost.map(|m| m.amount),
    });
    Ok(pb::GetProfitabilityResponse {
        profitability: Some(profitability),
    })
}

/// Rows of one SKU, oldest effective first; the last is in force (all were fetched up to `at`).
pub(super) fn group_by_sku<T, K: Eq + std::hash::Hash>(rows: Vec<T>, key: impl Fn(&T) -> K) -> HashMap<K, Vec<T>> {
    let mut groups: HashMap<K, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

/// Expected yearly volume: the latest estimate of each region and segment, summed.
fn expected_volume(estimates: &[&market_estimate::Model]) -> Option<Decimal> {
    let mut latest: HashMap<(&str, &str), &market_estimate::Model> = HashMap::new();
    for estimate in estimates {
        let key = (estimate.region.as_str(), estimate.segment.as_str());
        let newer = latest
            .get(&key)
            .is_none_or(|seen| (estimate.estimate_time, &estimate.id) > (seen.estimate_time, &seen.id));
        if newer {
            latest.insert(key, estimate);
        }
    }
    (!latest.is_empty()).then(|| latest.values().map(|e| convert::dec(&e.expected_volume)).sum())
}

pub async fn portfolio(
    api: &InventoryApi,
    request: Request<pb::GetPortfolioAssessmentRequest>,
) -> InventoryResult<pb::GetPortfolioAssessmentResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let code = currency(&mut violations, &req.currency_code, "currency_code");
    let at = instant_or_now(&mut violations, req.time.as_ref(), "time");
    violations.finish()?;
    let db = api.db()?;
    let tenant = &caller.tenant;
    require_cost_reader(db, &caller).await?;
    let threshold = convert::dec(&store::settings::settings(db, tenant).await?.margin_threshold_percent);
    let products = store::catalogue::active_products(db, tenant).await?;
    let skus: Vec<String> = products.iter().map(|p| p.sku.clone()).collect();
    let costs = group_by_sku(store::pricing::costs_of(db, tenant, skus.clone(), at, at).await?, |c| {
        c.sku.clone()
    });
    let prices = group_by_sku(
        store::pricing::prices_of(db, tenant, skus, at, at)
            .await?
            .into_iter()
            .filter(|p| p.currency == code)
            .collect(),
        |p: &price::Model| p.sku.clone(),
    );
    let running_promotions = store::pricing::running_at(db, tenant, at).await?;
    let estimates = group_by_sku(store::estimates::all(db, tenant).await?, |e| e.sku.clone());
    let tree = store::catalogue::category_tree(db, tenant).await?;

    let mut figures = Vec::with_capacity(products.len());
    let mut valuations: HashMap<String, pb::Profitability> = HashMap::new();
    let mut volumes: HashMap<String, Decimal> = HashMap::new();
    for product in &products {
        let sku = product.sku.as_str();
        let cost = costs
            .get(sku)
            .and_then(|rows| rows.last())
            .filter(|c| c.currency == code);
        let list = prices.get(sku).and_then(|rows| rows.last());
        let lineage = product
            .category_id
            .as_deref()
            .map(|c| store::catalogue::ancestry(&tree, c))
            .unwrap_or_default();
        let promotions: Vec<ApplicablePromotion> = running_promotions
            .iter()
            .filter(|p| applies_to(p, sku, &lineage))
            .filter_map(|p| applicable(p, &code))
            .collect();
        let mut item = ItemFigures {
            sku: sku.to_owned(),
            unit_net_margin: None,
            net_margin_percent: None,
            expected_volume: estimates
                .get(sku)
                .and_then(|rows| expected_volume(&rows.iter().collect::<Vec<_>>())),
            has_cost: cost.is_some(),
            has_price: list.is_some(),
        };
        if let (Some(cost), Some(list)) = (cost, list) {
            let (profitability, unit_net_margin, percent) = value(Sale {
                sku,
                at,
                currency: &code,
                quantity: Decimal::ONE,
                list_price: convert::dec(&list.list_price),
                cost,
                promotions: &promotions,
                fixed_cost: None,
            });
            item.unit_net_margin = Some(unit_net_margin);
            item.net_margin_percent = percent;
            valuations.insert(sku.to_owned(), profitability);
        }
        if let Some(volume) = item.expected_volume {
            volumes.insert(sku.to_owned(), volume);
        }
        figures.push(item);
    }
    let assessment = assess(&figures, threshold);
    let names: HashMap<&str, &str> = products
        .iter()
        .map(|p| (p.sku.as_str(), p.display_name.as_str()))
        .collect();
    let items = assessment
        .placements
        .into_iter()
        .map(|placement| pb::PortfolioItem {
            product: format!("products/{}", placement.sku),
            display_name: names
                .get(placement.sku.as_str())
                .copied()
                .unwrap_or_default()
                .to_owned(),
            profitability: valuations.remove(&placement.sku),
            expected_volume: volumes.get(&placement.sku).copied().map(decimal_to_proto),
            expected_contribution: placement.expected_contribution.map(|c| convert::money(&code, c)),
            margin_rank: placement.margin_rank as i32,
            contribution_rank: placement.contribution_rank as i32,
            quadrant: convert::quadrant(placement.quadrant) as i32,
            flags: placement.flags.into_iter().map(|f| convert::flag(f) as i32).collect(),
        })
        .collect();
    Ok(pb::GetPortfolioAssessmentResponse {
        items,
        median_margin_percent: assessment.median_margin_percent.map(decimal_to_proto),
        median_expected_volume: assessment.median_expected_volume.map(decimal_to_proto),
        margin_threshold_percent: Some(decimal_to_proto(threshold)),
    })
}
