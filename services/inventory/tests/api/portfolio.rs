//! The portfolio assessment: every active product ranked by margin and expected contribution,
//! placed in a quadrant, and flagged when it deserves a look.

use lacak_proto::inventory::{
    Flag, GetPortfolioAssessmentRequest, GetPortfolioAssessmentResponse, InventorySettings, PortfolioItem, Product,
    Quadrant, Stacking, UpdateInventorySettingsRequest, UpdateProductRequest, product,
};
use rust_decimal::Decimal;

use crate::helpers::{
    Inventory, add_cost, add_estimate, add_price, add_promotion, amount, assert_invalid, create_goods, dec, mask,
    money, on_product, percent_off, sourcing_cost, spawn_app, ts, value,
};

const EFFECTIVE: &str = "2026-01-01T00:00:00Z";
const ASSESSED: &str = "2026-03-01T00:00:00Z";

/// A good listed at 100 USD costing `cost` USD (no tax, no fees), or without price or cost.
async fn listed(admin: &mut Inventory, sku: &str, price: Option<&str>, cost: Option<&str>) -> anyhow::Result<()> {
    create_goods(admin, sku, None).await?;
    if let Some(price) = price {
        add_price(admin, sku, money("USD", price), EFFECTIVE).await?;
    }
    if let Some(cost) = cost {
        add_cost(admin, sku, sourcing_cost("USD", cost, EFFECTIVE)).await?;
    }
    Ok(())
}

async fn volume(
    admin: &mut Inventory,
    sku: &str,
    (region, segment): (&str, &str),
    units: &str,
    made: &str,
) -> anyhow::Result<()> {
    add_estimate(admin, sku, (region, segment), ("100000", units), made).await?;
    Ok(())
}

async fn assess(admin: &mut Inventory, time: Option<&str>) -> anyhow::Result<GetPortfolioAssessmentResponse> {
    let request = GetPortfolioAssessmentRequest {
        currency_code: "USD".into(),
        time: time.and_then(ts),
    };
    Ok(admin.get_portfolio_assessment(request).await?.into_inner())
}

fn flags(item: &PortfolioItem) -> Vec<Flag> {
    let mut flags: Vec<Flag> = item
        .flags
        .iter()
        .map(|f| Flag::try_from(*f).unwrap_or(Flag::Unspecified))
        .collect();
    flags.sort_by_key(|f| *f as i32);
    flags
}

fn sku(item: &PortfolioItem) -> &str {
    item.product.trim_start_matches("products/")
}

/// One line per item, to compare a whole assessment at once: (sku, net margin %, expected volume,
/// expected contribution, margin rank, contribution rank, quadrant, flags).
type Row = (
    String,
    Option<Decimal>,
    Option<Decimal>,
    Option<Decimal>,
    i32,
    i32,
    Quadrant,
    Vec<Flag>,
);

fn row(item: &PortfolioItem) -> Row {
    (
        sku(item).to_owned(),
        item.profitability.as_ref().map(|p| value(&p.net_margin_percent)),
        item.expected_volume.as_ref().map(|_| value(&item.expected_volume)),
        item.expected_contribution
            .as_ref()
            .map(|_| amount(&item.expected_contribution)),
        item.margin_rank,
        item.contribution_rank,
        Quadrant::try_from(item.quadrant).unwrap_or(Quadrant::Unspecified),
        flags(item),
    )
}

