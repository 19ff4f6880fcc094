//! A sale arriving while inventory cannot answer is taken, marked awaiting cost, and costed once
//! inventory answers: no sale lost, none left uncosted silently.

use std::time::Duration;

use lacak_domain::Role;
use lacak_proto::inventory::inventory_service_client::InventoryServiceClient;
use lacak_proto::monitoring as pb;
use lacak_testkit::Bearer;

use crate::helpers::*;

/// A product inventory knows, with no cost recorded yet.
async fn product_without_cost(inventory: &mut Inventory, sku: &str) {
    inventory
        .create_product(lacak_proto::inventory::CreateProductRequest {
            product: Some(lacak_proto::inventory::Product {
                display_name: sku.into(),
                kind: lacak_proto::inventory::ProductKind::Product as i32,
                unit_of_measure: "unit".into(),
                ..Default::default()
            }),
            sku: sku.into(),
            request_id: String::new(),
        })
        .await
        .unwrap();
}

/// The caller's sales still awaiting a cost (up to a page of 1,000).
async fn awaiting_cost(monitoring: &mut Monitoring) -> Vec<pb::Sale> {
    monitoring
        .list_sales(pb::ListSalesRequest {
            awaiting_cost_only: true,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .sales
}

/// Records `sku`'s unit cost: `sourcing` IDR from `effective`.
async fn cost_from(inventory: &mut Inventory, sku: &str, sourcing: &str, effective: &str) {
    inventory
        .create_cost_breakdown(lacak_proto::inventory::CreateCostBreakdownRequest {
            parent: format!("products/{sku}"),
            cost_breakdown: Some(lacak_proto::inventory::CostBreakdown {
                sourcing: idr(sourcing),
                effective_time: ts(effective),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn sales_wait_for_their_cost_and_are_costed_when_inventory_answers() {
    // Inventory is bound but not yet serving: monitoring's calls to it time out.
    let inventory = prepare_inventory().await;
    let suite = spawn_suite_with(InventoryAt::Elsewhere(inventory.addr())).await;
    org(&suite).await;
    let acknowledged = ingest(
        &suite,
        vec![sale_event(
            "s1",
            sale("s1", "ana", "LAP-1", "2", "1000", "2026-02-01T00:00:00Z"),
        )],
    )
    .await;
    assert_eq!((acknowledged.applied, acknowledged.awaiting_cost), (1, 1));
    let waiting = awaiting_cost(&mut suite.admin()).await;
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].lines[0].awaiting_cost);
    let before = kpis(&suite, "members/ana", "FY2026-Q1").await;
    assert_eq!(amount(&before.revenue), dec("2000"), "the sale counts at once");
    assert!(
        before.gross_margin_percent.is_none(),
        "no margin is claimed for uncosted revenue"
    );

    // Inventory comes up, learns the product's cost, and the sale is costed in the background.
    let token = inventory.issuer().issue(
        &lacak_domain::Principal {
            tenant: TENANT.into(),
            subject: "admin".into(),
            role: Role::Admin,
            teams: vec![],
        },
        Duration::from_secs(60),
        None,
    );
    let inventory = inventory.serve().await;
    let mut client = InventoryServiceClient::with_interceptor(inventory.channel.clone(), Bearer::new(&token.unwrap()));
    product_without_cost(&mut client, "LAP-1").await;
    cost_from(&mut client, "LAP-1", "750", "2026-01-01T00:00:00Z").await;

    let mut costed = None;
    for _ in 0..60 {
        let sale = suite
            .admin()
            .list_sales(pb::ListSalesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .sales
            .remove(0);
        if !sale.lines[0].awaiting_cost {
            costed = Some(sale);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let costed = costed.expect("the awaiting sale is costed once inventory answers");
    assert_eq!(amount(&costed.lines[0].unit_cost), dec("750"));
    let after = kpis(&suite, "members/ana", "FY2026-Q1").await;
    assert_eq!(
        amount(&after.revenue),
        dec("2000"),
        "costing does not count the sale again"
    );
    assert_eq!(amount(&after.gross_margin), dec("500"));
    assert_eq!(value(&after.gross_margin_percent), dec("25"));
}

/// 600 sales of one tenant that cannot be costed (no cost recorded for their product) do not keep
/// another tenant's sale waiting: each pass shares its sales among the tenants with sales due, and
/// the uncostable ones back off.
#[tokio::test]
async fn one_tenants_uncostable_backlog_holds_no_other_tenant_back() {
    let suite = spawn_suite().await;
    // acme sorts first: its backlog came first in every pass before.
    org(&suite).await;
    let acme = suite.admin_token();
    let mut inventory = suite.inventory(&acme);
    product_without_cost(&mut inventory, "NOCOST").await;
    for chunk in 0..3 {
        let events = (0..200)
            .map(|n| {
                let id = format!("stuck-{chunk}-{n}");
                sale_event(&id, sale(&id, "ana", "NOCOST", "1", "100", "2026-02-01T00:00:00Z"))
            })
            .collect();
        let answer = ingest(&suite, events).await;
        assert_eq!(answer.awaiting_cost, 200, "no cost for NOCOST in 2026");
    }

    // globex records one sale of a product whose cost it records only afterwards.
    let globex = suite.token(OTHER_TENANT, "admin-gita", Role::Admin, &[]);
    let mut goals = suite.goals(&globex);
    goals
        .create_team(lacak_proto::goals::CreateTeamRequest {
            team: Some(lacak_proto::goals::Team {
                display_name: "Sales".into(),
                ..Default::default()
            }),
            team_id: "sales".into(),
            request_id: String::new(),
        })
        .await
        .unwrap();
    add_member(&mut goals, "gita", "sales", "Gita").await;
    let mut inventory = suite.inventory(&globex);
    product_without_cost(&mut inventory, "LATE").await;
    let mut monitoring = suite.monitoring(&globex);
    let answer = monitoring
        .ingest_events(pb::IngestEventsRequest {
            events: vec![sale_event(
                "g1",
                sale("g1", "gita", "LATE", "2", "1000", "2026-02-01T00:00:00Z"),
            )],
            validate_only: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.awaiting_cost, 1);
    cost_from(&mut inventory, "LATE", "600", "2026-01-01T00:00:00Z").await;

    // The background passes run every 2 s.
    let mut costed = false;
    for _ in 0..100 {
        if awaiting_cost(&mut monitoring).await.is_empty() {
            costed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(costed, "globex's sale was costed while acme's backlog still waits");
    let still = awaiting_cost(&mut suite.admin()).await;
    assert_eq!(still.len(), 600, "acme's sales still wait for a cost, none lost");
}
