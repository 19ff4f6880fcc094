//! Stock on hand: an append-only ledger per product and location, and the levels it yields.

use lacak_domain::Role;
use lacak_proto::inventory as pb;
use lacak_runtime::Violations;
use lacak_runtime::convert::{decimal_from_proto, decimal_to_proto, timestamp_to_proto};
use lacak_runtime::page::PageRequest;
use rust_decimal::Decimal;
use tonic::Request;

use super::costs::instant_or_now;
use super::{InventoryApi, convert, principal, write_once};
use crate::domain::names::{new_id, product_sku, validate_label};
use crate::domain::stock::MovementKind;
use crate::error::{InventoryError, InventoryResult};
use crate::store::{self, stock::NewMovement};

pub async fn record(
    api: &InventoryApi,
    request: Request<pb::RecordStockMovementRequest>,
) -> InventoryResult<pb::RecordStockMovementResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let input = req.stock_movement.clone().unwrap_or_default();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.parent, "parent"));
    let location = violations.take(validate_label(&input.location, "stock_movement.location"));
    let kind = convert::movement_kind_from_proto(input.kind);
    if kind.is_none() {
        violations.add(
            "stock_movement.kind",
            "is required: RECEIVED, SOLD, WRITTEN_OFF or COUNTED",
        );
    }
    let quantity = match &input.quantity {
        Some(q) => violations.take(decimal_from_proto(q, "stock_movement.quantity.value")),
        None => {
            violations.add("stock_movement.quantity", "is required");
            None
        }
    };
    match (kind, quantity) {
        (Some(MovementKind::Counted), Some(q)) if q < Decimal::ZERO => {
            violations.add("stock_movement.quantity", "a count must not be negative")
        }
        (Some(k), Some(q)) if k != MovementKind::Counted && q <= Decimal::ZERO => {
            violations.add("stock_movement.quantity", "must be above zero")
        }
        _ => {}
    }
    let time = instant_or_now(&mut violations, input.time.as_ref(), "stock_movement.time");
    if input.reference.chars().count() > 200 {
        violations.add("stock_movement.reference", "must be at most 200 characters");
    }
    violations.finish()?;
    let (Some(sku), Some(location), Some(kind), Some(quantity)) = (sku, location, kind, quantity) else {
        return Err(InventoryError::invalid("stock_movement", "is incomplete"));
    };
    match (caller.role, kind) {
        (Role::Admin | Role::Manager, _) | (Role::Service, MovementKind::Sold) => {}
        _ => {
            return Err(InventoryError::denied(
                "admins and managers move stock; services record sales; reps do not",
            ));
        }
    }
    let db = api.db()?;
    let tenant = &caller.tenant;
    let product = store::catalogue::product(db, tenant, &sku).await?;
    if product.kind == "service" {
        return Err(InventoryError::precondition(
            "SERVICE_HAS_NO_STOCK",
            format!("products/{sku} is a service; services have no stock"),
        ));
    }
    let allow_backorders = store::settings::settings(db, tenant).await?.allow_backorders;
    let movement = NewMovement {
        tenant,
        sku: &sku,
        id: new_id(),
        location,
        kind,
        quantity,
        reference: input.reference.trim().to_owned(),
        time,
        recorded_by: caller.subject.clone(),
        allow_backorders,
    };
    let id = write_once(db, tenant, "RecordStockMovement", &req.request_id, &req, async |txn| {
        Ok(store::stock::record(txn, movement).await?.id)
    })
    .await?;
    let recorded = store::stock::movement(db, tenant, &sku, &id).await?;
    Ok(pb::RecordStockMovementResponse {
        stock_movement: Some(convert::movement(&recorded)),
    })
}

pub async fn list_movements(
    api: &InventoryApi,
    request: Request<pb::ListStockMovementsRequest>,
) -> InventoryResult<pb::ListStockMovementsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.parent, "parent"));
    let location = if req.location.is_empty() {
        None
    } else {
        violations.take(validate_label(&req.location, "location"))
    };
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListStockMovements", &req.parent, &req.location],
    ));
    violations.finish()?;
    let (Some(sku), Some(page)) = (sku, page) else {
        return Err(InventoryError::invalid("parent", "is invalid"));
    };
    let db = api.db()?;
    store::catalogue::product(db, &caller.tenant, &sku).await?;
    let rows = store::stock::movements(db, &caller.tenant, &sku, location.as_deref(), &page).await?;
    let (rows, next_page_token) = page.finish(rows, |m| m.id.clone());
    Ok(pb::ListStockMovementsResponse {
        stock_movements: rows.iter().map(convert::movement).collect(),
        next_page_token,
    })
}

pub async fn get_level(
    api: &InventoryApi,
    request: Request<pb::GetStockLevelRequest>,
) -> InventoryResult<pb::GetStockLevelResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let sku = violations.take(product_sku(&req.product, "product"));
    let location = violations.take(validate_label(&req.location, "location"));
    violations.finish()?;
    let (Some(sku), Some(location)) = (sku, location) else {
        return Err(InventoryError::invalid("product", "is invalid"));
    };
    let db = api.db()?;
    store::catalogue::product(db, &caller.tenant, &sku).await?;
    let level = match store::stock::level(db, &caller.tenant, &sku, &location).await? {
        Some(level) => convert::level(&level),
        None => pb::StockLevel {
            product: format!("products/{sku}"),
            location,
            available: Some(decimal_to_proto(Decimal::ZERO)),
            update_time: Some(timestamp_to_proto(lacak_runtime::convert::now())),
        },
    };
    Ok(pb::GetStockLevelResponse {
        stock_level: Some(level),
    })
}

pub async fn list_levels(
    api: &InventoryApi,
    request: Request<pb::ListStockLevelsRequest>,
) -> InventoryResult<pb::ListStockLevelsResponse> {
    let caller = principal(&request)?;
    let req = request.into_inner();
    let mut violations = Violations::new();
    let sku = if req.product.is_empty() {
        None
    } else {
        violations.take(product_sku(&req.product, "product"))
    };
    let location = if req.location.is_empty() {
        None
    } else {
        violations.take(validate_label(&req.location, "location"))
    };
    let page = violations.take(PageRequest::parse(
        req.page_size,
        &req.page_token,
        &[&caller.tenant, "ListStockLevels", &req.product, &req.location],
    ));
    violations.finish()?;
    let page = page.ok_or_else(|| InventoryError::invalid("page_token", "is invalid"))?;
    let rows = store::stock::levels(api.db()?, &caller.tenant, sku.as_deref(), location.as_deref(), &page).await?;
    let (rows, next_page_token) = page.finish(rows, |l| format!("{}|{}", l.sku, l.location));
    Ok(pb::ListStockLevelsResponse {
        stock_levels: rows.iter().map(convert::level).collect(),
        next_page_token,
    })
}
