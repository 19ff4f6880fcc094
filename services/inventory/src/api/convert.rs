//! The one place inventory's proto types meet its rows and domain types.

use lacak_domain::Money;
use lacak_proto::common as common_pb;
use lacak_proto::inventory as pb;
use lacak_runtime::convert::{decimal_to_proto, money_to_proto, timestamp_to_proto};
use rust_decimal::Decimal;

use crate::domain::portfolio::{Flag, Quadrant};
use crate::domain::stock::MovementKind;
use crate::store::entities::{
    category, cost_breakdown, market_estimate, price, product, promotion, settings, stock_level, stock_movement,
};
use crate::store::strings_from_json;

/// A stored decimal; a damaged one reads as zero rather than failing the request.
pub fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

pub fn money(currency: &str, amount: Decimal) -> common_pb::Money {
    money_to_proto(&Money {
        currency: currency.to_owned(),
        amount: amount.normalize(),
    })
}

pub fn category(model: &category::Model) -> pb::Category {
    pb::Category {
        name: format!("categories/{}", model.id),
        display_name: model.display_name.clone(),
        parent: model
            .parent_id
            .as_ref()
            .map(|p| format!("categories/{p}"))
            .unwrap_or_default(),
        create_time: Some(timestamp_to_proto(model.create_time)),
    }
}

pub fn product_kind_to_proto(kind: &str) -> pb::ProductKind {
    match kind {
        "product" => pb::ProductKind::Product,
        "service" => pb::ProductKind::Service,
        _ => pb::ProductKind::Unspecified,
    }
}

pub fn product_kind_from_proto(kind: i32) -> Option<&'static str> {
    match pb::ProductKind::try_from(kind).ok()? {
        pb::ProductKind::Product => Some("product"),
        pb::ProductKind::Service => Some("service"),
        pb::ProductKind::Unspecified => None,
    }
}

pub fn product_state_from_proto(state: i32) -> Option<&'static str> {
    match pb::product::State::try_from(state).ok()? {
        pb::product::State::Active => Some("active"),
        pb::product::State::Retired => Some("retired"),
        pb::product::State::Unspecified => None,
    }
}

pub fn product(model: &product::Model) -> pb::Product {
    let state = if model.state == "retired" {
        pb::product::State::Retired
    } else {
        pb::product::State::Active
    };
    pb::Product {
        name: format!("products/{}", model.sku),
        sku: model.sku.clone(),
        display_name: model.display_name.clone(),
        kind: product_kind_to_proto(&model.kind) as i32,
        category: model
            .category_id
            .as_ref()
            .map(|c| format!("categories/{c}"))
            .unwrap_or_default(),
        unit_of_measure: model.unit_of_measure.clone(),
        state: state as i32,
        tags: strings_from_json(&model.tags),
        regions: strings_from_json(&model.regions),
        segments: strings_from_json(&model.segments),
        create_time: Some(timestamp_to_proto(model.create_time)),
        update_time: Some(timestamp_to_proto(model.update_time)),
    }
}

pub fn settings(model: &settings::Model) -> pb::InventorySettings {
    pb::InventorySettings {
        name: "inventorySettings".to_owned(),
        reps_see_costs: model.reps_see_costs,
        margin_threshold_percent: dec(&model.margin_threshold_percent).normalize().to_string(),
        allow_backorders: model.allow_backorders,
        update_time: Some(timestamp_to_proto(model.update_time)),
    }
}

pub fn cost(model: &cost_breakdown::Model) -> pb::CostBreakdown {
    let part = |amount: &str| Some(money(&model.currency, dec(amount)));
    pb::CostBreakdown {
        name: format!("products/{}/costBreakdowns/{}", model.sku, model.id),
        sourcing: part(&model.sourcing),
        materials: part(&model.materials),
        labour: part(&model.labour),
        shipping: part(&model.shipping),
        other: part(&model.other),
        tax_rate_percent: Some(decimal_to_proto(dec(&model.tax_rate_percent))),
        fee_rate_percent: Some(decimal_to_proto(dec(&model.fee_rate_percent))),
        effective_time: Some(timestamp_to_proto(model.effective_time)),
        unit_cost: part(&model.unit_cost),
        recorded_by: model.recorded_by.clone(),
        create_time: Some(timestamp_to_proto(model.create_time)),
    }
}

pub fn price(model: &price::Model) -> pb::Price {
    pb::Price {
        name: format!("products/{}/prices/{}", model.sku, model.id),
        list_price: Some(money(&model.currency, dec(&model.list_price))),
        effective_time: Some(timestamp_to_proto(model.effective_time)),
        create_time: Some(timestamp_to_proto(model.create_time)),
    }
}

