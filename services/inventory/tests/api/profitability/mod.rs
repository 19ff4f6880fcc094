//! What selling a product earns at an instant: price, promotions, cost, margins, break-even.

mod refusals;

use lacak_proto::inventory::{
    CostBreakdown, GetProfitabilityRequest, GetProfitabilityResponse, Profitability, Stacking,
};
use tonic::{Response, Status};

use crate::helpers::{
    Inventory, add_cost, add_price, add_promotion, amount, create_goods, dec, instant, money, num, on_product,
    percent_off, sourcing_cost, spawn_app, ts, usd, value,
};

pub const EFFECTIVE: &str = "2026-01-01T00:00:00Z";
pub const MID_MARCH: &str = "2026-03-15T00:00:00Z";

pub async fn valuate(
    client: &mut Inventory,
    request: GetProfitabilityRequest,
) -> Result<Response<GetProfitabilityResponse>, Status> {
    client.get_profitability(request).await
}

/// A one-unit USD valuation of `sku` at `time` with nothing else asked.
pub fn in_usd(sku: &str, time: &str) -> GetProfitabilityRequest {
    GetProfitabilityRequest {
        product: format!("products/{sku}"),
        time: ts(time),
        currency_code: "USD".into(),
        ..Default::default()
    }
}

pub async fn figures(client: &mut Inventory, request: GetProfitabilityRequest) -> anyhow::Result<Profitability> {
    Ok(valuate(client, request)
        .await?
        .into_inner()
        .profitability
        .expect("a profitability"))
}

/// The worked example: list 100.00 USD; sourcing 50 + shipping 10; tax 10%, fees 2%; a 10% promotion
/// on the product through March.
pub async fn worked_example(client: &mut Inventory) -> anyhow::Result<(CostBreakdown, String)> {
    create_goods(client, "W-1", None).await?;
    add_price(client, "W-1", money("USD", "100.00"), EFFECTIVE).await?;
    let cost = CostBreakdown {
        sourcing: usd("50"),
        shipping: usd("10"),
        tax_rate_percent: num("10"),
        fee_rate_percent: num("2"),
        effective_time: ts(EFFECTIVE),
        ..Default::default()
    };
    let cost = add_cost(client, "W-1", cost).await?;
    let ten_off = percent_off(
        "10",
        on_product("W-1"),
        Stacking::Stackable,
        "2026-03-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
    );
    let promotion = add_promotion(client, ten_off).await?;
    Ok((cost, promotion.name))
}

#[tokio::test]
async fn the_worked_example_values_every_figure() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let (cost, promotion) = worked_example(&mut admin).await?;

    let p = figures(
        &mut admin,
        GetProfitabilityRequest {
            quantity: num("3"),
            promotions: vec![promotion.clone()],
            fixed_cost: usd("1000"),
            ..in_usd("W-1", MID_MARCH)
        },
    )
    .await?;

    assert_eq!(p.product, "products/W-1");
    assert_eq!(instant(&p.time), instant(&ts(MID_MARCH)));
    assert_eq!(value(&p.quantity), dec("3"));
    assert_eq!(p.applied_promotions, [promotion]);
    assert_eq!(p.cost_breakdown, cost.name);
    let got = [
        ("list_price", amount(&p.list_price)),
        ("net_price", amount(&p.net_price)),
        ("unit_cost", amount(&p.unit_cost)),
        ("unit_gross_margin", amount(&p.unit_gross_margin)),
        ("gross_margin_percent", value(&p.gross_margin_percent)),
        ("unit_tax", amount(&p.unit_tax)),
        ("unit_fees", amount(&p.unit_fees)),
        ("unit_net_margin", amount(&p.unit_net_margin)),
        ("net_margin_percent", value(&p.net_margin_percent)),
        ("revenue", amount(&p.revenue)),
        ("gross_margin", amount(&p.gross_margin)),
        ("net_margin", amount(&p.net_margin)),
        ("break_even_units", value(&p.break_even_units)),
    ];
    let want = [
        "100", "90", "60", "30", "33.33", "9", "1.8", "19.2", "21.33", "270", "90", "57.6", "53",
    ];
    let wrong: Vec<_> = got
        .iter()
        .zip(want)
        .filter(|((_, g), w)| *g != dec(w))
        .map(|((name, g), w)| format!("{name}: got {g}, want {w}"))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    Ok(())
}

#[tokio::test]
async fn running_promotions_apply_only_when_asked() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let (_, promotion) = worked_example(&mut admin).await?;

    let plain = figures(&mut admin, in_usd("W-1", MID_MARCH)).await?;
    assert_eq!(
        amount(&plain.net_price),
        dec("100"),
        "no promotion unless named or asked for"
    );
    assert!(plain.applied_promotions.is_empty());
    assert_eq!(value(&plain.quantity), dec("1"), "the quantity defaults to 1");
    assert_eq!(amount(&plain.revenue), dec("100"));
    assert_eq!(plain.break_even_units, None, "no fixed cost, no break-even");

    let running = figures(
        &mut admin,
        GetProfitabilityRequest {
            apply_running_promotions: true,
            ..in_usd("W-1", MID_MARCH)
        },
    )
    .await?;
    assert_eq!(running.applied_promotions, [promotion]);
    assert_eq!(amount(&running.net_price), dec("90"));
    assert_eq!(amount(&running.unit_net_margin), dec("19.2"));

    let after = figures(
        &mut admin,
        GetProfitabilityRequest {
            apply_running_promotions: true,
            ..in_usd("W-1", "2026-04-01T00:00:00Z")
        },
    )
    .await?;
    assert!(
        after.applied_promotions.is_empty(),
        "the promotion ended: {:?}",
        after.applied_promotions
    );
    assert_eq!(amount(&after.net_price), dec("100"));
    Ok(())
}

