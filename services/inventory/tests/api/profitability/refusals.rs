//! Valuations the service refuses: no price or cost in force, a bad request, a promotion that
//! does not apply.

use lacak_proto::inventory::{GetProfitabilityRequest, Stacking, promotion};
use tonic::Code;

use super::{EFFECTIVE, MID_MARCH, in_usd, valuate, worked_example};
use crate::helpers::{
    add_cost, add_price, add_promotion, amount_off, assert_all_ok, assert_code, assert_precondition, check_invalid,
    create_goods, money, num, on_product, percent_off, reason, sourcing_cost, spawn_app,
};

#[tokio::test]
async fn a_valuation_needs_a_price_and_a_cost_in_the_sale_currency() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    for sku in ["NO-PRICE", "NO-COST", "EUR-COST", "LATE-PRICE"] {
        create_goods(&mut admin, sku, None).await?;
    }
    add_cost(&mut admin, "NO-PRICE", sourcing_cost("USD", "5", EFFECTIVE)).await?;
    add_price(&mut admin, "NO-PRICE", money("EUR", "9"), EFFECTIVE).await?;
    add_price(&mut admin, "NO-COST", money("USD", "9"), EFFECTIVE).await?;
    add_price(&mut admin, "EUR-COST", money("USD", "9"), EFFECTIVE).await?;
    add_cost(&mut admin, "EUR-COST", sourcing_cost("EUR", "5", EFFECTIVE)).await?;
    add_price(&mut admin, "LATE-PRICE", money("USD", "9"), "2026-06-01T00:00:00Z").await?;
    add_cost(&mut admin, "LATE-PRICE", sourcing_cost("USD", "5", EFFECTIVE)).await?;

    assert_precondition(valuate(&mut admin, in_usd("NO-PRICE", MID_MARCH)).await, "NO_PRICE");
    assert_precondition(valuate(&mut admin, in_usd("LATE-PRICE", MID_MARCH)).await, "NO_PRICE");
    assert_precondition(valuate(&mut admin, in_usd("NO-COST", MID_MARCH)).await, "NO_COST");
    assert_precondition(
        valuate(&mut admin, in_usd("EUR-COST", MID_MARCH)).await,
        "CURRENCY_MISMATCH",
    );
    assert_code(valuate(&mut admin, in_usd("NOPE", MID_MARCH)).await, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn a_valuation_request_is_checked() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    worked_example(&mut admin).await?;
    let cases = [
        (
            "no currency",
            GetProfitabilityRequest {
                currency_code: String::new(),
                ..in_usd("W-1", MID_MARCH)
            },
            "currency_code",
        ),
        (
            "zero units",
            GetProfitabilityRequest {
                quantity: num("0"),
                ..in_usd("W-1", MID_MARCH)
            },
            "quantity",
        ),
        (
            "negative units",
            GetProfitabilityRequest {
                quantity: num("-2"),
                ..in_usd("W-1", MID_MARCH)
            },
            "quantity",
        ),
        (
            "fixed cost in EUR",
            GetProfitabilityRequest {
                fixed_cost: Some(money("EUR", "1000")),
                ..in_usd("W-1", MID_MARCH)
            },
            "fixed_cost.currency_code",
        ),
    ];
    let mut outcomes = Vec::new();
    for (case, request, field) in cases {
        outcomes.push((
            case.to_owned(),
            check_invalid(valuate(&mut admin, request).await, field),
        ));
    }
    assert_all_ok(outcomes);
    Ok(())
}

#[tokio::test]
async fn a_named_promotion_must_apply_to_the_product_and_run_then() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let (_, march_promotion) = worked_example(&mut admin).await?;
    create_goods(&mut admin, "W-2", None).await?;
    let for_w2 = add_promotion(
        &mut admin,
        percent_off(
            "5",
            on_product("W-2"),
            Stacking::Stackable,
            EFFECTIVE,
            "2027-01-01T00:00:00Z",
        ),
    )
    .await?;
    let euros_off = amount_off(
        money("EUR", "5"),
        promotion::Scope::AllProducts(true),
        Stacking::Stackable,
        EFFECTIVE,
        "2027-01-01T00:00:00Z",
    );
    let euros_off = add_promotion(&mut admin, euros_off).await?;

    let cases = [
        ("not running yet", march_promotion, "2026-02-15T00:00:00Z"),
        ("another product's", for_w2.name, MID_MARCH),
        ("an amount in another currency", euros_off.name, MID_MARCH),
        ("no such promotion", "promotions/nope".to_owned(), MID_MARCH),
    ];
    for (case, name, time) in cases {
        eprintln!("case: {case}");
        let answer = valuate(
            &mut admin,
            GetProfitabilityRequest {
                promotions: vec![name],
                ..in_usd("W-1", time)
            },
        )
        .await;
        match answer {
            // A name that does not exist may be reported as missing rather than as not applying.
            Err(status) if case == "no such promotion" && status.code() == Code::NotFound => {}
            answer => {
                let status = assert_code(answer, Code::FailedPrecondition);
                assert!(
                    !reason(&status).is_empty(),
                    "{case}: a reason says why: {}",
                    status.message()
                );
            }
        }
    }
    Ok(())
}
