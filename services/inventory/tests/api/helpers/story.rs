//! Building requests and setting up the catalogue a story needs.

use chrono::{DateTime, Utc};
use lacak_proto::common::{Decimal as PbDecimal, Money};
use lacak_proto::inventory::{
    Category, CostBreakdown, CreateCategoryRequest, CreateCostBreakdownRequest, CreateMarketEstimateRequest,
    CreatePriceRequest, CreateProductRequest, CreatePromotionRequest, GetStockLevelRequest, MarketEstimate,
    MovementKind, Price, Product, ProductKind, Promotion, RecordStockMovementRequest, RecordStockMovementResponse,
    Stacking, StockMovement, promotion,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use tonic::{Response, Status};

use super::Inventory;

// ---- Values --------------------------------------------------------------------------------------

/// An amount of money, written as a decimal ("33.34" or "-5").
pub fn money(currency: &str, amount: &str) -> Money {
    let value: Decimal = amount.parse().expect("a decimal amount");
    let units = value.trunc();
    let nanos = ((value - units) * Decimal::from(1_000_000_000)).trunc();
    Money {
        currency_code: currency.to_owned(),
        units: units.to_i64().expect("units fit"),
        nanos: nanos.to_i32().expect("nanos fit"),
    }
}

pub fn usd(amount: &str) -> Option<Money> {
    Some(money("USD", amount))
}

/// The amount of money as an exact decimal (trailing zeros do not matter).
#[track_caller]
pub fn amount(money: &Option<Money>) -> Decimal {
    let m = money.as_ref().expect("expected money, found none");
    (Decimal::from(m.units) + Decimal::new(i64::from(m.nanos), 9)).normalize()
}

/// The currency of some money.
#[track_caller]
pub fn currency(money: &Option<Money>) -> String {
    money
        .as_ref()
        .expect("expected money, found none")
        .currency_code
        .clone()
}

/// A decimal field, e.g. a percentage or a quantity.
pub fn num(value: &str) -> Option<PbDecimal> {
    Some(PbDecimal {
        value: value.to_owned(),
    })
}

/// The value of a decimal field.
#[track_caller]
pub fn value(decimal: &Option<PbDecimal>) -> Decimal {
    let d = decimal.as_ref().expect("expected a decimal, found none");
    d.value
        .parse::<Decimal>()
        .unwrap_or_else(|_| panic!("not a decimal: {:?}", d.value))
        .normalize()
}

pub fn dec(value: &str) -> Decimal {
    value.parse::<Decimal>().expect("a decimal").normalize()
}

pub fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// A timestamp from RFC 3339 text, e.g. "2026-01-01T00:00:00Z".
pub fn ts(rfc3339: &str) -> Option<prost_types::Timestamp> {
    let at = DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 time");
    Some(timestamp(at.with_timezone(&Utc)))
}

/// A timestamp as chrono, for comparing and doing arithmetic.
#[track_caller]
pub fn instant(timestamp: &Option<prost_types::Timestamp>) -> DateTime<Utc> {
    let t = timestamp.as_ref().expect("a timestamp");
    DateTime::from_timestamp(t.seconds, t.nanos as u32).expect("a representable time")
}

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

// ---- Resources to create -------------------------------------------------------------------------

/// A good (it has stock) with only what is required.
pub fn goods(display_name: &str) -> Product {
    Product {
        display_name: display_name.to_owned(),
        kind: ProductKind::Product as i32,
        ..Default::default()
    }
}

/// A cost breakdown whose whole unit cost is sourcing, without tax or fees.
pub fn sourcing_cost(currency: &str, unit_cost: &str, effective: &str) -> CostBreakdown {
    CostBreakdown {
        sourcing: Some(money(currency, unit_cost)),
        effective_time: ts(effective),
        ..Default::default()
    }
}

/// A percentage-off promotion running from `start` until `end`.
pub fn percent_off(percent: &str, scope: promotion::Scope, stacking: Stacking, start: &str, end: &str) -> Promotion {
    Promotion {
        display_name: format!("{percent}% off"),
        discount: Some(promotion::Discount::PercentOff(PbDecimal {
            value: percent.to_owned(),
        })),
        scope: Some(scope),
        start_time: ts(start),
        end_time: ts(end),
        stacking: stacking as i32,
        ..Default::default()
    }
}

/// A fixed-amount-off promotion running from `start` until `end`.
pub fn amount_off(off: Money, scope: promotion::Scope, stacking: Stacking, start: &str, end: &str) -> Promotion {
    Promotion {
        display_name: format!("{} {} off", off.units, off.currency_code),
        discount: Some(promotion::Discount::AmountOff(off)),
        scope: Some(scope),
        start_time: ts(start),
        end_time: ts(end),
        stacking: stacking as i32,
        ..Default::default()
    }
}

pub fn on_product(sku: &str) -> promotion::Scope {
    promotion::Scope::Product(format!("products/{sku}"))
}

pub fn on_category(id: &str) -> promotion::Scope {
    promotion::Scope::Category(format!("categories/{id}"))
}

/// A stock movement at `location`.
pub fn movement(location: &str, kind: MovementKind, quantity: &str) -> StockMovement {
    StockMovement {
        location: location.to_owned(),
        kind: kind as i32,
        quantity: num(quantity),
        reference: format!("{kind:?} {quantity}"),
        ..Default::default()
    }
}

// ---- Setting up a story --------------------------------------------------------------------------

pub async fn create_category(client: &mut Inventory, id: &str, parent: Option<&str>) -> anyhow::Result<Category> {
    let category = Category {
        display_name: format!("Category {id}"),
        parent: parent.map(|p| format!("categories/{p}")).unwrap_or_default(),
        ..Default::default()
    };
    let response = client
        .create_category(CreateCategoryRequest {
            category: Some(category),
            category_id: id.to_owned(),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().category.expect("the created category"))
}

pub async fn create_product(client: &mut Inventory, sku: &str, product: Product) -> anyhow::Result<Product> {
    let response = client
        .create_product(CreateProductRequest {
            product: Some(product),
            sku: sku.to_owned(),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().product.expect("the created product"))
}

/// A good named after its SKU, optionally in a category (given as its id).
pub async fn create_goods(client: &mut Inventory, sku: &str, category: Option<&str>) -> anyhow::Result<Product> {
    let product = Product {
        category: category.map(|c| format!("categories/{c}")).unwrap_or_default(),
        ..goods(&format!("Goods {sku}"))
    };
    create_product(client, sku, product).await
}

pub async fn add_cost(client: &mut Inventory, sku: &str, breakdown: CostBreakdown) -> anyhow::Result<CostBreakdown> {
    let response = client
        .create_cost_breakdown(CreateCostBreakdownRequest {
            parent: format!("products/{sku}"),
            cost_breakdown: Some(breakdown),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().cost_breakdown.expect("the created breakdown"))
}

pub async fn add_price(client: &mut Inventory, sku: &str, list_price: Money, effective: &str) -> anyhow::Result<Price> {
    let response = client
        .create_price(CreatePriceRequest {
            parent: format!("products/{sku}"),
            price: Some(Price {
                list_price: Some(list_price),
                effective_time: ts(effective),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().price.expect("the created price"))
}

pub async fn add_promotion(client: &mut Inventory, promotion: Promotion) -> anyhow::Result<Promotion> {
    let response = client
        .create_promotion(CreatePromotionRequest {
            promotion: Some(promotion),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().promotion.expect("the created promotion"))
}

/// A market estimate of `sku` for a region and segment, made at `made`.
pub async fn add_estimate(
    client: &mut Inventory,
    sku: &str,
    (region, segment): (&str, &str),
    (demand, volume): (&str, &str),
    made: &str,
) -> anyhow::Result<MarketEstimate> {
    let response = client
        .create_market_estimate(CreateMarketEstimateRequest {
            parent: format!("products/{sku}"),
            market_estimate: Some(MarketEstimate {
                region: region.to_owned(),
                segment: segment.to_owned(),
                addressable_demand: num(demand),
                expected_volume: num(volume),
                source: "2026 distributor survey".to_owned(),
                estimate_time: ts(made),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?;
    Ok(response.into_inner().market_estimate.expect("the created estimate"))
}

/// Records a movement of `sku`; `request_id` may be empty.
pub async fn record(
    client: &mut Inventory,
    sku: &str,
    movement: StockMovement,
    request_id: &str,
) -> Result<Response<RecordStockMovementResponse>, Status> {
    client
        .record_stock_movement(RecordStockMovementRequest {
            parent: format!("products/{sku}"),
            stock_movement: Some(movement),
            request_id: request_id.to_owned(),
        })
        .await
}

/// The quantity of `sku` available at `location`.
pub async fn level(client: &mut Inventory, sku: &str, location: &str) -> anyhow::Result<Decimal> {
    let response = client
        .get_stock_level(GetStockLevelRequest {
            product: format!("products/{sku}"),
            location: location.to_owned(),
        })
        .await?;
    Ok(value(
        &response.into_inner().stock_level.expect("a stock level").available,
    ))
}