pub fn stacking_to_proto(stacking: &str) -> pb::Stacking {
    match stacking {
        "exclusive" => pb::Stacking::Exclusive,
        "stackable" => pb::Stacking::Stackable,
        _ => pb::Stacking::Unspecified,
    }
}

pub fn promotion(model: &promotion::Model) -> pb::Promotion {
    let discount = if model.percent_off.is_empty() {
        pb::promotion::Discount::AmountOff(money(&model.amount_currency, dec(&model.amount_off)))
    } else {
        pb::promotion::Discount::PercentOff(decimal_to_proto(dec(&model.percent_off)))
    };
    let scope = match model.scope_kind.as_str() {
        "product" => pb::promotion::Scope::Product(format!("products/{}", model.scope_ref)),
        "category" => pb::promotion::Scope::Category(format!("categories/{}", model.scope_ref)),
        _ => pb::promotion::Scope::AllProducts(true),
    };
    pb::Promotion {
        name: format!("promotions/{}", model.id),
        display_name: model.display_name.clone(),
        discount: Some(discount),
        scope: Some(scope),
        start_time: Some(timestamp_to_proto(model.start_time)),
        end_time: Some(timestamp_to_proto(model.end_time)),
        stacking: stacking_to_proto(&model.stacking) as i32,
        create_time: Some(timestamp_to_proto(model.create_time)),
    }
}

pub fn estimate(model: &market_estimate::Model) -> pb::MarketEstimate {
    pb::MarketEstimate {
        name: format!("products/{}/marketEstimates/{}", model.sku, model.id),
        region: model.region.clone(),
        segment: model.segment.clone(),
        addressable_demand: Some(decimal_to_proto(dec(&model.addressable_demand))),
        expected_volume: Some(decimal_to_proto(dec(&model.expected_volume))),
        source: model.source.clone(),
        estimate_time: Some(timestamp_to_proto(model.estimate_time)),
        create_time: Some(timestamp_to_proto(model.create_time)),
    }
}

pub fn movement_kind_from_proto(kind: i32) -> Option<MovementKind> {
    match pb::MovementKind::try_from(kind).ok()? {
        pb::MovementKind::Received => Some(MovementKind::Received),
        pb::MovementKind::Sold => Some(MovementKind::Sold),
        pb::MovementKind::WrittenOff => Some(MovementKind::WrittenOff),
        pb::MovementKind::Counted => Some(MovementKind::Counted),
        pb::MovementKind::Unspecified => None,
    }
}

fn movement_kind_to_proto(kind: &str) -> pb::MovementKind {
    match MovementKind::parse(kind) {
        Some(MovementKind::Received) => pb::MovementKind::Received,
        Some(MovementKind::Sold) => pb::MovementKind::Sold,
        Some(MovementKind::WrittenOff) => pb::MovementKind::WrittenOff,
        Some(MovementKind::Counted) => pb::MovementKind::Counted,
        None => pb::MovementKind::Unspecified,
    }
}

pub fn movement(model: &stock_movement::Model) -> pb::StockMovement {
    pb::StockMovement {
        name: format!("products/{}/stockMovements/{}", model.sku, model.id),
        location: model.location.clone(),
        kind: movement_kind_to_proto(&model.kind) as i32,
        quantity: Some(decimal_to_proto(dec(&model.quantity))),
        level_after: Some(decimal_to_proto(dec(&model.level_after))),
        reference: model.reference.clone(),
        time: Some(timestamp_to_proto(model.time)),
        recorded_by: model.recorded_by.clone(),
    }
}

pub fn level(model: &stock_level::Model) -> pb::StockLevel {
    pb::StockLevel {
        product: format!("products/{}", model.sku),
        location: model.location.clone(),
        available: Some(decimal_to_proto(dec(&model.quantity))),
        update_time: Some(timestamp_to_proto(model.update_time)),
    }
}

pub fn quadrant(quadrant: Quadrant) -> pb::Quadrant {
    match quadrant {
        Quadrant::Unplaced => pb::Quadrant::Unspecified,
        Quadrant::HighMarginHighPotential => pb::Quadrant::HighMarginHighPotential,
        Quadrant::HighMarginLowPotential => pb::Quadrant::HighMarginLowPotential,
        Quadrant::LowMarginHighPotential => pb::Quadrant::LowMarginHighPotential,
        Quadrant::LowMarginLowPotential => pb::Quadrant::LowMarginLowPotential,
    }
}

pub fn flag(flag: Flag) -> pb::Flag {
    match flag {
        Flag::NegativeMarginUnderPromotions => pb::Flag::NegativeMarginUnderPromotions,
        Flag::MarginBelowThreshold => pb::Flag::MarginBelowThreshold,
        Flag::NoCost => pb::Flag::NoCost,
        Flag::NoPrice => pb::Flag::NoPrice,
        Flag::NoEstimate => pb::Flag::NoEstimate,
    }
}