#[tokio::test]
async fn the_catalogue_is_ranked_placed_and_flagged() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    listed(&mut admin, "A", Some("100"), Some("40")).await?;
    listed(&mut admin, "B", Some("100"), Some("80")).await?;
    listed(&mut admin, "C", Some("100"), Some("95")).await?;
    listed(&mut admin, "D", Some("100"), Some("30")).await?;
    listed(&mut admin, "E", None, Some("50")).await?;
    listed(&mut admin, "F", Some("100"), None).await?;
    listed(&mut admin, "G", Some("100"), Some("10")).await?;
    listed(&mut admin, "H", Some("100"), Some("90")).await?;
    // A's volume: the latest (id, smb) estimate, 300, plus (sg, any) 100. Recorded out of order.
    volume(&mut admin, "A", ("id", "smb"), "300", "2026-02-01T00:00:00Z").await?;
    volume(&mut admin, "A", ("id", "smb"), "100", "2026-01-01T00:00:00Z").await?;
    volume(&mut admin, "A", ("sg", ""), "100", "2026-01-15T00:00:00Z").await?;
    volume(&mut admin, "B", ("id", "smb"), "1000", "2026-01-01T00:00:00Z").await?;
    volume(&mut admin, "C", ("", ""), "500", "2026-01-01T00:00:00Z").await?;
    volume(&mut admin, "G", ("", ""), "9999", "2026-01-01T00:00:00Z").await?;
    volume(&mut admin, "H", ("", ""), "10", "2026-01-01T00:00:00Z").await?;
    // H sells at 20% off now (80 against a cost of 90); A's half-price sale is over.
    let h_sale = add_promotion(
        &mut admin,
        percent_off(
            "20",
            on_product("H"),
            Stacking::Stackable,
            "2026-02-01T00:00:00Z",
            "2026-04-01T00:00:00Z",
        ),
    )
    .await?;
    add_promotion(
        &mut admin,
        percent_off(
            "50",
            on_product("A"),
            Stacking::Stackable,
            EFFECTIVE,
            "2026-02-01T00:00:00Z",
        ),
    )
    .await?;
    retire(&mut admin, "G").await?;

    let assessment = assess(&mut admin, Some(ASSESSED)).await?;

    use Flag::{MarginBelowThreshold, NegativeMarginUnderPromotions, NoCost, NoEstimate, NoPrice};
    use Quadrant::*;
    let d = |s: &str| Some(dec(s));
    let expected = vec![
        (
            "A".to_owned(),
            d("60"),
            d("400"),
            d("24000"),
            2,
            1,
            HighMarginLowPotential,
            vec![],
        ),
        (
            "B".to_owned(),
            d("20"),
            d("1000"),
            d("20000"),
            3,
            2,
            HighMarginHighPotential,
            vec![],
        ),
        (
            "C".to_owned(),
            d("5"),
            d("500"),
            d("2500"),
            4,
            3,
            LowMarginHighPotential,
            vec![MarginBelowThreshold],
        ),
        (
            "H".to_owned(),
            d("-12.5"),
            d("10"),
            d("-100"),
            5,
            4,
            LowMarginLowPotential,
            vec![NegativeMarginUnderPromotions, MarginBelowThreshold],
        ),
        ("D".to_owned(), d("70"), None, None, 1, 0, Unspecified, vec![NoEstimate]),
        (
            "E".to_owned(),
            None,
            None,
            None,
            0,
            0,
            Unspecified,
            vec![NoPrice, NoEstimate],
        ),
        (
            "F".to_owned(),
            None,
            None,
            None,
            0,
            0,
            Unspecified,
            vec![NoCost, NoEstimate],
        ),
    ];
    let got: Vec<_> = assessment.items.iter().map(row).collect();
    assert_eq!(
        got, expected,
        "(sku, margin %, volume, contribution, margin rank, contribution rank, quadrant, flags)"
    );

    assert_eq!(
        value(&assessment.median_margin_percent),
        dec("20"),
        "the middle of -12.5, 5, 20, 60, 70"
    );
    assert_eq!(
        value(&assessment.median_expected_volume),
        dec("450"),
        "the mean of 400 and 500"
    );
    assert_eq!(
        value(&assessment.margin_threshold_percent),
        dec("10"),
        "the default threshold"
    );
    let h = &assessment.items[3];
    let h_now = h.profitability.as_ref().expect("H's profitability");
    assert_eq!(amount(&h_now.net_price), dec("80"));
    assert_eq!(h_now.applied_promotions, [h_sale.name]);
    assert_eq!(value(&h_now.quantity), dec("1"));
    assert!(
        assessment.items[0]
            .profitability
            .as_ref()
            .is_some_and(|p| p.applied_promotions.is_empty())
    );
    assert_eq!(assessment.items[0].display_name, "Goods A");
    Ok(())
}

async fn retire(admin: &mut Inventory, sku: &str) -> anyhow::Result<()> {
    admin
        .update_product(UpdateProductRequest {
            product: Some(Product {
                name: format!("products/{sku}"),
                state: product::State::Retired as i32,
                ..Default::default()
            }),
            update_mask: mask(&["state"]),
        })
        .await?;
    Ok(())
}

#[tokio::test]
async fn equal_margins_rank_by_sku_and_an_even_count_takes_the_mean_median() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    for (sku, cost) in [("P-4", "70"), ("P-2", "40"), ("P-1", "40"), ("P-3", "80")] {
        listed(&mut admin, sku, Some("100"), Some(cost)).await?;
    }

    // No time: assessed now, with the prices and costs in force since January.
    let assessment = assess(&mut admin, None).await?;

    let ranks: Vec<_> = assessment
        .items
        .iter()
        .map(|i| (sku(i), i.margin_rank, i.contribution_rank))
        .collect();
    assert_eq!(
        ranks,
        [("P-1", 1, 0), ("P-2", 2, 0), ("P-3", 4, 0), ("P-4", 3, 0)],
        "unranked by contribution: by SKU"
    );
    assert_eq!(
        value(&assessment.median_margin_percent),
        dec("45"),
        "the mean of 30 and 60 among 20, 30, 60, 60"
    );
    assert_eq!(assessment.median_expected_volume, None, "no item has an estimate");
    assert!(
        assessment
            .items
            .iter()
            .all(|i| i.quadrant == Quadrant::Unspecified as i32 && flags(i) == [Flag::NoEstimate])
    );
    Ok(())
}

#[tokio::test]
async fn the_tenant_threshold_decides_which_margins_are_too_low() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    listed(&mut admin, "LOW", Some("100"), Some("80")).await?;
    listed(&mut admin, "HIGH", Some("100"), Some("70")).await?;
    volume(&mut admin, "LOW", ("", ""), "10", EFFECTIVE).await?;
    volume(&mut admin, "HIGH", ("", ""), "10", EFFECTIVE).await?;
    admin
        .update_inventory_settings(UpdateInventorySettingsRequest {
            settings: Some(InventorySettings {
                margin_threshold_percent: "25".into(),
                ..Default::default()
            }),
            update_mask: mask(&["margin_threshold_percent"]),
        })
        .await?;

    let assessment = assess(&mut admin, Some(ASSESSED)).await?;

    assert_eq!(value(&assessment.margin_threshold_percent), dec("25"));
    let flagged: Vec<_> = assessment.items.iter().map(|i| (sku(i), flags(i))).collect();
    assert_eq!(
        flagged,
        [("HIGH", vec![]), ("LOW", vec![Flag::MarginBelowThreshold])],
        "20% is under 25%, 30% is not"
    );
    Ok(())
}

#[tokio::test]
async fn an_assessment_needs_a_currency() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let answer = app
        .admin()
        .get_portfolio_assessment(GetPortfolioAssessmentRequest::default())
        .await;
    assert_invalid(answer, "currency_code");
    Ok(())
}
