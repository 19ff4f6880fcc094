//! Market estimates: what a product could sell, per region and segment.

use chrono::{Duration, Utc};
use lacak_proto::inventory::{CreateMarketEstimateRequest, ListMarketEstimatesRequest, MarketEstimate};

use crate::helpers::{
    add_estimate, assert_all_ok, check_invalid, create_goods, dec, instant, num, spawn_app, ts, value,
};

fn valid() -> MarketEstimate {
    MarketEstimate {
        region: "id".into(),
        segment: "smb".into(),
        addressable_demand: num("1000"),
        expected_volume: num("100"),
        source: "2026 distributor survey".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_estimate_needs_demand_a_volume_within_it_and_a_source() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let cases = [
        (
            "no demand",
            MarketEstimate {
                addressable_demand: None,
                ..valid()
            },
            "market_estimate.addressable_demand",
        ),
        (
            "negative demand",
            MarketEstimate {
                addressable_demand: num("-1"),
                ..valid()
            },
            "market_estimate.addressable_demand",
        ),
        (
            "no volume",
            MarketEstimate {
                expected_volume: None,
                ..valid()
            },
            "market_estimate.expected_volume",
        ),
        (
            "negative volume",
            MarketEstimate {
                expected_volume: num("-1"),
                ..valid()
            },
            "market_estimate.expected_volume",
        ),
        (
            "volume over demand",
            MarketEstimate {
                expected_volume: num("1000.5"),
                ..valid()
            },
            "market_estimate.expected_volume",
        ),
        (
            "no source",
            MarketEstimate {
                source: String::new(),
                ..valid()
            },
            "market_estimate.source",
        ),
    ];
    let mut outcomes = Vec::new();
    for (case, estimate, field) in cases {
        let answer = admin
            .create_market_estimate(CreateMarketEstimateRequest {
                parent: "products/W-1".into(),
                market_estimate: Some(estimate),
                request_id: String::new(),
            })
            .await;
        outcomes.push((case.to_owned(), check_invalid(answer, field)));
    }
    assert_all_ok(outcomes);

    let before = Utc::now();
    let whole_market = admin
        .create_market_estimate(CreateMarketEstimateRequest {
            parent: "products/W-1".into(),
            market_estimate: Some(MarketEstimate {
                expected_volume: num("1000"),
                ..valid()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .market_estimate
        .expect("the estimate");
    assert!(
        whole_market.name.starts_with("products/W-1/marketEstimates/"),
        "{}",
        whole_market.name
    );
    assert_eq!(
        value(&whole_market.expected_volume),
        dec("1000"),
        "the whole market is allowed"
    );
    let made = instant(&whole_market.estimate_time);
    assert!(
        made >= before - Duration::seconds(5) && made <= Utc::now() + Duration::seconds(5),
        "defaults to now: {made}"
    );
    Ok(())
}

#[tokio::test]
async fn estimates_list_newest_first() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    add_estimate(
        &mut admin,
        "W-1",
        ("id", "smb"),
        ("1000", "200"),
        "2026-02-01T00:00:00Z",
    )
    .await?;
    add_estimate(
        &mut admin,
        "W-1",
        ("id", "smb"),
        ("1000", "100"),
        "2026-01-01T00:00:00Z",
    )
    .await?;
    add_estimate(&mut admin, "W-1", ("sg", ""), ("1000", "300"), "2026-03-01T00:00:00Z").await?;

    let listed = admin
        .list_market_estimates(ListMarketEstimatesRequest {
            parent: "products/W-1".into(),
            ..Default::default()
        })
        .await?
        .into_inner();

    let volumes: Vec<_> = listed
        .market_estimates
        .iter()
        .map(|e| value(&e.expected_volume))
        .collect();
    assert_eq!(volumes, [dec("300"), dec("200"), dec("100")]);
    assert_eq!(
        instant(&listed.market_estimates[0].estimate_time),
        instant(&ts("2026-03-01T00:00:00Z"))
    );
    Ok(())
}
