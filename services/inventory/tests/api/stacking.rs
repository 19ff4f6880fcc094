//! How promotions combine on one unit: stackables compound then take amounts off, exclusives
//! compete alone, the buyer gets the lowest price, never below zero.

use lacak_proto::inventory::{GetProfitabilityRequest, Promotion, Stacking, promotion};
use rust_decimal::Decimal;

use crate::helpers::{
    Inventory, add_cost, add_price, add_promotion, amount, amount_off, create_category, create_goods, dec, money,
    on_category, on_product, percent_off, sourcing_cost, spawn_app,
};
use crate::profitability::{figures, in_usd};

const START: &str = "2026-01-01T00:00:00Z";
const END: &str = "2026-03-01T00:00:00Z";
const DURING: &str = "2026-02-01T00:00:00Z";

/// W-1 in laptops > gaming and W-2 in phones, each listed at 100 USD and costing 10 USD.
async fn two_products(admin: &mut Inventory) -> anyhow::Result<()> {
    create_category(admin, "laptops", None).await?;
    create_category(admin, "gaming", Some("laptops")).await?;
    create_category(admin, "phones", None).await?;
    for (sku, category) in [("W-1", "gaming"), ("W-2", "phones")] {
        create_goods(admin, sku, Some(category)).await?;
        add_price(admin, sku, money("USD", "100"), "2025-01-01T00:00:00Z").await?;
        add_cost(admin, sku, sourcing_cost("USD", "10", "2025-01-01T00:00:00Z")).await?;
    }
    Ok(())
}

fn pct(percent: &str, scope: promotion::Scope, stacking: Stacking) -> Promotion {
    percent_off(percent, scope, stacking, START, END)
}

fn off(usd: &str, scope: promotion::Scope, stacking: Stacking) -> Promotion {
    amount_off(money("USD", usd), scope, stacking, START, END)
}

async fn create(admin: &mut Inventory, promotions: Vec<Promotion>) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for p in promotions {
        names.push(add_promotion(admin, p).await?.name);
    }
    Ok(names)
}

/// The net price of one unit of `sku` at `time` under the running promotions, and which applied.
async fn net(admin: &mut Inventory, sku: &str, time: &str) -> anyhow::Result<(Decimal, Vec<String>)> {
    let p = figures(
        admin,
        GetProfitabilityRequest {
            apply_running_promotions: true,
            ..in_usd(sku, time)
        },
    )
    .await?;
    let mut applied = p.applied_promotions;
    applied.sort();
    Ok((amount(&p.net_price), applied))
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[tokio::test]
async fn stackable_percentages_compound_before_amounts_come_off() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    two_products(&mut admin).await?;
    use Stacking::Stackable;
    let names = create(
        &mut admin,
        vec![
            pct("10", on_product("W-1"), Stackable),
            pct("20", promotion::Scope::AllProducts(true), Stackable),
            off("5", on_product("W-1"), Stackable),
            off("3", on_category("laptops"), Stackable),
        ],
    )
    .await?;

    // 100 × 0.8 × 0.9 = 72, then 5 and 3 off: 64 (not (100 − 8) × 0.72 = 66.24).
    assert_eq!(
        net(&mut admin, "W-1", DURING).await?,
        (dec("64"), sorted(names.clone()))
    );
    // W-2 only gets the catalogue-wide 20%.
    assert_eq!(
        net(&mut admin, "W-2", DURING).await?,
        (dec("80"), vec![names[1].clone()])
    );
    Ok(())
}

