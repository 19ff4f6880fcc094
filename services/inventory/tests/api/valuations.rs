//! Valuing many sale lines at once: the cost and list price in force at each line's instant.

use chrono::{DateTime, Duration, Utc};
use lacak_proto::inventory::{BatchGetValuationsRequest, CostBreakdown, ValuationLine};
use rust_decimal::Decimal;

use crate::helpers::{
    Inventory, add_cost, add_price, amount, assert_invalid, create_goods, currency, dec, instant, money, num,
    sourcing_cost, spawn_app, timestamp, ts, value,
};

fn line(sku: &str, time: &str, currency_code: &str) -> ValuationLine {
    ValuationLine {
        sku: sku.into(),
        time: ts(time),
        currency_code: currency_code.into(),
    }
}

async fn batch(
    client: &mut Inventory,
    lines: Vec<ValuationLine>,
) -> Result<tonic::Response<lacak_proto::inventory::BatchGetValuationsResponse>, tonic::Status> {
    client.batch_get_valuations(BatchGetValuationsRequest { lines }).await
}

#[tokio::test]
async fn each_line_is_valued_in_order_and_unknowns_are_not_found() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let cost = CostBreakdown {
        tax_rate_percent: num("11"),
        fee_rate_percent: num("2.9"),
        ..sourcing_cost("USD", "60", "2026-01-01T00:00:00Z")
    };
    let cost = add_cost(&mut admin, "W-1", cost).await?;
    add_price(&mut admin, "W-1", money("USD", "100"), "2026-02-01T00:00:00Z").await?;

    let lines = vec![
        line("W-1", "2026-03-01T00:00:00Z", "USD"),
        line("GHOST", "2026-03-01T00:00:00Z", "USD"),
        line("W-1", "2026-01-15T00:00:00Z", "USD"),
        line("W-1", "2025-12-31T00:00:00Z", "USD"),
        line("W-1", "2026-03-01T00:00:00Z", "EUR"),
    ];
    let valuations = batch(&mut admin, lines).await?.into_inner().valuations;

    assert_eq!(valuations.len(), 5, "one valuation per line");
    let asked: Vec<_> = valuations.iter().map(|v| (v.sku.as_str(), instant(&v.time))).collect();
    assert_eq!(
        asked[1],
        ("GHOST", instant(&ts("2026-03-01T00:00:00Z"))),
        "in the order asked"
    );
    let [full, ghost, cost_only, too_early, no_eur] = &valuations[..] else {
        unreachable!()
    };
    assert!(full.found);
    assert_eq!(amount(&full.unit_cost), dec("60"));
    assert_eq!(full.cost_breakdown, cost.name);
    assert_eq!(
        (value(&full.tax_rate_percent), value(&full.fee_rate_percent)),
        (dec("11"), dec("2.9"))
    );
    assert_eq!(
        (amount(&full.list_price), currency(&full.list_price)),
        (dec("100"), "USD".to_owned())
    );
    assert!(!ghost.found, "an unknown SKU is not an error: {ghost:?}");
    assert!(ghost.unit_cost.is_none() && ghost.list_price.is_none());
    assert!(cost_only.found && cost_only.unit_cost.is_some());
    assert_eq!(cost_only.list_price, None, "no price yet in mid-January");
    assert!(too_early.found);
    assert_eq!(
        (too_early.unit_cost.as_ref(), too_early.list_price.as_ref()),
        (None, None),
        "nothing in force yet"
    );
    assert_eq!(amount(&no_eur.unit_cost), dec("60"));
    assert_eq!(no_eur.list_price, None, "no EUR price");
    Ok(())
}

#[tokio::test]
async fn a_batch_is_at_most_ten_thousand_lines_with_valid_currencies() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();

    let too_many = vec![line("W-1", "2026-03-01T00:00:00Z", "USD"); 10_001];
    assert_invalid(batch(&mut admin, too_many).await, "lines");

    let mut lines = vec![line("W-1", "2026-03-01T00:00:00Z", "USD"); 5];
    lines[3].currency_code = "usd".into();
    assert_invalid(batch(&mut admin, lines.clone()).await, "lines[3].currency_code");
    lines[3].currency_code = "DOLLARS".into();
    assert_invalid(batch(&mut admin, lines).await, "lines[3].currency_code");
    Ok(())
}

/// Three SKUs whose cost changes at different instants, and what each cost when.
const HISTORY: [(&str, [(&str, &str); 3]); 3] = [
    (
        "A-1",
        [
            ("2026-01-01T00:00:00Z", "10"),
            ("2026-02-10T12:00:00Z", "11"),
            ("2026-03-20T06:30:00Z", "12.5"),
        ],
    ),
    (
        "B-2",
        [
            ("2026-01-05T00:00:00Z", "200"),
            ("2026-01-31T23:59:59Z", "190"),
            ("2026-04-01T00:00:00Z", "210"),
        ],
    ),
    (
        "C-3",
        [
            ("2025-12-01T00:00:00Z", "3.333"),
            ("2026-02-28T00:00:00Z", "3.5"),
            ("2026-03-01T00:00:00Z", "4"),
        ],
    ),
];

fn cost_at(history: &[(&str, &str); 3], at: DateTime<Utc>) -> Option<Decimal> {
    history
        .iter()
        .rev()
        .find(|(from, _)| instant(&ts(from)) <= at)
        .map(|(_, cost)| dec(cost))
}

#[tokio::test]
async fn two_thousand_lines_get_the_cost_in_force_at_each_instant() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    for (sku, history) in &HISTORY {
        create_goods(&mut admin, sku, None).await?;
        for (from, cost) in history {
            add_cost(&mut admin, sku, sourcing_cost("USD", cost, from)).await?;
        }
    }
    // Every 97 minutes and 13 seconds from mid-December: before, during and after each change.
    let start = instant(&ts("2025-12-15T00:00:00Z"));
    let lines: Vec<ValuationLine> = (0..2000)
        .map(|i| ValuationLine {
            sku: HISTORY[i % 3].0.into(),
            time: Some(timestamp(start + Duration::seconds(i as i64 * 5833))),
            currency_code: "USD".into(),
        })
        .collect();

    let valuations = batch(&mut admin, lines.clone()).await?.into_inner().valuations;

    assert_eq!(valuations.len(), 2000);
    let mut wrong = Vec::new();
    for (i, (asked, got)) in lines.iter().zip(&valuations).enumerate() {
        let at = instant(&asked.time);
        let expected = cost_at(&HISTORY[i % 3].1, at);
        let actual = got.unit_cost.as_ref().map(|_| amount(&got.unit_cost));
        if got.sku != asked.sku || !got.found || actual != expected {
            wrong.push(format!(
                "line {i}: {} at {at}: expected {expected:?}, got {} {actual:?}",
                asked.sku, got.sku
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} lines wrong, e.g. {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
    Ok(())
}
