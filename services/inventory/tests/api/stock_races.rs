//! The ledger under concurrent callers: retries move stock once, and stock is never oversold.

use lacak_proto::inventory::{ListStockMovementsRequest, MovementKind};
use tonic::Code;

use crate::helpers::{Inventory, create_goods, dec, level, movement, reason, record, spawn_app, value};

const DC: &str = "jakarta-dc";

async fn ledger(admin: &mut Inventory, sku: &str) -> anyhow::Result<Vec<lacak_proto::inventory::StockMovement>> {
    let page = admin
        .list_stock_movements(ListStockMovementsRequest {
            parent: format!("products/{sku}"),
            page_size: 1000,
            ..Default::default()
        })
        .await?
        .into_inner();
    Ok(page.stock_movements)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_retries_of_one_sale_sell_once() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    record(&mut admin, "W-1", movement(DC, MovementKind::Received, "100"), "").await?;

    let mut retries = Vec::new();
    for _ in 0..20 {
        let mut client = admin.clone();
        retries.push(tokio::spawn(async move {
            record(
                &mut client,
                "W-1",
                movement(DC, MovementKind::Sold, "3"),
                "order-42-line-1",
            )
            .await
        }));
    }
    let mut names = Vec::new();
    let mut failures = Vec::new();
    for retry in retries {
        match retry.await? {
            Ok(answer) => names.push(answer.into_inner().stock_movement.expect("a movement").name),
            Err(status) => failures.push(format!("{:?}: {}", status.code(), status.message())),
        }
    }

    assert!(
        failures.is_empty(),
        "every retry answers the first movement; {} failed: {failures:#?}",
        failures.len()
    );
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 1, "one movement, named once: {names:?}");
    assert_eq!(level(&mut admin, "W-1", DC).await?, dec("97"), "sold exactly once");
    let sold: Vec<_> = ledger(&mut admin, "W-1")
        .await?
        .into_iter()
        .filter(|m| m.kind == MovementKind::Sold as i32)
        .collect();
    assert_eq!(sold.len(), 1, "one sale in the ledger: {sold:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_sales_of_five_units_in_stock_sell_exactly_five() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    record(&mut admin, "W-1", movement(DC, MovementKind::Received, "5"), "").await?;

    let mut sales = Vec::new();
    for i in 0..10 {
        let mut client = admin.clone();
        sales.push(tokio::spawn(async move {
            record(
                &mut client,
                "W-1",
                movement(DC, MovementKind::Sold, "1"),
                &format!("order-{i}"),
            )
            .await
        }));
    }
    let (mut sold, mut refused, mut other) = (0, 0, Vec::new());
    for sale in sales {
        match sale.await? {
            Ok(_) => sold += 1,
            Err(status) if status.code() == Code::FailedPrecondition && reason(&status) == "INSUFFICIENT_STOCK" => {
                refused += 1
            }
            Err(status) => other.push(format!(
                "{:?} {:?}: {}",
                status.code(),
                reason(&status),
                status.message()
            )),
        }
    }

    assert!(other.is_empty(), "refusals other than INSUFFICIENT_STOCK: {other:#?}");
    assert_eq!((sold, refused), (5, 5), "exactly the five units in stock are sold");
    assert_eq!(level(&mut admin, "W-1", DC).await?, dec("0"));
    let mut afters: Vec<_> = ledger(&mut admin, "W-1")
        .await?
        .iter()
        .map(|m| value(&m.level_after))
        .collect();
    afters.sort();
    assert_eq!(
        afters,
        [dec("0"), dec("1"), dec("2"), dec("3"), dec("4"), dec("5")],
        "never negative, each level once"
    );
    Ok(())
}
