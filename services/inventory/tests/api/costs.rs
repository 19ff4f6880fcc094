//! Effective-dated cost breakdowns: what a unit cost, and from when.

use chrono::{Duration, Utc};
use lacak_proto::inventory::{
    CostBreakdown, CreateCostBreakdownRequest, GetCostAsOfRequest, GetCostAsOfResponse, ListCostBreakdownsRequest,
};
use tonic::{Code, Response, Status};

use crate::helpers::{
    ADMIN, Inventory, add_cost, amount, assert_all_ok, assert_code, check_invalid, create_goods, currency, dec,
    instant, money, num, sourcing_cost, spawn_app, timestamp, ts, usd, value,
};

async fn cost_as_of(
    client: &mut Inventory,
    sku: &str,
    time: Option<prost_types::Timestamp>,
) -> Result<Response<GetCostAsOfResponse>, Status> {
    client
        .get_cost_as_of(GetCostAsOfRequest {
            product: format!("products/{sku}"),
            time,
        })
        .await
}

/// The breakdown in force at `time`, which must exist.
async fn in_force(
    client: &mut Inventory,
    sku: &str,
    time: Option<prost_types::Timestamp>,
) -> anyhow::Result<CostBreakdown> {
    let answer = cost_as_of(client, sku, time).await?.into_inner();
    Ok(answer.cost_breakdown.expect("a breakdown in force"))
}

#[tokio::test]
async fn a_breakdown_costs_the_sum_of_its_components() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let before = Utc::now();

    let created = add_cost(
        &mut admin,
        "W-1",
        CostBreakdown {
            sourcing: usd("50.25"),
            materials: usd("4.10"),
            labour: usd("3"),
            shipping: usd("2.65"),
            other: usd("0.005"),
            ..Default::default()
        },
    )
    .await?;

    assert!(
        created.name.starts_with("products/W-1/costBreakdowns/"),
        "{}",
        created.name
    );
    assert_eq!(
        amount(&created.unit_cost),
        dec("60.005"),
        "the exact sum of the components"
    );
    assert_eq!(currency(&created.unit_cost), "USD");
    assert_eq!(value(&created.tax_rate_percent), dec("0"), "tax defaults to 0");
    assert_eq!(value(&created.fee_rate_percent), dec("0"), "fees default to 0");
    assert_eq!(created.recorded_by, ADMIN);
    let effective = instant(&created.effective_time);
    assert!(
        effective >= before - Duration::seconds(5) && effective <= Utc::now() + Duration::seconds(5),
        "the effective time defaults to now, got {effective}"
    );
    let now = in_force(&mut admin, "W-1", None).await?;
    assert_eq!(now.name, created.name, "in force now when no time is asked");
    Ok(())
}

#[tokio::test]
async fn a_breakdown_is_in_one_currency_non_negative_with_sane_rates() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let valid = CostBreakdown {
        sourcing: usd("50"),
        tax_rate_percent: num("10"),
        fee_rate_percent: num("2.9"),
        ..Default::default()
    };
    let cases: Vec<(&str, CostBreakdown, &str)> = vec![
        ("no component", CostBreakdown::default(), "cost_breakdown*"),
        (
            "labour in EUR",
            CostBreakdown {
                labour: Some(money("EUR", "3")),
                ..valid.clone()
            },
            "cost_breakdown.labour.currency_code",
        ),
        (
            "negative materials",
            CostBreakdown {
                materials: usd("-1"),
                ..valid.clone()
            },
            "cost_breakdown.materials",
        ),
        (
            "tax over 100",
            CostBreakdown {
                tax_rate_percent: num("100.01"),
                ..valid.clone()
            },
            "cost_breakdown.tax_rate_percent",
        ),
        (
            "negative fees",
            CostBreakdown {
                fee_rate_percent: num("-0.5"),
                ..valid.clone()
            },
            "cost_breakdown.fee_rate_percent",
        ),
        // Text that is no decimal at all is named down to the Decimal's `value`.
        (
            "tax not a number",
            CostBreakdown {
                tax_rate_percent: num("ten"),
                ..valid.clone()
            },
            "cost_breakdown.tax_rate_percent*",
        ),
    ];

    let mut outcomes = Vec::new();
    for (case, breakdown, field) in cases {
        let answer = admin
            .create_cost_breakdown(CreateCostBreakdownRequest {
                parent: "products/W-1".into(),
                cost_breakdown: Some(breakdown),
                request_id: String::new(),
            })
            .await;
        outcomes.push((case.to_owned(), check_invalid(answer, field)));
    }
    assert_all_ok(outcomes);

    let edge = CostBreakdown {
        tax_rate_percent: num("100"),
        fee_rate_percent: num("0"),
        ..valid
    };
    let created = add_cost(&mut admin, "W-1", edge).await?;
    assert_eq!(value(&created.tax_rate_percent), dec("100"), "100% is within 0..=100");
    Ok(())
}

