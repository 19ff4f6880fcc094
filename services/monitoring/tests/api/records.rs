//! Single-record RPCs: customers, leads, deals through their stages, and one sale at a time.

use lacak_proto::monitoring as pb;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn a_deal_moves_through_its_stages_and_closes_with_its_history() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let mut admin = suite.admin();
    let deal = admin
        .create_deal(pb::CreateDealRequest {
            deal: Some(pb::Deal {
                owner: "members/ana".into(),
                amount: idr("5000000"),
                stage: "Qualify".into(),
                create_time: ts("2026-02-01T00:00:00Z"),
                ..Default::default()
            }),
            request_id: "deal-1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    assert_eq!(deal.stage, "qualify");
    let moved = admin
        .move_deal_stage(pb::MoveDealStageRequest {
            name: deal.name.clone(),
            stage: "propose".into(),
            time: ts("2026-02-05T00:00:00Z"),
            request_id: "move-1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    // The same move retried changes nothing twice.
    let again = admin
        .move_deal_stage(pb::MoveDealStageRequest {
            name: deal.name.clone(),
            stage: "propose".into(),
            time: ts("2026-02-05T00:00:00Z"),
            request_id: "move-1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    assert_eq!(moved.stage_history.len(), 2);
    assert_eq!(again.stage_history.len(), 2);
    assert_eq!(moved.stage_history[1].from_stage, "qualify");
    assert_eq!(moved.stage_history[1].to_stage, "propose");

    let closed = admin
        .close_deal(pb::CloseDealRequest {
            name: deal.name.clone(),
            outcome: pb::Outcome::Won as i32,
            reason: "best fit".into(),
            time: ts("2026-02-10T00:00:00Z"),
        })
        .await
        .unwrap()
        .into_inner()
        .deal
        .unwrap();
    assert_eq!(closed.outcome, pb::Outcome::Won as i32);
    assert_eq!(closed.forecast_category, pb::ForecastCategory::Closed as i32);
    let refused = admin
        .close_deal(pb::CloseDealRequest {
            name: deal.name.clone(),
            outcome: pb::Outcome::Lost as i32,
            reason: "changed mind".into(),
            time: None,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let moving_closed = admin
        .move_deal_stage(pb::MoveDealStageRequest {
            name: deal.name.clone(),
            stage: "negotiate".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(moving_closed.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn bad_records_are_refused_naming_each_field() {
    let suite = spawn_suite().await;
    org(&suite).await;
    let mut admin = suite.admin();
    let status = admin
        .create_deal(pb::CreateDealRequest {
            deal: Some(pb::Deal {
                owner: "ana".into(),
                amount: Some(money("idr", "-5")),
                credit: split(&[("ana", "60"), ("budi", "30")]),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["deal.amount.currency_code", "deal.owner", "deal.stage", "deal.credit"]
    );
    let status = admin
        .close_deal(pb::CloseDealRequest {
            name: "deals/x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["outcome", "reason"]);
    // A member goals does not know is named as the field at fault.
    let status = admin
        .create_lead(pb::CreateLeadRequest {
            lead: Some(pb::Lead {
                owner: "members/nobody".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["lead.owner"]);
    // Instants before 1900 or after 9999 are no sales record's.
    let status = admin
        .create_deal(pb::CreateDealRequest {
            deal: Some(pb::Deal {
                owner: "members/ana".into(),
                amount: Some(money("IDR", "5")),
                stage: "qualify".into(),
                create_time: Some(prost_types::Timestamp {
                    seconds: -8_334_632_851_200,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["deal.create_time"]);
    let mut far = sale("far", "ana", "LAP-1", "1", "10", "2026-03-01T10:00:00Z");
    far.book_time = Some(prost_types::Timestamp {
        seconds: 253_402_300_800,
        nanos: 0,
    });
    let status = admin
        .record_sale(pb::RecordSaleRequest { sale: Some(far) })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["sale.book_time"]);
}

#[tokio::test]
async fn a_sale_keeps_the_cost_in_force_when_it_was_booked() {
    let suite = spawn_suite().await;
    org(&suite).await;
    product(&suite, "LAP-1", "600").await;
    let mut admin = suite.admin();
    let record = |external: &str| pb::RecordSaleRequest {
        sale: Some(sale(external, "ana", "LAP-1", "2", "1000", "2026-03-01T10:00:00Z")),
    };
    let first = admin
        .record_sale(record("inv-1"))
        .await
        .unwrap()
        .into_inner()
        .sale
        .unwrap();
    assert_eq!(amount(&first.lines[0].unit_cost), dec("600"));
    assert!(!first.lines[0].awaiting_cost);
    // A later cost change does not touch the recorded sale, nor its margin.
    add_cost(&suite, "LAP-1", "900", "2026-03-02T00:00:00Z").await;
    let retried = admin
        .record_sale(record("inv-1"))
        .await
        .unwrap()
        .into_inner()
        .sale
        .unwrap();
    assert_eq!(retried.name, first.name, "a retry records nothing twice");
    assert_eq!(amount(&retried.lines[0].unit_cost), dec("600"));
    let kpis = kpis(&suite, "members/ana", "FY2026-Q1").await;
    assert_eq!(amount(&kpis.revenue), dec("2000"));
    assert_eq!(amount(&kpis.gross_margin), dec("800"));
    assert_eq!(value(&kpis.gross_margin_percent), dec("40"));
    assert_eq!(value(&kpis.units_sold), dec("2"));

    // A SKU the catalogue does not have is refused, naming the line.
    let status = admin
        .record_sale(pb::RecordSaleRequest {
            sale: Some(sale("inv-2", "ana", "NOPE", "1", "10", "2026-03-01T10:00:00Z")),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["sale.lines[0].sku"]);
}

#[tokio::test]
async fn customers_are_created_listed_and_marked_churned() {
    let suite = spawn_suite().await;
    let mut admin = suite.admin();
    let created = admin
        .create_customer(pb::CreateCustomerRequest {
            customer: Some(pb::Customer {
                display_name: "Toko Maju".into(),
                segment: "SMB".into(),
                region: "java".into(),
                ..Default::default()
            }),
            customer_id: "toko-maju".into(),
            request_id: "c-1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(created.name, "customers/toko-maju");
    assert_eq!(created.segment, "smb");
    let updated = admin
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: created.name.clone(),
                churn_time: ts("2026-05-01T00:00:00Z"),
                ..Default::default()
            }),
            update_mask: mask(&["churn_time"]),
        })
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert!(updated.churn_time.is_some());
    assert_eq!(updated.display_name, "Toko Maju");
    let listed = admin
        .list_customers(pb::ListCustomersRequest {
            segment: "smb".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.customers.len(), 1);
    let none = suite
        .monitoring(&suite.token(OTHER_TENANT, "admin", lacak_domain::Role::Admin, &[]))
        .get_customer(pb::GetCustomerRequest { name: created.name })
        .await
        .unwrap_err();
    assert_eq!(
        none.code(),
        Code::NotFound,
        "another tenant's customer does not exist for you"
    );
}
