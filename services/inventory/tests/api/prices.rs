//! Effective-dated list prices, one line per currency.

use chrono::Duration;
use lacak_proto::inventory::{CreatePriceRequest, GetPriceAsOfRequest, GetPriceAsOfResponse, ListPricesRequest, Price};
use tonic::{Code, Response, Status};

use crate::helpers::{
    Inventory, add_price, amount, assert_all_ok, assert_code, assert_invalid, check_invalid, create_goods, currency,
    dec, instant, money, spawn_app, timestamp, ts,
};

async fn price_as_of(
    client: &mut Inventory,
    sku: &str,
    currency_code: &str,
    time: Option<prost_types::Timestamp>,
) -> Result<Response<GetPriceAsOfResponse>, Status> {
    client
        .get_price_as_of(GetPriceAsOfRequest {
            product: format!("products/{sku}"),
            currency_code: currency_code.to_owned(),
            time,
        })
        .await
}

async fn list_price(
    client: &mut Inventory,
    sku: &str,
    code: &str,
    time: Option<prost_types::Timestamp>,
) -> anyhow::Result<Price> {
    let answer = price_as_of(client, sku, code, time).await?.into_inner();
    Ok(answer.price.expect("a price in force"))
}

#[tokio::test]
async fn each_currency_has_its_own_price_history() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    add_price(&mut admin, "W-1", money("USD", "100"), "2026-01-01T00:00:00Z").await?;
    let raise = add_price(&mut admin, "W-1", money("USD", "110"), "2026-06-01T00:00:00Z").await?;
    add_price(&mut admin, "W-1", money("EUR", "95.50"), "2026-03-01T00:00:00Z").await?;

    let usd_march = list_price(&mut admin, "W-1", "USD", ts("2026-03-15T00:00:00Z")).await?;
    assert_eq!(amount(&usd_march.list_price), dec("100"));
    let eur_march = list_price(&mut admin, "W-1", "EUR", ts("2026-03-15T00:00:00Z")).await?;
    assert_eq!(amount(&eur_march.list_price), dec("95.5"));
    assert_eq!(currency(&eur_march.list_price), "EUR");

    let switch = instant(&raise.effective_time);
    let at_switch = list_price(&mut admin, "W-1", "USD", Some(timestamp(switch))).await?;
    assert_eq!(
        at_switch.name, raise.name,
        "the new price applies from its instant inclusive"
    );
    let just_before = Some(timestamp(switch - Duration::nanoseconds(1)));
    assert_eq!(
        amount(&list_price(&mut admin, "W-1", "USD", just_before).await?.list_price),
        dec("100")
    );
    assert_eq!(
        amount(&list_price(&mut admin, "W-1", "USD", None).await?.list_price),
        dec("110"),
        "now"
    );

    let before_eur = price_as_of(&mut admin, "W-1", "EUR", ts("2026-02-01T00:00:00Z")).await;
    assert_code(before_eur, Code::NotFound);
    let no_gbp = price_as_of(&mut admin, "W-1", "GBP", None).await;
    assert_code(no_gbp, Code::NotFound);
    Ok(())
}

#[tokio::test]
async fn a_price_as_of_needs_a_currency() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    add_price(&mut admin, "W-1", money("USD", "100"), "2026-01-01T00:00:00Z").await?;

    assert_invalid(price_as_of(&mut admin, "W-1", "", None).await, "currency_code");
    Ok(())
}

#[tokio::test]
async fn a_list_price_is_required_and_not_negative() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    let cases = [("no list price", None), ("negative", Some(money("USD", "-0.01")))];
    let mut outcomes = Vec::new();
    for (case, list_price) in cases {
        let answer = admin
            .create_price(CreatePriceRequest {
                parent: "products/W-1".into(),
                price: Some(Price {
                    list_price,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await;
        outcomes.push((case.to_owned(), check_invalid(answer, "price.list_price")));
    }
    assert_all_ok(outcomes);

    let free = add_price(&mut admin, "W-1", money("USD", "0"), "2026-01-01T00:00:00Z").await?;
    assert_eq!(amount(&free.list_price), dec("0"), "a free item is allowed");
    Ok(())
}

#[tokio::test]
async fn prices_list_newest_effective_first_and_filter_by_currency() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    create_goods(&mut admin, "W-1", None).await?;
    add_price(&mut admin, "W-1", money("USD", "110"), "2026-06-01T00:00:00Z").await?;
    add_price(&mut admin, "W-1", money("USD", "100"), "2026-01-01T00:00:00Z").await?;
    add_price(&mut admin, "W-1", money("EUR", "90"), "2026-03-01T00:00:00Z").await?;

    let all = admin
        .list_prices(ListPricesRequest {
            parent: "products/W-1".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let effective: Vec<_> = all.prices.iter().map(|p| instant(&p.effective_time)).collect();
    let mut sorted = effective.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(effective, sorted, "newest effective first");
    assert_eq!(all.prices.len(), 3);

    let usd_only = admin
        .list_prices(ListPricesRequest {
            parent: "products/W-1".into(),
            currency_code: "USD".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let amounts: Vec<_> = usd_only.prices.iter().map(|p| amount(&p.list_price)).collect();
    assert_eq!(amounts, [dec("110"), dec("100")]);
    Ok(())
}
