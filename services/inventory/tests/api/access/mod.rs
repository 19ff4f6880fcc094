//! Who may call at all, and who may read or write what; tenants never see each other.

mod calls;

use lacak_proto::inventory::{
    BatchGetValuationsRequest, InventorySettings, ListProductsRequest, ListPromotionsRequest, Product,
    UpdateInventorySettingsRequest, UpdateProductRequest, ValuationLine, product,
};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt as _;

use crate::helpers::{DOMAIN, Inventory, SERVICE_NAME, assert_code, create_goods, mask, spawn_app, ts};
use calls::*;

#[tokio::test]
async fn a_call_without_a_valid_token_is_unauthenticated() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let anonymous = app.anonymous().list_products(ListProductsRequest::default()).await;
    let garbage = app
        .client("not-a-jwt")
        .list_products(ListProductsRequest::default())
        .await;

    for (who, answer) in [("no token", anonymous.map(|_| ())), ("garbage", garbage.map(|_| ()))] {
        let status = answer.expect_err(who);
        assert_eq!(status.code(), Code::Unauthenticated, "{who}: {}", status.message());
        assert!(
            status.get_error_details().error_info().is_some(),
            "{who}: an ErrorInfo says why"
        );
    }
    Ok(())
}

#[tokio::test]
async fn readiness_names_the_inventory_service() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut health = HealthClient::new(app.channel.clone());
    let ready = health
        .check(HealthCheckRequest {
            service: SERVICE_NAME.into(),
        })
        .await?;
    assert_eq!(ready.into_inner().status, ServingStatus::Serving as i32);
    Ok(())
}

/// Makes every call and lists those whose outcome is not `allowed` (OK) or PERMISSION_DENIED.
async fn mismatches(client: &mut Inventory, who: &str, calls: &[(Call, bool)], promotion: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    for (n, (call, allowed)) in calls.iter().enumerate() {
        let got = make(client, *call, promotion, n).await;
        let fine = match (&got, allowed) {
            (Ok(()), true) => true,
            (Err(status), false) => {
                status.code() == Code::PermissionDenied
                    && status
                        .get_error_details()
                        .error_info()
                        .is_some_and(|i| i.domain == DOMAIN)
            }
            _ => false,
        };
        if !fine {
            let got = got.map_err(|s| format!("{:?}: {}", s.code(), s.message()));
            wrong.push(format!(
                "{who} {call:?}: expected {}, got {got:?}",
                if *allowed { "OK" } else { "PERMISSION_DENIED" }
            ));
        }
    }
    wrong
}

fn expect(calls: &[Call], allowed: bool) -> Vec<(Call, bool)> {
    calls.iter().map(|c| (*c, allowed)).collect()
}

#[tokio::test]
async fn a_rep_reads_the_catalogue_but_not_costs_and_writes_nothing() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let promotion = seed(&mut app.admin()).await?;
    let mut calls = expect(&CATALOGUE_READS, true);
    calls.extend(expect(&COST_READS, false));
    calls.extend(expect(&WRITES, false));
    calls.extend(expect(&[Sell, UpdateSettings], false));

    let wrong = mismatches(&mut app.rep(), "rep", &calls, &promotion).await;
    assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));
    Ok(())
}

#[tokio::test]
async fn a_rep_reads_costs_and_margins_once_the_tenant_allows_it() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let mut admin = app.admin();
    let promotion = seed(&mut admin).await?;
    admin
        .update_inventory_settings(UpdateInventorySettingsRequest {
            settings: Some(InventorySettings {
                reps_see_costs: true,
                ..Default::default()
            }),
            update_mask: mask(&["reps_see_costs"]),
        })
        .await?;
    let mut calls = expect(&COST_READS, true);
    calls.extend(expect(&[CreateCost, CreatePrice, Sell], false));

    let wrong = mismatches(&mut app.rep(), "rep", &calls, &promotion).await;
    assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));
    Ok(())
}