#[tokio::test]
async fn the_buyer_gets_the_lowest_of_the_stack_and_each_exclusive() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    two_products(&mut admin).await?;
    use Stacking::{Exclusive, Stackable};
    let stack = create(
        &mut admin,
        vec![
            pct("10", on_product("W-1"), Stackable),
            pct("20", on_product("W-1"), Stackable),
            off("5", on_product("W-1"), Stackable),
        ],
    )
    .await?;
    let exclusive_30 = create(&mut admin, vec![pct("30", on_product("W-1"), Exclusive)]).await?;

    // The stack gives 67; 30% alone gives 70.
    assert_eq!(net(&mut admin, "W-1", DURING).await?, (dec("67"), sorted(stack)));

    let exclusive_40 = create(&mut admin, vec![pct("40", on_category("gaming"), Exclusive)]).await?;
    // 40% alone gives 60 and wins; it is the only promotion applied.
    assert_eq!(net(&mut admin, "W-1", DURING).await?, (dec("60"), exclusive_40));
    assert!(!exclusive_30.is_empty());
    Ok(())
}

#[tokio::test]
async fn an_exclusive_amount_can_beat_a_stack_of_percentages() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    two_products(&mut admin).await?;
    use Stacking::{Exclusive, Stackable};
    create(
        &mut admin,
        vec![
            pct("10", on_product("W-1"), Stackable),
            pct("10", on_product("W-1"), Stackable),
        ],
    )
    .await?;
    let big_amount = create(&mut admin, vec![off("25", on_product("W-1"), Exclusive)]).await?;

    // The stack gives 81; 25 off alone gives 75.
    assert_eq!(net(&mut admin, "W-1", DURING).await?, (dec("75"), big_amount));
    Ok(())
}

#[tokio::test]
async fn a_net_price_never_goes_below_zero() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    two_products(&mut admin).await?;
    create(
        &mut admin,
        vec![
            pct("50", on_product("W-1"), Stacking::Stackable),
            off("80", on_product("W-1"), Stacking::Stackable),
        ],
    )
    .await?;

    let (price, _) = net(&mut admin, "W-1", DURING).await?;
    assert_eq!(price, dec("0"), "50 − 80 is clamped to zero");
    Ok(())
}

#[tokio::test]
async fn an_amount_in_another_currency_is_ignored_when_running() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    two_products(&mut admin).await?;
    let euros = amount_off(money("EUR", "30"), on_product("W-1"), Stacking::Exclusive, START, END);
    create(&mut admin, vec![euros]).await?;
    let ten = create(&mut admin, vec![pct("10", on_product("W-1"), Stacking::Stackable)]).await?;

    assert_eq!(net(&mut admin, "W-1", DURING).await?, (dec("90"), ten));
    Ok(())
}

#[tokio::test]
async fn a_promotion_runs_from_its_start_inclusive_to_its_end_exclusive() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    two_products(&mut admin).await?;
    let half = create(&mut admin, vec![pct("50", on_category("laptops"), Stacking::Exclusive)]).await?;

    assert_eq!(
        net(&mut admin, "W-1", START).await?,
        (dec("50"), half.clone()),
        "at its start"
    );
    assert_eq!(
        net(&mut admin, "W-1", "2026-02-28T23:59:59.999999999Z").await?,
        (dec("50"), half)
    );
    assert_eq!(net(&mut admin, "W-1", END).await?, (dec("100"), vec![]), "at its end");
    assert_eq!(
        net(&mut admin, "W-1", "2025-12-31T23:59:59Z").await?,
        (dec("100"), vec![]),
        "before"
    );
    assert_eq!(
        net(&mut admin, "W-2", DURING).await?,
        (dec("100"), vec![]),
        "phones are not laptops"
    );
    Ok(())
}

#[tokio::test]
async fn a_named_promotion_that_is_also_running_applies_once() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    two_products(&mut admin).await?;
    let ten = create(&mut admin, vec![pct("10", on_product("W-1"), Stacking::Stackable)]).await?;

    let request = GetProfitabilityRequest {
        promotions: ten.clone(),
        apply_running_promotions: true,
        ..in_usd("W-1", DURING)
    };
    let p = figures(&mut admin, request).await?;

    assert_eq!(amount(&p.net_price), dec("90"), "10% off once, not 81");
    assert_eq!(p.applied_promotions, ten);
    Ok(())
}
