//! The stock ledger: movements append, levels follow, nothing goes below zero unless allowed.

use chrono::{Duration, Utc};
use lacak_proto::inventory::{
    InventorySettings, ListStockLevelsRequest, ListStockMovementsRequest, MovementKind, Product, ProductKind,
    StockMovement, UpdateInventorySettingsRequest,
};
use rust_decimal::Decimal;

use crate::helpers::{
    ADMIN, Inventory, assert_all_ok, assert_code, assert_invalid, assert_precondition, check_invalid, create_goods,
    create_product, dec, goods, instant, level, mask, movement, num, record, spawn_app, value,
};
use MovementKind::{Counted, Received, Sold, WrittenOff};

const DC: &str = "jakarta-dc";

async fn level_after(client: &mut Inventory, sku: &str, m: StockMovement) -> anyhow::Result<Decimal> {
    let recorded = record(client, sku, m, "")
        .await?
        .into_inner()
        .stock_movement
        .expect("the movement");
    Ok(value(&recorded.level_after))
}

pub async fn allow_backorders(admin: &mut Inventory) -> anyhow::Result<()> {
    admin
        .update_inventory_settings(UpdateInventorySettingsRequest {
            settings: Some(InventorySettings {
                allow_backorders: true,
                ..Default::default()
            }),
            update_mask: mask(&["allow_backorders"]),
        })
        .await?;
    Ok(())
}

#[tokio::test]
async fn receipts_add_sales_and_write_offs_subtract_and_counts_set_the_level() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    assert_eq!(
        level(&mut admin, "W-1", DC).await?,
        dec("0"),
        "zero where nothing moved"
    );

    let before = Utc::now();
    let first = record(&mut admin, "W-1", movement(DC, Received, "10"), "")
        .await?
        .into_inner()
        .stock_movement
        .expect("the movement");
    assert!(first.name.starts_with("products/W-1/stockMovements/"), "{}", first.name);
    assert_eq!(value(&first.level_after), dec("10"));
    assert_eq!(first.recorded_by, ADMIN);
    assert_eq!(first.reference, "Received 10");
    let at = instant(&first.time);
    assert!(
        at >= before - Duration::seconds(5) && at <= Utc::now() + Duration::seconds(5),
        "time defaults to now: {at}"
    );

    let mut afters = Vec::new();
    for m in [
        movement(DC, Sold, "3"),
        movement(DC, WrittenOff, "2.5"),
        movement(DC, Counted, "8"),
        movement(DC, Sold, "8"),
        movement(DC, Counted, "0"),
    ] {
        afters.push(level_after(&mut admin, "W-1", m).await?);
    }
    assert_eq!(afters, [dec("7"), dec("4.5"), dec("8"), dec("0"), dec("0")]);
    level_after(&mut admin, "W-1", movement(DC, Received, "4")).await?;
    assert_eq!(level(&mut admin, "W-1", DC).await?, dec("4"));
    assert_eq!(
        level(&mut admin, "W-1", "surabaya-dc").await?,
        dec("0"),
        "another location did not move"
    );
    Ok(())
}

#[tokio::test]
async fn stock_never_goes_below_zero_unless_backorders_are_allowed() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    level_after(&mut admin, "W-1", movement(DC, Received, "2")).await?;

    assert_precondition(
        record(&mut admin, "W-1", movement(DC, Sold, "3"), "").await,
        "INSUFFICIENT_STOCK",
    );
    assert_precondition(
        record(&mut admin, "W-1", movement(DC, WrittenOff, "2.01"), "").await,
        "INSUFFICIENT_STOCK",
    );
    assert_eq!(
        level(&mut admin, "W-1", DC).await?,
        dec("2"),
        "a refused movement moves nothing"
    );

    allow_backorders(&mut admin).await?;
    assert_eq!(
        level_after(&mut admin, "W-1", movement(DC, Sold, "3")).await?,
        dec("-1")
    );
    assert_eq!(level(&mut admin, "W-1", DC).await?, dec("-1"));
    Ok(())
}

#[tokio::test]
async fn a_service_has_no_stock() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let consulting = Product {
        kind: ProductKind::Service as i32,
        unit_of_measure: "hour".into(),
        ..goods("Consulting")
    };
    create_product(&mut admin, "SVC-1", consulting).await?;

    let answer = record(&mut admin, "SVC-1", movement(DC, Received, "1"), "").await;
    assert_code(answer, tonic::Code::FailedPrecondition);
    Ok(())
}