#[tokio::test]
async fn the_cost_in_force_at_the_instant_values_the_sale() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    add_price(&mut admin, "W-1", money("USD", "100"), "2025-12-01T00:00:00Z").await?;
    let a = add_cost(&mut admin, "W-1", sourcing_cost("USD", "60", "2026-01-01T00:00:00Z")).await?;
    let b = add_cost(&mut admin, "W-1", sourcing_cost("USD", "70", "2026-06-01T00:00:00Z")).await?;

    let march = figures(&mut admin, in_usd("W-1", MID_MARCH)).await?;
    assert_eq!(
        (amount(&march.unit_cost), march.cost_breakdown.as_str()),
        (dec("60"), a.name.as_str())
    );
    assert_eq!(amount(&march.unit_gross_margin), dec("40"));

    let july = figures(&mut admin, in_usd("W-1", "2026-07-01T00:00:00Z")).await?;
    assert_eq!(
        (amount(&july.unit_cost), july.cost_breakdown.as_str()),
        (dec("70"), b.name.as_str())
    );
    assert_eq!(amount(&july.unit_gross_margin), dec("30"));
    Ok(())
}

#[tokio::test]
async fn money_is_rounded_to_cents_half_away_from_zero() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    add_price(&mut admin, "W-1", money("USD", "2.25"), EFFECTIVE).await?;
    let cost = CostBreakdown {
        tax_rate_percent: num("25"),
        ..sourcing_cost("USD", "1", EFFECTIVE)
    };
    add_cost(&mut admin, "W-1", cost).await?;
    add_promotion(
        &mut admin,
        percent_off(
            "10",
            on_product("W-1"),
            Stacking::Stackable,
            EFFECTIVE,
            "2027-01-01T00:00:00Z",
        ),
    )
    .await?;

    let p = figures(
        &mut admin,
        GetProfitabilityRequest {
            apply_running_promotions: true,
            ..in_usd("W-1", MID_MARCH)
        },
    )
    .await?;

    assert_eq!(amount(&p.net_price), dec("2.03"), "2.025 rounds away from zero");
    assert_eq!(amount(&p.unit_tax), dec("0.51"), "2.03 × 25% = 0.5075");
    assert_eq!(amount(&p.unit_gross_margin), dec("1.03"));
    assert_eq!(value(&p.gross_margin_percent), dec("50.74"), "1.03 / 2.03 = 50.739…%");
    assert_eq!(amount(&p.unit_net_margin), dec("0.52"));
    assert_eq!(value(&p.net_margin_percent), dec("25.62"), "0.52 / 2.03 = 25.615…%");
    Ok(())
}

#[tokio::test]
async fn a_free_sale_has_no_margin_percentage_and_never_breaks_even() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    add_price(&mut admin, "W-1", money("USD", "100"), EFFECTIVE).await?;
    add_cost(&mut admin, "W-1", sourcing_cost("USD", "60", EFFECTIVE)).await?;
    let all_off = add_promotion(
        &mut admin,
        percent_off(
            "100",
            on_product("W-1"),
            Stacking::Exclusive,
            EFFECTIVE,
            "2027-01-01T00:00:00Z",
        ),
    )
    .await?;

    let p = figures(
        &mut admin,
        GetProfitabilityRequest {
            promotions: vec![all_off.name],
            fixed_cost: usd("1000"),
            ..in_usd("W-1", MID_MARCH)
        },
    )
    .await?;

    assert_eq!(amount(&p.net_price), dec("0"));
    assert_eq!(amount(&p.unit_net_margin), dec("-60"));
    assert_eq!(p.gross_margin_percent, None, "unset when the net price is zero");
    assert_eq!(p.net_margin_percent, None, "unset when the net price is zero");
    assert_eq!(p.break_even_units, None, "a unit that loses money never breaks even");
    Ok(())
}

#[tokio::test]
async fn totals_scale_with_a_fractional_quantity_and_break_even_rounds_up_only_when_needed() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let (_, promotion) = worked_example(&mut admin).await?;
    let with = |quantity: &str, fixed: &str| GetProfitabilityRequest {
        quantity: num(quantity),
        promotions: vec![promotion.clone()],
        fixed_cost: usd(fixed),
        ..in_usd("W-1", MID_MARCH)
    };

    let p = figures(&mut admin, with("2.5", "960")).await?;
    assert_eq!(amount(&p.revenue), dec("225"), "90 × 2.5");
    assert_eq!(amount(&p.gross_margin), dec("75"), "30 × 2.5");
    assert_eq!(amount(&p.net_margin), dec("48"), "19.20 × 2.5");
    assert_eq!(value(&p.break_even_units), dec("50"), "960 / 19.20 is exactly 50");
    let p = figures(&mut admin, with("1", "960.01")).await?;
    assert_eq!(value(&p.break_even_units), dec("51"), "a cent more needs one more unit");
    Ok(())
}