#[tokio::test]
async fn the_service_role_reads_everything_and_records_only_sales() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let promotion = seed(&mut app.admin()).await?;
    let mut calls = expect(&CATALOGUE_READS, true);
    calls.extend(expect(&COST_READS, true));
    calls.extend(expect(&OTHER_READS, true));
    calls.push((Sell, true));
    calls.extend(expect(&WRITES, false));
    calls.push((UpdateSettings, false));

    let wrong = mismatches(&mut app.service(), "service", &calls, &promotion).await;
    assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));
    Ok(())
}

#[tokio::test]
async fn a_service_applying_a_recommendation_for_someone_may_promote_and_retire_and_nothing_else() -> anyhow::Result<()>
{
    let app = spawn_app().await;
    let promotion = seed(&mut app.admin()).await?;
    let mut calls = expect(&WRITES, false);
    calls.retain(|(call, _)| *call != CreatePromotion);
    calls.push((CreatePromotion, true));
    calls.push((UpdateSettings, false));
    let mut applier = app.applier();
    let wrong = mismatches(&mut applier, "applier", &calls, &promotion).await;
    assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));

    // Retiring is the one product change it may make; a service on its own account may not.
    let retire = || UpdateProductRequest {
        product: Some(Product {
            name: "products/W-1".into(),
            state: product::State::Retired as i32,
            ..Default::default()
        }),
        update_mask: mask(&["state"]),
    };
    assert_code(app.service().update_product(retire()).await, Code::PermissionDenied);
    let retired = applier
        .update_product(retire())
        .await?
        .into_inner()
        .product
        .expect("the product");
    assert_eq!(retired.state, product::State::Retired as i32);
    Ok(())
}

#[tokio::test]
async fn a_manager_writes_everything_but_the_settings() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let promotion = seed(&mut app.admin()).await?;
    let mut calls = expect(&CATALOGUE_READS, true);
    calls.extend(expect(&COST_READS, true));
    calls.extend(expect(&OTHER_READS, true));
    calls.extend(expect(&WRITES, true));
    calls.push((Sell, true));
    calls.push((UpdateSettings, false));

    let wrong = mismatches(&mut app.manager(), "manager", &calls, &promotion).await;
    assert!(wrong.is_empty(), "{} mismatches:\n{}", wrong.len(), wrong.join("\n"));
    Ok(())
}

#[tokio::test]
async fn another_tenant_finds_nothing_of_this_one() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let promotion = seed(&mut app.admin()).await?;
    let mut stranger = app.other_tenant_admin();

    for call in [
        GetProduct,
        GetCategory,
        GetPriceAsOf,
        GetPromotion,
        GetCostAsOf,
        GetProfitability,
        UpdateProduct,
        CreateCost,
        CreatePrice,
        Sell,
    ] {
        eprintln!("another tenant: {call:?}");
        let answer = make(&mut stranger, call, &promotion, 0).await.map(tonic::Response::new);
        assert_code(answer, Code::NotFound);
    }
    let products = stranger
        .list_products(ListProductsRequest::default())
        .await?
        .into_inner()
        .products;
    assert!(products.is_empty(), "{products:?}");
    let promotions = stranger
        .list_promotions(ListPromotionsRequest::default())
        .await?
        .into_inner()
        .promotions;
    assert!(promotions.is_empty(), "{promotions:?}");
    let valuation = stranger
        .batch_get_valuations(BatchGetValuationsRequest {
            lines: vec![ValuationLine {
                sku: "W-1".into(),
                time: ts(NOW_ISH),
                currency_code: "USD".into(),
            }],
        })
        .await?
        .into_inner();
    assert!(!valuation.valuations[0].found, "another tenant's SKU is unknown here");
    // The same SKU is free in the other tenant.
    create_goods(&mut stranger, "W-1", None).await?;
    Ok(())
}