#[tokio::test]
async fn a_movement_needs_a_location_a_kind_and_a_sensible_quantity() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let cases = [
        ("no location", movement("", Received, "1"), "stock_movement.location"),
        (
            "no kind",
            movement(DC, MovementKind::Unspecified, "1"),
            "stock_movement.kind",
        ),
        ("nothing sold", movement(DC, Sold, "0"), "stock_movement.quantity"),
        (
            "negative receipt",
            movement(DC, Received, "-1"),
            "stock_movement.quantity",
        ),
        ("negative count", movement(DC, Counted, "-1"), "stock_movement.quantity"),
        (
            "no quantity",
            StockMovement {
                quantity: None,
                ..movement(DC, Received, "1")
            },
            "stock_movement.quantity",
        ),
        // Text that is no decimal at all is named down to the Decimal's `value`.
        (
            "not a number",
            StockMovement {
                quantity: num("lots"),
                ..movement(DC, Received, "1")
            },
            "stock_movement.quantity*",
        ),
    ];
    let mut outcomes = Vec::new();
    for (case, m, field) in cases {
        outcomes.push((
            case.to_owned(),
            check_invalid(record(&mut admin, "W-1", m, "").await, field),
        ));
    }
    assert_all_ok(outcomes);
    assert_eq!(level(&mut admin, "W-1", DC).await?, dec("0"));
    Ok(())
}

#[tokio::test]
async fn a_retried_movement_moves_the_stock_once() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    level_after(&mut admin, "W-1", movement(DC, Received, "10")).await?;

    let first = record(&mut admin, "W-1", movement(DC, Sold, "4"), "sale-0001")
        .await?
        .into_inner()
        .stock_movement;
    let again = record(&mut admin, "W-1", movement(DC, Sold, "4"), "sale-0001")
        .await?
        .into_inner()
        .stock_movement;

    let (first, again) = (first.expect("a movement"), again.expect("a movement"));
    assert_eq!(again.name, first.name, "the retry answers the first movement");
    assert_eq!(value(&again.level_after), dec("6"));
    assert_eq!(level(&mut admin, "W-1", DC).await?, dec("6"), "sold once");

    let different = record(&mut admin, "W-1", movement(DC, Sold, "5"), "sale-0001").await;
    assert_invalid(different, "request_id");
    assert_eq!(level(&mut admin, "W-1", DC).await?, dec("6"));
    Ok(())
}

#[tokio::test]
async fn the_ledger_lists_oldest_first_and_levels_list_by_product_and_location() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    create_goods(&mut admin, "W-2", None).await?;
    for (sku, m) in [
        ("W-1", movement(DC, Received, "5")),
        ("W-1", movement("surabaya-dc", Received, "3")),
        ("W-2", movement(DC, Received, "7")),
        ("W-1", movement(DC, Sold, "1")),
    ] {
        level_after(&mut admin, sku, m).await?;
    }

    let ledger = admin
        .list_stock_movements(ListStockMovementsRequest {
            parent: "products/W-1".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .stock_movements;
    let lines: Vec<_> = ledger
        .iter()
        .map(|m| (m.location.as_str(), value(&m.level_after)))
        .collect();
    assert_eq!(
        lines,
        [(DC, dec("5")), ("surabaya-dc", dec("3")), (DC, dec("4"))],
        "oldest first"
    );
    let at_dc = admin
        .list_stock_movements(ListStockMovementsRequest {
            parent: "products/W-1".into(),
            location: DC.into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .stock_movements;
    assert_eq!(at_dc.len(), 2);

    let levels = |product: &str, location: &str| ListStockLevelsRequest {
        product: product.into(),
        location: location.into(),
        ..Default::default()
    };
    let of_w1 = admin
        .list_stock_levels(levels("products/W-1", ""))
        .await?
        .into_inner()
        .stock_levels;
    let got: Vec<_> = of_w1
        .iter()
        .map(|l| (l.product.as_str(), l.location.as_str(), value(&l.available)))
        .collect();
    assert_eq!(
        got,
        [
            ("products/W-1", DC, dec("4")),
            ("products/W-1", "surabaya-dc", dec("3"))
        ]
    );
    let at_jakarta = admin.list_stock_levels(levels("", DC)).await?.into_inner().stock_levels;
    let got: Vec<_> = at_jakarta
        .iter()
        .map(|l| (l.product.as_str(), value(&l.available)))
        .collect();
    assert_eq!(got, [("products/W-1", dec("4")), ("products/W-2", dec("7"))]);
    assert_eq!(
        admin
            .list_stock_levels(levels("", ""))
            .await?
            .into_inner()
            .stock_levels
            .len(),
        3
    );
    Ok(())
}