#[tokio::test]
async fn the_breakdown_in_force_changes_exactly_at_its_effective_time() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let a = add_cost(&mut admin, "W-1", sourcing_cost("USD", "60", "2026-01-01T00:00:00Z")).await?;
    let b = add_cost(&mut admin, "W-1", sourcing_cost("USD", "70", "2026-06-01T00:00:00Z")).await?;
    let switch = instant(&b.effective_time);

    let at = |t| Some(timestamp(t));
    assert_eq!(
        in_force(&mut admin, "W-1", at(switch)).await?.name,
        b.name,
        "B from its instant on"
    );
    let just_before = switch - Duration::nanoseconds(1);
    assert_eq!(
        in_force(&mut admin, "W-1", at(just_before)).await?.name,
        a.name,
        "A until then"
    );
    let first = instant(&a.effective_time);
    assert_eq!(in_force(&mut admin, "W-1", at(first)).await?.name, a.name);
    assert_eq!(
        amount(&in_force(&mut admin, "W-1", ts("2026-03-15T00:00:00Z")).await?.unit_cost),
        dec("60")
    );
    assert_eq!(
        amount(&in_force(&mut admin, "W-1", ts("2027-03-15T00:00:00Z")).await?.unit_cost),
        dec("70")
    );

    let before_any = cost_as_of(&mut admin, "W-1", at(first - Duration::nanoseconds(1))).await;
    assert_code(before_any, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn a_product_without_costs_or_unknown_has_none_in_force() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;

    assert_code(cost_as_of(&mut admin, "W-1", None).await, Code::NotFound);
    assert_code(cost_as_of(&mut admin, "NOPE", None).await, Code::NotFound);
    let answer = admin
        .create_cost_breakdown(CreateCostBreakdownRequest {
            parent: "products/NOPE".into(),
            cost_breakdown: Some(sourcing_cost("USD", "1", "2026-01-01T00:00:00Z")),
            request_id: String::new(),
        })
        .await;
    assert_code(answer, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn breakdowns_list_newest_effective_first() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    // Recorded out of order: the list follows effective time, not recording time.
    for (cost, effective) in [
        ("70", "2026-06-01T00:00:00Z"),
        ("60", "2026-01-01T00:00:00Z"),
        ("80", "2026-09-01T00:00:00Z"),
    ] {
        add_cost(&mut admin, "W-1", sourcing_cost("USD", cost, effective)).await?;
    }

    let listed = admin
        .list_cost_breakdowns(ListCostBreakdownsRequest {
            parent: "products/W-1".into(),
            ..Default::default()
        })
        .await?
        .into_inner();

    let costs: Vec<_> = listed.cost_breakdowns.iter().map(|b| amount(&b.unit_cost)).collect();
    assert_eq!(costs, [dec("80"), dec("70"), dec("60")]);
    assert!(listed.next_page_token.is_empty());
    Ok(())
}

#[tokio::test]
async fn instants_are_kept_to_the_microsecond_on_every_database() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let a = add_cost(&mut admin, "W-1", sourcing_cost("USD", "60", "2026-01-01T00:00:00Z")).await?;
    // 1.5 microseconds past midnight: kept as 1 microsecond, on SQLite and PostgreSQL alike.
    let b = add_cost(
        &mut admin,
        "W-1",
        sourcing_cost("USD", "70", "2026-06-01T00:00:00.000001500Z"),
    )
    .await?;
    let switch = instant(&ts("2026-06-01T00:00:00.000001Z"));
    assert_eq!(
        instant(&b.effective_time),
        switch,
        "the effective time is kept to the microsecond"
    );

    let just_before = in_force(&mut admin, "W-1", Some(timestamp(switch - Duration::microseconds(1)))).await?;
    assert_eq!(just_before.name, a.name, "one microsecond before B, A is in force");
    let at_switch = in_force(&mut admin, "W-1", Some(timestamp(switch))).await?;
    assert_eq!(at_switch.name, b.name);
    assert_eq!(
        instant(&at_switch.effective_time),
        switch,
        "B's effective time as stored"
    );
    // An instant inside B's first microsecond reads B too: instants asked about are cut the same way.
    let inside = in_force(&mut admin, "W-1", Some(timestamp(switch + Duration::nanoseconds(999)))).await?;
    assert_eq!(inside.name, b.name);
    Ok(())
}

#[tokio::test]
async fn a_retried_create_records_one_breakdown() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let request = CreateCostBreakdownRequest {
        parent: "products/W-1".into(),
        cost_breakdown: Some(sourcing_cost("USD", "60", "2026-01-01T00:00:00Z")),
        request_id: "import-2026-01-line-7".into(),
    };

    let first = admin.create_cost_breakdown(request.clone()).await?.into_inner();
    let again = admin.create_cost_breakdown(request).await?.into_inner();

    let (first, again) = (
        first.cost_breakdown.expect("a breakdown"),
        again.cost_breakdown.expect("a breakdown"),
    );
    assert_eq!(again.name, first.name, "the retry answers the first result");
    let listed = admin
        .list_cost_breakdowns(ListCostBreakdownsRequest {
            parent: "products/W-1".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    assert_eq!(listed.cost_breakdowns.len(), 1, "{:?}", listed.cost_breakdowns);
    Ok(())
}
